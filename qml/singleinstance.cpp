#include "singleinstance.h"

#include <QDir>
#include <QLocalServer>
#include <QLocalSocket>
#include <QLoggingCategory>
#include <QThread>

namespace Signet {

namespace {
Q_LOGGING_CATEGORY(lcInstance, "signet.ui.instance", QtInfoMsg)
}

SingleInstance::SingleInstance(const QString &directory, QObject *parent)
    : QObject(parent)
    , m_directory(directory)
{
    if (m_directory.isEmpty()) {
        const QString runtime = qEnvironmentVariable("XDG_RUNTIME_DIR");
        if (!runtime.isEmpty())
            m_directory = QDir(runtime).filePath(QStringLiteral("signet"));
    }
    if (!m_directory.isEmpty())
        m_socketPath = QDir(m_directory).filePath(QStringLiteral("window.sock"));
}

SingleInstance::~SingleInstance() = default;

SingleInstance::Role SingleInstance::claim()
{
    if (m_directory.isEmpty()) {
        m_error = tr("XDG_RUNTIME_DIR is not set, so other Signet windows cannot be found.");
        return Role::Failed;
    }
    if (!QDir().mkpath(m_directory)) {
        m_error = tr("Cannot create %1.").arg(m_directory);
        return Role::Failed;
    }
    QFile::setPermissions(m_directory, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);

    m_lock = std::make_unique<QLockFile>(QDir(m_directory).filePath(QStringLiteral("window.lock")));
    // A lock left by a crashed window (its pid is gone) is taken over by QLockFile itself.
    m_lock->setStaleLockTime(0);
    if (m_lock->tryLock(0))
        return listen() ? Role::Primary : Role::Failed;

    // Another window holds the lock. It may still be starting (not listening yet): try for a moment.
    for (int attempt = 0; attempt < 5; ++attempt) {
        if (askPrimaryToActivate())
            return Role::Secondary;
        QThread::msleep(100);
    }
    // The holder does not answer (hung, or a different program): do not leave the person without a window.
    m_error = tr("Another Signet window seems to run but does not answer; starting anyway.");
    qCWarning(lcInstance).noquote() << m_error;
    m_lock.reset();
    return Role::Failed;
}

bool SingleInstance::listen()
{
    m_server = new QLocalServer(this);
    m_server->setSocketOptions(QLocalServer::UserAccessOption);
    // Only this process holds the lock, so a file at the path is a leftover of a dead window.
    QLocalServer::removeServer(m_socketPath);
    if (!m_server->listen(m_socketPath)) {
        m_error = tr("Cannot listen on %1: %2").arg(m_socketPath, m_server->errorString());
        qCWarning(lcInstance).noquote() << m_error;
        return false;
    }
    connect(m_server, &QLocalServer::newConnection, this, [this] {
        while (QLocalSocket *socket = m_server->nextPendingConnection()) {
            connect(socket, &QLocalSocket::disconnected, socket, &QObject::deleteLater);
            connect(socket, &QLocalSocket::readyRead, this, [this, socket] {
                if (!socket->canReadLine()) {
                    if (socket->bytesAvailable() > 256)
                        socket->abort();
                    return;
                }
                const QByteArray line = socket->readLine(256);
                if (line == QByteArray(Greeting)) {
                    qCInfo(lcInstance) << "another launch asked this window to come to the front";
                    socket->write("ok\n");
                    socket->flush();
                    Q_EMIT activationRequested();
                }
                socket->disconnectFromServer();
            });
        }
    });
    return true;
}

bool SingleInstance::askPrimaryToActivate()
{
    QLocalSocket socket;
    socket.connectToServer(m_socketPath);
    if (!socket.waitForConnected(500))
        return false;
    socket.write(Greeting);
    if (!socket.waitForBytesWritten(500))
        return false;
    // Reading the answer makes sure the request arrived before this process exits.
    while (!socket.canReadLine()) {
        if (!socket.waitForReadyRead(1000))
            return false;
    }
    return socket.readLine(16) == "ok\n";
}

} // namespace Signet
