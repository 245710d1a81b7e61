#include "benchmarks/ffn_activation.h"

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cmath>

namespace hinm_bench {
namespace {

__device__ __forceinline__ float Act(Activation act, float x) {
  return act == Activation::kGelu ? 0.5f * x * (1.f + erff(x * 0.70710678118654752f))
                                  : x / (1.f + __expf(-x));
}

// Two values per thread through a 32-bit access (count is even in ffn_bench:
// the tail, if any, is handled by the last thread).
template <typename T2, typename T>
__global__ void ActivationKernel(Activation act, T* x, int64_t count) {
  const int64_t pairs = count / 2;
  T2* x2 = reinterpret_cast<T2*>(x);
  for (int64_t i = blockIdx.x * int64_t{blockDim.x} + threadIdx.x; i < pairs;
       i += int64_t{gridDim.x} * blockDim.x) {
    T2 v = x2[i];
    float a = static_cast<float>(v.x), b = static_cast<float>(v.y);
    v.x = T(Act(act, a));
    v.y = T(Act(act, b));
    x2[i] = v;
  }
  if ((count & 1) && blockIdx.x == 0 && threadIdx.x == 0)
    x[count - 1] = T(Act(act, static_cast<float>(x[count - 1])));
}

}  // namespace

cudaError_t LaunchActivation(Activation act, bool bf16, void* x, int64_t count,
                             cudaStream_t stream) {
  if (count <= 0) return cudaSuccess;
  const int threads = 256;
  // Grid-stride loop: enough blocks for one pair per thread, capped (a few
  // waves on any current GPU; the loop covers the rest).
  const int64_t want = (count / 2 + threads - 1) / threads;
  const int blocks = static_cast<int>(want < 1 ? 1 : (want > 4096 ? 4096 : want));
  if (bf16) {
    ActivationKernel<__nv_bfloat162, __nv_bfloat16>
        <<<blocks, threads, 0, stream>>>(act, static_cast<__nv_bfloat16*>(x), count);
  } else {
    ActivationKernel<__half2, __half><<<blocks, threads, 0, stream>>>(act, static_cast<__half*>(x),
                                                                      count);
  }
  return cudaPeekAtLastError();
}

double ActivationHost(Activation act, double x) {
  return act == Activation::kGelu ? 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)))
                                  : x / (1.0 + std::exp(-x));
}

}  // namespace hinm_bench
