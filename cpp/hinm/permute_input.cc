#include "cpp/hinm/permute_input.h"

#include <algorithm>
#include <numeric>
#include <random>

#include "cpp/hinm/layout.h"
#include "cpp/hinm/linear_assignment.h"
#include "cpp/hinm/permute_common.h"

namespace hinm {
namespace {

constexpr int kPublishedFailures = 3;  // InPerm.fit(cnts=2) stops at cnt > 2
constexpr int kDefaultFailures = 4;
constexpr int kDefaultFailuresWide = 2;  // tiles of more than kMaxPublishedStartGroups groups
// On wide tiles (see kMaxPublishedStartGroups) a default round that gains
// less than this share of the tile's kept saliency counts as a failure: the
// tail of tiny gains costs more time than it is worth (on 128 x 2048 tiles
// it was most of the search).
constexpr double kMinRoundGain = 1e-4;
constexpr int kMaxIterations = 2000;   // a bound; searches stop far earlier
constexpr int kPairSweepsPerRound = 4;
constexpr int kPairSweepsPerRoundWide = 2;  // tiles of more than kMaxPublishedStartGroups groups
constexpr int kKickGroups = 3;      // groups shuffled by one kick
constexpr int kKickFailures = 8;    // kicks in a row without gain end the search
constexpr int kMaxKicks = 64;
constexpr int64_t kPartners = 32;
constexpr int64_t kBlockGroups = 64;  // groups per assignment problem (default)
// Wider tiles skip the published start (its full G x G assignment per move
// is O(G^3): G = 512 for K_keep = 2048 costs seconds per move) and the
// iterated local search.
constexpr int64_t kMaxPublishedStartGroups = 256;
// Kept-column refinement (RefineTileColumns): spare columns considered per
// tile, sweeps, and the share of the kept saliency a sweep must gain to go on.
// Tiles wider than kMaxPublishedStartGroups consider fewer spare columns,
// sweep at most twice and do not re-group after a sweep: a sweep costs K_keep x spares x V, and on the
// 4096 x 4096 budget problem (K_keep = 2048) the bounded sweeps already
// take most of what the exchange gains.
constexpr size_t kMaxSpare = 1024;
constexpr size_t kMaxSpareWide = 256;
constexpr int kMaxRefineRounds = 16;
constexpr int kMaxRefineRoundsWide = 2;
constexpr double kMinRefineGain = 1e-5;

// Sum of the two largest of four values.
inline float Top2(float a, float b, float c, float d) {
  const float m1 = std::max(a, b), n1 = std::min(a, b);
  const float m2 = std::max(c, d), n2 = std::min(c, d);
  return std::max(m1, m2) + std::max(std::min(m1, m2), std::max(n1, n2));
}

// The tile's saliency, column-major over the slots: col(j) is the R values
// of slot column j (zeros for padding), contiguous so row loops vectorise.
class TileColumns {
 public:
  TileColumns(const SaliencyView& s, const std::vector<int32_t>& rows,
              const std::vector<int32_t>& slots)
      : r_(static_cast<int64_t>(rows.size())), data_(slots.size() * rows.size(), 0.0f) {
    for (size_t j = 0; j < slots.size(); ++j) {
      if (slots[j] == kPadColumn) continue;
      for (size_t i = 0; i < rows.size(); ++i) data_[j * r_ + i] = s.at(rows[i], slots[j]);
    }
  }
  int64_t rows() const { return r_; }
  const float* col(int32_t j) const { return data_.data() + static_cast<int64_t>(j) * r_; }

  // Kept saliency of the group of local columns g[0..3].
  double Group(const int32_t* g) const {
    const float *a = col(g[0]), *b = col(g[1]), *c = col(g[2]), *d = col(g[3]);
    double sum = 0.0;
    for (int64_t i = 0; i < r_; ++i) sum += Top2(a[i], b[i], c[i], d[i]);
    return sum;
  }
  double Total(const std::vector<int32_t>& order) const {
    double sum = 0.0;
    for (size_t g = 0; g + 3 < order.size(); g += 4) sum += Group(&order[g]);
    return sum;
  }

