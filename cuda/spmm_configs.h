// The shipped tile configurations of the HiNM SpMM kernel: one struct per
// config, one table. Instantiations (cuda/spmm_<dtype>_<config>.cu), the
// planner (cuda/spmm_launch.cu), the tests and the benchmark all read this.
// Host and device visible; no CUDA headers needed.
#ifndef HINM_CUDA_SPMM_CONFIGS_H_
#define HINM_CUDA_SPMM_CONFIGS_H_

namespace hinm_cuda {

struct TileConfig {
  const char* name;
  int warps_m;   // warps along M (each warp: warp_rb row blocks of 16 rows)
  int warps_n;   // warps along N (each warp: warp_n8 tiles of 8 tokens)
  int warp_rb;   // 16-row blocks per warp
  int warp_n8;   // 8-token tiles per warp
  int stages;    // cp.async ring slots, one 32-slot k-block each (one barrier per k-block)
  int min_ctas;  // __launch_bounds__ min blocks per SM (caps registers)
  int max_n;     // the planner uses the first config with N <= max_n
  int split_ctas_per_sm;  // split K until the grid has this many CTAs per SM
  // sm_90 decode split model (cuda/spmm_launch.cu), 0 = not used: the time of
  // a k-block with c CTAs per SM is max(1, c * sm_share) times that of a CTA
  // alone on its SM (which is bound by its own latencies, not by DRAM).
  double sm_share;
  // Vector B (N = 1): B is one column read in place, any element stride and
  // 2-byte alignment, no packing; the kernel copies the aligned 4-byte pair
  // that holds each gathered element and picks the element out with prmt
  // (cuda/spmm_kernel.cuh). Never chosen by max_n: the planner switches
  // N = 1 narrow plans to it.
  bool b_vector;
  // The most K splits one cluster of this config sums (sm_90,
  // spmm_cluster_reduce.cuh: one fp32 value per rank in registers, so the
  // bound is compiled in). 4 on the shipped configs; the _c8 variants of
  // narrow and vector sum 5-8 and run only plans with such clusters, so
  // the 4-rank kernels keep their registers (one kernel for both cost every
  // 4-rank plan 1.2-4.6%, docs/performance.md 2026-12-07 (4)).
  int cluster_ranks;

  constexpr int threads() const { return warps_m * warps_n * 32; }
  constexpr int block_m() const { return warps_m * warp_rb * 16; }   // rows per CTA
  constexpr int block_n() const { return warps_n * warp_n8 * 8; }    // tokens per CTA
  // Dynamic shared memory of the kernel: per stage and k-block, A (512 B
  // per 16-row block), metadata (64 B per block) and B (32 slots x BN); then
  // the index ring (2 * stages - 2 slots of 32 B-row indices) and one 8-byte
  // mbarrier per stage (sm_90 bulk copies); vector B: 16 prmt selectors
  // per stage (its 32 pairs use the first 128 bytes of the stage's B).
  constexpr int smem_bytes() const {
    return stages * (block_m() / 16 * (512 + 64) + 32 * block_n() * 2) +
           (2 * stages - 2) * 128 + stages * 8 + (b_vector ? stages * 32 : 0);
  }
};

// kNarrow (decode, N <= 16): 4 warps stacked along M, each 32 rows x 16
// tokens; a CTA is one whole V=128 tile and streams 4.6 KB of weights per
// k-block through a 6-deep ring. kMid (N <= 64): same rows, 64 tokens per
// warp. kWide (prefill): 8 warps as 2 x 4, each 64 rows x 32 tokens (16
// mma.sp per k-block per warp), a 128 x 128 CTA tile, 3 stages (38 KB smem,
// 2 CTAs per SM; its splits fill 2 CTAs per SM, which at N = 128 beat one
// CTA per SM by up to 20%: the k-loop of a lone CTA is latency-bound, ncu
// 0.35 instructions issued per cycle and scheduler).
// Deeper rings with bulk A copies (2026-11-25_h100_mma_step.log, exp7):
// narrow 10 / mid 8 / wide 6 stages 4-70% slower, 16 / 12 / 10 up to 2.3x
// slower (fewer resident CTAs; at one CTA per SM wide was no faster either).
// Measured on the H100 (benchmarks/results/2026-11-24_h100_exp_v4/_v5/_v6.log),
// all slower or within noise of these, so not shipped: 64 x 64 warp tiles
// (128 x 256 CTA, 1 CTA/SM, 4 stages: 8192x8192 75% N=4096 1490 us vs
// 1234 us; 128 x 128 CTA of 4 warps: 1515 us); wide with 4 stages (1239 vs
// 1176 us); narrow with 8 stages or 5 CTAs/SM, mid with 6 stages (within
// +-3%, 87.5% narrow 8 stages 14% slower on 8192x8192). Earlier: 2 k-blocks
// per stage was 5-25% slower (2026-11-24_h100_v3). A 64-row narrow CTA (4
// warps x 1 row block, 8 stages; twice the CTAs, half the splits) was
// 1.3-2.1x slower on every large decode layer (2026-11-24_h100_narrow64.log).
// Split-K through a cluster (spmm_cluster_reduce.cuh) for at most this many
// splits (the _c8 configs; CUDA's portable cluster size limit is 8).
inline constexpr int kMaxClusterSplits = 8;

// kVector (N = 1, B read in place): narrow's rows, stages and split model
// with one 8-token column (half narrow's mma.sp and B shared memory) and
// the vector gather and the k-loop rotation; it replaces the B pack kernel
// at N = 1 where the planner's rule says it pays (cuda/spmm_launch.cu).
// kNarrowC8, kVectorC8: narrow and vector whose cluster sums 5-8 splits;
// never chosen by max_n (0): the planner switches a plan to them when it
// sums that many splits in a cluster.
enum class ConfigId : int {
  kNarrow = 0, kMid = 1, kWide = 2, kVector = 3, kNarrowC8 = 4, kVectorC8 = 5
};
inline constexpr int kNumConfigs = 6;

inline constexpr TileConfig kConfigs[kNumConfigs] = {
    // name               wm wn rb n8 st min max_n  split/SM sm_share vector ranks
    {"narrow_128x16", 4, 1, 2, 2, 6, 4, 16, 4, 0.59, false, 4},
    {"mid_128x64", 4, 1, 2, 8, 4, 3, 64, 3, 0, false, 4},
    {"wide_128x128", 2, 4, 4, 4, 3, 2, 1 << 30, 2, 0, false, 4},
    {"vector_128x8", 4, 1, 2, 1, 6, 4, 1, 4, 0.59, true, 4},
    {"narrow_128x16_c8", 4, 1, 2, 2, 6, 4, 0, 4, 0.59, false, 8},
    {"vector_128x8_c8", 4, 1, 2, 1, 6, 4, 0, 4, 0.59, true, 8},
};

// The config that runs `id`'s plan with its splits summed in a cluster of
// `splits` CTAs: `id` itself, its _c8 variant, or -1 where none can.
constexpr int ClusterConfig(ConfigId id, int splits) {
  if (splits <= kConfigs[static_cast<int>(id)].cluster_ranks) return static_cast<int>(id);
  if (splits > kMaxClusterSplits) return -1;
  if (id == ConfigId::kNarrow) return static_cast<int>(ConfigId::kNarrowC8);
  if (id == ConfigId::kVector) return static_cast<int>(ConfigId::kVectorC8);
  return -1;
}

constexpr const TileConfig& GetConfig(ConfigId id) { return kConfigs[static_cast<int>(id)]; }

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_CONFIGS_H_
