#include "tokenrevocation.h"

#include "logging/logging.h"
#include "logging/secretredactor.h"
#include "net/boundednetworkaccessmanager.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkReply>

namespace Signet {

TokenRevocation::TokenRevocation(QNetworkAccessManager *network, const ProviderConfig &provider, const QUrl &revocationEndpoint, const TokenSet &tokens,
                                 QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_provider(provider)
    , m_revocationEndpoint(revocationEndpoint)
    , m_tokens(tokens)
{
    for (const QString &secret : {m_tokens.accessToken, m_tokens.refreshToken, m_tokens.idToken})
        SecretRedactor::addSecret(secret);
}

TokenRevocation::~TokenRevocation()
{
    forgetTokens();
}

void TokenRevocation::forgetTokens()
{
    for (const QString &secret : {m_tokens.accessToken, m_tokens.refreshToken, m_tokens.idToken})
        SecretRedactor::removeSecret(secret);
    m_tokens = {};
}

bool TokenRevocation::isSupported(const ProviderConfig &provider, const QUrl &revocationEndpoint, const TokenSet &tokens)
{
    if (tokens.accessToken.isEmpty() && tokens.refreshToken.isEmpty())
        return false;
    if (provider.type == QLatin1String("github"))
        return provider.apiUrl.isValid() && !provider.clientSecret.isEmpty() && !tokens.accessToken.isEmpty();
    return revocationEndpoint.isValid();
}

void TokenRevocation::start()
{
    if (m_provider.type == QLatin1String("github")) {
        // GitHub REST: DELETE /applications/{client_id}/token, Basic auth with the app's credentials.
        QNetworkRequest request(QUrl(m_provider.apiUrl.toString(QUrl::StripTrailingSlash) + QStringLiteral("/applications/%1/token").arg(QString::fromLatin1(QUrl::toPercentEncoding(m_provider.clientId)))));
        request.setRawHeader("Authorization", "Basic " + (m_provider.clientId + QLatin1Char(':') + m_provider.clientSecret).toUtf8().toBase64());
        request.setRawHeader("X-GitHub-Api-Version", "2022-11-28");
        request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
        const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("access_token"), m_tokens.accessToken}}).toJson(QJsonDocument::Compact);
        m_reply = m_network->sendCustomRequest(request, "DELETE", body);
    } else {
        // RFC 7009 §2.1: the refresh token ends the whole grant where there is one.
        const bool refresh = !m_tokens.refreshToken.isEmpty();
        m_reply = postForm(m_network, m_revocationEndpoint,
                           {{"token", refresh ? m_tokens.refreshToken : m_tokens.accessToken},
                            {"token_type_hint", refresh ? QStringLiteral("refresh_token") : QStringLiteral("access_token")},
                            {"client_id", m_provider.clientId},
                            {"client_secret", m_provider.clientSecret}});
    }
    connect(m_reply, &QNetworkReply::finished, this, &TokenRevocation::onFinished);
}

void TokenRevocation::onFinished()
{
    QNetworkReply *reply = m_reply;
    reply->deleteLater();
    const JsonResponse response = JsonResponse::fromReply(reply);
    // 200 (RFC 7009 §2.2, also for a token already invalid) or GitHub's 204; the body does not matter.
    m_revoked = response.httpStatus == 200 || response.httpStatus == 204;
    if (!m_revoked) {
        m_error = response.detail.isEmpty() ? QStringLiteral("HTTP status %1").arg(response.httpStatus) : response.detail;
        qCWarning(lcSession).noquote() << "revoking the tokens at" << m_provider.id << "failed:" << m_error;
    } else {
        qCInfo(lcSession).noquote() << "revoked the session's tokens at" << m_provider.id;
    }
    forgetTokens();
    Q_EMIT finished();
}

} // namespace Signet
