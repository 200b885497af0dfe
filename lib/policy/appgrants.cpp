#include "appgrants.h"

#include "accountregistry.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

namespace Signet {

namespace {
constexpr int FormatVersion = 1;
constexpr int MaxRememberedApps = 1000;


AppGrant fromPolicy(const AppGrantConfig &app)
{
    AppGrant grant;
    grant.id = QStringLiteral("app.") + app.id;
    grant.name = app.name;
    grant.exe = app.exe;
    grant.script = app.script;
    grant.scopes = app.scopes;
    grant.allow = app.allow;
    grant.fromPolicy = true;
    return grant;
}
} // namespace

QJsonObject AppGrant::toJson() const
{
    return {{QStringLiteral("id"), id},
            {QStringLiteral("name"), name},
            {QStringLiteral("exe"), exe},
            {QStringLiteral("script"), script.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(script)},
            {QStringLiteral("source"), fromPolicy ? QStringLiteral("policy") : QStringLiteral("user")},
            {QStringLiteral("access"), allow ? QStringLiteral("allow") : QStringLiteral("deny")},
            {QStringLiteral("scopes"), QJsonArray::fromStringList(scopes)},
            {QStringLiteral("granted_at"), grantedAt.isValid() ? QJsonValue(grantedAt.toUTC().toString(Qt::ISODate)) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("revocable"), !fromPolicy}};
}

AppGrants::AppGrants(const QString &path)
    : m_file(path, QStringLiteral("the app grants file"), FormatVersion)
{
}

QString AppGrants::defaultPath()
{
    return QDir(AccountRegistry::defaultStateDirectory()).filePath(QStringLiteral("grants.json"));
}

bool AppGrants::load(QString *problem)
{
    m_user.clear();
    PrivateJsonFile::ReadResult result;
    const auto root = m_file.read(&result, problem);
    if (!root)
        return result == PrivateJsonFile::ReadResult::Missing;
    for (const QJsonValue &value : root->value(QLatin1String("apps")).toArray()) {
        const QJsonObject o = value.toObject();
        AppGrant grant;
        grant.exe = o.value(QLatin1String("exe")).toString();
        grant.script = o.value(QLatin1String("script")).toString();
        if (!QFileInfo(grant.exe).isAbsolute() || (!grant.script.isEmpty() && !QFileInfo(grant.script).isAbsolute()))
            continue;
        grant.id = grant.script.isEmpty() ? QStringLiteral("exe:") + grant.exe : QStringLiteral("script:%1:%2").arg(grant.exe, grant.script);
        grant.name = o.value(QLatin1String("name")).toString();
        grant.allow = o.value(QLatin1String("access")).toString() == QLatin1String("allow");
        for (const QJsonValue &scope : o.value(QLatin1String("scopes")).toArray())
            grant.scopes << scope.toString();
        grant.grantedAt = QDateTime::fromString(o.value(QLatin1String("granted_at")).toString(), Qt::ISODate);
        if (m_user.size() < MaxRememberedApps)
            m_user << grant;
    }
    return true;
}

bool AppGrants::save(QString *problem) const
{
    QJsonArray list;
    for (const AppGrant &grant : m_user) {
        QJsonObject o = grant.toJson();
        o.remove(QStringLiteral("source"));
        o.remove(QStringLiteral("revocable"));
        o.remove(QStringLiteral("id"));
        list.append(o);
    }
    return m_file.write({{QStringLiteral("apps"), list}}, problem);
}

// IT writes the path people know (/usr/bin/python3); the kernel reports the file that runs
// (/usr/bin/python3.11): compare canonical paths. A file that does not exist matches nothing.
// Resolving costs system calls, and `token` asks on every request: resolved paths are kept for a
// few seconds (an upgrade that moves a symlink is seen soon after).
bool AppGrants::samePath(const QString &configured, const QString &actual) const
{
    if (configured.isEmpty() || actual.isEmpty())
        return configured.isEmpty() && actual.isEmpty();
    if (!m_resolvedAt.isValid() || m_resolvedAt.hasExpired(CanonicalPathLifeMs)) {
        m_canonical.clear();
        m_resolvedAt.start();
    }
    auto it = m_canonical.constFind(configured);
    if (it == m_canonical.cend())
        it = m_canonical.insert(configured, QFileInfo(configured).canonicalFilePath());
    return !it->isEmpty() && *it == actual;
}

std::optional<AppGrant> AppGrants::find(const Caller &caller) const
{
    if (!caller.isIdentified())
        return std::nullopt;
    for (const AppGrantConfig &app : m_policy) {
        if (samePath(app.exe, caller.exe) && samePath(app.script, caller.script))
            return fromPolicy(app);
    }
    const QString id = caller.id();
    for (const AppGrant &grant : m_user) {
        if (grant.id == id)
            return grant;
    }
    return std::nullopt;
}

QList<AppGrant> AppGrants::all() const
{
    QList<AppGrant> list;
    for (const AppGrantConfig &app : m_policy)
        list << fromPolicy(app);
    return list + m_user;
}

AppGrant AppGrants::remember(const Caller &caller, bool allow, const QStringList &scopes)
{
    revoke(caller.id());
    AppGrant grant;
    grant.id = caller.id();
    grant.name = caller.displayName();
    grant.exe = caller.exe;
    grant.script = caller.script;
    grant.scopes = scopes;
    grant.allow = allow;
    grant.grantedAt = QDateTime::currentDateTimeUtc();
    if (m_user.size() >= MaxRememberedApps)
        m_user.removeFirst(); // the oldest answer: the prompt simply comes again for that app
    m_user << grant;
    return grant;
}

bool AppGrants::revoke(const QString &id)
{
    return m_user.removeIf([&](const AppGrant &grant) { return grant.id == id; }) > 0;
}

int AppGrants::clear()
{
    return int(std::exchange(m_user, {}).size());
}

} // namespace Signet
