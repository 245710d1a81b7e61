#!/usr/bin/env bash
# Runs on the device machine: the planner / kernel knob experiments of
# docs/performance.md, through the benchmark knobs of cuda/spmm_launch.cu
# (HINM_SPMM_SPLITS, HINM_SPMM_CONFIG, HINM_SPMM_WGMMA_EXP, ...). A
# setting that changes kernel code first passes the matching GPU test cases;
# spmm_bench checks every timed result against cuBLAS. Logs under $OUT.
#   scripts/device_tune.sh wgmma    wgmma.sp at N = 4096: its parts' times and a
#                                   source-level stall profile under ncu
#   scripts/device_tune.sh decode   split-K counts at N <= 16 (CUDA-graph timing),
#                                   and the kernels' own times under ncu
#   scripts/device_tune.sh splits   forced K-split counts (cluster sum or partials) on the
#                                   13-39 MB decode layers; SPLITS the counts,
#                                   SPLIT_FLAGS the rows (default N = 1 and 16)
#   scripts/device_tune.sh config   mma.sp configs forced at N = 64-512 vs the default plan
#   scripts/device_tune.sh vector   N = 1: B packed / read in place (vector config), with
#                                   and without the k-loop rotation,
#                                   same binary, ROUNDS (2) rounds, CUDA-graph timing; the
#                                   LLaMA-7B feed-forward chain at N = 1
#   scripts/device_tune.sh vector-ncu  N = 1: the mma.sp kernel under ncu (--set full),
#                                   narrow over packed B vs the vector config over B in
#                                   place, both rotated (the two k-loops side by side)
#   scripts/device_tune.sh decode-ncu  the decode rows that miss their targets
#                                   under ncu's full set (DECODE_NCU_ROWS)
#   scripts/device_tune.sh plain24  plain 2:4 (sparsity 50) at V = 128 and 256
#   scripts/device_tune.sh cluster8 clusters of 5-8 splits against a build without (tune_cluster8)
#   scripts/device_tune.sh search   spmm_bench against spmm_bench --search (hinm's timed
#                                   choice of the K split), as `ab`; AB_FLAGS the rows
#   scripts/device_tune.sh exp      experiment builds staged by device_stage.sh
#                                   EXPERIMENTS: the base's whole suite first if
#                                   EXP_BASE_TESTS=1, each one's GPU test cases
#                                   (EXP_TESTS), then ROUNDS (2) alternating rounds
#                                   against spmm_bench (EXP_FLAGS) at each build's
#                                   V (EXP_V="name=128 ...", default WGMMA_V or
#                                   256), and the wgmma.sp kernel's time under ncu
#   scripts/device_tune.sh bn       the wgmma.sp token tile: planner vs forced 128 / 256
#                                   (BN_FLAGS rows, BN_V tile height), ROUNDS rounds
#   scripts/device_tune.sh ab       the staged spmm_bench against
#                                   .devbuild/bin/spmm_bench_base (a build of the
#                                   baseline commit copied there), alternating,
#                                   ROUNDS (2) rounds, CUDA-graph timing; AB_FLAGS picks
#                                   the rows (default: the decode layers), AB_BINS
#                                   the binaries in .devbuild/bin (default:
#                                   spmm_bench_base spmm_bench)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/hinm_out}
mkdir -p "$OUT"
export LD_LIBRARY_PATH=$PWD/.devbuild/lib:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
BIN=.devbuild/bin
LOG=$OUT/tune.log
status=0

bench() {  # label, env assignments..., bench flags...
  local label=$1; shift
  echo "== $label" | tee -a "$LOG"
  env "$@" | grep -v '^#\|^device\|^shape\|^timing\|^cuSPARSELt' | sed "s/^/$label /" | tee -a "$LOG"
}
B="$BIN/spmm_bench --no-cusparselt"

# GPU tests before a knob or build is timed: label, log file, then the
# command (env assignments first); PASS/FAIL to the tune log, the log's tail
# on failure. Returns the test's status.
gpu_tests() {
  local label=$1 log=$2; shift 2
  if env "$@" >"$log" 2>&1; then echo "$label: PASS" | tee -a "$LOG"; return 0; fi
  echo "$label: FAIL" | tee -a "$LOG"; tail -20 "$log"; status=1; return 1
}

