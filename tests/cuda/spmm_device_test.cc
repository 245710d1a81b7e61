// The GPU SpMM against an fp64 product of the same pruned weights and against
// the CPU reference (hinm::SpmmReference, computed from the same compressed
// arrays): fresh random problems over tails in M, N, K, V, sparsity, dtype,
// both B and C orders, alpha/beta (beta = 0 over NaN-poisoned C), bias, row
// permutation and both row orders. Also: every element written, nothing
// outside the logical C touched, bit-identical repeated runs, split-K.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <numeric>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "cpp/hinm/compressed_matrix.h"
#include "cpp/hinm/dense.h"
#include "cpp/hinm/dispatch.h"
#include "cpp/hinm/error.h"
#include "cpp/hinm/prune.h"
#include "cpp/hinm/reference.h"
#include "tests/cuda/gpu_test_util.h"
#include "tests/cuda/scoped_env.h"

namespace {

using hinm::DType;
using hinm::Order;
using hinm::RowOrder;

struct Case {
  int64_t m, k, n;
  int32_t v;
  double vector_sparsity;  // 0 -> plain 2:4 (50%), 0.5 -> 75%, ...
  DType dtype;
  Order b_order, c_order;
  int64_t ld_pad;          // extra elements in ldb and ldc
  float alpha, beta;
  bool bias, permute;
  RowOrder rows;
  uint64_t seed;
  int64_t b_offset = 0;    // B starts this many elements into its buffer
};

std::string Name(const Case& c) {
  std::ostringstream s;
  s << "m" << c.m << "_k" << c.k << "_n" << c.n << "_v" << c.v << "_s"
    << static_cast<int>(std::lround(100 * (0.5 + 0.5 * c.vector_sparsity)))
    << (c.dtype == DType::kFloat16 ? "_f16" : "_bf16")
    << (c.b_order == Order::kFeatureMajor ? "_bF" : "_bT")
    << (c.c_order == Order::kFeatureMajor ? "_cF" : "_cT") << "_ld" << c.ld_pad << "_a"
    << (c.alpha == 1 ? "1" : "x") << "_b" << (c.beta == 0 ? "0" : "x") << (c.bias ? "_bias" : "")
    << (c.permute ? (c.rows == RowOrder::kOriginal ? "_permO" : "_permP") : "") << "_" << c.seed;
  return s.str();
}

std::vector<Case> MakeCases() {
  std::vector<Case> cases;
  const int64_t ms[] = {16, 37, 64, 128, 200, 257, 96};
  const int64_t ks[] = {32, 45, 96, 130, 256, 515, 64};
  const int64_t ns[] = {1, 7, 16, 17, 64, 65, 128, 300, 2, 33};
  const int32_t vs[] = {32, 64, 128, 16, 48};
  const double sp[] = {0.0, 0.5, 0.75, 0.875};
  const float ab[][2] = {{1.f, 0.f}, {0.5f, 0.f}, {1.5f, -0.75f}, {1.f, 1.f}};
  // 32 combinations of dtype x B order x C order x sparsity, each 8 times
  // with random shapes and options.
  for (int i = 0; i < 256; ++i) {
    std::mt19937_64 rng(1000 + i);
    Case c;
    c.dtype = (i & 1) ? DType::kBFloat16 : DType::kFloat16;
    c.b_order = (i & 2) ? Order::kTokenMajor : Order::kFeatureMajor;
    c.c_order = (i & 4) ? Order::kTokenMajor : Order::kFeatureMajor;
    c.vector_sparsity = sp[(i >> 3) & 3];
    c.v = vs[(i >> 5) % 5 == 4 ? rng() % 5 : (i >> 5) % 5];
    c.m = ms[rng() % 7];
    c.k = ks[rng() % 7];
    c.n = ns[rng() % 10];
    c.ld_pad = (rng() % 3 == 0) ? 3 : ((rng() % 2) ? 8 : 0);
    const int abi = static_cast<int>(rng() % 4);
    c.alpha = ab[abi][0];
    c.beta = ab[abi][1];
    c.bias = rng() % 2;
    c.permute = rng() % 2;
    c.rows = (c.permute && rng() % 2) ? RowOrder::kPermuted : RowOrder::kOriginal;
    c.seed = 7 * i + 1;
    cases.push_back(c);
  }
  // Larger layers: many k-steps, many CTAs, split-K for small N.
  const Case big[] = {
      {1024, 2048, 64, 128, 0.5, DType::kFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 0, 1, 0, true, true, RowOrder::kOriginal, 11},
      {512, 4096, 1, 128, 0.75, DType::kFloat16, Order::kTokenMajor, Order::kTokenMajor, 0, 1, 0, false, false, RowOrder::kOriginal, 12},
      {768, 3072, 16, 64, 0.5, DType::kBFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 0, 1, 0.5f, true, true, RowOrder::kPermuted, 13},
      {300, 1000, 260, 32, 0.75, DType::kFloat16, Order::kTokenMajor, Order::kFeatureMajor, 0, 2, 0, false, true, RowOrder::kOriginal, 14},
      {64, 4096, 7, 64, 0.0, DType::kFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 0, 1, 0, true, false, RowOrder::kOriginal, 15},
      {2048, 1024, 513, 128, 0.875, DType::kBFloat16, Order::kFeatureMajor, Order::kTokenMajor, 0, 1, 0, false, false, RowOrder::kOriginal, 16},
      // More work units than SMs: the persistent wgmma.sp grid loops over
      // units (token tile 256, several per CTA) -- and the planner picks it
      // on sm_90.
      {5120, 256, 1000, 128, 0.5, DType::kFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 0, 1, 0, true, true, RowOrder::kOriginal, 17},
      {4352, 200, 777, 256, 0.75, DType::kBFloat16, Order::kTokenMajor, Order::kFeatureMajor, 8, 0.5f, 1.f, false, true, RowOrder::kPermuted, 18},
  };
  for (const Case& c : big) cases.push_back(c);
  return cases;
}

// True on a compute capability 9.0 device (the wgmma.sp kernel's target).
bool IsSm90() {
  int dev = 0, major = 0, minor = 0;
  if (cudaGetDevice(&dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev) != cudaSuccess ||
      cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev) != cudaSuccess) {
    cudaGetLastError();
    return false;
  }
  return major == 9 && minor == 0;
}

