#include "cpp/hinm/permute_output.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "cpp/hinm/balanced_kmeans.h"
#include "cpp/hinm/linear_assignment.h"
#include "cpp/hinm/layout.h"
#include "cpp/hinm/permute_common.h"
#include "cpp/hinm/permute_input.h"
#include "cpp/hinm/thread_pool.h"

namespace hinm {
namespace {

// The published schedule (apply_two_axis_perm) and its failure budgets.
const std::vector<int32_t> kDefaultSchedule = {8, 1, 4, 1, 2, 1, 1};
constexpr int kPublishedFailures = 1;
constexpr int kDefaultFailures = 2;  // after the transport steps moves rarely gain
constexpr int kKMeansIters = 20;
// Balanced k-means solves an n x n assignment: bound n = tiles * r.
constexpr int64_t kMaxSampledRows = 1024;
constexpr int kMaxMovesPerRound = 16;
constexpr int kMaxMovesPerRoundLarge = 4;  // past kMaxJointElements weights
// The published rounds end only on failures; this bound is never reached in
// practice and only guards against an endless run.
constexpr int kMaxPublishedMovesPerRound = 100000;
constexpr int kMaxOuterRounds = 4;
// Past kMaxJointElements weights one outer round only: on the 4096 x 4096
// budget problem each took ~9 s (2 loaded cores) for a 0.04% lower cost.
constexpr int kMaxOuterRoundsLarge = 1;
constexpr int kMaxTransportSteps = 32;
constexpr int kMaxJointSteps = 16;
// The joint phase re-derives every tile's 2:4 structure per step; past this
// many weights (a 2048 x 2048 layer) its time outgrows its gain.
constexpr int64_t kMaxJointElements = int64_t{1} << 22;

// Saliency removed by keeping the `keep` largest of the K column sums: the
// sum of the K - keep smallest. Reorders `scratch`.
// The same on `sums` itself, which it reorders (no copy: the group moves'
// cost matrices call this T^2 times per move).
double PrunedCostInPlace(double* sums, int64_t cols, int64_t keep) {
  if (keep >= cols) return 0.0;
  const int64_t pruned = cols - keep;
  std::nth_element(sums, sums + pruned, sums + cols);
  double sum = 0.0;
  for (int64_t i = 0; i < pruned; ++i) sum += sums[i];
  return sum;
}

double PrunedCost(const double* colsum, int64_t cols, int64_t keep,
                  std::vector<double>& scratch) {
  if (keep >= cols) return 0.0;
  scratch.assign(colsum, colsum + cols);
  return PrunedCostInPlace(scratch.data(), cols, keep);
}

void AddRow(const SaliencyView& s, int32_t row, double sign, double* acc) {
  const float* p = s.data + static_cast<int64_t>(row) * s.ld;
  for (int64_t c = 0; c < s.cols; ++c) acc[c] += sign * static_cast<double>(p[c]);
}

struct Problem {
  const SaliencyView& s;
  int32_t tile_rows;
  int64_t keep;
  int threads;
  const PermuteOptions& opt;
};

// Rows grouped into tiles, with each tile's column sums and pruned cost.
class TileSet {
 public:
  TileSet(const Problem& p, const std::vector<int32_t>& perm) : p_(&p) {
    const int64_t m = p.s.rows;
    const int64_t tiles = (m + p.tile_rows - 1) / p.tile_rows;
    members_.resize(static_cast<size_t>(tiles));
    for (int64_t pos = 0; pos < m; ++pos) {
      members_[pos / p.tile_rows].push_back(perm[pos]);
    }
    colsum_.assign(static_cast<size_t>(tiles * p.s.cols), 0.0);
    cost_.assign(static_cast<size_t>(tiles), 0.0);
    std::vector<int32_t> all(static_cast<size_t>(tiles));
    std::iota(all.begin(), all.end(), 0);
    Recompute(all);
  }

  int64_t tiles() const { return static_cast<int64_t>(members_.size()); }
  const std::vector<int32_t>& members(int64_t t) const { return members_[t]; }
  std::vector<int32_t>& mutable_members(int64_t t) { return members_[t]; }
  const double* colsum(int64_t t) const { return colsum_.data() + t * p_->s.cols; }
  double cost(int64_t t) const { return cost_[t]; }
  double Total() const { return std::accumulate(cost_.begin(), cost_.end(), 0.0); }

