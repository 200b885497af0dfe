#include "accountregistry.h"

#include "logging/logging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSaveFile>

namespace Signet {

namespace {
constexpr qint64 MaxRegistryBytes = 4 * 1024 * 1024;
constexpr int FormatVersion = 1;
} // namespace

AccountRegistry::AccountRegistry(const QString &path)
    : m_path(path)
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
    m_readOnly = false;
    QFile file(m_path);
    if (!file.exists())
        return true;
    auto setAside = [&](const QString &why) {
        const QString aside = m_path + QStringLiteral(".unreadable-") + QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMddTHHmmssZ"));
        QFile::rename(m_path, aside);
        const QString message = QStringLiteral("the account registry %1 %2; it was moved to %3 and a new one is started").arg(m_path, why, aside);
        qCWarning(lcSession).noquote() << message;
        if (problem)
            *problem = message;
        return false;
    };
    if (QFileInfo(m_path).size() > MaxRegistryBytes)
        return setAside(QStringLiteral("is larger than 4 MiB"));
    if (!file.open(QIODevice::ReadOnly)) {
        // Not moved: it may be fine and only unreadable now (permissions); never overwritten either.
        m_readOnly = true;
        if (problem)
            *problem = QStringLiteral("the account registry %1 cannot be read (%2)").arg(m_path, file.errorString());
        return false;
    }
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    file.close();
    if (!document.isObject())
        return setAside(QStringLiteral("is not a JSON object (%1)").arg(error.errorString()));
    const QJsonObject root = document.object();
    if (root.value(QLatin1String("version")).toInt() != FormatVersion)
        return setAside(QStringLiteral("has an unknown format version"));
    for (const QJsonValue &value : root.value(QLatin1String("accounts")).toArray()) {
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
    if (m_readOnly) {
        if (problem)
            *problem = QStringLiteral("the account registry %1 could not be read at start; it is not overwritten").arg(m_path);
        return false;
    }
    const QString directory = QFileInfo(m_path).absolutePath();
    if (!QFileInfo::exists(directory) && QDir().mkpath(directory))
        QFile::setPermissions(directory, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
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
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly)) {
        if (problem)
            *problem = QStringLiteral("cannot write the account registry %1: %2").arg(m_path, file.errorString());
        return false;
    }
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(QJsonDocument(QJsonObject{{QStringLiteral("version"), FormatVersion}, {QStringLiteral("accounts"), list}}).toJson(QJsonDocument::Indented));
    if (!file.commit()) {
        if (problem)
            *problem = QStringLiteral("cannot write the account registry %1: %2").arg(m_path, file.errorString());
        return false;
    }
    return true;
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
