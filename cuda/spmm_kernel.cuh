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
//           token-major or unaligned B into the workspace first); vector
//           config (N = 1): one column, element k at b[k * ldb], any b and
//           ldb, read in place (see "Vector B" below)
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
// Pipeline: S-slot ring, one 32-slot k-block per slot, S-1 k-blocks in
// flight, one barrier per k-block. Step i waits for k-block i (wait_group
// S-2, and on sm_90 the slot's mbarrier), barrier, issues k-block i+S-1 into
// the slot read in step i-1 (safe after the barrier), then loads A/E
// fragments, all B fragments of the k-block (ldmatrix), then the mma.sps.
//   A and metadata: on sm_90 two cp.async.bulk copies per k-block (the
//   slice's blocks are contiguous) by thread 0 onto the slot's mbarrier;
//   on sm_80 16-byte cp.async by all threads. The per-thread copy work had
//   capped a CTA alone on its SM at ~0.6 us per k-block (ncu: its one warp
//   per scheduler issuing every ~7 cycles), so decode needed 4 CTAs per SM.
//   B rows are gathered (cp.async) through col_idx; the indices come one
//   pipeline length ahead through a shared-memory ring (sI). A col_idx load
//   right before the copy put an L2 latency on every k-block (removing it
//   took 8192x8192 75% N=4096 from 1533 to 1234 us on the H100).
//   -1 and token tails are zero-filled by cp.async's src-size (where the
//   CTA's tokens lie inside N the copies have a fixed size and -1 rows copy
//   a zero chunk instead: spmm_b_chunk.cuh).
//
// Vector B (config kVector, N = 1; replaces the B pack where the planner
//   says it pays -- cuda/spmm_launch.cu): B is one column, any stride, any
//   2-byte alignment. Warp 1 copies, per slot row r, the aligned 4-byte
//   pair that holds the row's element (cp.async of 4 bytes; the address
//   rounded down to 4 bytes, so the pair is {B[e], next} or {prev, B[e]}),
//   into sB's place in fragment order, and writes the byte_perm selectors
//   that pick the elements out of the pairs:
//
//     sBv[stage][t*8 + 2j + h] = pair of slot row 8j + 2t + h   (32 x 4 B)
//     sSel[stage][t*4 + j]     = selector of fragment reg j, lanes 4g+t:
//                                0x5410 (+0x22: row 8j+2t's element is the
//                                upper half; +0x2200: row 8j+2t+1's is)
//
//   A lane's 8 pairs are two 16-byte loads and its 4 selectors one 8-byte
//   load; prmt builds B fragment reg j = {B[8j+2t], B[8j+2t+1]} without an
//   ldmatrix. Every column g of the fragment gets the same values, so the
//   mma's 8 columns are 8 copies of the product: column 0 goes out as N = 1.
//   No copy reaches past B's last element (b_vec_bytes, counted from b
//   rounded down to 4 bytes): that pair's one element is loaded and stored
//   instead. Earlier version (2026-12-06): the whole 16-byte chunk per row,
//   copied by warp 0, ldmatrix, lane masks and a shuffle sum after the loop.
//
// Epilogue: splits == 1: alpha/beta/bias/row permutation fused; pairs of
// tokens go out as one 32-bit store where C is feature-major and 4-byte
// aligned (else 16-bit stores; beta == 0 never reads C). splits > 1 on sm_90
// (narrow, mid): the splits are one cluster and sum through distributed
// shared memory (spmm_cluster_reduce.cuh); otherwise fp32 partials (float2
// pairs) to the workspace, reduced in split order by LaunchSplitReduce (on
// sm_90 launched as this kernel's programmatic dependent). Both
// deterministic, and the same bits for the same split count.
//
// Launch (sm_90): a programmatic dependent of the kernel before it in the
// stream (cuda/pdl.cuh): the prologue's indices and A/metadata copies go
// out before griddepcontrol.wait, everything that touches B, C, bias or the
// workspace after it. It lets its own dependents launch right after the wait
// or args.trigger_kb k-blocks before the end of its k-loop.
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
#include "cuda/pdl.cuh"
#include "cuda/spmm_b_chunk.cuh"
#include "cuda/spmm_cluster_reduce.cuh"
#include "cuda/spmm_configs.h"
#include "cuda/spmm_epilogue.cuh"
#include "cuda/spmm_kernel_args.h"
#include "cuda/spmm_raster.cuh"
#include "cuda/sm90_ptx.cuh"

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
  static_assert(kS >= 2, "need at least double buffering");
  // The split-K cluster reduction parks the CTA's fp32 tile in the pipeline's
  // shared memory: narrow and mid configs (wide splits use the reduce kernel).
  constexpr bool kClusterReduceFits = kRb * 16 * kBn * 4 <= cfg.smem_bytes();
  constexpr bool kVecB = cfg.b_vector;
  static_assert(!kVecB || (cfg.warps_n == 1 && cfg.warp_n8 == 1),
                "vector B: one 8-token column per CTA");
  static_assert((kCh & (kCh - 1)) == 0, "BN/8 must be a power of two for the swizzle");

  // Dynamic shared memory (cfg.smem_bytes()): all stages of A, then of the
  // metadata, then of B.
  extern __shared__ __align__(128) uint4 smem[];
  auto sA = reinterpret_cast<uint4(*)[kRb][32]>(smem);
  auto sE = reinterpret_cast<uint32_t(*)[kRb][16]>(smem + kS * kRb * 32);
  auto sB = reinterpret_cast<uint4(*)[32][kCh]>(smem + kS * kRb * (32 + 4));
  constexpr int kIdxSlots = 2 * kS - 2;  // index ring (see the schedule)
  auto sI = reinterpret_cast<int32_t(*)[32]>(smem + kS * (kRb * (32 + 4) + 32 * kCh));
  // sm_90: one "full" mbarrier per ring slot; the slot's A blocks and
  // metadata arrive through the bulk copy engine (complete_tx on it).
  uint64_t* sFull = reinterpret_cast<uint64_t*>(sI + kIdxSlots);
  // Vector B: per stage, 32 element pairs in fragment order (in sB's place)
  // and 16 byte_perm selectors that pick the elements out (see the header).
  [[maybe_unused]] auto sBv = reinterpret_cast<uint32_t(*)[32]>(sB);
  [[maybe_unused]] auto sSel = reinterpret_cast<uint16_t(*)[16]>(sFull + kS);
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  constexpr bool kBulkA = true;
#else
  constexpr bool kBulkA = false;
