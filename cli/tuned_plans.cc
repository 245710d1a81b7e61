#include "cli/tuned_plans.h"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/api_check.h"
#include "cli/order_flag.h"

namespace hinm_cli {

std::vector<hinmTunedPlan_t> TunedPlansOf(hinmDescriptor_t desc) {
  int64_t count = 0;
  CheckApi(hinmGetTunedPlans(desc, nullptr, 0, sizeof(hinmTunedPlan_t), &count),
           "hinmGetTunedPlans");
  std::vector<hinmTunedPlan_t> plans(static_cast<size_t>(count));
  if (count == 0) return plans;
  int64_t now = 0;
  CheckApi(hinmGetTunedPlans(desc, plans.data(), count, sizeof(hinmTunedPlan_t), &now),
           "hinmGetTunedPlans");
  if (now < count) plans.resize(static_cast<size_t>(now));  // each call is its own snapshot
  return plans;
}

std::string DescribePlan(const hinmTunedPlan_t& p) {
  std::string what;
  switch (p.kernel) {
    case HINM_KERNEL_MMA_SP: what = "mma.sp"; break;
    case HINM_KERNEL_WGMMA_SP: what = "wgmma.sp"; break;
    case HINM_KERNEL_AUTO: what = "the planner's kernel"; break;
  }
  what += p.config[0] != '\0' ? std::string(" ") + p.config : "";
  if (p.splits == 1) {
    what += ", K unsplit";
  } else if (p.splits > 1) {
    what += ", " + std::to_string(p.splits) + " K splits summed " +
            (p.cluster ? "in a cluster" : "through partials");
  }
  char head[512];
  std::snprintf(head, sizeof(head), "%s (sm_%d%d, %d SMs), N = %lld, B %s, C %s: ", p.device_name,
                p.cc_major, p.cc_minor, p.sm_count, static_cast<long long>(p.n),
                OrderName(p.b_order), OrderName(p.c_order));
  return head + what;
}

void PrintTunedPlans(hinmDescriptor_t desc) {
  const std::vector<hinmTunedPlan_t> plans = TunedPlansOf(desc);
  if (plans.empty()) {
    std::printf("tuned plans:        none (hinmSpMM runs the planner's)\n");
    return;
  }
  std::printf("tuned plans:        %zu\n", plans.size());
  for (const hinmTunedPlan_t& p : plans) std::printf("  %s\n", DescribePlan(p).c_str());
}

}  // namespace hinm_cli
