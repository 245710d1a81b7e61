// The elementwise activation between the two projections of ffn_bench, one
// kernel used by both the hinm and the cuBLAS chain (so the comparison is of
// the matmuls and the layout, not of two activation implementations).
#ifndef HINM_BENCHMARKS_FFN_ACTIVATION_H_
#define HINM_BENCHMARKS_FFN_ACTIVATION_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace hinm_bench {

enum class Activation { kGelu = 0, kSilu = 1 };  // GELU: erf form; SiLU: x * sigmoid(x)

// x[i] = act(x[i]) for i < count, in place; 16-bit values (fp16, or bf16 when
// bf16 is true), computed in fp32. Returns the launch status.
cudaError_t LaunchActivation(Activation act, bool bf16, void* x, int64_t count,
                             cudaStream_t stream);

// The same function on the host, for the fp64 check.
double ActivationHost(Activation act, double x);

}  // namespace hinm_bench

#endif  // HINM_BENCHMARKS_FFN_ACTIVATION_H_
