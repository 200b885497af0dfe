#include "deviceauthorization.h"

#include "logging/logging.h"
#include "logging/secretredactor.h"
#include "net/wellformed.h"

#include <QNetworkReply>
#include <QRegularExpression>

#include <algorithm>
#include <cmath>

namespace Signet {

namespace {
const QByteArray DeviceCodeGrant = "urn:ietf:params:oauth:grant-type:device_code";
} // namespace

DeviceAuthorization::DeviceAuthorization(QNetworkAccessManager *network, const Request &request, QObject *parent)
    : QObject(parent)
    , m_network(network)
    , m_request(request)
{
    m_pollTimer.setSingleShot(true);
    connect(&m_pollTimer, &QTimer::timeout, this, &DeviceAuthorization::poll);
    m_expiry.setSingleShot(true);
    connect(&m_expiry, &QTimer::timeout, this, [this] {
        fail({SignInError::Code::StateExpired, tr("The code was not entered in time, so it expired. Start the sign-in again.")});
    });
}

DeviceAuthorization::~DeviceAuthorization()
{
    SecretRedactor::removeSecret(m_deviceCode);
}

void DeviceAuthorization::start()
{
    m_reply = postForm(m_network, m_request.deviceAuthorizationEndpoint, {{"client_id", m_request.clientId}, {"scope", m_request.scopes.join(QLatin1Char(' '))}});
    connect(m_reply, &QNetworkReply::finished, this, &DeviceAuthorization::onCodeFinished);
    qCInfo(lcAuth).noquote() << "device sign-in started with" << m_request.providerName;
}

void DeviceAuthorization::cancel()
{
    fail({SignInError::Code::Cancelled, tr("The sign-in was cancelled.")});
}

void DeviceAuthorization::onCodeFinished()
{
    QNetworkReply *reply = m_reply;
    reply->deleteLater();
    if (m_finished)
        return;
    const JsonResponse response = JsonResponse::fromReply(reply);
    const QString name = m_request.providerName;
    if (response.isNetworkFailure()) {
        fail({SignInError::Code::ProviderUnreachable, tr("Could not reach %1 to start a device sign-in: %2. Check your network connection and try again.").arg(name, response.detail)});
        return;
    }
    // RFC 8628 §3.2 (GitHub also with HTTP 200, e.g. device_flow_disabled).
    const QString error = response.body.value(QLatin1String("error")).toString();
    if (!error.isEmpty() || !response.ok()) {
        const QString what = error.isEmpty() ? response.detail : printableText(error);
        fail({SignInError::Code::ProviderError, tr("%1 refused to start a device sign-in (%2). Ask IT whether device sign-in is set up for Signet.").arg(name, what)});
        return;
    }
    const QJsonObject body = response.body;
    m_deviceCode = body.value(QLatin1String("device_code")).toString();
    m_userCode = body.value(QLatin1String("user_code")).toString();
    // Google calls it verification_url.
    const QString uri = body.value(QLatin1String("verification_uri")).toString(body.value(QLatin1String("verification_url")).toString());
    m_verificationUri = QUrl(uri, QUrl::StrictMode);
    static const QRegularExpression printable(QStringLiteral("^[\\x21-\\x7e]{1,64}$"));
    const bool secureUri = m_verificationUri.scheme() == QLatin1String("https")
        || (m_request.allowPlainHttp && m_verificationUri.scheme() == QLatin1String("http") && isLoopbackUrl(m_verificationUri));
    if (m_deviceCode.isEmpty() || m_deviceCode.size() > 2048 || !printable.match(m_userCode).hasMatch() || !m_verificationUri.isValid()
        || m_verificationUri.host().isEmpty() || !secureUri) {
        fail({SignInError::Code::ProviderError, tr("%1 answered the device sign-in request with something Signet cannot use. Ask IT.").arg(name)});
        return;
    }
    SecretRedactor::addSecret(m_deviceCode);
    const QUrl complete(body.value(QLatin1String("verification_uri_complete")).toString(), QUrl::StrictMode);
    if (complete.isValid() && complete.scheme() == m_verificationUri.scheme() && complete.host() == m_verificationUri.host())
        m_verificationUriComplete = complete;
    m_message = printableText(body.value(QLatin1String("message")).toString().left(500));

    // Clamped as doubles first: a provider's 1e300 must not overflow an integer.
    auto seconds = [&](const char *member, double fallback, double max) {
        const double value = body.value(QLatin1String(member)).toDouble(fallback);
        return std::chrono::seconds(qint64(std::isfinite(value) ? std::clamp(value, 0.0, max) : fallback));
    };
    const qint64 expiresIn = std::max<qint64>(1, seconds("expires_in", 600, double(MaximumLifetime.count())).count());
    m_expiresAt = QDateTime::currentDateTimeUtc().addSecs(expiresIn);
    m_expiry.start(std::chrono::seconds(expiresIn));
    setInterval(seconds("interval", double(DefaultInterval.count()), double(MaximumInterval.count())));
    qCInfo(lcAuth).noquote() << "device code issued by" << name << "; polling every" << m_interval.count() << "s";
    Q_EMIT codeReady();
    if (!m_finished)
        m_pollTimer.start(m_interval);
}

void DeviceAuthorization::setInterval(std::chrono::seconds interval)
{
    m_interval = std::clamp(interval, MinimumInterval, MaximumInterval);
}

void DeviceAuthorization::poll()
{
    if (m_finished)
        return;
    ++m_polls;
    m_reply = postForm(m_network, m_request.tokenEndpoint,
                       {{"grant_type", QString::fromLatin1(DeviceCodeGrant)}, {"device_code", m_deviceCode}, {"client_id", m_request.clientId},
                        {"client_secret", m_request.clientSecret}});
    connect(m_reply, &QNetworkReply::finished, this, &DeviceAuthorization::onPollFinished);
}

void DeviceAuthorization::onPollFinished()
{
    QNetworkReply *reply = m_reply;
    reply->deleteLater();
    if (m_finished)
        return;
    const JsonResponse response = JsonResponse::fromReply(reply);
    if (response.isNetworkFailure()) {
        if (++m_consecutiveFailures >= MaximumConsecutiveFailures) {
            fail({SignInError::Code::ProviderUnreachable,
                  tr("Lost the connection to %1 while waiting for the sign-in: %2. Check your network connection and try again.").arg(m_request.providerName, response.detail)});
            return;
        }
        m_pollTimer.start(m_interval);
        return;
    }
    m_consecutiveFailures = 0;
    // RFC 8628 §3.5; error objects come with 400, 428 or 403 (Google) or 200 (GitHub).
    const QString error = response.body.value(QLatin1String("error")).toString();
    if (error == QLatin1String("authorization_pending")) {
        m_pollTimer.start(m_interval);
        return;
    }
    if (error == QLatin1String("slow_down")) {
        // "the interval MUST be increased by 5 seconds for this and all subsequent requests";
        // GitHub names the new interval itself.
        const double value = response.body.value(QLatin1String("interval")).toDouble(0);
        const auto named = std::chrono::seconds(qint64(std::isfinite(value) ? std::clamp(value, 0.0, double(MaximumInterval.count())) : 0.0));
        setInterval(std::max(m_interval + std::chrono::seconds(5), named));
        qCInfo(lcAuth) << "the provider asked to poll more slowly; now every" << m_interval.count() << "s";
        m_pollTimer.start(m_interval);
        return;
    }
    if (error == QLatin1String("access_denied") || error == QLatin1String("authorization_declined")) {
        fail({SignInError::Code::AccessDenied, tr("The sign-in was declined on the other device. Start it again if that was a mistake.")});
        return;
    }
    if (error == QLatin1String("expired_token") || error == QLatin1String("token_expired")) {
        fail({SignInError::Code::StateExpired, tr("The code was not entered in time, so it expired. Start the sign-in again.")});
        return;
    }
    if (!error.isEmpty()) {
        const QString description = printableText(response.body.value(QLatin1String("error_description")).toString());
        fail({SignInError::Code::ProviderError, tr("%1 refused the device sign-in (%2%3). Start it again; if it keeps failing, ask IT.")
                                                    .arg(m_request.providerName, printableText(error), description.isEmpty() ? QString() : QStringLiteral(": ") + description)});
        return;
    }
    succeed(response);
}

void DeviceAuthorization::fail(const SignInError &error)
{
    if (m_finished)
        return;
    m_finished = true;
    m_error = error;
    m_pollTimer.stop();
    m_expiry.stop();
    if (m_reply)
        m_reply->abort();
    qCInfo(lcAuth).noquote() << "device sign-in with" << m_request.providerName << "ended:" << SignInError::codeName(error.code) << "after" << m_polls << "polls";
    Q_EMIT finished();
}

void DeviceAuthorization::succeed(const JsonResponse &response)
{
    m_finished = true;
    m_pollTimer.stop();
    m_expiry.stop();
    m_tokenResponse = response;
    qCInfo(lcAuth).noquote() << "device sign-in with" << m_request.providerName << "granted after" << m_polls << "polls";
    Q_EMIT finished();
}

} // namespace Signet
