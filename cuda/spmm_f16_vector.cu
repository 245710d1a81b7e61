// Instantiation: HiNM SpMM kernel, f16, config vector (cuda/spmm_configs.h).
#include "cuda/spmm_kernel.cuh"

namespace hinm_cuda {

cudaError_t LaunchSpmm_f16_vector(const KernelArgs& a, cudaStream_t stream) {
  return LaunchSpmmKernel<__half, static_cast<int>(ConfigId::kVector)>(a, stream);
}

}  // namespace hinm_cuda
