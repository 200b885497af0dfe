#include "ipcserver.h"

#include "logging/logging.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QLocalServer>
#include <QLocalSocket>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

namespace Signet {

IpcConnection::IpcConnection(QLocalSocket *socket, QObject *parent)
    : QObject(parent)
    , m_socket(socket)
{
    socket->setParent(this);
    connect(socket, &QLocalSocket::readyRead, this, &IpcConnection::onReadyRead);
    connect(socket, &QLocalSocket::disconnected, this, [this] {
        Q_EMIT closed();
        deleteLater();
    });
#ifdef SO_PEERCRED
    ucred credentials{};
    socklen_t length = sizeof(credentials);
    if (getsockopt(int(socket->socketDescriptor()), SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0)
        m_caller = Caller::identify(int(socket->socketDescriptor()), credentials.pid);
#endif
}

void IpcConnection::onReadyRead()
{
    while (m_socket->bytesAvailable() > 0) {
        // Read at most up to the cap, so one client cannot make the agent buffer without limit.
        // (Only what is there: QIODevice::read(n) allocates n bytes first.)
        m_buffer += m_socket->read(std::min(m_socket->bytesAvailable(), MaxRequestBytes + 1 - m_buffer.size()));
        qsizetype newline;
        // A message is at most MaxRequestBytes including its newline.
        while ((newline = m_buffer.indexOf('\n')) >= 0 && newline < MaxRequestBytes) {
            const QByteArray line = m_buffer.left(newline);
            m_buffer.remove(0, newline + 1);
            handleLine(line);
            if (m_socket->state() != QLocalSocket::ConnectedState)
                return;
        }
        if (m_buffer.size() >= MaxRequestBytes) {
            qCWarning(lcIpc) << "closing a connection that sent a message over" << MaxRequestBytes << "bytes";
            sendError(QJsonValue::Null, QStringLiteral("frame_too_large"),
                      QStringLiteral("A message was larger than %1 bytes; the connection is closed.").arg(MaxRequestBytes));
            m_socket->disconnectFromServer();
            return;
        }
    }
}

void IpcConnection::handleLine(const QByteArray &rawLine)
{
    const QByteArray line = rawLine.trimmed();
    if (line.isEmpty())
        return;
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(line, &parseError);
    if (!document.isObject()) {
        sendError(QJsonValue::Null, QStringLiteral("bad_request"),
                  parseError.error != QJsonParseError::NoError ? QStringLiteral("The message is not valid JSON (%1 at offset %2).").arg(parseError.errorString()).arg(parseError.offset)
                                                               : QStringLiteral("The message is not a JSON object."));
        return;
    }
    const QJsonObject message = document.object();
    const QJsonValue id = message.value(QLatin1String("id"));
    const QJsonValue method = message.value(QLatin1String("method"));
    // An id is a string or an integer that survives a double exactly (|id| <= 2^53).
    const bool integerId = id.isDouble() && std::trunc(id.toDouble()) == id.toDouble() && std::fabs(id.toDouble()) <= 9007199254740992.0;
    if (!(integerId || (id.isString() && id.toString().size() <= MaxIdLength))) {
        sendError(QJsonValue::Null, QStringLiteral("bad_request"), QStringLiteral("The request has no 'id' (an integer, or a string of at most %1 characters).").arg(MaxIdLength));
        return;
    }
    if (!method.isString() || method.toString().isEmpty()) {
        sendError(id, QStringLiteral("bad_request"), QStringLiteral("The request has no 'method' string."));
        return;
    }
    const QJsonValue params = message.value(QLatin1String("params"));
    if (!params.isUndefined() && !params.isNull() && !params.isObject()) {
        sendError(id, QStringLiteral("bad_request"), QStringLiteral("'params' must be a JSON object."));
        return;
    }
    Q_EMIT requestReceived(id, method.toString(), params.toObject());
}

void IpcConnection::write(const QJsonObject &message)
{
    if (m_dropping || m_socket->state() != QLocalSocket::ConnectedState)
        return;
    QByteArray line = QJsonDocument(message).toJson(QJsonDocument::Compact);
    if (line.size() >= MaxResponseBytes) {
        // Never silently: the client would wait for this answer forever.
        qCWarning(lcIpc) << "a message was over the protocol's size cap; sending an error instead";
        QJsonObject error{{QStringLiteral("code"), QStringLiteral("internal")},
                          {QStringLiteral("message"), QStringLiteral("The answer was larger than the protocol allows (%1 bytes).").arg(MaxResponseBytes)}};
        QJsonObject replacement{{QStringLiteral("error"), error}};
        replacement.insert(QStringLiteral("id"), message.contains(QLatin1String("id")) ? message.value(QLatin1String("id")) : QJsonValue(QJsonValue::Null));
        line = QJsonDocument(replacement).toJson(QJsonDocument::Compact);
    }
    line += '\n';
    m_socket->write(line);
    // Now, not on the next turn of the event loop (QLocalSocket only arms a write notifier): one
    // poll() less per answer. Never blocks; what the kernel does not take waits in the buffer.
    m_socket->flush();
    bool overBudget = m_socket->bytesToWrite() > MaxUnsentBytes;
    if (!overBudget && m_socket->bytesToWrite() > MaxRequestBytes && parent()) {
        // Only connections with a backlog look at the others: the common case stays O(1).
        qint64 total = 0;
        for (const IpcConnection *other : parent()->findChildren<IpcConnection *>(QString(), Qt::FindDirectChildrenOnly))
            total += other->m_socket->bytesToWrite();
        overBudget = total > s_unsentBytesTotalLimit;
    }
    if (overBudget) {
        qCWarning(lcIpc) << "closing a connection whose client does not read";
        m_dropping = true;
        // Later, not inside this send: callers may be iterating over connections.
        QMetaObject::invokeMethod(m_socket, &QLocalSocket::abort, Qt::QueuedConnection);
    }
}

void IpcConnection::sendResult(const QJsonValue &id, const QJsonObject &result)
{
    write({{QStringLiteral("id"), id}, {QStringLiteral("result"), result}});
}

void IpcConnection::sendError(const QJsonValue &id, const QString &code, const QString &message, const QJsonObject &extra)
{
    QJsonObject error = extra;
    error.insert(QStringLiteral("code"), code);
    error.insert(QStringLiteral("message"), message);
    write({{QStringLiteral("id"), id}, {QStringLiteral("error"), error}});
}

void IpcConnection::sendEvent(const QString &event, const QJsonObject &data, const QJsonValue &id)
{
    QJsonObject message{{QStringLiteral("event"), event}, {QStringLiteral("data"), data}};
    if (!id.isUndefined())
        message.insert(QStringLiteral("id"), id);
    write(message);
}

IpcServer::IpcServer(QObject *parent)
    : QObject(parent)
    , m_server(new QLocalServer(this))
{
    connect(m_server, &QLocalServer::newConnection, this, &IpcServer::onNewConnection);
}

IpcServer::~IpcServer()
{
    m_server->close();
}

QString IpcServer::defaultRuntimeDirectory(QString *errorMessage)
{
    const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
    if (runtime.isEmpty()) {
        if (errorMessage)
            *errorMessage = QStringLiteral("XDG_RUNTIME_DIR is not set. A desktop login sets it; under su or sudo, log in as the user instead, or set it to a private directory.");
        return {};
    }
    return QDir(runtime).filePath(QStringLiteral("signet"));
}

bool IpcServer::listen(const QString &directory, QString *errorMessage)
{
    const QByteArray path = QFile::encodeName(directory);
    if (::mkdir(path.constData(), 0700) != 0 && errno != EEXIST) {
        *errorMessage = QStringLiteral("Cannot create %1: %2.").arg(directory, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    // The directory is what keeps other users away from the socket: it must be ours, a real
    // directory (not a symlink someone planted) and private.
    struct stat info {};
    if (::lstat(path.constData(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        *errorMessage = QStringLiteral("%1 is not a directory; remove it and start signet-agent again.").arg(directory);
        return false;
    }
    if (info.st_uid != ::getuid()) {
        *errorMessage = QStringLiteral("%1 belongs to another user; Signet will not use it. Remove it or fix XDG_RUNTIME_DIR.").arg(directory);
        return false;
    }
    if ((info.st_mode & 0077) != 0 && ::chmod(path.constData(), 0700) != 0) {
        *errorMessage = QStringLiteral("Cannot make %1 private (mode 0700): %2.").arg(directory, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }

    // QLocalServer::listen with UserAccessOption silently replaces an existing socket, so the
    // lock file, not the socket, decides who is the agent. QLockFile recognises a lock left by a
    // dead process as stale.
    if (!takeLock(directory, QStringLiteral("stop it first or use it"), errorMessage))
        return false;

    m_socketPath = QDir(directory).filePath(QStringLiteral("agent.sock"));
    QLocalServer::removeServer(m_socketPath); // left behind by an agent that crashed
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    // Many companion apps may connect at once at login.
    m_server->setMaxPendingConnections(128);
#if QT_VERSION >= QT_VERSION_CHECK(6, 3, 0)
    m_server->setListenBacklogSize(1024);
#endif
    if (!m_server->listen(m_socketPath)) {
        *errorMessage = QStringLiteral("Cannot listen on %1: %2.").arg(m_socketPath, m_server->errorString());
        return false;
    }
    qCInfo(lcIpc).noquote() << "listening on" << m_socketPath;
    return true;
}

bool IpcServer::takeLock(const QString &directory, const QString &whatToDo, QString *errorMessage)
{
    m_lock = std::make_unique<QLockFile>(QDir(directory).filePath(QStringLiteral("agent.lock")));
    m_lock->setStaleLockTime(0);
    if (m_lock->tryLock(0))
        return true;
    qint64 pid = 0;
    QString host, application;
    m_lock->getLockInfo(&pid, &host, &application);
    *errorMessage = m_lock->error() == QLockFile::LockFailedError
        ? QStringLiteral("Another signet-agent (pid %1) is already running for this user; %2.").arg(pid).arg(whatToDo)
        : QStringLiteral("Cannot create the lock file in %1; check that the directory is writable.").arg(directory);
    m_lock.reset();
    return false;
}

bool IpcServer::listenOnDescriptor(int fd, const QString &directory, QString *errorMessage)
{
    // Single instance holds under systemd too: an agent started by hand keeps the lock.
    if (!takeLock(directory, QStringLiteral("stop it, then start signet-agent.service again"), errorMessage))
        return false;
    m_socketPath = QDir(directory).filePath(QStringLiteral("agent.sock"));
    // QLocalServer deletes the socket's path when it closes, but here the path belongs to systemd,
    // which goes on listening for the next client after the agent exits. A second name for the
    // same socket (a hard link) puts the path back once the server is gone.
    const QByteArray path = QFile::encodeName(m_socketPath);
    const QByteArray keep = path + ".systemd";
    ::unlink(keep.constData());
    if (::link(path.constData(), keep.constData()) == 0) {
        connect(m_server, &QObject::destroyed, m_server, [path, keep] {
            if (::rename(keep.constData(), path.constData()) != 0)
                ::unlink(keep.constData());
        });
    } else {
        qCWarning(lcIpc).noquote() << "cannot keep" << m_socketPath << "for systemd after exit:" << strerror(errno);
    }
    m_server->setMaxPendingConnections(128);
    if (!m_server->listen(qintptr(fd))) {
        *errorMessage = QStringLiteral("Cannot use the socket systemd passed for %1: %2.").arg(m_socketPath, m_server->errorString());
        return false;
    }
    qCInfo(lcIpc).noquote() << "listening on" << m_socketPath << "(socket activation)";
    return true;
}

QList<IpcConnection *> IpcServer::connections() const
{
    return findChildren<IpcConnection *>(QString(), Qt::FindDirectChildrenOnly);
}

void IpcServer::onNewConnection()
{
    while (QLocalSocket *socket = m_server->nextPendingConnection()) {
        // The directory is private already; the peer check is the second lock on the door.
#ifdef SO_PEERCRED
        ucred credentials{};
        socklen_t length = sizeof(credentials);
        if (getsockopt(int(socket->socketDescriptor()), SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 || credentials.uid != ::getuid()) {
            qCWarning(lcIpc) << "refused a connection from another user (uid" << credentials.uid << ")";
            socket->abort();
            socket->deleteLater();
            continue;
        }
#endif
        if (connections().size() >= MaxConnections) {
            qCWarning(lcIpc) << "refused a connection: already" << MaxConnections << "clients";
            socket->abort();
            socket->deleteLater();
            continue;
        }
        auto *connection = new IpcConnection(socket, this);
        Q_EMIT newConnection(connection);
    }
}

} // namespace Signet
