// L2 -> shared memory ceilings of the current GPU, the roofline of the
// wgmma.sp kernel's data movement (docs/performance.md). Every CTA (one per
// SM, persistent) streams stages of an L2-resident buffer into a ring of
// shared-memory slots and never reads them: only the copies are timed.
//
//   gather<T>   the SpMM's B gather: per stage 32 rows x 512 B (one k-block
//               of 256 tokens) picked by a random row list from a 8192-row
//               buffer with 8 KB pitch, 16-byte cp.async.cg by T threads,
//               one commit group per stage, kStages groups in flight.
//   bulk<B>     one thread, cp.async.bulk of B contiguous bytes per stage
//               completing on an mbarrier per slot (the A / metadata path).
//
// The hot set (4 column blocks x 8192 rows x 512 B = 16 MB, or 16 MB
// contiguous) stays in the 50 MB L2 after the first pass. Reported: bytes
// moved into shared memory / kernel time (CUDA events, median of 5).
// Built by scripts/device_stage.sh with nvcc (not a CI target).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <random>
#include <vector>

#include "cuda/sm90_ptx.cuh"

namespace {

constexpr int kRows = 8192;         // buffer rows (the K of a large layer)
constexpr int kPitch = 8192;        // bytes per buffer row (4096 fp16 tokens)
constexpr int kRowBytes = 512;      // bytes gathered per row per stage (256 tokens)
constexpr int kStageBytes = 32 * kRowBytes;  // 16 KB, one k-block of B
constexpr int kStages = 10;
constexpr int kIters = 8000;        // stages per CTA

__device__ __forceinline__ uint32_t smem_addr(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

template <int kThreads>
__global__ void __launch_bounds__(kThreads, 1)
    gather_kernel(const uint8_t* __restrict__ buf, const int32_t* __restrict__ rows) {
  extern __shared__ __align__(1024) uint8_t ring[];
  constexpr int kChunks = kStageBytes / 16 / kThreads;  // 16-byte copies per thread per stage
  static_assert(kChunks * kThreads * 16 == kStageBytes, "threads must divide the stage");
  const int col_block = blockIdx.x & 3;
  int rcur = (blockIdx.x * 977) % kRows;
  for (int it = 0; it < kIters; ++it) {
    uint8_t* slot = ring + (it % kStages) * kStageBytes;
#pragma unroll
    for (int j = 0; j < kChunks; ++j) {
      const int ci = j * kThreads + threadIdx.x;  // consecutive threads: consecutive 16 B of a row
      const int r = ci / (kRowBytes / 16), c = ci % (kRowBytes / 16);
      const int row = __ldg(rows + (rcur + r) % kRows);
      const uint8_t* src = buf + static_cast<int64_t>(row) * kPitch + col_block * kRowBytes + c * 16;
      asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem_addr(slot + ci * 16)),
                   "l"(src)
                   : "memory");
    }
    asm volatile("cp.async.commit_group;\n" ::: "memory");
    asm volatile("cp.async.wait_group %0;\n" ::"n"(kStages - 1) : "memory");
    rcur = (rcur + 32) % kRows;
  }
  asm volatile("cp.async.wait_group 0;\n" ::: "memory");
}

template <int kBytes>
__global__ void __launch_bounds__(32, 1) bulk_kernel(const uint8_t* __restrict__ buf, int64_t span) {
  extern __shared__ __align__(1024) uint8_t ring[];
  __shared__ __align__(8) uint64_t bar[kStages];
  if (threadIdx.x != 0) return;
  for (int s = 0; s < kStages; ++s) hinm_cuda::mbar_init(smem_addr(&bar[s]), 1);
  hinm_cuda::mbar_fence_init();
  int64_t off = (static_cast<int64_t>(blockIdx.x) * 7919 * kBytes) % span;
  for (int it = 0; it < kIters; ++it) {
    const int s = it % kStages;
    if (it >= kStages) hinm_cuda::mbar_wait(smem_addr(&bar[s]), ((it / kStages) - 1) & 1);
    hinm_cuda::mbar_arrive_expect_tx(smem_addr(&bar[s]), kBytes);
    hinm_cuda::bulk_copy_g2s(smem_addr(ring + s * kBytes), buf + off, kBytes, smem_addr(&bar[s]));
    off += kBytes;
    if (off + kBytes > span) off = 0;
  }
  for (int it = kIters; it < kIters + kStages; ++it) {
    const int s = it % kStages;
    hinm_cuda::mbar_wait(smem_addr(&bar[s]), ((it / kStages) - 1) & 1);
  }
}

