#!/usr/bin/env bash
# The Debian packages, end to end: builds them with CPack (twice, revisions 1 and 2), checks their
# metadata and files, installs revision 1 into a clean Debian root, runs the programs there, edits
# the policy, signs a user in (a real session in a real keychain), upgrades to revision 2 (the edit and
# the session must stay), purges, and checks nothing is left.
#
# Usage: scripts/test-packages.sh [BUILD_DIR]     (BUILD_DIR: built, configured with prefix /usr)
# SIGNET_PACKAGE_TEST_ROOT=auto (default) | chroot | host
#   chroot: `debootstrap --variant=minbase bookworm` into a temporary folder (about 80 s, plus about
#           90 s for apt to fetch Qt and the QML modules into it); needs root and Debian's mirror.
#   host:   install on this machine with dpkg. Refused when Signet or /etc/xdg/signet is already
#           there; everything is purged at the end, also on failure (trap), so the machine is left
#           as it was. Meant for CI's throwaway machine.
#   auto:   chroot, and host when debootstrap is missing or cannot reach the mirror.
# SIGNET_DEBIAN_MIRROR (default http://deb.debian.org/debian) for debootstrap.
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(cd "${1:-${SIGNET_BUILD_DIR:-build}}" && pwd)
mode=${SIGNET_PACKAGE_TEST_ROOT:-auto}
mirror=${SIGNET_DEBIAN_MIRROR:-http://deb.debian.org/debian}

say() { echo "test-packages: $*"; }
fail() { echo "test-packages: FAIL: $*" >&2; exit 1; }
step_start=$(date +%s)
step() { say "$* (+$(( $(date +%s) - step_start )) s)"; }

case $mode in auto|chroot|host) ;; *) fail "SIGNET_PACKAGE_TEST_ROOT=$mode: use auto, chroot or host" ;; esac
if [ "$(id -u)" -ne 0 ]; then
  say "skipped: installing packages needs root (CI runs as root)"
  exit 0
fi
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
[ "$prefix" = /usr ] || fail "$build is configured with CMAKE_INSTALL_PREFIX=$prefix; packages install to /usr. Configure a new build directory (the default is /usr) or add -DCMAKE_INSTALL_PREFIX=/usr."

work=$(mktemp -d /tmp/signet-packages.XXXXXX)
root=""          # the Debian root the packages go into; "" is this machine
host_installed=0 # set once dpkg may have touched this machine
proc_mounted=0
session_pids=()  # the stand-in provider, the user's D-Bus, keyring and agent (step 5)
cleanup() {
  local status=$?
  local pid
  for pid in "${session_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${session_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  # Anything else still running in the root (a helper D-Bus started for bob) would keep it busy.
  if [ -n "$root" ]; then
    for pid in /proc/[0-9]*; do [ "$(readlink "$pid/root" 2>/dev/null)" = "$root" ] && kill "${pid#/proc/}" 2>/dev/null || true; done
    sleep 0.2
  fi
  if [ "$host_installed" = 1 ]; then
    say "purging the test's packages from this machine"
    dpkg --purge signet-webview libsignet-client-dev signet >/dev/null 2>&1 || true
    rm -rf /etc/xdg/signet # only the test's own files: the run refused to start when it existed
  fi
  if [ "$proc_mounted" = 1 ]; then umount "$root/proc" 2>/dev/null || umount -l "$root/proc" 2>/dev/null || true; fi
  rm -rf --one-file-system "$work"
  exit "$status"
}
trap cleanup EXIT
in_root() { if [ -n "$root" ]; then chroot "$root" "$@"; else "$@"; fi; }

# --- 1. the packages, twice ------------------------------------------------------------------------
for release in 1 2; do
  (cd "$build" && SIGNET_PACKAGE_RELEASE=$release cpack -G DEB -B "$work/r$release" >"$work/cpack$release.log" 2>&1) ||
    { cat "$work/cpack$release.log" >&2; fail "cpack failed (revision $release)"; }
done
deb1=$(ls "$work"/r1/signet_*-1_*.deb)
deb2=$(ls "$work"/r2/signet_*-2_*.deb)
dev1=$(ls "$work"/r1/libsignet-client-dev_*-1_*.deb)
step "built $(basename "$deb1"), $(basename "$dev1") and revision 2"