 private:
  int64_t r_;
  std::vector<float> data_;
};

bool Gains(double after, double before) {
  return after > before + kRelativeGain * std::max(before, 1e-300);
}

// The assignment step on the groups `gs`: from each group g = gs[i] pull the
// column at position ext[i], reassign the pulled columns to the groups by an
// exact linear assignment on the 2:4-kept saliency, and write the result into
// `next` (a copy of order).
void AssignPulled(const TileColumns& tc, const std::vector<int32_t>& order,
                  const std::vector<int32_t>& gs, const std::vector<int32_t>& ext,
                  std::vector<int32_t>& next) {
  const int64_t n = static_cast<int64_t>(gs.size());
  const int64_t r = tc.rows();
  std::vector<int32_t> pulled(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) pulled[i] = order[4 * gs[i] + ext[i]];
  // With a >= b the two largest of a group's three remaining columns, adding
  // x keeps a + max(b, x): so value(g, j) = A_g + sum_i max(b_gi, x_ji).
  std::vector<float> second(static_cast<size_t>(n * r));
  std::vector<double> first_sum(static_cast<size_t>(n), 0.0);
  for (int64_t g = 0; g < n; ++g) {
    const float* c[3];
    int k = 0;
    for (int i = 0; i < 4; ++i) {
      if (i != ext[g]) c[k++] = tc.col(order[4 * gs[g] + i]);
    }
    for (int64_t i = 0; i < r; ++i) {
      const float x = c[0][i], y = c[1][i], z = c[2][i];
      const float hi = std::max(x, std::max(y, z));
      const float lo = std::min(x, std::min(y, z));
      first_sum[g] += hi;
      second[g * r + i] = x + y + z - hi - lo;
    }
  }
  std::vector<double> cost(static_cast<size_t>(n * n));
  for (int64_t g = 0; g < n; ++g) {
    const float* b = &second[g * r];
    for (int64_t j = 0; j < n; ++j) {
      const float* x = tc.col(pulled[j]);
      float acc = 0.0f;
      for (int64_t i = 0; i < r; ++i) acc += std::max(b[i], x[i]);
      cost[g * n + j] = -(first_sum[g] + acc);
    }
  }
  const std::vector<int32_t> assign = SolveLinearAssignment(cost, n, n);
  for (int64_t g = 0; g < n; ++g) next[4 * gs[g] + ext[g]] = pulled[assign[g]];
}

// One published move over all groups. Returns true if it raised the kept
// saliency (and was applied).
bool AssignmentMove(const TileColumns& tc, std::vector<int32_t>& order, double& kept,
                    std::mt19937_64& rng) {
  const int64_t groups = static_cast<int64_t>(order.size() / 4);
  std::vector<int32_t> gs(static_cast<size_t>(groups)), ext(static_cast<size_t>(groups));
  for (int64_t g = 0; g < groups; ++g) {
    gs[g] = static_cast<int32_t>(g);
    ext[g] = static_cast<int32_t>(rng() % 4);
  }
  std::vector<int32_t> next = order;
  AssignPulled(tc, order, gs, ext, next);
  const double after = tc.Total(next);  // exact, not the float estimate
  if (!Gains(after, kept)) return false;
  order.swap(next);
  kept = after;
  return true;
}

// hinm's blocked variant: the groups are split at random into blocks of at
// most kBlockGroups, each block an independent assignment problem kept if it
// gains. An O(G^3) assignment becomes G/B problems of O(B^3); over many moves
// the random blocks still let any column reach any group. Returns the gain.
double BlockedAssignmentMove(const TileColumns& tc, std::vector<int32_t>& order,
                             std::mt19937_64& rng) {
  const int64_t groups = static_cast<int64_t>(order.size() / 4);
  std::vector<int32_t> perm(static_cast<size_t>(groups));
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = groups - 1; i > 0; --i) {
    std::swap(perm[i], perm[rng() % static_cast<uint64_t>(i + 1)]);
  }
  const int64_t blocks = (groups + kBlockGroups - 1) / kBlockGroups;
  double gain = 0.0;
  std::vector<int32_t> next = order;
  for (int64_t b = 0; b < blocks; ++b) {
    // Near-equal block sizes, so no block is tiny.
    const int64_t lo = groups * b / blocks, hi = groups * (b + 1) / blocks;
    if (hi - lo < 2) continue;
    std::vector<int32_t> gs(perm.begin() + lo, perm.begin() + hi), ext(gs.size());
    for (auto& e : ext) e = static_cast<int32_t>(rng() % 4);
    AssignPulled(tc, order, gs, ext, next);
    double before = 0.0, after = 0.0;
    for (int32_t g : gs) {
      before += tc.Group(&order[4 * g]);
      after += tc.Group(&next[4 * g]);
    }
    if (Gains(after, before)) {
      for (int32_t g : gs) std::copy(&next[4 * g], &next[4 * g] + 4, &order[4 * g]);
      gain += after - before;
    } else {
      for (int32_t g : gs) std::copy(&order[4 * g], &order[4 * g] + 4, &next[4 * g]);
    }
  }
  return gain;
}

// The 35 ways to split 8 columns into two groups of 4 (column 0 always in
// the first group): bit i of a mask = column i + 1 joins column 0.
std::vector<uint8_t> PairSplits() {
  std::vector<uint8_t> masks;
  for (int m = 0; m < 128; ++m) {
    if (__builtin_popcount(m) == 3) masks.push_back(static_cast<uint8_t>(m));
  }
  return masks;
}

// Exact pair move: the best of the 35 splits of groups g and h's 8 columns,
// applied if it gains. Returns the gain (0 if none).
double OptimizePair(const TileColumns& tc, std::vector<int32_t>& order, int64_t g, int64_t h) {
  static const std::vector<uint8_t> kSplits = PairSplits();
  const int64_t r = tc.rows();
  int32_t cols[8];
  for (int i = 0; i < 4; ++i) {
    cols[i] = order[4 * g + i];
    cols[4 + i] = order[4 * h + i];
  }
  const float* p[8];
  for (int i = 0; i < 8; ++i) p[i] = tc.col(cols[i]);
  // Every split is scored by the same fp64 loop (the current one is mask
  // 0b0000111), so rounding cannot fake a gain.
  double current = 0.0, best = -1.0;
  int32_t best_split[8];
  for (uint8_t mask : kSplits) {
    int32_t a[4] = {0, 0, 0, 0}, b[4] = {0, 0, 0, 0};
    int na = 1, nb = 0;
    for (int i = 1; i < 8; ++i) {
      if (mask & (1u << (i - 1))) {
        a[na++] = i;
      } else {
        b[nb++] = i;
      }
    }
    double sum = 0.0;
    for (int64_t i = 0; i < r; ++i) {
      sum += static_cast<double>(Top2(p[a[0]][i], p[a[1]][i], p[a[2]][i], p[a[3]][i])) +
             static_cast<double>(Top2(p[b[0]][i], p[b[1]][i], p[b[2]][i], p[b[3]][i]));
    }
    if (mask == 0x07) current = sum;
    if (sum > best) {
      best = sum;
      for (int i = 0; i < 4; ++i) {
        best_split[i] = cols[a[i]];
        best_split[4 + i] = cols[b[i]];
      }
    }
  }
  if (!Gains(best, current)) return 0.0;
  for (int i = 0; i < 4; ++i) {
    order[4 * g + i] = best_split[i];
    order[4 * h + i] = best_split[4 + i];
  }
  return best - current;
}

// One sweep of exact pair moves over a random pairing of the groups.
// Returns the gain.
double PairSweep(const TileColumns& tc, std::vector<int32_t>& order, std::mt19937_64& rng) {
  const int64_t groups = static_cast<int64_t>(order.size() / 4);
  std::vector<int32_t> perm(static_cast<size_t>(groups));
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = groups - 1; i > 0; --i) {
    std::swap(perm[i], perm[rng() % static_cast<uint64_t>(i + 1)]);
  }
  double gain = 0.0;
  for (int64_t k = 0; k + 1 < groups; k += 2) gain += OptimizePair(tc, order, perm[k], perm[k + 1]);
  return gain;
}

