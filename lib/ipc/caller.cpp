#include "caller.h"

#include "logging/logging.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QList>
#include <QRegularExpression>
#include <QStringList>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <ctime>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace Signet {

namespace {

#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77 // Linux 6.5; older kernels answer ENOPROTOOPT
#endif

// A pidfd pins the process: a pid reused afterwards belongs to another pidfd. -1 when the kernel
// has none (pidfd_open: Linux 5.3).
int openPidfd(int socketDescriptor, qint64 pid)
{
    if (socketDescriptor >= 0) {
        int pidfd = -1;
        socklen_t length = sizeof(pidfd);
        if (getsockopt(socketDescriptor, SOL_SOCKET, SO_PEERPIDFD, &pidfd, &length) == 0 && pidfd >= 0)
            return pidfd;
    }
#ifdef SYS_pidfd_open
    return int(syscall(SYS_pidfd_open, pid_t(pid), 0));
#else
    errno = ENOSYS;
    return -1;
#endif
}

bool stillAlive(int pidfd)
{
#ifdef SYS_pidfd_send_signal
    return syscall(SYS_pidfd_send_signal, pidfd, 0, nullptr, 0) == 0;
#else
    Q_UNUSED(pidfd);
    return true;
#endif
}

// The process's start time, in clock ticks after boot (proc(5), /proc/pid/stat field 22).
qint64 startTicks(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray line = stat.read(4096);
    // The command name (field 2) may contain spaces and parentheses: count from the last ')'.
    const qsizetype close = line.lastIndexOf(')');
    if (close < 0)
        return -1;
    const QList<QByteArray> fields = line.mid(close + 2).split(' ');
    // fields[0] is field 3 (state), so field 22 is fields[19].
    return fields.size() > 19 ? fields.at(19).toLongLong() : -1;
}

qint64 nowTicks()
{
    timespec now{};
    clock_gettime(CLOCK_BOOTTIME, &now);
    const long hz = sysconf(_SC_CLK_TCK);
    return qint64(now.tv_sec) * hz + qint64(now.tv_nsec) / (1'000'000'000L / hz);
}

// The script an interpreter runs, from its command line: the first argument that is not an option
// (nor an option's value). Inline code (python -c/-m, node -e, bash -c, ...) has no script: no
// identity. Unknown options are skipped as flags; when in doubt the caller stays unidentified.
QString scriptOf(qint64 pid, const QString &interpreter, QString *problem)
{
    QFile file(QStringLiteral("/proc/%1/cmdline").arg(pid));
    if (!file.open(QIODevice::ReadOnly)) {
        *problem = QStringLiteral("its command line cannot be read");
        return {};
    }
    const QList<QByteArray> args = file.read(64 * 1024).split('\0');
    QStringList inlineCode;
    QStringList withValue;
    if (interpreter.startsWith(QLatin1String("python")) || interpreter.startsWith(QLatin1String("pypy"))) {
        inlineCode = {QStringLiteral("-c"), QStringLiteral("-m"), QStringLiteral("-i")};
        withValue = {QStringLiteral("-W"), QStringLiteral("-X"), QStringLiteral("--check-hash-based-pycs")};
    } else if (interpreter.startsWith(QLatin1String("node")) || interpreter == QLatin1String("deno") || interpreter == QLatin1String("bun")) {
        inlineCode = {QStringLiteral("-e"), QStringLiteral("-p"), QStringLiteral("--eval"), QStringLiteral("--print"), QStringLiteral("-i"),
                      QStringLiteral("--interactive")};
        withValue = {QStringLiteral("-r"), QStringLiteral("--require"), QStringLiteral("--import"), QStringLiteral("--loader")};
    } else if (interpreter.startsWith(QLatin1String("perl")) || interpreter.startsWith(QLatin1String("ruby"))) {
        inlineCode = {QStringLiteral("-e"), QStringLiteral("-E")};
    } else { // shells and the rest
        inlineCode = {QStringLiteral("-c"), QStringLiteral("-i"), QStringLiteral("-s")};
        withValue = {QStringLiteral("-o"), QStringLiteral("-O"), QStringLiteral("+o"), QStringLiteral("+O")};
    }
    for (qsizetype i = 1; i < args.size(); ++i) {
        const QString arg = QString::fromLocal8Bit(args.at(i));
        if (arg.isEmpty())
            continue;
        if (arg == QLatin1String("--")) {
            if (i + 1 < args.size() && !args.at(i + 1).isEmpty())
                return QString::fromLocal8Bit(args.at(i + 1));
            break;
        }
        // Bundled short options ("-ic", "-uc") count when they contain an inline-code letter.
        const bool bundled = arg.size() > 2 && arg.startsWith(QLatin1Char('-')) && !arg.startsWith(QLatin1String("--"));
        const bool runsInline = inlineCode.contains(arg)
            || (bundled && std::any_of(inlineCode.cbegin(), inlineCode.cend(), [&](const QString &o) { return o.size() == 2 && arg.contains(o.at(1)); }));
        if (runsInline) {
            *problem = QStringLiteral("it runs inline code (%1), not a script file").arg(arg.left(20));
            return {};
        }
        if (arg.startsWith(QLatin1Char('-')) || arg.startsWith(QLatin1Char('+'))) {
            if (withValue.contains(arg))
                ++i;
            continue;
        }
        return arg;
    }
    *problem = QStringLiteral("it runs no script file (interactive, or reading standard input)");
    return {};
}

} // namespace

QString Caller::id() const
{
    if (!isIdentified())
        return {};
    return script.isEmpty() ? QStringLiteral("exe:") + exe : QStringLiteral("script:%1:%2").arg(exe, script);
}

QString Caller::displayName() const
{
    return QFileInfo(script.isEmpty() ? exe : script).fileName();
}

bool Caller::isInterpreter(const QString &path)
{
    // Versioned names too (python3.11, ruby3.1, perl5.36.0, lua5.4, php8.2, tclsh8.6).
    static const QRegularExpression pattern(QStringLiteral(
        "^(python[0-9.]*|pypy[0-9.]*|perl[0-9.]*|ruby[0-9.]*|node(js)?|deno|bun|bash|sh|dash|zsh|ksh[0-9]*|mksh|fish|tcsh|csh|"
        "lua[0-9.]*|luajit|php[0-9.]*|tclsh[0-9.]*|wish[0-9.]*|java|gjs|qml|qmlscene[0-9]*|pwsh|osascript|Rscript|julia|guile[0-9.]*|"
        "busybox|env|gawk|mawk|awk|expect|ld-linux.*\\.so.*)$"));
    return pattern.match(QFileInfo(path).fileName()).hasMatch();
}

Caller Caller::identifyProcess(qint64 pid)
{
    return identify(-1, pid);
}

Caller Caller::identify(int socketDescriptor, qint64 pid)
{
    Caller caller;
    caller.pid = pid;
    if (pid <= 0) {
        caller.problem = QStringLiteral("the connection carries no process id");
        return caller;
    }
    const qint64 acceptedAt = nowTicks();
    const int pidfd = openPidfd(socketDescriptor, pid);
    if (pidfd < 0) {
        caller.problem = QStringLiteral("the process ended before it could be identified");
        return caller;
    }
    const QString exeLink = QStringLiteral("/proc/%1/exe").arg(pid);
    const QString exe = QFile::symLinkTarget(exeLink);
    struct stat running {};
    struct stat onDisk {};
    const QByteArray exePath = QFile::encodeName(exe);
    if (exe.isEmpty() || ::stat(QFile::encodeName(exeLink).constData(), &running) != 0) {
        caller.problem = QStringLiteral("its executable cannot be read");
    } else if (::stat(exePath.constData(), &onDisk) != 0 || onDisk.st_dev != running.st_dev || onDisk.st_ino != running.st_ino) {
        // Deleted or replaced since it started (an upgrade), or a file from another mount namespace.
        caller.problem = QStringLiteral("the program file it runs is no longer %1 (replaced by an upgrade? restart it)").arg(exe);
    } else {
        caller.exe = exe;
        if (isInterpreter(exe)) {
            QString problem;
            QString script = scriptOf(pid, QFileInfo(exe).fileName(), &problem);
            if (!script.isEmpty()) {
                if (QFileInfo(script).isRelative())
                    script = QDir(QFile::symLinkTarget(QStringLiteral("/proc/%1/cwd").arg(pid))).filePath(script);
                const QFileInfo info(script);
                script = info.canonicalFilePath();
                if (script.isEmpty() || !info.isFile())
                    problem = QStringLiteral("its script %1 is not a file").arg(info.filePath().left(200));
            }
            if (problem.isEmpty())
                caller.script = script;
            else
                caller.problem = QStringLiteral("%1 is an interpreter and %2").arg(QFileInfo(exe).fileName(), problem);
        }
    }
    // The pid still names the process the pidfd pinned, and that process existed when the
    // connection was accepted: what was read above is the caller's, not a successor's.
    const qint64 started = startTicks(pid);
    if (caller.problem.isEmpty() && (!stillAlive(pidfd) || started < 0 || started > acceptedAt)) {
        caller.problem = QStringLiteral("the process ended while it was being identified");
        caller.exe.clear();
        caller.script.clear();
    }
    ::close(pidfd);
    if (!caller.problem.isEmpty())
        qCDebug(lcIpc).noquote() << "pid" << pid << "not identified:" << caller.problem;
    return caller;
}

} // namespace Signet
