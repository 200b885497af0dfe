#pragma once

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QString>

class QSocketNotifier;
struct signet_client;

namespace Signet {

// The Qt client of the agent protocol (docs/ipc.md): a thin wrapper of the C client library
// (lib/client, `signet-client`) that turns its calls into asynchronous requests and signals. The
// C library connects, frames, enforces the size caps and checks the peer; this class watches its
// socket with a QSocketNotifier, drains what it has read and hands each message on as Qt types.
// Used by the `signet` window and meant for any Qt companion app; it knows the framing, not the
// methods, so it stays valid as methods are added.
//
// Everything is asynchronous: connectToAgent() and request() return at once and the outcome arrives
// as signals from the event loop (never from inside the call), so a slot may call back into the
// client freely.
//
//     auto *client = new Signet::AgentClient(this);
//     connect(client, &Signet::AgentClient::connected, this, [client] { client->request(u"whoami"_s); });
//     connect(client, &Signet::AgentClient::responseReceived, this, [](qint64 id, const QJsonObject &result) { … });
//     connect(client, &Signet::AgentClient::errorReceived, this, [](qint64 id, const QString &code, const QString &message) { … });
//     connect(client, &Signet::AgentClient::connectionError, this, [](Signet::AgentClient::Error, const QString &message) { … });
//     client->connectToAgent();
//
// Every request gets exactly one of responseReceived() / errorReceived() with its id — unless the
// connection ends first: after disconnected() no answer arrives for requests that were still
// outstanding (a sign-in goes on in the agent; ask `status` after reconnecting). Ids increase across
// connections, so a late answer can never be mistaken for one to a newer request.
//
// The client does not reconnect by itself; do that on disconnected()/connectionError(), with backoff.
// Logging category: signet.ipc.client (method names and errors only, never message contents).
class AgentClient : public QObject
{
    Q_OBJECT
    Q_PROPERTY(State state READ state NOTIFY stateChanged)

public:
    enum class State {
        Disconnected,
        Connecting,
        Connected,
    };
    Q_ENUM(State)

    enum class Error {
        NoError,
        NoRuntimeDirectory, // XDG_RUNTIME_DIR is not set and no path was given
        AgentNotRunning,    // nothing listens on the socket (missing, or left behind by a dead agent)
        AccessDenied,       // the socket or its directory belongs to somebody else
        ConnectionLost,     // the agent closed the connection or it broke
        FrameTooLarge,      // the agent sent a line over MaxIncomingLineBytes; the connection is closed
        SocketError,        // anything else the operating system reported
    };
    Q_ENUM(Error)

    // Size caps from docs/ipc.md, newline included (the C library's SIGNET_CLIENT_MAX_*).
    static constexpr qint64 MaxIncomingLineBytes = 1024 * 1024;
    static constexpr qint64 MaxOutgoingLineBytes = 64 * 1024;

    explicit AgentClient(QObject *parent = nullptr);
    ~AgentClient() override;

    // $XDG_RUNTIME_DIR/signet/agent.sock. Empty when XDG_RUNTIME_DIR is not set; then
    // *errorMessage (if given) says what to do. The path is never guessed.
    static QString defaultSocketPath(QString *errorMessage = nullptr);

    // Starts connecting (an empty path means defaultSocketPath()) and returns at once. Drops a
    // connection that is open or being opened. The outcome is connected() or connectionError().
    void connectToAgent(const QString &socketPath = QString());
    // Closes the connection without an error; emits disconnected() if it was connected.
    void disconnectFromAgent();

    State state() const { return m_state; }
    bool isConnected() const { return m_state == State::Connected; }
    // The path of the current or last connection attempt.
    QString socketPath() const { return m_socketPath; }
    // The last connection error and its message (NoError/empty after a successful connect).
    Error error() const { return m_error; }
    QString errorString() const { return m_errorString; }

    // Sends {"id": <id>, "method": method, "params": params} and returns the id (> 0). Requests made
    // while connecting are sent once connected. Returns -1 and sends nothing when disconnected or
    // when the message would exceed MaxOutgoingLineBytes (the agent would close the connection).
    qint64 request(const QString &method, const QJsonObject &params = {});

Q_SIGNALS:
    void stateChanged(Signet::AgentClient::State state);
    void connected();
    // A connection that had been established ended, for any reason (connectionError() first, if
    // it was not disconnectFromAgent()).
    void disconnected();
    // Connecting failed, or an established connection broke. Not emitted for disconnectFromAgent().
    void connectionError(Signet::AgentClient::Error error, const QString &message);

    // The successful response to request `id`.
    void responseReceived(qint64 id, const QJsonObject &result);
    // The error response to request `id`; id is -1 for errors about no request in particular
    // (`"id": null`, e.g. bad_request for a line the agent could not parse). `code` is the stable,
    // machine-readable code from docs/ipc.md; `message` is meant for people.
    void errorReceived(qint64 id, const QString &code, const QString &message);
    // An event: progress of request `id` (e.g. "authorization-url" of a signin), or, with id -1, a
    // subscription event ("signed-in", "signed-out"). Unknown events are passed on; ignore them.
    void eventReceived(const QString &event, const QJsonObject &data, qint64 id);

private:
    struct Request {
        qint64 id;
        QByteArray method;
        QByteArray params; // compact JSON, empty when there are none
    };
    void startConnecting(quint64 generation);
    void onReadable();
    void handleMessage(const QJsonObject &message);
    void send(const Request &request);
    void fail(Error error, const QString &message);
    void closeSocket();
    void setState(State state);

    signet_client *m_client = nullptr;
    QSocketNotifier *m_notifier = nullptr;
    State m_state = State::Disconnected;
    Error m_error = Error::NoError;
    QString m_errorString;
    QString m_socketPath;
    QList<Request> m_queued; // requests made while connecting
    // The C library numbers each connection's requests from 1; this client's ids increase across
    // connections. Requests sent and not yet answered on this connection: the library's id -> ours.
    QHash<qint64, qint64> m_pending;
    qint64 m_nextId = 1;
    quint64 m_generation = 0; // bumped whenever a connection is dropped, to ignore stale callbacks
};

} // namespace Signet