# The wgmma.sp kernel's time under ncu, one launch: binary, HINM_SPMM_WGMMA_EXP
# value, then spmm_bench's row flags.
ncu_wgmma_time() {
  local bin=$1 exp=$2; shift 2
  env HINM_SPMM_WGMMA_EXP=$exp /usr/local/cuda/bin/ncu --clock-control none \
      --metrics gpu__time_duration.sum -k regex:wgmma -c 1 "$bin" --no-cusparselt "$@" 2>&1 |
      grep gpu__time_duration | tr -s ' '
}

# wgmma.sp, 8192x8192 N = 4096 (WGMMA_SPARSITY, default 75; WGMMA_V the tile
# height the weights are pruned with, default 128 -- 256 runs the 256-row
# slices): the kernel's time under ncu with parts switched off
# (HINM_SPMM_WGMMA_EXP 0 = all, 2 = no B gather, 4 = no wgmma, 6 = neither,
# 14 = the A stream only, no stores either; C is wrong with any of them,
# so spmm_bench reports a failed check and times nothing -- ncu's time is the
# result), then ncu's full set with source-level stall sampling of the whole
# kernel into $OUT/wgmma_source.ncu-rep (read it with
# `ncu -i ... --page source --csv --print-source sass`). Builds to compare
# (docs/performance.md 2026-12-07 (7)) go through `ab` with AB_FLAGS.
tune_wgmma() {
  local ncu=/usr/local/cuda/bin/ncu
  local row="--shapes 8192x8192 --n 4096 --sparsity ${WGMMA_SPARSITY:-75} --v ${WGMMA_V:-128}"
  for exp in 0 2 4 6 14; do
    echo "ncu EXP=$exp: $(ncu_wgmma_time "$BIN/spmm_bench" $exp $row)" | tee -a "$LOG"
  done
  $ncu --clock-control none --set full --import-source yes -k regex:wgmma -c 1 \
      -o "$OUT/wgmma_source" -f $B $row >"$OUT/wgmma_source.txt" 2>&1 || status=1
  # Readable without ncu: the details page, and per SASS instruction its
  # stall samples (warp states) as CSV.
  $ncu -i "$OUT/wgmma_source.ncu-rep" --page details >"$OUT/wgmma_details.txt" 2>&1 || status=1
  $ncu -i "$OUT/wgmma_source.ncu-rep" --page source --csv --print-source sass \
      >"$OUT/wgmma_sass.csv" 2>&1 || status=1
}

tune_decode() {
  bench default $B --graph --shapes 28672x8192,8192x8192 --n 1,16 --sparsity 75,87.5
  for s in ${SPLITS_28K:-1 3}; do
    bench "splits$s" HINM_SPMM_SPLITS=$s $B --graph --shapes 28672x8192 --n 16 --sparsity 75,87.5
  done
  for s in ${SPLITS_8K:-4 6 12}; do
    bench "splits$s" HINM_SPMM_SPLITS=$s $B --graph --shapes 8192x8192 --n 16 --sparsity 75,87.5
  done
  /usr/local/cuda/bin/ncu --clock-control none --metrics gpu__time_duration.sum \
      --kernel-name regex:'hinm|split_reduce' --launch-count 12 \
      $B --iters 3 --shapes 8192x8192 --n 16 --sparsity 87.5 >"$OUT/tune_ncu_decode.txt" 2>&1
  grep -E '^  [a-z_]+.*\(|gpu__time' "$OUT/tune_ncu_decode.txt" | sed 's/(KernelArgs).*//' | tee -a "$LOG"
}

# Forced K-split counts on the 13-39 MB decode layers, with and without the
# cluster sum (N = 1, 16; the planner's choice is the "default" rows).
tune_splits() {
  local shapes=${SPLIT_FLAGS:-"--shapes 8192x8192,11008x4096,4096x11008 --n 1,16 --sparsity 75,87.5"}
  bench default $B --graph $shapes
  for s in ${SPLITS:-2 3 4 6 8 12 16}; do
    bench "splits$s" HINM_SPMM_SPLITS=$s $B --graph $shapes
    [ "$s" -le 4 ] && bench "splits$s-partials" HINM_SPMM_SPLITS=$s HINM_SPMM_CLUSTER_REDUCE=0 $B --graph $shapes
  done
}

# Which mma.sp config serves mid-size N (the planner's table vs forced configs),
# against the default plan (wgmma.sp from N = 256 on sm_90).
tune_config() {
  local shapes="--shapes 28672x8192,8192x8192,11008x4096,4096x11008 --sparsity 75,87.5"
  bench default $B --graph $shapes --n 64,128,256,512
  bench mid HINM_SPMM_KERNEL=mma_sp HINM_SPMM_CONFIG=mid_128x64 $B --graph $shapes --n 128,256,512
  bench narrow HINM_SPMM_KERNEL=mma_sp HINM_SPMM_CONFIG=narrow_128x16 $B --graph $shapes --n 64,128
  bench wide HINM_SPMM_KERNEL=mma_sp HINM_SPMM_CONFIG=wide_128x128 $B --graph $shapes --n 256,512
}

