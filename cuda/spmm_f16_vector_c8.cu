// Instantiation: HiNM SpMM kernel, f16, config vector_c8 (cuda/spmm_configs.h):
// vector with a cluster sum of 5-8 splits.
#include "cuda/spmm_kernel.cuh"

namespace hinm_cuda {

cudaError_t LaunchSpmm_f16_vector_c8(const KernelArgs& a, cudaStream_t stream) {
  return LaunchSpmmKernel<__half, static_cast<int>(ConfigId::kVectorC8)>(a, stream);
}

}  // namespace hinm_cuda
