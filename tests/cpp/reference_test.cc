// CPU reference SpMM against an fp64 naive product of the decompressed
// matrix, over every operand order, scaling, bias, io dtype and row order.
#include "cpp/hinm/reference.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <vector>

#include "cpp/hinm/prune.h"
#include "tests/cpp/hinm_test_util.h"

namespace hinm {
namespace {

using testing_util::RandomMatrix;
using testing_util::StatusOf;

CompressedMatrix Compress(int64_t m, int64_t k, int32_t v, int64_t kept, uint32_t seed) {
  const std::vector<float> w = RandomMatrix(m, k, seed);
  PruneOptions o;
  o.tile_rows = v;
  o.kept_cols = kept;
  o.permute.num_threads = 1;
  return PruneAndCompress(DenseView{w.data(), DType::kFloat32, m, k, k}, SaliencyView{}, o);
}

// io arrays stored as raw 16/32-bit elements; At/Set convert through float.
struct IoArray {
  DType d;
  std::vector<float> f32;
  std::vector<uint16_t> b16;
  IoArray(DType dt, size_t n) : d(dt) {
    if (d == DType::kFloat32) {
      f32.assign(n, 0);
    } else {
      b16.assign(n, 0);
    }
  }
  void* data() { return d == DType::kFloat32 ? static_cast<void*>(f32.data()) : b16.data(); }
  float at(size_t i) const { return d == DType::kFloat32 ? f32[i] : From16(b16[i], d); }
  void set(size_t i, float v) {
    if (d == DType::kFloat32) {
      f32[i] = v;
    } else {
      b16[i] = FloatTo16(v, d);
    }
  }
};

struct Problem {
  int64_t n = 5;
  Order b_order = Order::kFeatureMajor, c_order = Order::kFeatureMajor;
  DType io = DType::kFloat32;
  float alpha = 1, beta = 0;
  bool bias = false;
  RowOrder rows = RowOrder::kOriginal;
  int threads = 2;
  bool nan_in_c = false;
};

// Runs the reference and checks every C element (and that the ld gaps of C
// are untouched) against sum_k D[i][k] * B[k][j] in double.
void CheckAgainstNaive(const CompressedMatrix& a, const Problem& pr) {
  const int64_t M = a.layout.rows, K = a.layout.cols, N = pr.n;
  const bool bfm = pr.b_order == Order::kFeatureMajor, cfm = pr.c_order == Order::kFeatureMajor;
  const int64_t ldb = (bfm ? N : K) + 3, ldc = (cfm ? N : M) + 2;
  IoArray b(pr.io, static_cast<size_t>((bfm ? K : N) * ldb));
  IoArray c(pr.io, static_cast<size_t>((cfm ? M : N) * ldc));
  IoArray bias(pr.io, static_cast<size_t>(M));
  const std::vector<float> rb = RandomMatrix(1, static_cast<int64_t>(b.d == DType::kFloat32 ? b.f32.size() : b.b16.size()), 77);
  for (size_t i = 0; i < rb.size(); ++i) b.set(i, rb[i]);
  const std::vector<float> rc = RandomMatrix(1, static_cast<int64_t>(c.d == DType::kFloat32 ? c.f32.size() : c.b16.size()), 78);
  for (size_t i = 0; i < rc.size(); ++i) c.set(i, pr.nan_in_c ? std::numeric_limits<float>::quiet_NaN() : rc[i]);
  for (int64_t i = 0; i < M; ++i) bias.set(static_cast<size_t>(i), 0.25f * static_cast<float>(i % 7) - 0.5f);
  const IoArray c0 = c;

  std::vector<float> d(static_cast<size_t>(M * K));
  Decompress(a, d.data(), K);  // original row order

  SpmmArgs args;
  args.n = N;
  args.alpha = pr.alpha;
  args.beta = pr.beta;
  args.b = b.data();
  args.b_order = pr.b_order;
  args.ldb = ldb;
  args.c = c.data();
  args.c_order = pr.c_order;
  args.ldc = ldc;
  args.bias = pr.bias ? bias.data() : nullptr;
  args.io_dtype = pr.io;
  args.rows = pr.rows;
  SpmmReference(a, args, pr.threads);

  const double eps_io = pr.io == DType::kFloat32 ? 0 : pr.io == DType::kFloat16 ? 1.0 / 1024 : 1.0 / 128;
  std::vector<char> written(c0.f32.size() + c0.b16.size(), 0);
  for (int64_t p = 0; p < M; ++p) {
    const int64_t ch = a.original_row(p);                     // output channel
    const int64_t row = pr.rows == RowOrder::kOriginal ? ch : p;  // row of C
    for (int64_t j = 0; j < N; ++j) {
      double sum = 0, scale = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double bv = b.at(static_cast<size_t>(bfm ? k * ldb + j : j * ldb + k));
        sum += d[static_cast<size_t>(ch * K + k)] * bv;
        scale += std::fabs(d[static_cast<size_t>(ch * K + k)] * bv);
      }
      const size_t ci = static_cast<size_t>(cfm ? row * ldc + j : j * ldc + row);
      written[ci] = 1;
      double want = pr.alpha * sum;
      scale *= std::fabs(pr.alpha);
      if (pr.beta != 0) {
        want += pr.beta * static_cast<double>(c0.at(ci));
        scale += std::fabs(pr.beta * c0.at(ci));
      }
      if (pr.bias) {
        want += bias.at(static_cast<size_t>(ch));
        scale += std::fabs(bias.at(static_cast<size_t>(ch)));
      }
      const double got = c.at(ci);
      ASSERT_FALSE(std::isnan(got)) << p << "," << j;
      // fp32 accumulation: relative error < 1e-5 of the magnitude summed;
      // 16-bit io adds one output rounding.
      ASSERT_LE(std::fabs(got - want), 1e-5 * scale + eps_io * std::fabs(want) + 1e-30)
          << "row " << row << " token " << j << " want " << want << " got " << got;
    }
  }
  for (size_t i = 0; i < written.size(); ++i) {
    if (!written[i]) {
      const float before = c0.at(i), after = c.at(i);
      ASSERT_TRUE(before == after || (std::isnan(before) && std::isnan(after))) << "gap " << i << " modified";
    }
  }
}

struct Shape {
  int64_t m, k;
  int32_t v;
  int64_t kept;
};

class Orders : public ::testing::TestWithParam<std::tuple<Shape, Order, Order>> {};

TEST_P(Orders, MatchesFp64Product) {
  const Shape s = std::get<0>(GetParam());
  const CompressedMatrix a = Compress(s.m, s.k, s.v, s.kept, static_cast<uint32_t>(s.m + 3 * s.k));
  for (int64_t n : {1, 7, 33}) {
    Problem pr;
    pr.n = n;
    pr.b_order = std::get<1>(GetParam());
    pr.c_order = std::get<2>(GetParam());
    CheckAgainstNaive(a, pr);
  }
}

INSTANTIATE_TEST_SUITE_P(
    All, Orders,
    ::testing::Combine(::testing::Values(Shape{16, 8, 16, 4}, Shape{70, 45, 32, 24},
                                         Shape{128, 128, 64, 64}, Shape{33, 6, 16, 8}),
                       ::testing::Values(Order::kFeatureMajor, Order::kTokenMajor),
                       ::testing::Values(Order::kFeatureMajor, Order::kTokenMajor)));

TEST(Reference, AlphaBetaAndBias) {
  const CompressedMatrix a = Compress(50, 40, 16, 20, 4);
  Problem pr;
  pr.alpha = 0.75f;
  pr.beta = -1.5f;
  pr.bias = true;
  CheckAgainstNaive(a, pr);
  pr.c_order = Order::kTokenMajor;
  pr.alpha = -2.0f;
  pr.beta = 1.0f;
  CheckAgainstNaive(a, pr);
}

TEST(Reference, BetaZeroDoesNotReadC) {
  const CompressedMatrix a = Compress(40, 24, 16, 12, 5);
  Problem pr;
  pr.nan_in_c = true;  // NaN in C must be overwritten, not propagated
  pr.bias = true;
  CheckAgainstNaive(a, pr);
}

TEST(Reference, HalfAndBFloat16Io) {
  const CompressedMatrix a = Compress(48, 64, 16, 32, 6);
  for (DType io : {DType::kFloat16, DType::kBFloat16}) {
    Problem pr;
    pr.io = io;
    pr.n = 9;
    pr.alpha = 0.5f;
    pr.beta = 0.5f;
    pr.bias = true;
    pr.b_order = Order::kTokenMajor;
    CheckAgainstNaive(a, pr);
  }
}

TEST(Reference, RowOrderWithHandMadePermutation) {
  CompressedMatrix a = Compress(40, 20, 16, 12, 8);
  a.row_perm.resize(40);
  for (int32_t p = 0; p < 40; ++p) a.row_perm[static_cast<size_t>(p)] = (p * 17 + 3) % 40;
  ASSERT_NO_THROW(a.Validate());
  for (RowOrder r : {RowOrder::kOriginal, RowOrder::kPermuted}) {
    for (Order co : {Order::kFeatureMajor, Order::kTokenMajor}) {
      Problem pr;
      pr.rows = r;
      pr.c_order = co;
      pr.bias = true;
      CheckAgainstNaive(a, pr);
    }
  }
}

TEST(Reference, ThreadCountIsBitIdentical) {
  const CompressedMatrix a = Compress(300, 96, 32, 48, 9);
  const int64_t N = 17;
  const std::vector<float> b = RandomMatrix(96, N, 10);
  std::vector<float> c1(300 * N), c4(300 * N);
  SpmmArgs args;
  args.n = N;
  args.b = b.data();
  args.ldb = N;
  args.ldc = N;
  args.c = c1.data();
  SpmmReference(a, args, 1);
  args.c = c4.data();
  SpmmReference(a, args, 4);
  EXPECT_EQ(0, std::memcmp(c1.data(), c4.data(), c1.size() * sizeof(float)));
}

TEST(Reference, RejectsACorruptMatrixInsteadOfReadingOutOfBounds) {
  CompressedMatrix a = Compress(16, 8, 16, 4, 3);
  a.col_idx[0] = 1000;  // would index past B
  std::vector<float> b(8 * 2), c(16 * 2);
  SpmmArgs args;
  args.n = 2;
  args.b = b.data();
  args.ldb = 2;
  args.c = c.data();
  args.ldc = 2;
  EXPECT_EQ(StatusOf([&] { SpmmReference(a, args); }), Status::kInvalidValue);
}

TEST(Reference, EmptyProblemReturnsAtOnce) {
  const CompressedMatrix a = Compress(16, 8, 16, 4, 1);
  SpmmArgs args;
  args.n = 0;  // null b and c are fine: nothing is touched
  EXPECT_NO_THROW(SpmmReference(a, args));
}

TEST(Reference, ValidateSpmmArgsRejectsEachBadArgument) {
  const CompressedMatrix a = Compress(20, 12, 16, 8, 2);  // M 20, K 12
  std::vector<float> b(1000), c(1000);
  SpmmArgs good;
  good.n = 4;
  good.b = b.data();
  good.ldb = 4;
  good.c = c.data();
  good.ldc = 4;
  auto st = [&](auto mutate) {
    SpmmArgs x = good;
    mutate(x);
    return StatusOf([&] { ValidateSpmmArgs(a, x); });
  };
  EXPECT_EQ(st([](SpmmArgs&) {}), Status::kSuccess);
  EXPECT_EQ(st([](SpmmArgs& x) { x.n = -1; }), Status::kInvalidValue);
  EXPECT_EQ(st([](SpmmArgs& x) { x.b = nullptr; }), Status::kNullPointer);
  EXPECT_EQ(st([](SpmmArgs& x) { x.c = nullptr; }), Status::kNullPointer);
  EXPECT_EQ(st([](SpmmArgs& x) { x.ldb = 3; }), Status::kInvalidValue);  // K x N needs >= N
  EXPECT_EQ(st([](SpmmArgs& x) { x.ldc = 3; }), Status::kInvalidValue);
  EXPECT_EQ(st([](SpmmArgs& x) {
              x.b_order = Order::kTokenMajor;  // N x K needs >= K = 12
              x.ldb = 11;
            }),
            Status::kInvalidValue);
  EXPECT_EQ(st([](SpmmArgs& x) {
              x.b_order = Order::kTokenMajor;
              x.ldb = 12;
            }),
            Status::kSuccess);
  EXPECT_EQ(st([](SpmmArgs& x) {
              x.c_order = Order::kTokenMajor;  // N x M needs >= M = 20
              x.ldc = 19;
            }),
            Status::kInvalidValue);
  EXPECT_EQ(st([](SpmmArgs& x) { x.io_dtype = static_cast<DType>(4); }), Status::kInvalidDType);
  EXPECT_EQ(st([](SpmmArgs& x) { x.b_order = static_cast<Order>(2); }), Status::kInvalidValue);
  EXPECT_EQ(st([](SpmmArgs& x) { x.rows = static_cast<RowOrder>(5); }), Status::kInvalidValue);
  EXPECT_EQ(st([](SpmmArgs& x) {
              x.n = int64_t{1} << 62;
              x.ldb = int64_t{1} << 62;
              x.ldc = int64_t{1} << 62;
            }),
            Status::kSizeOverflow);
  CompressedMatrix broken = a;
  broken.values.pop_back();
  EXPECT_EQ(StatusOf([&] { ValidateSpmmArgs(broken, good); }), Status::kInvalidValue);
}

}  // namespace
}  // namespace hinm
