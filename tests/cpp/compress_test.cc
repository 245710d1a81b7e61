// Round trip: Decompress(PruneAndCompress(W)) reproduces the pruned matrix
// computed naively; Validate rejects each kind of inconsistent matrix.
#include <gtest/gtest.h>

#include <vector>

#include "cpp/hinm/compressed_matrix.h"
#include "cpp/hinm/prune.h"
#include "cpp/hinm/reference.h"
#include "tests/cpp/hinm_test_util.h"

namespace hinm {
namespace {

using testing_util::Abs;
using testing_util::NaivePrune;
using testing_util::RandomMatrix;
using testing_util::StatusOf;

CompressedMatrix Compress(const std::vector<float>& w, int64_t m, int64_t k, int32_t v,
                          int64_t kept, DType d, int threads = 1) {
  PruneOptions o;
  o.tile_rows = v;
  o.kept_cols = kept;
  o.value_dtype = d;
  o.permute.num_threads = threads;
  return PruneAndCompress(DenseView{w.data(), DType::kFloat32, m, k, k}, SaliencyView{}, o);
}

struct Shape {
  int64_t m, k;
  int32_t v;
  int64_t kept;
};

class RoundTrip : public ::testing::TestWithParam<std::tuple<Shape, DType>> {};

TEST_P(RoundTrip, DecompressEqualsNaivePrunedMatrix) {
  const Shape s = std::get<0>(GetParam());
  const DType d = std::get<1>(GetParam());
  // Values spread over several binades so rounding matters.
  std::vector<float> w = RandomMatrix(s.m, s.k, static_cast<uint32_t>(s.m * 7 + s.k), -3.0f, 3.0f);
  for (size_t i = 0; i < w.size(); i += 5) w[i] *= 1e-3f;
  const CompressedMatrix a = Compress(w, s.m, s.k, s.v, s.kept, d, 3);
  const auto naive = NaivePrune(Abs(w), s.m, s.k, s.v, s.kept);
  std::vector<float> got(static_cast<size_t>(s.m * (s.k + 3)), -7.0f);
  Decompress(a, got.data(), s.k + 3);  // ld > K: the gap stays untouched
  for (int64_t r = 0; r < s.m; ++r) {
    for (int64_t k = 0; k < s.k; ++k) {
      const size_t i = static_cast<size_t>(r * s.k + k);
      const float want = naive.mask[i] ? From16(FloatTo16(w[i], d), d) : 0.0f;
      ASSERT_EQ(got[static_cast<size_t>(r * (s.k + 3) + k)], want) << r << "," << k;
    }
    for (int64_t k = s.k; k < s.k + 3; ++k) ASSERT_EQ(got[static_cast<size_t>(r * (s.k + 3) + k)], -7.0f);
  }
  EXPECT_EQ(a.stats.kept_weights, naive.kept);
  EXPECT_EQ(a.dense_bytes(), s.m * s.k * 2);
  EXPECT_EQ(a.compressed_bytes(), a.layout.value_bytes() + a.layout.meta_bytes() + a.layout.col_idx_bytes());
}

INSTANTIATE_TEST_SUITE_P(
    Shapes, RoundTrip,
    ::testing::Combine(::testing::Values(Shape{16, 8, 16, 4}, Shape{64, 128, 32, 64},
                                         Shape{130, 50, 64, 24}, Shape{37, 7, 16, 8},
                                         Shape{256, 64, 256, 16}, Shape{96, 100, 48, 100}),
                       ::testing::Values(DType::kFloat16, DType::kBFloat16)));

TEST(RoundTrip, RowPermutationPlacesRowsAtTheirOriginalIndex) {
  const int64_t M = 48, K = 16;
  const std::vector<float> w = RandomMatrix(M, K, 21);
  CompressedMatrix a = Compress(w, M, K, 16, 8, DType::kFloat16);
  std::vector<float> plain(static_cast<size_t>(M * K));
  Decompress(a, plain.data(), K);
  // Declare compressed row p to be original row (p * 7) % 48.
  a.row_perm.resize(M);
  for (int64_t p = 0; p < M; ++p) a.row_perm[static_cast<size_t>(p)] = static_cast<int32_t>((p * 7) % M);
  ASSERT_NO_THROW(a.Validate());
  EXPECT_EQ(a.compressed_bytes(), a.layout.value_bytes() + a.layout.meta_bytes() +
                                      a.layout.col_idx_bytes() + M * 4);
  std::vector<float> perm(static_cast<size_t>(M * K));
  Decompress(a, perm.data(), K);
  for (int64_t p = 0; p < M; ++p)
    for (int64_t k = 0; k < K; ++k)
      ASSERT_EQ(perm[static_cast<size_t>(a.row_perm[static_cast<size_t>(p)] * K + k)],
                plain[static_cast<size_t>(p * K + k)]);
}

// Each corruption of a valid matrix, and the status Validate reports.
TEST(Validate, RejectsEachInconsistency) {
  const std::vector<float> w = RandomMatrix(20, 10, 8, 0.1f, 1.0f);
  const CompressedMatrix good = Compress(w, 20, 10, 16, 8, DType::kFloat16);
  ASSERT_NO_THROW(good.Validate());
  auto bad = [&](auto mutate) {
    CompressedMatrix a = good;
    mutate(a);
    return StatusOf([&] { a.Validate(); });
  };
  const Layout& l = good.layout;
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.values.pop_back(); }), Status::kInvalidValue);
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.meta.push_back(0); }), Status::kInvalidValue);
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.col_idx.pop_back(); }), Status::kInvalidValue);
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.row_perm = {0, 1}; }), Status::kInvalidValue);
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.layout.tile_rows = 8; }), Status::kInvalidValue);
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.col_idx[0] = 10; }), Status::kInvalidValue);   // >= K
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.col_idx[0] = -2; }), Status::kInvalidValue);
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.col_idx[1] = a.col_idx[0]; }), Status::kInvalidValue);
  // A pad where a real column must be, and a real column beyond K_keep.
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.col_idx[0] = kPadColumn; }), Status::kInvalidValue);
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.col_idx[8] = 9; }), Status::kInvalidValue);
  EXPECT_EQ(bad([&](CompressedMatrix& a) {
              a.row_perm.resize(static_cast<size_t>(l.rows));
              for (int64_t p = 0; p < l.rows; ++p) a.row_perm[static_cast<size_t>(p)] = static_cast<int32_t>(p);
              a.row_perm[3] = 4;  // 4 twice
            }),
            Status::kInvalidValue);
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.stats.retained_saliency = 1.5; }), Status::kInvalidValue);
  EXPECT_EQ(bad([](CompressedMatrix& a) { a.stats.kept_weights = -1; }), Status::kInvalidValue);
  // Metadata nibbles with i0 >= i1.
  for (uint32_t nib : {0u, 5u, 1u, 0xbu, 0xfu}) {
    EXPECT_EQ(bad([&](CompressedMatrix& a) {
                int shift = 0;
                const int64_t wi = l.meta_word_index(2, 1, &shift);
                a.meta[static_cast<size_t>(wi)] &= ~(0xfu << shift);
                a.meta[static_cast<size_t>(wi)] |= nib << shift;
              }),
              Status::kInvalidValue)
        << nib;
  }
  // Non-zero value in a padding row, and in a pad slot (slot 8+ of row 0:
  // group 2, kept positions 0 and 1 -> compressed columns 4 and 5).
  EXPECT_EQ(bad([&](CompressedMatrix& a) { a.values[static_cast<size_t>(l.value_index(25, 0))] = 0x3c00; }),
            Status::kInvalidValue);
  EXPECT_EQ(bad([&](CompressedMatrix& a) { a.values[static_cast<size_t>(l.value_index(0, 4))] = 0x3c00; }),
            Status::kInvalidValue);
}

TEST(Validate, PadSlotsInsideKeptColsWhenKIsNotAMultipleOf4) {
  // K = 6, K_keep = 8: exactly 2 pads among the first 8 slots, anywhere.
  const std::vector<float> w = RandomMatrix(16, 6, 9);
  CompressedMatrix a = Compress(w, 16, 6, 16, 8, DType::kFloat16);
  ASSERT_NO_THROW(a.Validate());
  CompressedMatrix b = a;
  b.col_idx[6] = 0;  // a third real column would duplicate
  EXPECT_EQ(StatusOf([&] { b.Validate(); }), Status::kInvalidValue);
  CompressedMatrix c = a;
  c.col_idx[5] = kPadColumn;  // three pads: a column lost
  EXPECT_EQ(StatusOf([&] { c.Validate(); }), Status::kInvalidValue);
}

}  // namespace
}  // namespace hinm
