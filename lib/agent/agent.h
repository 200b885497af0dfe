#pragma once

#include "auth/discovery.h"
#include "auth/signinerror.h"
#include "config/config.h"
#include "policy/accountregistry.h"
#include "policy/auditlog.h"
#include "policy/policy.h"
#include "session/session.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QJsonValue>
#include <QList>
#include <QMap>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <chrono>
#include <functional>
#include <memory>

class QNetworkAccessManager;

namespace Signet {

class AppAccess;
class IpcConnection;
class JwksCache;
class IpcServer;
class SignInAttempt;
class TokenRefresh;
class SessionStore;

// The agent's brain: answers the protocol's methods (docs/ipc.md) from the configuration, the
// running sign-in and the session, and tells subscribers about changes.
class Agent : public QObject
{
    Q_OBJECT
public:
    // stateDirectory: where the account registry and the audit log live; empty for
    // $XDG_STATE_HOME/signet.
    explicit Agent(const Config &config, const QString &stateDirectory = {}, QObject *parent = nullptr);
    ~Agent() override;

    void serve(IpcServer *server);
    // A new configuration (SIGHUP, or the files changed): applies from now on; the signed-in
    // identity is checked against the new policy and signed out if it no longer passes.
    void reconfigure(const Config &config);

    // Keeps sessions across restarts (the keychain). Without one, sessions live in memory only. The
    // store must outlive the agent.
    void setSessionStore(SessionStore *store) { m_store = store; }
    // Brings back the stored session, if any (at start): re-checked against the policy, renewed at
    // once if its access token expired, never a crash when the entry is missing or broken.
    void restoreSession();
    static constexpr std::chrono::milliseconds RestoreTimeout{10'000};
    static constexpr int MaxPendingRequests = 1000;
    static constexpr qint64 DefaultMinValidSeconds = 60;
    static constexpr qint64 MinTokenRefreshIntervalMs = 30'000;
    static constexpr int MaxScopeSets = 32; // distinct scope sets waiting at once

    // Starts the session (after a sign-in, or when one is restored) and plans its silent renewal.
    void startSession(const Identity &identity, const TokenSet &tokens, const ProviderMetadata &metadata, const QJsonObject &claims,
                      const ProviderConfig &provider);

    // Before the session expires by this much, it is renewed: min(5 min, a quarter of session_age).
    std::chrono::milliseconds renewalLead() const;
    Session *session() { return &m_session; }
    // Which apps may do what: grants, consent prompts.
    AppAccess *appAccess() { return m_access.get(); }

private:
    void attach(IpcConnection *connection);
    void handle(IpcConnection *connection, const QJsonValue &id, const QString &method, const QJsonObject &params);

    QJsonObject hello(const IpcConnection *connection, const QJsonObject &params, QString *errorCode, QString *errorMessage);
    QJsonObject status();
    QJsonObject providers();
    void signIn(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params);
    void onAttemptFinished();
    struct Waiter;
    void answerWithError(const QList<Waiter> &waiters, const SignInError &error);
    void refuseSignIn(SignInAttempt *attempt, const Identity &identity, const QList<Waiter> &waiters, const SignInError &refused);
    void completeSignIn(SignInAttempt *attempt, const Identity &identity, const QList<Waiter> &waiters);
    void startSignedIn(SignInAttempt *attempt, const Identity &identity, const ProviderConfig &provider, const QList<Waiter> &waiters);
    void applyRenewal(const Identity &identity, const TokenSet &tokens, const QJsonObject &claims);
    void forgetStaleStoredSession(const QString &whyNotStored);
    // Whether a refused renewal means the session's grant is gone for good.
    static bool isGrantGone(const SignInError &error);
    void finishRestoring();
    void requestToken(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params);
    void answerTokenWaiters(const SignInError &error);
    void answerWith(const QList<Waiter> &waiters, const SignInError &error, const std::function<QJsonObject()> &result);
    // whoami, avatar: refused (and answered) for an app that may not know the identity.
    bool refusedIdentity(IpcConnection *connection, const QJsonValue &id);
    QJsonObject tokenResult() const;
    // An answer built from the session alone, serialized once per session generation and second
    // (its expires_in counts seconds): whoami and the cached token are asked far more often than
    // anything changes, and building the JSON cost more than all else the agent does per request.
    struct KeptAnswer {
        quint64 generation = 0;
        qint64 second = -1;
        QByteArray json;
    };
    const QByteArray &keptAnswer(KeptAnswer &kept, const std::function<QJsonObject()> &build);
    void releaseAttempt(SignInAttempt *attempt);
    QByteArray hookInput(const QString &event, const Identity &identity, const TokenSet &tokens, const QJsonObject &extra = {}) const;
    void runHook(const QString &name, const QStringList &command, const QByteArray &input);
    void scheduleRenewal();
    void renew();
    void onRenewalFinished(TokenRefresh *refresh, quint64 generation);
    void cancelRenewal(const QString &why);
    QPair<JwksCache *, QNetworkAccessManager *> keysFor(const ProviderConfig &provider);
    void signOut(IpcConnection *connection, const QJsonValue &id);
    // Ends the session here at once, then tells the provider (≤ 10 s); `done` gets the answer's members.
    void endSession(std::function<void(QJsonObject)> done);
    void reset(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params);
    void subscribe(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params);
    void grantedToken(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params, const QStringList &grantScopes);
    // The session's own access token, renewed first when it is valid for less than minValid seconds.
    void sessionToken(IpcConnection *connection, const QJsonValue &id, qint64 minValid);
    // A token for just `scopes` (an app granted less than the session holds; Microsoft's other
    // resources), cached per scope set, from one refresh at a time — never beside a renewal, since
    // providers rotate the refresh token.
    void scopedToken(IpcConnection *connection, const QJsonValue &id, const QStringList &scopes, qint64 minValid);
    void startScopedRefresh();
    void onScopedRefreshFinished(TokenRefresh *refresh, const QString &key, quint64 generation);
    void answerScopedWaiters(const QString &key, const SignInError &error);
    void broadcast(const QString &event, const QJsonObject &data);

    Config m_config;
    QString m_stateDirectory;
    AccountRegistry m_registry;
    AuditLog m_audit;
    std::unique_ptr<Policy> m_policy;
    Session m_session;
    KeptAnswer m_whoamiAnswer;
    KeptAnswer m_tokenAnswer;
    // Each provider's signing keys, kept across sign-ins (see SignInAttempt::Keys).
    QHash<QString, QPair<JwksCache *, QNetworkAccessManager *>> m_keys;

    struct Waiter {
        QPointer<IpcConnection> connection;
        QJsonValue id;
    };
    QPointer<SignInAttempt> m_attempt;
    bool m_completing = false; // the pre_signin hook runs for a finished attempt

    // Renewal of the running session: how to reach its provider, and the job under way.
    ProviderConfig m_sessionProvider;
    ProviderMetadata m_sessionMetadata;
    QTimer m_renewTimer;
    QTimer m_expiringTimer; // `expiring`: the session will end and cannot be renewed silently
    QTimer m_wallClockCheck;
    QPointer<TokenRefresh> m_refresh;
    bool m_renewing = false; // from the refresh request until its tokens are in use
    quint64 m_sessionGeneration = 0; // results of a renewal for an earlier session are dropped
    QElapsedTimer m_lastTokenRefresh;
    SessionStore *m_store = nullptr; // owned by whoever set it; outlives the agent
    bool m_restoring = false;
    // Why the stored session could not be restored (a locked keychain): status's attention while signed out.
    QString m_restoreProblem;
    struct PendingRequest {
        QPointer<IpcConnection> connection;
        QJsonValue id;
        QString method;
        QJsonObject params;
    };
    QList<PendingRequest> m_pending; // arrived while the stored session was being read
    // `token` requests waiting for the one refresh under way (however many apps ask at once).
    QList<Waiter> m_tokenWaiters;
    struct ScopedToken {
        QString accessToken;
        QDateTime expiresAt;
        QStringList scopes;
        QDateTime fetchedAt;
        QJsonObject toJson() const;
    };
    QHash<QString, ScopedToken> m_scopedTokens; // by sorted scope list; dropped with the session
    QMap<QString, QList<Waiter>> m_scopedWaiters; // by scope key
    QStringList scopesOfKey(const QString &key) const { return key.split(QLatin1Char(' ')); }
    QPointer<TokenRefresh> m_scopedRefresh;
    bool m_scopedRefreshing = false; // from the request until a rotated refresh token is stored
    bool m_renewAfterScoped = false; // a renewal fell due meanwhile
    QList<Waiter> m_waiters;
    QList<QPointer<IpcConnection>> m_connections;
    std::unique_ptr<AppAccess> m_access;
};

} // namespace Signet
