// GPU out of memory, injected (skipped without a device): the GPU is filled
// with plain cudaMalloc blocks until cudaMalloc fails, then every hinm path
// that allocates device memory must return a status with a message (no
// crash, no abort, nothing written), the paths that allocate nothing must
// still work, and once the filler is freed the same calls must succeed with
// the same bits. The device's free bytes (stream-ordered pool trimmed) must
// come back to exactly what they were: nothing leaked on any error path.
// No managed memory anywhere (oversubscribing it can stall the GPU).
#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "hinm/hinm.h"
#include "tests/c_api/gpu_capi_util.h"

namespace {

using hinm_capi_test::DeviceBuffer;
using hinm_capi_test::kPoison16;

// Holds (nearly) all free device memory in cudaMalloc blocks until Release
// or destruction, whatever way the test leaves.
class DeviceFiller {
 public:
  DeviceFiller() = default;
  DeviceFiller(const DeviceFiller&) = delete;
  DeviceFiller& operator=(const DeviceFiller&) = delete;
  ~DeviceFiller() { Release(); }

  // Largest blocks first, halving down to 256 bytes, each size until
  // cudaMalloc refuses it: what is left is smaller than any allocation the
  // library makes below (the smallest is the 256 KiB workspace).
  void Fill() {
    constexpr size_t kMaxBlocks = 1 << 16;
    for (size_t size = size_t{1} << 30; size >= 256 && blocks_.size() < kMaxBlocks; size /= 2) {
      while (blocks_.size() < kMaxBlocks) {
        void* p = nullptr;
        if (cudaMalloc(&p, size) != cudaSuccess) break;
        blocks_.push_back(p);
        bytes_ += size;
      }
      cudaGetLastError();  // the refusal is expected: leave no pending error
    }
  }
  void Release() {
    for (void* p : blocks_) cudaFree(p);
    blocks_.clear();
    bytes_ = 0;
  }
  size_t bytes() const { return bytes_; }

