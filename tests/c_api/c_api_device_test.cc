// The C API's GPU entries end to end (skipped without a device): lazy
// upload, hinmSpMM against hinmSpMMHost, a descriptor shared by threads with
// their own handles, the plan search (and its plans through save/load), and
// hinmDenseGemm against an fp64 product. The kernels' own exhaustive tests
// live in tests/cuda; this pins the shim's plumbing.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "hinm/hinm.h"
#include "tests/c_api/serialized_bytes.h"

namespace {

using hinm_capi_test::SerializedBytes;

#define ASSERT_OK(call)                                                                     \
  do {                                                                                      \
    const hinmStatus_t s_ = (call);                                                         \
    ASSERT_EQ(s_, HINM_STATUS_SUCCESS) << hinmGetErrorName(s_) << ": "                      \
                                       << hinmGetLastErrorMessage();                        \
  } while (0)

// fp16 bits of k/64 for |k| <= 64 (exact), and fp16 -> float.
uint16_t Half(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  if ((b & 0x7fffffff) == 0) return static_cast<uint16_t>((b >> 16) & 0x8000);
  return static_cast<uint16_t>(((b >> 16) & 0x8000) | ((((b >> 23) & 0xff) - 112) << 10) |
                               ((b >> 13) & 0x3ff));
}
float FromHalf(uint16_t h) {
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  const float mag = e == 0 ? std::ldexp(static_cast<float>(m), -24)
                           : std::ldexp(static_cast<float>(m | 0x400), e - 25);
  return (h & 0x8000) ? -mag : mag;
}

template <typename T>
struct DeviceArray {
  explicit DeviceArray(const std::vector<T>& host) : n(host.size()) {
    EXPECT_EQ(cudaMalloc(reinterpret_cast<void**>(&p), n * sizeof(T)), cudaSuccess);
    EXPECT_EQ(cudaMemcpy(p, host.data(), n * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
  }
  ~DeviceArray() { cudaFree(p); }
  std::vector<T> Get() const {
    std::vector<T> out(n);
    EXPECT_EQ(cudaMemcpy(out.data(), p, n * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
    return out;
  }
  T* p = nullptr;
  size_t n;
};

// `count` values k/64 with |k| <= 64 from rng, exact in fp16: as fp32 for
// the host and as fp16 bits for the device.
struct ExactValues {
  std::vector<float> f32;
  std::vector<uint16_t> f16;
};
ExactValues RandomExact(size_t count, std::mt19937& rng) {
  std::uniform_int_distribution<int> k64(-64, 64);
  ExactValues v{std::vector<float>(count), std::vector<uint16_t>(count)};
  for (size_t i = 0; i < count; ++i) v.f16[i] = Half(v.f32[i] = k64(rng) / 64.0f);
  return v;
}

// C (fp16 bits) against the host's fp32 product: within fp16 rounding of
// each entry plus 1e-4 of the largest.
void ExpectNearHost(const std::vector<uint16_t>& c, const std::vector<float>& ref,
                    const char* what) {
  ASSERT_EQ(c.size(), ref.size()) << what;
  double max_ref = 0;
  for (float v : ref) max_ref = std::max(max_ref, std::fabs(static_cast<double>(v)));
  int bad = 0;
  for (size_t i = 0; i < c.size(); ++i) {
    const double d = std::fabs(FromHalf(c[i]) - ref[i]);
    if (!(d <= std::ldexp(1.0, -10) * std::fabs(ref[i]) + 1e-4 * max_ref) && ++bad < 4)
      ADD_FAILURE() << what << ": C[" << i << "] = " << FromHalf(c[i]) << ", host " << ref[i];
  }
  EXPECT_EQ(bad, 0) << what;
}

// The plan search tests' layer: 1024 x 4096 at 75% (V = 128), a decode
// shape where the search has splits to choose from; normal weights from rng.
constexpr int64_t kSearchM = 1024, kSearchK = 4096;
hinmStatus_t CreateSearchLayer(hinmHandle_t h, hinmDescriptor_t* a, std::mt19937& rng) {
  std::normal_distribution<float> normal;
  std::vector<float> w(kSearchM * kSearchK);
  for (float& v : w) v = normal(rng);
  hinmPruneConfig_t cfg;
  const hinmStatus_t s = hinmPruneConfigInit(&cfg);
  if (s != HINM_STATUS_SUCCESS) return s;
  cfg.tile_rows = 128;
  cfg.vector_sparsity = 0.5;  // 75%
  return hinmCreateDescriptor(h, a, kSearchM, kSearchK, w.data(), HINM_R_32F, kSearchK, nullptr,
                              0, &cfg);
}

class CApiDevice : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(hinmCreate(&h_));
    int32_t has = 0;
    ASSERT_OK(hinmHasDevice(h_, &has));
    if (!has) GTEST_SKIP() << "no CUDA device";
  }
  void TearDown() override { hinmDestroy(h_); }
  hinmHandle_t h_ = nullptr;
};

TEST_F(CApiDevice, SpmmMatchesHostForBothOrdersAndRowOrders) {
  const int64_t M = 200, K = 136, N = 40;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> w(M * K);
  for (float& v : w) v = normal(rng);
  hinmPruneConfig_t cfg;
  ASSERT_OK(hinmPruneConfigInit(&cfg));
  cfg.tile_rows = 64;
  cfg.permute = HINM_PERMUTE_BOTH;
  hinmDescriptor_t a = nullptr;
  ASSERT_OK(hinmCreateDescriptor(h_, &a, M, K, w.data(), HINM_R_32F, K, nullptr, 0, &cfg));
  ASSERT_OK(hinmDescriptorToDevice(h_, a, nullptr));
  for (hinmOrder_t order : {HINM_ORDER_FEATURE_MAJOR, HINM_ORDER_TOKEN_MAJOR}) {
    for (hinmRowOrder_t rows : {HINM_ROWS_ORIGINAL, HINM_ROWS_PERMUTED}) {
      const bool fm = order == HINM_ORDER_FEATURE_MAJOR;
      const int64_t ldb = fm ? N : K, ldc = fm ? N : M;
      const ExactValues bv = RandomExact(K * N, rng), biasv = RandomExact(M, rng);
      const float alpha = 1.0f, beta = 0.0f;
      std::vector<float> ref(M * N, 0.0f);
      ASSERT_OK(hinmSpMMHost(h_, a, N, &alpha, bv.f32.data(), order, ldb, &beta, ref.data(), order,
                             ldc, biasv.f32.data(), HINM_R_32F, rows));
      size_t ws = 0;
      ASSERT_OK(hinmSpMMWorkspaceSize(h_, a, N, order, order, &ws));
      DeviceArray<uint16_t> db(bv.f16), dbias(biasv.f16), dc(std::vector<uint16_t>(M * N, 0));
      DeviceArray<uint8_t> dws(std::vector<uint8_t>(ws + 1));
      ASSERT_OK(hinmSpMM(h_, a, N, &alpha, db.p, order, ldb, &beta, dc.p, order, ldc, dbias.p,
                         HINM_R_16F, rows, dws.p, ws, nullptr));
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      const std::vector<uint16_t> c = dc.Get();
      double max_ref = 0;
      for (float v : ref) max_ref = std::max(max_ref, std::fabs(static_cast<double>(v)));
      int bad = 0;
      for (size_t i = 0; i < c.size(); ++i) {
        const double d = std::fabs(FromHalf(c[i]) - ref[i]);
        if (!(d <= std::ldexp(1.0, -10) * std::fabs(ref[i]) + 1e-5 * max_ref) && ++bad < 4) {
          ADD_FAILURE() << "order " << order << " rows " << rows << " C[" << i
                        << "] = " << FromHalf(c[i]) << ", host " << ref[i];
        }
      }
      EXPECT_EQ(bad, 0);
    }
  }
  ASSERT_OK(hinmDestroyDescriptor(a));
}

TEST_F(CApiDevice, DescriptorSharedByThreadsUploadsOnce) {
  const int64_t M = 128, K = 128, N = 64;
  std::vector<float> w(M * K);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::sin(static_cast<float>(i));
  hinmDescriptor_t a = nullptr;
  ASSERT_OK(hinmCreateDescriptor(h_, &a, M, K, w.data(), HINM_R_32F, K, nullptr, 0, nullptr));
  std::vector<uint16_t> b16(K * N);
  for (size_t i = 0; i < b16.size(); ++i) b16[i] = Half(static_cast<int>(i % 9 - 4) / 64.0f);
  DeviceArray<uint16_t> db(b16);
  std::vector<std::vector<uint16_t>> out(4);
  std::vector<hinmStatus_t> st(4, HINM_STATUS_INTERNAL_ERROR);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      hinmHandle_t h = nullptr;
      hinmCreate(&h);
      uint16_t* c = nullptr;
      cudaMalloc(reinterpret_cast<void**>(&c), M * N * 2);
      const float one = 1, zero = 0;
      size_t ws = 0;
      hinmSpMMWorkspaceSize(h, a, N, HINM_ORDER_FEATURE_MAJOR, HINM_ORDER_FEATURE_MAJOR, &ws);
      void* dws = nullptr;
      if (ws) cudaMalloc(&dws, ws);
      // First use uploads (lazily, under the descriptor's lock).
      st[t] = hinmSpMM(h, a, N, &one, db.p, HINM_ORDER_FEATURE_MAJOR, N, &zero, c,
                       HINM_ORDER_FEATURE_MAJOR, N, nullptr, HINM_R_16F, HINM_ROWS_ORIGINAL, dws,
                       ws, nullptr);
      cudaDeviceSynchronize();
      out[t].resize(M * N);
      cudaMemcpy(out[t].data(), c, M * N * 2, cudaMemcpyDeviceToHost);
      cudaFree(c);
      cudaFree(dws);
      hinmDestroy(h);
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(st[t], HINM_STATUS_SUCCESS) << t;
    EXPECT_EQ(out[t], out[0]) << t;
  }
  ASSERT_OK(hinmDestroyDescriptor(a));
}

// workspace = NULL, size 0: the library takes the workspace from CUDA's
// stream-ordered pool. Same bits as with a caller's buffer. Small N on a
// narrow layer is where the split-K plan needs a workspace.
TEST_F(CApiDevice, LibraryAllocatedWorkspaceGivesSameBitsAsCallers) {
  const int64_t M = 256, K = 512;
  std::vector<float> w(M * K);
  for (size_t i = 0; i < w.size(); ++i) w[i] = std::cos(0.37f * static_cast<float>(i));
  hinmDescriptor_t a = nullptr;
  ASSERT_OK(hinmCreateDescriptor(h_, &a, M, K, w.data(), HINM_R_32F, K, nullptr, 0, nullptr));
  bool some_needed_workspace = false;
  for (int64_t N : {1, 16, 100}) {
    std::vector<uint16_t> b16(K * N);
    for (size_t i = 0; i < b16.size(); ++i) b16[i] = Half(static_cast<int>(i % 17 - 8) / 64.0f);
    DeviceArray<uint16_t> db(b16), c_caller(std::vector<uint16_t>(M * N, 0x7e00)),
        c_library(std::vector<uint16_t>(M * N, 0x7e00));
    size_t ws = 0;
    ASSERT_OK(hinmSpMMWorkspaceSize(h_, a, N, HINM_ORDER_FEATURE_MAJOR, HINM_ORDER_FEATURE_MAJOR,
                                    &ws));
    some_needed_workspace |= ws > 0;
    DeviceArray<uint8_t> dws(std::vector<uint8_t>(ws + 16));
    const float one = 1, zero = 0;
    ASSERT_OK(hinmSpMM(h_, a, N, &one, db.p, HINM_ORDER_FEATURE_MAJOR, N, &zero, c_caller.p,
                       HINM_ORDER_FEATURE_MAJOR, N, nullptr, HINM_R_16F, HINM_ROWS_ORIGINAL,
                       dws.p, ws, nullptr));
    ASSERT_OK(hinmSpMM(h_, a, N, &one, db.p, HINM_ORDER_FEATURE_MAJOR, N, &zero, c_library.p,
                       HINM_ORDER_FEATURE_MAJOR, N, nullptr, HINM_R_16F, HINM_ROWS_ORIGINAL,
                       nullptr, 0, nullptr));
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    EXPECT_EQ(c_caller.Get(), c_library.Get()) << "N = " << N;
    // A caller buffer that is too small is still an error, not a reallocation.
    if (ws > 0) {
      EXPECT_EQ(hinmSpMM(h_, a, N, &one, db.p, HINM_ORDER_FEATURE_MAJOR, N, &zero, c_library.p,
                         HINM_ORDER_FEATURE_MAJOR, N, nullptr, HINM_R_16F, HINM_ROWS_ORIGINAL,
                         dws.p, ws - 1, nullptr),
                HINM_STATUS_INVALID_VALUE);
    }
  }
  EXPECT_TRUE(some_needed_workspace) << "no N in this test exercised the library's workspace";
  ASSERT_OK(hinmDestroyDescriptor(a));
}

// hinmSpMMSearch computes what hinmSpMM does (C saved and restored around
// its timed calls: beta != 0 here), and hinmSpMM then runs the stored plan,
// with the library's workspace and with one sized by the query made after
// the search. A stream being captured is refused, not searched.
TEST_F(CApiDevice, SearchThenSpmmMatchHost) {
  const int64_t M = kSearchM, K = kSearchK;
  std::mt19937 rng(7);
  hinmDescriptor_t a = nullptr;
  ASSERT_OK(CreateSearchLayer(h_, &a, rng));
  const auto F = HINM_ORDER_FEATURE_MAJOR;
  for (int64_t N : {1, 16, 128}) {  // 128: the candidates span kernels and configs
    SCOPED_TRACE("N = " + std::to_string(N));
    const ExactValues bv = RandomExact(K * N, rng), cv = RandomExact(M * N, rng);
    const float alpha = 1.0f, beta = 0.5f;
    std::vector<float> ref = cv.f32;
    ASSERT_OK(hinmSpMMHost(h_, a, N, &alpha, bv.f32.data(), F, N, &beta, ref.data(), F, N, nullptr,
                           HINM_R_32F, HINM_ROWS_ORIGINAL));
    const auto expect_host = [&](const std::vector<uint16_t>& c, const char* what) {
      ExpectNearHost(c, ref, what);
    };
    DeviceArray<uint16_t> db(bv.f16);
    {
      DeviceArray<uint16_t> dc(cv.f16);
      ASSERT_OK(hinmSpMMSearch(h_, a, N, &alpha, db.p, F, N, &beta, dc.p, F, N, nullptr,
                               HINM_R_16F, HINM_ROWS_ORIGINAL, nullptr, 0, nullptr));
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      expect_host(dc.Get(), "hinmSpMMSearch");
    }
    {
      DeviceArray<uint16_t> dc(cv.f16);
      ASSERT_OK(hinmSpMM(h_, a, N, &alpha, db.p, F, N, &beta, dc.p, F, N, nullptr, HINM_R_16F,
                         HINM_ROWS_ORIGINAL, nullptr, 0, nullptr));
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      expect_host(dc.Get(), "hinmSpMM, library workspace");
    }
    {
      size_t ws = 0;
      ASSERT_OK(hinmSpMMWorkspaceSize(h_, a, N, F, F, &ws));
      DeviceArray<uint8_t> dws(std::vector<uint8_t>(ws + 16));
      DeviceArray<uint16_t> dc(cv.f16);
      ASSERT_OK(hinmSpMM(h_, a, N, &alpha, db.p, F, N, &beta, dc.p, F, N, nullptr, HINM_R_16F,
                         HINM_ROWS_ORIGINAL, dws.p, ws, nullptr));
      ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
      expect_host(dc.Get(), "hinmSpMM, queried workspace");
    }
  }
  // The three searches stored one plan each, for this GPU.
  int64_t count = 0;
  ASSERT_OK(hinmGetTunedPlans(a, nullptr, 0, sizeof(hinmTunedPlan_t), &count));
  ASSERT_EQ(count, 3);
  std::vector<hinmTunedPlan_t> plans(3);
  ASSERT_OK(hinmGetTunedPlans(a, plans.data(), 3, sizeof(hinmTunedPlan_t), &count));
  cudaDeviceProp prop;
  int dev = 0;
  ASSERT_EQ(cudaGetDevice(&dev), cudaSuccess);
  ASSERT_EQ(cudaGetDeviceProperties(&prop, dev), cudaSuccess);
  const int64_t want_n[3] = {1, 16, 128};
  for (int i = 0; i < 3; ++i) {
    EXPECT_STREQ(plans[i].device_name, prop.name);
    EXPECT_EQ(plans[i].sm_count, prop.multiProcessorCount);
    EXPECT_EQ(plans[i].n, want_n[i]);
    EXPECT_NE(plans[i].kernel, HINM_KERNEL_AUTO) << "the search stores explicit plans";
  }
  std::vector<uint16_t> zeros(K * 16, 0);
  DeviceArray<uint16_t> db(zeros), dc(std::vector<uint16_t>(M * 16, 0));
  cudaStream_t s = nullptr;
  ASSERT_EQ(cudaStreamCreate(&s), cudaSuccess);
  ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), cudaSuccess);
  const float one = 1, zero = 0;
  EXPECT_EQ(hinmSpMMSearch(h_, a, 16, &one, db.p, F, 16, &zero, dc.p, F, 16, nullptr, HINM_R_16F,
                           HINM_ROWS_ORIGINAL, nullptr, 0, s),
            HINM_STATUS_NOT_SUPPORTED);
  EXPECT_NE(std::string(hinmGetLastErrorMessage()).find("captured"), std::string::npos)
      << hinmGetLastErrorMessage();
  cudaGraph_t g = nullptr;
  EXPECT_EQ(cudaStreamEndCapture(s, &g), cudaSuccess);
  if (g != nullptr) cudaGraphDestroy(g);
  cudaStreamDestroy(s);
  ASSERT_OK(hinmDestroyDescriptor(a));
}

