// Who is calling: the executable from /proc, interpreters named with their script, the cases that
// must stay unidentified (inline code, a replaced program file, a process that is gone).

#include "ipc/caller.h"

#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Signet;

class TestCaller : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    QString writeScript(const QString &name, const QByteArray &text)
    {
        QFile file(m_dir.filePath(name));
        if (!file.open(QIODevice::WriteOnly))
            return {};
        file.write(text);
        return QFileInfo(file.fileName()).canonicalFilePath();
    }

    // Starts a program that waits until it is killed, and waits until it has exec'd (its
    // /proc/<pid>/exe is no longer this test).
    std::unique_ptr<QProcess> start(const QString &program, const QStringList &arguments, const QString &workingDirectory = {})
    {
        auto process = std::make_unique<QProcess>();
        if (!workingDirectory.isEmpty())
            process->setWorkingDirectory(workingDirectory);
        process->start(program, arguments);
        if (!process->waitForStarted(5000))
            return nullptr;
        const QString self = QFileInfo(QCoreApplication::applicationFilePath()).canonicalFilePath();
        QDeadlineTimer deadline(5000);
        while (QFile::symLinkTarget(QStringLiteral("/proc/%1/exe").arg(process->processId())) == self && !deadline.hasExpired())
            QTest::qWait(5);
        QTest::qWait(50); // interpreters: past their own start-up
        return process;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void identifiesItsOwnProcess()
    {
        const Caller caller = Caller::identifyProcess(QCoreApplication::applicationPid());
        QVERIFY2(caller.isIdentified(), qPrintable(caller.problem));
        QCOMPARE(caller.exe, QFileInfo(QCoreApplication::applicationFilePath()).canonicalFilePath());
        QVERIFY(caller.script.isEmpty());
        QCOMPARE(caller.id(), QStringLiteral("exe:") + caller.exe);
        QCOMPARE(caller.displayName(), QStringLiteral("tst_caller"));
    }

    void aProcessThatIsGoneIsNotIdentified()
    {
        QProcess process;
        process.start(QStringLiteral("/bin/true"));
        QVERIFY(process.waitForFinished(5000));
        const Caller caller = Caller::identifyProcess(process.processId());
        QVERIFY(!caller.isIdentified());
        QVERIFY(caller.id().isEmpty());
        QVERIFY(!caller.problem.isEmpty());
    }

    void interpreters_data()
    {
        QTest::addColumn<QString>("interpreter");
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("script");  // expected, by file name; empty: not identified
        QTest::addColumn<QString>("problem"); // part of the problem when not identified

        const QString py = QStringLiteral("import time\ntime.sleep(30)\n");
        writeScript(QStringLiteral("app.py"), py.toUtf8());
        writeScript(QStringLiteral("app.sh"), "sleep 30\n");
        writeScript(QStringLiteral("app.js"), "setTimeout(() => {}, 30000);\n");
        const QString dir = m_dir.path();
        QTest::newRow("python script") << "python3" << QStringList{dir + QStringLiteral("/app.py")} << "app.py" << "";
        QTest::newRow("python with flags") << "python3" << QStringList{QStringLiteral("-u"), QStringLiteral("-W"), QStringLiteral("ignore"), dir + QStringLiteral("/app.py")} << "app.py" << "";
        QTest::newRow("python relative path") << "python3" << QStringList{QStringLiteral("app.py")} << "app.py" << "";
        QTest::newRow("python -c") << "python3" << QStringList{QStringLiteral("-c"), py} << "" << "inline code";
        QTest::newRow("python -m") << "python3" << QStringList{QStringLiteral("-m"), QStringLiteral("http.server"), QStringLiteral("0")} << "" << "inline code";
        QTest::newRow("bash script") << "bash" << QStringList{dir + QStringLiteral("/app.sh")} << "app.sh" << "";
        QTest::newRow("bash -e script") << "bash" << QStringList{QStringLiteral("-e"), dir + QStringLiteral("/app.sh")} << "app.sh" << "";
        QTest::newRow("bash -c") << "bash" << QStringList{QStringLiteral("-c"), QStringLiteral("sleep 30; true")} << "" << "inline code";
        QTest::newRow("bash bundled -ec") << "bash" << QStringList{QStringLiteral("-ec"), QStringLiteral("sleep 30; true")} << "" << "inline code";
        QTest::newRow("node script") << "node" << QStringList{dir + QStringLiteral("/app.js")} << "app.js" << "";
        QTest::newRow("node -e") << "node" << QStringList{QStringLiteral("-e"), QStringLiteral("setTimeout(() => {}, 30000)")} << "" << "inline code";
        QTest::newRow("perl -e") << "perl" << QStringList{QStringLiteral("-e"), QStringLiteral("sleep 30")} << "" << "inline code";
    }

    void interpreters()
    {
        QFETCH(QString, interpreter);
        QFETCH(QStringList, arguments);
        QFETCH(QString, script);
        QFETCH(QString, problem);
        // Debian's own (a version manager's shim on PATH would be a script exec'ing another binary).
        const QString system = QStringLiteral("/usr/bin/") + interpreter;
        const QString program = QFileInfo::exists(system) ? system : QStandardPaths::findExecutable(interpreter);
        QVERIFY2(!program.isEmpty(), qPrintable(interpreter + QStringLiteral(" is not installed (scripts/install-deps.sh installs it)")));
        const auto process = start(program, arguments, m_dir.path());
        QVERIFY(process);
        const Caller caller = Caller::identifyProcess(process->processId());
        process->kill();
        process->waitForFinished(5000);
        QVERIFY(Caller::isInterpreter(caller.exe.isEmpty() ? program : caller.exe));
        if (script.isEmpty()) {
            QVERIFY(!caller.isIdentified());
            QVERIFY2(caller.problem.contains(problem), qPrintable(caller.problem));
        } else {
            QVERIFY2(caller.isIdentified(), qPrintable(caller.problem));
            QCOMPARE(caller.exe, QFileInfo(program).canonicalFilePath());
            QCOMPARE(QFileInfo(caller.script).fileName(), script);
            QVERIFY(QFileInfo(caller.script).isAbsolute());
            QCOMPARE(caller.id(), QStringLiteral("script:%1:%2").arg(caller.exe, caller.script));
            QCOMPARE(caller.displayName(), script);
        }
    }

    // After an upgrade replaced the program file, the running process is no longer what the path
    // names: not identified until it restarts.
    void aReplacedProgramIsNotIdentified()
    {
        const QString copy = m_dir.filePath(QStringLiteral("myapp"));
        QVERIFY(QFile::copy(QStringLiteral("/bin/sleep"), copy));
        QVERIFY(QFile::setPermissions(copy, QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner));
        const auto process = start(copy, {QStringLiteral("30")});
        QVERIFY(process);
        const Caller before = Caller::identifyProcess(process->processId());
        QVERIFY2(before.isIdentified(), qPrintable(before.problem));
        QCOMPARE(before.exe, QFileInfo(copy).canonicalFilePath());
        QVERIFY(QFile::remove(copy));
        QVERIFY(QFile::copy(QStringLiteral("/bin/sleep"), copy));
        const Caller after = Caller::identifyProcess(process->processId());
        process->kill();
        process->waitForFinished(5000);
        QVERIFY(!after.isIdentified());
        QVERIFY2(after.problem.contains(QStringLiteral("no longer")), qPrintable(after.problem));
    }

    void isInterpreter_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<bool>("interpreter");
        QTest::newRow("python3.11") << "/usr/bin/python3.11" << true;
        QTest::newRow("python3") << "/usr/bin/python3" << true;
        QTest::newRow("perl5.36.0") << "/usr/bin/perl5.36.0" << true;
        QTest::newRow("node") << "/usr/bin/node" << true;
        QTest::newRow("bash") << "/usr/bin/bash" << true;
        QTest::newRow("dash") << "/usr/bin/dash" << true;
        QTest::newRow("dynamic loader") << "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" << true;
        QTest::newRow("signetctl") << "/usr/bin/signetctl" << false;
        QTest::newRow("pythonista app") << "/opt/pythonista" << false;
        QTest::newRow("bashful") << "/usr/bin/bashful" << false;
    }

    void isInterpreter()
    {
        QFETCH(QString, path);
        QFETCH(bool, interpreter);
        QCOMPARE(Caller::isInterpreter(path), interpreter);
    }
};

QTEST_GUILESS_MAIN(TestCaller)
#include "tst_caller.moc"