 private:
  std::vector<void*> blocks_;
  size_t bytes_ = 0;
};

// Free device bytes once the stream-ordered pool has given back what it
// caches (hinm's NULL-workspace path allocates from it).
size_t FreeBytesTrimmed() {
  cudaDeviceSynchronize();
  int dev = 0;
  cudaGetDevice(&dev);
  cudaMemPool_t pool = nullptr;
  if (cudaDeviceGetMemPool(&pool, dev) == cudaSuccess) cudaMemPoolTrimTo(pool, 0);
  size_t free_b = 0, total = 0;
  cudaMemGetInfo(&free_b, &total);
  cudaGetLastError();
  return free_b;
}

// Nothing leaked: the free device bytes are back to the baseline exactly.
void ExpectFreeBytesBackTo(size_t free_before) {
  const size_t free_after = FreeBytesTrimmed();
  EXPECT_EQ(free_after, free_before) << "free device bytes before " << free_before << ", after "
                                     << free_after << " (difference "
                                     << static_cast<long long>(free_before) -
                                            static_cast<long long>(free_after)
                                     << ")";
}

// A failure must say what failed: a status of the allocation kind and a
// message naming the call.
void ExpectAllocFailed(hinmStatus_t st, const char* call) {
  EXPECT_EQ(st, HINM_STATUS_ALLOC_FAILED)
      << call << " under OOM: " << hinmGetErrorName(st) << ": " << hinmGetLastErrorMessage();
  EXPECT_GT(std::strlen(hinmGetLastErrorMessage()), 0u) << call << ": no message";
  // The library clears the CUDA error it handled: the caller's next check
  // must not see it.
  EXPECT_EQ(cudaPeekAtLastError(), cudaSuccess) << call << " left a pending CUDA error";
}

float Small(std::mt19937& rng) {
  return static_cast<float>(std::uniform_int_distribution<int>(-64, 64)(rng)) / 64.0f;
}

// M x K = 1024 x 2048 at 75%: 1 MiB of values, 256 KiB of metadata.
constexpr int64_t kM = 1024, kK = 2048, kN = 64;

class CApiOutOfMemory : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!hinm_capi_test::HasDevice()) GTEST_SKIP() << "no CUDA device: GPU test skipped";
    std::mt19937 rng(17);
    std::normal_distribution<float> normal;
    weights_.resize(kM * kK);
    for (float& x : weights_) x = normal(rng);
    // Token-major B: the kernel reads it through a packed copy, so the
    // workspace is never 0 (K x N x 2 bytes = 256 KiB here).
    b_.resize(kN * kK);
    for (auto& x : b_) x = hinm_capi_test::To16(Small(rng), HINM_R_16F);
    a16_.resize(256 * 128);
    for (auto& x : a16_) x = hinm_capi_test::To16(Small(rng), HINM_R_16F);
  }

  hinm_capi_test::Descriptor MakeDescriptor(hinmHandle_t h) {
    hinmDescriptor_t d = nullptr;
    EXPECT_EQ(hinmCreateDescriptor(h, &d, kM, kK, weights_.data(), HINM_R_32F, kK, nullptr, 0,
                                   nullptr),
              HINM_STATUS_SUCCESS)
        << hinmGetLastErrorMessage();
    return hinm_capi_test::Descriptor(d);
  }

  // C (feature-major M x N) = A B for token-major B.
  hinmStatus_t SpMM(hinmHandle_t h, hinmDescriptor_t d, const DeviceBuffer& b,
                    const DeviceBuffer& c, void* ws, size_t ws_size, cudaStream_t s) {
    const float one = 1, zero = 0;
    return hinmSpMM(h, d, kN, &one, b.get(), HINM_ORDER_TOKEN_MAJOR, kK, &zero, c.get(),
                    HINM_ORDER_FEATURE_MAJOR, kN, nullptr, HINM_R_16F, HINM_ROWS_ORIGINAL, ws,
                    ws_size, s);
  }

  // Dense C (256 x kN) = A (256 x 128) * B (128 x kN, the first rows of b_
  // read as feature-major).
  hinmStatus_t Gemm(hinmHandle_t h, const DeviceBuffer& a, const DeviceBuffer& b,
                    const DeviceBuffer& c, cudaStream_t s) {
    const float one = 1, zero = 0;
    return hinmDenseGemm(h, 256, kN, 128, &one, a.get(), 128, b.get(), HINM_ORDER_FEATURE_MAJOR,
                         kN, &zero, c.get(), HINM_ORDER_FEATURE_MAJOR, kN, HINM_R_16F, s);
  }

  static std::vector<uint16_t> Download(const DeviceBuffer& d, size_t count) {
    std::vector<uint16_t> out(count);
    EXPECT_EQ(cudaMemcpy(out.data(), d.get(), count * 2, cudaMemcpyDeviceToHost), cudaSuccess);
    return out;
  }
  static void Poison(const DeviceBuffer& d) {
    ASSERT_EQ(cudaMemset(d.get(), 0xFF, d.bytes()), cudaSuccess);
  }

  std::vector<float> weights_;
  std::vector<uint16_t> b_, a16_;
};

