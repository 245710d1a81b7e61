#include "cpp/hinm/balanced_kmeans.h"

#include <algorithm>
#include <random>

#include "cpp/hinm/error.h"
#include "cpp/hinm/linear_assignment.h"

namespace hinm {
namespace {

double SquaredDistance(const double* a, const double* b, int64_t dim) {
  double d = 0.0;
  for (int64_t i = 0; i < dim; ++i) {
    const double t = a[i] - b[i];
    d += t * t;
  }
  return d;
}

// Uniform double in [0, 1) from 53 bits: the same on every platform, unlike
// std::uniform_real_distribution.
double Uniform01(std::mt19937_64& rng) {
  return static_cast<double>(rng() >> 11) * (1.0 / 9007199254740992.0);
}

}  // namespace

std::vector<int32_t> BalancedKMeans(const double* points, int64_t n,
                                    int64_t dim, int32_t k, int max_iters,
                                    uint64_t seed) {
  Require(dim >= 0, Status::kInvalidValue, "balanced k-means: negative dim");
  Require(k >= 1 && k <= n, Status::kInvalidValue,
          "balanced k-means: need 1 <= k <= n");
  Require(n % k == 0, Status::kInvalidValue,
          "balanced k-means: n must be a multiple of k");
  Require(points != nullptr || dim == 0, Status::kNullPointer,
          "balanced k-means: points is null");
  const int64_t size = n / k;
  std::vector<int32_t> cluster(n);
  if (k == 1 || size == 1) {
    // One cluster, or one point per cluster: nothing to optimise.
    for (int64_t i = 0; i < n; ++i) cluster[i] = static_cast<int32_t>(k == 1 ? 0 : i);
    return cluster;
  }
  std::mt19937_64 rng(seed);
  // k-means++ seeding: each next centre drawn with probability ~ D^2.
  std::vector<double> centres(static_cast<size_t>(k) * dim);
  std::vector<double> nearest(n, 0.0);
  int64_t first = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
  std::copy(points + first * dim, points + (first + 1) * dim, centres.begin());
  for (int64_t i = 0; i < n; ++i) {
    nearest[i] = SquaredDistance(points + i * dim, centres.data(), dim);
  }
  for (int32_t c = 1; c < k; ++c) {
    double total = 0.0;
    for (double d : nearest) total += d;
    int64_t pick = static_cast<int64_t>(rng() % static_cast<uint64_t>(n));
    if (total > 0.0) {
      double target = Uniform01(rng) * total;
      for (int64_t i = 0; i < n; ++i) {
        target -= nearest[i];
        if (target < 0.0 || i == n - 1) {
          pick = i;
          break;
        }
      }
    }
    double* centre = centres.data() + static_cast<int64_t>(c) * dim;
    std::copy(points + pick * dim, points + (pick + 1) * dim, centre);
    for (int64_t i = 0; i < n; ++i) {
      nearest[i] = std::min(nearest[i], SquaredDistance(points + i * dim, centre, dim));
    }
  }
  std::fill(cluster.begin(), cluster.end(), -1);
  std::vector<double> cost(static_cast<size_t>(n) * n);
  std::vector<double> dist(static_cast<size_t>(k));
  for (int iter = 0; iter < std::max(1, max_iters); ++iter) {
    // Exact balanced assignment: seat s belongs to cluster s / size.
    for (int64_t i = 0; i < n; ++i) {
      for (int32_t c = 0; c < k; ++c) {
        dist[c] = SquaredDistance(points + i * dim,
                                  centres.data() + static_cast<int64_t>(c) * dim, dim);
      }
      for (int64_t s = 0; s < n; ++s) cost[i * n + s] = dist[s / size];
    }
    const std::vector<int32_t> seat = SolveLinearAssignment(cost, n, n);
    bool changed = false;
    for (int64_t i = 0; i < n; ++i) {
      const int32_t c = static_cast<int32_t>(seat[i] / size);
      changed |= (c != cluster[i]);
      cluster[i] = c;
    }
    if (!changed) break;
    std::fill(centres.begin(), centres.end(), 0.0);
    for (int64_t i = 0; i < n; ++i) {
      double* centre = centres.data() + static_cast<int64_t>(cluster[i]) * dim;
      for (int64_t j = 0; j < dim; ++j) centre[j] += points[i * dim + j];
    }
    for (double& x : centres) x /= static_cast<double>(size);
  }
  return cluster;
}

}  // namespace hinm
