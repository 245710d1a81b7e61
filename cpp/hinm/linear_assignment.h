// Exact dense linear assignment (minimum-cost matching) for the 2CP search.
#ifndef HINM_LINEAR_ASSIGNMENT_H_
#define HINM_LINEAR_ASSIGNMENT_H_

#include <cstdint>
#include <vector>

namespace hinm {

// Minimises sum_r cost[r * cols + assignment[r]] over assignments of rows to
// distinct columns of a dense rows x cols matrix (row-major, finite values).
// Rectangular: if rows <= cols every row gets a column; if rows > cols every
// column gets a row and the unmatched rows get -1. Exact, O(min^2 * max):
// Jonker-Volgenant shortest augmenting paths (Dijkstra on reduced costs with
// dual potentials), one augmentation per row. Throws Error(kInvalidValue) on
// a negative size or a non-finite cost.
std::vector<int32_t> SolveLinearAssignment(const double* cost, int64_t rows,
                                           int64_t cols);

// Same, as a convenience over a vector.
inline std::vector<int32_t> SolveLinearAssignment(
    const std::vector<double>& cost, int64_t rows, int64_t cols) {
  return SolveLinearAssignment(cost.data(), rows, cols);
}

}  // namespace hinm

#endif  // HINM_LINEAR_ASSIGNMENT_H_
