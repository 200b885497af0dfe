// The agent's socket: framing, errors, single instance, and the sign-in request bookkeeping
// (join, busy, cancel, unreachable provider) — everything that needs no identity provider.

#include "agent/agent.h"
#include "ipc/ipcserver.h"

#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLocalSocket>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <fcntl.h>
#include <cstring>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

#include <sys/stat.h>

using namespace Signet;
using namespace std::chrono_literals;

namespace {

// A protocol client for tests: collects every line the agent sends.
class Client
{
public:
    explicit Client(const QString &path)
    {
        m_socket.connectToServer(path);
        m_socket.waitForConnected(5000);
        QObject::connect(&m_socket, &QLocalSocket::readyRead, &m_socket, [this] {
            m_buffer += m_socket.readAll();
            qsizetype newline;
            while ((newline = m_buffer.indexOf('\n')) >= 0) {
                m_messages << QJsonDocument::fromJson(m_buffer.left(newline)).object();
                m_buffer.remove(0, newline + 1);
            }
        });
    }

    bool isConnected() const { return m_socket.state() == QLocalSocket::ConnectedState; }
    void sendRaw(const QByteArray &bytes)
    {
        m_socket.write(bytes);
        m_socket.flush();
    }
    void send(int id, const QString &method, const QJsonObject &params = {})
    {
        QJsonObject request{{QStringLiteral("id"), id}, {QStringLiteral("method"), method}};
        if (!params.isEmpty())
            request.insert(QStringLiteral("params"), params);
        sendRaw(QJsonDocument(request).toJson(QJsonDocument::Compact) + '\n');
    }
    // The next message matching `predicate`, waiting for it while the event loop runs.
    QJsonObject next(const std::function<bool(const QJsonObject &)> &predicate, int timeoutMs = 10000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (!deadline.hasExpired()) {
            for (qsizetype i = 0; i < m_messages.size(); ++i) {
                if (predicate(m_messages.at(i)))
                    return m_messages.takeAt(i);
            }
            QTest::qWait(5);
        }
        return {};
    }
    QJsonObject response(int id, int timeoutMs = 10000)
    {
        return next([id](const QJsonObject &m) { return m.value(QLatin1String("id")).toInt(-1) == id && !m.contains(QLatin1String("event")); }, timeoutMs);
    }
    QJsonObject event(const QString &name, int timeoutMs = 10000)
    {
        return next([name](const QJsonObject &m) { return m.value(QLatin1String("event")).toString() == name; }, timeoutMs);
    }
    bool waitForDisconnect(int timeoutMs = 5000)
    {
        QDeadlineTimer deadline(timeoutMs);
        while (isConnected() && !deadline.hasExpired())
            QTest::qWait(5);
        return !isConnected();
    }

private:
    QLocalSocket m_socket;
    QByteArray m_buffer;
    QList<QJsonObject> m_messages;
};

QString errorCode(const QJsonObject &response)
{
    return response.value(QLatin1String("error")).toObject().value(QLatin1String("code")).toString();
}

ProviderConfig provider(const QString &id, const QString &issuer)
{
    ProviderConfig p;
    p.id = id;
    p.type = QStringLiteral("oidc");
    p.displayName = id.toUpper();
    p.issuer = QUrl(issuer);
    p.clientId = QStringLiteral("client");
    p.scopes = {QStringLiteral("openid")};
    p.httpTimeout = 2s;
    return p;
}

} // namespace

class TestIpcServer : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_runtime;
    QTcpServer m_silentProvider; // accepts connections and never answers
    std::unique_ptr<IpcServer> m_server;
    std::unique_ptr<Agent> m_agent;
    Config m_config;

    QString directory() const { return m_runtime.filePath(QStringLiteral("signet")); }