// With the handle's autotuning on, the first hinmSpMM of each problem runs
// the search (the descriptor then holds a plan for it) and computes the
// host's product; later calls of the problem search no more; inside a CUDA
// graph capture an untuned problem runs the planner's plan and is not
// searched; a handle with autotuning off never searches.
TEST_F(CApiDevice, AutotuneSearchesEachProblemOnce) {
  const int64_t M = kSearchM, K = kSearchK;
  std::mt19937 rng(13);
  hinmDescriptor_t a = nullptr;
  ASSERT_OK(CreateSearchLayer(h_, &a, rng));
  const auto plans = [&] {
    int64_t count = -1;
    EXPECT_EQ(hinmGetTunedPlans(a, nullptr, 0, sizeof(hinmTunedPlan_t), &count),
              HINM_STATUS_SUCCESS);
    return count;
  };
  const auto F = HINM_ORDER_FEATURE_MAJOR;
  const float alpha = 1.0f, beta = 0.0f;
  // One product on `handle` at N (optionally captured into a graph and
  // replayed), checked against the host.
  const auto run = [&](hinmHandle_t handle, int64_t N, bool capture) {
    const ExactValues b = RandomExact(K * N, rng);
    std::vector<float> ref(M * N, 0.0f);
    ASSERT_OK(hinmSpMMHost(handle, a, N, &alpha, b.f32.data(), F, N, &beta, ref.data(), F, N,
                           nullptr, HINM_R_32F, HINM_ROWS_ORIGINAL));
    DeviceArray<uint16_t> db(b.f16), dc(std::vector<uint16_t>(M * N, 0));
    cudaStream_t s = nullptr;
    ASSERT_EQ(cudaStreamCreate(&s), cudaSuccess);
    cudaGraph_t g = nullptr;
    cudaGraphExec_t exec = nullptr;
    if (capture) {
      ASSERT_EQ(cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal), cudaSuccess);
    }
    // With the library's workspace (stream-ordered, capturable).
    ASSERT_OK(hinmSpMM(handle, a, N, &alpha, db.p, F, N, &beta, dc.p, F, N, nullptr, HINM_R_16F,
                       HINM_ROWS_ORIGINAL, nullptr, 0, s));
    if (capture) {
      ASSERT_EQ(cudaStreamEndCapture(s, &g), cudaSuccess);
      ASSERT_EQ(cudaGraphInstantiate(&exec, g, 0), cudaSuccess);
      ASSERT_EQ(cudaGraphLaunch(exec, s), cudaSuccess);
    }
    ASSERT_EQ(cudaStreamSynchronize(s), cudaSuccess);
    if (exec != nullptr) cudaGraphExecDestroy(exec);
    if (g != nullptr) cudaGraphDestroy(g);
    cudaStreamDestroy(s);
    ExpectNearHost(dc.Get(), ref, capture ? "captured" : "direct");
  };
  hinmHandle_t tuning = nullptr;
  ASSERT_OK(hinmCreate(&tuning));
  ASSERT_OK(hinmSetAutotune(tuning, 1));
  run(h_, 16, false);  // autotuning off: no search
  EXPECT_EQ(plans(), 0);
  run(tuning, 16, false);  // on: the first call searches
  EXPECT_EQ(plans(), 1);
  run(tuning, 16, false);  // tuned: runs the stored plan (the count stays 1)
  EXPECT_EQ(plans(), 1);
  run(tuning, 1, false);
  EXPECT_EQ(plans(), 2);
  run(tuning, 7, true);  // inside a capture: not searched, still right
  EXPECT_EQ(plans(), 2);
  run(tuning, 7, false);  // outside: searched
  EXPECT_EQ(plans(), 3);
  ASSERT_OK(hinmDestroy(tuning));
  ASSERT_OK(hinmDestroyDescriptor(a));
}

