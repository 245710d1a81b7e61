// PruneAndCompress: hand-checked small cases, tie rules, padding, caller
// saliency, validation, and invariants against a naive implementation.
#include "cpp/hinm/prune.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "cpp/hinm/reference.h"
#include "tests/cpp/hinm_test_util.h"

namespace hinm {
namespace {

using testing_util::Abs;
using testing_util::NaivePrune;
using testing_util::RandomMatrix;
using testing_util::StatusOf;

DenseView View(const std::vector<float>& w, int64_t m, int64_t k) {
  return DenseView{w.data(), DType::kFloat32, m, k, k};
}

PruneOptions Opts(int32_t v, int64_t kept, DType d = DType::kFloat16) {
  PruneOptions o;
  o.tile_rows = v;
  o.kept_cols = kept;
  o.value_dtype = d;
  o.permute.num_threads = 1;
  return o;
}

uint32_t Nibble(const CompressedMatrix& a, int64_t r, int64_t q) {
  int shift = 0;
  const int64_t w = a.layout.meta_word_index(r, q, &shift);
  return (a.meta[static_cast<size_t>(w)] >> shift) & 0xfu;
}

float Value(const CompressedMatrix& a, int64_t r, int64_t c) {
  return From16(a.values[static_cast<size_t>(a.layout.value_index(r, c))], a.layout.dtype);
}

// 16 x 8, V = 16. Column magnitudes 1 8 3 6 2 7 4 5 on even rows; odd rows
// have -9.5 in columns 4 and 7. Column sums: c1 128, c7 116, c5 112, c3 96,
// c4 92, c6 64, c2 48, c0 16.
std::vector<float> HandMatrix() {
  const float base[8] = {1, 8, 3, 6, 2, 7, 4, 5};
  std::vector<float> w(16 * 8);
  for (int r = 0; r < 16; ++r) {
    for (int c = 0; c < 8; ++c) w[r * 8 + c] = base[c];
    if (r % 2) w[r * 8 + 4] = w[r * 8 + 7] = -9.5f;
  }
  return w;
}

TEST(Prune, HandCheckedKeep4) {
  const std::vector<float> w = HandMatrix();
  const CompressedMatrix a = PruneAndCompress(View(w, 16, 8), SaliencyView{}, Opts(16, 4));
  // Top 4 columns {1, 7, 5, 3}, stored ascending; slots 4..31 are padding.
  EXPECT_EQ(a.col_idx[0], 1);
  EXPECT_EQ(a.col_idx[1], 3);
  EXPECT_EQ(a.col_idx[2], 5);
  EXPECT_EQ(a.col_idx[3], 7);
  for (int s = 4; s < 32; ++s) EXPECT_EQ(a.col_idx[s], kPadColumn);
  for (int r = 0; r < 16; ++r) {
    if (r % 2 == 0) {
      // |8 6 7 5| -> slots 0, 2: nibble 0 | 2 << 2.
      EXPECT_EQ(Nibble(a, r, 0), 8u) << r;
      EXPECT_EQ(Value(a, r, 0), 8.0f);
      EXPECT_EQ(Value(a, r, 1), 7.0f);
    } else {
      // |8 6 7 9.5| -> slots 0, 3: nibble 0 | 3 << 2, values 8, -9.5.
      EXPECT_EQ(Nibble(a, r, 0), 12u) << r;
      EXPECT_EQ(Value(a, r, 0), 8.0f);
      EXPECT_EQ(Value(a, r, 1), -9.5f);
    }
    for (int q = 1; q < 8; ++q) EXPECT_EQ(Nibble(a, r, q), kPadNibble);
  }
  EXPECT_EQ(a.stats.kept_weights, 32);
  EXPECT_DOUBLE_EQ(a.sparsity(), 0.75);
  // Kept: 8 rows x (8+7) + 8 rows x (8+9.5); total 8 x 36 + 8 x 48.
  EXPECT_DOUBLE_EQ(a.stats.retained_saliency, (8 * 15.0 + 8 * 17.5) / (8 * 36.0 + 8 * 48.0));
  EXPECT_TRUE(a.row_perm.empty());
  EXPECT_NO_THROW(a.Validate());
}

TEST(Prune, HandCheckedKeep8WithTies) {
  const std::vector<float> w = HandMatrix();
  const CompressedMatrix a = PruneAndCompress(View(w, 16, 8), SaliencyView{}, Opts(16, 8));
  for (int s = 0; s < 8; ++s) EXPECT_EQ(a.col_idx[s], s);
  for (int r = 0; r < 16; ++r) {
    // Group 0 |1 8 3 6| -> slots 1, 3 for every row.
    EXPECT_EQ(Nibble(a, r, 0), 1u | 3u << 2) << r;
    if (r % 2 == 0) {
      EXPECT_EQ(Nibble(a, r, 1), 1u | 3u << 2) << r;  // |2 7 4 5|
    } else {
      // |9.5 7 4 9.5|: the tie between slots 0 and 3 keeps both (they are
      // the two largest), nibble 0 | 3 << 2.
      EXPECT_EQ(Nibble(a, r, 1), 0u | 3u << 2) << r;
      EXPECT_EQ(Value(a, r, 2), -9.5f);
      EXPECT_EQ(Value(a, r, 3), -9.5f);
    }
  }
  EXPECT_DOUBLE_EQ(a.sparsity(), 0.5);
}

TEST(Prune, TiesBreakTowardsLowerColumnAndSlot) {
  // All magnitudes equal: columns 0..3 win level 1, slots 0,1 win level 2.
  std::vector<float> w(16 * 8, 1.0f);
  const CompressedMatrix a = PruneAndCompress(View(w, 16, 8), SaliencyView{}, Opts(16, 4));
  for (int s = 0; s < 4; ++s) EXPECT_EQ(a.col_idx[s], s);
  for (int r = 0; r < 16; ++r) EXPECT_EQ(Nibble(a, r, 0), 0u | 1u << 2);
  // Three-way tie for second place in one group: lowest slot wins.
  std::vector<float> w2(16 * 4, 0.0f);
  for (int r = 0; r < 16; ++r) {
    w2[r * 4 + 0] = 1;
    w2[r * 4 + 1] = 3;
    w2[r * 4 + 2] = 3;
    w2[r * 4 + 3] = 3;
  }
  const CompressedMatrix b = PruneAndCompress(View(w2, 16, 4), SaliencyView{}, Opts(16, 4));
  for (int r = 0; r < 16; ++r) EXPECT_EQ(Nibble(b, r, 0), 1u | 2u << 2);
}

TEST(Prune, AllZeroRowsAndMatrix) {
  std::vector<float> w(32 * 8, 0.0f);
  const CompressedMatrix a = PruneAndCompress(View(w, 32, 8), SaliencyView{}, Opts(16, 4));
  EXPECT_DOUBLE_EQ(a.stats.retained_saliency, 1.0);  // nothing to lose
  EXPECT_EQ(a.stats.kept_weights, 32 * 2);  // structurally kept
  for (uint16_t v : a.values) EXPECT_EQ(v, 0u);
  EXPECT_NO_THROW(a.Validate());
  // One zero row inside a random tile keeps slots 0, 1 of every group.
  std::vector<float> r = RandomMatrix(16, 16, 3);
  for (int c = 0; c < 16; ++c) r[5 * 16 + c] = 0;
  const CompressedMatrix b = PruneAndCompress(View(r, 16, 16), SaliencyView{}, Opts(16, 8));
  EXPECT_EQ(Nibble(b, 5, 0), kPadNibble);
  EXPECT_EQ(Nibble(b, 5, 1), kPadNibble);
}

TEST(Prune, RowsNotMultipleOfTileArePadded) {
  const int64_t M = 40, K = 16;
  const std::vector<float> w = RandomMatrix(M, K, 7);
  const CompressedMatrix a = PruneAndCompress(View(w, M, K), SaliencyView{}, Opts(16, 8));
  EXPECT_EQ(a.layout.num_tiles(), 3);
  EXPECT_EQ(a.layout.padded_rows(), 48);
  for (int64_t r = M; r < 48; ++r) {
    for (int64_t q = 0; q < a.layout.padded_slots() / 4; ++q) EXPECT_EQ(Nibble(a, r, q), kPadNibble);
    for (int64_t c = 0; c < a.layout.padded_slots() / 2; ++c) EXPECT_EQ(Value(a, r, c), 0.0f);
  }
  // The last tile (rows 32..39) selects columns on its 8 real rows only.
  const auto naive = NaivePrune(Abs(w), M, K, 16, 8);
  for (int s = 0; s < 8; ++s) EXPECT_EQ(a.col_idx[static_cast<size_t>(a.layout.col_index(2, s))], naive.tile_cols[2][s]);
  EXPECT_EQ(a.stats.kept_weights, M * 8 / 2);
}

TEST(Prune, KNotMultipleOf4UsesPadSlots) {
  // K = 6, plain 2:4: K_keep = 8, slots 6 and 7 are pads.
  const int64_t M = 16, K = 6;
  std::vector<float> w = RandomMatrix(M, K, 11, 0.5f, 1.0f);
  w[0 * K + 4] = 0.0f;  // row 0: group 1 = |0 x pad pad| -> keeps slots 0, 1
  const CompressedMatrix a = PruneAndCompress(View(w, M, K), SaliencyView{}, Opts(16, 8));
  for (int s = 0; s < 6; ++s) EXPECT_EQ(a.col_idx[s], s);
  EXPECT_EQ(a.col_idx[6], kPadColumn);
  EXPECT_EQ(a.col_idx[7], kPadColumn);
  for (int r = 0; r < M; ++r) EXPECT_EQ(Nibble(a, r, 1), 0u | 1u << 2) << "pads never beat real";
  // Every row keeps 2 of group 0 and both real entries of group 1.
  EXPECT_EQ(a.stats.kept_weights, M * 4);
  EXPECT_NO_THROW(a.Validate());
  // K = 5, K_keep = 8: group 1 = |real pad pad pad|: one kept real entry.
  const std::vector<float> w5 = RandomMatrix(M, 5, 12, 0.5f, 1.0f);
  const CompressedMatrix b = PruneAndCompress(View(w5, M, 5), SaliencyView{}, Opts(16, 8));
  EXPECT_EQ(b.stats.kept_weights, M * 3);
  EXPECT_NEAR(b.sparsity(), 1.0 - 3.0 / 5.0, 1e-12);
}

TEST(Prune, CallerSaliencyDecidesNotMagnitude) {
  const int64_t M = 16, K = 8;
  const std::vector<float> w = RandomMatrix(M, K, 5);
  // Saliency prefers the columns with the smallest summed |W|.
  const auto wabs = Abs(w);
  std::vector<float> sal(static_cast<size_t>(M * K));
  for (size_t i = 0; i < sal.size(); ++i) sal[i] = 1.0f / (0.01f + wabs[i]);
  const auto naive_sal = NaivePrune(sal, M, K, 16, 4);
  const auto naive_abs = NaivePrune(wabs, M, K, 16, 4);
  ASSERT_NE(naive_sal.tile_cols[0], naive_abs.tile_cols[0]) << "test needs different choices";
  const CompressedMatrix a =
      PruneAndCompress(View(w, M, K), SaliencyView{sal.data(), M, K, K}, Opts(16, 4));
  for (int s = 0; s < 4; ++s) EXPECT_EQ(a.col_idx[s], naive_sal.tile_cols[0][s]);
  std::vector<float> d(static_cast<size_t>(M * K));
  Decompress(a, d.data(), K);
  for (size_t i = 0; i < d.size(); ++i) {
    EXPECT_EQ(d[i] != 0.0f, naive_sal.mask[i] != 0) << i;
    if (naive_sal.mask[i]) {
      EXPECT_EQ(d[i], HalfToFloat(FloatToHalf(w[i])));  // values are W's
    }
  }
  EXPECT_NEAR(a.stats.retained_saliency, naive_sal.kept_score / naive_sal.total_score, 1e-9);
}

struct Case {
  int64_t m, k;
  int32_t v;
  int64_t kept;
};

class PruneInvariants : public ::testing::TestWithParam<Case> {};

TEST_P(PruneInvariants, MatchNaivePruning) {
  const Case c = GetParam();
  const std::vector<float> w = RandomMatrix(c.m, c.k, static_cast<uint32_t>(c.m * 31 + c.k));
  const CompressedMatrix a = PruneAndCompress(View(w, c.m, c.k), SaliencyView{}, Opts(c.v, c.kept));
  ASSERT_NO_THROW(a.Validate());
  const auto naive = NaivePrune(Abs(w), c.m, c.k, c.v, c.kept);
  const Layout& l = a.layout;
  // Every tile keeps exactly the naive top-K_keep set, ascending.
  for (int64_t t = 0; t < l.num_tiles(); ++t) {
    const auto& want = naive.tile_cols[static_cast<size_t>(t)];
    for (int64_t s = 0; s < l.padded_slots(); ++s) {
      const int32_t got = a.col_idx[static_cast<size_t>(l.col_index(t, s))];
      EXPECT_EQ(got, s < static_cast<int64_t>(want.size()) ? want[static_cast<size_t>(s)] : kPadColumn);
    }
  }
  // Each real row keeps exactly 2 per full group; the mask is the naive one.
  std::vector<float> d(static_cast<size_t>(c.m * c.k));
  Decompress(a, d.data(), c.k);
  for (int64_t r = 0; r < c.m; ++r) {
    int64_t kept_in_row = 0;
    for (int64_t k = 0; k < c.k; ++k) {
      const size_t i = static_cast<size_t>(r * c.k + k);
      EXPECT_EQ(d[i] != 0.0f, naive.mask[i] != 0) << r << "," << k;
      kept_in_row += naive.mask[i];
    }
    // 2 per group of 4 slots, fewer where a group holds < 2 real columns.
    int64_t want = 0;
    for (int64_t g = 0; g < c.kept; g += 4) want += std::min<int64_t>(2, std::max<int64_t>(0, std::min(c.k, g + 4) - g));
    EXPECT_EQ(kept_in_row, want);
  }
  EXPECT_EQ(a.stats.kept_weights, naive.kept);
  EXPECT_NEAR(a.stats.retained_saliency, naive.kept_score / naive.total_score, 1e-9);
  if (c.k % 4 == 0) {
    EXPECT_NEAR(a.sparsity(), 1.0 - (static_cast<double>(c.kept) / c.k) / 2, 1e-12);
  }
}

INSTANTIATE_TEST_SUITE_P(Shapes, PruneInvariants,
                         ::testing::Values(Case{64, 64, 16, 32}, Case{128, 96, 64, 48},
                                           Case{100, 40, 32, 20}, Case{33, 10, 16, 12},
                                           Case{256, 128, 128, 64}, Case{48, 200, 16, 100},
                                           Case{16, 4, 16, 4}));

TEST(Prune, ThreadCountDoesNotChangeTheResult) {
  const std::vector<float> w = RandomMatrix(300, 72, 99);
  PruneOptions o1 = Opts(32, 36), o4 = Opts(32, 36);
  o4.permute.num_threads = 4;
  const CompressedMatrix a = PruneAndCompress(View(w, 300, 72), SaliencyView{}, o1);
  const CompressedMatrix b = PruneAndCompress(View(w, 300, 72), SaliencyView{}, o4);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.meta, b.meta);
  EXPECT_EQ(a.col_idx, b.col_idx);
  EXPECT_EQ(a.stats.retained_saliency, b.stats.retained_saliency);
  EXPECT_EQ(a.stats.kept_weights, b.stats.kept_weights);
}

TEST(Prune, AcceptsHalfAndBFloat16WeightsWithLeadingDimension) {
  const int64_t M = 32, K = 16, ld = 20;
  const std::vector<float> w = RandomMatrix(M, ld, 4);
  std::vector<uint16_t> h(w.size()), bf(w.size());
  std::vector<float> wr(static_cast<size_t>(M * K));
  for (size_t i = 0; i < w.size(); ++i) {
    h[i] = FloatToHalf(w[i]);
    bf[i] = FloatToBFloat16(w[i]);
  }
  for (int64_t r = 0; r < M; ++r)
    for (int64_t k = 0; k < K; ++k) wr[static_cast<size_t>(r * K + k)] = HalfToFloat(h[static_cast<size_t>(r * ld + k)]);
  const CompressedMatrix a =
      PruneAndCompress(DenseView{h.data(), DType::kFloat16, M, K, ld}, SaliencyView{}, Opts(16, 8));
  const CompressedMatrix b = PruneAndCompress(View(wr, M, K), SaliencyView{}, Opts(16, 8));
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.meta, b.meta);
  EXPECT_EQ(a.col_idx, b.col_idx);
  const CompressedMatrix c = PruneAndCompress(DenseView{bf.data(), DType::kBFloat16, M, K, ld},
                                              SaliencyView{}, Opts(16, 8, DType::kBFloat16));
  EXPECT_NO_THROW(c.Validate());
}