private Q_SLOTS:
    void initTestCase()
    {
        // Both ends of MaxConnections sockets live in this process (signet-agent raises its own limit).
        rlimit files{};
        QCOMPARE(::getrlimit(RLIMIT_NOFILE, &files), 0);
        files.rlim_cur = std::min<rlim_t>(8192, files.rlim_max);
        QCOMPARE(::setrlimit(RLIMIT_NOFILE, &files), 0);
        QVERIFY2(files.rlim_cur > rlim_t(2 * IpcServer::MaxConnections + 64), "the hard file limit is too low for this test");
        QVERIFY(m_silentProvider.listen(QHostAddress::LocalHost, 0));
        Config config;
        config.providers << provider(QStringLiteral("silent"), QStringLiteral("http://127.0.0.1:%1").arg(m_silentProvider.serverPort()));
        // Port 1 on loopback: nothing listens there, so the connection is refused at once.
        config.providers << provider(QStringLiteral("gone"), QStringLiteral("http://127.0.0.1:1"));
        ProviderConfig broken = provider(QStringLiteral("broken"), QStringLiteral("https://idp.example"));
        broken.problems << ConfigProblem{ConfigProblem::Severity::Error, QStringLiteral("/etc/x.conf"), QStringLiteral("provider.broken"), QStringLiteral("client_id"), QStringLiteral("is missing")};
        config.providers << broken;

        m_server = std::make_unique<IpcServer>();
        QString error;
        QVERIFY2(m_server->listen(directory(), &error), qPrintable(error));
        m_config = config;
        m_agent = std::make_unique<Agent>(config, m_runtime.filePath(QStringLiteral("state")));
        m_agent->serve(m_server.get());
    }

    void cleanupTestCase()
    {
        m_agent.reset();
        m_server.reset();
    }

    void directoryIsPrivate()
    {
        struct stat info {};
        QCOMPARE(::stat(QFile::encodeName(directory()).constData(), &info), 0);
        QCOMPARE(int(info.st_mode & 0777), 0700);
        QCOMPARE(m_server->socketPath(), directory() + QStringLiteral("/agent.sock"));
    }

    void hello()
    {
        Client client(m_server->socketPath());
        client.send(1, QStringLiteral("hello"), {{QStringLiteral("protocol"), 1}, {QStringLiteral("client"), QStringLiteral("test/1")}});
        const QJsonObject result = client.response(1).value(QLatin1String("result")).toObject();
        QCOMPARE(result.value(QLatin1String("protocol")).toInt(), 1);
        QVERIFY(result.value(QLatin1String("capabilities")).toArray().contains(QStringLiteral("signin")));

        client.send(2, QStringLiteral("hello"), {{QStringLiteral("protocol"), 99}});
        QCOMPARE(errorCode(client.response(2)), QStringLiteral("unsupported_protocol"));
    }

    void errors_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<QString>("code");
        QTest::newRow("not json") << QByteArray("{nope\n") << QStringLiteral("bad_request");
        QTest::newRow("array") << QByteArray("[1,2]\n") << QStringLiteral("bad_request");
        QTest::newRow("no id") << QByteArray("{\"method\":\"status\"}\n") << QStringLiteral("bad_request");
        QTest::newRow("fractional id") << QByteArray("{\"id\":1.5,\"method\":\"status\"}\n") << QStringLiteral("bad_request");
        QTest::newRow("over-long string id") << QByteArray("{\"id\":\"" + QByteArray(300, 'i') + "\",\"method\":\"status\"}\n") << QStringLiteral("bad_request");
        QTest::newRow("huge id") << QByteArray("{\"id\":1e300,\"method\":\"status\"}\n") << QStringLiteral("bad_request");
        QTest::newRow("no method") << QByteArray("{\"id\":7}\n") << QStringLiteral("bad_request");
        QTest::newRow("params not an object") << QByteArray("{\"id\":7,\"method\":\"status\",\"params\":3}\n") << QStringLiteral("bad_request");
        QTest::newRow("unknown method") << QByteArray("{\"id\":7,\"method\":\"fly\"}\n") << QStringLiteral("unknown_method");
        QTest::newRow("whoami signed out") << QByteArray("{\"id\":7,\"method\":\"whoami\"}\n") << QStringLiteral("not_signed_in");
        QTest::newRow("signout signed out") << QByteArray("{\"id\":7,\"method\":\"signout\"}\n") << QStringLiteral("not_signed_in");
        QTest::newRow("signin without provider") << QByteArray("{\"id\":7,\"method\":\"signin\"}\n") << QStringLiteral("bad_request");
        QTest::newRow("signin unknown provider") << QByteArray("{\"id\":7,\"method\":\"signin\",\"params\":{\"provider\":\"nope\"}}\n") << QStringLiteral("unknown_provider");
        QTest::newRow("signin broken provider") << QByteArray("{\"id\":7,\"method\":\"signin\",\"params\":{\"provider\":\"broken\"}}\n") << QStringLiteral("config_error");
    }

    void errors()
    {
        QFETCH(QByteArray, request);
        QFETCH(QString, code);
        Client client(m_server->socketPath());
        client.sendRaw(request);
        const QJsonObject response = client.next([](const QJsonObject &m) { return m.contains(QLatin1String("error")); });
        QCOMPARE(errorCode(response), code);
        QVERIFY(!response.value(QLatin1String("error")).toObject().value(QLatin1String("message")).toString().isEmpty());
        // The connection survives every error but an oversized frame.
        client.send(8, QStringLiteral("status"));
        QCOMPARE(client.response(8).value(QLatin1String("result")).toObject().value(QLatin1String("state")).toString(), QStringLiteral("signed_out"));
    }

    void framing()
    {
        Client client(m_server->socketPath());
        // Split across writes, and two requests in one write, and unknown members.
        client.sendRaw("{\"id\":1,\"meth");
        QTest::qWait(20);
        client.sendRaw("od\":\"status\",\"future\":true}\n\n{\"id\":\"two\",\"method\":\"providers\"}\n");
        QCOMPARE(client.response(1).value(QLatin1String("result")).toObject().value(QLatin1String("state")).toString(), QStringLiteral("signed_out"));
        const QJsonObject providers = client.next([](const QJsonObject &m) { return m.value(QLatin1String("id")).toString() == QLatin1String("two"); });
        const QJsonArray list = providers.value(QLatin1String("result")).toObject().value(QLatin1String("providers")).toArray();
        QCOMPARE(list.size(), 3);
        QCOMPARE(list.at(0).toObject().value(QLatin1String("id")).toString(), QStringLiteral("silent"));
        QCOMPARE(list.at(2).toObject().value(QLatin1String("available")).toBool(true), false);
        QVERIFY(list.at(2).toObject().value(QLatin1String("problem")).toString().contains(QStringLiteral("client_id")));
    }

    void oversizedFrameClosesConnection()
    {
        Client client(m_server->socketPath());
        client.sendRaw("{\"id\":1,\"method\":\"status\",\"pad\":\"" + QByteArray(IpcConnection::MaxRequestBytes, 'x') + "\"}\n");
        QCOMPARE(errorCode(client.next([](const QJsonObject &m) { return m.contains(QLatin1String("error")); })), QStringLiteral("frame_too_large"));
        QVERIFY(client.waitForDisconnect());
        // Everyone else is still served.
        Client other(m_server->socketPath());
        other.send(1, QStringLiteral("status"));
        QVERIFY(other.response(1).contains(QLatin1String("result")));
    }

    // The answer to an oversized frame may have to wait behind unread answers; a client that never
    // reads them is closed anyway once the grace time is over, not held open forever.
    void oversizedFrameFromAClientThatDoesNotRead()
    {
        QTRY_COMPARE(m_server->connections().size(), 0);
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        const auto closeFd = qScopeGuard([fd] { ::close(fd); });
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const QByteArray path = QFile::encodeName(m_server->socketPath());
        memcpy(address.sun_path, path.constData(), size_t(path.size()));
        QCOMPARE(::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)), 0);
        QTRY_COMPARE(m_server->connections().size(), 1);
        IpcConnection *connection = m_server->connections().constFirst();
        // Requests until the kernel holds no more of the answers: the agent keeps the rest.
        const QByteArray request = "{\"id\":1,\"method\":\"providers\"}\n";
        QDeadlineTimer deadline(20000);
        while (connection->bytesToWrite() == 0 && !deadline.hasExpired()) {
            QCOMPARE(::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL), ssize_t(request.size()));
            QTest::qWait(1);
        }
        QVERIFY(connection->bytesToWrite() > 0);
        QVERIFY(connection->bytesToWrite() < IpcConnection::MaxUnsentBytes);
        QByteArray oversized = "{\"id\":2,\"method\":\"status\",\"pad\":\"" + QByteArray(IpcConnection::MaxRequestBytes, 'x') + "\"}\n";
        while (!oversized.isEmpty() && !m_server->connections().isEmpty() && !deadline.hasExpired()) {
            const ssize_t n = ::send(fd, oversized.constData(), size_t(oversized.size()), MSG_NOSIGNAL);
            if (n > 0)
                oversized.remove(0, n);
            QTest::qWait(1);
        }
        QElapsedTimer closing;
        closing.start();
        QTRY_VERIFY_WITH_TIMEOUT(m_server->connections().isEmpty(), IpcConnection::ClosingGraceMs + 5000);
        qInfo() << "closed" << closing.elapsed() << "ms after the oversized frame";
    }

    void frameCapIncludesTheNewline()
    {
        // Exactly MaxRequestBytes with its newline: accepted. One byte more: refused.
        const QByteArray head = "{\"id\":1,\"method\":\"status\",\"pad\":\"";
        const QByteArray tail = "\"}";
        const QByteArray fits = head + QByteArray(IpcConnection::MaxRequestBytes - 1 - head.size() - tail.size(), 'x') + tail + '\n';
        QCOMPARE(fits.size(), IpcConnection::MaxRequestBytes);
        Client client(m_server->socketPath());
        client.sendRaw(fits);
        QVERIFY(client.response(1).contains(QLatin1String("result")));
        Client other(m_server->socketPath());
        other.sendRaw(fits.left(fits.size() - 2) + "x\"}\n");
        QCOMPARE(errorCode(other.next([](const QJsonObject &m) { return m.contains(QLatin1String("error")); })), QStringLiteral("frame_too_large"));
    }

    void connectionLimit()
    {
        QTRY_COMPARE(m_server->connections().size(), 0); // earlier tests' clients are gone
        std::vector<std::unique_ptr<QLocalSocket>> sockets;
        for (int i = 0; i < IpcServer::MaxConnections + 5; ++i) {
            sockets.push_back(std::make_unique<QLocalSocket>());
            sockets.back()->connectToServer(m_server->socketPath());
            QVERIFY(sockets.back()->waitForConnected(5000));
            QCoreApplication::processEvents(); // the agent accepts as they come, as at a busy login
        }
        QTRY_COMPARE(m_server->connections().size(), IpcServer::MaxConnections);
        auto dropped = [&] {
            return std::count_if(sockets.cbegin(), sockets.cend(), [](const auto &s) { return s->state() == QLocalSocket::UnconnectedState; });
        };
        QTRY_COMPARE(dropped(), 5);
        // With the agent full of idle clients, one that leaves makes room, and the next is answered.
        sockets.front()->abort();
        QTRY_COMPARE(m_server->connections().size(), IpcServer::MaxConnections - 1);
        {
            Client next(m_server->socketPath());
            next.send(1, QStringLiteral("status"));
            QVERIFY(next.response(1).contains(QLatin1String("result")));
        }
        sockets.clear();
        QTRY_COMPARE(m_server->connections().size(), 0);
        Client client(m_server->socketPath());
        client.send(1, QStringLiteral("status"));
        QVERIFY(client.response(1).contains(QLatin1String("result")));
    }

    // A client that sends requests and never reads its answers is dropped once more than
    // MaxUnsentBytes wait for it, instead of growing the agent's memory without bound.
    // Out of file descriptors, the agent cannot accept a client. It refuses that one (with the
    // descriptor it holds in reserve) and goes on listening: QLocalServer, which it used before,
    // stopped listening for good on the first EMFILE.
    void outOfDescriptors()
    {
        QTRY_COMPARE(m_server->connections().size(), 0);
        rlimit saved{};
        QCOMPARE(::getrlimit(RLIMIT_NOFILE, &saved), 0);
        std::vector<int> fillers;
        int client = -1;
        const auto restore = qScopeGuard([&] {
            for (int fd : fillers)
                ::close(fd);
            if (client >= 0)
                ::close(client);
            ::setrlimit(RLIMIT_NOFILE, &saved);
        });
        // A low limit, so that filling it takes a few hundred descriptors, not a million.
        const int probe = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        QVERIFY(probe >= 0);
        ::close(probe);
        rlimit low = saved;
        low.rlim_cur = rlim_t(probe + 64);
        QCOMPARE(::setrlimit(RLIMIT_NOFILE, &low), 0);
        for (int fd; (fd = ::open("/dev/null", O_RDONLY | O_CLOEXEC)) >= 0;)
            fillers.push_back(fd);
        QCOMPARE(errno, EMFILE);
        ::close(fillers.back()); // one left, for the client's own socket
        fillers.pop_back();

        client = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        QVERIFY(client >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const QByteArray path = QFile::encodeName(m_server->socketPath());
        memcpy(address.sun_path, path.constData(), size_t(path.size()));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("no file descriptors left")));
        QCOMPARE(::connect(client, reinterpret_cast<sockaddr *>(&address), sizeof(address)), 0);
        // The agent closes it at once: the client reads the end of the stream, not silence.
        const auto ended = [client] {
            char byte;
            return ::recv(client, &byte, 1, MSG_DONTWAIT) == 0;
        };
        QTRY_VERIFY(ended());
        QCOMPARE(m_server->connections().size(), 0);

        // Descriptors again: the next client is served.
        for (int fd : std::exchange(fillers, {}))
            ::close(fd);
        ::setrlimit(RLIMIT_NOFILE, &saved);
        Client next(m_server->socketPath());
        next.send(1, QStringLiteral("status"));
        QVERIFY(next.response(1).contains(QLatin1String("result")));
    }

    void clientThatDoesNotReadIsDropped()
    {
        QTRY_COMPARE(m_server->connections().size(), 0);
        // A raw socket: Qt's would read into its own buffer behind our back.
        const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        QVERIFY(fd >= 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const QByteArray path = QFile::encodeName(m_server->socketPath());
        QVERIFY(size_t(path.size()) < sizeof(address.sun_path));
        memcpy(address.sun_path, path.constData(), size_t(path.size()));
        QCOMPARE(::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)), 0);
        QTRY_COMPARE(m_server->connections().size(), 1);

        const QByteArray burst = QByteArray("{\"id\":1,\"method\":\"providers\"}\n").repeated(500);
        QByteArray pending;
        qint64 sent = 0;
        bool dropped = false;
        QDeadlineTimer deadline(30000);
        while (!dropped && !deadline.hasExpired()) {
            if (pending.isEmpty())
                pending = burst;
            const ssize_t n = ::send(fd, pending.constData(), size_t(pending.size()), MSG_NOSIGNAL);
            if (n > 0) {
                pending.remove(0, n);
                sent += n;
            } else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
                dropped = true; // EPIPE or ECONNRESET: the agent hung up
            }
            QTest::qWait(1);
            dropped = dropped || m_server->connections().isEmpty();
        }
        ::close(fd);
        QVERIFY2(dropped, qPrintable(QStringLiteral("still connected after sending %1 bytes").arg(sent)));
        // Bounded: far less than what it would have cost to answer everything sent.
        qInfo() << "dropped a non-reading client after it sent" << sent << "bytes of requests";
        Client client(m_server->socketPath());
        client.send(1, QStringLiteral("status"));
        QVERIFY(client.response(1).contains(QLatin1String("result")));
    }

    // Many clients that each stay under MaxUnsentBytes but together hold more than the total budget:
    // the one that adds to its backlog past the budget is dropped. (The budget is lowered to 1 MiB
    // here; the agent's is 64 MiB.)
    void slowClientsTogetherStayWithinTheTotalBudget()
    {
        QTRY_COMPARE(m_server->connections().size(), 0);
        IpcConnection::setUnsentBytesTotalLimit(1024 * 1024);
        const auto restore = qScopeGuard([] { IpcConnection::setUnsentBytesTotalLimit(IpcConnection::MaxUnsentBytesTotal); });
        std::vector<int> fds;
        for (int i = 0; i < 4; ++i) {
            const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
            QVERIFY(fd >= 0);
            sockaddr_un address{};
            address.sun_family = AF_UNIX;
            const QByteArray path = QFile::encodeName(m_server->socketPath());
            memcpy(address.sun_path, path.constData(), size_t(path.size()));
            QCOMPARE(::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof(address)), 0);
            fds.push_back(fd);
        }
        const auto closeAll = qScopeGuard([&] { for (const int fd : fds) ::close(fd); });
        QTRY_COMPARE(m_server->connections().size(), 4);
        // Each sends requests for at most a quarter of the per-connection cap's worth of answers.
        const QByteArray request("{\"id\":1,\"method\":\"providers\"}\n");
        Client probe(m_server->socketPath());
        probe.send(1, QStringLiteral("providers"));
        const qint64 answerBytes = QJsonDocument(probe.response(1)).toJson(QJsonDocument::Compact).size() + 1;
        const int perClient = int(IpcConnection::MaxUnsentBytes / 4 / answerBytes);
        QDeadlineTimer deadline(30000);
        for (const int fd : fds) {
            QByteArray pending = request.repeated(perClient);
            while (!pending.isEmpty() && !deadline.hasExpired()) {
                const ssize_t n = ::send(fd, pending.constData(), size_t(pending.size()), MSG_NOSIGNAL);
                if (n > 0)
                    pending.remove(0, n);
                else if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
                    break; // dropped
                QTest::qWait(1);
            }
        }
        // 4 x 512 KiB of answers against a 1 MiB budget: someone is dropped, though nobody reached 2 MiB.
        QTRY_VERIFY(m_server->connections().size() < 5); // 4 slow ones + the probe
        Client client(m_server->socketPath());
        client.send(1, QStringLiteral("status"));
        QVERIFY(client.response(1).contains(QLatin1String("result")));
    }

    // Half a message, then silence or a hang-up: the agent keeps answering everyone else, and the
    // half message is never taken for a request.
    void halfSentFramesAndVanishingClients()
    {
        QTRY_COMPARE(m_server->connections().size(), 0);
        QLocalSocket silent;
        silent.connectToServer(m_server->socketPath());
        QVERIFY(silent.waitForConnected(5000));
        silent.write("{\"id\":1,\"method\":\"who");
        QVERIFY(silent.waitForBytesWritten(5000));
        {
            QLocalSocket vanishing;
            vanishing.connectToServer(m_server->socketPath());
            QVERIFY(vanishing.waitForConnected(5000));
            vanishing.write("{\"id\":2,\"method\":\"status\"}\n{\"id\":3,\"meth");
            QVERIFY(vanishing.waitForBytesWritten(5000));
            vanishing.abort(); // gone before its answer could be read
        }
        Client other(m_server->socketPath());
        other.send(1, QStringLiteral("status"));
        QVERIFY(other.response(1).contains(QLatin1String("result")));
        QTRY_COMPARE(m_server->connections().size(), 2); // the vanished one is cleaned up
        // The silent client's half message stays half: no answer arrives for it.
        QVERIFY(!silent.waitForReadyRead(200));
        QCOMPARE(silent.bytesAvailable(), 0);
    }

    void secondAgentRefuses()
    {
        IpcServer second;
        QString error;
        QVERIFY(!second.listen(directory(), &error));
        QVERIFY2(error.contains(QStringLiteral("Another signet-agent (pid %1)").arg(QCoreApplication::applicationPid())), qPrintable(error));
        // ... and did not steal the socket.
        Client client(m_server->socketPath());
        client.send(1, QStringLiteral("status"));
        QVERIFY(client.response(1).contains(QLatin1String("result")));
    }

    void staleSocketIsRecovered()
    {
        QTemporaryDir runtime;
        const QString dir = runtime.filePath(QStringLiteral("signet"));
        QDir().mkpath(dir);
        QFile stale(dir + QStringLiteral("/agent.sock"));
        QVERIFY(stale.open(QIODevice::WriteOnly)); // a leftover with no agent behind it
        stale.close();
        ::chmod(QFile::encodeName(dir).constData(), 0755); // too open: must be tightened
        IpcServer server;
        QString error;
        QVERIFY2(server.listen(dir, &error), qPrintable(error));
        struct stat info {};
        ::stat(QFile::encodeName(dir).constData(), &info);
        QCOMPARE(int(info.st_mode & 0777), 0700);
        Client client(server.socketPath());
        QVERIFY(client.isConnected());
    }

    void unreachableProvider()
    {
        Client client(m_server->socketPath());
        client.send(1, QStringLiteral("signin"), {{QStringLiteral("provider"), QStringLiteral("gone")}});
        const QJsonObject response = client.response(1);
        QCOMPARE(errorCode(response), QStringLiteral("provider_unreachable"));
        QVERIFY(response.value(QLatin1String("error")).toObject().value(QLatin1String("message")).toString().contains(QStringLiteral("Could not reach GONE")));
    }

    void joinBusyAndCancel()
    {
        Client first(m_server->socketPath());
        Client second(m_server->socketPath());
        Client other(m_server->socketPath());
        Client watcher(m_server->socketPath());
        first.send(1, QStringLiteral("signin"), {{QStringLiteral("provider"), QStringLiteral("silent")}});
        QTRY_COMPARE(m_silentProvider.hasPendingConnections() || !m_silentProvider.findChildren<QTcpSocket *>().isEmpty(), true);

        watcher.send(1, QStringLiteral("status"));
        const QJsonObject status = watcher.response(1).value(QLatin1String("result")).toObject();
        QCOMPARE(status.value(QLatin1String("state")).toString(), QStringLiteral("signing_in"));
        QCOMPARE(status.value(QLatin1String("signin")).toObject().value(QLatin1String("provider")).toString(), QStringLiteral("silent"));

        second.send(5, QStringLiteral("signin"), {{QStringLiteral("provider"), QStringLiteral("silent")}}); // joins
        second.send(6, QStringLiteral("signin"), {{QStringLiteral("provider"), QStringLiteral("silent")}}); // the same connection again
        QCOMPARE(errorCode(second.response(6)), QStringLiteral("busy"));
        other.send(1, QStringLiteral("signin"), {{QStringLiteral("provider"), QStringLiteral("gone")}});   // busy
        QCOMPARE(errorCode(other.response(1)), QStringLiteral("busy"));

        watcher.send(2, QStringLiteral("cancel"));
        QCOMPARE(watcher.response(2).value(QLatin1String("result")).toObject().value(QLatin1String("cancelled")).toBool(), true);
        QCOMPARE(errorCode(first.response(1)), QStringLiteral("cancelled"));
        QCOMPARE(errorCode(second.response(5)), QStringLiteral("cancelled"));

        watcher.send(3, QStringLiteral("cancel"));
        QCOMPARE(watcher.response(3).value(QLatin1String("result")).toObject().value(QLatin1String("cancelled")).toBool(true), false);
    }

    // The provider's own rules are checked again too: IT narrowing the Workspace domain signs out
    // someone of the old one.
    void providerRulesAreRecheckedOnReload()
    {
        ProviderConfig google = provider(QStringLiteral("g"), QStringLiteral("https://accounts.google.com"));
        google.type = QStringLiteral("google");
        google.hostedDomain = QStringLiteral("corp.example");
        Config config;
        config.providers << google;
        config.policy.allowedDomains = QStringList{QStringLiteral("*")};
        Agent agent(config, m_runtime.filePath(QStringLiteral("state-rules")));
        Identity ann;
        ann.provider = QStringLiteral("g");
        ann.issuer = QStringLiteral("https://accounts.google.com");
        ann.subject = QStringLiteral("1");
        ann.hostedDomain = QStringLiteral("corp.example");
        ann.signedInAt = QDateTime::currentDateTimeUtc();
        ann.expiresAt = ann.signedInAt.addSecs(3600);
        agent.session()->start(ann, {});
        agent.reconfigure(config);
        QVERIFY(agent.session()->isActive());
        config.providers.first().hostedDomain = QStringLiteral("other.example");
        agent.reconfigure(config);
        QVERIFY(!agent.session()->isActive());
    }

    void subscribe()
    {
        Client client(m_server->socketPath());
        client.send(1, QStringLiteral("subscribe"), {{QStringLiteral("events"), QJsonArray{QStringLiteral("signed-out"), QStringLiteral("bogus")}}});
        QCOMPARE(client.response(1).value(QLatin1String("result")).toObject().value(QLatin1String("events")).toArray(), QJsonArray{QStringLiteral("signed-out")});
        client.send(2, QStringLiteral("subscribe"));
        // Everything but the window's consent events: this test process is not the Signet window.
        QCOMPARE(client.response(2).value(QLatin1String("result")).toObject().value(QLatin1String("events")).toArray(),
                 (QJsonArray{QStringLiteral("apps-changed"), QStringLiteral("attention-needed"), QStringLiteral("expiring"), QStringLiteral("policy-changed"),
                             QStringLiteral("renewed"), QStringLiteral("signed-in"), QStringLiteral("signed-out")}));
    }

    // A policy change applies to whoever is signed in: roles are recomputed, and someone the new
    // policy no longer admits is signed out (reason "policy").
    void policyChangeRechecksTheSession()
    {
        Client client(m_server->socketPath());
        client.send(1, QStringLiteral("subscribe"));
        QVERIFY(client.response(1).contains(QLatin1String("result")));

        Identity alice;
        alice.provider = QStringLiteral("silent");
        alice.issuer = QStringLiteral("http://issuer.example");
        alice.subject = QStringLiteral("alice");
        alice.email = QStringLiteral("alice@corp.example");
        alice.emailVerified = true;
        alice.signedInAt = QDateTime::currentDateTimeUtc();
        alice.expiresAt = alice.signedInAt.addSecs(3600);
        m_agent->session()->start(alice, {}, QJsonObject{{QStringLiteral("department"), QStringLiteral("it")}});
        client.next([](const QJsonObject &m) { return m.value(QLatin1String("event")).toString() == QLatin1String("signed-in"); });

        Config config = m_config;
        config.policy.allowedDomains = QStringList{QStringLiteral("corp.example")};
        config.policy.roleMap = {{QStringLiteral("it-staff"), {QStringLiteral("claim:department=it")}}};
        m_agent->reconfigure(config);
        const QJsonObject changed = client.next([](const QJsonObject &m) { return m.value(QLatin1String("event")).toString() == QLatin1String("policy-changed"); });
        const QJsonObject identity = changed.value(QLatin1String("data")).toObject().value(QLatin1String("identity")).toObject();
        QCOMPARE(identity.value(QLatin1String("roles")).toArray(), QJsonArray{QStringLiteral("it-staff")});
        QVERIFY(m_agent->session()->isActive());
        QCOMPARE(m_agent->session()->identity().signetRoles, QStringList{QStringLiteral("it-staff")});

        config.policy.allowedDomains = QStringList{QStringLiteral("other.example")};
        m_agent->reconfigure(config);
        const QJsonObject out = client.next([](const QJsonObject &m) { return m.value(QLatin1String("event")).toString() == QLatin1String("signed-out"); });
        QCOMPARE(out.value(QLatin1String("data")).toObject().value(QLatin1String("reason")).toString(), QStringLiteral("policy"));
        const QJsonObject after = client.next([](const QJsonObject &m) { return m.value(QLatin1String("event")).toString() == QLatin1String("policy-changed"); });
        QVERIFY(after.value(QLatin1String("data")).toObject().value(QLatin1String("identity")).isNull());
        QVERIFY(!m_agent->session()->isActive());

        // The new configuration is what status and providers report from now on.
        config.providers.removeLast();
        m_agent->reconfigure(config);
        client.send(2, QStringLiteral("providers"));
        QCOMPARE(client.response(2).value(QLatin1String("result")).toObject().value(QLatin1String("providers")).toArray().size(), 2);
        m_agent->reconfigure(m_config);
    }
};

QTEST_GUILESS_MAIN(TestIpcServer)
#include "tst_ipcserver.moc"
