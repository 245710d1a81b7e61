// HiNM SpMM on Hopper: wgmma.mma_async.sp (sm_90a), warp-specialised and
// persistent. Same math, arrays and epilogue as the mma.sp kernel
// (cuda/spmm_kernel.cuh); this file explains only what differs.
//
// CTA = 3 warpgroups (384 threads), one 128-row slice of one tile (kRb = 8
// row blocks of 16) x kBn tokens per work unit -- or, where V % 256 == 0, a
// 256-row slice (kRb = 16) x 128 tokens: a tile's rows share one column
// list, so one B gather then feeds 256 rows instead of 128 (the gather is
// the largest per-stage cost, below). The grid is at most one CTA per SM and
// each CTA loops over work units (GetWorkUnit order), so the producer
// already streams the next unit's first k-blocks while the consumers run the
// epilogue of the current one.
//
//   WG0 producer (4 warps, 88 registers after setmaxnreg), per k-block:
//     thread 0: the tile's A blocks (rb_valid x 512 B) and metadata
//       (rb_valid x 64 B) are contiguous in layout.h's order, so each is ONE
//       bulk copy (cp.async.bulk, completing as tx bytes on the full barrier).
//     all 128: gather the k-block's 32 B rows (col_idx, prefetched two stages
//       ahead) with 16-byte cp.async into the 128B-swizzled layout below; a
//       warp copies 512 contiguous bytes of one row per instruction (whole
//       L2 sectors). Each thread then arms cp.async.mbarrier.arrive.noinc:
//       the hardware arrives once its copies landed, so the producer never
//       waits on its own copies and all kStages stages stay in flight.
//   WG1, WG2 consumers (208 registers): rows 0-63 and 64-127 of the slice
//     (256-row slices: rows 0-127 and 128-255, as two m64 groups each).
//     Per stage (kKb = 2 k-blocks in both slice heights):
//     wait full; fence.proxy.async (B was written through the generic proxy,
//     wgmma reads through the async proxy); load the warp's A fragment (16 B
//     per lane, fragment-native, conflict-free) and metadata word per m64
//     group and k-block; one wgmma.sp m64n{kBn}k32 per group and k-block
//     with B from that k-block's descriptor; wait; arrive on the empty
//     barrier. The two warpgroups' wgmmas interleave on the tensor cores.
//
// Shared memory per stage s (kStages ring; base 1024-aligned):
//   sB[s]  kBn/64 atoms x (32 slot rows x 128 B): slot row r, tokens
//          64a + 8c .. +7 (chunk c of atom a) at a*4096 + r*128 + ((c ^ (r&7))*16)
//          -- the canonical MN-major SWIZZLE_128B layout: descriptor
//          LBO = 4096 (next 64-token atom), SBO = 1024 (next 8 slot rows).
//
//          slot row r:  | c0^r | c1^r | ... | c7^r |  (atom 0)  ...  (atom kBn/64-1)
//
//   sA[s]  kRb row blocks x 512 B, fragment-native (layout.h)
//   sE[s]  kRb row blocks x 16 metadata words
//   full[s]  129 arrivals (128 asynchronous, thread 0's expect_tx) + tx bytes
//   empty[s] 256 arrivals (every consumer thread)
//
// Row blocks past the tile (V not a multiple of 128, e.g. V = 48) feed zero
// A fragments with padding metadata and are never stored; a consumer
// warpgroup with no valid row block skips its wgmma.
//
// Measured and dropped (benchmarks/results/2026-11-24_h100_wgmma_*.log):
// gathering B with tensor-map copies (one 64-token x 1-row box per 128 B;
// the TMA swizzles by shared-memory address, so it lands right) was 4.9x
// slower than cp.async -- the copy engine spends ~60 cycles per box; two
// k-blocks per stage behind a per-k-block branch was 6% slower at kBn = 256;
// rotating each unit's k start (to spread concurrent reads of the same
// lines) lost L2 hits (79% -> 49%) and gained nothing. Two k-blocks per
// stage with the wgmmas on zero fragments past the last k-block (no branch)
// pay: 10-21% faster at 256 rows x 128 tokens (34 KB stages, 6 in the ring;
// 2026-12-07_h100_kb2_idxpf_rowsdiag_experiments.log) and 8-20% at 128 rows
// (41 KB stages, 5 in the ring at kBn = 256; 2026-12-07_h100_rows128_kb2.log):
// half the stages pay half of each stage's fixed cost (the empty ring alone
// took 239 of 563 us, docs/performance.md 2026-12-07 (9)). Three k-blocks at
// 128 rows (3 stages in the ring at kBn = 256) were 5-8% faster at 75% but
// 1.5-1.7x slower at 87.5% than one (same log), so two it is.
//
// What bounds it (per-stage clock64 stamps, 2026-12-07_h100_wgmma_pipeline_
// trace.log): the producer's gather. The cp.async path accepts a stage's
// 16 KB in ~1050 cycles (on our reading, its in-flight capacity over the
// latency under load); the producer never waits on an empty slot and
// runs 1-2 stages ahead, the consumers wait ~240 cycles a stage. So extra
// producer instructions cost time directly -- row indices 4-8 stages ahead
// (+2-20%), an L2 prefetch of A (+4-8%) -- and consumer-side overlap
// (wait_group 1: +0-4%) gains nothing. It is not the only cost: halving the
// gather per FLOP (256-row slices, 2026-12-07_h100_wgmma_rows256.log) took
// 5-8% off, and with either the gather or the wgmma switched off the kernel
// still takes ~75% of its time -- the per-stage costs add up. Measured and
// ruled out since (docs/performance.md 2026-12-07 (9)): fewer barrier
// arrivals (one per warp or warpgroup) and no proxy fence (within run-to-run
// spread); wgmma_wait<1> at 256 rows (0-2% slower); A copied by the
// consumers themselves instead of the bulk copies (15-22% slower: the
// consumers' chain becomes the bound); an L1 prefetch of the row indices
// 8 k-blocks ahead (3% faster with one k-block per stage, nothing with two:
// 2026-12-07_h100_idxpf_on_kb2.log); C stored evict-first and the gather
// with an L2 evict_last hint (hit rate 76.9% either way; with B small enough
// to stay in L2 a unit is only ~4% faster: 2026-12-07_h100_l2_hints_bn_gate.log).
// Without any A copies the kernel is only ~11% faster. ncu's stall sampling
// of the two-k-block kernel (2026-12-07_h100_targets_floors_stalls/) has the
// consumers waiting for data and the producer waiting for a free slot about
// a third of the time each, and the epilogue at 12% of the consumers'
// samples: while they store a unit, the producer fills the free stages and
// stops. The 16-byte epilogue (below) took 6-17% off (2026-12-08_h100_
// vec16_epilogue.log).
//
// Requirements (checked by the planner): sm_90a, V % 16 == 0,
// K_keep_pad % 32 == 0, B feature-major K x N with rows 16-byte aligned
// (ldb % 8 == 0), splits == 1.
#ifndef HINM_CUDA_SPMM_WGMMA_KERNEL_CUH_
#define HINM_CUDA_SPMM_WGMMA_KERNEL_CUH_

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>
#include <type_traits>

