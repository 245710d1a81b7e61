#include "cpp/hinm/compressed_matrix.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "cpp/hinm/error.h"

namespace hinm {

double CompressedMatrix::sparsity() const {
  const double total = static_cast<double>(layout.rows) * static_cast<double>(layout.cols);
  return total == 0 ? 0.0 : 1.0 - static_cast<double>(stats.kept_weights) / total;
}

int64_t CompressedMatrix::compressed_bytes() const {
  return layout.value_bytes() + layout.meta_bytes() + layout.col_idx_bytes() +
         (row_perm.empty() ? 0 : layout.row_perm_bytes());
}

int64_t CompressedMatrix::dense_bytes() const {
  return CheckedMul(CheckedMul(layout.rows, layout.cols, "dense elements"), 2, "dense bytes");
}

namespace {

[[noreturn]] void Fail(const std::string& message) {
  throw Error(Status::kInvalidValue, "invalid compressed matrix: " + message);
}

void Check(bool cond, const std::string& message) {
  if (!cond) Fail(message);
}

std::string At(int64_t tile, int64_t slot) {
  return " (tile " + std::to_string(tile) + ", slot " + std::to_string(slot) + ")";
}

}  // namespace

void CompressedMatrix::Validate() const {
  // The parameters themselves (a hand-built or loaded layout may be garbage).
  const Layout& l = layout;
  const Layout ok = Layout::Make(l.rows, l.cols, l.tile_rows, l.kept_cols, l.dtype);
  (void)ok;
  Check(values.size() == static_cast<size_t>(l.num_values()),
        "values has " + std::to_string(values.size()) + " entries, layout needs " +
            std::to_string(l.num_values()));
  Check(meta.size() == static_cast<size_t>(l.num_meta_words()),
        "meta has " + std::to_string(meta.size()) + " words, layout needs " +
            std::to_string(l.num_meta_words()));
  Check(col_idx.size() == static_cast<size_t>(l.num_col_indices()),
        "col_idx has " + std::to_string(col_idx.size()) + " entries, layout needs " +
            std::to_string(l.num_col_indices()));
  Check(row_perm.empty() || row_perm.size() == static_cast<size_t>(l.rows),
        "row_perm has " + std::to_string(row_perm.size()) +
            " entries, must be 0 or M = " + std::to_string(l.rows));
  Check(std::isfinite(stats.retained_saliency) && stats.retained_saliency >= 0 &&
            stats.retained_saliency <= 1 + 1e-9,
        "retained_saliency " + std::to_string(stats.retained_saliency) + " outside [0, 1]");
  Check(stats.kept_weights >= 0 && stats.kept_weights <= l.rows * l.cols,
        "kept_weights " + std::to_string(stats.kept_weights) + " outside [0, M*K]");

  // Column indices: each tile keeps min(K, K_keep) distinct real columns;
  // the K_keep - K extra slots (K % 4 != 0) and all slots >= K_keep are pads.
  const int64_t slots = l.padded_slots();
  const int64_t pads_in_kept = std::max<int64_t>(0, l.kept_cols - l.cols);
  std::vector<int32_t> real;
  for (int64_t t = 0; t < l.num_tiles(); ++t) {
    real.clear();
    for (int64_t s = 0; s < slots; ++s) {
      const int32_t c = col_idx[static_cast<size_t>(l.col_index(t, s))];
      if (s >= l.kept_cols) {
        if (c != kPadColumn) Fail("slot beyond kept_cols is not kPadColumn" + At(t, s));
        continue;
      }
      if (c != kPadColumn && (c < 0 || c >= l.cols)) {
        Fail("column index " + std::to_string(c) + " outside [0, K)" + At(t, s));
      }
      if (c != kPadColumn) real.push_back(c);
    }
    Check(static_cast<int64_t>(real.size()) == l.kept_cols - pads_in_kept,
          "tile " + std::to_string(t) + " has " + std::to_string(real.size()) +
              " real kept columns, expected " + std::to_string(l.kept_cols - pads_in_kept));
    std::sort(real.begin(), real.end());
    Check(std::adjacent_find(real.begin(), real.end()) == real.end(),
          "tile " + std::to_string(t) + " keeps a column twice");
  }

  if (!row_perm.empty()) {
    std::vector<char> seen(static_cast<size_t>(l.rows), 0);
    for (size_t p = 0; p < row_perm.size(); ++p) {
      const int32_t o = row_perm[p];
      if (o < 0 || o >= l.rows || seen[static_cast<size_t>(o)]) {
        Fail("row_perm is not a permutation of [0, M) at position " + std::to_string(p));
      }
      seen[static_cast<size_t>(o)] = 1;
    }
  }

  // Metadata nibbles and padding values.
  for (int64_t r = 0; r < l.padded_rows(); ++r) {
    const int64_t t = r / l.tile_rows;
    const bool pad_row = r >= l.rows;
    for (int64_t q = 0; q < slots / kGroupSize; ++q) {
      const uint32_t nib = nibble(r, q);
      const uint32_t i0 = nib & 3u, i1 = nib >> 2;
      if (i0 >= i1) {
        Fail("metadata nibble " + std::to_string(nib) + " of row " + std::to_string(r) +
             ", group " + std::to_string(q) + " is not i0 | i1 << 2 with i0 < i1");
      }
      const uint32_t pos[2] = {i0, i1};
      for (int j = 0; j < kGroupKept; ++j) {
        const int64_t s = q * kGroupSize + pos[j];
        const bool pad_slot = col_idx[static_cast<size_t>(l.col_index(t, s))] == kPadColumn;
        if (pad_row || pad_slot) {
          const uint16_t v = values[static_cast<size_t>(l.value_index(r, 2 * q + j))];
          if ((v & 0x7fffu) != 0) {
            Fail("padding value is not zero at row " + std::to_string(r) + At(t, s));
          }
        }
      }
    }
  }
}

}  // namespace hinm
