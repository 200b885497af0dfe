// Signet::AgentClient against an in-process fake agent: connection states, requests, and the
// framing rules of docs/ipc.md as seen from a client.

#include "fakeagent.h"
#include "ipc/agentclient.h"
#include "testmain.h"

#include <QJsonDocument>
#include <QLocalSocket>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using Signet::AgentClient;

class tst_AgentClient : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();

    void defaultSocketPath();
    void noRuntimeDirectory();
    void agentNotRunning();
    void requestIsOneLine();
    void requestsWhileConnectingAreQueued();
    void requestWhileDisconnectedIsRefused();
    void oversizedRequestIsRefused();
    void framing_data();
    void framing();
    void lineSizeCap_data();
    void lineSizeCap();
    void events_data();
    void events();
    void errorResponses_data();
    void errorResponses();
    void responseToUnknownIdIsIgnored();
    void agentClosesConnection();
    void disconnectFromAgentIsNotAnError();
    void slotMayDisconnectMidBuffer();
    void reconnectKeepsIdsUnique();

private:
    // A fresh client connected to the fake agent; fails the test if it does not connect.
    bool connectClient();

    std::unique_ptr<ScopedRuntimeDir> m_runtime;
    std::unique_ptr<FakeAgent> m_agent;
    std::unique_ptr<AgentClient> m_client;
};

void tst_AgentClient::init()
{
    m_runtime = std::make_unique<ScopedRuntimeDir>();
    QVERIFY(m_runtime->isValid());
    m_agent = std::make_unique<FakeAgent>();
    QVERIFY(m_agent->listen(m_runtime->socketPath()));
    m_client = std::make_unique<AgentClient>();
}

void tst_AgentClient::cleanup()
{
    m_client.reset();
    m_agent.reset();
    m_runtime.reset();
}

bool tst_AgentClient::connectClient()
{
    QSignalSpy connected(m_client.get(), &AgentClient::connected);
    QSignalSpy clientConnected(m_agent.get(), &FakeAgent::clientConnected);
    m_client->connectToAgent(m_agent->socketPath());
    return connected.wait(5000) && (clientConnected.size() > 0 || clientConnected.wait(5000));
}

void tst_AgentClient::defaultSocketPath()
{
    QString message;
    QCOMPARE(AgentClient::defaultSocketPath(&message), m_runtime->socketPath());
    QVERIFY(message.isEmpty());

    qunsetenv("XDG_RUNTIME_DIR");
    QCOMPARE(AgentClient::defaultSocketPath(&message), QString());
    QVERIFY2(message.contains(QLatin1String("XDG_RUNTIME_DIR")), qPrintable(message));
}

void tst_AgentClient::noRuntimeDirectory()
{
    qunsetenv("XDG_RUNTIME_DIR");
    QSignalSpy errors(m_client.get(), &AgentClient::connectionError);
    m_client->connectToAgent();
    // Asynchronous: nothing is reported from inside the call.
    QCOMPARE(m_client->state(), AgentClient::State::Connecting);
    QCOMPARE(errors.size(), 0);
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(0).value<AgentClient::Error>(), AgentClient::Error::NoRuntimeDirectory);
    QVERIFY(errors.at(0).at(1).toString().contains(QLatin1String("XDG_RUNTIME_DIR")));
    QCOMPARE(m_client->state(), AgentClient::State::Disconnected);
    QCOMPARE(m_client->error(), AgentClient::Error::NoRuntimeDirectory);
}

