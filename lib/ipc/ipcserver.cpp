#include "ipcserver.h"

#include "logging/logging.h"
#include "requestline.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QSocketNotifier>
#include <QTimer>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/un.h>
#include <unistd.h>

namespace Signet {

IpcConnection::IpcConnection(int fd, QObject *parent)
    : QObject(parent)
    , m_fd(fd)
    , m_readNotifier(new QSocketNotifier(qintptr(fd), QSocketNotifier::Read, this))
    , m_writeNotifier(new QSocketNotifier(qintptr(fd), QSocketNotifier::Write, this))
{
    ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
    m_writeNotifier->setEnabled(false);
    connect(m_readNotifier, &QSocketNotifier::activated, this, &IpcConnection::readAvailable);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, &IpcConnection::writePending);
#ifdef SO_PEERCRED
    ucred credentials{};
    socklen_t length = sizeof(credentials);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) == 0)
        m_caller = Caller::identify(fd, credentials.pid);
#endif
}

IpcConnection::~IpcConnection()
{
    if (m_fd >= 0) {
        // The notifiers must let go of the descriptor before it is closed.
        delete m_readNotifier;
        delete m_writeNotifier;
        ::close(m_fd);
    }
}

void IpcConnection::abort()
{
    if (m_fd < 0)
        return;
    // Disabled, not deleted: this may run inside a notifier's own signal. They go with the connection.
    m_readNotifier->setEnabled(false);
    m_writeNotifier->setEnabled(false);
    ::close(m_fd);
    m_fd = -1;
    m_unsent.clear();
    m_unsentOffset = 0;
    Q_EMIT closed();
    deleteLater();
}

void IpcConnection::dropLater()
{
    m_dropping = true;
    QMetaObject::invokeMethod(this, &IpcConnection::abort, Qt::QueuedConnection);
}

bool IpcConnection::readAvailable()
{
    bool readSomething = false;
    // A few reads per wake-up at most, so one busy client cannot starve the others; the notifier
    // fires again while data remains.
    for (int round = 0; round < 4 && m_fd >= 0 && !m_closing; ++round) {
        char chunk[16 * 1024];
        const ssize_t received = ::recv(m_fd, chunk, sizeof chunk, MSG_DONTWAIT);
        if (received < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                abort(); // ECONNRESET and the like: the client is gone
            break;
        }
        if (received == 0) {
            abort(); // the client closed its end
            break;
        }
        readSomething = true;
        consume(chunk, qsizetype(received));
        if (size_t(received) < sizeof chunk)
            break;
    }
    return readSomething;
}

void IpcConnection::consume(const char *data, qsizetype size)
{
    const auto tooLarge = [this] {
        qCWarning(lcIpc) << "closing a connection that sent a message over" << MaxRequestBytes << "bytes";
        m_buffer.clear();
        sendError(QJsonValue::Null, QStringLiteral("frame_too_large"),
                  QStringLiteral("A message was larger than %1 bytes; the connection is closed.").arg(MaxRequestBytes));
        closeWhenSent();
    };
    qsizetype start = 0;
    while (start < size) {
        const auto *newline = static_cast<const char *>(std::memchr(data + start, '\n', size_t(size - start)));
        if (!newline)
            break;
        const qsizetype end = newline - data;
        // A message is at most MaxRequestBytes including its newline.
        if (m_buffer.size() + (end - start) + 1 > MaxRequestBytes) {
            tooLarge();
            return;
        }
        if (m_buffer.isEmpty()) {
            // The common case: the whole request came in this read, and is handled where it lies.
            handleLine(QByteArrayView(data + start, end - start));
        } else {
            m_buffer.append(data + start, end - start);
            const QByteArray line = std::exchange(m_buffer, QByteArray());
            handleLine(line);
        }
        if (m_fd < 0 || m_closing)
            return;
        start = end + 1;
    }
    if (m_buffer.size() + (size - start) >= MaxRequestBytes) {
        tooLarge();
        return;
    }
    m_buffer.append(data + start, size - start);
}