# The wgmma.sp token tile (planner vs forced 128 / 256; HINM_SPMM_KERNEL=wgmma_sp
# so N = 256-512 rows run it even where the planner would take mma.sp), ROUNDS
# rounds: the data behind the planner's kWgmmaBn128Cost (cuda/spmm_launch.cu),
# which was measured before both tiles ran two k-blocks per stage. BN_FLAGS
# picks the rows (without --v; BN_V the tile height, default 128).
tune_bn() {
  local flags=${BN_FLAGS:---shapes 8192x8192,4096x11008,11008x4096 --n 256,512,1024,4096 --sparsity 75,87.5}
  flags="$flags --v ${BN_V:-128}"
  for r in $(seq "${ROUNDS:-2}"); do
    bench "planner-r$r" HINM_SPMM_KERNEL=wgmma_sp $B --graph $flags
    for bn in 128 256; do
      bench "bn$bn-r$r" HINM_SPMM_KERNEL=wgmma_sp HINM_SPMM_WGMMA_BN=$bn $B --graph $flags
    done
  done
}

tune_ab() {
  local flags=${AB_FLAGS:---shapes 28672x8192,8192x8192,11008x4096,4096x11008 --n 1,16,64 --sparsity 75,87.5}
  for r in $(seq "${ROUNDS:-2}"); do
    for b in ${AB_BINS:-spmm_bench_base spmm_bench}; do
      bench "$b-r$r" "$BIN/$b" --no-cusparselt --graph $flags
    done
  done
}

# N = 1: B packed (HINM_SPMM_VECTOR_B=0), read in place (=1, rotated k-loop;
# on sm_90 also the planner's choice, so no separate default rows), and each
# with the rotation switched the other way; ROUNDS rounds, interleaved;
# N = 16 with and without rotation; the LLaMA-7B feed-forward chain at N = 1
# (pack vs the planner's choice).
tune_vector() {
  local shapes="--shapes 8192x8192,11008x4096,4096x11008,28672x8192"
  local flags=${AB_FLAGS:-$shapes --n 1 --sparsity 75,87.5}
  local flags16=${AB_FLAGS16:-$shapes --n 16 --sparsity 75,87.5}
  for r in $(seq "${ROUNDS:-2}"); do
    bench "pack-r$r" HINM_SPMM_VECTOR_B=0 $B --graph $flags
    bench "vector-r$r" HINM_SPMM_VECTOR_B=1 $B --graph $flags
    bench "pack-rot-r$r" HINM_SPMM_VECTOR_B=0 HINM_SPMM_ROTATE_KB=1 $B --graph $flags
    bench "vector-norot-r$r" HINM_SPMM_VECTOR_B=1 HINM_SPMM_ROTATE_KB=0 $B --graph $flags
  done
  bench "n16" $B --graph $flags16
  bench "n16-rot" HINM_SPMM_ROTATE_KB=1 $B --graph $flags16
  for v in 0 ""; do  # "": the planner's choice
    echo "== ffn vector_b=${v:-default}" | tee -a "$LOG"
    env ${v:+HINM_SPMM_VECTOR_B=$v} "$BIN/ffn_bench" --models llama-7b --n 1 --sparsity 75,87.5 2>&1 |
        grep -v '^#' | sed "s/^/ffn-${v:-default} /" | tee -a "$LOG"
  done
}

# One mma.sp launch per (row, path) under ncu's full section set; the pack
# kernel is excluded by the name filter. Text reports in $OUT/ncu_vector_*.txt.
tune_vector_ncu() {
  local ncu=/usr/local/cuda/bin/ncu
  for row in "8192x8192 87.5" "11008x4096 75"; do
    local shape sp; read -r shape sp <<<"$row"
    for v in 0 1; do
      local f="$OUT/ncu_vector_${shape}_${sp}_vb$v.txt"
      HINM_SPMM_VECTOR_B=$v HINM_SPMM_ROTATE_KB=1 $ncu --clock-control none --set full \
          --kernel-name regex:hinm_spmm --launch-skip 3 --launch-count 1 \
          $B --iters 5 --shapes "$shape" --n 1 --sparsity "$sp" >"$f" 2>&1 || status=1
      echo "== ncu $shape $sp% vector_b=$v" | tee -a "$LOG"
      grep -E 'Duration|Executed Ipc A|Issue Slots Busy|Registers Per|Achieved Occupancy|Warp Cycles Per Issued|L2 Hit Rate|Memory Throughput|Executed Instructions  ' \
          "$f" | tee -a "$LOG"
    done
  done
}