# --- 2. what the packages say and hold -------------------------------------------------------------
depends=$(dpkg-deb -f "$deb1" Depends)
for needed in libsecret-1-0 "gnome-keyring | " qml6-module-qtquick-controls qml6-module-qtquick-templates \
              qml6-module-qtquick-layouts qml6-module-qtquick-window qml6-module-qtqml-workerscript qt6-qpa-plugins \
              libqt6keychain1 libqt6networkauth6 libjansson4 libssl3; do
  [[ "$depends" == *"$needed"* ]] || fail "signet does not depend on $needed: $depends"
done
[[ "$depends" != *webengine* ]] || fail "signet depends on Qt WebEngine; that belongs to signet-webview: $depends"
[[ "$(dpkg-deb -f "$dev1" Depends)" == *"signet (= "* ]] || fail "libsignet-client-dev does not depend on its signet"
if webview=$(ls "$work"/r1/signet-webview_*.deb 2>/dev/null); then
  [[ "$(dpkg-deb -f "$webview" Depends)" == *qml6-module-qtwebengine* ]] || fail "signet-webview does not depend on qml6-module-qtwebengine"
fi

expected_files="/etc/xdg/autostart/signet-agent.desktop
/etc/xdg/signet/signet.conf
/usr/bin/signet
/usr/bin/signet-agent
/usr/bin/signetctl
/usr/lib/systemd/user/signet-agent.service
/usr/lib/systemd/user/signet-agent.socket
/usr/lib/systemd/user/sockets.target.wants/signet-agent.socket
/usr/lib/x86_64-linux-gnu/libsignet-client.so.0
/usr/lib/x86_64-linux-gnu/libsignet-client.so.0.1.0
/usr/share/applications/invalid.signet.Signet.desktop
/usr/share/doc/signet/README.md
/usr/share/doc/signet/admin.md
/usr/share/doc/signet/cli.md
/usr/share/doc/signet/configuration.md
/usr/share/doc/signet/policy.md
/usr/share/doc/signet/providers.md
/usr/share/doc/signet/signet.conf.example
/usr/share/icons/hicolor/scalable/apps/invalid.signet.Signet.svg
/usr/share/man/man1/signet-agent.1.gz
/usr/share/man/man1/signetctl.1.gz
/usr/share/metainfo/invalid.signet.Signet.metainfo.xml"
dpkg-deb -c "$deb1" | awk '$1 !~ /^d/ {print substr($6, 2)}' | sort >"$work/files.deb"
diff -u <(echo "$expected_files") "$work/files.deb" >"$work/files.diff" || { cat "$work/files.diff" >&2; fail "signet's files differ from the list above (- expected, + in the package)"; }
dpkg-deb --ctrl-tarfile "$deb1" | tar -xO ./conffiles >"$work/conffiles"
diff -u <(printf '/etc/xdg/signet/signet.conf\n/etc/xdg/autostart/signet-agent.desktop\n') "$work/conffiles" ||
  fail "the conffiles are not the policy and the autostart entry"

dpkg-deb -x "$deb1" "$work/extracted"
x=$work/extracted
desktop-file-validate "$x/usr/share/applications/invalid.signet.Signet.desktop" "$x/etc/xdg/autostart/signet-agent.desktop" ||
  fail "desktop-file-validate"
appstreamcli validate --no-net "$x/usr/share/metainfo/invalid.signet.Signet.metainfo.xml" >"$work/appstream.log" 2>&1 ||
  { cat "$work/appstream.log" >&2; fail "appstreamcli validate --no-net"; }
for page in signet-agent signetctl; do
  gzip -t "$x/usr/share/man/man1/$page.1.gz" || fail "$page.1.gz is not gzip"
  zcat "$x/usr/share/man/man1/$page.1.gz" | grep -q "^\.TH ${page^^} 1 .*Signet $(dpkg-deb -f "$deb1" Version | cut -d- -f1)" ||
    fail "$page(1) has no .TH line with the version"
