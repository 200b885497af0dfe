#!/usr/bin/env bash
# The XDG autostart entry (installer/linux/signet-agent-autostart.desktop), for desktops without
# systemd: its Exec line, parsed from the file and run as a session manager would, starts an agent
# that answers `signetctl status`; run again while an agent that socket activation started is
# serving, it exits saying another agent runs and leaves that one alone; and where systemd's
# signet-agent.socket is active it starts nothing. Usage: autostart.sh <build/bin> <source dir>
set -euo pipefail
bin=$1
entry=$2/installer/linux/signet-agent-autostart.desktop
. "$(dirname "$0")/world.sh" autostart

# What systemd would answer about signet-agent.socket, decided by the test: a stand-in systemctl
# first in PATH (the real one would ask this machine's user manager, if any), then the build's
# programs as the package installs them, by name.
mkdir -p "$work/path"
cat >"$work/path/systemctl" <<'SH'
#!/bin/sh
echo "systemctl $*" >>"$SIGNET_TEST_SYSTEMCTL_LOG"
[ "$*" = "--user -q is-active signet-agent.socket" ] && [ "$SIGNET_TEST_SOCKET_ACTIVE" = 1 ] && exit 0
exit 3
SH
chmod +x "$work/path/systemctl"
export PATH=$work/path:$bin:$PATH SIGNET_TEST_SYSTEMCTL_LOG=$work/systemctl.log SIGNET_TEST_SOCKET_ACTIVE=0

# The entry's Exec line as a launcher splits it (Desktop Entry Specification, "The Exec key": quoted
# arguments, no field codes here).
exec_line=$(sed -n 's/^Exec=//p' "$entry")
[ "$(grep -c '^Exec=' "$entry")" = 1 ] || fail "the entry does not have exactly one Exec line"
grep -q '%[fFuUick]' <<<"$exec_line" && fail "the Exec line has a field code; a session manager would pass nothing for it"
mapfile -t argv < <(python3 -c 'import shlex, sys; print("\n".join(shlex.split(sys.argv[1])))' "$exec_line")
[ "${#argv[@]}" -gt 0 ] || fail "cannot parse Exec=$exec_line"
try_exec=$(sed -n 's/^TryExec=//p' "$entry")
[ "$(command -v "$try_exec")" = "$bin/signet-agent" ] || fail "TryExec=$try_exec does not name the installed signet-agent"

finished() { # sets $status to background process $1's exit status; fails when it still runs 10 s later
  for _ in $(seq 1 200); do running "$1" || break; sleep 0.05; done
  if running "$1"; then kill "$1" 2>/dev/null || true; fail "$2 was still running 10 s later"; fi
  status=0; wait "$1" || status=$?
}

echo "1. no systemd socket: the Exec line starts the agent, which answers signetctl status"
"${argv[@]}" >"$work/autostart.log" 2>&1 &
agent=$!; pids+=("$agent")
wait_for "$socket" || fail "no agent listens on $socket"
signetctl status >"$work/status.log" 2>&1 || fail "signetctl status failed (exit $?)"
grep -q "^State: *signed out" "$work/status.log" || fail "unexpected status output"
# The shell of the Exec line became the agent (exec): a session manager that tracks or ends the
# process it started reaches the agent itself.
[ "$(cat /proc/"$agent"/comm)" = signet-agent ] || fail "the started process is $(cat /proc/"$agent"/comm), not the agent (no exec?)"
grep -qx "systemctl --user -q is-active signet-agent.socket" "$work/systemctl.log" || fail "the entry did not ask systemd about its socket first"
kill -TERM "$agent"; finished "$agent" "the autostarted agent after SIGTERM"
[ "$status" = 0 ] || fail "the autostarted agent exited with $status on SIGTERM"

echo "2. an agent that socket activation started is serving: the entry's agent exits saying so, the first one goes on"
command -v systemd-socket-activate >/dev/null || fail "systemd-socket-activate is missing (package systemd; scripts/install-deps.sh installs it)"
mkdir -p -m 700 "$XDG_RUNTIME_DIR/signet"
rm -f "$socket"
pass=()
for name in HOME XDG_RUNTIME_DIR XDG_CONFIG_HOME XDG_CONFIG_DIRS XDG_STATE_HOME XDG_DATA_HOME XDG_CACHE_HOME DBUS_SESSION_BUS_ADDRESS PATH; do
  if [ -n "${!name:-}" ]; then pass+=(-E "$name"); fi
done
systemd-socket-activate "${pass[@]}" -l "$socket" "$bin/signet-agent" >"$work/activated.log" 2>&1 &
first=$!; pids+=("$first")
wait_for "$socket" || fail "systemd-socket-activate is not listening on $socket"
signetctl status >/dev/null 2>&1 || fail "the socket-activated agent did not answer"
grep -q "adopted the listening socket" "$work/activated.log" || fail "the first agent was not socket activated"
"${argv[@]}" >"$work/second.log" 2>&1 &
second=$!
finished "$second" "the entry's second agent"
[ "$status" = 1 ] || fail "the second start exited with $status, expected 1 (not started: another agent runs)"
grep -q "Another signet-agent (pid [0-9]*) is already running for this user" "$work/second.log" || fail "the second start did not say another agent runs"
running "$first" || fail "the socket-activated agent is gone"
signetctl status >/dev/null 2>&1 || fail "the socket-activated agent stopped answering after the second start"
[ -S "$socket" ] || fail "the second start removed the socket"
kill -TERM "$first"; finished "$first" "the socket-activated agent"

echo "3. under systemd, with signet-agent.socket active, the entry starts nothing (the socket owns the agent)"
rm -f "$socket"
SIGNET_TEST_SOCKET_ACTIVE=1 "${argv[@]}" >"$work/systemd.log" 2>&1 &
guarded=$!
finished "$guarded" "the entry under systemd"
[ "$status" = 0 ] || fail "the entry under systemd exited with $status"
[ ! -e "$socket" ] || fail "an agent started although the socket unit is active"
[ ! -s "$work/systemd.log" ] || fail "the entry under systemd printed something"

echo "autostart: OK"
