#include "discovery.h"

#include "logging/logging.h"
#include "net/boundednetworkaccessmanager.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkReply>

namespace Signet {

OidcDiscovery::OidcDiscovery(QNetworkAccessManager *network, const QUrl &issuer, const QString &providerName, QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_issuer(issuer)
    , m_providerName(providerName)
{
}

OidcDiscovery::~OidcDiscovery()
{
    if (m_reply)
        m_reply->abort();
}

QUrl OidcDiscovery::discoveryUrl(const QUrl &issuer)
{
    // OpenID Connect Discovery §4: append to the issuer, keeping any path it has.
    QUrl url = issuer;
    QString path = url.path();
    if (path.endsWith(QLatin1Char('/')))
        path.chop(1);
    url.setPath(path + QStringLiteral("/.well-known/openid-configuration"));
    return url;
}

void OidcDiscovery::start()
{
    QNetworkRequest request(discoveryUrl(m_issuer));
    request.setRawHeader("Accept", "application/json");
    m_reply = m_network->get(request);
    connect(m_reply, &QNetworkReply::finished, this, &OidcDiscovery::onReplyFinished);
}

void OidcDiscovery::onReplyFinished()
{
    QNetworkReply *reply = m_reply;
    reply->deleteLater();
    const JsonResponse response = JsonResponse::fromReply(reply);
    const QString url = discoveryUrl(m_issuer).toString();
    if (response.isNetworkFailure()) {
        m_error = {SignInError::Code::ProviderUnreachable,
                   QStringLiteral("Could not reach %1 at %2: %3. Check your network connection and try again.").arg(m_providerName, url, response.detail)};
    } else if (!response.ok()) {
        m_error = {SignInError::Code::ProviderError,
                   QStringLiteral("%1 did not return a usable discovery document from %2 (%3). Check 'issuer' in the configuration or ask IT.")
                       .arg(m_providerName, url, response.detail)};
    } else {
        m_error = parse(response.body, m_issuer, m_providerName, &m_metadata, m_issuerCheck);
    }
    if (m_error.isError())
        qCWarning(lcAuth).noquote() << "discovery failed:" << m_error.message;
    Q_EMIT finished();
}

SignInError OidcDiscovery::parse(const QJsonObject &document, const QUrl &configuredIssuer, const QString &providerName, ProviderMetadata *out,
                                 const IssuerCheck &issuerCheck)
{
    auto fail = [&](const QString &what) {
        return SignInError{SignInError::Code::ProviderError,
                           QStringLiteral("The discovery document of %1 %2. Check 'issuer' in the configuration or ask IT.").arg(providerName, what)};
    };
    // Discovery §4.3: the issuer in the document must be identical to the one used to fetch it,
    // or a document served elsewhere could redirect the whole sign-in (mix-up).
    const QString issuer = document.value(QLatin1String("issuer")).toString();
    if (issuerCheck) {
        const QString problem = issuerCheck(issuer);
        if (!problem.isEmpty())
            return fail(problem);
    } else if (issuer != configuredIssuer.toString()) {
        return fail(QStringLiteral("names the issuer '%1', not the configured '%2'").arg(issuer.left(200), configuredIssuer.toString()));
    }

    ProviderMetadata metadata;
    metadata.issuer = configuredIssuer;
    metadata.tokenIssuer = issuer;
    auto endpoint = [&](const char *name, bool required, QUrl *target) -> bool {
        const QString value = document.value(QLatin1String(name)).toString();
        if (value.isEmpty())
            return !required;
        const QUrl url(value, QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http")))
            return false;
        *target = url;
        return true;
    };
    if (!endpoint("authorization_endpoint", true, &metadata.authorizationEndpoint))
        return fail(QStringLiteral("has no valid authorization_endpoint"));
    if (!endpoint("token_endpoint", true, &metadata.tokenEndpoint))
        return fail(QStringLiteral("has no valid token_endpoint"));
    if (!endpoint("userinfo_endpoint", false, &metadata.userinfoEndpoint))
        return fail(QStringLiteral("has an invalid userinfo_endpoint"));
    if (!endpoint("jwks_uri", false, &metadata.jwksUri))
        return fail(QStringLiteral("has an invalid jwks_uri"));
    endpoint("end_session_endpoint", false, &metadata.endSessionEndpoint);
    endpoint("revocation_endpoint", false, &metadata.revocationEndpoint);
    endpoint("device_authorization_endpoint", false, &metadata.deviceAuthorizationEndpoint);
    for (const auto &method : document.value(QLatin1String("code_challenge_methods_supported")).toArray())
        metadata.codeChallengeMethods << method.toString();
    for (const auto &alg : document.value(QLatin1String("id_token_signing_alg_values_supported")).toArray())
        metadata.idTokenSigningAlgorithms << alg.toString();
    metadata.authorizationResponseIssParameterSupported = document.value(QLatin1String("authorization_response_iss_parameter_supported")).toBool();

    // Signet always uses PKCE S256 (RFC 9700 §2.1.1). A provider that says it supports only other
    // methods would reject or, worse, ignore it; one that says nothing is tried anyway.
    if (!metadata.codeChallengeMethods.isEmpty() && !metadata.codeChallengeMethods.contains(QStringLiteral("S256")))
        return fail(QStringLiteral("does not offer PKCE with S256, which Signet requires"));

    *out = metadata;
    return {};
}

} // namespace Signet
