// The plans a descriptor holds (hinmGetTunedPlans), one line each, for
// `hinm info` and `hinm tune`.
#ifndef HINM_CLI_TUNED_PLANS_H_
#define HINM_CLI_TUNED_PLANS_H_

#include <string>
#include <vector>

#include "hinm/hinm.h"

namespace hinm_cli {

std::vector<hinmTunedPlan_t> TunedPlansOf(hinmDescriptor_t desc);

// e.g. "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs), N = 16, B feature, C feature:
// mma.sp narrow_128x16, 4 splits summed in a cluster"
std::string DescribePlan(const hinmTunedPlan_t& p);

// "tuned plans:       none" or the count and one indented line per plan.
void PrintTunedPlans(hinmDescriptor_t desc);

}  // namespace hinm_cli

#endif  // HINM_CLI_TUNED_PLANS_H_
