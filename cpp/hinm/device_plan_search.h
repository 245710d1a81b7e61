// A timed plan search for the SpMM (like cuSPARSELt's cusparseLtMatmulSearch):
// the planner picks a kernel, tile config and K split from cost models,
// which miss the fastest plan by 4-10% on the 13-39 MB decode layers
// (docs/performance.md, "the decode model's fit") and by up to 19% between
// decode and prefill (N = 128: mid vs wide tiles); timing the candidates on
// the caller's GPU does not. The result is a SpmmPlanChoice to pass to
// SpmmDevice (and to store in a TunedPlans for later calls).
#ifndef HINM_DEVICE_PLAN_SEARCH_H_
#define HINM_DEVICE_PLAN_SEARCH_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <vector>

#include "cpp/hinm/compressed_matrix.h"
#include "cpp/hinm/dispatch.h"
#include "cpp/hinm/reference.h"
#include "cpp/hinm/spmm_plan_choice.h"

namespace hinm {

struct SpmmSearchResult {
  SpmmPlanChoice best;        // what SpmmDevice should run (the planner's if nothing beat it)
  SpmmPlanChoice planned;     // the planner's own plan
  double planned_us = 0;      // median time per call of each, on this GPU
  double best_us = 0;
  int candidates = 0;         // plans timed (1: nothing to choose, not timed)
};

// Times SpmmDevice under every plan of SpmmPlanCandidates that fits the
// workspace (all of them when workspace is null and workspace_size 0: the
// search then allocates the largest), each as a CUDA graph of back-to-back
// calls over temporary copies of the weights (up to 2.5x the L2 in all, so
// each call reads its weights from DRAM as a model's layers do), in
// interleaved rounds; keeps the planner's plan unless another is at least
// 2% faster. Then computes the product once more with the winner,
// on `stream`, so C ends as SpmmDevice would leave it (C is saved before
// the timed calls and restored after, when beta != 0).
// Synchronous: waits for `stream`, times on a stream of its own. Throws
// what SpmmDevice throws, and kNotSupported while `stream` is being captured.
SpmmSearchResult SpmmSearch(const CompressedMatrix& a, const DeviceMatrix& d,
                            const SpmmArgs& args, void* workspace, size_t workspace_size,
                            cudaStream_t stream);

}  // namespace hinm

#endif  // HINM_DEVICE_PLAN_SEARCH_H_
