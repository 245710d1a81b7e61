// Streams and threads on the GPU (skipped without a device): the rules of
// hinm.h -- one handle per thread, descriptors read-only and shared by
// threads and streams -- under real overlap. 24 hinmSpMM problems (fp16 and
// bf16 descriptors, N from 1 to 576, both B and C orders, both row orders,
// alpha/beta/bias, padded leading dimensions, library and caller workspace)
// run serially on one stream and are checked against hinmSpMMHost; then
// 4 threads, each with its own handle and non-blocking stream, run all of
// them 3 times in different orders with many calls in flight, on fresh
// copies of the descriptors (so the first calls race on the lazy upload),
// and every output must equal the serial run's bit for bit. One handle
// taking turns on two streams must do the same, for hinmDenseGemm too.
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hinm/hinm.h"
#include "tests/c_api/gpu_capi_util.h"

namespace {

using hinm_capi_test::DeviceBuffer;
using hinm_capi_test::kPoison16;

constexpr int kThreads = 4;
constexpr int kRounds = 3;
constexpr int kJobs = 24;

// One hinmSpMM problem. Host data is made once; device inputs are shared
// read-only by every thread.
struct Job {
  int desc;                  // index into the fixture's descriptors
  int64_t m, k, n;
  hinmDataType_t io;
  hinmOrder_t b_order, c_order;
  hinmRowOrder_t rows;
  float alpha, beta;
  bool bias;
  bool library_workspace;    // NULL, 0: hinm takes it from the stream-ordered pool
  int64_t ldb, ldc;
  int64_t c_rows, c_cols;    // C's row-major extents (logical part)
  std::vector<uint16_t> b, c0, bias16;  // c0: initial C (poison where beta == 0 or padding)
  std::vector<uint16_t> reference;      // hinmSpMMHost on the same arrays
  size_t workspace = 0;                 // hinmSpMMWorkspaceSize
  std::string name;
};

// k/64 for k uniform in [-64, 64]: exact in fp16 and bf16.
float Small(std::mt19937& rng) {
  return static_cast<float>(std::uniform_int_distribution<int>(-64, 64)(rng)) / 64.0f;
}

class CApiStreams : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!hinm_capi_test::HasDevice()) GTEST_SKIP() << "no CUDA device: GPU test skipped";
    h_ = hinm_capi_test::NewHandle();
    ASSERT_NE(h_, nullptr);
    // fp16 with full 2CP (row and column permutations), bf16 with the output
    // axis only: both row orders differ from the identity somewhere.
    MakeDescriptor(192, 256, 64, 0.5, HINM_R_16F, HINM_PERMUTE_BOTH, 5);
    MakeDescriptor(256, 384, 128, 0.75, HINM_R_16BF, HINM_PERMUTE_OUTPUT, 9);
    ASSERT_EQ(desc_.size(), 2u);
    for (int i = 0; i < kJobs; ++i) {
      MakeJob(i);
      if (HasFatalFailure()) return;
    }
    for (const Job& j : jobs_) max_workspace_ = std::max(max_workspace_, j.workspace);
    UploadInputs();
    if (HasFatalFailure()) return;
    RunSerial();
  }

  void MakeDescriptor(int64_t m, int64_t k, int32_t v, double sparsity, hinmDataType_t type,
                      hinmPermute_t permute, uint64_t seed) {
    std::mt19937 rng(static_cast<uint32_t>(seed));
    std::normal_distribution<float> normal;
    std::vector<float> w(static_cast<size_t>(m * k));
    for (float& x : w) x = normal(rng);
    hinmPruneConfig_t cfg;
    HINM_ASSERT_OK(hinmPruneConfigInit(&cfg));
    cfg.tile_rows = v;
    cfg.vector_sparsity = sparsity;
    cfg.value_type = type;
    cfg.permute = permute;
    cfg.seed = seed;
    hinmDescriptor_t d = nullptr;
    HINM_ASSERT_OK(hinmCreateDescriptor(h_.get(), &d, m, k, w.data(), HINM_R_32F, k, nullptr, 0,
                                        &cfg));
    desc_.emplace_back(d);
    dims_.push_back({m, k});
    types_.push_back(type);
  }

  void MakeJob(int i) {
    // 576 on the V = 128 descriptor: past the planner's large-N threshold
    // (512), where sm_90 may take another kernel than mma.sp.
    static const int64_t kN[] = {1, 16, 7, 64, 40, 130, 8, 576};
    static const float kAB[][2] = {{1.f, 0.f}, {0.5f, 0.f}, {1.5f, -0.75f}, {1.f, 1.f}};
    Job j;
    j.desc = i & 1;
    j.m = dims_[j.desc].first;
    j.k = dims_[j.desc].second;
    j.io = types_[j.desc];
    j.n = kN[i % 8];
    j.b_order = (i >> 1) & 1 ? HINM_ORDER_TOKEN_MAJOR : HINM_ORDER_FEATURE_MAJOR;
    j.c_order = (i >> 2) & 1 ? HINM_ORDER_TOKEN_MAJOR : HINM_ORDER_FEATURE_MAJOR;
    j.rows = i % 3 == 0 ? HINM_ROWS_PERMUTED : HINM_ROWS_ORIGINAL;
    j.alpha = kAB[i % 4][0];
    j.beta = kAB[i % 4][1];
    j.bias = i % 5 < 3;
    j.library_workspace = (i / 8) % 2 == 1 || i % 7 == 0;
    // Padding of 8 keeps feature-major B on the 16-byte path when N % 8 == 0
    // (and N % 8 != 0 is packed through the queried workspace anyway).
    const int64_t pad = i % 3 == 2 ? 8 : 0;
    const bool b_fm = j.b_order == HINM_ORDER_FEATURE_MAJOR;
    const bool c_fm = j.c_order == HINM_ORDER_FEATURE_MAJOR;
    j.ldb = (b_fm ? j.n : j.k) + pad;
    j.ldc = (c_fm ? j.n : j.m) + pad;
    const int64_t b_rows = b_fm ? j.k : j.n;
    j.c_rows = c_fm ? j.m : j.n;
    j.c_cols = c_fm ? j.n : j.m;
    std::ostringstream name;
    name << "job" << i << (j.io == HINM_R_16F ? "_f16" : "_bf16") << "_n" << j.n
         << (b_fm ? "_bF" : "_bT") << (c_fm ? "_cF" : "_cT")
         << (j.rows == HINM_ROWS_PERMUTED ? "_permP" : "_permO") << (j.bias ? "_bias" : "")
         << "_a" << j.alpha << "_b" << j.beta << "_ld+" << pad
         << (j.library_workspace ? "_wsLib" : "_wsCaller");
    j.name = name.str();

    std::mt19937 rng(100 + i);
    j.b.resize(static_cast<size_t>(b_rows * j.ldb));
    for (auto& x : j.b) x = hinm_capi_test::To16(Small(rng), j.io);
    j.c0.assign(static_cast<size_t>(j.c_rows * j.ldc), kPoison16);
    if (j.beta != 0) {
      for (int64_t r = 0; r < j.c_rows; ++r)
        for (int64_t c = 0; c < j.c_cols; ++c)
          j.c0[r * j.ldc + c] = hinm_capi_test::To16(Small(rng), j.io);
    }
    j.bias16.resize(static_cast<size_t>(j.m));
    for (auto& x : j.bias16) x = hinm_capi_test::To16(Small(rng), j.io);

    j.reference = j.c0;
    HINM_ASSERT_OK(hinmSpMMHost(h_.get(), desc_[j.desc].get(), j.n, &j.alpha, j.b.data(),
                                j.b_order, j.ldb, &j.beta, j.reference.data(), j.c_order, j.ldc,
                                j.bias ? j.bias16.data() : nullptr, j.io, j.rows));
    HINM_ASSERT_OK(hinmSpMMWorkspaceSize(h_.get(), desc_[j.desc].get(), j.n, j.b_order,
                                         j.c_order, &j.workspace));
    jobs_.push_back(std::move(j));
  }

  void UploadInputs() {
    d_b_.resize(kJobs);
    d_c0_.resize(kJobs);
    d_bias_.resize(kJobs);
    for (int i = 0; i < kJobs; ++i) {
      const Job& j = jobs_[i];
      ASSERT_TRUE(d_b_[i].Allocate(j.b.size() * 2));
      ASSERT_TRUE(d_c0_[i].Allocate(j.c0.size() * 2));
      ASSERT_TRUE(d_bias_[i].Allocate(j.bias16.size() * 2));
      HINM_ASSERT_CUDA(cudaMemcpy(d_b_[i].get(), j.b.data(), j.b.size() * 2,
                                  cudaMemcpyHostToDevice));
      HINM_ASSERT_CUDA(cudaMemcpy(d_c0_[i].get(), j.c0.data(), j.c0.size() * 2,
                                  cudaMemcpyHostToDevice));
      HINM_ASSERT_CUDA(cudaMemcpy(d_bias_[i].get(), j.bias16.data(), j.bias16.size() * 2,
                                  cudaMemcpyHostToDevice));
    }
  }

  // Resets job i's output to its initial state (poison where beta == 0) and
  // enqueues the call, all on `stream`. `ws` (>= the job's workspace) is
  // used unless the job asks the library for it.
  hinmStatus_t Launch(hinmHandle_t h, hinmDescriptor_t d, int i, void* c, void* ws,
                      size_t ws_size, cudaStream_t stream) const {
    const Job& j = jobs_[i];
    if (cudaMemcpyAsync(c, d_c0_[i].get(), j.c0.size() * 2, cudaMemcpyDeviceToDevice, stream) !=
        cudaSuccess) {
      return HINM_STATUS_CUDA_ERROR;
    }
    if (j.library_workspace) {
      ws = nullptr;
      ws_size = 0;
    }
    return hinmSpMM(h, d, j.n, &j.alpha, d_b_[i].get(), j.b_order, j.ldb, &j.beta, c, j.c_order,
                    j.ldc, j.bias ? d_bias_[i].get() : nullptr, j.io, j.rows, ws, ws_size,
                    stream);
  }

  // Every job once, in order, on one handle and one stream.
  void RunSerial() {
    hinm_capi_test::Stream s;
    ASSERT_NE(s.get(), nullptr);
    DeviceBuffer ws(std::max<size_t>(max_workspace_, 256));
    std::vector<DeviceBuffer> c(kJobs);
    for (int i = 0; i < kJobs; ++i) ASSERT_TRUE(c[i].Allocate(jobs_[i].c0.size() * 2));
    for (int i = 0; i < kJobs; ++i) {
      const hinmStatus_t st = Launch(h_.get(), desc_[jobs_[i].desc].get(), i, c[i].get(),
                                     ws.get(), ws.bytes(), s.get());
      ASSERT_EQ(st, HINM_STATUS_SUCCESS) << jobs_[i].name << ": " << hinmGetErrorName(st) << ": "
                                         << hinmGetLastErrorMessage();
    }
    HINM_ASSERT_CUDA(cudaStreamSynchronize(s.get()));
    serial_.resize(kJobs);
    for (int i = 0; i < kJobs; ++i) serial_[i] = Download(c[i], jobs_[i].c0.size());
  }

  static std::vector<uint16_t> Download(const DeviceBuffer& d, size_t count) {
    std::vector<uint16_t> out(count);
    EXPECT_EQ(cudaMemcpy(out.data(), d.get(), count * 2, cudaMemcpyDeviceToHost), cudaSuccess);
    return out;
  }

  // "" if `got` equals the serial run of job i bit for bit, else where not.
  std::string DiffFromSerial(int i, const std::vector<uint16_t>& got) const {
    const std::vector<uint16_t>& want = serial_[i];
    if (got.size() != want.size()) return "size differs";
    for (size_t e = 0; e < got.size(); ++e) {
      if (got[e] != want[e]) {
        std::ostringstream os;
        os << jobs_[i].name << ": element " << e << " is 0x" << std::hex << got[e]
           << ", the serial run wrote 0x" << want[e];
        return os.str();
      }
    }
    return "";
  }

  hinm_capi_test::Handle h_;
  std::vector<hinm_capi_test::Descriptor> desc_;
  std::vector<std::pair<int64_t, int64_t>> dims_;
  std::vector<hinmDataType_t> types_;
  std::vector<Job> jobs_;
  size_t max_workspace_ = 0;
  std::vector<DeviceBuffer> d_b_, d_c0_, d_bias_;
  std::vector<std::vector<uint16_t>> serial_;
};

