#pragma once

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
    qint64 peerPid() const { return m_peerPid; }

    static constexpr qint64 MaxRequestBytes = 64 * 1024;
    static constexpr qint64 MaxResponseBytes = 1024 * 1024;
    // A client that leaves more than one full message unread is not reading: drop it rather than
    // grow without bound.
    static constexpr qint64 MaxUnsentBytes = 2 * MaxResponseBytes;
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
    qint64 m_peerPid = -1;
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

    // Companion apps on one desktop: far fewer. Each may hold up to MaxUnsentBytes, so this
    // bounds the agent's memory for clients that do not read.
    static constexpr int MaxConnections = 256;
    QList<IpcConnection *> connections() const;

Q_SIGNALS:
    void newConnection(Signet::IpcConnection *connection);

private:
    void onNewConnection();

    QLocalServer *m_server;
    std::unique_ptr<QLockFile> m_lock;
    QString m_socketPath;
};

} // namespace Signet
