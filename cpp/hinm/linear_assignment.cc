#include "cpp/hinm/linear_assignment.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "cpp/hinm/error.h"

namespace hinm {
namespace {

// n <= m. a(i, j) is the cost of row i, column j. Returns row -> column.
template <typename CostFn>
std::vector<int32_t> Solve(int64_t n, int64_t m, const CostFn& a) {
  const double kInf = std::numeric_limits<double>::infinity();
  // 1-based arrays with column 0 as the virtual start of each augmentation.
  std::vector<double> u(n + 1, 0.0), v(m + 1, 0.0), minv(m + 1);
  std::vector<int64_t> row_of(m + 1, 0), way(m + 1, 0);
  std::vector<char> used(m + 1);
  for (int64_t i = 1; i <= n; ++i) {
    row_of[0] = i;
    int64_t j0 = 0;
    std::fill(minv.begin(), minv.end(), kInf);
    std::fill(used.begin(), used.end(), 0);
    // Dijkstra over columns on reduced costs a - u - v until a free column.
    do {
      used[j0] = 1;
      const int64_t i0 = row_of[j0];
      double delta = kInf;
      int64_t j1 = -1;
      for (int64_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = a(i0 - 1, j - 1) - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (int64_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[row_of[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (row_of[j0] != 0);
    // Augment along the path back to the virtual column.
    do {
      const int64_t j1 = way[j0];
      row_of[j0] = row_of[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int32_t> col_of(n, -1);
  for (int64_t j = 1; j <= m; ++j) {
    if (row_of[j] != 0) col_of[row_of[j] - 1] = static_cast<int32_t>(j - 1);
  }
  return col_of;
}

}  // namespace

std::vector<int32_t> SolveLinearAssignment(const double* cost, int64_t rows,
                                           int64_t cols) {
  Require(rows >= 0 && cols >= 0, Status::kInvalidValue,
          "linear assignment: negative size");
  Require(rows <= std::numeric_limits<int32_t>::max() &&
              cols <= std::numeric_limits<int32_t>::max(),
          Status::kInvalidValue, "linear assignment: size exceeds int32");
  if (rows == 0 || cols == 0) return std::vector<int32_t>(rows, -1);
  Require(cost != nullptr, Status::kNullPointer,
          "linear assignment: cost is null");
  const int64_t count = CheckedMul(rows, cols, "linear assignment cost");
  for (int64_t i = 0; i < count; ++i) {
    Require(std::isfinite(cost[i]), Status::kInvalidValue,
            "linear assignment: non-finite cost at " + std::to_string(i));
  }
  if (rows <= cols) {
    return Solve(rows, cols,
                 [&](int64_t i, int64_t j) { return cost[i * cols + j]; });
  }
  // More rows than columns: solve the transpose, then invert.
  const std::vector<int32_t> row_of_col = Solve(
      cols, rows, [&](int64_t i, int64_t j) { return cost[j * cols + i]; });
  std::vector<int32_t> col_of(rows, -1);
  for (int64_t c = 0; c < cols; ++c) col_of[row_of_col[c]] = static_cast<int32_t>(c);
  return col_of;
}

}  // namespace hinm