// One case through SpmmDevice with the given kernel choice, checked against
// fp64 and the CPU reference; the output (C with its ld padding) into *result
// if given.
void CheckCase(const Case& c, hinm::GpuKernel kernel,
               std::vector<uint16_t>* result = nullptr) {
  std::mt19937_64 rng(c.seed);
  const DType dt = c.dtype;

  // Weights -> HiNM (plus an optional random output permutation).
  std::vector<float> w(static_cast<size_t>(c.m * c.k));
  std::normal_distribution<float> gauss(0.f, 1.f);
  for (auto& x : w) x = gauss(rng);
  hinm::PruneOptions opt;
  opt.tile_rows = c.v;
  opt.kept_cols = hinm::KeptColsForSparsity(c.k, c.vector_sparsity);
  opt.value_dtype = dt;
  hinm::CompressedMatrix a = hinm::PruneAndCompress(
      hinm::DenseView{w.data(), DType::kFloat32, c.m, c.k, c.k}, hinm::SaliencyView{}, opt);
  if (c.permute) {
    a.row_perm.resize(c.m);
    std::iota(a.row_perm.begin(), a.row_perm.end(), 0);
    std::shuffle(a.row_perm.begin(), a.row_perm.end(), rng);
  }
  a.Validate();
  std::vector<float> dense(static_cast<size_t>(c.m * c.k));
  hinm::Decompress(a, dense.data(), c.k);

  // B, C (random for beta != 0, else NaN; ld padding always NaN), bias.
  const bool b_fm = c.b_order == Order::kFeatureMajor;
  const bool c_fm = c.c_order == Order::kFeatureMajor;
  const int64_t ldb = (b_fm ? c.n : c.k) + c.ld_pad;
  const int64_t ldc = (c_fm ? c.n : c.m) + c.ld_pad;
  const int64_t b_rows = b_fm ? c.k : c.n, c_rows = c_fm ? c.m : c.n;
  const int64_t c_cols = c_fm ? c.n : c.m;
  std::vector<uint16_t> hb = hinm_test::Random16(b_rows * ldb, dt, rng);
  std::vector<uint16_t> hc(c_rows * ldc, hinm_test::NaN16(dt));
  if (c.beta != 0) {
    std::vector<uint16_t> r = hinm_test::Random16(c_rows * ldc, dt, rng);
    for (int64_t i = 0; i < c_rows; ++i)
      for (int64_t j = 0; j < c_cols; ++j) hc[i * ldc + j] = r[i * ldc + j];
  }
  std::vector<uint16_t> hbias = hinm_test::Random16(c.m, dt, rng);
  auto bval = [&](int64_t kk, int64_t nn) {
    return static_cast<double>(hinm::From16(b_fm ? hb[kk * ldb + nn] : hb[nn * ldb + kk], dt));
  };
  auto cidx = [&](int64_t row, int64_t nn) { return c_fm ? row * ldc + nn : nn * ldc + row; };

  // fp64 product, in the row order the call writes.
  std::vector<double> exact(static_cast<size_t>(c.m * c.n));
  double scale = 0;
  for (int64_t p = 0; p < c.m; ++p) {
    const int64_t ch = a.original_row(p);
    const int64_t orow = c.rows == RowOrder::kOriginal ? ch : p;
    for (int64_t nn = 0; nn < c.n; ++nn) {
      double s = 0;
      for (int64_t kk = 0; kk < c.k; ++kk) {
        const float wv = dense[ch * c.k + kk];
        if (wv != 0.f) s += static_cast<double>(wv) * bval(kk, nn);
      }
      double r = c.alpha * s;
      if (c.beta != 0) r += c.beta * static_cast<double>(hinm::From16(hc[cidx(orow, nn)], dt));
      if (c.bias) r += hinm::From16(hbias[ch], dt);
      exact[orow * c.n + nn] = r;
      scale = std::max(scale, std::fabs(r));
    }
  }

  // CPU reference on the same arrays.
  std::vector<uint16_t> ref_c = hc;
  hinm::SpmmArgs args;
  args.n = c.n;
  args.alpha = c.alpha;
  args.beta = c.beta;
  args.b = hb.data();
  args.b_order = c.b_order;
  args.ldb = ldb;
  args.c = ref_c.data();
  args.c_order = c.c_order;
  args.ldc = ldc;
  args.bias = c.bias ? hbias.data() : nullptr;
  args.io_dtype = dt;
  args.rows = c.rows;
  hinm::SpmmReference(a, args);

  // GPU, twice (bit-identical).
  auto dm = hinm::DeviceMatrix::Upload(a, nullptr);
  hinm_test::DeviceBuffer db((hb.size() + c.b_offset) * 2), dc(hc.size() * 2),
      dbias(hbias.size() * 2);
  if (c.b_offset > 0) {
    std::vector<uint16_t> shifted(c.b_offset, hinm_test::NaN16(dt));
    shifted.insert(shifted.end(), hb.begin(), hb.end());
    db.Upload(shifted);
  } else {
    db.Upload(hb);
  }
  dbias.Upload(hbias);
  size_t ws = hinm::SpmmWorkspaceSize(a, c.n, c.b_order, c.c_order, kernel);
  hinm::SpmmArgs dargs = args;
  dargs.b = static_cast<uint16_t*>(db.get()) + c.b_offset;
  dargs.c = dc.get();
  dargs.bias = c.bias ? dbias.get() : nullptr;
  // Feature-major B with ldb not a multiple of 8 (but N is) cannot be read
  // with 16-byte copies: kMisaligned with the queried workspace, accepted
  // with room for a packed copy (K x round_up(N, 8) 16-bit, 256-aligned).
  const bool unaligned_fm = b_fm && ldb % 8 != 0 && c.n % 8 == 0;
  if (unaligned_fm) {
    hinm_test::DeviceBuffer small(std::max<size_t>(ws, 16));
    dc.Upload(hc);
    try {
      hinm::SpmmDevice(a, *dm, dargs, small.get(), ws, nullptr, kernel);
      ADD_FAILURE() << "unaligned feature-major B accepted without workspace room";
    } catch (const hinm::Error& e) {
      EXPECT_EQ(e.status(), hinm::Status::kMisaligned) << e.what();
    }
    ws += (static_cast<size_t>(c.k) * ((c.n + 7) / 8 * 8) * 2 + 255) / 256 * 256;
  }
  hinm_test::DeviceBuffer dws(std::max<size_t>(ws, 16));
  std::vector<uint16_t> out[2];
  for (int run = 0; run < 2; ++run) {
    dc.Upload(hc);
    hinm::SpmmDevice(a, *dm, dargs, dws.get(), ws, nullptr, kernel);
    HINM_CUDA_OK(cudaDeviceSynchronize());
    out[run] = dc.Download<uint16_t>(hc.size());
  }
  ASSERT_EQ(0, std::memcmp(out[0].data(), out[1].data(), hc.size() * 2))
      << "repeated runs differ";
  if (result != nullptr) *result = out[0];

  const double tol = dt == DType::kFloat16 ? 1e-3 : 8e-3;
  double max_err = 0, max_ref_diff = 0;
  int64_t unwritten = 0, touched = 0;
  for (int64_t i = 0; i < c_rows; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      const uint16_t got16 = out[0][i * ldc + j];
      if (j >= c_cols) {  // ld padding: must be untouched
        touched += got16 != hc[i * ldc + j];
        continue;
      }
      const int64_t row = c_fm ? i : j, nn = c_fm ? j : i;
      const double got = hinm::From16(got16, dt);
      if (!std::isfinite(got)) {
        ++unwritten;
        continue;
      }
      max_err = std::max(max_err, std::fabs(got - exact[row * c.n + nn]));
      max_ref_diff = std::max(
          max_ref_diff, std::fabs(got - hinm::From16(ref_c[i * ldc + j], dt)));
    }
  EXPECT_EQ(unwritten, 0) << "output elements not written (still NaN)";
  EXPECT_EQ(touched, 0) << "elements outside the logical C were modified";
  const double denom = std::max(scale, 1e-30);
  EXPECT_LT(max_err / denom, tol) << "max abs err " << max_err << " scale " << scale;
  // Both round the same fp32-accumulated sums: at most a couple of output ulps apart.
  EXPECT_LT(max_ref_diff / denom, 2 * tol) << "GPU vs CPU reference " << max_ref_diff;
}