// Pair moves between each "dirty" group and every other group, until no
// pair gains; a group that changes becomes dirty. Ends in a local optimum of
// the pair neighbourhood around the dirty groups.
void FocusedDescent(const TileColumns& tc, std::vector<int32_t>& order,
                    std::vector<int32_t> dirty, std::mt19937_64& rng) {
  const int64_t groups = static_cast<int64_t>(order.size() / 4);
  // Each visit tries at most kPartners other groups (a random window), so a
  // kick costs the same on wide tiles as on narrow ones.
  const int64_t partners = std::min<int64_t>(groups - 1, kPartners);
  std::vector<char> queued(static_cast<size_t>(groups), 0);
  for (int32_t g : dirty) queued[g] = 1;
  for (size_t head = 0; head < dirty.size(); ++head) {
    const int32_t g = dirty[head];
    queued[g] = 0;
    bool changed = false;
    const int64_t start = static_cast<int64_t>(rng() % static_cast<uint64_t>(groups));
    for (int64_t step = 0, tried = 0; tried < partners && step < groups; ++step) {
      const int64_t h = (start + step) % groups;
      if (h == g) continue;
      ++tried;
      if (OptimizePair(tc, order, g, h) <= 0.0) continue;
      changed = true;
      if (!queued[h]) {
        queued[h] = 1;
        dirty.push_back(static_cast<int32_t>(h));
      }
    }
    if (changed && !queued[g]) {
      queued[g] = 1;
      dirty.push_back(g);
    }
  }
}

