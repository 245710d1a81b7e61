// search_time: wall time of PruneAndCompress with full 2CP on a random
// |N(0,1)| matrix (default 4096 x 4096, 75% = K_keep K/2 + 2:4, V = 128,
// the default algorithm, 2 threads): the search-time budget of docs/quality.md.
//
//   bazel run -c opt //benchmarks/quality:search_time -- [--size N] [--threads T]
//       [--published] [--v V]
//
// Prints retained saliency without permutation and with 2CP, the unstructured
// upper bound, the gap closure, and the 2CP wall and CPU (process) times.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "cpp/hinm/prune.h"

namespace {

double Retained(const std::vector<float>& w, int64_t n, int v, bool permute,
                hinm::PermuteAlgo algo, int threads, double* wall, double* cpu) {
  hinm::PruneOptions o;
  o.tile_rows = v;
  o.vector_sparsity = 0.5;
  o.permute.output_axis = permute;
  o.permute.input_axis = permute;
  o.permute.algo = algo;
  o.permute.seed = 1;
  o.permute.num_threads = threads;
  const auto t0 = std::chrono::steady_clock::now();
  const std::clock_t c0 = std::clock();
  const hinm::CompressedMatrix m = hinm::PruneAndCompress(
      hinm::DenseView{w.data(), hinm::DType::kFloat32, n, n, n}, hinm::SaliencyView{}, o);
  if (cpu) *cpu = static_cast<double>(std::clock() - c0) / CLOCKS_PER_SEC;
  if (wall) *wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return m.stats.retained_saliency;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t n = 4096;
  int threads = 2, v = 128;
  hinm::PermuteAlgo algo = hinm::PermuteAlgo::kDefault;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--size" && i + 1 < argc) {
      n = std::atoll(argv[++i]);
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--v" && i + 1 < argc) {
      v = std::atoi(argv[++i]);
    } else if (a == "--published") {
      algo = hinm::PermuteAlgo::kPublished;
    } else {
      std::fprintf(stderr, "search_time: unknown argument %s\n", a.c_str());
      return 1;
    }
  }
  std::mt19937_64 rng(1);
  std::normal_distribution<float> nd;
  std::vector<float> w(static_cast<size_t>(n * n));
  for (float& x : w) x = nd(rng);
  // Unstructured magnitude pruning keeping 25% of the weights.
  std::vector<float> mag(w.size());
  double total = 0;
  for (size_t i = 0; i < w.size(); ++i) total += mag[i] = std::fabs(w[i]);
  const size_t keep = w.size() / 4;
  std::nth_element(mag.begin(), mag.begin() + static_cast<int64_t>(keep), mag.end(),
                   std::greater<float>());
  double kept = 0;
  for (size_t i = 0; i < keep; ++i) kept += mag[i];
  const double unstructured = kept / total;
  const double none = Retained(w, n, v, false, algo, threads, nullptr, nullptr);
  double wall = 0, cpu = 0;
  const double with = Retained(w, n, v, true, algo, threads, &wall, &cpu);
  std::printf("%lld x %lld, 75%%, V=%d, %s 2CP, %d threads\n", static_cast<long long>(n),
              static_cast<long long>(n), v,
              algo == hinm::PermuteAlgo::kDefault ? "default" : "published", threads);
  std::printf("retained: none %.5f -> 2CP %.5f (unstructured %.5f), gap closure %.4f\n", none,
              with, unstructured, (with - none) / (unstructured - none));
  std::printf("2CP prune+search: wall %.1f s, CPU %.1f s\n", wall, cpu);
  return 0;
}
