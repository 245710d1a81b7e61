#!/usr/bin/env bash
# Runs on the device machine: the tile-config / split experiments of
# docs/performance.md through the planner's benchmark knobs
# (HINM_SPMM_CONFIG=<config name>, HINM_SPMM_SPLITS=<n>). Every forced config
# first runs the whole GPU test suite (it must pass before it is timed), then
# the benchmark subset. Logs under $OUT.
#   scripts/device_tune.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/hinm_out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$PWD/.devbuild/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
BIN=.devbuild/bin
LOG=$OUT/tune.log
status=0
CFGS_WIDE=${CFGS_WIDE:-"x_wide_s3_nopf x_128x256_w64x64_s4 x_128x128_w64x64_s4"}
CFGS_NARROW=${CFGS_NARROW:-"x_narrow_nopf"}
SHAPES=${SHAPES:-8192x8192,28672x8192,4096x4096}
for cfg in $CFGS_WIDE $CFGS_NARROW; do
  if HINM_SPMM_CONFIG=$cfg "$BIN/spmm_device_test" --gtest_brief=1 --gtest_filter='*_f16_*' \
      >>"$OUT/tune_tests.log" 2>&1; then echo "tests $cfg: PASS" | tee -a "$LOG"
  else echo "tests $cfg: FAIL" | tee -a "$LOG"; status=1; fi
done
bench() {  # label, env..., -- bench flags
  local label=$1; shift
  echo "== $label" | tee -a "$LOG"
  env "$@" | grep -v '^#\|^device\|^shape' | sed "s/^/$label /" | tee -a "$LOG"
}
B="$BIN/spmm_bench --iters 20"
L="--shapes $SHAPES"
bench default $B $L --n 16,64,4096 --sparsity 75,87.5
for cfg in $CFGS_WIDE; do
  bench "$cfg" HINM_SPMM_CONFIG=$cfg $B $L --n 4096 --sparsity 75,87.5
done
for cfg in $CFGS_NARROW; do
  bench "$cfg" HINM_SPMM_CONFIG=$cfg $B $L --n 16 --sparsity 75,87.5
done
exit $status
