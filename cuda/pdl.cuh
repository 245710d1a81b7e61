// Programmatic dependent launch (sm_90): a kernel launched with
// cudaLaunchAttributeProgrammaticStreamSerialization may start while the
// kernel before it in the stream is still running; it must execute
// griddep_wait() before it reads anything that kernel writes. The earlier
// kernel calls griddep_launch_dependents() to let it be scheduled early.
// Both are no-ops on older architectures and in kernels launched normally.
// KernelLaunch is the host side: a launch configuration that carries the
// attribute when asked.
//
// hinm launches every SpMM kernel this way on sm_90 (cuda/spmm_launch.cu):
//   main kernel  reads the compressed weights (indices, A, metadata) before
//                griddep_wait -- no kernel writes them: hinm uploads them
//                with copies, and a copy is never a programmatic primary --
//                then B, C, bias, workspace; triggers right after the wait,
//                or, as split clusters, a quarter of its k-loop before the
//                loop's end (KernelArgs::trigger_kb, the planner's choice);
//   split reduce waits, then triggers (the next SpMM prefetches meanwhile);
//   B pack       waits first; no early trigger (a main kernel launched
//                while the pack ran was placed unevenly on the SMs).
// So in a chain of layers one SpMM's launch and first weight bytes overlap
// the previous kernel's tail. HINM_SPMM_PDL=0 turns it off (benchmarks).
#ifndef HINM_CUDA_PDL_CUH_
#define HINM_CUDA_PDL_CUH_

#include <cuda_runtime_api.h>

namespace hinm_cuda {

// A cudaLaunchKernelEx configuration with room for two launch attributes;
// `programmatic` adds the one that makes the launch a programmatic
// dependent of the kernel before it in the stream. Not copyable: `config`
// points into the object's own attribute array.
struct KernelLaunch {
  cudaLaunchConfig_t config = {};
  cudaLaunchAttribute attrs[2] = {};

  KernelLaunch(dim3 grid, dim3 block, size_t smem, cudaStream_t stream, bool programmatic) {
    config.gridDim = grid;
    config.blockDim = block;
    config.dynamicSmemBytes = smem;
    config.stream = stream;
    config.attrs = attrs;
    if (programmatic) {
      cudaLaunchAttribute& a = Add();
      a.id = cudaLaunchAttributeProgrammaticStreamSerialization;
      a.val.programmaticStreamSerializationAllowed = 1;
    }
  }
  KernelLaunch(const KernelLaunch&) = delete;
  KernelLaunch& operator=(const KernelLaunch&) = delete;

  // The next free attribute, zeroed, for the caller to fill in.
  cudaLaunchAttribute& Add() {
    cudaLaunchAttribute& a = attrs[config.numAttrs++];
    a = {};
    return a;
  }
};

__device__ __forceinline__ void griddep_wait() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.wait;\n" ::: "memory");
#endif
}

__device__ __forceinline__ void griddep_launch_dependents() {
#if defined(__CUDA_ARCH__) && __CUDA_ARCH__ >= 900
  asm volatile("griddepcontrol.launch_dependents;\n" ::: "memory");
#endif
}

}  // namespace hinm_cuda

#endif  // HINM_CUDA_PDL_CUH_
