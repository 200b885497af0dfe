#include "sessioncontroller.h"

#include "signet-version.h"

#include <QClipboard>
#include <QDesktopServices>
#include <QGuiApplication>
#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcess>
#include <QJsonArray>
#include <QRegularExpression>
#include <QStringList>
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

// The events the window follows. Agents that do not know some of them (older ones) leave them out
// of the subscription: harmless.
const QStringList SubscribedEvents = {
    QStringLiteral("signed-in"),     QStringLiteral("signed-out"),       QStringLiteral("renewed"),
    QStringLiteral("attention-needed"), QStringLiteral("expiring"),      QStringLiteral("policy-changed"),
    QStringLiteral("consent-request"), QStringLiteral("consent-resolved"), QStringLiteral("apps-changed"),
};

QVariantMap appFromJson(const QJsonObject &app)
{
    QStringList scopes;
    for (const QJsonValue &scope : app.value(QLatin1String("scopes")).toArray())
        scopes.append(scope.toString());
    const QString id = jsonString(app, "id");
    const QString name = jsonString(app, "name");
    return {
        {QStringLiteral("id"), id},
        {QStringLiteral("name"), name.isEmpty() ? id : name},
        {QStringLiteral("exe"), jsonString(app, "exe")},
        {QStringLiteral("script"), jsonString(app, "script")},
        {QStringLiteral("source"), jsonString(app, "source")},
        {QStringLiteral("access"), jsonString(app, "access")},
        {QStringLiteral("scopes"), scopes},
        {QStringLiteral("grantedAt"), QDateTime::fromString(jsonString(app, "granted_at"), Qt::ISODate)},
        {QStringLiteral("revocable"), app.value(QLatin1String("revocable")).toBool(false)},
    };
}

// The provider's logo as a URL for an Image: IT's own file, else the built-in one (resources/providers).
QString logoUrl(const QJsonObject &provider)
{
    const QString file = jsonString(provider, "logo_file");
    if (!file.isEmpty() && QDir::isAbsolutePath(file))
        return QUrl::fromLocalFile(file).toString();
    static const QStringList builtIn = {QStringLiteral("openid"), QStringLiteral("microsoft"), QStringLiteral("google"), QStringLiteral("github")};
    const QString logo = jsonString(provider, "logo");
    return QStringLiteral("qrc:/signet/providers/%1.svg").arg(builtIn.contains(logo) ? logo : QStringLiteral("openid"));
}

// "#rrggbb" as the agent sends it, or empty (the style's colours) for anything else.
QString color(const QJsonObject &provider, const char *key)
{
    static const QRegularExpression rgb(QStringLiteral("^#[0-9a-fA-F]{6}$"));
    const QString value = jsonString(provider, key);
    return rgb.match(value).hasMatch() ? value : QString();
}

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

QString SessionController::summaryFor(Error error)
{
    switch (error) {
    case Error::NoError:
        return {};
    case Error::AgentUnavailable:
        return tr("The Signet agent is not running.");
    case Error::NoRuntimeDirectory:
        return tr("This window cannot find the Signet agent.");
    case Error::UnsupportedProtocol:
        return tr("This window and the Signet agent are different versions.");
    case Error::UnknownProvider:
        return tr("This sign-in option is no longer configured.");
    case Error::NotSignedIn:
        return tr("Nobody is signed in.");
    case Error::Busy:
        return tr("Another sign-in is already running.");
    case Error::Cancelled:
        return tr("The sign-in was cancelled.");
    case Error::StateExpired:
        return tr("The sign-in took too long.");
    case Error::AccessDenied:
        return tr("The sign-in was declined.");
    case Error::ProviderError:
        return tr("The identity provider answered with something Signet cannot accept.");
    case Error::ProviderUnreachable:
        return tr("The identity provider could not be reached.");
    case Error::PolicyRefused:
        return tr("Your organisation does not allow this account to sign in here.");
    case Error::KeychainError:
        return tr("Your sign-in could not be stored safely.");
    case Error::ConfigError:
        return tr("Signet is not configured correctly.");
    case Error::BadRequest:
    case Error::UnknownMethod:
    case Error::FrameTooLarge:
    case Error::Internal:
    case Error::UnknownError:
        break;
    }
    return tr("Something went wrong in Signet.");
}