done
grep -qx "ExecStart=/usr/bin/signet-agent" "$x/usr/lib/systemd/user/signet-agent.service" || fail "ExecStart is not /usr/bin/signet-agent"
grep -qx "ListenStream=%t/signet/agent.sock" "$x/usr/lib/systemd/user/signet-agent.socket" || fail "the socket unit does not listen on the agent's path"
# systemd's own check of the units (unknown keys, bad values). The agent is not installed yet, so
# "not executable" is expected here; the installed package is run below.
mkdir -p -m 700 "$work/runtime"
(cd "$x/usr/lib/systemd/user" && XDG_RUNTIME_DIR=$work/runtime systemd-analyze --user verify --man=no signet-agent.socket signet-agent.service) 2>&1 |
  grep -v "Command /usr/bin/signet-agent is not executable" >"$work/units.log" || true
[ ! -s "$work/units.log" ] || { cat "$work/units.log" >&2; fail "systemd-analyze verify found problems in the units"; }
step "metadata, file list, conffiles, desktop entries, AppStream, man pages and units are right"

# --- 3. a clean Debian root, or this machine --------------------------------------------------------
if [ "$mode" != host ]; then
  if ! command -v debootstrap >/dev/null; then
    [ "$mode" = chroot ] && fail "debootstrap is missing (apt-get install debootstrap)"
    say "debootstrap is missing: installing on this machine instead"
  elif debootstrap --variant=minbase bookworm "$work/root" "$mirror" >"$work/debootstrap.log" 2>&1; then
    root=$work/root
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    mount -t proc proc "$root/proc" 2>/dev/null && proc_mounted=1
    step "debootstrap --variant=minbase bookworm"
  else
    tail -5 "$work/debootstrap.log" >&2
    [ "$mode" = chroot ] && fail "debootstrap failed (offline? set SIGNET_DEBIAN_MIRROR)"
    say "debootstrap failed (offline?): installing on this machine instead"
    rm -rf --one-file-system "$work/root"
  fi
fi
if [ -z "$root" ]; then
  # This machine must come out as it went in: refuse to touch an installed Signet or a real policy.
  if dpkg-query -W -f='${Status}' signet 2>/dev/null | grep -q "installed"; then
    fail "signet is installed on this machine; the host test would replace and purge it. Use SIGNET_PACKAGE_TEST_ROOT=chroot."
  fi
  [ -e /etc/xdg/signet ] && fail "/etc/xdg/signet exists on this machine; the host test would purge it. Use SIGNET_PACKAGE_TEST_ROOT=chroot."
fi
# The packages as the target sees them: its /tmp in the root, the test's own folder on this machine.
if [ -n "$root" ]; then pkgdir=/tmp; else pkgdir=$work/debs; mkdir -p "$pkgdir"; fi
cp "$deb1" "$deb2" "${root:-}$pkgdir/"
pkg1=$pkgdir/$(basename "$deb1")
pkg2=$pkgdir/$(basename "$deb2")
where=${root:+"into a clean Debian root"}
where=${where:-"on this machine"}
[ -z "$root" ] && host_installed=1
if [ -n "$root" ]; then
  # apt fetches the dependencies from the mirror: what a desktop would do.
  in_root apt-get update -qq >"$work/apt.log" 2>&1 || { cat "$work/apt.log" >&2; fail "apt-get update in the root"; }
  DEBIAN_FRONTEND=noninteractive in_root apt-get install -y -qq --no-install-recommends "$pkg1" >>"$work/apt.log" 2>&1 ||
    { tail -20 "$work/apt.log" >&2; fail "apt-get install $pkg1 in a clean root"; }
else
  # Only what is already here: nothing else may be added to this machine.
  dpkg -i "$pkg1" >"$work/dpkg.log" 2>&1 </dev/null || { cat "$work/dpkg.log" >&2; fail "dpkg -i $pkg1 (missing dependencies? run scripts/install-deps.sh)"; }
fi
rm -f "${root:-}$pkg1"
step "installed $(basename "$deb1") $where"

# --- 4. the installed programs --------------------------------------------------------------------
in_root signet-agent --version | grep -qx "signet-agent $(dpkg-deb -f "$deb1" Version | cut -d- -f1)" || fail "signet-agent --version"
in_root signetctl --version >/dev/null || fail "signetctl --version"
in_root env XDG_CONFIG_DIRS=/nonexistent signet-agent --check-config /usr/share/doc/signet/signet.conf.example >"$work/check.log" 2>&1 ||
  { cat "$work/check.log" >&2; fail "the shipped example policy does not pass --check-config"; }