class SpmmDeviceTest : public ::testing::TestWithParam<Case> {};

// The planner's choice (mma.sp for these N on every device; the larger cases
// reach the wgmma.sp kernel on sm_90).
TEST_P(SpmmDeviceTest, MatchesFp64AndReference) {
  HINM_SKIP_WITHOUT_GPU();
  CheckCase(GetParam(), hinm::GpuKernel::kAuto);
}

// The same cases forced through the sm_90a wgmma.sp kernel (every V, tails,
// orders, dtypes; V not a multiple of 128 exercises its idle row blocks).
TEST_P(SpmmDeviceTest, WgmmaSpMatchesFp64AndReference) {
  HINM_SKIP_WITHOUT_GPU();
  if (!IsSm90()) GTEST_SKIP() << "the wgmma.sp kernel runs on sm_90 devices only";
  CheckCase(GetParam(), hinm::GpuKernel::kWgmmaSp);
}

INSTANTIATE_TEST_SUITE_P(Shapes, SpmmDeviceTest, ::testing::ValuesIn(MakeCases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return Name(i.param); });

using hinm_test::ScopedEnv;

// V = 256: the wgmma.sp kernel's 256-row slices (both consumer
// warpgroups' two m64 groups read one B gather; HINM_SPMM_WGMMA_ROWS=256)
// and its 128-row slices (two CTAs per tile, each gathering B), both against
// fp64 and the CPU reference: tails in M (a partial last tile), K and N, both
// dtypes, orders, alpha/beta, bias, permutation in both row orders, plain 2:4,
// and more work units than SMs (the persistent loop).
TEST(SpmmDeviceWgmmaRows, BothSliceHeightsAtV256) {
  HINM_SKIP_WITHOUT_GPU();
  if (!IsSm90()) GTEST_SKIP() << "the wgmma.sp kernel runs on sm_90 devices only";
  const Case cases[] = {
      {1000, 700, 300, 256, 0.5, DType::kFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 0, 1, 0, true, true, RowOrder::kOriginal, 41},
      {768, 512, 129, 256, 0.75, DType::kBFloat16, Order::kTokenMajor, Order::kFeatureMajor, 8, 0.5f, 1.f, false, true, RowOrder::kPermuted, 42},
      {1100, 1030, 64, 256, 0.875, DType::kFloat16, Order::kFeatureMajor, Order::kTokenMajor, 3, 1.5f, -0.75f, true, false, RowOrder::kOriginal, 43},
      {256, 64, 7, 256, 0.0, DType::kBFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 0, 1, 0, true, true, RowOrder::kOriginal, 44},
      {4096, 256, 1100, 256, 0.75, DType::kFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 0, 1, 0, true, true, RowOrder::kOriginal, 45},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(Name(c));
    for (const char* rows : {"256", "128"}) {
      SCOPED_TRACE(std::string("HINM_SPMM_WGMMA_ROWS=") + rows);
      ScopedEnv knob("HINM_SPMM_WGMMA_ROWS", rows);
      CheckCase(c, hinm::GpuKernel::kWgmmaSp);
    }
  }
}

