// Balanced k-means: k clusters of exactly n/k points each. The output-axis
// 2CP search groups sampled rows with it so that a group can move into a
// tile as one unit.
#ifndef HINM_BALANCED_KMEANS_H_
#define HINM_BALANCED_KMEANS_H_

#include <cstdint>
#include <vector>

namespace hinm {

// Clusters the n points (rows of a row-major n x dim matrix) into k clusters
// of exactly n/k points, minimising the summed squared Euclidean distance to
// the cluster means by Lloyd iterations whose assignment step is exact under
// the size constraint (a linear assignment of points to k * (n/k) seats).
// Starts from k-means++ seeds drawn with `seed`; stops when the assignment
// no longer changes or after max_iters. Returns the cluster of each point.
// Throws Error(kInvalidValue) unless 1 <= k <= n, n % k == 0, dim >= 0.
std::vector<int32_t> BalancedKMeans(const double* points, int64_t n,
                                    int64_t dim, int32_t k, int max_iters,
                                    uint64_t seed);

}  // namespace hinm

#endif  // HINM_BALANCED_KMEANS_H_