// The serial run itself against the CPU reference, within the tolerance of
// tests/cuda/spmm_device_test.cc (both round the same fp32-accumulated sums:
// a couple of output ulps relative to the largest output); the ld padding
// keeps its poison, every logical element is written.
TEST_F(CApiStreams, SerialRunMatchesHostReference) {
  bool some_workspace = false, some_library = false;
  for (int i = 0; i < kJobs; ++i) {
    const Job& j = jobs_[i];
    some_workspace |= j.workspace > 0;
    some_library |= j.library_workspace && j.workspace > 0;
    const double tol = j.io == HINM_R_16F ? 1e-3 : 8e-3;
    double scale = 1e-30;
    for (int64_t r = 0; r < j.c_rows; ++r)
      for (int64_t c = 0; c < j.c_cols; ++c)
        scale = std::max(scale, std::fabs(static_cast<double>(
                                    hinm_capi_test::From16(j.reference[r * j.ldc + c], j.io))));
    int64_t bad = 0, padding_touched = 0;
    for (int64_t r = 0; r < j.c_rows; ++r) {
      for (int64_t c = 0; c < j.ldc; ++c) {
        const uint16_t got = serial_[i][r * j.ldc + c];
        if (c >= j.c_cols) {
          padding_touched += got != kPoison16;
          continue;
        }
        const double g = hinm_capi_test::From16(got, j.io);
        const double want = hinm_capi_test::From16(j.reference[r * j.ldc + c], j.io);
        if (!(std::fabs(g - want) <= 2 * tol * scale) && ++bad <= 3) {
          ADD_FAILURE() << j.name << ": C[" << r << "][" << c << "] = " << g << ", host " << want
                        << " (scale " << scale << ")";
        }
      }
    }
    EXPECT_EQ(bad, 0) << j.name;
    EXPECT_EQ(padding_touched, 0) << j.name << ": the ld padding of C was written";
  }
  EXPECT_TRUE(some_workspace) << "no job needed a workspace";
  EXPECT_TRUE(some_library) << "no job took its workspace from the library";
}