void tst_AgentClient::agentNotRunning()
{
    m_agent->close();
    QSignalSpy errors(m_client.get(), &AgentClient::connectionError);
    QSignalSpy connected(m_client.get(), &AgentClient::connected);
    QSignalSpy disconnected(m_client.get(), &AgentClient::disconnected);
    QSignalSpy states(m_client.get(), &AgentClient::stateChanged);
    m_client->connectToAgent(); // the default path, which the fake agent left
    QCOMPARE(errors.size(), 0);
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(0).value<AgentClient::Error>(), AgentClient::Error::AgentNotRunning);
    QVERIFY2(errors.at(0).at(1).toString().contains(QLatin1String("signet-agent")), qPrintable(errors.at(0).at(1).toString()));
    QCOMPARE(connected.size(), 0);
    QCOMPARE(disconnected.size(), 0); // never connected
    QCOMPARE(states.size(), 2);
    QCOMPARE(states.at(0).at(0).value<AgentClient::State>(), AgentClient::State::Connecting);
    QCOMPARE(states.at(1).at(0).value<AgentClient::State>(), AgentClient::State::Disconnected);
}

void tst_AgentClient::requestIsOneLine()
{
    QVERIFY(connectClient());
    QCOMPARE(m_client->state(), AgentClient::State::Connected);
    QByteArray received;
    m_agent->handler = [](const FakeAgent::Request &) { return true; };
    const qint64 first = m_client->request(QStringLiteral("whoami"));
    const qint64 second = m_client->request(QStringLiteral("signin"), {{QStringLiteral("provider"), QStringLiteral("demo")}});
    QVERIFY(first > 0);
    QCOMPARE(second, first + 1);
    QTRY_COMPARE(m_agent->requests.size(), 2);
    QCOMPARE(m_agent->requests.at(0).id.toInteger(), first);
    QCOMPARE(m_agent->requests.at(0).method, QStringLiteral("whoami"));
    QVERIFY(m_agent->requests.at(0).params.isEmpty());
    QCOMPARE(m_agent->requests.at(1).id.toInteger(), second);
    QCOMPARE(m_agent->requests.at(1).params.value(QLatin1String("provider")).toString(), QStringLiteral("demo"));
}

void tst_AgentClient::requestsWhileConnectingAreQueued()
{
    QSignalSpy responses(m_client.get(), &AgentClient::responseReceived);
    m_agent->autoRespond = true;
    m_client->connectToAgent(m_agent->socketPath());
    QCOMPARE(m_client->state(), AgentClient::State::Connecting);
    const qint64 id = m_client->request(QStringLiteral("hello"), {{QStringLiteral("protocol"), 1}});
    QVERIFY(id > 0);
    QTRY_COMPARE(responses.size(), 1);
    QCOMPARE(responses.at(0).at(0).toLongLong(), id);
    QCOMPARE(responses.at(0).at(1).toJsonObject().value(QLatin1String("protocol")).toInt(), 1);
}

void tst_AgentClient::requestWhileDisconnectedIsRefused()
{
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("not connected to the agent")));
    QCOMPARE(m_client->request(QStringLiteral("whoami")), -1);
}

void tst_AgentClient::oversizedRequestIsRefused()
{
    QVERIFY(connectClient());
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("larger than 65536 bytes")));
    const QString big(AgentClient::MaxOutgoingLineBytes, QLatin1Char('x'));
    QCOMPARE(m_client->request(QStringLiteral("signin"), {{QStringLiteral("provider"), big}}), -1);
    QTest::qWait(50);
    QCOMPARE(m_agent->requests.size(), 0);
    QVERIFY(m_client->isConnected());
}

