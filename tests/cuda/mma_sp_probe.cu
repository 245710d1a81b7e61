// One warp, one mma.sp per pass: with B = a 32 x 8 selection matrix
// (B[k][n] = 1 iff k == 8*pass + n), D = A[:, 8*pass .. 8*pass+7].
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include "cuda/mma_sp.cuh"
#include "tests/cuda/mma_sp_probe.h"

namespace hinm_test {
namespace {

__global__ void mma_sp_probe_kernel(const uint16_t* values, const uint32_t* meta, bool bf16,
                                    float* dense) {
  const int lane = threadIdx.x;
  const int g = lane >> 2, t = lane & 3;
  const uint4 av = reinterpret_cast<const uint4*>(values)[lane];
  const uint32_t a[4] = {av.x, av.y, av.z, av.w};
  const uint32_t e = meta[(lane >> 2) * 2 + (lane & 1)];
  const uint16_t one = bf16 ? 0x3F80 : 0x3C00;
  for (int pass = 0; pass < 4; ++pass) {
    // B fragment register j holds k = 8j + 2t + {0,1}, column n = g.
    uint32_t b[4];
    for (int j = 0; j < 4; ++j) {
      uint32_t lo = (j == pass && 2 * t == g) ? one : 0;
      uint32_t hi = (j == pass && 2 * t + 1 == g) ? one : 0;
      b[j] = lo | (hi << 16);
    }
    float d[4] = {0.f, 0.f, 0.f, 0.f};
    if (bf16)
      hinm_cuda::mma_sp_m16n8k32_f32_bf16(d, a, b, e);
    else
      hinm_cuda::mma_sp_m16n8k32_f32_f16(d, a, b, e);
    for (int i = 0; i < 4; ++i) {
      const int row = g + 8 * (i >> 1), n = 2 * t + (i & 1);
      dense[row * 32 + 8 * pass + n] = d[i];
    }
  }
}

}  // namespace

cudaError_t RunMmaSpProbe(const uint16_t* values, const uint32_t* meta, bool bf16, float* dense) {
  mma_sp_probe_kernel<<<1, 32>>>(values, meta, bf16, dense);
  cudaError_t e = cudaPeekAtLastError();
  if (e != cudaSuccess) return e;
  return cudaDeviceSynchronize();
}

}  // namespace hinm_test
