// ffn_bench: a transformer feed-forward block, end to end, hinm vs cuBLAS.
//
//   X (d x N) -> H = W1 X (h x N) -> H = act(H) -> Y = W2 H (d x N)
//
// A plain up / activation / down block (no gate projection, no bias): BERT-large
// 1024 -> 4096 -> 1024 with GELU, LLaMA-7B sizes 4096 -> 11008 -> 4096 with SiLU
// (LLaMA's real block is gated, SwiGLU: this one has its sizes, not its gate).
// Everything stays feature-major (X, H, Y are features x tokens, row-major).
//
// Paths, same weights, same activation kernel (ffn_activation.cu), same data:
//   hinm          layer 1 writes H in its output permutation's order
//                 (RowOrder::kPermuted: no scatter), and layer 2's column
//                 indices were remapped once at setup (FoldInputPermutation) so
//                 it reads that H directly: two SpMMs + the activation, no
//                 extra pass.
//   hinm_unfolded layer 1 writes H in original order (the epilogue scatters
//                 rows), layer 2 unchanged: what the fold saves.
//   cuBLAS        cublasGemmEx on the decompressed (pruned) W1 and W2.
// Layer 1's output permutation: by default a seeded random permutation of the
// rows, stored exactly as 2CP stores one (rows permuted, then pruned; row_perm
// set), because the 2CP search takes minutes on an 11008 x 4096 layer and the
// kernels' cost does not depend on which permutation it is; --2cp runs the
// real search (output axis) instead.
//
// Validation before timing: the hinm chain's Y against the cuBLAS chain's Y
// (both fp16 H between the layers), and at N = 1 against an fp64 CPU chain on
// the decompressed weights. Timing as in spmm_bench (CUDA events around the
// whole chain, warm-up, median; weight copies rotated past the L2).
//
//   ffn_bench [--models bert-large,llama-7b] [--n 1,16,128,1024,4096]
//             [--sparsity 75,87.5] [--iters 30] [--2cp] [--json out.json]
//             [--commit SHA]
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "benchmarks/bench_util.h"
#include "benchmarks/ffn_activation.h"
#include "cpp/hinm/compressed_matrix.h"
#include "cpp/hinm/dense.h"
#include "cpp/hinm/dispatch.h"
#include "cpp/hinm/error.h"
#include "cpp/hinm/fold_permutation.h"
#include "cpp/hinm/prune.h"
#include "cpp/hinm/reference.h"

namespace {

using hinm::DType;
using hinm::Order;
using hinm::RowOrder;
using hinm_bench::Activation;
using hinm_bench::DeviceBuf;
using hinm_bench::TimeUs;

struct Model {
  const char* name;
  int64_t d, h;  // model width, hidden width
  Activation act;
};

const Model kModels[] = {
    {"bert-large", 1024, 4096, Activation::kGelu},
    {"llama-7b", 4096, 11008, Activation::kSilu},
};

struct Options {
  std::vector<Model> models{std::begin(kModels), std::end(kModels)};
  std::vector<int64_t> ns{1, 16, 128, 1024, 4096};
  std::vector<double> sparsities{75, 87.5};
  int iters = 30;
  bool search_2cp = false;
  std::string json;
  std::string commit = "unknown";
};

Options Parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--models") {
      o.models.clear();
      for (const auto& s : hinm_bench::Split(next())) {
        bool found = false;
        for (const Model& m : kModels)
          if (s == m.name) o.models.push_back(m), found = true;
        if (!found) {
          std::fprintf(stderr, "unknown model %s (bert-large, llama-7b)\n", s.c_str());
          std::exit(2);
        }
      }
    } else if (a == "--n") {
      o.ns.clear();
      for (const auto& s : hinm_bench::Split(next())) o.ns.push_back(std::atoll(s.c_str()));
    } else if (a == "--sparsity") {
      o.sparsities.clear();
      for (const auto& s : hinm_bench::Split(next())) o.sparsities.push_back(std::atof(s.c_str()));
    } else if (a == "--iters") {
      o.iters = std::max(3, std::atoi(next().c_str()));
    } else if (a == "--2cp") {
      o.search_2cp = true;
    } else if (a == "--json") {
      o.json = next();
    } else if (a == "--commit") {
      o.commit = next();
    } else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      std::exit(2);
    }
  }
  return o;
}

std::vector<float> Gaussian(int64_t rows, int64_t cols, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> g(0.f, 1.f / std::sqrt(static_cast<float>(cols)));
  std::vector<float> w(static_cast<size_t>(rows * cols));
  for (auto& x : w) x = g(rng);
  return w;
}

