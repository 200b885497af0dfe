#pragma once

#include "loopbacklistener.h"
#include "signinerror.h"

#include <QAbstractOAuthReplyHandler>
#include <QJsonObject>
#include <QUrl>

namespace Signet {

struct JsonResponse;

// The reply handler Signet gives QOAuth2AuthorizationCodeFlow in place of Qt 6.4's
// QOAuthHttpServerReplyHandler. It owns the loopback listener and is strict about both things a
// reply handler sees:
// - the authorization response: only a callback carrying this attempt's state, once, is passed to
//   the flow; an unknown state gets HTTP 400 and the sign-in keeps waiting; an error response for
//   our state ends the attempt with a typed error;
// - the token response: JSON only, an error member is a failure even with HTTP 200, Bearer only.
//   Qt's own handler only logs a warning on failures and leaves the flow stuck.
class LoopbackReplyHandler : public QAbstractOAuthReplyHandler
{
    Q_OBJECT
public:
    LoopbackReplyHandler(const QString &providerId, const QString &providerName, QObject *parent = nullptr);

    bool listen(QString *errorMessage);
    void close();
    QUrl redirectUri() const;
    QString callback() const override;

    // The state this attempt sent; and, for RFC 9207, the issuer the response must name.
    void expect(const QString &state, const QUrl &issuer, bool issParameterRequired, bool openidRequested);

    void networkReplyFinished(QNetworkReply *reply) override;

    // Checks a token endpoint response (RFC 6749 §5.1/§5.2, OpenID Connect Core §3.1.3.3).
    static SignInError checkTokenResponse(const JsonResponse &response, bool openidRequested, const QString &providerName);

Q_SIGNALS:
    // The authorization response ended the attempt (error from the provider, wrong iss).
    void authorizationFailed(const Signet::SignInError &error);
    // The token request failed; the flow itself would only log a warning.
    void tokenRequestFailed(const Signet::SignInError &error);

private:
    LoopbackListener::Page onCallback(const CallbackRequest &request);

    QString m_providerName;
    LoopbackListener *m_listener;
    QString m_expectedState;
    QUrl m_issuer;
    bool m_issRequired = false;
    bool m_openidRequested = true;
    bool m_stateUsed = false;
};

} // namespace Signet
