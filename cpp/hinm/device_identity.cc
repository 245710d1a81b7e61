#include "cpp/hinm/device_identity.h"

#include <cuda_runtime_api.h>

#include <cstring>
#include <map>
#include <mutex>
#include <utility>

#include "cpp/hinm/device_error.h"
#include "cpp/hinm/error.h"

namespace hinm {
namespace {

struct IdentityCache {
  std::mutex mu;
  std::map<int, DeviceIdentity> by_ordinal;
};

// Never destroyed: hinm calls from other threads during exit stay safe.
IdentityCache& Cache() {
  static IdentityCache* c = new IdentityCache;
  return *c;
}

}  // namespace

DeviceIdentity DeviceIdentityOf(int ordinal) {
  IdentityCache& cache = Cache();
  std::lock_guard<std::mutex> lock(cache.mu);
  const auto it = cache.by_ordinal.find(ordinal);
  if (it != cache.by_ordinal.end()) return it->second;
  cudaDeviceProp prop;
  CheckCuda(cudaGetDeviceProperties(&prop, ordinal), "cudaGetDeviceProperties");
  DeviceIdentity id;
  id.name.assign(prop.name, strnlen(prop.name, sizeof prop.name));
  id.cc_major = prop.major;
  id.cc_minor = prop.minor;
  id.sm_count = prop.multiProcessorCount;
  return cache.by_ordinal.emplace(ordinal, std::move(id)).first->second;
}

std::optional<DeviceIdentity> CurrentDeviceIdentity() {
  int device = 0;
  if (cudaGetDevice(&device) != cudaSuccess) {
    cudaGetLastError();
    return std::nullopt;
  }
  try {
    return DeviceIdentityOf(device);
  } catch (const Error&) {  // ThrowCuda cleared the CUDA error
    return std::nullopt;
  }
}

}  // namespace hinm
