#pragma once

#include "signinerror.h"

#include <QObject>
#include <QPointer>
#include <QStringList>
#include <QUrl>

#include <functional>

class QNetworkAccessManager;
class QNetworkReply;

namespace Signet {

// What Signet uses from a provider's discovery document (OpenID Connect Discovery 1.0 §3).
struct ProviderMetadata {
    QUrl issuer;         // the configured issuer discovery started from
    QString tokenIssuer; // the document's issuer, verbatim: what ID tokens carry (may hold "{tenantid}")
    QUrl authorizationEndpoint;
    QUrl tokenEndpoint;
    QUrl userinfoEndpoint;
    QUrl jwksUri;
    QUrl endSessionEndpoint;
    QUrl deviceAuthorizationEndpoint; // RFC 8628 §4
    QUrl revocationEndpoint;
    QStringList codeChallengeMethods;
    QStringList idTokenSigningAlgorithms; // id_token_signing_alg_values_supported
    bool authorizationResponseIssParameterSupported = false; // RFC 9207
};

// Fetches and checks <issuer>/.well-known/openid-configuration: one job, one finished() signal,
// result() or error() read afterwards.
class OidcDiscovery : public QObject
{
    Q_OBJECT
public:
    // Decides whether the document's issuer is acceptable: an empty string, or why not.
    using IssuerCheck = std::function<QString(const QString &documentIssuer)>;

    OidcDiscovery(QNetworkAccessManager *network, const QUrl &issuer, const QString &providerName, QObject *parent = nullptr);
    // Replaces the exact comparison of Discovery §4.3 (Microsoft's documents differ; docs/providers.md).
    void setIssuerCheck(IssuerCheck check) { m_issuerCheck = std::move(check); }
    ~OidcDiscovery() override;

    void start();

    const ProviderMetadata &result() const { return m_metadata; }
    const SignInError &error() const { return m_error; }

    static QUrl discoveryUrl(const QUrl &issuer);
    // Checks a parsed document against the issuer the administrator configured.
    static SignInError parse(const QJsonObject &document, const QUrl &configuredIssuer, const QString &providerName, ProviderMetadata *out,
                             const IssuerCheck &issuerCheck = {});

Q_SIGNALS:
    void finished();

private:
    void onReplyFinished();

    QNetworkAccessManager *m_network;
    QUrl m_issuer;
    QString m_providerName;
    QPointer<QNetworkReply> m_reply;
    ProviderMetadata m_metadata;
    SignInError m_error;
    IssuerCheck m_issuerCheck;
};

} // namespace Signet
