// The SpMM planner on the host (no GPU needed; runs in CI). Its workspace
// decisions: at N = 1 on sm_90 the vector config reads B in place wherever it
// can read B, so such a call needs no room for a packed B; everywhere else the
// pack stays, and the size query (b unknown) always covers it. Split-K
// partials are the same either way (the vector config runs the narrow plan).
// And its plans (SpmmPlanSummary) for the layers docs/performance.md measures.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "cuda/spmm_configs.h"
#include "cuda/spmm_params.h"
#include "tests/cuda/scoped_env.h"

namespace {

using hinm_cuda::DeviceInfo;
using hinm_cuda::ConfigId;
using hinm_cuda::KernelChoice;
using hinm_cuda::PlanChoice;
using hinm_cuda::SplitSum;
using hinm_cuda::SpmmParams;
using hinm_cuda::SpmmPlanSummary;
using hinm_cuda::SpmmPlanCandidates;
using hinm_cuda::SpmmWorkspaceBytes;
using hinm_test::ScopedEnv;

// A 16-byte aligned stand-in for B (never dereferenced by the planner).
const void* const kAlignedB = reinterpret_cast<const void*>(uintptr_t{1} << 20);

// keep_div: K / keep_div columns kept per tile (2: 75% sparsity, 4: 87.5%).
SpmmParams Problem(int32_t m, int32_t k, int32_t n, int32_t keep_div = 4) {
  SpmmParams p;
  p.m = m;
  p.k = k;
  p.n = n;
  p.tile_rows = 128;
  p.padded_slots = (k / keep_div + 31) / 32 * 32;
  p.ldb = n;
  return p;
}

size_t PackBytes(int32_t k) { return (static_cast<size_t>(k) * 8 * 2 + 255) / 256 * 256; }

const DeviceInfo kH100{132, 9, 0};
const DeviceInfo kA100{108, 8, 0};

TEST(SpmmPlan, VectorBNeedsNoPackAtN1) {
  SpmmParams p = Problem(4096, 4096, 1);  // 87.5%
  const size_t query = SpmmWorkspaceBytes(p, kH100);  // b unknown: plans the pack
  ASSERT_GE(query, PackBytes(p.k));
  for (int offset : {0, 2, 6}) {  // any element alignment (the kernel copies aligned pairs)
    p.b = static_cast<const char*>(kAlignedB) + offset;
    for (int64_t ldb : {1, 3, 9, 4096}) {
      p.ldb = ldb;
      EXPECT_EQ(SpmmWorkspaceBytes(p, kH100), query - PackBytes(p.k))
          << "ldb " << ldb << " offset " << offset;
    }
  }
  p.b = kAlignedB;
  p.b_token_major = true;  // a 1 x K row: stride 1
  p.ldb = p.k;
  EXPECT_EQ(SpmmWorkspaceBytes(p, kH100), query - PackBytes(p.k));
}

// On sm_90 every N = 1 shape reads B in place: 75% and 87.5% sparsity, split
// K or not (all measured faster than the pack on an H100). Every other GPU
// keeps the pack (not measured); HINM_SPMM_VECTOR_B=1 forces the vector
// config there, =0 the pack on sm_90.
TEST(SpmmPlan, VectorBOnSm90OnlyUnlessForced) {
  for (const SpmmParams& shape : {Problem(4096, 4096, 1, 2), Problem(28672, 8192, 1, 4),
                                  Problem(4096, 4096, 1, 4)}) {
    SpmmParams p = shape;
    const size_t h100_query = SpmmWorkspaceBytes(p, kH100);
    const size_t a100_query = SpmmWorkspaceBytes(p, kA100);
    ASSERT_GE(h100_query, PackBytes(p.k));
    ASSERT_GE(a100_query, PackBytes(p.k));
    p.b = kAlignedB;
    p.ldb = 1;
    EXPECT_EQ(SpmmWorkspaceBytes(p, kH100), h100_query - PackBytes(p.k)) << "M " << p.m;
    EXPECT_EQ(SpmmWorkspaceBytes(p, kA100), a100_query) << "M " << p.m;
    {
      ScopedEnv on("HINM_SPMM_VECTOR_B", "1");
      EXPECT_EQ(SpmmWorkspaceBytes(p, kA100), a100_query - PackBytes(p.k)) << "M " << p.m;
    }
    ScopedEnv off("HINM_SPMM_VECTOR_B", "0");
    EXPECT_EQ(SpmmWorkspaceBytes(p, kH100), h100_query) << "M " << p.m;
  }
}

TEST(SpmmPlan, PackStaysWhereVectorBCannotRead) {
  SpmmParams p = Problem(256, 1024, 1);
  const size_t query = SpmmWorkspaceBytes(p, kH100);
  p.b = static_cast<const char*>(kAlignedB) + 1;  // not even element-aligned
  p.ldb = 1;
  EXPECT_EQ(SpmmWorkspaceBytes(p, kH100), query);
  p.b = kAlignedB;
  p.ldb = int64_t{1} << 21;  // the column spans more than 2^31 bytes
  EXPECT_EQ(SpmmWorkspaceBytes(p, kH100), query);
  p.ldb = 1;
  {
    ScopedEnv off("HINM_SPMM_VECTOR_B", "0");
    EXPECT_EQ(SpmmWorkspaceBytes(p, kH100), query);
  }
  {
    ScopedEnv narrow("HINM_SPMM_CONFIG", "narrow_128x16");
    EXPECT_EQ(SpmmWorkspaceBytes(p, kH100), query);
  }
  EXPECT_EQ(SpmmWorkspaceBytes(p, kH100), query - PackBytes(p.k));
  SpmmParams two = Problem(256, 1024, 2);  // vector B is N = 1 only
  const size_t two_query = SpmmWorkspaceBytes(two, kH100);
  EXPECT_GE(two_query, PackBytes(two.k));
  two.b = kAlignedB;
  two.ldb = 2;
  EXPECT_EQ(SpmmWorkspaceBytes(two, kH100), two_query);
}

// The planner's plans for the LLaMA-size layers of docs/performance.md on an
// H100 (a change to its cost models shows up here first):
// decode layers split K until every SM streams weights: up to 4 splits
// summed in a cluster; 5-8 in a cluster (the _c8 configs) where the
// partials' fixed cost outweighs a larger cluster's slower k-loop and each
// split keeps at least 8 k-blocks (4096x11008 at 87.5%, 4096x4096 and
// 5120x5120 at 75%; not 4096x4096 at 87.5%, never at N = 64); more splits
// through partials; 28672x8192 fills the GPU unsplit; N = 1 reads B in
// place (vector config); N >= 256 is wgmma.sp where its work units fill
// more than half of the SMs (it cannot split K), else mma.sp with a split
// (the 32-tile layers at N = 256).
TEST(SpmmPlan, LlamaLayersOnH100) {
  struct Row {
    int32_t m, k, n, keep_div;
    const char* plan;
  } rows[] = {
      {8192, 8192, 1, 2, "mma.sp vector_128x8 ctas=64 splits=4 sum=cluster kb=32 b=in-place"},
      {8192, 8192, 1, 4, "mma.sp vector_128x8 ctas=64 splits=4 sum=cluster kb=16 b=in-place"},
      {4096, 11008, 1, 2,
       "mma.sp vector_128x8 ctas=32 splits=7 sum=partials kb=25 b=in-place"},
      {4096, 11008, 1, 4,
       "mma.sp vector_128x8_c8 ctas=32 splits=8 sum=cluster kb=11 b=in-place"},
      {4096, 11008, 16, 2,
       "mma.sp narrow_128x16 ctas=32 splits=7 sum=partials kb=25 b=in-place"},
      {4096, 11008, 16, 4,
       "mma.sp narrow_128x16_c8 ctas=32 splits=8 sum=cluster kb=11 b=in-place"},
      {4096, 11008, 64, 4,
       "mma.sp mid_128x64 ctas=32 splits=11 sum=partials kb=8 b=in-place"},
      {4096, 4096, 1, 2, "mma.sp vector_128x8_c8 ctas=32 splits=8 sum=cluster kb=8 b=in-place"},
      {4096, 4096, 1, 4, "mma.sp vector_128x8 ctas=32 splits=4 sum=cluster kb=8 b=in-place"},
      {5120, 5120, 16, 2,
       "mma.sp narrow_128x16_c8 ctas=40 splits=8 sum=cluster kb=10 b=in-place"},
      {11008, 4096, 16, 2,
       "mma.sp narrow_128x16 ctas=86 splits=4 sum=cluster kb=16 b=in-place"},
      {28672, 8192, 1, 2,
       "mma.sp vector_128x8 ctas=224 splits=1 sum=none kb=128 b=in-place"},
      {28672, 8192, 16, 4,
       "mma.sp narrow_128x16 ctas=224 splits=1 sum=none kb=64 b=in-place"},
      {8192, 8192, 64, 2,
       "mma.sp mid_128x64 ctas=64 splits=6 sum=partials kb=22 b=in-place"},
      {8192, 8192, 128, 2,
       "mma.sp wide_128x128 ctas=64 splits=4 sum=partials kb=32 b=in-place"},
      {8192, 8192, 4096, 2, "wgmma.sp bn=256 grid=132 b=in-place"},
      {8192, 8192, 4096, 4, "wgmma.sp bn=256 grid=132 b=in-place"},
      {8192, 8192, 256, 2, "wgmma.sp bn=128 grid=128 b=in-place"},
      {11008, 4096, 256, 2, "wgmma.sp bn=256 grid=86 b=in-place"},
      {4096, 11008, 256, 2,
       "mma.sp wide_128x128 ctas=64 splits=4 sum=partials kb=43 b=in-place"},
      {4096, 4096, 256, 4, "mma.sp wide_128x128 ctas=64 splits=4 sum=partials kb=8 b=in-place"},
      {4096, 11008, 512, 2, "wgmma.sp bn=128 grid=128 b=in-place"},
  };
  for (const Row& r : rows) {
    SpmmParams p = Problem(r.m, r.k, r.n, r.keep_div);
    p.b = kAlignedB;
    EXPECT_EQ(SpmmPlanSummary(p, kH100), r.plan) << r.m << "x" << r.k << " N " << r.n;
  }
}

// Without clusters (A100) decode splits go through partials, and N = 1 packs
// B (vector B is measured on sm_90 only), as does B whose rows are not
// 16-byte aligned.
TEST(SpmmPlan, DecodeOnA100) {
  SpmmParams p = Problem(8192, 8192, 1, 4);
  p.b = kAlignedB;
  EXPECT_EQ(SpmmPlanSummary(p, kA100),
            "mma.sp narrow_128x16 ctas=64 splits=6 sum=partials kb=11 b=packed");
  p = Problem(8192, 8192, 16, 4);
  p.b = kAlignedB;
  EXPECT_EQ(SpmmPlanSummary(p, kA100),
            "mma.sp narrow_128x16 ctas=64 splits=6 sum=partials kb=11 b=in-place");
  p.b = static_cast<const char*>(kAlignedB) + 8;  // rows not 16-byte aligned
  EXPECT_EQ(SpmmPlanSummary(p, kA100),
            "mma.sp narrow_128x16 ctas=64 splits=6 sum=partials kb=11 b=packed");
}

// The wgmma.sp row slice. At V = 256 the planner takes 256-row slices (token
// tile 128, one CTA per tile) where their waves cost least: at N = 512 and
// 4096 on 8192x8192, not at N = 256, where 128-row slices of token tile 128
// fill twice the SMs. HINM_SPMM_WGMMA_ROWS overrides it where V allows, and
// HINM_SPMM_WGMMA_BN=256 implies 128-row slices.
TEST(SpmmPlan, WgmmaRowSlice) {
  SpmmParams p = Problem(8192, 8192, 4096, 2);
  p.b = kAlignedB;
  p.tile_rows = 256;
  EXPECT_EQ(SpmmPlanSummary(p, kH100), "wgmma.sp bn=128 rows=256 grid=132 b=in-place");
  p.n = p.ldb = 512;
  EXPECT_EQ(SpmmPlanSummary(p, kH100), "wgmma.sp bn=128 rows=256 grid=128 b=in-place");
  p.n = p.ldb = 256;
  EXPECT_EQ(SpmmPlanSummary(p, kH100), "wgmma.sp bn=128 grid=128 b=in-place");
  {
    // 64 units leave more than half of the SMs idle: the planner itself
    // would then run mma.sp, so the kernel is forced here.
    ScopedEnv rows("HINM_SPMM_WGMMA_ROWS", "256");
    p.kernel = KernelChoice::kWgmmaSp;
    EXPECT_EQ(SpmmPlanSummary(p, kH100), "wgmma.sp bn=128 rows=256 grid=64 b=in-place");
    p.kernel = KernelChoice::kAuto;
  }
  p.n = p.ldb = 4096;
  {
    ScopedEnv rows("HINM_SPMM_WGMMA_ROWS", "128");
    EXPECT_EQ(SpmmPlanSummary(p, kH100), "wgmma.sp bn=256 grid=132 b=in-place");
  }
  {
    ScopedEnv bn("HINM_SPMM_WGMMA_BN", "256");
    EXPECT_EQ(SpmmPlanSummary(p, kH100), "wgmma.sp bn=256 grid=132 b=in-place");
  }
  // V = 128: the knob is ignored.
  ScopedEnv rows("HINM_SPMM_WGMMA_ROWS", "256");
  p.tile_rows = 128;
  EXPECT_EQ(SpmmPlanSummary(p, kH100), "wgmma.sp bn=256 grid=132 b=in-place");
}

TEST(SpmmPlan, SummaryOfEmptyProblem) {
  EXPECT_EQ(SpmmPlanSummary(Problem(128, 256, 0), kH100), "none (empty problem)");
}

// ---------------------------------------------------------------- candidates
// The plans the timed search (hinmSpMMSearch) compares.

// "splits=S sum=X" of a plan summary.
std::string SplitOf(const std::string& plan) {
  const size_t a = plan.find("splits="), b = plan.find(" kb=");
  return a == std::string::npos || b == std::string::npos ? plan : plan.substr(a, b - a);
}
std::string SplitText(const PlanChoice& c) {
  const char* sum = c.splits == 1 ? "none" : c.sum == SplitSum::kCluster ? "cluster" : "partials";
  return "splits=" + std::to_string(c.splits) + " sum=" + sum;
}
// A K split of the planner's kernel and config.
PlanChoice Split(int32_t splits, SplitSum sum) {
  PlanChoice c;
  c.splits = splits;
  c.sum = sum;
  return c;
}
PlanChoice Config(ConfigId id) {
  PlanChoice c;
  c.kernel = KernelChoice::kMmaSp;
  c.config = static_cast<int32_t>(id);
  return c;
}
std::string SummaryWith(SpmmParams p, const PlanChoice& c, const DeviceInfo& dev) {
  p.choice = c;
  return SpmmPlanSummary(p, dev);
}
std::vector<std::string> CandidateSummaries(const SpmmParams& p, const DeviceInfo& dev) {
  std::vector<std::string> out;
  for (const PlanChoice& c : SpmmPlanCandidates(p, dev)) out.push_back(SummaryWith(p, c, dev));
  return out;
}

// Every candidate is a distinct plan the launcher runs exactly as named
// (p.choice honoured: kernel, config, split), the planner's own comes first,
// and no candidate puts clusters where none can run.
void ExpectCandidatesWellFormed(const SpmmParams& p, const DeviceInfo& dev) {
  const std::vector<PlanChoice> c = SpmmPlanCandidates(p, dev);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(SummaryWith(p, c[0], dev), SpmmPlanSummary(p, dev)) << "planner's first";
  std::set<std::string> seen;
  for (const PlanChoice& s : c) {
    const std::string plan = SummaryWith(p, s, dev);
    EXPECT_TRUE(seen.insert(plan).second) << plan << " twice";
    ASSERT_NE(s.kernel, KernelChoice::kAuto) << "explicit kernel";
    if (s.kernel == KernelChoice::kWgmmaSp) {
      EXPECT_EQ(plan.rfind("wgmma.sp ", 0), 0u) << plan;
      EXPECT_EQ(dev.cc_major, 9) << "wgmma.sp off sm_90";
      continue;
    }
    EXPECT_EQ(plan.rfind("mma.sp ", 0), 0u) << plan;
    EXPECT_EQ(SplitOf(plan), SplitText(s));
    ASSERT_GE(s.config, 0);
    const std::string base = hinm_cuda::kConfigs[s.config].name;
    const bool runs_base = plan.find(base.substr(0, base.find('_'))) != std::string::npos ||
                           (s.config == static_cast<int>(ConfigId::kNarrow) &&
                            plan.find("vector_128x8") != std::string::npos);
    EXPECT_TRUE(runs_base) << plan << " for config " << base;
    EXPECT_TRUE(s.sum == SplitSum::kPartials || dev.cc_major == 9) << "cluster off sm_90";
  }
}

TEST(SpmmPlanCandidates, WellFormedOnLlamaLayers) {
  for (const DeviceInfo& dev : {kH100, kA100}) {
    for (auto [m, k] : {std::pair{8192, 8192}, {4096, 11008}, {11008, 4096}, {28672, 8192}}) {
      for (int32_t n : {1, 16, 64, 128, 256, 512, 4096}) {
        for (int32_t keep_div : {2, 4}) {
          SCOPED_TRACE(std::to_string(m) + "x" + std::to_string(k) + " N " + std::to_string(n) +
                       " keep 1/" + std::to_string(keep_div) + " sm" +
                       std::to_string(dev.cc_major));
          SpmmParams p = Problem(m, k, n, keep_div);
          p.b = kAlignedB;
          ExpectCandidatesWellFormed(p, dev);
        }
      }
    }
  }
}

TEST(SpmmPlanCandidates, DecodeLayerOnH100) {
  SpmmParams p = Problem(4096, 11008, 1, 4);
  p.b = kAlignedB;
  const std::vector<PlanChoice> c = SpmmPlanCandidates(p, kH100);
  ASSERT_FALSE(c.empty());
  EXPECT_EQ(SplitText(c[0]), "splits=8 sum=cluster");
  std::set<std::string> got;
  for (const PlanChoice& s : c) got.insert(SplitText(s));
  for (const char* want : {"splits=1 sum=none", "splits=2 sum=cluster", "splits=4 sum=cluster",
                           "splits=4 sum=partials", "splits=5 sum=cluster", "splits=8 sum=partials",
                           "splits=15 sum=partials"})
    EXPECT_EQ(got.count(want), 1u) << want;
  EXPECT_EQ(got.count("splits=18 sum=partials"), 0u) << "more CTAs than resident";
  EXPECT_EQ(got.count("splits=16 sum=partials"), 0u) << "16 splits of 6 leave one empty";
  EXPECT_EQ(got.count("splits=9 sum=cluster"), 0u) << "clusters of at most 8";
  // The mid config (N = 64) has no _c8 variant: its clusters stop at 4.
  p = Problem(4096, 11008, 64, 4);
  p.b = kAlignedB;
  got.clear();
  for (const PlanChoice& s : SpmmPlanCandidates(p, kH100))
    if (s.config == static_cast<int>(ConfigId::kMid)) got.insert(SplitText(s));
  EXPECT_EQ(got.count("splits=4 sum=cluster"), 1u);
  EXPECT_EQ(got.count("splits=5 sum=cluster"), 0u);
}

// Nothing to choose: the wgmma.sp kernel at a large N (no mma.sp config
// suits N = 4096), and a grid that fills the GPU unsplit (28672x8192 at
// N = 16: 224 CTAs x 2 > 528; no other config suits N = 16).
TEST(SpmmPlanCandidates, OnlyThePlannersWhereNothingToChoose) {
  SpmmParams p = Problem(8192, 8192, 4096, 2);
  p.b = kAlignedB;
  EXPECT_EQ(SpmmPlanCandidates(p, kH100).size(), 1u);
  p = Problem(28672, 8192, 16, 2);
  p.b = kAlignedB;
  const std::vector<PlanChoice> c = SpmmPlanCandidates(p, kH100);
  EXPECT_LE(c.size(), 3u);  // unsplit, and 2 splits as partials or a cluster
  for (const PlanChoice& s : c) {
    EXPECT_LE(s.splits, 2);
    EXPECT_EQ(s.config, static_cast<int>(ConfigId::kNarrow));
  }
  EXPECT_TRUE(SpmmPlanCandidates(Problem(128, 256, 0), kH100).empty());
}

// Between decode and prefill the search also times the other kernel and
// configs (measured: mid beat the planner's wide at N = 128 on 11008x4096
// 87.5% by 19%, and wgmma.sp beat mma.sp there by 2%; 2026-12-07 kernel
// choice log).
TEST(SpmmPlanCandidates, OtherKernelsAndConfigsBetweenDecodeAndPrefill) {
  SpmmParams p = Problem(11008, 4096, 128, 4);
  p.b = kAlignedB;
  std::vector<std::string> plans = CandidateSummaries(p, kH100);
  ASSERT_FALSE(plans.empty());
  EXPECT_EQ(plans[0].rfind("mma.sp wide_128x128 ", 0), 0u) << plans[0];
  const auto has = [&](const char* prefix) {
    for (const std::string& s : plans)
      if (s.rfind(prefix, 0) == 0) return true;
    return false;
  };
  EXPECT_TRUE(has("mma.sp mid_128x64 "));
  EXPECT_TRUE(has("wgmma.sp "));
  EXPECT_TRUE(has("mma.sp narrow_128x16 ")) << "token tiles of at least N / 8";
  p.n = 129;
  plans = CandidateSummaries(p, kH100);
  EXPECT_FALSE(has("mma.sp narrow_128x16 ")) << "16-token tiles stop at N = 128";
  p.n = 128;
  // No wgmma.sp off sm_90; mid and wide there too.
  plans = CandidateSummaries(p, kA100);
  EXPECT_FALSE(has("wgmma.sp "));
  EXPECT_TRUE(has("mma.sp mid_128x64 "));
  // Where the planner runs wgmma.sp (8192x8192 N = 256), mma.sp is timed too.
  p = Problem(8192, 8192, 256, 2);
  p.b = kAlignedB;
  plans = CandidateSummaries(p, kH100);
  EXPECT_EQ(plans[0].rfind("wgmma.sp ", 0), 0u) << plans[0];
  EXPECT_TRUE(has("mma.sp wide_128x128 "));
  EXPECT_TRUE(has("mma.sp mid_128x64 "));
  // A caller's forced kernel leaves no other kernel or config.
  p.kernel = KernelChoice::kWgmmaSp;
  EXPECT_EQ(SpmmPlanCandidates(p, kH100).size(), 1u);
}

// A choice of kernel or config from outside overrides the planner's; a
// wgmma.sp choice where the device cannot run it, and a config that is not
// one the planner picks by N, are ignored; the caller's kernel wins.
TEST(SpmmPlanCandidates, KernelAndConfigOverride) {
  SpmmParams p = Problem(11008, 4096, 128, 4);
  p.b = kAlignedB;
  EXPECT_EQ(SummaryWith(p, Config(ConfigId::kMid), kH100).rfind("mma.sp mid_128x64 ", 0), 0u);
  PlanChoice w;
  w.kernel = KernelChoice::kWgmmaSp;
  EXPECT_EQ(SummaryWith(p, w, kH100).rfind("wgmma.sp ", 0), 0u);
  EXPECT_EQ(SummaryWith(p, w, kA100), SpmmPlanSummary(p, kA100)) << "not on sm_80";
  EXPECT_EQ(SummaryWith(p, Config(ConfigId::kVectorC8), kH100), SpmmPlanSummary(p, kH100));
  PlanChoice bad = Config(ConfigId::kMid);
  bad.config = 99;
  EXPECT_EQ(SummaryWith(p, bad, kH100), SpmmPlanSummary(p, kH100));
  p.kernel = KernelChoice::kMmaSp;
  EXPECT_EQ(SummaryWith(p, w, kH100), SpmmPlanSummary(p, kH100)) << "caller's kernel first";
  // Narrow chosen at N = 1 still reads B in place (vector config).
  p = Problem(8192, 8192, 1, 4);
  p.b = kAlignedB;
  EXPECT_NE(SummaryWith(p, Config(ConfigId::kNarrow), kH100).find("vector_128x8"),
            std::string::npos);
}

// A split from outside (the search's result) overrides the planner's; 5-8
// splits in a cluster run on the _c8 config; a cluster that cannot run (no
// clusters before sm_90, more than 8 splits, the mid config past 4) falls
// back to partials; more splits than k-blocks are clamped.
TEST(SpmmPlanCandidates, SplitOverride) {
  SpmmParams p = Problem(8192, 8192, 16, 4);
  p.b = kAlignedB;
  p.choice = Split(3, SplitSum::kCluster);
  EXPECT_EQ(SplitOf(SpmmPlanSummary(p, kH100)), "splits=3 sum=cluster");
  EXPECT_EQ(SplitOf(SpmmPlanSummary(p, kA100)), "splits=3 sum=partials");
  p.choice = Split(6, SplitSum::kCluster);
  EXPECT_EQ(SplitOf(SpmmPlanSummary(p, kH100)), "splits=6 sum=cluster");
  EXPECT_NE(SpmmPlanSummary(p, kH100).find("narrow_128x16_c8"), std::string::npos);
  p.choice = Split(3, SplitSum::kCluster);
  EXPECT_NE(SpmmPlanSummary(p, kH100).find("narrow_128x16 "), std::string::npos);
  p.choice = Split(10, SplitSum::kCluster);  // 64 k-blocks: 10 splits of 7 (9 of 8 would be 8)
  EXPECT_EQ(SplitOf(SpmmPlanSummary(p, kH100)), "splits=10 sum=partials");
  SpmmParams mid = Problem(8192, 8192, 64, 4);
  mid.b = kAlignedB;
  mid.choice = Split(6, SplitSum::kCluster);
  EXPECT_EQ(SplitOf(SpmmPlanSummary(mid, kH100)), "splits=6 sum=partials");
  p.choice = Split(1, SplitSum::kPartials);
  EXPECT_EQ(SplitOf(SpmmPlanSummary(p, kH100)), "splits=1 sum=none");
  p.choice = Split(1000, SplitSum::kPartials);
  EXPECT_EQ(SplitOf(SpmmPlanSummary(p, kH100)), "splits=64 sum=partials");  // 64 k-blocks
  // The workspace follows the split: partials need room, a cluster none.
  p.choice = Split(4, SplitSum::kCluster);
  EXPECT_EQ(SpmmWorkspaceBytes(p, kH100), 0u);
  p.choice = Split(4, SplitSum::kPartials);
  EXPECT_GE(SpmmWorkspaceBytes(p, kH100), 4u * 8192 * 16 * 4);
}

}  // namespace
