#!/usr/bin/env bash
# Runs on the device machine (no Bazel there): the GPU tests, compute-sanitizer
# and the benchmark, from binaries built here and copied into .devbuild/ by
# scripts/device_stage.sh. Logs and JSON go under $OUT.
#   scripts/device_check.sh [tests] [sanitize] [sanitize-all | sanitize-all-1 |
#                           sanitize-all-2] [bench [bench flags...]]
# sanitize:       memcheck on spmm_device_test, the other tools on subsets (quick).
# sanitize-all:   memcheck (--leak-check full), racecheck, initcheck and synccheck
#                 over every GPU test binary, whole suites; sanitize-all-1 is
#                 memcheck + initcheck, sanitize-all-2 racecheck + synccheck (for
#                 two device calls where one is too short for all four). Logs in
#                 $OUT/sanitize/<tool>_<binary>.log, counts in
#                 $OUT/sanitize_summary.txt. SANITIZE_EXCLUDE="bin ..." drops
#                 binaries; SANITIZE_TIMEOUT (s, default 300) bounds each run.
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/hinm_out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$PWD/.devbuild/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
BIN=.devbuild/bin
CS=${COMPUTE_SANITIZER:-/usr/local/cuda/bin/compute-sanitizer}
status=0
# Every GPU test binary (tests/cuda and the C API's device tests).
GPU_TESTS="mma_sp_layout_test dense_gemm_device_test spmm_device_test plan_search_device_test c_api_device_test
           c_api_streams_device_test c_api_oom_device_test"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm --format=csv,noheader | tee "$OUT/device.txt"

run_tests() {
  for t in $GPU_TESTS; do
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

# One binary's whole suite under one tool: log, then one summary row
#   tool binary rc seconds tests passed skipped failed errors warnings leaked_bytes
# (errors: the tool's ERROR SUMMARY, or racecheck's hazard errors; "-" where
# the log has no such line).
sanitize_one() {
  local tool=$1 bin=$2 log=$OUT/sanitize/$1_$2.log
  local extra=()
  [ "$tool" = memcheck ] && extra=(--leak-check full)
  # The OOM test's cudaMalloc failures are deliberate (its filler, then the
  # library's allocations under OOM); memcheck would count each as an error.
  [ "$bin" = c_api_oom_device_test ] && extra+=(--report-api-errors no)
  local t0 t1 rc
  t0=$(date +%s.%N)
  timeout -k 10 "${SANITIZE_TIMEOUT:-300}" "$CS" --tool "$tool" \
      --error-exitcode 9 "${extra[@]}" "$BIN/$bin" --gtest_brief=1 >"$log" 2>&1
  rc=$?
  t1=$(date +%s.%N)
  [ $rc -eq 0 ] || status=1
  local num='s/[^0-9]*\([0-9][0-9]*\).*/\1/p'
  local tests passed skipped failed errors warnings leaked
  tests=$(grep -m1 -E '^\[==========\] [0-9]+ tests? from .* ran' "$log" | sed -n "$num")
  passed=$(grep -m1 -E '^\[  PASSED  \] [0-9]+' "$log" | sed -n "$num")
  skipped=$(grep -m1 -E '^\[  SKIPPED \] [0-9]+ test' "$log" | sed -n "$num")
  failed=$(grep -m1 -E '^\[  FAILED  \] [0-9]+ test' "$log" | sed -n "$num")
  if [ "$tool" = racecheck ]; then
    errors=$(grep -m1 'RACECHECK SUMMARY' "$log" | sed -n 's/.*(\([0-9]*\) error.*/\1/p')
    warnings=$(grep -m1 'RACECHECK SUMMARY' "$log" | sed -n 's/.* \([0-9]*\) warning.*/\1/p')
  else
    errors=$(grep -m1 'ERROR SUMMARY' "$log" | sed -n 's/.*ERROR SUMMARY: \([0-9]*\).*/\1/p')
  fi
  [ "$tool" = memcheck ] &&
    leaked=$(grep -m1 'LEAK SUMMARY' "$log" | sed -n 's/.*LEAK SUMMARY: \([0-9]*\) bytes.*/\1/p')
  printf '%-9s %-26s %3s %7.1f %5s %5s %5s %5s %5s %5s %s\n' "$tool" "$bin" "$rc" \
      "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')" "${tests:--}" "${passed:-0}" "${skipped:-0}" "${failed:-0}" \
      "${errors:--}" "${warnings:--}" "${leaked:--}" | tee -a "$OUT/sanitize_summary.txt"
}

# One tool over every GPU test binary. The OOM test runs under memcheck only:
# racecheck, initcheck and synccheck instrument kernels, and its kernels are
# the same ones, on the same kinds of shapes, that the other binaries run
# under those tools; with the GPU deliberately full, those tools' own device
# memory is what would fail, not hinm.
sanitize_tool() {
  local tool=$1 t0 t1 bin
  echo "== $tool (whole suites)"
  t0=$(date +%s)
  for bin in $GPU_TESTS; do
    case " ${SANITIZE_EXCLUDE:-} " in *" $bin "*) continue ;; esac
    [ "$tool" != memcheck ] && [ "$bin" = c_api_oom_device_test ] && continue
    if [ ! -x "$BIN/$bin" ]; then
      echo "$tool $bin MISSING (not staged)" | tee -a "$OUT/sanitize_summary.txt"
      status=1
      continue
    fi
    sanitize_one "$tool" "$bin"
  done
  t1=$(date +%s)
  echo "# $tool: $((t1 - t0)) s" | tee -a "$OUT/sanitize_summary.txt"
}

run_sanitize_all() {
  mkdir -p "$OUT/sanitize"
  if [ ! -s "$OUT/sanitize_summary.txt" ]; then
    {
      echo "# compute-sanitizer over the whole GPU suite: $(head -n1 "$OUT/device.txt")," \
           "$("$CS" --version | tail -n1), $(date -u +%FT%TZ)"
      echo "# tool     binary                      rc       s tests  pass  skip  fail  errs  warn leaked_bytes"
    } >"$OUT/sanitize_summary.txt"
  fi
  for tool in "$@"; do sanitize_tool "$tool"; done
  # Totals over the rows (columns 5..10); "-" counts as 0.
  awk '$3 == "MISSING" { miss++ }
       !/^#/ && NF >= 11 { n++; t += $5; p += $6; s += $7; f += $8; e += ($9 == "-" ? 0 : $9);
       w += ($10 == "-" ? 0 : $10); if ($3 != 0) bad++ }
       END { printf "# total of the rows above: %d runs, %d non-zero exits, %d binaries missing; %d test cases run, %d passed, %d skipped, %d failed; %d sanitizer errors, %d warnings\n", n, bad, miss, t, p, s, f, e, w }' \
      "$OUT/sanitize_summary.txt" | tee -a "$OUT/sanitize_summary.txt"
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
    sanitize-all) run_sanitize_all memcheck initcheck racecheck synccheck; shift ;;
    sanitize-all-1) run_sanitize_all memcheck initcheck; shift ;;
    sanitize-all-2) run_sanitize_all racecheck synccheck; shift ;;
    bench) shift; run_bench "$@"; break ;;
    *) echo "unknown step $1"; exit 2 ;;
  esac
done
exit $status
