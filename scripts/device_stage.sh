#!/usr/bin/env bash
# Builds the GPU test and benchmark binaries here with Bazel and copies them,
# with the project's shared libraries they load, into .devbuild/ (ignored),
# for `run` with carry [".devbuild"] and scripts/device_check.sh there.
# STAGE_ONLY="spmm_bench spmm_device_test ..." stages just those binaries
# (the Bazel targets' names, or mma_sp_peak / l2_smem_peak / dram_stream_peak):
# everything together is more than the 64 MiB the device tool carries.
# EXPERIMENTS="name=file.patch ..." also builds spmm_bench_<name> and
# spmm_device_test_<name> from the working tree with that patch applied
# (reverted afterwards; a patch that does not apply, or that changes files
# outside cuda/, stops the script), for
# `scripts/device_tune.sh exp` there. Each pair is ~16 MB of the 64.
set -euo pipefail
cd "$(dirname "$0")/.."
all=(//tests/cuda:mma_sp_layout_test //tests/cuda:dense_gemm_device_test
     //tests/cuda:plan_search_device_test
     //tests/cuda:spmm_device_test //tests/c_api:c_api_device_test
     //tests/c_api:c_api_streams_device_test //tests/c_api:c_api_oom_device_test)
[ -d benchmarks ] && [ -f benchmarks/BUILD.bazel ] &&
  all+=(//benchmarks:spmm_bench //benchmarks:ffn_bench)
wanted() { [ -z "${STAGE_ONLY:-}" ] || [[ " $STAGE_ONLY " == *" $1 "* ]]; }
targets=()
for t in "${all[@]}"; do wanted "${t##*:}" && targets+=("$t"); done
[ ${#targets[@]} -gt 0 ] && bazel build "${targets[@]}"
rm -rf .devbuild && mkdir -p .devbuild/bin .devbuild/lib
for t in "${targets[@]}"; do
  p=${t#//}; p=${p/://}
  cp -L "bazel-bin/$p" .devbuild/bin/
  ldd "bazel-bin/$p" | awk '/_solib_/ {print $3}' | xargs -r -I{} cp -L {} .devbuild/lib/
done
# The ceiling microbenchmarks (plain nvcc, not Bazel/CI targets): the
# instruction ceilings, the L2 -> shared memory copy ceilings (the wgmma.sp
# kernel's roofline) and the DRAM streaming floor of decode-sized reads.
for peak in mma_sp_peak l2_smem_peak dram_stream_peak; do
  wanted $peak || continue
  /usr/local/cuda/bin/nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a -I. \
      benchmarks/$peak.cu -o .devbuild/bin/$peak
done
# Experiment builds: the patch applied, the two binaries built and copied
# under the experiment's name, the patch reverted (also on failure).
for e in ${EXPERIMENTS:-}; do
  name=${e%%=*} patch=${e#*=}
  git apply --check "$patch"
  # The binaries load the shared libraries staged above (HEAD's core and
  # dispatch); the kernels and their planner (cuda/) are linked in.
  if git apply --numstat "$patch" | awk '{print $3}' | grep -qv '^cuda/'; then
    echo "$patch: changes files outside cuda/, which the staged libraries would not carry" >&2
    exit 1
  fi
  git apply "$patch"
  trap 'git apply -R "$patch"' EXIT
  bazel build //benchmarks:spmm_bench //tests/cuda:spmm_device_test
  cp -L bazel-bin/benchmarks/spmm_bench ".devbuild/bin/spmm_bench_$name"
  cp -L bazel-bin/tests/cuda/spmm_device_test ".devbuild/bin/spmm_device_test_$name"
  git apply -R "$patch"
  trap - EXIT
  echo "$name: $patch" >>.devbuild/EXPERIMENTS
done
# The device copy has no .git: record what was built (benchmarks/report.sh
# reads it); "-dirty" if the working tree had uncommitted changes.
{ git rev-parse --short HEAD 2>/dev/null || echo unknown; } | tr -d '\n' >.devbuild/COMMIT
git diff --quiet HEAD 2>/dev/null || echo -n "-dirty" >>.devbuild/COMMIT
du -sh .devbuild
size_kib=$(du -sk .devbuild | cut -f1)
[ "$size_kib" -le $((64 * 1024)) ] ||
  echo "note: .devbuild is over the 64 MiB the device tool carries; STAGE_ONLY picks binaries" >&2
