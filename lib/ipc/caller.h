#pragma once

#include <QString>

namespace Signet {

// Who is on the other end of a connection: the program, as the kernel knows it, not as the program
// says (docs/ipc.md "Who is calling", docs/threat-model.md).
//
// The executable comes from /proc/<pid>/exe, read through a pidfd so that a pid reused between the
// connection and the look-up is noticed (Linux has no race-free "peer's pidfd" before 6.5's
// SO_PEERPIDFD, which is used where the kernel has it). The file must still be the one the process
// runs (same device and inode): after an upgrade replaced it, the caller is not identified until
// it restarts. For interpreters (python3, node, bash, ...) the identity is the interpreter plus
// the script from the command line — weaker, since a process can rewrite its own command line;
// the threat model says so.
struct Caller {
    qint64 pid = -1;
    QString exe;     // canonical path of the executable; empty when not identified
    QString script;  // canonical path of the script when exe is an interpreter
    QString problem; // why the caller is not identified (a sentence), empty when it is

    bool isIdentified() const { return problem.isEmpty() && !exe.isEmpty(); }
    // A stable key for grants: "exe:/usr/bin/foo" or "script:/usr/bin/python3.11:/opt/sync.py".
    QString id() const;
    // A short name for people: the script's or the executable's file name.
    QString displayName() const;

    // Identifies the peer of a connected UNIX socket. `pid` is the peer's pid from SO_PEERCRED.
    static Caller identify(int socketDescriptor, qint64 pid);
    // Identifies a process by pid (the caller's own process in tests).
    static Caller identifyProcess(qint64 pid);
    // Whether an executable is a known interpreter: its own path is not an identity.
    static bool isInterpreter(const QString &path);
};

} // namespace Signet
