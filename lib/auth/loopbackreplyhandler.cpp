#include "loopbackreplyhandler.h"

#include "net/wellformed.h"

#include "logging/logging.h"
#include "net/boundednetworkaccessmanager.h"

#include <QNetworkReply>
#include <QRegularExpression>

namespace Signet {

LoopbackReplyHandler::LoopbackReplyHandler(const QString &providerId, const QString &providerName, QObject *parent)
    : QAbstractOAuthReplyHandler(parent)
    , m_providerName(providerName)
    // One path per provider: administrators register it, and a response for another provider's
    // attempt cannot land here (mix-up defence, RFC 9700 §4.4).
    , m_listener(new LoopbackListener(QStringLiteral("/callback/") + providerId,
                                      [this](const CallbackRequest &request) { return onCallback(request); }, this))
{
}

bool LoopbackReplyHandler::listen(QString *errorMessage)
{
    return m_listener->listen(errorMessage);
}

void LoopbackReplyHandler::close()
{
    m_listener->close();
}

QUrl LoopbackReplyHandler::redirectUri() const
{
    return m_listener->redirectUri();
}

QString LoopbackReplyHandler::callback() const
{
    return m_listener->redirectUri().toString(QUrl::FullyEncoded);
}

void LoopbackReplyHandler::expect(const QString &state, const QUrl &issuer, bool issParameterRequired, bool openidRequested)
{
    m_expectedState = state;
    m_issuer = issuer;
    m_issRequired = issParameterRequired;
    m_openidRequested = openidRequested;
    m_stateUsed = false;
}

LoopbackListener::Page LoopbackReplyHandler::onCallback(const CallbackRequest &request)
{
    const QString state = request.value(QStringLiteral("state"));
    // A response for another attempt (another window, an old tab) or a forged one: refuse it and
    // keep waiting for ours — even when it carries error=..., or anyone could cancel our sign-in.
    if (m_expectedState.isEmpty() || state != m_expectedState) {
        qCInfo(lcLoopback) << "ignored a callback whose state does not belong to the running sign-in";
        return {400, tr("Not this sign-in"),
                tr("This response does not belong to the sign-in Signet is waiting for. It may come from a sign-in "
                   "started in another window or one that was already finished. Close this tab and use the newest one.")};
    }
    if (m_stateUsed) {
        return {400, tr("Already used"), tr("This sign-in response was already used. Close this tab.")};
    }
    m_stateUsed = true; // single use, whatever follows

    // RFC 9207: when the provider says it sends iss, it must, and it must be the issuer we talk to.
    if (request.has(QStringLiteral("iss")) || m_issRequired) {
        if (request.value(QStringLiteral("iss")) != m_issuer.toString()) {
            Q_EMIT authorizationFailed({SignInError::Code::ProviderError,
                                        tr("The sign-in response did not come from %1 (wrong issuer). Start the sign-in again; if it happens again, tell IT.").arg(m_providerName)});
            return {400, tr("Sign-in refused"), tr("The response names another issuer. Return to Signet.")};
        }
    }

    const QString error = request.value(QStringLiteral("error"));
    if (!error.isEmpty()) {
        const QString description = printableText(request.value(QStringLiteral("error_description")));
        if (error == QLatin1String("access_denied")) {
            Q_EMIT authorizationFailed({SignInError::Code::AccessDenied,
                                        tr("The sign-in at %1 was declined or cancelled. Sign in again and allow Signet access if you want to continue.").arg(m_providerName)});
        } else {
            Q_EMIT authorizationFailed({SignInError::Code::ProviderError,
                                        tr("%1 refused the sign-in (%2%3). Try again; if it keeps failing, ask IT.")
                                            .arg(m_providerName, printableText(error), description.isEmpty() ? QString() : QStringLiteral(": ") + description)});
        }
        return {200, tr("Sign-in not completed"), tr("The sign-in was not completed. You can close this tab and return to Signet.")};
    }
    if (request.value(QStringLiteral("code")).isEmpty()) {
        Q_EMIT authorizationFailed({SignInError::Code::ProviderError, tr("%1 answered without an authorization code. Start the sign-in again.").arg(m_providerName)});
        return {400, tr("Sign-in not completed"), tr("The response carries no authorization code. Return to Signet.")};
    }

    qCInfo(lcLoopback) << "received the authorization response";
    QVariantMap values;
    for (const auto &parameter : request.parameters)
        values.insert(parameter.first, parameter.second);
    Q_EMIT callbackReceived(values);
    return {200, tr("Signed in"), tr("Signet received your sign-in. You can close this tab and return to your work.")};
}

SignInError LoopbackReplyHandler::checkTokenResponse(const JsonResponse &response, bool openidRequested, const QString &providerName)
{
    if (response.isNetworkFailure()) {
        return {SignInError::Code::ProviderUnreachable,
                tr("Could not finish the sign-in with %1: %2. Check your network connection and try again.").arg(providerName, response.detail)};
    }
    // RFC 6749 §5.2; some providers (GitHub) send an error object with HTTP 200.
    const QString error = response.body.value(QLatin1String("error")).toString();
    if (!error.isEmpty()) {
        const QString description = printableText(response.body.value(QLatin1String("error_description")).toString());
        // The code itself, when it has the shape of one, lets a caller tell a grant that is gone
        // (invalid_grant) from other refusals; anything else is not repeated as a code.
        static const QRegularExpression codeShape(QStringLiteral("^[A-Za-z0-9_.-]{1,64}$"));
        return {SignInError::Code::ProviderError,
                tr("%1 refused to finish the sign-in (%2%3). Start the sign-in again; if it keeps failing, ask IT.")
                    .arg(providerName, printableText(error), description.isEmpty() ? QString() : QStringLiteral(": ") + description),
                codeShape.match(error).hasMatch() ? error : QString()};
    }
    if (!response.ok())
        return {SignInError::Code::ProviderError, tr("%1 answered the token request with %2. Try again later or ask IT.").arg(providerName, response.detail)};

    const QJsonValue accessToken = response.body.value(QLatin1String("access_token"));
    if (!accessToken.isString() || accessToken.toString().isEmpty())
        return {SignInError::Code::ProviderError, tr("%1 answered the token request without an access token. Ask IT to check the provider.").arg(providerName)};
    // RFC 6749 §5.1: token_type is case-insensitive; Signet only knows how to use Bearer tokens.
    if (response.body.value(QLatin1String("token_type")).toString().compare(QLatin1String("bearer"), Qt::CaseInsensitive) != 0)
        return {SignInError::Code::ProviderError, tr("%1 issued a token of a type Signet cannot use (only Bearer is supported).").arg(providerName)};
    if (openidRequested && response.body.value(QLatin1String("id_token")).toString().isEmpty())
        return {SignInError::Code::ProviderError, tr("%1 answered the token request without an ID token although 'openid' was asked for.").arg(providerName)};
    return {};
}

void LoopbackReplyHandler::networkReplyFinished(QNetworkReply *reply)
{
    const JsonResponse response = JsonResponse::fromReply(reply);
    const SignInError error = checkTokenResponse(response, m_openidRequested, m_providerName);
    if (error.isError()) {
        qCWarning(lcAuth).noquote() << "token request failed:" << error.message;
        Q_EMIT tokenRequestFailed(error);
        return;
    }
    Q_EMIT tokensReceived(response.body.toVariantMap());
}

} // namespace Signet
