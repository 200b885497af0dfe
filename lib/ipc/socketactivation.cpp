#include "socketactivation.h"

#include "logging/logging.h"

#include <QFile>

#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

namespace Signet::SocketActivation {

namespace {

// A decimal environment value, or -1 when missing or not a plain non-negative number.
long long environmentNumber(const char *name)
{
    const char *value = std::getenv(name);
    if (!value || !*value)
        return -1;
    char *end = nullptr;
    errno = 0;
    const long long number = std::strtoll(value, &end, 10);
    if (errno != 0 || *end != '\0' || number < 0)
        return -1;
    return number;
}

} // namespace

Outcome adopt(const QString &expectedPath, int *descriptor, QString *errorMessage)
{
    *descriptor = -1;
    // LISTEN_PID names the process the sockets are for: a child that inherited the environment
    // (the agent started by another socket-activated program) must not take them.
    const long long pid = environmentNumber("LISTEN_PID");
    if (pid < 0 || pid != static_cast<long long>(::getpid()))
        return Outcome::NotActivated;
    const long long count = environmentNumber("LISTEN_FDS");
    ::unsetenv("LISTEN_PID");
    ::unsetenv("LISTEN_FDS");
    ::unsetenv("LISTEN_FDNAMES");
    if (count <= 0)
        return Outcome::NotActivated;

    // Whatever happens next, no passed descriptor leaks into a hook or browser we start.
    for (long long fd = FirstDescriptor; fd < FirstDescriptor + count && fd < 1024; ++fd)
        ::fcntl(int(fd), F_SETFD, ::fcntl(int(fd), F_GETFD) | FD_CLOEXEC);

    const QString fix = QStringLiteral(" Check signet-agent.socket: it must have one ListenStream=%t/signet/agent.sock.");
    if (count != 1) {
        *errorMessage = QStringLiteral("systemd passed %1 sockets; signet-agent expects exactly one.").arg(count) + fix;
        return Outcome::Refused;
    }
    const int fd = FirstDescriptor;
    int type = 0;
    int listening = 0;
    socklen_t length = sizeof(type);
    if (::getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &length) != 0 || type != SOCK_STREAM) {
        *errorMessage = QStringLiteral("The socket passed by systemd (fd 3) is not a stream socket.") + fix;
        return Outcome::Refused;
    }
    length = sizeof(listening);
    if (::getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &length) != 0 || !listening) {
        *errorMessage = QStringLiteral("The socket passed by systemd (fd 3) is not listening.") + fix;
        return Outcome::Refused;
    }
    sockaddr_un address{};
    socklen_t addressLength = sizeof(address);
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &addressLength) != 0 || address.sun_family != AF_UNIX) {
        *errorMessage = QStringLiteral("The socket passed by systemd (fd 3) is not a UNIX socket.") + fix;
        return Outcome::Refused;
    }
    // An abstract address (sun_path[0] == 0) has no file, so no directory permissions protect it.
    const size_t pathLength = addressLength > offsetof(sockaddr_un, sun_path) ? addressLength - offsetof(sockaddr_un, sun_path) : 0;
    const QByteArray path = (pathLength > 0 && address.sun_path[0] != '\0') ? QByteArray(address.sun_path, int(::strnlen(address.sun_path, pathLength)))
                                                                            : QByteArray();
    if (path != QFile::encodeName(expectedPath)) {
        *errorMessage = QStringLiteral("The socket passed by systemd is bound to %1, not to %2, where clients look for the agent.")
                            .arg(path.isEmpty() ? QStringLiteral("an abstract address") : QFile::decodeName(path), expectedPath)
            + fix;
        return Outcome::Refused;
    }
    qCInfo(lcIpc).noquote() << "adopted the listening socket" << expectedPath << "from systemd";
    *descriptor = fd;
    return Outcome::Adopted;
}

} // namespace Signet::SocketActivation
