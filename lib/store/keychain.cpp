#include "keychain.h"

#include "logging/logging.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QPointer>
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
        // A locked Secret Service refuses writes as "access denied" ("Cannot create an item in a
        // locked collection"): what the person must do then is unlock it, not allow Signet.
        result.error = job->errorString().contains(QLatin1String("locked"), Qt::CaseInsensitive) ? Keychain::Error::Failed : Keychain::Error::Denied;
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
#ifdef Q_OS_WIN
    , m_maxEntryBytes(WindowsPartBytes)
#endif
    // /proc refuses new files, and the format ignores what a file holds anyway.
    , m_noPlaintext(new QSettings(QStringLiteral("/proc/self/signet-no-plaintext-store"), noPlaintextFormat(), this))
{
}

Keychain::Callback Keychain::once(Callback done)
{
    // A keychain that never answers (an unlock prompt nobody sees) must not hold anything up: after
    // Timeout the operation counts as failed, and a late answer is ignored. The operation counts as
    // pending until then; it is done only after `done` ran, so that a next step started from it keeps
    // the keychain busy without a moment of idleness in between.
    auto answered = std::make_shared<bool>(false);
    ++m_pending;
    QPointer<Keychain> self(this);
    const auto finish = [self, answered, done](const Result &result) {
        if (*answered)
            return;
        *answered = true;
        done(result);
        if (self && --self->m_pending == 0)
            Q_EMIT self->idle();
    };
    QTimer::singleShot(Timeout, this, [finish] {
        finish({Error::Unavailable, QCoreApplication::translate("Signet::Keychain", "The keychain did not answer within %1 seconds (is it waiting for a password?). Unlock it and retry, or ask IT.")
                                        .arg(Timeout.count() / 1000),
                {}});
    });
    return finish;
}

// Values in parts. The entry under the key itself then holds a manifest,
//   signet-parts/1 <generation> <count> <size> <sha256 of the value, hex>
// and the parts live under "<key>#<generation>.<index>". A new value in parts is written to the other
// generation's entries first, then the manifest is replaced in one write, then the old generation's
// parts are removed: killed at any moment, the manifest names a complete set of parts, old or new —
// never a mix. A manifest whose parts are missing or do not add up to its hash reads as NotFound (a
// broken entry, treated like a missing one).
namespace {
const QByteArray PartsMagic = QByteArrayLiteral("signet-parts/1 ");
}

Keychain::Parts Keychain::partsOf(const QByteArray &entry)
{
    Parts parts;
    if (!entry.startsWith(PartsMagic))
        return parts;
    const QList<QByteArray> fields = entry.mid(PartsMagic.size()).split(' ');
    bool ok[3] = {};
    if (fields.size() != 4)
        return parts;
    const int generation = fields[0].toInt(&ok[0]);
    const int count = fields[1].toInt(&ok[1]);
    const qsizetype size = fields[2].toLongLong(&ok[2]);
    if (!ok[0] || !ok[1] || !ok[2] || (generation != 0 && generation != 1) || count < 1 || count > MaxParts || size < 0 || fields[3].size() != 64)
        return parts;
    parts.generation = generation;
    parts.count = count;
    parts.size = size;
    parts.sha256 = QByteArray::fromHex(fields[3]);
    return parts;
}

QString Keychain::partKey(const QString &key, int generation, int index)
{
    return key + QLatin1Char('#') + QString::number(generation) + QLatin1Char('.') + QString::number(index);
}

void Keychain::write(const QString &key, const QByteArray &data, Callback done)
{
    // A value that looks like a manifest would be read back as one (read() recognises manifests
    // whatever the limit). Session values are JSON objects; nothing of ours starts like this.
    if (data.startsWith(PartsMagic)) {
        done({Error::Failed, tr("This value cannot be stored in the keychain (it starts like Signet's own bookkeeping)."), {}});
        return;
    }
    if (m_maxEntryBytes <= 0) {
        writeEntry(key, data, std::move(done));
        return;
    }
    // What is there now decides which generation the new parts take, and which parts go afterwards.
    readEntry(key, [this, key, data, done](const Result &current) {
        // Without knowing the current manifest, the new parts could overwrite the very parts it names
        // (and a kill would then leave neither value whole): only "nothing there" is a safe start.
        if (!current.ok() && current.error != Error::NotFound) {
            done(current);
            return;
        }
        const Parts old = current.ok() ? partsOf(current.data) : Parts{};
        if (data.size() <= m_maxEntryBytes) {
            writeEntry(key, data, [this, key, old, done](const Result &result) {
                if (result.ok() && old.isParted()) {
                    removeParts(key, old.generation, 0, old.count);
                    removeParts(key, 1 - old.generation, 0, MaxParts); // left by an interrupted replacement, if any
                }
                done(result);
            });
            return;
        }
        QList<QByteArray> parts;
        for (qsizetype at = 0; at < data.size(); at += m_maxEntryBytes)
            parts << data.mid(at, m_maxEntryBytes);
        if (parts.size() > MaxParts) {
            done({Error::Failed, tr("The sign-in is too large for the keychain (%1 bytes). Ask IT to reduce the token size (for example fewer groups in the token).").arg(data.size()), {}});
            return;
        }
        Parts written;
        written.generation = old.isParted() ? 1 - old.generation : 0;
        written.count = int(parts.size());
        writeParts(key, written.generation, parts, 0, [this, key, data, old, written, done](const Result &result) {
            if (!result.ok()) {
                removeParts(key, written.generation, 0, written.count);
                done(result);
                return;
            }
            const QByteArray manifest = PartsMagic + QByteArray::number(written.generation) + ' ' + QByteArray::number(written.count) + ' '
                + QByteArray::number(data.size()) + ' ' + QCryptographicHash::hash(data, QCryptographicHash::Sha256).toHex();
            writeEntry(key, manifest, [this, key, old, written, done](const Result &switched) {
                // Every part no manifest names goes: the old value's, and any of this generation's beyond
                // the new value that an interrupted replacement left behind (how many is unknown).
                if (switched.ok()) {
                    if (old.isParted())
                        removeParts(key, old.generation, 0, old.count);
                    removeParts(key, written.generation, written.count, MaxParts);
                }
                done(switched);
            });
        });
    });
}

