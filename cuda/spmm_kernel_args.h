// Device-level arguments of the HiNM SpMM kernels (what the planner in
// cuda/spmm_launch.cu derives from SpmmParams), and the per-instantiation
// launchers, one per (dtype, config), each defined in its own .cu file.
#ifndef HINM_CUDA_SPMM_KERNEL_ARGS_H_
#define HINM_CUDA_SPMM_KERNEL_ARGS_H_

#include <cuda_runtime_api.h>

#include <cstdint>

namespace hinm_cuda {

struct KernelArgs {
  int32_t m = 0, n = 0;            // output rows, tokens
  int32_t k = 0;                   // rows of B
  int32_t tile_rows = 0;           // V
  int32_t rb_per_tile = 0;         // V / 16
  int32_t col_blocks = 0;          // K_keep_pad / 32
  int32_t padded_slots = 0;        // K_keep_pad
  int32_t num_tiles = 0;           // ceil(m / V)
  int32_t row_ctas_per_tile = 0;   // ceil(rb_per_tile / (block_m / 16))
  int32_t n_tiles = 0;             // ceil(n / block_n)
  int32_t splits = 1;              // K-splits (blockIdx.z); > 1: write partials
  int32_t kb_per_split = 0;        // 32-slot k-steps per split
  bool cluster_reduce = false;     // splits > 1 summed through a cluster's shared memory
                                   // (sm_90; spmm_cluster_reduce.cuh), not partials

  const uint16_t* values = nullptr;  // layout.h blocks
  const uint32_t* meta = nullptr;
  const int32_t* col_idx = nullptr;
  const int32_t* row_perm = nullptr;  // null = identity
  bool store_permuted = false;

  const uint16_t* b = nullptr;  // K x n row-major, 16-byte aligned, ldb % 8 == 0
  int64_t ldb = 0;              // vector config: the element stride of B's one column
  uint32_t b_vec_bytes = 0;     // vector config: bytes from b (rounded down to 4 bytes) to
                                // past B's last element
  void* c = nullptr;            // M x n (ldc) or n x M (token-major)
  int64_t ldc = 0;
  bool c_token_major = false;
  const void* bias = nullptr;   // M, by original row (channel)
  float alpha = 1.f, beta = 0.f;
  float* partial = nullptr;     // splits > 1: [splits][m][n] fp32
  int32_t wgmma_flags = 0;      // wgmma.sp diagnostic switches (spmm_wgmma_kernel.cuh); 0 in normal use
  // Host side, sm_90: launch the main kernel as a programmatic dependent of
  // the kernel before it in the stream (cuda/pdl.cuh).
  bool programmatic = false;
  // sm_90, mma.sp kernel: each CTA triggers its programmatic dependents this
  // many k-blocks before the end of its k-loop; -1: right after its
  // griddepcontrol.wait (cuda/pdl.cuh).
  int32_t trigger_kb = -1;
  // mma.sp kernel: each CTA walks its split's k-blocks starting at a
  // CTA-dependent one (the planner sets it for the vector config).
  bool rotate_k = false;
};

// Main kernels, one per (dtype, config of cuda/spmm_configs.h): grid
// (tiles * row_ctas_per_tile * n_tiles, 1, splits).
cudaError_t LaunchSpmm_f16_narrow(const KernelArgs& a, cudaStream_t stream);
cudaError_t LaunchSpmm_f16_mid(const KernelArgs& a, cudaStream_t stream);
cudaError_t LaunchSpmm_f16_wide(const KernelArgs& a, cudaStream_t stream);
cudaError_t LaunchSpmm_bf16_narrow(const KernelArgs& a, cudaStream_t stream);
cudaError_t LaunchSpmm_bf16_mid(const KernelArgs& a, cudaStream_t stream);
cudaError_t LaunchSpmm_bf16_wide(const KernelArgs& a, cudaStream_t stream);
cudaError_t LaunchSpmm_f16_vector(const KernelArgs& a, cudaStream_t stream);
cudaError_t LaunchSpmm_bf16_vector(const KernelArgs& a, cudaStream_t stream);
cudaError_t LaunchSpmm_f16_narrow_c8(const KernelArgs& a, cudaStream_t stream);
cudaError_t LaunchSpmm_bf16_narrow_c8(const KernelArgs& a, cudaStream_t stream);
cudaError_t LaunchSpmm_f16_vector_c8(const KernelArgs& a, cudaStream_t stream);
cudaError_t LaunchSpmm_bf16_vector_c8(const KernelArgs& a, cudaStream_t stream);

// The sm_90a wgmma.sp kernel (cuda/spmm_wgmma_kernel.cuh), per dtype and
// token tile; persistent: grid = min(work units, SMs) CTAs. Built for sm_90a
// only: launch on compute capability 9.0 devices only.
cudaError_t LaunchSpmmWgmma_f16_n128(const KernelArgs& a, int grid, cudaStream_t stream);
cudaError_t LaunchSpmmWgmma_f16_n256(const KernelArgs& a, int grid, cudaStream_t stream);
cudaError_t LaunchSpmmWgmma_bf16_n128(const KernelArgs& a, int grid, cudaStream_t stream);
cudaError_t LaunchSpmmWgmma_bf16_n256(const KernelArgs& a, int grid, cudaStream_t stream);
// ... with 256-row slices and token tile 128 (V % 256 == 0: one B gather per
// 256 rows; row_ctas_per_tile = V / 256).
cudaError_t LaunchSpmmWgmma_f16_n128_rows256(const KernelArgs& a, int grid, cudaStream_t stream);
cudaError_t LaunchSpmmWgmma_bf16_n128_rows256(const KernelArgs& a, int grid, cudaStream_t stream);

// Split-K reduction + epilogue (fixed order over splits: deterministic).
// after_main (sm_90): launched as a programmatic dependent of the main kernel.
cudaError_t LaunchSplitReduce(const KernelArgs& a, bool bf16, bool after_main,
                              cudaStream_t stream);

// B pre-pass into the workspace: dst (k x ld_dst row-major) from src
// token-major (n x k, ldb) or feature-major (k x n, ldb) of 16-bit elements.
// programmatic (sm_90): launched as a programmatic dependent of the kernel
// before it in the stream (it waits for that kernel before touching memory).
cudaError_t LaunchPackB(const uint16_t* src, int64_t ldb, bool src_token_major, int32_t k,
                        int32_t n, uint16_t* dst, int64_t ld_dst, bool programmatic,
                        cudaStream_t stream);

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_KERNEL_ARGS_H_
