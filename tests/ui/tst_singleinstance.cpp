// One window per user (SingleInstance) and starting the agent with the window (ensureAgentRunning).
// The two-process case (a second launch raising the first) is in tst_signetapp, with the real binary.

#include "agentlauncher.h"
#include "fakeagent.h"
#include "singleinstance.h"
#include "testmain.h"

#include <QFile>
#include <QLocalSocket>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using Signet::SingleInstance;

class tst_SingleInstance : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void firstIsPrimaryAndHearsLaterLaunches();
    void staleLockIsTakenOver();
    void noRuntimeDirectory();
    void agentThatAnswersIsLeftAlone();
    void agentIsStartedWhenNoneAnswers();
    void missingAgentProgramIsReported();
};

void tst_SingleInstance::firstIsPrimaryAndHearsLaterLaunches()
{
    QTemporaryDir dir;
    SingleInstance first(dir.filePath(QStringLiteral("signet")));
    QCOMPARE(first.claim(), SingleInstance::Role::Primary);
    QCOMPARE(QFile::permissions(dir.filePath(QStringLiteral("signet"))) & (QFileDevice::ReadOther | QFileDevice::ReadGroup), QFileDevice::Permissions());
    QSignalSpy activated(&first, &SingleInstance::activationRequested);

    // What a second launch sends (it blocks, so it is played here by hand).
    QLocalSocket second;
    second.connectToServer(first.socketPath());
    QVERIFY(second.waitForConnected(2000));
    second.write(SingleInstance::Greeting);
    QTRY_COMPARE(activated.size(), 1);
    QTRY_VERIFY(second.canReadLine());
    QCOMPARE(second.readLine(), QByteArray("ok\n"));

    // Anything else is not an activation.
    QLocalSocket stranger;
    stranger.connectToServer(first.socketPath());
    QVERIFY(stranger.waitForConnected(2000));
    stranger.write("hello\n");
    QTRY_COMPARE(stranger.state(), QLocalSocket::UnconnectedState);
    QCOMPARE(activated.size(), 1);
}

// A window that crashed leaves its lock and socket behind; the next one takes over.
void tst_SingleInstance::staleLockIsTakenOver()
{
    QTemporaryDir dir;
    QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("signet")));
    QFile lock(dir.filePath(QStringLiteral("signet/window.lock")));
    QVERIFY(lock.open(QIODevice::WriteOnly));
    // QLockFile's format: pid, application name, host name. No process has pid 2^22+1 on Linux.
    lock.write("4194305\nsignet\n" + QSysInfo::machineHostName().toUtf8() + "\n");
    lock.close();
    QFile leftover(dir.filePath(QStringLiteral("signet/window.sock")));
    QVERIFY(leftover.open(QIODevice::WriteOnly));
    leftover.close();
    SingleInstance instance(dir.filePath(QStringLiteral("signet")));
    QCOMPARE(instance.claim(), SingleInstance::Role::Primary);
}

void tst_SingleInstance::noRuntimeDirectory()
{
    const QByteArray saved = qgetenv("XDG_RUNTIME_DIR");
    qunsetenv("XDG_RUNTIME_DIR");
    SingleInstance instance;
    qputenv("XDG_RUNTIME_DIR", saved);
    QCOMPARE(instance.claim(), SingleInstance::Role::Failed);
    QVERIFY(instance.errorString().contains(QLatin1String("XDG_RUNTIME_DIR")));
}

void tst_SingleInstance::agentThatAnswersIsLeftAlone()
{
    QTemporaryDir dir;
    FakeAgent agent;
    QVERIFY(agent.listen(dir.filePath(QStringLiteral("agent.sock"))));
    QString message;
    // The program would leave a mark if it were started.
    QCOMPARE(Signet::ensureAgentRunning(agent.socketPath(), QStringLiteral("/bin/false"), &message), Signet::AgentLaunch::Answered);
}

void tst_SingleInstance::agentIsStartedWhenNoneAnswers()
{
    QTemporaryDir dir;
    const QString marker = dir.filePath(QStringLiteral("started"));
    const QString program = dir.filePath(QStringLiteral("signet-agent"));
    QFile script(program);
    QVERIFY(script.open(QIODevice::WriteOnly));
    script.write("#!/bin/sh\necho \"$PWD\" > '" + QFile::encodeName(marker) + "'\n");
    script.close();
    QVERIFY(script.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
    QString message;
    QCOMPARE(Signet::ensureAgentRunning(dir.filePath(QStringLiteral("nobody.sock")), program, &message), Signet::AgentLaunch::Started);
    QTRY_COMPARE(fileContents(marker), QByteArray("/\n")); // detached, in /
}

void tst_SingleInstance::missingAgentProgramIsReported()
{
    QTemporaryDir dir;
    QString message;
    QCOMPARE(Signet::ensureAgentRunning(dir.filePath(QStringLiteral("nobody.sock")), dir.filePath(QStringLiteral("signet-agent")), &message),
             Signet::AgentLaunch::Failed);
    QVERIFY2(message.contains(QLatin1String("signet-agent")), qPrintable(message));
    QCOMPARE(Signet::ensureAgentRunning(QString(), dir.filePath(QStringLiteral("signet-agent")), &message), Signet::AgentLaunch::Failed);
    QVERIFY2(message.contains(QLatin1String("XDG_RUNTIME_DIR")), qPrintable(message));
}

QTEST_GUILESS_MAIN(tst_SingleInstance)
#include "tst_singleinstance.moc"
