// Plain argument structs between the core's dispatch (cpp/hinm/dispatch.cc)
// and the CUDA kernels. Nothing here includes cpp/: dispatch fills these from
// a CompressedMatrix (whose layout is defined in cpp/hinm/layout.h) and the
// caller's SpmmArgs. Host-only header (no device code), C++17.
#ifndef HINM_CUDA_SPMM_PARAMS_H_
#define HINM_CUDA_SPMM_PARAMS_H_

#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace hinm_cuda {

enum class ElemType : int32_t { kF16 = 0, kBF16 = 1 };

// Which sparse kernel may run. kAuto: the planner decides by architecture, V
// and N; the others force one (tests, benchmarks) and return kNoKernel where
// it cannot run (wgmma.sp: compute capability 9.0 only).
enum class KernelChoice : int32_t { kAuto = 0, kMmaSp = 1, kWgmmaSp = 2 };

// How the CTAs of a K split add their sums: fp32 partials in the workspace
// and a reduce kernel, or (sm_90) through the shared memory of a cluster.
enum class SplitSum : int32_t { kPartials = 0, kCluster = 1 };

// A K split chosen outside the planner (the timed plan search of
// cpp/hinm/device_plan_search.h): `splits` ranges of k-blocks, summed by
// `sum`. splits = 0 leaves the planner's own choice. Applies to the mma.sp
// kernel only; a cluster where none can run (not sm_90, more than
// what the config and its _c8 variant sum) falls back to partials.
struct SplitChoice {
  int32_t splits = 0;
  SplitSum sum = SplitSum::kPartials;
};

// One SpMM problem: C = alpha * A * B + beta * C (+ bias).
//   A: compressed HiNM (layout.h), M x K, tile height V, K_keep_pad slots.
//   B: K x N (row-major, "feature-major") or N x K ("token-major").
//   C: M x N or N x M.
struct SpmmParams {
  int32_t m = 0;              // output rows (unpadded)
  int32_t k = 0;              // input rows of B (columns of A)
  int32_t n = 0;              // tokens
  int32_t tile_rows = 0;      // V, multiple of 16
  int32_t padded_slots = 0;   // K_keep_pad, multiple of 32
  ElemType dtype = ElemType::kF16;  // of A values, B, C, bias

  const uint16_t* values = nullptr;  // fragment-native blocks, 256 per block
  const uint32_t* meta = nullptr;    // 16 words per block
  const int32_t* col_idx = nullptr;  // [tiles][padded_slots], -1 = zero row
  const int32_t* row_perm = nullptr; // compressed row p -> original row, or null

  bool store_permuted = false;  // true: C row p gets compressed row p
  const void* b = nullptr;
  bool b_token_major = false;
  int64_t ldb = 0;              // elements
  void* c = nullptr;
  bool c_token_major = false;
  int64_t ldc = 0;              // elements
  const void* bias = nullptr;   // M entries indexed by original row, or null
  float alpha = 1.f;
  float beta = 0.f;
  KernelChoice kernel = KernelChoice::kAuto;
  SplitChoice split;            // splits = 0: the planner's
};

// What the device offers the planner.
struct DeviceInfo {
  int num_sms = 132;
  int cc_major = 9;
  int cc_minor = 0;
};

// Status of a launcher (no exceptions cross this boundary).
enum class LaunchStatus : int32_t {
  kOk = 0,
  kWorkspaceTooSmall = 1,
  kMisaligned = 2,    // a pointer or leading dimension breaks 16-byte rules
  kCudaError = 3,     // launch failed: see cuda_error
  kNoKernel = 4,      // no shipped kernel covers this problem
};

struct LaunchResult {
  LaunchStatus status = LaunchStatus::kOk;
  cudaError_t cuda_error = cudaSuccess;
  const char* reason = "";  // static string, for kMisaligned / kNoKernel
};

// Bytes of device workspace SpmmLaunch needs for this problem on this device
// (depends on shapes, orders and alignment of b / ldb, and the SM count).
size_t SpmmWorkspaceBytes(const SpmmParams& p, const DeviceInfo& dev);

// What SpmmLaunch would run for this problem on this device, in one line
// (the planner's choice under the current HINM_SPMM_* knobs), e.g.
//   "mma.sp vector_128x8 ctas=32 splits=8 sum=partials kb=11 b=in-place"
//   "wgmma.sp bn=256 grid=132 b=in-place"
// ctas: CTAs per split; sum: how splits are added (cluster: in shared memory;
// partials: fp32 partials and a reduce kernel); kb: 32-slot k-blocks per
// split; b: read where it is or packed into the workspace first. For logs
// and tests; not a stable format.
std::string SpmmPlanSummary(const SpmmParams& p, const DeviceInfo& dev);

// The K splits worth timing for this problem on this device: the planner's
// own choice first (as an explicit SplitChoice), then every other split
// count whose CTAs are all resident at once, each as partials and, where a
// cluster can sum it, as a cluster; no plan twice. One entry where there is
// nothing to choose (the wgmma.sp kernel, or a grid that fills the GPU
// unsplit). p.split is ignored. Host-only, like the planner.
std::vector<SplitChoice> SpmmSplitCandidates(const SpmmParams& p, const DeviceInfo& dev);

// Runs the SpMM on stream. workspace may be null iff workspace_bytes is 0.
LaunchResult SpmmLaunch(const SpmmParams& p, const DeviceInfo& dev,
                        void* workspace, size_t workspace_bytes,
                        cudaStream_t stream);

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_PARAMS_H_
