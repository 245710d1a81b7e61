#include "cpp/hinm/permute_swap.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "cpp/hinm/permute_common.h"

namespace hinm {
namespace {

// Sum of the `keep` largest of `n` values (reorders v).
double TopSum(double* v, int64_t n, int64_t keep) {
  if (keep >= n) return std::accumulate(v, v + n, 0.0);
  std::nth_element(v, v + keep, v + n, std::greater<double>());
  double sum = 0.0;
  for (int64_t i = 0; i < keep; ++i) sum += v[i];
  return sum;
}

}  // namespace

std::vector<int32_t> RowSwapDescent(const SaliencyView& s, const std::vector<int32_t>& perm,
                                    int32_t tile_rows, int64_t kept_cols, int64_t max_evals,
                                    uint64_t seed, const PermuteOptions& opt, double lo,
                                    double hi) {
  const int64_t m = s.rows, k = s.cols;
  const int64_t tiles = (m + tile_rows - 1) / tile_rows;
  if (tiles < 2 || kept_cols >= k || max_evals <= 0) return perm;
  // Tiles are position ranges, so a swap exchanges two entries of `out`.
  std::vector<int32_t> out = perm;
  std::vector<double> colsum(static_cast<size_t>(tiles * k), 0.0), kept(static_cast<size_t>(tiles));
  std::vector<double> scratch(static_cast<size_t>(k));
  for (int64_t p = 0; p < m; ++p) {
    const float* row = s.data + static_cast<int64_t>(out[p]) * s.ld;
    double* acc = &colsum[(p / tile_rows) * k];
    for (int64_t c = 0; c < k; ++c) acc[c] += row[c];
  }
  for (int64_t t = 0; t < tiles; ++t) {
    std::copy(&colsum[t * k], &colsum[t * k] + k, scratch.begin());
    kept[t] = TopSum(scratch.data(), k, kept_cols);
  }
  std::mt19937_64 rng(seed);
  std::vector<double> na(static_cast<size_t>(k)), nb(static_cast<size_t>(k));
  std::vector<double> sa(static_cast<size_t>(k)), sb(static_cast<size_t>(k));
  const int64_t patience = std::max<int64_t>(1, max_evals / 4);
  const int64_t report_every = std::max<int64_t>(1, max_evals / 64);
  int64_t since_gain = 0;
  for (int64_t e = 0; e < max_evals && since_gain < patience; ++e) {
    if (e % report_every == 0) ReportProgress(opt, lo + (hi - lo) * e / double(max_evals));
    const int64_t p = static_cast<int64_t>(rng() % static_cast<uint64_t>(m));
    const int64_t q = static_cast<int64_t>(rng() % static_cast<uint64_t>(m));
    const int64_t a = p / tile_rows, b = q / tile_rows;
    ++since_gain;
    if (a == b) continue;
    const float* x = s.data + static_cast<int64_t>(out[p]) * s.ld;  // leaves a for b
    const float* y = s.data + static_cast<int64_t>(out[q]) * s.ld;  // leaves b for a
    const double* ca = &colsum[a * k];
    const double* cb = &colsum[b * k];
    for (int64_t c = 0; c < k; ++c) {
      const double d = static_cast<double>(y[c]) - static_cast<double>(x[c]);
      na[c] = ca[c] + d;
      nb[c] = cb[c] - d;
    }
    std::copy(na.begin(), na.end(), sa.begin());
    std::copy(nb.begin(), nb.end(), sb.begin());
    const double va = TopSum(sa.data(), k, kept_cols);
    const double vb = TopSum(sb.data(), k, kept_cols);
    const double before = kept[a] + kept[b];
    if (!(va + vb > before + kRelativeGain * std::max(before, 1e-300))) continue;
    std::swap(out[p], out[q]);
    std::copy(na.begin(), na.end(), &colsum[a * k]);
    std::copy(nb.begin(), nb.end(), &colsum[b * k]);
    kept[a] = va;
    kept[b] = vb;
    since_gain = 0;
  }
  ReportProgress(opt, hi);
  return out;
}

}  // namespace hinm
