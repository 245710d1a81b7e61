// What the 2CP search tests share: random saliency scores and the
// independent fp64 evaluator of the vector-pruning cost.
#ifndef HINM_TESTS_CPP_PERMUTE_PERMUTE_TEST_UTIL_H_
#define HINM_TESTS_CPP_PERMUTE_PERMUTE_TEST_UTIL_H_

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "cpp/hinm/permute.h"

namespace hinm_test {

// m x k scores |N(0, 1)|.
inline std::vector<float> RandomScores(int64_t m, int64_t k, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> nd;
  std::vector<float> w(static_cast<size_t>(m * k));
  for (float& x : w) x = std::fabs(nd(rng));
  return w;
}

// Saliency that vector pruning removes with rows in the order perm: per tile
// of v rows, the K - keep smallest column sums.
inline double VectorCost(const hinm::SaliencyView& s, const std::vector<int32_t>& perm, int v,
                         int64_t keep) {
  double cost = 0;
  for (int64_t t0 = 0; t0 < s.rows; t0 += v) {
    std::vector<double> sums(static_cast<size_t>(s.cols), 0.0);
    for (int64_t p = t0; p < std::min<int64_t>(s.rows, t0 + v); ++p) {
      for (int64_t c = 0; c < s.cols; ++c) sums[c] += s.at(perm[p], c);
    }
    std::sort(sums.begin(), sums.end());
    for (int64_t c = 0; c < s.cols - std::min(keep, s.cols); ++c) cost += sums[c];
  }
  return cost;
}

}  // namespace hinm_test

#endif  // HINM_TESTS_CPP_PERMUTE_PERMUTE_TEST_UTIL_H_