#define CK(x)                                                                       \
  do {                                                                              \
    cudaError_t e_ = (x);                                                           \
    if (e_ != cudaSuccess) {                                                        \
      std::fprintf(stderr, "%s:%d %s\n", __FILE__, __LINE__, cudaGetErrorString(e_)); \
      std::exit(1);                                                                 \
    }                                                                               \
  } while (0)

template <typename Launch>
double MedianMs(Launch launch) {
  cudaEvent_t a, b;
  CK(cudaEventCreate(&a));
  CK(cudaEventCreate(&b));
  launch();  // warm-up: fills L2
  CK(cudaDeviceSynchronize());
  std::vector<float> ms;
  for (int r = 0; r < 5; ++r) {
    CK(cudaEventRecord(a));
    launch();
    CK(cudaEventRecord(b));
    CK(cudaEventSynchronize(b));
    float t;
    CK(cudaEventElapsedTime(&t, a, b));
    ms.push_back(t);
  }
  std::sort(ms.begin(), ms.end());
  return ms[ms.size() / 2];
}

template <int kThreads>
void RunGather(const uint8_t* buf, const int32_t* rows, int sms) {
  const int smem = kStages * kStageBytes;
  CK(cudaFuncSetAttribute(gather_kernel<kThreads>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  const double ms = MedianMs([&] { gather_kernel<kThreads><<<sms, kThreads, smem>>>(buf, rows); });
  CK(cudaGetLastError());
  const double bytes = static_cast<double>(sms) * kIters * kStageBytes;
  std::printf("gather  cp.async 16 B, %3d threads/SM, 32 x 512 B rows/stage: %7.3f ms  %6.2f TB/s\n",
              kThreads, ms, bytes / ms / 1e9);
}

template <int kBytes>
void RunBulk(const uint8_t* buf, int64_t span, int sms) {
  const int smem = kStages * kBytes;
  CK(cudaFuncSetAttribute(bulk_kernel<kBytes>, cudaFuncAttributeMaxDynamicSharedMemorySize, smem));
  const double ms = MedianMs([&] { bulk_kernel<kBytes><<<sms, 32, smem>>>(buf, span); });
  CK(cudaGetLastError());
  const double bytes = static_cast<double>(sms) * kIters * kBytes;
  std::printf("bulk    cp.async.bulk %6d B/stage, 1 thread/SM:                 %7.3f ms  %6.2f TB/s\n",
              kBytes, ms, bytes / ms / 1e9);
}

}  // namespace

int main() {
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  if (prop.major < 9) {
    std::printf("needs sm_90 (cp.async.bulk); this is sm_%d%d\n", prop.major, prop.minor);
    return 0;
  }
  const int sms = prop.multiProcessorCount;
  std::printf("device %s, %d SMs, L2 %.0f MB; every CTA: %d stages x %d in flight\n", prop.name,
              sms, prop.l2CacheSize / 1e6, kIters, kStages);
  uint8_t* buf;
  int32_t* rows;
  const size_t bytes = static_cast<size_t>(kRows) * kPitch;  // 64 MB, 16 MB of it hot
  CK(cudaMalloc(&buf, bytes));
  CK(cudaMemset(buf, 1, bytes));
  std::vector<int32_t> perm(kRows);
  for (int i = 0; i < kRows; ++i) perm[i] = i;
  std::shuffle(perm.begin(), perm.end(), std::mt19937(7));
  CK(cudaMalloc(&rows, kRows * 4));
  CK(cudaMemcpy(rows, perm.data(), kRows * 4, cudaMemcpyHostToDevice));
  RunGather<128>(buf, rows, sms);
  RunGather<256>(buf, rows, sms);
  RunGather<512>(buf, rows, sms);
  const int64_t span = 16 << 20;
  RunBulk<4096>(buf, span, sms);
  RunBulk<16384>(buf, span, sms);
  CK(cudaFree(buf));
  CK(cudaFree(rows));
  return 0;
}
