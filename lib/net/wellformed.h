#pragma once

#include <QString>
#include <QUrl>

namespace Signet {

// Small checks of text that comes from configuration files and from providers, shared so that
// each rule is written once.

// 127.0.0.1, ::1 (any loopback address) or "localhost": where plain http is tolerated (the demo
// provider, the tests), RFC 8252 §8.1 forbidding it everywhere else.
bool isLoopbackHost(const QString &host);
bool isLoopbackUrl(const QUrl &url);

// A GUID in the lower-case form Microsoft Entra ID uses for tenant and object ids.
bool isGuid(const QString &text);

// Provider-supplied text for a message a person reads: control characters become spaces,
// whitespace is collapsed, and at most 200 characters are kept.
QString printableText(const QString &text);

} // namespace Signet
