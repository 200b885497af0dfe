#pragma once

#include "config/config.h"
#include "policy/appgrants.h"

#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <QTimer>

#include <functional>
#include <memory>

namespace Signet {

class AuditLog;
class IpcConnection;

// Which caller may do what (docs/ipc.md "Who is calling"): IT's [app.<id>] grants, the person's
// remembered answers, and the consent prompts the Signet window — and only the window — answers.
// The agent asks it before it hands out identity or tokens.
class AppAccess : public QObject
{
    Q_OBJECT
public:
    AppAccess(const QString &grantsPath, AuditLog *audit, const QList<QPointer<IpcConnection>> *connections, QObject *parent = nullptr);
    ~AppAccess() override;

    void setConfig(const Config &config);
    // The window's executable: `signet` next to signet-agent unless set (tests).
    void setWindowExecutable(const QString &path);
    bool isWindow(const IpcConnection *connection) const;
    // `hello`'s "caller": who the agent thinks is calling.
    QJsonObject describe(const IpcConnection *connection) const;

    // whoami, avatar, identity events: every app, or only granted ones (whoami = granted).
    bool mayKnowIdentity(const IpcConnection *connection, QString *message) const;

    enum class Decision { Allowed, Denied, Ask, NoWindow };
    struct TokenAccess {
        Decision decision = Decision::Denied;
        QStringList scopes; // Allowed: what the grant allows ("*" = the session's)
        QString message;    // Denied/NoWindow: the sentence for the app
    };
    TokenAccess tokenAccess(const IpcConnection *connection) const;

    // Decision::Ask: prompts the window (one prompt per app however many requests wait) and calls
    // `resume` once with the answer; never if the connection closes first.
    using Resume = std::function<void(const TokenAccess &access)>;
    void ask(IpcConnection *connection, const QStringList &scopes, Resume resume);

    // The protocol's `consent` and `apps` methods.
    void consent(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params);
    void apps(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params);
    // Forgets the person's answers (reset). Returns how many there were.
    int forgetAnswers();
    void connectionClosed(IpcConnection *connection);
    // The prompts still waiting for an answer, for a window that subscribes late.
    QList<QJsonObject> openPrompts() const;

    // The first time an app uses a grant while the agent runs: audited once, not every call.
    // `what`: the audit event ("app-access", "app-refused").
    void noteUse(const IpcConnection *connection, const QString &what);

    static constexpr int ConsentTimeoutMs = 120'000;
    static constexpr int MaxOpenPrompts = 16;
    static constexpr int MaxWaitersPerPrompt = 256;

Q_SIGNALS:
    // For connections subscribed to `event`; windowOnly: only to the window.
    void eventReady(const QString &event, const QJsonObject &data, bool windowOnly);

private:
    struct Prompt;
    QJsonObject appsJson() const;
    QJsonObject promptJson(const Prompt &prompt) const;
    void resolve(const QString &callerId, const QString &decision, const TokenAccess &access);
    bool windowListening() const;

    AppGrants m_grants;
    AuditLog *m_audit;
    const QList<QPointer<IpcConnection>> *m_connections;
    UnknownApps m_unknownApps = UnknownApps::Prompt;
    bool m_whoamiNeedsGrant = false;
    QString m_windowExecutable;
    QHash<QString, std::shared_ptr<Prompt>> m_prompts; // by caller id
    quint64 m_nextPrompt = 1;
    QHash<QString, QSet<QString>> m_audited; // app id -> audit events already recorded for it this run
};

} // namespace Signet
