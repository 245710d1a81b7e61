// Split-K reduction through distributed shared memory (sm_90 thread block
// clusters), for the mma.sp kernel's decode configs. Device code only.
//
// Without it, each split writes fp32 partials to the workspace and a second
// kernel sums them: for 8192x8192 at 87.5%, N = 16 (8 splits) that is 4 MB
// written and read again beside 19 MB of weights, plus a launch (ncu: 12.5 us
// main kernel + 4.7 us reduction). Here the planner launches the splits of
// one tile slice as one cluster (cluster dims 1 x 1 x splits, grid z =
// splits), and at the end of the k-loop:
//
//   every CTA:  own fp32 tile -> own shared memory   red[row][token]  (BM x BN)
//   cluster barrier
//   CTA rank r: rows [r*R, (r+1)*R) of the slice, R = ceil(BM / splits):
//               sum over ranks 0, 1, ..., splits-1 (remote shared loads),
//               alpha/beta/bias/row permutation, store C
//   cluster barrier (no CTA leaves while others still read its memory)
//
// The sum runs in split order from 0.f, as the reduce kernel's does, so both
// paths give the same bits for the same split count.
#ifndef HINM_CUDA_SPMM_CLUSTER_REDUCE_CUH_
#define HINM_CUDA_SPMM_CLUSTER_REDUCE_CUH_

#include <cstdint>

#include "cuda/spmm_configs.h"
#include "cuda/spmm_epilogue.cuh"
#include "cuda/spmm_kernel_args.h"