// Runs c on the mma.sp kernel at split_count K splits, summed in a cluster
// (sm_90; partials elsewhere) and through partials + the reduce kernel:
// both against fp64 and the CPU reference, and the same bits from both.
void ExpectSplitPathsAgree(const Case& c, const char* split_count) {
  SCOPED_TRACE(std::string("splits ") + split_count);
  ScopedEnv splits("HINM_SPMM_SPLITS", split_count);
  std::vector<uint16_t> cluster, partials;
  CheckCase(c, hinm::GpuKernel::kMmaSp, &cluster);
  {
    ScopedEnv off("HINM_SPMM_CLUSTER_REDUCE", "0");
    CheckCase(c, hinm::GpuKernel::kMmaSp, &partials);
  }
  ASSERT_EQ(cluster.size(), partials.size());
  EXPECT_EQ(0, std::memcmp(cluster.data(), partials.data(), cluster.size() * 2))
      << "the two split-K paths differ";
}

// Decode-size problems split K. On sm_90 the splits of a tile slice run as
// one thread block cluster and sum through distributed shared memory (no
// partials: the workspace query says 0 for aligned feature-major B);
// HINM_SPMM_CLUSTER_REDUCE=0 selects the partials + reduce-kernel path. Both
// paths against fp64 and the CPU reference, and the same bits from both for
// the same split count (both sum the splits in order from 0).
TEST(SpmmDeviceSplitK, ClusterAndReduceKernelPathsAgree) {
  HINM_SKIP_WITHOUT_GPU();
  const Case cases[] = {
      // narrow (N <= 16) and mid (N <= 64) configs, both dtypes and C orders,
      // alpha/beta, bias, permutation in both row orders, a partial last tile
      {1024, 2048, 16, 128, 0.5, DType::kFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 0, 1, 0, false, false, RowOrder::kOriginal, 21},
      {1000, 1536, 1, 128, 0.75, DType::kBFloat16, Order::kFeatureMajor, Order::kTokenMajor, 0, 1.5f, -0.75f, true, true, RowOrder::kOriginal, 22},
      {640, 4096, 7, 64, 0.5, DType::kFloat16, Order::kTokenMajor, Order::kFeatureMajor, 3, 0.5f, 1.f, true, true, RowOrder::kPermuted, 23},
      {768, 2048, 64, 128, 0.875, DType::kFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 8, 1, 0, true, false, RowOrder::kOriginal, 24},
      {300, 1000, 33, 32, 0.0, DType::kBFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 0, 1, 1.f, false, true, RowOrder::kOriginal, 25},
  };
  // 3 splits: a cluster rank's rows (43) are not a multiple of the rows one
  // round of the reduction covers; 4: they are. 6 and 8: clusters of the
  // _c8 configs (narrow, vector; two batches of ranks), mid through partials.
  for (const char* split_count : {"3", "4", "6", "8"}) {
    for (const Case& c : cases) {
      SCOPED_TRACE(Name(c));
      const bool clustered = std::atoi(split_count) <= 4 || c.n <= 16;
      if (IsSm90() && clustered && c.b_order == Order::kFeatureMajor && c.ld_pad % 8 == 0 &&
          c.n % 8 == 0) {
        ScopedEnv splits("HINM_SPMM_SPLITS", split_count);
        std::vector<float> w(static_cast<size_t>(c.m * c.k), 1.f);
        hinm::PruneOptions opt;
        opt.tile_rows = c.v;
        opt.kept_cols = hinm::KeptColsForSparsity(c.k, c.vector_sparsity);
        opt.value_dtype = c.dtype;
        const hinm::CompressedMatrix a = hinm::PruneAndCompress(
            hinm::DenseView{w.data(), DType::kFloat32, c.m, c.k, c.k}, hinm::SaliencyView{}, opt);
        EXPECT_EQ(hinm::SpmmWorkspaceSize(a, c.n, c.b_order, c.c_order), 0u)
            << "split-K on sm_90 should need no partials";
        ScopedEnv off("HINM_SPMM_CLUSTER_REDUCE", "0");
        EXPECT_GT(hinm::SpmmWorkspaceSize(a, c.n, c.b_order, c.c_order), 0u);
      }
      ExpectSplitPathsAgree(c, split_count);
    }
  }
}

