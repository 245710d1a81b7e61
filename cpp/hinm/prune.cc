#include "cpp/hinm/prune.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <numeric>
#include <string>
#include <vector>

#include "cpp/hinm/error.h"
#include "cpp/hinm/thread_pool.h"

namespace hinm {

int64_t KeptColsForSparsity(int64_t cols, double vector_sparsity) {
  Require(cols > 0, Status::kInvalidValue, "cols (K) must be > 0, got " + std::to_string(cols));
  Require(std::isfinite(vector_sparsity) && vector_sparsity >= 0 && vector_sparsity < 1,
          Status::kInvalidValue,
          "vector_sparsity must be in [0, 1), got " + std::to_string(vector_sparsity));
  const int64_t max_kept = (cols + kGroupSize - 1) / kGroupSize * kGroupSize;
  const double want = static_cast<double>(cols) * (1.0 - vector_sparsity);
  const int64_t kept = std::llround(want / kGroupSize) * kGroupSize;
  return std::min(std::max<int64_t>(kept, kGroupSize), max_kept);
}

namespace {

std::string Pos(int64_t r, int64_t c) {
  return "(" + std::to_string(r) + ", " + std::to_string(c) + ")";
}

// Validates the weights and returns the score matrix (M x K, contiguous):
// the caller's saliency, or |W| when none was given.
std::vector<float> ValidateAndScore(const DenseView& w, const SaliencyView& sal, DType value_dtype,
                                    int num_threads) {
  Require(w.data != nullptr, Status::kNullPointer, "weights: data is null");
  Require(w.rows > 0 && w.cols > 0, Status::kInvalidValue,
          "weights: shape must be positive, got " + std::to_string(w.rows) + " x " +
              std::to_string(w.cols));
  Require(w.ld >= w.cols, Status::kInvalidValue,
          "weights: ld " + std::to_string(w.ld) + " < cols " + std::to_string(w.cols));
  Require(w.dtype == DType::kFloat32 || w.dtype == DType::kFloat16 || w.dtype == DType::kBFloat16,
          Status::kInvalidDType,
          "weights: unknown dtype " + std::to_string(static_cast<int>(w.dtype)));
  // The last element read is (rows-1)*ld + cols - 1.
  CheckedMul(CheckedMul(w.rows - 1, w.ld, "weights rows x ld"), DTypeSize(w.dtype),
             "weights bytes");
  const int64_t elems = CheckedMul(w.rows, w.cols, "weights elements");
  CheckedMul(elems, 4, "score bytes");
  if (sal.data != nullptr) {
    Require(sal.rows == w.rows && sal.cols == w.cols, Status::kInvalidValue,
            "saliency shape " + std::to_string(sal.rows) + " x " + std::to_string(sal.cols) +
                " differs from the weights' " + std::to_string(w.rows) + " x " +
                std::to_string(w.cols));
    Require(sal.ld >= sal.cols, Status::kInvalidValue,
            "saliency: ld " + std::to_string(sal.ld) + " < cols " + std::to_string(sal.cols));
    CheckedMul(sal.rows - 1, sal.ld, "saliency rows x ld");
  }
  std::vector<float> score(static_cast<size_t>(elems));
  // Rows in parallel; ParallelFor rethrows the lowest failing chunk's error,
  // so the reported position is the first bad one in row-major order.
  ParallelFor(w.rows, num_threads, [&](int64_t r_begin, int64_t r_end) {
    for (int64_t r = r_begin; r < r_end; ++r) {
      for (int64_t c = 0; c < w.cols; ++c) {
        const float v = w.at(r, c);
        // (Checks in this loop build their messages only on failure.)
        if (!std::isfinite(v)) {
          throw Error(Status::kInvalidValue, "weights: non-finite value at " + Pos(r, c));
        }
        // A finite weight that the stored 16-bit type cannot hold would turn
        // into Inf silently.
        if (!std::isfinite(From16(FloatTo16(v, value_dtype), value_dtype))) {
          throw Error(Status::kInvalidValue, "weights: value " + std::to_string(v) + " at " +
                                                 Pos(r, c) + " overflows " +
                                                 DTypeName(value_dtype));
        }
        float s = std::fabs(v);
        if (sal.data != nullptr) {
          s = sal.at(r, c);
          if (!(std::isfinite(s) && s >= 0)) {
            throw Error(Status::kInvalidValue, "saliency: value " + std::to_string(s) + " at " +
                                                   Pos(r, c) +
                                                   " is not a finite non-negative number");
          }
        }
        score[static_cast<size_t>(r * w.cols + c)] = s;
      }
    }
  });
  return score;
}

void CheckPermutation(const std::vector<int32_t>& perm, int64_t n, const char* what) {
  Require(static_cast<int64_t>(perm.size()) == n, Status::kInternalError,
          std::string(what) + " has the wrong length");
  std::vector<char> seen(static_cast<size_t>(n), 0);
  for (int32_t p : perm) {
    if (p < 0 || p >= n || seen[static_cast<size_t>(p)]) {
      throw Error(Status::kInternalError, std::string(what) + " is not a permutation");
    }
    seen[static_cast<size_t>(p)] = 1;
  }
}

// What one tile contributes to the statistics (summed in tile order later,
// so the totals do not depend on the thread count).
struct TileStats {
  double kept_score = 0;
  double total_score = 0;
  int64_t kept_weights = 0;
  bool columns_permuted = false;
};

struct Context {
  const DenseView* w;
  const float* score;  // M x K, ld K
  const Layout* layout;
  const std::vector<int32_t>* row_perm;  // empty = identity
  const PruneOptions* options;
  CompressedMatrix* out;
  const std::atomic<bool>* cancelled;  // set when the progress callback says stop
};

// Level 1: the tile's top-K_keep columns by summed score (ties -> lower
// column), as slots: ascending column order, then pads (K_keep > K). If
// `spare` is given it receives the other real columns, ascending.
std::vector<int32_t> SelectColumns(const Context& ctx, const std::vector<int32_t>& rows,
                                   TileStats* st, std::vector<int32_t>* spare) {
  const int64_t K = ctx.layout->cols;
  std::vector<double> sum(static_cast<size_t>(K), 0.0);
  for (int32_t o : rows) {
    const float* srow = ctx.score + static_cast<int64_t>(o) * K;
    for (int64_t c = 0; c < K; ++c) sum[static_cast<size_t>(c)] += srow[c];
  }
  for (double v : sum) st->total_score += v;
  std::vector<int32_t> order(static_cast<size_t>(K));
  std::iota(order.begin(), order.end(), 0);
  const int64_t real = std::min(ctx.layout->kept_cols, K);
  auto better = [&](int32_t a, int32_t b) {
    const double sa = sum[static_cast<size_t>(a)], sb = sum[static_cast<size_t>(b)];
    return sa != sb ? sa > sb : a < b;
  };
  std::partial_sort(order.begin(), order.begin() + real, order.end(), better);
  std::vector<int32_t> slots(order.begin(), order.begin() + real);
  std::sort(slots.begin(), slots.end());  // gather locality
  if (spare != nullptr) {
    spare->assign(order.begin() + real, order.end());
    std::sort(spare->begin(), spare->end());
  }
  slots.resize(static_cast<size_t>(ctx.layout->kept_cols), kPadColumn);
  return slots;
}

void PruneTile(const Context& ctx, int64_t t, TileStats* st) {
  const Layout& l = *ctx.layout;
  const int64_t M = l.rows, K = l.cols;
  const int64_t p_begin = t * l.tile_rows;
  const int64_t p_end = std::min<int64_t>(p_begin + l.tile_rows, M);
  std::vector<int32_t> rows;  // original indices of the tile's real rows
  for (int64_t p = p_begin; p < p_end; ++p) {
    rows.push_back(ctx.row_perm->empty() ? static_cast<int32_t>(p)
                                         : (*ctx.row_perm)[static_cast<size_t>(p)]);
  }
  const PermuteOptions& popt = ctx.options->permute;
  // hinm's default search may also exchange kept and dropped columns (see
  // SearchTileColumns); the published one and "no permutation" keep the
  // top-K_keep set.
  const bool refine = popt.input_axis && popt.algo == PermuteAlgo::kDefault;
  std::vector<int32_t> spare;
  std::vector<int32_t> slots = SelectColumns(ctx, rows, st, refine ? &spare : nullptr);
  if (popt.input_axis) {
    // Tiles run in parallel already, so the per-tile search runs on one
    // thread (it derives its random stream from the tile's rows, so the result
    // does not depend on the thread count). Its progress hook only polls the
    // cancel flag; the caller's callback is called once per finished tile.
    PermuteOptions tile_opt = popt;
    tile_opt.num_threads = 1;
    const std::atomic<bool>* cancelled = ctx.cancelled;
    tile_opt.progress = [cancelled](double) { return !cancelled->load(); };
    SaliencyView sv{ctx.score, M, K, K};
    std::vector<int32_t> reordered = refine ? SearchTileColumns(sv, rows, slots, spare, tile_opt)
                                            : SearchTileColumnOrder(sv, rows, slots, tile_opt);
    // The result must be slots.size() distinct columns: a permutation of
    // the slots, or (refine) drawn from the slots and the spare columns
    // with the same number of pads.
    std::vector<int32_t> a = slots, b = reordered;
    if (refine) a.insert(a.end(), spare.begin(), spare.end());
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    const bool ok =
        refine ? b.size() == slots.size() &&
                     std::adjacent_find(b.begin(), b.end(), [](int32_t x, int32_t y) {
                       return x == y && x != kPadColumn;
                     }) == b.end() &&
                     std::includes(a.begin(), a.end(), b.begin(), b.end()) &&
                     std::count(b.begin(), b.end(), kPadColumn) ==
                         std::count(slots.begin(), slots.end(), kPadColumn)
               : a == b;
    Require(ok, Status::kInternalError,
            "the input-axis search returned an invalid column list for tile " + std::to_string(t));
    st->columns_permuted = reordered != slots;
    slots = std::move(reordered);
  }
  CompressedMatrix& out = *ctx.out;
  const int64_t padded = l.padded_slots();
  for (int64_t s = 0; s < padded; ++s) {
    out.col_idx[static_cast<size_t>(l.col_index(t, s))] =
        s < l.kept_cols ? slots[static_cast<size_t>(s)] : kPadColumn;
  }
  // Level 2: 2:4 along the slots, row by row. Pads score -1 so they never
  // beat a real column (scores are >= 0); ties -> lower slot.
  for (int64_t p = p_begin; p < p_begin + l.tile_rows; ++p) {
    const bool real_row = p < M;
    const int32_t o = real_row ? rows[static_cast<size_t>(p - p_begin)] : -1;
    for (int64_t q = 0; q < padded / kGroupSize; ++q) {
      int32_t col[kGroupSize];
      float sc[kGroupSize];
      for (int i = 0; i < kGroupSize; ++i) {
        const int64_t s = q * kGroupSize + i;
        col[i] = s < l.kept_cols ? slots[static_cast<size_t>(s)] : kPadColumn;
        sc[i] = (real_row && col[i] != kPadColumn) ? ctx.score[static_cast<int64_t>(o) * K + col[i]]
                                                   : -1.0f;
      }
      int i0 = 0, i1 = 1;  // the best and second best
      if (sc[1] > sc[0]) std::swap(i0, i1);
      for (int i = 2; i < kGroupSize; ++i) {
        if (sc[i] > sc[i0]) {
          i1 = i0;
          i0 = i;
        } else if (sc[i] > sc[i1]) {
          i1 = i;
        }
      }
      if (i0 > i1) std::swap(i0, i1);
      int shift = 0;
      const int64_t w = l.meta_word_index(p, q, &shift);
      out.meta[static_cast<size_t>(w)] |= static_cast<uint32_t>(i0 | (i1 << 2)) << shift;
      if (!real_row) continue;
      const int kept[2] = {i0, i1};
      for (int j = 0; j < kGroupKept; ++j) {
        if (col[kept[j]] == kPadColumn) continue;  // stays zero
        ++st->kept_weights;
        st->kept_score += sc[kept[j]];
        const float v = ctx.w->at(o, col[kept[j]]);
        out.values[static_cast<size_t>(l.value_index(p, 2 * q + j))] = FloatTo16(v, l.dtype);
      }
    }
  }
}

}  // namespace

CompressedMatrix PruneAndCompress(const DenseView& weights, const SaliencyView& saliency,
                                  const PruneOptions& options) {
  Require(options.value_dtype == DType::kFloat16 || options.value_dtype == DType::kBFloat16,
          Status::kInvalidDType,
          std::string("value_dtype must be float16 or bfloat16, got ") +
              DTypeName(options.value_dtype));
  const std::vector<float> score =
      ValidateAndScore(weights, saliency, options.value_dtype, options.permute.num_threads);
  int64_t kept = options.kept_cols;
  if (kept == 0) kept = KeptColsForSparsity(weights.cols, options.vector_sparsity);
  const Layout layout =
      Layout::Make(weights.rows, weights.cols, options.tile_rows, kept, options.value_dtype);

  CompressedMatrix out;
  out.layout = layout;
  out.values.assign(static_cast<size_t>(layout.num_values()), 0);
  out.meta.assign(static_cast<size_t>(layout.num_meta_words()), 0);
  out.col_idx.assign(static_cast<size_t>(layout.num_col_indices()), kPadColumn);

  std::vector<int32_t> perm;
  if (options.permute.output_axis) {
    SaliencyView sv{score.data(), layout.rows, layout.cols, layout.cols};
    PermuteOptions out_opt = options.permute;
    if (options.permute.input_axis && options.permute.progress) {
      // Both searches run: the output axis reports the first half of [0, 1].
      const ProgressFn& user = options.permute.progress;
      out_opt.progress = [&user](double f) { return user(0.5 * f); };
    }
    perm = SearchOutputPermutation(sv, layout.tile_rows, layout.kept_cols, out_opt);
    CheckPermutation(perm, layout.rows, "SearchOutputPermutation's result");
    bool identity = true;
    for (size_t p = 0; p < perm.size() && identity; ++p)
      identity = perm[p] == static_cast<int32_t>(p);
    if (identity) perm.clear();
  }

  std::vector<TileStats> tile_stats(static_cast<size_t>(layout.num_tiles()));
  // Progress and cancellation for the input-axis search, reported per tile.
  std::mutex progress_mu;
  int64_t done = 0;  // guarded by progress_mu
  std::atomic<bool> cancelled{false};
  const Context ctx{&weights, score.data(), &layout, &perm, &options, &out, &cancelled};
  ParallelFor(layout.num_tiles(), options.permute.num_threads, [&](int64_t begin, int64_t end) {
    for (int64_t t = begin; t < end; ++t) {
      if (cancelled.load()) return;
      PruneTile(ctx, t, &tile_stats[static_cast<size_t>(t)]);
      if (options.permute.input_axis && options.permute.progress) {
        // Count and report under one lock so the fractions arrive in order.
        std::lock_guard<std::mutex> lock(progress_mu);
        double f = static_cast<double>(++done) / static_cast<double>(layout.num_tiles());
        if (options.permute.output_axis) f = 0.5 + 0.5 * f;
        if (!options.permute.progress(f)) cancelled.store(true);
      }
    }
  });
  Require(!cancelled.load(), Status::kCancelled, "pruning cancelled by the progress callback");

  double kept_score = 0, total_score = 0;
  for (const TileStats& st : tile_stats) {
    kept_score += st.kept_score;
    total_score += st.total_score;
    out.stats.kept_weights += st.kept_weights;
    out.column_permuted = out.column_permuted || st.columns_permuted;
  }
  out.stats.retained_saliency = total_score > 0 ? std::min(1.0, kept_score / total_score) : 1.0;
  out.row_perm = std::move(perm);
  return out;
}

}  // namespace hinm