TEST_F(CApiOutOfMemory, SpMMAndUploadReportAllocFailedLeakNothingAndRecover) {
  hinm_capi_test::Stream stream;
  ASSERT_NE(stream.get(), nullptr);
  const cudaStream_t s = stream.get();
  hinm_capi_test::Handle h = hinm_capi_test::NewHandle();
  ASSERT_NE(h, nullptr);
  hinm_capi_test::Descriptor uploaded = MakeDescriptor(h.get());
  ASSERT_NE(uploaded, nullptr);
  DeviceBuffer b(b_.size() * 2), c(kM * kN * 2);
  ASSERT_EQ(cudaMemcpy(b.get(), b_.data(), b_.size() * 2, cudaMemcpyHostToDevice), cudaSuccess);
  size_t ws_bytes = 0;
  HINM_ASSERT_OK(hinmSpMMWorkspaceSize(h.get(), uploaded.get(), kN, HINM_ORDER_TOKEN_MAJOR,
                                       HINM_ORDER_FEATURE_MAJOR, &ws_bytes));
  ASSERT_GT(ws_bytes, 0u) << "token-major B should need a workspace";
  DeviceBuffer ws(ws_bytes);

  // Warm-up, before the baseline: uploads the descriptor, loads the kernels
  // (lazy module loading takes device memory once per process) and sets the
  // stream-ordered pool up. Its result is the reference bits.
  Poison(c);
  HINM_ASSERT_OK(SpMM(h.get(), uploaded.get(), b, c, nullptr, 0, s));
  HINM_ASSERT_OK(SpMM(h.get(), uploaded.get(), b, c, ws.get(), ws_bytes, s));
  HINM_ASSERT_CUDA(cudaStreamSynchronize(s));
  const std::vector<uint16_t> want = Download(c, kM * kN);
  ASSERT_EQ(std::count(want.begin(), want.end(), kPoison16), 0);
  // Not yet on the device: its first upload happens under OOM.
  hinm_capi_test::Descriptor fresh = hinm_capi_test::Copy(h.get(), uploaded.get());
  ASSERT_NE(fresh, nullptr);
  const size_t free_before = FreeBytesTrimmed();

  {
    DeviceFiller filler;
    filler.Fill();
    size_t free_now = 0, total = 0;
    HINM_ASSERT_CUDA(cudaMemGetInfo(&free_now, &total));
    std::printf("filler holds %zu MiB, cudaMemGetInfo reports %zu bytes free\n",
                filler.bytes() >> 20, free_now);
    {
      void* probe = nullptr;
      const cudaError_t e = cudaMalloc(&probe, 64 << 10);
      cudaGetLastError();
      if (e == cudaSuccess) cudaFree(probe);
      ASSERT_NE(e, cudaSuccess) << "the filler did not exhaust device memory";
    }
    Poison(c);

    // 1. The explicit upload and the lazy one inside hinmSpMM (cudaMalloc).
    ExpectAllocFailed(hinmDescriptorToDevice(h.get(), fresh.get(), s), "hinmDescriptorToDevice");
    ExpectAllocFailed(SpMM(h.get(), fresh.get(), b, c, ws.get(), ws_bytes, s),
                      "hinmSpMM (lazy upload)");
    // 2. The library's workspace (cudaMallocAsync on the stream's pool).
    ExpectAllocFailed(SpMM(h.get(), uploaded.get(), b, c, nullptr, 0, s),
                      "hinmSpMM (NULL workspace)");
    HINM_ASSERT_CUDA(cudaStreamSynchronize(s));
    const std::vector<uint16_t> after_failures = Download(c, kM * kN);
    EXPECT_EQ(std::count(after_failures.begin(), after_failures.end(), kPoison16),
              static_cast<long>(kM * kN))
        << "a failed call wrote to C";
    // 3. What allocates nothing keeps working: an uploaded descriptor with
    //    the caller's workspace, a new handle, a new descriptor (host).
    HINM_ASSERT_OK(SpMM(h.get(), uploaded.get(), b, c, ws.get(), ws_bytes, s));
    HINM_ASSERT_CUDA(cudaStreamSynchronize(s));
    EXPECT_EQ(Download(c, kM * kN), want) << "the caller-workspace call under OOM differs";
    hinm_capi_test::Handle h2 = hinm_capi_test::NewHandle();
    EXPECT_NE(h2, nullptr) << "hinmCreate allocates no device memory";
    EXPECT_EQ(cudaPeekAtLastError(), cudaSuccess);
    // The filler is released here.
  }

  // 4. The same calls succeed once memory is back, with the same bits.
  Poison(c);
  HINM_ASSERT_OK(SpMM(h.get(), fresh.get(), b, c, nullptr, 0, s));
  HINM_ASSERT_CUDA(cudaStreamSynchronize(s));
  EXPECT_EQ(Download(c, kM * kN), want) << "after recovery, lazy upload + library workspace";
  Poison(c);
  HINM_ASSERT_OK(SpMM(h.get(), uploaded.get(), b, c, nullptr, 0, s));
  HINM_ASSERT_CUDA(cudaStreamSynchronize(s));
  EXPECT_EQ(Download(c, kM * kN), want) << "after recovery, library workspace";

  // 5. Nothing leaked: the fresh descriptor's device copy goes with it; the
  //    rest existed before the baseline.
  fresh.reset();
  ExpectFreeBytesBackTo(free_before);
}

