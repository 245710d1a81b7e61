// The fuzz build has no GPU side: cpp/hinm/dispatch.cc and the kernels need
// nvcc, and the fuzzers only reach CPU paths. This file stands in for them
// (and for the three CUDA runtime calls the C shim makes): no device, so any
// GPU entry reports HINM_STATUS_NO_DEVICE, as on a machine without a GPU.
#include "cpp/hinm/device_identity.h"
#include "cpp/hinm/device_plan_search.h"
#include "cpp/hinm/dispatch.h"
#include "cpp/hinm/error.h"

namespace hinm {

namespace {
[[noreturn]] void NoDevice() { throw Error(Status::kNoDevice, "fuzz build: no CUDA device"); }
}  // namespace

bool HasDevice() { return false; }
std::unique_ptr<DeviceMatrix> DeviceMatrix::Upload(const CompressedMatrix&, cudaStream_t) {
  NoDevice();
}
DeviceMatrix::~DeviceMatrix() = default;
GpuContext::GpuContext() = default;
GpuContext::~GpuContext() = default;
void* GpuContext::cublas() { NoDevice(); }
size_t SpmmWorkspaceSize(const CompressedMatrix&, int64_t, Order, Order, GpuKernel,
                         const SpmmPlanChoice&) {
  return 0;
}
void SpmmDevice(const CompressedMatrix&, const DeviceMatrix&, const SpmmArgs&, void*, size_t,
                cudaStream_t, GpuKernel, const SpmmPlanChoice&) {
  NoDevice();
}
DeviceIdentity DeviceIdentityOf(int) { NoDevice(); }
std::optional<DeviceIdentity> CurrentDeviceIdentity() { return std::nullopt; }
SpmmSearchResult SpmmSearch(const CompressedMatrix&, const DeviceMatrix&, const SpmmArgs&, void*,
                            size_t, cudaStream_t) {
  NoDevice();
}
void DenseGemmDevice(GpuContext&, int64_t, int64_t, int64_t, float, const void*, int64_t,
                     const void*, Order, int64_t, float, void*, Order, int64_t, DType,
                     cudaStream_t) {
  NoDevice();
}

}  // namespace hinm

extern "C" cudaError_t cudaGetDevice(int* device) {
  *device = 0;
  return cudaErrorNoDevice;
}
extern "C" const char* cudaGetErrorString(cudaError_t) { return "no CUDA device (fuzz build)"; }
extern "C" cudaError_t cudaGetLastError() { return cudaSuccess; }
extern "C" cudaError_t cudaStreamIsCapturing(cudaStream_t, cudaStreamCaptureStatus* status) {
  *status = cudaStreamCaptureStatusNone;
  return cudaErrorNoDevice;
}
