#include "agentclient.h"

#include <QDir>
#include <QJsonDocument>
#include <QLocalSocket>
#include <QLoggingCategory>
#include <QPointer>

#include <sys/socket.h>
#include <sys/types.h>
#include <unistd.h>

namespace Signet {

namespace {

Q_LOGGING_CATEGORY(lcClient, "signet.ipc.client", QtInfoMsg)

const QString StartHint = QStringLiteral("Start it with 'signet-agent' (it keeps running in the background).");

// An id from the wire as ours: this client only ever sends positive integers.
qint64 idFromJson(const QJsonValue &value)
{
    if (!value.isDouble())
        return -1;
    const double number = value.toDouble();
    const auto id = qint64(number);
    return double(id) == number && id > 0 ? id : -1;
}

} // namespace

AgentClient::AgentClient(QObject *parent)
    : QObject(parent)
{
}

AgentClient::~AgentClient()
{
    // No signals from a half-destroyed object: just drop the socket.
    if (m_socket)
        m_socket->disconnect(this);
}

QString AgentClient::defaultSocketPath(QString *errorMessage)
{
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (runtime.isEmpty()) {
        if (errorMessage)
            *errorMessage = QStringLiteral("XDG_RUNTIME_DIR is not set, so the agent's socket cannot be found. A desktop login sets it; "
                                           "under su or sudo, log in as the user instead, or set it to the agent's runtime directory.");
        return {};
    }
    return QDir(runtime).filePath(QStringLiteral("signet/agent.sock"));
}

void AgentClient::connectToAgent(const QString &socketPath)
{
    if (m_state == State::Connected)
        disconnectFromAgent(); // says disconnected() like any other end of a connection
    closeSocket();
    m_error = Error::NoError;
    m_errorString.clear();

    QString problem;
    m_socketPath = socketPath.isEmpty() ? defaultSocketPath(&problem) : socketPath;
    setState(State::Connecting);
    const quint64 generation = m_generation;
    if (m_socketPath.isEmpty()) {
        QMetaObject::invokeMethod(this, [this, generation, problem] {
            if (generation == m_generation)
                fail(Error::NoRuntimeDirectory, problem);
        }, Qt::QueuedConnection);
        return;
    }
    // QLocalSocket reports some outcomes from inside connectToServer(); start from the event loop
    // so that ours never come from inside connectToAgent().
    QMetaObject::invokeMethod(this, [this, generation] { startConnecting(generation); }, Qt::QueuedConnection);
}

void AgentClient::startConnecting(quint64 generation)
{
    if (generation != m_generation)
        return;
    qCDebug(lcClient).noquote() << "connecting to" << m_socketPath;
    m_socket = new QLocalSocket(this);
    // Bounds what the socket buffers ahead of us; onReadyRead() enforces the line cap.
    m_socket->setReadBufferSize(MaxIncomingLineBytes);
    connect(m_socket, &QLocalSocket::connected, this, &AgentClient::onSocketConnected);
    connect(m_socket, &QLocalSocket::errorOccurred, this, &AgentClient::onSocketError);
    connect(m_socket, &QLocalSocket::readyRead, this, &AgentClient::onReadyRead);
    connect(m_socket, &QLocalSocket::disconnected, this, [this] {
        fail(Error::ConnectionLost, QStringLiteral("The agent closed the connection."));
    });
    m_socket->connectToServer(m_socketPath);
}

void AgentClient::onSocketConnected()
{
#ifdef SO_PEERCRED
    // The socket's directory is private, so only our own agent can be listening there; checking
    // the peer costs nothing and catches a misconfigured XDG_RUNTIME_DIR.
    ucred credentials{};
    socklen_t length = sizeof(credentials);
    if (::getsockopt(int(m_socket->socketDescriptor()), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0
        || credentials.uid != ::getuid()) {
        fail(Error::AccessDenied,
             QStringLiteral("The process listening on %1 belongs to another user; Signet will not talk to it. Check XDG_RUNTIME_DIR.").arg(m_socketPath));
        return;
    }
#endif
    qCDebug(lcClient) << "connected; sending" << m_queued.size() << "queued request(s)";
    // Queued requests go first, so that they keep their order with requests made from slots.
    for (const QByteArray &line : std::exchange(m_queued, {}))
        writeLine(line);
    const quint64 generation = m_generation;
    setState(State::Connected);
    if (generation != m_generation)
        return;
    Q_EMIT connected();
    if (generation == m_generation && m_socket->bytesAvailable() > 0)
        onReadyRead();
}

void AgentClient::onSocketError()
{
    switch (m_socket->error()) {
    case QLocalSocket::ServerNotFoundError:
    case QLocalSocket::ConnectionRefusedError:
        fail(Error::AgentNotRunning, QStringLiteral("The Signet agent is not running (nothing listens on %1). %2").arg(m_socketPath, StartHint));
        break;
    case QLocalSocket::SocketAccessError:
        fail(Error::AccessDenied, QStringLiteral("Permission denied on %1: it belongs to another user. Check XDG_RUNTIME_DIR.").arg(m_socketPath));
        break;
    case QLocalSocket::PeerClosedError:
        fail(Error::ConnectionLost, QStringLiteral("The agent closed the connection."));
        break;
    default:
        fail(m_state == State::Connected ? Error::ConnectionLost : Error::SocketError,
             QStringLiteral("Cannot talk to the agent at %1: %2.").arg(m_socketPath, m_socket->errorString()));
        break;
    }
}

void AgentClient::onReadyRead()
{
    if (m_state != State::Connected)
        return; // data that arrives before the peer check is read once it passed
    const quint64 generation = m_generation;
    while (m_socket->bytesAvailable() > 0) {
        // m_buffer only ever holds the start of one line here; never let it pass the cap.
        m_buffer += m_socket->read(MaxIncomingLineBytes - m_buffer.size());
        qsizetype start = 0;
        qsizetype newline;
        while ((newline = m_buffer.indexOf('\n', start)) >= 0) {
            const QByteArray line = m_buffer.mid(start, newline - start);
            start = newline + 1;
            handleLine(line);
            if (generation != m_generation)
                return; // a slot closed or replaced the connection
        }
        m_buffer.remove(0, start);
        if (m_buffer.size() >= MaxIncomingLineBytes) {
            fail(Error::FrameTooLarge,
                 QStringLiteral("The agent sent a message larger than %1 bytes; the connection was closed.").arg(MaxIncomingLineBytes));
            return;
        }
    }
}

void AgentClient::handleLine(const QByteArray &rawLine)
{
    const QByteArray line = rawLine.trimmed();
    if (line.isEmpty())
        return;
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
    if (!document.isObject()) {
        qCWarning(lcClient) << "ignoring a line from the agent that is not a JSON object:"
                            << (parseError.error != QJsonParseError::NoError ? parseError.errorString() : QStringLiteral("not an object"));
        return;
    }
    const QJsonObject message = document.object();
    const QJsonValue idValue = message.value(QLatin1String("id"));
    const qint64 id = idFromJson(idValue);

    const QJsonValue event = message.value(QLatin1String("event"));
    if (!event.isUndefined()) {
        if (!event.isString() || event.toString().isEmpty()) {
            qCWarning(lcClient) << "ignoring an event without a name";
            return;
        }
        qCDebug(lcClient).noquote() << "event" << event.toString() << "for request" << id;
        Q_EMIT eventReceived(event.toString(), message.value(QLatin1String("data")).toObject(), id);
        return;
    }

    const QJsonValue error = message.value(QLatin1String("error"));
    const QJsonValue result = message.value(QLatin1String("result"));
    if (error.isUndefined() && result.isUndefined()) {
        qCDebug(lcClient) << "ignoring a message that is neither an event nor a response";
        return;
    }
    if (id > 0 && !m_pending.remove(id)) {
        qCWarning(lcClient) << "ignoring a response to request" << id << "which is not waiting for one";
        return;
    }
    if (id < 0 && !(idValue.isNull() || idValue.isUndefined())) {
        qCWarning(lcClient) << "ignoring a response with an id this client never sent";
        return;
    }
    if (!error.isUndefined()) {
        const QJsonObject errorObject = error.toObject();
        QString code = errorObject.value(QLatin1String("code")).toString();
        if (code.isEmpty())
            code = QStringLiteral("internal");
        qCDebug(lcClient).noquote() << "error" << code << "for request" << id;
        Q_EMIT errorReceived(id, code, errorObject.value(QLatin1String("message")).toString());
    } else {
        qCDebug(lcClient) << "result for request" << id;
        Q_EMIT responseReceived(id, result.toObject());
    }
}

qint64 AgentClient::request(const QString &method, const QJsonObject &params)
{
    if (m_state == State::Disconnected) {
        qCWarning(lcClient).noquote() << "not connected to the agent; dropping the request" << method;
        return -1;
    }
    const qint64 id = m_nextId++;
    QJsonObject message{{QStringLiteral("id"), id}, {QStringLiteral("method"), method}};
    if (!params.isEmpty())
        message.insert(QStringLiteral("params"), params);
    QByteArray line = QJsonDocument(message).toJson(QJsonDocument::Compact);
    line += '\n';
    if (line.size() > MaxOutgoingLineBytes) {
        qCWarning(lcClient).noquote() << "request" << method << "is larger than" << MaxOutgoingLineBytes << "bytes; not sent";
        return -1;
    }
    qCDebug(lcClient).noquote() << "request" << id << method;
    m_pending.insert(id);
    if (m_state == State::Connected)
        writeLine(line);
    else
        m_queued.append(line);
    return id;
}

void AgentClient::writeLine(const QByteArray &line)
{
    m_socket->write(line);
}

void AgentClient::disconnectFromAgent()
{
    const bool wasConnected = m_state == State::Connected;
    closeSocket();
    setState(State::Disconnected);
    if (wasConnected)
        Q_EMIT disconnected();
}

void AgentClient::fail(Error error, const QString &message)
{
    if (m_state == State::Disconnected)
        return; // already reported (QLocalSocket signals both errorOccurred and disconnected)
    const bool wasConnected = m_state == State::Connected;
    // A missing or stopping agent is expected (callers retry); a broken protocol is not.
    if (error == Error::FrameTooLarge || error == Error::AccessDenied || error == Error::SocketError)
        qCWarning(lcClient).noquote() << message;
    else if (wasConnected)
        qCInfo(lcClient).noquote() << message;
    else
        qCDebug(lcClient).noquote() << message;
    m_error = error;
    m_errorString = message;
    closeSocket();
    m_state = State::Disconnected;
    // A slot may reconnect (or delete us) in response; report what happened all the same, but
    // do not claim "disconnected" as the state once a new attempt runs.
    const quint64 generation = m_generation;
    QPointer<AgentClient> self(this);
    Q_EMIT connectionError(error, message);
    if (!self)
        return;
    if (generation == m_generation)
        Q_EMIT stateChanged(State::Disconnected);
    if (self && wasConnected)
        Q_EMIT disconnected();
}

void AgentClient::closeSocket()
{
    ++m_generation;
    m_buffer.clear();
    m_queued.clear();
    m_pending.clear();
    if (!m_socket)
        return;
    QLocalSocket *socket = std::exchange(m_socket, nullptr);
    socket->disconnect(this);
    socket->abort();
    socket->deleteLater();
}

void AgentClient::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace Signet