void tst_AgentClient::framing_data()
{
    QTest::addColumn<QList<QByteArray>>("writes");
    QTest::addColumn<int>("responses");
    QTest::addColumn<int>("events");
    QTest::addColumn<QString>("warning"); // a regular expression the client must log, or empty

    const QByteArray one = R"({"id":1,"result":{"n":1}})";
    const QByteArray two = R"({"id":2,"result":{"n":2}})";
    const QByteArray event = R"({"event":"signed-out","data":{"provider":"demo","reason":"user"}})";

    QTest::newRow("one message, one write") << QList<QByteArray>{one + '\n'} << 1 << 0 << QString();
    QTest::newRow("split across writes") << QList<QByteArray>{one.left(5), one.mid(5, 10), one.mid(15), "\n"} << 1 << 0 << QString();
    QTest::newRow("split right before the newline") << QList<QByteArray>{one, "\n" + two + '\n'} << 2 << 0 << QString();
    QTest::newRow("several in one write") << QList<QByteArray>{one + '\n' + event + '\n' + two + '\n'} << 2 << 1 << QString();
    QTest::newRow("two and a half, then the rest") << QList<QByteArray>{one + '\n' + event + '\n' + two.left(7), two.mid(7) + '\n'} << 2 << 1 << QString();
    QTest::newRow("empty lines are ignored") << QList<QByteArray>{"\n\n" + one + "\n\n\n" + two + "\n"} << 2 << 0 << QString();
    QTest::newRow("CRLF is tolerated") << QList<QByteArray>{one + "\r\n"} << 1 << 0 << QString();
    QTest::newRow("a line that is not JSON is skipped") << QList<QByteArray>{"not json\n" + one + '\n'} << 1 << 0 << QStringLiteral("not a JSON object");
    QTest::newRow("a JSON array is skipped") << QList<QByteArray>{"[1,2]\n" + one + '\n'} << 1 << 0 << QStringLiteral("not a JSON object");
    QTest::newRow("unknown kinds of message are skipped") << QList<QByteArray>{"{\"greeting\":\"hi\"}\n" + one + '\n'} << 1 << 0 << QString();
    QTest::newRow("unknown members are ignored") << QList<QByteArray>{R"({"id":1,"result":{"n":1},"extra":[1]})" "\n"} << 1 << 0 << QString();
}

void tst_AgentClient::framing()
{
    QFETCH(QList<QByteArray>, writes);
    QFETCH(int, responses);
    QFETCH(int, events);
    QFETCH(QString, warning);

    QVERIFY(connectClient());
    m_agent->handler = [](const FakeAgent::Request &) { return true; };
    QCOMPARE(m_client->request(QStringLiteral("one")), 1);
    QCOMPARE(m_client->request(QStringLiteral("two")), 2);
    QTRY_COMPARE(m_agent->requests.size(), 2);

    if (!warning.isEmpty())
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(warning));
    QSignalSpy responseSpy(m_client.get(), &AgentClient::responseReceived);
    QSignalSpy eventSpy(m_client.get(), &AgentClient::eventReceived);
    QSignalSpy errorSpy(m_client.get(), &AgentClient::connectionError);
    for (qsizetype i = 0; i < writes.size(); ++i) {
        m_agent->sendRaw(writes.at(i));
        // Let each write arrive on its own, so the client really sees partial lines.
        QTest::qWait(20);
        if (i + 1 < writes.size() && !writes.at(i).contains('\n'))
            QCOMPARE(responseSpy.size(), 0);
    }
    QTRY_COMPARE(responseSpy.size(), responses);
    QCOMPARE(eventSpy.size(), events);
    QCOMPARE(errorSpy.size(), 0);
    QVERIFY(m_client->isConnected());
    for (qsizetype i = 0; i < responseSpy.size(); ++i) {
        QCOMPARE(responseSpy.at(i).at(0).toLongLong(), i + 1);
        QCOMPARE(responseSpy.at(i).at(1).toJsonObject().value(QLatin1String("n")).toInt(), i + 1);
    }
}

void tst_AgentClient::lineSizeCap_data()
{
    QTest::addColumn<qint64>("lineBytes"); // the whole line, newline included
    QTest::addColumn<bool>("newline");
    QTest::addColumn<bool>("accepted");

    QTest::newRow("just under the cap") << AgentClient::MaxIncomingLineBytes - 1 << true << true;
    QTest::newRow("exactly the cap") << AgentClient::MaxIncomingLineBytes << true << true;
    QTest::newRow("one byte over") << AgentClient::MaxIncomingLineBytes + 1 << true << false;
    QTest::newRow("far over, no newline yet") << 3 * AgentClient::MaxIncomingLineBytes << false << false;
}

