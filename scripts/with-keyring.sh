#!/usr/bin/env bash
# Runs a command inside a private D-Bus session with an unlocked, throwaway gnome-keyring as the
# Secret Service, so the tests use a real keychain and never the developer's own.
#   scripts/with-keyring.sh COMMAND [ARGUMENTS...]
# The keyring's files live in a temporary directory removed afterwards.
set -euo pipefail
if [ "${SIGNET_IN_KEYRING_SESSION:-}" = 1 ]; then
  # Inside the private bus: start the keyring daemon, unlocked with a throwaway password.
  mkdir -p -m 700 "$SIGNET_KEYRING_HOME/run" "$SIGNET_KEYRING_HOME/data"
  printf 'signet-test' | HOME="$SIGNET_KEYRING_HOME" XDG_DATA_HOME="$SIGNET_KEYRING_HOME/data" XDG_RUNTIME_DIR="$SIGNET_KEYRING_HOME/run" \
    gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"
fi
keyring_home=$(mktemp -d "${TMPDIR:-/tmp}/signet-keyring.XXXXXX")
# In its own process group, so a TERM or INT for us ends the command, the bus and the keyring together.
SIGNET_IN_KEYRING_SESSION=1 SIGNET_KEYRING_HOME="$keyring_home" setsid dbus-run-session -- bash "$0" "$@" &
child=$!
trap 'kill -TERM -- "-$child" 2>/dev/null || true' TERM INT
status=0
wait "$child" || status=$?
# After a signal, wait returns early: wait for the group to be gone before removing its files.
while kill -0 "$child" 2>/dev/null; do wait "$child" || status=$?; done
rm -rf "$keyring_home"
exit "$status"
