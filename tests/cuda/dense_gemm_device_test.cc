// DenseGemmDevice (cuBLAS, the hinmDenseGemm path) against an fp64 product,
// all four B/C order combinations, both dtypes, padded leading dimensions.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include "cpp/hinm/dense.h"
#include "cpp/hinm/dispatch.h"
#include "cpp/hinm/error.h"
#include "tests/cuda/gpu_test_util.h"

namespace {

using hinm::DType;
using hinm::Order;

void CheckGemm(int64_t m, int64_t n, int64_t k, DType dt, Order bo, Order co, float alpha,
               float beta, uint64_t seed) {
  std::mt19937_64 rng(seed);
  const bool b_fm = bo == Order::kFeatureMajor, c_fm = co == Order::kFeatureMajor;
  const int64_t lda = k + 3, ldb = (b_fm ? n : k) + 5, ldc = (c_fm ? n : m) + 2;
  const int64_t b_rows = b_fm ? k : n, c_rows = c_fm ? m : n;
  auto ha = hinm_test::Random16(m * lda, dt, rng);
  auto hb = hinm_test::Random16(b_rows * ldb, dt, rng);
  auto hc = beta != 0 ? hinm_test::Random16(c_rows * ldc, dt, rng)
                      : std::vector<uint16_t>(c_rows * ldc, hinm_test::NaN16(dt));
  hinm_test::DeviceBuffer da(ha.size() * 2), db(hb.size() * 2), dc(hc.size() * 2);
  da.Upload(ha);
  db.Upload(hb);
  dc.Upload(hc);
  hinm::GpuContext ctx;
  hinm::DenseGemmDevice(ctx, m, n, k, alpha, da.get(), lda, db.get(), bo, ldb, beta, dc.get(), co,
                        ldc, dt, nullptr);
  HINM_CUDA_OK(cudaDeviceSynchronize());
  const auto out = dc.Download<uint16_t>(hc.size());
  double max_err = 0, scale = 0;
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j) {
      double s = 0;
      for (int64_t kk = 0; kk < k; ++kk)
        s += static_cast<double>(hinm::From16(ha[i * lda + kk], dt)) *
             hinm::From16(b_fm ? hb[kk * ldb + j] : hb[j * ldb + kk], dt);
      const int64_t ci = c_fm ? i * ldc + j : j * ldc + i;
      double r = alpha * s;
      if (beta != 0) r += beta * static_cast<double>(hinm::From16(hc[ci], dt));
      const double got = hinm::From16(out[ci], dt);
      ASSERT_TRUE(std::isfinite(got)) << "C(" << i << "," << j << ") not written";
      max_err = std::max(max_err, std::fabs(got - r));
      scale = std::max(scale, std::fabs(r));
    }
  EXPECT_LT(max_err / std::max(scale, 1e-30), dt == DType::kFloat16 ? 1e-3 : 8e-3);
}

TEST(DenseGemmDevice, AllOrdersAndDtypes) {
  HINM_SKIP_WITHOUT_GPU();
  uint64_t seed = 1;
  for (DType dt : {DType::kFloat16, DType::kBFloat16})
    for (Order bo : {Order::kFeatureMajor, Order::kTokenMajor})
      for (Order co : {Order::kFeatureMajor, Order::kTokenMajor}) {
        CheckGemm(37, 19, 70, dt, bo, co, 1.f, 0.f, seed++);
        CheckGemm(128, 1, 256, dt, bo, co, 0.5f, 1.5f, seed++);
        CheckGemm(200, 64, 33, dt, bo, co, 2.f, -1.f, seed++);
      }
}

TEST(DenseGemmDevice, RejectsBadArguments) {
  hinm::GpuContext ctx;
  // Checked before any device access, so this runs everywhere.
  try {
    hinm::DenseGemmDevice(ctx, 4, 4, 4, 1.f, nullptr, 4, nullptr, Order::kFeatureMajor, 4, 0.f,
                          nullptr, Order::kFeatureMajor, 4, DType::kFloat16, nullptr);
    ADD_FAILURE() << "null pointers accepted";
  } catch (const hinm::Error& e) {
    EXPECT_EQ(e.status(), hinm::Status::kNullPointer);
  }
  int dummy = 0;
  try {
    hinm::DenseGemmDevice(ctx, 4, 4, 4, 1.f, &dummy, 4, &dummy, Order::kFeatureMajor, 4, 0.f,
                          &dummy, Order::kFeatureMajor, 4, DType::kFloat32, nullptr);
    ADD_FAILURE() << "fp32 accepted";
  } catch (const hinm::Error& e) {
    EXPECT_EQ(e.status(), hinm::Status::kInvalidDType);
  }
  try {
    hinm::DenseGemmDevice(ctx, 4, 4, 8, 1.f, &dummy, 4, &dummy, Order::kFeatureMajor, 4, 0.f,
                          &dummy, Order::kFeatureMajor, 4, DType::kFloat16, nullptr);
    ADD_FAILURE() << "lda < k accepted";
  } catch (const hinm::Error& e) {
    EXPECT_EQ(e.status(), hinm::Status::kInvalidValue);
  }
}

}  // namespace
