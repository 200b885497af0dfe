#!/usr/bin/env bash
# signet-agent --check-config as IT uses it before a roll-out: the shipped example passes clean; an
# unknown key, a wrong type, a `locked` entry that names nothing and a `locked` in a user's file each
# fail (exit 8) with the file, the group and the key. Usage: check_config.sh <build/bin> <source dir>
set -euo pipefail
bin=$1
src=$2
work=$(mktemp -d /tmp/signet-check-config.XXXXXX)
trap 'rm -rf "$work"' EXIT
fail() { echo "check_config: FAIL: $*" >&2; for f in "$work"/*.out; do [ -e "$f" ] && { echo "--- $f" >&2; cat "$f" >&2; }; done; exit 1; }
# No system file of the machine running the test may leak in.
export XDG_CONFIG_DIRS=$work/no-system XDG_CONFIG_HOME=$work/no-home HOME=$work

# check NAME EXPECTED-EXIT [signet-agent arguments...]: runs the check, keeps its output in NAME.out.
check() {
  local name=$1 expected=$2
  shift 2
  set +e
  "$bin/signet-agent" --check-config "$@" >"$work/$name.stdout" 2>"$work/$name.stderr"
  local code=$?
  set -e
  cat "$work/$name.stderr" "$work/$name.stdout" >"$work/$name.out"
  [ "$code" -eq "$expected" ] || fail "$name: exit $code, expected $expected"
}
# expect NAME LINE: NAME's stderr has LINE (a fixed string) at the start of a line.
expect() { awk -v line="$2" 'index($0, line) == 1 { found = 1 } END { exit !found }' "$work/$1.stderr" || fail "$1: no line starting '$2'"; }

echo "1. the shipped example policy: 0 errors, 0 warnings, exit 0"
cp "$src/installer/signet.conf.example" "$work/example.conf"
check example 0 "$work/example.conf"
grep -q "^OK: 0 error(s), 0 warning(s) in $work/example.conf$" "$work/example.stdout" || fail "example: not clean"
[ ! -s "$work/example.stderr" ] || fail "example: problems printed"

# Each broken variant of the example: one change, one error naming file, group and key.
variant() { # variant NAME SED-SCRIPT
  sed "$2" "$work/example.conf" >"$work/$1.conf"
  cmp -s "$work/$1.conf" "$work/example.conf" && fail "$1: the edit changed nothing"
  check "$1" 8 "$work/$1.conf"
  grep -q "^FAIL: [1-9][0-9]* error(s)" "$work/$1.stdout" || fail "$1: no FAIL summary"
}

echo "2. an unknown provider key (a typo): an error here, though the agent only ignores it"
variant unknown-key 's/^client_id = signet-desktop$/client_id = signet-desktop\nclientid = signet-desktop/'
expect unknown-key "error: $work/unknown-key.conf: [provider.corp] clientid: unknown key, ignored; known keys are"

echo "3. an unknown general key"
variant unknown-general 's/^session_age = 8h$/sesion_age = 8h/'
expect unknown-general "error: $work/unknown-general.conf: [general] sesion_age: unknown key"

echo "4. an unknown group"
variant unknown-group 's/^\[roles\]$/[role]/'
expect unknown-group "error: $work/unknown-group.conf: [role]: unknown group"

echo "5. a value of the wrong type"
variant wrong-type 's/^session_age = 8h$/session_age = all day/'
expect wrong-type "error: $work/wrong-type.conf: [general] session_age: 'all day' is not a duration"
variant wrong-boolean 's/^auto_register = true$/auto_register = sometimes/'
expect wrong-boolean "error: $work/wrong-boolean.conf: [general] auto_register: 'sometimes' is not true or false"

echo "6. locked names a key that does not exist"
variant locked-unknown 's/^locked = allowed_domains,/locked = allowed_domain,/'
expect locked-unknown "error: $work/locked-unknown.conf: [general] locked: 'allowed_domain' is not a key or group Signet knows"

echo "7. locked names a provider the policy does not define, or a key a provider does not have"
variant locked-provider 's/provider\.corp, apps/provider.copr, apps/'
expect locked-provider "error: $work/locked-provider.conf: [general] locked: 'provider.copr' names [provider.copr], which the system configuration does not define; lock one it defines (provider.corp)"
variant locked-provider-key 's/provider\.corp, apps/provider.corp\/clientid, apps/'
expect locked-provider-key "error: $work/locked-provider-key.conf: [general] locked: 'provider.corp/clientid': clientid is not a key of [provider.corp]"

echo "8. locked in a user's file: only the system configuration can lock"
mkdir -p "$work/system/signet"
cp "$work/example.conf" "$work/system/signet/signet.conf"
printf '[general]\nlocked = session_age\n' >"$work/user.conf"
XDG_CONFIG_DIRS=$work/system check user-locks 8 --config "$work/user.conf"
expect user-locks "error: $work/user.conf: [general] locked: only the system configuration can lock keys"
# The same policy with a harmless user file passes: the failure above is the user's `locked` alone.
printf '[general]\nsignin_message = "Hello"\n' >"$work/user.conf"
XDG_CONFIG_DIRS=$work/system check user-plain 0 --config "$work/user.conf"

echo "check_config: OK"
