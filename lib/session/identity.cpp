#include "identity.h"

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
    return QJsonObject{
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
    };
}

} // namespace Signet