void tst_AgentClient::lineSizeCap()
{
    QFETCH(qint64, lineBytes);
    QFETCH(bool, newline);
    QFETCH(bool, accepted);

    QVERIFY(connectClient());
    m_agent->handler = [](const FakeAgent::Request &) { return true; };
    QCOMPARE(m_client->request(QStringLiteral("whoami")), 1);
    QTRY_COMPARE(m_agent->requests.size(), 1);

    // {"id":1,"result":{"pad":"xxx…"}} padded to exactly lineBytes.
    const QByteArray head = R"({"id":1,"result":{"pad":")";
    const QByteArray tail = newline ? QByteArray("\"}}\n") : QByteArray();
    QByteArray line = head + QByteArray(lineBytes - head.size() - tail.size(), 'x') + tail;
    QCOMPARE(line.size(), lineBytes);

    if (!accepted)
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("larger than 1048576 bytes")));
    QSignalSpy responses(m_client.get(), &AgentClient::responseReceived);
    QSignalSpy errors(m_client.get(), &AgentClient::connectionError);
    QSignalSpy disconnected(m_client.get(), &AgentClient::disconnected);
    // In several writes, as a real peer's large message would arrive.
    for (qsizetype offset = 0; offset < line.size(); offset += 256 * 1024)
        m_agent->sendRaw(line.mid(offset, 256 * 1024));

    if (accepted) {
        QTRY_COMPARE(responses.size(), 1);
        QCOMPARE(responses.at(0).at(1).toJsonObject().value(QLatin1String("pad")).toString().size(),
                 lineBytes - head.size() - tail.size());
        QVERIFY(m_client->isConnected());
        QCOMPARE(errors.size(), 0);
    } else {
        QTRY_COMPARE(errors.size(), 1);
        QCOMPARE(errors.at(0).at(0).value<AgentClient::Error>(), AgentClient::Error::FrameTooLarge);
        QCOMPARE(disconnected.size(), 1);
        QCOMPARE(responses.size(), 0);
        QCOMPARE(m_client->state(), AgentClient::State::Disconnected);
        // The agent sees the connection go.
        QTRY_COMPARE(m_agent->connections().size(), 0);
    }
}