namespace hinm_cuda {

#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900

__device__ __forceinline__ void cluster_sync_all() {
  asm volatile("barrier.cluster.arrive.release.aligned;\n"
               "barrier.cluster.wait.acquire.aligned;\n" ::: "memory");
}

// The exit barrier only keeps every CTA's shared memory alive until the
// others have read it; the remote loads have returned (their values are
// summed), so no release is needed -- and a release would wait for this
// CTA's global stores of C (ncu: a GPU-scope MEMBAR, ~4% of a decode kernel).
__device__ __forceinline__ void cluster_sync_exit() {
  asm volatile("barrier.cluster.arrive.relaxed.aligned;\n"
               "barrier.cluster.wait.aligned;\n" ::: "memory");
}

__device__ __forceinline__ uint32_t cluster_cta_rank() {
  uint32_t r;
  asm volatile("mov.u32 %0, %%cluster_ctarank;\n" : "=r"(r));
  return r;
}

// The shared-memory address (this CTA's window) of the same variable in CTA
// `rank` of the cluster.
__device__ __forceinline__ uint32_t map_cluster_rank(uint32_t smem_addr, uint32_t rank) {
  uint32_t r;
  asm volatile("mapa.shared::cluster.u32 %0, %1, %2;\n" : "=r"(r) : "r"(smem_addr), "r"(rank));
  return r;
}

__device__ __forceinline__ float2 ld_cluster_f2(uint32_t addr) {
  float2 v;
  asm volatile("ld.shared::cluster.v2.f32 {%0, %1}, [%2];\n" : "=f"(v.x), "=f"(v.y) : "r"(addr));
  return v;
}

// Token pair i of the slice's rows [.., end) (kPairs per row), summed to
// (s0, s1): through the epilogue to C, if it is inside C.
template <typename T, int kCfg>
__device__ __forceinline__ void StoreSummedPair(const KernelArgs& args, int i, int end, int tile,
                                                int rb0, int n0, float s0, float s1) {
  constexpr int kPairs = kConfigs[kCfg].block_n() / 2;
  const int row = i / kPairs, tok = (i % kPairs) * 2;
  const int n = n0 + tok;
  const int64_t p = static_cast<int64_t>(tile) * args.tile_rows + rb0 * 16 + row;
  if (i >= end || n >= args.n || p >= args.m) return;
  const OutputRow<T> out = MakeOutputRow<T>(args, p);
  StoreRowPair<T>(args, out, n, s0, s1, n + 1 < args.n);
}

// The _c8 configs' sum (5-8 ranks): rows [row_begin, row_end) of the slice
// summed over the ranks in two batches of 4, all of a batch's remote loads
// issued before its first sum, each rank's window mapped as it is loaded,
// in a loop that is not unrolled. Unrolled over 8 ranks with the bases kept
// (as the 4-rank path below), the narrow kernel took 72 registers instead
// of 58 and ran 0.3-6.5% slower (docs/performance.md 2026-12-07 (2)); this
// form is the one timed in 2026-12-07 (4). Same order of summation (split
// 0, 1, ... from 0.f) as the 4-rank path and the reduce kernel.
template <typename T, int kCfg>
__device__ __forceinline__ void ClusterSumRanksInTwoBatches(const KernelArgs& args,
                                                            uint32_t red_addr, int splits,
                                                            int row_begin, int row_end, int tile,
                                                            int rb0, int n0) {
  constexpr TileConfig cfg = kConfigs[kCfg];
  constexpr int kBn = cfg.block_n(), kThreads = cfg.threads();
  constexpr int kR = 4;            // ranks per batch
  constexpr int kPairs = kBn / 2;  // token pairs per row
  constexpr int kU = 2;            // pairs per thread per round
  static_assert(cfg.cluster_ranks <= 2 * kR, "two batches of 4 ranks");
  const int end = row_end * kPairs;
  for (int i0 = row_begin * kPairs + static_cast<int>(threadIdx.x); i0 < end;
       i0 += kU * kThreads) {
    float s[kU][2] = {};
    // Not unrolled: unrolled, the compiler hoists the second batch's loads.
    // `b * kR < splits` always holds for b = 0; it stays because without it
    // the compiler kept more registers live (the two-path build of
    // 2026-12-07: narrow 62 instead of 58; sm_90a, cuobjdump -res-usage).
#pragma unroll 1
    for (int b = 0; b < 2 && b * kR < splits; ++b) {
      float2 v[kU][kR];
#pragma unroll
      for (int u = 0; u < kU; ++u) {
        const int i = i0 + u * kThreads;
        const uint32_t off = ((i / kPairs) * kBn + (i % kPairs) * 2) * 4;
#pragma unroll
        for (int z = 0; z < kR; ++z)
          if (i < end && b * kR + z < splits)
            v[u][z] = ld_cluster_f2(map_cluster_rank(red_addr, b * kR + z) + off);
      }
#pragma unroll
      for (int u = 0; u < kU; ++u)
#pragma unroll
        for (int z = 0; z < kR; ++z)  // split order from 0.f, as the reduce kernel
          if (i0 + u * kThreads < end && b * kR + z < splits) {
            s[u][0] += v[u][z].x;
            s[u][1] += v[u][z].y;
          }
    }
#pragma unroll
    for (int u = 0; u < kU; ++u)
      StoreSummedPair<T, kCfg>(args, i0 + u * kThreads, end, tile, rb0, n0, s[u][0], s[u][1]);
  }
}

// acc: the warp's accumulators as in hinm_spmm_kernel (row block r, 8-token
// column j; {row g: 2t, 2t+1; row g+8: 2t, 2t+1}); wm, wn: the warp's
// position. n0: first token of the CTA.
template <typename T, int kCfg>
__device__ __forceinline__ void ClusterReduceStore(
    const KernelArgs& args, uint4* smem,
    const float (&acc)[kConfigs[kCfg].warp_rb][kConfigs[kCfg].warp_n8][4], int tile, int rb0,
    int rb_valid, int n0, int wm, int wn) {
  constexpr TileConfig cfg = kConfigs[kCfg];
  constexpr int kBm = cfg.block_m(), kBn = cfg.block_n(), kThreads = cfg.threads();
  float* red = reinterpret_cast<float*>(smem);  // [kBm][kBn]
  const int lane = threadIdx.x & 31, g = lane >> 2, t = lane & 3;
  __syncthreads();  // every warp is done with the pipeline's shared memory
#pragma unroll
  for (int r = 0; r < cfg.warp_rb; ++r)
#pragma unroll
    for (int j = 0; j < cfg.warp_n8; ++j)
#pragma unroll
      for (int hi = 0; hi < 2; ++hi) {
        const int row = (wm * cfg.warp_rb + r) * 16 + g + 8 * hi;
        const int tok = (wn * cfg.warp_n8 + j) * 8 + 2 * t;
        *reinterpret_cast<float2*>(red + row * kBn + tok) =
            make_float2(acc[r][j][2 * hi], acc[r][j][2 * hi + 1]);
      }
  cluster_sync_all();

  const int splits = args.splits;  // <= cfg.cluster_ranks (the planner)
  constexpr int kRanks = cfg.cluster_ranks;
  const int rows_per = (kBm + splits - 1) / splits;
  const int row_begin = static_cast<int>(cluster_cta_rank()) * rows_per;
  const int row_end = min(kBm, min(row_begin + rows_per, rb_valid * 16));
  const uint32_t red_addr = static_cast<uint32_t>(__cvta_generic_to_shared(red));
  if constexpr (kRanks > 4) {
    ClusterSumRanksInTwoBatches<T, kCfg>(args, red_addr, splits, row_begin, row_end, tile, rb0,
                                         n0);
  } else {
    uint32_t rank_base[kRanks];  // red[] in each rank's window
#pragma unroll
    for (int z = 0; z < kRanks; ++z)
      rank_base[z] = z < splits ? map_cluster_rank(red_addr, z) : 0u;
    constexpr int kPairs = kBn / 2;  // token pairs per row
    // kU pairs per thread per round, all their remote loads issued before the
    // first sum: one distributed-shared-memory latency per round instead of
    // one per split and pair. This reduction sits between the cluster's last
    // k-block and its exit, which the next kernel in the stream waits for.
    constexpr int kU = 2;
    const int end = row_end * kPairs;
    for (int i0 = row_begin * kPairs + static_cast<int>(threadIdx.x); i0 < end;
         i0 += kU * kThreads) {
      float2 v[kU][kRanks];
#pragma unroll
      for (int u = 0; u < kU; ++u) {
        const int i = i0 + u * kThreads;
        const uint32_t off = ((i / kPairs) * kBn + (i % kPairs) * 2) * 4;
#pragma unroll
        for (int z = 0; z < kRanks; ++z)
          if (i < end && z < splits) v[u][z] = ld_cluster_f2(rank_base[z] + off);
      }
#pragma unroll
      for (int u = 0; u < kU; ++u) {
        float s0 = 0.f, s1 = 0.f;
#pragma unroll
        for (int z = 0; z < kRanks; ++z) {  // split order, as the reduce kernel
          if (z < splits) {
            s0 += v[u][z].x;
            s1 += v[u][z].y;
          }
        }
        StoreSummedPair<T, kCfg>(args, i0 + u * kThreads, end, tile, rb0, n0, s0, s1);
      }
    }
  }
  cluster_sync_exit();
}

#endif  // __CUDA_ARCH__ >= 900

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_CLUSTER_REDUCE_CUH_
