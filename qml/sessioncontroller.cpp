#include "sessioncontroller.h"

#include "signet-version.h"

#include <QClipboard>
#include <QDesktopServices>
#include <QGuiApplication>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QUrl>

#include <algorithm>
#include <iterator>

namespace Signet {

namespace {

Q_LOGGING_CATEGORY(lcUi, "signet.ui", QtInfoMsg)

QString jsonString(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1String(key)).toString();
}

struct ErrorCodeName
{
    const char *name;
    SessionController::Error error;
};

// The codes of docs/ipc.md, mapped once so that nothing else compares error strings.
constexpr ErrorCodeName ErrorCodes[] = {
    {"bad_request", SessionController::Error::BadRequest},
    {"unknown_method", SessionController::Error::UnknownMethod},
    {"unsupported_protocol", SessionController::Error::UnsupportedProtocol},
    {"frame_too_large", SessionController::Error::FrameTooLarge},
    {"unknown_provider", SessionController::Error::UnknownProvider},
    {"not_signed_in", SessionController::Error::NotSignedIn},
    {"busy", SessionController::Error::Busy},
    {"cancelled", SessionController::Error::Cancelled},
    {"state_expired", SessionController::Error::StateExpired},
    {"access_denied", SessionController::Error::AccessDenied},
    {"provider_error", SessionController::Error::ProviderError},
    {"provider_unreachable", SessionController::Error::ProviderUnreachable},
    {"policy_refused", SessionController::Error::PolicyRefused},
    {"keychain_error", SessionController::Error::KeychainError},
    {"config_error", SessionController::Error::ConfigError},
    {"internal", SessionController::Error::Internal},
};

} // namespace

SessionController::SessionController(QObject *parent)
    : QObject(parent)
    , m_client(new AgentClient(this))
{
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &SessionController::connectNow);
    m_countdown.setInterval(1000);
    connect(&m_countdown, &QTimer::timeout, this, [this] {
        const int left = m_expiresAt.isValid() ? int(std::max<qint64>(0, QDateTime::currentDateTimeUtc().secsTo(m_expiresAt))) : -1;
        if (left != m_secondsLeft) {
            m_secondsLeft = left;
            Q_EMIT secondsLeftChanged();
        }
    });

    connect(m_client, &AgentClient::connected, this, &SessionController::onConnected);
    connect(m_client, &AgentClient::connectionError, this, &SessionController::onConnectionError);
    connect(m_client, &AgentClient::responseReceived, this, &SessionController::onResponse);
    connect(m_client, &AgentClient::errorReceived, this, &SessionController::onErrorResponse);
    connect(m_client, &AgentClient::eventReceived, this, &SessionController::onEvent);
}

SessionController::~SessionController() = default;

SessionController::Error SessionController::errorFromCode(const QString &code)
{
    const auto found = std::find_if(std::begin(ErrorCodes), std::end(ErrorCodes),
                                    [&code](const ErrorCodeName &entry) { return code == QLatin1String(entry.name); });
    return found != std::end(ErrorCodes) ? found->error : Error::UnknownError;
}

void SessionController::setSocketPath(const QString &path)
{
    if (path == m_socketPath)
        return;
    m_socketPath = path;
    Q_EMIT socketPathChanged();
}

void SessionController::setOpenBrowser(bool open)
{
    if (open == m_openBrowser)
        return;
    m_openBrowser = open;
    Q_EMIT openBrowserChanged();
}

QString SessionController::providerName(const QString &providerId) const
{
    for (const QVariant &provider : m_providers) {
        const QVariantMap map = provider.toMap();
        if (map.value(QStringLiteral("id")).toString() == providerId)
            return map.value(QStringLiteral("displayName")).toString();
    }
    return providerId;
}

QString SessionController::signInProviderName() const
{
    return providerName(m_signIn.provider);
}

void SessionController::componentComplete()
{
    start();
}

void SessionController::start()
{
    if (m_started)
        return;
    m_started = true;
    connectNow();
}

void SessionController::connectNow()
{
    m_reconnectTimer.stop();
    m_client->connectToAgent(m_socketPath);
}

void SessionController::send(Purpose purpose, const QString &method, const QJsonObject &params)
{
    const qint64 id = m_client->request(method, params);
    if (id > 0)
        m_requests.insert(id, purpose);
}

void SessionController::onConnected()
{
    qCInfo(lcUi).noquote() << "connected to the agent at" << m_client->socketPath();
    m_requests.clear();
    m_handshakeDone = false;
    // Pipelined; the agent answers each at once. Ready when hello, providers, status and whoami
    // have answered.
    send(Purpose::Hello, QStringLiteral("hello"),
         {{QStringLiteral("protocol"), SIGNET_PROTOCOL_VERSION}, {QStringLiteral("client"), QStringLiteral("signet/" SIGNET_VERSION)}});
    send(Purpose::Providers, QStringLiteral("providers"));
    send(Purpose::Status, QStringLiteral("status"));
    send(Purpose::WhoAmI, QStringLiteral("whoami"));
    send(Purpose::Subscribe, QStringLiteral("subscribe"),
         {{QStringLiteral("events"), QJsonArray{QStringLiteral("signed-in"), QStringLiteral("signed-out")}}});
}

