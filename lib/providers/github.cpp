#include "github.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QUrlQuery>

namespace Signet {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("Signet::GitHubRules", text);
}
} // namespace

ProviderMetadata GitHubRules::configuredMetadata() const
{
    ProviderMetadata metadata;
    metadata.issuer = m_provider.issuer;
    metadata.tokenIssuer = m_provider.issuer.toString();
    metadata.authorizationEndpoint = m_provider.authorizationEndpoint;
    metadata.tokenEndpoint = m_provider.tokenEndpoint;
    // PKCE S256 only ("plain is not supported"); GitHub has accepted it since 2025-07-14.
    metadata.codeChallengeMethods = {QStringLiteral("S256")};
    return metadata;
}

QList<ProviderRules::ProfileRequest> GitHubRules::profileRequests(const ProviderMetadata &, const QStringList &grantedScopes) const
{
    const QString api = m_provider.apiUrl.toString(QUrl::StripTrailingSlash);
    // The REST API version Signet was written against (GitHub's versioned API, 2022-11-28).
    const QList<QPair<QByteArray, QByteArray>> headers{{"X-GitHub-Api-Version", "2022-11-28"}};
    auto endpoint = [&](const QString &path, const QString &query = {}) {
        QUrl url(api + path);
        url.setQuery(query);
        return url;
    };
    QList<ProfileRequest> requests{
        {QStringLiteral("user"), endpoint(QStringLiteral("/user")), true, JsonResponse::Shape::Object, headers},
        {QStringLiteral("emails"), endpoint(QStringLiteral("/user/emails"), QStringLiteral("per_page=100")), true, JsonResponse::Shape::Array, headers},
    };
    // Both states: a pending invitation gets its own message ("accept the invitation").
    if (!m_provider.allowedOrgs.isEmpty()) {
        requests.append({QStringLiteral("memberships"), endpoint(QStringLiteral("/user/memberships/orgs"), QStringLiteral("per_page=100")), true,
                         JsonResponse::Shape::Array, headers});
    }
    if (grantedScopes.contains(QStringLiteral("read:org")) || grantedScopes.contains(QStringLiteral("user")))
        requests.append({QStringLiteral("teams"), endpoint(QStringLiteral("/user/teams"), QStringLiteral("per_page=100")), false, JsonResponse::Shape::Array, headers});
    return requests;
}

SignInError GitHubRules::buildIdentity(const QJsonObject &, const QMap<QString, JsonResponse> &profiles, Identity *identity) const
{
    const QJsonObject user = profiles.value(QStringLiteral("user")).body;
    // The numeric id: logins can be renamed and then claimed by someone else.
    const QJsonValue id = user.value(QLatin1String("id"));
    const double number = id.toDouble(-1);
    if (!id.isDouble() || number < 1 || number > 9007199254740992.0 || number != double(qint64(number))) {
        return {SignInError::Code::ProviderError, tr("%1 did not say which account signed in (no numeric id in /user). Try again later or ask IT.").arg(m_provider.displayName),
                QStringLiteral("account")};
    }
    identity->subject = QString::number(qint64(number));
    identity->accountKey = identity->subject;
    identity->username = boundedText(user.value(QLatin1String("login")), "login");
    identity->name = boundedText(user.value(QLatin1String("name")), "name");
    if (identity->name.isEmpty())
        identity->name = identity->username;
    identity->picture = boundedText(user.value(QLatin1String("avatar_url")), "avatar_url");

    // The primary address, and only when verified. The public `email` of /user is whatever the
    // person typed into their profile: never used.
    const QJsonArray emails = profiles.value(QStringLiteral("emails")).array;
    for (const QJsonValue &entry : emails) {
        const QJsonObject email = entry.toObject();
        if (email.value(QLatin1String("primary")).toBool(false)) {
            identity->email = boundedText(email.value(QLatin1String("email")), "email");
            identity->emailVerified = !identity->email.isEmpty() && email.value(QLatin1String("verified")).toBool(false);
        }
    }

    QStringList pending;
    for (const QJsonValue &entry : profiles.value(QStringLiteral("memberships")).array) {
        const QJsonObject membership = entry.toObject();
        const QString org = membership.value(QLatin1String("organization")).toObject().value(QLatin1String("login")).toString().toLower();
        if (org.isEmpty() || org.size() > 39)
            continue;
        const QString state = membership.value(QLatin1String("state")).toString();
        if (state == QLatin1String("active"))
            identity->organizations << org;
        else if (state == QLatin1String("pending"))
            pending << org;
    }
    for (const QJsonValue &entry : profiles.value(QStringLiteral("teams")).array) {
        const QJsonObject team = entry.toObject();
        const QString org = team.value(QLatin1String("organization")).toObject().value(QLatin1String("login")).toString().toLower();
        const QString slug = team.value(QLatin1String("slug")).toString();
        if (!org.isEmpty() && !slug.isEmpty() && org.size() + slug.size() < 200 && identity->teams.size() < MaxListEntries)
            identity->teams << org + QLatin1Char('/') + slug;
    }

    if (!m_provider.allowedOrgs.isEmpty()) {
        const bool member = std::any_of(m_provider.allowedOrgs.cbegin(), m_provider.allowedOrgs.cend(),
                                        [&](const QString &org) { return identity->organizations.contains(org); });
        if (!member) {
            QStringList invited;
            for (const QString &org : m_provider.allowedOrgs) {
                if (pending.contains(org))
                    invited << org;
            }
            const QString host = m_provider.issuer.toString(QUrl::StripTrailingSlash);
            return {SignInError::Code::PolicyRefused,
                    invited.isEmpty()
                        ? tr("Your GitHub account %1 is not a member of %2. Ask an owner of the organisation to invite you.")
                              .arg(identity->username, m_provider.allowedOrgs.join(QStringLiteral(", ")))
                        : tr("Your GitHub account %1 has been invited to %2 but has not accepted yet. Accept the invitation at %3/orgs/%2/invitation, then sign in again.")
                              .arg(identity->username, invited.first(), host),
                    QStringLiteral("organization")};
        }
    }
    return {};
}

SignInError GitHubRules::recheck(const Identity &identity) const
{
    if (m_provider.allowedOrgs.isEmpty())
        return {};
    const bool member = std::any_of(m_provider.allowedOrgs.cbegin(), m_provider.allowedOrgs.cend(),
                                    [&](const QString &org) { return identity.organizations.contains(org); });
    if (!member)
        return {SignInError::Code::PolicyRefused, tr("This desktop now requires membership of %1.").arg(m_provider.allowedOrgs.join(QStringLiteral(", "))),
                QStringLiteral("organization")};
    return {};
}

} // namespace Signet