// N = 1 can read B's one column in place (the vector config: no B pack,
// k-loop rotation; forced here with HINM_SPMM_VECTOR_B=1, the planner
// chooses it at N = 1 on sm_90 only) at any element stride: feature-major ldb
// 1, 4, 9, token-major rows; K with B's last element in the lower half of its
// 4-byte pair (45 elements), so a whole-pair read would run past the buffer
// (memcheck sees that); padding slots (K_keep not a multiple of 32); both
// dtypes, alpha/beta, bias, permutation, both C orders; split K through the
// cluster sum and through partials (the same bits from both). Each case also
// runs with the vector config off (HINM_SPMM_VECTOR_B=0: B packed, narrow
// config) and with B 2 bytes off 4-byte alignment (read in place, its pairs
// shifted: the last element of the 45-element column then sits in an upper
// half); all against fp64 and the CPU reference.
TEST(SpmmDeviceVectorB, MatchesFp64AtAnyStride) {
  HINM_SKIP_WITHOUT_GPU();
  const Case cases[] = {
      {256, 45, 1, 32, 0.5, DType::kFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 0, 1, 0, false, false, RowOrder::kOriginal, 31},
      {200, 515, 1, 64, 0.75, DType::kBFloat16, Order::kFeatureMajor, Order::kTokenMajor, 3, 1.5f, -0.75f, true, true, RowOrder::kOriginal, 32},
      {257, 1000, 1, 128, 0.875, DType::kFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 8, 0.5f, 1.f, true, true, RowOrder::kPermuted, 33},
      {1000, 1536, 1, 128, 0.5, DType::kFloat16, Order::kTokenMajor, Order::kFeatureMajor, 8, 1, 0, false, true, RowOrder::kOriginal, 34},
      {96, 130, 1, 16, 0.0, DType::kBFloat16, Order::kTokenMajor, Order::kTokenMajor, 0, 1, 1.f, true, false, RowOrder::kOriginal, 35},
      {512, 4096, 1, 128, 0.75, DType::kFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 0, 1, 0, true, false, RowOrder::kOriginal, 36},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(Name(c));
    ScopedEnv vector("HINM_SPMM_VECTOR_B", "1");
    CheckCase(c, hinm::GpuKernel::kAuto);
    {
      ScopedEnv off("HINM_SPMM_VECTOR_B", "0");
      CheckCase(c, hinm::GpuKernel::kAuto);
    }
    Case shifted = c;
    shifted.b_offset = 1;
    CheckCase(shifted, hinm::GpuKernel::kAuto);
    for (const char* split_count : {"3", "4"}) ExpectSplitPathsAgree(c, split_count);
  }
}