// Sum over i of max(b[i], x[i]) in float, with 8 independent partial sums
// so the loop vectorises without reassociation flags.
inline float SumMax(const float* b, const float* x, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int j = 0; j < 8; ++j) acc[j] += std::max(b[i + j], x[i + j]);
  }
  for (; i < n; ++i) acc[0] += std::max(b[i], x[i]);
  return ((acc[0] + acc[1]) + (acc[2] + acc[3])) + ((acc[4] + acc[5]) + (acc[6] + acc[7]));
}

// One sweep of kept/spare exchanges. `order` holds local columns of the
// kept slots, `pool` the local columns currently dropped. For each group (in
// random order) the best single exchange of one of its 4 columns for one
// pool column is found (value of the group with x in place of the column at
// position e: what its other three keep, A + sum_i max(b_i, x_i), the same
// identity as AssignPulled), checked exactly in fp64 and applied if the group
// keeps more. Changed groups are appended to `dirty`. Returns the gain.
double SwapSweep(const TileColumns& tc, std::vector<int32_t>& order, std::vector<int32_t>& pool,
                 std::mt19937_64& rng, std::vector<int32_t>& dirty) {
  const int64_t groups = static_cast<int64_t>(order.size() / 4);
  const int64_t r = tc.rows();
  if (pool.empty() || groups == 0) return 0.0;
  std::vector<int32_t> perm(static_cast<size_t>(groups));
  std::iota(perm.begin(), perm.end(), 0);
  for (int64_t i = groups - 1; i > 0; --i) {
    std::swap(perm[i], perm[rng() % static_cast<uint64_t>(i + 1)]);
  }
  std::vector<float> second(static_cast<size_t>(r));
  double gain = 0.0;
  for (int64_t gi = 0; gi < groups; ++gi) {
    const int64_t g = perm[gi];
    int32_t* cols = &order[4 * g];
    float best_delta = 0.0f;
    int best_e = -1;
    size_t best_y = 0;
    for (int e = 0; e < 4; ++e) {
      const float* c[3];
      int k = 0;
      for (int i = 0; i < 4; ++i) {
        if (i != e) c[k++] = tc.col(cols[i]);
      }
      for (int64_t i = 0; i < r; ++i) {
        const float x = c[0][i], y = c[1][i], z = c[2][i];
        const float hi = std::max(x, std::max(y, z));
        const float lo = std::min(x, std::min(y, z));
        second[i] = x + y + z - hi - lo;
      }
      const float current = SumMax(second.data(), tc.col(cols[e]), r);
      for (size_t j = 0; j < pool.size(); ++j) {
        const float delta = SumMax(second.data(), tc.col(pool[j]), r) - current;
        if (delta > best_delta) {
          best_delta = delta;
          best_e = e;
          best_y = j;
        }
      }
    }
    if (best_e < 0) continue;
    const double before = tc.Group(cols);
    std::swap(cols[best_e], pool[best_y]);
    const double after = tc.Group(cols);
    if (Gains(after, before)) {
      gain += after - before;
      dirty.push_back(static_cast<int32_t>(g));
    } else {
      std::swap(cols[best_e], pool[best_y]);  // float noise: undo
    }
  }
  return gain;
}

std::vector<int32_t> ToSlots(const std::vector<int32_t>& order, const std::vector<int32_t>& slots) {
  std::vector<int32_t> out(order.size());
  for (size_t i = 0; i < order.size(); ++i) out[i] = slots[order[i]];
  return out;
}

