// Input-axis 2CP search inside one tile: which kept columns share a 2:4
// group. Called through SearchTileColumnOrder(s) (permute.h), which
// validates the arguments.
#ifndef HINM_PERMUTE_INPUT_H_
#define HINM_PERMUTE_INPUT_H_

#include <cstdint>
#include <vector>

#include "cpp/hinm/permute.h"

namespace hinm {

// Saliency that 2:4 pruning keeps over `rows` when the slots hold the
// columns `order` (kPadColumn reads as zero): per row and group of 4, the
// two largest. fp64 accumulation.
double NmKeptSaliency(const SaliencyView& s, const std::vector<int32_t>& rows,
                      const std::vector<int32_t>& order);

// A cheap order for the joint output-axis search: up to `sweeps` sweeps of
// exact pair moves over random pairings, from the given order.
std::vector<int32_t> QuickTileColumnOrder(const SaliencyView& s,
                                          const std::vector<int32_t>& rows,
                                          const std::vector<int32_t>& slots,
                                          uint64_t seed, int sweeps);

// The published algorithm (Gyro-Permutation's InPerm.fit): each iteration
// pulls one random column from every group and reassigns them to the groups
// by exact linear assignment on the 2:4-kept saliency; an improvement is
// kept; stop after max_failures rejected iterations (cumulative; published
// default 3). Without the published double-permutation bug: the order
// returned is the order that was scored.
std::vector<int32_t> InputSearchPublished(const SaliencyView& s,
                                          const std::vector<int32_t>& rows,
                                          const std::vector<int32_t>& slots,
                                          const PermuteOptions& opt,
                                          uint64_t stream);

// hinm's search: starts from the published result and only accepts
// improvements, alternating sweeps of exact pair moves (groups paired at
// random; for each pair, the best of the 35 ways to split its 8 columns
// into two groups of 4) with the published assignment moves, until
// max_failures (default 4) consecutive rounds gain nothing.
std::vector<int32_t> InputSearchDefault(const SaliencyView& s,
                                        const std::vector<int32_t>& rows,
                                        const std::vector<int32_t>& slots,
                                        const PermuteOptions& opt,
                                        uint64_t stream);

// hinm's kept-column refinement (kDefault with 2CP on): `order` is a tile's
// kept slots in their searched order, `spare` the real columns level 1
// dropped. Sweeps exchange a kept column for a spare one wherever the
// 2:4-kept saliency of its group rises (the best exchange per group, checked
// exactly), then re-group around the changed groups with pair moves; a sweep
// is kept only if the tile keeps more. Returns `order` itself when nothing
// gains, else an order over the new kept set (same size, same pads).
std::vector<int32_t> RefineTileColumns(const SaliencyView& s,
                                       const std::vector<int32_t>& rows,
                                       const std::vector<int32_t>& order,
                                       const std::vector<int32_t>& spare,
                                       const PermuteOptions& opt,
                                       uint64_t stream);

}  // namespace hinm

#endif  // HINM_PERMUTE_INPUT_H_
