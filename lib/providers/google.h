#pragma once

#include "providerrules.h"

namespace Signet {

// Google (type = google). Google's own rules for relying parties (OpenID Connect reference and
// "Verify the Google ID token"): iss is https://accounts.google.com or accounts.google.com; the
// address counts only with email_verified; a Workspace domain is enforced from the ID token's hd
// claim, never from the hd request parameter (a hint for the account chooser only).
class GoogleRules : public ProviderRules
{
public:
    using ProviderRules::ProviderRules;

    QStringList alternativeIssuers(const QString &tokenIssuer) const override;
    void addAuthorizationParameters(QMultiMap<QString, QVariant> *parameters) const override;
    SignInError buildIdentity(const QJsonObject &claims, const QMap<QString, JsonResponse> &profiles, Identity *identity) const override;
    SignInError recheck(const Identity &identity) const override;
};

} // namespace Signet
