#include "agentlauncher.h"

#include <QFileInfo>
#include <QLocalSocket>
#include <QLoggingCategory>
#include <QProcess>

namespace Signet {

namespace {
Q_LOGGING_CATEGORY(lcLauncher, "signet.ui.launcher", QtInfoMsg)
}

AgentLaunch ensureAgentRunning(const QString &socketPath, const QString &agentProgram, QString *message)
{
    if (socketPath.isEmpty()) {
        *message = QStringLiteral("XDG_RUNTIME_DIR is not set; not starting signet-agent");
        return AgentLaunch::Failed;
    }
    {
        QLocalSocket probe;
        probe.connectToServer(socketPath);
        // The agent accepts at once when it runs; socket activation accepts on its behalf.
        if (probe.waitForConnected(300)) {
            probe.disconnectFromServer();
            return AgentLaunch::Answered;
        }
    }
    const QFileInfo program(agentProgram);
    if (!program.isExecutable()) {
        *message = QStringLiteral("%1 is not an executable; start signet-agent yourself").arg(agentProgram);
        return AgentLaunch::Failed;
    }
    qint64 pid = 0;
    // Detached and in /, so that it neither dies with the window nor keeps a directory busy.
    if (!QProcess::startDetached(program.absoluteFilePath(), {}, QStringLiteral("/"), &pid)) {
        *message = QStringLiteral("could not start %1").arg(program.absoluteFilePath());
        return AgentLaunch::Failed;
    }
    qCInfo(lcLauncher).noquote() << "started" << program.absoluteFilePath() << "as pid" << pid;
    return AgentLaunch::Started;
}

} // namespace Signet
