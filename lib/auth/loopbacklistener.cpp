#include "loopbacklistener.h"

#include "logging/logging.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace Signet {

namespace {
const char BufferProperty[] = "signet_request";
const char AnsweredProperty[] = "signet_answered";
const char IdleTimerName[] = "signet_idle";

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 410: return "Gone";
    case 431: return "Request Header Fields Too Large";
    default: return "Error";
    }
}

QByteArray renderPage(const LoopbackListener::Page &page)
{
    // A plain page: no scripts, no third-party content, no redirect anywhere the request chose.
    const QString html = QStringLiteral(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>%1 - Signet</title>"
        "<meta name=\"viewport\" content=\"width=device-width\">"
        "<style>body{font-family:sans-serif;max-width:36em;margin:4em auto;padding:0 1em;line-height:1.5}</style>"
        "</head><body><h1>%1</h1><p>%2</p></body></html>")
                             .arg(page.title.toHtmlEscaped(), page.text.toHtmlEscaped());
    return html.toUtf8();
}
} // namespace

LoopbackListener::LoopbackListener(const QString &callbackPath, CallbackHandler handler, QObject *parent)
    : QObject(parent)
    , m_path(callbackPath)
    , m_handler(std::move(handler))
    , m_server(new QTcpServer(this))
{
    m_server->setMaxPendingConnections(MaxConnections);
    connect(m_server, &QTcpServer::newConnection, this, &LoopbackListener::onNewConnection);
}

LoopbackListener::~LoopbackListener() = default;

bool LoopbackListener::listen(QString *errorMessage)
{
    // 127.0.0.1 only: never every interface, which is what Qt 6.4's handler does by default.
    if (!m_server->listen(QHostAddress::LocalHost, 0)) {
        if (errorMessage)
            *errorMessage = m_server->errorString();
        return false;
    }
    qCDebug(lcLoopback) << "listening on 127.0.0.1 port" << m_server->serverPort();
    return true;
}

void LoopbackListener::close()
{
    m_server->close();
    // Connections still waiting for a request are dropped; one being answered (possibly the very
    // request whose handling ends the sign-in and closes us) still gets its page.
    const auto sockets = findChildren<QTcpSocket *>();
    for (QTcpSocket *socket : sockets) {
        if (!socket->property(AnsweredProperty).toBool())
            socket->abort();
    }
}

bool LoopbackListener::isListening() const
{
    return m_server->isListening();
}

quint16 LoopbackListener::port() const
{
    return m_server->serverPort();
}

QUrl LoopbackListener::redirectUri() const
{
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(QStringLiteral("127.0.0.1"));
    url.setPort(port());
    url.setPath(m_path);
    return url;
}

void LoopbackListener::onNewConnection()
{
    while (QTcpSocket *socket = m_server->nextPendingConnection()) {
        socket->setParent(this);
        // Full: make room by dropping the oldest connection that has not sent a request yet.
        // Refusing the newcomer instead would let anyone on this machine who holds a few idle
        // connections keep the browser's redirect out for as long as they like.
        const auto sockets = findChildren<QTcpSocket *>(Qt::FindDirectChildrenOnly);
        if (sockets.size() > MaxConnections) {
            for (QTcpSocket *candidate : sockets) {
                if (candidate != socket && !candidate->property(AnsweredProperty).toBool()) {
                    qCInfo(lcLoopback) << "dropped an idle connection to the sign-in listener to make room";
                    candidate->abort();
                    candidate->deleteLater();
                    candidate->setParent(nullptr);
                    break;
                }
            }
        }
        // Slow or idle clients do not get to hold the listener.
        auto *idle = new QTimer(socket);
        idle->setObjectName(QLatin1String(IdleTimerName));
        idle->setSingleShot(true);
        connect(idle, &QTimer::timeout, this, [this, socket] {
            respond(socket, {408, tr("Request timeout"), tr("The request took too long.")});
        });
        idle->start(IdleTimeoutMs);
        connect(socket, &QTcpSocket::readyRead, this, [this, socket] { onReadyRead(socket); });
        connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    }
}

void LoopbackListener::onReadyRead(QTcpSocket *socket)
{
    QByteArray buffer = socket->property(BufferProperty).toByteArray();
    buffer += socket->read(CallbackRequest::MaxHeaderBytes + 4 - buffer.size());
    socket->setProperty(BufferProperty, buffer);

    const QByteArray host = QByteArrayLiteral("127.0.0.1:") + QByteArray::number(port());
    const CallbackRequest request = CallbackRequest::parse(buffer, m_path.toUtf8(), host);
    switch (request.result) {
    case CallbackRequest::Result::Incomplete:
        return; // wait for the rest of the request
    case CallbackRequest::Result::Ok:
        socket->setProperty(AnsweredProperty, true);
        respond(socket, m_handler(request));
        return;
    case CallbackRequest::Result::NotFound:
        respond(socket, {404, tr("Not found"), tr("There is nothing here.")});
        break;
    case CallbackRequest::Result::MethodNotAllowed:
        respond(socket, {405, tr("Method not allowed"), tr("Only GET is accepted.")});
        break;
    case CallbackRequest::Result::HeadersTooLarge:
        respond(socket, {431, tr("Request too large"), tr("The request headers are too large.")});
        break;
    case CallbackRequest::Result::BadRequest:
    case CallbackRequest::Result::WrongHost:
        respond(socket, {400, tr("Bad request"), tr("This request cannot be accepted.")});
        break;
    }
    qCInfo(lcLoopback).noquote() << "rejected a request to the sign-in listener:" << request.reason;
}

void LoopbackListener::respond(QTcpSocket *socket, const Page &page)
{
    socket->setProperty(AnsweredProperty, true);
    socket->setProperty(BufferProperty, QVariant());
    const QByteArray body = renderPage(page);
    QByteArray response = "HTTP/1.1 " + QByteArray::number(page.status) + ' ' + reasonPhrase(page.status) + "\r\n";
    response += "Content-Type: text/html; charset=utf-8\r\n"
                "Content-Length: " + QByteArray::number(body.size()) + "\r\n"
                "Cache-Control: no-store\r\n"
                "Referrer-Policy: no-referrer\r\n"
                "X-Content-Type-Options: nosniff\r\n"
                "Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n"
                "Connection: close\r\n";
    if (page.status == 405)
        response += "Allow: GET\r\n";
    response += "\r\n" + body;
    socket->write(response);
    socket->disconnectFromHost();

    // The answer must reach the browser even when this listener goes away right now (the request
    // that ends a sign-in ends the attempt that owns us): the socket leaves our ownership and
    // deletes itself once the page is out, or after a bounded wait for a reader that stalls.
    delete socket->findChild<QTimer *>(QLatin1String(IdleTimerName), Qt::FindDirectChildrenOnly);
    disconnect(socket, &QTcpSocket::readyRead, this, nullptr);
    connect(socket, &QTcpSocket::readyRead, socket, [socket] { socket->readAll(); });
    socket->setParent(nullptr);
    QTimer::singleShot(IdleTimeoutMs, socket, [socket] {
        socket->abort();
        socket->deleteLater();
    });
}

} // namespace Signet