#endif

  const int tid = threadIdx.x;
  const int lane = tid & 31;
  const int warp = tid >> 5;
  const int wm = warp / cfg.warps_n;  // warp row
  const int wn = warp % cfg.warps_n;  // warp column

  const WorkUnit unit = GetWorkUnit(args, blockIdx.x, kRb);
  const int tile = unit.tile, rb0 = unit.rb0, rb_valid = unit.rb_valid, nt = unit.nt;
  const int split = blockIdx.z;
  const int kb_begin = split * args.kb_per_split;
  const int kb_end = min(args.col_blocks, kb_begin + args.kb_per_split);
  const int nk = kb_end - kb_begin;
  const int32_t* tile_cols = args.col_idx + static_cast<int64_t>(tile) * args.padded_slots;
  // args.rotate_k: this CTA walks its split's k-blocks starting at rot and
  // wrapping around, rot spread evenly over the grid, so the CTAs of a split
  // do not all read the same rows of B at the same time (kept columns are
  // stored in ascending order). The vector config needs it: it reads the
  // caller's column in place, so without it the whole grid reads one L2
  // line of B per k-block (up to 26% slower on the decode layers, measured
  // with the earlier 16-byte-chunk gather). Same order every run, so
  // results stay bit-reproducible.
  const int rot = args.rotate_k && nk > 1
                      ? static_cast<int>(static_cast<int64_t>(blockIdx.x) * nk / gridDim.x)
                      : 0;
  auto kb_of = [&](int step) {  // k-block of loop step `step` (< nk)
    const int s = step + rot;
    return kb_begin + (s >= nk ? s - nk : s);
  };

  {
    const int n0 = nt * kBn;
    float acc[cfg.warp_rb][cfg.warp_n8][4];
#pragma unroll
    for (int r = 0; r < cfg.warp_rb; ++r)
#pragma unroll
      for (int j = 0; j < cfg.warp_n8; ++j)
#pragma unroll
        for (int e = 0; e < 4; ++e) acc[r][j][e] = 0.f;

    // Gathered B rows: each thread copies kBPer 16-byte chunks of a k-block
    // (chunk i = tid + j*kThreads: slot row i/kCh, chunk column i%kCh) from
    // the B row that col_idx names. The indices travel one pipeline length
    // ahead of the data, through a ring of their own in shared memory (sI,
    // k-block x in slot x % kIdxSlots): issuing k-block x also cp.asyncs
    // the 32 indices of k-block x+S-1, so by the time x+S-1 is issued its
    // indices arrived with x's group.
    constexpr int kBPer = (32 * kCh + kThreads - 1) / kThreads;
    static_assert(kThreads % kCh == 0, "a thread's chunk column must not change with j");
    [[maybe_unused]] const BChunkColumn bcol = MakeBChunkColumn(args, n0 + (tid % kCh) * 8);
    auto fetch_idx = [&](int step) {  // the indices of k-block `step`, 8 x 16 B
      if (step >= nk) return;  // CTA-uniform
      if (tid < 8)
        cp_async_16_zfill(smem_u32(&sI[step % kIdxSlots][tid * 4]),
                          tile_cols + kb_of(step) * 32 + tid * 4, 16);
    };
    // Issue k-block `step`'s A blocks and metadata into ring slot st.
    auto fetch_a = [&](int st, int step) {
      if (step >= nk) return;  // CTA-uniform
      const int kb = kb_of(step);
      const int64_t blk0 =
          (static_cast<int64_t>(tile) * args.col_blocks + kb) * args.rb_per_tile + rb0;
      if constexpr (kBulkA) {
        // The slice's A blocks of one k-block are contiguous (rb_valid x
        // 512 B), as are its metadata words (rb_valid x 64 B): two bulk
        // copies by one thread instead of 2.25 cp.async per thread.
        if (tid == 0) {
          const uint32_t bar = smem_u32(&sFull[st]);
          mbar_arrive_expect_tx(bar, rb_valid * (512 + 64));
          bulk_copy_g2s(smem_u32(&sA[st][0][0]), args.values + blk0 * 256, rb_valid * 512, bar);
          bulk_copy_g2s(smem_u32(&sE[st][0][0]), args.meta + blk0 * 16, rb_valid * 64, bar);
        }
      } else {
#pragma unroll
        for (int i = tid; i < kRb * 32; i += kThreads) {
          const int r = i >> 5, ch = i & 31;
          if (r < rb_valid)
            cp_async_16_zfill(smem_u32(&sA[st][r][ch]), args.values + (blk0 + r) * 256 + ch * 8,
                              16);
        }
        for (int i = tid; i < kRb * 4; i += kThreads) {
          const int r = i >> 2, ch = i & 3;
          if (r < rb_valid)
            cp_async_16_zfill(smem_u32(&sE[st][r][ch * 4]), args.meta + (blk0 + r) * 16 + ch * 4,
                              16);
        }
      }
    };
    // Issue k-block `step`'s gathered B rows into ring slot st (its indices
    // are in sI, visible since the last barrier).
    [[maybe_unused]] const bool b_whole = n0 + kBn <= args.n;  // no N tail in this CTA's tokens
    // Vector B: b rounded down to 4 bytes, and b's element offset from it.
    [[maybe_unused]] const char* b4 = reinterpret_cast<const char*>(
        reinterpret_cast<uintptr_t>(args.b) & ~uintptr_t{3});
    [[maybe_unused]] const uint32_t b_lead = (reinterpret_cast<uintptr_t>(args.b) >> 1) & 1u;
    auto fetch_b = [&](int st, int step) {
      if (step >= nk) return;  // CTA-uniform
      const int32_t* idx = sI[step % kIdxSlots];
      if constexpr (kVecB) {
        // Warp 1 (warp 0 issues the indices and the A copies): slot row
        // r = lane's pair and, from lanes r and r^1, the selector (see the
        // header). Padding rows (-1) copy zeros. A pair that would reach past
        // B's last element is never copied -- memcheck counts the whole copy
        // as a read -- but its one element is loaded and stored (rare: B's
        // last element in the lower half of its pair).
        if (warp == 1) {
          const int32_t src = idx[lane];
          // Element position counted from b4 = b rounded down to 4 bytes.
          const uint32_t e = b_lead + (src < 0 ? 0u
                                                : static_cast<uint32_t>(src) *
                                                      static_cast<uint32_t>(args.ldb));
          const uint32_t off = (e & ~1u) * 2u;
          const int t = (lane >> 1) & 3, j = lane >> 3, h = lane & 1;
          uint32_t* pair = &sBv[st][t * 8 + 2 * j + h];
          if (src < 0)
            cp_async_4(smem_u32(pair), &kZeroChunk);
          else if (off + 4u <= args.b_vec_bytes)
            cp_async_4(smem_u32(pair), b4 + off);
          else
            reinterpret_cast<uint16_t*>(pair)[e & 1u] = args.b[e - b_lead];
          uint32_t sel = (src >= 0 && (e & 1u)) ? (h ? 0x2200u : 0x22u) : 0u;
          sel += __shfl_xor_sync(0xffffffffu, sel, 1);
          if (h == 0) sSel[st][t * 4 + j] = static_cast<uint16_t>(0x5410u + sel);
        }
        return;
      }
      GatherBChunks(b_whole, [&](auto whole) {
#pragma unroll
        for (int j = 0; j < kBPer; ++j) {
          const int i = tid + j * kThreads;
          if (32 * kCh % kThreads != 0 && i >= 32 * kCh) continue;
          const int row = i / kCh, ch = i % kCh;
          cp_async_b_chunk<decltype(whole)::value>(smem_u32(&sB[st][row][ch ^ (row & kSwz)]),
                                                   bcol, idx[row]);
        }
      });
    };

    // The warp's A fragments and metadata of one k-block, in registers.
    // Row blocks past the slice's end (rb_valid < block rows: V not a
    // multiple of the CTA's rows, or the last tile) get zero A with valid
    // padding metadata instead of a branch: the mma.sp then stays
    // unconditional (a warp-uniform branch around each one cost a WARPSYNC
    // and predication per mma in the SASS) and its rows are never stored.
    // Measured and dropped: loading the next k-block's A fragments before the
    // current k-block's mma (one ring slot less in flight) was 3-10% slower
    // (benchmarks/results/2026-11-24_h100_exp_v5.log).
    struct AFrags {
      uint32_t a[cfg.warp_rb][4];
      uint32_t e[cfg.warp_rb];
    };
    auto load_a = [&](AFrags& f, int st) {
#pragma unroll
      for (int r = 0; r < cfg.warp_rb; ++r) {
        const int rbl = wm * cfg.warp_rb + r;
        const bool on = rbl < rb_valid;
        const uint4 av = sA[st][rbl][lane];  // in bounds (kRb blocks); stale if !on
        const uint32_t ev = sE[st][rbl][(lane >> 2) * 2 + (lane & 1)];
        f.a[r][0] = on ? av.x : 0u;
        f.a[r][1] = on ? av.y : 0u;
        f.a[r][2] = on ? av.z : 0u;
        f.a[r][3] = on ? av.w : 0u;
        f.e[r] = on ? ev : 0x44444444u;  // index pairs (0,1): a legal pattern
      }
    };
    // All of the warp's B fragments of the k-block first, then the mma.sps:
    // with one fragment register set reused per 8-token column, ptxas
    // serialised ldmatrix -> 4 mma -> ldmatrix (ncu: the mma.sps stalled on
    // the ldmatrix, "short scoreboard", at 1 CTA per SM).
    auto mma_step = [&](const AFrags& f, int st) {
      uint32_t b[cfg.warp_n8][4];
      if constexpr (kVecB) {
        // Reg j of lane 4g+t holds slot rows 8j+2t, 8j+2t+1: picked out of
        // pairs 2j, 2j+1 of the lane's 8 (32 bytes at t*8) by selector (t, j).
        // Every column g gets the same values: only column 0 is stored.
        const int t = lane & 3;
        const uint4 p0 = *reinterpret_cast<const uint4*>(&sBv[st][t * 8]);
        const uint4 p1 = *reinterpret_cast<const uint4*>(&sBv[st][t * 8 + 4]);
        const uint2 sel = *reinterpret_cast<const uint2*>(&sSel[st][t * 4]);
        b[0][0] = prmt(p0.x, p0.y, sel.x);
        b[0][1] = prmt(p0.z, p0.w, sel.x >> 16);
        b[0][2] = prmt(p1.x, p1.y, sel.y);
        b[0][3] = prmt(p1.z, p1.w, sel.y >> 16);
      } else {
#pragma unroll
        for (int q = 0; q < cfg.warp_n8; ++q) {
          const int c = wn * cfg.warp_n8 + q;
          ldmatrix_x4_trans(b[q], smem_u32(&sB[st][lane][c ^ (lane & kSwz)]));
        }
      }
#pragma unroll
      for (int q = 0; q < cfg.warp_n8; ++q)
#pragma unroll
        for (int r = 0; r < cfg.warp_rb; ++r) {
          if constexpr (std::is_same<T, __half>::value)
            mma_sp_m16n8k32_f32_f16(acc[r][q], f.a[r], b[q], f.e[r]);
          else
            mma_sp_m16n8k32_f32_bf16(acc[r][q], f.a[r], b[q], f.e[r]);
        }
    };

    // Schedule: S-slot ring, one k-block per slot, S-1 k-blocks in flight,
    // one barrier per k-block.
    //   prologue: the indices of k-blocks 0..S-2 (one wait), then k-blocks
    //             0..S-2 with the indices of S-1..2S-3 (one group each).
    //   step i:   wait for k-block i (wait_group S-2; sm_90: the slot's
    //             mbarrier, phase (i/S)&1), barrier (k-block i and the
    //             indices of i+S-1 visible to all; every warp is done with
    //             slot (i-1)%S, read in step i-1), issue k-block i+S-1 into
    //             slot (i-1)%S with the indices of i+2S-2, load k-block i's A
    //             fragments, then all B fragments and the mma.sps.
    //   Index slots: 2S-2, so the prologue (no barriers) never overwrites
    //   indices it still reads, and in the loop a slot is rewritten S-1
    //   barriers after its last read.
    //   The index ring alone (2026-11-24, register prefetch before) was
    //   mixed at 4 CTAs per SM; with the bulk copies it lets 1-2 CTAs per SM
    //   stream (benchmarks/results/2026-11-25_h100_decode_bulk.log).
    //   sm_90: the prologue's A and metadata need no indices, so their bulk
    //   copies go out right after the first indices, not after the wait for
    //   them (decode CTAs run only ~16 k-blocks, so the prologue's latency
    //   chain counts). Indices first: issued after A they queue behind its
    //   bytes (A first was -3% .. +9% against no early A on the decode rows;
    //   indices then A, with the relaxed cluster exit, 0-10% faster but on
    //   4096x11008, +1-4%: benchmarks/results/2026-11-25_h100_mma_step.log,
    //   exp7 and exp9).
    if constexpr (kBulkA) {
      if (tid == 0) {
        for (int s = 0; s < kS; ++s) mbar_init(smem_u32(&sFull[s]), 1);
        mbar_fence_init();
      }
      // Before any use, even thread 0's own expect_tx below: without this
      // barrier compute-sanitizer's racecheck reports the init and the
      // expect_tx as a hazard.
      __syncthreads();
    }
#pragma unroll
    for (int s = 0; s < kS - 1; ++s) fetch_idx(s);
    cp_async_commit();
    if constexpr (kBulkA) {
#pragma unroll
      for (int s = 0; s < kS - 1; ++s) fetch_a(s, s);
    }
    // sm_90, launched as a programmatic dependent (cuda/pdl.cuh): all of the
    // above reads only the compressed weights, which no kernel writes (hinm
    // uploads them with copies), so it overlaps the kernel before us in the
    // stream -- typically the previous layer's SpMM or its split-K reduce.
    // B, C, bias and the workspace are touched only after the wait. Then our
    // own dependent (the split-K reduce, or the next SpMM, which prefetches
    // its weights in turn) may launch, at the trigger below.
    griddep_wait();
    // Our dependents launch once every CTA has triggered: right here, or
    // args.trigger_kb k-blocks before the end of the loop (the planner's
    // choice, cuda/spmm_launch.cu).
    const int trigger_it = args.trigger_kb < 0 ? -1 : max(0, nk - args.trigger_kb);
    if (trigger_it < 0) griddep_launch_dependents();
    cp_async_wait<0>();
    __syncthreads();
#pragma unroll
    for (int s = 0; s < kS - 1; ++s) {
      if constexpr (!kBulkA) fetch_a(s, s);
      fetch_b(s, s);
      fetch_idx(s + kS - 1);
      cp_async_commit();
    }
    for (int it = 0; it < nk; ++it) {
      cp_async_wait<kS - 2>();
      if constexpr (kBulkA) mbar_wait(smem_u32(&sFull[it % kS]), (it / kS) & 1);
      __syncthreads();
      if (it == trigger_it) griddep_launch_dependents();
      fetch_a((it + kS - 1) % kS, it + kS - 1);
      fetch_b((it + kS - 1) % kS, it + kS - 1);
      fetch_idx(it + 2 * kS - 2);
      cp_async_commit();
      AFrags f;
      load_a(f, it % kS);
      mma_step(f, it % kS);
    }
    cp_async_wait<0>();  // nothing may be left in flight at exit
    if (trigger_it >= nk) griddep_launch_dependents();
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
    if constexpr (kClusterReduceFits) {
      if (args.cluster_reduce) {
        ClusterReduceStore<T, kCfg>(args, smem, acc, tile, rb0, rb_valid, n0, wm, wn);
        return;
      }
    }
#endif

    // Epilogue: each lane holds tokens n, n+1 (n even) of rows g and g+8;
    // the row's destination and bias are resolved once (MakeOutputRow); where
    // C allows (feature-major, 4-byte aligned pairs) both tokens go out in
    // one 32-bit store, as do split-K partials (float2).
    const int g = lane >> 2, t = lane & 3;
    const bool pair_p = args.n % 2 == 0;
#pragma unroll
    for (int r = 0; r < cfg.warp_rb; ++r) {
      const int rbl = wm * cfg.warp_rb + r;
      if (rbl >= rb_valid) continue;
#pragma unroll
      for (int hi = 0; hi < 2; ++hi) {
        const int64_t p = static_cast<int64_t>(tile) * args.tile_rows + (rb0 + rbl) * 16 + g + 8 * hi;
        if (p >= args.m) continue;
        if (args.splits > 1) {
#pragma unroll
          for (int j = 0; j < cfg.warp_n8; ++j) {
            const int n = n0 + (wn * cfg.warp_n8 + j) * 8 + 2 * t;
            if (n >= args.n) continue;
            const float v0 = acc[r][j][2 * hi], v1 = acc[r][j][2 * hi + 1];
            float* dst = args.partial + (static_cast<int64_t>(split) * args.m + p) * args.n + n;
            if (n + 1 < args.n && pair_p) {
              *reinterpret_cast<float2*>(dst) = make_float2(v0, v1);
            } else {
              dst[0] = v0;
              if (n + 1 < args.n) dst[1] = v1;
            }
          }
          continue;
        }
        const OutputRow<T> row = MakeOutputRow<T>(args, p);
#pragma unroll
        for (int j = 0; j < cfg.warp_n8; ++j) {
          const int n = n0 + (wn * cfg.warp_n8 + j) * 8 + 2 * t;
          if (n < args.n)
            StoreRowPair<T>(args, row, n, acc[r][j][2 * hi], acc[r][j][2 * hi + 1], n + 1 < args.n);
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
  KernelLaunch l(grid, dim3(kConfigs[kCfg].threads()), kSmem, stream, a.programmatic);
  // With cluster_reduce the splits of a tile slice form one cluster
  // (spmm_cluster_reduce.cuh).
  if (a.cluster_reduce) {
    cudaLaunchAttribute& cluster = l.Add();
    cluster.id = cudaLaunchAttributeClusterDimension;
    cluster.val.clusterDim.x = 1;
    cluster.val.clusterDim.y = 1;
    cluster.val.clusterDim.z = static_cast<unsigned>(a.splits);
  }
  return cudaLaunchKernelEx(&l.config, hinm_spmm_kernel<T, kCfg>, a);
}

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_KERNEL_CUH_