grep -q "^OK: 0 error(s), 0 warning(s)" "$work/check.log" || { cat "$work/check.log" >&2; fail "the example policy has warnings"; }
in_root signet-agent --check-config /etc/xdg/signet/signet.conf >"$work/check.log" 2>&1 ||
  { cat "$work/check.log" >&2; fail "the shipped /etc/xdg/signet/signet.conf does not pass --check-config"; }
in_root dpkg -L signet | sort >"$work/files.installed"
while read -r file; do
  [ -e "${root:-}$file" ] || [ -L "${root:-}$file" ] || fail "$file is listed by dpkg -L but missing"
done <"$work/files.deb"
# The window loads its QML modules from the package's dependencies alone (in the clean root).
in_root mkdir -p -m 700 /tmp/signet-runtime
set +e
in_root env QT_QPA_PLATFORM=offscreen XDG_RUNTIME_DIR=/tmp/signet-runtime HOME=/tmp timeout 4 signet >"$work/window.log" 2>&1
window=$?
set -e
[ "$window" -eq 124 ] || { cat "$work/window.log" >&2; fail "the window exited with $window instead of running"; }
if grep -Eiq "is not installed|failed to load|cannot load|could not find the Qt platform plugin" "$work/window.log"; then
  cat "$work/window.log" >&2; fail "the window is missing a run-time dependency"
fi
step "signet-agent --version and --check-config, dpkg -L, the window starts"

# --- 5. upgrade: the edited policy, users' files and a signed-in session stay ----------------------
printf '; edited by IT before the upgrade\n' >>"${root:-}/etc/xdg/signet/signet.conf"
users=${root:-$work}/home/alice
mkdir -p "$users/.local/share/keyrings" "$users/.config/signet" "$users/.local/state/signet"
echo "keyring" >"$users/.local/share/keyrings/login.keyring"
echo "[general]" >"$users/.config/signet/signet.conf"
echo "{}" >"$users/.local/state/signet/session.json"

# A real session: bob signs in with the installed agent and signetctl — a device sign-in at the Google
# stand-in (tests/standins), which runs on this machine (the root shares its network, so 127.0.0.1 is
# the same) and which the test approves as the person on the other device. The tokens go into a real
# keychain: gnome-keyring (the package's Secret Service dependency, already in the root) on bob's own
# D-Bus. Every process is started here and ended by its pid (cleanup).
command -v node >/dev/null || fail "node is missing (the stand-in provider needs it; scripts/install-deps.sh installs it)"
node tests/standins/server.mjs --provider google >"$work/standin.json" 2>"$work/standin.log" &
session_pids+=($!)
for _ in $(seq 1 100); do [ -s "$work/standin.json" ] && break; sleep 0.1; done
standin() { node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]); console.log(s[process.argv[2]])' "$work/standin.json" "$1"; }
base=$(standin base) || { cat "$work/standin.log" >&2; fail "the Google stand-in did not start"; }
if [ -n "$root" ]; then
  # A real user of the root, by number (no name lookup across the chroot boundary).
  in_root useradd --create-home --uid 4711 --user-group bob
  bob_home=/home/bob
  # D-Bus refuses to run without a machine id; a minimal root may not have one yet.
  grep -qE '^[0-9a-f]{32}$' "$root/etc/machine-id" 2>/dev/null || od -An -N16 -tx1 /dev/urandom | tr -d ' \n' >"$root/etc/machine-id"
  bob_cmd=(chroot --userspec=4711:4711 "$root")
else
  # On this machine: root plays bob, in a home of the test's own.
  bob_home=$work/bob
  bob_cmd=()
