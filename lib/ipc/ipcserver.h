#pragma once

#include "caller.h"

#include <QJsonObject>
#include <QJsonValue>
#include <QLockFile>
#include <QObject>
#include <QSet>
#include <QString>

#include <memory>

class QLocalServer;
class QLocalSocket;

namespace Signet {

// One client connection. Line-delimited JSON (docs/ipc.md): reads requests, writes responses
// and events. Closes itself on oversized frames and on clients that stop reading.
class IpcConnection : public QObject
{
    Q_OBJECT
public:
    IpcConnection(QLocalSocket *socket, QObject *parent);

    void sendResult(const QJsonValue &id, const QJsonObject &result);
    void sendError(const QJsonValue &id, const QString &code, const QString &message, const QJsonObject &extra = {});
    void sendEvent(const QString &event, const QJsonObject &data, const QJsonValue &id = QJsonValue::Undefined);

    QSet<QString> subscriptions;
    qint64 peerPid() const { return m_caller.pid; }
    // The program on the other end, identified once when it connected.
    const Caller &caller() const { return m_caller; }

    static constexpr qint64 MaxRequestBytes = 64 * 1024;
    static constexpr qint64 MaxResponseBytes = 1024 * 1024;
    // A client that leaves more than one full message unread is not reading: drop it rather than
    // grow without bound.
    static constexpr qint64 MaxUnsentBytes = 2 * MaxResponseBytes;
    // All connections together: past this, a connection that still adds to its backlog is dropped,
    // so a thousand slow clients cannot make the agent hold gigabytes.
    static constexpr qint64 MaxUnsentBytesTotal = 64 * 1024 * 1024;
    // Tests lower the total budget to see it work without gigabytes of traffic.
    static void setUnsentBytesTotalLimit(qint64 bytes) { s_unsentBytesTotalLimit = bytes; }
    static constexpr qsizetype MaxIdLength = 256;

Q_SIGNALS:
    void requestReceived(const QJsonValue &id, const QString &method, const QJsonObject &params);
    void closed();

private:
    void onReadyRead();
    void handleLine(const QByteArray &line);
    void write(const QJsonObject &message);

    QLocalSocket *m_socket;
    bool m_dropping = false; // an abort is queued: nothing more is sent
    QByteArray m_buffer;
    Caller m_caller;
    static inline qint64 s_unsentBytesTotalLimit = MaxUnsentBytesTotal;
};

// The agent's listening socket at $XDG_RUNTIME_DIR/signet/agent.sock: a private directory,
// a lock file that makes the agent single-instance per user, peer-uid checks on every connection.
class IpcServer : public QObject
{
    Q_OBJECT
public:
    explicit IpcServer(QObject *parent = nullptr);
    ~IpcServer() override;

    // The directory and socket path from the environment; empty (with a message) when
    // XDG_RUNTIME_DIR is not set.
    static QString defaultRuntimeDirectory(QString *errorMessage);

    // Creates the directory (0700), takes the lock and listens. On failure returns false with a
    // message naming what is wrong and what to do.
    bool listen(const QString &runtimeDirectory, QString *errorMessage);
    // Socket activation: serves a listening socket that systemd made (SocketActivation::adopt()
    // checked it is <runtimeDirectory>/agent.sock). Takes the same lock as listen(); the socket file
    // stays when the agent exits, because systemd keeps listening on it.
    bool listenOnDescriptor(int fd, const QString &runtimeDirectory, QString *errorMessage);

    QString socketPath() const { return m_socketPath; }

    // Companion apps on one desktop: far fewer, but a login may start many at once. Memory stays
    // bounded by IpcConnection::MaxUnsentBytesTotal; signet-agent raises its file limit to fit.
    static constexpr int MaxConnections = 1024;
    QList<IpcConnection *> connections() const;

Q_SIGNALS:
    void newConnection(Signet::IpcConnection *connection);

private:
    void onNewConnection();
    // The lock that makes the agent single-instance per user; `whatToDo` ends the message when
    // another agent holds it.
    bool takeLock(const QString &directory, const QString &whatToDo, QString *errorMessage);

    QLocalServer *m_server;
    std::unique_ptr<QLockFile> m_lock;
    QString m_socketPath;
};

} // namespace Signet
