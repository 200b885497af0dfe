#include "signinattempt.h"

#include "logging/logging.h"
#include "logging/secretredactor.h"
#include "deviceauthorization.h"
#include "idtoken.h"
#include "jwks.h"
#include "loopbackreplyhandler.h"
#include "net/boundednetworkaccessmanager.h"
#include "net/wellformed.h"
#include "pkce.h"
#include "providers/providerrules.h"

#include <QHostAddress>
#include <QNetworkReply>
#include <QOAuth2AuthorizationCodeFlow>
#include <QRegularExpression>
#include <QtGlobal>

namespace Signet {

namespace {
QString humanDuration(std::chrono::seconds duration)
{
    // English plurals by hand: "%n minute(s)" only reads well once a translation is loaded.
    const qint64 s = duration.count();
    auto unit = [](qint64 n, const char *one, const char *many) {
        return n == 1 ? QStringLiteral("1 %1").arg(QLatin1String(one)) : QStringLiteral("%1 %2").arg(n).arg(QLatin1String(many));
    };
    if (s >= 3600 && s % 3600 == 0)
        return unit(s / 3600, "hour", "hours");
    if (s >= 60 && s % 60 == 0)
        return unit(s / 60, "minute", "minutes");
    return unit(s, "second", "seconds");
}
} // namespace

SignInAttempt::SignInAttempt(const ProviderConfig &provider, std::chrono::seconds stateTimeout, std::chrono::seconds sessionAge, Keys keys,
                             QObject *parent)
    : QObject(parent)
    , m_provider(provider)
    , m_stateTimeout(stateTimeout)
    , m_sessionAge(sessionAge)
    , m_network(new BoundedNetworkAccessManager(provider.httpTimeout, this))
    , m_rules(ProviderRules::create(provider))
    , m_keys(keys)
{
    if (!m_keys.cache) {
        m_keys.cache = new JwksCache(provider.displayName, this);
        m_keys.network = m_network;
    }
    m_network->setExtraCaCertificates(provider.extraCaCertificates);
    m_profileNetwork = new BoundedNetworkAccessManager(m_rules->profileTimeout(), this);
    m_profileNetwork->setExtraCaCertificates(provider.extraCaCertificates);
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        fail({SignInError::Code::StateExpired,
              tr("The sign-in was not finished within %1, so it expired. Start it again and complete it in your browser within that time.")
                  .arg(humanDuration(m_stateTimeout))});
    });
}

SignInAttempt::~SignInAttempt()
{
    forgetSecrets();
}

void SignInAttempt::start()
{
    // The state's lifetime starts now and covers everything until the callback.
    m_expiresAt = QDateTime::currentDateTimeUtc().addSecs(m_stateTimeout.count());
    m_deadline.start(m_stateTimeout);

    if (m_rules->usesDiscovery()) {
        m_discovery = new OidcDiscovery(m_network, m_provider.issuer, m_provider.displayName, this);
        m_discovery->setIssuerCheck(m_rules->discoveryIssuerCheck());
        connect(m_discovery, &OidcDiscovery::finished, this, &SignInAttempt::onDiscoveryFinished);
        m_discovery->start();
    } else {
        // Plain OAuth (GitHub): the endpoints come from the configuration. Later, like a fetch:
        // nobody expects signals from inside start().
        m_metadata = m_rules->configuredMetadata();
        QMetaObject::invokeMethod(this, &SignInAttempt::beginAuthorization, Qt::QueuedConnection);
    }
    qCInfo(lcAuth) << "sign-in started for provider" << m_provider.id;
}

void SignInAttempt::cancel()
{
    fail({SignInError::Code::Cancelled, tr("The sign-in was cancelled.")});
}

void SignInAttempt::onDiscoveryFinished()
{
    if (m_finished)
        return;
    if (m_discovery->error().isError()) {
        fail(m_discovery->error());
        return;
    }
    m_metadata = m_discovery->result();
    beginAuthorization();
}