void Keychain::writeParts(const QString &key, int generation, const QList<QByteArray> &parts, int from, Callback done)
{
    if (from == parts.size()) {
        done({});
        return;
    }
    writeEntry(partKey(key, generation, from), parts.at(from), [this, key, generation, parts, from, done](const Result &result) {
        if (!result.ok()) {
            done(result);
            return;
        }
        writeParts(key, generation, parts, from + 1, done);
    });
}

void Keychain::read(const QString &key, Callback done)
{
    // Manifests are recognised whatever this keychain's own limit: an entry written in parts reads
    // back whole everywhere.
    readEntry(key, [this, key, done](const Result &result) {
        const Parts parts = result.ok() ? partsOf(result.data) : Parts{};
        if (!parts.isParted()) {
            done(result);
            return;
        }
        readParts(key, parts, 0, {}, done);
    });
}

void Keychain::readParts(const QString &key, const Parts &parts, int index, QByteArray collected, Callback done)
{
    if (index == parts.count) {
        if (collected.size() != parts.size || QCryptographicHash::hash(collected, QCryptographicHash::Sha256) != parts.sha256) {
            done({Error::NotFound, tr("The keychain entry is incomplete (its parts do not add up)."), {}});
            return;
        }
        done({Error::None, {}, collected});
        return;
    }
    readEntry(partKey(key, parts.generation, index), [this, key, parts, index, collected, done](const Result &result) mutable {
        if (!result.ok()) {
            done(result);
            return;
        }
        collected += result.data;
        readParts(key, parts, index + 1, collected, done);
    });
}

void Keychain::removeParts(const QString &key, int generation, int from, int to)
{
    for (int index = from; index < to; ++index)
        removeEntry(partKey(key, generation, index), [](const Result &) {});
}

void Keychain::remove(const QString &key, Callback done)
{
    readEntry(key, [this, key, done](const Result &current) {
        // Parts are looked for whenever the entry is a manifest; with a limit also when there is none
        // to read (an interrupted first write leaves parts without one) — a removal leaves nothing.
        const Parts parts = current.ok() ? partsOf(current.data) : Parts{};
        if (parts.isParted()) {
            removeParts(key, parts.generation, 0, parts.count);
            removeParts(key, 1 - parts.generation, 0, MaxParts);
        } else if (m_maxEntryBytes > 0) {
            removeParts(key, 0, 0, MaxParts);
            removeParts(key, 1, 0, MaxParts);
        }
        removeEntry(key, done);
    });
}

void Keychain::probeWritable(const QString &probeKey, std::function<void(bool writable)> answer)
{
    writeEntry(probeKey, QByteArrayLiteral("probe"), [this, probeKey, answer](const Result &written) {
        removeEntry(probeKey, [](const Result &) {});
        answer(written.ok());
    });
}

void Keychain::writeEntry(const QString &key, const QByteArray &data, Callback callback)
{
    const Callback done = once(std::move(callback));
    auto *job = new QKeychain::WritePasswordJob(Service, this);
    configure(job);
    job->setKey(key);
    job->setBinaryData(data);
    connect(job, &QKeychain::Job::finished, this, [done](QKeychain::Job *finished) { done(resultOf(finished)); });
    job->start();
}

void Keychain::readEntry(const QString &key, Callback callback)
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

void Keychain::removeEntry(const QString &key, Callback callback)
{
    const Callback done = once(std::move(callback));
    auto *job = new QKeychain::DeletePasswordJob(Service, this);
    configure(job);
    job->setKey(key);
    connect(job, &QKeychain::Job::finished, this, [done](QKeychain::Job *finished) { done(resultOf(finished)); });
    job->start();
}

} // namespace Signet