void SessionController::onConnectionError(AgentClient::Error error, const QString &message)
{
    if (error == AgentClient::Error::NoRuntimeDirectory)
        becomeUnavailable(Error::NoRuntimeDirectory, QStringLiteral("no_runtime_directory"), message);
    else
        becomeUnavailable(Error::AgentUnavailable, QStringLiteral("agent_unavailable"), message);
}

void SessionController::becomeUnavailable(Error error, const QString &name, const QString &message)
{
    const bool wasUnavailable = m_agentState == AgentState::Unavailable;
    m_requests.clear();
    m_handshakeDone = false;
    // What the agent does meanwhile is unknown; everything is asked again after reconnecting (a
    // running sign-in is joined then).
    m_signIn = {};
    m_failed = false;
    setIdentity({});
    Q_EMIT signInChanged();
    setError(error, name, message);
    setAgentState(AgentState::Unavailable);
    updateState();
    if (!wasUnavailable) {
        qCInfo(lcUi).noquote() << "the agent is unavailable:" << message;
        Q_EMIT errorOccurred(m_error, m_errorMessage);
    }

    // Without XDG_RUNTIME_DIR there is nothing to wait for; retry() is still possible.
    if (error != Error::NoRuntimeDirectory) {
        qCDebug(lcUi) << "reconnecting in" << m_reconnectDelayMs << "ms";
        m_reconnectTimer.start(m_reconnectDelayMs);
        m_reconnectDelayMs = std::min(m_reconnectDelayMs * 2, MaxReconnectDelayMs);
    }
}

void SessionController::onResponse(qint64 id, const QJsonObject &result)
{
    const auto purpose = m_requests.constFind(id);
    if (purpose == m_requests.cend())
        return;
    const Purpose what = *purpose;
    m_requests.erase(purpose);

    switch (what) {
    case Purpose::Hello:
        m_agentVersion = jsonString(result, "version");
        break;
    case Purpose::Providers:
        setProviders(result.value(QLatin1String("providers")).toArray());
        break;
    case Purpose::Status: {
        // A sign-in that runs already (started by signetctl, another window, or this one before a
        // reconnect): join it, which shows its URL and its outcome without opening a second tab.
        const QJsonObject signIn = result.value(QLatin1String("signin")).toObject();
        const QString provider = jsonString(signIn, "provider");
        if (!provider.isEmpty() && !m_signIn.active())
            startSignIn(provider, false);
        break;
    }
    case Purpose::WhoAmI:
        setIdentity(result.value(QLatin1String("identity")).toObject());
        break;
    case Purpose::Subscribe:
    case Purpose::Cancel:
        break;
    case Purpose::SignIn:
        if (id == m_signIn.requestId) {
            finishSignIn();
            m_failed = false;
            clearError();
            setIdentity(result.value(QLatin1String("identity")).toObject());
        }
        break;
    case Purpose::SignOut:
        setIdentity({});
        break;
    }

    if (!m_handshakeDone && std::none_of(m_requests.cbegin(), m_requests.cend(), [](Purpose pending) {
            return pending == Purpose::Hello || pending == Purpose::Providers || pending == Purpose::Status || pending == Purpose::WhoAmI;
        })) {
        m_handshakeDone = true;
        m_reconnectDelayMs = FirstReconnectDelayMs;
        if (m_error == Error::AgentUnavailable || m_error == Error::NoRuntimeDirectory || m_error == Error::UnsupportedProtocol)
            clearError();
        setAgentState(AgentState::Ready);
    }
    updateState();
}

