// 2CP search, first simple form: the output axis keeps the identity order and
// the input axis does greedy pairwise column swaps between 2:4 groups that
// strictly raise the 2:4-kept saliency. (The full search replaces this.)
#include "cpp/hinm/permute.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "cpp/hinm/error.h"
#include "cpp/hinm/layout.h"

namespace hinm {
namespace {

void CheckView(const SaliencyView& s) {
  Require(s.rows >= 0 && s.cols >= 0, Status::kInvalidValue,
          "saliency: negative shape");
  Require(s.rows == 0 || s.cols == 0 || s.data != nullptr, Status::kNullPointer,
          "saliency: data is null");
  Require(s.ld >= s.cols, Status::kInvalidValue, "saliency: ld < cols");
}

// Saliency of original row r at slot column c (padding reads as zero).
double At(const SaliencyView& s, int32_t r, int32_t c) {
  return c == kPadColumn ? 0.0 : static_cast<double>(s.at(r, c));
}

// Sum over rows of the two largest of the four group entries.
double GroupKept(const SaliencyView& s, const std::vector<int32_t>& rows,
                 const int32_t* cols) {
  double total = 0.0;
  for (int32_t r : rows) {
    double v[4];
    for (int i = 0; i < 4; ++i) v[i] = At(s, r, cols[i]);
    std::sort(v, v + 4);
    total += v[2] + v[3];
  }
  return total;
}

}  // namespace

std::vector<int32_t> SearchOutputPermutation(const SaliencyView& s,
                                             int32_t tile_rows,
                                             int64_t kept_cols,
                                             const PermuteOptions& opt) {
  CheckView(s);
  Require(tile_rows > 0, Status::kInvalidValue, "tile_rows must be positive");
  Require(kept_cols > 0, Status::kInvalidValue, "kept_cols must be positive");
  (void)opt;
  std::vector<int32_t> perm(static_cast<size_t>(s.rows));
  std::iota(perm.begin(), perm.end(), 0);
  return perm;
}

std::vector<int32_t> SearchTileColumnOrder(const SaliencyView& s,
                                           const std::vector<int32_t>& rows,
                                           const std::vector<int32_t>& slots,
                                           const PermuteOptions& opt) {
  CheckView(s);
  Require(slots.size() % 4 == 0, Status::kInvalidValue,
          "slots: size must be a multiple of 4");
  std::vector<int32_t> order = slots;
  const size_t groups = order.size() / 4;
  bool improved = true;
  for (int pass = 0; improved && pass < 8; ++pass) {
    improved = false;
    for (size_t g = 0; g < groups; ++g) {
      for (size_t h = g + 1; h < groups; ++h) {
        for (int i = 0; i < 4; ++i) {
          for (int j = 0; j < 4; ++j) {
            const double before = GroupKept(s, rows, &order[4 * g]) +
                                  GroupKept(s, rows, &order[4 * h]);
            std::swap(order[4 * g + i], order[4 * h + j]);
            const double after = GroupKept(s, rows, &order[4 * g]) +
                                 GroupKept(s, rows, &order[4 * h]);
            if (after > before + 1e-9 * std::max(1.0, before)) {
              improved = true;
            } else {
              std::swap(order[4 * g + i], order[4 * h + j]);
            }
          }
        }
      }
      if (opt.progress && !opt.progress(0.0)) {
        throw Error(Status::kCancelled, "permutation search cancelled");
      }
    }
  }
  return order;
}

}  // namespace hinm
