// The layout is the contract between compression, the reference and the
// kernels: every address function must be a bijection onto its array.
#include "cpp/hinm/layout.h"

#include <gtest/gtest.h>

#include <set>
#include <tuple>
#include <vector>

#include "cpp/hinm/error.h"

namespace hinm {
namespace {

Status MakeStatus(int64_t m, int64_t k, int32_t v, int64_t kk, DType d) {
  try {
    Layout::Make(m, k, v, kk, d);
  } catch (const Error& e) {
    return e.status();
  }
  return Status::kSuccess;
}

struct Shape {
  int64_t m, k;
  int32_t v;
  int64_t kk;
};

class LayoutBijection : public ::testing::TestWithParam<Shape> {};

TEST_P(LayoutBijection, ValueIndexCoversEveryValueOnce) {
  const Shape s = GetParam();
  const Layout l = Layout::Make(s.m, s.k, s.v, s.kk, DType::kFloat16);
  std::vector<int> hits(static_cast<size_t>(l.num_values()), 0);
  for (int64_t r = 0; r < l.padded_rows(); ++r) {
    for (int64_t c = 0; c < l.padded_slots() / 2; ++c) {
      const int64_t i = l.value_index(r, c);
      ASSERT_GE(i, 0);
      ASSERT_LT(i, l.num_values());
      ++hits[static_cast<size_t>(i)];
    }
  }
  for (int h : hits) ASSERT_EQ(h, 1);
}

TEST_P(LayoutBijection, MetaNibblesCoverEveryWordBitOnce) {
  const Shape s = GetParam();
  const Layout l = Layout::Make(s.m, s.k, s.v, s.kk, DType::kBFloat16);
  std::vector<uint32_t> used(static_cast<size_t>(l.num_meta_words()), 0);
  for (int64_t r = 0; r < l.padded_rows(); ++r) {
    for (int64_t q = 0; q < l.padded_slots() / 4; ++q) {
      int shift = -1;
      const int64_t w = l.meta_word_index(r, q, &shift);
      ASSERT_GE(w, 0);
      ASSERT_LT(w, l.num_meta_words());
      ASSERT_TRUE(shift >= 0 && shift <= 28 && shift % 4 == 0) << shift;
      const uint32_t mask = 0xfu << shift;
      ASSERT_EQ(used[static_cast<size_t>(w)] & mask, 0u) << "nibble used twice";
      used[static_cast<size_t>(w)] |= mask;
    }
  }
  for (uint32_t u : used) ASSERT_EQ(u, 0xffffffffu);
}

INSTANTIATE_TEST_SUITE_P(Shapes, LayoutBijection,
                         ::testing::Values(Shape{16, 8, 16, 4}, Shape{16, 8, 16, 8},
                                           Shape{100, 70, 32, 36}, Shape{128, 256, 64, 128},
                                           Shape{300, 33, 128, 36}, Shape{17, 5, 16, 8},
                                           Shape{256, 96, 256, 64}));

// The fragment mapping of layout.h, checked on concrete positions (so a
// consistent-but-wrong bijection cannot pass): lane 4g+t, element i.
TEST(Layout, ValueIndexMatchesMmaFragment) {
  const Layout l = Layout::Make(32, 64, 32, 64, DType::kFloat16);
  // Row 0, compressed col 0: lane 0, a0.
  EXPECT_EQ(l.value_index(0, 0), 0);
  // Row 0, col 1: lane 0, a1.
  EXPECT_EQ(l.value_index(0, 1), 1);
  // Row 8, col 0: lane 0, a2.
  EXPECT_EQ(l.value_index(8, 0), 2);
  // Row 0, col 8: lane 0, a4; row 8, col 9: lane 0, a7.
  EXPECT_EQ(l.value_index(0, 8), 4);
  EXPECT_EQ(l.value_index(8, 9), 7);
  // Row 1, col 2: g=1, t=1 -> lane 5, a0.
  EXPECT_EQ(l.value_index(1, 2), 5 * 8 + 0);
  // Row 15, col 15: g=7, t=3 -> lane 31, a7.
  EXPECT_EQ(l.value_index(15, 15), 31 * 8 + 7);
  // Row 16 is row block 1 of tile 0 (block 1); col 16 is column block 1.
  EXPECT_EQ(l.value_index(16, 0), 1 * 256);
  EXPECT_EQ(l.value_index(0, 16), 2 * 256);  // block (0, cb=1, rb=0) = 2
  // Row 32 starts tile 1: block index 4.
  EXPECT_EQ(l.value_index(32, 0), 4 * 256);
}

TEST(Layout, MetaWordIndexMatchesSelectorZeroLanes) {
  const Layout l = Layout::Make(16, 32, 16, 32, DType::kFloat16);
  int shift = 0;
  // Row 0, group 0 -> word 0, bits 0..3.
  EXPECT_EQ(l.meta_word_index(0, 0, &shift), 0);
  EXPECT_EQ(shift, 0);
  // Row 0, group 5 -> h=1, nibble 1 -> word 1, shift 4.
  EXPECT_EQ(l.meta_word_index(0, 5, &shift), 1);
  EXPECT_EQ(shift, 4);
  // Row 9 (g=1, upper half), group 3 -> word 2, shift 16+12.
  EXPECT_EQ(l.meta_word_index(9, 3, &shift), 2);
  EXPECT_EQ(shift, 28);
}

TEST(Layout, DerivedSizes) {
  const Layout l = Layout::Make(100, 70, 32, 36, DType::kFloat16);
  EXPECT_EQ(l.num_tiles(), 4);
  EXPECT_EQ(l.padded_rows(), 128);
  EXPECT_EQ(l.padded_slots(), 64);
  EXPECT_EQ(l.col_blocks(), 2);
  EXPECT_EQ(l.row_blocks_per_tile(), 2);
  EXPECT_EQ(l.num_values(), 128 * 64 / 2);
  EXPECT_EQ(l.num_meta_words(), 128 * 64 / 32);
  EXPECT_EQ(l.num_col_indices(), 4 * 64);
  EXPECT_EQ(l.value_bytes(), 128 * 64);
  EXPECT_EQ(l.row_perm_bytes(), 400);
}

TEST(Layout, MakeRejectsEachBadParameter) {
  EXPECT_EQ(MakeStatus(16, 8, 16, 4, DType::kFloat16), Status::kSuccess);
  EXPECT_EQ(MakeStatus(0, 8, 16, 4, DType::kFloat16), Status::kInvalidValue);
  EXPECT_EQ(MakeStatus(-3, 8, 16, 4, DType::kFloat16), Status::kInvalidValue);
  EXPECT_EQ(MakeStatus(16, 0, 16, 4, DType::kFloat16), Status::kInvalidValue);
  EXPECT_EQ(MakeStatus(int64_t{1} << 31, 8, 16, 4, DType::kFloat16), Status::kSizeOverflow);
  EXPECT_EQ(MakeStatus(16, int64_t{1} << 31, 16, 4, DType::kFloat16), Status::kSizeOverflow);
  EXPECT_EQ(MakeStatus(16, 8, 8, 4, DType::kFloat16), Status::kInvalidValue);    // V < 16
  EXPECT_EQ(MakeStatus(16, 8, 24, 4, DType::kFloat16), Status::kInvalidValue);   // V % 16
  EXPECT_EQ(MakeStatus(16, 8, 272, 4, DType::kFloat16), Status::kInvalidValue);  // V > 256
  EXPECT_EQ(MakeStatus(16, 8, 16, 0, DType::kFloat16), Status::kInvalidValue);
  EXPECT_EQ(MakeStatus(16, 8, 16, 6, DType::kFloat16), Status::kInvalidValue);   // K_keep % 4
  EXPECT_EQ(MakeStatus(16, 8, 16, 12, DType::kFloat16), Status::kInvalidValue);  // > K
  EXPECT_EQ(MakeStatus(16, 5, 16, 8, DType::kFloat16), Status::kSuccess);  // round_up(5, 4)
  EXPECT_EQ(MakeStatus(16, 5, 16, 12, DType::kFloat16), Status::kInvalidValue);
  EXPECT_EQ(MakeStatus(16, 8, 16, 4, DType::kFloat32), Status::kInvalidDType);
  EXPECT_EQ(MakeStatus(16, 8, 16, 4, static_cast<DType>(7)), Status::kInvalidDType);
}

TEST(Layout, DTypeSizesAndNames) {
  EXPECT_EQ(DTypeSize(DType::kFloat16), 2);
  EXPECT_EQ(DTypeSize(DType::kBFloat16), 2);
  EXPECT_EQ(DTypeSize(DType::kFloat32), 4);
  EXPECT_STREQ(DTypeName(DType::kBFloat16), "bfloat16");
  EXPECT_THROW(DTypeSize(static_cast<DType>(9)), Error);
}

TEST(Layout, CheckedMulDetectsOverflow) {
  EXPECT_EQ(CheckedMul(int64_t{1} << 31, int64_t{1} << 31, "x"), int64_t{1} << 62);
  try {
    CheckedMul(int64_t{1} << 32, int64_t{1} << 32, "x");
    FAIL() << "expected overflow";
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::kSizeOverflow);
  }
  EXPECT_THROW(CheckedMul(-1, 2, "neg"), Error);
}

}  // namespace
}  // namespace hinm
