#pragma once

#include "auth/discovery.h"
#include "auth/signinerror.h"
#include "config/config.h"
#include "net/boundednetworkaccessmanager.h"
#include "session/identity.h"

#include <QJsonObject>
#include <QMap>
#include <QMultiMap>
#include <QUrl>
#include <QVariant>

#include <chrono>
#include <memory>

namespace Signet {

// What sets one provider type apart from generic OpenID Connect: how its issuer is checked, what
// the authorization request carries, where the profile comes from and which claims may be
// trusted for what. One subclass per `type`; SignInAttempt asks its rules at each step.
// docs/providers.md describes each type's rules for administrators.
class ProviderRules
{
public:
    explicit ProviderRules(const ProviderConfig &provider);
    virtual ~ProviderRules();

    static std::unique_ptr<ProviderRules> create(const ProviderConfig &provider);

    // One name per scope: Google answers with the long names of its OpenID Connect scopes, which are
    // the same scopes ("OAuth 2.0 Scopes for Google APIs": email = .../auth/userinfo.email, profile =
    // .../auth/userinfo.profile). Used wherever scopes are compared.
    static QString canonicalScope(const QString &scope);
    static QStringList canonicalScopes(const QStringList &scopes);

    // OpenID Connect providers are discovered; plain OAuth ones (GitHub) are configured.
    virtual bool usesDiscovery() const { return true; }
    virtual ProviderMetadata configuredMetadata() const { return {}; }
    // Replaces the exact issuer comparison of Discovery §4.3 when the provider needs it.
    virtual OidcDiscovery::IssuerCheck discoveryIssuerCheck() const { return {}; }
    // Issuers besides the document's that an ID token may name.
    virtual QStringList alternativeIssuers(const QString &tokenIssuer) const;
    // Provider-specific parameters of the authorization request.
    virtual void addAuthorizationParameters(QMultiMap<QString, QVariant> *parameters) const;

    // The requests, made with the access token after the ID token was accepted, that complete the
    // profile. A required request that fails fails the sign-in; an optional one is left out.
    struct ProfileRequest {
        QString name;
        QUrl url;
        bool required = true;
        JsonResponse::Shape shape = JsonResponse::Shape::Object;
        QList<QPair<QByteArray, QByteArray>> headers = {};
    };
    virtual QList<ProfileRequest> profileRequests(const ProviderMetadata &metadata, const QStringList &grantedScopes) const;
    virtual std::chrono::seconds profileTimeout() const { return m_provider.httpTimeout; }

    // The identity from the validated ID token's claims and the profile answers (by request name),
    // or why this person cannot sign in with this provider.
    virtual SignInError buildIdentity(const QJsonObject &claims, const QMap<QString, JsonResponse> &profiles, Identity *identity) const;

    // For someone already signed in, after the configuration changed (reload, restore): whether the
    // provider's own rules (tenants, Workspace domain, organisations) still admit them.
    virtual SignInError recheck(const Identity &identity) const;

    // Claims longer than this are dropped, never cut: a shortened e-mail address would be someone
    // else's. Keeps every identity inside one protocol message.
    static constexpr qsizetype MaxClaimLength = 2048;
    // At most this many roles or groups are kept; more means the list is incomplete.
    static constexpr qsizetype MaxListEntries = 500;

protected:
    static QString boundedText(const QJsonValue &value, const char *name);
    static QStringList boundedList(const QJsonValue &value, const char *name, bool *truncated = nullptr);

    ProviderConfig m_provider;
};

} // namespace Signet
