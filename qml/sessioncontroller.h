#pragma once

#include <QDateTime>
#include <QHash>
#include <QObject>
#include <QQmlEngine>
#include <QQmlParserStatus>
#include <QTimer>
#include <QVariantList>
#include <QVariantMap>

#include "ipc/agentclient.h"

namespace Signet {

// What the window knows about the agent and the session, kept up to date over the agent protocol
// (docs/ipc.md). The window is just another client: every change comes from the agent, either as
// the answer to one of the actions below or as a subscription event caused by another client.
//
// It starts by itself when created from QML (after its properties are set); from C++ call start().
class SessionController : public QObject, public QQmlParserStatus
{
    Q_OBJECT
    Q_INTERFACES(QQmlParserStatus)
    QML_ELEMENT

    // Configuration: set before start (QML: in the declaration).
    // The agent's socket; empty means $XDG_RUNTIME_DIR/signet/agent.sock.
    Q_PROPERTY(QString socketPath READ socketPath WRITE setSocketPath NOTIFY socketPathChanged)
    // Whether to open the authorization URL in the system browser; tests turn it off.
    Q_PROPERTY(bool openBrowser READ openBrowser WRITE setOpenBrowser NOTIFY openBrowserChanged)

    Q_PROPERTY(AgentState agentState READ agentState NOTIFY agentStateChanged)
    Q_PROPERTY(QString agentVersion READ agentVersion NOTIFY agentStateChanged)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    // In the agent's order: {id, displayName, type, available, problem, deviceFlow, buttonText,
    // logo (a qrc: URL of the built-in logo or a file: URL of IT's own), backgroundColor, textColor,
    // embedded (whether policy's embedded browser may be used for it: never for Google)}.
    Q_PROPERTY(QVariantList providers READ providers NOTIFY providersChanged)
    // Empty when nobody is signed in; otherwise {provider, providerName, issuer, subject, name,
    // email, emailVerified, picture, signedInAt, expiresAt} (strings, a bool and two QDateTimes).
    Q_PROPERTY(QVariantMap identity READ identity NOTIFY identityChanged)
    // Seconds until the session expires, counting down while signed in; -1 when nobody is signed
    // in or the agent did not say.
    Q_PROPERTY(int secondsLeft READ secondsLeft NOTIFY secondsLeftChanged)
    // The running sign-in: provider id and display name, and the URL once the agent has it.
    Q_PROPERTY(QString signInProvider READ signInProvider NOTIFY signInChanged)
    Q_PROPERTY(QString signInProviderName READ signInProviderName NOTIFY signInChanged)
    Q_PROPERTY(QString authorizationUrl READ authorizationUrl NOTIFY signInChanged)
    // A device sign-in (RFC 8628): the code to enter, and where, on another device.
    Q_PROPERTY(QString userCode READ userCode NOTIFY signInChanged)
    Q_PROPERTY(QString verificationUri READ verificationUri NOTIFY signInChanged)
    // The running sign-in's page is shown by signet-webview (policy browser = embedded).
    Q_PROPERTY(bool embeddedSignIn READ embeddedSignIn NOTIFY signInChanged)
    // The problem on show: why the agent is unavailable, or why the last sign-in failed.
    Q_PROPERTY(Error errorCode READ errorCode NOTIFY errorChanged)
    Q_PROPERTY(QString errorName READ errorName NOTIFY errorChanged) // the agent's code, e.g. "access_denied"
    Q_PROPERTY(QString errorMessage READ errorMessage NOTIFY errorChanged)
    // Something worth telling that is not an error, e.g. that the session expired.
    Q_PROPERTY(QString notice READ notice NOTIFY noticeChanged)
    // The failure on show as sentences written for the person (translated), by error code: what
    // happened and what to do next. The agent's own message (errorMessage) is the detail.
    Q_PROPERTY(QString errorSummary READ errorSummary NOTIFY errorChanged)
    Q_PROPERTY(QString errorAdvice READ errorAdvice NOTIFY errorChanged)
    // What the agent can do (hello's capabilities); newer methods are only asked for when listed.
    Q_PROPERTY(QStringList capabilities READ capabilities NOTIFY agentStateChanged)
    // IT's message for the sign-in screen (the `providers` answer's "message"), and how sign-in
    // pages are shown: "system" (the browser) or "embedded" (signet-webview, for kiosks).
    Q_PROPERTY(QString itMessage READ itMessage NOTIFY providersChanged)
    Q_PROPERTY(QString browserMode READ browserMode NOTIFY providersChanged)
    // Renewal failed (attention-needed): what to do; empty otherwise. The session stays valid
    // until it expires, so this is a warning on the signed-in screen, not a screen of its own.
    Q_PROPERTY(QString attention READ attention NOTIFY attentionChanged)
    // The agent announced that the session ends soon and cannot be renewed silently (`expiring`).
    Q_PROPERTY(bool expiring READ expiring NOTIFY attentionChanged)
    // The signed-in person's picture from the agent's `avatar` method as a data: URL; empty when
    // there is none (the window then shows initials). Never fetched from the network by the window.
    Q_PROPERTY(QString avatarUrl READ avatarUrl NOTIFY avatarChanged)
    // Companion apps with a grant (the `apps` answer): {id, name, exe, script, source, access,
    // scopes, grantedAt, revocable}; and the policy for apps without one ("prompt", "deny", "allow").
    Q_PROPERTY(QVariantList apps READ apps NOTIFY appsChanged)
    Q_PROPERTY(QString unknownApps READ unknownApps NOTIFY appsChanged)
    // Apps waiting for the person's answer (consent-request), oldest first:
    // {request, appId, name, exe, script, scopes, expiresAt}.
    Q_PROPERTY(QVariantList consentRequests READ consentRequests NOTIFY consentRequestsChanged)

public:
    enum class AgentState {
        Connecting,
        Unavailable,
        Ready,
    };
    Q_ENUM(AgentState)

