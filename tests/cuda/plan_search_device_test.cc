// The timed plan search on the GPU: every plan it may pick (kernel, tile
// config, K split) computes the product the CPU reference does (so whatever
// wins, the answer is right),
// the search leaves C as one SpMM call would (beta != 0: C saved and
// restored around the timed calls), it keeps to a caller's workspace, and it
// refuses a stream being captured. Fresh random problems; skipped without a
// GPU.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "cpp/hinm/compressed_matrix.h"
#include "cpp/hinm/dense.h"
#include "cpp/hinm/device_plan_search.h"
#include "cpp/hinm/dispatch.h"
#include "cpp/hinm/error.h"
#include "cpp/hinm/prune.h"
#include "cpp/hinm/reference.h"
#include "tests/cuda/gpu_test_util.h"

namespace {

using hinm::DType;
using hinm::Order;

struct Problem {
  int64_t m, k, n;
  double vector_sparsity;  // 0.5: 75%, 0.75: 87.5%
  DType dtype;
  Order b_order, c_order;
  float alpha, beta;
  bool bias;
  uint64_t seed;
};

std::string Name(const Problem& p) {
  return std::to_string(p.m) + "x" + std::to_string(p.k) + " N " + std::to_string(p.n) +
         " sp " + std::to_string(p.vector_sparsity) + " seed " + std::to_string(p.seed);
}

// One random problem: HiNM weights (random row permutation), B, C, bias on
// host and device, and the CPU reference's C.
struct Instance {
  hinm::CompressedMatrix a;
  std::unique_ptr<hinm::DeviceMatrix> dm;
  std::vector<uint16_t> hc, ref;
  std::unique_ptr<hinm_test::DeviceBuffer> db, dc, dbias;
  hinm::SpmmArgs args;  // device pointers

  explicit Instance(const Problem& p) {
    std::mt19937_64 rng(p.seed);
    std::vector<float> w(static_cast<size_t>(p.m * p.k));
    std::normal_distribution<float> gauss(0.f, 1.f);
    for (float& x : w) x = gauss(rng);
    hinm::PruneOptions opt;
    opt.tile_rows = 128;
    opt.kept_cols = hinm::KeptColsForSparsity(p.k, p.vector_sparsity);
    opt.value_dtype = p.dtype;
    a = hinm::PruneAndCompress(hinm::DenseView{w.data(), DType::kFloat32, p.m, p.k, p.k},
                               hinm::SaliencyView{}, opt);
    a.row_perm.resize(p.m);
    for (int64_t i = 0; i < p.m; ++i) a.row_perm[i] = static_cast<int32_t>(i);
    std::shuffle(a.row_perm.begin(), a.row_perm.end(), rng);
    a.Validate();
    const bool bfm = p.b_order == Order::kFeatureMajor, cfm = p.c_order == Order::kFeatureMajor;
    const std::vector<uint16_t> hb = hinm_test::Random16(p.k * p.n, p.dtype, rng);
    hc = hinm_test::Random16(p.m * p.n, p.dtype, rng);
    const std::vector<uint16_t> hbias = hinm_test::Random16(p.m, p.dtype, rng);
    args.n = p.n;
    args.alpha = p.alpha;
    args.beta = p.beta;
    args.b_order = p.b_order;
    args.ldb = bfm ? p.n : p.k;
    args.c_order = p.c_order;
    args.ldc = cfm ? p.n : p.m;
    args.io_dtype = p.dtype;
    ref = hc;
    hinm::SpmmArgs host = args;
    host.b = hb.data();
    host.c = ref.data();
    host.bias = p.bias ? hbias.data() : nullptr;
    hinm::SpmmReference(a, host);
    dm = hinm::DeviceMatrix::Upload(a, nullptr);
    db = std::make_unique<hinm_test::DeviceBuffer>(hb.size() * 2);
    dc = std::make_unique<hinm_test::DeviceBuffer>(hc.size() * 2);
    dbias = std::make_unique<hinm_test::DeviceBuffer>(hbias.size() * 2);
    db->Upload(hb);
    dbias->Upload(hbias);
    args.b = db->get();
    args.c = dc->get();
    args.bias = p.bias ? dbias->get() : nullptr;
  }

