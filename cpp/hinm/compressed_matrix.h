// A compressed HiNM matrix on the host: the arrays of layout.h plus what
// pruning measured. Immutable once built (shared read-only by threads).
#ifndef HINM_COMPRESSED_MATRIX_H_
#define HINM_COMPRESSED_MATRIX_H_

#include <cstddef>
#include <cstdint>
#include <vector>

#include "cpp/hinm/layout.h"

namespace hinm {

struct PruneStats {
  double retained_saliency = 0;  // kept score / total score (1 if total is 0)
  int64_t kept_weights = 0;      // structurally kept entries of the M x K matrix
};

struct CompressedMatrix {
  Layout layout;
  std::vector<uint16_t> values;   // layout.num_values()
  std::vector<uint32_t> meta;     // layout.num_meta_words()
  std::vector<int32_t> col_idx;   // layout.num_col_indices()
  std::vector<int32_t> row_perm;  // empty (identity) or layout.rows entries
  bool column_permuted = false;   // 2CP reordered kept columns in some tile
  PruneStats stats;

  double sparsity() const;         // 1 - kept_weights / (M*K)
  int64_t compressed_bytes() const;  // values+meta+col_idx(+row_perm)
  int64_t dense_bytes() const;       // M*K*2
  // Original row of compressed row p (p < rows).
  int32_t original_row(int64_t p) const {
    return row_perm.empty() ? static_cast<int32_t>(p) : row_perm[p];
  }
  // Metadata nibble (i0 | i1 << 2) of padded row r, group q.
  uint32_t nibble(int64_t r, int64_t q) const {
    int shift = 0;
    const int64_t w = layout.meta_word_index(r, q, &shift);  // sets shift first
    return (meta[static_cast<size_t>(w)] >> shift) & 0xfu;
  }
  // Throws kCorruptFile/kInvalidValue if arrays disagree with the layout,
  // indices are out of range, row_perm is not a permutation or metadata
  // nibbles are invalid. Used by load and by tests.
  void Validate() const;
};

}  // namespace hinm

#endif  // HINM_COMPRESSED_MATRIX_H_