std::vector<int32_t> PublishedLocal(const TileColumns& tc, size_t n, const PermuteOptions& opt,
                                    uint64_t stream) {
  std::vector<int32_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  if (n < 8) return order;  // one group: nothing to exchange
  std::mt19937_64 rng(MixSeed(opt.seed, stream));
  double kept = tc.Total(order);
  const int failures = opt.max_failures > 0 ? opt.max_failures : kPublishedFailures;
  int failed = 0;
  for (int it = 0; failed < failures && it < kMaxIterations; ++it) {
    ReportProgress(opt, static_cast<double>(failed) / failures);
    if (!AssignmentMove(tc, order, kept, rng)) ++failed;
  }
  return order;
}

}  // namespace

std::vector<int32_t> QuickTileColumnOrder(const SaliencyView& s, const std::vector<int32_t>& rows,
                                          const std::vector<int32_t>& slots, uint64_t seed,
                                          int sweeps) {
  const TileColumns tc(s, rows, slots);
  std::vector<int32_t> order(slots.size());
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  for (int i = 0; i < sweeps && slots.size() >= 8; ++i) {
    if (PairSweep(tc, order, rng) <= 0.0) break;
  }
  return ToSlots(order, slots);
}

double NmKeptSaliency(const SaliencyView& s, const std::vector<int32_t>& rows,
                      const std::vector<int32_t>& order) {
  double sum = 0.0;
  for (int32_t r : rows) {
    for (size_t g = 0; g + 3 < order.size(); g += 4) {
      double v[4];
      for (int i = 0; i < 4; ++i) {
        v[i] = order[g + i] == kPadColumn ? 0.0 : static_cast<double>(s.at(r, order[g + i]));
      }
      std::sort(v, v + 4);
      sum += v[2] + v[3];
    }
  }
  return sum;
}

std::vector<int32_t> InputSearchPublished(const SaliencyView& s, const std::vector<int32_t>& rows,
                                          const std::vector<int32_t>& slots,
                                          const PermuteOptions& opt, uint64_t stream) {
  const TileColumns tc(s, rows, slots);
  return ToSlots(PublishedLocal(tc, slots.size(), opt, stream), slots);
}

std::vector<int32_t> InputSearchDefault(const SaliencyView& s, const std::vector<int32_t>& rows,
                                        const std::vector<int32_t>& slots,
                                        const PermuteOptions& opt, uint64_t stream) {
  const TileColumns tc(s, rows, slots);
  PermuteOptions first = opt;
  first.max_failures = 0;  // the published budget
  const int64_t groups = static_cast<int64_t>(slots.size() / 4);
  std::vector<int32_t> order(slots.size());
  std::iota(order.begin(), order.end(), 0);
  if (groups <= kMaxPublishedStartGroups) order = PublishedLocal(tc, slots.size(), first, stream);
  if (slots.size() < 8) return ToSlots(order, slots);
  std::mt19937_64 rng(MixSeed(opt.seed, stream ^ 0xD1B54A32D192ED03ull));
  double kept = tc.Total(order);
  const int failures = opt.max_failures > 0                   ? opt.max_failures
                       : groups > kMaxPublishedStartGroups ? kDefaultFailuresWide
                                                           : kDefaultFailures;
  int failed = 0;
  for (int it = 0; failed < failures && it < kMaxIterations; ++it) {
    ReportProgress(opt, static_cast<double>(failed) / failures);
    const double before = kept;
    const int sweeps = groups > kMaxPublishedStartGroups ? kPairSweepsPerRoundWide
                                                         : kPairSweepsPerRound;
    for (int sweep = 0; sweep < sweeps; ++sweep) {
      if (PairSweep(tc, order, rng) <= 0.0) break;
    }
    BlockedAssignmentMove(tc, order, rng);
    kept = tc.Total(order);
    if (groups > kMaxPublishedStartGroups ? kept > before * (1.0 + kMinRoundGain)
                                          : Gains(kept, before)) {
      failed = 0;
    } else {
      ++failed;
    }
  }
  // Iterated local search: shuffle the columns of a few random groups (a
  // kick out of the local optimum), descend with pair moves around them,
  // keep the result only if the tile keeps more.
  // Wide tiles skip it: there it gained ~0.05% for twice the time.
  if (groups > kMaxPublishedStartGroups) return ToSlots(order, slots);
  const int kick_groups = static_cast<int>(std::min<int64_t>(kKickGroups, groups));
  failed = 0;
  for (int kick = 0; kick < kMaxKicks && failed < kKickFailures; ++kick) {
    ReportProgress(opt, static_cast<double>(failed) / kKickFailures);
    std::vector<int32_t> cand = order;
    std::vector<int32_t> chosen;
    while (static_cast<int>(chosen.size()) < kick_groups) {
      const int32_t g = static_cast<int32_t>(rng() % static_cast<uint64_t>(groups));
      if (std::find(chosen.begin(), chosen.end(), g) == chosen.end()) chosen.push_back(g);
    }
    std::vector<int32_t> pool;
    for (int32_t g : chosen) pool.insert(pool.end(), &cand[4 * g], &cand[4 * g] + 4);
    for (size_t i = pool.size() - 1; i > 0; --i) std::swap(pool[i], pool[rng() % (i + 1)]);
    for (size_t i = 0; i < chosen.size(); ++i) {
      std::copy(pool.begin() + 4 * i, pool.begin() + 4 * i + 4, cand.begin() + 4 * chosen[i]);
    }
    FocusedDescent(tc, cand, chosen, rng);
    const double value = tc.Total(cand);
    if (Gains(value, kept)) {
      order.swap(cand);
      kept = value;
      failed = 0;
    } else {
      ++failed;
    }
  }
  return ToSlots(order, slots);
}

