// GPU side of the core: device copies of compressed matrices, kernel
// selection (can_implement -> workspace size -> run), and the cuBLAS path.
// Kernels live in cuda/ and take plain argument structs; this file turns a
// CompressedMatrix + SpmmArgs into those structs.
#ifndef HINM_DISPATCH_H_
#define HINM_DISPATCH_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpp/hinm/compressed_matrix.h"
#include "cpp/hinm/reference.h"
#include "cpp/hinm/spmm_plan_choice.h"

namespace hinm {

// True if the CUDA runtime finds at least one device (never throws).
bool HasDevice();

// The compressed arrays on one device. Created by Upload, freed on
// destruction. Read-only: shareable across streams.
class DeviceMatrix {
 public:
  // Throws Error(kNoDevice | kAllocFailed | kCudaError). Synchronous.
  static std::unique_ptr<DeviceMatrix> Upload(const CompressedMatrix& m,
                                              cudaStream_t stream);
  ~DeviceMatrix();
  DeviceMatrix(const DeviceMatrix&) = delete;
  DeviceMatrix& operator=(const DeviceMatrix&) = delete;

  int device() const { return device_; }
  const uint16_t* values() const { return values_; }
  const uint32_t* meta() const { return meta_; }
  const int32_t* col_idx() const { return col_idx_; }
  const int32_t* row_perm() const { return row_perm_; }  // null = identity

 private:
  DeviceMatrix() = default;
  int device_ = -1;
  uint16_t* values_ = nullptr;
  uint32_t* meta_ = nullptr;
  int32_t* col_idx_ = nullptr;
  int32_t* row_perm_ = nullptr;
};

// Per library handle: lazily created cuBLAS handle etc. Not thread-safe
// (one library handle per thread, like cuBLAS).
class GpuContext {
 public:
  GpuContext();
  ~GpuContext();
  GpuContext(const GpuContext&) = delete;
  GpuContext& operator=(const GpuContext&) = delete;
  void* cublas();  // cublasHandle_t, created on first use; throws kNoDevice...
 private:
  void* cublas_ = nullptr;
};


// The kernel (GpuKernel), tile config and K split of a call are the
// planner's (docs/kernels.md) unless `choice` (SpmmPlanChoice; from
// SpmmSearch or a descriptor's TunedPlans) names them. `kernel` other than
// kAuto forces one -- for tests and benchmarks -- before `choice`, and
// SpmmDevice throws kNotSupported where it cannot run (wgmma.sp: sm_90
// only); a choice the device cannot follow is ignored.

// Device workspace bytes SpmmDevice needs for this problem with this kernel
// and plan choice.
size_t SpmmWorkspaceSize(const CompressedMatrix& a, int64_t n, Order b_order,
                         Order c_order, GpuKernel kernel = GpuKernel::kAuto,
                         const SpmmPlanChoice& choice = {});

// C = alpha A B + beta C (+bias) on the GPU. args holds device pointers.
// Validates (ValidateSpmmArgs + alignment + device), plans (above), launches
// on stream. Throws Error(kNotSupported) with a reason if no kernel fits.
void SpmmDevice(const CompressedMatrix& a, const DeviceMatrix& d,
                const SpmmArgs& args, void* workspace, size_t workspace_size,
                cudaStream_t stream, GpuKernel kernel = GpuKernel::kAuto,
                const SpmmPlanChoice& choice = {});

// One line naming the kernel, tile config, K split and B handling that
// SpmmDevice would use for this call on the current device (what
// benchmarks record beside each timing); see hinm_cuda::SpmmPlanSummary.
std::string SpmmPlanDescription(const CompressedMatrix& a, const SpmmArgs& args,
                                GpuKernel kernel = GpuKernel::kAuto,
                                const SpmmPlanChoice& choice = {});

// The plans a timed search compares for this call on the current device
// (hinm_cuda::SpmmPlanCandidates, every field explicit): the planner's
// first; its other K splits; the other kernel and tile configs that suit N.
// One entry where there is nothing to choose.
std::vector<SpmmPlanChoice> SpmmPlanCandidates(const CompressedMatrix& a, const SpmmArgs& args);

// Dense C = alpha A B + beta C through cuBLAS (A M x K row-major on device).
void DenseGemmDevice(GpuContext& ctx, int64_t m, int64_t n, int64_t k,
                     float alpha, const void* a, int64_t lda, const void* b,
                     Order b_order, int64_t ldb, float beta, void* c,
                     Order c_order, int64_t ldc, DType dtype,
                     cudaStream_t stream);

}  // namespace hinm

#endif  // HINM_DISPATCH_H_
