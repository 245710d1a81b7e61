// Instruction ceiling of mma.sp.m16n8k32 (fp16 in, fp32 accumulate) and, for
// comparison, dense mma.m16n8k16, on the current GPU. Each warp runs kChains
// independent accumulator chains on register operands (no memory traffic);
// grid = SMs x 4 CTAs of 8 warps. Reported rate is dense-equivalent:
// 2*16*8*32 flops per mma.sp (what the 2:4 operand stands for), 2*16*8*16 per
// dense mma. Built by scripts/device_stage.sh with nvcc (not part of CI).
#include <cuda_runtime.h>

#include <cstdint>
#include <cstdio>

#include "cuda/mma_sp.cuh"

constexpr int kChains = 8;     // independent mma chains per warp (hides latency)
constexpr int kIters = 4096;   // loop trips per warp

__global__ void __launch_bounds__(256) sp_kernel(float* out, uint32_t seed) {
  uint32_t a[4] = {seed, seed * 3, seed * 5, seed * 7}, b[4] = {seed ^ 1, seed ^ 2, seed ^ 3, seed ^ 4};
  const uint32_t e = 0x44444444u;  // every group keeps positions 0 and 1
  float acc[kChains][4] = {};
  for (int i = 0; i < kIters; ++i) {
#pragma unroll
    for (int c = 0; c < kChains; ++c) hinm_cuda::mma_sp_m16n8k32_f32_f16(acc[c], a, b, e);
  }
  float s = 0.f;
#pragma unroll
  for (int c = 0; c < kChains; ++c) s += acc[c][0] + acc[c][1] + acc[c][2] + acc[c][3];
  if (s == 12345.f) out[threadIdx.x] = s;  // keeps the work alive
}

__global__ void __launch_bounds__(256) dense_kernel(float* out, uint32_t seed) {
  uint32_t a[4] = {seed, seed * 3, seed * 5, seed * 7}, b[2] = {seed ^ 1, seed ^ 2};
  float acc[kChains][4] = {};
  for (int i = 0; i < kIters; ++i) {
#pragma unroll
    for (int c = 0; c < kChains; ++c)
      asm volatile(
          "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, "
          "{%8,%9}, {%0,%1,%2,%3};\n"
          : "+f"(acc[c][0]), "+f"(acc[c][1]), "+f"(acc[c][2]), "+f"(acc[c][3])
          : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]));
  }
  float s = 0.f;
#pragma unroll
  for (int c = 0; c < kChains; ++c) s += acc[c][0] + acc[c][1] + acc[c][2] + acc[c][3];
  if (s == 12345.f) out[threadIdx.x] = s;
}

#define CK(x)                                                              \
  do {                                                                     \
    cudaError_t e_ = (x);                                                  \
    if (e_ != cudaSuccess) {                                               \
      std::fprintf(stderr, "%s: %s\n", #x, cudaGetErrorString(e_));        \
      return 1;                                                            \
    }                                                                      \
  } while (0)

int main() {
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  float* out = nullptr;
  CK(cudaMalloc(&out, 1024 * sizeof(float)));
  const int ctas = prop.multiProcessorCount * 4;
  const double mmas = static_cast<double>(ctas) * 8 * kIters * kChains;
  cudaEvent_t t0, t1;
  CK(cudaEventCreate(&t0));
  CK(cudaEventCreate(&t1));
  for (int which = 0; which < 2; ++which) {
    float best = 1e30f;
    for (int rep = 0; rep < 6; ++rep) {  // first is warm-up; best of the other 5
      CK(cudaEventRecord(t0));
      if (which == 0)
        sp_kernel<<<ctas, 256>>>(out, 7u + rep);
      else
        dense_kernel<<<ctas, 256>>>(out, 7u + rep);
      CK(cudaEventRecord(t1));
      CK(cudaEventSynchronize(t1));
      CK(cudaGetLastError());
      float ms = 0.f;
      CK(cudaEventElapsedTime(&ms, t0, t1));
      if (rep > 0 && ms < best) best = ms;
    }
    const double flops = mmas * (which == 0 ? 2.0 * 16 * 8 * 32 : 2.0 * 16 * 8 * 16);
    std::printf("%s: %.3f ms, %.0f dense-equivalent TFLOP/s (%s, %d SMs)\n",
                which == 0 ? "mma.sp.m16n8k32 f16->f32" : "mma.m16n8k16 f16->f32 (dense)", best,
                flops / (best * 1e-3) / 1e12, prop.name, prop.multiProcessorCount);
  }
  CK(cudaFree(out));
  return 0;
}