QString SessionController::adviceFor(Error error)
{
    switch (error) {
    case Error::NoError:
        return {};
    case Error::AgentUnavailable:
        return tr("Start signet-agent; this window connects as soon as it runs.");
    case Error::NoRuntimeDirectory:
        return tr("Start Signet from your desktop session, not through su or sudo.");
    case Error::UnsupportedProtocol:
        return tr("Install matching versions of signet and signet-agent.");
    case Error::UnknownProvider:
    case Error::ConfigError:
        return tr("Ask your IT department to check the Signet configuration.");
    case Error::NotSignedIn:
        return tr("Sign in first.");
    case Error::Busy:
        return tr("Finish or cancel the other sign-in, then try again.");
    case Error::Cancelled:
    case Error::StateExpired:
        return tr("Start the sign-in again and finish it in your browser.");
    case Error::AccessDenied:
        return tr("Try again and accept the request at the sign-in page, or choose another account.");
    case Error::ProviderError:
        return tr("Try again in a few minutes. If it keeps failing, tell your IT department what the details below say.");
    case Error::ProviderUnreachable:
        return tr("Check your network connection (and VPN), then try again.");
    case Error::PolicyRefused:
        return tr("Sign in with your work account. The details below say why this one was refused and whom to ask.");
    case Error::KeychainError:
        return tr("Unlock your keyring (your login password usually does it), then try again.");
    case Error::BadRequest:
    case Error::UnknownMethod:
    case Error::FrameTooLarge:
    case Error::Internal:
    case Error::UnknownError:
        break;
    }
    return tr("Try again. If it keeps failing, tell your IT department what the details below say.");
}

