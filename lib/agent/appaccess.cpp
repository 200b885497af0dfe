#include "appaccess.h"

#include "ipc/ipcserver.h"
#include "logging/logging.h"
#include "policy/auditlog.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QJsonArray>

namespace Signet {

struct AppAccess::Prompt {
    QString request; // "c<n>", the id the window answers
    Caller caller;
    QStringList scopes;
    QTimer timer;
    struct Waiter {
        QPointer<IpcConnection> connection;
        Resume resume;
    };
    QList<Waiter> waiters;
};

namespace {
QString unknownAppsName(UnknownApps value)
{
    switch (value) {
    case UnknownApps::Deny:
        return QStringLiteral("deny");
    case UnknownApps::Allow:
        return QStringLiteral("allow");
    case UnknownApps::Prompt:
        break;
    }
    return QStringLiteral("prompt");
}

QString describeForPeople(const Caller &caller)
{
    return caller.script.isEmpty() ? caller.exe : QStringLiteral("%1 (run by %2)").arg(caller.script, caller.exe);
}
} // namespace

AppAccess::AppAccess(const QString &grantsPath, AuditLog *audit, const QList<QPointer<IpcConnection>> *connections, QObject *parent)
    : QObject(parent)
    , m_grants(grantsPath)
    , m_audit(audit)
    , m_connections(connections)
    , m_windowExecutable(QFileInfo(QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("signet"))).canonicalFilePath())
{
    QString problem;
    if (!m_grants.load(&problem))
        qCWarning(lcAgent).noquote() << problem;
}

AppAccess::~AppAccess() = default;

void AppAccess::setConfig(const Config &config)
{
    m_grants.setPolicy(config.apps);
    m_unknownApps = config.unknownApps;
    m_whoamiNeedsGrant = config.whoamiNeedsGrant;
}

void AppAccess::setWindowExecutable(const QString &path)
{
    m_windowExecutable = QFileInfo(path).canonicalFilePath();
}

bool AppAccess::isWindow(const IpcConnection *connection) const
{
    const Caller &caller = connection->caller();
    return caller.isIdentified() && caller.script.isEmpty() && !m_windowExecutable.isEmpty() && caller.exe == m_windowExecutable;
}

QJsonObject AppAccess::describe(const IpcConnection *connection) const
{
    const Caller &caller = connection->caller();
    const auto grant = m_grants.find(caller);
    return {{QStringLiteral("id"), caller.isIdentified() ? QJsonValue(caller.id()) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("name"), caller.isIdentified() ? QJsonValue(grant ? grant->name : caller.displayName()) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("exe"), caller.isIdentified() ? QJsonValue(caller.exe) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("script"), caller.script.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(caller.script)},
            {QStringLiteral("problem"), caller.problem.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(caller.problem)},
            {QStringLiteral("grant"), grant ? QJsonValue(grant->id) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("window"), isWindow(connection)}};
}

bool AppAccess::mayKnowIdentity(const IpcConnection *connection, QString *message) const
{
    if (!m_whoamiNeedsGrant || isWindow(connection))
        return true;
    const TokenAccess access = tokenAccess(connection);
    if (access.decision == Decision::Allowed)
        return true;
    *message = access.decision == Decision::Denied ? access.message
                                                   : tr("This configuration tells who is signed in only to apps with a grant, and %1 has none. Ask IT to grant it ([app.<id>] in the policy).")
                                                         .arg(describeForPeople(connection->caller()));
    return false;
}

AppAccess::TokenAccess AppAccess::tokenAccess(const IpcConnection *connection) const
{
    const Caller &caller = connection->caller();
    if (!caller.isIdentified())
        return {Decision::Denied, {}, tr("Signet could not tell which program is asking (%1), so it gets nothing that needs a grant.").arg(caller.problem)};
    if (const auto grant = m_grants.find(caller)) {
        if (grant->allow)
            return {Decision::Allowed, grant->scopes, {}};
        return {Decision::Denied, {},
                grant->fromPolicy ? tr("IT's policy denies %1 the use of your work identity ([%2]).").arg(describeForPeople(caller), grant->id)
                                  : tr("You denied %1 the use of your work identity; allow it again in the Signet window (or 'signetctl apps --revoke %2').").arg(describeForPeople(caller), grant->id)};
    }
    switch (m_unknownApps) {
    case UnknownApps::Allow:
        return {Decision::Allowed, {QStringLiteral("*")}, {}};
    case UnknownApps::Deny:
        return {Decision::Denied, {}, tr("%1 has no grant, and this configuration allows only the apps it names. Ask IT to add it as [app.<id>] with exe = %2.").arg(describeForPeople(caller), caller.exe)};
    case UnknownApps::Prompt:
        break;
    }
    if (!windowListening())
        return {Decision::NoWindow, {}, tr("%1 needs your permission to use your work identity, and no Signet window is open to ask you. Open Signet and try again, or ask IT to grant it.").arg(describeForPeople(caller))};
    return {Decision::Ask, {}, {}};
}

