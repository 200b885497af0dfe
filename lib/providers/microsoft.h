#pragma once

#include "providerrules.h"

namespace Signet {

// Microsoft Entra ID (type = microsoft), v2.0 endpoints. The rules, each explained in
// docs/providers.md:
// - The multi-tenant discovery document names the issuer https://<authority>/{tenantid}/v2.0;
//   a token is accepted only when its iss equals that template filled with its own tid, and the
//   tid is an allowed tenant. Personal accounts (tid 9188040d-...) only when configured.
// - The account is tid + oid; sub is pairwise per application and e-mail is never a key.
// - The `email` claim is mutable and unverified ("nOAuth"): it counts as an address only with
//   xms_edov = true. Otherwise the directory's mail (or, without one, the UPN) counts, read
//   from Microsoft Graph, only for members (never #EXT# guests) and only in a domain the tenant
//   has verified (Graph /organization verifiedDomains).
class MicrosoftRules : public ProviderRules
{
public:
    using ProviderRules::ProviderRules;

    OidcDiscovery::IssuerCheck discoveryIssuerCheck() const override;
    QList<ProfileRequest> profileRequests(const ProviderMetadata &metadata, const QStringList &grantedScopes) const override;
    std::chrono::seconds profileTimeout() const override { return m_provider.graphTimeout; }
    SignInError buildIdentity(const QJsonObject &claims, const QMap<QString, JsonResponse> &profiles, Identity *identity) const override;
    SignInError recheck(const Identity &identity) const override;

private:
    QString issuerPrefix() const;
    QString verifiedAddress(const QJsonObject &claims, const QMap<QString, JsonResponse> &profiles, const QString &objectId) const;
};

} // namespace Signet
