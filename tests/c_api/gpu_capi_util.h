// Helpers for the C API's GPU tests that go through hinm.h only: status
// assertions, 16-bit encodings of exactly representable values, owned device
// buffers, streams and hinm objects that are released on every exit path
// (an ASSERT that returns early must not leak: the leak checks count).
#ifndef HINM_TESTS_C_API_GPU_CAPI_UTIL_H_
#define HINM_TESTS_C_API_GPU_CAPI_UTIL_H_

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "hinm/hinm.h"
#include "tests/c_api/serialized_bytes.h"

#define HINM_ASSERT_OK(call)                                                \
  do {                                                                      \
    const hinmStatus_t s_ = (call);                                         \
    ASSERT_EQ(s_, HINM_STATUS_SUCCESS) << hinmGetErrorName(s_) << ": "      \
                                       << hinmGetLastErrorMessage();        \
  } while (0)

#define HINM_ASSERT_CUDA(call)                                                        \
  do {                                                                                \
    const cudaError_t e_ = (call);                                                    \
    ASSERT_EQ(e_, cudaSuccess) << #call << ": " << cudaGetErrorName(e_);              \
  } while (0)

namespace hinm_capi_test {

// True if hinm sees a CUDA device (the tests skip otherwise).
inline bool HasDevice() {
  hinmHandle_t h = nullptr;
  if (hinmCreate(&h) != HINM_STATUS_SUCCESS) return false;
  int32_t has = 0;
  const bool ok = hinmHasDevice(h, &has) == HINM_STATUS_SUCCESS && has != 0;
  hinmDestroy(h);
  return ok;
}

// 16-bit bits of f for HINM_R_16F / HINM_R_16BF. Exact only for values with
// at most 8 significant bits in the normal fp16 range (the tests use k/64,
// |k| <= 64): no rounding logic is needed, so none can be wrong.
inline uint16_t To16(float f, hinmDataType_t t) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  if (t == HINM_R_16BF) return static_cast<uint16_t>(b >> 16);
  if ((b & 0x7fffffff) == 0) return static_cast<uint16_t>((b >> 16) & 0x8000);
  return static_cast<uint16_t>(((b >> 16) & 0x8000) | ((((b >> 23) & 0xff) - 112) << 10) |
                               ((b >> 13) & 0x3ff));
}

// Any 16-bit value back to float (NaN and Inf included).
inline float From16(uint16_t h, hinmDataType_t t) {
  if (t == HINM_R_16BF) {
    const uint32_t b = static_cast<uint32_t>(h) << 16;
    float f;
    std::memcpy(&f, &b, 4);
    return f;
  }
  const int e = (h >> 10) & 0x1f, m = h & 0x3ff;
  float mag;
  if (e == 0x1f) {
    mag = m ? NAN : INFINITY;
  } else {
    mag = e == 0 ? std::ldexp(static_cast<float>(m), -24)
                 : std::ldexp(static_cast<float>(m | 0x400), e - 25);
  }
  return (h & 0x8000) ? -mag : mag;
}

// 0xFFFF is a NaN in both fp16 and bf16: the poison of "never written".
constexpr uint16_t kPoison16 = 0xFFFF;

// A cudaMalloc'd buffer, freed on destruction.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  explicit DeviceBuffer(size_t bytes) { Allocate(bytes); }
  ~DeviceBuffer() { cudaFree(ptr_); }
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  DeviceBuffer(DeviceBuffer&& o) noexcept : ptr_(o.ptr_), bytes_(o.bytes_) { o.ptr_ = nullptr; }
  // False (and a test failure) if cudaMalloc fails.
  bool Allocate(size_t bytes) {
    cudaFree(ptr_);
    ptr_ = nullptr;
    bytes_ = bytes;
    if (bytes == 0) return true;
    const cudaError_t e = cudaMalloc(&ptr_, bytes);
    if (e != cudaSuccess) {
      cudaGetLastError();
      ptr_ = nullptr;
      ADD_FAILURE() << "cudaMalloc(" << bytes << "): " << cudaGetErrorName(e);
      return false;
    }
    return true;
  }
  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  void* ptr_ = nullptr;
  size_t bytes_ = 0;
};

// A non-blocking stream (never serialised with the legacy default stream,
// so work of different threads really overlaps).
class Stream {
 public:
  Stream() {
    if (cudaStreamCreateWithFlags(&s_, cudaStreamNonBlocking) != cudaSuccess) {
      cudaGetLastError();
      s_ = nullptr;
      ADD_FAILURE() << "cudaStreamCreateWithFlags failed";
    }
  }
  ~Stream() {
    if (s_ != nullptr) cudaStreamDestroy(s_);
  }
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return s_; }

 private:
  cudaStream_t s_ = nullptr;
};

// hinm objects released on scope exit.
struct HandleDeleter {
  void operator()(hinmHandle_t h) const { hinmDestroy(h); }
};
struct DescriptorDeleter {
  void operator()(hinmDescriptor_t d) const { hinmDestroyDescriptor(d); }
};
using Handle = std::unique_ptr<hinmContext, HandleDeleter>;
using Descriptor = std::unique_ptr<hinmMatrix, DescriptorDeleter>;

inline Handle NewHandle() {
  hinmHandle_t h = nullptr;
  EXPECT_EQ(hinmCreate(&h), HINM_STATUS_SUCCESS) << hinmGetLastErrorMessage();
  return Handle(h);
}

// A byte-for-byte copy of d made through hinmSerialize/hinmDeserialize: same
// compressed arrays, but not yet uploaded to any device.
inline Descriptor Copy(hinmHandle_t h, hinmDescriptor_t d) {
  const std::vector<uint8_t> bytes = SerializedBytes(d);
  hinmDescriptor_t out = nullptr;
  EXPECT_EQ(hinmDeserialize(h, &out, bytes.data(), bytes.size()), HINM_STATUS_SUCCESS)
      << hinmGetLastErrorMessage();
  return Descriptor(out);
}

}  // namespace hinm_capi_test

#endif  // HINM_TESTS_C_API_GPU_CAPI_UTIL_H_
