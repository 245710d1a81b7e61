#!/usr/bin/env bash
# The whole benchmark report in one command, on a GPU machine:
#
#   bash benchmarks/report.sh [--quick] [--out DIR] [--figures DIR] [--bin DIR]
#
# 1. binaries: --bin DIR (spmm_bench, ffn_bench, mma_sp_peak, COMMIT, and
#    the libraries they load in DIR/../lib), else .devbuild/bin (staged by
#    scripts/device_stage.sh; the GPU machine has no Bazel) if present, else
#    `bazel build` + nvcc here;
# 2. records the device (nvidia-smi), the commit, the cuSPARSELt wheel version;
# 3. benchmarks/mma_sp_peak: the measured mma.sp / mma instruction ceilings;
# 4. spmm_bench (hinm vs cuBLAS vs cuSPARSELt 2:4, all shapes and N; it also
#    measures the device copy bandwidth) -> spmm.json;
# 5. ffn_bench (BERT-large / LLaMA-7B feed-forward blocks) -> ffn.json;
# 6. report.json (device, date, commit, ceilings, versions, file names) and
#    benchmarks/plot_results.py -> PNGs.
# Outputs go to --out (default $OUT if set, e.g. on the device machine, else
# benchmarks/results/report_<date>); figures to --figures (default <out>/figures).
# --quick: two shapes and three N (a smoke test), not the report.
set -uo pipefail
cd "$(dirname "$0")/.."
quick=0
out=${OUT:-}
figs=
bindir=
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; shift ;;
    --out) out=$2; shift 2 ;;
    --figures) figs=$2; shift 2 ;;
    --bin) bindir=$2; shift 2 ;;
    *) echo "report.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
day=$(date -u +%Y-%m-%d)
[ -n "$out" ] || out=benchmarks/results/report_$day
[ -n "$figs" ] || figs=$out/figures
mkdir -p "$out" "$figs"
log=$out/report.log
: >"$log"
say() { echo "$@" | tee -a "$log"; }
status=0

# 1. Binaries.
[ -z "$bindir" ] && [ -x .devbuild/bin/spmm_bench ] && [ -x .devbuild/bin/ffn_bench ] &&
  bindir=.devbuild/bin
if [ -n "$bindir" ]; then
  bin=$bindir
  libdir=$(cd "$bin/.." && pwd)/lib
  export LD_LIBRARY_PATH=$libdir:/usr/local/cuda/lib64:${LD_LIBRARY_PATH:-}
  commit=$(cat "$bin/../COMMIT" 2>/dev/null || echo unknown)
elif command -v bazel >/dev/null; then
  bazel build //benchmarks:spmm_bench //benchmarks:ffn_bench >>"$log" 2>&1 || { say "bazel build failed"; exit 1; }
  bin=$(mktemp -d)
  cp -L bazel-bin/benchmarks/spmm_bench bazel-bin/benchmarks/ffn_bench "$bin"/
  /usr/local/cuda/bin/nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I. \
      benchmarks/mma_sp_peak.cu -o "$bin"/mma_sp_peak >>"$log" 2>&1 || say "mma_sp_peak: nvcc failed"
  commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
  git diff --quiet HEAD 2>/dev/null || commit="$commit-dirty"
else
  echo "report.sh: no staged .devbuild/ and no bazel" >&2
  exit 1
fi

# 2. Device, commit, cuSPARSELt (the PyPI wheel's library, dlopen'ed by
# spmm_bench; HINM_CUSPARSELT_LIB overrides).
device=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)
lt_dir=$(python3 -c "import nvidia.cusparselt as m, os; print(list(m.__path__)[0])" 2>/dev/null)
[ -n "$lt_dir" ] && [ -d "$lt_dir/lib" ] && export LD_LIBRARY_PATH=$lt_dir/lib:${LD_LIBRARY_PATH:-}
lt_wheel=$(python3 -m pip show nvidia-cusparselt-cu13 2>/dev/null | awk '/^Version:/ {print $2}')
say "device: $device"
say "commit: $commit   date: $day   cuSPARSELt wheel: ${lt_wheel:-not installed}"

# 3. Instruction ceilings.
say "== mma_sp_peak"
peak_sp= ; peak_dense=
if [ -x "$bin/mma_sp_peak" ]; then
  peak=$("$bin/mma_sp_peak" 2>&1); echo "$peak" | tee -a "$log"
  peak_sp=$(echo "$peak" | awk '/^mma.sp/ {for (i=1;i<=NF;i++) if ($i=="dense-equivalent") print $(i-1)}' | head -1)
  peak_dense=$(echo "$peak" | awk '/dense\)/ {for (i=1;i<=NF;i++) if ($i=="dense-equivalent") print $(i-1)}' | head -1)
fi

# 4-5. The benchmarks.
if [ $quick -eq 1 ]; then
  spmm_args=(--shapes 4096x4096,11008x4096 --n 1,16,4096 --iters 10)
  ffn_args=(--n 1,16,4096 --iters 10)
else
  spmm_args=(--full --n 1,16,64,128,1024,4096)
  ffn_args=()
fi
say "== spmm_bench ${spmm_args[*]}"
"$bin/spmm_bench" "${spmm_args[@]}" --commit "$commit" --json "$out/spmm.json" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1
say "== ffn_bench ${ffn_args[*]}"
"$bin/ffn_bench" "${ffn_args[@]}" --commit "$commit" --json "$out/ffn.json" 2>&1 | tee -a "$log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# 6. Summary JSON and plots.
cmd="bash benchmarks/report.sh"
[ $quick -eq 1 ] && cmd="$cmd --quick"
cat >"$out/report.json" <<EOF
{
  "device": "$device",
  "date": "$day",
  "commit": "$commit",
  "cusparselt_wheel": "${lt_wheel:-not installed}",
  "mma_sp_dense_equiv_tflops": ${peak_sp:-null},
  "mma_dense_tflops": ${peak_dense:-null},
  "spmm": "spmm.json",
  "ffn": "ffn.json",
  "command": "$cmd"
}
EOF
if python3 -c "import matplotlib" 2>/dev/null; then
  python3 benchmarks/plot_results.py --dir "$out" --figures "$figs" 2>&1 | tee -a "$log"
else
  say "matplotlib missing: pip install matplotlib, then python3 benchmarks/plot_results.py --dir $out"
fi
say "report.sh: done (status $status), outputs in $out"
exit $status
