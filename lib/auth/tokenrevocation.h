#pragma once

#include "config/config.h"
#include "session/identity.h"

#include <QObject>
#include <QPointer>

class QNetworkAccessManager;
class QNetworkReply;

namespace Signet {

// Tells the provider that a session's tokens are no longer wanted, at sign-out: RFC 7009 at the
// revocation endpoint discovery named (Google: revoking the refresh token ends the whole grant),
// or GitHub's `DELETE /applications/{client_id}/token`. Microsoft Entra ID has no revocation
// endpoint for public clients; its sign-out is the end-session page (docs/providers.md).
//
// A job: start(), then exactly one finished(); isRevoked() and errorMessage() afterwards. It holds
// copies of the tokens only while it runs (registered with the log redactor).
class TokenRevocation : public QObject
{
    Q_OBJECT
public:
    TokenRevocation(QNetworkAccessManager *network, const ProviderConfig &provider, const QUrl &revocationEndpoint, const TokenSet &tokens,
                    QObject *parent = nullptr);
    ~TokenRevocation() override;

    // Whether there is anything to call for this provider and these tokens.
    static bool isSupported(const ProviderConfig &provider, const QUrl &revocationEndpoint, const TokenSet &tokens);

    void start();
    bool isRevoked() const { return m_revoked; }
    QString errorMessage() const { return m_error; }

Q_SIGNALS:
    void finished();

private:
    void onFinished();
    void forgetTokens();

    QNetworkAccessManager *m_network;
    ProviderConfig m_provider;
    QUrl m_revocationEndpoint; // RFC 7009, from discovery
    TokenSet m_tokens;
    QPointer<QNetworkReply> m_reply;
    bool m_revoked = false;
    QString m_error;
};

} // namespace Signet
