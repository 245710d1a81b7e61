#!/usr/bin/env bash
# Builds the GPU test and benchmark binaries here with Bazel and copies them,
# with the project's shared libraries they load, into .devbuild/ (ignored),
# for `run` with carry [".devbuild"] and scripts/device_check.sh there.
set -euo pipefail
cd "$(dirname "$0")/.."
targets=(//tests/cuda:mma_sp_layout_test //tests/cuda:dense_gemm_device_test
         //tests/cuda:plan_search_device_test
         //tests/cuda:spmm_device_test //tests/c_api:c_api_device_test
         //tests/c_api:c_api_streams_device_test //tests/c_api:c_api_oom_device_test)
[ -d benchmarks ] && [ -f benchmarks/BUILD.bazel ] &&
  targets+=(//benchmarks:spmm_bench //benchmarks:ffn_bench)
bazel build "${targets[@]}"
rm -rf .devbuild && mkdir -p .devbuild/bin .devbuild/lib
for t in "${targets[@]}"; do
  p=${t#//}; p=${p/://}
  cp -L "bazel-bin/$p" .devbuild/bin/
  ldd "bazel-bin/$p" | awk '/_solib_/ {print $3}' | xargs -r -I{} cp -L {} .devbuild/lib/
done
# The instruction-ceiling microbenchmarks (plain nvcc, not Bazel/CI targets).
/usr/local/cuda/bin/nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I. \
    benchmarks/mma_sp_peak.cu -o .devbuild/bin/mma_sp_peak
# The L2 -> shared memory copy ceilings (the wgmma.sp kernel's roofline).
/usr/local/cuda/bin/nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I. \
    benchmarks/l2_smem_peak.cu -o .devbuild/bin/l2_smem_peak
# The DRAM streaming floor of decode-sized reads (the decode rows' yardstick).
/usr/local/cuda/bin/nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I. \
    benchmarks/dram_stream_peak.cu -o .devbuild/bin/dram_stream_peak
# The device copy has no .git: record what was built (benchmarks/report.sh
# reads it); "-dirty" if the working tree had uncommitted changes.
{ git rev-parse --short HEAD 2>/dev/null || echo unknown; } | tr -d '\n' >.devbuild/COMMIT
git diff --quiet HEAD 2>/dev/null || echo -n "-dirty" >>.devbuild/COMMIT
du -sh .devbuild
