#include "microsoft.h"

#include "logging/logging.h"
#include "net/wellformed.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>
#include <QUrlQuery>

namespace Signet {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("Signet::MicrosoftRules", text);
}

// The domain of an address: after the last '@', lower case; empty when there is none.
QString domainOf(const QString &address)
{
    const qsizetype at = address.lastIndexOf(QLatin1Char('@'));
    return at <= 0 ? QString() : address.mid(at + 1).toLower();
}
} // namespace

QString MicrosoftRules::issuerPrefix() const
{
    return m_provider.authorityHost.toString(QUrl::StripTrailingSlash) + QLatin1Char('/');
}

OidcDiscovery::IssuerCheck MicrosoftRules::discoveryIssuerCheck() const
{
    // The document of a named tenant names the tenant's GUID even when it was fetched by domain
    // (contoso.onmicrosoft.com), and the multi-tenant ones name the {tenantid} template: so the
    // exact comparison of Discovery §4.3 cannot hold. What must hold instead: the same authority
    // host, the v2.0 form, and a tenant part that is the template or a GUID — the configured one
    // when a GUID was configured.
    const QString prefix = issuerPrefix();
    const QString tenant = m_provider.tenant;
    return [prefix, tenant](const QString &issuer) -> QString {
        const QString problem = QStringLiteral("names the issuer '%1', which is not %2<tenant id>/v2.0").arg(issuer.left(200), prefix);
        if (!issuer.startsWith(prefix) || !issuer.endsWith(QLatin1String("/v2.0")))
            return problem;
        const QString part = issuer.mid(prefix.size(), issuer.size() - prefix.size() - 5);
        if (part != QLatin1String("{tenantid}") && !isGuid(part))
            return problem;
        if (isGuid(tenant) && part != tenant && part != QLatin1String("{tenantid}"))
            return QStringLiteral("belongs to tenant %1, not the configured %2").arg(part, tenant);
        return {};
    };
}

QList<ProviderRules::ProfileRequest> MicrosoftRules::profileRequests(const ProviderMetadata &, const QStringList &grantedScopes) const
{
    // Graph needs a token for Graph: only when User.Read was granted (the default extra scope).
    const bool graph = std::any_of(grantedScopes.cbegin(), grantedScopes.cend(), [](const QString &scope) {
        return scope.compare(QLatin1String("User.Read"), Qt::CaseInsensitive) == 0
            || scope.compare(QLatin1String("https://graph.microsoft.com/User.Read"), Qt::CaseInsensitive) == 0;
    });
    if (!graph)
        return {};
    const QString base = m_provider.graphUrl.toString(QUrl::StripTrailingSlash);
    QUrl me(base + QStringLiteral("/v1.0/me"));
    me.setQuery(QStringLiteral("$select=id,displayName,mail,userPrincipalName,userType"));
    QUrl organization(base + QStringLiteral("/v1.0/organization"));
    organization.setQuery(QStringLiteral("$select=id,verifiedDomains"));
    // Optional: a profile Graph cannot give (a personal account has no organisation; a network
    // hiccup) leaves the address unverified, it does not block the sign-in.
    // The photo for the avatar (G2: 404 when there is none); a sized variant keeps it small.
    const QUrl photo(base + QStringLiteral("/v1.0/me/photos/240x240/$value"));
    return {{QStringLiteral("me"), me, false},
            {QStringLiteral("organization"), organization, false},
            {QStringLiteral("photo"), photo, false, JsonResponse::Shape::Bytes, {{"Accept", "image/*"}}}};
}

QString MicrosoftRules::verifiedAddress(const QJsonObject &claims, const QMap<QString, JsonResponse> &profiles, const QString &objectId) const
{
    // 1. The email claim, only when Entra says the domain owner verified it (optional claim
    //    xms_edov). Without it, anyone who controls a tenant can put any address there.
    const QString email = boundedText(claims.value(QLatin1String("email")), "email");
    if (!email.isEmpty() && claims.value(QLatin1String("xms_edov")).toBool(false))
        return email;

    // 2. The directory's own record, from Graph, about this very object.
    const JsonResponse me = profiles.value(QStringLiteral("me"));
    const JsonResponse organization = profiles.value(QStringLiteral("organization"));
    if (!me.ok() || !organization.ok())
        return {};
    if (me.body.value(QLatin1String("id")).toString() != objectId) {
        qCWarning(lcAuth) << "discarded a Graph profile of another object than the ID token's";
        return {};
    }
    const QString userPrincipalName = boundedText(me.body.value(QLatin1String("userPrincipalName")), "userPrincipalName");
    // Guests carry their home address in a mangled UPN (alice_home.com#EXT#@corp.onmicrosoft.com)
    // and their mail is whatever their home directory says: never an address of this tenant.
    if (me.body.value(QLatin1String("userType")).toString() != QLatin1String("Member") || userPrincipalName.contains(QLatin1String("#EXT#")))
        return {};
    QString address = boundedText(me.body.value(QLatin1String("mail")), "mail");
    if (address.isEmpty())
        address = userPrincipalName; // no mail attribute: the UPN, under the same domain rule
    QSet<QString> verifiedDomains;
    const QJsonArray organizations = organization.body.value(QLatin1String("value")).toArray();
    for (const QJsonValue &org : organizations) {
        if (org.toObject().value(QLatin1String("id")).toString() != claims.value(QLatin1String("tid")).toString())
            continue;
        const QJsonArray domains = org.toObject().value(QLatin1String("verifiedDomains")).toArray();
        for (const QJsonValue &domain : domains)
            verifiedDomains.insert(domain.toObject().value(QLatin1String("name")).toString().toLower());
    }
    const QString domain = domainOf(address);
    if (domain.isEmpty() || !verifiedDomains.contains(domain))
        return {};
    return address;
}