void SignInAttempt::beginAuthorization()
{
    if (m_finished)
        return;
    if (m_provider.authorizationEndpoint.isValid())
        m_metadata.authorizationEndpoint = m_provider.authorizationEndpoint;
    if (m_provider.tokenEndpoint.isValid())
        m_metadata.tokenEndpoint = m_provider.tokenEndpoint;
    if (m_provider.userinfoEndpoint.isValid())
        m_metadata.userinfoEndpoint = m_provider.userinfoEndpoint;

    // Every endpoint is https. Plain http only when the configured issuer itself is a loopback
    // http URL (the demo and tests) and the endpoint is on loopback too: a discovery document
    // must not be able to send the browser, the code or a token anywhere in clear text.
    const bool loopbackProvider = m_provider.issuer.scheme() == QLatin1String("http") && isLoopbackUrl(m_provider.issuer);
    if (m_provider.deviceAuthorizationEndpoint.isValid())
        m_metadata.deviceAuthorizationEndpoint = m_provider.deviceAuthorizationEndpoint;
    for (const QUrl &endpoint : {m_metadata.authorizationEndpoint, m_metadata.tokenEndpoint, m_metadata.userinfoEndpoint, m_metadata.jwksUri,
                                 m_metadata.deviceAuthorizationEndpoint}) {
        if (!endpoint.isValid())
            continue;
        const bool acceptable = endpoint.scheme() == QLatin1String("https") || (loopbackProvider && endpoint.scheme() == QLatin1String("http") && isLoopbackUrl(endpoint));
        if (!acceptable) {
            fail({SignInError::Code::ProviderError, tr("%1 publishes an endpoint without https (%2); Signet refuses to use it. Ask IT.")
                                                        .arg(m_provider.displayName, endpoint.toString(QUrl::RemoveQuery | QUrl::RemoveUserInfo))});
            return;
        }
    }
    if (m_provider.isOpenIdConnect() && !m_metadata.jwksUri.isValid()) {
        fail({SignInError::Code::ProviderError, tr("%1 publishes no signing keys (jwks_uri), so Signet cannot check who you are. Ask IT.").arg(m_provider.displayName)});
        return;
    }

    if (m_deviceFlow) {
        startDeviceFlow();
        return;
    }

    m_state = QString::fromLatin1(Pkce::randomToken(32));
    m_nonce = QString::fromLatin1(Pkce::randomToken(32));
    m_codeVerifier = Pkce::newVerifier();
    SecretRedactor::addSecret(m_state);
    SecretRedactor::addSecret(QString::fromLatin1(m_codeVerifier));

    m_handler = new LoopbackReplyHandler(m_provider.id, m_provider.displayName, this);
    QString listenError;
    if (!m_handler->listen(&listenError)) {
        fail({SignInError::Code::Internal, tr("Could not listen for the sign-in response on 127.0.0.1: %1").arg(listenError)});
        return;
    }
    const bool openid = m_provider.scopes.contains(QStringLiteral("openid"));
    m_handler->expect(m_state, m_metadata.issuer, m_metadata.authorizationResponseIssParameterSupported, openid);
    connect(m_handler, &LoopbackReplyHandler::authorizationFailed, this, &SignInAttempt::fail);
    connect(m_handler, &LoopbackReplyHandler::tokenRequestFailed, this, &SignInAttempt::fail);

    m_flow = new QOAuth2AuthorizationCodeFlow(m_network, this);
#if QT_VERSION >= QT_VERSION_CHECK(6, 8, 0)
    // Qt 6.8 adds its own PKCE; Signet keeps its own so every Qt version sends the same request.
    m_flow->setPkceMethod(QOAuth2AuthorizationCodeFlow::PkceMethod::None);
#endif
    m_flow->setReplyHandler(m_handler);
    m_flow->setAuthorizationUrl(m_metadata.authorizationEndpoint);
    m_flow->setAccessTokenUrl(m_metadata.tokenEndpoint);
    m_flow->setClientIdentifier(m_provider.clientId);
    if (!m_provider.clientSecret.isEmpty())
        m_flow->setClientIdentifierSharedKey(m_provider.clientSecret);
    m_flow->setScope(m_provider.scopes.join(QLatin1Char(' ')));
    // Qt 6.4's default state is 8 characters from a time-seeded generator: never use it.
    m_flow->setState(m_state);

    // The code as the browser brought it (decoded); a secret from here on.
    connect(m_handler, &QAbstractOAuthReplyHandler::callbackReceived, this, [this](const QVariantMap &values) {
        m_authorizationCode = values.value(QStringLiteral("code")).toString();
        SecretRedactor::addSecret(m_authorizationCode);
    });

    const QByteArray challenge = Pkce::challengeFor(m_codeVerifier);
    // Qt 6.4 builds both requests with QUrlQuery, which leaves '+' and '%XX' in a value as they
    // are: a raw '+' arrives as a space, "%41" as "A". So every value that can hold such
    // characters is handed over percent-encoded exactly once, from its decoded form.
    auto encoded = [](const QString &value) { return QString::fromLatin1(QUrl::toPercentEncoding(value)); };
    m_flow->setModifyParametersFunction([this, challenge, encoded](QAbstractOAuth::Stage stage, QMultiMap<QString, QVariant> *parameters) {
        switch (stage) {
        case QAbstractOAuth::Stage::RequestingAuthorization:
            // RFC 7636 §4.3 (Qt < 6.8 has no PKCE) and OpenID Connect Core §3.1.2.1 (nonce).
            parameters->insert(QStringLiteral("code_challenge"), QString::fromLatin1(challenge));
            parameters->insert(QStringLiteral("code_challenge_method"), QStringLiteral("S256"));
            if (m_provider.isOpenIdConnect())
                parameters->insert(QStringLiteral("nonce"), m_nonce);
            parameters->replace(QStringLiteral("client_id"), encoded(m_provider.clientId));
            m_rules->addAuthorizationParameters(parameters);
            break;
        case QAbstractOAuth::Stage::RequestingAccessToken:
            parameters->insert(QStringLiteral("code_verifier"), QString::fromLatin1(m_codeVerifier));
            parameters->replace(QStringLiteral("code"), encoded(m_authorizationCode));
            parameters->replace(QStringLiteral("client_id"), encoded(m_provider.clientId));
            if (parameters->contains(QStringLiteral("client_secret")))
                parameters->replace(QStringLiteral("client_secret"), encoded(m_provider.clientSecret));
            break;
        default:
            break;
        }
    });

    connect(m_flow, &QAbstractOAuth::authorizeWithBrowser, this, [this](const QUrl &url) {
        m_authorizationUrl = url;
        qCInfo(lcAuth) << "authorization URL ready for provider" << m_provider.id;
        Q_EMIT authorizationUrlReady(url);
    });
    connect(m_flow, &QAbstractOAuth::granted, this, &SignInAttempt::onGranted);
    m_flow->grant();
}

