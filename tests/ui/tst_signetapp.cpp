// Smoke test of the real `signet` binary: its command line, a run offscreen against the fake
// agent that walks the window through every page and fails on any QML warning or error, and
// starting the agent when none runs.

#include "fakeagent.h"
#include "testmain.h"

#include "signet-version.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

class tst_SignetApp : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void version();
    void help();
    void unexpectedArgument();
    void loadsEveryPageWithoutQmlWarnings_data();
    void loadsEveryPageWithoutQmlWarnings();
    void secondLaunchRaisesTheFirst();
    void startsTheAgentWhenNoneRuns_data();
    void startsTheAgentWhenNoneRuns();

private:
    // A clean environment: offscreen, and every XDG directory in a temporary one.
    QProcessEnvironment environment(const QString &home) const;

    QTemporaryDir m_home;
};

void tst_SignetApp::initTestCase()
{
    QVERIFY(m_home.isValid());
    QVERIFY2(QFileInfo(QStringLiteral(SIGNET_BINARY)).isExecutable(), SIGNET_BINARY);
}

QProcessEnvironment tst_SignetApp::environment(const QString &home) const
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
    environment.insert(QStringLiteral("HOME"), home);
    environment.insert(QStringLiteral("XDG_RUNTIME_DIR"), home);
    environment.insert(QStringLiteral("XDG_CACHE_HOME"), home + QStringLiteral("/cache"));
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    environment.remove(QStringLiteral("QT_MESSAGE_PATTERN"));
    environment.remove(QStringLiteral("QT_LOGGING_RULES"));
    return environment;
}

void tst_SignetApp::version()
{
    QProcess signet;
    QProcessEnvironment env = environment(m_home.path());
    // --version must not need a display.
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    env.remove(QStringLiteral("DISPLAY"));
    env.remove(QStringLiteral("WAYLAND_DISPLAY"));
    signet.setProcessEnvironment(env);
    signet.start(QStringLiteral(SIGNET_BINARY), {QStringLiteral("--version")});
    QVERIFY(signet.waitForFinished(10000));
    QCOMPARE(signet.exitStatus(), QProcess::NormalExit);
    QCOMPARE(signet.exitCode(), 0);
    QCOMPARE(signet.readAllStandardOutput(), QByteArray("signet " SIGNET_VERSION "\n"));
}

void tst_SignetApp::help()
{
    QProcess signet;
    QProcessEnvironment env = environment(m_home.path());
    env.remove(QStringLiteral("QT_QPA_PLATFORM"));
    env.remove(QStringLiteral("DISPLAY"));
    signet.setProcessEnvironment(env);
    signet.start(QStringLiteral(SIGNET_BINARY), {QStringLiteral("--help")});
    QVERIFY(signet.waitForFinished(10000));
    QCOMPARE(signet.exitCode(), 0);
    const QByteArray out = signet.readAllStandardOutput();
    QVERIFY2(out.contains("--socket") && out.contains("--version") && out.contains("signet-agent"), out.constData());
}

void tst_SignetApp::unexpectedArgument()
{
    QProcess signet;
    signet.setProcessEnvironment(environment(m_home.path()));
    signet.start(QStringLiteral(SIGNET_BINARY), {QStringLiteral("surprise")});
    QVERIFY(signet.waitForFinished(10000));
    QCOMPARE(signet.exitCode(), 2);
    QVERIFY(signet.readAllStandardError().contains("surprise"));
}

void tst_SignetApp::loadsEveryPageWithoutQmlWarnings_data()
{
    QTest::addColumn<QString>("scale");
    QTest::addColumn<QString>("locale");
    QTest::newRow("100 %, English") << QStringLiteral("1") << QStringLiteral("C.UTF-8");
    QTest::newRow("200 %, German") << QStringLiteral("2") << QStringLiteral("de_DE.UTF-8");
}

