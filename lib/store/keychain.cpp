#include "keychain.h"

#include "logging/logging.h"

#include <QCoreApplication>
#include <QTimer>

#include <memory>

#include <qt6keychain/keychain.h>

namespace Signet {

const QString Keychain::Service = QStringLiteral("signet");

namespace {
// QtKeychain's plaintext store is a QSettings file (~/.config/signet.conf for our service). Besides
// the insecure fallback (never enabled here), its KWallet backend reads any entry found there and
// migrates it into the wallet whatever the fallback setting says (keychain_unix.cpp,
// kwalletOpenFinished). A value someone planted in that file must never come back as a token: every
// job gets a settings store whose format reads nothing and writes nothing.
QSettings::Format noPlaintextFormat()
{
    static const QSettings::Format format = QSettings::registerFormat(
        QStringLiteral("signet-no-plaintext"), [](QIODevice &, QSettings::SettingsMap &map) { map.clear(); return true; },
        [](QIODevice &, const QSettings::SettingsMap &) { return false; });
    return format;
}

Keychain::Result resultOf(QKeychain::Job *job)
{
    Keychain::Result result;
    switch (job->error()) {
    case QKeychain::NoError:
        return result;
    case QKeychain::EntryNotFound:
        result.error = Keychain::Error::NotFound;
        break;
    case QKeychain::AccessDeniedByUser:
    case QKeychain::AccessDenied:
        result.error = Keychain::Error::Denied;
        break;
    case QKeychain::NoBackendAvailable:
    case QKeychain::NotImplemented:
        result.error = Keychain::Error::Unavailable;
        break;
    case QKeychain::CouldNotDeleteEntry:
    case QKeychain::OtherError:
        // What a missing session bus or Secret Service looks like on Linux (QtKeychain says OtherError):
        // "Cannot autolaunch D-Bus …", "Could not connect: …", "org.freedesktop.secrets was not provided …".
        result.error = job->errorString().contains(QLatin1String("D-Bus")) || job->errorString().contains(QLatin1String("Could not connect"))
                || job->errorString().contains(QLatin1String("org.freedesktop.secrets"))
            ? Keychain::Error::Unavailable
            : Keychain::Error::Failed;
        break;
    }
    switch (result.error) {
    case Keychain::Error::Unavailable:
        result.message = QCoreApplication::translate("Signet::Keychain", "No keychain is available (%1): install and unlock gnome-keyring or KWallet, or ask IT.").arg(job->errorString());
        break;
    case Keychain::Error::Denied:
        result.message = QCoreApplication::translate("Signet::Keychain", "Access to the keychain was denied (%1). Allow Signet to use it, or ask IT.").arg(job->errorString());
        break;
    case Keychain::Error::Failed:
        result.message = QCoreApplication::translate("Signet::Keychain", "The keychain refused (%1). Unlock it (for example by signing in to the desktop again) and retry.").arg(job->errorString());
        break;
    default:
        result.message = job->errorString();
        break;
    }
    return result;
}
} // namespace

void Keychain::configure(QKeychain::Job *job)
{
    job->setInsecureFallback(false);
    job->setSettings(m_noPlaintext);
}

Keychain::Keychain(QObject *parent)
    : QObject(parent)
    // /proc refuses new files, and the format ignores what a file holds anyway.
    , m_noPlaintext(new QSettings(QStringLiteral("/proc/self/signet-no-plaintext-store"), noPlaintextFormat(), this))
{
}

Keychain::Callback Keychain::once(Callback done)
{
    // A keychain that never answers (an unlock prompt nobody sees) must not hold anything up: after
    // Timeout the operation counts as failed, and a late answer is ignored.
    auto answered = std::make_shared<bool>(false);
    QTimer::singleShot(Timeout, this, [answered, done] {
        if (*answered)
            return;
        *answered = true;
        done({Error::Unavailable, QCoreApplication::translate("Signet::Keychain", "The keychain did not answer within %1 seconds (is it waiting for a password?). Unlock it and retry, or ask IT.")
                                      .arg(Timeout.count() / 1000),
              {}});
    });
    return [answered, done](const Result &result) {
        if (*answered)
            return;
        *answered = true;
        done(result);
    };
}

void Keychain::write(const QString &key, const QByteArray &data, Callback callback)
{
    const Callback done = once(std::move(callback));
#ifdef Q_OS_WIN
    if (data.size() > MaxEntryBytes) {
        done({Error::Failed, tr("The sign-in is too large for the keychain (%1 bytes; at most %2). Ask IT to reduce the token size (for example fewer groups in the token).")
                                 .arg(data.size())
                                 .arg(MaxEntryBytes),
              {}});
        return;
    }
#endif
    auto *job = new QKeychain::WritePasswordJob(Service, this);
    configure(job);
    job->setKey(key);
    job->setBinaryData(data);
    connect(job, &QKeychain::Job::finished, this, [done](QKeychain::Job *finished) { done(resultOf(finished)); });
    job->start();
}

void Keychain::read(const QString &key, Callback callback)
{
    const Callback done = once(std::move(callback));
    auto *job = new QKeychain::ReadPasswordJob(Service, this);
    configure(job);
    job->setKey(key);
    connect(job, &QKeychain::Job::finished, this, [done](QKeychain::Job *finished) {
        Result result = resultOf(finished);
        if (result.ok())
            result.data = static_cast<QKeychain::ReadPasswordJob *>(finished)->binaryData();
        done(result);
    });
    job->start();
}

void Keychain::remove(const QString &key, Callback callback)
{
    const Callback done = once(std::move(callback));
    auto *job = new QKeychain::DeletePasswordJob(Service, this);
    configure(job);
    job->setKey(key);
    connect(job, &QKeychain::Job::finished, this, [done](QKeychain::Job *finished) { done(resultOf(finished)); });
    job->start();
}

} // namespace Signet