  // Column sums and cost from the members, from scratch (no drift).
  void Recompute(const std::vector<int32_t>& which) {
    ParallelFor(static_cast<int64_t>(which.size()), p_->threads, [&](int64_t b, int64_t e) {
      std::vector<double> scratch;
      for (int64_t i = b; i < e; ++i) {
        const int32_t t = which[i];
        double* acc = colsum_.data() + static_cast<int64_t>(t) * p_->s.cols;
        std::fill(acc, acc + p_->s.cols, 0.0);
        for (int32_t r : members_[t]) AddRow(p_->s, r, 1.0, acc);
        cost_[t] = PrunedCost(acc, p_->s.cols, p_->keep, scratch);
      }
    });
  }

  std::vector<int32_t> Perm() const {
    std::vector<int32_t> perm;
    perm.reserve(static_cast<size_t>(p_->s.rows));
    for (const auto& m : members_) perm.insert(perm.end(), m.begin(), m.end());
    return perm;
  }

 private:
  const Problem* p_;
  std::vector<std::vector<int32_t>> members_;
  std::vector<double> colsum_;
  std::vector<double> cost_;
};

// One published move with r sampled rows per tile. Returns true if the
// reassignment lowered the total cost (and was applied).
// `sample_rng` draws the sampled positions, `rng` everything else.
bool GroupMove(const Problem& p, TileSet& ts, int32_t r, std::mt19937_64& sample_rng,
               std::mt19937_64& rng) {
  const int64_t cols = p.s.cols;
  std::vector<int32_t> part;  // participating tiles: those with >= r rows
  for (int64_t t = 0; t < ts.tiles(); ++t) {
    if (static_cast<int64_t>(ts.members(t).size()) >= r) part.push_back(static_cast<int32_t>(t));
  }
  const int64_t np = static_cast<int64_t>(part.size());
  if (np < 2) return false;
  // Sample r member positions per tile (partial Fisher-Yates).
  std::vector<std::vector<int32_t>> sampled(np);  // positions in members
  for (int64_t i = 0; i < np; ++i) {
    const int64_t size = static_cast<int64_t>(ts.members(part[i]).size());
    std::vector<int32_t> idx(static_cast<size_t>(size));
    std::iota(idx.begin(), idx.end(), 0);
    for (int32_t j = 0; j < r; ++j) {
      const int64_t k = j + static_cast<int64_t>(sample_rng() % static_cast<uint64_t>(size - j));
      std::swap(idx[j], idx[k]);
    }
    sampled[i].assign(idx.begin(), idx.begin() + r);
    std::sort(sampled[i].begin(), sampled[i].end());
  }
  // Group the sampled rows: balanced k-means on their saliency rows when r > 1.
  std::vector<int32_t> rows;  // sampled original rows, tile by tile
  for (int64_t i = 0; i < np; ++i) {
    for (int32_t pos : sampled[i]) rows.push_back(ts.members(part[i])[pos]);
  }
  std::vector<std::vector<int32_t>> groups(np);
  if (r > 1) {
    std::vector<double> points(rows.size() * static_cast<size_t>(cols));
    for (size_t i = 0; i < rows.size(); ++i) {
      const float* src = p.s.data + static_cast<int64_t>(rows[i]) * p.s.ld;
      std::copy(src, src + cols, points.begin() + static_cast<int64_t>(i) * cols);
    }
    const std::vector<int32_t> cluster = BalancedKMeans(
        points.data(), static_cast<int64_t>(rows.size()), cols,
        static_cast<int32_t>(np), kKMeansIters, rng());
    for (size_t i = 0; i < rows.size(); ++i) groups[cluster[i]].push_back(rows[i]);
  } else {
    for (int64_t i = 0; i < np; ++i) groups[i].push_back(rows[i]);
  }
  // base_i: tile i without its sampled rows; gsum_j: group j's column sums.
  std::vector<double> base(static_cast<size_t>(np * cols)), gsum(static_cast<size_t>(np * cols), 0.0);
  for (int64_t i = 0; i < np; ++i) {
    std::copy(ts.colsum(part[i]), ts.colsum(part[i]) + cols, base.begin() + i * cols);
    for (int32_t pos : sampled[i]) AddRow(p.s, ts.members(part[i])[pos], -1.0, &base[i * cols]);
    for (int32_t row : groups[i]) AddRow(p.s, row, 1.0, &gsum[i * cols]);
  }
  std::vector<double> cost(static_cast<size_t>(np * np));
  ParallelFor(np, p.threads, [&](int64_t b, int64_t e) {
    std::vector<double> sum(static_cast<size_t>(cols));
    for (int64_t i = b; i < e; ++i) {
      for (int64_t j = 0; j < np; ++j) {
        for (int64_t c = 0; c < cols; ++c) sum[c] = base[i * cols + c] + gsum[j * cols + c];
        cost[i * np + j] = PrunedCostInPlace(sum.data(), cols, p.keep);
      }
    }
  });
  const std::vector<int32_t> assign = SolveLinearAssignment(cost, np, np);
  double before = 0.0, after = 0.0;
  for (int64_t i = 0; i < np; ++i) {
    before += ts.cost(part[i]);
    after += cost[i * np + assign[i]];
  }
  if (!(after < before - kRelativeGain * std::max(before, 1e-300))) return false;
  for (int64_t i = 0; i < np; ++i) {
    std::vector<int32_t>& m = ts.mutable_members(part[i]);
    std::vector<int32_t> kept;
    size_t next = 0;
    for (size_t pos = 0; pos < m.size(); ++pos) {
      if (next < sampled[i].size() && sampled[i][next] == static_cast<int32_t>(pos)) {
        ++next;
      } else {
        kept.push_back(m[pos]);
      }
    }
    kept.insert(kept.end(), groups[assign[i]].begin(), groups[assign[i]].end());
    m.swap(kept);
  }
  ts.Recompute(part);
  return true;
}

// Rows per tile sampled in a round, bounded so that k-means stays cheap.
int32_t SampleSize(const TileSet& ts, int32_t r) {
  const int64_t cap = std::max<int64_t>(1, kMaxSampledRows / std::max<int64_t>(1, ts.tiles()));
  return static_cast<int32_t>(std::min<int64_t>(r, cap));
}

// Exact transportation step: reassigns rows to tiles, every tile keeping its
// size, to minimise sum_x w[x][tile(x)] (w is rows x tiles). Starts from the
// current members and cancels negative cycles (Bellman-Ford on the tile
// graph; edge a->b = the cheapest row of a to move to b) until none is
// left, which is the optimum. Returns the new members.
std::vector<std::vector<int32_t>> SolveTransport(const TileSet& ts, const std::vector<double>& w) {
  const int64_t tiles = ts.tiles();
  std::vector<std::vector<int32_t>> members(static_cast<size_t>(tiles));
  for (int64_t t = 0; t < tiles; ++t) members[t] = ts.members(t);
  double scale = 0.0;
  for (double v : w) scale = std::max(scale, std::fabs(v));
  const double eps = 1e-9 * std::max(scale, 1e-30);
  std::vector<double> edge(static_cast<size_t>(tiles * tiles));
  std::vector<int32_t> which(static_cast<size_t>(tiles * tiles));
  auto refresh = [&](int64_t a) {
    for (int64_t b = 0; b < tiles; ++b) {
      double best = std::numeric_limits<double>::infinity();
      int32_t arg = -1;
      if (b != a) {
        for (size_t i = 0; i < members[a].size(); ++i) {
          const int32_t x = members[a][i];
          const double d = w[x * tiles + b] - w[x * tiles + a];
          if (d < best) {
            best = d;
            arg = static_cast<int32_t>(i);
          }
        }
      }
      edge[a * tiles + b] = best;
      which[a * tiles + b] = arg;
    }
  };
  for (int64_t a = 0; a < tiles; ++a) refresh(a);
  const int64_t max_cycles = 4 * static_cast<int64_t>(w.size() / std::max<int64_t>(tiles, 1));
  std::vector<double> dist(static_cast<size_t>(tiles));
  std::vector<int32_t> pred(static_cast<size_t>(tiles));
  for (int64_t iter = 0; iter < max_cycles; ++iter) {
    std::fill(dist.begin(), dist.end(), 0.0);
    std::fill(pred.begin(), pred.end(), -1);
    int32_t last = -1;
    for (int64_t round = 0; round < tiles; ++round) {
      last = -1;
      for (int64_t a = 0; a < tiles; ++a) {
        for (int64_t b = 0; b < tiles; ++b) {
          const double d = dist[a] + edge[a * tiles + b];
          if (d < dist[b] - eps) {
            dist[b] = d;
            pred[b] = static_cast<int32_t>(a);
            last = static_cast<int32_t>(b);
          }
        }
      }
      if (last < 0) break;
    }
    if (last < 0) break;  // no negative cycle: optimal
    int32_t v = last;
    for (int64_t i = 0; i < tiles; ++i) v = pred[v];  // step into the cycle
    std::vector<int32_t> cycle;
    int32_t u = v;
    do {
      cycle.push_back(u);
      u = pred[u];
    } while (u != v && static_cast<int64_t>(cycle.size()) <= tiles);
    if (u != v) break;
    std::reverse(cycle.begin(), cycle.end());  // edges cycle[i] -> cycle[i+1]
    double gain = 0.0;
    const size_t len = cycle.size();
    for (size_t i = 0; i < len; ++i) gain += edge[cycle[i] * tiles + cycle[(i + 1) % len]];
    if (!(gain < -eps)) break;
    std::vector<int32_t> rows(len);
    for (size_t i = 0; i < len; ++i) {
      rows[i] = members[cycle[i]][which[cycle[i] * tiles + cycle[(i + 1) % len]]];
    }
    for (size_t i = 0; i < len; ++i) {
      auto& from = members[cycle[i]];
      from.erase(std::find(from.begin(), from.end(), rows[i]));
    }
    for (size_t i = 0; i < len; ++i) members[cycle[(i + 1) % len]].push_back(rows[i]);
    for (int32_t a : cycle) refresh(a);
  }
  return members;
}

// Replaces the members if `better` says the new ones are better; else keeps
// the old ones. Returns whether it replaced them.
template <typename Better>
bool TryMembers(TileSet& ts, std::vector<std::vector<int32_t>> members, const Better& better) {
  const int64_t tiles = ts.tiles();
  bool same = true;
  for (int64_t t = 0; t < tiles && same; ++t) same = members[t] == ts.members(t);
  if (same) return false;
  std::vector<int32_t> all(static_cast<size_t>(tiles));
  std::iota(all.begin(), all.end(), 0);
  for (int64_t t = 0; t < tiles; ++t) members[t].swap(ts.mutable_members(t));
  ts.Recompute(all);
  if (better()) return true;
  for (int64_t t = 0; t < tiles; ++t) members[t].swap(ts.mutable_members(t));
  ts.Recompute(all);
  return false;
}

// (a) of the default search. For the current kept-column sets, the cost of
// row x in tile t is the saliency of x on t's pruned columns: an exact
// transportation step, after which the kept sets are re-chosen from the new
// column sums, which can only lower the true cost further. Returns true if
// the true cost dropped.
bool TransportStep(const Problem& p, TileSet& ts) {
  const int64_t tiles = ts.tiles();
  const int64_t cols = p.s.cols;
  if (tiles < 2) return false;
  // pruned[t][c] = 1 if column c is pruned in tile t under the current sums.
  std::vector<float> pruned(static_cast<size_t>(tiles * cols), 0.0f);
  for (int64_t t = 0; t < tiles; ++t) {
    std::vector<int32_t> order(static_cast<size_t>(cols));
    std::iota(order.begin(), order.end(), 0);
    const double* cs = ts.colsum(t);
    std::nth_element(order.begin(), order.begin() + (cols - p.keep), order.end(),
                     [&](int32_t a, int32_t b) { return cs[a] < cs[b] || (cs[a] == cs[b] && a > b); });
    for (int64_t i = 0; i < cols - p.keep; ++i) pruned[t * cols + order[i]] = 1.0f;
  }
  const int64_t m = p.s.rows;
  std::vector<double> w(static_cast<size_t>(m * tiles));  // [row][tile]
  ParallelFor(m, p.threads, [&](int64_t b, int64_t e) {
    for (int64_t x = b; x < e; ++x) {
      const float* row = p.s.data + x * p.s.ld;
      for (int64_t t = 0; t < tiles; ++t) {
        const float* mask = pruned.data() + t * cols;
        float acc = 0.0f;
        for (int64_t c = 0; c < cols; ++c) acc += row[c] * mask[c];
        w[x * tiles + t] = acc;
      }
    }
  });
  const double before = ts.Total();
  return TryMembers(ts, SolveTransport(ts, w), [&] {
    return ts.Total() < before - kRelativeGain * std::max(before, 1e-300);
  });
}

// The kept slots prune.cc gives a tile: the K_keep largest column sums (ties
// to the lower column), in ascending column order, padded to a multiple of 4.
std::vector<int32_t> KeptSlots(const double* colsum, int64_t cols, int64_t keep) {
  std::vector<int32_t> order(static_cast<size_t>(cols));
  std::iota(order.begin(), order.end(), 0);
  const int64_t real = std::min(keep, cols);
  std::partial_sort(order.begin(), order.begin() + real, order.end(), [&](int32_t a, int32_t b) {
    return colsum[a] != colsum[b] ? colsum[a] > colsum[b] : a < b;
  });
  std::vector<int32_t> slots(order.begin(), order.begin() + real);
  std::sort(slots.begin(), slots.end());
  slots.resize(static_cast<size_t>((keep + 3) / 4 * 4), kPadColumn);
  return slots;
}

// (c) of the default search: the objective that matters, the saliency kept
// after both levels. Each tile's 2:4 structure is its kept slots, grouped by
// a quick input-axis search when the input axis is on (as prune.cc groups
// them) or in ascending order when it is off.
class JointObjective {
 public:
  explicit JointObjective(const Problem& p) : p_(p) {}

