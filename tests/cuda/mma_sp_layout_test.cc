// Pins the layout's metadata and value mapping (cpp/hinm/layout.cc) to what
// mma.sp.m16n8k32 decodes on the silicon: one block with distinct values and
// random 2:4 nibbles; the decoded dense A must be what the layout says.
#include <gtest/gtest.h>

#include <random>
#include <sstream>
#include <vector>

#include "cpp/hinm/dense.h"
#include "cpp/hinm/layout.h"
#include "tests/cuda/gpu_test_util.h"
#include "tests/cuda/mma_sp_probe.h"

namespace {

using hinm::DType;

void CheckMapping(DType dtype, uint64_t seed) {
  const hinm::Layout l = hinm::Layout::Make(16, 32, 16, 32, dtype);
  ASSERT_EQ(l.num_values(), 256);
  ASSERT_EQ(l.num_meta_words(), 16);
  std::vector<uint16_t> values(256);
  std::vector<uint32_t> meta(16, 0);
  // Stored value (row r, compressed column c) = r*16 + c + 1: distinct, exact.
  for (int r = 0; r < 16; ++r)
    for (int c = 0; c < 16; ++c)
      values[l.value_index(r, c)] = hinm::FloatTo16(static_cast<float>(r * 16 + c + 1), dtype);
  static const int kPairs[6][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 2}, {1, 3}, {2, 3}};
  std::mt19937_64 rng(seed);
  int pick[16][8];
  for (int r = 0; r < 16; ++r)
    for (int q = 0; q < 8; ++q) {
      pick[r][q] = static_cast<int>(rng() % 6);
      int shift = 0;
      const int64_t w = l.meta_word_index(r, q, &shift);
      meta[w] |= static_cast<uint32_t>(kPairs[pick[r][q]][0] | (kPairs[pick[r][q]][1] << 2))
                 << shift;
    }
  hinm_test::DeviceBuffer dv(512), dm(64), dd(16 * 32 * 4);
  dv.Upload(values);
  dm.Upload(meta);
  HINM_CUDA_OK(hinm_test::RunMmaSpProbe(static_cast<const uint16_t*>(dv.get()),
                                        static_cast<const uint32_t*>(dm.get()),
                                        dtype == DType::kBFloat16, static_cast<float*>(dd.get())));
  const std::vector<float> dense = dd.Download<float>(16 * 32);
  int bad = 0;
  std::ostringstream why;
  for (int r = 0; r < 16; ++r)
    for (int q = 0; q < 8; ++q)
      for (int i = 0; i < 4; ++i) {
        float want = 0.f;
        if (i == kPairs[pick[r][q]][0]) want = static_cast<float>(r * 16 + 2 * q + 1);
        if (i == kPairs[pick[r][q]][1]) want = static_cast<float>(r * 16 + 2 * q + 2);
        const float got = dense[r * 32 + 4 * q + i];
        if (got != want && bad++ < 12)
          why << "row " << r << " group " << q << " pos " << i << ": got " << got << " want "
              << want << "\n";
      }
  EXPECT_EQ(bad, 0) << "mma.sp decodes the block differently from layout.cc:\n" << why.str();
}

TEST(MmaSpLayout, Float16MatchesLayout) {
  HINM_SKIP_WITHOUT_GPU();
  for (uint64_t seed = 1; seed <= 4; ++seed) CheckMapping(DType::kFloat16, seed);
}

TEST(MmaSpLayout, BFloat16MatchesLayout) {
  HINM_SKIP_WITHOUT_GPU();
  for (uint64_t seed = 1; seed <= 4; ++seed) CheckMapping(DType::kBFloat16, seed);
}

}  // namespace
