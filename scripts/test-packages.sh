#!/usr/bin/env bash
# The Debian packages, end to end: builds them with CPack (twice, revisions 1 and 2), checks their
# metadata and files, installs revision 1 into a clean Debian root, runs the programs there, edits
# the policy, upgrades to revision 2 (the edit must stay), purges, and checks nothing is left.
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
cleanup() {
  local status=$?
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

# --- 5. upgrade: the edited policy and users' files stay --------------------------------------------
printf '; edited by IT before the upgrade\n' >>"${root:-}/etc/xdg/signet/signet.conf"
users=${root:-$work}/home/alice
mkdir -p "$users/.local/share/keyrings" "$users/.config/signet" "$users/.local/state/signet"
echo "keyring" >"$users/.local/share/keyrings/login.keyring"
echo "[general]" >"$users/.config/signet/signet.conf"
echo "{}" >"$users/.local/state/signet/session.json"
in_root dpkg -i "$pkg2" >"$work/dpkg.log" 2>&1 </dev/null || { cat "$work/dpkg.log" >&2; fail "dpkg -i $pkg2 over revision 1"; }
rm -f "${root:-}$pkg2"
[ "$(in_root dpkg-query -W -f='${Version}' signet)" = "$(dpkg-deb -f "$deb2" Version)" ] || fail "the upgrade did not happen"
grep -q "edited by IT before the upgrade" "${root:-}/etc/xdg/signet/signet.conf" || fail "the upgrade lost the edited policy"
step "upgraded to $(dpkg-deb -f "$deb2" Version); the edited policy is kept"

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
