// ParallelFor: covers [0, n) exactly once with a static partition, and
// propagates the first failing chunk's exception.
#include "cpp/hinm/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <stdexcept>
#include <utility>
#include <vector>

namespace hinm {
namespace {

TEST(ParallelFor, CoversEveryIndexOnce) {
  for (int threads : {1, 2, 3, 8}) {
    for (int64_t n : {0, 1, 5, 100}) {
      std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
      ParallelFor(n, threads, [&](int64_t b, int64_t e) {
        for (int64_t i = b; i < e; ++i) hits[static_cast<size_t>(i)]++;
      });
      for (auto& h : hits) ASSERT_EQ(h.load(), 1);
    }
  }
}

TEST(ParallelFor, PartitionIsStatic) {
  std::mutex mu;
  std::set<std::pair<int64_t, int64_t>> ranges;
  ParallelFor(10, 4, [&](int64_t b, int64_t e) {
    std::lock_guard<std::mutex> lock(mu);
    ranges.insert({b, e});
  });
  const std::set<std::pair<int64_t, int64_t>> want = {{0, 2}, {2, 5}, {5, 7}, {7, 10}};
  EXPECT_EQ(ranges, want);
  // More threads than items: one item per call.
  ranges.clear();
  ParallelFor(3, 16, [&](int64_t b, int64_t e) {
    std::lock_guard<std::mutex> lock(mu);
    ranges.insert({b, e});
  });
  EXPECT_EQ(ranges.size(), 3u);
}

TEST(ParallelFor, RethrowsLowestChunkException) {
  try {
    ParallelFor(8, 4, [&](int64_t b, int64_t) {
      if (b >= 2) throw std::runtime_error("chunk " + std::to_string(b));
    });
    FAIL();
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(), "chunk 2");
  }
}

TEST(ParallelFor, ResolveNumThreads) {
  EXPECT_EQ(ResolveNumThreads(3), 3);
  EXPECT_GE(ResolveNumThreads(0), 1);
  EXPECT_GE(ResolveNumThreads(-1), 1);
}

}  // namespace
}  // namespace hinm
