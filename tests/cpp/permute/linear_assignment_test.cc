#include "cpp/hinm/linear_assignment.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "cpp/hinm/error.h"

namespace hinm {
namespace {

// Brute force over every injective map of the smaller side into the larger.
double BruteForce(const std::vector<double>& cost, int rows, int cols) {
  const int small = std::min(rows, cols), large = std::max(rows, cols);
  std::vector<int> idx(large);
  std::iota(idx.begin(), idx.end(), 0);
  double best = std::numeric_limits<double>::infinity();
  do {
    double sum = 0;
    for (int i = 0; i < small; ++i) {
      sum += rows <= cols ? cost[i * cols + idx[i]] : cost[idx[i] * cols + i];
    }
    best = std::min(best, sum);
  } while (std::next_permutation(idx.begin(), idx.end()));
  return best;
}

double Evaluate(const std::vector<double>& cost, int rows, int cols,
                const std::vector<int32_t>& a) {
  EXPECT_EQ(a.size(), static_cast<size_t>(rows));
  std::vector<int> used(cols, 0);
  double sum = 0;
  int matched = 0;
  for (int r = 0; r < rows; ++r) {
    if (a[r] < 0) continue;
    EXPECT_LT(a[r], cols);
    EXPECT_EQ(used[a[r]]++, 0) << "column used twice";
    sum += cost[r * cols + a[r]];
    ++matched;
  }
  EXPECT_EQ(matched, std::min(rows, cols));
  return sum;
}

TEST(LinearAssignment, MatchesBruteForceOnRandomSquareAndRectangular) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> u(-5.0, 10.0);
  std::uniform_int_distribution<int> small_int(0, 3);  // many ties
  for (int rows = 1; rows <= 7; ++rows) {
    for (int cols = 1; cols <= 7; ++cols) {
      for (int trial = 0; trial < 6; ++trial) {
        std::vector<double> cost(rows * cols);
        for (double& c : cost) c = trial % 2 ? u(rng) : small_int(rng);
        const auto a = SolveLinearAssignment(cost, rows, cols);
        EXPECT_NEAR(Evaluate(cost, rows, cols, a), BruteForce(cost, rows, cols), 1e-9)
            << rows << "x" << cols << " trial " << trial;
      }
    }
  }
}

TEST(LinearAssignment, HandCheckedCase) {
  // Greedy (row 0 takes its minimum 1) is wrong here; the optimum is 2 + 2.
  const std::vector<double> cost = {1, 2,
                                    1, 100};
  EXPECT_EQ(SolveLinearAssignment(cost, 2, 2), (std::vector<int32_t>{1, 0}));
}

TEST(LinearAssignment, EmptyAndErrors) {
  EXPECT_TRUE(SolveLinearAssignment(nullptr, 0, 0).empty());
  EXPECT_EQ(SolveLinearAssignment(nullptr, 3, 0), (std::vector<int32_t>{-1, -1, -1}));
  std::vector<double> bad = {1, std::nan("")};
  try {
    SolveLinearAssignment(bad, 1, 2);
    FAIL() << "no error for NaN";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::kInvalidValue);
  }
  bad[1] = std::numeric_limits<double>::infinity();
  EXPECT_THROW(SolveLinearAssignment(bad, 1, 2), Error);
  EXPECT_THROW(SolveLinearAssignment(bad.data(), -1, 2), Error);
  EXPECT_THROW(SolveLinearAssignment(nullptr, 1, 2), Error);
}

TEST(LinearAssignment, LargerInstanceBeatsEveryRandomPermutation) {
  // n = 60: brute force is out of reach, so check optimality against 2000
  // random permutations and every pairwise swap of the answer (2-opt).
  const int n = 60;
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<double> cost(n * n);
  for (double& c : cost) c = u(rng);
  const auto a = SolveLinearAssignment(cost, n, n);
  const double best = Evaluate(cost, n, n, a);
  std::vector<int32_t> p(n);
  std::iota(p.begin(), p.end(), 0);
  for (int t = 0; t < 2000; ++t) {
    std::shuffle(p.begin(), p.end(), rng);
    EXPECT_LE(best, Evaluate(cost, n, n, p) + 1e-12);
  }
  for (int i = 0; i < n; ++i) {
    for (int j = i + 1; j < n; ++j) {
      const double swapped = best - cost[i * n + a[i]] - cost[j * n + a[j]] +
                             cost[i * n + a[j]] + cost[j * n + a[i]];
      EXPECT_LE(best, swapped + 1e-12);
    }
  }
}

}  // namespace
}  // namespace hinm
