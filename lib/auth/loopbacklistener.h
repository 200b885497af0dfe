#pragma once

#include "callbackrequest.h"

#include <QObject>
#include <QUrl>

#include <functional>

class QTcpServer;
class QTcpSocket;

namespace Signet {

// The tiny HTTP server the browser is redirected to at the end of a sign-in (RFC 8252 §7.3).
// Unlike QOAuthHttpServerReplyHandler in Qt 6.4 it binds 127.0.0.1 only, on an ephemeral port,
// answers only GET on the exact callback path with the right Host, copes with requests split
// across TCP writes, caps header size, drops idle connections and never logs the query.
class LoopbackListener : public QObject
{
    Q_OBJECT
public:
    struct Page {
        int status = 200;
        QString title;
        QString text;
    };
    // Decides the page for a well-formed callback request. Called synchronously.
    using CallbackHandler = std::function<Page(const CallbackRequest &)>;

    LoopbackListener(const QString &callbackPath, CallbackHandler handler, QObject *parent = nullptr);
    ~LoopbackListener() override;

    bool listen(QString *errorMessage);
    void close();
    bool isListening() const;
    quint16 port() const;
    // http://127.0.0.1:<port><path>: a literal IP, not "localhost" (RFC 8252 §8.3).
    QUrl redirectUri() const;

    static constexpr int IdleTimeoutMs = 10'000;
    static constexpr int MaxConnections = 16;

private:
    void onNewConnection();
    void onReadyRead(QTcpSocket *socket);
    void respond(QTcpSocket *socket, const Page &page);

    QString m_path;
    CallbackHandler m_handler;
    QTcpServer *m_server;
};

} // namespace Signet
