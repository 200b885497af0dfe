#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QSslCertificate>

#include <chrono>

namespace Signet {

// A QNetworkAccessManager whose every request is bounded: an inactivity timeout
// (QNetworkRequest::setTransferTimeout), a total deadline and a response size cap. Qt NetworkAuth
// sets no timeout at all, and the flow creates its requests itself, so the bounds are applied
// here, in createRequest(), where every request passes — the flow's included.
// TLS errors are never ignored; the system proxy configuration is used.
class BoundedNetworkAccessManager : public QNetworkAccessManager
{
    Q_OBJECT
public:
    explicit BoundedNetworkAccessManager(std::chrono::seconds totalTimeout, QObject *parent = nullptr);

    // Trust these CAs in addition to the system's (ca_file, for TLS-inspecting proxies).
    void setExtraCaCertificates(const QList<QSslCertificate> &certificates);

    static constexpr qint64 MaxResponseBytes = 1024 * 1024;

protected:
    QNetworkReply *createRequest(Operation op, const QNetworkRequest &request, QIODevice *outgoingData) override;

private:
    std::chrono::seconds m_totalTimeout;
    QList<QSslCertificate> m_extraCaCertificates;
};

// POSTs an application/x-www-form-urlencoded body, every value percent-encoded exactly once ('+'
// and '%' included: QUrlQuery would leave them alone). Fields with an empty value are left out.
QNetworkReply *postForm(QNetworkAccessManager *network, const QUrl &url, const QList<QPair<QByteArray, QString>> &fields);

// What came back from a request that should answer JSON, with failures sorted into the kinds a
// person can act on. Never contains the request's URL query or body (they can hold secrets).
struct JsonResponse {
    enum class Failure {
        None,
        Unreachable, // could not connect, DNS failure, connection reset
        Timeout,     // no answer within the inactivity timeout or the total deadline
        TooLarge,    // response bigger than MaxResponseBytes
        Tls,         // certificate or handshake failure
        HttpStatus,  // an HTTP error status (body may still hold a JSON error object)
        NotJson,     // 2xx, but the body is not a JSON object (or array, when one was expected)
    };
    enum class Shape { Object, Array, Bytes };
    Failure failure = Failure::None;
    int httpStatus = 0;
    QJsonObject body;  // the JSON object, when the body was one (also for HTTP errors)
    QJsonArray array;  // the JSON array, when an array was expected and came
    QByteArray bytes;  // the body as it came, when bytes were expected (an image)
    QByteArray contentType;
    QString detail;    // a short description of the failure for messages

    bool ok() const { return failure == Failure::None; }
    // Could not talk to the provider at all (as opposed to: it answered something unusable).
    bool isNetworkFailure() const { return failure == Failure::Unreachable || failure == Failure::Timeout || failure == Failure::Tls; }

    static JsonResponse fromReply(QNetworkReply *reply, Shape expected = Shape::Object);
};

} // namespace Signet