void tst_AgentClient::events_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<QString>("event");
    QTest::addColumn<qint64>("id");
    QTest::addColumn<QString>("dataKey");

    QTest::newRow("progress event of a request")
        << QByteArray(R"({"id":7,"event":"authorization-url","data":{"provider":"demo","url":"http://127.0.0.1:4000/auth?x=1","expires_in":600}})")
        << QStringLiteral("authorization-url") << qint64(7) << QStringLiteral("url");
    QTest::newRow("subscription event, no id")
        << QByteArray(R"({"event":"signed-in","data":{"identity":{"provider":"demo"}}})") << QStringLiteral("signed-in") << qint64(-1)
        << QStringLiteral("identity");
    QTest::newRow("subscription event, null id")
        << QByteArray(R"({"id":null,"event":"signed-out","data":{"provider":"demo","reason":"expired"}})") << QStringLiteral("signed-out")
        << qint64(-1) << QStringLiteral("reason");
    QTest::newRow("an event with a result member is still an event")
        << QByteArray(R"({"id":3,"event":"future-event","data":{"k":1},"result":{}})") << QStringLiteral("future-event") << qint64(3)
        << QStringLiteral("k");
    QTest::newRow("an event without data") << QByteArray(R"({"event":"ping"})") << QStringLiteral("ping") << qint64(-1) << QString();
    // The test makes requests 1..id first (never answered); 9 is none of them.
    QTest::newRow("an event for a request this client is not waiting for")
        << QByteArray(R"({"id":9,"event":"authorization-url","data":{"url":"http://127.0.0.1:4000/"}})") << QStringLiteral("authorization-url")
        << qint64(-1) << QStringLiteral("url");
}

void tst_AgentClient::events()
{
    QFETCH(QByteArray, line);
    QFETCH(QString, event);
    QFETCH(qint64, id);
    QFETCH(QString, dataKey);

    QVERIFY(connectClient());
    // Progress events name a request the client is waiting for; the client hands on its own id.
    m_agent->handler = [](const FakeAgent::Request &) { return true; }; // never answered
    for (qint64 i = 1; i <= id; ++i)
        QCOMPARE(m_client->request(QStringLiteral("signin")), i);
    QTRY_COMPARE(m_agent->requests.size(), qMax<qsizetype>(id, 0));
    QSignalSpy events(m_client.get(), &AgentClient::eventReceived);
    QSignalSpy responses(m_client.get(), &AgentClient::responseReceived);
    m_agent->sendRaw(line + '\n');
    QTRY_COMPARE(events.size(), 1);
    QCOMPARE(events.at(0).at(0).toString(), event);
    QCOMPARE(events.at(0).at(2).toLongLong(), id);
    const QJsonObject data = events.at(0).at(1).toJsonObject();
    if (dataKey.isEmpty())
        QVERIFY(data.isEmpty());
    else
        QVERIFY(data.contains(dataKey));
    QCOMPARE(responses.size(), 0);
}

void tst_AgentClient::errorResponses_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<qint64>("id");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("message");

    QTest::newRow("error for a request")
        << QByteArray(R"({"id":1,"error":{"code":"not_signed_in","message":"Nobody is signed in."}})") << qint64(1)
        << QStringLiteral("not_signed_in") << QStringLiteral("Nobody is signed in.");
    QTest::newRow("error for no request (id null)")
        << QByteArray(R"({"id":null,"error":{"code":"bad_request","message":"The message is not valid JSON."}})") << qint64(-1)
        << QStringLiteral("bad_request") << QStringLiteral("The message is not valid JSON.");
    QTest::newRow("error without a code")
        << QByteArray(R"({"id":1,"error":{"message":"Something broke."}})") << qint64(1) << QStringLiteral("internal")
        << QStringLiteral("Something broke.");
    QTest::newRow("unknown error code is passed on")
        << QByteArray(R"({"id":1,"error":{"code":"from_the_future","message":"New."}})") << qint64(1)
        << QStringLiteral("from_the_future") << QStringLiteral("New.");
}

void tst_AgentClient::errorResponses()
{
    QFETCH(QByteArray, line);
    QFETCH(qint64, id);
    QFETCH(QString, code);
    QFETCH(QString, message);

    QVERIFY(connectClient());
    m_agent->handler = [](const FakeAgent::Request &) { return true; };
    QCOMPARE(m_client->request(QStringLiteral("whoami")), 1);
    QTRY_COMPARE(m_agent->requests.size(), 1);

    QSignalSpy errors(m_client.get(), &AgentClient::errorReceived);
    QSignalSpy responses(m_client.get(), &AgentClient::responseReceived);
    m_agent->sendRaw(line + '\n');
    QTRY_COMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(0).toLongLong(), id);
    QCOMPARE(errors.at(0).at(1).toString(), code);
    QCOMPARE(errors.at(0).at(2).toString(), message);
    QCOMPARE(responses.size(), 0);
    QVERIFY(m_client->isConnected());
}

void tst_AgentClient::responseToUnknownIdIsIgnored()
{
    QVERIFY(connectClient());
    m_agent->handler = [](const FakeAgent::Request &) { return true; };
    QCOMPARE(m_client->request(QStringLiteral("whoami")), 1);
    QTRY_COMPARE(m_agent->requests.size(), 1);

    QSignalSpy responses(m_client.get(), &AgentClient::responseReceived);
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("request 42 which is not waiting")));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("request 1 which is not waiting")));
    QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("an id this client never sent")));
    m_agent->sendRaw(R"({"id":42,"result":{}})" "\n" R"({"id":"one","result":{}})" "\n" R"({"id":1,"result":{"ok":true}})" "\n"
                     R"({"id":1,"result":{"again":true}})" "\n");
    QTRY_COMPARE(responses.size(), 1);
    QTest::qWait(50);
    QCOMPARE(responses.size(), 1); // exactly one answer per request
    QVERIFY(responses.at(0).at(1).toJsonObject().value(QLatin1String("ok")).toBool());
}

