// FoldInputPermutation: a two-layer chain where layer 1 writes its output in
// 2CP's permuted row order and layer 2 reads it through the folded col_idx
// gives exactly the chain in original order, and both match an independent
// fp64 product of the decompressed weights.
#include "cpp/hinm/fold_permutation.h"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <vector>

#include "cpp/hinm/error.h"
#include "cpp/hinm/prune.h"
#include "cpp/hinm/reference.h"
#include "tests/cpp/hinm_test_util.h"

namespace hinm {
namespace {

CompressedMatrix Prune(const std::vector<float>& w, int64_t m, int64_t k, bool permute) {
  PruneOptions o;
  o.tile_rows = 32;
  o.vector_sparsity = 0.5;
  o.permute.output_axis = permute;
  o.permute.input_axis = permute;
  o.permute.num_threads = 1;
  return PruneAndCompress(DenseView{w.data(), DType::kFloat32, m, k, k}, SaliencyView{}, o);
}

// C (rows x n) = a * b (feature-major, fp32 io) in the given row order.
std::vector<float> Mul(const CompressedMatrix& a, const std::vector<float>& b, int64_t n,
                       RowOrder rows) {
  std::vector<float> c(static_cast<size_t>(a.layout.rows * n));
  SpmmArgs args;
  args.n = n;
  args.b = b.data();
  args.ldb = n;
  args.c = c.data();
  args.ldc = n;
  args.io_dtype = DType::kFloat32;
  args.rows = rows;
  SpmmReference(a, args, 1);
  return c;
}

TEST(FoldInputPermutation, PermutedChainEqualsOriginalChainAndFp64) {
  // K = 72 (not a multiple of 32: padding slots), hidden 96 (3 tiles of 32).
  const int64_t K = 72, H = 96, N = 5;
  const auto w1 = testing_util::RandomMatrix(H, K, 11);
  const auto w2 = testing_util::RandomMatrix(K, H, 12);
  const auto x = testing_util::RandomMatrix(K, N, 13);
  const CompressedMatrix a1 = Prune(w1, H, K, /*permute=*/true);
  const CompressedMatrix a2 = Prune(w2, K, H, /*permute=*/true);
  ASSERT_FALSE(a1.row_perm.empty()) << "2CP should permute layer 1's rows here";
  std::vector<int32_t> perm(static_cast<size_t>(H));
  for (int64_t p = 0; p < H; ++p) perm[static_cast<size_t>(p)] = a1.original_row(p);
  ASSERT_FALSE(std::is_sorted(perm.begin(), perm.end()));

  const CompressedMatrix a2f = FoldInputPermutation(a2, perm.data(), H);
  a2f.Validate();
  // Only col_idx moves, and padding stays padding.
  EXPECT_EQ(a2f.values, a2.values);
  EXPECT_EQ(a2f.meta, a2.meta);
  ASSERT_EQ(a2f.col_idx.size(), a2.col_idx.size());
  for (size_t i = 0; i < a2.col_idx.size(); ++i) {
    if (a2.col_idx[i] == kPadColumn) {
      EXPECT_EQ(a2f.col_idx[i], kPadColumn);
    } else {
      EXPECT_EQ(perm[static_cast<size_t>(a2f.col_idx[i])], a2.col_idx[i]) << i;
    }
  }

  const auto h_orig = Mul(a1, x, N, RowOrder::kOriginal);
  const auto h_perm = Mul(a1, x, N, RowOrder::kPermuted);
  const auto y_orig = Mul(a2, h_orig, N, RowOrder::kOriginal);
  const auto y_fold = Mul(a2f, h_perm, N, RowOrder::kOriginal);
  EXPECT_EQ(y_fold, y_orig);  // same slots, same order, same sums: bit for bit

  // Independent: fp64 product of the decompressed (pruned) weights.
  std::vector<float> d1(static_cast<size_t>(H * K)), d2(static_cast<size_t>(K * H));
  Decompress(a1, d1.data(), K);
  Decompress(a2, d2.data(), H);
  for (int64_t r = 0; r < K; ++r) {
    for (int64_t t = 0; t < N; ++t) {
      double y = 0;
      for (int64_t j = 0; j < H; ++j) {
        double h = 0;
        for (int64_t c = 0; c < K; ++c) h += double(d1[j * K + c]) * x[c * N + t];
        y += double(d2[r * H + j]) * h;
      }
      EXPECT_NEAR(y_fold[static_cast<size_t>(r * N + t)], y, 1e-4 * (1 + std::fabs(y)));
    }
  }
}

TEST(FoldInputPermutation, IdentityIsANoOp) {
  const auto w = testing_util::RandomMatrix(32, 40, 3);
  const CompressedMatrix a = Prune(w, 32, 40, false);
  std::vector<int32_t> id(40);
  std::iota(id.begin(), id.end(), 0);
  EXPECT_EQ(FoldInputPermutation(a, id.data(), 40).col_idx, a.col_idx);
}

Status StatusOf(const CompressedMatrix& a, const int32_t* p, int64_t n, std::string* msg) {
  try {
    FoldInputPermutation(a, p, n);
  } catch (const Error& e) {
    *msg = e.what();
    return e.status();
  }
  return Status::kSuccess;
}

TEST(FoldInputPermutation, RejectsBadPermutations) {
  const auto w = testing_util::RandomMatrix(32, 8, 4);
  const CompressedMatrix a = Prune(w, 32, 8, false);
  std::string msg;
  EXPECT_EQ(StatusOf(a, nullptr, 8, &msg), Status::kNullPointer);
  EXPECT_NE(msg.find("perm"), std::string::npos);
  std::vector<int32_t> p = {0, 1, 2, 3, 4, 5, 6, 7};
  EXPECT_EQ(StatusOf(a, p.data(), 7, &msg), Status::kInvalidValue);
  EXPECT_NE(msg.find("K = 8"), std::string::npos) << msg;
  p[5] = 8;
  EXPECT_EQ(StatusOf(a, p.data(), 8, &msg), Status::kInvalidValue);
  EXPECT_NE(msg.find("perm[5] = 8"), std::string::npos) << msg;
  p[5] = -1;
  EXPECT_EQ(StatusOf(a, p.data(), 8, &msg), Status::kInvalidValue);
  p[5] = 2;
  EXPECT_EQ(StatusOf(a, p.data(), 8, &msg), Status::kInvalidValue);
  EXPECT_NE(msg.find("perm[5] = 2 repeats"), std::string::npos) << msg;
}

}  // namespace
}  // namespace hinm