fi
# A command as bob, in bob's session. Run in the background as "${bob_cmd[@]}" … & (not through the
# function), so that $! is the program itself: chroot and env exec it.
bob_cmd+=(env -i PATH=/usr/bin:/bin HOME="$bob_home" XDG_RUNTIME_DIR="$bob_home/run" DBUS_SESSION_BUS_ADDRESS="unix:path=$bob_home/run/bus")
as_bob() { "${bob_cmd[@]}" "$@"; }
bob=${root:-}$bob_home # bob's home as this script sees it
as_bob mkdir -p -m 700 "$bob_home/run" "$bob_home/.config/signet"
cat >"$bob/.config/signet/signet.conf" <<CONF
[general]
allowed_domains = corp.example
[provider.google]
type = google
issuer = $base
client_id = $(standin client_id)
client_secret = $(standin client_secret)
hosted_domain = corp.example
allow_device_flow = true
device_client_id = $(standin device_client_id)
device_client_secret = $(standin device_client_secret)
CONF
[ -n "$root" ] && chown 4711:4711 "$bob/.config/signet/signet.conf"
"${bob_cmd[@]}" dbus-daemon --session --nofork --nopidfile --address="unix:path=$bob_home/run/bus" >"$work/dbus.log" 2>&1 &
session_pids+=($!)
for _ in $(seq 1 100); do [ -S "$bob/run/bus" ] && break; sleep 0.05; done
[ -S "$bob/run/bus" ] || { cat "$work/dbus.log" >&2; fail "bob's D-Bus did not start"; }
# The login keyring, created and unlocked with a throwaway password (as PAM would at login).
"${bob_cmd[@]}" gnome-keyring-daemon --foreground --unlock --components=secrets < <(printf 'signet-test') >"$work/keyring.log" 2>&1 &
session_pids+=($!)
keyring_up() { as_bob dbus-send --session --print-reply --dest=org.freedesktop.DBus /org/freedesktop/DBus \
                 org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null | grep -q "boolean true"; }
for _ in $(seq 1 100); do keyring_up && break; sleep 0.05; done
keyring_up || { cat "$work/keyring.log" >&2; fail "gnome-keyring did not take the Secret Service name on bob's bus"; }
# start_agent NAME: the installed agent as bob, up once signetctl status answers.
start_agent() {
  "${bob_cmd[@]}" signet-agent >"$work/$1.log" 2>&1 &
  agent=$!
  session_pids+=("$agent")
  for _ in $(seq 1 100); do as_bob signetctl status >/dev/null 2>&1 && return 0; sleep 0.1; done
  cat "$work/$1.log" >&2; fail "the installed agent ($1) does not answer signetctl status"
}
# stop_agent NAME: SIGTERM, as at logout; the agent finishes its keychain work first (at most 3 s).
stop_agent() {
  kill -TERM "$agent"
  for _ in $(seq 1 100); do kill -0 "$agent" 2>/dev/null || break; sleep 0.1; done
  kill -0 "$agent" 2>/dev/null && fail "the agent ($1) was still running 10 s after SIGTERM"
  local code=0
  wait "$agent" || code=$?
  [ "$code" = 0 ] || { cat "$work/$1.log" >&2; fail "the agent ($1) exited with $code on SIGTERM"; }
}
start_agent agent-r1
node -e 'fetch(process.argv[1] + "/__test/device-settings", { method: "POST", body: new URLSearchParams({ interval: "1" }) }).then((r) => process.exit(r.ok ? 0 : 1))' "$base" ||
  fail "the stand-in did not take the device settings"
"${bob_cmd[@]}" signetctl --json signin google --device >"$work/signin.out" 2>"$work/signin.err" &
signin=$!
for _ in $(seq 1 100); do grep -q '"device-code"' "$work/signin.out" && break; sleep 0.1; done
# The person on the other device: the verification page, the code and their login.
node -e '
  const d = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8").split("\n")[0]).data;
  fetch(new URL("/__standin/device", d.verification_uri), { method: "POST",
        body: new URLSearchParams({ user_code: d.user_code, login: "ann@corp.example", password: "ann", action: "allow" }) })
    .then((r) => r.text()).then((t) => process.exit(t.includes("id=\"done\"") ? 0 : 1));' "$work/signin.out" ||
  { cat "$work/signin.out" "$work/signin.err" >&2; fail "approving the device sign-in at the stand-in"; }
code=0
wait "$signin" || code=$?
[ "$code" = 0 ] || { cat "$work/signin.err" "$work/agent-r1.log" >&2; fail "signetctl signin google --device as bob exited with $code"; }
# Who is signed in, without the times (the expiry counts down): provider, account, address.
who() { as_bob signetctl --json whoami | node -e 'let t = ""; process.stdin.on("data", (c) => { t += c; }).on("end", () => {
          const i = JSON.parse(t); console.log([i.provider, i.subject, i.email, i.email_verified].join(" ")); });'; }