bool SessionController::can(const char *capability) const
{
    return m_capabilities.contains(QLatin1String(capability));
}

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
    send(Purpose::Subscribe, QStringLiteral("subscribe"), {{QStringLiteral("events"), QJsonArray::fromStringList(SubscribedEvents)}});
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
    setApps({});
    if (!m_consentRequests.isEmpty()) {
        // Pending requests die with the connection: the agent answers the apps itself.
        m_consentRequests.clear();
        Q_EMIT consentRequestsChanged();
    }
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
    case Purpose::Hello: {
        m_agentVersion = jsonString(result, "version");
        m_capabilities.clear();
        for (const QJsonValue &capability : result.value(QLatin1String("capabilities")).toArray())
            m_capabilities.append(capability.toString());
        if (can("apps"))
            send(Purpose::Apps, QStringLiteral("apps"));
        // The identity may have arrived before the capabilities did.
        requestAvatar();
        break;
    }
    case Purpose::Providers: {
        const QString message = result.value(QLatin1String("message")).toString().left(1000);
        const QString browser = result.value(QLatin1String("browser")).toString() == QLatin1String("embedded") ? QStringLiteral("embedded")
                                                                                                                : QStringLiteral("system");
        const bool changed = message != m_itMessage || browser != m_browserMode;
        m_itMessage = message;
        m_browserMode = browser;
        if (!setProviders(result.value(QLatin1String("providers")).toArray()) && changed)
            Q_EMIT providersChanged();
        break;
    }
    case Purpose::Avatar: {
        const QString type = jsonString(result, "content_type");
        const QString data = jsonString(result, "data");
        // Only pictures, and only the formats Qt reads here; anything else is no picture.
        if (m_hasAvatar && (type == QLatin1String("image/png") || type == QLatin1String("image/jpeg")) && !data.isEmpty())
            setAvatar(QStringLiteral("data:%1;base64,%2").arg(type, data));
        else
            setAvatar({});
        break;
    }
    case Purpose::Apps:
        setApps(result);
        break;
    case Purpose::RevokeApp:
        // apps-changed follows from the agent; ask anyway for agents that announce nothing.
        send(Purpose::Apps, QStringLiteral("apps"));
        break;
    case Purpose::Consent:
        break;
    case Purpose::Status: {
        // A sign-in that runs already (started by signetctl, another window, or this one before a
        // reconnect): join it, which shows its URL and its outcome without opening a second tab.
        const QJsonObject signIn = result.value(QLatin1String("signin")).toObject();
        const QString provider = jsonString(signIn, "provider");
        if (!provider.isEmpty() && !m_signIn.active())
            startSignIn(provider, false);
        // Signed out because the stored session could not be restored (a locked keychain): the
        // sign-in page says so and what to do, instead of looking like a plain sign-out.
        const QString attention = jsonString(result, "attention");
        if (jsonString(result, "state") == QLatin1String("signed_out") && !attention.isEmpty() && !m_signIn.active())
            setNotice(attention);
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
    case Purpose::Avatar:
        setAvatar({});
        break;
    case Purpose::RevokeApp:
        setNotice(message.isEmpty() ? tr("The app's access could not be withdrawn (%1).").arg(code) : message);
        send(Purpose::Apps, QStringLiteral("apps"));
        break;
    case Purpose::Consent:
        // Usually not_found: the request expired or was answered elsewhere; consent-resolved closes it.
        qCInfo(lcUi).noquote() << "the agent did not take the consent answer:" << code;
        break;
    case Purpose::Apps:
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
    } else if (event == QLatin1String("renewed")) {
        setIdentity(data.value(QLatin1String("identity")).toObject());
        updateState();
    } else if (event == QLatin1String("attention-needed")) {
        const QJsonObject identity = data.value(QLatin1String("identity")).toObject();
        if (!identity.isEmpty())
            setIdentity(identity);
        const QString message = jsonString(data, "message");
        setAttention(message.isEmpty() ? tr("Your session could not be renewed. Sign in again to keep working.") : message, m_expiring);
        updateState();
    } else if (event == QLatin1String("expiring")) {
        const QJsonObject identity = data.value(QLatin1String("identity")).toObject();
        if (!identity.isEmpty())
            setIdentity(identity);
        setAttention(m_attention, true);
    } else if (event == QLatin1String("policy-changed")) {
        // The configuration was reloaded: providers, IT's message and the identity's roles may differ.
        send(Purpose::Providers, QStringLiteral("providers"));
        const QJsonObject identity = data.value(QLatin1String("identity")).toObject();
        if (!identity.isEmpty())
            setIdentity(identity);
        if (can("apps"))
            send(Purpose::Apps, QStringLiteral("apps"));
        updateState();
    } else if (event == QLatin1String("apps-changed")) {
        setApps(data);
    } else if (event == QLatin1String("consent-request")) {
        addConsentRequest(data);
    } else if (event == QLatin1String("consent-resolved")) {
        removeConsentRequest(jsonString(data, "request"));
    } else if (event == QLatin1String("signed-out")) {
        const QString provider = jsonString(data, "provider");
        setIdentity({});
        const QString reason = jsonString(data, "reason");
        if (reason == QLatin1String("expired")) {
            setNotice(tr("Your session with %1 expired. Sign in again to continue.").arg(providerName(provider)));
        } else if (reason == QLatin1String("revoked")) {
            setNotice(tr("%1 ended your session (it was revoked or replaced). Sign in again to continue.").arg(providerName(provider)));
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
    m_signIn = {id, providerId, QString(), QString(), QString(), openBrowser, false};
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

void SessionController::answerConsent(const QString &request, bool allow, bool remember)
{
    const bool known = std::any_of(m_consentRequests.cbegin(), m_consentRequests.cend(), [&request](const QVariant &entry) {
        return entry.toMap().value(QStringLiteral("request")).toString() == request;
    });
    if (!known || m_agentState != AgentState::Ready)
        return;
    send(Purpose::Consent, QStringLiteral("consent"),
         {{QStringLiteral("request"), request}, {QStringLiteral("allow"), allow}, {QStringLiteral("remember"), remember}});
    // Closed at once; the agent's consent-resolved finds it gone.
    removeConsentRequest(request);
}

void SessionController::revokeApp(const QString &appId)
{
    if (m_agentState != AgentState::Ready || appId.isEmpty())
        return;
    send(Purpose::RevokeApp, QStringLiteral("apps"), {{QStringLiteral("revoke"), appId}});
}

void SessionController::addConsentRequest(const QJsonObject &data)
{
    const QString request = jsonString(data, "request");
    const QJsonObject app = data.value(QLatin1String("app")).toObject();
    if (request.isEmpty() || app.isEmpty())
        return;
    removeConsentRequest(request); // a repeated announcement replaces the old one
    QStringList scopes;
    for (const QJsonValue &scope : data.value(QLatin1String("scopes")).toArray())
        scopes.append(scope.toString());
    const QString name = jsonString(app, "name");
    const qint64 expiresIn = data.value(QLatin1String("expires_in")).toInteger(120);
    m_consentRequests.append(QVariantMap{
        {QStringLiteral("request"), request},
        {QStringLiteral("appId"), jsonString(app, "id")},
        {QStringLiteral("name"), name.isEmpty() ? jsonString(app, "id") : name},
        {QStringLiteral("exe"), jsonString(app, "exe")},
        {QStringLiteral("script"), jsonString(app, "script")},
        {QStringLiteral("scopes"), scopes},
        {QStringLiteral("expiresAt"), QDateTime::currentDateTimeUtc().addSecs(std::clamp<qint64>(expiresIn, 1, 3600))},
    });
    qCInfo(lcUi).noquote() << "an app asks for consent:" << jsonString(app, "id");
    Q_EMIT consentRequestsChanged();
    Q_EMIT consentRequested(request);
}

void SessionController::removeConsentRequest(const QString &request)
{
    const auto removed = std::remove_if(m_consentRequests.begin(), m_consentRequests.end(), [&request](const QVariant &entry) {
        return entry.toMap().value(QStringLiteral("request")).toString() == request;
    });
    if (removed == m_consentRequests.end())
        return;
    m_consentRequests.erase(removed, m_consentRequests.end());
    Q_EMIT consentRequestsChanged();
}

void SessionController::setApps(const QJsonObject &answer)
{
    QVariantList apps;
    for (const QJsonValue &value : answer.value(QLatin1String("apps")).toArray()) {
        const QJsonObject app = value.toObject();
        if (!jsonString(app, "id").isEmpty())
            apps.append(appFromJson(app));
    }
    const QString unknownApps = jsonString(answer, "unknown_apps");
    if (apps == m_apps && unknownApps == m_unknownApps)
        return;
    m_apps = apps;
    m_unknownApps = unknownApps;
    Q_EMIT appsChanged();
}

void SessionController::setAttention(const QString &attention, bool expiring)
{
    if (attention == m_attention && expiring == m_expiring)
        return;
    m_attention = attention;
    m_expiring = expiring;
    Q_EMIT attentionChanged();
}

void SessionController::setAvatar(const QString &url)
{
    if (url == m_avatarUrl)
        return;
    m_avatarUrl = url;
    Q_EMIT avatarChanged();
}

void SessionController::requestAvatar()
{
    if (m_hasAvatar && can("avatar") && m_agentState != AgentState::Unavailable)
        send(Purpose::Avatar, QStringLiteral("avatar"));
}

bool SessionController::providerAllowsEmbedded(const QString &providerId) const
{
    for (const QVariant &provider : m_providers) {
        const QVariantMap map = provider.toMap();
        if (map.value(QStringLiteral("id")).toString() == providerId)
            return map.value(QStringLiteral("embedded")).toBool();
    }
    return false;
}

QString SessionController::webviewProgram()
{
    const QString overridden = qEnvironmentVariable("SIGNET_WEBVIEW");
    const QFileInfo program(overridden.isEmpty() ? QDir(QCoreApplication::applicationDirPath()).filePath(QStringLiteral("signet-webview")) : overridden);
    return program.isExecutable() ? program.absoluteFilePath() : QString();
}

void SessionController::openInBrowser(const QString &url)
{
    // The agent is trusted, but a browser is only ever pointed at a web address.
    const QUrl parsed(url, QUrl::StrictMode);
    if (!parsed.isValid() || (parsed.scheme() != QLatin1String("https") && parsed.scheme() != QLatin1String("http"))) {
        qCWarning(lcUi) << "not opening an authorization address that is not http(s)";
        return;
    }
    // Kiosks (policy browser = embedded): the window's own browser, a separate program so that
    // Chromium is only loaded for this. Never for Google, which refuses embedded browsers.
    if (m_browserMode == QLatin1String("embedded") && providerAllowsEmbedded(m_signIn.provider)) {
        const QString webview = webviewProgram();
        auto *process = webview.isEmpty() ? nullptr : new QProcess(this);
        if (process) {
            process->setProgram(webview);
            process->setArguments({parsed.toString(QUrl::FullyEncoded)});
            process->setProcessChannelMode(QProcess::ForwardedChannels);
            // Closed by the person before the page reached the agent (exit 3): the sign-in is
            // cancelled at the agent rather than left waiting for state_timeout.
            connect(process, &QProcess::finished, this, [this, process, requestId = m_signIn.requestId](int exitCode, QProcess::ExitStatus status) {
                process->deleteLater();
                // Only this sign-in: a later one has its own page.
                if (status == QProcess::NormalExit && exitCode == WebViewClosedByPerson && m_signIn.requestId == requestId && m_signIn.active()) {
                    qCInfo(lcUi) << "signet-webview was closed before the sign-in finished; cancelling it";
                    cancel();
                }
            });
            process->start();
        }
        if (process && process->waitForStarted(5000)) {
            qCInfo(lcUi) << "showing the sign-in page in signet-webview";
            m_signIn.embedded = true;
            Q_EMIT signInChanged();
            return;
        }
        if (process)
            process->deleteLater();
        qCInfo(lcUi) << "signet-webview is not installed; using the system browser";
    }
    // A command of the environment's choosing (tests drive a real browser this way).
    const QString opener = qEnvironmentVariable("SIGNET_URL_OPENER");
    if (!opener.isEmpty()) {
        if (!QProcess::startDetached(opener, {parsed.toString(QUrl::FullyEncoded)}))
            setNotice(tr("No browser could be opened. Copy the address below into your browser."));
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
        QStringList roles;
        for (const QJsonValue &role : identity.value(QLatin1String("roles")).toArray())
            roles.append(role.toString());
        map = {
            {QStringLiteral("roles"), roles},
            {QStringLiteral("rolesComplete"), identity.value(QLatin1String("roles_complete")).toBool(true)},
            {QStringLiteral("account"), jsonString(identity, "account")},
            {QStringLiteral("username"), jsonString(identity, "username")},
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
    // Who it is (not how long for): a different person gets a fresh picture and no old warnings.
    const auto whoOf = [](const QVariantMap &of) {
        return QStringList{of.value(QStringLiteral("provider")).toString(), of.value(QStringLiteral("account")).toString(),
                           of.value(QStringLiteral("subject")).toString()}
            .join(QLatin1Char('/'));
    };
    const QString previousAccount = whoOf(m_identity);
    const QString account = whoOf(map);
    if (map != m_identity) {
        m_identity = map;
        Q_EMIT identityChanged();
    }
    // The identity's own attention member (renewal failed) is the truth after every update.
    // "expiring" lasts until the session is renewed (a later end) or replaced.
    setAttention(jsonString(identity, "attention"), !identity.isEmpty() && m_expiring && previousAccount == account && expiresAt <= m_expiresAt);
    const bool hasAvatar = identity.value(QLatin1String("has_avatar")).toBool(false);
    if (identity.isEmpty() || account != previousAccount || hasAvatar != m_hasAvatar) {
        m_hasAvatar = hasAvatar;
        setAvatar({});
        requestAvatar();
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

bool SessionController::setProviders(const QJsonArray &providers)
{
    QVariantList list;
    for (const QJsonValue &value : providers) {
        const QJsonObject provider = value.toObject();
        const QString id = jsonString(provider, "id");
        if (id.isEmpty())
            continue;
        const QString displayName = jsonString(provider, "display_name");
        const QString buttonText = jsonString(provider, "button_text");
        list.append(QVariantMap{
            {QStringLiteral("id"), id},
            {QStringLiteral("displayName"), displayName.isEmpty() ? id : displayName},
            {QStringLiteral("type"), jsonString(provider, "type")},
            {QStringLiteral("available"), provider.value(QLatin1String("available")).toBool(true)},
            {QStringLiteral("problem"), jsonString(provider, "problem")},
            {QStringLiteral("deviceFlow"), provider.value(QLatin1String("device_flow")).toBool(false)},
            {QStringLiteral("buttonText"), buttonText.isEmpty() ? tr("Sign in with %1").arg(displayName.isEmpty() ? id : displayName) : buttonText},
            {QStringLiteral("logo"), logoUrl(provider)},
            {QStringLiteral("backgroundColor"), color(provider, "background_color")},
            {QStringLiteral("textColor"), color(provider, "text_color")},
            // Google refuses sign-ins in embedded browsers (and RFC 8252 advises against them).
            {QStringLiteral("embedded"), jsonString(provider, "type") != QLatin1String("google")},
        });
    }
    if (list == m_providers)
        return false;
    m_providers = list;
    Q_EMIT providersChanged();
    if (m_signIn.active())
        Q_EMIT signInChanged(); // the display name may have changed
    if (!m_identity.isEmpty()) {
        m_identity.insert(QStringLiteral("providerName"), providerName(m_identity.value(QStringLiteral("provider")).toString()));
        Q_EMIT identityChanged();
    }
    return true;
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