void SessionController::onErrorResponse(qint64 id, const QString &code, const QString &message)
{
    const auto purpose = m_requests.constFind(id);
    if (purpose == m_requests.cend()) {
        qCWarning(lcUi).noquote() << "the agent reported:" << code << message;
        return;
    }
    const Purpose what = *purpose;
    m_requests.erase(purpose);
    const Error error = errorFromCode(code);

    switch (what) {
    case Purpose::Hello:
        if (error == Error::UnsupportedProtocol) {
            // Reconnects with backoff: the agent may be upgraded and restarted meanwhile.
            m_client->disconnectFromAgent();
            becomeUnavailable(error, code,
                              tr("This window speaks version %1 of the Signet protocol and the agent does not (%2). "
                                 "Install matching versions of signet and signet-agent.")
                                  .arg(SIGNET_PROTOCOL_VERSION)
                                  .arg(message));
            return;
        }
        break;
    case Purpose::WhoAmI:
    case Purpose::SignOut:
        if (error == Error::NotSignedIn)
            setIdentity({});
        break;
    case Purpose::SignIn:
        if (id != m_signIn.requestId)
            break;
        finishSignIn();
        if (error == Error::Cancelled) {
            // The person cancelled (here or elsewhere): back to where they were, no failure.
            m_failed = false;
            clearError();
        } else {
            m_failed = true;
            setError(error, code, message.isEmpty() ? tr("The sign-in failed (%1).").arg(code) : message);
            Q_EMIT errorOccurred(m_error, m_errorMessage);
        }
        break;
    case Purpose::Providers:
    case Purpose::Status:
    case Purpose::Subscribe:
    case Purpose::Cancel:
        qCWarning(lcUi).noquote() << "the agent refused a request:" << code << message;
        break;
    }
    updateState();
}

void SessionController::onEvent(const QString &event, const QJsonObject &data, qint64 id)
{
    if (event == QLatin1String("authorization-url")) {
        if (id <= 0 || id != m_signIn.requestId)
            return;
        const QString url = jsonString(data, "url");
        if (url == m_signIn.url)
            return;
        m_signIn.url = url;
        Q_EMIT signInChanged();
        if (std::exchange(m_signIn.openBrowser, false) && m_openBrowser)
            openInBrowser(url);
    } else if (event == QLatin1String("device-code")) {
        if (id <= 0 || id != m_signIn.requestId)
            return;
        m_signIn.userCode = jsonString(data, "user_code");
        m_signIn.verificationUri = jsonString(data, "verification_uri");
        Q_EMIT signInChanged();
    } else if (event == QLatin1String("signed-in")) {
        m_failed = false;
        if (!m_signIn.active())
            clearError();
        setNotice({});
        setIdentity(data.value(QLatin1String("identity")).toObject());
        updateState();
    } else if (event == QLatin1String("signed-out")) {
        const QString provider = jsonString(data, "provider");
        setIdentity({});
        if (jsonString(data, "reason") == QLatin1String("expired")) {
            setNotice(tr("Your session with %1 expired. Sign in again to continue.").arg(providerName(provider)));
        } else {
            setNotice({});
        }
        updateState();
    }
    // Other events are newer than this window: ignored, as docs/ipc.md asks.
}

void SessionController::signInWithDevice(const QString &providerId)
{
    if (m_agentState != AgentState::Ready || m_signIn.active())
        return;
    m_failed = false;
    clearError();
    setNotice({});
    startSignIn(providerId, false, true);
    updateState();
}

void SessionController::signIn(const QString &providerId)
{
    if (m_agentState != AgentState::Ready) {
        qCWarning(lcUi) << "cannot sign in: the agent is not ready";
        return;
    }
    if (m_signIn.active()) {
        qCWarning(lcUi) << "a sign-in is already running";
        return;
    }
    m_failed = false;
    clearError();
    setNotice({});
    startSignIn(providerId, true);
    updateState();
}

void SessionController::startSignIn(const QString &providerId, bool openBrowser, bool device)
{
    QJsonObject params{{QStringLiteral("provider"), providerId}};
    if (device)
        params.insert(QStringLiteral("device"), true);
    const qint64 id = m_client->request(QStringLiteral("signin"), params);
    if (id <= 0)
        return;
    m_requests.insert(id, Purpose::SignIn);
    m_signIn = {id, providerId, QString(), QString(), QString(), openBrowser};
    m_lastProvider = providerId;
    Q_EMIT signInChanged();
}

void SessionController::finishSignIn()
{
    m_signIn = {};
    Q_EMIT signInChanged();
}

void SessionController::cancel()
{
    if (!m_signIn.active())
        return;
    // The signin request is answered "cancelled", which ends the sign-in here.
    send(Purpose::Cancel, QStringLiteral("cancel"));
}

void SessionController::signOut()
{
    if (m_agentState != AgentState::Ready)
        return;
    setNotice({});
    send(Purpose::SignOut, QStringLiteral("signout"));
}

void SessionController::retry()
{
    if (m_agentState == AgentState::Unavailable) {
        m_reconnectDelayMs = FirstReconnectDelayMs;
        setAgentState(AgentState::Connecting);
        connectNow();
    } else if (m_state == State::Failed && !m_lastProvider.isEmpty()) {
        signIn(m_lastProvider);
    }
}

void SessionController::dismiss()
{
    if (!m_failed)
        return;
    m_failed = false;
    clearError();
    updateState();
}

void SessionController::copyUrl()
{
    if (m_signIn.url.isEmpty())
        return;
    if (QClipboard *clipboard = QGuiApplication::clipboard())
        clipboard->setText(m_signIn.url);
}

