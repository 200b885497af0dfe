#include "boundednetworkaccessmanager.h"

#include "logging/logging.h"

#include <QJsonDocument>
#include <QNetworkProxyFactory>
#include <QNetworkReply>
#include <QSslConfiguration>
#include <QTimer>

namespace Signet {

namespace {
const char DeadlineProperty[] = "signet_deadline_exceeded";
const char TooLargeProperty[] = "signet_too_large";
} // namespace

BoundedNetworkAccessManager::BoundedNetworkAccessManager(std::chrono::seconds totalTimeout, QObject *parent)
    : QNetworkAccessManager(parent)
    , m_totalTimeout(totalTimeout)
{
    // Corporate networks: honour the system proxy (and http(s)_proxy in the environment).
    QNetworkProxyFactory::setUseSystemConfiguration(true);
    // No redirects at all: a token request redirected elsewhere would carry the code, the PKCE
    // verifier and the client secret to whoever the redirect names; a userinfo request, the
    // access token. A 3xx is an answer like any other non-2xx (a provider error).
    setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

void BoundedNetworkAccessManager::setExtraCaCertificates(const QList<QSslCertificate> &certificates)
{
    m_extraCaCertificates = certificates;
}

QNetworkReply *BoundedNetworkAccessManager::createRequest(Operation op, const QNetworkRequest &original, QIODevice *outgoingData)
{
    QNetworkRequest request(original);
    // Every endpoint Signet calls answers JSON; saying so matters for providers that otherwise
    // answer form-encoded (GitHub's token endpoint).
    if (!request.hasRawHeader("Accept"))
        request.setRawHeader("Accept", "application/json");
    if (!m_extraCaCertificates.isEmpty() && request.url().scheme() == QLatin1String("https")) {
        // Setting CAs explicitly turns off Qt's on-demand loading of the system store, so the
        // system's certificates are listed too: the extra ones add trust, never replace it.
        QSslConfiguration tls = request.sslConfiguration();
        tls.setCaCertificates(QSslConfiguration::systemCaCertificates() + m_extraCaCertificates);
        request.setSslConfiguration(tls);
    }
    const auto totalMs = std::chrono::duration_cast<std::chrono::milliseconds>(m_totalTimeout);
    // Inactivity: a server that stops sending for the whole budget is dead.
    request.setTransferTimeout(int(totalMs.count()));
    QNetworkReply *reply = QNetworkAccessManager::createRequest(op, request, outgoingData);

    // Total deadline: a server trickling one byte a second never trips the inactivity timeout.
    auto *deadline = new QTimer(reply);
    deadline->setSingleShot(true);
    connect(deadline, &QTimer::timeout, reply, [reply] {
        reply->setProperty(DeadlineProperty, true);
        reply->abort();
    });
    deadline->start(totalMs);

    connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 received, qint64 total) {
        if (received > MaxResponseBytes || total > MaxResponseBytes) {
            reply->setProperty(TooLargeProperty, true);
            reply->abort();
        }
    });
    qCDebug(lcHttp) << "request" << reply->operation() << request.url().adjusted(QUrl::RemoveQuery | QUrl::RemoveUserInfo);
    return reply;
}

QNetworkReply *postForm(QNetworkAccessManager *network, const QUrl &url, const QList<QPair<QByteArray, QString>> &fields)
{
    QByteArray body;
    for (const auto &[name, value] : fields) {
        if (value.isEmpty())
            continue;
        if (!body.isEmpty())
            body += '&';
        body += name + '=' + QUrl::toPercentEncoding(value);
    }
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/x-www-form-urlencoded"));
    return network->post(request, body);
}

JsonResponse JsonResponse::fromReply(QNetworkReply *reply, Shape expected)
{
    JsonResponse response;
    response.httpStatus = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const auto error = reply->error();

    if (reply->property(TooLargeProperty).toBool()) {
        response.failure = Failure::TooLarge;
        response.detail = QStringLiteral("the response was larger than %1 bytes").arg(BoundedNetworkAccessManager::MaxResponseBytes);
        return response;
    }
    if (reply->property(DeadlineProperty).toBool() || error == QNetworkReply::OperationCanceledError || error == QNetworkReply::TimeoutError) {
        response.failure = Failure::Timeout;
        response.detail = QStringLiteral("no answer in time");
        return response;
    }
    if (error == QNetworkReply::SslHandshakeFailedError) {
        response.failure = Failure::Tls;
        response.detail = QStringLiteral("the TLS connection failed (%1)").arg(reply->errorString());
        return response;
    }
    if (response.httpStatus == 0 && error != QNetworkReply::NoError) {
        response.failure = Failure::Unreachable;
        response.detail = reply->errorString();
        return response;
    }

    const QByteArray body = reply->readAll();
    if (expected == Shape::Bytes) {
        response.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
        if (response.httpStatus >= 200 && response.httpStatus < 300) {
            response.bytes = body;
            return response;
        }
    }
    const QJsonDocument document = QJsonDocument::fromJson(body);
    if (document.isObject())
        response.body = document.object();
    if (expected == Shape::Array && document.isArray())
        response.array = document.array();

    if (response.httpStatus < 200 || response.httpStatus >= 300) {
        response.failure = Failure::HttpStatus;
        response.detail = QStringLiteral("HTTP status %1").arg(response.httpStatus);
        return response;
    }
    if (expected == Shape::Array ? !document.isArray() : !document.isObject()) {
        response.failure = Failure::NotJson;
        response.detail = expected == Shape::Array ? QStringLiteral("the response is not a JSON array") : QStringLiteral("the response is not a JSON object");
    }
    return response;
}

} // namespace Signet