std::vector<int32_t> RefineTileColumns(const SaliencyView& s, const std::vector<int32_t>& rows,
                                       const std::vector<int32_t>& order,
                                       const std::vector<int32_t>& spare,
                                       const PermuteOptions& opt, uint64_t stream) {
  const int64_t groups = static_cast<int64_t>(order.size() / 4);
  if (spare.empty() || groups == 0 || rows.empty()) return order;
  // Pads fill slots only when every real column is kept (K_keep > K), and
  // then there is nothing spare; a caller mixing both gets no refinement.
  if (std::find(order.begin(), order.end(), kPadColumn) != order.end()) return order;
  // Candidates: the spare columns with the largest tile sums (ties -> lower
  // column), at most kMaxSpare of them; a column far below the cut rarely wins.
  std::vector<std::pair<double, int32_t>> ranked;
  ranked.reserve(spare.size());
  for (int32_t c : spare) {
    double sum = 0.0;
    for (int32_t row : rows) sum += s.at(row, c);
    ranked.push_back({-sum, c});
  }
  std::sort(ranked.begin(), ranked.end());
  const bool wide = groups > kMaxPublishedStartGroups;
  const size_t n_spare = std::min<size_t>(ranked.size(), wide ? kMaxSpareWide : kMaxSpare);
  const int max_rounds = wide ? kMaxRefineRoundsWide : kMaxRefineRounds;
  std::vector<int32_t> all = order;
  for (size_t i = 0; i < n_spare; ++i) all.push_back(ranked[i].second);
  const TileColumns tc(s, rows, all);
  std::vector<int32_t> local(order.size());
  std::iota(local.begin(), local.end(), 0);
  std::vector<int32_t> pool(n_spare);
  std::iota(pool.begin(), pool.end(), static_cast<int32_t>(order.size()));
  std::mt19937_64 rng(MixSeed(opt.seed, stream ^ 0x5EED5A1EC7ED0C01ull));
  double kept = tc.Total(local);
  const double start = kept;
  for (int round = 0; round < max_rounds; ++round) {
    ReportProgress(opt, static_cast<double>(round) / max_rounds);
    std::vector<int32_t> cand = local, cand_pool = pool, dirty;
    SwapSweep(tc, cand, cand_pool, rng, dirty);
    if (dirty.empty()) break;
    // Regroup around the changed groups (pair moves with other groups);
    // wide tiles skip it (on 128 x 2048 tiles it was a quarter of the
    // whole 2CP time).
    if (groups >= 2 && !wide) FocusedDescent(tc, cand, dirty, rng);
    const double value = tc.Total(cand);
    if (!Gains(value, kept)) break;
    const bool small_gain = value < kept * (1.0 + kMinRefineGain);
    local.swap(cand);
    pool.swap(cand_pool);
    kept = value;
    if (small_gain) break;
  }
  if (!Gains(kept, start)) return order;
  return ToSlots(local, all);
}

}  // namespace hinm