    enum class State {
        SignedOut,
        SigningIn,
        SignedIn,
        Failed,
    };
    Q_ENUM(State)

    // The agent's error codes (docs/ipc.md), plus the window's own reasons for "unavailable".
    enum class Error {
        NoError,
        AgentUnavailable,    // cannot connect, or the connection was lost
        NoRuntimeDirectory,  // XDG_RUNTIME_DIR is not set
        UnsupportedProtocol, // the agent does not speak this window's protocol version
        BadRequest,
        UnknownMethod,
        FrameTooLarge,
        UnknownProvider,
        NotSignedIn,
        Busy,
        Cancelled,
        StateExpired,
        AccessDenied,
        ProviderError,
        ProviderUnreachable,
        PolicyRefused,
        KeychainError,
        ConfigError,
        Internal,
        UnknownError, // a code newer than this window
    };
    Q_ENUM(Error)

    explicit SessionController(QObject *parent = nullptr);
    ~SessionController() override;

    static Error errorFromCode(const QString &code);
    // What happened, and what to do next, for each error; translated.
    static QString summaryFor(Error error);
    static QString adviceFor(Error error);

    QString socketPath() const { return m_socketPath; }
    void setSocketPath(const QString &path);
    bool openBrowser() const { return m_openBrowser; }
    void setOpenBrowser(bool open);

    AgentState agentState() const { return m_agentState; }
    QString agentVersion() const { return m_agentVersion; }
    State state() const { return m_state; }
    QVariantList providers() const { return m_providers; }
    QVariantMap identity() const { return m_identity; }
    int secondsLeft() const { return m_secondsLeft; }
    QString signInProvider() const { return m_signIn.provider; }
    QString signInProviderName() const;
    QString authorizationUrl() const { return m_signIn.url; }
    QString userCode() const { return m_signIn.userCode; }
    QString verificationUri() const { return m_signIn.verificationUri; }
    bool embeddedSignIn() const { return m_signIn.embedded; }
    Error errorCode() const { return m_error; }
    QString errorName() const { return m_errorName; }
    QString errorMessage() const { return m_errorMessage; }
    QString notice() const { return m_notice; }
    QString errorSummary() const { return m_error == Error::NoError ? QString() : summaryFor(m_error); }
    QString errorAdvice() const { return m_error == Error::NoError ? QString() : adviceFor(m_error); }
    QStringList capabilities() const { return m_capabilities; }
    QString itMessage() const { return m_itMessage; }
    QString browserMode() const { return m_browserMode; }
    QString attention() const { return m_attention; }
    bool expiring() const { return m_expiring; }
    QString avatarUrl() const { return m_avatarUrl; }
    QVariantList apps() const { return m_apps; }
    QString unknownApps() const { return m_unknownApps; }
    QVariantList consentRequests() const { return m_consentRequests; }

    // For tests and for other C++ users.
    AgentClient *client() const { return m_client; }
    // The backoff before the next reconnection attempt, doubled per failure up to 30 s.
    static constexpr int FirstReconnectDelayMs = 250;
    static constexpr int MaxReconnectDelayMs = 30'000;

