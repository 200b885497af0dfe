#include "session.h"

#include "logging/logging.h"
#include "logging/secretredactor.h"

namespace Signet {

Session::Session(QObject *parent)
    : QObject(parent)
{
    m_expiry.setSingleShot(true);
    connect(&m_expiry, &QTimer::timeout, this, [this] { isActive(); });
}

void Session::start(const Identity &identity, const TokenSet &tokens, const QJsonObject &claims)
{
    // A new sign-in replaces the old one: its tokens are no longer held.
    replace(identity, tokens, claims);
    qCInfo(lcSession) << "session started for provider" << identity.provider << "until" << identity.expiresAt.toString(Qt::ISODate);
    Q_EMIT started(m_identity);
}

bool Session::end(EndReason reason)
{
    if (!m_identity.isValid())
        return false;
    const QString provider = m_identity.provider;
    m_lastIdentity = m_identity;
    m_lastIdentity.avatar.clear();
    for (const QString &secret : {m_tokens.accessToken, m_tokens.refreshToken, m_tokens.idToken})
        SecretRedactor::removeSecret(secret);
    m_identity = {};
    m_identityJson = {};
    ++m_generation;
    m_tokens = {};
    m_claims = {};
    m_expiry.stop();
    qCInfo(lcSession) << "session ended for provider" << provider << reason;
    Q_EMIT ended(provider, reason);
    return true;
}

bool Session::isActive()
{
    if (!m_identity.isValid())
        return false;
    const qint64 ms = QDateTime::currentDateTimeUtc().msecsTo(m_identity.expiresAt);
    if (ms <= 0) {
        end(EndReason::Expired);
        return false;
    }
    if (!m_expiry.isActive())
        m_expiry.start(int(qMin<qint64>(ms, 60'000)));
    return true;
}

void Session::renew(const Identity &identity, const TokenSet &tokens, const QJsonObject &claims)
{
    if (!m_identity.isValid())
        return;
    replace(identity, tokens, claims);
    qCInfo(lcSession) << "session renewed for provider" << identity.provider << "until" << identity.expiresAt.toString(Qt::ISODate);
}

void Session::replace(const Identity &identity, const TokenSet &tokens, const QJsonObject &claims)
{
    // The tokens no longer held need no redacting any more (the ones kept, such as a refresh token
    // that was not rotated, still do).
    for (const QString &secret : {m_tokens.accessToken, m_tokens.refreshToken, m_tokens.idToken}) {
        if (secret != tokens.accessToken && secret != tokens.refreshToken && secret != tokens.idToken)
            SecretRedactor::removeSecret(secret);
    }
    m_identity = identity;
    m_identityJson = {};
    ++m_generation;
    m_tokens = tokens;
    m_claims = claims;
    armExpiry();
}

void Session::armExpiry()
{
    const qint64 ms = QDateTime::currentDateTimeUtc().msecsTo(m_identity.expiresAt);
    // Re-check at least every minute so a late timer cannot keep an expired identity alive long.
    m_expiry.start(int(qBound(qint64(0), ms, qint64(60000))));
}

void Session::updateIdentity(const Identity &identity)
{
    if (m_identity.isValid())
        m_identity = identity;
    m_identityJson = {};
    ++m_generation;
}

QString Session::reasonName(EndReason reason)
{
    switch (reason) {
    case EndReason::Expired: return QStringLiteral("expired");
    case EndReason::PolicyChanged: return QStringLiteral("policy");
    case EndReason::Revoked: return QStringLiteral("revoked");
    case EndReason::SignedOut: break;
    }
    return QStringLiteral("user");
}

QJsonObject Session::identityJson() const
{
    // Built once per identity (it is asked for on every whoami); only expires_in changes.
    if (m_identityJson.isEmpty())
        m_identityJson = m_identity.toJson();
    QJsonObject json = m_identityJson;
    const QDateTime &expiresAt = m_identity.expiresAt;
    json.insert(QStringLiteral("expires_in"), expiresAt.isValid() ? QJsonValue(qMax<qint64>(0, QDateTime::currentDateTimeUtc().secsTo(expiresAt))) : QJsonValue(QJsonValue::Null));
    return json;
}

} // namespace Signet
