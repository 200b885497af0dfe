// The loopback redirect: the request parser (data-driven), the listener over raw TCP and the
// reply handler's state rules.

#include "auth/callbackrequest.h"
#include "auth/loopbacklistener.h"
#include "auth/loopbackreplyhandler.h"

#include <QPointer>
#include <QSignalSpy>
#include <QTcpSocket>
#include <QTest>

using namespace Signet;
using Result = CallbackRequest::Result;

Q_DECLARE_METATYPE(CallbackRequest::Result)

namespace {
const QByteArray Path = "/callback/demo";
const QByteArray Host = "127.0.0.1:5555";

QByteArray get(const QByteArray &target, const QByteArray &host = Host)
{
    return "GET " + target + " HTTP/1.1\r\nHost: " + host + "\r\nUser-Agent: test\r\n\r\n";
}

// Sends raw bytes to the listener in the given pieces and returns the whole response.
QByteArray exchange(quint16 port, const QList<QByteArray> &pieces, int pauseMs = 0)
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, port);
    if (!socket.waitForConnected(5000))
        return "no connection";
    for (const QByteArray &piece : pieces) {
        socket.write(piece);
        socket.flush();
        if (pauseMs)
            QTest::qWait(pauseMs);
    }
    // The listener runs in this thread: wait by spinning the event loop, never by blocking.
    QByteArray response;
    QDeadlineTimer deadline(15000);
    while (socket.state() != QAbstractSocket::UnconnectedState && !deadline.hasExpired()) {
        QTest::qWait(5);
        response += socket.readAll();
    }
    return response + socket.readAll();
}
} // namespace

