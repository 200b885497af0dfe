#include "tokenrefresh.h"

#include "idtoken.h"
#include "jwks.h"
#include "logging/logging.h"
#include "logging/secretredactor.h"
#include "loopbackreplyhandler.h"
#include "net/boundednetworkaccessmanager.h"

#include <QNetworkReply>
#include <QRegularExpression>

namespace Signet {

TokenRefresh::TokenRefresh(QNetworkAccessManager *network, const ProviderConfig &provider, const ProviderMetadata &metadata, const TokenSet &current,
                           const QJsonObject &originalClaims, JwksCache *keys, QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_provider(provider)
    , m_metadata(metadata)
    , m_current(current)
    , m_originalClaims(originalClaims)
    , m_keys(keys)
{
}

TokenRefresh::~TokenRefresh() = default;

void TokenRefresh::start()
{
    if (m_current.refreshToken.isEmpty() || !m_metadata.tokenEndpoint.isValid()) {
        m_finished = true;
        m_error = {SignInError::Code::ProviderError, tr("This session cannot be renewed (the provider issued no refresh token). Sign in again.")};
        QMetaObject::invokeMethod(this, &TokenRefresh::finished, Qt::QueuedConnection);
        return;
    }
    m_reply = postForm(m_network, m_metadata.tokenEndpoint,
                       {{"grant_type", QStringLiteral("refresh_token")}, {"refresh_token", m_current.refreshToken}, {"client_id", m_provider.clientId},
                        {"client_secret", m_provider.clientSecret}, {"scope", m_scopes.join(QLatin1Char(' '))}});
    connect(m_reply, &QNetworkReply::finished, this, &TokenRefresh::onReplyFinished);
}

void TokenRefresh::onReplyFinished()
{
    QNetworkReply *reply = m_reply;
    reply->deleteLater();
    if (m_finished)
        return;
    const JsonResponse response = JsonResponse::fromReply(reply);
    // An ID token is optional in a refresh response (OpenID Connect Core §12.2).
    const SignInError problem = LoopbackReplyHandler::checkTokenResponse(response, false, m_provider.displayName);
    if (problem.isError()) {
        fail(problem);
        return;
    }
    const QJsonObject body = response.body;
    m_tokens.accessToken = body.value(QLatin1String("access_token")).toString();
    // Rotation: a new refresh token replaces the old one, which the provider may now refuse.
    m_tokens.refreshToken = body.value(QLatin1String("refresh_token")).toString(m_current.refreshToken);
    m_tokens.idToken = body.value(QLatin1String("id_token")).toString();
    const double expiresIn = body.value(QLatin1String("expires_in")).toDouble(0);
    if (expiresIn > 0 && expiresIn < 10 * 365 * 86400.0)
        m_tokens.accessTokenExpiresAt = QDateTime::currentDateTimeUtc().addSecs(qint64(expiresIn));
    static const QRegularExpression separators(QStringLiteral("[ ,]+"));
    m_tokens.scopes = body.value(QLatin1String("scope")).toString().split(separators, Qt::SkipEmptyParts);
    if (m_tokens.scopes.isEmpty())
        m_tokens.scopes = m_scopes.isEmpty() ? m_current.scopes : m_scopes;
    for (const QString &secret : {m_tokens.accessToken, m_tokens.refreshToken, m_tokens.idToken})
        SecretRedactor::addSecret(secret);
    if (m_tokens.idToken.isEmpty()) {
        m_tokens.idToken = m_current.idToken;
        m_claims = m_originalClaims;
        m_finished = true;
        Q_EMIT finished();
        return;
    }
    validateIdToken();
}

void TokenRefresh::validateIdToken()
{
    if (m_finished)
        return;
    if (!m_keys) {
        fail({SignInError::Code::Internal, tr("The signing keys of %1 are not available to check the renewed ID token.").arg(m_provider.displayName)});
        return;
    }
    // A session restored without a sign-in in this run: the keys have not been fetched yet.
    if (m_keys->keys().isEmpty() && !m_keysRefetched && m_metadata.jwksUri.isValid()) {
        m_keysRefetched = true;
        connect(m_keys, &JwksCache::finished, this, &TokenRefresh::validateIdToken, Qt::SingleShotConnection);
        m_keys->fetch(m_network, m_metadata.jwksUri);
        return;
    }
    IdTokenExpectations expect;
    expect.issuer = m_originalClaims.value(QLatin1String("iss")).toString();
    // The client the session's tokens were issued to: the original token's single audience, or its
    // authorized party when it had several.
    const QJsonValue audience = m_originalClaims.value(QLatin1String("aud"));
    expect.clientId = audience.isString() ? audience.toString() : m_originalClaims.value(QLatin1String("azp")).toString(m_provider.clientId);
    expect.allowedAlgorithms = IdTokenValidator::allowedAlgorithms(m_metadata.idTokenSigningAlgorithms);
    expect.providerName = m_provider.displayName;
    const IdTokenResult result = IdTokenValidator::validate(m_tokens.idToken.toUtf8(), m_keys->keys(), expect);
    if (result.error.check == IdTokenError::Check::UnknownKey && !m_keysRefetched) {
        m_keysRefetched = true;
        if (m_keys->refreshForUnknownKey()) {
            connect(m_keys, &JwksCache::finished, this, &TokenRefresh::validateIdToken, Qt::SingleShotConnection);
            return;
        }
    }
    IdTokenError error = result.error;
    if (!error.isError())
        error = IdTokenValidator::checkRefreshedIdToken(m_originalClaims, result.claims);
    if (error.isError()) {
        fail({SignInError::Code::ProviderError, tr("Signet refused the renewed session: %1").arg(error.message), IdTokenError::checkName(error.check)});
        return;
    }
    m_claims = result.claims;
    m_finished = true;
    Q_EMIT finished();
}

void TokenRefresh::fail(const SignInError &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    for (const QString &secret : {m_tokens.accessToken, m_tokens.idToken}) {
        if (secret != m_current.accessToken && secret != m_current.idToken)
            SecretRedactor::removeSecret(secret);
    }
    // A rotated refresh token that came with a refused answer is dropped too; the old one stays.
    if (m_tokens.refreshToken != m_current.refreshToken)
        SecretRedactor::removeSecret(m_tokens.refreshToken);
    m_tokens = {};
    qCWarning(lcSession).noquote() << "renewing the session with" << m_provider.id << "failed:" << SignInError::codeName(error.code) << error.check;
    Q_EMIT finished();
}

} // namespace Signet