#include "cuda/mma_sp.cuh"
#include "cuda/pdl.cuh"
#include "cuda/sm90_ptx.cuh"
#include "cuda/spmm_b_chunk.cuh"
#include "cuda/spmm_epilogue.cuh"
#include "cuda/spmm_kernel_args.h"
#include "cuda/spmm_raster.cuh"
#include "cuda/wgmma_sp.cuh"

namespace hinm_cuda {

// kBn tokens per work unit, kKb 32-slot k-blocks per pipeline stage, kRb
// 16-row blocks per slice: 8 (128 rows, one m64 group per consumer
// warpgroup) or 16 (256 rows, two m64 groups sharing each B stage -- for
// V % 256 == 0, where a tile's 256 rows read one column list, so one gather
// feeds twice the rows; the accumulators then allow kBn = 128 only).
template <int kBn, int kKb, int kRbArg = 8>
struct WgmmaTile {
  static constexpr int kThreads = 384;  // producer + 2 consumer warpgroups
  static constexpr int kRb = kRbArg;       // 16-row blocks per slice
  static constexpr int kRbPerWg = kRb / 2;  // row blocks of one consumer warpgroup
  static constexpr int kMg = kRb / 8;       // its m64 groups (wgmmas per k-block)
  static constexpr int kChunks = kBn / 8;  // 16 B chunks per slot row
  static constexpr int kBBytes = 32 * kBn * 2;  // per k-block
  static constexpr int kABytes = kRb * 512;
  static constexpr int kEBytes = kRb * 64;
  static constexpr int kStageBytes = kKb * (kBBytes + kABytes + kEBytes);
  static constexpr int kStages = (210 * 1024) / kStageBytes;  // ~210 KB of the 227 KB
  static constexpr int kSmemBytes = kStages * kStageBytes + 2 * kStages * 8 + 1024;  // + alignment
  // setmaxnreg budgets: 128 x 88 + 256 x 208 <= 64K registers of the SM.
  // The producer spilled at 56 (unit bookkeeping); consumers hold
  // kMg * kBn / 2 fp32 accumulators plus fragments.
  static constexpr int kProducerRegs = 88, kConsumerRegs = 208;
  static_assert(kBn == 128 || kBn == 256, "wgmma N of the shipped wrappers");
  static_assert(kRb == 8 || kRb == 16, "128- or 256-row slices");
  static_assert(kMg * kBn <= 256, "accumulators: at most 128 fp32 per consumer thread");
  static_assert(kStages >= 2, "need at least double buffering");
};

template <typename T, int kBn>
__device__ __forceinline__ void WgmmaSp(float (&d)[kBn / 2], const uint32_t (&a)[4], uint64_t desc,
                                        uint32_t e, int scale_d) {
  constexpr bool kF16 = std::is_same<T, __half>::value;
  if constexpr (kBn == 256) {
    if constexpr (kF16) wgmma_sp_m64n256k32_f32_f16(d, a, desc, e, scale_d);
    else wgmma_sp_m64n256k32_f32_bf16(d, a, desc, e, scale_d);
  } else {
    if constexpr (kF16) wgmma_sp_m64n128k32_f32_f16(d, a, desc, e, scale_d);
    else wgmma_sp_m64n128k32_f32_bf16(d, a, desc, e, scale_d);
  }
}

// 4 x 4 transpose of 32-bit words across the four lanes of a quad (lane t4
// holds row t4 in w[0..3]; afterwards it holds column t4): swap the
// off-diagonal 2 x 2 blocks (xor 2), then transpose inside each block
// (xor 1). Four shuffles, all lanes of the warp taking part.
__device__ __forceinline__ void QuadTranspose(uint32_t (&w)[4], int t4) {
  const bool b1 = t4 & 2, b0 = t4 & 1;
#pragma unroll
  for (int i = 0; i < 2; ++i) {
    const uint32_t got = __shfl_xor_sync(0xffffffffu, b1 ? w[i] : w[i + 2], 2);
    if (b1) w[i] = got;
    else w[i + 2] = got;
  }
#pragma unroll
  for (int i = 0; i < 4; i += 2) {
    const uint32_t got = __shfl_xor_sync(0xffffffffu, b0 ? w[i] : w[i + 1], 1);
    if (b0) w[i] = got;
    else w[i + 1] = got;
  }
}

template <typename T, int kBn, int kKb, int kRb>
__global__ void __launch_bounds__(384, 1) hinm_spmm_wgmma_kernel(const KernelArgs args) {
  using Tile = WgmmaTile<kBn, kKb, kRb>;
  constexpr int kMg = Tile::kMg;
  constexpr int kS = Tile::kStages;
  extern __shared__ uint8_t smem_raw[];
  // Swizzled B atoms need 1024-byte alignment (the swizzle XORs address bits
  // 4-6 with bits 7-9).
  uint8_t* smem = smem_raw + ((1024 - (smem_u32(smem_raw) & 1023)) & 1023);
  uint8_t* const sB = smem;                                   // [kS][kKb][kBBytes]
  uint8_t* const sA = sB + kS * kKb * Tile::kBBytes;          // [kS][kKb][kABytes]
  uint8_t* const sE = sA + kS * kKb * Tile::kABytes;          // [kS][kKb][kEBytes]
  const uint32_t bars = smem_u32(sE + kS * kKb * Tile::kEBytes);
  auto full = [&](int s) { return bars + 8 * s; };
  auto empty = [&](int s) { return bars + 8 * (kS + s); };
  auto stage_b = [&](int s, int sub) { return sB + (s * kKb + sub) * Tile::kBBytes; };
  auto stage_a = [&](int s, int sub) { return sA + (s * kKb + sub) * Tile::kABytes; };
  auto stage_e = [&](int s, int sub) { return sE + (s * kKb + sub) * Tile::kEBytes; };

  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int wg = tid >> 7;

  if (tid == 0) {
    for (int s = 0; s < kS; ++s) {
      // One asynchronous arrival per producer thread (its cp.asyncs landed)
      // plus thread 0's expect_tx for the bulk copies.
      mbar_init(full(s), 128 + 1);
      mbar_init(empty(s), 256);  // every consumer thread
    }
    mbar_fence_init();
  }
  __syncthreads();
  // Launched as a programmatic dependent on sm_90 (cuda/pdl.cuh): the launch
  // and the barrier setup overlap the kernel before us; nothing is read
  // before it has finished. One CTA per SM, so our dependents can take an
  // SM only as our CTAs leave.
  griddep_wait();
  griddep_launch_dependents();

  const int64_t units =
      static_cast<int64_t>(args.num_tiles) * args.row_ctas_per_tile * args.n_tiles;
  const int64_t my_units =
      blockIdx.x < units ? (units - 1 - blockIdx.x) / gridDim.x + 1 : 0;
  const int nk = args.col_blocks;            // k-blocks per unit
  const int nst = (nk + kKb - 1) / kKb;      // stages per unit
  auto unit_of = [&](int64_t i) {
    return GetWorkUnit(args, blockIdx.x + i * gridDim.x, Tile::kRb);
  };
  // Diagnostics (HINM_SPMM_WGMMA_EXP, benchmarks only; C is wrong with any
  // of them): 2 = skip the B gather, 4 = skip the wgmma, 8 = skip the stores.
  // What each part of the k-loop costs is measured by switching the others
  // off (docs/performance.md).
  const bool skip_b = args.wgmma_flags & 2, skip_mma = args.wgmma_flags & 4,
             skip_epi = args.wgmma_flags & 8;

  if (wg == 0) {
    // ---------------------------------------------------------------- producer
    setmaxnreg_dec<Tile::kProducerRegs>();
    if (my_units == 0) return;
    const int pw = warp;  // 0..3
    // A cursor over this CTA's stages: unit i, stage st of it.
    struct Cursor {
      int64_t i;
      int st;
      WorkUnit u;
    };
    auto advance = [&](Cursor& c) {
      if (++c.st == nst) {
        c.st = 0;
        if (++c.i < my_units) c.u = unit_of(c.i);
      }
    };
    // Lane's slot of k-block st*kKb + sub (-1 past the end: a zero row).
    auto load_rows = [&](const Cursor& c, int32_t(&r)[kKb]) {
#pragma unroll
      for (int sub = 0; sub < kKb; ++sub) {
        const int kb = c.st * kKb + sub;
        r[sub] = c.i < my_units && kb < nk
                     ? __ldg(args.col_idx + static_cast<int64_t>(c.u.tile) * args.padded_slots +
                             kb * 32 + lane)
                     : -1;
      }
    };
    // One stage: wait until the consumers freed slot g % kS, bulk-copy A and
    // metadata, gather B with the row indices in rows.
    auto produce = [&](int g, const Cursor& c, const int32_t(&rows)[kKb]) {
      const WorkUnit& u = c.u;
      const int kb0 = c.st * kKb;
      const int n0 = u.nt * kBn;
      const int s = g % kS;
      mbar_wait(empty(s), ((g / kS) & 1) ^ 1);
      if (tid == 0) {
        // A blocks and metadata: contiguous per (tile, k-block), one bulk
        // copy each.
        const uint32_t a_bytes = u.rb_valid * 512, e_bytes = u.rb_valid * 64;
        const int kv = min(kKb, nk - kb0);
        mbar_arrive_expect_tx(full(s), kv * (a_bytes + e_bytes));
        for (int sub = 0; sub < kv; ++sub) {
          const int64_t blk0 =
              (static_cast<int64_t>(u.tile) * args.col_blocks + kb0 + sub) * args.rb_per_tile +
              u.rb0;
          bulk_copy_g2s(smem_u32(stage_a(s, sub)), args.values + blk0 * 256, a_bytes, full(s));
          bulk_copy_g2s(smem_u32(stage_e(s, sub)), args.meta + blk0 * 16, e_bytes, full(s));
        }
      }
      if (!skip_b) {
        // Lane l copies chunk column ch = l % kChunks of slot rows
        // r = (pw * kIters + j) * kRowsPerIter + l / kChunks: a warp copies
        // 512 contiguous bytes of B per instruction (whole L2 sectors), and
        // each lane's column is the same for the whole unit (BChunkColumn:
        // the per-chunk work is the row's address and the copy).
        // pw * kIters * kRowsPerIter = 8 pw, so r & 7 -- the swizzle phase --
        // is known at compile time.
        constexpr int kIters = 32 * Tile::kChunks / 128;
        constexpr int kRowsPerIter = 32 / Tile::kChunks;
        static_assert(kIters * kRowsPerIter == 8, "a producer warp covers 8 slot rows");
        const int ch = lane % Tile::kChunks, rsub = lane / Tile::kChunks;
        const BChunkColumn bcol = MakeBChunkColumn(args, n0 + ch * 8);
        const int lane_off = (ch >> 3) * 4096 + pw * 8 * 128;
        // No N tail in this unit: fixed-size copies.
        GatherBChunks(n0 + kBn <= args.n, [&](auto whole) {
#pragma unroll
          for (int sub = 0; sub < kKb; ++sub) {
            uint8_t* const dst = stage_b(s, sub) + lane_off;
#pragma unroll
            for (int j = 0; j < kIters; ++j) {
              const int rw = j * kRowsPerIter + rsub;  // row within the warp's 8, = r & 7
              const int32_t src_row = __shfl_sync(0xffffffffu, rows[sub], pw * 8 + rw);
              cp_async_b_chunk<decltype(whole)::value>(
                  smem_u32(dst + rw * 128 + (((ch & 7) ^ rw) << 4)), bcol, src_row);
            }
          }
        });
      }
      // One arrival per thread, made by the hardware once this thread's
      // copies of the stage have landed: the producer never waits for its
      // own copies, so all kStages stages can be in flight.
      cp_async_mbar_arrive_noinc(full(s));
    };
    // The row indices are prefetched two stages ahead into two register sets
    // used alternately (the loop is unrolled by two, so no register moves):
    // with one stage of distance the compiler moved the index copy into the
    // same iteration and every stage waited one L2 latency for its own
    // indices (ncu: 18% of the producer's stall samples on that move).
    Cursor cur{0, 0, unit_of(0)};
    Cursor pre = cur;
    int32_t rows0[kKb], rows1[kKb];
    load_rows(pre, rows0);
    advance(pre);
    load_rows(pre, rows1);
    advance(pre);
    const int total = static_cast<int>(my_units * nst);
    for (int g = 0; g < total; g += 2) {
      produce(g, cur, rows0);
      load_rows(pre, rows0);
      advance(pre);
      advance(cur);
      if (g + 1 < total) {
        produce(g + 1, cur, rows1);
        load_rows(pre, rows1);
        advance(pre);
        advance(cur);
      }
    }
    cp_async_wait<0>();  // nothing may be in flight at exit
    return;
  }

  // ------------------------------------------------------------------ consumers
  setmaxnreg_inc<Tile::kConsumerRegs>();
  // Consumer warpgroup c: row blocks c * kRbPerWg .. +kRbPerWg-1 of the slice,
  // as kMg m64 groups; warp w of the warpgroup owns row block h * 4 + w of
  // group h.
  const int c = wg - 1;
  const int rb_wg = c * Tile::kRbPerWg;
  auto row_block = [&](int h) { return rb_wg + h * 4 + (warp & 3); };
  const int g8 = lane >> 2, t4 = lane & 3;
  float acc[kMg][kBn / 2];
#pragma unroll
  for (int h = 0; h < kMg; ++h)
#pragma unroll
    for (int r = 0; r < kBn / 2; ++r) acc[h][r] = 0.f;
  // The 16-byte epilogue's conditions that hold for the whole call.
  const bool vec16 = !args.c_token_major && args.beta == 0.f && args.ldc % 8 == 0 &&
                     reinterpret_cast<uintptr_t>(args.c) % 16 == 0;
  int g = 0;
  for (int64_t i = 0; i < my_units; ++i) {
    const WorkUnit u = unit_of(i);
    for (int st = 0; st < nst; ++st, ++g) {
      const int s = g % kS;
      mbar_wait(full(s), (g / kS) & 1);
      // The B rows were written through the generic proxy (cp.async); wgmma
      // reads them through the async proxy.
      fence_proxy_async_smem();
      if (rb_wg < u.rb_valid && !skip_mma) {  // warpgroup-uniform
        // All fragments of the stage first, then its wgmmas back to back,
        // one commit, one wait: the registers the wgmmas read are never
        // rewritten while they are in flight.
        uint32_t a[kKb][kMg][4], e[kKb][kMg];
#pragma unroll
        for (int sub = 0; sub < kKb; ++sub) {
#pragma unroll
          for (int h = 0; h < kMg; ++h) {
            const int rbl = row_block(h);
            a[sub][h][0] = a[sub][h][1] = a[sub][h][2] = a[sub][h][3] = 0u;
            e[sub][h] = 0x44444444u;  // kPadNibble in every group: zeros select nothing
            if (rbl < u.rb_valid && st * kKb + sub < nk) {  // zeros past the last k-block
              const uint4 v =
                  *reinterpret_cast<const uint4*>(stage_a(s, sub) + rbl * 512 + lane * 16);
              a[sub][h][0] = v.x;
              a[sub][h][1] = v.y;
              a[sub][h][2] = v.z;
              a[sub][h][3] = v.w;
              e[sub][h] = *reinterpret_cast<const uint32_t*>(stage_e(s, sub) + rbl * 64 +
                                                             (g8 * 2 + (t4 & 1)) * 4);
            }
          }
        }
        wgmma_fence();
#pragma unroll
        for (int sub = 0; sub < kKb; ++sub) {
          // Both m64 groups read the same B stage (one descriptor). A group
          // past the slice's rows, or a k-block past the last, runs on zero
          // fragments rather than behind a branch: ptxas serialises wgmmas on
          // divergent paths.
          const int kb = st * kKb + sub;
          const uint64_t desc = smem_desc_sw128(smem_u32(stage_b(s, sub)), 4096, 1024);
#pragma unroll
          for (int h = 0; h < kMg; ++h)
            WgmmaSp<T, kBn>(acc[h], a[sub][h], desc, e[sub][h], kb > 0 ? 1 : 0);
        }
        wgmma_commit();
        wgmma_wait<0>();
      }
      // Every consumer thread arrives (not one per warp after __syncwarp):
      // each thread's own A/metadata reads are then ordered before the next
      // bulk copy into the stage by its own release.
      mbar_arrive(empty(s));
    }
#pragma unroll
    for (int h = 0; h < kMg; ++h)
#pragma unroll
      for (int r = 0; r < kBn / 2; ++r) reg_fence(acc[h][r]);
    if (skip_epi) continue;

    // Epilogue: rows g8, g8+8 of each of the warp's row blocks; tokens
    // 8j+2t4, +1.
    const int n0 = u.nt * kBn;
    auto out_row = [&](int rbl, int hi) {  // compressed row of (row block, half)
      return static_cast<int64_t>(u.tile) * args.tile_rows + (u.rb0 + rbl) * 16 + g8 + 8 * hi;
    };
    if (vec16 && n0 + kBn <= args.n) {
      // Whole unit inside N, feature-major C, beta = 0, 16-byte aligned rows:
      // the quad's four lanes trade their pairs (a 4 x 4 transpose of 32-bit
      // words over j = 4q..4q+3), so lane t4 holds tokens 8(4q+t4) .. +7 of
      // its row and stores them as one 16-byte access -- a quarter of the
      // stores, and a warp writes 64 contiguous bytes of each of 8 rows.
#pragma unroll
      for (int h = 0; h < kMg; ++h) {
        const int rbl = row_block(h);
        if (rbl >= u.rb_valid) continue;  // warp-uniform
#pragma unroll
        for (int hi = 0; hi < 2; ++hi) {
          const int64_t p = out_row(rbl, hi);
          const bool row_ok = p < args.m;  // every lane shuffles; only real rows store
          const OutputRow<T> row = MakeOutputRow<T>(args, row_ok ? p : 0);
#pragma unroll
          for (int q = 0; q < kBn / 32; ++q) {
            uint32_t w[4];
#pragma unroll
            for (int i = 0; i < 4; ++i) {
              const int j = 4 * q + i;
              float v0 = args.alpha * acc[h][4 * j + 2 * hi];
              float v1 = args.alpha * acc[h][4 * j + 2 * hi + 1];
              if (row.has_bias) {
                v0 += row.bias;
                v1 += row.bias;
              }
              w[i] = PackPair<T>(v0, v1);
            }
            QuadTranspose(w, t4);
            if (row_ok)
              *reinterpret_cast<uint4*>(row.base + n0 + 8 * (4 * q + t4)) =
                  make_uint4(w[0], w[1], w[2], w[3]);
          }
        }
      }
      continue;
    }
#pragma unroll
    for (int h = 0; h < kMg; ++h) {
      const int rbl = row_block(h);
      if (rbl >= u.rb_valid) continue;
#pragma unroll
      for (int hi = 0; hi < 2; ++hi) {
        const int64_t p = out_row(rbl, hi);
        if (p >= args.m) continue;
        const OutputRow<T> row = MakeOutputRow<T>(args, p);
#pragma unroll
        for (int j = 0; j < kBn / 8; ++j) {
          const int n = n0 + 8 * j + 2 * t4;
          if (n < args.n)
            StoreRowPair<T>(args, row, n, acc[h][4 * j + 2 * hi], acc[h][4 * j + 2 * hi + 1],
                            n + 1 < args.n);
        }
      }
    }
  }
}

// grid: CTAs to launch (the planner passes min(work units, SMs)).
template <typename T, int kBn, int kKb, int kRb = 8>
cudaError_t LaunchSpmmWgmmaKernel(const KernelArgs& a, int grid, cudaStream_t stream) {
  using Tile = WgmmaTile<kBn, kKb, kRb>;
  const cudaError_t e = cudaFuncSetAttribute(hinm_spmm_wgmma_kernel<T, kBn, kKb, kRb>,
                                             cudaFuncAttributeMaxDynamicSharedMemorySize,
                                             Tile::kSmemBytes);
  if (e != cudaSuccess) return e;
  KernelLaunch l(dim3(grid), dim3(Tile::kThreads), Tile::kSmemBytes, stream, a.programmatic);
  return cudaLaunchKernelEx(&l.config, hinm_spmm_wgmma_kernel<T, kBn, kKb, kRb>, a);
}

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_WGMMA_KERNEL_CUH_