void tst_SignetApp::loadsEveryPageWithoutQmlWarnings()
{
    QFETCH(QString, scale);
    QFETCH(QString, locale);
    QTemporaryDir runtime;
    QVERIFY(runtime.isValid());
    FakeAgent agent;
    agent.autoRespond = true;
    agent.providers = {FakeAgent::provider(QStringLiteral("demo"), QStringLiteral("Demo identity provider")),
                       FakeAgent::provider(QStringLiteral("broken"), QStringLiteral("Broken"), false, QStringLiteral("issuer is missing"))};
    // A sign-in started elsewhere: the window joins it, which brings up the signing-in page.
    agent.runningSignIn = {{QStringLiteral("provider"), QStringLiteral("demo")}, {QStringLiteral("url"), QJsonValue::Null}};
    QVERIFY(agent.listen(runtime.filePath(QStringLiteral("agent.sock"))));

    QProcess signet;
    QProcessEnvironment env = environment(m_home.path());
    env.insert(QStringLiteral("QT_SCALE_FACTOR"), scale);
    env.insert(QStringLiteral("LC_ALL"), locale);
    signet.setProcessEnvironment(env);
    signet.start(QStringLiteral(SIGNET_BINARY), {QStringLiteral("--socket"), agent.socketPath(), QStringLiteral("--no-browser")});
    QVERIFY(signet.waitForStarted(10000));

    const auto settle = [&signet] {
        QTest::qWait(250); // let the page switch, lay out and render
        QCOMPARE(signet.state(), QProcess::Running);
    };

    QTRY_COMPARE_WITH_TIMEOUT(agent.count(QStringLiteral("subscribe")), 1, 15000);
    QVERIFY(agent.lastRequest(QStringLiteral("hello")).params.value(QLatin1String("client")).toString().startsWith(QLatin1String("signet/")));
    QTRY_COMPARE(agent.count(QStringLiteral("signin")), 1);
    const auto signin = agent.lastRequest(QStringLiteral("signin"));
    settle();
    agent.sendEvent(QStringLiteral("authorization-url"),
                    {{QStringLiteral("provider"), QStringLiteral("demo")}, {QStringLiteral("url"), QStringLiteral("http://127.0.0.1:4000/auth?state=x")}},
                    signin.id);
    settle();
    agent.sendError(signin.id, QStringLiteral("access_denied"), QStringLiteral("You declined."));
    settle();
    agent.sendEvent(QStringLiteral("signed-in"),
                    {{QStringLiteral("identity"), FakeAgent::identityFor(QStringLiteral("demo"), QStringLiteral("Alice"), QStringLiteral("alice@example.com"), false, 90)}});
    settle();
    agent.sendEvent(QStringLiteral("signed-out"), {{QStringLiteral("provider"), QStringLiteral("demo")}, {QStringLiteral("reason"), QStringLiteral("expired")}});
    settle();
    agent.close();
    settle();

    signet.terminate();
    QVERIFY(signet.waitForFinished(10000));
    const QString errors = QString::fromLocal8Bit(signet.readAllStandardError());
    // QML errors and warnings name a qrc: URL or a .qml file, or are one of the engine's messages.
    static const QRegularExpression qmlProblem(
        QStringLiteral("qrc:|\\.qml|QML|TypeError|ReferenceError|Binding loop|Polish loop|Unable to assign|Cannot read property|is not a function"));
    for (const QString &line : errors.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        QVERIFY2(!qmlProblem.match(line).hasMatch(), qPrintable(QStringLiteral("QML problem: ") + line));
        if (!line.startsWith(QLatin1String("signet.")))
            qInfo().noquote() << "signet said:" << line;
    }
}

// One window per user: a second `signet` asks the first to come to the front and exits at once.
void tst_SignetApp::secondLaunchRaisesTheFirst()
{
    QTemporaryDir runtime;
    QVERIFY(runtime.isValid());
    FakeAgent agent;
    agent.autoRespond = true;
    agent.providers = {FakeAgent::provider(QStringLiteral("demo"), QStringLiteral("Demo identity provider"))};
    QVERIFY(agent.listen(runtime.filePath(QStringLiteral("agent.sock"))));
    const QStringList arguments{QStringLiteral("--socket"), agent.socketPath(), QStringLiteral("--no-browser")};

    QProcess first;
    first.setProcessEnvironment(environment(m_home.path()));
    first.start(QStringLiteral(SIGNET_BINARY), arguments);
    QVERIFY(first.waitForStarted(10000));
    QTRY_COMPARE_WITH_TIMEOUT(agent.count(QStringLiteral("subscribe")), 1, 15000);

    QProcess second;
    second.setProcessEnvironment(environment(m_home.path()));
    second.start(QStringLiteral(SIGNET_BINARY), arguments);
    QVERIFY(second.waitForFinished(15000));
    QCOMPARE(second.exitCode(), 0);
    QVERIFY2(second.readAllStandardError().contains("brought to the front"), "the second launch did not find the first");
    QCOMPARE(agent.count(QStringLiteral("hello")), 1); // the second never connected to the agent
    QByteArray firstSaid;
    QTRY_VERIFY2_WITH_TIMEOUT((firstSaid += first.readAllStandardError()).contains("come to the front"), firstSaid.constData(), 5000);
    QCOMPARE(first.state(), QProcess::Running);

    // --new-instance opens another window anyway (tests, debugging).
    QProcess third;
    third.setProcessEnvironment(environment(m_home.path()));
    third.start(QStringLiteral(SIGNET_BINARY), arguments + QStringList{QStringLiteral("--new-instance")});
    QVERIFY(third.waitForStarted(10000));
    QTRY_COMPARE_WITH_TIMEOUT(agent.count(QStringLiteral("hello")), 2, 15000);
    third.terminate();
    first.terminate();
    QVERIFY(third.waitForFinished(10000));
    QVERIFY(first.waitForFinished(10000));
}

