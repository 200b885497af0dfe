#include "hook.h"

#include "logging/logging.h"
#include "net/wellformed.h"

namespace Signet {

Hook::Hook(const QString &name, const QStringList &command, std::chrono::seconds timeout, QObject *parent)
    : QObject(parent)
    , m_name(name)
    , m_command(command)
    , m_timeout(timeout)
{
    m_process.setStandardErrorFile(QProcess::nullDevice());
    m_process.setProgram(command.value(0));
    m_process.setArguments(command.mid(1));
    connect(&m_process, &QProcess::readyReadStandardOutput, this, [this] {
        const QByteArray chunk = m_process.readAllStandardOutput();
        if (m_output.size() < MaxOutputBytes)
            m_output += chunk.left(MaxOutputBytes - m_output.size());
    });
    connect(&m_process, &QProcess::errorOccurred, this, [this](QProcess::ProcessError error) {
        if (error == QProcess::FailedToStart) {
            m_failure = tr("it could not be started (%1)").arg(m_process.errorString());
            finish();
        }
    });
    connect(&m_process, &QProcess::finished, this, [this](int exitCode, QProcess::ExitStatus status) {
        m_exitCode = exitCode;
        if (status == QProcess::CrashExit && m_failure.isEmpty())
            m_failure = tr("it crashed");
        m_succeeded = status == QProcess::NormalExit && exitCode == 0 && m_failure.isEmpty();
        finish();
    });
    m_deadline.setSingleShot(true);
    connect(&m_deadline, &QTimer::timeout, this, [this] {
        m_failure = tr("it did not finish within %n second(s)", nullptr, int(m_timeout.count()));
        m_process.kill();
    });
}

Hook::~Hook()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(1000);
    }
}

void Hook::start(const QByteArray &input)
{
    qCInfo(lcSession).noquote() << "running the" << m_name << "hook" << m_command.value(0);
    m_deadline.start(m_timeout);
    m_process.start(QIODevice::ReadWrite);
    m_process.write(input);
    m_process.closeWriteChannel();
}

void Hook::finish()
{
    if (m_done)
        return;
    m_done = true;
    m_deadline.stop();
    m_output += m_process.readAllStandardOutput().left(qMax<qint64>(0, MaxOutputBytes - m_output.size()));
    m_message = printableText(QString::fromUtf8(m_output.left(m_output.indexOf('\n') < 0 ? m_output.size() : m_output.indexOf('\n'))));
    if (m_failure.isEmpty())
        qCInfo(lcSession).noquote() << "the" << m_name << "hook exited with" << m_exitCode;
    else
        qCWarning(lcSession).noquote() << "the" << m_name << "hook failed:" << m_failure;
    // Later: the receiver may delete us, and QProcess is still in its own signal.
    QMetaObject::invokeMethod(this, &Hook::finished, Qt::QueuedConnection);
}

} // namespace Signet
