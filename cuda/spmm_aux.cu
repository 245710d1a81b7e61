// The SpMM's helper passes: B packing (token-major or unaligned B into a
// K x round_up(N, 8) row-major buffer the main kernel can cp.async from) and
// the split-K reduction (partials summed in split order: bit-reproducible).
// On sm_90 both are launched as programmatic dependents (cuda/pdl.cuh) of
// the kernel before them, so their launch overlaps its tail; each waits
// (griddep_wait) before its first memory access.
#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <algorithm>
#include <type_traits>

#include "cuda/pdl.cuh"
#include "cuda/spmm_epilogue.cuh"
#include "cuda/spmm_kernel_args.h"

namespace hinm_cuda {
namespace {

// Token-major src (n x k, ldb) -> dst (k x ldd): 32 x 32 tiles through shared
// memory (odd row pitch: no bank conflicts on the transposed read).
__global__ void pack_b_transpose_kernel(const uint16_t* __restrict__ src, int64_t ldb, int32_t k,
                                        int32_t n, uint16_t* __restrict__ dst, int64_t ldd) {
  __shared__ uint16_t tile[32][33];
  // B, and the workspace the previous SpMM may still read. No early trigger:
  // the SpMM launched while a pack runs was placed unevenly on the SMs
  // (1.4x slower on 28672x8192 N = 1; 2026-11-25_h100_pdl_chain.log).
  griddep_wait();
  const int64_t k0 = static_cast<int64_t>(blockIdx.x) * 32;
  for (int64_t n0 = static_cast<int64_t>(blockIdx.y) * 32; n0 < n; n0 += 32LL * gridDim.y) {
    for (int i = threadIdx.y; i < 32; i += blockDim.y) {
      const int64_t nn = n0 + i, kk = k0 + threadIdx.x;
      if (nn < n && kk < k) tile[i][threadIdx.x] = src[nn * ldb + kk];
    }
    __syncthreads();
    for (int i = threadIdx.y; i < 32; i += blockDim.y) {
      const int64_t kk = k0 + i, nn = n0 + threadIdx.x;
      if (kk < k && nn < n) dst[kk * ldd + nn] = tile[threadIdx.x][i];
    }
    __syncthreads();
  }
  // Zero the row tails [n, ldd): the main kernel's cp.async reads them only
  // with src-size 0 (zero-fill), but compute-sanitizer initcheck counts the
  // whole 16-byte chunk as read.
  if (blockIdx.y == 0 && threadIdx.x < ldd - n)
    for (int i = threadIdx.y; i < 32; i += blockDim.y)
      if (k0 + i < k) dst[(k0 + i) * ldd + n + threadIdx.x] = 0;
}

// Feature-major src (k x n, ldb), ldd <= kRowsPackMaxLd: one thread per row
// of dst, written as 16-byte chunks (the tail [n, ldd) zero). The decode
// pack (N = 1: K rows of 2 bytes) thus runs as K / 256 CTAs with one store per
// row instead of a thread and a 2-byte store per element: 0.3-0.5 us less per
// call at N = 1 and 7 on the four large layers (H100,
// 2026-11-25_h100_trigger.log, exp28). Triggering the SpMM right after this
// kernel's wait was re-measured with it and is still slower (8192x8192 87.5%
// N = 1 12.6 -> 13.6 us).
constexpr int64_t kRowsPackMaxLd = 64;
__global__ void pack_b_rows_kernel(const uint16_t* __restrict__ src, int64_t ldb, int32_t k,
                                   int32_t n, uint16_t* __restrict__ dst, int64_t ldd) {
  griddep_wait();  // no early trigger, as pack_b_transpose_kernel
  const int64_t kk = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x;
  if (kk >= k) return;
  const uint16_t* row = src + kk * ldb;
  uint4* out = reinterpret_cast<uint4*>(dst + kk * ldd);  // ldd % 8 == 0, dst 16-byte aligned
  for (int64_t c = 0; c < ldd / 8; ++c) {
    uint16_t v[8];
#pragma unroll
    for (int j = 0; j < 8; ++j) v[j] = c * 8 + j < n ? row[c * 8 + j] : uint16_t{0};
    uint4 o;
    __builtin_memcpy(&o, v, 16);
    out[c] = o;
  }
}

// Feature-major src (k x n, ldb) with an unaligned pointer or ldb -> dst.
__global__ void pack_b_copy_kernel(const uint16_t* __restrict__ src, int64_t ldb, int32_t k,
                                   int32_t n, uint16_t* __restrict__ dst, int64_t ldd) {
  // Also zeroes the row tails [n, ldd) (see pack_b_transpose_kernel).
  griddep_wait();
  const int64_t total = static_cast<int64_t>(k) * ldd;
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < total;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    const int64_t kk = i / ldd, nn = i % ldd;
    dst[i] = nn < n ? src[kk * ldb + nn] : uint16_t{0};
  }
}

// Split-K reduction: thread i sums the partials of outputs 2i, 2i+1 (one
// row, n even: float2 loads and one paired store) or of output i (n odd) in
// split order 0, 1, ... -- the order of the cluster path (bit-identical).
// The partials are loaded kBatch splits at a time before they are added:
// summing as they arrive put one L2 latency per split on every thread
// (ncu, 8192x8192 87.5% N = 16, 8 splits: 4.7 us). The last batch is
// predicated rather than summed a split at a time: with batches of 4 and a
// serial tail, 4096x11008 75% N = 16 (7 partials) reduced in ~1.9 us, with
// predicated batches of 8 in ~1.2 us (per-CTA timestamps on the H100,
// 2026-11-25_h100_trigger.log). Launched as a
// programmatic dependent of the main kernel on sm_90: its launch overlaps
// the main kernel, griddep_wait() returns once the partials are written.
// Then it lets the next kernel in the stream launch (the next SpMM
// prefetches its weights while this one sums).
template <typename T, bool kPairs>
__global__ void split_reduce_kernel(const KernelArgs a) {
  constexpr int kBatch = 8;
  constexpr int kVec = kPairs ? 2 : 1;
  using Vec = typename std::conditional<kPairs, float2, float>::type;
  griddep_wait();
  griddep_launch_dependents();
  // One split's plane (m x n outputs) in Vecs: the loop's extent and the distance
  // between consecutive splits.
  const int64_t plane = static_cast<int64_t>(a.m) * a.n / kVec;
  const Vec* partial = reinterpret_cast<const Vec*>(a.partial);
  for (int64_t i = blockIdx.x * static_cast<int64_t>(blockDim.x) + threadIdx.x; i < plane;
       i += static_cast<int64_t>(gridDim.x) * blockDim.x) {
    float s0 = 0.f, s1 = 0.f;
    auto add = [&](const Vec& v) {
      if constexpr (kPairs) {
        s0 += v.x;
        s1 += v.y;
      } else {
        s0 += v;
      }
    };
    for (int z = 0; z < a.splits; z += kBatch) {
      Vec v[kBatch];
#pragma unroll
      for (int j = 0; j < kBatch; ++j)
        if (z + j < a.splits) v[j] = partial[(z + j) * plane + i];
#pragma unroll
      for (int j = 0; j < kBatch; ++j)
        if (z + j < a.splits) add(v[j]);  // fixed order
    }
    const int64_t e = i * kVec;
    const int64_t row = e / a.n, col = e % a.n;
    StoreRowPair<T>(a, MakeOutputRow<T>(a, row), col, s0, s1, kPairs);
  }
}

unsigned GridFor(int64_t total, int threads) {
  return static_cast<unsigned>(std::min<int64_t>((total + threads - 1) / threads, 1 << 20));
}

}  // namespace