// cuBLAS allocates device memory of its own (its handle, its per-stream
// workspace). Under OOM hinmDenseGemm may succeed (nothing to allocate) or
// fail; a failure must be HINM_STATUS_ALLOC_FAILED with a message, and the
// same handle must work once memory is back. The whole cycle runs twice and
// the baseline is taken between: cuBLAS may pick another algorithm when
// memory is short, and the first launch of a kernel loads its code into
// device memory for good (lazy loading), which is not a leak; a leak on an
// error path would repeat in the second cycle.
TEST_F(CApiOutOfMemory, DenseGemmIsAStatusLeaksNothingAndRecovers) {
  hinm_capi_test::Stream stream;
  ASSERT_NE(stream.get(), nullptr);
  const cudaStream_t s = stream.get();
  DeviceBuffer a(a16_.size() * 2), b(128 * kN * 2), c(256 * kN * 2);
  ASSERT_EQ(cudaMemcpy(a.get(), a16_.data(), a16_.size() * 2, cudaMemcpyHostToDevice),
            cudaSuccess);
  ASSERT_EQ(cudaMemcpy(b.get(), b_.data(), 128 * kN * 2, cudaMemcpyHostToDevice), cudaSuccess);
  std::vector<uint16_t> want;
  {
    hinm_capi_test::Handle warm = hinm_capi_test::NewHandle();
    ASSERT_NE(warm, nullptr);
    Poison(c);
    HINM_ASSERT_OK(Gemm(warm.get(), a, b, c, s));
    HINM_ASSERT_CUDA(cudaStreamSynchronize(s));
    want = Download(c, 256 * kN);
  }
  // Exact data (k/64, fp32 sums exact): any algorithm gives these bits.
  ASSERT_EQ(std::count(want.begin(), want.end(), kPoison16), 0);

  size_t free_before = 0;
  for (int cycle = 0; cycle < 2; ++cycle) {
    SCOPED_TRACE("cycle " + std::to_string(cycle));
    if (cycle == 1) free_before = FreeBytesTrimmed();
    // `used`: cuBLAS created and used on s before the filler; `cold`: its
    // first GPU call (cublasCreate) comes under OOM.
    hinm_capi_test::Handle used = hinm_capi_test::NewHandle(),
                           cold = hinm_capi_test::NewHandle();
    ASSERT_NE(used, nullptr);
    ASSERT_NE(cold, nullptr);
    HINM_ASSERT_OK(Gemm(used.get(), a, b, c, s));
    HINM_ASSERT_CUDA(cudaStreamSynchronize(s));
    {
      DeviceFiller filler;
      filler.Fill();
      for (hinmHandle_t h : {used.get(), cold.get()}) {
        const char* which = h == used.get() ? "warm handle" : "cold handle";
        Poison(c);
        const hinmStatus_t st = Gemm(h, a, b, c, s);
        HINM_ASSERT_CUDA(cudaStreamSynchronize(s));
        std::printf("cycle %d: hinmDenseGemm under OOM, %s: %s %s\n", cycle, which,
                    hinmGetErrorName(st), hinmGetLastErrorMessage());
        if (st == HINM_STATUS_SUCCESS) {
          EXPECT_EQ(Download(c, 256 * kN), want) << which;
        } else {
          EXPECT_EQ(st, HINM_STATUS_ALLOC_FAILED) << which << ": " << hinmGetErrorName(st)
                                                  << ": " << hinmGetLastErrorMessage();
          EXPECT_GT(std::strlen(hinmGetLastErrorMessage()), 0u) << which;
        }
        cudaGetLastError();  // cuBLAS may leave its own failed allocation pending
      }
    }
    for (hinmHandle_t h : {used.get(), cold.get()}) {
      Poison(c);
      HINM_ASSERT_OK(Gemm(h, a, b, c, s));
      HINM_ASSERT_CUDA(cudaStreamSynchronize(s));
      EXPECT_EQ(Download(c, 256 * kN), want) << "after recovery";
    }
  }
  ExpectFreeBytesBackTo(free_before);
}

}  // namespace
