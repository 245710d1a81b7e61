// HiNM SpMM on Sparse Tensor Cores: mma.sp.m16n8k32, fp16/bf16 in, fp32 acc.
//
// Math
//   C[orow(p), n] = alpha * sum_s A[p, s] * B[col_idx[tile(p), s], n]
//                   + beta * C[orow(p), n] + bias[channel(p)]
//   p: compressed (row-permuted) row; channel(p) = row_perm[p] (or p);
//   orow(p) = channel(p) for HINM_ROWS_ORIGINAL, p for HINM_ROWS_PERMUTED.
//   s: kept slot of the tile (2:4 inside, so 16 stored values per 32 slots).
//
// Global layouts (cpp/hinm/layout.h is the definition; core compression in
// cpp/hinm/prune.cc writes them):
//   values  [tile][cb][rb][lane 32][8] u16   one mma.sp A fragment per 512 B
//   meta    [tile][cb][rb][16] u32           word 2g+h read by lane 4g+h
//   col_idx [tile][K_keep_pad] i32           global row of B, -1 = zero row
//   B       K x N row-major (ldb % 8 == 0, 16-byte aligned; dispatch packs
//           token-major or unaligned B into the workspace first)
//   C       M x N (ldc) or N x M (token-major), any 2-byte alignment
//
// CTA: one tile slice of BM = warps_m*warp_rb*16 rows x BN tokens, over the
// k-steps [kb_begin, kb_end) of its split (blockIdx.z). A CTA never crosses
// a tile, because every tile has its own col_idx list.
//
// Shared memory per stage (S stages, each stage_kb k-blocks of 32 slots;
// dynamic, cfg.smem_bytes()):
//   sA [BM/16][32 lanes] x 16 B   fragment-native: lane reads its own 16 B
//                                 (4 x 8-lane phases, conflict-free)
//   sE [BM/16][16] x 4 B          metadata words
//   sB [32 slots][BN/8 chunks] x 16 B, chunk c of slot row r stored at
//       c ^ (r & min(BN/8, 8)-1): ldmatrix.trans phases read 8 rows of one
//       chunk column, which the XOR spreads over 8 distinct 16 B bank groups
//       (BN=64: conflict-free; BN=16: 2-way).
//
//   slot row r:  | c0^r | c1^r | ... |   (16 B chunks = 8 tokens each)
//
// Fragments (PTX ISA "Matrix fragments for sparse mma.m16n8k32"):
//   A: lane 4g+t: {row g, row g+8} x compressed cols {2t,2t+1, 2t+8,2t+9}
//      = the 16 B stored for that lane; one 128-bit shared load.
//   B: ldmatrix.x4.trans over slot rows 0..31 (lane l addresses row l):
//      reg j = B[8j + 2t + {0,1}][g].
//   E: one u32 per lane (selector 0: lanes 4g, 4g+1 matter).
//   C: {row g: n 2t, 2t+1; row g+8: n 2t, 2t+1} in fp32.
//
// Pipeline: S-stage cp.async ring (S-1 stages in flight), one barrier per
// stage of stage_kb k-blocks. Iteration i waits for stage i (wait_group
// S-2), barrier, issues stage i+S-1 into the buffer computed at i-1 (safe
// after the barrier), then computes stage i. B rows
// are gathered through col_idx; -1 and token tails are zero-filled by
// cp.async's src-size.
//
// Epilogue: splits == 1: alpha/beta/bias/row permutation fused, scalar
// 16-bit stores (beta == 0 never reads C). splits > 1: fp32 partials to the
// workspace, reduced in split order by LaunchSplitReduce (deterministic).
//
// Requirements (checked by the planner): V % 16 == 0, K_keep_pad % 32 == 0,
// B as above, n >= 1, sm_80+.
#ifndef HINM_CUDA_SPMM_KERNEL_CUH_
#define HINM_CUDA_SPMM_KERNEL_CUH_

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "cuda/mma_sp.cuh"
#include "cuda/spmm_configs.h"
#include "cuda/spmm_epilogue.cuh"
#include "cuda/spmm_kernel_args.h"