  // Kept saliency of the current members; fills orders_.
  double Evaluate(const TileSet& ts) {
    const int64_t tiles = ts.tiles();
    orders_.assign(static_cast<size_t>(tiles), {});
    std::vector<double> kept(static_cast<size_t>(tiles), 0.0);
    ParallelFor(tiles, p_.threads, [&](int64_t b, int64_t e) {
      for (int64_t t = b; t < e; ++t) {
        std::vector<int32_t> slots = KeptSlots(ts.colsum(t), p_.s.cols, p_.keep);
        if (p_.opt.input_axis) {
          slots = QuickTileColumnOrder(p_.s, ts.members(t), slots,
                                       MixSeed(p_.opt.seed, 0x2000u + t), kQuickSweeps);
        }
        kept[t] = NmKeptSaliency(p_.s, ts.members(t), slots);
        orders_[t] = std::move(slots);
      }
    });
    return std::accumulate(kept.begin(), kept.end(), 0.0);
  }

  // Costs for SolveTransport: minus the 2:4-kept saliency of each row under
  // each tile's current structure.
  std::vector<double> RowCosts() const {
    const int64_t tiles = static_cast<int64_t>(orders_.size());
    const int64_t m = p_.s.rows;
    std::vector<double> w(static_cast<size_t>(m * tiles));
    ParallelFor(m, p_.threads, [&](int64_t b, int64_t e) {
      for (int64_t x = b; x < e; ++x) {
        const std::vector<int32_t> row = {static_cast<int32_t>(x)};
        for (int64_t t = 0; t < tiles; ++t) w[x * tiles + t] = -NmKeptSaliency(p_.s, row, orders_[t]);
      }
    });
    return w;
  }

