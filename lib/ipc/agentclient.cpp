#include "agentclient.h"

#include <signet-client.h>

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>
#include <QSocketNotifier>

#include <cerrno>
#include <cstdlib>

namespace Signet {

namespace {

Q_LOGGING_CATEGORY(lcClient, "signet.ipc.client", QtInfoMsg)

static_assert(AgentClient::MaxIncomingLineBytes == SIGNET_CLIENT_MAX_MESSAGE_BYTES);
static_assert(AgentClient::MaxOutgoingLineBytes == SIGNET_CLIENT_MAX_REQUEST_BYTES);

// An id from the wire: the C library only ever sends positive integers.
qint64 idFromJson(const QJsonValue &value)
{
    if (!value.isDouble())
        return -1;
    const double number = value.toDouble();
    const auto id = qint64(number);
    return double(id) == number && id > 0 ? id : -1;
}

// A message from the C library as a QJsonObject (jansson writes it, QJsonDocument reads it back:
// at the window's rate of messages, simpler than walking both trees).
QJsonObject toQt(json_t *message)
{
    char *text = json_dumps(message, JSON_COMPACT);
    json_decref(message);
    if (!text)
        return {};
    const QJsonObject object = QJsonDocument::fromJson(QByteArray(text)).object();
    std::free(text);
    return object;
}

} // namespace

AgentClient::AgentClient(QObject *parent)
    : QObject(parent)
{
}

AgentClient::~AgentClient()
{
    // No signals from a half-destroyed object: just drop the connection.
    delete m_notifier;
    signet_client_close(m_client);
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
    // From the event loop, so that the outcome never comes from inside connectToAgent().
    QMetaObject::invokeMethod(this, [this, generation] { startConnecting(generation); }, Qt::QueuedConnection);
}

void AgentClient::startConnecting(quint64 generation)
{
    if (generation != m_generation)
        return;
    qCDebug(lcClient).noquote() << "connecting to" << m_socketPath;
    // A UNIX socket connects at once (or fails at once): no need to wait in the event loop.
    signet_error error;
    m_client = signet_client_connect(QFile::encodeName(m_socketPath).constData(), &error);
    if (!m_client) {
        const QString message = QString::fromUtf8(error.message);
        if (error.kind == SIGNET_ERROR_AGENT_NOT_RUNNING)
            fail(Error::AgentNotRunning, message);
        else if (error.sys_errno == EACCES || error.sys_errno == EPERM)
            fail(Error::AccessDenied, message);
        else
            fail(Error::SocketError, message);
        return;
    }
    m_notifier = new QSocketNotifier(qintptr(signet_client_fd(m_client)), QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &AgentClient::onReadable);
    qCDebug(lcClient) << "connected; sending" << m_queued.size() << "queued request(s)";
    // Queued requests go first, so that they keep their order with requests made from slots.
    for (const Request &request : std::exchange(m_queued, {})) {
        send(request);
        if (generation != m_generation)
            return;
    }
    setState(State::Connected);
    if (generation != m_generation)
        return;
    Q_EMIT connected();
}

void AgentClient::onReadable()
{
    const quint64 generation = m_generation;
    // Everything the library has now: several messages may have come in one read, and the notifier
    // only fires again when the socket has more.
    while (generation == m_generation && m_client) {
        signet_error error;
        json_t *message = signet_client_read(m_client, 0, &error);
        if (message) {
            handleMessage(toQt(message));
            continue;
        }
        switch (error.kind) {
        case SIGNET_ERROR_TIMEOUT:
            return; // nothing more for now
        case SIGNET_ERROR_PROTOCOL:
            if (signet_client_is_usable(m_client)) {
                qCWarning(lcClient).noquote() << "ignoring a line from the agent that is not a JSON object:" << QString::fromUtf8(error.message);
                continue;
            }
            fail(Error::FrameTooLarge, QStringLiteral("The agent sent a message larger than %1 bytes; the connection was closed.").arg(MaxIncomingLineBytes));
            return;
        case SIGNET_ERROR_CLOSED:
            fail(Error::ConnectionLost, QStringLiteral("The agent closed the connection."));
            return;
        default:
            fail(Error::ConnectionLost, QString::fromUtf8(error.message));
            return;
        }
    }
}

void AgentClient::handleMessage(const QJsonObject &message)
{
    const QJsonValue idValue = message.value(QLatin1String("id"));
    const qint64 wireId = idFromJson(idValue);

    const QJsonValue event = message.value(QLatin1String("event"));
    if (!event.isUndefined()) {
        if (!event.isString() || event.toString().isEmpty()) {
            qCWarning(lcClient) << "ignoring an event without a name";
            return;
        }
        const qint64 id = m_pending.value(wireId, -1);
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
    qint64 id = -1;
    if (wireId > 0) {
        const auto pending = m_pending.constFind(wireId);
        if (pending == m_pending.cend()) {
            qCWarning(lcClient) << "ignoring a response to request" << wireId << "which is not waiting for one";
            return;
        }
        id = *pending;
        m_pending.erase(pending);
    } else if (!(idValue.isNull() || idValue.isUndefined())) {
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
    Request request{m_nextId, method.toUtf8(), params.isEmpty() ? QByteArray() : QJsonDocument(params).toJson(QJsonDocument::Compact)};
    // The line the C library will send is no longer than this one (its ids restart at 1 on each
    // connection; ours never do): refused here, at once, so that the caller learns it from the
    // return value rather than never hearing back.
    QJsonObject message{{QStringLiteral("id"), request.id}, {QStringLiteral("method"), method}};
    if (!params.isEmpty())
        message.insert(QStringLiteral("params"), params);
    if (QJsonDocument(message).toJson(QJsonDocument::Compact).size() + 1 > MaxOutgoingLineBytes) {
        qCWarning(lcClient).noquote() << "request" << method << "is larger than" << MaxOutgoingLineBytes << "bytes; not sent";
        return -1;
    }
    ++m_nextId;
    qCDebug(lcClient).noquote() << "request" << request.id << method;
    if (m_state == State::Connected)
        send(request);
    else
        m_queued.append(request);
    return request.id;
}

void AgentClient::send(const Request &request)
{
    json_t *params = nullptr;
    if (!request.params.isEmpty()) {
        params = json_loadb(request.params.constData(), size_t(request.params.size()), 0, nullptr);
        if (!params) {
            qCWarning(lcClient).noquote() << "request" << request.method << "has parameters jansson cannot read; not sent";
            return;
        }
    }
    signet_error error;
    // A request is small and the agent always reads: the socket takes it at once.
    const json_int_t wireId = signet_client_send(m_client, request.method.constData(), params, &error);
    json_decref(params);
    if (wireId < 0) {
        // Reported from the event loop, never from inside request().
        const quint64 generation = m_generation;
        const QString message = QString::fromUtf8(error.message);
        QMetaObject::invokeMethod(this, [this, generation, message] {
            if (generation == m_generation)
                fail(Error::ConnectionLost, message);
        }, Qt::QueuedConnection);
        return;
    }
    m_pending.insert(qint64(wireId), request.id);
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
        return; // already reported
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
    m_queued.clear();
    m_pending.clear();
    if (m_notifier) {
        // Maybe inside its own signal: disabled now, deleted later.
        m_notifier->setEnabled(false);
        m_notifier->deleteLater();
        m_notifier = nullptr;
    }
    signet_client_close(std::exchange(m_client, nullptr));
}

void AgentClient::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

} // namespace Signet
