// Output-axis 2CP search: which rows share a tile of V rows. Called through
// SearchOutputPermutation (permute.h), which validates the arguments.
#ifndef HINM_PERMUTE_OUTPUT_H_
#define HINM_PERMUTE_OUTPUT_H_

#include <cstdint>
#include <vector>

#include "cpp/hinm/permute.h"

namespace hinm {

// Saliency that vector pruning removes when position p holds row perm[p]:
// per tile of V positions (the last one may be partial), the total minus the
// kept_cols largest column sums. fp64 accumulation.
double VectorPrunedSaliency(const SaliencyView& s,
                            const std::vector<int32_t>& perm,
                            int32_t tile_rows, int64_t kept_cols);

// The published algorithm (Gyro-Permutation's OutPerm.fit as called by its
// apply_two_axis_perm): for each round r of the schedule, sample r rows per
// tile, group them by balanced k-means (r > 1), reassign the groups to tiles
// by exact linear assignment on the true vector-pruning cost, keep a move
// only if the total cost drops; a round ends after max_failures rejected
// moves (cumulative, as published). Without the published 87.5% bug: the
// cost is the saliency of the columns actually pruned.
std::vector<int32_t> OutputSearchPublished(const SaliencyView& s,
                                           int32_t tile_rows,
                                           int64_t kept_cols,
                                           const PermuteOptions& opt);

// hinm's search: starts from the published result and only accepts
// improvements, alternating (a) an exact re-assignment of every row to a
// tile for fixed kept-column sets (a transportation problem solved by
// negative-cycle cancelling; with the kept sets then re-chosen this can only
// lower the cost) and (b) the published group moves with more tries.
std::vector<int32_t> OutputSearchDefault(const SaliencyView& s,
                                         int32_t tile_rows, int64_t kept_cols,
                                         const PermuteOptions& opt);

}  // namespace hinm

#endif  // HINM_PERMUTE_OUTPUT_H_
