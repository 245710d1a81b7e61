// The SpMM planner and launcher: picks a tile config (cuda/spmm_configs.h)
// by N, a K-split so that small problems fill every SM, lays out the
// workspace ([packed B][split-K partials]) and launches.
#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <string>

#include "cuda/spmm_configs.h"
#include "cuda/spmm_kernel_args.h"
#include "cuda/spmm_params.h"

namespace hinm_cuda {
namespace {

constexpr size_t kAlign = 256;
size_t RoundUp(size_t x, size_t a) { return (x + a - 1) / a * a; }
int64_t CeilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

// The sm_90a wgmma.sp kernel (cuda/spmm_wgmma_kernel.cuh): 128-row slices,
// or 256-row slices where V % 256 == 0 (one B gather feeds 256 rows).
constexpr int kWgmmaSliceRows = 128;
constexpr int kWgmmaWideSliceRows = 256;
// kAuto uses it on sm_90 from this many tokens on, for V a multiple of 128
// (smaller V leaves consumer rows idle). Measured on the H100
// (benchmarks/results/2026-11-24_h100_wgmma_crossover.log): at N = 128 the
// mma.sp kernel wins on every shape (e.g. 28672x8192 75%: 146 vs 199 us);
// from N = 256 the wgmma.sp kernel wins or ties (same shape: 204 vs 289 us).
constexpr int kWgmmaMinN = 256;
// ... unless its grid would leave more than half of the SMs idle: it cannot
// split K, so a layer of few tiles runs the mma.sp kernel, whose K split fills
// every SM. Measured on the H100 (CUDA graphs, 2026-12-07,
// benchmarks/results/2026-12-07_h100_kernel_choice.log): at N = 256 the
// mma.sp wide plan against wgmma.sp's 64 work units on 132 SMs took
// 45.1 vs 86.9 us (4096x11008 75%), 28.8 vs 46.3 (87.5%), 24.5 vs 35.8
// (4096x4096 75%), 18.6 vs 20.3 (87.5%); with 86 units or more wgmma.sp
// stayed ahead or within 1-7% (11008x4096 N = 256: 45.7 vs 57.9 us;
// 4096x11008 N = 512, 128 units: 90.0 vs 84.1 at 75%, 47.8 vs 48.8 at 87.5%).
constexpr double kWgmmaMinSmShare = 0.5;
// The plan search also times wgmma.sp from this many tokens (at N = 128 it
// won one of ten rows measured, 11008x4096 87.5%: 22.0 vs 22.5 us; at N = 64
// it lost every row by 1.7x or more).
constexpr int kWgmmaCandidateMinN = 128;
// Time of one work unit of token tile 128 relative to one of 256, measured
// (8192x8192 75% N = 4096: 0.58 vs 0.79 us per k-block); re-checked with two
// k-blocks per stage in both tiles: 0.67-0.74 where both fill whole waves, and
// the planner took the faster tile on all 12 rows measured
// (benchmarks/results/2026-12-07_h100_l2_hints_bn_gate.log).
constexpr double kWgmmaBn128Cost = 0.73;
// Time of one 256-row x 128-token unit relative to two 128-row x 256-token
// units (the same outputs), measured at V = 256 on the H100 (2026-12-07,
// benchmarks/results/2026-12-07_h100_wgmma_rows256.log: 0.92-0.95 over four
// layers at N = 1024 and 4096, both sparsities).
constexpr double kWgmmaRows256Cost = 0.94;

struct Plan {
  bool wgmma = false;         // the sm_90a kernel (else mma.sp with `config`)
  int32_t wgmma_bn = 256;     // its token tile
  int32_t wgmma_rows = 128;   // its row slice (256: token tile 128)
  int32_t grid = 0;           // its persistent grid (CTAs)
  ConfigId config = ConfigId::kWide;
  int32_t row_ctas_per_tile = 0;
  int32_t n_tiles = 0;
  int32_t splits = 1;
  int32_t kb_per_split = 0;
  int64_t ld_pack = 0;        // elements per packed B row
  size_t pack_bytes = 0;      // reserved for packed B (token-major or N % 8 != 0)
  size_t partial_bytes = 0;   // split-K partials
  bool cluster_reduce = false;  // splits summed in a cluster (no partials, no reduce kernel)
  int32_t trigger_kb = -1;      // KernelArgs::trigger_kb
  int64_t b_vec_stride = 0;     // > 0: config kVector reads B's one column in place, this stride
  bool too_large = false;     // grid of 2^31 CTAs or more