 private:
  static constexpr int kQuickSweeps = 8;
  const Problem& p_;
  std::vector<std::vector<int32_t>> orders_;
};

bool Trivial(const SaliencyView& s, int32_t tile_rows, int64_t kept_cols) {
  return s.rows <= tile_rows || kept_cols >= s.cols;
}

std::vector<int32_t> Identity(int64_t n) {
  std::vector<int32_t> perm(static_cast<size_t>(n));
  std::iota(perm.begin(), perm.end(), 0);
  return perm;
}

// Group moves over `schedule`, from and into `ts`, with `failures` rejected
// moves allowed per round: counted cumulatively when `published` (as the
// published code does), else reset by each accepted move. Progress in
// [lo, hi].
void GroupRounds(const Problem& p, TileSet& ts, const std::vector<int32_t>& schedule,
                 bool published, int failures, std::mt19937_64& rng, double lo, double hi) {
  for (size_t k = 0; k < schedule.size(); ++k) {
    const int32_t r = SampleSize(ts, schedule[k]);
    int failed = 0;
    const bool large = p.s.rows * p.s.cols > kMaxJointElements;
    const int max_moves = published ? kMaxPublishedMovesPerRound
                          : large   ? kMaxMovesPerRoundLarge
                                    : kMaxMovesPerRound;
    for (int move = 0; failed < failures && move < max_moves; ++move) {
      const double within = std::min(1.0, move / double(kMaxMovesPerRound));
      ReportProgress(p.opt, lo + (hi - lo) * (static_cast<double>(k) + within) /
                                    static_cast<double>(schedule.size()));
      // The published code re-creates its multi-row sampler with the same
      // seed (77) on every move, so such moves resample the same positions;
      // single-row moves draw fresh positions.
      std::mt19937_64 fixed(MixSeed(p.opt.seed, 77));
      std::mt19937_64& sample_rng = (published && r > 1) ? fixed : rng;
      if (GroupMove(p, ts, r, sample_rng, rng)) {
        if (!published) failed = 0;  // published counts failures cumulatively
      } else {
        ++failed;
      }
    }
  }
}

}  // namespace

double VectorPrunedSaliency(const SaliencyView& s, const std::vector<int32_t>& perm,
                            int32_t tile_rows, int64_t kept_cols) {
  PermuteOptions opt;
  opt.num_threads = 1;
  const Problem p{s, tile_rows, kept_cols, 1, opt};
  return TileSet(p, perm).Total();
}

std::vector<int32_t> OutputSearchPublished(const SaliencyView& s, int32_t tile_rows,
                                           int64_t kept_cols, const PermuteOptions& opt) {
  if (Trivial(s, tile_rows, kept_cols)) return Identity(s.rows);
  const Problem p{s, tile_rows, kept_cols, ResolveNumThreads(opt.num_threads), opt};
  TileSet ts(p, Identity(s.rows));
  std::mt19937_64 rng(MixSeed(opt.seed, 0x0u));
  const auto& schedule = opt.schedule.empty() ? kDefaultSchedule : opt.schedule;
  const int failures = opt.max_failures > 0 ? opt.max_failures : kPublishedFailures;
  GroupRounds(p, ts, schedule, /*published=*/true, failures, rng, 0.0, 1.0);
  ReportProgress(opt, 1.0);
  return ts.Perm();
}

std::vector<int32_t> OutputSearchDefault(const SaliencyView& s, int32_t tile_rows,
                                         int64_t kept_cols, const PermuteOptions& opt) {
  if (Trivial(s, tile_rows, kept_cols)) return Identity(s.rows);
  // The published result (its progress mapped to [0, 0.2]) is the start
  // point, so the default can never end worse than it.
  PermuteOptions first = opt;
  if (opt.progress) {
    first.progress = [&opt](double f) { return opt.progress(0.2 * f); };
  }
  first.max_failures = 0;  // the published budget
  const std::vector<int32_t> start = OutputSearchPublished(s, tile_rows, kept_cols, first);
  const Problem p{s, tile_rows, kept_cols, ResolveNumThreads(opt.num_threads), opt};
  TileSet ts(p, start);
  std::mt19937_64 rng(MixSeed(opt.seed, 0x1u));
  const auto& schedule = opt.schedule.empty() ? kDefaultSchedule : opt.schedule;
  const int failures = opt.max_failures > 0 ? opt.max_failures : kDefaultFailures;
  const int max_outer =
      s.rows * s.cols > kMaxJointElements ? kMaxOuterRoundsLarge : kMaxOuterRounds;
  for (int outer = 0; outer < max_outer; ++outer) {
    const double lo = 0.2 + 0.7 * outer / max_outer;
    const double hi = 0.2 + 0.7 * (outer + 1) / max_outer;
    const double before = ts.Total();
    for (int step = 0; step < kMaxTransportSteps; ++step) {
      ReportProgress(opt, lo);
      if (!TransportStep(p, ts)) break;
    }
    GroupRounds(p, ts, schedule, /*published=*/false, failures, rng, lo, hi);
    if (!(ts.Total() < before - kRelativeGain * std::max(before, 1e-300))) break;
  }
  // (c) Joint phase on the saliency kept after both levels: start from the
  // better of the published result and the vector-level optimum, then
  // alternate exact row reassignment (for the tiles' current 2:4
  // structures) with re-deriving the structures; keep only gains.
  if (s.rows * s.cols > kMaxJointElements) {
    ReportProgress(opt, 1.0);
    return ts.Perm();
  }
  JointObjective joint(p);
  TileSet published(p, start);
  double value = joint.Evaluate(ts);
  const double published_value = joint.Evaluate(published);
  if (published_value > value) {
    ts = published;
    value = published_value;
  }
  for (int step = 0; step < kMaxJointSteps; ++step) {
    ReportProgress(opt, 0.9 + 0.1 * step / kMaxJointSteps);
    joint.Evaluate(ts);
    const std::vector<double> w = joint.RowCosts();
    double next = value;
    const bool gained = TryMembers(ts, SolveTransport(ts, w), [&] {
      next = joint.Evaluate(ts);
      return next > value + kRelativeGain * std::max(value, 1e-300);
    });
    if (!gained) break;
    value = next;
  }
  ReportProgress(opt, 1.0);
  return ts.Perm();
}

}  // namespace hinm
