// Which GPU model a CUDA device is (DeviceIdentity, cpp/hinm/tuned_plans.h:
// name, compute capability, SM count), the key under which a searched plan
// is stored and saved. Read once per device ordinal with
// cudaGetDeviceProperties and cached for the process: every hinmSpMM asks,
// and after the first call an answer costs a lock and a map lookup.
// Thread-safe.
#ifndef HINM_DEVICE_IDENTITY_H_
#define HINM_DEVICE_IDENTITY_H_

#include <optional>

#include "cpp/hinm/tuned_plans.h"

namespace hinm {

// Of device `ordinal`. Throws Error(kNoDevice | kCudaError) where its
// properties cannot be read (nothing is cached then: a later call retries).
DeviceIdentity DeviceIdentityOf(int ordinal);

// Of the current device; nullopt where there is none to ask about
// (cudaGetDevice or cudaGetDeviceProperties fails; the error is cleared).
std::optional<DeviceIdentity> CurrentDeviceIdentity();

}  // namespace hinm

#endif  // HINM_DEVICE_IDENTITY_H_
