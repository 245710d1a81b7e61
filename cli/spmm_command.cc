// `hinm spmm`: C = A * B for the matrix of a .hinm file and random B, checked.
// With a GPU: hinmSpMM against hinmSpMMHost (fp32 output). Without: the host
// path against a naive fp64 product of hinmDecompress.
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cli/api_check.h"
#include "cli/commands.h"
#include "cli/device_buffer.h"
#include "cli/exact_activations.h"
#include "cli/flags.h"
#include "cli/half_bits.h"
#include "cli/order_flag.h"
#include "hinm/hinm.h"

namespace hinm_cli {

namespace {

const std::vector<FlagSpec>& Specs() {
  static const std::vector<FlagSpec> specs = {
      {"--n", "", true, "N", "tokens (columns of B and C), default 128"},
      {"--order", "", true, "feature|token",
       "storage of B and C: feature-major (K x N, M x N) or token-major (default feature)"},
      {"--seed", "", true, "S", "seed of the random B (default 0)"},
      {"--search", "", false, "",
       "GPU: first hinmSpMMSearch (time the plans: kernel, tile config, K split; keep the "
       "fastest), then check and time hinmSpMM with the plan it kept"},
  };
  return specs;
}

struct Comparison {
  double max_abs_err = 0, max_ref = 0;
  int64_t failures = 0;  // elements outside the per-element tolerance
};

}  // namespace

std::string SpmmHelp() {
  return "Usage: hinm spmm FILE.hinm [options]\n\n"
         "Multiplies the matrix of FILE.hinm (M x K) by a random B (K x N, values k/64,\n"
         "|k| <= 64, exact in fp16 and bf16) and checks the result:\n"
         "  with a GPU:    hinmSpMM (16-bit output) against hinmSpMMHost (fp32 output);\n"
         "                 per element |gpu - host| <= 2^-10 |host| (fp16) or 2^-7 (bf16)\n"
         "                 plus 1e-5 of max |host|;\n"
         "  without a GPU: hinmSpMMHost against a naive fp64 product of hinmDecompress;\n"
         "                 per element |host - fp64| <= 1e-5 * sum |a_k b_k| + 1e-30.\n"
         "Prints the maximum absolute and relative error and PASS or FAIL (exit 1).\n\n"
         "Options:\n" +
         FlagsHelp(Specs());
}

int RunSpmm(const std::vector<std::string>& args) {
  const ParsedFlags flags(args, Specs());
  if (flags.positional().size() != 1) throw UsageError("expected one FILE.hinm");
  const int64_t n = flags.Int("--n", 128, 1, int64_t{1} << 24);
  const hinmOrder_t order = OrderFlag(flags);
  const uint64_t seed = flags.Uint64("--seed", 0);
  const bool search = flags.Has("--search");
  const std::string path = flags.positional()[0];

  Handle handle;
  Descriptor desc;
  CheckApi(hinmLoadDescriptor(handle.get(), desc.out(), path.c_str()), "loading '" + path + "'");
  hinmDescriptorInfo_t info;
  CheckApi(hinmGetDescriptorInfo(desc.get(), &info, sizeof(info)), "hinmGetDescriptorInfo");
  const int64_t M = info.rows, K = info.cols;
  const bool feature = order == HINM_ORDER_FEATURE_MAJOR;
  const int64_t ldb = feature ? n : K, ldc = feature ? n : M;
  const bool bf16 = info.value_type == HINM_R_16BF;

  // B: values k/64 (exact in both 16-bit types), stored in `order`.
  std::mt19937_64 rng(seed);
  const ExactActivations act = RandomExactActivations(static_cast<size_t>(K * n), bf16, rng);
  const std::vector<float>& b = act.values;
  const std::vector<uint16_t>& b16 = act.bits;
  const auto b_at = [&](int64_t k, int64_t j) { return b[feature ? k * ldb + j : j * ldb + k]; };
  const auto c_index = [&](int64_t i, int64_t j) { return feature ? i * ldc + j : j * ldc + i; };

  const float one = 1.0f, zero = 0.0f;
  std::vector<float> c_host(static_cast<size_t>(M * n), 0.0f);
  const auto t0 = std::chrono::steady_clock::now();
  CheckApi(hinmSpMMHost(handle.get(), desc.get(), n, &one, b.data(), order, ldb, &zero,
                        c_host.data(), order, ldc, nullptr, HINM_R_32F, HINM_ROWS_ORIGINAL),
           "hinmSpMMHost");
  const double host_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
  std::printf("matrix %s: %lld x %lld, K_keep %lld, %s; N = %lld, %s-major B and C\n",
              path.c_str(), static_cast<long long>(M), static_cast<long long>(K),
              static_cast<long long>(info.kept_cols), bf16 ? "bf16" : "fp16",
              static_cast<long long>(n), OrderName(order));
  std::printf("hinmSpMMHost: %.2f ms\n", host_ms);

  int32_t has_device = 0;
  CheckApi(hinmHasDevice(handle.get(), &has_device), "hinmHasDevice");
  Comparison cmp;
  if (has_device) {
    std::printf("comparing hinmSpMM (GPU, %s output) with hinmSpMMHost (fp32 output)\n",
                bf16 ? "bf16" : "fp16");
    const size_t b_bytes = b16.size() * 2, c_bytes = static_cast<size_t>(M * n) * 2;
    size_t ws_size = 0;
    CheckApi(hinmSpMMWorkspaceSize(handle.get(), desc.get(), n, order, order, &ws_size),
             "hinmSpMMWorkspaceSize");
    DeviceBuffer db(b_bytes), dc(c_bytes);
    CheckCuda(cudaMemcpy(db.get(), b16.data(), b_bytes, cudaMemcpyHostToDevice), "cudaMemcpy B");
    CheckCuda(cudaMemset(dc.get(), 0, c_bytes), "cudaMemset C");
    const hinmDataType_t io = bf16 ? HINM_R_16BF : HINM_R_16F;
    CheckApi(hinmDescriptorToDevice(handle.get(), desc.get(), nullptr), "hinmDescriptorToDevice");
    if (search) {
      // The search may keep a plan that needs another workspace: size it again.
      CheckApi(hinmSpMMSearch(handle.get(), desc.get(), n, &one, db.get(), order, ldb, &zero,
                              dc.get(), order, ldc, nullptr, io, HINM_ROWS_ORIGINAL, nullptr, 0,
                              nullptr),
               "hinmSpMMSearch");
      CheckApi(hinmSpMMWorkspaceSize(handle.get(), desc.get(), n, order, order, &ws_size),
               "hinmSpMMWorkspaceSize");
      std::printf("hinmSpMMSearch: done (workspace now %zu bytes)\n", ws_size);
    }
    DeviceBuffer ws(ws_size);
    CheckApi(hinmSpMM(handle.get(), desc.get(), n, &one, db.get(), order, ldb, &zero, dc.get(),
                      order, ldc, nullptr, io, HINM_ROWS_ORIGINAL, ws.get(), ws_size, nullptr),
             "hinmSpMM");
    CheckCuda(cudaDeviceSynchronize(), "hinmSpMM (synchronize)");
    // Time a few launches after the checked one.
    cudaEvent_t start, stop;
    CheckCuda(cudaEventCreate(&start), "cudaEventCreate");
    CheckCuda(cudaEventCreate(&stop), "cudaEventCreate");
    const int reps = 20;
    CheckCuda(cudaEventRecord(start, nullptr), "cudaEventRecord");
    for (int r = 0; r < reps; ++r) {
      CheckApi(hinmSpMM(handle.get(), desc.get(), n, &one, db.get(), order, ldb, &zero, dc.get(),
                        order, ldc, nullptr, io, HINM_ROWS_ORIGINAL, ws.get(), ws_size, nullptr),
               "hinmSpMM");
    }
    CheckCuda(cudaEventRecord(stop, nullptr), "cudaEventRecord");
    CheckCuda(cudaEventSynchronize(stop), "cudaEventSynchronize");
    float ms = 0;
    CheckCuda(cudaEventElapsedTime(&ms, start, stop), "cudaEventElapsedTime");
    cudaEventDestroy(start);
    cudaEventDestroy(stop);
    const double avg_ms = ms / reps;
    const double flops = 2.0 * static_cast<double>(M) * static_cast<double>(K) * n;
    std::printf("hinmSpMM: %.4f ms (%.1f dense-equivalent TFLOP/s)\n", avg_ms,
                flops / (avg_ms * 1e-3) / 1e12);
    std::vector<uint16_t> c16(static_cast<size_t>(M * n));
    CheckCuda(cudaMemcpy(c16.data(), dc.get(), c_bytes, cudaMemcpyDeviceToHost), "cudaMemcpy C");
    for (float v : c_host) cmp.max_ref = std::max(cmp.max_ref, std::fabs(static_cast<double>(v)));
    const double rel = bf16 ? std::ldexp(1.0, -7) : std::ldexp(1.0, -10);
    for (size_t i = 0; i < c16.size(); ++i) {
      const double got = bf16 ? BFloat16ToFloat(c16[i]) : HalfToFloat(c16[i]);
      const double d = std::fabs(got - c_host[i]);  // NaN compares false below
      cmp.max_abs_err = std::max(cmp.max_abs_err, std::isnan(d) ? INFINITY : d);
      if (!(d <= rel * std::fabs(c_host[i]) + 1e-5 * cmp.max_ref)) ++cmp.failures;
    }
  } else {
    std::printf("no CUDA device: comparing hinmSpMMHost with a naive fp64 product of "
                "hinmDecompress\n");
    std::vector<float> a(static_cast<size_t>(M * K));
    CheckApi(hinmDecompress(desc.get(), a.data(), HINM_R_32F, K), "hinmDecompress");
    std::vector<double> ref(static_cast<size_t>(M * n)), mag(ref.size());
    for (int64_t i = 0; i < M; ++i) {
      for (int64_t j = 0; j < n; ++j) {
        double acc = 0, abs_sum = 0;
        for (int64_t k = 0; k < K; ++k) {
          const double t = static_cast<double>(a[i * K + k]) * b_at(k, j);
          acc += t;
          abs_sum += std::fabs(t);
        }
        ref[c_index(i, j)] = acc;
        mag[c_index(i, j)] = abs_sum;
        cmp.max_ref = std::max(cmp.max_ref, std::fabs(acc));
      }
    }
    for (size_t i = 0; i < ref.size(); ++i) {
      const double d = std::fabs(c_host[i] - ref[i]);
      cmp.max_abs_err = std::max(cmp.max_abs_err, std::isnan(d) ? INFINITY : d);
      if (!(d <= 1e-5 * mag[i] + 1e-30)) ++cmp.failures;
    }
  }
  const double rel_err = cmp.max_ref > 0 ? cmp.max_abs_err / cmp.max_ref : cmp.max_abs_err;
  std::printf("max abs error %.3e, max |C| %.3e, relative error %.3e\n", cmp.max_abs_err,
              cmp.max_ref, rel_err);
  if (cmp.failures > 0) {
    std::printf("FAIL: %lld of %lld elements outside the tolerance\n",
                static_cast<long long>(cmp.failures), static_cast<long long>(M * n));
    return 1;
  }
  std::printf("PASS\n");
  return 0;
}

}  // namespace hinm_cli