// A feature-major B that is not 16-byte aligned, with no workspace room for
// a packed copy, is refused with kMisaligned (not read misaligned).
TEST(SpmmDeviceErrors, MisalignedBWithoutWorkspaceIsRefused) {
  HINM_SKIP_WITHOUT_GPU();
  std::vector<float> w(64 * 64, 1.f);
  hinm::PruneOptions opt;
  opt.tile_rows = 32;
  opt.kept_cols = 32;
  const hinm::CompressedMatrix a = hinm::PruneAndCompress(
      hinm::DenseView{w.data(), DType::kFloat32, 64, 64, 64}, hinm::SaliencyView{}, opt);
  auto dm = hinm::DeviceMatrix::Upload(a, nullptr);
  hinm_test::DeviceBuffer db(64 * 16 * 2 + 16), dc(64 * 16 * 2);
  ASSERT_EQ(hinm::SpmmWorkspaceSize(a, 16, Order::kFeatureMajor, Order::kFeatureMajor) % 16, 0u);
  hinm::SpmmArgs args;
  args.n = 16;
  args.b = static_cast<char*>(db.get()) + 2;  // element-aligned, not 16-byte aligned
  args.ldb = 16;
  args.c = dc.get();
  args.ldc = 16;
  args.io_dtype = DType::kFloat16;
  const size_t ws = hinm::SpmmWorkspaceSize(a, 16, Order::kFeatureMajor, Order::kFeatureMajor);
  hinm_test::DeviceBuffer dws(std::max<size_t>(ws, 16));
  try {
    hinm::SpmmDevice(a, *dm, args, dws.get(), ws, nullptr);
    // Allowed only if the planner's workspace had room for a packed B.
    HINM_CUDA_OK(cudaDeviceSynchronize());
    EXPECT_GT(ws, 0u);
  } catch (const hinm::Error& e) {
    EXPECT_EQ(e.status(), hinm::Status::kMisaligned) << e.what();
  }
}

