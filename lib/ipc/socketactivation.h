#pragma once

#include <QString>

namespace Signet {

// systemd socket activation (sd_listen_fds(3), implemented here by hand: libsystemd is not a
// dependency). systemd, or systemd-socket-activate, creates $XDG_RUNTIME_DIR/signet/agent.sock,
// listens, and starts the agent with the listening socket as fd 3 and LISTEN_PID/LISTEN_FDS set.
namespace SocketActivation {

// The first passed descriptor (SD_LISTEN_FDS_START).
constexpr int FirstDescriptor = 3;

// What the environment says about passed sockets.
enum class Outcome {
    NotActivated, // no LISTEN_FDS for this process: listen on our own
    Adopted,      // *descriptor is the listening socket at expectedPath
    Refused,      // sockets were passed but not the one we expect: *errorMessage says why
};

// Checks LISTEN_PID (must be this process), LISTEN_FDS (exactly one), and that fd 3 is a
// listening UNIX stream socket bound to expectedPath. Unsets LISTEN_PID, LISTEN_FDS and
// LISTEN_FDNAMES so children (hooks, the browser) do not inherit them, and marks every passed
// descriptor close-on-exec.
Outcome adopt(const QString &expectedPath, int *descriptor, QString *errorMessage);

} // namespace SocketActivation
} // namespace Signet
