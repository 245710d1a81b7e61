// The gather of B rows, shared by both SpMM kernels: one 16-byte chunk of
// a gathered row. Device code only.
#ifndef HINM_CUDA_SPMM_B_CHUNK_CUH_
#define HINM_CUDA_SPMM_B_CHUNK_CUH_

#include <cstdint>

#include "cuda/mma_sp.cuh"
#include "cuda/spmm_kernel_args.h"

namespace hinm_cuda {

// Tokens col .. col+7 of B row src_row (a col_idx entry) into shared memory
// at dst. Padding slots (src_row -1) and tokens past N are zero-filled by
// cp.async's src-size, so the kernels need no branches around the copy.
__device__ __forceinline__ void cp_async_b_chunk(uint32_t dst, const KernelArgs& a,
                                                 int32_t src_row, int col) {
  const uint16_t* src = a.b;  // any valid address when nothing is read
  int bytes = 0;
  if (src_row >= 0 && col < a.n) {
    bytes = min(8, a.n - col) * 2;
    src = a.b + static_cast<int64_t>(src_row) * a.ldb + col;
  }
  cp_async_16_zfill(dst, src, bytes);
}

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_B_CHUNK_CUH_
