// Tiny PTX wrappers named by shape and type (device code only). PTX ISA:
//   mma.sp:   https://docs.nvidia.com/cuda/parallel-thread-execution/#warp-level-matrix-instructions-for-sparse-mma
//   ldmatrix: https://docs.nvidia.com/cuda/parallel-thread-execution/#warp-level-matrix-instructions-ldmatrix
//   cp.async: https://docs.nvidia.com/cuda/parallel-thread-execution/#data-movement-and-conversion-instructions-cp-async
#ifndef HINM_CUDA_MMA_SP_CUH_
#define HINM_CUDA_MMA_SP_CUH_

#include <cstdint>

namespace hinm_cuda {

// ::ordered_metadata: each nibble has i0 < i1 (layout.h guarantees it);
// plain .sp is deprecated for speed on newer chips (ptxas advisory).
// D = A_sparse(16x32, stored 16x16) * B(32x8) + C, fp32 accumulate.
// a: 4 x b32 (a0..a7 halves), b: 4 x b32, e: metadata (selector 0: lanes 0,1
// of each quad supply it), c/d: {row g: n 2t,2t+1; row g+8: n 2t,2t+1}.
__device__ __forceinline__ void mma_sp_m16n8k32_f32_f16(float (&d)[4], const uint32_t (&a)[4],
                                                        const uint32_t (&b)[4], uint32_t e) {
  asm volatile(
      "mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.f32.f16.f16.f32 "
      "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9,%10,%11}, {%0,%1,%2,%3}, %12, 0x0;\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(b[2]), "r"(b[3]),
        "r"(e));
}

__device__ __forceinline__ void mma_sp_m16n8k32_f32_bf16(float (&d)[4], const uint32_t (&a)[4],
                                                         const uint32_t (&b)[4], uint32_t e) {
  asm volatile(
      "mma.sp::ordered_metadata.sync.aligned.m16n8k32.row.col.f32.bf16.bf16.f32 "
      "{%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9,%10,%11}, {%0,%1,%2,%3}, %12, 0x0;\n"
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]), "r"(b[2]), "r"(b[3]),
        "r"(e));
}

// Four 8x8 b16 matrices, transposed: lane l gives the row address of row l%8
// of matrix l/8; lane gets {m[2(l%4)][l/4], m[2(l%4)+1][l/4]} of each matrix.
__device__ __forceinline__ void ldmatrix_x4_trans(uint32_t (&r)[4], uint32_t smem_addr) {
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0,%1,%2,%3}, [%4];\n"
               : "=r"(r[0]), "=r"(r[1]), "=r"(r[2]), "=r"(r[3])
               : "r"(smem_addr));
}

// 16-byte global->shared copy; bytes beyond src_bytes (0..16) are zero-filled.
__device__ __forceinline__ void cp_async_16_zfill(uint32_t smem_addr, const void* gmem,
                                                  int src_bytes) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(smem_addr), "l"(gmem),
               "r"(src_bytes));
}

__device__ __forceinline__ void cp_async_16(uint32_t smem_addr, const void* gmem) {
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16;\n" ::"r"(smem_addr), "l"(gmem));
}

// PTX prmt: bytes of {b, a} picked by the selector's four low nibbles (the
// intrinsic __byte_perm masks the selector first, which costs an instruction).
__device__ __forceinline__ uint32_t prmt(uint32_t a, uint32_t b, uint32_t sel) {
  uint32_t d;
  asm("prmt.b32 %0, %1, %2, %3;\n" : "=r"(d) : "r"(a), "r"(b), "r"(sel));
  return d;
}

// 4-byte global->shared copy (through L1: .cg takes 16-byte copies only).
__device__ __forceinline__ void cp_async_4(uint32_t smem_addr, const void* gmem) {
  asm volatile("cp.async.ca.shared.global [%0], [%1], 4;\n" ::"r"(smem_addr), "l"(gmem));
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::); }

template <int kPending>  // groups allowed to stay in flight
__device__ __forceinline__ void cp_async_wait() {
  asm volatile("cp.async.wait_group %0;\n" ::"n"(kPending));
}

__device__ __forceinline__ uint32_t smem_u32(const void* p) {
  return static_cast<uint32_t>(__cvta_generic_to_shared(p));
}

}  // namespace hinm_cuda

#endif  // HINM_CUDA_MMA_SP_CUH_
