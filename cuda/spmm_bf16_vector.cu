// Instantiation: HiNM SpMM kernel, bf16, config vector (cuda/spmm_configs.h).
#include "cuda/spmm_kernel.cuh"

namespace hinm_cuda {

cudaError_t LaunchSpmm_bf16_vector(const KernelArgs& a, cudaStream_t stream) {
  return LaunchSpmmKernel<__nv_bfloat16, static_cast<int>(ConfigId::kVector)>(a, stream);
}

}  // namespace hinm_cuda
