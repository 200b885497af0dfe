// signet-webview, the embedded sign-in page: it shows the page it is given and closes by itself once
// the provider sends the browser to the loopback redirect_uri (which must receive that request: the
// agent takes the code from it). A small HTTP server here plays both the provider and the loopback.

#include <QProcess>

#include <algorithm>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QUrlQuery>

class tst_WebView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void closesAtTheLoopbackRedirect();
    void refusesWhatIsNotAWebAddress_data();
    void refusesWhatIsNotAWebAddress();
    void versionWithoutDisplay();

private:
    QProcessEnvironment environment() const;
    QTemporaryDir m_home;
};

void tst_WebView::initTestCase()
{
    QVERIFY(m_home.isValid());
    QVERIFY2(QFileInfo(QStringLiteral(SIGNET_WEBVIEW_BINARY)).isExecutable(), SIGNET_WEBVIEW_BINARY);
}

QProcessEnvironment tst_WebView::environment() const
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    env.insert(QStringLiteral("HOME"), m_home.path());
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), m_home.path());
    env.insert(QStringLiteral("XDG_CACHE_HOME"), m_home.filePath(QStringLiteral("cache")));
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.filePath(QStringLiteral("config")));
    env.insert(QStringLiteral("XDG_DATA_HOME"), m_home.filePath(QStringLiteral("data")));
    // Chromium's sandbox needs user namespaces that containers and root lack (toolchain notes).
    env.insert(QStringLiteral("QTWEBENGINE_DISABLE_SANDBOX"), QStringLiteral("1"));
    env.insert(QStringLiteral("QTWEBENGINE_CHROMIUM_FLAGS"), QStringLiteral("--disable-gpu --no-first-run --disable-background-networking"));
    return env;
}

void tst_WebView::closesAtTheLoopbackRedirect()
{
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    const QString base = QStringLiteral("http://127.0.0.1:%1").arg(server.serverPort());
    QStringList paths;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, socket, [&, socket] {
                const QByteArray request = socket->readAll();
                const QByteArray path = request.split(' ').value(1);
                paths.append(QString::fromLatin1(path));
                QByteArray body;
                if (path.startsWith("/authorize")) {
                    // The "provider": sends the browser on to the redirect_uri with a code, as after a login.
                    body = "<html><body><p>Provider</p><script>setTimeout(function(){location.href='" + base.toLatin1()
                           + "/callback?code=abc&state=xyz';}, 200);</script></body></html>";
                } else {
                    body = "<html><body><p>Signed in. You can close this window.</p></body></html>";
                }
                socket->write("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\nContent-Length: " + QByteArray::number(body.size())
                              + "\r\n\r\n" + body);
                socket->disconnectFromHost();
            });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    });

    QUrl url(base + QStringLiteral("/authorize"));
    url.setQuery(QUrlQuery{{QStringLiteral("client_id"), QStringLiteral("signet")},
                           {QStringLiteral("redirect_uri"), base + QStringLiteral("/callback")},
                           {QStringLiteral("state"), QStringLiteral("xyz")}});
    QProcess webview;
    webview.setProcessEnvironment(environment());
    webview.start(QStringLiteral(SIGNET_WEBVIEW_BINARY), {url.toString(QUrl::FullyEncoded)});
    QVERIFY(webview.waitForStarted(10000));
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(paths.cbegin(), paths.cend(), [](const QString &p) { return p.startsWith(QLatin1String("/callback?code=abc")); }), 60000);
    // It closes by itself (after a moment to read the agent's page).
    QTRY_COMPARE_WITH_TIMEOUT(webview.state(), QProcess::NotRunning, 15000);
    QCOMPARE(webview.exitStatus(), QProcess::NormalExit);
    QCOMPARE(webview.exitCode(), 0);
    const QByteArray log = webview.readAllStandardError();
    QVERIFY2(!log.contains("state=xyz") && !log.contains("code=abc"), log.constData()); // never the request's secrets
}

void tst_WebView::refusesWhatIsNotAWebAddress_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::newRow("file") << QStringList{QStringLiteral("file:///etc/passwd")};
    QTest::newRow("javascript") << QStringList{QStringLiteral("javascript:alert(1)")};
    QTest::newRow("nothing") << QStringList{};
    QTest::newRow("two") << QStringList{QStringLiteral("https://a.example/"), QStringLiteral("https://b.example/")};
}

void tst_WebView::refusesWhatIsNotAWebAddress()
{
    QFETCH(QStringList, arguments);
    QProcess webview;
    webview.setProcessEnvironment(environment());
    webview.start(QStringLiteral(SIGNET_WEBVIEW_BINARY), arguments);
    QVERIFY(webview.waitForFinished(30000));
    QCOMPARE(webview.exitCode(), 2);
    QVERIFY(!webview.readAllStandardError().isEmpty());
}

void tst_WebView::versionWithoutDisplay()
{
    QProcessEnvironment env = environment();
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    QProcess webview;
    webview.setProcessEnvironment(env);
    webview.start(QStringLiteral(SIGNET_WEBVIEW_BINARY), {QStringLiteral("--version")});
    QVERIFY(webview.waitForFinished(30000));
    QCOMPARE(webview.exitCode(), 0);
    QVERIFY(webview.readAllStandardOutput().startsWith("signet-webview "));
}

QTEST_GUILESS_MAIN(tst_WebView)
#include "tst_webview.moc"