void tst_AgentClient::agentClosesConnection()
{
    QVERIFY(connectClient());
    QSignalSpy errors(m_client.get(), &AgentClient::connectionError);
    QSignalSpy disconnected(m_client.get(), &AgentClient::disconnected);
    m_agent->close();
    QTRY_COMPARE(disconnected.size(), 1);
    QCOMPARE(errors.size(), 1);
    QCOMPARE(errors.at(0).at(0).value<AgentClient::Error>(), AgentClient::Error::ConnectionLost);
    QCOMPARE(m_client->state(), AgentClient::State::Disconnected);
    QCOMPARE(m_client->error(), AgentClient::Error::ConnectionLost);
}

void tst_AgentClient::disconnectFromAgentIsNotAnError()
{
    QVERIFY(connectClient());
    QSignalSpy errors(m_client.get(), &AgentClient::connectionError);
    QSignalSpy disconnected(m_client.get(), &AgentClient::disconnected);
    m_client->disconnectFromAgent();
    QCOMPARE(disconnected.size(), 1);
    QCOMPARE(m_client->state(), AgentClient::State::Disconnected);
    QTRY_COMPARE(m_agent->connections().size(), 0);
    QTest::qWait(20);
    QCOMPARE(errors.size(), 0);
    QCOMPARE(disconnected.size(), 1);
}

void tst_AgentClient::slotMayDisconnectMidBuffer()
{
    QVERIFY(connectClient());
    m_agent->handler = [](const FakeAgent::Request &) { return true; };
    QCOMPARE(m_client->request(QStringLiteral("one")), 1);
    QCOMPARE(m_client->request(QStringLiteral("two")), 2);
    QTRY_COMPARE(m_agent->requests.size(), 2);

    QSignalSpy responses(m_client.get(), &AgentClient::responseReceived);
    connect(m_client.get(), &AgentClient::responseReceived, m_client.get(), [this] { m_client->disconnectFromAgent(); });
    m_agent->sendRaw(R"({"id":1,"result":{}})" "\n" R"({"id":2,"result":{}})" "\n");
    QTRY_COMPARE(m_client->state(), AgentClient::State::Disconnected);
    QTest::qWait(20);
    QCOMPARE(responses.size(), 1); // nothing from a connection that was closed
}

void tst_AgentClient::reconnectKeepsIdsUnique()
{
    QVERIFY(connectClient());
    const qint64 first = m_client->request(QStringLiteral("whoami"));
    m_client->disconnectFromAgent();
    QVERIFY(connectClient());
    QSignalSpy responses(m_client.get(), &AgentClient::responseReceived);
    const qint64 second = m_client->request(QStringLiteral("whoami"));
    QVERIFY(second > first);
    // On the wire, each connection numbers its requests from 1 (the C library's ids); the answer
    // still comes back under the id request() returned.
    QTRY_COMPARE(m_agent->count(QStringLiteral("whoami")), 2);
    QCOMPARE(m_agent->lastRequest(QStringLiteral("whoami")).id.toInteger(), 1);
    m_agent->sendRaw(R"({"id":1,"result":{"identity":null}})" "\n");
    QTRY_COMPARE(responses.size(), 1);
    QCOMPARE(responses.at(0).at(0).toLongLong(), second);

    // Connecting again while connected ends the old connection first, visibly.
    QSignalSpy disconnected(m_client.get(), &AgentClient::disconnected);
    QSignalSpy errors(m_client.get(), &AgentClient::connectionError);
    QVERIFY(connectClient());
    QCOMPARE(disconnected.size(), 1);
    QCOMPARE(errors.size(), 0);
    QTRY_COMPARE(m_agent->connections().size(), 1);
}

SIGNET_TEST_GUILESS_MAIN(tst_AgentClient)
#include "tst_agentclient.moc"
