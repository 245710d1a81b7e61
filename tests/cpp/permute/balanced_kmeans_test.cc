#include "cpp/hinm/balanced_kmeans.h"

#include <gtest/gtest.h>

#include <random>

#include "cpp/hinm/error.h"

namespace hinm {
namespace {

std::vector<int> Sizes(const std::vector<int32_t>& cluster, int k) {
  std::vector<int> sizes(k, 0);
  for (int32_t c : cluster) {
    EXPECT_GE(c, 0);
    EXPECT_LT(c, k);
    if (c >= 0 && c < k) ++sizes[c];
  }
  return sizes;
}

TEST(BalancedKMeans, ClustersAreExactlyEqualSize) {
  std::mt19937_64 rng(3);
  std::normal_distribution<double> nd;
  for (int k : {1, 2, 3, 5, 8}) {
    for (int size : {1, 2, 4, 7}) {
      const int n = k * size, dim = 6;
      std::vector<double> pts(n * dim);
      // Skewed data: half the points in one blob, so plain k-means would
      // make unequal clusters.
      for (int i = 0; i < n; ++i) {
        for (int d = 0; d < dim; ++d) pts[i * dim + d] = nd(rng) + (i < n / 2 ? 0 : 10 * (i % 3));
      }
      const auto cluster = BalancedKMeans(pts.data(), n, dim, k, 20, 9);
      ASSERT_EQ(cluster.size(), static_cast<size_t>(n));
      for (int s : Sizes(cluster, k)) EXPECT_EQ(s, size) << "k=" << k << " size=" << size;
    }
  }
}

TEST(BalancedKMeans, RecoversWellSeparatedEqualBlobs) {
  // 4 blobs of 5 points, far apart and shuffled: the clustering must put
  // each blob in its own cluster.
  const int k = 4, size = 5, dim = 3, n = k * size;
  std::mt19937_64 rng(8);
  std::normal_distribution<double> nd(0, 0.1);
  std::vector<int> blob(n);
  for (int i = 0; i < n; ++i) blob[i] = (i * 7) % k;
  std::vector<double> pts(n * dim);
  for (int i = 0; i < n; ++i) {
    for (int d = 0; d < dim; ++d) pts[i * dim + d] = 100.0 * (blob[i] == d) + nd(rng);
  }
  for (uint64_t seed = 0; seed < 5; ++seed) {
    const auto cluster = BalancedKMeans(pts.data(), n, dim, k, 50, seed);
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        EXPECT_EQ(blob[i] == blob[j], cluster[i] == cluster[j]) << i << "," << j;
      }
    }
  }
}

TEST(BalancedKMeans, DeterministicForASeed) {
  std::mt19937_64 rng(1);
  std::uniform_real_distribution<double> u;
  std::vector<double> pts(24 * 5);
  for (double& x : pts) x = u(rng);
  EXPECT_EQ(BalancedKMeans(pts.data(), 24, 5, 6, 20, 42), BalancedKMeans(pts.data(), 24, 5, 6, 20, 42));
}

TEST(BalancedKMeans, RejectsBadArguments) {
  std::vector<double> pts(10, 0.0);
  EXPECT_THROW(BalancedKMeans(pts.data(), 10, 1, 3, 5, 0), Error);   // 10 % 3 != 0
  EXPECT_THROW(BalancedKMeans(pts.data(), 10, 1, 0, 5, 0), Error);   // k = 0
  EXPECT_THROW(BalancedKMeans(pts.data(), 10, 1, 11, 5, 0), Error);  // k > n
  EXPECT_THROW(BalancedKMeans(nullptr, 10, 1, 2, 5, 0), Error);
  // All points equal: still equal-size clusters.
  for (int s : Sizes(BalancedKMeans(pts.data(), 10, 1, 5, 5, 0), 5)) EXPECT_EQ(s, 2);
}

}  // namespace
}  // namespace hinm