void IpcConnection::handleLine(QByteArrayView rawLine)
{
    const QByteArrayView line = rawLine.trimmed();
    if (line.isEmpty())
        return;
    QJsonValue id;
    QString method;
    QJsonValue params;
    if (!RequestLine::readSimple(line, &id, &method)) {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(line.toByteArray(), &parseError);
        if (!document.isObject()) {
            sendError(QJsonValue::Null, QStringLiteral("bad_request"),
                      parseError.error != QJsonParseError::NoError ? QStringLiteral("The message is not valid JSON (%1 at offset %2).").arg(parseError.errorString()).arg(parseError.offset)
                                                                   : QStringLiteral("The message is not a JSON object."));
            return;
        }
        const QJsonObject message = document.object();
        id = message.value(QLatin1String("id"));
        method = message.value(QLatin1String("method")).toString(); // not a string: empty
        params = message.value(QLatin1String("params"));
    }
    // An id is a string or an integer that survives a double exactly (|id| <= 2^53).
    const bool integerId = id.isDouble() && std::trunc(id.toDouble()) == id.toDouble() && std::fabs(id.toDouble()) <= 9007199254740992.0;
    if (!(integerId || (id.isString() && id.toString().size() <= MaxIdLength))) {
        sendError(QJsonValue::Null, QStringLiteral("bad_request"), QStringLiteral("The request has no 'id' (an integer, or a string of at most %1 characters).").arg(MaxIdLength));
        return;
    }
    if (method.isEmpty()) {
        sendError(id, QStringLiteral("bad_request"), QStringLiteral("The request has no 'method' string."));
        return;
    }
    if (!params.isUndefined() && !params.isNull() && !params.isObject()) {
        sendError(id, QStringLiteral("bad_request"), QStringLiteral("'params' must be a JSON object."));
        return;
    }
    Q_EMIT requestReceived(id, method, params.toObject());
}

void IpcConnection::write(const QJsonObject &message)
{
    if (m_dropping || m_fd < 0)
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
    writeLine(std::move(line));
}

void IpcConnection::writeLine(QByteArray line)
{
    if (m_dropping || m_fd < 0)
        return;
    if (bytesToWrite() == 0) {
        // Straight to the kernel, now: no copy into a buffer, no wait for the next turn of the
        // event loop. What it does not take waits for the socket to become writable.
        ssize_t sent;
        do
            sent = ::send(m_fd, line.constData(), size_t(line.size()), MSG_NOSIGNAL | MSG_DONTWAIT);
        while (sent < 0 && errno == EINTR);
        if (sent == line.size())
            return;
        if (sent < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK) {
                dropLater(); // EPIPE, ECONNRESET: the client is gone
                return;
            }
            sent = 0;
        }
        m_unsent = std::move(line);
        m_unsentOffset = qsizetype(sent);
        m_writeNotifier->setEnabled(true);
    } else {
        m_unsent += line;
    }
    bool overBudget = bytesToWrite() > MaxUnsentBytes;
    if (!overBudget && bytesToWrite() > MaxRequestBytes && parent()) {
        // Only connections with a backlog look at the others: the common case stays O(1).
        qint64 total = 0;
        for (const IpcConnection *other : parent()->findChildren<IpcConnection *>(QString(), Qt::FindDirectChildrenOnly))
            total += other->bytesToWrite();
        overBudget = total > s_unsentBytesTotalLimit;
    }
    if (overBudget) {
        qCWarning(lcIpc) << "closing a connection whose client does not read";
        dropLater();
    }
}

void IpcConnection::writePending()
{
    while (m_fd >= 0 && bytesToWrite() > 0) {
        const ssize_t sent = ::send(m_fd, m_unsent.constData() + m_unsentOffset, size_t(bytesToWrite()), MSG_NOSIGNAL | MSG_DONTWAIT);
        if (sent < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                dropLater();
            break;
        }
        m_unsentOffset += sent;
    }
    if (m_fd < 0)
        return;
    if (bytesToWrite() == 0) {
        m_unsent.clear();
        m_unsentOffset = 0;
        m_writeNotifier->setEnabled(false);
        if (m_closing)
            abort();
    } else if (m_unsentOffset >= MaxRequestBytes) {
        // What was sent leaves the buffer now and then, not on every partial send.
        m_unsent.remove(0, m_unsentOffset);
        m_unsentOffset = 0;
    }
}

void IpcConnection::closeWhenSent()
{
    m_closing = true;
    m_readNotifier->setEnabled(false);
    if (bytesToWrite() == 0) {
        abort();
        return;
    }
    QTimer::singleShot(ClosingGraceMs, this, &IpcConnection::abort);
}

void IpcConnection::sendResult(const QJsonValue &id, const QJsonObject &result)
{
    write({{QStringLiteral("id"), id}, {QStringLiteral("result"), result}});
}

