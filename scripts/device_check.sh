#!/usr/bin/env bash
# Runs on the device machine (no Bazel there): the GPU tests, compute-sanitizer
# (memcheck on the GPU tests, racecheck on a subset) and the benchmark, from
# binaries built here and copied into .devbuild/ by scripts/device_stage.sh.
# Logs and JSON go under $OUT.
#   scripts/device_check.sh [tests] [sanitize] [bench [bench flags...]]
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/hinm_out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$PWD/.devbuild/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
BIN=.devbuild/bin
status=0
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee "$OUT/device.txt"

run_tests() {
  for t in mma_sp_layout_test dense_gemm_device_test spmm_device_test c_api_device_test; do
    echo "== $t"
    "$BIN/$t" --gtest_brief=1 >"$OUT/$t.log" 2>&1
    local rc=$?
    tail -n 30 "$OUT/$t.log"
    [ $rc -eq 0 ] || status=1
  done
}

run_sanitize() {
  local cs=/usr/local/cuda/bin/compute-sanitizer
  echo "== memcheck (GPU test suite)"
  $cs --tool memcheck --error-exitcode 9 --leak-check full "$BIN/spmm_device_test" \
      --gtest_brief=1 >"$OUT/memcheck.log" 2>&1 || status=1
  $cs --tool memcheck --error-exitcode 9 "$BIN/dense_gemm_device_test" --gtest_brief=1 \
      >>"$OUT/memcheck.log" 2>&1 || status=1
  tail -n 8 "$OUT/memcheck.log"
  echo "== racecheck (subset: f16 bF cF and bf16 bT cT cases)"
  $cs --tool racecheck --error-exitcode 9 "$BIN/spmm_device_test" --gtest_brief=1 \
      --gtest_filter='*_f16_bF_cF*:*_bf16_bT_cT*' >"$OUT/racecheck.log" 2>&1 || status=1
  tail -n 8 "$OUT/racecheck.log"
  echo "== synccheck (same subset)"
  $cs --tool synccheck --error-exitcode 9 "$BIN/spmm_device_test" --gtest_brief=1 \
      --gtest_filter='*_f16_bT_cF*' >"$OUT/synccheck.log" 2>&1 || status=1
  tail -n 4 "$OUT/synccheck.log"
  echo "== initcheck (subset: f16 bF cF cases)"
  $cs --tool initcheck --error-exitcode 9 "$BIN/spmm_device_test" --gtest_brief=1 \
      --gtest_filter='*_f16_bF_cF*' >"$OUT/initcheck.log" 2>&1 || status=1
  tail -n 4 "$OUT/initcheck.log"
}

run_bench() {
  echo "== spmm_bench $*"
  "$BIN/spmm_bench" --json "$OUT/bench.json" "$@" 2>&1 | tee "$OUT/bench.log" || status=1
}

[ $# -eq 0 ] && set -- tests
while [ $# -gt 0 ]; do
  case "$1" in
    tests) run_tests; shift ;;
    sanitize) run_sanitize; shift ;;
    bench) shift; run_bench "$@"; break ;;
    *) echo "unknown step $1"; exit 2 ;;
  esac
done
exit $status
