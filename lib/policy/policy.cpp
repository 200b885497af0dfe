#include "policy.h"

#include "emaildomain.h"
#include "logging/logging.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QUrl>

namespace Signet {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("Signet::Policy", text);
}

// Domains as people read them (Unicode), for messages.
QString readableDomains(const QStringList &domains)
{
    QStringList readable;
    for (const QString &domain : domains)
        readable << QUrl::fromAce(domain.toLatin1(), QUrl::IgnoreIDNWhitelist);
    return readable.join(QStringLiteral(", "));
}
} // namespace

Policy::Policy(const PolicyConfig &policy, AccountRegistry *registry)
    : m_policy(policy)
    , m_registry(registry)
{
}

SignInError Policy::refuse(const QString &message, const QString &check) const
{
    QString text = message;
    if (!m_policy.refusalHelp.isEmpty())
        text += QLatin1Char(' ') + m_policy.refusalHelp;
    qCInfo(lcSession).noquote() << "sign-in refused by policy:" << check;
    return {SignInError::Code::PolicyRefused, text, check};
}

bool Policy::listed(const QStringList &list, const QString &verifiedAddress)
{
    return list.contains(QStringLiteral("*")) || (!verifiedAddress.isEmpty() && list.contains(verifiedAddress.toLower()));
}

QStringList Policy::mappedRoles(const QMap<QString, QStringList> &roleMap, const Identity &identity, const QJsonObject &claims, bool *complete)
{
    QStringList roles;
    bool allKnown = true;
    for (auto it = roleMap.cbegin(); it != roleMap.cend(); ++it) {
        bool granted = false;
        for (const QString &source : it.value()) {
            const qsizetype colon = source.indexOf(QLatin1Char(':'));
            const QString kind = source.left(colon);
            const QString value = source.mid(colon + 1);
            if (kind == QLatin1String("role")) {
                granted = identity.roles.contains(value);
            } else if (kind == QLatin1String("group")) {
                granted = identity.groups.contains(value);
                if (!granted && identity.groupsOverage)
                    allKnown = false; // maybe a member: the provider could not say
            } else if (kind == QLatin1String("org")) {
                granted = identity.organizations.contains(value.toLower());
            } else if (kind == QLatin1String("team")) {
                granted = identity.teams.contains(value.toLower());
            } else if (kind == QLatin1String("claim")) {
                const qsizetype equals = value.indexOf(QLatin1Char('='));
                const QJsonValue claim = claims.value(value.left(equals));
                const QString wanted = value.mid(equals + 1);
                granted = claim.toString() == wanted && claim.isString();
                if (claim.isArray())
                    granted = claim.toArray().contains(QJsonValue(wanted));
                if (claim.isBool())
                    granted = (claim.toBool() ? QStringLiteral("true") : QStringLiteral("false")) == wanted;
            }
            if (granted)
                break;
        }
        if (granted)
            roles << it.key();
    }
    if (complete)
        *complete = allKnown;
    return roles;
}

SignInError Policy::admit(const ProviderConfig &provider, const QJsonObject &claims, Identity *identity)
{
    return decide(provider, claims, identity, Mode::SignIn);
}

SignInError Policy::recheck(const ProviderConfig &provider, const QJsonObject &claims, Identity *identity)
{
    return decide(provider, claims, identity, Mode::Recheck);
}

SignInError Policy::decide(const ProviderConfig &provider, const QJsonObject &claims, Identity *identity, Mode mode)
{
    // 1. Domains. No silent "everyone": without the key nobody is admitted.
    const std::optional<QStringList> allowed = provider.allowedDomains ? provider.allowedDomains : m_policy.allowedDomains;
    if (!allowed) {
        return refuse(tr("Signet on this computer has not been told whom to admit. IT must set allowed_domains (for example allowed_domains = example.com, or * for anyone)."),
                      QStringLiteral("allowed_domains"));
    }
    const bool anyone = allowed->contains(QStringLiteral("*"));
    const QString verifiedAddress = identity->emailVerified ? identity->email : QString();
    if (!anyone) {
        if (verifiedAddress.isEmpty()) {
            return refuse(tr("Your %1 account has no verified e-mail address, and this computer admits people by the domain of their address (%2). Verify your address with %1, or sign in with your work account.")
                              .arg(provider.displayName, readableDomains(*allowed)),
                          QStringLiteral("email_verified"));
        }
        QString problem;
        if (!EmailDomain::isAllowed(verifiedAddress, *allowed, &problem)) {
            return refuse(tr("%1 cannot sign in on this computer: %2. Accounts of %3 are admitted; sign in with one of those.")
                              .arg(verifiedAddress.left(254), problem, readableDomains(*allowed)),
                          QStringLiteral("allowed_domains"));
        }
    }

    // 2. The registry: accounts, never addresses, are what is registered.
    const QString accountKey = identity->account();
    const RegisteredAccount *known = m_registry ? m_registry->find(identity->issuer, accountKey) : nullptr;
    const bool preregistered = m_policy.preregistered.contains(provider.id + QLatin1Char(':') + accountKey)
        || (!verifiedAddress.isEmpty() && m_policy.preregistered.contains(verifiedAddress.toLower()));
    if (!known && !m_policy.autoRegister && !preregistered) {
        return refuse(tr("This account (%1) is not registered on this computer, and new accounts are not registered automatically. Ask IT to register it.")
                          .arg(verifiedAddress.isEmpty() ? provider.id + QLatin1Char(':') + accountKey : verifiedAddress),
                      QStringLiteral("not_registered"));
    }

    const QDateTime now = QDateTime::currentDateTimeUtc();
    RegisteredAccount account = known ? *known : RegisteredAccount{};
    if (!known || m_policy.alwaysUpdate) {
        account.roles.removeAll(QStringLiteral("staff"));
        account.roles.removeAll(QStringLiteral("admin"));
        if (listed(m_policy.staff, verifiedAddress))
            account.roles << QStringLiteral("staff");
        if (listed(m_policy.admins, verifiedAddress))
            account.roles << QStringLiteral("admin");
    }
    if (!known) {
        account.issuer = identity->issuer;
        account.account = accountKey;
        account.registeredAt = now;
        if (mode == Mode::SignIn)
            qCInfo(lcSession).noquote() << "registered a new account of provider" << provider.id;
    }
    account.provider = provider.id;
    account.email = identity->email;
    account.name = identity->name;
    account.lastSignInAt = now;

    // 3. Roles from the provider's facts, at every sign-in (they change at the provider).
    bool complete = true;
    QStringList roles = account.roles + mappedRoles(m_policy.roleMap, *identity, claims, &complete);
    roles.removeDuplicates();
    roles.sort();
    identity->signetRoles = roles;
    identity->rolesComplete = complete;
    if (!complete)
        qCWarning(lcSession) << "roles that depend on groups are unknown: the provider could not list all groups (overage)";

    if (m_registry && mode == Mode::SignIn) {
        m_registry->upsert(account);
        QString problem;
        if (!m_registry->save(&problem))
            qCWarning(lcSession).noquote() << problem; // the sign-in stands; the next one registers again
    }
    return {};
}

} // namespace Signet
