// 2CP searches: invariants (permutations, never worse than no permutation,
// default >= published), planted structure, determinism, cancellation, and
// bad input. Costs are checked with fp64 evaluators written here, not with
// the searches' own bookkeeping.
#include "cpp/hinm/permute.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>

#include "cpp/hinm/error.h"
#include "cpp/hinm/layout.h"
#include "tests/cpp/permute/permute_test_util.h"

namespace hinm {
namespace {

using hinm_test::RandomScores;
using hinm_test::VectorCost;

constexpr PermuteAlgo kAlgos[] = {PermuteAlgo::kPublished, PermuteAlgo::kDefault};

std::vector<int32_t> Iota(int64_t n) {
  std::vector<int32_t> v(static_cast<size_t>(n));
  std::iota(v.begin(), v.end(), 0);
  return v;
}

bool IsPermutationOf(std::vector<int32_t> a, std::vector<int32_t> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// Independent fp64 evaluator: saliency 2:4 keeps over rows for a slot order.
double NmKept(const SaliencyView& s, const std::vector<int32_t>& rows,
              const std::vector<int32_t>& order) {
  double kept = 0;
  for (int32_t r : rows) {
    for (size_t g = 0; g < order.size(); g += 4) {
      std::vector<double> v;
      for (size_t i = g; i < g + 4; ++i) v.push_back(order[i] == kPadColumn ? 0.0 : s.at(r, order[i]));
      std::sort(v.begin(), v.end());
      kept += v[2] + v[3];
    }
  }
  return kept;
}

PermuteOptions Options(PermuteAlgo algo, uint64_t seed = 1, int threads = 1) {
  PermuteOptions o;
  o.algo = algo;
  o.seed = seed;
  o.num_threads = threads;
  return o;
}

Status StatusOf(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.status();
  }
  return Status::kSuccess;
}

// ---------------------------------------------------------------- output axis

TEST(OutputPermutation, IsAPermutationAndNeverRaisesTheCost) {
  struct Shape { int64_t m, k; int v; int64_t keep; };
  // Includes partial last tiles (100 = 6*16 + 4, 90 = 2*32 + 26) and 87.5%
  // (keep = K/4, where the published code's cost was wrong).
  for (const Shape& sh : {Shape{64, 32, 16, 16}, Shape{100, 40, 16, 20}, Shape{90, 24, 32, 8},
                          Shape{128, 64, 32, 16}, Shape{96, 48, 16, 12}}) {
    const auto w = RandomScores(sh.m, sh.k, 100 + sh.m);
    const SaliencyView s{w.data(), sh.m, sh.k, sh.k};
    const double identity = VectorCost(s, Iota(sh.m), sh.v, sh.keep);
    double published = 0;
    for (PermuteAlgo algo : kAlgos) {
      const auto perm = SearchOutputPermutation(s, sh.v, sh.keep, Options(algo));
      ASSERT_TRUE(IsPermutationOf(perm, Iota(sh.m)));
      const double cost = VectorCost(s, perm, sh.v, sh.keep);
      EXPECT_LE(cost, identity + 1e-9);
      if (algo == PermuteAlgo::kPublished) published = cost;
      // The default starts from the published result: never worse.
      if (algo == PermuteAlgo::kDefault) {
        EXPECT_LE(cost, published + 1e-9);
        EXPECT_LT(cost, identity) << "random data always has something to gain";
      }
    }
  }
}

// Rows of class c are large on columns [c*keep, (c+1)*keep) and small
// elsewhere; rows are shuffled. Sorting the classes back into tiles prunes
// only small values: that planted optimum is the target.
struct Planted {
  std::vector<float> w;
  std::vector<int32_t> cls;  // class of each (shuffled) row
  double optimum;
};
Planted PlantRows(int tiles, int v, int64_t keep, uint64_t seed) {
  const int64_t m = int64_t{tiles} * v, k = keep * tiles;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> small(0.0f, 0.1f), big(1.0f, 2.0f);
  std::vector<int32_t> order = Iota(m);
  std::shuffle(order.begin(), order.end(), rng);
  Planted p;
  p.w.resize(static_cast<size_t>(m * k));
  p.cls.resize(static_cast<size_t>(m));
  for (int64_t r = 0; r < m; ++r) {
    const int c = order[r] / v;
    p.cls[r] = c;
    for (int64_t j = 0; j < k; ++j) p.w[r * k + j] = (j / keep == c) ? big(rng) : small(rng);
  }
  std::vector<int32_t> sorted = Iota(m);
  std::stable_sort(sorted.begin(), sorted.end(), [&](int a, int b) { return p.cls[a] < p.cls[b]; });
  p.optimum = VectorCost(SaliencyView{p.w.data(), m, k, k}, sorted, v, keep);
  return p;
}

TEST(OutputPermutation, RecoversPlantedTiles) {
  const int tiles = 6, v = 16;
  const int64_t keep = 8, m = tiles * v, k = keep * tiles;
  const Planted p = PlantRows(tiles, v, keep, 21);
  const SaliencyView s{p.w.data(), m, k, k};
  const double identity = VectorCost(s, Iota(m), v, keep);
  ASSERT_GT(identity, 3 * p.optimum);
  for (PermuteAlgo algo : kAlgos) {
    const auto perm = SearchOutputPermutation(s, v, keep, Options(algo, 3));
    const double cost = VectorCost(s, perm, v, keep);
    // Both close most of the gap to the planted optimum ...
    EXPECT_LT(cost - p.optimum, 0.5 * (identity - p.optimum)) << static_cast<int>(algo);
    if (algo == PermuteAlgo::kDefault) {
      // ... and the default finds it exactly: every tile holds one class.
      EXPECT_NEAR(cost, p.optimum, 1e-6 * p.optimum);
      for (int64_t pos = 0; pos < m; ++pos) {
        EXPECT_EQ(p.cls[perm[pos]], p.cls[perm[pos / v * v]]) << "position " << pos;
      }
    }
  }
}

TEST(OutputPermutation, TrivialCasesReturnIdentity) {
  const auto w = RandomScores(40, 12, 2);
  const SaliencyView s{w.data(), 40, 12, 12};
  for (PermuteAlgo algo : kAlgos) {
    EXPECT_EQ(SearchOutputPermutation(s, 64, 4, Options(algo)), Iota(40));  // V > M
    EXPECT_EQ(SearchOutputPermutation(s, 40, 4, Options(algo)), Iota(40));  // V == M
    EXPECT_EQ(SearchOutputPermutation(s, 16, 12, Options(algo)), Iota(40));  // K_keep == K
    const std::vector<float> zeros(40 * 12, 0.0f);
    const SaliencyView z{zeros.data(), 40, 12, 12};
    EXPECT_EQ(SearchOutputPermutation(z, 16, 4, Options(algo)), Iota(40));  // nothing to gain
    const SaliencyView empty{nullptr, 0, 12, 12};
    EXPECT_TRUE(SearchOutputPermutation(empty, 16, 4, Options(algo)).empty());
  }
}

TEST(OutputPermutation, KeptColsUpToRoundUpOfKIsAccepted) {
  const auto w = RandomScores(32, 10, 4);
  const SaliencyView s{w.data(), 32, 10, 10};
  EXPECT_EQ(SearchOutputPermutation(s, 16, 12, Options(PermuteAlgo::kDefault)), Iota(32));
  EXPECT_EQ(StatusOf([&] { SearchOutputPermutation(s, 16, 16, Options(PermuteAlgo::kDefault)); }),
            Status::kInvalidValue);
}

TEST(OutputPermutation, DeterministicAndThreadCountIndependent) {
  const auto w = RandomScores(160, 48, 9);
  const SaliencyView s{w.data(), 160, 48, 48};
  for (PermuteAlgo algo : kAlgos) {
    const auto a = SearchOutputPermutation(s, 16, 24, Options(algo, 5, 1));
    EXPECT_EQ(a, SearchOutputPermutation(s, 16, 24, Options(algo, 5, 2)));
    EXPECT_EQ(a, SearchOutputPermutation(s, 16, 24, Options(algo, 5, 3)));
    EXPECT_EQ(a, SearchOutputPermutation(s, 16, 24, Options(algo, 5, 1)));
  }
}

TEST(OutputPermutation, HonoursScheduleAndFailureBudget) {
  const auto w = RandomScores(128, 32, 12);
  const SaliencyView s{w.data(), 128, 32, 32};
  PermuteOptions o = Options(PermuteAlgo::kPublished);
  o.schedule = {1};
  o.max_failures = 1;
  const double one_try = VectorCost(s, SearchOutputPermutation(s, 16, 16, o), 16, 16);
  o.schedule = {4, 1, 2, 1, 1};
  o.max_failures = 6;
  const double more = VectorCost(s, SearchOutputPermutation(s, 16, 16, o), 16, 16);
  EXPECT_LE(one_try, VectorCost(s, Iota(128), 16, 16));
  EXPECT_LT(more, one_try) << "a longer schedule with more tries finds more";
}

TEST(OutputPermutation, ReportsProgressAndCancels) {
  const auto w = RandomScores(96, 32, 13);
  const SaliencyView s{w.data(), 96, 32, 32};
  for (PermuteAlgo algo : kAlgos) {
    PermuteOptions o = Options(algo);
    std::vector<double> seen;
    o.progress = [&](double f) {
      seen.push_back(f);
      return true;
    };
    SearchOutputPermutation(s, 16, 16, o);
    ASSERT_FALSE(seen.empty());
    for (double f : seen) {
      EXPECT_GE(f, 0.0);
      EXPECT_LE(f, 1.0);
    }
    EXPECT_EQ(seen.back(), 1.0);
    int calls = 0;
    o.progress = [&](double) { return ++calls < 3; };
    EXPECT_EQ(StatusOf([&] { SearchOutputPermutation(s, 16, 16, o); }), Status::kCancelled);
    EXPECT_EQ(calls, 3) << "stops at the first refusal";
  }
}

TEST(OutputPermutation, RejectsBadInput) {
  auto w = RandomScores(32, 16, 1);
  const SaliencyView s{w.data(), 32, 16, 16};
  const PermuteOptions o = Options(PermuteAlgo::kDefault);
  auto status = [&](const SaliencyView& v, int tile, int64_t keep, const PermuteOptions& opt) {
    return StatusOf([&] { SearchOutputPermutation(v, tile, keep, opt); });
  };
  EXPECT_EQ(status(s, 0, 8, o), Status::kInvalidValue);
  EXPECT_EQ(status(s, 16, 0, o), Status::kInvalidValue);
  EXPECT_EQ(status(s, 16, 20, o), Status::kInvalidValue);
  EXPECT_EQ(status(SaliencyView{nullptr, 32, 16, 16}, 16, 8, o), Status::kNullPointer);
  EXPECT_EQ(status(SaliencyView{w.data(), 32, 16, 8}, 16, 8, o), Status::kInvalidValue);
  PermuteOptions bad = o;
  bad.algo = static_cast<PermuteAlgo>(7);
  EXPECT_EQ(status(s, 16, 8, bad), Status::kInvalidValue);
  bad = o;
  bad.schedule = {2, 0};
  EXPECT_EQ(status(s, 16, 8, bad), Status::kInvalidValue);
  bad.schedule = {17};
  EXPECT_EQ(status(s, 16, 8, bad), Status::kInvalidValue);
  bad = o;
  bad.max_failures = -1;
  EXPECT_EQ(status(s, 16, 8, bad), Status::kInvalidValue);
  for (float v : {std::nanf(""), std::numeric_limits<float>::infinity(), -1.0f}) {
    auto copy = w;
    copy[5 * 16 + 3] = v;
    EXPECT_EQ(status(SaliencyView{copy.data(), 32, 16, 16}, 16, 8, o), Status::kInvalidValue) << v;
  }
}

// ----------------------------------------------------------------- input axis

TEST(TileColumnOrder, IsAPermutationOfTheSlotsAndNeverLowersKept) {
  const int64_t m = 48, k = 80;
  const auto w = RandomScores(m, k, 31);
  const SaliencyView s{w.data(), m, k, k};
  std::mt19937_64 rng(4);
  for (int trial = 0; trial < 6; ++trial) {
    std::vector<int32_t> cols = Iota(k);
    std::shuffle(cols.begin(), cols.end(), rng);
    std::vector<int32_t> slots(cols.begin(), cols.begin() + 4 * (trial + 2));
    if (trial % 2) slots.back() = kPadColumn;  // padding slots take part too
    if (trial == 5) slots[slots.size() - 2] = kPadColumn;
    std::vector<int32_t> rows(cols.begin(), cols.begin() + 16 + trial);  // any rows < m
    for (int32_t& r : rows) r %= m;
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    const double identity = NmKept(s, rows, slots);
    double published = 0;
    for (PermuteAlgo algo : kAlgos) {
      const auto order = SearchTileColumnOrder(s, rows, slots, Options(algo, trial));
      ASSERT_TRUE(IsPermutationOf(order, slots));
      const double kept = NmKept(s, rows, order);
      EXPECT_GE(kept, identity - 1e-9);
      if (algo == PermuteAlgo::kPublished) published = kept;
      if (algo == PermuteAlgo::kDefault) {
        EXPECT_GE(kept, published - 1e-9);
      }
    }
  }
}

// A tile whose columns, grouped right, lose nothing to 2:4: in every planted
// group of 4 columns each row is non-zero on exactly 2 of them.
TEST(TileColumnOrder, RecoversPlantedGroups) {
  const int64_t rows_n = 12, groups = 8, k = 4 * groups;
  std::mt19937_64 rng(17);
  std::uniform_real_distribution<float> val(0.5f, 1.5f);
  std::vector<float> w(static_cast<size_t>(rows_n * k), 0.0f);
  for (int64_t r = 0; r < rows_n; ++r) {
    for (int64_t g = 0; g < groups; ++g) {
      int idx[4] = {0, 1, 2, 3};
      std::shuffle(idx, idx + 4, rng);
      for (int i = 0; i < 2; ++i) w[r * k + 4 * g + idx[i]] = val(rng);
    }
  }
  double total = 0;
  for (float x : w) total += x;
  std::vector<int32_t> slots = Iota(k);
  std::shuffle(slots.begin(), slots.end(), rng);
  const SaliencyView s{w.data(), rows_n, k, k};
  const std::vector<int32_t> rows = Iota(rows_n);
  const double identity = NmKept(s, rows, slots);
  ASSERT_LT(identity, 0.9 * total);
  for (PermuteAlgo algo : kAlgos) {
    const double kept = NmKept(s, rows, SearchTileColumnOrder(s, rows, slots, Options(algo, 2)));
    EXPECT_GT(kept - identity, 0.5 * (total - identity)) << static_cast<int>(algo);
    if (algo == PermuteAlgo::kDefault) {
      EXPECT_NEAR(kept, total, 1e-5 * total);
    }
  }
}

TEST(TileColumnOrder, DeterministicForASeedWhateverTheThreadCount) {
  const int64_t m = 64, k = 64;
  const auto w = RandomScores(m, k, 41);
  const SaliencyView s{w.data(), m, k, k};
  std::mt19937_64 rng(6);
  for (int t = 0; t < 4; ++t) {
    std::vector<int32_t> rows = Iota(16);
    for (int32_t& r : rows) r += 16 * t;
    std::vector<int32_t> cols = Iota(k);
    std::shuffle(cols.begin(), cols.end(), rng);
    const std::vector<int32_t> slots(cols.begin(), cols.begin() + 32);
    for (PermuteAlgo algo : kAlgos) {
      const auto once = SearchTileColumnOrder(s, rows, slots, Options(algo, 8, 1));
      EXPECT_EQ(once, SearchTileColumnOrder(s, rows, slots, Options(algo, 8, 1)));
      EXPECT_EQ(once, SearchTileColumnOrder(s, rows, slots, Options(algo, 8, 2)));
    }
  }
}

TEST(TileColumnOrder, CancelsThroughProgress) {
  const auto w = RandomScores(16, 64, 43);
  const SaliencyView s{w.data(), 16, 64, 64};
  const std::vector<int32_t> rows = Iota(16), slots = Iota(64);
  for (PermuteAlgo algo : kAlgos) {
    PermuteOptions o = Options(algo);
    o.progress = [](double) { return false; };
    EXPECT_EQ(StatusOf([&] { SearchTileColumnOrder(s, rows, slots, o); }), Status::kCancelled);
  }
}

TEST(TileColumnOrder, RejectsBadInput) {
  auto w = RandomScores(16, 16, 1);
  const SaliencyView s{w.data(), 16, 16, 16};
  const PermuteOptions o = Options(PermuteAlgo::kDefault);
  const std::vector<int32_t> rows = Iota(16);
  auto status = [&](const SaliencyView& v, const std::vector<int32_t>& r,
                    const std::vector<int32_t>& sl) {
    return StatusOf([&] { SearchTileColumnOrder(v, r, sl, o); });
  };
  EXPECT_EQ(status(s, rows, {0, 1, 2}), Status::kInvalidValue);            // not a multiple of 4
  EXPECT_EQ(status(s, rows, {0, 1, 2, 2}), Status::kInvalidValue);         // repeated column
  EXPECT_EQ(status(s, rows, {0, 1, 2, 16}), Status::kInvalidValue);        // out of range
  EXPECT_EQ(status(s, {0, 16}, {0, 1, 2, 3}), Status::kInvalidValue);      // row out of range
  EXPECT_EQ(status(SaliencyView{nullptr, 16, 16, 16}, rows, {0, 1, 2, 3}), Status::kNullPointer);
  EXPECT_EQ(status(s, rows, {}), Status::kSuccess);                        // empty tile: fine
  auto copy = w;
  copy[3 * 16 + 2] = -0.5f;
  EXPECT_EQ(status(SaliencyView{copy.data(), 16, 16, 16}, rows, {0, 1, 2, 3}), Status::kInvalidValue);
  copy[3 * 16 + 2] = std::nanf("");
  EXPECT_EQ(status(SaliencyView{copy.data(), 16, 16, 16}, rows, {0, 1, 2, 3}), Status::kInvalidValue);
  // A bad score outside the tile's rows and slots is not the tile's business.
  EXPECT_EQ(status(SaliencyView{copy.data(), 16, 16, 16}, rows, {4, 5, 6, 7}), Status::kSuccess);
}

// ------------------------------------------------- kept-column exchange (kDefault)

// Columns of the tile outside `slots`, ascending.
std::vector<int32_t> Complement(int64_t k, const std::vector<int32_t>& slots) {
  std::vector<int32_t> out;
  for (int32_t c = 0; c < k; ++c) {
    if (std::find(slots.begin(), slots.end(), c) == slots.end()) out.push_back(c);
  }
  return out;
}

// The top-`keep` columns of `rows` by summed score (ties -> lower column), ascending.
std::vector<int32_t> TopSum(const SaliencyView& s, const std::vector<int32_t>& rows, int64_t keep) {
  std::vector<std::pair<double, int32_t>> sums;
  for (int32_t c = 0; c < s.cols; ++c) {
    double sum = 0;
    for (int32_t r : rows) sum += s.at(r, c);
    sums.push_back({-sum, c});
  }
  std::sort(sums.begin(), sums.end());
  std::vector<int32_t> top;
  for (int64_t i = 0; i < keep; ++i) top.push_back(sums[static_cast<size_t>(i)].second);
  std::sort(top.begin(), top.end());
  return top;
}

// Exactly slots.size() distinct columns, all from slots or spare.
void ExpectValidKeptList(const std::vector<int32_t>& got, const std::vector<int32_t>& slots,
                         const std::vector<int32_t>& spare) {
  ASSERT_EQ(got.size(), slots.size());
  std::vector<int32_t> sorted = got;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_TRUE(std::adjacent_find(sorted.begin(), sorted.end()) == sorted.end()) << "duplicate";
  for (int32_t c : got) {
    EXPECT_TRUE(std::find(slots.begin(), slots.end(), c) != slots.end() ||
                std::find(spare.begin(), spare.end(), c) != spare.end())
        << "column " << c << " was offered by neither list";
  }
}

TEST(TileColumns, NeverLowersKeptAndKeepsExactlyKKeepDistinctColumns) {
  struct Shape { int64_t rows, k, keep; };
  for (const Shape& sh : {Shape{16, 32, 16}, Shape{32, 64, 32}, Shape{24, 80, 20}, Shape{128, 96, 48},
                          Shape{8, 40, 8}, Shape{16, 12, 4}}) {
    const auto w = RandomScores(sh.rows, sh.k, 500 + sh.k);
    const SaliencyView s{w.data(), sh.rows, sh.k, sh.k};
    const std::vector<int32_t> rows = Iota(sh.rows);
    const std::vector<int32_t> slots = TopSum(s, rows, sh.keep);
    const std::vector<int32_t> spare = Complement(sh.k, slots);
    for (PermuteAlgo algo : kAlgos) {
      const auto plain = SearchTileColumnOrder(s, rows, slots, Options(algo, 4));
      const auto got = SearchTileColumns(s, rows, slots, spare, Options(algo, 4));
      ExpectValidKeptList(got, slots, spare);
      if (algo == PermuteAlgo::kPublished) {
        EXPECT_EQ(got, plain) << "the published search keeps the given set";
      } else {
        // Starts from SearchTileColumnOrder's result, accepts only gains.
        EXPECT_GE(NmKept(s, rows, got), NmKept(s, rows, plain) - 1e-9) << sh.k;
        const auto pub = SearchTileColumnOrder(s, rows, slots, Options(PermuteAlgo::kPublished, 4));
        EXPECT_GE(NmKept(s, rows, got), NmKept(s, rows, pub) - 1e-9) << sh.k;
        EXPECT_GE(NmKept(s, rows, got), NmKept(s, rows, slots) - 1e-9) << sh.k;
      }
    }
  }
}

// Summed saliency misleads: "strong" columns are 10 on the first half of the
// rows and ~0 on the other, "weak" ones 6 on the second half and ~0 on the
// first (sums 10h vs 6h). The top-sum set holds only strong columns, and 2:4
// then keeps 2 x 10 per row in the first half and nothing in the second. The
// optimum keeps 2 strong + 2 weak per group: nothing is lost to 2:4 at all.
TEST(TileColumns, BeatsTopSumSelectionWhereSumsMislead) {
  const int64_t rows_n = 16, half = rows_n / 2, strong = 16, weak = 16, k = strong + weak;
  const int64_t keep = 16;  // = strong: the top-sum set is every strong column
  std::mt19937_64 rng(23);
  std::uniform_real_distribution<float> noise(0.0f, 0.01f);
  std::vector<int32_t> kind = Iota(k);  // kind[c] < strong: strong column
  std::shuffle(kind.begin(), kind.end(), rng);
  std::vector<float> w(static_cast<size_t>(rows_n * k));
  for (int64_t r = 0; r < rows_n; ++r) {
    for (int64_t c = 0; c < k; ++c) {
      const bool is_strong = kind[c] < strong;
      const float big = is_strong ? (r < half ? 10.0f : 0.0f) : (r >= half ? 6.0f : 0.0f);
      w[r * k + c] = big + noise(rng);
    }
  }
  const SaliencyView s{w.data(), rows_n, k, k};
  const std::vector<int32_t> rows = Iota(rows_n);
  const std::vector<int32_t> slots = TopSum(s, rows, keep);
  for (int32_t c : slots) ASSERT_LT(kind[c], strong) << "the top-sum set is all strong";
  const std::vector<int32_t> spare = Complement(k, slots);
  const auto plain = SearchTileColumnOrder(s, rows, slots, Options(PermuteAlgo::kDefault, 2));
  const auto got = SearchTileColumns(s, rows, slots, spare, Options(PermuteAlgo::kDefault, 2));
  ExpectValidKeptList(got, slots, spare);
  const double groups = static_cast<double>(keep / 4);
  // Top-sum set: per group, 2 x 10 on each first-half row only.
  EXPECT_NEAR(NmKept(s, rows, plain), groups * half * 20.0, groups * rows_n * 0.05);
  // Planted optimum: 2 x 10 on the first half plus 2 x 6 on the second.
  EXPECT_NEAR(NmKept(s, rows, got), groups * half * 32.0, groups * rows_n * 0.05);
  for (size_t g = 0; g < got.size(); g += 4) {
    int n_strong = 0;
    for (size_t i = g; i < g + 4; ++i) n_strong += kind[got[i]] < strong;
    EXPECT_EQ(n_strong, 2) << "group " << g / 4;
  }
  // The published search cannot leave the given set.
  const auto pub = SearchTileColumns(s, rows, slots, spare, Options(PermuteAlgo::kPublished, 2));
  EXPECT_LT(NmKept(s, rows, pub), NmKept(s, rows, got) - 1.0);
}

TEST(TileColumns, DeterministicForASeedWhateverTheThreadCount) {
  const int64_t m = 64, k = 96;
  const auto w = RandomScores(m, k, 47);
  const SaliencyView s{w.data(), m, k, k};
  for (int t = 0; t < 4; ++t) {
    std::vector<int32_t> rows = Iota(16);
    for (int32_t& r : rows) r += 16 * t;
    const std::vector<int32_t> slots = TopSum(s, rows, 48);
    const std::vector<int32_t> spare = Complement(k, slots);
    const auto once = SearchTileColumns(s, rows, slots, spare, Options(PermuteAlgo::kDefault, 8, 1));
    EXPECT_EQ(once, SearchTileColumns(s, rows, slots, spare, Options(PermuteAlgo::kDefault, 8, 1)));
    EXPECT_EQ(once, SearchTileColumns(s, rows, slots, spare, Options(PermuteAlgo::kDefault, 8, 2)));
    EXPECT_EQ(once, SearchTileColumns(s, rows, slots, spare, Options(PermuteAlgo::kDefault, 8, 3)));
  }
}

TEST(TileColumns, NoSpareOrPaddedSlotsMeanNoExchange) {
  const auto w = RandomScores(16, 20, 3);
  const SaliencyView s{w.data(), 16, 20, 20};
  const std::vector<int32_t> rows = Iota(16);
  const std::vector<int32_t> slots = TopSum(s, rows, 12);
  const PermuteOptions o = Options(PermuteAlgo::kDefault, 1);
  EXPECT_EQ(SearchTileColumns(s, rows, slots, {}, o), SearchTileColumnOrder(s, rows, slots, o));
  std::vector<int32_t> padded = slots;
  padded.back() = kPadColumn;
  const std::vector<int32_t> spare = Complement(20, padded);
  const auto got = SearchTileColumns(s, rows, padded, spare, o);
  EXPECT_EQ(got, SearchTileColumnOrder(s, rows, padded, o));
}

TEST(TileColumns, RejectsBadSpareLists) {
  const auto w = RandomScores(16, 16, 1);
  const SaliencyView s{w.data(), 16, 16, 16};
  const std::vector<int32_t> rows = Iota(16), slots = {0, 1, 2, 3};
  auto status = [&](const std::vector<int32_t>& spare) {
    return StatusOf([&] { SearchTileColumns(s, rows, slots, spare, Options(PermuteAlgo::kDefault)); });
  };
  EXPECT_EQ(status({4, 5}), Status::kSuccess);
  EXPECT_EQ(status({4, 4}), Status::kInvalidValue);           // repeated
  EXPECT_EQ(status({3, 5}), Status::kInvalidValue);           // also kept
  EXPECT_EQ(status({16}), Status::kInvalidValue);             // out of range
  EXPECT_EQ(status({kPadColumn}), Status::kInvalidValue);     // padding is not a column
  auto copy = w;
  copy[2 * 16 + 9] = std::nanf("");
  EXPECT_EQ(StatusOf([&] {
              SearchTileColumns(SaliencyView{copy.data(), 16, 16, 16}, rows, slots, {9},
                                Options(PermuteAlgo::kDefault));
            }),
            Status::kInvalidValue);
}

}  // namespace
}  // namespace hinm
