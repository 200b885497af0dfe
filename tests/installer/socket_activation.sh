#!/usr/bin/env bash
# Socket activation for real: systemd-socket-activate plays signet-agent.socket (it listens on the
# agent's path and starts the agent on the first connection, passing the socket as fd 3), and
# signetctl is that first client. Usage: socket_activation.sh <build/bin>
set -euo pipefail
bin=$1
if ! command -v systemd-socket-activate >/dev/null; then
  echo "socket_activation: systemd-socket-activate is missing (package systemd; scripts/install-deps.sh installs it)" >&2
  exit 1
fi
. "$(dirname "$0")/world.sh" socket_activation
mkdir -p -m 700 "$XDG_RUNTIME_DIR/signet"
# systemd-socket-activate passes on only the variables named with -E.
pass=()
for name in HOME XDG_RUNTIME_DIR XDG_CONFIG_HOME XDG_CONFIG_DIRS XDG_STATE_HOME XDG_DATA_HOME XDG_CACHE_HOME DBUS_SESSION_BUS_ADDRESS PATH; do
  if [ -n "${!name:-}" ]; then pass+=(-E "$name"); fi
done
# Sets $status to the exit status of background process $1; one still running after 10 s is killed
# and the test fails, instead of waiting for ctest's timeout with nothing said.
finished() {
  for _ in $(seq 1 200); do running "$1" || break; sleep 0.05; done
  if running "$1"; then kill "$1" 2>/dev/null || true; fail "$2 was still running 10 s later"; fi
  status=0; wait "$1" || status=$?
}

echo "1. the first client starts the agent, which adopts the socket"
systemd-socket-activate "${pass[@]}" -l "$socket" "$bin/signet-agent" >"$work/agent.log" 2>&1 &
agent=$!; pids+=("$agent")
wait_for "$socket" || fail "systemd-socket-activate is not listening on $socket"
grep -q "adopted" "$work/agent.log" && fail "the agent started before any client connected"
"$bin/signetctl" status >"$work/status.log" 2>&1 || fail "signetctl status failed (exit $?)"
grep -q "^State: *signed out" "$work/status.log" || fail "unexpected status output"
grep -q "adopted the listening socket $socket from systemd" "$work/agent.log" || fail "the agent did not say it adopted the socket"
grep -q "listening on $socket (socket activation)" "$work/agent.log" || fail "the agent does not serve the passed socket"
[ -z "$(find /proc/"$agent"/fd -lname 'socket:*' 2>/dev/null | head -1)" ] && fail "the agent has no socket open"
"$bin/signetctl" status >/dev/null 2>&1 || fail "a second client was not served"

echo "2. a second agent started by hand is refused by the lock, and leaves the socket alone"
if "$bin/signet-agent" >"$work/second.log" 2>&1; then fail "a second agent ran"; fi
grep -q "already running" "$work/second.log" || fail "the second agent did not say another one runs"
"$bin/signetctl" status >/dev/null 2>&1 || fail "the socket-activated agent stopped answering after the second start"

echo "3. stopping the agent leaves the socket file to systemd, which goes on listening"
kill -TERM "$agent"; finished "$agent" "the agent after SIGTERM"
[ -S "$socket" ] || fail "the agent removed $socket on exit; systemd's next activation would have nowhere to listen"
[ -e "$socket.systemd" ] && fail "the agent left its spare link $socket.systemd behind"

echo "4. a socket at another path, or two sockets, are refused with a message"
rm -f "$socket"
systemd-socket-activate "${pass[@]}" -l "$work/other.sock" "$bin/signet-agent" >"$work/wrongpath.log" 2>&1 &
pids+=($!)
wait_for "$work/other.sock" || fail "systemd-socket-activate is not listening on $work/other.sock"
"$bin/signetctl" --socket "$work/other.sock" status >/dev/null 2>&1 && fail "an agent served a socket at the wrong path"
finished "${pids[-1]}" "the agent given a socket at the wrong path"
[ "$status" = 0 ] && fail "the agent accepted a socket at the wrong path"
grep -q "bound to $work/other.sock, not to $socket" "$work/wrongpath.log" || fail "no message naming both paths"
systemd-socket-activate "${pass[@]}" -l "$socket" -l "$work/second.sock" "$bin/signet-agent" >"$work/two.log" 2>&1 &
pids+=($!)
wait_for "$work/second.sock" || fail "systemd-socket-activate is not listening on $work/second.sock"
"$bin/signetctl" status >/dev/null 2>&1 && fail "an agent served with two sockets passed"
finished "${pids[-1]}" "the agent given two sockets"
[ "$status" = 0 ] && fail "the agent accepted two sockets"
grep -q "passed 2 sockets; signet-agent expects exactly one" "$work/two.log" || fail "no message about two sockets"

echo "socket_activation: OK"