void SignInAttempt::onGranted()
{
    if (m_finished)
        return;
    // The response is single-use and the listener has done its job.
    m_handler->close();
    m_deadline.stop();

    m_tokens.accessToken = m_flow->token();
    m_tokens.refreshToken = m_flow->refreshToken();
    m_tokens.idToken = m_flow->extraTokens().value(QStringLiteral("id_token")).toString();
    // In UTC, as every time Signet keeps: NetworkAuth gives local time, which costs a time-zone
    // look-up at every comparison and means another instant once stored without an offset.
    m_tokens.accessTokenExpiresAt = m_flow->expirationAt().toUTC();
    m_tokens.scopes = m_flow->scope().split(QLatin1Char(' '), Qt::SkipEmptyParts);
    continueWithTokens();
}

void SignInAttempt::continueWithTokens()
{
    // RFC 6749 §5.1: a response without "scope" granted what was asked for. GitHub separates
    // scopes with commas, everyone else with spaces.
    static const QRegularExpression separators(QStringLiteral("[ ,]+"));
    m_tokens.scopes = m_tokens.scopes.join(QLatin1Char(' ')).split(separators, Qt::SkipEmptyParts);
    if (m_tokens.scopes.isEmpty())
        m_tokens.scopes = m_provider.scopes;
    SecretRedactor::addSecret(m_tokens.accessToken);
    SecretRedactor::addSecret(m_tokens.refreshToken);
    SecretRedactor::addSecret(m_tokens.idToken);

    if (m_provider.isOpenIdConnect())
        fetchKeys();
    else
        startProfiles(); // plain OAuth: the identity comes from the provider's API alone
}

void SignInAttempt::startDeviceFlow()
{
    if (!m_metadata.deviceAuthorizationEndpoint.isValid()) {
        fail({SignInError::Code::ConfigError,
              tr("%1 offers no device sign-in (no device_authorization_endpoint). Sign in with a browser, or ask IT.").arg(m_provider.displayName)});
        return;
    }
    // The device code has its own lifetime, which replaces the browser flow's state timeout.
    m_deadline.stop();
    DeviceAuthorization::Request request;
    request.deviceAuthorizationEndpoint = m_metadata.deviceAuthorizationEndpoint;
    request.tokenEndpoint = m_metadata.tokenEndpoint;
    request.clientId = m_provider.deviceClientId.isEmpty() ? m_provider.clientId : m_provider.deviceClientId;
    request.clientSecret = m_provider.deviceClientSecret;
    request.scopes = m_provider.scopes;
    request.providerName = m_provider.displayName;
    request.allowPlainHttp = m_provider.issuer.scheme() == QLatin1String("http") && isLoopbackUrl(m_provider.issuer);
    m_device = new DeviceAuthorization(m_network, request, this);
    connect(m_device, &DeviceAuthorization::codeReady, this, [this] {
        m_expiresAt = m_device->expiresAt();
        Q_EMIT deviceCodeReady();
    });
    connect(m_device, &DeviceAuthorization::finished, this, &SignInAttempt::onDeviceFinished);
    m_device->start();
}