SignInError MicrosoftRules::buildIdentity(const QJsonObject &claims, const QMap<QString, JsonResponse> &profiles, Identity *identity) const
{
    const QString tenantId = claims.value(QLatin1String("tid")).toString();
    const QString objectId = claims.value(QLatin1String("oid")).toString();
    if (!isGuid(tenantId) || !isGuid(objectId)) {
        return {SignInError::Code::ProviderError,
                tr("The ID token from %1 lacks the tenant or object id (tid, oid) that identify the account. Ask IT to check that the 'profile' scope is configured.")
                    .arg(m_provider.displayName),
                QStringLiteral("account")};
    }
    if (tenantId == MicrosoftPersonalTenant) {
        if (!m_provider.allowPersonalAccounts) {
            return {SignInError::Code::PolicyRefused,
                    tr("This is a personal Microsoft account; this desktop accepts only work or school accounts. Sign in with the account your organisation gave you."),
                    QStringLiteral("tenant")};
        }
    } else {
        // A named tenant configured by domain has no allowed_tenants: its own document named it.
        QStringList allowed = m_provider.allowedTenants;
        if (allowed.isEmpty() && m_provider.tenant != QLatin1String("organizations") && m_provider.tenant != QLatin1String("common"))
            allowed << tenantId; // the issuer check already bound the token to the configured tenant
        if (!allowed.contains(QStringLiteral("*")) && !allowed.contains(tenantId)) {
            return {SignInError::Code::PolicyRefused,
                    tr("Your account belongs to a Microsoft directory (tenant %1) that this desktop does not accept. Sign in with your organisation's account, or ask IT to add the tenant.")
                        .arg(tenantId),
                    QStringLiteral("tenant")};
        }
    }

    identity->subject = claims.value(QLatin1String("sub")).toString();
    identity->accountKey = tenantId + QLatin1Char('/') + objectId;
    identity->tenantId = tenantId;
    identity->username = boundedText(claims.value(QLatin1String("preferred_username")), "preferred_username");
    const JsonResponse me = profiles.value(QStringLiteral("me"));
    const bool graphAboutThisUser = me.ok() && me.body.value(QLatin1String("id")).toString() == objectId;
    identity->name = boundedText(claims.value(QLatin1String("name")), "name");
    if (identity->name.isEmpty() && graphAboutThisUser)
        identity->name = boundedText(me.body.value(QLatin1String("displayName")), "displayName");

    const QString address = verifiedAddress(claims, profiles, objectId);
    if (!address.isEmpty()) {
        identity->email = address;
        identity->emailVerified = true;
    } else {
        // Shown as information, never used as proof of an address.
        identity->email = boundedText(claims.value(QLatin1String("email")), "email");
        identity->emailVerified = false;
    }

    const JsonResponse photo = profiles.value(QStringLiteral("photo"));
    static const QList<QByteArray> imageTypes{"image/jpeg", "image/png", "image/gif"};
    const QByteArray photoType = photo.contentType.split(';').first().trimmed().toLower();
    if (graphAboutThisUser && photo.ok() && !photo.bytes.isEmpty() && photo.bytes.size() <= Identity::MaxAvatarBytes && imageTypes.contains(photoType)) {
        identity->avatar = photo.bytes;
        identity->avatarType = photoType;
    }

    bool truncated = false;
    identity->roles = boundedList(claims.value(QLatin1String("roles")), "roles");
    identity->groups = boundedList(claims.value(QLatin1String("groups")), "groups", &truncated);
    // Overage: with too many groups Entra leaves `groups` out and points at Graph instead
    // (_claim_names.groups, or hasgroups = true). That is "unknown", never "no groups".
    const bool overage = claims.value(QLatin1String("_claim_names")).toObject().contains(QLatin1String("groups"))
        || claims.value(QLatin1String("hasgroups")).toBool(false);
    identity->groupsOverage = overage || truncated;
    return {};
}

SignInError MicrosoftRules::recheck(const Identity &identity) const
{
    bool admitted = false;
    if (identity.tenantId == MicrosoftPersonalTenant)
        admitted = m_provider.allowPersonalAccounts;
    else if (!m_provider.allowedTenants.isEmpty())
        admitted = m_provider.allowedTenants.contains(QStringLiteral("*")) || m_provider.allowedTenants.contains(identity.tenantId);
    else // a tenant configured by its domain: the tenant it signed in with (a change of domain is not seen here)
        admitted = m_provider.tenant != QLatin1String("organizations") && m_provider.tenant != QLatin1String("common");
    if (!admitted)
        return {SignInError::Code::PolicyRefused, tr("This desktop no longer accepts accounts of the Microsoft directory %1.").arg(identity.tenantId), QStringLiteral("tenant")};
    return {};
}

} // namespace Signet
