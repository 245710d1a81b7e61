// CUDA runtime helpers of the GPU commands (`hinm spmm`, `hinm tune`): a
// failed call becomes a RunError, and a device allocation lives for a scope.
#ifndef HINM_CLI_DEVICE_BUFFER_H_
#define HINM_CLI_DEVICE_BUFFER_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>

#include "cli/flags.h"

namespace hinm_cli {

inline void CheckCuda(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw RunError(std::string(what) + " failed: " + cudaGetErrorString(e));
}

// A device buffer freed on scope exit (none for 0 bytes).
class DeviceBuffer {
 public:
  explicit DeviceBuffer(size_t bytes) {
    if (bytes > 0) CheckCuda(cudaMalloc(&p_, bytes), "cudaMalloc");
  }
  ~DeviceBuffer() {
    if (p_ != nullptr) cudaFree(p_);
  }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return p_; }

 private:
  void* p_ = nullptr;
};

}  // namespace hinm_cli

#endif  // HINM_CLI_DEVICE_BUFFER_H_
