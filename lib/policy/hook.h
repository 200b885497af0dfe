#pragma once

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QProcess>
#include <QStringList>
#include <QTimer>

#include <chrono>

namespace Signet {

// One run of a program IT configured (pre_signin, on_signin, on_signout; docs/policy.md): started
// directly, never through a shell, with a JSON document on standard input. A job: start(), then
// exactly one finished(); succeeded(), message() and failure() afterwards.
//
// It can never hang or crash the agent: a run that does not finish within the timeout is killed;
// only the first 4 KiB of standard output are kept (its first line is the message); standard
// error is discarded (a hook that was given an access token might print it).
class Hook : public QObject
{
    Q_OBJECT
public:
    Hook(const QString &name, const QStringList &command, std::chrono::seconds timeout, QObject *parent = nullptr);
    ~Hook() override;

    void start(const QByteArray &input);

    // Exited normally with status 0.
    bool succeeded() const { return m_succeeded; }
    // The first line of its standard output: what the person is told when pre_signin refuses.
    QString message() const { return m_message; }
    // Why it did not run to an exit status (could not start, crashed, timed out); empty otherwise.
    QString failure() const { return m_failure; }
    int exitCode() const { return m_exitCode; }

    static constexpr qint64 MaxOutputBytes = 4096;

Q_SIGNALS:
    void finished();

private:
    void finish();

    QString m_name;
    QStringList m_command;
    std::chrono::seconds m_timeout;
    QProcess m_process;
    QTimer m_deadline;
    QByteArray m_output;
    bool m_succeeded = false;
    bool m_done = false;
    int m_exitCode = -1;
    QString m_message;
    QString m_failure;
};

} // namespace Signet
