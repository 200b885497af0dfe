#include "secretredactor.h"

#include <QHash>
#include <QMutex>
#include <QMutexLocker>
#include <QUrl>

#include <cstdio>

namespace Signet {

namespace {
QMutex s_mutex;
// secret -> number of registrations, so two owners of the same value do not unregister each other
QHash<QString, int> s_secrets;
QtMessageHandler s_previousHandler = nullptr;

void redactingHandler(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    const QString clean = SecretRedactor::redact(message);
    if (s_previousHandler) {
        s_previousHandler(type, context, clean);
    } else {
        fprintf(stderr, "%s\n", qPrintable(clean));
    }
}
} // namespace

void SecretRedactor::install()
{
    QMutexLocker lock(&s_mutex);
    if (s_previousHandler)
        return;
    s_previousHandler = qInstallMessageHandler(redactingHandler);
}

void SecretRedactor::addSecret(const QString &secret)
{
    if (secret.size() < MinimumSecretLength)
        return;
    QMutexLocker lock(&s_mutex);
    ++s_secrets[secret];
}

void SecretRedactor::removeSecret(const QString &secret)
{
    QMutexLocker lock(&s_mutex);
    auto it = s_secrets.find(secret);
    if (it != s_secrets.end() && --it.value() <= 0)
        s_secrets.erase(it);
}

QString SecretRedactor::redact(const QString &text)
{
    QMutexLocker lock(&s_mutex);
    QString result = text;
    for (auto it = s_secrets.cbegin(); it != s_secrets.cend(); ++it) {
        result.replace(it.key(), QStringLiteral("<redacted>"));
        // Secrets also travel percent-encoded inside URLs and form bodies.
        const QString encoded = QString::fromLatin1(QUrl::toPercentEncoding(it.key()));
        if (encoded != it.key())
            result.replace(encoded, QStringLiteral("<redacted>"));
    }
    return result;
}

} // namespace Signet
