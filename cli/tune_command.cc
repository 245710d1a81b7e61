// `hinm tune`: hinmSpMMSearch on this machine's GPU for the token counts a
// model will run, then the descriptor with the plans it found saved to a
// file -- "tune once, ship the tuned file" (docs/cli.md).
#include <cuda_runtime_api.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "cli/api_check.h"
#include "cli/commands.h"
#include "cli/device_buffer.h"
#include "cli/flags.h"
#include "cli/exact_activations.h"
#include "cli/order_flag.h"
#include "cli/tuned_plans.h"
#include "hinm/hinm.h"

namespace hinm_cli {

namespace {

const std::vector<FlagSpec>& Specs() {
  static const std::vector<FlagSpec> specs = {
      {"--output", "-o", true, "PATH",
       "where to save the tuned matrix (may be FILE itself); required"},
      {"--n", "", true, "N[,N...]", "token counts to tune, comma-separated (default 1,16)"},
      {"--order", "", true, "feature|token",
       "storage of B and C the model uses: feature-major (K x N, M x N) or token-major "
       "(default feature)"},
      {"--seed", "", true, "S", "seed of the random activations (default 0)"},
  };
  return specs;
}

}  // namespace

std::string TuneHelp() {
  return "Usage: hinm tune FILE.hinm -o OUTPUT.hinm [options]\n\n"
         "Times, on this machine's GPU, the plans hinmSpMM could run for the matrix of\n"
         "FILE.hinm at each token count N (hinmSpMMSearch: kernel, tile config and K\n"
         "split; random activations), keeps the fastest per N, and saves the matrix with\n"
         "them to OUTPUT.hinm. hinmSpMM on that file then runs them on any GPU of the same\n"
         "model (name, compute capability, SM count); `hinm info` lists them. Plans already\n"
         "in the file for other problems are kept. Needs a GPU (exit 1 without one).\n\n"
         "Options:\n" +
         FlagsHelp(Specs());
}

int RunTune(const std::vector<std::string>& args) {
  const ParsedFlags flags(args, Specs());
  if (flags.positional().size() != 1) throw UsageError("expected one FILE.hinm");
  if (!flags.Has("--output")) throw UsageError("-o OUTPUT.hinm is required");
  const std::string path = flags.positional()[0], out = flags.Value("--output");
  if (out.empty()) throw UsageError("-o: empty path");
  const std::vector<int64_t> ns = flags.IntList("--n", "1,16", 1, int64_t{1} << 24);
  for (size_t i = 0; i < ns.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (ns[j] == ns[i]) throw UsageError("--n: " + std::to_string(ns[i]) + " is listed twice");
  const hinmOrder_t order = OrderFlag(flags);
  const uint64_t seed = flags.Uint64("--seed", 0);

  Handle handle;
  Descriptor desc;
  CheckApi(hinmLoadDescriptor(handle.get(), desc.out(), path.c_str()), "loading '" + path + "'");
  int32_t has_device = 0;
  CheckApi(hinmHasDevice(handle.get(), &has_device), "hinmHasDevice");
  if (!has_device)
    throw RunError("no CUDA device: hinm tune times the plans on this machine's GPU");
  hinmDescriptorInfo_t info;
  CheckApi(hinmGetDescriptorInfo(desc.get(), &info, sizeof(info)), "hinmGetDescriptorInfo");
  const int64_t M = info.rows, K = info.cols;
  const bool bf16 = info.value_type == HINM_R_16BF;
  const hinmDataType_t io = bf16 ? HINM_R_16BF : HINM_R_16F;
  cudaDeviceProp prop;
  int dev = 0;
  CheckCuda(cudaGetDevice(&dev), "cudaGetDevice");
  CheckCuda(cudaGetDeviceProperties(&prop, dev), "cudaGetDeviceProperties");
  std::printf("matrix %s: %lld x %lld, K_keep %lld, %s; %s-major B and C; GPU %s\n", path.c_str(),
              static_cast<long long>(M), static_cast<long long>(K),
              static_cast<long long>(info.kept_cols), bf16 ? "bf16" : "fp16", OrderName(order),
              prop.name);
  CheckApi(hinmDescriptorToDevice(handle.get(), desc.get(), nullptr), "hinmDescriptorToDevice");

  std::mt19937_64 rng(seed);
  const float one = 1.0f, zero = 0.0f;
  for (const int64_t n : ns) {
    // Activations of the model's size; their values do not change the timing.
    const std::vector<uint16_t> b16 =
        RandomExactActivations(static_cast<size_t>(K * n), bf16, rng).bits;
    DeviceBuffer db(b16.size() * 2), dc(static_cast<size_t>(M * n) * 2);
    CheckCuda(cudaMemcpy(db.get(), b16.data(), b16.size() * 2, cudaMemcpyHostToDevice),
              "cudaMemcpy B");
    const bool feature = order == HINM_ORDER_FEATURE_MAJOR;
    const auto t0 = std::chrono::steady_clock::now();
    CheckApi(hinmSpMMSearch(handle.get(), desc.get(), n, &one, db.get(), order, feature ? n : K,
                            &zero, dc.get(), order, feature ? n : M, nullptr, io,
                            HINM_ROWS_ORIGINAL, nullptr, 0, nullptr),
             "hinmSpMMSearch at N = " + std::to_string(n));
    CheckCuda(cudaDeviceSynchronize(), "hinmSpMMSearch (synchronize)");
    std::printf("N = %lld: searched in %.0f ms\n", static_cast<long long>(n),
                std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                    .count());
  }
  CheckApi(hinmSaveDescriptor(desc.get(), out.c_str()), "saving '" + out + "'");
  PrintTunedPlans(desc.get());
  std::printf("saved %s\n", out.c_str());
  return 0;
}

}  // namespace hinm_cli
