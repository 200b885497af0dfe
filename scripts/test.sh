#!/usr/bin/env bash
# The whole test suite: installs what is missing, builds, runs every test with CTest.
# Prints how long each stage took. Usage: scripts/test.sh [extra ctest arguments]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${SIGNET_BUILD_DIR:-build}

stage_start=0
stage() {
  stage_name=$1
  stage_start=$(date +%s)
  echo "== $stage_name"
}
stage_done() {
  echo "== $stage_name took $(( $(date +%s) - stage_start )) s"
}

stage "dependencies"
bash scripts/install-deps.sh
stage_done

stage "configure"
# Prefix /usr: what the Debian packages install to (the "packages" stage builds them from this build).
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIGNET_WERROR=ON -DCMAKE_INSTALL_PREFIX=/usr >/dev/null
stage_done

stage "build"
cmake --build "$build" --parallel "$(nproc)"
stage_done

stage "tests"
# Under a private session bus with a real, throwaway Secret Service (gnome-keyring): the agents
# keep their sessions in it.
bash scripts/with-keyring.sh ctest --test-dir "$build" --output-on-failure --parallel "$(nproc)" "$@"
# The components' screenshots (the README's come from these): tst_mainwindow once more, saving each screen it
# checks. e2e_window has saved the real window's pages into screenshots/window/ already.
# (Only when the window is built: SIGNET_BUILD_UI=OFF has no tst_mainwindow.)
if [[ "$(ctest --test-dir "$build" -N -R '^tst_mainwindow$')" == *"Total Tests: 1"* ]]; then
  rm -rf "$build/screenshots/components"
  mkdir -p "$build/screenshots/components"
  SIGNET_SCREENSHOT_DIR="$(cd "$build" && pwd)/screenshots/components" ctest --test-dir "$build" --output-on-failure -R '^tst_mainwindow$'
fi
echo "Screenshots of this run: $(cd "$build" && pwd)/screenshots (window/: the real window end to end; components/: tst_mainwindow)"
stage_done

# The Debian packages: built, installed into a clean Debian root (or, offline, on this machine and
# purged again), upgraded and purged (installer/README.md).
stage "packages"
bash scripts/test-packages.sh "$build"
stage_done

# The parsers under libFuzzer (clang, ASan + UBSan), briefly: SIGNET_FUZZ_SECONDS per target.
stage "fuzz"
bash scripts/fuzz.sh "${SIGNET_FUZZ_SECONDS:-20}"
stage_done
