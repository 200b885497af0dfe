#include "identity.h"

#include <QJsonArray>

namespace Signet {

namespace {
QJsonValue stringOrNull(const QString &value)
{
    return value.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(value);
}
QJsonValue timeOrNull(const QDateTime &value)
{
    return value.isValid() ? QJsonValue(value.toUTC().toString(Qt::ISODate)) : QJsonValue(QJsonValue::Null);
}
} // namespace

QJsonObject Identity::toJson(const QDateTime &now) const
{
    QJsonObject json{
        {QStringLiteral("provider"), provider},
        {QStringLiteral("issuer"), issuer},
        {QStringLiteral("subject"), subject},
        {QStringLiteral("email"), stringOrNull(email)},
        {QStringLiteral("email_verified"), emailVerified},
        {QStringLiteral("name"), stringOrNull(name)},
        {QStringLiteral("picture"), stringOrNull(picture)},
        {QStringLiteral("signed_in_at"), timeOrNull(signedInAt)},
        {QStringLiteral("expires_at"), timeOrNull(expiresAt)},
        {QStringLiteral("expires_in"), expiresAt.isValid() ? QJsonValue(qMax<qint64>(0, now.secsTo(expiresAt))) : QJsonValue(QJsonValue::Null)},
        {QStringLiteral("account"), account()},
        {QStringLiteral("has_avatar"), !avatar.isEmpty()},
        {QStringLiteral("roles"), QJsonArray::fromStringList(signetRoles)},
        {QStringLiteral("roles_complete"), rolesComplete},
        {QStringLiteral("attention"), stringOrNull(attention)},
    };
    // Provider-specific members only where they exist (docs/ipc.md).
    if (!tenantId.isEmpty())
        json.insert(QStringLiteral("tenant_id"), tenantId);
    if (!username.isEmpty())
        json.insert(QStringLiteral("username"), username);
    if (!hostedDomain.isEmpty())
        json.insert(QStringLiteral("hosted_domain"), hostedDomain);
    if (!roles.isEmpty())
        json.insert(QStringLiteral("provider_roles"), QJsonArray::fromStringList(roles));
    if (!groups.isEmpty() || groupsOverage)
        json.insert(QStringLiteral("groups"), QJsonObject{{QStringLiteral("ids"), QJsonArray::fromStringList(groups)}, {QStringLiteral("complete"), !groupsOverage}});
    if (!organizations.isEmpty())
        json.insert(QStringLiteral("organizations"), QJsonArray::fromStringList(organizations));
    if (!teams.isEmpty())
        json.insert(QStringLiteral("teams"), QJsonArray::fromStringList(teams));
    return json;
}

} // namespace Signet