  bool b_vector() const { return b_vec_stride > 0; }
};

size_t PackBytes(const SpmmParams& p, int64_t ld_pack) {
  return RoundUp(static_cast<size_t>(p.k) * ld_pack * 2, kAlign);
}

// Both kernels read B as K x round_up(N, 8) row-major: token-major B, or N
// not a multiple of 8, is packed into the workspace first -- except where
// the vector config reads B in place (plan->b_vector()).
void SetPacking(const SpmmParams& p, Plan* plan) {
  plan->ld_pack = RoundUp(p.n, 8);
  if (!plan->b_vector() && (p.b_token_major || p.n % 8 != 0))
    plan->pack_bytes = PackBytes(p, plan->ld_pack);
}

// Benchmark knobs (unset in normal use; scripts/device_tune.sh): HINM_SPMM_CONFIG=<config
// name> forces a config of the table, HINM_SPMM_SPLITS=<n> forces the K split. Candidate
// configs are tried by adding them to the table (and an instantiation) temporarily.
int ForcedConfig() {
  const char* e = std::getenv("HINM_SPMM_CONFIG");
  if (e == nullptr) return -1;
  for (int i = 0; i < kNumConfigs; ++i)
    if (std::strcmp(e, kConfigs[i].name) == 0) return i;
  return -1;
}
KernelChoice ForcedKernel(KernelChoice k) {
  const char* e = std::getenv("HINM_SPMM_KERNEL");
  if (e == nullptr) return k;
  if (std::strcmp(e, "mma_sp") == 0) return KernelChoice::kMmaSp;
  if (std::strcmp(e, "wgmma_sp") == 0) return KernelChoice::kWgmmaSp;
  return k;
}
// An integer knob: its value, `unset` (0 unless given) when unset.
int KnobInt(const char* name, int unset = 0) {
  const char* e = std::getenv(name);
  return e == nullptr ? unset : std::atoi(e);
}
// An on/off knob that is on unless set to "0".
bool KnobOn(const char* name) {
  const char* e = std::getenv(name);
  return e == nullptr || std::strcmp(e, "0") != 0;
}
int ForcedWgmmaBn() { return KnobInt("HINM_SPMM_WGMMA_BN"); }
// HINM_SPMM_WGMMA_ROWS=128|256: the wgmma.sp row slice instead of the
// planner's (benchmarks; 256 needs V % 256 == 0 and is ignored otherwise).
int ForcedWgmmaRows() { return KnobInt("HINM_SPMM_WGMMA_ROWS"); }
int ForcedSplits() { return KnobInt("HINM_SPMM_SPLITS"); }
// HINM_SPMM_CLUSTER_REDUCE=0: split-K through partials and the reduce kernel
// on sm_90 too (benchmarks, and the tests of that path on an H100).
bool ClusterReduceAllowed() { return KnobOn("HINM_SPMM_CLUSTER_REDUCE"); }
// HINM_SPMM_VECTOR_B=0: N = 1 always packs B (narrow config); =1: the vector
// config wherever it can read B (benchmark A/B, and the tests of both);
// unset (-1): the planner's rule.
int ForcedVectorB() { return KnobInt("HINM_SPMM_VECTOR_B", -1); }
// HINM_SPMM_ROTATE_KB=0 / 1: the k-loop rotation (KernelArgs::rotate_k) off /
// on for every mma.sp launch; unset (-1), the vector config rotates, nothing
// else.
int ForcedRotateK() { return KnobInt("HINM_SPMM_ROTATE_KB", -1); }

// Elements from the first to the last of a K-element column at `stride`.
int64_t ColumnSpan(int32_t k, int64_t stride) { return (static_cast<int64_t>(k) - 1) * stride + 1; }

// The element stride of B's one column if the vector config can read it in
// place (N = 1, b known and 2-byte aligned, the column's bytes below 2^31
// for the kernel's 32-bit offsets), else 0. Token-major B at N = 1 is one
// contiguous row of K elements.
int64_t VectorBStride(const SpmmParams& p) {
  if (p.n != 1 || p.b == nullptr || reinterpret_cast<uintptr_t>(p.b) % 2 != 0 || p.k < 1)
    return 0;
  const int64_t stride = p.b_token_major ? 1 : p.ldb;
  if (stride < 1 || ColumnSpan(p.k, stride) > (int64_t{1} << 30)) return 0;
  return stride;
}

// HINM_SPMM_PDL=0: every kernel of the SpMM (B pack, main kernel, split-K
// reduction) waits for the kernel before it as an ordinary stream successor
// (benchmark A/B of cuda/pdl.cuh).
bool PdlAllowed() { return KnobOn("HINM_SPMM_PDL"); }
// HINM_SPMM_TRIGGER_KB=<k>: the main kernel triggers its dependents k
// k-blocks before the end of its k-loop (-1: right after its wait) instead of
// where the plan says (benchmarks).
int32_t TriggerKb(int32_t planned) {
  const char* e = std::getenv("HINM_SPMM_TRIGGER_KB");
  return e == nullptr ? planned : std::atoi(e);
}

bool IsSm90(const DeviceInfo& dev) { return dev.cc_major == 9 && dev.cc_minor == 0; }

// The wgmma.sp plan: the slice and token tile with the fewest waves x unit
// cost. 128-row slices with token tile 256 stream B more efficiently; 128
// doubles the units when 256 leaves SMs idle (8192x8192 N = 256: 64 units of
// 256 vs 128 of 128 on 132 SMs). Where V % 256 == 0, 256-row slices (token
// tile 128) feed one B gather to 256 rows.
Plan MakeWgmmaPlan(const SpmmParams& p, const DeviceInfo& dev) {
  Plan plan;
  plan.wgmma = true;
  const int64_t tiles = CeilDiv(p.m, p.tile_rows);
  const int sms = std::max(dev.num_sms, 1);
  // Waves of `units` work units on the SMs, in units of 128 x 256 work.
  const auto waves = [&](int64_t units, double unit_cost) {
    return unit_cost * static_cast<double>(CeilDiv(units, sms));
  };
  const int64_t slices128 = tiles * CeilDiv(p.tile_rows, kWgmmaSliceRows);
  const double cost256 = waves(slices128 * CeilDiv(p.n, 256), 1.0);
  const double cost128 = waves(slices128 * CeilDiv(p.n, 128), kWgmmaBn128Cost);
  const bool wide_ok = p.tile_rows % kWgmmaWideSliceRows == 0;
  const double cost_wide =
      wide_ok ? waves(tiles * (p.tile_rows / kWgmmaWideSliceRows) * CeilDiv(p.n, 128),
                      kWgmmaRows256Cost)
              : std::numeric_limits<double>::infinity();
  plan.wgmma_rows = cost_wide <= std::min(cost128, cost256) ? kWgmmaWideSliceRows
                                                             : kWgmmaSliceRows;
  if (ForcedWgmmaBn() == 256) plan.wgmma_rows = kWgmmaSliceRows;  // 256-row slices: tile 128
  if (ForcedWgmmaRows() == kWgmmaSliceRows || (wide_ok && ForcedWgmmaRows() == kWgmmaWideSliceRows))
    plan.wgmma_rows = ForcedWgmmaRows();
  if (plan.wgmma_rows == kWgmmaWideSliceRows) {
    plan.wgmma_bn = 128;  // the accumulators of 256 x 128 fill the consumers
  } else {
    plan.wgmma_bn = cost128 < cost256 ? 128 : 256;
    if (ForcedWgmmaBn() == 128 || ForcedWgmmaBn() == 256) plan.wgmma_bn = ForcedWgmmaBn();
  }
  plan.row_ctas_per_tile = static_cast<int32_t>(CeilDiv(p.tile_rows, plan.wgmma_rows));
  const int64_t row_ctas = tiles * plan.row_ctas_per_tile;
  plan.n_tiles = static_cast<int32_t>(CeilDiv(p.n, plan.wgmma_bn));
  const int64_t units = row_ctas * plan.n_tiles;
  plan.too_large = units >= (1LL << 31);
  plan.grid = static_cast<int32_t>(std::min<int64_t>(units, sms));
  plan.splits = 1;
  plan.kb_per_split = p.padded_slots / 32;
  SetPacking(p, &plan);
  return plan;
}

// Whether the CTAs of a split can sum it through a cluster's shared memory
// (spmm_cluster_reduce.cuh: sm_90, the CTA's tile of fp32 sums fits in the
// shared memory the k-loop used).
bool ClusterCanSum(const TileConfig& cfg, const DeviceInfo& dev) {
  return IsSm90(dev) && ClusterReduceAllowed() &&
         cfg.block_m() * cfg.block_n() * 4 <= cfg.smem_bytes();
}
// CTAs a split grid may grow to: cfg.split_ctas_per_sm on every SM.
int64_t SplitTarget(const TileConfig& cfg, const DeviceInfo& dev) {
  return static_cast<int64_t>(cfg.split_ctas_per_sm) * std::max(dev.num_sms, 1);
}
// At least 4 k-blocks per split, at most 64 splits (the planner's models and
// the search's candidates).
int64_t MaxSplits(int64_t col_blocks) {
  return std::max<int64_t>(1, std::min<int64_t>(col_blocks / 4, 64));
}

// Whether `id` is a config the planner picks by N (narrow, mid, wide): the
// ones a PlanChoice may name.
bool IsBaseConfig(int id) {
  return id >= 0 && id < kNumConfigs && kConfigs[id].max_n > 0 && !kConfigs[id].b_vector;
}

// The kernel a call asks for: the caller's (SpmmParams::kernel), else the
// plan choice's where the device can run it, then the benchmark knob.
KernelChoice RequestedKernel(const SpmmParams& p, const DeviceInfo& dev) {
  KernelChoice k = p.kernel;
  if (k == KernelChoice::kAuto &&
      (p.choice.kernel != KernelChoice::kWgmmaSp || IsSm90(dev)))
    k = p.choice.kernel;
  return ForcedKernel(k);
}

// Whether the planner may run (or the search time) wgmma.sp on its own for
// this problem: sm_90 and tiles of whole 128-row slices.
bool WgmmaSuits(const SpmmParams& p, const DeviceInfo& dev) {
  return IsSm90(dev) && p.tile_rows % kWgmmaSliceRows == 0;
}

Plan MakePlan(const SpmmParams& p, const DeviceInfo& dev) {
  const KernelChoice choice = RequestedKernel(p, dev);
  if (choice == KernelChoice::kWgmmaSp) return MakeWgmmaPlan(p, dev);
  if (choice == KernelChoice::kAuto && WgmmaSuits(p, dev) && p.n >= kWgmmaMinN) {
    const Plan w = MakeWgmmaPlan(p, dev);
    const int64_t units = CeilDiv(p.m, p.tile_rows) * w.row_ctas_per_tile * w.n_tiles;
    if (units > kWgmmaMinSmShare * std::max(dev.num_sms, 1)) return w;
  }
  Plan plan;
  // The first shipped config whose max_n covers N (decode: narrow).
  plan.config = ConfigId::kWide;
  for (int i = 0; i < kNumConfigs; ++i)
    if (!kConfigs[i].b_vector && p.n <= kConfigs[i].max_n) {
      plan.config = static_cast<ConfigId>(i);
      break;
    }
  if (IsBaseConfig(p.choice.config)) plan.config = static_cast<ConfigId>(p.choice.config);
  if (ForcedConfig() >= 0 && !kConfigs[ForcedConfig()].b_vector)
    plan.config = static_cast<ConfigId>(ForcedConfig());
  const TileConfig& cfg = GetConfig(plan.config);
  const int64_t rb_per_tile = p.tile_rows / 16;
  const int64_t cta_rb = cfg.block_m() / 16;
  plan.row_ctas_per_tile = static_cast<int32_t>(CeilDiv(rb_per_tile, cta_rb));
  plan.n_tiles = static_cast<int32_t>(CeilDiv(p.n, cfg.block_n()));
  const int64_t tiles = CeilDiv(p.m, p.tile_rows);
  const int64_t col_blocks = p.padded_slots / 32;
  const int64_t ctas = tiles * plan.row_ctas_per_tile * plan.n_tiles;
  plan.too_large = ctas >= (1LL << 31);
  // Split K while the grid is under split_ctas_per_sm CTAs per SM (decode:
  // several resident CTAs per SM keep enough weight bytes in flight). The
  // split count minimises waves x (k-blocks per split + kFillKb): a grid that
  // spills a few CTAs into a second wave costs a whole extra wave. Measured
  // (H100, N = 16, benchmarks/results/2026-11-24_h100_exp_v4.log): 28672x8192
  // 75% 109.9 us with 3 splits (672 CTAs, 1.27 waves) vs 86.0 us with 2 (one
  // wave); 8192x8192 75% 39.6 us with 9 splits vs 32.2 us with 8.
  //
  // On sm_90 the decode configs can instead sum the splits through a
  // cluster's shared memory (spmm_cluster_reduce.cuh): no partials, no second
  // kernel, but clusters of more than 4 CTAs schedule badly (measured,
  // benchmarks/results/2026-11-24_h100_cluster_splits.log: with the same 8
  // splits, 8192x8192 75% N = 16 took 30.0 us as clusters vs 21.6 us with
  // partials). So the partial plan above is costed with what it adds -- its
  // partials written and read back (in k-blocks of weights) and the reduce
  // launch -- against the best plan of at most cfg.cluster_ranks splits as
  // clusters (one k-block for the barriers and the shared-memory sums). This
  // picks clusters on 28672x8192 N = 16 (2 splits: 60.1 -> 57.0 us at 75%,
  // 35.4 -> 32.3 us at 87.5%) and 11008x4096 N = 64, partials on 8192x8192.
  constexpr int64_t kFillKb = 4;  // pipeline fill + epilogue, in k-blocks
  constexpr double kReduceLaunchKb = 3, kClusterSumKb = 1;
  const bool cluster_ok = ClusterCanSum(cfg, dev);
  const int64_t target = SplitTarget(cfg, dev);
  auto waves_for = [&](int64_t s, int64_t* kb) {
    *kb = CeilDiv(col_blocks, s);
    return CeilDiv(ctas * CeilDiv(col_blocks, *kb), target);
  };
  int64_t splits = 1;
  bool cluster = false;
  const int64_t max_splits = MaxSplits(col_blocks);
  // The decode config on sm_90 uses the model below instead.
  const bool share_model = cfg.sm_share > 0 && IsSm90(dev);
  const double kblock_bytes = cfg.block_m() / 16 * (512.0 + 64.0) + 32.0 * cfg.block_n() * 2;
  if (ctas < target && !share_model) {
    // Where partials are the only way to sum splits (no cluster: the wide
    // config, pre-sm_90), a split plan also pays the reduce launch and the
    // partials' traffic -- s x M x N fp32 written and read back, spread over
    // the SMs, at half the cost of weight bytes (they stay in L2) -- in
    // k-blocks of weights. Fitted with the wide config at N = 128 on the
    // H100 (its 2 CTAs per SM; benchmarks/results/2026-11-25_h100_mma_step.log,
    // forced splits 1-8): 8192x8192 4 splits (75%: 39.1 vs 49.0 us with 2),
    // 11008x4096 3, 4096x11008 8 (30.0 vs 34.4 us with 4), 28672x8192 none.
    const double kPartialTrafficShare = 0.5;
    auto partial_traffic_kb = [&](int64_t s) {
      if (cluster_ok || s <= 1) return 0.0;
      return kReduceLaunchKb + kPartialTrafficShare * static_cast<double>(s) * p.m * p.n * 8 /
                                   (std::max(dev.num_sms, 1) * kblock_bytes);
    };
    double best_cost = 1e300;
    for (int64_t s = 1; s <= max_splits; ++s) {
      int64_t kb = 0;
      const int64_t waves = waves_for(s, &kb);
      const double cost = static_cast<double>(waves * (kb + kFillKb)) + partial_traffic_kb(s);
      if (cost < best_cost) {
        best_cost = cost;
        splits = s;
      }
    }
    if (cluster_ok && splits > 1) {
      const double partial_kb = cfg.block_m() * std::min<double>(p.n, cfg.block_n()) * 8 / kblock_bytes;
      int64_t kb = 0;
      const int64_t waves = waves_for(splits, &kb);
      double best = best_cost + waves * partial_kb + kReduceLaunchKb;
      // Clusters of one config's ranks only: larger ones, tried at N = 64
      // (mid), took 1.4-1.5x the time of this plan on 8192x8192 and
      // 28672x8192 (benchmarks/results/2026-12-07_h100_cluster8_batched.log).
      for (int64_t s = 2; s <= std::min<int64_t>(max_splits, cfg.cluster_ranks); ++s) {
        const int64_t w = waves_for(s, &kb);
        const double cost = static_cast<double>(w) * (kb + kFillKb + kClusterSumKb);
        if (cost < best) {
          best = cost;
          splits = s;
          cluster = true;
        }
      }
    }
  }
  // sm_90, decode config: the model of cfg.sm_share (measured on the H100 with
  // A and metadata through the bulk copy engine). A narrow CTA alone on its SM
  // takes ~0.45 us per k-block, bound by its own issue and latencies; c CTAs
  // on one SM share its DRAM bandwidth, which a k-block of c CTAs needs
  // ~0.27 c us of (sm_share = 0.27 / 0.45). So a split of kb k-blocks costs
  // kb * max(1, c * sm_share) plus what summing the splits adds: a cluster
  // ~1 k-block, partials and the reduce kernel ~4.4 plus 0.1 per split for
  // the partials' bytes. Fits
  // (benchmarks/results/2026-11-25_h100_decode_bulk.log, N = 16): 28672x8192
  // unsplit (224 CTAs; 87.5%: 30.4 vs 31.9 us with 2 splits), 8192x8192 and
  // 11008x4096 with 4 splits as clusters (75%: 19.3 vs 20.2 us with 8
  // partials, 14.4 vs 15.5 us with 6), 4096x11008 16 partials.
  //
  // Clusters of 5-8 CTAs (the _c8 configs) run their k-loops slower, as if
  // each k-block cost 1 + kLargeClusterKb more, so they pay where the
  // k-loop is short next to the partials' fixed cost. Bounds from the H100
  // (2026-12-07_h100_cluster8_batched.log, N = 1 and 16): 4096x11008 at
  // 87.5%, 8 splits of 11 k-blocks, 8.1 us as a cluster vs 8.6 us as
  // partials, needs kLargeClusterKb < 0.37; at 75%, 7 splits of 25, 14.1 vs
  // 13.7 us, > 0.16. And only for splits of at least kLargeClusterMinKb
  // k-blocks: no shorter cluster of 5-8 has won when timed (11008x4096
  // 87.5%, N = 1: 5-8 splits of 7-4 k-blocks 8.6-9.1 us, 4 splits of 8
  // 7.7 us; 2026-12-07_h100_n1_split_sweep.log).
  if (ctas < target && share_model) {
    constexpr double kClusterKb = 1.1, kPartialKb = 4.4, kPartialPerSplitKb = 0.1;
    constexpr double kLargeClusterKb = 0.25;
    constexpr int64_t kLargeClusterMinKb = 8;
    const double sms = std::max(dev.num_sms, 1);
    double best = 1e300;
    for (int64_t s = 1; s <= max_splits; ++s) {
      const int64_t kb = CeilDiv(col_blocks, s);
      const int64_t se = CeilDiv(col_blocks, kb);  // no empty split
      const int64_t n = ctas * se;
      if (n > target && s > 1) break;  // more than resident at once
      const double loop = kb * std::max(1.0, n / sms * cfg.sm_share);
      const double partials = se == 1 ? loop : loop + kPartialKb + kPartialPerSplitKb * se;
      double as_cluster = 1e300;
      if (cluster_ok && se > 1 && se <= cfg.cluster_ranks)
        as_cluster = loop + kClusterKb;
      else if (cluster_ok && se > 1 && ClusterConfig(plan.config, static_cast<int>(se)) >= 0 &&
               kb >= kLargeClusterMinKb)
        as_cluster = loop * (1 + kLargeClusterKb) + kClusterKb;
      if (std::min(partials, as_cluster) < best) {
        best = std::min(partials, as_cluster);
        splits = se;
        cluster = as_cluster < partials;
      }
    }
  }
  // A split chosen outside (the timed search), then the benchmark knob.
  if (p.choice.splits > 0) {
    splits = std::min<int64_t>(p.choice.splits, col_blocks);
    cluster = p.choice.sum == SplitSum::kCluster && cluster_ok;
  }
  if (ForcedSplits() > 0) {
    splits = std::min<int64_t>(ForcedSplits(), col_blocks);
    cluster = cluster_ok;
  }
  const int64_t kb_per = CeilDiv(col_blocks, splits);
  plan.kb_per_split = static_cast<int32_t>(kb_per);
  plan.splits = static_cast<int32_t>(CeilDiv(col_blocks, kb_per));  // no empty split
  // N = 1: the narrow plan (same CTAs, splits and partials) on the vector
  // config, which reads B in place -- no B pack kernel before it -- wherever
  // it can read B, on sm_90 (measured on an H100; other GPUs keep the pack
  // until measured). Its k-loop (4-byte pairs, no ldmatrix) runs fewer
  // instructions than narrow's over packed B, and the pack kernel is gone:
  // 10-29% faster on 4 decode layers at 75% and 87.5%, split or not
  // (docs/performance.md, "2026-12-06 (3)"). The size query (b unknown)
  // plans the pack, so its workspace covers both.
  const int vector_knob = ForcedVectorB();
  const bool vector_pays = IsSm90(dev);
  if (plan.config == ConfigId::kNarrow && vector_knob != 0 && (vector_pays || vector_knob == 1) &&
      (ForcedConfig() < 0 || kConfigs[ForcedConfig()].b_vector)) {
    plan.b_vec_stride = VectorBStride(p);
    if (plan.b_vector()) plan.config = ConfigId::kVector;
  }
  // A cluster of more splits than the config sums runs on its _c8 variant,
  // or, where there is none (mid) or it is too large, through partials.
  if (cluster && plan.splits > 1) {
    const int c = ClusterConfig(plan.config, plan.splits);
    if (c < 0)
      cluster = false;
    else
      plan.config = static_cast<ConfigId>(c);
  }
  SetPacking(p, &plan);
  plan.cluster_reduce = cluster && plan.splits > 1;
  // Where the main kernel lets the next kernel in the stream launch
  // (cuda/pdl.cuh). Split clusters trigger a quarter of their k-loop before
  // its end. Triggered at the start, the next SpMM's CTAs prefetch their
  // weights during this kernel's whole loop and stretch its slowest CTAs
  // (per-CTA timestamps: loops of 6.2-8.1 us instead of 5.1-6.1 us on
  // 8192x8192 87.5% N = 16); a quarter before the end they prefetch while
  // this kernel's last clusters finish. H100, same run, against the trigger
  // right after the wait (2026-11-25_h100_trigger.log, exp26): 8192x8192
  // N = 16 75% 18.30 -> 17.22 us, 87.5% 11.15 -> 9.73; 11008x4096 N = 16
  // 13.92 -> 13.68, 7.76 -> 7.48 (a sweep of 2-16 k-blocks, exp25, had its
  // best at 2-12 depending on the layer). Unsplit grids (28672x8192: 1-9%
  // slower in that sweep) and partials (their dependent is the reduce
  // kernel, whose launch would then wait: 4096x11008 up to 1.5x slower) keep
  // the trigger right after the wait.
  if (plan.cluster_reduce) plan.trigger_kb = std::max<int32_t>(2, plan.kb_per_split / 4);
  plan.trigger_kb = TriggerKb(plan.trigger_kb);
  if (plan.splits > 1 && !plan.cluster_reduce)
    plan.partial_bytes = RoundUp(static_cast<size_t>(plan.splits) * p.m * p.n * 4, kAlign);
  return plan;
}

// Whether the kernels read feature-major B where it is (16-byte rows); else
// B is packed into the workspace first (vector B aside). They address B rows
// with 32-bit byte strides (BChunkColumn): an ldb of 2^31 elements or more is
// packed like misaligned B.
bool BReadInPlace(const SpmmParams& p) {
  return !p.b_token_major && reinterpret_cast<uintptr_t>(p.b) % 16 == 0 && p.ldb % 8 == 0 &&
         p.ldb < (int64_t{1} << 31);
}

LaunchResult Fail(LaunchStatus s, const char* reason, cudaError_t e = cudaSuccess) {
  LaunchResult r;
  r.status = s;
  r.reason = reason;
  r.cuda_error = e;
  return r;
}

}  // namespace

size_t SpmmWorkspaceBytes(const SpmmParams& p, const DeviceInfo& dev) {
  if (p.n <= 0 || p.m <= 0) return 0;
  const Plan plan = MakePlan(p, dev);
  return plan.pack_bytes + plan.partial_bytes;
}

std::string SpmmPlanSummary(const SpmmParams& p, const DeviceInfo& dev) {
  if (p.n <= 0 || p.m <= 0) return "none (empty problem)";
  const Plan plan = MakePlan(p, dev);
  const char* b = plan.b_vector() || BReadInPlace(p) ? "in-place" : "packed";
  char s[192];
  if (plan.wgmma) {
    const std::string rows =
        plan.wgmma_rows == kWgmmaSliceRows ? "" : " rows=" + std::to_string(plan.wgmma_rows);
    std::snprintf(s, sizeof(s), "wgmma.sp bn=%d%s grid=%d b=%s", plan.wgmma_bn, rows.c_str(),
                  plan.grid, b);
  } else {
    const long long ctas = CeilDiv(p.m, p.tile_rows) * plan.row_ctas_per_tile * plan.n_tiles;
    const char* sum = plan.splits == 1 ? "none" : plan.cluster_reduce ? "cluster" : "partials";
    std::snprintf(s, sizeof(s), "mma.sp %s ctas=%lld splits=%d sum=%s kb=%d b=%s",
                  GetConfig(plan.config).name, ctas, plan.splits, sum, plan.kb_per_split, b);
  }
  return s;
}

namespace {

// The config a plan's config stands for among the base configs: the vector
// and _c8 variants are narrow's (vector_c8: vector's, so narrow's).
ConfigId BaseConfig(ConfigId id) {
  switch (id) {
    case ConfigId::kVector:
    case ConfigId::kNarrowC8:
    case ConfigId::kVectorC8: return ConfigId::kNarrow;
    default: return id;
  }
}

// A plan as the explicit PlanChoice that reproduces it.
PlanChoice ChoiceOf(const Plan& plan) {
  PlanChoice c;
  c.kernel = plan.wgmma ? KernelChoice::kWgmmaSp : KernelChoice::kMmaSp;
  if (plan.wgmma) return c;
  c.config = static_cast<int32_t>(BaseConfig(plan.config));
  c.splits = plan.splits;
  c.sum = plan.cluster_reduce ? SplitSum::kCluster : SplitSum::kPartials;
  return c;
}

}  // namespace

std::vector<PlanChoice> SpmmPlanCandidates(const SpmmParams& problem, const DeviceInfo& dev) {
  SpmmParams p = problem;
  p.choice = PlanChoice{};
  std::vector<PlanChoice> out;
  if (p.n <= 0 || p.m <= 0) return out;
  std::set<std::string> seen;  // plan summaries: no plan twice
  const auto add = [&](const PlanChoice& c) {
    SpmmParams q = p;
    q.choice = c;
    if (seen.insert(SpmmPlanSummary(q, dev)).second) out.push_back(c);
  };
  const Plan plan = MakePlan(p, dev);
  const PlanChoice planned = ChoiceOf(plan);
  add(planned);
  // The planner's kernel and config with every other resident split.
  if (!plan.wgmma) {
    const TileConfig& cfg = GetConfig(plan.config);
    const int64_t col_blocks = p.padded_slots / 32;
    const int64_t ctas = CeilDiv(p.m, p.tile_rows) * plan.row_ctas_per_tile * plan.n_tiles;
    const int64_t target = SplitTarget(cfg, dev);
    const bool cluster_ok = ClusterCanSum(cfg, dev);
    int64_t last = 0;
    for (int64_t s = 2; s <= MaxSplits(col_blocks); ++s) {
      const int64_t se = CeilDiv(col_blocks, CeilDiv(col_blocks, s));  // no empty split
      if (se == last) continue;
      last = se;
      if (ctas * se > target) break;  // more CTAs than are resident at once
      PlanChoice c = planned;
      c.splits = static_cast<int32_t>(se);
      c.sum = SplitSum::kPartials;
      add(c);
      if (cluster_ok && ClusterConfig(plan.config, static_cast<int>(se)) >= 0) {
        c.sum = SplitSum::kCluster;
        add(c);
      }
    }
    if (plan.splits > 1) {
      PlanChoice c = planned;
      c.splits = 1;
      c.sum = SplitSum::kPartials;
      add(c);
    }
  }
  // The other kernel and configs that suit N, each as the planner would run
  // it. The caller's or a knob's forced kernel or config leaves no choice.
  if (p.kernel != KernelChoice::kAuto || ForcedKernel(KernelChoice::kAuto) != KernelChoice::kAuto ||
      ForcedConfig() >= 0)
    return out;
  for (int id = 0; id < kNumConfigs; ++id) {
    const int64_t bn = kConfigs[id].block_n();
    if (!IsBaseConfig(id) || bn > 2 * int64_t{p.n} || 8 * bn < p.n) continue;
    PlanChoice c;
    c.kernel = KernelChoice::kMmaSp;
    c.config = id;
    SpmmParams q = p;
    q.choice = c;
    add(ChoiceOf(MakePlan(q, dev)));
  }
  if (WgmmaSuits(p, dev) && p.n >= kWgmmaCandidateMinN) {
    PlanChoice c;
    c.kernel = KernelChoice::kWgmmaSp;
    add(c);
  }
  return out;
}

LaunchResult SpmmLaunch(const SpmmParams& p, const DeviceInfo& dev, void* workspace,
                        size_t workspace_bytes, cudaStream_t stream) {
  if (p.n <= 0 || p.m <= 0) return LaunchResult{};
  if (dev.cc_major < 8) return Fail(LaunchStatus::kNoKernel, "mma.sp needs sm_80 or newer");
  if (p.tile_rows % 16 != 0 || p.padded_slots % 32 != 0)
    return Fail(LaunchStatus::kNoKernel, "tile rows must be a multiple of 16, slots of 32");
  const Plan plan = MakePlan(p, dev);
  if (plan.wgmma && !IsSm90(dev))
    return Fail(LaunchStatus::kNoKernel,
                "the wgmma.sp kernel needs an sm_90 device (compute capability 9.0)");
  if (plan.too_large) return Fail(LaunchStatus::kNoKernel, "problem needs 2^31 or more CTAs");
  char* ws = static_cast<char*>(workspace);
  size_t used = 0;
  // sm_90: each kernel is launched as a programmatic dependent of the one
  // before it in the stream (cuda/pdl.cuh) and waits for it before touching
  // B, C, bias or the workspace; the main kernels read the compressed
  // weights before that wait. In a chain of layers the next SpMM's launch
  // and first weight bytes thus overlap the previous one's tail.
  const bool pdl = IsSm90(dev) && PdlAllowed();

  const uint16_t* b = static_cast<const uint16_t*>(p.b);
  int64_t ldb = p.ldb;
  if (plan.b_vector()) {
    ldb = plan.b_vec_stride;  // read in place (VectorBStride checked it)
    if (workspace_bytes < plan.partial_bytes)
      return Fail(LaunchStatus::kWorkspaceTooSmall, "workspace too small");
  } else if (!BReadInPlace(p)) {
    const size_t bytes = PackBytes(p, plan.ld_pack);
    if (workspace_bytes < bytes + plan.partial_bytes)
      return Fail(LaunchStatus::kMisaligned,
                  "feature-major B must be 16-byte aligned with ldb a multiple of 8 elements "
                  "below 2^31 (or pass a workspace with room for a packed copy of B)");
    uint16_t* packed = reinterpret_cast<uint16_t*>(ws);
    const cudaError_t e = LaunchPackB(b, p.ldb, p.b_token_major, p.k, p.n, packed, plan.ld_pack,
                                      pdl, stream);
    if (e != cudaSuccess) return Fail(LaunchStatus::kCudaError, "B pack", e);
    b = packed;
    ldb = plan.ld_pack;
    used = bytes;
  } else if (workspace_bytes < plan.pack_bytes + plan.partial_bytes) {
    return Fail(LaunchStatus::kWorkspaceTooSmall, "workspace too small");
  } else {
    used = plan.pack_bytes;  // reserved by the size query; unused here
  }

  KernelArgs a;
  a.m = p.m;
  a.n = p.n;
  a.k = p.k;
  a.tile_rows = p.tile_rows;
  a.rb_per_tile = p.tile_rows / 16;
  a.col_blocks = p.padded_slots / 32;
  a.padded_slots = p.padded_slots;
  a.num_tiles = static_cast<int32_t>((p.m + p.tile_rows - 1) / p.tile_rows);
  a.row_ctas_per_tile = plan.row_ctas_per_tile;
  a.n_tiles = plan.n_tiles;
  a.splits = plan.splits;
  a.kb_per_split = plan.kb_per_split;
  a.cluster_reduce = plan.cluster_reduce;
  a.values = p.values;
  a.meta = p.meta;
  a.col_idx = p.col_idx;
  a.row_perm = p.row_perm;
  a.store_permuted = p.store_permuted;
  a.b = b;
  a.ldb = ldb;
  // Counted from b rounded down to 4 bytes (the kernel copies aligned pairs).
  if (plan.b_vector())
    a.b_vec_bytes = static_cast<uint32_t>(ColumnSpan(p.k, ldb) * 2 +
                                          reinterpret_cast<uintptr_t>(p.b) % 4);
  a.c = p.c;
  a.ldc = p.ldc;
  a.c_token_major = p.c_token_major;
  a.bias = p.bias;
  a.alpha = p.alpha;
  a.beta = p.beta;
  a.wgmma_flags = KnobInt("HINM_SPMM_WGMMA_EXP");
  a.programmatic = pdl;
  a.trigger_kb = plan.trigger_kb;
  const int rotate_knob = ForcedRotateK();
  a.rotate_k = rotate_knob < 0 ? plan.b_vector() : rotate_knob == 1;
  a.partial = plan.partial_bytes > 0 ? reinterpret_cast<float*>(ws + used) : nullptr;

  const bool bf16 = p.dtype == ElemType::kBF16;
  if (plan.wgmma) {
    using WgmmaLauncher = cudaError_t (*)(const KernelArgs&, int, cudaStream_t);
    // [dtype][128-row slices, token tile 128 / 256; 256-row slices]
    static constexpr WgmmaLauncher kWgmma[2][3] = {
        {LaunchSpmmWgmma_f16_n128, LaunchSpmmWgmma_f16_n256, LaunchSpmmWgmma_f16_n128_rows256},
        {LaunchSpmmWgmma_bf16_n128, LaunchSpmmWgmma_bf16_n256,
         LaunchSpmmWgmma_bf16_n128_rows256}};
    const int variant = plan.wgmma_rows == kWgmmaWideSliceRows ? 2 : plan.wgmma_bn == 256 ? 1 : 0;
    const cudaError_t e = kWgmma[bf16 ? 1 : 0][variant](a, plan.grid, stream);
    if (e != cudaSuccess) return Fail(LaunchStatus::kCudaError, "wgmma.sp SpMM kernel", e);
    return LaunchResult{};
  }
  using Launcher = cudaError_t (*)(const KernelArgs&, cudaStream_t);
  // [dtype][config of cuda/spmm_configs.h]: a config missing here is a build error.
  static constexpr Launcher kLaunch[2][kNumConfigs] = {
      {LaunchSpmm_f16_narrow, LaunchSpmm_f16_mid, LaunchSpmm_f16_wide, LaunchSpmm_f16_vector,
       LaunchSpmm_f16_narrow_c8, LaunchSpmm_f16_vector_c8},
      {LaunchSpmm_bf16_narrow, LaunchSpmm_bf16_mid, LaunchSpmm_bf16_wide, LaunchSpmm_bf16_vector,
       LaunchSpmm_bf16_narrow_c8, LaunchSpmm_bf16_vector_c8}};
  const Launcher launch = kLaunch[bf16 ? 1 : 0][static_cast<int>(plan.config)];
  cudaError_t e = launch(a, stream);
  if (e != cudaSuccess) return Fail(LaunchStatus::kCudaError, "SpMM kernel", e);
  if (plan.splits > 1 && !plan.cluster_reduce) {
    e = LaunchSplitReduce(a, bf16, pdl, stream);
    if (e != cudaSuccess) return Fail(LaunchStatus::kCudaError, "split-K reduction", e);
  }
  return LaunchResult{};
}

}  // namespace hinm_cuda
