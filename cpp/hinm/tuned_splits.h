// The K splits a timed plan search (cpp/hinm/device_plan_search.h) found for
// one compressed matrix, by problem: which device, how many tokens, and the
// orders of B and C -- everything the planner's choice of tile config and
// split depends on besides the matrix itself. A descriptor owns one; its
// SpMM calls look their problem up here before asking the planner.
// Host-only, thread-safe (a descriptor is shared by threads).
#ifndef HINM_TUNED_SPLITS_H_
#define HINM_TUNED_SPLITS_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <tuple>

#include "cpp/hinm/reference.h"

namespace hinm {

// A K split for the SpMM kernel: `splits` ranges of k-blocks, summed through
// a cluster's shared memory (`cluster`) or fp32 partials. splits = 0: the
// planner's own choice.
struct SpmmSplit {
  int32_t splits = 0;
  bool cluster = false;
  bool operator==(const SpmmSplit& o) const { return splits == o.splits && cluster == o.cluster; }
};

// The problem a split was found for.
struct SpmmProblemKey {
  int device = 0;
  int64_t n = 0;
  Order b_order = Order::kFeatureMajor;
  Order c_order = Order::kFeatureMajor;
  bool operator<(const SpmmProblemKey& o) const {
    return std::tie(device, n, b_order, c_order) < std::tie(o.device, o.n, o.b_order, o.c_order);
  }
};

class TunedSplits {
 public:
  std::optional<SpmmSplit> Find(const SpmmProblemKey& key) const {
    std::lock_guard<std::mutex> lock(mu_);
    const auto it = splits_.find(key);
    if (it == splits_.end()) return std::nullopt;
    return it->second;
  }
  // Replaces what an earlier search stored for the same problem.
  void Store(const SpmmProblemKey& key, SpmmSplit split) {
    std::lock_guard<std::mutex> lock(mu_);
    splits_[key] = split;
  }
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return splits_.size();
  }

 private:
  mutable std::mutex mu_;
  std::map<SpmmProblemKey, SpmmSplit> splits_;
};

}  // namespace hinm

#endif  // HINM_TUNED_SPLITS_H_
