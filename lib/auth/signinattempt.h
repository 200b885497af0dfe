#pragma once

#include "config/config.h"
#include "providers/providerrules.h"
#include "discovery.h"
#include "session/identity.h"
#include "signinerror.h"

#include <QDateTime>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <chrono>
#include <memory>

class QOAuth2AuthorizationCodeFlow;
class QNetworkAccessManager;
class QNetworkReply;

namespace Signet {

class BoundedNetworkAccessManager;
class DeviceAuthorization;
class JwksCache;
class LoopbackReplyHandler;

// One interactive sign-in with one OpenID Connect provider: discovery, the authorization request
// (code flow + PKCE S256, state, nonce) through QOAuth2AuthorizationCodeFlow with a loopback
// redirect, the token exchange and userinfo. The attempt never opens a browser: it announces the
// authorization URL and whoever asked opens it.
//
// A job in the KJob/QtKeychain shape: start(), then exactly one finished(); read identity()/tokens()
// or error() afterwards.
//
// The identity comes from the ID token, validated against the provider's keys (OpenID Connect
// Core §3.1.3.7: signature, iss, aud, azp, exp, iat, nbf, nonce); userinfo adds profile claims
// only when its sub is the ID token's (§5.3.2).
// The provider's signing keys outlive one attempt (so a key rotation is noticed once, not per
// sign-in): the provider's cache and the network manager it fetches with. Without them an attempt
// keeps its own.
struct SignInKeys {
    JwksCache *cache = nullptr;
    QNetworkAccessManager *network = nullptr;
};

class SignInAttempt : public QObject
{
    Q_OBJECT
public:
    using Keys = SignInKeys;

    SignInAttempt(const ProviderConfig &provider, std::chrono::seconds stateTimeout, std::chrono::seconds sessionAge, Keys keys = {},
                  QObject *parent = nullptr);
    ~SignInAttempt() override;

    // Before start(): sign in with the device authorization grant (RFC 8628) instead of a browser
    // on this machine. deviceCodeReady() then takes the place of authorizationUrlReady().
    void setDeviceFlow(bool deviceFlow) { m_deviceFlow = deviceFlow; }
    bool isDeviceFlow() const { return m_deviceFlow; }

    void start();
    void cancel();

    const ProviderConfig &provider() const { return m_provider; }
    bool isFinished() const { return m_finished; }
    QUrl authorizationUrl() const { return m_authorizationUrl; }
    // The device flow's prompt: user_code, verification_uri, verification_uri_complete, message,
    // expires_in (docs/ipc.md, event device-code). Empty until deviceCodeReady().
    QJsonObject deviceCode() const;
    // When the attempt's state expires (start + state_timeout).
    QDateTime expiresAt() const { return m_expiresAt; }

    const Identity &identity() const { return m_identity; }
    const TokenSet &tokens() const { return m_tokens; }
    // The validated ID token's claims (empty for plain OAuth), for the policy's claim mapping.
    const QJsonObject &claims() const { return m_idTokenClaims; }
    // Drops the tokens of a finished attempt that will not become a session.
    void forgetTokens();
    // What discovery (or the configuration) said about the provider: kept for renewal.
    const ProviderMetadata &metadata() const { return m_metadata; }
    const SignInError &error() const { return m_error; }

    static constexpr qsizetype MaxClaimLength = ProviderRules::MaxClaimLength;

Q_SIGNALS:
    void authorizationUrlReady(const QUrl &url);
    void deviceCodeReady();
    void finished();

private:
    void onDiscoveryFinished();
    void beginAuthorization();
    void onGranted();
    void startDeviceFlow();
    void onDeviceFinished();
    void continueWithTokens();
    void fetchKeys();
    void validateIdToken();
    void startProfiles();
    void requestNextProfile();
    void onProfileFinished();
    void finishWithIdentity();
    void fail(const SignInError &error);
    void succeed();
    void forgetSecrets();

    ProviderConfig m_provider;
    std::chrono::seconds m_stateTimeout;
    std::chrono::seconds m_sessionAge;
    BoundedNetworkAccessManager *m_network;
    OidcDiscovery *m_discovery = nullptr;
    ProviderMetadata m_metadata;
    LoopbackReplyHandler *m_handler = nullptr;
    QOAuth2AuthorizationCodeFlow *m_flow = nullptr;
    DeviceAuthorization *m_device = nullptr;
    bool m_deviceFlow = false;
    BoundedNetworkAccessManager *m_profileNetwork = nullptr; // with the provider's profile timeout (Graph's)
    std::unique_ptr<ProviderRules> m_rules;
    QList<ProviderRules::ProfileRequest> m_pendingProfiles;
    QMap<QString, JsonResponse> m_profiles;
    QPointer<QNetworkReply> m_profileReply;
    Keys m_keys;
    bool m_keysRefetched = false;
    QJsonObject m_idTokenClaims;
    QTimer m_deadline;
    QDateTime m_expiresAt;

    // Per-attempt secrets (registered with the log redactor while they live).
    QString m_state;
    QString m_nonce;
    QByteArray m_codeVerifier;
    QString m_authorizationCode;

    QUrl m_authorizationUrl;
    Identity m_identity;
    TokenSet m_tokens;
    SignInError m_error;
    bool m_finished = false;
};

} // namespace Signet
