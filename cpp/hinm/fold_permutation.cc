#include "cpp/hinm/fold_permutation.h"

#include <string>
#include <vector>

#include "cpp/hinm/error.h"

namespace hinm {

CompressedMatrix FoldInputPermutation(const CompressedMatrix& m, const int32_t* perm,
                                      int64_t count) {
  const int64_t K = m.layout.cols;
  Require(perm != nullptr, Status::kNullPointer, "perm is NULL");
  Require(count == K, Status::kInvalidValue,
          "perm has " + std::to_string(count) + " entries, the matrix has K = " +
              std::to_string(K) + " input channels");
  std::vector<int32_t> inverse(static_cast<size_t>(K), -1);
  for (int64_t p = 0; p < K; ++p) {
    const int32_t c = perm[p];
    Require(c >= 0 && c < K, Status::kInvalidValue,
            "perm[" + std::to_string(p) + "] = " + std::to_string(c) + " is outside [0, " +
                std::to_string(K) + ")");
    Require(inverse[static_cast<size_t>(c)] < 0, Status::kInvalidValue,
            "perm[" + std::to_string(p) + "] = " + std::to_string(c) +
                " repeats an earlier entry: perm is not a permutation");
    inverse[static_cast<size_t>(c)] = static_cast<int32_t>(p);
  }
  CompressedMatrix out = m;
  for (int32_t& c : out.col_idx) {
    if (c != kPadColumn) c = inverse[static_cast<size_t>(c)];
  }
  return out;
}

}  // namespace hinm
