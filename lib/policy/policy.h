#pragma once

#include "accountregistry.h"
#include "auth/signinerror.h"
#include "config/config.h"
#include "session/identity.h"

#include <QJsonObject>

namespace Signet {

// Decides, after a provider has said who someone is, whether they may be this desktop's identity
// and with which roles (docs/policy.md):
// 1. allowed_domains: a verified address in an allowed domain (EmailDomain), unless "*";
// 2. the account registry: known accounts are admitted; new ones only with auto_register or when
//    pre-registered; staff and admins grant roles at registration (always_update: every time);
// 3. [roles]: provider facts (app roles, groups, organisations, teams, claims) grant Signet roles
//    at every sign-in.
// A refusal is policy_refused with the rule in `check` and IT's refusal_help appended.
class Policy
{
public:
    Policy(const PolicyConfig &policy, AccountRegistry *registry);

    // On success fills identity->signetRoles (and rolesComplete) and records the sign-in.
    SignInError admit(const ProviderConfig &provider, const QJsonObject &claims, Identity *identity);
    // The same decision for someone already signed in, after the policy changed: nothing is
    // registered or recorded; the roles are recomputed.
    SignInError recheck(const ProviderConfig &provider, const QJsonObject &claims, Identity *identity);

    // The roles [roles] grants for this identity. `complete` is false when a group decides and the
    // provider could not list all groups (Entra overage): unknown, never "not a member".
    static QStringList mappedRoles(const QMap<QString, QStringList> &roleMap, const Identity &identity, const QJsonObject &claims, bool *complete);
    // Whether an address is in a list of addresses or "*" (staff, admins).
    static bool listed(const QStringList &list, const QString &verifiedAddress);

    // A refusal as the policy words it: policy_refused, the rule in `check`, IT's refusal_help added.
    SignInError refuse(const QString &message, const QString &check) const;

private:
    enum class Mode { SignIn, Recheck };
    SignInError decide(const ProviderConfig &provider, const QJsonObject &claims, Identity *identity, Mode mode);

    PolicyConfig m_policy;
    AccountRegistry *m_registry;
};

} // namespace Signet
