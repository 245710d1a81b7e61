// The plans (kernel, tile config, K split: SpmmPlanChoice) a timed plan
// search (cpp/hinm/device_plan_search.h) found for one compressed matrix, by
// problem: which GPU model, how many tokens, and the orders of B and C --
// everything the planner's choice depends on besides the matrix itself. A descriptor owns one; its
// SpMM calls look their problem up here before asking the planner. Saved
// with the matrix (cpp/hinm/serialize.h, format version 2), so the GPU is
// named by what it is, not by its ordinal on the machine that searched.
// Host-only, thread-safe (a descriptor is shared by threads).
#ifndef HINM_TUNED_PLANS_H_
#define HINM_TUNED_PLANS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "cpp/hinm/reference.h"
#include "cpp/hinm/spmm_plan_choice.h"

namespace hinm {

// A GPU model, as far as the planner can tell GPUs apart: its name, compute
// capability and SM count. Two cards of one model (two H100 SXM) compare
// equal, on this machine or another; another model (an H100 PCIe: another
// name and 114 SMs), or a MIG slice of the same card (fewer SMs), does not.
// Built for a device by DeviceIdentityOf (cpp/hinm/device_identity.h).
struct DeviceIdentity {
  std::string name;      // cudaDeviceProp::name, e.g. "NVIDIA H100 80GB HBM3"
  int32_t cc_major = 0;  // compute capability
  int32_t cc_minor = 0;
  int32_t sm_count = 0;  // cudaDeviceProp::multiProcessorCount
  auto Tie() const { return std::tie(name, cc_major, cc_minor, sm_count); }
  bool operator==(const DeviceIdentity& o) const { return Tie() == o.Tie(); }
  bool operator<(const DeviceIdentity& o) const { return Tie() < o.Tie(); }
};

// The problem a plan was found for.
struct SpmmProblemKey {
  DeviceIdentity device;
  int64_t n = 0;
  Order b_order = Order::kFeatureMajor;
  Order c_order = Order::kFeatureMajor;
  auto Tie() const { return std::tie(device, n, b_order, c_order); }
  bool operator==(const SpmmProblemKey& o) const { return Tie() == o.Tie(); }
  bool operator<(const SpmmProblemKey& o) const { return Tie() < o.Tie(); }
};

class TunedPlans {
 public:
  // One stored plan and its problem (what a file holds, cpp/hinm/serialize.h).
  struct Entry {
    SpmmProblemKey problem;
    SpmmPlanChoice choice;
    bool operator==(const Entry& o) const { return problem == o.problem && choice == o.choice; }
  };

  std::optional<SpmmPlanChoice> Find(const SpmmProblemKey& key) const {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = plans_.find(key);
    if (it == plans_.end()) return std::nullopt;
    return it->second;
  }
  // Replaces what an earlier search stored for the same problem.
  void Store(const SpmmProblemKey& key, SpmmPlanChoice choice) {
    std::lock_guard<std::mutex> lock(mu_);
    plans_[key] = std::move(choice);
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return plans_.size();
  }
  // Every entry at one instant (a search storing meanwhile is either all in
  // or not at all), in ascending problem order: what Serialize writes.
  std::vector<Entry> Entries() const {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<Entry> out;
    out.reserve(plans_.size());
    for (const auto& [key, choice] : plans_) out.push_back({key, choice});
    return out;
  }

 private:
  mutable std::mutex mu_;
  std::map<SpmmProblemKey, SpmmPlanChoice> plans_;
};

}  // namespace hinm

#endif  // HINM_TUNED_PLANS_H_
