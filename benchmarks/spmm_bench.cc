// spmm_bench: times the HiNM SpMM (hinm::SpmmDevice, the path hinmSpMM runs)
// against cuBLAS (cublasGemmEx through hinm::DenseGemmDevice, the path
// hinmDenseGemm runs) on the same pruned weights and the same B / C layouts,
// in the same process, and against cuSPARSELt 2:4 (optional: see
// cusparselt_baseline.h; the output says "cuSPARSELt: not built" or "not
// found" without it) on the same dense weights pruned 2:4. Every config is
// validated before it is timed: the sparse result against cuBLAS on the
// decompressed weights (both fp32 accumulation; an independent dense path),
// plus the CPU reference for small problems; cuSPARSELt against cuBLAS on its
// own 2:4-pruned weights. Timing: CUDA events per call, warm-up, median
// (--graph: the calls replayed from a CUDA graph instead, which takes the
// host's launch cost out, as a serving loop sees it; decode-size calls are
// shorter than that cost); weight copies are rotated so that the weights of
// consecutive calls are not in L2. The host time per call of hinm and cuBLAS
// (issue cost, no graph) is recorded too, and so is the plan each hinm row
// ran (kernel, tile config, K split; hinm::SpmmPlanDescription), which the
// HINM_SPMM_* knobs change. The device copy bandwidth is measured once per
// run (the TB/s columns' ceiling). --search: each hinm row first runs the
// timed plan search (hinm::SpmmSearch, the path hinmSpMMSearch runs) and is
// then timed with the plan it picked; the plan column adds what the search
// measured. --v: the tile height V the weights are pruned with (default 128).
//
//   spmm_bench [--quick | --full] [--shapes 4096x4096,768x3072]
//              [--n 1,16,4096] [--sparsity 75,87.5] [--dtype f16|bf16]
//              [--iters 30] [--json out.json] [--commit SHA] [--no-cusparselt]
//              [--graph] [--search] [--v 128]
//   spmm_bench --status   (how it was built; needs no GPU)
#include <cuda_runtime_api.h>

#include <algorithm>
#include <map>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "benchmarks/bench_util.h"
#include "benchmarks/cusparselt_baseline.h"
#include "cpp/hinm/compressed_matrix.h"
#include "cpp/hinm/dense.h"
#include "cpp/hinm/device_plan_search.h"
#include "cpp/hinm/dispatch.h"
#include "cpp/hinm/error.h"
#include "cpp/hinm/prune.h"
#include "cpp/hinm/reference.h"

