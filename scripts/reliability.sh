#!/usr/bin/env bash
# The CPU side of the reliability checks (docs/reliability.md), in order:
#   1. the host C++ tests under AddressSanitizer + UndefinedBehaviorSanitizer
#      (+ LeakSanitizer): bazel test --config=asan
#   2. the concurrency and determinism tests under ThreadSanitizer:
#      bazel test --config=tsan //tests/concurrency/...
#   3. the libFuzzer targets, each for SECONDS (tests/fuzz/run_fuzz.sh)
#
#   scripts/reliability.sh [SECONDS]     (default 60 per fuzz target)
#
# Runs after scripts/setup.sh; step 3 also needs clang and libFuzzer
# (Debian: clang, libclang-rt-dev). Each sanitizer config builds into its own
# output directory (bazel-out/k8-fastbuild{asan,tsan}), so it does not evict
# the plain build. GPU tests in the list skip without a device (nvcc objects
# are not instrumented either way). Exits non-zero if any step fails; prints
# one summary line per step and the total time.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/cuda/bin:$PATH"
seconds="${1:-60}"

# Host-side targets: everything whose code runs on the CPU. (The GPU-only
# test binaries, tests/cuda, would only compile kernels to skip.)
asan_targets=(//tests/cpp/... //tests/c_api/... //tests/cli/... //tests/concurrency/...
              //tests/fuzz/...)
tsan_targets=(//tests/concurrency/...)

start=$(date +%s)
summary=()
status=0
step() {  # name, command...
  local name="$1"
  shift
  local t0
  t0=$(date +%s)
  echo "== $name"
  if "$@"; then
    summary+=("PASS  $name ($(( $(date +%s) - t0 )) s)")
  else
    summary+=("FAIL  $name ($(( $(date +%s) - t0 )) s)")
    status=1
  fi
}

bazel_test() {  # config, targets...
  local config="$1"
  shift
  local log
  log=$(mktemp)
  bazel test --config="$config" "$@" >"$log" 2>&1
  local rc=$?
  grep -E "PASSED|FAILED|SKIPPED|NO STATUS|TIMEOUT|^ERROR|Executed|Sanitizer" "$log" |
    grep -v "linux-sandbox" || true
  if [ "$rc" -ne 0 ]; then  # the failures themselves (gtest, sanitizer reports, build errors)
    grep -v "linux-sandbox" "$log" |
      grep -E -A12 "Failure$|^ERROR: |Sanitizer|runtime error" | head -80 || true
  fi
  rm -f "$log"
  return "$rc"
}

step "ASan+UBSan+LSan: ${asan_targets[*]}" bazel_test asan "${asan_targets[@]}"
step "TSan: ${tsan_targets[*]}" bazel_test tsan "${tsan_targets[@]}"
step "libFuzzer: 3 targets x ${seconds} s" bash tests/fuzz/run_fuzz.sh "$seconds"

echo "== reliability summary"
printf '%s\n' "${summary[@]}"
echo "total $(( $(date +%s) - start )) s"
exit $status
