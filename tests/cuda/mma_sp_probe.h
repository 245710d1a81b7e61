// A one-block probe of mma.sp.m16n8k32 through the production instruction
// wrapper: recovers the dense 16 x 32 A the hardware decodes from one block
// of fragment-native values and metadata words (layout.h), so a test can
// check the layout's metadata bit mapping against the silicon.
#ifndef HINM_TESTS_CUDA_MMA_SP_PROBE_H_
#define HINM_TESTS_CUDA_MMA_SP_PROBE_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace hinm_test {

// values: 256 device u16 (lane-major, 8 per lane); meta: 16 device u32;
// dense: 16 x 32 device floats (row-major) written with the decoded A.
cudaError_t RunMmaSpProbe(const uint16_t* values, const uint32_t* meta, bool bf16, float* dense);

}  // namespace hinm_test

#endif  // HINM_TESTS_CUDA_MMA_SP_PROBE_H_
