#pragma once

#include <QString>

namespace Signet {

// Starting the window starts the agent when none runs (where systemd socket activation does not
// already do it): signet-agent from the same directory as the window, detached, so that it outlives
// the window. The window's controller then connects with its usual backoff.
//
// Returns Answered when an agent answers at socketPath, Started when signet-agent was started,
// and Failed (with *message saying why) when neither.
enum class AgentLaunch {
    Answered,
    Started,
    Failed,
};

AgentLaunch ensureAgentRunning(const QString &socketPath, const QString &agentProgram, QString *message);

} // namespace Signet