void tst_SignetApp::startsTheAgentWhenNoneRuns_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<bool>("agentRunsFirst");
    QTest::addColumn<bool>("agentStarted");
    QTest::newRow("nothing answers") << QStringList{} << false << true;
    QTest::newRow("an agent answers") << QStringList{} << true << false;
    QTest::newRow("--no-start-agent") << QStringList{QStringLiteral("--no-start-agent")} << false << false;
}

// With nothing on the default socket, `signet` starts the signet-agent beside it (docs/window.md): a
// copy of the real binary with a stub agent next to it (the window finds the agent by its own
// directory, which for a symlink would be the build's), in a runtime directory of its own. The stub
// records how it was started; the fake agent then appears on the socket, and the window, which kept
// retrying, connects.
void tst_SignetApp::startsTheAgentWhenNoneRuns()
{
    QFETCH(QStringList, arguments);
    QFETCH(bool, agentRunsFirst);
    QFETCH(bool, agentStarted);

    QTemporaryDir runtime;
    QTemporaryDir bin;
    QVERIFY(runtime.isValid() && bin.isValid());
    QVERIFY(QDir(runtime.path()).mkdir(QStringLiteral("signet")));
    const QString signetCopy = bin.filePath(QStringLiteral("signet"));
    QVERIFY(QFile::copy(QStringLiteral(SIGNET_BINARY), signetCopy));
    const QString record = bin.filePath(QStringLiteral("agent-started"));
    {
        QFile stub(bin.filePath(QStringLiteral("signet-agent")));
        QVERIFY(stub.open(QIODevice::WriteOnly));
        // Its working directory, then its arguments, one a line; written whole, then renamed, so the
        // test never reads half of it.
        stub.write("#!/bin/sh\n{ pwd; echo \"$#\"; for a in \"$@\"; do echo \"$a\"; done; } > \"$SIGNET_TEST_RECORD.part\"\n"
                   "mv \"$SIGNET_TEST_RECORD.part\" \"$SIGNET_TEST_RECORD\"\n");
        stub.close();
        QVERIFY(stub.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
    }

    FakeAgent agent;
    agent.autoRespond = true;
    agent.providers = {FakeAgent::provider(QStringLiteral("demo"), QStringLiteral("Demo identity provider"))};
    const QString socket = runtime.filePath(QStringLiteral("signet/agent.sock"));
    if (agentRunsFirst)
        QVERIFY(agent.listen(socket));

    QProcess signet;
    QProcessEnvironment env = environment(m_home.path());
    env.insert(QStringLiteral("XDG_RUNTIME_DIR"), runtime.path());
    env.insert(QStringLiteral("SIGNET_TEST_RECORD"), record);
    signet.setProcessEnvironment(env);
    signet.start(signetCopy, arguments + QStringList{QStringLiteral("--no-browser")});
    QVERIFY(signet.waitForStarted(10000));
    const auto stop = qScopeGuard([&signet] {
        signet.terminate();
        signet.waitForFinished(10000);
    });

    if (agentStarted) {
        // Detached, in / (so it keeps no directory busy), with no arguments: the default socket.
        QTRY_COMPARE_WITH_TIMEOUT(fileContents(record), QByteArray("/\n0\n"), 15000);
    } else if (!agentRunsFirst) {
        QTest::qWait(2000); // long enough for a start that should not happen (it comes before the window)
    }
    if (!agentRunsFirst)
        QVERIFY(agent.listen(socket));
    // The window retries with backoff (250 ms, doubling) until an agent answers.
    QTRY_VERIFY_WITH_TIMEOUT(agent.count(QStringLiteral("subscribe")) >= 1, 20000);
    QCOMPARE(signet.state(), QProcess::Running);
    const QByteArray said = signet.readAllStandardError();
    QVERIFY2(said.contains("signet-agent as pid") == agentStarted, said.constData());
    if (!agentStarted)
        QVERIFY2(!QFile::exists(record), fileContents(record).constData());
}

SIGNET_TEST_GUILESS_MAIN(tst_SignetApp)
#include "tst_signetapp.moc"