TEST(Prune, KeptColsForSparsity) {
  EXPECT_EQ(KeptColsForSparsity(128, 0.5), 64);
  EXPECT_EQ(KeptColsForSparsity(128, 0.75), 32);
  EXPECT_EQ(KeptColsForSparsity(128, 0.0), 128);
  EXPECT_EQ(KeptColsForSparsity(100, 0.35), 64);  // 65 -> nearest multiple of 4
  EXPECT_EQ(KeptColsForSparsity(100, 0.33), 68);  // 67 -> 68
  EXPECT_EQ(KeptColsForSparsity(10, 0.0), 12);    // round_up(10, 4)
  EXPECT_EQ(KeptColsForSparsity(64, 0.99), 4);    // at least 4
  EXPECT_EQ(StatusOf([] { KeptColsForSparsity(64, 1.0); }), Status::kInvalidValue);
  EXPECT_EQ(StatusOf([] { KeptColsForSparsity(64, -0.1); }), Status::kInvalidValue);
  EXPECT_EQ(StatusOf([] { KeptColsForSparsity(64, std::nan("")); }), Status::kInvalidValue);
  EXPECT_EQ(StatusOf([] { KeptColsForSparsity(0, 0.5); }), Status::kInvalidValue);
  // Used when kept_cols == 0.
  const std::vector<float> w = RandomMatrix(16, 64, 1);
  PruneOptions o = Opts(16, 0);
  o.vector_sparsity = 0.75;
  EXPECT_EQ(PruneAndCompress(View(w, 16, 64), SaliencyView{}, o).layout.kept_cols, 16);
}