TEST(SpmmDeviceErrors, IoTypeMustMatchValues) {
  HINM_SKIP_WITHOUT_GPU();
  std::vector<float> w(32 * 32, 1.f);
  hinm::PruneOptions opt;
  opt.tile_rows = 32;
  opt.kept_cols = 32;
  const hinm::CompressedMatrix a = hinm::PruneAndCompress(
      hinm::DenseView{w.data(), DType::kFloat32, 32, 32, 32}, hinm::SaliencyView{}, opt);
  auto dm = hinm::DeviceMatrix::Upload(a, nullptr);
  hinm_test::DeviceBuffer db(32 * 8 * 2), dc(32 * 8 * 2);
  hinm::SpmmArgs args;
  args.n = 8;
  args.b = db.get();
  args.ldb = 8;
  args.c = dc.get();
  args.ldc = 8;
  args.io_dtype = DType::kBFloat16;
  try {
    hinm::SpmmDevice(a, *dm, args, nullptr, 0, nullptr);
    ADD_FAILURE() << "bf16 io with fp16 values was accepted";
  } catch (const hinm::Error& e) {
    EXPECT_EQ(e.status(), hinm::Status::kInvalidDType) << e.what();
  }
}

// Without a GPU (CI), the device entry points report kNoDevice, never crash.
TEST(SpmmDeviceErrors, NoDeviceIsReported) {
  if (hinm::HasDevice()) GTEST_SKIP() << "a CUDA device exists: the no-device path is not reachable";
  std::vector<float> w(32 * 32, 1.f);
  hinm::PruneOptions opt;
  opt.tile_rows = 32;
  opt.kept_cols = 32;
  const hinm::CompressedMatrix a = hinm::PruneAndCompress(
      hinm::DenseView{w.data(), DType::kFloat32, 32, 32, 32}, hinm::SaliencyView{}, opt);
  try {
    hinm::DeviceMatrix::Upload(a, nullptr);
    ADD_FAILURE() << "Upload succeeded without a device";
  } catch (const hinm::Error& e) {
    EXPECT_EQ(e.status(), hinm::Status::kNoDevice) << e.what();
  }
  hinm::GpuContext ctx;
  try {
    ctx.cublas();
    ADD_FAILURE() << "cuBLAS handle created without a device";
  } catch (const hinm::Error& e) {
    EXPECT_EQ(e.status(), hinm::Status::kNoDevice) << e.what();
  }
}

}  // namespace