bool AppAccess::windowListening() const
{
    return std::any_of(m_connections->cbegin(), m_connections->cend(), [this](const QPointer<IpcConnection> &connection) {
        return connection && isWindow(connection) && connection->subscriptions.contains(QStringLiteral("consent-request"));
    });
}

QJsonObject AppAccess::promptJson(const Prompt &prompt) const
{
    return {{QStringLiteral("request"), prompt.request},
            {QStringLiteral("app"), QJsonObject{{QStringLiteral("id"), prompt.caller.id()},
                                                {QStringLiteral("name"), prompt.caller.displayName()},
                                                {QStringLiteral("exe"), prompt.caller.exe},
                                                {QStringLiteral("script"), prompt.caller.script.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(prompt.caller.script)}}},
            {QStringLiteral("scopes"), QJsonArray::fromStringList(prompt.scopes)},
            {QStringLiteral("expires_in"), qMax(0, prompt.timer.remainingTime() / 1000)}};
}

QList<QJsonObject> AppAccess::openPrompts() const
{
    QList<QJsonObject> list;
    for (const auto &prompt : m_prompts)
        list << promptJson(*prompt);
    return list;
}

void AppAccess::ask(IpcConnection *connection, const QStringList &scopes, Resume resume)
{
    const Caller &caller = connection->caller();
    std::shared_ptr<Prompt> prompt = m_prompts.value(caller.id());
    if (!prompt) {
        if (m_prompts.size() >= MaxOpenPrompts) {
            resume({Decision::Denied, {}, tr("Too many apps are waiting for your answer in the Signet window; answer them first.")});
            return;
        }
        prompt = std::make_shared<Prompt>();
        prompt->request = QStringLiteral("c%1").arg(m_nextPrompt++);
        prompt->caller = caller;
        prompt->scopes = scopes;
        prompt->timer.setSingleShot(true);
        connect(&prompt->timer, &QTimer::timeout, this, [this, id = caller.id()] {
            resolve(id, QStringLiteral("expired"), {Decision::Denied, {}, tr("Nobody answered the prompt in the Signet window within %1 minutes. Ask again.").arg(ConsentTimeoutMs / 60'000)});
        });
        prompt->timer.start(ConsentTimeoutMs);
        m_prompts.insert(caller.id(), prompt);
        m_audit->record(QStringLiteral("app-consent-asked"), {{QStringLiteral("app"), caller.id()}, {QStringLiteral("scopes"), QJsonArray::fromStringList(scopes)}});
        Q_EMIT eventReady(QStringLiteral("consent-request"), promptJson(*prompt), true);
    }
    if (prompt->waiters.size() >= MaxWaitersPerPrompt) {
        resume({Decision::Denied, {}, tr("Too many requests from this app wait for your answer.")});
        return;
    }
    prompt->waiters.append({connection, std::move(resume)});
}

void AppAccess::resolve(const QString &callerId, const QString &decision, const TokenAccess &access)
{
    const std::shared_ptr<Prompt> prompt = m_prompts.take(callerId);
    if (!prompt)
        return;
    prompt->timer.stop();
    Q_EMIT eventReady(QStringLiteral("consent-resolved"), {{QStringLiteral("request"), prompt->request}, {QStringLiteral("decision"), decision}}, true);
    for (const auto &waiter : std::as_const(prompt->waiters)) {
        if (waiter.connection)
            waiter.resume(access);
    }
}

void AppAccess::consent(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params)
{
    if (!isWindow(connection)) {
        connection->sendError(id, QStringLiteral("not_permitted"), tr("Only the Signet window can answer a consent prompt: an app cannot grant itself access."));
        return;
    }
    const QString request = params.value(QLatin1String("request")).toString();
    const QJsonValue allowValue = params.value(QLatin1String("allow"));
    const QJsonValue rememberValue = params.value(QLatin1String("remember"));
    if (request.isEmpty() || !allowValue.isBool() || (!rememberValue.isUndefined() && !rememberValue.isBool())) {
        connection->sendError(id, QStringLiteral("bad_request"), tr("'consent' needs 'request' (a string), 'allow' (true or false) and optionally 'remember' (true or false)."));
        return;
    }
    const auto it = std::find_if(m_prompts.cbegin(), m_prompts.cend(), [&](const std::shared_ptr<Prompt> &p) { return p->request == request; });
    if (it == m_prompts.cend()) {
        connection->sendError(id, QStringLiteral("not_found"), tr("There is no open prompt '%1' (it was answered, withdrawn or expired).").arg(request.left(64)));
        return;
    }
    const std::shared_ptr<Prompt> prompt = *it;
    const bool allow = allowValue.toBool();
    const bool remember = rememberValue.toBool(true);
    const QStringList scopes = prompt->scopes.isEmpty() ? QStringList{QStringLiteral("*")} : prompt->scopes;
    if (remember) {
        m_grants.remember(prompt->caller, allow, scopes);
        QString problem;
        if (!m_grants.save(&problem))
            qCWarning(lcAgent).noquote() << problem;
        Q_EMIT eventReady(QStringLiteral("apps-changed"), appsJson(), false);
    }
    m_audit->record(allow ? QStringLiteral("app-granted") : QStringLiteral("app-denied"),
                    {{QStringLiteral("app"), prompt->caller.id()}, {QStringLiteral("scopes"), QJsonArray::fromStringList(scopes)}, {QStringLiteral("remembered"), remember}});
    const QString decision = allow ? QStringLiteral("allowed") : QStringLiteral("denied");
    connection->sendResult(id, {{QStringLiteral("decision"), decision}});
    resolve(prompt->caller.id(), decision,
            allow ? TokenAccess{Decision::Allowed, scopes, {}} : TokenAccess{Decision::Denied, {}, tr("You denied %1 the use of your work identity.").arg(describeForPeople(prompt->caller))});
}

QJsonObject AppAccess::appsJson() const
{
    QJsonArray list;
    for (const AppGrant &grant : m_grants.all())
        list.append(grant.toJson());
    return {{QStringLiteral("apps"), list},
            {QStringLiteral("unknown_apps"), unknownAppsName(m_unknownApps)},
            {QStringLiteral("whoami"), m_whoamiNeedsGrant ? QStringLiteral("granted") : QStringLiteral("any")}};
}

void AppAccess::apps(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params)
{
    const QJsonValue revoke = params.value(QLatin1String("revoke"));
    if (revoke.isUndefined()) {
        connection->sendResult(id, appsJson());
        return;
    }
    // Anyone may take access away (it only ever narrows what apps get); nobody grants it here.
    if (!revoke.isString() || revoke.toString().isEmpty()) {
        connection->sendError(id, QStringLiteral("bad_request"), tr("'revoke' must be the id of an app, as 'apps' lists it."));
        return;
    }
    const QString appId = revoke.toString();
    const QList<AppGrant> all = m_grants.all();
    const auto grant = std::find_if(all.cbegin(), all.cend(), [&](const AppGrant &g) { return g.id == appId; });
    if (grant == all.cend()) {
        connection->sendError(id, QStringLiteral("not_found"), tr("No app '%1' has a grant. 'signetctl apps' lists them.").arg(appId.left(200)));
        return;
    }
    if (grant->fromPolicy) {
        connection->sendError(id, QStringLiteral("not_permitted"), tr("IT's policy decides about %1 ([%2] in %3); only IT can change it.").arg(grant->name, grant->id, QStringLiteral("the system configuration")));
        return;
    }
    m_grants.revoke(appId);
    QString problem;
    if (!m_grants.save(&problem))
        qCWarning(lcAgent).noquote() << problem;
    m_audited.remove(appId); // a new grant is audited afresh
    m_audit->record(QStringLiteral("app-revoked"), {{QStringLiteral("app"), appId}});
    connection->sendResult(id, {{QStringLiteral("revoked"), true}});
    Q_EMIT eventReady(QStringLiteral("apps-changed"), appsJson(), false);
}

int AppAccess::forgetAnswers()
{
    const int count = m_grants.clear();
    QString problem;
    if (!m_grants.save(&problem))
        qCWarning(lcAgent).noquote() << problem;
    m_audited.clear();
    Q_EMIT eventReady(QStringLiteral("apps-changed"), appsJson(), false);
    return count;
}

void AppAccess::connectionClosed(IpcConnection *connection)
{
    const QStringList ids = m_prompts.keys();
    for (const QString &callerId : ids) {
        const std::shared_ptr<Prompt> prompt = m_prompts.value(callerId);
        prompt->waiters.removeIf([connection](const Prompt::Waiter &w) { return !w.connection || w.connection == connection; });
        if (prompt->waiters.isEmpty())
            resolve(callerId, QStringLiteral("withdrawn"), {});
    }
}

void AppAccess::noteUse(const IpcConnection *connection, const QString &what)
{
    const Caller &caller = connection->caller();
    const QString key = caller.isIdentified() ? caller.id() : QStringLiteral("unidentified");
    QSet<QString> &recorded = m_audited[key];
    if (recorded.contains(what))
        return;
    recorded.insert(what);
    m_audit->record(what, {{QStringLiteral("app"), key}, {QStringLiteral("problem"), caller.problem.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(caller.problem)}});
}

} // namespace Signet
