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
  int stages;    // cp.async pipeline depth (k-steps of 32 slots in flight)

  constexpr int threads() const { return warps_m * warps_n * 32; }
  constexpr int block_m() const { return warps_m * warp_rb * 16; }   // rows per CTA
  constexpr int block_n() const { return warps_n * warp_n8 * 8; }    // tokens per CTA
};

// kWide: prefill / large N. 4 warps as 2 x 2, each 32 rows x 32 tokens
// (8 mma.sp per k-step). kNarrow: decode, N <= 16: 4 warps stacked along M,
// each 16 rows x 16 tokens, so a CTA streams 64 rows of weights per k-step.
enum class ConfigId : int { kWide = 0, kNarrow = 1 };
inline constexpr int kNumConfigs = 2;

inline constexpr TileConfig kConfigs[kNumConfigs] = {
    {"wide_64x64", 2, 2, 2, 4, 4},
    {"narrow_64x16", 4, 1, 1, 2, 4},
};

constexpr const TileConfig& GetConfig(ConfigId id) { return kConfigs[static_cast<int>(id)]; }

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_CONFIGS_H_