# The decode rows that miss issue 3's targets under ncu's full section set,
# one launch of each hinm kernel of the call (the SpMM, and the split reduce
# or B pack where the plan has one), no CUDA graph (so no overlap with the
# previous call): where the time of a lone call goes. DECODE_NCU_ROWS:
# "shape sparsity N" triples separated by commas. Text reports in
# $OUT/ncu_decode_*.txt, a few lines of each to the tune log.
tune_decode_ncu() {
  local ncu=/usr/local/cuda/bin/ncu row shape sp n
  local rows=${DECODE_NCU_ROWS:-"4096x11008 87.5 1,4096x11008 87.5 16,11008x4096 87.5 16,8192x8192 87.5 1"}
  IFS=, read -ra list <<<"$rows"
  for row in "${list[@]}"; do
    read -r shape sp n <<<"$row"
    local f="$OUT/ncu_decode_${shape}_${sp}_n$n.txt"
    $ncu --clock-control none --set full --kernel-name regex:hinm \
        --launch-skip 3 --launch-count 3 \
        $B --iters 5 --shapes "$shape" --n "$n" --sparsity "$sp" >"$f" 2>&1 || status=1
    echo "== ncu $shape $sp% N = $n" | tee -a "$LOG"
    grep -E '^  [a-z_]+.*\(|Duration|DRAM Throughput|Memory Throughput|Issue Slots Busy|Achieved Occupancy|Warp Cycles Per Issued|L2 Hit Rate|Cluster Size|Grid Size' \
        "$f" | sed 's/(KernelArgs).*//' | tee -a "$LOG"
  done
}

# Plain 2:4 (sparsity 50: every column vector kept) through the wgmma.sp
# kernel at V = 128 and 256 (PLAIN_FLAGS the rows): the format's cost of a
# private B gather per tile where nothing is pruned at the vector level.
tune_plain24() {
  local flags=${PLAIN_FLAGS:---shapes 8192x8192,28672x8192 --n 1024,4096}
  for v in 128 256; do bench "plain24-v$v" $B --graph $flags --sparsity 50 --v $v; done
}

# Clusters of 5-8 splits in the decode model (2026-12-07 (3) in
# docs/performance.md): the staged build carries them (the cluster sum in one
# batch of ranks for up to 4, the shipped code, and two for 5-8), and
# .devbuild/bin/spmm_bench_base is a build without them. Its GPU tests
# (whole suite, then the decode cases with 5-8 splits forced into clusters),
# then tune_ab on the four decode layers (N = 1, 16, 64) and on the two
# layers whose plans the change moves that were never timed (N = 1, 16).
tune_cluster8() {
  local T="$BIN/spmm_device_test --gtest_brief=1"
  gpu_tests "tests" "$OUT/c8_tests.log" $T || return
  for s in 5 6 7 8; do
    gpu_tests "tests, $s splits" "$OUT/c8_tests_s$s.log" HINM_SPMM_SPLITS=$s $T \
        --gtest_filter='*_n1_*:*_n2_*:*_n7_*:*_n16_*:SpmmDeviceSplitK*' || return
  done
  tune_ab
  AB_FLAGS="--shapes 4096x4096,5120x5120 --n 1,16 --sparsity 75,87.5" tune_ab
}

# Experiment builds (device_stage.sh EXPERIMENTS=name=patch): every
# spmm_bench_<name> with a spmm_device_test_<name> beside it. With
# EXP_BASE_TESTS=1 the staged base build's whole spmm_device_test (and
# plan_search_device_test, if staged) runs first: the gate for a commit whose
# kernels changed. Each experiment's GPU test cases come next (EXP_TESTS,
# default the wgmma.sp and V = 256 cases); one that fails them is not timed.
# Then ROUNDS alternating rounds of the passing builds and spmm_bench,
# CUDA-graph timing, rows EXP_FLAGS (without --v), at each build's tile
# height: EXP_V="name=128 ..." (default WGMMA_V, else 256). Builds of one V
# share their rounds; each V has its own log ($OUT/tune_v<V>.log, appended
# to the tune log) and per-row medians against spmm_bench
# (benchmarks/ab_summary.py). Last, each build's wgmma.sp kernel under ncu
# on 8192x8192 75% N = 4096 at its V, once per HINM_SPMM_WGMMA_EXP value in
# EXP_NCU_BITS (default 0: the kernel as is; set empty, no ncu run).
exp_v() {  # the tile height experiment $1 is timed at
  local kv
  for kv in ${EXP_V:-}; do [ "${kv%%=*}" = "$1" ] && { echo "${kv#*=}"; return; }; done
  echo "${WGMMA_V:-256}"
}

