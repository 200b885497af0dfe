#include "accountregistry.h"

#include "logging/logging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace Signet {

namespace {
constexpr int FormatVersion = 1;
} // namespace

AccountRegistry::AccountRegistry(const QString &path)
    : m_file(path, QStringLiteral("the account registry"), FormatVersion)
{
}

QString AccountRegistry::defaultStateDirectory()
{
    QString state = qEnvironmentVariable("XDG_STATE_HOME");
    if (state.isEmpty())
        state = QDir::home().filePath(QStringLiteral(".local/state"));
    return QDir(state).filePath(QStringLiteral("signet"));
}

QString AccountRegistry::defaultPath()
{
    return QDir(defaultStateDirectory()).filePath(QStringLiteral("accounts.json"));
}

bool AccountRegistry::load(QString *problem)
{
    m_accounts.clear();
    PrivateJsonFile::ReadResult result;
    const auto root = m_file.read(&result, problem);
    if (!root)
        return result == PrivateJsonFile::ReadResult::Missing;
    for (const QJsonValue &value : root->value(QLatin1String("accounts")).toArray()) {
        const QJsonObject o = value.toObject();
        RegisteredAccount account;
        account.issuer = o.value(QLatin1String("issuer")).toString();
        account.account = o.value(QLatin1String("account")).toString();
        if (account.issuer.isEmpty() || account.account.isEmpty())
            continue;
        account.provider = o.value(QLatin1String("provider")).toString();
        account.email = o.value(QLatin1String("email")).toString();
        account.name = o.value(QLatin1String("name")).toString();
        for (const QJsonValue &role : o.value(QLatin1String("roles")).toArray())
            account.roles << role.toString();
        account.registeredAt = QDateTime::fromString(o.value(QLatin1String("registered_at")).toString(), Qt::ISODate);
        account.lastSignInAt = QDateTime::fromString(o.value(QLatin1String("last_sign_in_at")).toString(), Qt::ISODate);
        m_accounts.insert(key(account.issuer, account.account), account);
    }
    return true;
}

bool AccountRegistry::save(QString *problem) const
{
    QJsonArray list;
    for (const RegisteredAccount &account : m_accounts) {
        list.append(QJsonObject{{QStringLiteral("issuer"), account.issuer},
                                {QStringLiteral("account"), account.account},
                                {QStringLiteral("provider"), account.provider},
                                {QStringLiteral("email"), account.email},
                                {QStringLiteral("name"), account.name},
                                {QStringLiteral("roles"), QJsonArray::fromStringList(account.roles)},
                                {QStringLiteral("registered_at"), account.registeredAt.toUTC().toString(Qt::ISODate)},
                                {QStringLiteral("last_sign_in_at"), account.lastSignInAt.toUTC().toString(Qt::ISODate)}});
    }
    return m_file.write({{QStringLiteral("accounts"), list}}, problem);
}

const RegisteredAccount *AccountRegistry::find(const QString &issuer, const QString &account) const
{
    const auto it = m_accounts.constFind(key(issuer, account));
    return it == m_accounts.cend() ? nullptr : &it.value();
}

void AccountRegistry::upsert(const RegisteredAccount &account)
{
    m_accounts.insert(key(account.issuer, account.account), account);
}

bool AccountRegistry::remove(const QString &issuer, const QString &account)
{
    return m_accounts.remove(key(issuer, account)) > 0;
}

} // namespace Signet
