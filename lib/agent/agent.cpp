#include "agent.h"

#include "agent/appaccess.h"
#include "auth/jwks.h"
#include "auth/signinattempt.h"
#include "auth/tokenrefresh.h"
#include "auth/tokenrevocation.h"
#include "ipc/ipcserver.h"
#include "logging/logging.h"
#include "logging/secretredactor.h"
#include "policy/hook.h"
#include "providers/providerrules.h"
#include "store/sessionstore.h"
#include "net/boundednetworkaccessmanager.h"

#include "signet-version.h"

#include <QDir>
#include <QJsonArray>
#include <QScopeGuard>
#include <QJsonDocument>
#include <QNetworkInformation>
#include <QUrlQuery>

#include <algorithm>
#include <limits>

namespace Signet {

namespace {
const QStringList AllEvents = {QStringLiteral("signed-in"), QStringLiteral("signed-out"), QStringLiteral("policy-changed"), QStringLiteral("renewed"),
                               QStringLiteral("attention-needed"), QStringLiteral("expiring"), QStringLiteral("apps-changed"),
                               QStringLiteral("consent-request"), QStringLiteral("consent-resolved")};
// Only the window hears about consent prompts.
const QStringList WindowEvents = {QStringLiteral("consent-request"), QStringLiteral("consent-resolved")};
// Events that tell who is signed in: not for apps that may not know (whoami = granted).
const QStringList IdentityEvents = {QStringLiteral("signed-in"), QStringLiteral("policy-changed"), QStringLiteral("renewed"),
                                    QStringLiteral("attention-needed"), QStringLiteral("expiring")};
const QStringList Capabilities = {QStringLiteral("status"), QStringLiteral("providers"), QStringLiteral("signin"), QStringLiteral("cancel"),
                                  QStringLiteral("whoami"), QStringLiteral("signout"), QStringLiteral("subscribe"), QStringLiteral("avatar"), QStringLiteral("token"),
                                  QStringLiteral("apps"), QStringLiteral("consent"), QStringLiteral("reset")};

QJsonObject problemToJson(const ConfigProblem &problem)
{
    return {{QStringLiteral("severity"), problem.isError() ? QStringLiteral("error") : QStringLiteral("warning")},
            {QStringLiteral("file"), problem.file},
            {QStringLiteral("group"), problem.group},
            {QStringLiteral("key"), problem.key},
            {QStringLiteral("message"), problem.message},
            {QStringLiteral("text"), problem.toString()}};
}
} // namespace

Agent::Agent(const Config &config, const QString &stateDirectory, QObject *parent)
    : QObject(parent)
    , m_config(config)
    , m_stateDirectory(stateDirectory.isEmpty() ? AccountRegistry::defaultStateDirectory() : stateDirectory)
    , m_registry(QDir(m_stateDirectory).filePath(QStringLiteral("accounts.json")))
    , m_audit(QDir(m_stateDirectory).filePath(QStringLiteral("audit.jsonl")))
    , m_policy(std::make_unique<Policy>(config.policy, &m_registry))
{
    QString problem;
    if (!m_registry.load(&problem))
        qCWarning(lcAgent).noquote() << problem;
    m_access = std::make_unique<AppAccess>(QDir(m_stateDirectory).filePath(QStringLiteral("grants.json")), &m_audit, &m_connections);
    m_access->setConfig(config);
    connect(m_access.get(), &AppAccess::eventReady, this, [this](const QString &event, const QJsonObject &data, bool windowOnly) {
        const QList<QPointer<IpcConnection>> connections = m_connections;
        for (const auto &connection : connections) {
            if (connection && connection->subscriptions.contains(event) && (!windowOnly || m_access->isWindow(connection)))
                connection->sendEvent(event, data);
        }
    });
    m_expiringTimer.setSingleShot(true);
    connect(&m_expiringTimer, &QTimer::timeout, this, [this] {
        if (!m_session.isActive())
            return;
        const Identity &identity = m_session.identity();
        broadcast(QStringLiteral("expiring"), {{QStringLiteral("identity"), identity.toJson()},
                                               {QStringLiteral("expires_in"), qMax<qint64>(0, QDateTime::currentDateTimeUtc().secsTo(identity.expiresAt))}});
    });
    m_renewTimer.setSingleShot(true);
    connect(&m_renewTimer, &QTimer::timeout, this, &Agent::renew);
    // Timers run on the monotonic clock, which stands still while the machine sleeps: look at the
    // wall clock every half minute, so a renewal that fell due during a suspend happens right after it.
    m_wallClockCheck.setInterval(30'000);
    connect(&m_wallClockCheck, &QTimer::timeout, this, [this] {
        if (!m_session.isActive() || m_renewing || !m_renewTimer.isActive())
            return;
        if (QDateTime::currentDateTimeUtc().msecsTo(m_session.identity().expiresAt) <= renewalLead().count())
            renew();
    });
    m_wallClockCheck.start();
    // When the network comes back, a renewal that could not reach the provider is tried at once.
    if (QNetworkInformation::loadDefaultBackend() && QNetworkInformation::instance()) {
        connect(QNetworkInformation::instance(), &QNetworkInformation::reachabilityChanged, this, [this](QNetworkInformation::Reachability reachability) {
            if (reachability == QNetworkInformation::Reachability::Online && m_session.isActive() && !m_renewing && !m_session.identity().attention.isEmpty()
                && m_renewTimer.isActive()) {
                qCInfo(lcAgent) << "the network is back: renewing now";
                renew();
            }
        });
    }
    connect(&m_session, &Session::started, this, [this](const Identity &identity) {
        broadcast(QStringLiteral("signed-in"), {{QStringLiteral("identity"), identity.toJson()}});
    });
    connect(&m_session, &Session::ended, this, [this](const QString &provider, Session::EndReason reason) {
        m_audit.record(QStringLiteral("signout"), {{QStringLiteral("provider"), provider}, {QStringLiteral("reason"), Session::reasonName(reason)}});
        m_expiringTimer.stop();
        cancelRenewal(tr("The session ended."));
        ++m_sessionGeneration;
        if (m_store)
            m_store->clear(); // every stored secret of the session goes with it
        // The session is over: no token for on_signout.
        runHook(QStringLiteral("on_signout"), m_config.policy.onSignout,
                hookInput(QStringLiteral("on_signout"), m_session.lastIdentity(), {}, {{QStringLiteral("reason"), Session::reasonName(reason)}}));
        broadcast(QStringLiteral("signed-out"), {{QStringLiteral("provider"), provider}, {QStringLiteral("reason"), Session::reasonName(reason)}});
    });
}

Agent::~Agent()
{
    if (m_attempt)
        m_attempt->disconnect(this);
}

void Agent::serve(IpcServer *server)
{
    connect(server, &IpcServer::newConnection, this, &Agent::attach);
}

void Agent::attach(IpcConnection *connection)
{
    m_connections.append(connection);
    connect(connection, &IpcConnection::requestReceived, this, [this, connection](const QJsonValue &id, const QString &method, const QJsonObject &params) {
        handle(connection, id, method, params);
    });
    connect(connection, &IpcConnection::closed, this, [this, connection] {
        m_connections.removeAll(connection);
        m_connections.removeAll(nullptr);
        m_waiters.removeIf([connection](const Waiter &waiter) { return waiter.connection == connection || !waiter.connection; });
        m_access->connectionClosed(connection);
    });
}

void Agent::handle(IpcConnection *connection, const QJsonValue &id, const QString &method, const QJsonObject &params)
{
    qCDebug(lcAgent) << "request" << method << "from pid" << connection->peerPid();
    // While the stored session is being read back, answers about the session would be wrong:
    // such requests wait (briefly) until it is known.
    if (m_restoring && method != QLatin1String("hello")) {
        if (m_pending.size() >= MaxPendingRequests) {
            connection->sendError(id, QStringLiteral("busy"), tr("The agent is starting; try again in a moment."));
            return;
        }
        m_pending.append({connection, id, method, params});
        return;
    }
    if (method == QLatin1String("hello")) {
        QString code, message;
        const QJsonObject result = hello(connection, params, &code, &message);
        if (code.isEmpty())
            connection->sendResult(id, result);
        else
            connection->sendError(id, code, message);
    } else if (method == QLatin1String("status")) {
        connection->sendResult(id, status());
    } else if (method == QLatin1String("providers")) {
        connection->sendResult(id, providers());
    } else if (method == QLatin1String("signin")) {
        signIn(connection, id, params);
    } else if (method == QLatin1String("cancel")) {
        const bool running = m_attempt && !m_attempt->isFinished();
        connection->sendResult(id, {{QStringLiteral("cancelled"), running}});
        if (running)
            m_attempt->cancel();
    } else if (method == QLatin1String("whoami")) {
        if (refusedIdentity(connection, id))
            return;
        if (m_session.isActive())
            connection->sendResult(id, keptAnswer(m_whoamiAnswer, [this] { return QJsonObject{{QStringLiteral("identity"), m_session.identityJson()}}; }));
        else
            connection->sendError(id, QStringLiteral("not_signed_in"), tr("Nobody is signed in. Sign in with 'signetctl signin <provider>' or the Signet window."));
    } else if (method == QLatin1String("signout")) {
        signOut(connection, id);
    } else if (method == QLatin1String("token")) {
        requestToken(connection, id, params);
    } else if (method == QLatin1String("avatar")) {
        if (refusedIdentity(connection, id))
            return;
        if (!m_session.isActive()) {
            connection->sendError(id, QStringLiteral("not_signed_in"), tr("Nobody is signed in."));
            return;
        }
        const Identity &identity = m_session.identity();
        connection->sendResult(id, {{QStringLiteral("content_type"), identity.avatar.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QString::fromLatin1(identity.avatarType))},
                                    {QStringLiteral("data"), identity.avatar.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(QString::fromLatin1(identity.avatar.toBase64()))}});
    } else if (method == QLatin1String("subscribe")) {
        subscribe(connection, id, params);
    } else if (method == QLatin1String("apps")) {
        m_access->apps(connection, id, params);
    } else if (method == QLatin1String("consent")) {
        m_access->consent(connection, id, params);
    } else if (method == QLatin1String("reset")) {
        reset(connection, id, params);
    } else {
        connection->sendError(id, QStringLiteral("unknown_method"), tr("Unknown method '%1'. This agent speaks protocol %2; see docs/ipc.md.").arg(method.left(64)).arg(SIGNET_PROTOCOL_VERSION));
    }
}

QJsonObject Agent::hello(const IpcConnection *connection, const QJsonObject &params, QString *errorCode, QString *errorMessage)
{
    const QJsonValue protocol = params.value(QLatin1String("protocol"));
    if (!protocol.isUndefined() && protocol.toInt(-1) != SIGNET_PROTOCOL_VERSION) {
        *errorCode = QStringLiteral("unsupported_protocol");
        *errorMessage = tr("This agent speaks protocol %1; the client asked for %2. Update the client or the agent so they match.")
                            .arg(SIGNET_PROTOCOL_VERSION)
                            .arg(protocol.toVariant().toString());
        return {};
    }
    return {{QStringLiteral("protocol"), SIGNET_PROTOCOL_VERSION},
            {QStringLiteral("caller"), m_access->describe(connection)},
            {QStringLiteral("agent"), QStringLiteral("signet-agent")},
            {QStringLiteral("version"), QStringLiteral(SIGNET_VERSION)},
            {QStringLiteral("capabilities"), QJsonArray::fromStringList(Capabilities)}};
}

QJsonObject Agent::status()
{
    const bool signedIn = m_session.isActive();
    const bool signingIn = m_attempt && !m_attempt->isFinished();
    QString state = QStringLiteral("signed_out");
    if (signedIn)
        state = QStringLiteral("signed_in");
    else if (signingIn)
        state = QStringLiteral("signing_in");

    const QDateTime now = QDateTime::currentDateTimeUtc();
    QJsonObject result{{QStringLiteral("state"), state}};
    result.insert(QStringLiteral("provider"), signedIn ? QJsonValue(m_session.identity().provider) : QJsonValue(QJsonValue::Null));
    result.insert(QStringLiteral("expires_at"), signedIn ? QJsonValue(m_session.identity().expiresAt.toString(Qt::ISODate)) : QJsonValue(QJsonValue::Null));
    result.insert(QStringLiteral("expires_in"), signedIn ? QJsonValue(now.secsTo(m_session.identity().expiresAt)) : QJsonValue(QJsonValue::Null));
    // Signed in: a failed renewal. Signed out: a stored session that could not be restored (a locked keychain).
    const QString attention = signedIn ? m_session.identity().attention : m_restoreProblem;
    result.insert(QStringLiteral("attention"), attention.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(attention));
    if (signingIn) {
        result.insert(QStringLiteral("signin"), QJsonObject{{QStringLiteral("provider"), m_attempt->provider().id},
                                                            {QStringLiteral("url"), m_attempt->authorizationUrl().isValid() ? QJsonValue(m_attempt->authorizationUrl().toString(QUrl::FullyEncoded)) : QJsonValue(QJsonValue::Null)},
                                                            {QStringLiteral("expires_in"), now.secsTo(m_attempt->expiresAt())}});
    } else {
        result.insert(QStringLiteral("signin"), QJsonValue::Null);
    }
    QJsonArray problems;
    for (const auto &problem : m_config.allProblems())
        problems.append(problemToJson(problem));
    result.insert(QStringLiteral("config"), QJsonObject{{QStringLiteral("ok"), !m_config.hasGeneralErrors()}, {QStringLiteral("problems"), problems}});
    return result;
}

QJsonObject Agent::providers()
{
    QJsonArray list;
    for (const auto &provider : std::as_const(m_config.providers)) {
        list.append(QJsonObject{{QStringLiteral("id"), provider.id},
                                {QStringLiteral("type"), provider.type},
                                {QStringLiteral("display_name"), provider.displayName},
                                {QStringLiteral("issuer"), provider.issuer.isValid() ? QJsonValue(provider.issuer.toString()) : QJsonValue(QJsonValue::Null)},
                                {QStringLiteral("available"), provider.isAvailable()},
                                {QStringLiteral("problem"), provider.isAvailable() ? QJsonValue(QJsonValue::Null) : QJsonValue(provider.firstError())},
                                {QStringLiteral("button_text"), provider.buttonText},
                                {QStringLiteral("logo"), provider.logo},
                                {QStringLiteral("logo_file"), provider.logoFile.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(provider.logoFile)},
                                {QStringLiteral("background_color"), provider.backgroundColor},
                                {QStringLiteral("text_color"), provider.textColor},
                                {QStringLiteral("device_flow"), provider.allowDeviceFlow}});
    }
    return {{QStringLiteral("providers"), list},
            {QStringLiteral("browser"), m_config.embeddedBrowser ? QStringLiteral("embedded") : QStringLiteral("system")},
            {QStringLiteral("message"), m_config.signInMessage.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(m_config.signInMessage)}};
}

void Agent::signIn(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params)
{
    const QJsonValue providerValue = params.value(QLatin1String("provider"));
    if (!providerValue.isString() || providerValue.toString().isEmpty()) {
        connection->sendError(id, QStringLiteral("bad_request"), tr("'signin' needs the parameter 'provider' (a provider id from 'providers')."));
        return;
    }
    const QString providerId = providerValue.toString();
    const ProviderConfig *provider = m_config.provider(providerId);
    if (!provider) {
        QStringList ids;
        for (const auto &p : std::as_const(m_config.providers))
            ids << p.id;
        connection->sendError(id, QStringLiteral("unknown_provider"),
                              ids.isEmpty() ? tr("No provider '%1' is configured, and no provider is configured at all; see docs/configuration.md.").arg(providerId.left(64))
                                            : tr("No provider '%1' is configured. Configured providers: %2.").arg(providerId.left(64), ids.join(QStringLiteral(", "))));
        return;
    }
    if (m_config.hasGeneralErrors()) {
        QStringList errors;
        for (const auto &problem : m_config.problems) {
            if (problem.isError())
                errors << problem.toString();
        }
        connection->sendError(id, QStringLiteral("config_error"), tr("The configuration has errors; fix them and restart signet-agent: %1").arg(errors.join(QStringLiteral("; "))));
        return;
    }
    if (!provider->isAvailable()) {
        connection->sendError(id, QStringLiteral("config_error"), tr("%1 cannot be used: %2").arg(provider->displayName, provider->firstError()));
        return;
    }
    const QJsonValue deviceValue = params.value(QLatin1String("device"));
    if (!deviceValue.isUndefined() && !deviceValue.isBool()) {
        connection->sendError(id, QStringLiteral("bad_request"), tr("'device' must be true or false."));
        return;
    }
    const bool device = deviceValue.toBool(false);
    if (device && !provider->allowDeviceFlow) {
        connection->sendError(id, QStringLiteral("config_error"),
                              tr("Signing in with a code on another device is not enabled for %1. Sign in with a browser, or ask IT to set allow_device_flow = true.")
                                  .arg(provider->displayName));
        return;
    }

    if (m_completing) {
        connection->sendError(id, QStringLiteral("busy"), tr("A sign-in is being completed. Try again in a moment."));
        return;
    }
    if (m_attempt && !m_attempt->isFinished()) {
        if (m_attempt->provider().id != providerId || m_attempt->isDeviceFlow() != device) {
            connection->sendError(id, QStringLiteral("busy"),
                                  tr("A sign-in with %1 is already running. Finish or cancel it first.").arg(m_attempt->provider().displayName));
            return;
        }
        // Same provider: join the running attempt (one browser tab, not two states racing).
        // One waiting request per connection, or one client could grow the list without bound.
        for (const Waiter &waiter : std::as_const(m_waiters)) {
            if (waiter.connection == connection) {
                connection->sendError(id, QStringLiteral("busy"), tr("This connection already waits for this sign-in (request %1).").arg(waiter.id.toVariant().toString()));
                return;
            }
        }
        m_waiters.append({connection, id});
        if (m_attempt->authorizationUrl().isValid()) {
            connection->sendEvent(QStringLiteral("authorization-url"),
                                  {{QStringLiteral("provider"), providerId},
                                   {QStringLiteral("url"), m_attempt->authorizationUrl().toString(QUrl::FullyEncoded)},
                                   {QStringLiteral("expires_in"), QDateTime::currentDateTimeUtc().secsTo(m_attempt->expiresAt())}},
                                  id);
        }
        if (const QJsonObject code = m_attempt->deviceCode(); !code.isEmpty())
            connection->sendEvent(QStringLiteral("device-code"), code, id);
        return;
    }

    const auto keys = keysFor(*provider);
    auto *attempt = new SignInAttempt(*provider, m_config.stateTimeout, m_config.sessionAge, {keys.first, keys.second}, this);
    attempt->setDeviceFlow(device);
    m_attempt = attempt;
    m_waiters = {{connection, id}};
    connect(attempt, &SignInAttempt::authorizationUrlReady, this, [this, attempt](const QUrl &url) {
        for (const Waiter &waiter : std::as_const(m_waiters)) {
            if (waiter.connection) {
                waiter.connection->sendEvent(QStringLiteral("authorization-url"),
                                             {{QStringLiteral("provider"), attempt->provider().id},
                                              {QStringLiteral("url"), url.toString(QUrl::FullyEncoded)},
                                              {QStringLiteral("expires_in"), QDateTime::currentDateTimeUtc().secsTo(attempt->expiresAt())}},
                                             waiter.id);
            }
        }
    });
    connect(attempt, &SignInAttempt::deviceCodeReady, this, [this, attempt] {
        const QJsonObject code = attempt->deviceCode();
        for (const Waiter &waiter : std::as_const(m_waiters)) {
            if (waiter.connection)
                waiter.connection->sendEvent(QStringLiteral("device-code"), code, waiter.id);
        }
    });
    connect(attempt, &SignInAttempt::finished, this, &Agent::onAttemptFinished);
    attempt->start();
}

void Agent::reconfigure(const Config &config)
{
    m_config = config;
    m_policy = std::make_unique<Policy>(config.policy, &m_registry);
    m_access->setConfig(config);
    for (const auto &provider : config.providers) {
        SecretRedactor::addSecret(provider.clientSecret);
        SecretRedactor::addSecret(provider.deviceClientSecret);
    }
    // Renewal uses the provider as configured now (a rotated client secret), with the session's client.
    if (const ProviderConfig *current = config.provider(m_sessionProvider.id); current && m_session.isActive()) {
        const bool device = m_sessionProvider.clientId != current->clientId && m_sessionProvider.clientId == current->deviceClientId;
        m_sessionProvider = device ? current->asDeviceClient() : *current;
    }
    qCInfo(lcAgent).noquote() << "configuration reloaded:" << config.allProblems().size() << "problem(s)";
    m_audit.record(QStringLiteral("policy-reloaded"), {{QStringLiteral("ok"), !config.hasGeneralErrors()}, {QStringLiteral("files"), QJsonArray::fromStringList(config.files)}});

    // A tightened policy applies to whoever is signed in now, not only to the next sign-in.
    if (m_session.isActive()) {
        Identity identity = m_session.identity();
        const ProviderConfig *provider = m_config.provider(identity.provider);
        SignInError refused = provider ? ProviderRules::create(*provider)->recheck(identity)
                                       : SignInError{SignInError::Code::PolicyRefused, tr("The provider is no longer configured."), QStringLiteral("provider")};
        if (!refused.isError())
            refused = m_policy->recheck(*provider, m_session.claims(), &identity);
        if (refused.isError()) {
            qCInfo(lcAgent).noquote() << "the new policy no longer admits the signed-in identity:" << refused.check;
            m_session.end(Session::EndReason::PolicyChanged);
        } else {
            m_session.updateIdentity(identity);
            scheduleRenewal(); // renew and max_session_age may have changed
        }
    }
    const bool signedIn = m_session.isActive();
    broadcast(QStringLiteral("policy-changed"), {{QStringLiteral("config"), QJsonObject{{QStringLiteral("ok"), !m_config.hasGeneralErrors()}}},
                                                 {QStringLiteral("identity"), signedIn ? QJsonValue(m_session.identity().toJson()) : QJsonValue(QJsonValue::Null)}});
}

void Agent::signOut(IpcConnection *connection, const QJsonValue &id)
{
    if (!m_session.isActive()) {
        connection->sendError(id, QStringLiteral("not_signed_in"), tr("Nobody is signed in."));
        return;
    }
    QPointer<IpcConnection> waiting(connection);
    endSession([waiting, id](const QJsonObject &result) {
        if (waiting)
            waiting->sendResult(id, result);
    });
}

void Agent::endSession(std::function<void(QJsonObject)> done)
{
    // Signed out here first, whatever the provider says: never held up by the network.
    const TokenSet tokens = m_session.tokens();
    const ProviderMetadata metadata = m_sessionMetadata;
    // The client the tokens were issued to (a device client, perhaps): RFC 7009 §2.1 refuses others.
    const ProviderConfig sessionProvider = m_sessionProvider;
    m_session.end(Session::EndReason::SignedOut);

    QJsonObject result{{QStringLiteral("signed_out"), true}};
    // OpenID Connect RP-initiated logout: the page that ends the session at the provider too. Only
    // client_id, never the ID token as a hint: no token leaves the agent.
    QJsonValue endSession = QJsonValue::Null;
    if (metadata.endSessionEndpoint.isValid()) {
        QUrl url = metadata.endSessionEndpoint;
        QUrlQuery query(url);
        query.addQueryItem(QStringLiteral("client_id"), QString::fromLatin1(QUrl::toPercentEncoding(sessionProvider.clientId)));
        url.setQuery(query);
        endSession = url.toString(QUrl::FullyEncoded);
    }
    result.insert(QStringLiteral("end_session_url"), endSession);

    const ProviderConfig *provider = &sessionProvider;
    if (sessionProvider.id.isEmpty() || !TokenRevocation::isSupported(*provider, metadata.revocationEndpoint, tokens)) {
        result.insert(QStringLiteral("revoked"), QJsonValue::Null); // nothing to revoke at this provider
        done(result);
        return;
    }
    // At most 10 s: the person waits for this answer, and clients give up after 30 s.
    auto *network = new BoundedNetworkAccessManager(std::min(provider->httpTimeout, std::chrono::seconds(10)), this);
    network->setExtraCaCertificates(provider->extraCaCertificates);
    auto *revocation = new TokenRevocation(network, *provider, metadata.revocationEndpoint, tokens, network);
    connect(revocation, &TokenRevocation::finished, this, [done = std::move(done), result, revocation, network, name = provider->displayName]() mutable {
        result.insert(QStringLiteral("revoked"), revocation->isRevoked());
        if (!revocation->isRevoked())
            result.insert(QStringLiteral("revocation_error"), tr("%1 could not be told to revoke the tokens: %2").arg(name, revocation->errorMessage()));
        done(result);
        network->deleteLater();
    });
    revocation->start();
}

bool Agent::refusedIdentity(IpcConnection *connection, const QJsonValue &id)
{
    QString refused;
    if (m_access->mayKnowIdentity(connection, &refused))
        return false;
    m_access->noteUse(connection, QStringLiteral("app-refused"));
    connection->sendError(id, QStringLiteral("not_granted"), refused, {{QStringLiteral("check"), QStringLiteral("app")}});
    return true;
}

void Agent::reset(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params)
{
    if (params.value(QLatin1String("confirm")).toBool() != true) {
        connection->sendError(id, QStringLiteral("bad_request"),
                              tr("'reset' forgets every account, app grant and stored secret of this user; send it with \"confirm\": true."));
        return;
    }
    if (m_attempt && !m_attempt->isFinished())
        m_attempt->cancel();
    const int accounts = int(m_registry.accounts().size());
    m_registry.clear();
    QString problem;
    if (!m_registry.save(&problem))
        qCWarning(lcAgent).noquote() << problem;
    const int grants = m_access->forgetAnswers();
    m_audit.record(QStringLiteral("reset"), {{QStringLiteral("accounts"), accounts}, {QStringLiteral("grants"), grants}});
    QJsonObject result{{QStringLiteral("reset"), true}, {QStringLiteral("accounts"), accounts}, {QStringLiteral("grants"), grants}};
    QPointer<IpcConnection> waiting(connection);
    if (!m_session.isActive()) {
        if (m_store)
            m_store->clear(); // whatever a crashed agent may have left in the keychain
        result.insert(QStringLiteral("signed_out"), false);
        connection->sendResult(id, result);
        return;
    }
    // Signed out as with `signout`, the provider told where it can be.
    endSession([waiting, id, result](const QJsonObject &signedOut) mutable {
        for (auto it = signedOut.begin(); it != signedOut.end(); ++it)
            result.insert(it.key(), it.value());
        if (waiting)
            waiting->sendResult(id, result);
    });
}

void Agent::subscribe(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params)
{
    QStringList wanted = AllEvents;
    if (params.contains(QLatin1String("events"))) {
        wanted.clear();
        for (const QJsonValue &event : params.value(QLatin1String("events")).toArray()) {
            if (AllEvents.contains(event.toString()))
                wanted << event.toString();
        }
    }
    QString refused;
    const bool mayKnow = m_access->mayKnowIdentity(connection, &refused);
    const bool window = m_access->isWindow(connection);
    // Events a connection may not have are left out of the answer, which lists what it will get.
    wanted.removeIf([&](const QString &event) { return (WindowEvents.contains(event) && !window) || (IdentityEvents.contains(event) && !mayKnow); });
    const bool newConsentListener = wanted.contains(QStringLiteral("consent-request")) && !connection->subscriptions.contains(QStringLiteral("consent-request"));
    for (const QString &event : std::as_const(wanted))
        connection->subscriptions.insert(event);
    QStringList all = connection->subscriptions.values();
    all.sort();
    connection->sendResult(id, {{QStringLiteral("events"), QJsonArray::fromStringList(all)}});
    // A window that opens while apps wait sees their prompts at once.
    if (newConsentListener) {
        for (const QJsonObject &prompt : m_access->openPrompts())
            connection->sendEvent(QStringLiteral("consent-request"), prompt);
    }
}

void Agent::onAttemptFinished()
{
    SignInAttempt *attempt = m_attempt;
    if (!attempt)
        return;
    const QList<Waiter> waiters = std::exchange(m_waiters, {});
    if (attempt->error().isError()) {
        QJsonObject failed{{QStringLiteral("provider"), attempt->provider().id}, {QStringLiteral("code"), SignInError::codeName(attempt->error().code)}};
        if (!attempt->error().check.isEmpty())
            failed.insert(QStringLiteral("check"), attempt->error().check);
        m_audit.record(attempt->error().code == SignInError::Code::PolicyRefused ? QStringLiteral("signin-refused") : QStringLiteral("signin-failed"), failed);
        answerWithError(waiters, attempt->error());
        releaseAttempt(attempt);
        return;
    }
    // The provider said who it is; the policy says whether they may be this desktop's identity.
    Identity identity = attempt->identity();
    const ProviderConfig *provider = m_config.provider(identity.provider);
    // Judged now without recording anything: the account is registered only once the sign-in really
    // completes (after pre_signin and the keychain), under the policy in force then.
    const SignInError refused = provider ? m_policy->recheck(*provider, attempt->claims(), &identity)
                                         : SignInError{SignInError::Code::ConfigError, tr("The provider is no longer configured.")};
    if (refused.isError()) {
        refuseSignIn(attempt, identity, waiters, refused);
        return;
    }
    if (m_config.policy.preSignin.isEmpty()) {
        completeSignIn(attempt, identity, waiters);
        return;
    }
    // IT's pre_signin program has the last word. Until it answers, the attempt is kept and no other
    // sign-in starts.
    m_completing = true;
    auto *hook = new Hook(QStringLiteral("pre_signin"), m_config.policy.preSignin, m_config.policy.hookTimeout, this);
    QPointer<SignInAttempt> guard(attempt);
    connect(hook, &Hook::finished, this, [this, hook, guard, identity, waiters] {
        hook->deleteLater();
        m_completing = false;
        if (!guard)
            return;
        if (hook->succeeded()) {
            completeSignIn(guard, identity, waiters);
            return;
        }
        const QString message = !hook->failure().isEmpty()
            ? tr("The sign-in check configured by IT did not answer (%1). Try again; if it keeps happening, tell IT.").arg(hook->failure())
            : hook->message().isEmpty() ? tr("The sign-in check configured by IT refused this sign-in.") : hook->message();
        refuseSignIn(guard, identity, waiters, m_policy->refuse(message, QStringLiteral("pre_signin")));
    });
    hook->start(hookInput(QStringLiteral("pre_signin"), identity, attempt->tokens()));
}

QByteArray Agent::hookInput(const QString &event, const Identity &identity, const TokenSet &tokens, const QJsonObject &extra) const
{
    // Never a refresh token; the access token only where IT asked for it.
    QJsonObject input = extra;
    input.insert(QStringLiteral("event"), event);
    input.insert(QStringLiteral("identity"), identity.toJson());
    if (m_config.policy.hookAccessToken && !tokens.accessToken.isEmpty())
        input.insert(QStringLiteral("access_token"), tokens.accessToken);
    return QJsonDocument(input).toJson(QJsonDocument::Compact) + '\n';
}

void Agent::runHook(const QString &name, const QStringList &command, const QByteArray &input)
{
    if (command.isEmpty())
        return;
    auto *hook = new Hook(name, command, m_config.policy.hookTimeout, this);
    connect(hook, &Hook::finished, hook, &QObject::deleteLater);
    hook->start(input);
}

void Agent::answerWithError(const QList<Waiter> &waiters, const SignInError &error)
{
    for (const Waiter &waiter : waiters) {
        if (waiter.connection)
            waiter.connection->sendError(waiter.id, SignInError::codeName(error.code), error.message,
                                         error.check.isEmpty() ? QJsonObject() : QJsonObject{{QStringLiteral("check"), error.check}});
    }
}

void Agent::refuseSignIn(SignInAttempt *attempt, const Identity &identity, const QList<Waiter> &waiters, const SignInError &refused)
{
    m_audit.record(QStringLiteral("signin-refused"), {{QStringLiteral("provider"), identity.provider},
                                                      {QStringLiteral("code"), SignInError::codeName(refused.code)},
                                                      {QStringLiteral("check"), refused.check},
                                                      {QStringLiteral("account"), identity.account()},
                                                      {QStringLiteral("email"), identity.email},
                                                      {QStringLiteral("email_verified"), identity.emailVerified}});
    attempt->forgetTokens(); // issued for someone who is not admitted: never used
    answerWithError(waiters, refused);
    releaseAttempt(attempt);
}

void Agent::completeSignIn(SignInAttempt *attempt, const Identity &identity, const QList<Waiter> &waiters)
{
    // A device sign-in's tokens belong to the device client: renewal must use it.
    const ProviderConfig provider = attempt->isDeviceFlow() ? attempt->provider().asDeviceClient() : attempt->provider();
    if (!m_store) {
        startSignedIn(attempt, identity, provider, waiters);
        return;
    }
    // One account at a time: the session being replaced ends now — its keychain entry, its
    // on_signout hook and its audit line go with it — before the new one is stored.
    if (m_session.isActive())
        m_session.end(Session::EndReason::SignedOut);
    // The tokens go to the keychain before anyone hears of the sign-in.
    m_completing = true;
    QPointer<SignInAttempt> guard(attempt);
    m_store->save({identity, attempt->tokens(), attempt->metadata(), attempt->claims(), provider.clientId},
                  [this, guard, identity, provider, waiters](const Keychain::Result &result) {
                      m_completing = false;
                      if (!guard)
                          return;
                      if (!result.ok() && m_config.requireKeychain) {
                          m_audit.record(QStringLiteral("signin-failed"), {{QStringLiteral("provider"), identity.provider}, {QStringLiteral("code"), QStringLiteral("keychain_error")}});
                          guard->forgetTokens();
                          answerWithError(waiters, {SignInError::Code::KeychainError, result.message});
                          releaseAttempt(guard);
                          return;
                      }
                      if (!result.ok())
                          qCWarning(lcAgent).noquote() << "the session lives in memory only (require_keychain = false):" << result.message;
                      startSignedIn(guard, identity, provider, waiters);
                  });
}

void Agent::startSignedIn(SignInAttempt *attempt, const Identity &judged, const ProviderConfig &provider, const QList<Waiter> &waiters)
{
    // The final verdict, which also registers the account: the policy may have changed while
    // pre_signin or the keychain were busy.
    Identity identity = judged;
    const SignInError refused = m_policy->admit(provider, attempt->claims(), &identity);
    if (refused.isError()) {
        if (m_store)
            m_store->clear();
        refuseSignIn(attempt, identity, waiters, refused);
        return;
    }
    m_audit.record(QStringLiteral("signin"), {{QStringLiteral("provider"), identity.provider},
                                              {QStringLiteral("issuer"), identity.issuer},
                                              {QStringLiteral("account"), identity.account()},
                                              {QStringLiteral("email"), identity.email},
                                              {QStringLiteral("email_verified"), identity.emailVerified},
                                              {QStringLiteral("roles"), QJsonArray::fromStringList(identity.signetRoles)},
                                              {QStringLiteral("device"), attempt->isDeviceFlow()}});
    // Start the session first, so a waiter that asks whoami right after the answer sees it.
    startSession(identity, attempt->tokens(), attempt->metadata(), attempt->claims(), provider);
    const QJsonObject json = identity.toJson();
    for (const Waiter &waiter : waiters) {
        if (waiter.connection)
            waiter.connection->sendResult(waiter.id, {{QStringLiteral("identity"), json}});
    }
    runHook(QStringLiteral("on_signin"), m_config.policy.onSignin, hookInput(QStringLiteral("on_signin"), identity, attempt->tokens()));
    releaseAttempt(attempt);
}

QJsonObject Agent::tokenResult() const
{
    const TokenSet &tokens = m_session.tokens();
    const QDateTime expiresAt = tokens.accessTokenExpiresAt;
    return {{QStringLiteral("access_token"), tokens.accessToken},
            {QStringLiteral("token_type"), QStringLiteral("Bearer")},
            {QStringLiteral("scopes"), QJsonArray::fromStringList(tokens.scopes)},
            {QStringLiteral("expires_at"), expiresAt.isValid() ? QJsonValue(expiresAt.toUTC().toString(Qt::ISODate)) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("expires_in"), expiresAt.isValid() ? QJsonValue(QDateTime::currentDateTimeUtc().secsTo(expiresAt)) : QJsonValue(QJsonValue::Null)}};
}

const QByteArray &Agent::keptAnswer(KeptAnswer &kept, const std::function<QJsonObject()> &build)
{
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    if (kept.generation != m_session.generation() || kept.second != now)
        kept = {m_session.generation(), now, QJsonDocument(build()).toJson(QJsonDocument::Compact)};
    return kept.json;
}

void Agent::requestToken(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params)
{
    if (!m_session.isActive()) {
        connection->sendError(id, QStringLiteral("not_signed_in"), tr("Nobody is signed in. Sign in with 'signetctl signin <provider>' or the Signet window."));
        return;
    }
    const QJsonValue scopesValue = params.value(QLatin1String("scopes"));
    const QJsonArray scopesArray = scopesValue.toArray();
    if ((!scopesValue.isUndefined() && !scopesValue.isArray())
        || std::any_of(scopesArray.cbegin(), scopesArray.cend(), [](const QJsonValue &scope) { return !scope.isString() || scope.toString().isEmpty(); })) {
        connection->sendError(id, QStringLiteral("bad_request"), tr("'scopes' must be an array of strings."));
        return;
    }
    // The app first: which program is asking, and may it (docs/ipc.md "Who is calling")?
    const AppAccess::TokenAccess access = m_access->tokenAccess(connection);
    switch (access.decision) {
    case AppAccess::Decision::Allowed:
        grantedToken(connection, id, params, access.scopes);
        return;
    case AppAccess::Decision::Denied:
        m_access->noteUse(connection, QStringLiteral("app-refused"));
        connection->sendError(id, QStringLiteral("not_granted"), access.message, {{QStringLiteral("check"), QStringLiteral("app")}});
        return;
    case AppAccess::Decision::NoWindow:
        m_access->noteUse(connection, QStringLiteral("app-refused"));
        connection->sendError(id, QStringLiteral("consent_required"), access.message);
        return;
    case AppAccess::Decision::Ask:
        break;
    }
    QStringList requested;
    for (const QJsonValue &scope : scopesArray)
        requested << scope.toString().left(100);
    QPointer<IpcConnection> waiting(connection);
    m_access->ask(connection, requested, [this, waiting, id, params](const AppAccess::TokenAccess &answer) {
        if (!waiting)
            return;
        if (answer.decision == AppAccess::Decision::Allowed)
            grantedToken(waiting, id, params, answer.scopes);
        else
            waiting->sendError(id, QStringLiteral("not_granted"), answer.message, {{QStringLiteral("check"), QStringLiteral("app")}});
    });
}

void Agent::grantedToken(IpcConnection *connection, const QJsonValue &id, const QJsonObject &params, const QStringList &grantedScopes)
{
    const QStringList grantScopes = ProviderRules::canonicalScopes(grantedScopes);
    if (!m_session.isActive()) { // signed out while the window asked the person
        connection->sendError(id, QStringLiteral("not_signed_in"), tr("Nobody is signed in. Sign in with 'signetctl signin <provider>' or the Signet window."));
        return;
    }
    const QJsonValue minValidValue = params.value(QLatin1String("min_valid"));
    if (!minValidValue.isUndefined() && !minValidValue.isDouble()) {
        connection->sendError(id, QStringLiteral("bad_request"), tr("'min_valid' must be a number of seconds."));
        return;
    }
    const qint64 minValid = qint64(std::clamp(minValidValue.toDouble(double(DefaultMinValidSeconds)), 0.0, 3600.0));
    QStringList requested;
    for (const QJsonValue &scope : params.value(QLatin1String("scopes")).toArray())
        requested << ProviderRules::canonicalScope(scope.toString().left(100));
    requested.removeDuplicates();
    const bool anyScope = grantScopes.contains(QStringLiteral("*"));
    // The common case — an app that may have whatever the session holds, asking for no scope in
    // particular — needs none of the comparisons below.
    if (anyScope && requested.isEmpty()) {
        m_access->noteUse(connection, QStringLiteral("app-access"));
        sessionToken(connection, id, minValid);
        return;
    }
    const QStringList held = ProviderRules::canonicalScopes(m_session.tokens().scopes);
    const auto without = [](const QStringList &list, const QStringList &other) {
        QStringList rest;
        for (const QString &item : list) {
            if (!other.contains(item))
                rest << item;
        }
        return rest;
    };
    const auto refuse = [&](const QString &message) {
        m_access->noteUse(connection, QStringLiteral("app-refused"));
        connection->sendError(id, QStringLiteral("not_granted"), message, {{QStringLiteral("check"), QStringLiteral("app")}});
    };
    // The app asks only for what its grant lists.
    if (const QStringList asked = without(requested, grantScopes); !anyScope && !asked.isEmpty()) {
        refuse(tr("This app is granted %1 only, and asked for %2. Ask IT to widen the app's scopes.")
                   .arg(grantScopes.join(QLatin1Char(' ')), asked.join(QLatin1Char(' '))));
        return;
    }
    // The session's own token, when it carries everything asked for and nothing beyond the grant
    // ("openid" and "offline_access" give no access to an API: not counted).
    const QStringList missing = without(requested, held);
    const QStringList beyondGrant = anyScope ? QStringList{} : without(without(held, grantScopes), {QStringLiteral("openid"), QStringLiteral("offline_access")});
    if (!missing.isEmpty() || !beyondGrant.isEmpty()) {
        // Otherwise a token for just these scopes, from the refresh token (RFC 6749 §6: never more than
        // the session holds — except at Microsoft, where one refresh token gives a token per resource).
        const QStringList wanted = requested.isEmpty() ? grantScopes : requested;
        const bool perResource = m_sessionProvider.type == QLatin1String("microsoft");
        if (!missing.isEmpty() && !perResource) {
            connection->sendError(id, QStringLiteral("not_granted"),
                                  tr("The session has no token for %1 (it holds: %2).").arg(missing.join(QStringLiteral(", ")), held.join(QLatin1Char(' '))));
            return;
        }
        if (m_session.tokens().refreshToken.isEmpty() || m_sessionProvider.type == QLatin1String("github")) {
            refuse(tr("This app is granted %1 only; the session's token carries %2 too, and %3 cannot issue a narrower one. Ask IT to widen the app's scopes.")
                       .arg(grantScopes.join(QLatin1Char(' ')), beyondGrant.join(QLatin1Char(' ')), m_sessionProvider.displayName));
            return;
        }
        m_access->noteUse(connection, QStringLiteral("app-access"));
        scopedToken(connection, id, wanted, minValid);
        return;
    }
    m_access->noteUse(connection, QStringLiteral("app-access"));
    sessionToken(connection, id, minValid);
}

void Agent::sessionToken(IpcConnection *connection, const QJsonValue &id, qint64 minValid)
{
    const QDateTime expiresAt = m_session.tokens().accessTokenExpiresAt;
    if (!expiresAt.isValid() || QDateTime::currentDateTimeUtc().secsTo(expiresAt) >= minValid) {
        connection->sendResult(id, keptAnswer(m_tokenAnswer, [this] { return tokenResult(); }));
        return;
    }
    // A provider whose tokens never live min_valid seconds must not be asked again and again: after a
    // refresh, the next one for an app waits MinTokenRefreshInterval; meanwhile apps get the token
    // as it is, with its real expires_in.
    if (m_lastTokenRefresh.isValid() && m_lastTokenRefresh.elapsed() < MinTokenRefreshIntervalMs && !m_renewing) {
        connection->sendResult(id, keptAnswer(m_tokenAnswer, [this] { return tokenResult(); }));
        return;
    }
    if (m_session.tokens().refreshToken.isEmpty()) {
        connection->sendError(id, QStringLiteral("provider_error"),
                              tr("The access token is valid for less than %1 seconds and this session cannot be renewed (no refresh token). Sign in again.").arg(minValid));
        return;
    }
    // However many apps ask at once: one refresh at the provider, one answer for each.
    if (m_tokenWaiters.size() >= MaxPendingRequests) {
        connection->sendError(id, QStringLiteral("busy"), tr("Too many token requests are waiting; try again in a moment."));
        return;
    }
    m_tokenWaiters.append({connection, id});
    if (!m_renewing)
        m_lastTokenRefresh.start();
    renew();
}

void Agent::answerTokenWaiters(const SignInError &error)
{
    answerWith(std::exchange(m_tokenWaiters, {}), error, [this] { return tokenResult(); });
}

void Agent::answerWith(const QList<Waiter> &waiters, const SignInError &error, const std::function<QJsonObject()> &result)
{
    for (const Waiter &waiter : waiters) {
        if (!waiter.connection)
            continue;
        if (error.isError())
            waiter.connection->sendError(waiter.id, SignInError::codeName(error.code), error.message);
        else
            waiter.connection->sendResult(waiter.id, result());
    }
}

void Agent::finishRestoring()
{
    if (!m_restoring)
        return;
    m_restoring = false;
    const auto pending = std::exchange(m_pending, {});
    for (const PendingRequest &request : pending) {
        if (request.connection)
            handle(request.connection, request.id, request.method, request.params);
    }
}

void Agent::restoreSession()
{
    if (!m_store)
        return;
    m_restoring = true;
    // A keychain that does not answer (a prompt nobody sees) must not hold the agent: after
    // RestoreTimeout it starts signed out.
    QTimer::singleShot(RestoreTimeout, this, [this] {
        if (m_restoring)
            qCWarning(lcAgent) << "the keychain did not answer in time; starting signed out";
        finishRestoring();
    });
    m_store->load([this](const Keychain::Result &result, const SessionStore::Stored &stored) {
        const auto done = qScopeGuard([this] { finishRestoring(); });
        if (!m_restoring)
            return; // gave up waiting
        if (!result.ok()) {
            if (result.error != Keychain::Error::NotFound) {
                qCWarning(lcAgent).noquote() << "could not restore the session:" << result.message;
                m_restoreProblem = result.message;
            }
            return;
        }
        if (m_session.isActive() || m_attempt)
            return; // someone signed in meanwhile
        const ProviderConfig *configured = m_config.provider(stored.identity.provider);
        Identity identity = stored.identity;
        const QString why = !configured                                                   ? QStringLiteral("its provider is no longer configured")
            : identity.expiresAt <= QDateTime::currentDateTimeUtc()                       ? QStringLiteral("it expired")
            : ProviderRules::create(*configured)->recheck(identity).isError() ? QStringLiteral("the provider's rules no longer admit it")
            : m_policy->recheck(*configured, stored.claims, &identity).isError() ? QStringLiteral("the policy no longer admits it")
                                                                                           : QString();
        if (!why.isEmpty()) {
            qCInfo(lcAgent).noquote() << "the stored session was not restored:" << why;
            m_store->clear();
            return;
        }
        const bool device = !stored.clientId.isEmpty() && stored.clientId != configured->clientId && stored.clientId == configured->deviceClientId;
        const ProviderConfig provider = device ? configured->asDeviceClient() : *configured;
        qCInfo(lcAgent).noquote() << "restored the session of provider" << identity.provider;
        m_audit.record(QStringLiteral("restored"), {{QStringLiteral("provider"), identity.provider}, {QStringLiteral("expires_at"), identity.expiresAt.toString(Qt::ISODate)}});
        startSession(identity, stored.tokens, stored.metadata, stored.claims, provider);
        // An access token that expired while the agent was away is renewed now (no network: the
        // session stays, with attention, and is retried).
        if (m_config.renewSilently && stored.tokens.accessTokenExpiresAt.isValid() && stored.tokens.accessTokenExpiresAt <= QDateTime::currentDateTimeUtc())
            renew();
    });
}

QPair<JwksCache *, QNetworkAccessManager *> Agent::keysFor(const ProviderConfig &provider)
{
    auto keys = m_keys.value(provider.id);
    if (!keys.first) {
        auto *network = new BoundedNetworkAccessManager(provider.httpTimeout, this);
        network->setExtraCaCertificates(provider.extraCaCertificates);
        keys = {new JwksCache(provider.displayName, this), network};
        m_keys.insert(provider.id, keys);
    }
    return keys;
}

void Agent::startSession(const Identity &identity, const TokenSet &tokens, const ProviderMetadata &metadata, const QJsonObject &claims,
                         const ProviderConfig &provider)
{
    // A renewal of the previous session that is still under way must never land in this one.
    cancelRenewal(tr("Another sign-in replaced the session."));
    ++m_sessionGeneration;
    m_restoreProblem.clear();
    m_sessionProvider = provider;
    m_sessionMetadata = metadata;
    m_session.start(identity, tokens, claims);
    scheduleRenewal();
}

std::chrono::milliseconds Agent::renewalLead() const
{
    return std::min<std::chrono::milliseconds>(std::chrono::minutes(5), std::chrono::duration_cast<std::chrono::milliseconds>(m_config.sessionAge) / 4);
}

void Agent::scheduleRenewal()
{
    m_renewTimer.stop();
    m_expiringTimer.stop();
    if (!m_session.isActive())
        return;
    const Identity &identity = m_session.identity();
    // When the session will simply end, subscribers hear `expiring` a renewal lead before.
    const auto warnBeforeTheEnd = [&] {
        const qint64 ms = QDateTime::currentDateTimeUtc().msecsTo(identity.expiresAt) - renewalLead().count();
        m_expiringTimer.start(int(std::clamp<qint64>(ms, 0, std::numeric_limits<int>::max())));
    };
    if (!m_config.renewSilently) {
        warnBeforeTheEnd();
        return;
    }
    if (m_session.tokens().refreshToken.isEmpty()) {
        qCInfo(lcAgent).noquote() << "the session cannot be renewed (no refresh token); it ends at" << identity.expiresAt.toString(Qt::ISODate);
        warnBeforeTheEnd();
        return;
    }
    // Never past max_session_age after the interactive sign-in: then the person signs in again.
    if (identity.expiresAt >= identity.signedInAt.addSecs(m_config.maxSessionAge.count())) {
        warnBeforeTheEnd();
        return;
    }
    const qint64 ms = QDateTime::currentDateTimeUtc().msecsTo(identity.expiresAt) - renewalLead().count();
    m_renewTimer.start(int(std::clamp<qint64>(ms, 0, std::numeric_limits<int>::max())));
}

void Agent::cancelRenewal(const QString &why)
{
    if (m_scopedRefresh)
        m_scopedRefresh->parent()->deleteLater();
    m_scopedRefresh.clear();
    m_scopedRefreshing = false;
    m_renewAfterScoped = false;
    m_scopedTokens.clear();
    const QStringList keys = m_scopedWaiters.keys();
    for (const QString &key : keys)
        answerScopedWaiters(key, {SignInError::Code::ProviderError, why});
    m_renewTimer.stop();
    if (m_refresh)
        m_refresh->parent()->deleteLater(); // its network manager owns it
    m_refresh.clear();
    m_renewing = false;
    if (!m_tokenWaiters.isEmpty())
        answerTokenWaiters({SignInError::Code::ProviderError, why});
}

void Agent::renew()
{
    // One renewal at a time, from the request to the provider until the new tokens are in use
    // (including the keychain write between the two).
    if (!m_session.isActive() || m_renewing)
        return;
    if (m_scopedRefreshing) {
        // The scoped refresh may rotate the refresh token: renew with the new one, afterwards.
        m_renewAfterScoped = true;
        return;
    }
    m_renewing = true;
    const auto keys = keysFor(m_sessionProvider);
    auto *network = new BoundedNetworkAccessManager(m_sessionProvider.httpTimeout, this);
    network->setExtraCaCertificates(m_sessionProvider.extraCaCertificates);
    m_refresh = new TokenRefresh(network, m_sessionProvider, m_sessionMetadata, m_session.tokens(), m_session.claims(), keys.first, network);
    const quint64 generation = m_sessionGeneration;
    connect(m_refresh, &TokenRefresh::finished, this, [this, generation, refresh = m_refresh.data()] { onRenewalFinished(refresh, generation); });
    qCInfo(lcAgent) << "renewing the session";
    m_refresh->start();
}

void Agent::onRenewalFinished(TokenRefresh *refresh, quint64 generation)
{
    refresh->parent()->deleteLater(); // its network manager
    if (m_refresh == refresh)
        m_refresh.clear();
    if (generation != m_sessionGeneration)
        return; // the result of another session's renewal: dropped
    if (!m_session.isActive()) {
        m_renewing = false;
        return; // signed out meanwhile
    }
    Identity identity = m_session.identity();
    if (isGrantGone(refresh->error())) {
        // Nothing can renew this session any more: keeping it "signed in" until it expires would
        // hand apps tokens of a grant the provider (or IT there) has ended. After a kill between a
        // rotation and the keychain write this is the replayed old refresh token, and the outcome
        // is the clean signed-out state, not a session that only looks alive.
        qCInfo(lcAgent).noquote() << "the provider refused to renew the session:" << refresh->error().check << "- signing out";
        m_renewing = false;
        m_session.end(Session::EndReason::Revoked);
        return;
    }
    if (refresh->error().isError()) {
        identity.attention = refresh->error().code == SignInError::Code::ProviderUnreachable
            ? tr("Signet could not renew your session (%1 could not be reached). Check your network; sign in again before it ends.").arg(m_sessionProvider.displayName)
            : tr("Signet could not renew your session: %1 Sign in again before it ends.").arg(refresh->error().message);
        m_session.updateIdentity(identity);
        m_audit.record(QStringLiteral("renewal-failed"), {{QStringLiteral("provider"), identity.provider}, {QStringLiteral("code"), SignInError::codeName(refresh->error().code)}});
        m_renewing = false;
        answerTokenWaiters({refresh->error().code, identity.attention});
        const QStringList scopedKeys = m_scopedWaiters.keys();
        for (const QString &key : scopedKeys)
            answerScopedWaiters(key, {refresh->error().code, identity.attention});
        broadcast(QStringLiteral("attention-needed"), {{QStringLiteral("message"), identity.attention}, {QStringLiteral("identity"), identity.toJson()}});
        // A network that comes back within the session's time gets another try.
        if (refresh->error().code == SignInError::Code::ProviderUnreachable) {
            const qint64 left = QDateTime::currentDateTimeUtc().msecsTo(identity.expiresAt);
            const qint64 retry = std::min<qint64>(30'000, left / 2);
            if (retry > 0)
                m_renewTimer.start(int(retry));
        }
        return;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    // A refresh for an app's token with renew = off refreshes the access token, not the session.
    if (m_config.renewSilently)
        identity.expiresAt = std::min(now.addSecs(m_config.sessionAge.count()), identity.signedInAt.addSecs(m_config.maxSessionAge.count()));
    identity.attention.clear();
    const TokenSet tokens = refresh->tokens();
    const QJsonObject claims = refresh->claims();
    if (m_store) {
        // Rotation: the new refresh token is in the keychain before anything is done with it.
        m_store->save({identity, tokens, m_sessionMetadata, claims, m_sessionProvider.clientId},
                      [this, identity, tokens, claims, generation](const Keychain::Result &result) {
                          if (generation != m_sessionGeneration)
                              return;
                          if (!result.ok())
                              forgetStaleStoredSession(result.message);
                          applyRenewal(identity, tokens, claims);
                      });
        return;
    }
    applyRenewal(identity, tokens, claims);
}

void Agent::forgetStaleStoredSession(const QString &whyNotStored)
{
    // The keychain still holds the refresh token the provider has just replaced. Restored after a
    // restart it would be replayed, and providers that detect replay revoke the whole grant. A
    // restart that starts signed out is the better outcome, so the stored session goes; this one
    // carries on in memory (ending it would protect nothing: its tokens are in memory either way).
    qCWarning(lcAgent).noquote() << "the renewed tokens could not be stored:" << whyNotStored
                                 << "- the stored session is removed so that a restart cannot replay the replaced refresh token";
    if (m_store)
        m_store->clear();
}

bool Agent::isGrantGone(const SignInError &error)
{
    // invalid_grant (RFC 6749 §5.2): the refresh token is invalid, expired, revoked or already used;
    // GitHub says bad_refresh_token. A refusal of a narrower token is not this: Entra answers
    // invalid_grant for a resource the person never consented to, while the session's grant lives on.
    return error.code == SignInError::Code::ProviderError
        && (error.check == QLatin1String("invalid_grant") || error.check == QLatin1String("bad_refresh_token"));
}

void Agent::applyRenewal(const Identity &identity, const TokenSet &tokens, const QJsonObject &claims)
{
    m_renewing = false;
    if (!m_session.isActive())
        return;
    m_session.renew(identity, tokens, claims);
    answerTokenWaiters({});
    startScopedRefresh(); // apps waiting for narrower tokens: now the refresh token is free
    m_audit.record(QStringLiteral("renewed"), {{QStringLiteral("provider"), identity.provider}, {QStringLiteral("expires_at"), identity.expiresAt.toString(Qt::ISODate)}});
    broadcast(QStringLiteral("renewed"), {{QStringLiteral("identity"), identity.toJson()}});
    scheduleRenewal();
}

QJsonObject Agent::ScopedToken::toJson() const
{
    return {{QStringLiteral("access_token"), accessToken},
            {QStringLiteral("token_type"), QStringLiteral("Bearer")},
            {QStringLiteral("scopes"), QJsonArray::fromStringList(scopes)},
            {QStringLiteral("expires_at"), expiresAt.isValid() ? QJsonValue(expiresAt.toUTC().toString(Qt::ISODate)) : QJsonValue(QJsonValue::Null)},
            {QStringLiteral("expires_in"), expiresAt.isValid() ? QJsonValue(QDateTime::currentDateTimeUtc().secsTo(expiresAt)) : QJsonValue(QJsonValue::Null)}};
}

void Agent::scopedToken(IpcConnection *connection, const QJsonValue &id, const QStringList &scopes, qint64 minValid)
{
    QStringList sorted = scopes;
    sorted.sort();
    sorted.removeDuplicates();
    const QString key = sorted.join(QLatin1Char(' '));
    const auto cached = m_scopedTokens.constFind(key);
    // As for the session's token: a provider whose tokens never live min_valid seconds is asked at
    // most every MinTokenRefreshInterval; meanwhile the token is returned with its real expires_in.
    if (cached != m_scopedTokens.cend()
        && (!cached->expiresAt.isValid() || QDateTime::currentDateTimeUtc().secsTo(cached->expiresAt) >= minValid
            || cached->fetchedAt.msecsTo(QDateTime::currentDateTimeUtc()) < MinTokenRefreshIntervalMs)) {
        connection->sendResult(id, cached->toJson());
        return;
    }
    qsizetype waiting = 0;
    for (const auto &list : std::as_const(m_scopedWaiters))
        waiting += list.size();
    if (waiting >= MaxPendingRequests || (!m_scopedWaiters.contains(key) && m_scopedWaiters.size() >= MaxScopeSets)) {
        connection->sendError(id, QStringLiteral("busy"), tr("Too many token requests are waiting; try again in a moment."));
        return;
    }
    m_scopedWaiters[key].append({connection, id});
    startScopedRefresh();
}

void Agent::startScopedRefresh()
{
    // One request with the refresh token at a time: a provider that rotates it would see the
    // second request replay the old one and end the whole grant.
    if (m_scopedRefreshing || m_renewing || m_scopedWaiters.isEmpty() || !m_session.isActive())
        return;
    m_scopedRefreshing = true;
    const QString key = m_scopedWaiters.firstKey();
    const auto keys = keysFor(m_sessionProvider);
    auto *network = new BoundedNetworkAccessManager(m_sessionProvider.httpTimeout, this);
    network->setExtraCaCertificates(m_sessionProvider.extraCaCertificates);
    m_scopedRefresh = new TokenRefresh(network, m_sessionProvider, m_sessionMetadata, m_session.tokens(), m_session.claims(), keys.first, network);
    m_scopedRefresh->setScopes(scopesOfKey(key));
    const quint64 generation = m_sessionGeneration;
    connect(m_scopedRefresh, &TokenRefresh::finished, this, [this, key, generation, refresh = m_scopedRefresh.data()] { onScopedRefreshFinished(refresh, key, generation); });
    qCInfo(lcAgent).noquote() << "asking for a token for" << key;
    m_scopedRefresh->start();
}

void Agent::onScopedRefreshFinished(TokenRefresh *refresh, const QString &key, quint64 generation)
{
    refresh->parent()->deleteLater(); // its network manager
    if (m_scopedRefresh == refresh)
        m_scopedRefresh.clear();
    if (generation != m_sessionGeneration || !m_session.isActive())
        return; // the session it was for has ended (its waiters were answered then)
    const auto next = [this] {
        m_scopedRefreshing = false;
        if (std::exchange(m_renewAfterScoped, false))
            renew();
        else
            startScopedRefresh();
    };
    if (refresh->error().isError()) {
        answerScopedWaiters(key, {refresh->error().code, tr("%1 did not issue a token for %2: %3").arg(m_sessionProvider.displayName, key, refresh->error().message)});
        next();
        return;
    }
    const TokenSet issued = refresh->tokens();
    // A provider that ignores `scope` answers with the session's full token: that must not reach an
    // app granted less.
    QStringList extra;
    for (const QString &scope : ProviderRules::canonicalScopes(issued.scopes)) {
        if (!scopesOfKey(key).contains(scope) && scope != QLatin1String("openid") && scope != QLatin1String("offline_access"))
            extra << scope;
    }
    const SignInError outcome = extra.isEmpty()
        ? SignInError{}
        : SignInError{SignInError::Code::ProviderError, tr("%1 answered the request for a token for %2 with one that also carries %3; it is not handed to an app granted less.")
                                                         .arg(m_sessionProvider.displayName, key, extra.join(QLatin1Char(' ')))};
    if (extra.isEmpty())
        m_scopedTokens.insert(key, {issued.accessToken, issued.accessTokenExpiresAt, issued.scopes, QDateTime::currentDateTimeUtc()});
    TokenSet session = m_session.tokens();
    if (issued.refreshToken.isEmpty() || issued.refreshToken == session.refreshToken) {
        answerScopedWaiters(key, outcome);
        next();
        return;
    }
    // Rotation: the new refresh token is in the keychain before anything else happens with it.
    session.refreshToken = issued.refreshToken;
    const Identity identity = m_session.identity();
    const QJsonObject claims = m_session.claims();
    const auto apply = [this, identity, session, claims, key, generation, next, outcome] {
        if (generation != m_sessionGeneration || !m_session.isActive())
            return;
        m_session.renew(identity, session, claims);
        answerScopedWaiters(key, outcome);
        next();
    };
    if (!m_store) {
        apply();
        return;
    }
    m_store->save({identity, session, m_sessionMetadata, claims, m_sessionProvider.clientId}, [this, apply, generation](const Keychain::Result &result) {
        // A session that ended (or was replaced) meanwhile is not this save's to clear up: the stored
        // session may by now be the next one.
        if (generation != m_sessionGeneration)
            return;
        if (!result.ok())
            forgetStaleStoredSession(result.message);
        apply();
    });
}

void Agent::answerScopedWaiters(const QString &key, const SignInError &error)
{
    const auto token = m_scopedTokens.constFind(key);
    // Answered without an error, the token is in the cache (onScopedRefreshFinished put it there).
    answerWith(m_scopedWaiters.take(key), error.isError() || token == m_scopedTokens.cend() ? error : SignInError{},
               [&token] { return token->toJson(); });
}

void Agent::releaseAttempt(SignInAttempt *attempt)
{
    attempt->deleteLater();
    if (m_attempt == attempt)
        m_attempt.clear();
}

void Agent::broadcast(const QString &event, const QJsonObject &data)
{
    // A copy: sending may close a connection, which removes it from m_connections.
    const QList<QPointer<IpcConnection>> connections = m_connections;
    for (const auto &connection : connections) {
        if (connection && connection->subscriptions.contains(event))
            connection->sendEvent(event, data);
    }
}

} // namespace Signet