tune_exp() {
  local timed=() f n v
  if [ "${EXP_BASE_TESTS:-0}" = 1 ]; then
    gpu_tests "tests base" "$OUT/tests_base.log" "$BIN/spmm_device_test" --gtest_brief=1
    [ -x "$BIN/plan_search_device_test" ] &&
      gpu_tests "tests plan_search" "$OUT/tests_plan_search.log" "$BIN/plan_search_device_test" --gtest_brief=1
  fi
  for f in "$BIN"/spmm_device_test_*; do
    [ -x "$f" ] || continue
    n=${f##*/spmm_device_test_}
    [ -x "$BIN/spmm_bench_$n" ] || { echo "$n: no spmm_bench_$n" | tee -a "$LOG"; status=1; continue; }
    gpu_tests "tests $n" "$OUT/tests_$n.log" "$f" --gtest_brief=1 \
        --gtest_filter="${EXP_TESTS:-*Wgmma*:*V256*:*_v256_*}" && timed+=("$n")
  done
  [ ${#timed[@]} -gt 0 ] || { echo "exp: no experiment build passed its tests" | tee -a "$LOG"; return; }
  local main_log=$LOG vs
  vs=$(for n in "${timed[@]}"; do exp_v "$n"; done | sort -un)
  for v in $vs; do
    local bins=(spmm_bench)
    for n in "${timed[@]}"; do [ "$(exp_v "$n")" = "$v" ] && bins+=("spmm_bench_$n"); done
    echo "== exp V = $v: ${bins[*]}" | tee -a "$main_log"
    LOG=$OUT/tune_v$v.log AB_BINS="${bins[*]}" \
      AB_FLAGS="${EXP_FLAGS:---shapes 8192x8192,28672x8192,4096x11008 --n 1024,4096 --sparsity 75,87.5} --v $v" \
      tune_ab >/dev/null
    cat "$OUT/tune_v$v.log" >>"$main_log"
    python3 benchmarks/ab_summary.py "$OUT/tune_v$v.log" --base spmm_bench | tee -a "$main_log"
  done
  local bits
  for bits in ${EXP_NCU_BITS-0}; do  # HINM_SPMM_WGMMA_EXP values (C is wrong with any but 0); "" skips ncu
    for n in "" "${timed[@]}"; do
      f=spmm_bench${n:+_$n}
      v=$(exp_v "$n")  # the base ("") at WGMMA_V or 256
      echo "ncu $f V=$v EXP=$bits: $(ncu_wgmma_time "$BIN/$f" $bits \
          --shapes 8192x8192 --n 4096 --sparsity 75 --v $v)" | tee -a "$main_log"
    done
  done
}

# The planner's split against the one hinm's timed search picks (same
# binary; the search's own medians are printed in the plan column).
tune_search() {
  printf '#!/bin/sh\nexec "$(dirname "$0")/spmm_bench" --search "$@"\n' >"$BIN/spmm_bench_search"
  chmod +x "$BIN/spmm_bench_search"
  AB_BINS="spmm_bench spmm_bench_search" \
    AB_FLAGS="${AB_FLAGS:---shapes 8192x8192,11008x4096,4096x11008,28672x8192 --n 1,16 --sparsity 75,87.5}" \
    tune_ab
}

for what in "$@"; do
  case $what in
    wgmma) tune_wgmma ;;
    decode) tune_decode ;;
    ab) tune_ab ;;
    exp) tune_exp ;;
    config) tune_config ;;
    splits) tune_splits ;;
    vector) tune_vector ;;
    vector-ncu) tune_vector_ncu ;;
    cluster8) tune_cluster8 ;;
    decode-ncu) tune_decode_ncu ;;
    plain24) tune_plain24 ;;
    search) tune_search ;;
    bn) tune_bn ;;
    *) echo "unknown: $what" >&2; exit 2 ;;
  esac
done
exit $status