TEST_F(CApiStreams, ThreadsWithOwnHandlesAndStreamsShareDescriptors) {
  // Fresh copies: nothing uploaded yet, so the first calls of the threads
  // race on the lazy upload (under the descriptor's lock).
  std::vector<hinm_capi_test::Descriptor> shared;
  for (const auto& d : desc_) shared.push_back(hinm_capi_test::Copy(h_.get(), d.get()));
  ASSERT_FALSE(HasFailure());

  std::vector<std::vector<std::string>> failures(kThreads);
  std::vector<int> calls(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<std::string>& fail = failures[t];
      hinmHandle_t h = nullptr;
      if (hinmCreate(&h) != HINM_STATUS_SUCCESS) {
        fail.push_back("hinmCreate failed");
        return;
      }
      hinm_capi_test::Handle own(h);
      cudaStream_t s = nullptr;
      if (cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) != cudaSuccess) {
        fail.push_back("cudaStreamCreateWithFlags failed");
        return;
      }
      // One caller workspace per stream, reused by every in-flight call on
      // it (stream order makes that safe).
      void* ws = nullptr;
      std::vector<void*> c(kJobs, nullptr);
      bool alloc_ok = cudaMalloc(&ws, std::max<size_t>(max_workspace_, 256)) == cudaSuccess;
      for (int i = 0; i < kJobs && alloc_ok; ++i)
        alloc_ok = cudaMalloc(&c[i], jobs_[i].c0.size() * 2) == cudaSuccess;
      if (!alloc_ok) fail.push_back("cudaMalloc failed");
      for (int round = 0; round < kRounds && alloc_ok && fail.empty(); ++round) {
        // A different order per thread and round: different problems overlap.
        for (int q = 0; q < kJobs; ++q) {
          const int i = (q * (round % 2 == 0 ? 1 : kJobs - 1) + 5 * t + 7 * round) % kJobs;
          const hinmStatus_t st = Launch(h, shared[jobs_[i].desc].get(), i, c[i], ws,
                                         std::max<size_t>(max_workspace_, 256), s);
          ++calls[t];
          if (st != HINM_STATUS_SUCCESS) {
            fail.push_back(jobs_[i].name + ": " + hinmGetErrorName(st) + ": " +
                           hinmGetLastErrorMessage());
          }
        }
        if (cudaStreamSynchronize(s) != cudaSuccess) {
          fail.push_back("cudaStreamSynchronize failed");
          break;
        }
        for (int i = 0; i < kJobs; ++i) {
          std::vector<uint16_t> got(jobs_[i].c0.size());
          if (cudaMemcpyAsync(got.data(), c[i], got.size() * 2, cudaMemcpyDeviceToHost, s) !=
                  cudaSuccess ||
              cudaStreamSynchronize(s) != cudaSuccess) {
            fail.push_back("download failed");
            break;
          }
          const std::string diff = DiffFromSerial(i, got);
          if (!diff.empty()) fail.push_back("round " + std::to_string(round) + ": " + diff);
        }
      }
      for (void* p : c) cudaFree(p);
      cudaFree(ws);
      cudaStreamDestroy(s);
    });
  }
  for (auto& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(calls[t], kRounds * kJobs) << "thread " << t;
    for (size_t f = 0; f < failures[t].size() && f < 5; ++f)
      ADD_FAILURE() << "thread " << t << ": " << failures[t][f];
  }
}

