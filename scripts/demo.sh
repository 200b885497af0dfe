#!/usr/bin/env bash
# Quick start: installs what is needed, builds, starts the local demo identity provider and
# Signet against it, and opens the Signet window (or, without a display, tells you how to sign
# in from a terminal). Ctrl-C stops everything it started.
#
# Usage: scripts/demo.sh [--headless]
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
build=${SIGNET_BUILD_DIR:-build}
headless=0
[ "${1:-}" = "--headless" ] && headless=1

bash scripts/install-deps.sh
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" --parallel "$(nproc)"

# Everything the demo writes stays in the build tree: its own runtime directory (so it never
# collides with an installed agent), an empty system configuration and the demo configuration.
demo=$root/$build/demo
rm -rf "$demo"
mkdir -p "$demo/xdg"
mkdir -p -m 700 "$demo/run"
export XDG_RUNTIME_DIR=$demo/run
export XDG_CONFIG_DIRS=$demo/xdg

pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT
trap 'exit 130' INT TERM

node tests/idp/server.mjs --port 0 >"$demo/idp.json" 2>"$demo/idp.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$demo/idp.json" ] && break; sleep 0.1; done
issuer=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]).issuer)' "$demo/idp.json") || {
  echo "demo: the demo identity provider did not start; see $demo/idp.log" >&2
  exit 1
}
sed -e "s|@ISSUER@|$issuer|" -e "s|@SIGNETCTL@|$root/$build/bin/signetctl|" resources/demo/signet.conf.in >"$demo/signet.conf"

# The agent keeps the session in the keychain: the desktop's, or — without a session bus (a server,
# an SSH login) — a throwaway gnome-keyring of its own.
if [ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
  "$build/bin/signet-agent" --config "$demo/signet.conf" 2>"$demo/agent.log" &
else
  bash scripts/with-keyring.sh "$build/bin/signet-agent" --config "$demo/signet.conf" 2>"$demo/agent.log" &
fi
pids+=($!)
signetctl=$root/$build/bin/signetctl
for _ in $(seq 100); do "$signetctl" status >/dev/null 2>&1 && break; sleep 0.1; done
if ! "$signetctl" status >/dev/null 2>&1; then
  echo "demo: signet-agent did not start; see $demo/agent.log" >&2
  exit 1
fi

cat <<TXT

Signet is running against the demo identity provider at $issuer
Demo users (e-mail / password): alice@example.com / alice, bob@example.org / bob,
carol@example.net / carol (her address is not verified).

To use it from another terminal:
  export XDG_RUNTIME_DIR=$XDG_RUNTIME_DIR
  $signetctl signin demo
  $signetctl whoami
Logs: $demo/agent.log, $demo/idp.log

TXT

if [ "$headless" = 0 ] && [ -n "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] && [ -x "$build/bin/signet" ]; then
  echo "Opening the Signet window; close it to stop the demo."
  "$build/bin/signet"
else
  echo "demo: ready. Press Ctrl-C to stop."
  while sleep 3600; do :; done
fi