QJsonObject SignInAttempt::deviceCode() const
{
    if (!m_device || m_device->userCode().isEmpty())
        return {};
    auto urlOrNull = [](const QUrl &url) { return url.isValid() ? QJsonValue(url.toString(QUrl::FullyEncoded)) : QJsonValue(QJsonValue::Null); };
    return {{QStringLiteral("provider"), m_provider.id},
            {QStringLiteral("user_code"), m_device->userCode()},
            {QStringLiteral("verification_uri"), urlOrNull(m_device->verificationUri())},
            {QStringLiteral("verification_uri_complete"), urlOrNull(m_device->verificationUriComplete())},
            {QStringLiteral("message"), m_device->message().isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(m_device->message())},
            {QStringLiteral("expires_in"), qMax<qint64>(0, QDateTime::currentDateTimeUtc().secsTo(m_device->expiresAt()))}};
}

void SignInAttempt::onDeviceFinished()
{
    if (m_finished)
        return;
    if (m_device->error().isError()) {
        fail(m_device->error());
        return;
    }
    // The same strict checks as for the code flow's token response.
    const JsonResponse &response = m_device->tokenResponse();
    const SignInError problem = LoopbackReplyHandler::checkTokenResponse(response, m_provider.isOpenIdConnect(), m_provider.displayName);
    if (problem.isError()) {
        fail(problem);
        return;
    }
    const QJsonObject body = response.body;
    m_tokens.accessToken = body.value(QLatin1String("access_token")).toString();
    m_tokens.refreshToken = body.value(QLatin1String("refresh_token")).toString();
    m_tokens.idToken = body.value(QLatin1String("id_token")).toString();
    const double expiresIn = body.value(QLatin1String("expires_in")).toDouble(0);
    if (expiresIn > 0)
        m_tokens.accessTokenExpiresAt = QDateTime::currentDateTimeUtc().addSecs(qint64(expiresIn));
    m_tokens.scopes = {body.value(QLatin1String("scope")).toString()};
    continueWithTokens();
}

void SignInAttempt::fetchKeys()
{
    // Fresh keys the cache already holds for this provider are used as they are; a token signed
    // with a key the cache does not know triggers one (rate-limited) refetch in validateIdToken().
    JwksCache *cache = m_keys.cache;
    if (cache->jwksUri() == m_metadata.jwksUri && cache->isFresh() && !cache->isFetching()) {
        validateIdToken();
        return;
    }
    connect(cache, &JwksCache::finished, this, &SignInAttempt::validateIdToken, Qt::SingleShotConnection);
    cache->fetch(m_keys.network, m_metadata.jwksUri);
}

void SignInAttempt::validateIdToken()
{
    if (m_finished)
        return;
    JwksCache *cache = m_keys.cache;
    if (cache->keys().isEmpty() && cache->error().isError()) {
        fail({cache->error().code == JwksError::Code::Unreachable ? SignInError::Code::ProviderUnreachable : SignInError::Code::ProviderError,
              cache->error().message});
        return;
    }
    IdTokenExpectations expect;
    expect.issuer = m_metadata.tokenIssuer;
    expect.alternativeIssuers = m_rules->alternativeIssuers(m_metadata.tokenIssuer);
    // A device sign-in may use its own client (Google's "limited input device" clients).
    expect.clientId = m_deviceFlow && !m_provider.deviceClientId.isEmpty() ? m_provider.deviceClientId : m_provider.clientId;
    expect.nonce = m_nonce;
    expect.allowedAlgorithms = IdTokenValidator::allowedAlgorithms(m_metadata.idTokenSigningAlgorithms);
    expect.providerName = m_provider.displayName;
    const IdTokenResult result = IdTokenValidator::validate(m_tokens.idToken.toUtf8(), cache->keys(), expect);
    if (result.error.check == IdTokenError::Check::UnknownKey && !m_keysRefetched) {
        // The provider may have rotated its keys since they were fetched (Core §10.1.1).
        m_keysRefetched = true;
        if (cache->refreshForUnknownKey()) {
            connect(cache, &JwksCache::finished, this, &SignInAttempt::validateIdToken, Qt::SingleShotConnection);
            return;
        }
    }
    if (result.error.isError()) {
        // Nothing more is asked of the provider for this attempt, and nothing is kept.
        qCWarning(lcAuth).noquote() << "ID token rejected:" << IdTokenError::checkName(result.error.check);
        fail({SignInError::Code::ProviderError, tr("Signet refused the sign-in: %1 If this keeps happening, tell IT.").arg(result.error.message),
              IdTokenError::checkName(result.error.check)});
        return;
    }
    m_idTokenClaims = result.claims;
    startProfiles();
}

