// Shared helpers for the host-core tests: random matrices and a naive,
// independent HiNM pruning (the oracle the compressed format is checked
// against).
#ifndef HINM_TESTS_CPP_HINM_TEST_UTIL_H_
#define HINM_TESTS_CPP_HINM_TEST_UTIL_H_

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "cpp/hinm/dense.h"
#include "cpp/hinm/error.h"
#include "cpp/hinm/layout.h"

namespace hinm {
namespace testing_util {

inline std::vector<float> RandomMatrix(int64_t rows, int64_t cols, uint32_t seed,
                                       float lo = -1.0f, float hi = 1.0f) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  std::vector<float> m(static_cast<size_t>(rows * cols));
  for (float& v : m) v = dist(gen);
  return m;
}

// The result of naive HiNM pruning without permutation: per tile the kept
// columns (ascending) and an M x K keep-mask.
struct NaivePruned {
  std::vector<std::vector<int32_t>> tile_cols;
  std::vector<char> mask;  // M x K
  double kept_score = 0, total_score = 0;
  int64_t kept = 0;
};

// Straight from the definition: sort every column by (summed score desc,
// column asc), take the first K_keep; then for each row and each 4 kept
// columns, sort by (score desc, position asc) and take 2. Pads (K_keep > K)
// are positions that hold no column.
inline NaivePruned NaivePrune(const std::vector<float>& score, int64_t M, int64_t K, int64_t V,
                              int64_t kept_cols) {
  NaivePruned out;
  out.mask.assign(static_cast<size_t>(M * K), 0);
  for (float s : score) out.total_score += s;
  for (int64_t r0 = 0; r0 < M; r0 += V) {
    const int64_t r1 = std::min(M, r0 + V);
    std::vector<std::pair<double, int32_t>> sums;
    for (int64_t c = 0; c < K; ++c) {
      double s = 0;
      for (int64_t r = r0; r < r1; ++r) s += score[static_cast<size_t>(r * K + c)];
      sums.push_back({-s, static_cast<int32_t>(c)});
    }
    std::sort(sums.begin(), sums.end());
    std::vector<int32_t> cols;
    for (int64_t i = 0; i < std::min(kept_cols, K); ++i) cols.push_back(sums[static_cast<size_t>(i)].second);
    std::sort(cols.begin(), cols.end());
    out.tile_cols.push_back(cols);
    for (int64_t r = r0; r < r1; ++r) {
      for (size_t g = 0; g < cols.size(); g += 4) {
        std::vector<std::pair<float, size_t>> cand;
        for (size_t i = g; i < std::min(g + 4, cols.size()); ++i) {
          cand.push_back({-score[static_cast<size_t>(r * K + cols[i])], i});
        }
        std::sort(cand.begin(), cand.end());
        for (size_t j = 0; j < std::min<size_t>(2, cand.size()); ++j) {
          const int32_t c = cols[cand[j].second];
          out.mask[static_cast<size_t>(r * K + c)] = 1;
          out.kept_score += score[static_cast<size_t>(r * K + c)];
          ++out.kept;
        }
      }
    }
  }
  return out;
}

inline std::vector<float> Abs(const std::vector<float>& m) {
  std::vector<float> a(m.size());
  for (size_t i = 0; i < m.size(); ++i) a[i] = m[i] < 0 ? -m[i] : m[i];
  return a;
}

template <typename F>
Status StatusOf(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.status();
  }
  return Status::kSuccess;
}

}  // namespace testing_util
}  // namespace hinm

#endif  // HINM_TESTS_CPP_HINM_TEST_UTIL_H_
