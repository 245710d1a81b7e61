// Work-unit order shared by the HiNM SpMM kernels: which (tile slice, token
// tile) a CTA -- or, in the persistent sm_90a kernel, one of a CTA's
// iterations -- computes. Device code only.
#ifndef HINM_CUDA_SPMM_RASTER_CUH_
#define HINM_CUDA_SPMM_RASTER_CUH_

#include <cstdint>

#include "cuda/spmm_kernel_args.h"

namespace hinm_cuda {

struct WorkUnit {
  int tile;      // weight tile (its col_idx list)
  int rb0;       // first 16-row block of the slice inside the tile
  int rb_valid;  // row blocks of the slice that exist (<= rows per CTA / 16)
  int nt;        // token tile
};

// Grouped rasterization: kGroupRows consecutive row slices sweep all token
// tiles before the next group starts, so a group's weights are read from HBM
// once and stay in L2 while the B panels are reused across the group.
// pid < num_tiles * row_ctas_per_tile * n_tiles; cta_rb = row blocks per slice.
__device__ __forceinline__ WorkUnit GetWorkUnit(const KernelArgs& a, int64_t pid, int cta_rb) {
  constexpr int kGroupRows = 16;
  const int64_t row_ctas = static_cast<int64_t>(a.num_tiles) * a.row_ctas_per_tile;
  const int64_t width = static_cast<int64_t>(kGroupRows) * a.n_tiles;
  const int64_t first_row = pid / width * kGroupRows;
  const int64_t group_rows = min(static_cast<int64_t>(kGroupRows), row_ctas - first_row);
  const int64_t row_cta = first_row + (pid % width) % group_rows;
  WorkUnit u;
  u.nt = static_cast<int>((pid % width) / group_rows);
  u.tile = static_cast<int>(row_cta / a.row_ctas_per_tile);
  u.rb0 = static_cast<int>(row_cta % a.row_ctas_per_tile) * cta_rb;
  u.rb_valid = min(cta_rb, a.rb_per_tile - u.rb0);
  return u;
}

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_RASTER_CUH_