namespace hinm_cuda {

template <typename T, int kCfg>
__global__ void __launch_bounds__(kConfigs[kCfg].threads(), kConfigs[kCfg].min_ctas)
    hinm_spmm_kernel(const KernelArgs args) {
  constexpr TileConfig cfg = kConfigs[kCfg];
  constexpr int kThreads = cfg.threads();
  constexpr int kRb = cfg.warps_m * cfg.warp_rb;  // 16-row blocks per CTA
  constexpr int kBn = cfg.block_n();              // tokens per CTA
  constexpr int kCh = kBn / 8;                    // 16 B chunks per slot row
  constexpr int kSwz = (kCh >= 8 ? 8 : kCh) - 1;  // XOR mask of the swizzle
  constexpr int kS = cfg.stages;
  constexpr int kKb = cfg.stage_kb;
  static_assert(kS >= 2, "need at least double buffering");
  static_assert((kCh & (kCh - 1)) == 0, "BN/8 must be a power of two for the swizzle");

  // Dynamic shared memory (cfg.smem_bytes()): all stages of A, then of the
  // metadata, then of B.
  extern __shared__ __align__(128) uint4 smem[];
  auto sA = reinterpret_cast<uint4(*)[kKb][kRb][32]>(smem);
  auto sE = reinterpret_cast<uint32_t(*)[kKb][kRb][16]>(smem + kS * kKb * kRb * 32);
  auto sB = reinterpret_cast<uint4(*)[kKb][32][kCh]>(smem + kS * kKb * kRb * (32 + 4));

  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int wm = warp / cfg.warps_n;  // warp row
  const int wn = warp % cfg.warps_n;  // warp column

  // Grouped rasterization: kGroupRows consecutive row CTAs sweep all token
  // tiles before the next group starts, so a group's weights are read from
  // HBM once and stay in L2 while B tiles are reused across the group.
  constexpr int kGroupRows = 16;
  const int64_t row_ctas = static_cast<int64_t>(args.num_tiles) * args.row_ctas_per_tile;
  const int64_t pid = blockIdx.x;
  const int64_t width = static_cast<int64_t>(kGroupRows) * args.n_tiles;
  const int64_t first_row = pid / width * kGroupRows;
  const int64_t group_rows = min(static_cast<int64_t>(kGroupRows), row_ctas - first_row);
  const int64_t row_cta = first_row + (pid % width) % group_rows;
  const int nt = static_cast<int>((pid % width) / group_rows);
  const int tile = static_cast<int>(row_cta / args.row_ctas_per_tile);
  const int rb0 = static_cast<int>(row_cta % args.row_ctas_per_tile) * kRb;
  const int rb_valid = min(kRb, args.rb_per_tile - rb0);
  const int split = blockIdx.z;
  const int kb_begin = split * args.kb_per_split;
  const int kb_end = min(args.col_blocks, kb_begin + args.kb_per_split);
  const int nk = kb_end - kb_begin;
  const int32_t* tile_cols = args.col_idx + static_cast<int64_t>(tile) * args.padded_slots;

  {
    const int n0 = nt * kBn;
    float acc[cfg.warp_rb][cfg.warp_n8][4];
#pragma unroll
    for (int r = 0; r < cfg.warp_rb; ++r)
#pragma unroll
      for (int j = 0; j < cfg.warp_n8; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[r][j][e] = 0.f;

    // Fetch k-block kb into slot j of stage buffer st: A blocks, metadata, gathered B.
    auto fetch_block = [&](int st, int j, int kb) {
      const int64_t blk0 =
          (static_cast<int64_t>(tile) * args.col_blocks + kb) * args.rb_per_tile + rb0;
#pragma unroll
      for (int i = tid; i < kRb * 32; i += kThreads) {
        const int r = i >> 5, ch = i & 31;
        if (r < rb_valid)
          cp_async_16_zfill(smem_u32(&sA[st][j][r][ch]), args.values + (blk0 + r) * 256 + ch * 8,
                            16);
      }
      for (int i = tid; i < kRb * 4; i += kThreads) {
        const int r = i >> 2, ch = i & 3;
        if (r < rb_valid)
          cp_async_16_zfill(smem_u32(&sE[st][j][r][ch * 4]), args.meta + (blk0 + r) * 16 + ch * 4,
                            16);
      }
      const int32_t* cols = tile_cols + kb * 32;
#pragma unroll
      for (int i = tid; i < 32 * kCh; i += kThreads) {
        const int row = i / kCh, ch = i % kCh;
        const int32_t src_row = __ldg(cols + row);
        const int col = n0 + ch * 8;
        const uint16_t* src = args.b;  // any valid address when nothing is read
        int bytes = 0;
        if (src_row >= 0 && col < args.n) {
          bytes = min(8, args.n - col) * 2;
          src = args.b + static_cast<int64_t>(src_row) * args.ldb + col;
        }
        cp_async_16_zfill(smem_u32(&sB[st][j][row][ch ^ (row & kSwz)]), src, bytes);
      }
    };
    // One stage = kKb consecutive k-blocks (the last stage may be partial).
    auto fetch_stage = [&](int st, int step) {
#pragma unroll
      for (int j = 0; j < kKb; ++j)
        if (step * kKb + j < nk) fetch_block(st, j, kb_begin + step * kKb + j);
    };

    // Tensor-core work on stage st: per k-block, B fragments once, reused
    // for every row block of the warp.
    auto compute_stage = [&](int st, int step) {
#pragma unroll
      for (int j = 0; j < kKb; ++j) {
        if (step * kKb + j >= nk) break;  // CTA-uniform
        uint32_t bf[cfg.warp_n8][4];
#pragma unroll
        for (int q = 0; q < cfg.warp_n8; ++q) {
          const int c = wn * cfg.warp_n8 + q;
          ldmatrix_x4_trans(bf[q], smem_u32(&sB[st][j][lane][c ^ (lane & kSwz)]));
        }
#pragma unroll
        for (int r = 0; r < cfg.warp_rb; ++r) {
          const int rbl = wm * cfg.warp_rb + r;
          if (rbl < rb_valid) {  // warp-uniform
            const uint4 av = sA[st][j][rbl][lane];
            const uint32_t a[4] = {av.x, av.y, av.z, av.w};
            const uint32_t e = sE[st][j][rbl][(lane >> 2) * 2 + (lane & 1)];
#pragma unroll
            for (int q = 0; q < cfg.warp_n8; ++q) {
              if constexpr (std::is_same<T, __half>::value)
                mma_sp_m16n8k32_f32_f16(acc[r][q], a, bf[q], e);
              else
                mma_sp_m16n8k32_f32_bf16(acc[r][q], a, bf[q], e);
            }
          }
        }
      }
    };

    // Schedule: prologue fills S-1 stages; each step waits, refills, computes.
    const int nsteps = (nk + kKb - 1) / kKb;
#pragma unroll
    for (int s = 0; s < kS - 1; ++s) {
      if (s < nsteps) fetch_stage(s, s);
      cp_async_commit();
    }
    for (int it = 0; it < nsteps; ++it) {
      cp_async_wait<kS - 2>();
      __syncthreads();
      const int pf = it + kS - 1;
      if (pf < nsteps) fetch_stage(pf % kS, pf);
      cp_async_commit();
      compute_stage(it % kS, it);
    }
    cp_async_wait<0>();  // nothing may be left in flight at exit

    // Epilogue.
    const int g = lane >> 2, t = lane & 3;
#pragma unroll
    for (int r = 0; r < cfg.warp_rb; ++r) {
      const int rbl = wm * cfg.warp_rb + r;
      if (rbl >= rb_valid) continue;
#pragma unroll
      for (int hi = 0; hi < 2; ++hi) {
        const int64_t p = static_cast<int64_t>(tile) * args.tile_rows + (rb0 + rbl) * 16 + g + 8 * hi;
        if (p >= args.m) continue;
#pragma unroll
        for (int j = 0; j < cfg.warp_n8; ++j) {
#pragma unroll
          for (int e = 0; e < 2; ++e) {
            const int n = n0 + (wn * cfg.warp_n8 + j) * 8 + 2 * t + e;
            if (n >= args.n) continue;
            const float v = acc[r][j][2 * hi + e];
            if (args.splits > 1)
              args.partial[(static_cast<int64_t>(split) * args.m + p) * args.n + n] = v;
            else
              StoreOutput<T>(args, p, n, v);
          }
        }
      }
    }
  }
}

template <typename T, int kCfg>
cudaError_t LaunchSpmmKernel(const KernelArgs& a, cudaStream_t stream) {
  // The planner guarantees num_tiles * row_ctas_per_tile * n_tiles < 2^31.
  const int64_t ctas = static_cast<int64_t>(a.num_tiles) * a.row_ctas_per_tile * a.n_tiles;
  const dim3 grid(static_cast<unsigned>(ctas), 1, static_cast<unsigned>(a.splits));
  constexpr int kSmem = kConfigs[kCfg].smem_bytes();
  if (kSmem > 48 * 1024) {  // above the default dynamic limit: opt in (per device)
    const cudaError_t e = cudaFuncSetAttribute(
        hinm_spmm_kernel<T, kCfg>, cudaFuncAttributeMaxDynamicSharedMemorySize, kSmem);
    if (e != cudaSuccess) return e;
  }
  hinm_spmm_kernel<T, kCfg><<<grid, kConfigs[kCfg].threads(), kSmem, stream>>>(a);
  return cudaPeekAtLastError();
}

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_KERNEL_CUH_