// Layer 1: pruned with an output permutation (see the header comment).
hinm::CompressedMatrix PruneLayer1(const std::vector<float>& w, int64_t rows, int64_t cols,
                                   double sparsity, bool search_2cp, uint64_t seed) {
  hinm::PruneOptions po;
  po.tile_rows = 128;
  po.vector_sparsity = 2.0 * sparsity / 100.0 - 1.0;
  if (search_2cp) {
    po.permute.output_axis = true;
    po.permute.seed = seed;
    return hinm::PruneAndCompress(hinm::DenseView{w.data(), DType::kFloat32, rows, cols, cols},
                                  hinm::SaliencyView{}, po);
  }
  std::vector<int32_t> perm(static_cast<size_t>(rows));
  std::iota(perm.begin(), perm.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(perm.begin(), perm.end(), rng);
  std::vector<float> wp(w.size());
  for (int64_t p = 0; p < rows; ++p)
    std::copy_n(w.begin() + perm[static_cast<size_t>(p)] * cols, cols, wp.begin() + p * cols);
  hinm::CompressedMatrix a = hinm::PruneAndCompress(
      hinm::DenseView{wp.data(), DType::kFloat32, rows, cols, cols}, hinm::SaliencyView{}, po);
  a.row_perm = perm;  // compressed row p is original row perm[p], as 2CP stores it
  a.Validate();
  return a;
}

hinm::CompressedMatrix PruneLayer2(const std::vector<float>& w, int64_t rows, int64_t cols,
                                   double sparsity) {
  hinm::PruneOptions po;
  po.tile_rows = 128;
  po.vector_sparsity = 2.0 * sparsity / 100.0 - 1.0;
  return hinm::PruneAndCompress(hinm::DenseView{w.data(), DType::kFloat32, rows, cols, cols},
                                hinm::SaliencyView{}, po);
}

std::vector<uint16_t> DecompressFp16(const hinm::CompressedMatrix& a) {
  std::vector<float> dense(static_cast<size_t>(a.layout.rows * a.layout.cols));
  hinm::Decompress(a, dense.data(), a.layout.cols);
  std::vector<uint16_t> out(dense.size());
  for (size_t i = 0; i < dense.size(); ++i) out[i] = hinm::FloatToHalf(dense[i]);
  return out;
}

double MaxRel(const std::vector<uint16_t>& x, const std::vector<double>& ref) {
  double err = 0, scale = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double v = hinm::HalfToFloat(x[i]);
    err = std::max(err, std::isfinite(v) ? std::fabs(v - ref[i]) : INFINITY);
    scale = std::max(scale, std::fabs(ref[i]));
  }
  return err / std::max(scale, 1e-30);
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = Parse(argc, argv);
  if (!hinm::HasDevice()) {
    std::fprintf(stderr, "ffn_bench: no CUDA device\n");
    return 1;
  }
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  const double l2 = prop.l2CacheSize;
  const DType dt = DType::kFloat16;
  std::FILE* js = opt.json.empty() ? nullptr : std::fopen(opt.json.c_str(), "w");
  if (js) {
    std::fprintf(js,
                 "{\n  \"device\": \"%s\",\n  \"sms\": %d,\n  \"l2_bytes\": %d,\n  \"date\": \"%s\",\n"
                 "  \"commit\": \"%s\",\n  \"dtype\": \"float16\",\n  \"tile_rows\": 128,\n"
                 "  \"block\": \"X (d x N) -> W1 (h x d) -> act -> W2 (d x h), feature-major, no gate, no bias\",\n"
                 "  \"layer1_permutation\": \"%s\",\n"
                 "  \"timing\": \"CUDA events around the whole block, 3 warm-up calls, median of %d; weight copies rotated beyond 2x L2\",\n"
                 "  \"results\": [\n",
                 prop.name, prop.multiProcessorCount, prop.l2CacheSize, hinm_bench::Now().c_str(),
                 opt.commit.c_str(),
                 opt.search_2cp ? "2CP output-axis search"
                                : "seeded random row permutation stored as 2CP stores one",
                 opt.iters);
    std::fflush(js);
  }
  std::printf("device %s, %d SMs, L2 %.0f MB; layer-1 permutation: %s\n", prop.name,
              prop.multiProcessorCount, l2 / 1e6, opt.search_2cp ? "2CP search" : "random");
  std::printf("%-10s %6s %6s | %10s %10s %10s | %7s %7s | %s\n", "model", "spars", "N", "hinm_us",
              "unfold_us", "cublas_us", "ratio", "r_unf", "check");
  hinm::GpuContext ctx;
  bool first = true;
  int failures = 0;
  for (const Model& md : opt.models) {
    const auto w1 = Gaussian(md.h, md.d, 1000 + md.h);
    const auto w2 = Gaussian(md.d, md.h, 2000 + md.d);
    for (double sp : opt.sparsities) {
      const auto t0 = std::chrono::steady_clock::now();
      const hinm::CompressedMatrix a1 = PruneLayer1(w1, md.h, md.d, sp, opt.search_2cp, 7);
      const hinm::CompressedMatrix a2 = PruneLayer2(w2, md.d, md.h, sp);
      std::vector<int32_t> perm(static_cast<size_t>(md.h));
      for (int64_t p = 0; p < md.h; ++p) perm[static_cast<size_t>(p)] = a1.original_row(p);
      const hinm::CompressedMatrix a2f = hinm::FoldInputPermutation(a2, perm.data(), md.h);
      const double prep_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      const auto d1 = DecompressFp16(a1), d2 = DecompressFp16(a2);
      const double sparse_bytes = static_cast<double>(a1.compressed_bytes() + a2.compressed_bytes());
      const double dense_bytes = static_cast<double>(d1.size() + d2.size()) * 2;
      const int cs = static_cast<int>(std::min(64.0, std::max(2.0, std::ceil(2.5 * l2 / sparse_bytes))));
      const int cd = static_cast<int>(std::min(64.0, std::max(2.0, std::ceil(2.5 * l2 / dense_bytes))));
      std::vector<std::unique_ptr<hinm::DeviceMatrix>> m1, m2, m2f;
      for (int i = 0; i < cs; ++i) {
        m1.push_back(hinm::DeviceMatrix::Upload(a1, nullptr));
        m2.push_back(hinm::DeviceMatrix::Upload(a2, nullptr));
        m2f.push_back(hinm::DeviceMatrix::Upload(a2f, nullptr));
      }
      std::vector<std::unique_ptr<DeviceBuf>> dw1, dw2;
      for (int i = 0; i < cd; ++i) {
        dw1.push_back(std::make_unique<DeviceBuf>(d1.size() * 2));
        dw2.push_back(std::make_unique<DeviceBuf>(d2.size() * 2));
        CK(cudaMemcpy(dw1.back()->p, d1.data(), d1.size() * 2, cudaMemcpyHostToDevice));
        CK(cudaMemcpy(dw2.back()->p, d2.data(), d2.size() * 2, cudaMemcpyHostToDevice));
      }
      std::printf("# %s %.1f%%: prune+fold %.1f s, compressed %.1f MB vs dense %.1f MB, copies %d/%d\n",
                  md.name, sp, prep_s, sparse_bytes / 1e6, dense_bytes / 1e6, cs, cd);
      std::fflush(stdout);

      for (int64_t n : opt.ns) {
        std::mt19937_64 rng(md.d * 31 + n);
        std::uniform_real_distribution<float> u(-1.f, 1.f);
        std::vector<uint16_t> hx(static_cast<size_t>(md.d * n));
        for (auto& x : hx) x = hinm::FloatToHalf(u(rng));
        DeviceBuf dx(hx.size() * 2), dh(static_cast<size_t>(md.h * n) * 2),
            dy(static_cast<size_t>(md.d * n) * 2), dy_ref(static_cast<size_t>(md.d * n) * 2),
            dy_unf(static_cast<size_t>(md.d * n) * 2);
        CK(cudaMemcpy(dx.p, hx.data(), hx.size() * 2, cudaMemcpyHostToDevice));
        hinm::SpmmArgs l1;
        l1.n = n;
        l1.b = dx.p;
        l1.ldb = n;
        l1.c = dh.p;
        l1.ldc = n;
        l1.io_dtype = dt;
        hinm::SpmmArgs l1_orig = l1;
        l1.rows = RowOrder::kPermuted;
        hinm::SpmmArgs l2 = l1_orig;
        l2.b = dh.p;
        l2.c = dy.p;
        hinm::SpmmArgs l2_unf = l2;
        l2_unf.c = dy_unf.p;
        const size_t ws1 = hinm::SpmmWorkspaceSize(a1, n, Order::kFeatureMajor, Order::kFeatureMajor);
        const size_t ws2 = hinm::SpmmWorkspaceSize(a2, n, Order::kFeatureMajor, Order::kFeatureMajor);
        DeviceBuf ws(std::max(ws1, ws2));
        auto act = [&]() {
          CK(hinm_bench::LaunchActivation(md.act, false, dh.p, md.h * n, nullptr));
        };
        auto run_hinm = [&](int i) {
          hinm::SpmmDevice(a1, *m1[i % cs], l1, ws.p, ws1, nullptr);
          act();
          hinm::SpmmDevice(a2f, *m2f[i % cs], l2, ws.p, ws2, nullptr);
        };
        auto run_unfolded = [&](int i) {
          hinm::SpmmDevice(a1, *m1[i % cs], l1_orig, ws.p, ws1, nullptr);
          act();
          hinm::SpmmDevice(a2, *m2[i % cs], l2_unf, ws.p, ws2, nullptr);
        };
        auto run_cublas = [&](int i) {
          hinm::DenseGemmDevice(ctx, md.h, n, md.d, 1.f, dw1[i % cd]->p, md.d, dx.p,
                                Order::kFeatureMajor, n, 0.f, dh.p, Order::kFeatureMajor, n, dt,
                                nullptr);
          act();
          hinm::DenseGemmDevice(ctx, md.d, n, md.h, 1.f, dw2[i % cd]->p, md.h, dh.p,
                                Order::kFeatureMajor, n, 0.f, dy_ref.p, Order::kFeatureMajor, n,
                                dt, nullptr);
        };
        // Validate before timing: each chain once, outputs compared.
        run_cublas(0);
        run_hinm(0);
        run_unfolded(0);
        CK(cudaDeviceSynchronize());
        std::vector<uint16_t> y(static_cast<size_t>(md.d * n)), yr(y.size()), yu(y.size());
        CK(cudaMemcpy(y.data(), dy.p, y.size() * 2, cudaMemcpyDeviceToHost));
        CK(cudaMemcpy(yr.data(), dy_ref.p, yr.size() * 2, cudaMemcpyDeviceToHost));
        CK(cudaMemcpy(yu.data(), dy_unf.p, yu.size() * 2, cudaMemcpyDeviceToHost));
        std::vector<double> yref(yr.size());
        for (size_t i = 0; i < yr.size(); ++i) yref[i] = hinm::HalfToFloat(yr[i]);
        double rel = std::max(MaxRel(y, yref), MaxRel(yu, yref));
        std::string check = "cublas";
        if (n == 1) {
          // fp64 chain on the host from the decompressed weights (H not rounded).
          std::vector<double> hh(static_cast<size_t>(md.h)), y64(static_cast<size_t>(md.d));
          for (int64_t j = 0; j < md.h; ++j) {
            double s = 0;
            for (int64_t c = 0; c < md.d; ++c)
              s += double(hinm::HalfToFloat(d1[j * md.d + c])) * hinm::HalfToFloat(hx[c]);
            hh[j] = hinm_bench::ActivationHost(md.act, s);
          }
          for (int64_t r = 0; r < md.d; ++r) {
            double s = 0;
            for (int64_t j = 0; j < md.h; ++j) s += double(hinm::HalfToFloat(d2[r * md.h + j])) * hh[j];
            y64[r] = s;
          }
          rel = std::max(rel, MaxRel(y, y64));
          check = "cublas+cpu_fp64";
        }
        // Two fp16 roundings of H and Y on both paths: looser than one layer's 2e-3.
        const bool ok = rel < 1e-2;
        if (!ok) ++failures;
        double th = 0, tu = 0, tc = 0;
        if (ok) {
          th = TimeUs(run_hinm, opt.iters);
          tu = TimeUs(run_unfolded, opt.iters);
          tc = TimeUs(run_cublas, opt.iters);
        }
        std::printf("%-10s %5.1f%% %6lld | %10.2f %10.2f %10.2f | %6.2fx %6.2fx | %s %.1e %s\n",
                    md.name, sp, static_cast<long long>(n), th, tu, tc, ok ? tc / th : 0.0,
                    ok ? tc / tu : 0.0, ok ? "ok" : "FAIL", rel, check.c_str());
        std::fflush(stdout);
        if (js) {
          std::fprintf(js,
                       "%s    {\"model\": \"%s\", \"d\": %lld, \"h\": %lld, \"activation\": \"%s\", "
                       "\"sparsity\": %.2f, \"n\": %lld, \"hinm_us\": %.3f, \"hinm_unfolded_us\": %.3f, "
                       "\"cublas_us\": %.3f, \"ratio\": %.4f, \"ratio_unfolded\": %.4f, "
                       "\"compressed_bytes\": %.0f, \"dense_bytes\": %.0f, \"max_rel_err\": %.3e, "
                       "\"validated_against\": \"%s\", \"valid\": %s}",
                       first ? "" : ",\n", md.name, static_cast<long long>(md.d),
                       static_cast<long long>(md.h), md.act == Activation::kGelu ? "gelu" : "silu",
                       sp, static_cast<long long>(n), th, tu, tc, ok ? tc / th : 0.0,
                       ok ? tc / tu : 0.0, sparse_bytes, dense_bytes, rel, check.c_str(),
                       ok ? "true" : "false");
          std::fflush(js);
          first = false;
        }
      }
    }
  }
  if (js) {
    std::fprintf(js, "\n  ]\n}\n");
    std::fclose(js);
  }
  return failures == 0 ? 0 : 1;
}
