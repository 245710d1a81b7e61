// Hopper (sm_90a) PTX wrappers used by the wgmma.sp kernel: mbarriers, the
// bulk copy engine, proxy fences, wgmma ordering and register reallocation.
// Device code only. PTX ISA sections: "mbarrier", "cp.async.bulk",
// "membar/fence" (fence.proxy.async), "wgmma.fence / commit_group /
// wait_group", "setmaxnreg", "Matrix Descriptor Format".
#ifndef HINM_CUDA_SM90_PTX_CUH_
#define HINM_CUDA_SM90_PTX_CUH_

#include <cstdint>

namespace hinm_cuda {

// ---- mbarrier (64-bit object in shared memory, addressed as u32) ----------

__device__ __forceinline__ void mbar_init(uint32_t bar, uint32_t count) {
  asm volatile("mbarrier.init.shared::cta.b64 [%0], %1;\n" ::"r"(bar), "r"(count));
}

// Makes the inits visible to the other threads and to the async proxy (the
// bulk copies complete_tx on these barriers); a __syncthreads must follow.
__device__ __forceinline__ void mbar_fence_init() {
  asm volatile("fence.mbarrier_init.release.cluster;\n" ::: "memory");
}

__device__ __forceinline__ void mbar_arrive(uint32_t bar) {
  asm volatile("mbarrier.arrive.shared::cta.b64 _, [%0];\n" ::"r"(bar) : "memory");
}

// One arrival plus tx_bytes the barrier must also see (complete_tx) before
// its phase can complete.
__device__ __forceinline__ void mbar_arrive_expect_tx(uint32_t bar, uint32_t tx_bytes) {
  asm volatile("mbarrier.arrive.expect_tx.shared::cta.b64 _, [%0], %1;\n" ::"r"(bar),
               "r"(tx_bytes)
               : "memory");
}

// Blocks until the phase with the given parity has completed.
__device__ __forceinline__ void mbar_wait(uint32_t bar, uint32_t parity) {
  asm volatile(
      "{\n"
      ".reg .pred done;\n"
      "WAIT_%=:\n"
      "mbarrier.try_wait.parity.shared::cta.b64 done, [%0], %1;\n"
      "@!done bra WAIT_%=;\n"
      "}\n" ::"r"(bar),
      "r"(parity)
      : "memory");
}

// ---- bulk copy engine (1-D, contiguous; "TMA" without a tensor map) -------

// bytes: multiple of 16; both addresses 16-byte aligned. Completes as
// complete_tx(bytes) on bar.
__device__ __forceinline__ void bulk_copy_g2s(uint32_t dst, const void* src, uint32_t bytes,
                                              uint32_t bar) {
  asm volatile(
      "cp.async.bulk.shared::cluster.global.mbarrier::complete_tx::bytes [%0], [%1], %2, [%3];\n" ::
          "r"(dst),
      "l"(src), "r"(bytes), "r"(bar)
      : "memory");
}

// Arrives on bar once all of this thread's earlier cp.async copies have
// landed (.noinc: the barrier's expected count includes this arrival).
__device__ __forceinline__ void cp_async_mbar_arrive_noinc(uint32_t bar) {
  asm volatile("cp.async.mbarrier.arrive.noinc.shared::cta.b64 [%0];\n" ::"r"(bar) : "memory");
}

// Proxy fence between the generic proxy (cp.async, st.shared) and the async
// proxy (wgmma operand reads, bulk copies) for shared memory: after this, the
// writes this thread has observed are visible to its async-proxy reads.
__device__ __forceinline__ void fence_proxy_async_smem() {
  asm volatile("fence.proxy.async.shared::cta;\n" ::: "memory");
}

// ---- wgmma ordering ---------------------------------------------------------

// Before the first wgmma of a sequence and whenever registers it reads or
// writes (A, accumulators) were touched by ordinary instructions.
__device__ __forceinline__ void wgmma_fence() {
  asm volatile("wgmma.fence.sync.aligned;\n" ::: "memory");
}
__device__ __forceinline__ void wgmma_commit() {
  asm volatile("wgmma.commit_group.sync.aligned;\n" ::: "memory");
}
template <int kPending>  // groups allowed to stay in flight
__device__ __forceinline__ void wgmma_wait() {
  asm volatile("wgmma.wait_group.sync.aligned %0;\n" ::"n"(kPending) : "memory");
}

// Keeps the compiler from moving accumulator reads/writes across wgmma
// ordering points (the registers are written asynchronously).
__device__ __forceinline__ void reg_fence(float& r) { asm volatile("" : "+f"(r)::"memory"); }

// ---- register reallocation between warpgroups -------------------------------

template <int kRegs>
__device__ __forceinline__ void setmaxnreg_dec() {
  asm volatile("setmaxnreg.dec.sync.aligned.u32 %0;\n" ::"n"(kRegs));
}
template <int kRegs>
__device__ __forceinline__ void setmaxnreg_inc() {
  asm volatile("setmaxnreg.inc.sync.aligned.u32 %0;\n" ::"n"(kRegs));
}

// ---- shared-memory matrix descriptor ----------------------------------------

// 128-byte swizzle (layout type 1 in bits 62-63). Addresses and offsets in
// 16-byte units, 14 bits each. For an MN-major operand: lbo = bytes between
// 64-element atoms along MN, sbo = bytes between 8-row groups along K.
__device__ __forceinline__ uint64_t smem_desc_sw128(uint32_t smem_addr, uint32_t lbo_bytes,
                                                    uint32_t sbo_bytes) {
  return static_cast<uint64_t>((smem_addr >> 4) & 0x3FFF) |
         (static_cast<uint64_t>((lbo_bytes >> 4) & 0x3FFF) << 16) |
         (static_cast<uint64_t>((sbo_bytes >> 4) & 0x3FFF) << 32) | (1ull << 62);
}

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SM90_PTX_CUH_
