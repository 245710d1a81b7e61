// Helpers for the GPU tests: skip without a device, RAII device buffers,
// 16-bit random data.
#ifndef HINM_TESTS_CUDA_GPU_TEST_UTIL_H_
#define HINM_TESTS_CUDA_GPU_TEST_UTIL_H_

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "cpp/hinm/dense.h"
#include "cpp/hinm/dispatch.h"

// Skips the test (passes as skipped) where no CUDA device exists, e.g. CI.
#define HINM_SKIP_WITHOUT_GPU()                                              \
  do {                                                                       \
    if (!hinm::HasDevice()) GTEST_SKIP() << "no CUDA device: GPU test skipped"; \
  } while (0)

#define HINM_CUDA_OK(expr) ASSERT_EQ(cudaSuccess, (expr)) << cudaGetErrorString(cudaGetLastError())

namespace hinm_test {

// A device allocation of `bytes` bytes, freed on destruction.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes) : bytes_(bytes) {
    if (bytes > 0 && cudaMalloc(&ptr_, bytes) != cudaSuccess) {
      ptr_ = nullptr;
      ADD_FAILURE() << "cudaMalloc(" << bytes << ") failed";
    }
  }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }
  template <typename T>
  void Upload(const std::vector<T>& host) {
    ASSERT_LE(host.size() * sizeof(T), bytes_);
    ASSERT_EQ(cudaSuccess, cudaMemcpy(ptr_, host.data(), host.size() * sizeof(T),
                                      cudaMemcpyHostToDevice));
  }
  template <typename T>
  std::vector<T> Download(size_t count) const {
    std::vector<T> host(count);
    EXPECT_EQ(cudaSuccess, cudaMemcpy(host.data(), ptr_, count * sizeof(T),
                                      cudaMemcpyDeviceToHost));
    return host;
  }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// count 16-bit values of dtype, uniform in [-1, 1).
inline std::vector<uint16_t> Random16(size_t count, hinm::DType dtype, std::mt19937_64& rng) {
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<uint16_t> v(count);
  for (auto& x : v) x = hinm::FloatTo16(u(rng), dtype);
  return v;
}

// The quiet NaN of a 16-bit dtype (poison for "every element written").
inline uint16_t NaN16(hinm::DType dtype) {
  return dtype == hinm::DType::kBFloat16 ? 0x7FC0 : 0x7E00;
}

}  // namespace hinm_test

#endif  // HINM_TESTS_CUDA_GPU_TEST_UTIL_H_
