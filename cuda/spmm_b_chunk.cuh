// The gather of B rows, shared by both SpMM kernels: one 16-byte chunk of
// a gathered row. Device code only.
#ifndef HINM_CUDA_SPMM_B_CHUNK_CUH_
#define HINM_CUDA_SPMM_B_CHUNK_CUH_

#include <cstdint>
#include <type_traits>

#include "cuda/mma_sp.cuh"
#include "cuda/spmm_kernel_args.h"

namespace hinm_cuda {

// Both kernels give each thread a fixed 8-token column of the gathered rows
// for a whole work unit, so everything about the column is resolved once
// (BChunkColumn) and a chunk costs one multiply-add for the row address, a
// select and the copy. (Resolving it per chunk, with a 64-bit row x ldb
// product, took ~25 instructions per cp.async: ncu put the wgmma.sp
// kernel's producer at ~300 instructions per k-block and warp, barrier
// waits not counted, and the mma.sp kernel's gather at ~25 of its ~100.)
struct BChunkColumn {
  const char* ptr;  // B + col (bytes), or B itself past N: any valid address
  int bytes;        // 16, fewer at the N tail, 0 past it
  uint32_t ldb_bytes;  // the planner keeps ldb below 2^31 elements
};

__device__ __forceinline__ BChunkColumn MakeBChunkColumn(const KernelArgs& a, int col) {
  BChunkColumn c;
  c.ptr = reinterpret_cast<const char*>(a.b);
  c.bytes = 0;
  if (col < a.n) {
    c.ptr += static_cast<int64_t>(col) * 2;
    c.bytes = min(8, a.n - col) * 2;
  }
  c.ldb_bytes = static_cast<uint32_t>(a.ldb) * 2u;
  return c;
}

// 16 zero bytes in global memory: where a whole chunk is read (kWhole),
// padding slots copy this instead of being zero-filled.
static __device__ __align__(16) uint4 kZeroChunk;

// Tokens col .. col+7 of B row src_row (a col_idx entry) into shared memory
// at dst. Padding slots (src_row -1) and tokens past N are zero-filled by
// cp.async's src-size, so the kernels need no branches around the copy.
// kWhole: the caller knows the chunk lies inside N (c.bytes == 16); the copy
// then has a fixed size, which saves ptxas's src-size arithmetic (~5
// instructions per chunk).
template <bool kWhole>
__device__ __forceinline__ void cp_async_b_chunk(uint32_t dst, const BChunkColumn& c,
                                                 int32_t src_row) {
  const uint32_t row = src_row < 0 ? 0u : static_cast<uint32_t>(src_row);
  const char* src = c.ptr + static_cast<uint64_t>(row) * c.ldb_bytes;
  if constexpr (kWhole) {
    cp_async_16(dst, src_row < 0 ? reinterpret_cast<const char*>(&kZeroChunk) : src);
  } else {
    cp_async_16_zfill(dst, src, src_row < 0 ? 0 : c.bytes);
  }
}

// The kernels' whole-or-tail dispatch: gather(std::true_type{}) when every
// chunk of the unit lies inside N (whole: its tokens n0 .. n0 + BN - 1 are
// all < N), gather(std::false_type{}) otherwise; gather passes the type's
// value on as cp_async_b_chunk's kWhole. `whole` is uniform over the CTA.
template <typename Gather>
__device__ __forceinline__ void GatherBChunks(bool whole, Gather&& gather) {
  if (whole)
    gather(std::true_type{});
  else
    gather(std::false_type{});
}

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_B_CHUNK_CUH_
