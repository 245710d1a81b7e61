// Two-axis channel permutation (2CP): choose which output channels share a
// tile (output axis) and which kept columns share a 2:4 group (input axis)
// so that pruning keeps more saliency. See docs/permutation.md.
#ifndef HINM_PERMUTE_H_
#define HINM_PERMUTE_H_

#include <cstdint>
#include <functional>
#include <vector>

namespace hinm {

// Returns false to cancel (the search then throws Error(kCancelled)).
using ProgressFn = std::function<bool(double fraction)>;

enum class PermuteAlgo { kDefault = 0, kPublished = 1 };

struct PermuteOptions {
  bool output_axis = false;
  bool input_axis = false;
  PermuteAlgo algo = PermuteAlgo::kDefault;
  uint64_t seed = 0;
  int max_failures = 0;              // 0 = the algorithm's default
  std::vector<int32_t> schedule;     // rows sampled per tile per round; empty = default
  int num_threads = 0;               // 0 = hardware concurrency
  ProgressFn progress;               // may be empty
};

// A read-only saliency matrix (non-negative float32, M x K row-major).
struct SaliencyView {
  const float* data = nullptr;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t ld = 0;
  float at(int64_t r, int64_t c) const { return data[r * ld + c]; }
};

// Output axis: a permutation perm of [0, M) (position p holds original row
// perm[p]; tiles are positions [t*V, (t+1)*V)) minimising the saliency that
// vector pruning to kept_cols columns per tile removes.
std::vector<int32_t> SearchOutputPermutation(const SaliencyView& s,
                                             int32_t tile_rows,
                                             int64_t kept_cols,
                                             const PermuteOptions& opt);

// Input axis, one tile: reorders `slots` (the tile's kept columns; size a
// multiple of 4, padding entries are kPadColumn) so that 2:4 pruning of the
// rows `rows` (original indices) keeps the most saliency. Returns the new
// order; the caller keeps it in col_idx.
std::vector<int32_t> SearchTileColumnOrder(const SaliencyView& s,
                                           const std::vector<int32_t>& rows,
                                           const std::vector<int32_t>& slots,
                                           const PermuteOptions& opt);

// Input axis and kept columns, one tile. Like SearchTileColumnOrder, but the
// tile also offers `spare`: real columns outside `slots` that may replace
// kept ones (in pruning: the columns level 1 dropped). kPublished ignores
// `spare` and returns SearchTileColumnOrder's result. kDefault first runs
// SearchTileColumnOrder's search, then swaps kept and spare columns (and
// re-groups around them) while the saliency that 2:4 keeps over `rows`
// rises, so it keeps at least what SearchTileColumnOrder keeps. The result
// has slots.size() distinct entries drawn from slots and spare; the kept
// *set* may differ from `slots` (a column with a large sum whose large
// values would lose the 2:4 competition can be worth less than a dropped
// one). Slots holding kPadColumn disable the exchange (pads occur only when
// every real column is kept). `spare` must not repeat a column or share one
// with `slots`, and must not hold kPadColumn (kInvalidValue).
std::vector<int32_t> SearchTileColumns(const SaliencyView& s,
                                       const std::vector<int32_t>& rows,
                                       const std::vector<int32_t>& slots,
                                       const std::vector<int32_t>& spare,
                                       const PermuteOptions& opt);

// Behaviour on edge cases (both axes): scores must be finite and >= 0
// (kInvalidValue otherwise); all-zero rows or columns are valid and simply
// gain nothing; V >= M (a single, possibly partial, tile) or K_keep >= K
// (vector pruning removes nothing) return the identity; K_keep larger than
// round_up(K, 4) is kInvalidValue; M not a multiple of V leaves a partial
// last tile that keeps its size.

}  // namespace hinm

#endif  // HINM_PERMUTE_H_
