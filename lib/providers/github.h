#pragma once

#include "providerrules.h"

namespace Signet {

// GitHub and GitHub Enterprise Server (type = github): OAuth 2.0 without OpenID Connect, so there
// is no ID token; who signed in comes from the REST API with the access token:
// - the account is the numeric user id (`/user` id), never the login, which can be renamed;
// - the address is the primary one, and only when GitHub marks it verified (`/user/emails`);
// - with allowed_orgs, an active membership (not a pending invitation) in one of them is
//   required (`/user/memberships/orgs`); teams (`/user/teams`) are kept for role mapping.
class GitHubRules : public ProviderRules
{
public:
    using ProviderRules::ProviderRules;

    bool usesDiscovery() const override { return false; }
    ProviderMetadata configuredMetadata() const override;
    QList<ProfileRequest> profileRequests(const ProviderMetadata &metadata, const QStringList &grantedScopes) const override;
    SignInError buildIdentity(const QJsonObject &claims, const QMap<QString, JsonResponse> &profiles, Identity *identity) const override;
    SignInError recheck(const Identity &identity) const override;
};

} // namespace Signet
