// HiNM pruning: from a dense matrix and a saliency matrix to a compressed
// HiNM matrix. Two levels, in this order:
//   1. per tile of V rows (after the output permutation, if any): keep the
//      K_keep columns with the largest summed saliency;
//   2. per row, along the tile's kept columns in the tile's order: keep the
//      2 largest-saliency entries of every 4 consecutive slots.
// Ties break towards the lower column (level 1) / lower slot (level 2).
// One exception to level 1: with the input axis of 2CP on and the default
// algorithm (PermuteAlgo::kDefault), the search may exchange kept and dropped
// columns of a tile when that raises the saliency kept after level 2
// (SearchTileColumns in permute.h); each tile still keeps exactly K_keep
// distinct columns (min(K, K_keep) real ones). Without permutation, or with
// the published algorithm, level 1 is exactly the top-K_keep set.
#ifndef HINM_PRUNE_H_
#define HINM_PRUNE_H_

#include <cstdint>

#include "cpp/hinm/compressed_matrix.h"
#include "cpp/hinm/dense.h"
#include "cpp/hinm/permute.h"

namespace hinm {

struct PruneOptions {
  int32_t tile_rows = 128;        // V
  double vector_sparsity = 0.5;   // used when kept_cols == 0
  int64_t kept_cols = 0;          // explicit K_keep (multiple of 4), or 0
  DType value_dtype = DType::kFloat16;
  PermuteOptions permute;         // 2CP (both axes off by default)
};

// K_keep for a vector sparsity: K * (1 - s) rounded to the nearest multiple
// of 4, at least 4 and at most round_up(K, 4).
int64_t KeptColsForSparsity(int64_t cols, double vector_sparsity);

// The whole pipeline: validate, (2CP), select columns, 2:4, compress.
// `saliency` may have data == nullptr, meaning |W|. Throws hinm::Error.
CompressedMatrix PruneAndCompress(const DenseView& weights,
                                  const SaliencyView& saliency,
                                  const PruneOptions& options);

}  // namespace hinm

#endif  // HINM_PRUNE_H_
