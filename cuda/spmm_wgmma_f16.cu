// The sm_90a wgmma.sp kernel for f16, 128-row slices, token tiles of 128 and 256,
// two k-blocks per stage (built for sm_90a only: see cuda/BUILD.bazel).
#include "cuda/spmm_kernel_args.h"
#include "cuda/spmm_wgmma_kernel.cuh"

namespace hinm_cuda {

cudaError_t LaunchSpmmWgmma_f16_n128(const KernelArgs& a, int grid, cudaStream_t stream) {
  return LaunchSpmmWgmmaKernel<__half, 128, 2>(a, grid, stream);
}
cudaError_t LaunchSpmmWgmma_f16_n256(const KernelArgs& a, int grid, cudaStream_t stream) {
  return LaunchSpmmWgmmaKernel<__half, 256, 2>(a, grid, stream);
}

}  // namespace hinm_cuda
