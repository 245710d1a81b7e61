// CUDA runtime errors as hinm::Error, for the core's GPU side (dispatch and
// the plan search).
#ifndef HINM_DEVICE_ERROR_H_
#define HINM_DEVICE_ERROR_H_

#include <cuda_runtime_api.h>

namespace hinm {

// Throws Error: kAllocFailed for an out-of-memory, kNoDevice where no GPU or
// driver is usable, else kCudaError; the message names `what` and the CUDA
// error. Clears the (non-sticky) error first so the next call starts clean.
[[noreturn]] void ThrowCuda(cudaError_t e, const char* what);

inline void CheckCuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) ThrowCuda(e, what);
}

}  // namespace hinm

#endif  // HINM_DEVICE_ERROR_H_