// hinmDenseGemm on exact data: k/64 products summed over K <= 96 are exact in
// fp32, so the output is the exact value rounded once to the 16-bit type.
struct Gemm {
  int64_t m, n, k;
  hinmDataType_t type;
  hinmOrder_t b_order, c_order;
  std::vector<uint16_t> a, b;
  std::vector<double> exact;  // M x N row-major
};

Gemm MakeGemm(int i) {
  Gemm g;
  g.m = 96 + 16 * (i % 3);
  g.n = 40 + 8 * (i % 2);
  g.k = 72 + 8 * (i % 3);
  g.type = i % 2 ? HINM_R_16BF : HINM_R_16F;
  g.b_order = (i >> 1) & 1 ? HINM_ORDER_TOKEN_MAJOR : HINM_ORDER_FEATURE_MAJOR;
  g.c_order = (i >> 2) & 1 ? HINM_ORDER_TOKEN_MAJOR : HINM_ORDER_FEATURE_MAJOR;
  std::mt19937 rng(500 + i);
  std::vector<float> a(g.m * g.k), b(g.k * g.n);  // b: K x N
  for (float& x : a) x = Small(rng);
  for (float& x : b) x = Small(rng);
  g.a.resize(a.size());
  for (size_t e = 0; e < a.size(); ++e) g.a[e] = hinm_capi_test::To16(a[e], g.type);
  g.b.resize(b.size());
  const bool b_fm = g.b_order == HINM_ORDER_FEATURE_MAJOR;
  for (int64_t kk = 0; kk < g.k; ++kk)
    for (int64_t nn = 0; nn < g.n; ++nn)
      g.b[b_fm ? kk * g.n + nn : nn * g.k + kk] = hinm_capi_test::To16(b[kk * g.n + nn], g.type);
  g.exact.assign(g.m * g.n, 0.0);
  for (int64_t r = 0; r < g.m; ++r)
    for (int64_t nn = 0; nn < g.n; ++nn) {
      double s = 0;
      for (int64_t kk = 0; kk < g.k; ++kk)
        s += static_cast<double>(a[r * g.k + kk]) * b[kk * g.n + nn];
      g.exact[r * g.n + nn] = s;
    }
  return g;
}

