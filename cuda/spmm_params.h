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

// A plan chosen outside the planner (the timed plan search of
// cpp/hinm/device_plan_search.h): which kernel, which mma.sp tile config and
// which K split. Every field left at its default leaves that part to the
// planner. A caller's SpmmParams::kernel other than kAuto and the benchmark
// knobs (HINM_SPMM_*) take precedence.
//   kernel  kWgmmaSp where the device cannot run it (not sm_90): ignored.
//   config  a ConfigId the planner picks by max_n (narrow, mid, wide; the
//           vector and _c8 variants follow from N and the split as usual);
//           -1 or any other id: the planner's.
//   splits  ranges of k-blocks, summed by `sum` (mma.sp only); a cluster
//           where none can run (not sm_90, more than what the config and its
//           _c8 variant sum) falls back to partials.
struct PlanChoice {
  KernelChoice kernel = KernelChoice::kAuto;
  int32_t config = -1;
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
  PlanChoice choice;            // defaults: the planner's
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

// The plans worth timing for this problem on this device (all explicit
// PlanChoices, no plan twice): the planner's own first; then every other K
// split of its kernel and config whose CTAs are all resident at once, each as
// partials and, where a cluster can sum it, as a cluster; then the other
// kernel and tile configs that suit N, each with the split the planner would
// give it (sm_90: wgmma.sp from N = 128, V a multiple of 128; mma.sp configs
// whose token tile is at most twice N and at least N / 8). One entry where
// there is nothing to choose. p.choice is ignored. Host-only, like the
// planner.
std::vector<PlanChoice> SpmmPlanCandidates(const SpmmParams& p, const DeviceInfo& dev);

// Runs the SpMM on stream. workspace may be null iff workspace_bytes is 0.
LaunchResult SpmmLaunch(const SpmmParams& p, const DeviceInfo& dev,
                        void* workspace, size_t workspace_bytes,
                        cudaStream_t stream);

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_PARAMS_H_