TEST(Prune, RejectsBadInputWithTheRightStatus) {
  std::vector<float> w = RandomMatrix(16, 8, 2);
  const DenseView good = View(w, 16, 8);
  auto run = [&](DenseView v, SaliencyView s, PruneOptions o) {
    return StatusOf([&] { PruneAndCompress(v, s, o); });
  };
  EXPECT_EQ(run(good, {}, Opts(16, 4)), Status::kSuccess);
  DenseView v = good;
  v.data = nullptr;
  EXPECT_EQ(run(v, {}, Opts(16, 4)), Status::kNullPointer);
  v = good;
  v.rows = 0;
  EXPECT_EQ(run(v, {}, Opts(16, 4)), Status::kInvalidValue);
  v = good;
  v.ld = 7;
  EXPECT_EQ(run(v, {}, Opts(16, 4)), Status::kInvalidValue);
  v = good;
  v.dtype = static_cast<DType>(9);
  EXPECT_EQ(run(v, {}, Opts(16, 4)), Status::kInvalidDType);
  v = good;
  v.rows = int64_t{1} << 40;
  v.ld = int64_t{1} << 40;
  EXPECT_EQ(run(v, {}, Opts(16, 4)), Status::kSizeOverflow);
  EXPECT_EQ(run(good, {}, Opts(16, 6)), Status::kInvalidValue);   // K_keep % 4
  EXPECT_EQ(run(good, {}, Opts(16, 12)), Status::kInvalidValue);  // K_keep > K
  EXPECT_EQ(run(good, {}, Opts(20, 4)), Status::kInvalidValue);   // V
  EXPECT_EQ(run(good, {}, Opts(16, 4, DType::kFloat32)), Status::kInvalidDType);
  PruneOptions o = Opts(16, 0);
  o.vector_sparsity = 1.0;
  EXPECT_EQ(run(good, {}, o), Status::kInvalidValue);
  // Non-finite weights: the message names the position.
  w[3 * 8 + 5] = std::numeric_limits<float>::quiet_NaN();
  try {
    PruneAndCompress(good, {}, Opts(16, 4));
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::kInvalidValue);
    EXPECT_NE(std::string(e.what()).find("(3, 5)"), std::string::npos) << e.what();
  }
  w[3 * 8 + 5] = INFINITY;
  EXPECT_EQ(run(good, {}, Opts(16, 4)), Status::kInvalidValue);
  w[3 * 8 + 5] = 1e6f;  // finite, but not in float16
  EXPECT_EQ(run(good, {}, Opts(16, 4)), Status::kInvalidValue);
  EXPECT_EQ(run(good, {}, Opts(16, 4, DType::kBFloat16)), Status::kSuccess);
  w[3 * 8 + 5] = 0.5f;
  // Saliency: shape, ld, negative, NaN.
  std::vector<float> sal(16 * 8, 1.0f);
  EXPECT_EQ(run(good, SaliencyView{sal.data(), 16, 8, 8}, Opts(16, 4)), Status::kSuccess);
  EXPECT_EQ(run(good, SaliencyView{sal.data(), 8, 8, 8}, Opts(16, 4)), Status::kInvalidValue);
  EXPECT_EQ(run(good, SaliencyView{sal.data(), 16, 8, 4}, Opts(16, 4)), Status::kInvalidValue);
  sal[10] = -1.0f;
  EXPECT_EQ(run(good, SaliencyView{sal.data(), 16, 8, 8}, Opts(16, 4)), Status::kInvalidValue);
  sal[10] = std::numeric_limits<float>::quiet_NaN();
  EXPECT_EQ(run(good, SaliencyView{sal.data(), 16, 8, 8}, Opts(16, 4)), Status::kInvalidValue);
  sal[10] = INFINITY;
  EXPECT_EQ(run(good, SaliencyView{sal.data(), 16, 8, 8}, Opts(16, 4)), Status::kInvalidValue);
}

}  // namespace
}  // namespace hinm