TEST_F(CApiStreams, OneHandleTakesTurnsOnTwoStreams) {
  hinm_capi_test::Stream s1, s2;
  ASSERT_NE(s1.get(), nullptr);
  ASSERT_NE(s2.get(), nullptr);
  cudaStream_t streams[2] = {s1.get(), s2.get()};
  // A caller workspace per stream: calls in flight on different streams
  // must not share one.
  DeviceBuffer ws[2];
  for (auto& w : ws) ASSERT_TRUE(w.Allocate(std::max<size_t>(max_workspace_, 256)));
  std::vector<DeviceBuffer> c(kJobs);
  for (int i = 0; i < kJobs; ++i) ASSERT_TRUE(c[i].Allocate(jobs_[i].c0.size() * 2));
  for (int i = 0; i < kJobs; ++i) {
    const int which = i % 2;
    const hinmStatus_t st = Launch(h_.get(), desc_[jobs_[i].desc].get(), i, c[i].get(),
                                   ws[which].get(), ws[which].bytes(), streams[which]);
    ASSERT_EQ(st, HINM_STATUS_SUCCESS) << jobs_[i].name << ": " << hinmGetErrorName(st) << ": "
                                       << hinmGetLastErrorMessage();
  }

  // Dense GEMMs on the same handle, alternating streams, in flight together
  // with the SpMMs (cuBLAS's stream is set per call).
  constexpr int kGemms = 8;
  std::vector<Gemm> gemms;
  std::vector<DeviceBuffer> ga(kGemms), gb(kGemms), gc(kGemms);
  for (int i = 0; i < kGemms; ++i) {
    gemms.push_back(MakeGemm(i));
    const Gemm& g = gemms.back();
    ASSERT_TRUE(ga[i].Allocate(g.a.size() * 2));
    ASSERT_TRUE(gb[i].Allocate(g.b.size() * 2));
    ASSERT_TRUE(gc[i].Allocate(g.m * g.n * 2));
    HINM_ASSERT_CUDA(cudaMemcpy(ga[i].get(), g.a.data(), g.a.size() * 2, cudaMemcpyHostToDevice));
    HINM_ASSERT_CUDA(cudaMemcpy(gb[i].get(), g.b.data(), g.b.size() * 2, cudaMemcpyHostToDevice));
  }
  for (int i = 0; i < kGemms; ++i) {
    const Gemm& g = gemms[i];
    cudaStream_t s = streams[i % 2];
    HINM_ASSERT_CUDA(cudaMemsetAsync(gc[i].get(), 0xFF, g.m * g.n * 2, s));
    const float one = 1, zero = 0;
    const bool b_fm = g.b_order == HINM_ORDER_FEATURE_MAJOR;
    const bool c_fm = g.c_order == HINM_ORDER_FEATURE_MAJOR;
    HINM_ASSERT_OK(hinmDenseGemm(h_.get(), g.m, g.n, g.k, &one, ga[i].get(), g.k, gb[i].get(),
                                 g.b_order, b_fm ? g.n : g.k, &zero, gc[i].get(), g.c_order,
                                 c_fm ? g.n : g.m, g.type, s));
  }
  HINM_ASSERT_CUDA(cudaStreamSynchronize(s1.get()));
  HINM_ASSERT_CUDA(cudaStreamSynchronize(s2.get()));

  for (int i = 0; i < kJobs; ++i) {
    const std::string diff = DiffFromSerial(i, Download(c[i], jobs_[i].c0.size()));
    EXPECT_TRUE(diff.empty()) << "stream " << i % 2 << ": " << diff;
  }
  for (int i = 0; i < kGemms; ++i) {
    const Gemm& g = gemms[i];
    const std::vector<uint16_t> got = Download(gc[i], g.m * g.n);
    const bool c_fm = g.c_order == HINM_ORDER_FEATURE_MAJOR;
    // One rounding to 11 (fp16) or 8 (bf16) significant bits.
    const double rel = g.type == HINM_R_16F ? std::ldexp(1.0, -11) : std::ldexp(1.0, -8);
    int bad = 0;
    for (int64_t r = 0; r < g.m; ++r)
      for (int64_t nn = 0; nn < g.n; ++nn) {
        const double want = g.exact[r * g.n + nn];
        const double v = hinm_capi_test::From16(got[c_fm ? r * g.n + nn : nn * g.m + r], g.type);
        if (!(std::fabs(v - want) <= rel * std::fabs(want)) && ++bad <= 3)
          ADD_FAILURE() << "gemm " << i << " (stream " << i % 2 << ") C[" << r << "][" << nn
                        << "] = " << v << ", exact " << want;
      }
    EXPECT_EQ(bad, 0) << "gemm " << i;
  }
}

}  // namespace
