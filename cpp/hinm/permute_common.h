// Small helpers shared by the output-axis and input-axis 2CP searches.
#ifndef HINM_PERMUTE_COMMON_H_
#define HINM_PERMUTE_COMMON_H_

#include <cstdint>

#include "cpp/hinm/error.h"
#include "cpp/hinm/permute.h"

namespace hinm {

// SplitMix64 finaliser: turns (seed, stream) pairs into independent RNG seeds
// so that per-tile random streams do not depend on scheduling.
inline uint64_t MixSeed(uint64_t seed, uint64_t stream) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * (stream + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Reports progress; throws Error(kCancelled) when the callback says stop.
inline void ReportProgress(const PermuteOptions& opt, double fraction) {
  if (opt.progress && !opt.progress(fraction < 0 ? 0 : fraction > 1 ? 1 : fraction)) {
    throw Error(Status::kCancelled, "2CP search cancelled by the progress callback");
  }
}

// A move must gain more than this share of the current value to count: keeps
// floating-point noise from looking like progress (and from looping).
inline constexpr double kRelativeGain = 1e-12;

}  // namespace hinm

#endif  // HINM_PERMUTE_COMMON_H_