before=$(who) || fail "whoami after the sign-in"
[[ "$before" == "google "*" ann@corp.example true" ]] || fail "whoami after the sign-in says: $before"
ls "$bob"/.local/share/keyrings/*.keyring >/dev/null 2>&1 || fail "the keychain holds nothing on disk: the session would not survive"
stop_agent agent-r1
step "bob signed in with the installed agent ($before), the session in gnome-keyring; agent stopped"

in_root dpkg -i "$pkg2" >"$work/dpkg.log" 2>&1 </dev/null || { cat "$work/dpkg.log" >&2; fail "dpkg -i $pkg2 over revision 1"; }
rm -f "${root:-}$pkg2"
[ "$(in_root dpkg-query -W -f='${Version}' signet)" = "$(dpkg-deb -f "$deb2" Version)" ] || fail "the upgrade did not happen"
grep -q "edited by IT before the upgrade" "${root:-}/etc/xdg/signet/signet.conf" || fail "the upgrade lost the edited policy"

# Revision 2's agent, started as at bob's next login, restores the session from the keychain.
start_agent agent-r2
after=$(who) || { cat "$work/agent-r2.log" >&2; fail "whoami after the upgrade: nobody is signed in"; }
[ "$after" = "$before" ] || fail "after the upgrade whoami says '$after', before it said '$before'"
grep -q "restored the session of provider google" "$work/agent-r2.log" || { cat "$work/agent-r2.log" >&2; fail "the new agent did not say it restored the stored session"; }
as_bob signetctl status >"$work/status.log" 2>&1 || fail "signetctl status after the upgrade"
grep -q "^State: *signed in" "$work/status.log" || { cat "$work/status.log" >&2; fail "status after the upgrade is not signed in"; }
stop_agent agent-r2
for pid in "${session_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
for pid in "${session_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
session_pids=()
step "upgraded to $(dpkg-deb -f "$deb2" Version); the edited policy is kept, and bob is still signed in after restarting the agent"

# --- 6. purge: everything the package installed goes, users' files stay -----------------------------
in_root dpkg --purge signet >"$work/dpkg.log" 2>&1 </dev/null || { cat "$work/dpkg.log" >&2; fail "dpkg --purge signet"; }
while read -r file; do
  if [ -e "${root:-}$file" ] || [ -L "${root:-}$file" ]; then fail "$file is still there after the purge"; fi
done <"$work/files.deb"
for dir in /etc/xdg/signet /usr/share/doc/signet; do
  [ ! -e "${root:-}$dir" ] || fail "$dir is still there after the purge"
done
[ -z "$(in_root dpkg-query -W -f='${db:Status-Status}' signet 2>/dev/null | grep -v not-installed)" ] || fail "dpkg still knows signet after the purge"
for file in .local/share/keyrings/login.keyring .config/signet/signet.conf .local/state/signet/session.json; do
  [ -f "$users/$file" ] || fail "the purge removed a user's $file"
done
ls "$bob"/.local/share/keyrings/*.keyring >/dev/null 2>&1 || fail "the purge removed bob's keyring"
step "purged: no file of the package is left, /etc/xdg/signet is gone, users' files are untouched"

# --- 7. a policy dropped before the package (unattended roll-out) is kept ---------------------------
mkdir -p "${root:-}/etc/xdg/signet"
printf '; preseeded by IT\n[general]\n' >"${root:-}/etc/xdg/signet/signet.conf"
cp "$deb2" "${root:-}$pkgdir/"
in_root dpkg -i --force-confold "$pkg2" >"$work/dpkg.log" 2>&1 </dev/null || { cat "$work/dpkg.log" >&2; fail "dpkg -i --force-confold over a preseeded policy"; }
grep -q "preseeded by IT" "${root:-}/etc/xdg/signet/signet.conf" || fail "installing replaced the preseeded policy"
in_root dpkg --purge signet >"$work/dpkg.log" 2>&1 </dev/null || { cat "$work/dpkg.log" >&2; fail "the final purge"; }
[ ! -e "${root:-}/etc/xdg/signet" ] || fail "/etc/xdg/signet is still there after the final purge"
host_installed=0
step "a preseeded policy survives the install (--force-confold); purged again"
say "OK"