class TestLoopback : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parse_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<CallbackRequest::Result>("result");

        QTest::newRow("good") << get(Path + "?code=abc&state=xyz") << Result::Ok;
        QTest::newRow("no parameters") << get(Path) << Result::Ok;
        QTest::newRow("incomplete headers") << QByteArray("GET " + Path + "?code=a HTTP/1.1\r\nHost: " + Host + "\r\n") << Result::Incomplete;
        QTest::newRow("POST") << QByteArray("POST " + Path + " HTTP/1.1\r\nHost: " + Host + "\r\n\r\n") << Result::MethodNotAllowed;
        QTest::newRow("HEAD") << QByteArray("HEAD " + Path + " HTTP/1.1\r\nHost: " + Host + "\r\n\r\n") << Result::MethodNotAllowed;
        QTest::newRow("favicon does not count") << get("/favicon.ico") << Result::NotFound;
        QTest::newRow("path prefix") << get(Path + "/x?code=a") << Result::NotFound;
        QTest::newRow("other provider's path") << get("/callback/other?code=a") << Result::NotFound;
        QTest::newRow("encoded path") << get("/callback%2Fdemo?code=a") << Result::NotFound;
        QTest::newRow("rebinding host") << get(Path + "?code=a", "evil.example:5555") << Result::WrongHost;
        QTest::newRow("localhost host") << get(Path + "?code=a", "localhost:5555") << Result::WrongHost;
        QTest::newRow("other port") << get(Path + "?code=a", "127.0.0.1:5556") << Result::WrongHost;
        QTest::newRow("no host") << QByteArray("GET " + Path + " HTTP/1.1\r\n\r\n") << Result::BadRequest;
        QTest::newRow("two hosts") << QByteArray("GET " + Path + " HTTP/1.1\r\nHost: " + Host + "\r\nHost: " + Host + "\r\n\r\n") << Result::BadRequest;
        QTest::newRow("duplicated state") << get(Path + "?code=a&state=1&state=2") << Result::BadRequest;
        QTest::newRow("duplicated code") << get(Path + "?code=a&code=b&state=1") << Result::BadRequest;
        QTest::newRow("duplicated after decoding") << get(Path + "?st%61te=1&state=2") << Result::BadRequest;
        QTest::newRow("HTTP/2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") << Result::BadRequest;
        QTest::newRow("garbage") << QByteArray("\x16\x03\x01\x02\x01\r\n\r\n") << Result::BadRequest;
        QTest::newRow("header without colon") << QByteArray("GET " + Path + " HTTP/1.1\r\nHost: " + Host + "\r\nnonsense\r\n\r\n") << Result::BadRequest;
        QTest::newRow("too large") << QByteArray("GET " + Path + "?x=" + QByteArray(9000, 'a') + " HTTP/1.1\r\nHost: " + Host + "\r\n\r\n") << Result::HeadersTooLarge;
        QTest::newRow("space before colon") << QByteArray("GET " + Path + " HTTP/1.1\r\nHost : " + Host + "\r\n\r\n") << Result::BadRequest;
        QTest::newRow("control character in header name") << QByteArray("GET " + Path + " HTTP/1.1\r\n\x0bHost: " + Host + "\r\n\r\n") << Result::BadRequest;
        QTest::newRow("malformed percent escape") << get(Path + "?code=%zz&state=1") << Result::BadRequest;
        QTest::newRow("truncated percent escape") << get(Path + "?code=a%2") << Result::BadRequest;
        QTest::newRow("too large, unfinished") << QByteArray("GET " + Path + "?x=" + QByteArray(9000, 'a')) << Result::HeadersTooLarge;
    }

    void parse()
    {
        QFETCH(QByteArray, request);
        QFETCH(CallbackRequest::Result, result);
        const CallbackRequest parsed = CallbackRequest::parse(request, Path, Host);
        QCOMPARE(parsed.result, result);
        // Nothing from the query ever reaches the reason (it is logged).
        QVERIFY(!parsed.reason.contains(QStringLiteral("abc")));
    }

    void reasonNeverEchoesTheQuery()
    {
        // A parameter name is the sender's text: it must not reach the log, even with a newline in it.
        const CallbackRequest parsed = CallbackRequest::parse(get(Path + "?%0Afake%20log%20line=1&%0Afake%20log%20line=2"), Path, Host);
        QCOMPARE(parsed.result, Result::BadRequest);
        QVERIFY(!parsed.reason.contains(QStringLiteral("fake")));
        QVERIFY(!parsed.reason.contains(QLatin1Char('\n')));
    }

    void answerDoesNotDependOnSplitNearTheCap()
    {
        // The blank line ends exactly at the cap: a read that stops inside "\r\n\r\n" must wait for
        // more, not answer 431 to a request that is acceptable whole.
        QByteArray request = "GET " + Path + " HTTP/1.1\r\nHost: " + Host + "\r\nX-Pad: ";
        request += QByteArray(CallbackRequest::MaxHeaderBytes - request.size(), 'p') + "\r\n\r\n";
        QCOMPARE(CallbackRequest::parse(request, Path, Host).result, Result::Ok);
        for (qsizetype cut = request.size() - 4; cut < request.size(); ++cut)
            QCOMPARE(CallbackRequest::parse(request.left(cut), Path, Host).result, Result::Incomplete);
    }

    void decodesParameters()
    {
        const CallbackRequest parsed = CallbackRequest::parse(get(Path + "?code=4%2F0Ab+c&state=s_1-~&error_description=a%20b+c&empty="), Path, Host);
        QCOMPARE(parsed.result, Result::Ok);
        QCOMPARE(parsed.value(QStringLiteral("code")), QStringLiteral("4/0Ab c"));
        QCOMPARE(parsed.value(QStringLiteral("state")), QStringLiteral("s_1-~"));
        QCOMPARE(parsed.value(QStringLiteral("error_description")), QStringLiteral("a b c"));
        QVERIFY(parsed.has(QStringLiteral("empty")));
        QVERIFY(!parsed.has(QStringLiteral("missing")));
    }

    void listenerBindsLoopbackOnly()
    {
        LoopbackListener listener(QStringLiteral("/callback/demo"), [](const CallbackRequest &) { return LoopbackListener::Page{200, QStringLiteral("ok"), QStringLiteral("ok")}; });
        QString error;
        QVERIFY2(listener.listen(&error), qPrintable(error));
        QVERIFY(listener.port() > 0);
        QCOMPARE(listener.redirectUri().toString(), QStringLiteral("http://127.0.0.1:%1/callback/demo").arg(listener.port()));
    }

    void listenerOverTcp_data()
    {
        QTest::addColumn<QList<QByteArray>>("pieces");
        QTest::addColumn<QByteArray>("statusLine");
        QTest::addColumn<int>("callbacks");

        QTest::newRow("whole request") << QList<QByteArray>{"GOOD"} << QByteArray("HTTP/1.1 200 OK") << 1;
        QTest::newRow("split in three writes") << QList<QByteArray>{"SPLIT1", "SPLIT2", "SPLIT3"} << QByteArray("HTTP/1.1 200 OK") << 1;
        QTest::newRow("POST") << QList<QByteArray>{"POST"} << QByteArray("HTTP/1.1 405 Method Not Allowed") << 0;
        QTest::newRow("wrong path") << QList<QByteArray>{"FAVICON"} << QByteArray("HTTP/1.1 404 Not Found") << 0;
        QTest::newRow("wrong host") << QList<QByteArray>{"REBIND"} << QByteArray("HTTP/1.1 400 Bad Request") << 0;
        QTest::newRow("duplicated parameter") << QList<QByteArray>{"DUP"} << QByteArray("HTTP/1.1 400 Bad Request") << 0;
        QTest::newRow("oversized") << QList<QByteArray>{"HUGE"} << QByteArray("HTTP/1.1 431 Request Header Fields Too Large") << 0;
    }

    void listenerOverTcp()
    {
        QFETCH(QList<QByteArray>, pieces);
        QFETCH(QByteArray, statusLine);
        QFETCH(int, callbacks);

        int calls = 0;
        LoopbackListener listener(QStringLiteral("/callback/demo"), [&calls](const CallbackRequest &request) {
            ++calls;
            return LoopbackListener::Page{200, QStringLiteral("Done"), request.value(QStringLiteral("state"))};
        });
        QString error;
        QVERIFY(listener.listen(&error));
        const QByteArray host = "127.0.0.1:" + QByteArray::number(listener.port());
        const QByteArray good = "GET /callback/demo?code=c&state=s1 HTTP/1.1\r\nHost: " + host + "\r\n\r\n";

        QList<QByteArray> bytes;
        for (const QByteArray &piece : pieces) {
            if (piece == "GOOD") bytes << good;
            else if (piece == "SPLIT1") bytes << good.left(10);
            else if (piece == "SPLIT2") bytes << good.mid(10, 30);
            else if (piece == "SPLIT3") bytes << good.mid(40);
            else if (piece == "POST") bytes << "POST /callback/demo?code=c&state=s1 HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
            else if (piece == "FAVICON") bytes << "GET /favicon.ico HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
            else if (piece == "REBIND") bytes << "GET /callback/demo?code=c&state=s1 HTTP/1.1\r\nHost: evil.example\r\n\r\n";
            else if (piece == "DUP") bytes << "GET /callback/demo?code=c&state=s1&state=s2 HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
            else if (piece == "HUGE") bytes << "GET /callback/demo?pad=" + QByteArray(20000, 'x');
        }
        const QByteArray response = exchange(listener.port(), bytes, 50);
        QVERIFY2(response.startsWith(statusLine), response.left(80).constData());
        QCOMPARE(calls, callbacks);
        QVERIFY(response.contains("Content-Security-Policy: default-src 'none'"));
        QVERIFY(response.contains("Cache-Control: no-store"));
        QVERIFY(!response.contains("<script"));
    }

    void slowClientIsDropped()
    {
        LoopbackListener listener(QStringLiteral("/callback/demo"), [](const CallbackRequest &) { return LoopbackListener::Page{}; });
        QString error;
        QVERIFY(listener.listen(&error));
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, listener.port());
        QVERIFY(socket.waitForConnected(5000));
        socket.write("GET /callback/demo");
        QByteArray response;
        QTRY_VERIFY_WITH_TIMEOUT((response += socket.readAll(), socket.state() == QAbstractSocket::UnconnectedState), LoopbackListener::IdleTimeoutMs + 5000);
        QVERIFY2(response.startsWith("HTTP/1.1 408"), response.left(60).constData());
    }

    // The request that ends a sign-in ends the attempt that owns the listener: the browser must
    // still get its page, not a reset connection.
    void pageOutlivesTheListener()
    {
        QPointer<LoopbackListener> listener;
        listener = new LoopbackListener(QStringLiteral("/callback/demo"), [&listener](const CallbackRequest &) {
            listener->close();
            listener->deleteLater(); // what the agent does with a finished attempt
            return LoopbackListener::Page{200, QStringLiteral("You are signed in"), QString()};
        });
        QString error;
        QVERIFY(listener->listen(&error));
        const quint16 port = listener->port();
        const QByteArray host = "127.0.0.1:" + QByteArray::number(port);
        const QByteArray response = exchange(port, {get("/callback/demo?code=a&state=b", host)});
        QVERIFY(listener.isNull());
        QVERIFY2(response.startsWith("HTTP/1.1 200"), response.left(60).constData());
        QVERIFY(response.contains("You are signed in"));
    }

    void idleConnectionsCannotLockOutTheBrowser()
    {
        LoopbackListener listener(QStringLiteral("/callback/demo"), [](const CallbackRequest &) {
            return LoopbackListener::Page{200, QStringLiteral("Signed in"), QString()};
        });
        QString error;
        QVERIFY(listener.listen(&error));
        std::vector<std::unique_ptr<QTcpSocket>> squatters;
        for (int i = 0; i < LoopbackListener::MaxConnections + 4; ++i) {
            auto socket = std::make_unique<QTcpSocket>();
            socket->connectToHost(QHostAddress::LocalHost, listener.port());
            QVERIFY(socket->waitForConnected(5000));
            squatters.push_back(std::move(socket));
            QTest::qWait(2); // let the listener accept each one in turn
        }
        const QByteArray host = "127.0.0.1:" + QByteArray::number(listener.port());
        const QByteArray response = exchange(listener.port(), {get("/callback/demo?code=a&state=b", host)});
        QVERIFY2(response.startsWith("HTTP/1.1 200"), response.left(60).constData());
        QVERIFY(response.contains("Signed in"));
        // The oldest squatters made room; the listener never held more than its limit.
        QTRY_VERIFY(squatters.front()->state() == QAbstractSocket::UnconnectedState);
    }

    void closesWhenAsked()
    {
        LoopbackListener listener(QStringLiteral("/callback/demo"), [](const CallbackRequest &) { return LoopbackListener::Page{}; });
        QString error;
        QVERIFY(listener.listen(&error));
        const quint16 port = listener.port();
        listener.close();
        QVERIFY(!listener.isListening());
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, port);
        QVERIFY(!socket.waitForConnected(2000));
    }

    void handlerStateRules()
    {
        LoopbackReplyHandler handler(QStringLiteral("demo"), QStringLiteral("Demo"));
        QString error;
        QVERIFY(handler.listen(&error));
        handler.expect(QStringLiteral("the-state"), QUrl(QStringLiteral("http://127.0.0.1:1")), false, true);
        QSignalSpy callbacks(&handler, &QAbstractOAuthReplyHandler::callbackReceived);
        QSignalSpy failures(&handler, &LoopbackReplyHandler::authorizationFailed);
        const quint16 port = handler.redirectUri().port();
        const QByteArray host = "127.0.0.1:" + QByteArray::number(port);
        auto request = [&](const QByteArray &query) {
            return exchange(port, {"GET /callback/demo?" + query + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n"});
        };

        // Unknown state, even with an error: 400, nothing happens, the sign-in keeps waiting.
        QVERIFY(request("code=x&state=other").startsWith("HTTP/1.1 400"));
        QVERIFY(request("error=access_denied&state=other").startsWith("HTTP/1.1 400"));
        QCOMPARE(callbacks.size(), 0);
        QCOMPARE(failures.size(), 0);

        // A wrong RFC 9207 issuer for our state ends the attempt.
        // (Checked on a second handler so the first can still succeed below.)
        {
            LoopbackReplyHandler mixUp(QStringLiteral("demo"), QStringLiteral("Demo"));
            QVERIFY(mixUp.listen(&error));
            mixUp.expect(QStringLiteral("s2"), QUrl(QStringLiteral("https://idp.example")), true, true);
            QSignalSpy mixUpFailures(&mixUp, &LoopbackReplyHandler::authorizationFailed);
            const quint16 mixUpPort = mixUp.redirectUri().port();
            exchange(mixUpPort, {"GET /callback/demo?code=x&state=s2&iss=https%3A%2F%2Fevil.example HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(mixUpPort) + "\r\n\r\n"});
            QCOMPARE(mixUpFailures.size(), 1);
            QCOMPARE(mixUpFailures.first().first().value<SignInError>().code, SignInError::Code::ProviderError);
        }

        // Ours: passed on once; a replay is refused.
        QVERIFY(request("code=the-code&state=the-state").startsWith("HTTP/1.1 200"));
        QCOMPARE(callbacks.size(), 1);
        QCOMPARE(callbacks.first().first().toMap().value(QStringLiteral("code")).toString(), QStringLiteral("the-code"));
        QVERIFY(request("code=the-code&state=the-state").startsWith("HTTP/1.1 400"));
        QCOMPARE(callbacks.size(), 1);
    }

    void handlerReportsDenial()
    {
        LoopbackReplyHandler handler(QStringLiteral("demo"), QStringLiteral("Demo"));
        QString error;
        QVERIFY(handler.listen(&error));
        handler.expect(QStringLiteral("st"), QUrl(), false, true);
        QSignalSpy failures(&handler, &LoopbackReplyHandler::authorizationFailed);
        const quint16 port = handler.redirectUri().port();
        exchange(port, {"GET /callback/demo?error=access_denied&error_description=no&state=st HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) + "\r\n\r\n"});
        QCOMPARE(failures.size(), 1);
        QCOMPARE(failures.first().first().value<SignInError>().code, SignInError::Code::AccessDenied);
    }
};

QTEST_GUILESS_MAIN(TestLoopback)
#include "tst_loopback.moc"
