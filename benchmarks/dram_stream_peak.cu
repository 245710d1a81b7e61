// DRAM streaming floor of decode-sized calls on the current GPU: how long
// the best plain kernel takes to read X bytes once, timed the way
// `spmm_bench --graph` times a call (30 launches captured in one CUDA graph,
// each on its own buffer so nothing is served from L2; median of 11
// replays / 30). A decode SpMM reads its compressed weights once, so this is
// the time no kernel of that size can beat, fixed costs (launch, ramp-up,
// tail) included -- the yardstick for docs/performance.md's decode rows.
//
//   empty     a kernel that does nothing (the per-launch floor in a graph)
//   stride    grid-stride 16-byte loads, 8 in flight per thread, 8 CTAs of
//             256 threads per SM
//   chunk     each CTA reads one contiguous range (the SpMM's per-CTA
//             stream), same loads
//
// Built by scripts/device_stage.sh with nvcc (not a CI target).
#include <cuda_runtime.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <vector>

#include "benchmarks/bench_util.h"

namespace {

constexpr int kThreads = 256;
constexpr int kUnroll = 8;
constexpr int kCallsPerGraph = 30;

__global__ void empty_kernel() {}

// The XOR of everything read goes to *sink only if it equals a value it
// never takes in practice, so the loads are live but nothing is written.
__device__ __forceinline__ void Sink(uint4 acc, uint4* sink) {
  if ((acc.x & acc.y & acc.z & acc.w) == 0xFFFFFFFFu) *sink = acc;
}

// XOR of p[i], p[i + step], ... below end, kUnroll 16-byte loads in flight.
__device__ __forceinline__ uint4 XorRange(const uint4* __restrict__ p, int64_t i, int64_t end,
                                          int64_t step) {
  uint4 acc = make_uint4(0, 0, 0, 0);
  auto add = [&](const uint4& v) {
    acc.x ^= v.x; acc.y ^= v.y; acc.z ^= v.z; acc.w ^= v.w;
  };
  for (; i + (kUnroll - 1) * step < end; i += kUnroll * step) {
    uint4 v[kUnroll];
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) v[u] = __ldcs(p + i + u * step);
#pragma unroll
    for (int u = 0; u < kUnroll; ++u) add(v[u]);
  }
  for (; i < end; i += step) add(__ldcs(p + i));
  return acc;
}

__global__ void __launch_bounds__(kThreads) stride_kernel(const uint4* __restrict__ p, int64_t n,
                                                          uint4* sink) {
  const int64_t stride = static_cast<int64_t>(gridDim.x) * kThreads;
  Sink(XorRange(p, static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x, n, stride), sink);
}

__global__ void __launch_bounds__(kThreads) chunk_kernel(const uint4* __restrict__ p, int64_t n,
                                                         uint4* sink) {
  const int64_t per = (n + gridDim.x - 1) / gridDim.x;
  const int64_t begin = blockIdx.x * per, end = min(n, begin + per);
  Sink(XorRange(p, begin + threadIdx.x, end, kThreads), sink);
}

enum class Kind { kEmpty, kStride, kChunk };

// Per-call time of kCallsPerGraph calls replayed from one CUDA graph, call c
// on buffer c % bufs.size() (hinm_bench::TimeGraphUs, as spmm_bench --graph).
double TimeCall(Kind kind, const std::vector<uint4*>& bufs, int64_t n, int grid, uint4* sink) {
  const double us = hinm_bench::TimeGraphUs(
      [&](int c, cudaStream_t s) {
        const uint4* p = bufs[c % bufs.size()];
        if (kind == Kind::kEmpty) empty_kernel<<<grid, kThreads, 0, s>>>();
        if (kind == Kind::kStride) stride_kernel<<<grid, kThreads, 0, s>>>(p, n, sink);
        if (kind == Kind::kChunk) chunk_kernel<<<grid, kThreads, 0, s>>>(p, n, sink);
      },
      kCallsPerGraph);
  if (us < 0) {
    std::fprintf(stderr, "dram_stream_peak: the calls could not be captured in a CUDA graph\n");
    std::exit(1);
  }
  return us;
}

}  // namespace

int main() {
  int dev = 0, sms = 0;
  CK(cudaGetDevice(&dev));
  CK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, dev));
  std::printf("device %s, %d SMs, L2 %d MB\n", prop.name, sms, prop.l2CacheSize >> 20);
  uint4* sink = nullptr;
  CK(cudaMalloc(&sink, sizeof(uint4)));
  const int grid = sms * (2048 / kThreads);
  std::printf("empty kernel in a graph: %.2f us per launch\n",
              TimeCall(Kind::kEmpty, {sink}, 0, grid, sink));
  std::printf("%10s %8s | %9s %7s | %9s %7s\n", "MB", "buffers", "stride_us", "TB/s", "chunk_us",
              "TB/s");
  // The compressed weights of the decode rows of docs/performance.md (13 to
  // 140 MB; 26 MB is 4096x11008 at 75%), and a large read for the asymptote.
  for (double mb : {13.0, 20.0, 26.0, 39.0, 69.0, 137.0, 470.0}) {
    const int64_t n = static_cast<int64_t>(mb * 1e6) / 16;
    // Enough buffers that consecutive calls never find their bytes in L2.
    const int nbuf = static_cast<int>(std::min<double>(kCallsPerGraph, std::max(2.0, 200.0 / mb)));
    std::vector<uint4*> bufs(nbuf);
    for (auto& b : bufs) {
      CK(cudaMalloc(&b, n * sizeof(uint4)));
      CK(cudaMemset(b, 0x11, n * sizeof(uint4)));
    }
    const double ts = TimeCall(Kind::kStride, bufs, n, grid, sink);
    const double tc = TimeCall(Kind::kChunk, bufs, n, grid, sink);
    const double bytes = static_cast<double>(n) * 16;
    std::printf("%10.1f %8d | %9.2f %7.3f | %9.2f %7.3f\n", mb, nbuf, ts, bytes / ts * 1e-6, tc,
                bytes / tc * 1e-6);
    for (auto& b : bufs) CK(cudaFree(b));
  }
  CK(cudaFree(sink));
  return 0;
}