    void classBegin() override {}
    void componentComplete() override;

public Q_SLOTS:
    // Connects to the agent (once; later calls do nothing). Called by QML after creation.
    void start();

public:
    Q_INVOKABLE void signIn(const QString &providerId);
    // With a code on another device, where the provider's policy allows it (providers[i].device_flow).
    Q_INVOKABLE void signInWithDevice(const QString &providerId);
    Q_INVOKABLE void cancel();
    Q_INVOKABLE void signOut();
    // Agent unavailable: connect now. Sign-in failed: try the same provider again.
    Q_INVOKABLE void retry();
    // Leaves the failure screen without retrying.
    Q_INVOKABLE void dismiss();
    Q_INVOKABLE void copyUrl();
    // Opens the authorization URL in the browser again (e.g. after the tab was closed).
    Q_INVOKABLE void openUrl();
    // Answers an app's consent request; `remember` makes the answer a lasting grant (or refusal).
    Q_INVOKABLE void answerConsent(const QString &request, bool allow, bool remember);
    // Withdraws an app's grant (only those with revocable: true; policy grants are IT's).
    Q_INVOKABLE void revokeApp(const QString &appId);

Q_SIGNALS:
    void socketPathChanged();
    void openBrowserChanged();
    void agentStateChanged();
    void stateChanged();
    void providersChanged();
    void identityChanged();
    void secondsLeftChanged();
    void signInChanged();
    void errorChanged();
    void noticeChanged();
    void attentionChanged();
    void avatarChanged();
    void appsChanged();
    void consentRequestsChanged();
    // An app asks for the person's consent: the window comes to the front.
    void consentRequested(const QString &request);
    // One signal for every failure worth telling: a sign-in that failed or an agent that is gone.
    void errorOccurred(Signet::SessionController::Error error, const QString &message);

private:
    enum class Purpose {
        Hello,
        Providers,
        Status,
        WhoAmI,
        Subscribe,
        SignIn,
        Cancel,
        SignOut,
        Avatar,
        Apps,
        RevokeApp,
        Consent,
    };

    // signet-webview's exit status when the person closed it before the page reached the agent.
    static constexpr int WebViewClosedByPerson = 3;

    struct SignIn
    {
        qint64 requestId = -1;
        QString provider;
        QString url;
        QString userCode;         // device sign-in
        QString verificationUri;
        bool openBrowser = false; // started here: open the URL when it comes (once)
        bool embedded = false;    // shown by signet-webview
        bool active() const { return requestId > 0; }
    };

    void connectNow();
    void send(Purpose purpose, const QString &method, const QJsonObject &params = {});
    void onConnected();
    void onConnectionError(AgentClient::Error error, const QString &message);
    void becomeUnavailable(Error error, const QString &name, const QString &message);
    void onResponse(qint64 id, const QJsonObject &result);
    void onErrorResponse(qint64 id, const QString &code, const QString &message);
    void onEvent(const QString &event, const QJsonObject &data, qint64 id);
    void startSignIn(const QString &providerId, bool openBrowser, bool device = false);
    void finishSignIn();
    void setIdentity(const QJsonObject &identity);
    // Returns whether the list changed (providersChanged was emitted).
    bool setProviders(const QJsonArray &providers);
    void setAgentState(AgentState state);
    void setError(Error error, const QString &name, const QString &message);
    void clearError();
    void setNotice(const QString &notice);
    void updateState();
    void openInBrowser(const QString &url);
    QString providerName(const QString &providerId) const;
    bool providerAllowsEmbedded(const QString &providerId) const;
    // signet-webview next to this program ($SIGNET_WEBVIEW overrides); empty when not installed.
    static QString webviewProgram();
    void setAttention(const QString &attention, bool expiring);
    void setAvatar(const QString &url);
    void requestAvatar();
    void setApps(const QJsonObject &answer);
    void addConsentRequest(const QJsonObject &data);
    void removeConsentRequest(const QString &request);
    bool can(const char *capability) const;

    AgentClient *m_client;
    QTimer m_reconnectTimer;
    QTimer m_countdown;
    int m_reconnectDelayMs = FirstReconnectDelayMs;
    bool m_started = false;

    QString m_socketPath;
    bool m_openBrowser = true;

    AgentState m_agentState = AgentState::Connecting;
    QString m_agentVersion;
    State m_state = State::SignedOut;
    QVariantList m_providers;
    QVariantMap m_identity;
    QDateTime m_expiresAt;
    int m_secondsLeft = -1;
    SignIn m_signIn;
    QString m_lastProvider;   // for retry()
    bool m_failed = false;    // the failure screen is on show
    Error m_error = Error::NoError;
    QString m_errorName;
    QString m_errorMessage;
    QString m_notice;
    QStringList m_capabilities;
    QString m_itMessage;
    QString m_browserMode = QStringLiteral("system");
    QString m_attention;
    bool m_expiring = false;
    QString m_avatarUrl;
    bool m_hasAvatar = false;
    QVariantList m_apps;
    QString m_unknownApps;
    QVariantList m_consentRequests;

    QHash<qint64, Purpose> m_requests; // outstanding requests of this connection
    bool m_handshakeDone = false;
};

} // namespace Signet