// Tune once, ship the descriptor: the plans a search stored are saved with
// it, and a descriptor loaded from the file (on the same GPU model) has them:
// the same bytes, the same workspace query, and hinmSpMM with a workspace of
// that size computes the host's product.
TEST_F(CApiDevice, SearchedPlansSurviveSaveAndLoad) {
  const int64_t M = kSearchM, K = kSearchK;
  std::mt19937 rng(11);
  hinmDescriptor_t a = nullptr;
  ASSERT_OK(CreateSearchLayer(h_, &a, rng));
  const size_t untuned = SerializedBytes(a).size();
  const auto F = HINM_ORDER_FEATURE_MAJOR;
  const float alpha = 1.0f, beta = 0.0f;
  const std::vector<int64_t> ns = {1, 16};
  std::vector<ExactValues> bs;
  for (int64_t N : ns) {
    bs.push_back(RandomExact(K * N, rng));
    DeviceArray<uint16_t> db(bs.back().f16), dc(std::vector<uint16_t>(M * N, 0));
    ASSERT_OK(hinmSpMMSearch(h_, a, N, &alpha, db.p, F, N, &beta, dc.p, F, N, nullptr,
                             HINM_R_16F, HINM_ROWS_ORIGINAL, nullptr, 0, nullptr));
  }
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  const std::vector<uint8_t> tuned = SerializedBytes(a);
  EXPECT_GT(tuned.size(), untuned) << "the searched plans are not in the bytes";

  const char* dir = std::getenv("TEST_TMPDIR");
  const std::string path = std::string(dir != nullptr ? dir : "/tmp") + "/searched.hinm";
  ASSERT_OK(hinmSaveDescriptor(a, path.c_str()));
  hinmDescriptor_t loaded = nullptr;
  ASSERT_OK(hinmLoadDescriptor(h_, &loaded, path.c_str()));
  std::remove(path.c_str());
  EXPECT_EQ(SerializedBytes(loaded), tuned);
  for (size_t i = 0; i < ns.size(); ++i) {
    const int64_t N = ns[i];
    SCOPED_TRACE("N = " + std::to_string(N));
    size_t ws_searched = 0, ws_loaded = 0;
    ASSERT_OK(hinmSpMMWorkspaceSize(h_, a, N, F, F, &ws_searched));
    ASSERT_OK(hinmSpMMWorkspaceSize(h_, loaded, N, F, F, &ws_loaded));
    EXPECT_EQ(ws_loaded, ws_searched);
    std::vector<float> ref(M * N, 0.0f);
    ASSERT_OK(hinmSpMMHost(h_, a, N, &alpha, bs[i].f32.data(), F, N, &beta, ref.data(), F, N,
                           nullptr, HINM_R_32F, HINM_ROWS_ORIGINAL));
    DeviceArray<uint16_t> db(bs[i].f16), dc(std::vector<uint16_t>(M * N, 0));
    DeviceArray<uint8_t> dws(std::vector<uint8_t>(ws_loaded + 16));
    ASSERT_OK(hinmSpMM(h_, loaded, N, &alpha, db.p, F, N, &beta, dc.p, F, N, nullptr,
                       HINM_R_16F, HINM_ROWS_ORIGINAL, dws.p, ws_loaded, nullptr));
    ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    ExpectNearHost(dc.Get(), ref, "hinmSpMM on the loaded descriptor");
  }
  ASSERT_OK(hinmDestroyDescriptor(loaded));
  ASSERT_OK(hinmDestroyDescriptor(a));
}

