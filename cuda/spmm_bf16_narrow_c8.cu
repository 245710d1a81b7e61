// Instantiation: HiNM SpMM kernel, bf16, config narrow_c8 (cuda/spmm_configs.h):
// narrow with a cluster sum of 5-8 splits.
#include "cuda/spmm_kernel.cuh"

namespace hinm_cuda {

cudaError_t LaunchSpmm_bf16_narrow_c8(const KernelArgs& a, cudaStream_t stream) {
  return LaunchSpmmKernel<__nv_bfloat16, static_cast<int>(ConfigId::kNarrowC8)>(a, stream);
}

}  // namespace hinm_cuda
