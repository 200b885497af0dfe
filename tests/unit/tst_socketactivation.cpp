// SocketActivation::adopt(): the sd_listen_fds(3) protocol, case by case. The descriptor systemd
// would pass is put at fd 3 with dup2, the environment set as systemd sets it.
#include "ipc/socketactivation.h"

#include <QTemporaryDir>
#include <QTest>

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

using Signet::SocketActivation::Outcome;

namespace {

// A UNIX socket of the given type bound to path ("" for an abstract address), listening for streams.
int makeSocket(int type, const QByteArray &path, bool listening = true)
{
    const int fd = ::socket(AF_UNIX, type, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    socklen_t length = sizeof(sa_family_t);
    if (path.isEmpty()) { // abstract: a leading NUL
        const char name[] = "\0signet-test-abstract";
        memcpy(address.sun_path, name, sizeof(name) - 1);
        length += sizeof(name) - 1;
    } else {
        memcpy(address.sun_path, path.constData(), size_t(path.size()));
        length += socklen_t(path.size() + 1);
    }
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), length) != 0)
        qFatal("bind failed");
    if (listening && type == SOCK_STREAM)
        ::listen(fd, 4);
    return fd;
}

// Puts fd at 3, as systemd does, and keeps whatever was at 3 to restore it.
class AtFdThree
{
public:
    explicit AtFdThree(int fd)
        : m_saved(::fcntl(3, F_DUPFD_CLOEXEC, 10))
    {
        ::dup2(fd, 3);
        ::close(fd);
    }
    ~AtFdThree()
    {
        ::close(3);
        if (m_saved >= 0) {
            ::dup2(m_saved, 3);
            ::close(m_saved);
        }
    }

private:
    int m_saved;
};

void setListenEnvironment(const QByteArray &pid, const QByteArray &fds)
{
    qputenv("LISTEN_PID", pid);
    qputenv("LISTEN_FDS", fds);
    qputenv("LISTEN_FDNAMES", "agent");
}

QByteArray ownPid() { return QByteArray::number(qint64(::getpid())); }

} // namespace

class TestSocketActivation : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        qunsetenv("LISTEN_PID");
        qunsetenv("LISTEN_FDS");
        qunsetenv("LISTEN_FDNAMES");
    }

    void notActivatedWithoutEnvironment()
    {
        int fd = 42;
        QString error;
        QCOMPARE(Signet::SocketActivation::adopt(QStringLiteral("/run/x/agent.sock"), &fd, &error), Outcome::NotActivated);
        QCOMPARE(fd, -1);
        QVERIFY(error.isEmpty());
    }

    // Another process's sockets (the variables leaked to a child): not ours, and left alone.
    void anotherProcessesSockets()
    {
        setListenEnvironment(QByteArray::number(qint64(::getpid()) + 1), "1");
        int fd = -1;
        QString error;
        QCOMPARE(Signet::SocketActivation::adopt(QStringLiteral("/run/x/agent.sock"), &fd, &error), Outcome::NotActivated);
        QCOMPARE(qgetenv("LISTEN_FDS"), QByteArray("1"));
    }

    void malformedPid()
    {
        setListenEnvironment(ownPid() + "x", "1");
        int fd = -1;
        QString error;
        QCOMPARE(Signet::SocketActivation::adopt(QStringLiteral("/run/x/agent.sock"), &fd, &error), Outcome::NotActivated);
    }

    void adoptsTheListeningSocket()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("agent.sock"));
        AtFdThree passed(makeSocket(SOCK_STREAM, QFile::encodeName(path)));
        ::fcntl(3, F_SETFD, 0); // systemd passes it without close-on-exec
        setListenEnvironment(ownPid(), "1");
        int fd = -1;
        QString error;
        QCOMPARE(Signet::SocketActivation::adopt(path, &fd, &error), Outcome::Adopted);
        QCOMPARE(fd, 3);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVERIFY(::fcntl(3, F_GETFD) & FD_CLOEXEC);
        // Children (hooks, the browser) must not think the socket is theirs.
        QVERIFY(!qEnvironmentVariableIsSet("LISTEN_PID"));
        QVERIFY(!qEnvironmentVariableIsSet("LISTEN_FDS"));
        QVERIFY(!qEnvironmentVariableIsSet("LISTEN_FDNAMES"));
    }

    void refusals_data()
    {
        QTest::addColumn<int>("type");
        QTest::addColumn<QString>("bound");     // "" = the expected path, "abstract", or another name
        QTest::addColumn<bool>("listening");
        QTest::addColumn<QByteArray>("count");
        QTest::addColumn<QString>("message");
        QTest::newRow("two sockets") << int(SOCK_STREAM) << QString() << true << QByteArray("2") << QStringLiteral("passed 2 sockets");
        QTest::newRow("datagram") << int(SOCK_DGRAM) << QString() << false << QByteArray("1") << QStringLiteral("not a stream socket");
        QTest::newRow("not listening") << int(SOCK_STREAM) << QString() << false << QByteArray("1") << QStringLiteral("not listening");
        QTest::newRow("another path") << int(SOCK_STREAM) << QStringLiteral("other.sock") << true << QByteArray("1")
                                      << QStringLiteral("other.sock, not to");
        QTest::newRow("abstract") << int(SOCK_STREAM) << QStringLiteral("abstract") << true << QByteArray("1")
                                  << QStringLiteral("an abstract address");
    }

    void refusals()
    {
        QFETCH(int, type);
        QFETCH(QString, bound);
        QFETCH(bool, listening);
        QFETCH(QByteArray, count);
        QFETCH(QString, message);
        QTemporaryDir dir;
        const QString expected = dir.filePath(QStringLiteral("agent.sock"));
        const QByteArray path = bound == QLatin1String("abstract") ? QByteArray()
                                                                   : QFile::encodeName(bound.isEmpty() ? expected : dir.filePath(bound));
        AtFdThree passed(makeSocket(type, path, listening));
        setListenEnvironment(ownPid(), count);
        int fd = -1;
        QString error;
        QCOMPARE(Signet::SocketActivation::adopt(expected, &fd, &error), Outcome::Refused);
        QCOMPARE(fd, -1);
        QVERIFY2(error.contains(message), qPrintable(error));
        QVERIFY2(error.contains(QLatin1String("signet-agent.socket")), qPrintable(error)); // says what to check
        QVERIFY(!qEnvironmentVariableIsSet("LISTEN_FDS"));
    }

    void notASocket()
    {
        int pipe[2];
        QCOMPARE(::pipe(pipe), 0);
        ::close(pipe[1]);
        AtFdThree passed(pipe[0]);
        setListenEnvironment(ownPid(), "1");
        int fd = -1;
        QString error;
        QCOMPARE(Signet::SocketActivation::adopt(QStringLiteral("/run/x/agent.sock"), &fd, &error), Outcome::Refused);
        QVERIFY2(error.contains(QLatin1String("not a stream socket")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestSocketActivation)
#include "tst_socketactivation.moc"
