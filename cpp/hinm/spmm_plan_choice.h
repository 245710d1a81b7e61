// How the GPU SpMM of one problem should run, when something other than the
// planner decides (the timed plan search, cpp/hinm/device_plan_search.h, or
// a test): which kernel, which mma.sp tile config, which K split. Host-only,
// no CUDA; the dispatch layer (cpp/hinm/dispatch.cc) turns it into the
// launcher's hinm_cuda::PlanChoice.
#ifndef HINM_SPMM_PLAN_CHOICE_H_
#define HINM_SPMM_PLAN_CHOICE_H_

#include <cstdint>
#include <string>
#include <tuple>

namespace hinm {

// Which sparse kernel runs. kAuto: chosen by architecture, V and N
// (docs/kernels.md). kMmaSp: mma.sp.sync (sm_80 on); kWgmmaSp: the sm_90a
// wgmma.sp kernel.
enum class GpuKernel { kAuto = 0, kMmaSp = 1, kWgmmaSp = 2 };

// Every field at its default leaves that part to the planner.
//   kernel   kAuto: the planner's; a kernel the device cannot run: ignored.
//   config   the mma.sp tile config by name ("narrow_128x16", "mid_128x64",
//            "wide_128x128": cuda/spmm_configs.h), empty for the planner's;
//            a name this build does not know is ignored (a saved file from
//            another version still loads and runs).
//   splits   K split of the mma.sp kernel: that many ranges of k-blocks
//            (0: the planner's), summed in a cluster's shared memory
//            (`cluster`, sm_90) or through fp32 partials.
struct SpmmPlanChoice {
  GpuKernel kernel = GpuKernel::kAuto;
  std::string config;
  int32_t splits = 0;
  bool cluster = false;
  auto Tie() const { return std::tie(kernel, config, splits, cluster); }
  bool operator==(const SpmmPlanChoice& o) const { return Tie() == o.Tie(); }
};

}  // namespace hinm

#endif  // HINM_SPMM_PLAN_CHOICE_H_