void SessionController::openUrl()
{
    if (!m_signIn.url.isEmpty() && m_openBrowser)
        openInBrowser(m_signIn.url);
}

void SessionController::openInBrowser(const QString &url)
{
    // The agent is trusted, but a browser is only ever pointed at a web address.
    const QUrl parsed(url, QUrl::StrictMode);
    if (!parsed.isValid() || (parsed.scheme() != QLatin1String("https") && parsed.scheme() != QLatin1String("http"))) {
        qCWarning(lcUi) << "not opening an authorization address that is not http(s)";
        return;
    }
    if (!QDesktopServices::openUrl(parsed))
        setNotice(tr("No browser could be opened. Copy the address below into your browser."));
}

void SessionController::setIdentity(const QJsonObject &identity)
{
    QVariantMap map;
    QDateTime expiresAt;
    if (!identity.isEmpty()) {
        const QString provider = jsonString(identity, "provider");
        expiresAt = QDateTime::fromString(jsonString(identity, "expires_at"), Qt::ISODate);
        const QJsonValue expiresIn = identity.value(QLatin1String("expires_in"));
        if (!expiresAt.isValid() && expiresIn.isDouble())
            expiresAt = QDateTime::currentDateTimeUtc().addSecs(expiresIn.toInteger());
        map = {
            {QStringLiteral("provider"), provider},
            {QStringLiteral("providerName"), providerName(provider)},
            {QStringLiteral("issuer"), jsonString(identity, "issuer")},
            {QStringLiteral("subject"), jsonString(identity, "subject")},
            {QStringLiteral("name"), jsonString(identity, "name")},
            {QStringLiteral("email"), jsonString(identity, "email")},
            {QStringLiteral("emailVerified"), identity.value(QLatin1String("email_verified")).toBool()},
            {QStringLiteral("picture"), jsonString(identity, "picture")},
            {QStringLiteral("signedInAt"), QDateTime::fromString(jsonString(identity, "signed_in_at"), Qt::ISODate)},
            {QStringLiteral("expiresAt"), expiresAt},
        };
    }
    if (map != m_identity) {
        m_identity = map;
        Q_EMIT identityChanged();
    }
    m_expiresAt = expiresAt;
    const int left = expiresAt.isValid() ? int(std::max<qint64>(0, QDateTime::currentDateTimeUtc().secsTo(expiresAt))) : -1;
    if (left >= 0)
        m_countdown.start();
    else
        m_countdown.stop();
    if (left != m_secondsLeft) {
        m_secondsLeft = left;
        Q_EMIT secondsLeftChanged();
    }
}

void SessionController::setProviders(const QJsonArray &providers)
{
    QVariantList list;
    for (const QJsonValue &value : providers) {
        const QJsonObject provider = value.toObject();
        const QString id = jsonString(provider, "id");
        if (id.isEmpty())
            continue;
        const QString displayName = jsonString(provider, "display_name");
        list.append(QVariantMap{
            {QStringLiteral("id"), id},
            {QStringLiteral("displayName"), displayName.isEmpty() ? id : displayName},
            {QStringLiteral("type"), jsonString(provider, "type")},
            {QStringLiteral("available"), provider.value(QLatin1String("available")).toBool(true)},
            {QStringLiteral("problem"), jsonString(provider, "problem")},
            {QStringLiteral("deviceFlow"), provider.value(QLatin1String("device_flow")).toBool(false)},
        });
    }
    if (list == m_providers)
        return;
    m_providers = list;
    Q_EMIT providersChanged();
    if (m_signIn.active())
        Q_EMIT signInChanged(); // the display name may have changed
    if (!m_identity.isEmpty()) {
        m_identity.insert(QStringLiteral("providerName"), providerName(m_identity.value(QStringLiteral("provider")).toString()));
        Q_EMIT identityChanged();
    }
}

void SessionController::setAgentState(AgentState state)
{
    if (state == m_agentState)
        return;
    m_agentState = state;
    Q_EMIT agentStateChanged();
}

void SessionController::setError(Error error, const QString &name, const QString &message)
{
    if (error == m_error && name == m_errorName && message == m_errorMessage)
        return;
    m_error = error;
    m_errorName = name;
    m_errorMessage = message;
    Q_EMIT errorChanged();
}

void SessionController::clearError()
{
    setError(Error::NoError, QString(), QString());
}

void SessionController::setNotice(const QString &notice)
{
    if (notice == m_notice)
        return;
    m_notice = notice;
    Q_EMIT noticeChanged();
}

void SessionController::updateState()
{
    State state = State::SignedOut;
    if (m_signIn.active())
        state = State::SigningIn;
    else if (m_failed)
        state = State::Failed;
    else if (!m_identity.isEmpty())
        state = State::SignedIn;
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged();
}

} // namespace Signet
