#include "sessionstore.h"

#include "logging/logging.h"
#include "logging/secretredactor.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QTimer>

namespace Signet {

namespace {
constexpr int FormatVersion = 1;

QJsonObject identityToRecord(const Identity &i)
{
    return {{QStringLiteral("provider"), i.provider}, {QStringLiteral("issuer"), i.issuer}, {QStringLiteral("subject"), i.subject},
            {QStringLiteral("email"), i.email}, {QStringLiteral("email_verified"), i.emailVerified}, {QStringLiteral("name"), i.name},
            {QStringLiteral("picture"), i.picture}, {QStringLiteral("account"), i.accountKey}, {QStringLiteral("tenant_id"), i.tenantId},
            {QStringLiteral("username"), i.username}, {QStringLiteral("hosted_domain"), i.hostedDomain},
            {QStringLiteral("provider_roles"), QJsonArray::fromStringList(i.roles)}, {QStringLiteral("groups"), QJsonArray::fromStringList(i.groups)},
            {QStringLiteral("groups_overage"), i.groupsOverage}, {QStringLiteral("organizations"), QJsonArray::fromStringList(i.organizations)},
            {QStringLiteral("teams"), QJsonArray::fromStringList(i.teams)}, {QStringLiteral("roles"), QJsonArray::fromStringList(i.signetRoles)},
            {QStringLiteral("roles_complete"), i.rolesComplete}, {QStringLiteral("signed_in_at"), i.signedInAt.toString(Qt::ISODateWithMs)},
            {QStringLiteral("expires_at"), i.expiresAt.toString(Qt::ISODateWithMs)}};
}

QStringList strings(const QJsonValue &value)
{
    QStringList list;
    for (const QJsonValue &v : value.toArray())
        list << v.toString();
    return list;
}

Identity identityFromRecord(const QJsonObject &o)
{
    Identity i;
    i.provider = o.value(QLatin1String("provider")).toString();
    i.issuer = o.value(QLatin1String("issuer")).toString();
    i.subject = o.value(QLatin1String("subject")).toString();
    i.email = o.value(QLatin1String("email")).toString();
    i.emailVerified = o.value(QLatin1String("email_verified")).toBool();
    i.name = o.value(QLatin1String("name")).toString();
    i.picture = o.value(QLatin1String("picture")).toString();
    i.accountKey = o.value(QLatin1String("account")).toString();
    i.tenantId = o.value(QLatin1String("tenant_id")).toString();
    i.username = o.value(QLatin1String("username")).toString();
    i.hostedDomain = o.value(QLatin1String("hosted_domain")).toString();
    i.roles = strings(o.value(QLatin1String("provider_roles")));
    i.groups = strings(o.value(QLatin1String("groups")));
    i.groupsOverage = o.value(QLatin1String("groups_overage")).toBool();
    i.organizations = strings(o.value(QLatin1String("organizations")));
    i.teams = strings(o.value(QLatin1String("teams")));
    i.signetRoles = strings(o.value(QLatin1String("roles")));
    i.rolesComplete = o.value(QLatin1String("roles_complete")).toBool(true);
    i.signedInAt = QDateTime::fromString(o.value(QLatin1String("signed_in_at")).toString(), Qt::ISODateWithMs).toUTC();
    i.expiresAt = QDateTime::fromString(o.value(QLatin1String("expires_at")).toString(), Qt::ISODateWithMs).toUTC();
    return i;
}

QJsonObject metadataToRecord(const ProviderMetadata &m)
{
    return {{QStringLiteral("issuer"), m.issuer.toString()}, {QStringLiteral("token_issuer"), m.tokenIssuer},
            {QStringLiteral("token_endpoint"), m.tokenEndpoint.toString()}, {QStringLiteral("jwks_uri"), m.jwksUri.toString()},
            {QStringLiteral("revocation_endpoint"), m.revocationEndpoint.toString()}, {QStringLiteral("end_session_endpoint"), m.endSessionEndpoint.toString()},
            {QStringLiteral("id_token_signing_alg_values_supported"), QJsonArray::fromStringList(m.idTokenSigningAlgorithms)}};
}

ProviderMetadata metadataFromRecord(const QJsonObject &o)
{
    ProviderMetadata m;
    m.issuer = QUrl(o.value(QLatin1String("issuer")).toString());
    m.tokenIssuer = o.value(QLatin1String("token_issuer")).toString();
    m.tokenEndpoint = QUrl(o.value(QLatin1String("token_endpoint")).toString());
    m.jwksUri = QUrl(o.value(QLatin1String("jwks_uri")).toString());
    m.revocationEndpoint = QUrl(o.value(QLatin1String("revocation_endpoint")).toString());
    m.endSessionEndpoint = QUrl(o.value(QLatin1String("end_session_endpoint")).toString());
    m.idTokenSigningAlgorithms = strings(o.value(QLatin1String("id_token_signing_alg_values_supported")));
    return m;
}
} // namespace

SessionStore::SessionStore(const QString &stateDirectory, QObject *parent)
    : QObject(parent)
    , m_directory(stateDirectory)
    , m_keychain(this)
{
}

QString SessionStore::recordPath() const
{
    return QDir(m_directory).filePath(QStringLiteral("session.json"));
}

QString SessionStore::installationId()
{
    // Distinguishes this state directory's entries from any other's in the same keychain.
    if (!m_installationId.isEmpty())
        return m_installationId;
    const QString path = QDir(m_directory).filePath(QStringLiteral("installation-id"));
    QFile file(path);
    if (file.open(QIODevice::ReadOnly)) {
        const QByteArray id = file.readAll().trimmed();
        if (id.size() == 32)
            return m_installationId = QString::fromLatin1(id);
    }
    // A new one is only written down with the first session stored under it (keepInstallationId()):
    // without a keychain nothing at all reaches the disk.
    QByteArray id(16, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(id.data()), id.size() / 4);
    m_installationIdStored = false;
    return m_installationId = QString::fromLatin1(id.toHex());
}

bool SessionStore::keepInstallationId()
{
    if (m_installationIdStored)
        return true;
    makeDirectory();
    QSaveFile out(QDir(m_directory).filePath(QStringLiteral("installation-id")));
    m_installationIdStored = out.open(QIODevice::WriteOnly) && out.write(m_installationId.toLatin1()) >= 0 && out.commit();
    return m_installationIdStored;
}

QString SessionStore::keyFor(const Identity &identity)
{
    return installationId() + QLatin1Char('/') + identity.provider + QLatin1Char('/') + (identity.account());
}

void SessionStore::save(const Stored &session, Done done)
{
    const QString key = keyFor(session.identity);
    const QByteArray secrets = QJsonDocument(QJsonObject{{QStringLiteral("access_token"), session.tokens.accessToken},
                                                         {QStringLiteral("refresh_token"), session.tokens.refreshToken},
                                                         {QStringLiteral("id_token"), session.tokens.idToken}})
                                   .toJson(QJsonDocument::Compact);
    QJsonObject record{{QStringLiteral("version"), FormatVersion},
                       {QStringLiteral("keychain_key"), key},
                       {QStringLiteral("client_id"), session.clientId},
                       {QStringLiteral("identity"), identityToRecord(session.identity)},
                       {QStringLiteral("metadata"), metadataToRecord(session.metadata)},
                       {QStringLiteral("claims"), session.claims},
                       {QStringLiteral("access_token_expires_at"), session.tokens.accessTokenExpiresAt.toString(Qt::ISODateWithMs)},
                       {QStringLiteral("scopes"), QJsonArray::fromStringList(session.tokens.scopes)}};
    const QString path = recordPath();
    const quint64 clears = m_clears;
    const quint64 save = ++m_saves;
    m_keychain.write(key, secrets, [this, key, path, record, clears, save, done](const Keychain::Result &result) {
        if (!result.ok()) {
            done(result);
            return;
        }
        if (clears != m_clears) {
            // Cleared (signed out) while the keychain was busy: writing the record now would bring the
            // session back from the dead at the next start. QtKeychain runs jobs one at a time, so the
            // clear's removal normally follows this write; a write in parts (Windows) may have gone on
            // after it, so the entry is removed once more — unless a newer save (the same account
            // signing in again) has started since, whose entry this key may now be.
            if (save == m_saves)
                m_keychain.remove(key, [](const Keychain::Result &) {});
            done({Keychain::Error::Failed, tr("The session ended while it was being stored."), {}});
            return;
        }
        QString problem;
        if (!keepInstallationId() || !writeRecord(record, &problem)) {
            // Without its record the entry would never be found again: take it out of the keychain.
            const Keychain::Result failed{Keychain::Error::Failed, tr("Cannot write %1: %2").arg(path, problem), {}};
            m_keychain.remove(key, [done, failed](const Keychain::Result &) { done(failed); });
            return;
        }
        done({});
    });
}

void SessionStore::makeDirectory()
{
    QDir().mkpath(m_directory);
    QFile::setPermissions(m_directory, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
}

bool SessionStore::writeRecord(const QJsonObject &record, QString *problem)
{
    makeDirectory();
    QSaveFile file(recordPath());
    const bool written = file.open(QIODevice::WriteOnly) && file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner)
        && file.write(QJsonDocument(record).toJson(QJsonDocument::Compact)) >= 0 && file.commit();
    if (!written && problem)
        *problem = file.errorString();
    return written;
}

void SessionStore::load(Loaded done)
{
    QFile file(recordPath());
    if (!file.exists()) {
        done({Keychain::Error::NotFound, tr("No session is stored."), {}}, {});
        return;
    }
    QJsonObject record;
    if (file.size() <= 256 * 1024 && file.open(QIODevice::ReadOnly))
        record = QJsonDocument::fromJson(file.readAll()).object();
    const QString key = record.value(QLatin1String("keychain_key")).toString();
    if (record.value(QLatin1String("version")).toInt() != FormatVersion || key.isEmpty()) {
        qCWarning(lcSession) << "the stored session record is unreadable; starting signed out";
        clear();
        done({Keychain::Error::NotFound, tr("The stored session could not be read."), {}}, {});
        return;
    }
    if (record.value(QLatin1String("removed")).toBool()) {
        // What a sign-out could not take out of a locked keychain: removed now, if the keychain lets us.
        qCInfo(lcSession) << "removing a signed-out session's keychain entry that a locked keychain kept";
        clear();
        done({Keychain::Error::NotFound, tr("No session is stored."), {}}, {});
        return;
    }
    Stored stored;
    stored.identity = identityFromRecord(record.value(QLatin1String("identity")).toObject());
    stored.metadata = metadataFromRecord(record.value(QLatin1String("metadata")).toObject());
    stored.claims = record.value(QLatin1String("claims")).toObject();
    stored.clientId = record.value(QLatin1String("client_id")).toString();
    stored.tokens.accessTokenExpiresAt = QDateTime::fromString(record.value(QLatin1String("access_token_expires_at")).toString(), Qt::ISODateWithMs).toUTC();
    stored.tokens.scopes = strings(record.value(QLatin1String("scopes")));
    m_keychain.read(key, [this, key, stored, done](const Keychain::Result &result) {
        if (result.error == Keychain::Error::NotFound) {
            forgetUnlessLocked(key, stored, result, done);
            return;
        }
        finishLoad(result, stored, done);
    });
}

void SessionStore::finishLoad(const Keychain::Result &result, Stored stored, Loaded done)
{
    if (!result.ok()) {
        done(result, {});
        return;
    }
    const QJsonObject secrets = QJsonDocument::fromJson(result.data).object();
    stored.tokens.accessToken = secrets.value(QLatin1String("access_token")).toString();
    stored.tokens.refreshToken = secrets.value(QLatin1String("refresh_token")).toString();
    stored.tokens.idToken = secrets.value(QLatin1String("id_token")).toString();
    if (!stored.identity.isValid() || stored.tokens.accessToken.isEmpty()) {
        qCWarning(lcSession) << "the stored session is incomplete; starting signed out";
        clearStored({}, false); // its entry was just read: the keychain is open
        done({Keychain::Error::NotFound, tr("The stored session was incomplete."), {}}, {});
        return;
    }
    for (const QString &secret : {stored.tokens.accessToken, stored.tokens.refreshToken, stored.tokens.idToken})
        SecretRedactor::addSecret(secret);
    done({}, stored);
}

void SessionStore::forgetUnlessLocked(const QString &key, const Stored &stored, const Keychain::Result &notFound, Loaded done)
{
    // Clearing the record while the keychain is merely locked would lose a session that is still there.
    m_keychain.probeWritable(probeKey(), [this, key, stored, notFound, done](bool writable) {
        if (!writable) {
            qCWarning(lcSession) << "the keychain did not give the stored session, and it takes no writes: it is locked or refusing; the session is kept for later";
            done({Keychain::Error::Failed, tr("The keychain is locked, so the stored session cannot be read. Unlock it (for example by signing in to the desktop again) and restart Signet, or sign in again."), {}}, {});
            return;
        }
        // The probe may have been what unlocked the keychain (a prompt the person answered): read once
        // more before concluding that the entry is gone.
        m_keychain.read(key, [this, stored, notFound, done](const Keychain::Result &again) {
            if (again.error != Keychain::Error::NotFound) {
                finishLoad(again, stored, done);
                return;
            }
            clearStored({}, false); // the record without its secrets is useless; the keychain has just taken a write
            done(notFound, {});
        });
    });
}

void SessionStore::whenIdle(std::chrono::milliseconds limit, std::function<void()> done)
{
    if (m_keychain.isIdle()) {
        done();
        return;
    }
    auto called = std::make_shared<bool>(false);
    const auto once = [called, done] {
        if (!std::exchange(*called, true))
            done();
    };
    connect(&m_keychain, &Keychain::idle, this, once, Qt::SingleShotConnection);
    QTimer::singleShot(limit, this, once);
}

QString SessionStore::probeKey()
{
    return installationId() + QStringLiteral("/probe");
}

void SessionStore::clear(Done done)
{
    clearStored(std::move(done), true);
}

void SessionStore::clearStored(Done done, bool checkWritable)
{
    ++m_clears;
    QFile file(recordPath());
    QString key;
    if (file.open(QIODevice::ReadOnly))
        key = QJsonDocument::fromJson(file.read(256 * 1024)).object().value(QLatin1String("keychain_key")).toString();
    file.close();
    QFile::remove(recordPath());
    if (key.isEmpty()) {
        if (done)
            done({});
        return;
    }
    const quint64 saves = m_saves;
    m_keychain.remove(key, [this, key, saves, checkWritable, done](const Keychain::Result &result) {
        // A locked keychain refuses the removal, or answers it as done or "not found". The
        // entry (tokens nothing uses any more) must not be forgotten then: a record that names it only
        // for removal, done at the next start — unless a newer session is stored meanwhile.
        const auto keepForRemoval = [this, key, saves](const QString &why) {
            qCWarning(lcSession).noquote() << "could not remove the session from the keychain:" << why << "- it is removed at the next start";
            if (saves == m_saves && !QFile::exists(recordPath()))
                writeRecord(QJsonObject{{QStringLiteral("version"), FormatVersion}, {QStringLiteral("keychain_key"), key}, {QStringLiteral("removed"), true}});
        };
        if (!result.ok() && result.error != Keychain::Error::NotFound) {
            keepForRemoval(result.message);
            if (done)
                done(result);
            return;
        }
        // "Removed" or "not found" from Secret Service is also what a locked keychain answers: only a
        // probe tells whether anything could have been removed.
        if (!checkWritable) {
            if (done)
                done({});
            return;
        }
        m_keychain.probeWritable(probeKey(), [keepForRemoval, done](bool writable) {
            if (!writable)
                keepForRemoval(tr("the keychain is locked"));
            if (done)
                done(writable ? Keychain::Result{} : Keychain::Result{Keychain::Error::Failed, tr("The keychain is locked."), {}});
        });
    });
}

} // namespace Signet