namespace {

using hinm::DType;
using hinm::Order;
using hinm_bench::DeviceBuf;
using hinm_bench::Now;
using hinm_bench::Split;
using hinm_bench::HostUsPerCall;
using hinm_bench::TimeGraphUs;
using hinm_bench::TimeUs;

struct Shape {
  int64_t m, k;
  const char* model;
};

const Shape kAllShapes[] = {
    {4096, 4096, "llama-7B qkvo"},  {11008, 4096, "llama-7B up/gate"},
    {4096, 11008, "llama-7B down"}, {8192, 8192, "llama-70B qo"},
    {28672, 8192, "llama-70B up"},  {768, 768, "BERT-base attn"},
    {3072, 768, "BERT-base up"},    {768, 3072, "BERT-base down"},
};

struct Options {
  std::vector<Shape> shapes;
  std::vector<int64_t> ns;
  std::vector<double> sparsities;  // total: 75, 87.5
  DType dtype = DType::kFloat16;
  int iters = 30;
  std::string json;
  std::string commit = "unknown";
  bool cusparselt = true;
  bool graph = false;  // time CUDA graph replays instead of one event pair per call
  bool search = false;  // run hinm's timed plan search first, time its pick
  int32_t tile_rows = 128;  // V
};

// The run's timer: fn(i, stream) timed per call with events, or from a CUDA
// graph of `iters` calls (Options::graph).
template <typename Fn>
double TimeCall(const Options& o, Fn fn) {
  if (o.graph) return TimeGraphUs(fn, o.iters);
  return TimeUs([&](int i) { fn(i, nullptr); }, o.iters);
}

Options Parse(int argc, char** argv) {
  Options o;
  // Quick default: two LLM shapes, decode and prefill, both sparsities.
  o.shapes = {kAllShapes[0], kAllShapes[1]};
  o.ns = {1, 16, 4096};
  o.sparsities = {75, 87.5};
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--quick") {
    } else if (a == "--full") {
      o.shapes.assign(std::begin(kAllShapes), std::end(kAllShapes));
      o.ns = {1, 16, 64, 128, 1024, 4096};
    } else if (a == "--shapes") {
      o.shapes.clear();
      for (const auto& s : Split(next())) {
        const auto x = s.find('x');
        o.shapes.push_back({std::atoll(s.substr(0, x).c_str()), std::atoll(s.substr(x + 1).c_str()), "custom"});
      }
    } else if (a == "--n") {
      o.ns.clear();
      for (const auto& s : Split(next())) o.ns.push_back(std::atoll(s.c_str()));
    } else if (a == "--sparsity") {
      o.sparsities.clear();
      for (const auto& s : Split(next())) o.sparsities.push_back(std::atof(s.c_str()));
    } else if (a == "--dtype") {
      o.dtype = next() == "bf16" ? DType::kBFloat16 : DType::kFloat16;
    } else if (a == "--iters") {
      o.iters = std::max(3, std::atoi(next().c_str()));
    } else if (a == "--json") {
      o.json = next();
    } else if (a == "--commit") {
      o.commit = next();
    } else if (a == "--graph") {
      o.graph = true;
    } else if (a == "--search") {
      o.search = true;
    } else if (a == "--v") {
      o.tile_rows = std::atoi(next().c_str());
      if (o.tile_rows < 16 || o.tile_rows % 16 != 0) {
        std::fprintf(stderr, "--v needs a multiple of 16\n");
        std::exit(2);
      }
    } else if (a == "--no-cusparselt") {
      o.cusparselt = false;
    } else if (a == "--status") {
      std::printf("cuSPARSELt: %s\n", hinm_bench::CusparseLtBuildInfo().c_str());
      std::exit(0);
    } else {
      std::fprintf(stderr, "unknown flag %s\n", a.c_str());
      std::exit(2);
    }
  }
  return o;
}

// A message as a JSON string body (quotes, backslashes, control characters out).
std::string JsonSafe(const std::string& in) {
  std::string out;
  for (char c : in) out += (c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20) ? ' ' : c;
  return out;
}

// Downloads count 16-bit values at got and ref (device) and returns
// max |got - ref| (a non-finite got counts as infinite) and max |ref|; the
// host copy of got into *got_host if given.
struct Deviation {
  double err = 0, scale = 0;
  double rel() const { return err / std::max(scale, 1e-30); }
};
Deviation CompareOnHost(const void* got, const void* ref, size_t count, DType dt,
                        std::vector<uint16_t>* got_host = nullptr) {
  std::vector<uint16_t> hc(count), hr(count);
  CK(cudaMemcpy(hc.data(), got, count * 2, cudaMemcpyDeviceToHost));
  CK(cudaMemcpy(hr.data(), ref, count * 2, cudaMemcpyDeviceToHost));
  Deviation d;
  for (size_t i = 0; i < count; ++i) {
    const double x = hinm::From16(hc[i], dt), y = hinm::From16(hr[i], dt);
    d.err = std::max(d.err, std::isfinite(x) ? std::fabs(x - y) : INFINITY);
    d.scale = std::max(d.scale, std::fabs(y));
  }
  if (got_host != nullptr) *got_host = std::move(hc);
  return d;
}

// cuSPARSELt 2:4 on the shape's dense weights, for one N: prune + compress +
// search outside the timed region, validate against cuBLAS on the same 2:4
// weights, then time like the other paths. Independent of the HiNM sparsity
// (2:4 is 50%), so measured once per (shape, N) and reported on every row.
struct LtResult {
  bool ran = false, ok = false;
  double us = 0, rel = 0, compressed_bytes = 0;
  int alg = -1;
  int64_t n_pad = 0;
  std::string note;
};

