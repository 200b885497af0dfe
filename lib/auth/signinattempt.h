#pragma once

#include "config/config.h"
#include "discovery.h"
#include "session/identity.h"
#include "signinerror.h"

#include <QDateTime>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <chrono>

class QOAuth2AuthorizationCodeFlow;
class QNetworkAccessManager;
class QNetworkReply;

namespace Signet {

class BoundedNetworkAccessManager;
class LoopbackReplyHandler;

// One interactive sign-in with one OpenID Connect provider: discovery, the authorization request
// (code flow + PKCE S256, state, nonce) through QOAuth2AuthorizationCodeFlow with a loopback
// redirect, the token exchange and userinfo. The attempt never opens a browser: it announces the
// authorization URL and whoever asked opens it.
//
// A job in the KJob/QtKeychain shape: start(), then exactly one finished(); read identity()/tokens()
// or error() afterwards.
//
// NOT YET DONE (next step, see docs/security.md): the ID token is not validated (signature, iss,
// aud, exp, nonce). Until it is, the identity comes from the userinfo endpoint, fetched with the
// access token over TLS, and the ID token is only kept.
class SignInAttempt : public QObject
{
    Q_OBJECT
public:
    SignInAttempt(const ProviderConfig &provider, std::chrono::seconds stateTimeout, std::chrono::seconds sessionAge, QObject *parent = nullptr);
    ~SignInAttempt() override;

    void start();
    void cancel();

    const ProviderConfig &provider() const { return m_provider; }
    bool isFinished() const { return m_finished; }
    QUrl authorizationUrl() const { return m_authorizationUrl; }
    // When the attempt's state expires (start + state_timeout).
    QDateTime expiresAt() const { return m_expiresAt; }

    const Identity &identity() const { return m_identity; }
    const TokenSet &tokens() const { return m_tokens; }
    const SignInError &error() const { return m_error; }

Q_SIGNALS:
    void authorizationUrlReady(const QUrl &url);
    void finished();

private:
    void onDiscoveryFinished();
    void onGranted();
    void onUserinfoFinished();
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
    QPointer<QNetworkReply> m_userinfoReply;
    QTimer m_deadline;
    QDateTime m_expiresAt;

    // Per-attempt secrets (registered with the log redactor while they live).
    QString m_state;
    QString m_nonce;
    QByteArray m_codeVerifier;

    QUrl m_authorizationUrl;
    Identity m_identity;
    TokenSet m_tokens;
    SignInError m_error;
    bool m_finished = false;
};

} // namespace Signet
