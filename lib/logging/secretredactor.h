#pragma once

#include <QByteArray>
#include <QString>

namespace Signet {

// The backstop against secrets in logs: every secret the agent handles (authorization codes, PKCE
// verifiers, tokens, client secrets) is registered here as soon as it exists, and the installed
// message handler replaces any registered value in a log line with a placeholder before it is
// written. Code must still never log a secret on purpose; this catches the accident.
// (Pattern taken from Tokodon's messagefiltercontainer.)
class SecretRedactor
{
public:
    // Installs the redacting handler in front of whatever handler was installed before.
    static void install();

    // Registers a secret. Values shorter than 8 characters are ignored: redacting them would
    // mangle ordinary words and they are not secrets worth the name.
    static void addSecret(const QString &secret);
    static void removeSecret(const QString &secret);

    // Replaces every registered secret in text with "<redacted>".
    static QString redact(const QString &text);

    static constexpr int MinimumSecretLength = 8;
};

} // namespace Signet
