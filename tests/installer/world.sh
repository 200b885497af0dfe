# Sourced by the installer tests: a private world in a temporary folder — HOME, XDG directories and a
# runtime directory of its own, so an agent started here cannot meet the user's — with every process
# the test records in `pids` killed and the folder removed on exit, and `fail` printing the logs.
# Usage: . world.sh <test name>    (then: $work, $socket, pids+=(…), fail "…", wait_for PATH, running PID)
test_name=$1
work=$(mktemp -d "/tmp/signet-$test_name.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() {
  echo "$test_name: FAIL: $*" >&2
  for f in "$work"/*.log; do [ -e "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done
  exit 1
}
export HOME=$work/home XDG_RUNTIME_DIR=$work/run XDG_CONFIG_HOME=$work/home/.config XDG_CONFIG_DIRS=$work/no-system
export XDG_STATE_HOME=$work/home/.local/state XDG_DATA_HOME=$work/home/.local/share XDG_CACHE_HOME=$work/home/.cache
mkdir -p -m 700 "$HOME" "$XDG_RUNTIME_DIR"
socket=$XDG_RUNTIME_DIR/signet/agent.sock

# The socket file appears at bind(), a moment before listen(): a client connecting in between is refused
# (and activates nothing), so wait until the kernel lists the path as listening (flag 00010000 in
# /proc/net/unix; "ss" is not on every machine).
wait_for() {
  for _ in $(seq 1 200); do
    awk -v path="$1" '$4 == "00010000" && $NF == path { found = 1 } END { exit !found }' /proc/net/unix && return 0
    sleep 0.05
  done
  return 1
}
# A process is running while /proc has it and it is not a zombie waiting for us.
running() { [ -e /proc/"$1" ] && ! grep -q '^State:[[:space:]]*Z' /proc/"$1"/status 2>/dev/null; }