void SignInAttempt::startProfiles()
{
    m_pendingProfiles = m_rules->profileRequests(m_metadata, m_tokens.scopes);
    requestNextProfile();
}

void SignInAttempt::requestNextProfile()
{
    if (m_pendingProfiles.isEmpty()) {
        finishWithIdentity();
        return;
    }
    const ProviderRules::ProfileRequest &next = m_pendingProfiles.first();
    QNetworkRequest request(next.url);
    request.setRawHeader("Authorization", "Bearer " + m_tokens.accessToken.toUtf8());
    for (const auto &[name, value] : next.headers)
        request.setRawHeader(name, value);
    m_profileReply = m_profileNetwork->get(request);
    connect(m_profileReply, &QNetworkReply::finished, this, &SignInAttempt::onProfileFinished);
}

void SignInAttempt::onProfileFinished()
{
    QNetworkReply *reply = m_profileReply;
    reply->deleteLater();
    if (m_finished)
        return;
    const ProviderRules::ProfileRequest request = m_pendingProfiles.takeFirst();
    const JsonResponse response = JsonResponse::fromReply(reply, request.shape);
    if (!response.ok() && !request.required) {
        // Optional: the identity is built without it (and says less).
        qCInfo(lcAuth).noquote() << "left out the optional profile request" << request.name << "of" << m_provider.id << ":" << response.detail;
    } else if (response.isNetworkFailure()) {
        fail({SignInError::Code::ProviderUnreachable,
              tr("Could not fetch your profile from %1: %2. Check your network connection and try again.").arg(m_provider.displayName, response.detail)});
        return;
    } else if (!response.ok()) {
        fail({SignInError::Code::ProviderError, tr("%1 did not return your profile (%2). Try again later or ask IT.").arg(m_provider.displayName, response.detail)});
        return;
    }
    m_profiles.insert(request.name, response);
    requestNextProfile();
}

void SignInAttempt::finishWithIdentity()
{
    const SignInError refused = m_rules->buildIdentity(m_idTokenClaims, m_profiles, &m_identity);
    m_profiles.clear();
    if (refused.isError()) {
        qCWarning(lcAuth).noquote() << "sign-in refused by the rules of provider" << m_provider.id << ":" << refused.check;
        fail(refused);
        return;
    }
    const QDateTime now = QDateTime::currentDateTimeUtc();
    m_identity.provider = m_provider.id;
    // The issuer the token named: for a multi-tenant Entra ID provider that is the tenant's own;
    // for plain OAuth, the configured host.
    if (!m_provider.isOpenIdConnect())
        m_identity.issuer = m_metadata.issuer.toString();
    else if (m_metadata.tokenIssuer.contains(QLatin1String("{tenantid}")))
        m_identity.issuer = m_idTokenClaims.value(QLatin1String("iss")).toString();
    else
        m_identity.issuer = m_metadata.tokenIssuer;
    m_identity.signedInAt = now;
    m_identity.expiresAt = now.addSecs(m_sessionAge.count());
    succeed();
}

void SignInAttempt::fail(const SignInError &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    m_deadline.stop();
    if (m_handler)
        m_handler->close();
    if (m_profileReply)
        m_profileReply->abort();
    if (m_device)
        m_device->cancel();
    forgetTokens();
    forgetSecrets();
    qCInfo(lcAuth).noquote() << "sign-in for provider" << m_provider.id << "failed:" << SignInError::codeName(error.code);
    Q_EMIT finished();
}

void SignInAttempt::succeed()
{
    m_finished = true;
    m_deadline.stop();
    qCInfo(lcAuth) << "sign-in for provider" << m_provider.id << "succeeded";
    Q_EMIT finished();
}

void SignInAttempt::forgetTokens()
{
    SecretRedactor::removeSecret(m_tokens.accessToken);
    SecretRedactor::removeSecret(m_tokens.refreshToken);
    SecretRedactor::removeSecret(m_tokens.idToken);
    m_tokens = {};
}

void SignInAttempt::forgetSecrets()
{
    // The state, verifier and code are dead once the attempt ends. Tokens of a successful attempt
    // stay registered: the session holds them, and Session unregisters them when it ends.
    SecretRedactor::removeSecret(m_state);
    SecretRedactor::removeSecret(QString::fromLatin1(m_codeVerifier));
    SecretRedactor::removeSecret(m_authorizationCode);
    m_codeVerifier.fill('\0');
    m_codeVerifier.clear();
}

} // namespace Signet