namespace hinm {
namespace {

// Saliency 2:4 keeps over `rows` for a slot order (fp64; pads read 0).
double NmKeptOf(const std::vector<float>& score, int64_t K, const std::vector<int32_t>& rows,
                const std::vector<int32_t>& slots) {
  double kept = 0;
  for (int32_t r : rows) {
    for (size_t g = 0; g + 3 < slots.size(); g += 4) {
      double v[4];
      for (int i = 0; i < 4; ++i) {
        v[i] = slots[g + i] == kPadColumn ? 0.0 : score[static_cast<size_t>(r * K + slots[g + i])];
      }
      std::sort(v, v + 4);
      kept += v[2] + v[3];
    }
  }
  return kept;
}

// Checks a compressed matrix against the HiNM definition for whatever row
// permutation and per-tile slot orders it carries: each tile keeps the
// top-K_keep columns of its own rows (ties -> lower column), and each row
// keeps the top 2 of every 4 slots in the tile's order (ties -> lower slot,
// pads last), with W's values.
// With `top_k_set` false (2CP's default search with the input axis on, which
// may exchange kept and dropped columns) the kept set is only required to be
// min(K, K_keep) distinct columns whose 2:4-kept saliency is at least that of
// the top-K_keep set in ascending order (where the search starts from);
// level 2 is checked exactly as before.
void ExpectFollowsDefinition(const CompressedMatrix& a, const std::vector<float>& w,
                             const std::vector<float>& score, bool top_k_set = true) {
  const Layout& l = a.layout;
  const int64_t M = l.rows, K = l.cols;
  ASSERT_NO_THROW(a.Validate());
  for (int64_t t = 0; t < l.num_tiles(); ++t) {
    std::vector<int32_t> rows;
    for (int64_t p = t * l.tile_rows; p < std::min<int64_t>(M, (t + 1) * l.tile_rows); ++p)
      rows.push_back(a.original_row(p));
    std::vector<std::pair<double, int32_t>> sums;
    for (int32_t c = 0; c < K; ++c) {
      double s = 0;
      for (int32_t r : rows) s += score[static_cast<size_t>(r * K + c)];
      sums.push_back({-s, c});
    }
    std::sort(sums.begin(), sums.end());
    std::vector<int32_t> want, got;
    for (int64_t i = 0; i < std::min(K, l.kept_cols); ++i) want.push_back(sums[static_cast<size_t>(i)].second);
    std::vector<int32_t> slots(static_cast<size_t>(l.kept_cols));
    for (int64_t s = 0; s < l.kept_cols; ++s) {
      slots[static_cast<size_t>(s)] = a.col_idx[static_cast<size_t>(l.col_index(t, s))];
      if (slots[static_cast<size_t>(s)] != kPadColumn) got.push_back(slots[static_cast<size_t>(s)]);
    }
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    if (top_k_set) {
      ASSERT_EQ(got, want) << "tile " << t;
    } else {
      ASSERT_EQ(got.size(), want.size()) << "tile " << t;
      ASSERT_TRUE(std::adjacent_find(got.begin(), got.end()) == got.end()) << "tile " << t;
      std::vector<int32_t> start = want;
      start.resize(static_cast<size_t>(l.kept_cols), kPadColumn);
      EXPECT_GE(NmKeptOf(score, K, rows, slots), NmKeptOf(score, K, rows, start) - 1e-9)
          << "tile " << t;
    }
    for (size_t i = 0; i < rows.size(); ++i) {
      const int64_t p = t * l.tile_rows + static_cast<int64_t>(i);
      for (int64_t q = 0; q < l.kept_cols / 4; ++q) {
        std::vector<std::pair<float, int>> cand;
        for (int j = 0; j < 4; ++j) {
          const int32_t c = slots[static_cast<size_t>(q * 4 + j)];
          cand.push_back({c == kPadColumn ? 1.0f : -score[static_cast<size_t>(rows[i] * K + c)], j});
        }
        std::sort(cand.begin(), cand.end());
        const int i0 = std::min(cand[0].second, cand[1].second), i1 = std::max(cand[0].second, cand[1].second);
        ASSERT_EQ(Nibble(a, p, q), static_cast<uint32_t>(i0 | i1 << 2)) << "row " << p << " group " << q;
        const int kept[2] = {i0, i1};
        for (int j = 0; j < 2; ++j) {
          const int32_t c = slots[static_cast<size_t>(q * 4 + kept[j])];
          const float v = c == kPadColumn ? 0.0f : HalfToFloat(FloatToHalf(w[static_cast<size_t>(rows[i] * K + c)]));
          ASSERT_EQ(Value(a, p, 2 * q + j), v);
        }
      }
    }
  }
}

TEST(PruneWithPermutation, BothAxesFollowTheDefinitionForAnyThreadCount) {
  const int64_t M = 96, K = 48;
  const std::vector<float> w = RandomMatrix(M, K, 123);
  PruneOptions o = Opts(32, 24);
  o.permute.output_axis = true;
  o.permute.input_axis = true;
  o.permute.seed = 5;
  // The default algorithm (o.permute.algo) may change the kept sets.
  const CompressedMatrix a = PruneAndCompress(View(w, M, K), SaliencyView{}, o);
  ExpectFollowsDefinition(a, w, Abs(w), /*top_k_set=*/false);
  o.permute.num_threads = 3;
  const CompressedMatrix b = PruneAndCompress(View(w, M, K), SaliencyView{}, o);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.meta, b.meta);
  EXPECT_EQ(a.col_idx, b.col_idx);
  EXPECT_EQ(a.row_perm, b.row_perm);
  EXPECT_EQ(a.stats.retained_saliency, b.stats.retained_saliency);
  // The flag says whether some tile's slots are not in ascending order.
  bool reordered = false;
  for (int64_t t = 0; t < a.layout.num_tiles(); ++t) {
    std::vector<int32_t> s(a.col_idx.begin() + a.layout.col_index(t, 0),
                           a.col_idx.begin() + a.layout.col_index(t, a.layout.kept_cols));
    reordered = reordered || !std::is_sorted(s.begin(), s.end());
  }
  EXPECT_EQ(a.column_permuted, reordered);
  // Retained saliency is what the definition keeps, recomputed.
  std::vector<float> d(static_cast<size_t>(M * K));
  Decompress(a, d.data(), K);
  double kept = 0, total = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    total += std::fabs(w[i]);
    if (d[i] != 0) kept += std::fabs(w[i]);
  }
  EXPECT_NEAR(a.stats.retained_saliency, kept / total, 1e-9);
}

