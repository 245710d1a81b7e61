// Private to the C shim: what the opaque handles of hinm.h point to, and the
// process-wide registry that tells a live handle from a NULL, destroyed or
// foreign pointer without ever dereferencing it.
#ifndef HINM_C_API_HANDLES_H_
#define HINM_C_API_HANDLES_H_

#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <unordered_set>

#include "cpp/hinm/compressed_matrix.h"
#include "cpp/hinm/dispatch.h"
#include "cpp/hinm/tuned_plans.h"

// A library handle. Owned by one thread at a time (like cuBLAS), so its lazy
// GPU state needs no lock.
struct hinmContext {
  static constexpr uint64_t kMagic = 0x68696e6d43747821ull;  // "hinmCtx!"
  uint64_t magic = kMagic;
  std::unique_ptr<hinm::GpuContext> gpu;  // created on the first GPU call
  bool autotune = false;                   // hinmSetAutotune
};

// A descriptor: an immutable compressed matrix plus its device copies, made
// on first use, and the plans hinmSpMMSearch found for it (by GPU model:
// saved with the matrix and read back with it). Shared by threads, hence the
// lock around the lazy copies (TunedPlans has its own).
struct hinmMatrix {
  static constexpr uint64_t kMagic = 0x68696e6d4d617421ull;  // "hinmMat!"
  uint64_t magic = kMagic;
  hinm::CompressedMatrix matrix;
  std::mutex device_mu;
  std::map<int, std::unique_ptr<hinm::DeviceMatrix>> device;  // by CUDA device
  hinm::TunedPlans tuned;
};

namespace hinm_capi {

// Live pointers of one handle type. A pointer is live from Register until
// Unregister; membership is checked before any dereference, so a destroyed
// handle reads as "not initialized" instead of a use-after-free. (If the
// allocator hands the same address to a new handle, the stale pointer aliases
// the new one: the registry cannot see that, nothing can.)
class Registry {
 public:
  void Register(const void* p) {
    std::lock_guard<std::mutex> lock(mu_);
    live_.insert(p);
  }
  // True if p was live (and now is not).
  bool Unregister(const void* p) {
    std::lock_guard<std::mutex> lock(mu_);
    return live_.erase(p) == 1;
  }
  bool IsLive(const void* p) const {
    std::lock_guard<std::mutex> lock(mu_);
    return live_.count(p) == 1;
  }

 private:
  mutable std::mutex mu_;
  std::unordered_set<const void*> live_;
};

// Never destroyed: hinm calls from other threads during exit stay safe.
inline Registry& ContextRegistry() {
  static Registry* r = new Registry;
  return *r;
}
inline Registry& MatrixRegistry() {
  static Registry* r = new Registry;
  return *r;
}

}  // namespace hinm_capi

#endif  // HINM_C_API_HANDLES_H_
