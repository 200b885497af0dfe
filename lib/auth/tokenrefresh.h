#pragma once

#include "config/config.h"
#include "discovery.h"
#include "session/identity.h"
#include "signinerror.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>

class QNetworkAccessManager;
class QNetworkReply;

namespace Signet {

class JwksCache;

// One refresh-token grant (RFC 6749 §6) to renew a session without the person. A job: start(), then
// exactly one finished(); tokens() or error() afterwards.
//
// The answer gets the checks of a sign-in's token response, and a new ID token, when there is one,
// is validated like the first (signature, issuer, audience, times) and must name the same person
// (OpenID Connect Core §12.2: iss, sub, aud, azp, auth_time). A rotated refresh token replaces the
// old one; without one the old one stays (RFC 6749 §6 allows both).
//
// error().code is ProviderUnreachable when the provider could not be asked (worth another try
// later) and ProviderError when it refused (invalid_grant: the person must sign in again).
class TokenRefresh : public QObject
{
    Q_OBJECT
public:
    TokenRefresh(QNetworkAccessManager *network, const ProviderConfig &provider, const ProviderMetadata &metadata, const TokenSet &current,
                 const QJsonObject &originalClaims, JwksCache *keys, QObject *parent = nullptr);
    ~TokenRefresh() override;

    // A token for just these scopes (RFC 6749 §6 `scope`): an app's narrower token, or Microsoft's
    // token for another resource. Empty: the session's own scopes.
    void setScopes(const QStringList &scopes) { m_scopes = scopes; }
    void start();

    const TokenSet &tokens() const { return m_tokens; }
    const QJsonObject &claims() const { return m_claims; } // the new ID token's, or the original ones
    const SignInError &error() const { return m_error; }

Q_SIGNALS:
    void finished();

private:
    void onReplyFinished();
    void validateIdToken();
    void fail(const SignInError &error);

    QNetworkAccessManager *m_network;
    ProviderConfig m_provider;
    ProviderMetadata m_metadata;
    TokenSet m_current;
    QStringList m_scopes;
    QJsonObject m_originalClaims;
    QPointer<JwksCache> m_keys;
    QPointer<QNetworkReply> m_reply;
    TokenSet m_tokens;
    QJsonObject m_claims;
    SignInError m_error;
    bool m_keysRefetched = false;
    bool m_finished = false;
};

} // namespace Signet