void IpcConnection::sendResult(const QJsonValue &id, const QByteArray &resultJson)
{
    if (m_dropping || m_fd < 0)
        return;
    // The same bytes QJsonDocument writes for {"id":…,"result":…}: keys in order, compact.
    QByteArray line;
    line.reserve(resultJson.size() + 32);
    line += "{\"id\":";
    RequestLine::appendId(line, id);
    line += ",\"result\":";
    line += resultJson;
    line += "}\n";
    writeLine(std::move(line));
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
{
}

IpcServer::~IpcServer()
{
    delete m_acceptNotifier;
    if (m_listenFd >= 0) {
        ::close(m_listenFd);
        // Under socket activation the path is systemd's: it goes on listening for the next client.
        if (m_ownsSocketFile)
            ::unlink(QFile::encodeName(m_socketPath).constData());
    }
    if (m_spareFd >= 0)
        ::close(m_spareFd);
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

    // The lock file, not the socket, decides who is the agent: a socket file may be left by an agent
    // that crashed, and binding over it needs it gone first. QLockFile recognises a lock left by a
    // dead process as stale.
    if (!takeLock(directory, QStringLiteral("stop it first or use it"), errorMessage))
        return false;

    m_socketPath = QDir(directory).filePath(QStringLiteral("agent.sock"));
    const QByteArray socketPath = QFile::encodeName(m_socketPath);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    if (size_t(socketPath.size()) >= sizeof(address.sun_path)) {
        *errorMessage = QStringLiteral("%1 is too long for a UNIX socket (at most %2 bytes); set XDG_RUNTIME_DIR to a shorter path.")
                            .arg(m_socketPath)
                            .arg(sizeof(address.sun_path) - 1);
        return false;
    }
    std::memcpy(address.sun_path, socketPath.constData(), size_t(socketPath.size()));
    ::unlink(socketPath.constData()); // left behind by an agent that crashed
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    // The directory is private already; the socket is made so too. Many companion apps may connect
    // at once at login: a long backlog (the kernel caps it at net.core.somaxconn).
    if (fd < 0 || ::bind(fd, reinterpret_cast<const sockaddr *>(&address), sizeof(address)) != 0 || ::chmod(socketPath.constData(), 0600) != 0
        || ::listen(fd, 1024) != 0) {
        *errorMessage = QStringLiteral("Cannot listen on %1: %2.").arg(m_socketPath, QString::fromLocal8Bit(strerror(errno)));
        if (fd >= 0)
            ::close(fd);
        return false;
    }
    m_ownsSocketFile = true;
    serve(fd);
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
    if (::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) != 0) {
        *errorMessage = QStringLiteral("Cannot use the socket systemd passed for %1: %2.").arg(m_socketPath, QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    // The path stays when the agent exits: systemd keeps listening on it.
    m_ownsSocketFile = false;
    serve(fd);
    qCInfo(lcIpc).noquote() << "listening on" << m_socketPath << "(socket activation)";
    return true;
}

void IpcServer::serve(int fd)
{
    m_listenFd = fd;
    m_spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    m_acceptNotifier = new QSocketNotifier(qintptr(fd), QSocketNotifier::Read, this);
    connect(m_acceptNotifier, &QSocketNotifier::activated, this, &IpcServer::acceptConnections);
}

void IpcServer::acceptConnections()
{
    // A few per wake-up, so that a crowd at login cannot starve the clients already connected.
    for (int i = 0; i < 64; ++i) {
        const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK);
        if (fd >= 0) {
            onIncomingConnection(fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED)
            continue;
        if (errno == EMFILE || errno == ENFILE)
            refuseWithoutDescriptors();
        return; // EAGAIN: none waiting
    }
}

void IpcServer::refuseWithoutDescriptors()
{
    // Out of file descriptors. The waiting client would stay in the queue and keep the socket
    // readable — a busy loop — and QLocalServer would even stop listening for good. Instead the
    // descriptor held in reserve takes the client, which is closed at once (it hears "no" instead
    // of hanging), and everyone after it is served again as soon as descriptors are free.
    qCWarning(lcIpc) << "refused a connection: the agent has no file descriptors left (its limit is too low; see docs/admin.md)";
    if (m_spareFd >= 0) {
        ::close(m_spareFd);
        const int fd = ::accept4(m_listenFd, nullptr, nullptr, SOCK_CLOEXEC);
        if (fd >= 0)
            ::close(fd);
        m_spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    }
    if (m_spareFd < 0) {
        // No reserve either: pause accepting briefly rather than spin.
        m_acceptNotifier->setEnabled(false);
        QTimer::singleShot(100, this, [this] {
            if (m_spareFd < 0)
                m_spareFd = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
            m_acceptNotifier->setEnabled(true);
        });
    }
}

QList<IpcConnection *> IpcServer::connections() const
{
    return findChildren<IpcConnection *>(QString(), Qt::FindDirectChildrenOnly);
}

void IpcServer::onIncomingConnection(int fd)
{
    // The directory is private already; the peer check is the second lock on the door.
#ifdef SO_PEERCRED
    ucred credentials{};
    socklen_t length = sizeof(credentials);
    if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &credentials, &length) != 0 || credentials.uid != ::getuid()) {
        qCWarning(lcIpc) << "refused a connection from another user (uid" << credentials.uid << ")";
        ::close(fd);
        return;
    }
#endif
    if (connections().size() >= MaxConnections) {
        qCWarning(lcIpc) << "refused a connection: already" << MaxConnections << "clients";
        ::close(fd);
        return;
    }
    auto *connection = new IpcConnection(fd, this);
    Q_EMIT newConnection(connection);
}

} // namespace Signet
