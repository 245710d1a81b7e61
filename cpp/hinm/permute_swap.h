// Output-axis 2CP refinement: swaps of single rows between tiles, scored by
// the exact vector-pruning cost with each tile's kept columns re-chosen.
// Not part of the default search: run after its transport steps it raised
// MiniLM's mean retained saliency by only ~0.0002-0.0006 while lowering 1-5
// of the 37 layers by up to 0.0003 and adding 45-100% search time (see
// docs/quality.md). benchmarks/quality/gap_analysis uses it to measure how
// far the default's row partition is from a swap-local optimum.
#ifndef HINM_PERMUTE_SWAP_H_
#define HINM_PERMUTE_SWAP_H_

#include <cstdint>
#include <vector>

#include "cpp/hinm/permute.h"

namespace hinm {

// Why it finds what the transport steps miss: a transport step is exact for
// *fixed* kept-column sets, so after it no swap gains at fixed sets; but a
// swap also moves columns across the keep threshold of both tiles, and that
// re-selection can make a swap gain. This descent tries random pairs of rows
// in different tiles (the last, partial tile included) and applies a swap
// when the two tiles' summed top-kept_cols column sums rise (fp64, exact).
// It stops after `max_evals` evaluated pairs or after `max_evals / 4` pairs
// in a row without a gain. Serial, with its own random stream (`seed`), so
// the result does not depend on the thread count. Returns the new
// permutation (same convention as SearchOutputPermutation); the vector cost
// never rises. Progress is reported in [lo, hi] of opt.progress.
std::vector<int32_t> RowSwapDescent(const SaliencyView& s, const std::vector<int32_t>& perm,
                                    int32_t tile_rows, int64_t kept_cols, int64_t max_evals,
                                    uint64_t seed, const PermuteOptions& opt, double lo,
                                    double hi);

}  // namespace hinm

#endif  // HINM_PERMUTE_SWAP_H_