LtResult MeasureCusparseLt(hinm::GpuContext& ctx, const Shape& s, int64_t n, DType dt,
                           const void* d_w, double l2, const Options& opt) {
  LtResult r;
  const int64_t np = hinm_bench::CusparseLtGemm::PadN(n);
  r.n_pad = np;
  // B: K x N random, zero-padded to N_pad columns (padding is what a caller
  // of cuSPARSELt would have to do for N % 16 != 0).
  std::mt19937_64 rng(s.m * 7 + s.k * 3 + n);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  std::vector<uint16_t> hb(static_cast<size_t>(s.k * np), 0);
  for (int64_t r0 = 0; r0 < s.k; ++r0)
    for (int64_t c = 0; c < n; ++c) hb[static_cast<size_t>(r0 * np + c)] = hinm::FloatTo16(u(rng), dt);
  DeviceBuf db(hb.size() * 2), dc(static_cast<size_t>(s.m * np) * 2), dref(static_cast<size_t>(s.m * np) * 2);
  CK(cudaMemcpy(db.p, hb.data(), hb.size() * 2, cudaMemcpyHostToDevice));
  const double est_bytes = static_cast<double>(s.m) * s.k;  // ~half the dense fp16 bytes
  const int copies = static_cast<int>(std::min(64.0, std::max(2.0, std::ceil(2.5 * l2 / est_bytes))));
  try {
    hinm_bench::CusparseLtGemm lt(s.m, n, s.k, dt, d_w, copies, db.p, dc.p);
    r.ran = true;
    r.alg = lt.alg_id();
    r.compressed_bytes = static_cast<double>(lt.compressed_bytes());
    lt.Run(0, nullptr);
    hinm::DenseGemmDevice(ctx, s.m, np, s.k, 1.f, lt.pruned_dense(), s.k, db.p,
                          Order::kFeatureMajor, np, 0.f, dref.p, Order::kFeatureMajor, np, dt,
                          nullptr);
    CK(cudaDeviceSynchronize());
    r.rel = CompareOnHost(dc.p, dref.p, static_cast<size_t>(s.m * np), dt).rel();
    r.ok = r.rel < (dt == DType::kFloat16 ? 2e-3 : 1.6e-2);
    if (!r.ok) {
      r.note = "FAIL vs cuBLAS on its 2:4 weights";
    } else {
      r.us = TimeCall(opt, [&](int i, cudaStream_t st) { lt.Run(i, st); });
      if (r.us < 0) r.ok = false, r.note = "could not be captured in a CUDA graph";
    }
  } catch (const std::exception& e) {
    r.note = e.what();
    cudaGetLastError();
  }
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = Parse(argc, argv);
  if (!hinm::HasDevice()) {
    std::fprintf(stderr, "spmm_bench: no CUDA device\n");
    return 1;
  }
  cudaDeviceProp prop;
  CK(cudaGetDeviceProperties(&prop, 0));
  const double l2 = prop.l2CacheSize;
  const DType dt = opt.dtype;
  // Optional second baseline: its state is printed and recorded either way.
  const std::string lt_status =
      opt.cusparselt ? hinm_bench::CusparseLtStatus() : std::string("disabled (--no-cusparselt)");
  const bool use_lt = opt.cusparselt && hinm_bench::CusparseLtAvailable();
  const double copy_tbs = hinm_bench::CopyBandwidthTBs();
  std::printf("cuSPARSELt: %s\n", lt_status.c_str());
  std::printf("device copy bandwidth (cudaMemcpy D2D 1 GiB, read+write): %.3f TB/s\n", copy_tbs);
  const std::string timing =
      (opt.graph ? "CUDA graph of " + std::to_string(opt.iters) +
                       " calls, 1 warm-up replay, median over " +
                       std::to_string(hinm_bench::kGraphReplays) + " replays of replay time / calls"
                 : "CUDA events per call, 3 warm-up calls, median of " + std::to_string(opt.iters)) +
      "; weight copies rotated beyond 2x L2";
  std::printf("timing: %s\n", timing.c_str());
  std::FILE* js = opt.json.empty() ? nullptr : std::fopen(opt.json.c_str(), "w");
  if (js) {
    std::fprintf(js,
                 "{\n  \"device\": \"%s\",\n  \"sms\": %d,\n  \"l2_bytes\": %d,\n  \"date\": \"%s\",\n"
                 "  \"cusparselt\": \"%s\",\n"
                 "  \"cusparselt_weights\": \"the unpruned dense weights pruned 2:4 (50%%) by cusparseLtSpMMAPrune STRIP; N padded to a multiple of 16\",\n"
                 "  \"copy_bandwidth_tbs\": %.4f,\n"
                 "  \"commit\": \"%s\",\n  \"dtype\": \"%s\",\n  \"tile_rows\": %d,\n"
                 "  \"b_order\": \"feature-major\",\n  \"c_order\": \"feature-major\",\n"
                 "  \"timing\": \"%s\",\n"
                 "  \"results\": [\n",
                 prop.name, prop.multiProcessorCount, prop.l2CacheSize, Now().c_str(),
                 JsonSafe(lt_status).c_str(), copy_tbs, opt.commit.c_str(), hinm::DTypeName(dt),
                 opt.tile_rows, timing.c_str());
    std::fflush(js);
  }
  std::printf("device %s, %d SMs, L2 %.0f MB, dtype %s, V %d\n", prop.name,
              prop.multiProcessorCount, l2 / 1e6, hinm::DTypeName(dt), opt.tile_rows);
  std::printf("%-12s %6s %6s | %10s %10s %7s | %8s %8s | %8s %8s | %10s %7s | %s | %s | %s\n",
              "shape", "spars", "N", "hinm_us", "cublas_us", "ratio", "hinm_TBs", "cubl_TBs",
              "hinm_TF", "cubl_TF", "cuslt_us", "lt_rat", "check", "host", "plan");
  hinm::GpuContext ctx;
  bool first = true;
  int failures = 0;
  for (const Shape& s : opt.shapes) {
    std::mt19937_64 rng(s.m * 131 + s.k);
    std::normal_distribution<float> gauss(0.f, 1.f);
    std::vector<float> w(static_cast<size_t>(s.m * s.k));
    for (auto& x : w) x = gauss(rng);
    // cuSPARSELt prunes the same dense weights 2:4 itself; measured once per N.
    std::map<int64_t, LtResult> lt_results;
    std::unique_ptr<DeviceBuf> w_dev;
    if (use_lt) {
      std::vector<uint16_t> w16(w.size());
      for (size_t i = 0; i < w.size(); ++i) w16[i] = hinm::FloatTo16(w[i], dt);
      w_dev = std::make_unique<DeviceBuf>(w16.size() * 2);
      CK(cudaMemcpy(w_dev->p, w16.data(), w16.size() * 2, cudaMemcpyHostToDevice));
    }
    for (double sp : opt.sparsities) {
      // Total sparsity 1 - (K_keep/K)/2 -> vector sparsity 2*sp - 1.
      hinm::PruneOptions po;
      po.tile_rows = opt.tile_rows;
      po.vector_sparsity = 2.0 * sp / 100.0 - 1.0;
      po.value_dtype = dt;
      const auto t0 = std::chrono::steady_clock::now();
      const hinm::CompressedMatrix a = hinm::PruneAndCompress(
          hinm::DenseView{w.data(), DType::kFloat32, s.m, s.k, s.k}, hinm::SaliencyView{}, po);
      const double prune_s =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      // Dense pruned weights for cuBLAS.
      std::vector<float> dense(static_cast<size_t>(s.m * s.k));
      hinm::Decompress(a, dense.data(), s.k);
      std::vector<uint16_t> dense16(dense.size());
      for (size_t i = 0; i < dense.size(); ++i) dense16[i] = hinm::FloatTo16(dense[i], dt);
      dense.clear();
      dense.shrink_to_fit();
      const double sparse_bytes = static_cast<double>(a.compressed_bytes());
      const double dense_bytes = static_cast<double>(s.m * s.k * 2);
      // Enough copies that consecutive calls miss L2 (at least 2).
      const int copies_sparse = static_cast<int>(std::min(64.0, std::max(2.0, std::ceil(2.5 * l2 / sparse_bytes))));
      const int copies_dense = static_cast<int>(std::min(64.0, std::max(2.0, std::ceil(2.5 * l2 / dense_bytes))));
      std::vector<std::unique_ptr<hinm::DeviceMatrix>> dms;
      for (int i = 0; i < copies_sparse; ++i) dms.push_back(hinm::DeviceMatrix::Upload(a, nullptr));
      std::vector<std::unique_ptr<DeviceBuf>> dws;
      for (int i = 0; i < copies_dense; ++i) {
        dws.push_back(std::make_unique<DeviceBuf>(dense16.size() * 2));
        CK(cudaMemcpy(dws.back()->p, dense16.data(), dense16.size() * 2, cudaMemcpyHostToDevice));
      }
      std::printf("# %lldx%lld %.1f%%: pruned in %.1f s, compressed %.1f MB vs dense %.1f MB, copies %d/%d\n",
                  static_cast<long long>(s.m), static_cast<long long>(s.k), sp, prune_s,
                  sparse_bytes / 1e6, dense_bytes / 1e6, copies_sparse, copies_dense);
      std::fflush(stdout);

      for (int64_t n : opt.ns) {
        std::vector<uint16_t> hb(static_cast<size_t>(s.k * n));
        std::uniform_real_distribution<float> u(-1.f, 1.f);
        for (auto& x : hb) x = hinm::FloatTo16(u(rng), dt);
        DeviceBuf db(hb.size() * 2), dc(static_cast<size_t>(s.m * n) * 2),
            dref(static_cast<size_t>(s.m * n) * 2);
        CK(cudaMemcpy(db.p, hb.data(), hb.size() * 2, cudaMemcpyHostToDevice));
        hinm::SpmmArgs args;
        args.n = n;
        args.b = db.p;
        args.ldb = n;
        args.c = dc.p;
        args.ldc = n;
        args.io_dtype = dt;
        hinm::SpmmPlanChoice choice;  // the planner's, or with --search the search's pick
        std::string searched;
        if (opt.search) {
          const auto t0s = std::chrono::steady_clock::now();
          const hinm::SpmmSearchResult r = hinm::SpmmSearch(a, *dms[0], args, nullptr, 0, nullptr);
          const double ms =
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0s).count();
          choice = r.best;
          char buf[160];
          std::snprintf(buf, sizeof(buf), " | search: %d plans timed in %.0f ms, planned %.2f us, picked %.2f us",
                        r.candidates, ms, r.planned_us, r.best_us);
          searched = buf;
        }
        const size_t wsb = hinm::SpmmWorkspaceSize(a, n, Order::kFeatureMajor, Order::kFeatureMajor,
                                                   hinm::GpuKernel::kAuto, choice);
        DeviceBuf ws(wsb);
        auto run_sparse = [&](int i, cudaStream_t st) {
          hinm::SpmmDevice(a, *dms[i % copies_sparse], args, ws.p, wsb, st, hinm::GpuKernel::kAuto,
                           choice);
        };
        auto run_dense = [&](int i, cudaStream_t st) {
          hinm::DenseGemmDevice(ctx, s.m, n, s.k, 1.f, dws[i % copies_dense]->p, s.k, db.p,
                                Order::kFeatureMajor, n, 0.f, dref.p, Order::kFeatureMajor, n, dt,
                                st);
        };
        // Validate before timing.
        run_sparse(0, nullptr);
        run_dense(0, nullptr);
        CK(cudaDeviceSynchronize());
        std::vector<uint16_t> hc;
        const Deviation dev = CompareOnHost(dc.p, dref.p, static_cast<size_t>(s.m * n), dt, &hc);
        const double scale = dev.scale;
        double rel = dev.rel();
        std::string check = "cublas";
        // Small problems: also the CPU reference (computed from the compressed arrays).
        if (static_cast<double>(s.m) * s.k * n <= 2e9) {
          std::vector<uint16_t> href(hc.size(), 0);
          hinm::SpmmArgs h = args;
          h.b = hb.data();
          h.c = href.data();
          hinm::SpmmReference(a, h);
          double e2 = 0;
          for (size_t i = 0; i < hc.size(); ++i)
            e2 = std::max(e2, std::fabs(static_cast<double>(hinm::From16(hc[i], dt)) -
                                        hinm::From16(href[i], dt)));
          rel = std::max(rel, e2 / std::max(scale, 1e-30));
          check = "cublas+cpu";
        }
        const double tol = dt == DType::kFloat16 ? 2e-3 : 1.6e-2;
        const bool ok = rel < tol;
        if (!ok) ++failures;
        double t_s = 0, t_d = 0, host_s = 0, host_d = 0;
        if (ok) {
          t_s = TimeCall(opt, run_sparse);
          t_d = TimeCall(opt, run_dense);
          host_s = HostUsPerCall(run_sparse, opt.iters);
          host_d = HostUsPerCall(run_dense, opt.iters);
          if (t_s < 0 || t_d < 0) {
            std::fprintf(stderr, "a call could not be captured in a CUDA graph\n");
            return 1;
          }
        }
        if (use_lt && !lt_results.count(n))
          lt_results[n] = MeasureCusparseLt(ctx, s, n, dt, w_dev->p, l2, opt);
        const LtResult lt = use_lt ? lt_results[n] : LtResult{};
        const double lt_ratio = lt.ok && ok ? t_d / lt.us : 0.0;
        if (use_lt && !lt.ok) ++failures;
        const double io_bytes = static_cast<double>(s.k * n + s.m * n) * 2;
        const double flops = 2.0 * s.m * n * s.k;  // dense-equivalent
        const double s_tbs = ok ? (sparse_bytes + io_bytes) / (t_s * 1e-6) / 1e12 : 0;
        const double d_tbs = ok ? (dense_bytes + io_bytes) / (t_d * 1e-6) / 1e12 : 0;
        const double s_tf = ok ? flops / (t_s * 1e-6) / 1e12 : 0;
        const double d_tf = ok ? flops / (t_d * 1e-6) / 1e12 : 0;
        char check_s[64];
        std::snprintf(check_s, sizeof(check_s), "%s %.1e %s", ok ? "ok" : "FAIL", rel, check.c_str());
        const std::string plan =
            hinm::SpmmPlanDescription(a, args, hinm::GpuKernel::kAuto, choice) + searched;
        std::printf("%5lldx%-6lld %5.1f%% %6lld | %10.2f %10.2f %6.2fx | %8.3f %8.3f | %8.1f %8.1f | %10.2f %6.2fx | %s | host %.1f/%.1f us | %s%s%s\n",
                    static_cast<long long>(s.m), static_cast<long long>(s.k), sp,
                    static_cast<long long>(n), t_s, t_d, ok ? t_d / t_s : 0.0, s_tbs, d_tbs, s_tf,
                    d_tf, lt.us, lt_ratio, check_s, host_s, host_d, plan.c_str(),
                    lt.note.empty() ? "" : " | cuSPARSELt: ", lt.note.c_str());
        std::fflush(stdout);
        if (js) {
          std::fprintf(js,
                       "%s    {\"m\": %lld, \"k\": %lld, \"model\": \"%s\", \"sparsity\": %.2f, \"n\": %lld, "
                       "\"hinm_us\": %.3f, \"cublas_us\": %.3f, \"ratio\": %.4f, "
                       "\"hinm_tbs\": %.4f, \"cublas_tbs\": %.4f, \"hinm_tflops_dense_equiv\": %.2f, "
                       "\"cublas_tflops\": %.2f, \"compressed_bytes\": %.0f, \"dense_bytes\": %.0f, "
                       "\"max_rel_err\": %.3e, \"validated_against\": \"%s\", \"valid\": %s, "
                       "\"cusparselt_us\": %.3f, \"cusparselt_ratio\": %.4f, \"cusparselt_n_padded\": %lld, "
                       "\"cusparselt_compressed_bytes\": %.0f, \"cusparselt_alg\": %d, "
                       "\"cusparselt_max_rel_err\": %.3e, \"cusparselt_valid\": %s, \"cusparselt_note\": \"%s\", "
                       "\"hinm_host_us\": %.2f, \"cublas_host_us\": %.2f, \"plan\": \"%s\"}",
                       first ? "" : ",\n", static_cast<long long>(s.m),
                       static_cast<long long>(s.k), s.model, sp, static_cast<long long>(n), t_s,
                       t_d, ok ? t_d / t_s : 0.0, s_tbs, d_tbs, s_tf, d_tf, sparse_bytes,
                       dense_bytes, rel, check.c_str(), ok ? "true" : "false", lt.us, lt_ratio,
                       static_cast<long long>(lt.n_pad), lt.compressed_bytes, lt.alg, lt.rel,
                       lt.ok ? "true" : "false", JsonSafe(lt.note).c_str(), host_s, host_d,
                       JsonSafe(plan).c_str());
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
