#include "providerrules.h"

#include "github.h"
#include "google.h"
#include "logging/logging.h"
#include "microsoft.h"

#include <QJsonArray>

namespace Signet {

ProviderRules::ProviderRules(const ProviderConfig &provider)
    : m_provider(provider)
{
}

ProviderRules::~ProviderRules() = default;

std::unique_ptr<ProviderRules> ProviderRules::create(const ProviderConfig &provider)
{
    if (provider.type == QLatin1String("google"))
        return std::make_unique<GoogleRules>(provider);
    if (provider.type == QLatin1String("microsoft"))
        return std::make_unique<MicrosoftRules>(provider);
    if (provider.type == QLatin1String("github"))
        return std::make_unique<GitHubRules>(provider);
    return std::make_unique<ProviderRules>(provider);
}

QStringList ProviderRules::alternativeIssuers(const QString &) const
{
    return {};
}

void ProviderRules::addAuthorizationParameters(QMultiMap<QString, QVariant> *) const
{
}

QList<ProviderRules::ProfileRequest> ProviderRules::profileRequests(const ProviderMetadata &metadata, const QStringList &) const
{
    if (!metadata.userinfoEndpoint.isValid())
        return {};
    return {{QStringLiteral("userinfo"), metadata.userinfoEndpoint, true}};
}

SignInError ProviderRules::buildIdentity(const QJsonObject &claims, const QMap<QString, JsonResponse> &profiles, Identity *identity) const
{
    QJsonObject userinfo = profiles.value(QStringLiteral("userinfo")).body;
    // Core §5.3.2: userinfo about another subject is not about this person: discard it.
    if (!userinfo.isEmpty() && userinfo.value(QLatin1String("sub")).toString() != claims.value(QLatin1String("sub")).toString()) {
        qCWarning(lcAuth) << "discarded userinfo whose subject differs from the ID token's";
        userinfo = {};
    }
    auto claim = [&](const char *name) {
        const QJsonValue value = userinfo.value(QLatin1String(name));
        return value.isUndefined() ? claims.value(QLatin1String(name)) : value;
    };
    identity->subject = claims.value(QLatin1String("sub")).toString();
    identity->accountKey = identity->subject;
    // The address and whether it is verified come from the same source: a verified address in the
    // ID token must not vouch for a different one in userinfo.
    const bool fromUserinfo = userinfo.contains(QLatin1String("email"));
    const QJsonObject &source = fromUserinfo ? userinfo : claims;
    identity->email = boundedText(source.value(QLatin1String("email")), "email");
    // Only a JSON true counts; some providers send the string "true" — not accepted here.
    identity->emailVerified = !identity->email.isEmpty() && source.value(QLatin1String("email_verified")).toBool(false);
    identity->name = boundedText(claim("name"), "name");
    identity->picture = boundedText(claim("picture"), "picture");
    return {};
}

SignInError ProviderRules::recheck(const Identity &) const
{
    return {};
}

QString ProviderRules::boundedText(const QJsonValue &value, const char *name)
{
    const QString text = value.toString();
    if (text.size() <= MaxClaimLength)
        return text;
    qCWarning(lcAuth) << "ignored an over-long" << name << "claim";
    return {};
}

QStringList ProviderRules::boundedList(const QJsonValue &value, const char *name, bool *truncated)
{
    QStringList list;
    const QJsonArray array = value.toArray();
    for (const QJsonValue &entry : array) {
        const QString text = entry.toString();
        if (text.isEmpty() || text.size() > 256)
            continue;
        if (list.size() == MaxListEntries) {
            qCWarning(lcAuth) << "kept only the first" << MaxListEntries << "entries of the" << name << "claim";
            if (truncated)
                *truncated = true;
            break;
        }
        list << text;
    }
    return list;
}

QString ProviderRules::canonicalScope(const QString &scope)
{
    if (scope == QLatin1String("https://www.googleapis.com/auth/userinfo.email"))
        return QStringLiteral("email");
    if (scope == QLatin1String("https://www.googleapis.com/auth/userinfo.profile"))
        return QStringLiteral("profile");
    return scope;
}

QStringList ProviderRules::canonicalScopes(const QStringList &scopes)
{
    QStringList result;
    for (const QString &scope : scopes)
        result << canonicalScope(scope);
    result.removeDuplicates();
    return result;
}

} // namespace Signet
