// The per-descriptor store of searched K splits: found by exactly its
// problem (device, N, B order, C order), replaced by a later search, and
// safe to use from several threads at once.
#include "cpp/hinm/tuned_splits.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace {

using hinm::Order;
using hinm::SpmmProblemKey;
using hinm::SpmmSplit;
using hinm::TunedSplits;

TEST(TunedSplits, FoundByItsProblemOnly) {
  TunedSplits t;
  const SpmmProblemKey key{0, 16, Order::kFeatureMajor, Order::kFeatureMajor};
  EXPECT_FALSE(t.Find(key));
  t.Store(key, {4, true});
  ASSERT_TRUE(t.Find(key));
  EXPECT_EQ(*t.Find(key), (SpmmSplit{4, true}));
  for (const SpmmProblemKey& other :
       {SpmmProblemKey{1, 16, Order::kFeatureMajor, Order::kFeatureMajor},
        SpmmProblemKey{0, 17, Order::kFeatureMajor, Order::kFeatureMajor},
        SpmmProblemKey{0, 16, Order::kTokenMajor, Order::kFeatureMajor},
        SpmmProblemKey{0, 16, Order::kFeatureMajor, Order::kTokenMajor}})
    EXPECT_FALSE(t.Find(other)) << other.device << " " << other.n;
  t.Store(key, {7, false});  // a later search replaces the earlier result
  EXPECT_EQ(*t.Find(key), (SpmmSplit{7, false}));
  EXPECT_EQ(t.size(), 1u);
}

TEST(TunedSplits, ConcurrentStoresAndFinds) {
  TunedSplits t;
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&t, w] {
      for (int i = 0; i < 1000; ++i) {
        const SpmmProblemKey key{w, i % 50, Order::kFeatureMajor, Order::kTokenMajor};
        t.Store(key, {i % 50 + 1, (i & 1) != 0});
        const auto found = t.Find(key);
        ASSERT_TRUE(found);
        EXPECT_EQ(found->splits, i % 50 + 1);  // each thread owns its device's keys
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(t.size(), 200u);
}

}  // namespace