TEST(PruneWithPermutation, EachAxisAloneAndPaddedShapes) {
  for (bool out_axis : {true, false}) {
    const int64_t M = 40, K = 10;  // padded rows, K % 4 != 0, K_keep = 12
    const std::vector<float> w = RandomMatrix(M, K, 321);
    PruneOptions o = Opts(16, 12);
    o.permute.output_axis = out_axis;
    o.permute.input_axis = !out_axis;
    const CompressedMatrix a = PruneAndCompress(View(w, M, K), SaliencyView{}, o);
    // K_keep > K: every real column is kept whatever the algorithm.
    ExpectFollowsDefinition(a, w, Abs(w));
    if (!out_axis) {
      EXPECT_TRUE(a.row_perm.empty());
    }
  }
}

TEST(PruneWithPermutation, PublishedKeepsTheTopKSetDefaultMayExchange) {
  const int64_t M = 96, K = 64;
  const std::vector<float> w = RandomMatrix(M, K, 77);
  for (bool out_axis : {true, false}) {
    PruneOptions o = Opts(32, 32);
    o.permute.output_axis = out_axis;
    o.permute.input_axis = true;
    o.permute.seed = 3;
    o.permute.algo = PermuteAlgo::kPublished;
    const CompressedMatrix pub = PruneAndCompress(View(w, M, K), SaliencyView{}, o);
    ExpectFollowsDefinition(pub, w, Abs(w), /*top_k_set=*/true);
    o.permute.algo = PermuteAlgo::kDefault;
    const CompressedMatrix def = PruneAndCompress(View(w, M, K), SaliencyView{}, o);
    ExpectFollowsDefinition(def, w, Abs(w), /*top_k_set=*/false);
    // Thread count does not matter, kept-set exchanges included.
    o.permute.num_threads = 2;
    const CompressedMatrix def2 = PruneAndCompress(View(w, M, K), SaliencyView{}, o);
    EXPECT_EQ(def.col_idx, def2.col_idx);
    EXPECT_EQ(def.values, def2.values);
    EXPECT_EQ(def.meta, def2.meta);
  }
  // Output axis alone: the kept sets stay the top-K_keep sets (ascending).
  PruneOptions o = Opts(32, 32);
  o.permute.output_axis = true;
  const CompressedMatrix out_only = PruneAndCompress(View(w, M, K), SaliencyView{}, o);
  ExpectFollowsDefinition(out_only, w, Abs(w), /*top_k_set=*/true);
  EXPECT_FALSE(out_only.column_permuted);
}

TEST(PruneWithPermutation, ProgressIsMonotoneAndCancelStops) {
  const std::vector<float> w = RandomMatrix(64, 32, 7);
  PruneOptions o = Opts(16, 16);
  o.permute.output_axis = true;
  o.permute.input_axis = true;
  std::vector<double> seen;
  o.permute.progress = [&](double f) {
    seen.push_back(f);
    return true;
  };
  PruneAndCompress(View(w, 64, 32), SaliencyView{}, o);
  ASSERT_FALSE(seen.empty());
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_DOUBLE_EQ(seen.back(), 1.0);
  o.permute.progress = [](double) { return false; };
  EXPECT_EQ(StatusOf([&] { PruneAndCompress(View(w, 64, 32), SaliencyView{}, o); }), Status::kCancelled);
}

}  // namespace
}  // namespace hinm
