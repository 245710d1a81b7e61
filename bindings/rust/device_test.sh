#!/usr/bin/env bash
# The Rust tests on the GPU machine (no cargo, no Bazel, no network there), where
# hinm/tests/gpu.rs runs the GPU entry points (spmm, spmm_search, to_device, dense_gemm) on
# device memory instead of skipping. Two steps:
#
#   here (Bazel + cargo machine):  bash bindings/rust/device_test.sh prepare
#       builds //c_api:libhinm.so (unless HINM_LIB_DIR names a prebuilt one) and the test
#       executables of both crates (cargo test --no-run --tests), copies them, without their
#       debug info, and libhinm.so into bindings/rust/build/device/ (git-ignored; must stay
#       under 40 MiB, checked), and runs the copies here against the copied library (without
#       a GPU the GPU tests skip): they must pass before it reports success;
#   on the GPU machine (device tool, carry ["bindings/rust/build/device"]), from the repo root:
#                                  bash bindings/rust/device_test.sh [test args]
#       runs every copied executable with --test-threads=1 (and any [test args], e.g.
#       --nocapture), LD_LIBRARY_PATH = that folder + /usr/local/cuda/lib64 (the executables'
#       rpath names this machine's bazel-bin, absent there; libhinm.so finds cuBLAS and the
#       CUDA runtime in /usr/local/cuda/lib64) and HINM_REQUIRE_GPU=1, which makes gpu.rs fail
#       instead of skip when it finds no device. Log: $OUT/rust_gpu_tests.log when $OUT is
#       set. Exits non-zero if any executable fails.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
stage="$here/build/device"  # git-ignored (bindings/rust/.gitignore)
max_mib=40

# The staged copies load the staged libhinm.so (LD_LIBRARY_PATH comes before their rpath,
# which names this machine's bazel-bin) and find cuBLAS and the CUDA runtime in
# /usr/local/cuda/lib64.
use_staged_library() {
  export LD_LIBRARY_PATH="$stage:/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
}

# Runs every staged test executable with the staged library; "$@" goes to each. Prints one
# summary line per executable; returns the number that failed.
run_all() {
  local failed=0 total=0 exe
  for exe in "$stage"/tests/*; do
    echo "== $(basename "$exe")"
    total=$((total + 1))
    if ! "$exe" --test-threads=1 "$@"; then
      echo "!! $(basename "$exe") FAILED"
      failed=$((failed + 1))
    fi
  done
  echo "== $failed of $total test executables failed"
  return "$failed"
}

if [ "${1:-}" = "prepare" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
  lib_dir="${HINM_LIB_DIR:-$root/bazel-bin/c_api}"
  if [ -z "${HINM_LIB_DIR:-}" ]; then
    (cd "$root" && bazel build //c_api:libhinm.so)
  fi
  rm -rf "$stage"
  mkdir -p "$stage/tests"
  cp -fL "$lib_dir/libhinm.so" "$stage/libhinm.so"
  chmod u+w "$stage/libhinm.so"

  # The test executables, from cargo's JSON messages (the build's own output goes to stderr).
  cd "$here"
  exes="$(cargo test --workspace --no-run --tests --message-format=json |
    python3 -c '
import json, sys
for line in sys.stdin:
    m = json.loads(line)
    if m.get("reason") == "compiler-artifact" and m["profile"]["test"] and m.get("executable"):
        print(m["target"]["name"], m["executable"])
')"
  [ -n "$exes" ] || { echo "cargo built no test executables" >&2; exit 1; }
  while read -r name exe; do
    objcopy --strip-debug "$exe" "$stage/tests/$name"
  done <<<"$exes"

  # The copies that link libhinm.so (hinm_sys's layout tests need none) must load the copied
  # one ...
  use_staged_library
  for exe in "$stage"/tests/*; do
    if ldd "$exe" | grep -q "libhinm.so" && ! ldd "$exe" | grep -q "libhinm.so => $stage/"; then
      echo "$exe does not load $stage/libhinm.so:" >&2
      ldd "$exe" >&2
      exit 1
    fi
  done
  # ... and pass here (the GPU tests skip without a device).
  unset HINM_REQUIRE_GPU
  run_all
  size_mib=$(($(du -sk "$stage" | cut -f1) / 1024))
  ls -la "$stage" "$stage/tests"
  echo "== $stage: $size_mib MiB"
  if [ "$size_mib" -ge "$max_mib" ]; then
    echo "$stage is $size_mib MiB, over the $max_mib MiB budget" >&2
    exit 1
  fi
  echo "== prepared: now run 'bash bindings/rust/device_test.sh' on the GPU machine" \
    "(carry [\"bindings/rust/build/device\"])"
  exit 0
fi

if [ ! -f "$stage/libhinm.so" ] || [ ! -d "$stage/tests" ]; then
  echo "no $stage/libhinm.so or tests: run '$0 prepare' first" >&2
  exit 2
fi
use_staged_library
export HINM_REQUIRE_GPU=1
log="${OUT:+$OUT/rust_gpu_tests.log}"
log="${log:-/dev/null}"
set +e
{
  echo "-- $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null ||
    echo 'no nvidia-smi')"
  run_all "$@"
} 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
exit "$status"