  // C on the device against the reference: fp32 accumulation in another
  // order, one 16-bit rounding.
  void ExpectMatchesReference(DType dt, const std::string& what) const {
    const std::vector<uint16_t> got = dc->Download<uint16_t>(hc.size());
    double scale = 1e-3, err = 0;
    for (size_t i = 0; i < got.size(); ++i) {
      const double r = hinm::From16(ref[i], dt), g = hinm::From16(got[i], dt);
      scale = std::max(scale, std::fabs(r));
      err = std::isfinite(g) ? std::max(err, std::fabs(g - r)) : INFINITY;
    }
    EXPECT_LT(err / scale, dt == DType::kFloat16 ? 2e-3 : 1.6e-2) << what;
  }
};

const Problem kProblems[] = {
    // narrow config (N <= 16), vector config (N = 1), mid (N <= 64); 75% and
    // 87.5%; both dtypes and orders; beta != 0 with bias.
    {1024, 4096, 16, 0.5, DType::kFloat16, Order::kFeatureMajor, Order::kFeatureMajor, 1, 0.5f, true, 31},
    {512, 8192, 1, 0.75, DType::kBFloat16, Order::kTokenMajor, Order::kFeatureMajor, 1.5f, -0.75f, true, 32},
    {768, 2048, 64, 0.5, DType::kFloat16, Order::kFeatureMajor, Order::kTokenMajor, 1, 0, false, 33},
    {1280, 4096, 7, 0.75, DType::kBFloat16, Order::kTokenMajor, Order::kTokenMajor, 0.5f, 1, true, 34},
    // Between decode and prefill the candidates span kernels and configs:
    // wide (the planner's), mid, narrow and, on sm_90, wgmma.sp at N = 128;
    // at N = 256 three tiles leave wgmma.sp's grid under half the SMs, so
    // the planner runs mma.sp wide with a split and wgmma.sp is a candidate.
    {512, 2048, 128, 0.5, DType::kFloat16, Order::kTokenMajor, Order::kFeatureMajor, 1, 0.25f, true, 35},
    {384, 4096, 256, 0.75, DType::kBFloat16, Order::kFeatureMajor, Order::kTokenMajor, 1, 0, false, 36},
};

TEST(PlanSearchDevice, EveryCandidateMatchesTheReference) {
  HINM_SKIP_WITHOUT_GPU();
  for (const Problem& p : kProblems) {
    SCOPED_TRACE(Name(p));
    Instance s(p);
    const std::vector<hinm::SpmmPlanChoice> cands = hinm::SpmmPlanCandidates(s.a, s.args);
    EXPECT_GT(cands.size(), 2u) << "these problems have plans to choose from";
    for (const hinm::SpmmPlanChoice& plan : cands) {
      const std::string what = hinm::SpmmPlanDescription(s.a, s.args, hinm::GpuKernel::kAuto, plan);
      s.dc->Upload(s.hc);
      hinm::SpmmDevice(s.a, *s.dm, s.args, nullptr, 0, nullptr, hinm::GpuKernel::kAuto, plan);
      HINM_CUDA_OK(cudaDeviceSynchronize());
      s.ExpectMatchesReference(p.dtype, what);
    }
  }
}

TEST(PlanSearchDevice, LeavesCAsOneCallAndPicksACandidate) {
  HINM_SKIP_WITHOUT_GPU();
  for (const Problem& p : kProblems) {
    SCOPED_TRACE(Name(p));
    Instance s(p);
    s.dc->Upload(s.hc);
    cudaStream_t stream = nullptr;
    HINM_CUDA_OK(cudaStreamCreate(&stream));
    const hinm::SpmmSearchResult r = hinm::SpmmSearch(s.a, *s.dm, s.args, nullptr, 0, stream);
    HINM_CUDA_OK(cudaStreamSynchronize(stream));
    HINM_CUDA_OK(cudaStreamDestroy(stream));
    s.ExpectMatchesReference(p.dtype, "after the search");
    const std::vector<hinm::SpmmPlanChoice> cands = hinm::SpmmPlanCandidates(s.a, s.args);
    EXPECT_EQ(r.candidates, static_cast<int>(cands.size()));
    EXPECT_TRUE(r.planned == cands[0]);
    EXPECT_NE(std::find(cands.begin(), cands.end(), r.best), cands.end());
    EXPECT_GT(r.planned_us, 0);
    EXPECT_GT(r.best_us, 0);
    EXPECT_LE(r.best_us, r.planned_us);
    if (!(r.best == r.planned)) {
      EXPECT_LT(r.best_us, 0.98 * r.planned_us);
    }
  }
}

// With the caller's workspace only plans that fit it are timed: sized for
// the planner's plan, the winner needs no more.
TEST(PlanSearchDevice, KeepsToTheCallersWorkspace) {
  HINM_SKIP_WITHOUT_GPU();
  const Problem& p = kProblems[0];
  Instance s(p);
  const size_t ws = hinm::SpmmWorkspaceSize(s.a, p.n, p.b_order, p.c_order);
  hinm_test::DeviceBuffer dws(std::max<size_t>(ws, 16));
  s.dc->Upload(s.hc);
  const hinm::SpmmSearchResult r = hinm::SpmmSearch(s.a, *s.dm, s.args, dws.get(), ws, nullptr);
  HINM_CUDA_OK(cudaDeviceSynchronize());
  s.ExpectMatchesReference(p.dtype, "after the search");
  EXPECT_LE(hinm::SpmmWorkspaceSize(s.a, p.n, p.b_order, p.c_order, hinm::GpuKernel::kAuto, r.best),
            ws);
  size_t fitting = 0;
  for (const hinm::SpmmPlanChoice& c : hinm::SpmmPlanCandidates(s.a, s.args))
    fitting += hinm::SpmmWorkspaceSize(s.a, p.n, p.b_order, p.c_order, hinm::GpuKernel::kAuto, c) <= ws;
  EXPECT_EQ(r.candidates, static_cast<int>(fitting));
}

TEST(PlanSearchDevice, RefusesACapturingStream) {
  HINM_SKIP_WITHOUT_GPU();
  const Problem& p = kProblems[0];
  Instance s(p);
  cudaStream_t stream = nullptr;
  HINM_CUDA_OK(cudaStreamCreate(&stream));
  HINM_CUDA_OK(cudaStreamBeginCapture(stream, cudaStreamCaptureModeThreadLocal));
  try {
    hinm::SpmmSearch(s.a, *s.dm, s.args, nullptr, 0, stream);
    ADD_FAILURE() << "searched while capturing";
  } catch (const hinm::Error& e) {
    EXPECT_EQ(e.status(), hinm::Status::kNotSupported) << e.what();
  }
  cudaGraph_t g = nullptr;
  HINM_CUDA_OK(cudaStreamEndCapture(stream, &g));
  if (g != nullptr) cudaGraphDestroy(g);
  HINM_CUDA_OK(cudaStreamDestroy(stream));
}

}  // namespace
