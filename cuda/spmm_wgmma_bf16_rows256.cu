// The sm_90a wgmma.sp kernel for bf16 with 256-row slices (V % 256 == 0:
// both consumer warpgroups' two m64 groups read one B gather) and token tiles
// of 128, two k-blocks per stage (built for sm_90a only: see cuda/BUILD.bazel).
#include "cuda/spmm_kernel_args.h"
#include "cuda/spmm_wgmma_kernel.cuh"

namespace hinm_cuda {

cudaError_t LaunchSpmmWgmma_bf16_n128_rows256(const KernelArgs& a, int grid, cudaStream_t stream) {
  return LaunchSpmmWgmmaKernel<__nv_bfloat16, 128, 2, 16>(a, grid, stream);
}

}  // namespace hinm_cuda
