// Placeholder launcher while the mma.sp kernel is being written: reports that
// no sparse kernel exists, so dispatch answers kNotSupported.
#include "cuda/spmm_params.h"

namespace hinm_cuda {

size_t SpmmWorkspaceBytes(const SpmmParams&, const DeviceInfo&) { return 0; }

LaunchResult SpmmLaunch(const SpmmParams&, const DeviceInfo&, void*, size_t, cudaStream_t) {
  LaunchResult r;
  r.status = LaunchStatus::kNoKernel;
  r.reason = "no sparse kernel yet";
  return r;
}

}  // namespace hinm_cuda
