// The per-descriptor store of searched plans: found by exactly its
// problem (GPU model -- name, compute capability, SM count -- N, B order,
// C order), replaced by a later search, listed in problem order, and safe to
// use from several threads at once.
#include "cpp/hinm/tuned_plans.h"

#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace {

using hinm::DeviceIdentity;
using hinm::Order;
using hinm::SpmmProblemKey;
using hinm::SpmmPlanChoice;
using hinm::TunedPlans;

const DeviceIdentity kH100Sxm{"NVIDIA H100 80GB HBM3", 9, 0, 132};

// A K split of the mma.sp narrow config, as the search stores one.
SpmmPlanChoice Mma(int32_t splits, bool cluster) {
  return {hinm::GpuKernel::kMmaSp, "narrow_128x16", splits, cluster};
}

// Plans differ in any field: kernel, config, split, sum.
TEST(SpmmPlanChoice, EqualOnlyInEveryField) {
  const SpmmPlanChoice a = Mma(4, true);
  EXPECT_EQ(a, Mma(4, true));
  SpmmPlanChoice b = a;
  b.kernel = hinm::GpuKernel::kWgmmaSp;
  EXPECT_FALSE(a == b);
  b = a;
  b.config = "mid_128x64";
  EXPECT_FALSE(a == b);
  EXPECT_FALSE(a == Mma(5, true));
  EXPECT_FALSE(a == Mma(4, false));
  EXPECT_EQ(SpmmPlanChoice{}, (SpmmPlanChoice{hinm::GpuKernel::kAuto, "", 0, false}));
}

TEST(DeviceIdentity, EqualOnlyInEveryField) {
  const DeviceIdentity same = kH100Sxm;  // the same model on another machine
  EXPECT_EQ(same, kH100Sxm);
  EXPECT_FALSE(same < kH100Sxm || kH100Sxm < same);
  for (const DeviceIdentity& other : {
           DeviceIdentity{"NVIDIA H100 PCIe", 9, 0, 114},        // another model
           DeviceIdentity{"NVIDIA H100 80GB HBM3", 9, 0, 16},    // a MIG slice of it
           DeviceIdentity{"NVIDIA H100 80GB HBM3", 8, 0, 132},   // cc major
           DeviceIdentity{"NVIDIA H100 80GB HBM3", 9, 1, 132},   // cc minor
           DeviceIdentity{"NVIDIA H100 80GB HBM3 ", 9, 0, 132},  // name, one byte longer
       }) {
    EXPECT_FALSE(other == kH100Sxm) << other.name << " " << other.sm_count;
    EXPECT_TRUE(other < kH100Sxm || kH100Sxm < other) << other.name << " " << other.sm_count;
  }
}

TEST(TunedPlans, FoundByItsProblemOnly) {
  TunedPlans t;
  const SpmmProblemKey key{kH100Sxm, 16, Order::kFeatureMajor, Order::kFeatureMajor};
  EXPECT_FALSE(t.Find(key));
  t.Store(key, Mma(4, true));
  ASSERT_TRUE(t.Find(key));
  EXPECT_EQ(*t.Find(key), Mma(4, true));
  // The same model found again (another card, another machine: a copy of
  // the identity) finds it.
  const SpmmProblemKey again{DeviceIdentity{"NVIDIA H100 80GB HBM3", 9, 0, 132}, 16,
                             Order::kFeatureMajor, Order::kFeatureMajor};
  ASSERT_TRUE(t.Find(again));
  EXPECT_EQ(*t.Find(again), Mma(4, true));
  for (const SpmmProblemKey& other :
       {SpmmProblemKey{{"NVIDIA H100 PCIe", 9, 0, 114}, 16, Order::kFeatureMajor,
                       Order::kFeatureMajor},
        SpmmProblemKey{{"NVIDIA H100 80GB HBM3", 9, 0, 66}, 16, Order::kFeatureMajor,
                       Order::kFeatureMajor},
        SpmmProblemKey{{"NVIDIA A100-SXM4-80GB", 8, 0, 108}, 16, Order::kFeatureMajor,
                       Order::kFeatureMajor},
        SpmmProblemKey{kH100Sxm, 17, Order::kFeatureMajor, Order::kFeatureMajor},
        SpmmProblemKey{kH100Sxm, 16, Order::kTokenMajor, Order::kFeatureMajor},
        SpmmProblemKey{kH100Sxm, 16, Order::kFeatureMajor, Order::kTokenMajor}})
    EXPECT_FALSE(t.Find(other)) << other.device.name << " " << other.device.sm_count << " "
                                << other.n;
  t.Store(key, Mma(7, false));  // a later search replaces the earlier result
  EXPECT_EQ(*t.Find(key), Mma(7, false));
  EXPECT_EQ(t.size(), 1u);
}

TEST(TunedPlans, EntriesAreEveryStoreInProblemOrder) {
  TunedPlans t;
  EXPECT_TRUE(t.Entries().empty());
  const DeviceIdentity a100{"NVIDIA A100-SXM4-80GB", 8, 0, 108};
  const SpmmProblemKey k1{kH100Sxm, 16, Order::kTokenMajor, Order::kTokenMajor};
  const SpmmProblemKey k2{kH100Sxm, 1, Order::kFeatureMajor, Order::kFeatureMajor};
  const SpmmProblemKey k3{a100, 64, Order::kFeatureMajor, Order::kTokenMajor};
  const SpmmProblemKey k4{kH100Sxm, 16, Order::kFeatureMajor, Order::kTokenMajor};
  t.Store(k1, Mma(3, false));
  t.Store(k2, Mma(8, true));
  t.Store(k3, Mma(2, false));
  t.Store(k4, Mma(5, true));
  t.Store(k1, Mma(6, true));  // replaced, not added
  t.Store(k1, {hinm::GpuKernel::kWgmmaSp, "", 0, false});  // and again, by another kernel
  const std::vector<TunedPlans::Entry> want = {
      {k3, Mma(2, false)},  // "NVIDIA A..." < "NVIDIA H..."
      {k2, Mma(8, true)},   // then by n
      {k4, Mma(5, true)},   // then b_order (feature-major first)
      {k1, {hinm::GpuKernel::kWgmmaSp, "", 0, false}},
  };
  EXPECT_EQ(t.Entries(), want);
}

TEST(TunedPlans, ConcurrentStoresAndFinds) {
  TunedPlans t;
  std::vector<std::thread> threads;
  for (int w = 0; w < 4; ++w) {
    threads.emplace_back([&t, w] {
      const DeviceIdentity gpu{"GPU " + std::to_string(w), 9, 0, 132};
      for (int i = 0; i < 1000; ++i) {
        const SpmmProblemKey key{gpu, i % 50, Order::kFeatureMajor, Order::kTokenMajor};
        t.Store(key, Mma(i % 50 + 1, (i & 1) != 0));
        const auto found = t.Find(key);
        ASSERT_TRUE(found);
        EXPECT_EQ(found->splits, i % 50 + 1);  // each thread owns its GPU's keys
        if (i % 100 == 0) {
          const std::vector<TunedPlans::Entry> snapshot = t.Entries();
          for (size_t j = 1; j < snapshot.size(); ++j)
            EXPECT_TRUE(snapshot[j - 1].problem < snapshot[j].problem);
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(t.size(), 200u);
  EXPECT_EQ(t.Entries().size(), 200u);
}

}  // namespace
