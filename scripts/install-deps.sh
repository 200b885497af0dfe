#!/usr/bin/env bash
# Installs everything Signet needs to build, run and test on Debian 12 (bookworm). Idempotent:
# a second run installs nothing and takes about a second.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build
  cmake ninja-build g++ pkg-config
  qt6-base-dev qt6-declarative-dev qt6-networkauth-dev qtkeychain-qt6-dev qt6-svg-dev qt6-l10n-tools
  libjansson-dev libssl-dev openssl
  # QML modules the window loads (listed one by one: -controls does not pull in the others)
  qml6-module-qtqml qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-templates qml6-module-qtquick-layouts
  qml6-module-qtquick-window qml6-module-qtqml-workerscript qml6-module-qttest qml6-module-qt-labs-platform
  # the embedded sign-in page for kiosks (signet-webview; optional, SIGNET_BUILD_WEBVIEW)
  qt6-webengine-dev qml6-module-qtwebengine
  # keychain at run time (libqt6keychain1 loads libsecret without depending on it)
  libsecret-1-0 gnome-keyring libsecret-tools dbus
  # tests: a headless X server, a real browser for end-to-end sign-in, clang for the fuzzers
  xvfb xauth chromium clang libclang-rt-14-dev
  # the window's end-to-end test presses keys on its Xvfb display
  xdotool
  # python3: the documented companion app; python3-gi: the stand-in KWallet daemon (tests/standins/fakekwallet.py)
  python3 python3-gi gir1.2-glib-2.0
  # packages: building and checking them (scripts/test-packages.sh), socket activation (systemd-socket-activate)
  dpkg-dev debootstrap desktop-file-utils appstream systemd
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if ((${#missing[@]})); then
  echo "install-deps: installing ${#missing[@]} Debian package(s): ${missing[*]}"
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# Node.js >= 20 comes with these machines (NodeSource's nodejs bundles npm). Never
# 'apt-get install npm': it conflicts with that package, and Debian's own node is too old.
if ! command -v node >/dev/null 2>&1; then
  echo "install-deps: Node.js 20 or newer is required (for the demo identity provider and browser tests) but 'node' was not found." >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "install-deps: Node.js $(node --version) is too old; 20 or newer is required." >&2
  exit 1
fi

# The JavaScript test helpers (oidc-provider, playwright-core), exactly as locked.
lock_hash=$(sha256sum tests/package-lock.json | cut -d' ' -f1)
stamp=tests/node_modules/.signet-lock-hash
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$lock_hash" ]; then
  echo "install-deps: npm ci in tests/"
  npm ci --prefix tests --no-audit --no-fund --loglevel=error >/dev/null
  echo "$lock_hash" > "$stamp"
fi