cudaError_t LaunchSplitReduce(const KernelArgs& a, bool bf16, bool after_main,
                              cudaStream_t stream) {
  const int64_t total = static_cast<int64_t>(a.m) * a.n;
  if (total == 0) return cudaSuccess;
  const bool pairs = a.n % 2 == 0;
  using Kernel = void (*)(KernelArgs);
  static constexpr Kernel kKernels[2][2] = {
      {split_reduce_kernel<__half, false>, split_reduce_kernel<__half, true>},
      {split_reduce_kernel<__nv_bfloat16, false>, split_reduce_kernel<__nv_bfloat16, true>}};
  KernelLaunch l(dim3(GridFor(pairs ? total / 2 : total, 256)), dim3(256), 0, stream, after_main);
  return cudaLaunchKernelEx(&l.config, kKernels[bf16 ? 1 : 0][pairs ? 1 : 0], a);
}

cudaError_t LaunchPackB(const uint16_t* src, int64_t ldb, bool src_token_major, int32_t k,
                        int32_t n, uint16_t* dst, int64_t ld_dst, bool programmatic,
                        cudaStream_t stream) {
  if (src_token_major) {
    KernelLaunch l(dim3(static_cast<unsigned>((k + 31) / 32),
                        static_cast<unsigned>(std::min<int64_t>((n + 31) / 32, 65535))),
                   dim3(32, 8), 0, stream, programmatic);
    return cudaLaunchKernelEx(&l.config, pack_b_transpose_kernel, src, ldb, k, n, dst, ld_dst);
  }
  if (ld_dst <= kRowsPackMaxLd) {
    KernelLaunch l(dim3(GridFor(k, 256)), dim3(256), 0, stream, programmatic);
    return cudaLaunchKernelEx(&l.config, pack_b_rows_kernel, src, ldb, k, n, dst, ld_dst);
  }
  KernelLaunch l(dim3(GridFor(static_cast<int64_t>(k) * ld_dst, 256)), dim3(256), 0, stream,
                 programmatic);
  return cudaLaunchKernelEx(&l.config, pack_b_copy_kernel, src, ldb, k, n, dst, ld_dst);
}

}  // namespace hinm_cuda