TEST_F(CApiDevice, DenseGemmMatchesFp64) {
  const int64_t M = 96, N = 40, K = 72;
  std::mt19937 rng(2);
  const ExactValues av = RandomExact(M * K, rng), bv = RandomExact(K * N, rng);
  const std::vector<float>& A = av.f32;
  const std::vector<float>& B = bv.f32;
  DeviceArray<uint16_t> da(av.f16), db(bv.f16), dc(std::vector<uint16_t>(M * N, 0));
  const float alpha = 1.0f, beta = 0.0f;
  ASSERT_OK(hinmDenseGemm(h_, M, N, K, &alpha, da.p, K, db.p, HINM_ORDER_FEATURE_MAJOR, N, &beta,
                          dc.p, HINM_ORDER_FEATURE_MAJOR, N, HINM_R_16F, nullptr));
  ASSERT_EQ(cudaDeviceSynchronize(), cudaSuccess);
  const std::vector<uint16_t> c = dc.Get();
  for (int64_t i = 0; i < M; ++i) {
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0;
      for (int64_t k = 0; k < K; ++k) acc += static_cast<double>(A[i * K + k]) * B[k * N + j];
      ASSERT_NEAR(FromHalf(c[i * N + j]), acc, std::fabs(acc) * std::ldexp(1.0, -10) + 1e-6)
          << i << "," << j;
    }
  }
}

}  // namespace
