// What spmm_bench and ffn_bench share: the CUDA error check, a device buffer,
// the timers (CUDA events per call, warm-up, median; CUDA graph replay; host
// time per call) and the device copy bandwidth that the TB/s columns are read
// against. Header-only: small binaries, no library of their own
// (dram_stream_peak, built by plain nvcc, uses CK and TimeGraphUs too).
#ifndef HINM_BENCHMARKS_BENCH_UTIL_H_
#define HINM_BENCHMARKS_BENCH_UTIL_H_

#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <sstream>
#include <string>
#include <vector>

#define CK(expr)                                                                          \
  do {                                                                                    \
    cudaError_t e_ = (expr);                                                              \
    if (e_ != cudaSuccess) {                                                              \
      std::fprintf(stderr, "%s:%d %s: %s\n", __FILE__, __LINE__, #expr, cudaGetErrorString(e_)); \
      std::exit(1);                                                                       \
    }                                                                                     \
  } while (0)

namespace hinm_bench {

inline double Median(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Times fn(i) (i = call index, used to rotate weight copies): 3 warm-up calls,
// then one event pair per call; median in microseconds.
template <typename Fn>
double TimeUs(Fn fn, int iters) {
  for (int i = 0; i < 3; ++i) fn(i);
  CK(cudaDeviceSynchronize());
  std::vector<cudaEvent_t> ev(2 * iters);
  for (auto& e : ev) CK(cudaEventCreate(&e));
  for (int i = 0; i < iters; ++i) {
    CK(cudaEventRecord(ev[2 * i]));
    fn(i);
    CK(cudaEventRecord(ev[2 * i + 1]));
  }
  CK(cudaDeviceSynchronize());
  std::vector<float> ms(iters);
  for (int i = 0; i < iters; ++i) CK(cudaEventElapsedTime(&ms[i], ev[2 * i], ev[2 * i + 1]));
  for (auto& e : ev) cudaEventDestroy(e);
  return Median(ms) * 1000.0;
}

// Times fn(i, stream) with the host's launch cost taken out, as a serving
// loop that replays CUDA graphs sees it: `iters` calls are captured into one
// graph, which is launched once to warm up and then `reps` times, each launch
// between an event pair; median of (graph time / iters). Returns a negative
// value (and clears the error) if a call cannot be captured.
constexpr int kGraphReplays = 11;
template <typename Fn>
double TimeGraphUs(Fn fn, int iters, int reps = kGraphReplays) {
  cudaStream_t s = nullptr;
  cudaGraph_t g = nullptr;
  cudaGraphExec_t ge = nullptr;
  CK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
  double us = -1.0;
  if (cudaStreamBeginCapture(s, cudaStreamCaptureModeThreadLocal) == cudaSuccess) {
    for (int i = 0; i < iters; ++i) fn(i, s);
    const cudaError_t end = cudaStreamEndCapture(s, &g);
    if (end == cudaSuccess && cudaGraphInstantiate(&ge, g, 0) == cudaSuccess) {
      CK(cudaGraphLaunch(ge, s));
      CK(cudaStreamSynchronize(s));
      std::vector<cudaEvent_t> ev(2 * reps);
      for (auto& e : ev) CK(cudaEventCreate(&e));
      for (int r = 0; r < reps; ++r) {
        CK(cudaEventRecord(ev[2 * r], s));
        CK(cudaGraphLaunch(ge, s));
        CK(cudaEventRecord(ev[2 * r + 1], s));
      }
      CK(cudaStreamSynchronize(s));
      std::vector<float> ms(reps);
      for (int r = 0; r < reps; ++r) CK(cudaEventElapsedTime(&ms[r], ev[2 * r], ev[2 * r + 1]));
      for (auto& e : ev) cudaEventDestroy(e);
      us = Median(ms) * 1000.0 / iters;
    }
  }
  if (us < 0) cudaGetLastError();  // capture failed: report, do not abort the run
  if (ge) cudaGraphExecDestroy(ge);
  if (g) cudaGraphDestroy(g);
  cudaStreamDestroy(s);
  return us;
}

// Host time per call of fn(i, nullptr): `iters` calls issued back to back
// (the GPU queue absorbs them), wall time / iters. What a caller's CPU pays
// per layer without graphs.
template <typename Fn>
double HostUsPerCall(Fn fn, int iters) {
  CK(cudaDeviceSynchronize());
  const auto t0 = std::chrono::steady_clock::now();
  for (int i = 0; i < iters; ++i) fn(i, nullptr);
  const auto t1 = std::chrono::steady_clock::now();
  CK(cudaDeviceSynchronize());
  return std::chrono::duration<double, std::micro>(t1 - t0).count() / iters;
}

struct DeviceBuf {
  void* p = nullptr;
  explicit DeviceBuf(size_t bytes) { CK(cudaMalloc(&p, std::max<size_t>(bytes, 16))); }
  ~DeviceBuf() { cudaFree(p); }
  DeviceBuf(const DeviceBuf&) = delete;
  DeviceBuf& operator=(const DeviceBuf&) = delete;
};

inline std::string Now() {
  std::time_t t = std::time(nullptr);
  char buf[64];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  return buf;
}

inline std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) out.push_back(item);
  return out;
}

// Device-to-device cudaMemcpy of 1 GiB, median of 10: TB/s counting bytes
// read plus written (the same way the TB/s columns count them), the
// practical streaming ceiling of this GPU.
inline double CopyBandwidthTBs() {
  const size_t bytes = size_t{1} << 30;
  DeviceBuf a(bytes), b(bytes);
  CK(cudaMemset(a.p, 0, bytes));
  const double us = TimeUs(
      [&](int) { CK(cudaMemcpyAsync(b.p, a.p, bytes, cudaMemcpyDeviceToDevice, nullptr)); }, 10);
  return 2.0 * bytes / (us * 1e-6) / 1e12;
}

}  // namespace hinm_bench

#endif  // HINM_BENCHMARKS_BENCH_UTIL_H_
