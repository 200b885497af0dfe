#pragma once

#include "caller.h"

#include <QByteArrayView>
#include <QJsonObject>
#include <QJsonValue>
#include <QLockFile>
#include <QObject>
#include <QSet>
#include <QString>

#include <memory>

class QSocketNotifier;

namespace Signet {

// One client connection. Line-delimited JSON (docs/ipc.md): reads requests, writes responses
// and events. Closes itself on oversized frames and on clients that stop reading.
//
// It works on the accepted socket descriptor itself rather than through QLocalSocket: an answer
// goes to the kernel in one send() while the request is handled, and requests are read straight
// from one recv() — QLocalSocket's buffering cost more than the agent's own work per request
// (docs/performance.md).
class IpcConnection : public QObject
{
    Q_OBJECT
public:
    // Takes `fd`, a connected UNIX stream socket, and closes it when done.
    IpcConnection(int fd, QObject *parent);
    ~IpcConnection() override;

    void sendResult(const QJsonValue &id, const QJsonObject &result);
    // The same with the result already serialized (compact JSON object): for answers kept between requests.
    void sendResult(const QJsonValue &id, const QByteArray &resultJson);
    void sendError(const QJsonValue &id, const QString &code, const QString &message, const QJsonObject &extra = {});
    void sendEvent(const QString &event, const QJsonObject &data, const QJsonValue &id = QJsonValue::Undefined);

    QSet<QString> subscriptions;
    qint64 peerPid() const { return m_caller.pid; }
    // The program on the other end, identified once when it connected.
    const Caller &caller() const { return m_caller; }

    // Open until the client leaves or the connection is dropped.
    bool isOpen() const { return m_fd >= 0; }
    // Answers the kernel has not taken yet.
    qint64 bytesToWrite() const { return m_unsent.size() - m_unsentOffset; }
    // Reads and handles what the socket holds now; returns whether anything was read. The event
    // loop calls it when the socket is readable; the fuzzer calls it directly.
    bool readAvailable();
    // Hands the kernel what it did not take before.
    void writePending();
    // Closes now: emits closed() and deletes itself later.
    void abort();

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
    // After a frame over the cap, the error is sent and the connection closed; a client that does
    // not read even that is dropped after this long.
    static constexpr int ClosingGraceMs = 5000;

Q_SIGNALS:
    void requestReceived(const QJsonValue &id, const QString &method, const QJsonObject &params);
    void closed();

private:
    void consume(const char *data, qsizetype size);
    void handleLine(QByteArrayView line);
    void write(const QJsonObject &message);
    void writeLine(QByteArray line);
    // Sends what is queued, then closes.
    void closeWhenSent();
    // Closes on the next turn of the event loop (callers may be iterating over connections).
    void dropLater();

    int m_fd;
    QSocketNotifier *m_readNotifier;
    QSocketNotifier *m_writeNotifier;
    bool m_dropping = false; // a close is queued: nothing more is sent
    bool m_closing = false; // the last answer is on its way: nothing more is read
    QByteArray m_buffer; // the start of a request whose newline has not arrived
    QByteArray m_unsent;
    qsizetype m_unsentOffset = 0;
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
    void serve(int fd);
    void acceptConnections();
    void refuseWithoutDescriptors();
    void onIncomingConnection(int fd);
    // The lock that makes the agent single-instance per user; `whatToDo` ends the message when
    // another agent holds it.
    bool takeLock(const QString &directory, const QString &whatToDo, QString *errorMessage);

    int m_listenFd = -1;
    QSocketNotifier *m_acceptNotifier = nullptr;
    // Held in reserve, so that a client can still be accepted (and refused) when the process has no
    // descriptors left.
    int m_spareFd = -1;
    bool m_ownsSocketFile = false; // not under socket activation: then the path is systemd's
    std::unique_ptr<QLockFile> m_lock;
    QString m_socketPath;
};

} // namespace Signet
