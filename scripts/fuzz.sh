#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan + UBSan) in their own build directory and runs each for
# SECONDS (default 20) on a temporary copy of its seed corpus; the repository is never written to.
# Exits non-zero if a target crashes, breaks an invariant, hangs or runs out of memory, and prints
# where the input that did it was kept. More in tests/fuzz/README.md.
# Usage: scripts/fuzz.sh [SECONDS]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-20}
build=${SIGNET_FUZZ_BUILD_DIR:-build-fuzz}

if ! [[ $seconds =~ ^[0-9]+$ ]] || [ "$seconds" -eq 0 ]; then
  echo "usage: scripts/fuzz.sh [SECONDS]   (seconds per target, default 20)" >&2
  exit 2
fi

for tool in clang clang++; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "fuzz: $tool not found; run scripts/install-deps.sh (it installs clang and libclang-rt-14-dev)" >&2
    exit 1
  fi
done
runtime="$(clang++ --print-runtime-dir 2>/dev/null)/libclang_rt.fuzzer-$(uname -m).a"
if [ ! -f "$runtime" ]; then
  echo "fuzz: the libFuzzer runtime ($runtime) is missing; run scripts/install-deps.sh (libclang-rt-14-dev)" >&2
  exit 1
fi

stage_start=$(date +%s)
echo "== fuzz: configure and build ($build)"
mkdir -p "$build"
build=$(cd "$build" && pwd)
if [ -f "$build/CMakeCache.txt" ] && ! grep -q '^CMAKE_CXX_COMPILER:[A-Z]*=.*clang' "$build/CMakeCache.txt"; then
  echo "fuzz: $build was configured with another compiler; remove it (or set SIGNET_FUZZ_BUILD_DIR)" >&2
  exit 1
fi
# Debug: Q_ASSERTs stay on; the targets add -O1 themselves.
if ! CC=clang CXX=clang++ cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
    -DSIGNET_FUZZ=ON -DSIGNET_BUILD_UI=OFF -DBUILD_TESTING=OFF >"$build/configure.log" 2>&1; then
  cat "$build/configure.log" >&2
  echo "fuzz: configuring $build failed (log above)" >&2
  exit 1
fi
mapfile -t targets < "$build/tests/fuzz/fuzz-targets.txt"
cmake --build "$build" --parallel "$(nproc)" --target "${targets[@]}"
echo "== fuzz: build took $(( $(date +%s) - stage_start )) s"

work=$(mktemp -d "${TMPDIR:-/tmp}/signet-fuzz.XXXXXX")
keep_work=0
cleanup() { if [ "$keep_work" -eq 0 ]; then rm -rf "$work"; fi; }
trap cleanup EXIT

failed=()
for target in "${targets[@]}"; do
  dir="$work/$target"
  mkdir -p "$dir/corpus" "$dir/artifacts" "$dir/tmp"
  if [ -d "tests/fuzz/corpus/$target" ]; then
    cp tests/fuzz/corpus/"$target"/* "$dir/corpus/" 2>/dev/null || true
  fi
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$dir/artifacts/")
  if [ -f "tests/fuzz/$target.dict" ]; then
    args+=(-dict="$PWD/tests/fuzz/$target.dict")
  fi
  if [ -f "tests/fuzz/$target.options" ]; then
    mapfile -t options < <(grep -v -E '^[[:space:]]*(#|$)' "tests/fuzz/$target.options")
    args+=("${options[@]}")
  fi
  echo "== fuzz: $target for $seconds s"
  start=$(date +%s.%N)
  status=0
  # cwd and TMPDIR inside the work directory: nothing a target writes lands in the repository.
  (cd "$dir" && TMPDIR="$dir/tmp" "$build/tests/fuzz/$target" "${args[@]}" "$dir/corpus" \
      </dev/null >"$dir/log" 2>&1) || status=$?
  elapsed=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -n 1)
  per_second=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$dir/log" | tail -n 1)
  corpus_size=$(find "$dir/corpus" -type f | wc -l)
  if [ "$status" -eq 0 ]; then
    echo "   ok: ${runs:-?} executions in $elapsed s (${per_second:-?}/s), corpus now $corpus_size inputs"
  else
    keep_work=1
    failed+=("$target")
    # The sanitizer's or the invariant's report, without libFuzzer's progress lines, its own stack
    # frames and its hex and base64 dumps of the input (the input file is kept).
    grep -v -E '^#[0-9]+[[:space:]]|^INFO:|^Dictionary:|^(0x[0-9a-f]+,)+$|^Base64:|^MS: |^stat::|in (fuzzer::|__sanitizer_print_stack_trace|__libc_start|_start |raise |abort |__pthread_kill)' "$dir/log" \
      | tail -n 60 | sed 's/^/   | /'
    echo "   FAILED: $target (exit $status) after ${runs:-?} executions in $elapsed s"
    for artifact in "$dir"/artifacts/*; do
      [ -e "$artifact" ] || continue
      echo "   input kept at: $artifact"
      echo "   replay with:   $build/tests/fuzz/$target $artifact"
    done
    echo "   full log:      $dir/log"
  fi
done

if ((${#failed[@]})); then
  echo "== fuzz: FAILED: ${failed[*]} (inputs and logs kept in $work)"
  exit 1
fi
echo "== fuzz: all ${#targets[@]} targets ran $seconds s each without a crash"
