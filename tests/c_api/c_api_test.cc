// The C API, through hinm.h only: every function with each bad argument in
// turn (exact status + a message naming the argument), and the success paths
// checked against independent references (naive HiNM invariants, an fp64
// product of the decompressed matrix, round trips through files and memory).
// The one exception: files with tuned plans, which only a GPU search can
// store in a descriptor, are made with the core's Serialize.
#include "hinm/hinm.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <atomic>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <limits>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "cpp/hinm/serialize.h"
#include "cpp/hinm/tuned_plans.h"
#include "tests/c_api/serialized_bytes.h"

namespace {

using hinm_capi_test::SerializedBytes;

std::string LastMessage() { return hinmGetLastErrorMessage(); }

// Asserts the status and that the thread's message is non-empty and names
// `needle` (the argument).
#define EXPECT_STATUS(call, status, needle)                                             \
  do {                                                                                \
    const hinmStatus_t s_ = (call);                                                   \
    EXPECT_EQ(s_, status) << "got " << hinmGetErrorName(s_) << ": " << LastMessage(); \
    const std::string m_ = LastMessage();                                             \
    EXPECT_FALSE(m_.empty()) << #call;                                                \
    EXPECT_NE(m_.find(needle), std::string::npos)                                     \
        << "message '" << m_ << "' does not mention '" << needle << "'";              \
  } while (0)

#define ASSERT_OK(call)                                                                     \
  do {                                                                                      \
    const hinmStatus_t s_ = (call);                                                         \
    ASSERT_EQ(s_, HINM_STATUS_SUCCESS) << hinmGetErrorName(s_) << ": " << LastMessage(); \
  } while (0)

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir != nullptr ? dir : "/tmp") + "/" + name;
}

std::vector<uint8_t> ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

void WriteFile(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// Weights exactly representable in fp16 (multiples of 1/4 below 512) with
// distinct magnitudes, so pruning has no ties and decompression is exact.
std::vector<float> DistinctWeights(int64_t rows, int64_t cols, uint32_t seed) {
  std::vector<float> w(static_cast<size_t>(rows * cols));
  std::vector<int> mag(w.size());
  // At most 11 significant bits (exact in fp16); never zero.
  for (size_t i = 0; i < mag.size(); ++i) mag[i] = static_cast<int>(i % 2047) + 1;
  std::mt19937 rng(seed);
  std::shuffle(mag.begin(), mag.end(), rng);
  for (size_t i = 0; i < w.size(); ++i) {
    w[i] = static_cast<float>(mag[i]) * 0.25f * ((rng() & 1) ? -1.0f : 1.0f);
  }
  return w;
}

// Test fixture: one handle and a default config; a small descriptor on demand.
class CApi : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK(hinmCreate(&handle_));
    ASSERT_OK(hinmPruneConfigInit(&cfg_));
    cfg_.tile_rows = 16;
  }
  void TearDown() override {
    for (hinmDescriptor_t d : descs_) hinmDestroyDescriptor(d);
    hinmDestroy(handle_);
  }
  // M x K descriptor of DistinctWeights with cfg_ (must succeed).
  hinmDescriptor_t Make(int64_t rows, int64_t cols, uint32_t seed = 1) {
    weights_ = DistinctWeights(rows, cols, seed);
    hinmDescriptor_t d = nullptr;
    const hinmStatus_t s = hinmCreateDescriptor(handle_, &d, rows, cols, weights_.data(),
                                                HINM_R_32F, cols, nullptr, 0, &cfg_);
    EXPECT_EQ(s, HINM_STATUS_SUCCESS) << LastMessage();
    if (d != nullptr) descs_.push_back(d);
    return d;
  }
  hinmStatus_t Create(hinmDescriptor_t* d, int64_t rows, int64_t cols, const void* w,
                      hinmDataType_t t, int64_t ldw, const float* s, int64_t lds,
                      const hinmPruneConfig_t* cfg) {
    const hinmStatus_t st = hinmCreateDescriptor(handle_, d, rows, cols, w, t, ldw, s, lds, cfg);
    if (st == HINM_STATUS_SUCCESS) descs_.push_back(*d);
    return st;
  }
  std::vector<float> Decompressed(hinmDescriptor_t d, int64_t rows, int64_t cols) {
    std::vector<float> out(static_cast<size_t>(rows * cols), -12345.0f);
    EXPECT_EQ(hinmDecompress(d, out.data(), HINM_R_32F, cols), HINM_STATUS_SUCCESS)
        << LastMessage();
    return out;
  }

  hinmHandle_t handle_ = nullptr;
  hinmPruneConfig_t cfg_;
  std::vector<float> weights_;
  std::vector<hinmDescriptor_t> descs_;
};

// ============================================================ status names

TEST(CApiStatus, NamesAndStringsForEveryStatus) {
  std::set<std::string> names;
  for (int s = HINM_STATUS_SUCCESS; s <= HINM_STATUS_MISALIGNED; ++s) {
    const std::string name = hinmGetErrorName(static_cast<hinmStatus_t>(s));
    EXPECT_EQ(name.rfind("HINM_STATUS_", 0), 0u) << name;
    EXPECT_NE(name, "HINM_STATUS_UNKNOWN") << s;
    names.insert(name);
    const std::string text = hinmGetErrorString(static_cast<hinmStatus_t>(s));
    EXPECT_GT(text.size(), 10u) << s;
  }
  EXPECT_EQ(names.size(), 17u);  // all distinct
  EXPECT_STREQ(hinmGetErrorName(HINM_STATUS_CORRUPT_FILE), "HINM_STATUS_CORRUPT_FILE");
  EXPECT_STREQ(hinmGetErrorName(static_cast<hinmStatus_t>(99)), "HINM_STATUS_UNKNOWN");
  EXPECT_STREQ(hinmGetErrorName(static_cast<hinmStatus_t>(-1)), "HINM_STATUS_UNKNOWN");
  EXPECT_NE(hinmGetErrorString(static_cast<hinmStatus_t>(99)), nullptr);
}

TEST(CApiStatus, VersionMatchesHeader) {
  EXPECT_EQ(hinmGetVersion(), HINM_VERSION);
  EXPECT_EQ(HINM_VERSION, HINM_VERSION_MAJOR * 10000 + HINM_VERSION_MINOR * 100 +
                              HINM_VERSION_PATCH);
}

TEST(CApiStatus, MessageIsClearedBySuccessAndIsPerThread) {
  EXPECT_STATUS(hinmCreate(nullptr), HINM_STATUS_NULL_POINTER, "handle");
  // Another thread's failure does not touch this thread's message, and its
  // own message starts empty.
  std::string other_before, other_after;
  std::thread t([&] {
    other_before = LastMessage();
    hinmPruneConfigInit(nullptr);
    other_after = LastMessage();
  });
  t.join();
  EXPECT_EQ(other_before, "");
  EXPECT_NE(other_after.find("config"), std::string::npos);
  EXPECT_NE(LastMessage().find("hinmCreate"), std::string::npos);
  hinmPruneConfig_t cfg;
  ASSERT_OK(hinmPruneConfigInit(&cfg));
  EXPECT_EQ(LastMessage(), "");  // success clears it
}

// ================================================================ handles

TEST(CApiHandle, CreateNullOutPointer) {
  EXPECT_STATUS(hinmCreate(nullptr), HINM_STATUS_NULL_POINTER, "handle");
}

TEST(CApiHandle, DestroyNullAndTwice) {
  EXPECT_STATUS(hinmDestroy(nullptr), HINM_STATUS_NOT_INITIALIZED, "handle");
  hinmHandle_t h = nullptr;
  ASSERT_OK(hinmCreate(&h));
  ASSERT_OK(hinmDestroy(h));
  EXPECT_STATUS(hinmDestroy(h), HINM_STATUS_NOT_INITIALIZED, "handle");
}

TEST(CApiHandle, HasDeviceChecksArguments) {
  int32_t has = -1;
  EXPECT_STATUS(hinmHasDevice(nullptr, &has), HINM_STATUS_NOT_INITIALIZED, "handle");
  hinmHandle_t h = nullptr;
  ASSERT_OK(hinmCreate(&h));
  EXPECT_STATUS(hinmHasDevice(h, nullptr), HINM_STATUS_NULL_POINTER, "has_device");
  ASSERT_OK(hinmHasDevice(h, &has));
  EXPECT_TRUE(has == 0 || has == 1);
  ASSERT_OK(hinmDestroy(h));
  EXPECT_STATUS(hinmHasDevice(h, &has), HINM_STATUS_NOT_INITIALIZED, "handle");
}

// Autotuning is a per-handle switch, off by default, 0 or 1 only.
TEST(CApiHandle, AutotuneSwitch) {
  int32_t on = -1;
  EXPECT_STATUS(hinmGetAutotune(nullptr, &on), HINM_STATUS_NOT_INITIALIZED, "handle");
  EXPECT_STATUS(hinmSetAutotune(nullptr, 1), HINM_STATUS_NOT_INITIALIZED, "handle");
  hinmHandle_t h = nullptr, other = nullptr;
  ASSERT_OK(hinmCreate(&h));
  ASSERT_OK(hinmCreate(&other));
  ASSERT_OK(hinmGetAutotune(h, &on));
  EXPECT_EQ(on, 0);
  ASSERT_OK(hinmSetAutotune(h, 1));
  ASSERT_OK(hinmGetAutotune(h, &on));
  EXPECT_EQ(on, 1);
  ASSERT_OK(hinmGetAutotune(other, &on));
  EXPECT_EQ(on, 0) << "one handle's switch is its own";
  for (int32_t bad : {2, -1, 100}) {
    EXPECT_STATUS(hinmSetAutotune(h, bad), HINM_STATUS_INVALID_VALUE,
                  "on = " + std::to_string(bad));
  }
  ASSERT_OK(hinmGetAutotune(h, &on));
  EXPECT_EQ(on, 1) << "a refused value changes nothing";
  EXPECT_STATUS(hinmGetAutotune(h, nullptr), HINM_STATUS_NULL_POINTER, "on");
  ASSERT_OK(hinmSetAutotune(h, 0));
  ASSERT_OK(hinmGetAutotune(h, &on));
  EXPECT_EQ(on, 0);
  ASSERT_OK(hinmDestroy(other));
  ASSERT_OK(hinmDestroy(h));
}

TEST(CApiHandle, ForeignPointersAreNotHandles) {
  // A descriptor pointer is not a handle and vice versa; a stack address is
  // neither. The registry answers without dereferencing them.
  hinmHandle_t h = nullptr;
  ASSERT_OK(hinmCreate(&h));
  int32_t has = 0;
  int junk = 0;
  EXPECT_STATUS(hinmHasDevice(reinterpret_cast<hinmHandle_t>(&junk), &has),
                HINM_STATUS_NOT_INITIALIZED, "handle");
  EXPECT_STATUS(hinmDestroyDescriptor(reinterpret_cast<hinmDescriptor_t>(h)),
                HINM_STATUS_NOT_INITIALIZED, "desc");
  ASSERT_OK(hinmDestroy(h));
}

TEST(CApiHandle, ManyThreadsCreateAndDestroy) {
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        hinmHandle_t h = nullptr;
        if (hinmCreate(&h) != HINM_STATUS_SUCCESS) ++failures;
        if (hinmDestroy(h) != HINM_STATUS_SUCCESS) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
}

// ================================================================= config

TEST(CApiConfig, InitDefaultsAndNull) {
  EXPECT_STATUS(hinmPruneConfigInit(nullptr), HINM_STATUS_NULL_POINTER, "config");
  hinmPruneConfig_t c;
  std::memset(&c, 0xAB, sizeof(c));
  ASSERT_OK(hinmPruneConfigInit(&c));
  EXPECT_EQ(c.struct_size, sizeof(hinmPruneConfig_t));
  EXPECT_EQ(c.tile_rows, 128);
  EXPECT_EQ(c.vector_sparsity, 0.5);
  EXPECT_EQ(c.kept_cols, 0);
  EXPECT_EQ(c.value_type, HINM_R_16F);
  EXPECT_EQ(c.permute, HINM_PERMUTE_NONE);
  EXPECT_EQ(c.permute_algo, HINM_PERMUTE_ALGO_DEFAULT);
  EXPECT_EQ(c.seed, 0u);
  EXPECT_EQ(c.permute_max_failures, 0);
  EXPECT_EQ(c.permute_schedule, nullptr);
  EXPECT_EQ(c.permute_schedule_len, 0);
  EXPECT_EQ(c.num_threads, 0);
  EXPECT_EQ(c.progress, nullptr);
  EXPECT_EQ(c.progress_user_data, nullptr);
}

// =========================================================== create: args

class CApiCreate : public CApi {
 protected:
  void SetUp() override {
    CApi::SetUp();
    w_ = DistinctWeights(32, 16, 3);
  }
  // Expects the call to fail with status naming needle, leaving *desc as is.
  void ExpectFail(int64_t rows, int64_t cols, const void* w, hinmDataType_t t, int64_t ldw,
                  const float* s, int64_t lds, const hinmPruneConfig_t* cfg,
                  hinmStatus_t status, const std::string& needle) {
    hinmDescriptor_t d = reinterpret_cast<hinmDescriptor_t>(0x1234);
    EXPECT_STATUS(hinmCreateDescriptor(handle_, &d, rows, cols, w, t, ldw, s, lds, cfg), status,
                  needle);
    EXPECT_EQ(d, reinterpret_cast<hinmDescriptor_t>(0x1234)) << "desc changed on failure";
  }
  std::vector<float> w_;
};

TEST_F(CApiCreate, NullAndDestroyedHandle) {
  hinmDescriptor_t d = nullptr;
  EXPECT_STATUS(hinmCreateDescriptor(nullptr, &d, 32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0,
                                     &cfg_),
                HINM_STATUS_NOT_INITIALIZED, "handle");
  hinmHandle_t h = nullptr;
  ASSERT_OK(hinmCreate(&h));
  ASSERT_OK(hinmDestroy(h));
  EXPECT_STATUS(
      hinmCreateDescriptor(h, &d, 32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &cfg_),
      HINM_STATUS_NOT_INITIALIZED, "handle");
  EXPECT_EQ(d, nullptr);
}

TEST_F(CApiCreate, NullOutPointerAndWeights) {
  EXPECT_STATUS(hinmCreateDescriptor(handle_, nullptr, 32, 16, w_.data(), HINM_R_32F, 16,
                                     nullptr, 0, &cfg_),
                HINM_STATUS_NULL_POINTER, "desc");
  ExpectFail(32, 16, nullptr, HINM_R_32F, 16, nullptr, 0, &cfg_, HINM_STATUS_NULL_POINTER,
             "weights");
}

TEST_F(CApiCreate, RowsAndColsMustBePositive) {
  ExpectFail(0, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &cfg_, HINM_STATUS_INVALID_VALUE,
             "rows = 0");
  ExpectFail(-5, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &cfg_, HINM_STATUS_INVALID_VALUE,
             "rows = -5");
  ExpectFail(32, 0, w_.data(), HINM_R_32F, 16, nullptr, 0, &cfg_, HINM_STATUS_INVALID_VALUE,
             "cols = 0");
  ExpectFail(32, -1, w_.data(), HINM_R_32F, 16, nullptr, 0, &cfg_, HINM_STATUS_INVALID_VALUE,
             "cols = -1");
}

TEST_F(CApiCreate, BadWeightType) {
  ExpectFail(32, 16, w_.data(), static_cast<hinmDataType_t>(7), 16, nullptr, 0, &cfg_,
             HINM_STATUS_INVALID_DTYPE, "weight_type = 7");
  ExpectFail(32, 16, w_.data(), static_cast<hinmDataType_t>(-1), 16, nullptr, 0, &cfg_,
             HINM_STATUS_INVALID_DTYPE, "weight_type");
}

TEST_F(CApiCreate, LeadingDimensions) {
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 15, nullptr, 0, &cfg_, HINM_STATUS_INVALID_VALUE,
             "ldw = 15");
  std::vector<float> s(w_.size(), 1.0f);
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, s.data(), 8, &cfg_, HINM_STATUS_INVALID_VALUE,
             "lds = 8");
  // lds is ignored without saliency.
  hinmDescriptor_t d = nullptr;
  ASSERT_OK(Create(&d, 32, 16, w_.data(), HINM_R_32F, 16, nullptr, -7, &cfg_));
}

TEST_F(CApiCreate, SizeOverflow) {
  const int64_t big = int64_t{1} << 40;
  ExpectFail(big, big, w_.data(), HINM_R_32F, big, nullptr, 0, &cfg_, HINM_STATUS_SIZE_OVERFLOW,
             "weights");
  // Fits in elements but not in bytes.
  const int64_t huge = std::numeric_limits<int64_t>::max() / 2;
  ExpectFail(1, huge, w_.data(), HINM_R_32F, huge, nullptr, 0, &cfg_, HINM_STATUS_SIZE_OVERFLOW,
             "weights");
  std::vector<float> s(w_.size(), 1.0f);
  ExpectFail(4, 16, w_.data(), HINM_R_32F, 16, s.data(), huge, &cfg_,
             HINM_STATUS_SIZE_OVERFLOW, "saliency");
}

TEST_F(CApiCreate, FormatLimitsCheckedBeforeReadingWeights) {
  // 2^31 rows cannot be indexed by the int32 row permutation: rejected
  // before the (too small) weight buffer is read.
  ExpectFail(int64_t{1} << 31, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &cfg_,
             HINM_STATUS_SIZE_OVERFLOW, "2^31");
}

TEST_F(CApiCreate, NanAndInfWeights) {
  std::vector<float> w = w_;
  w[5 * 16 + 3] = std::nanf("");
  ExpectFail(32, 16, w.data(), HINM_R_32F, 16, nullptr, 0, &cfg_, HINM_STATUS_INVALID_VALUE,
             "weights[5][3]");
  w = w_;
  w[31 * 16 + 15] = -std::numeric_limits<float>::infinity();
  ExpectFail(32, 16, w.data(), HINM_R_32F, 16, nullptr, 0, &cfg_, HINM_STATUS_INVALID_VALUE,
             "weights[31][15]");
  // fp16 input: 0x7e00 is NaN.
  std::vector<uint16_t> h(32 * 16, 0x3c00);
  h[2 * 16 + 1] = 0x7e00;
  ExpectFail(32, 16, h.data(), HINM_R_16F, 16, nullptr, 0, &cfg_, HINM_STATUS_INVALID_VALUE,
             "weights[2][1]");
  // Padding between rows (ld > cols) is never read: a NaN there is fine.
  std::vector<float> padded(32 * 20, 1.0f);
  for (int r = 0; r < 32; ++r) padded[r * 20 + 17] = std::nanf("");
  hinmDescriptor_t d = nullptr;
  ASSERT_OK(Create(&d, 32, 16, padded.data(), HINM_R_32F, 20, nullptr, 0, &cfg_));
}

TEST_F(CApiCreate, BadSaliency) {
  std::vector<float> s(w_.size(), 1.0f);
  s[7 * 16 + 2] = -0.5f;
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, s.data(), 16, &cfg_, HINM_STATUS_INVALID_VALUE,
             "saliency[7][2]");
  s[7 * 16 + 2] = std::nanf("");
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, s.data(), 16, &cfg_, HINM_STATUS_INVALID_VALUE,
             "saliency[7][2]");
  s[7 * 16 + 2] = std::numeric_limits<float>::infinity();
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, s.data(), 16, &cfg_, HINM_STATUS_INVALID_VALUE,
             "saliency[7][2]");
}

TEST_F(CApiCreate, ConfigStructSizeTooSmall) {
  hinmPruneConfig_t c = cfg_;
  c.struct_size = 0;
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
             "struct_size = 0");
  c.struct_size = offsetof(hinmPruneConfig_t, progress_user_data);
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
             "struct_size");
  // A larger struct (a newer caller) is accepted.
  c.struct_size = sizeof(hinmPruneConfig_t) + 64;
  hinmDescriptor_t d = nullptr;
  ASSERT_OK(Create(&d, 32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c));
}

TEST_F(CApiCreate, ConfigTileRows) {
  for (int32_t v : {0, 8, 24, 272, 512, -16}) {
    hinmPruneConfig_t c = cfg_;
    c.tile_rows = v;
    ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
               "config->tile_rows = " + std::to_string(v));
  }
  for (int32_t v : {16, 32, 48, 256}) {  // valid, also V > M (padding rows)
    hinmPruneConfig_t c = cfg_;
    c.tile_rows = v;
    hinmDescriptor_t d = nullptr;
    ASSERT_OK(Create(&d, 32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c));
  }
}

TEST_F(CApiCreate, ConfigVectorSparsity) {
  for (double s : {1.0, -0.1, 1.5, std::nan(""), std::numeric_limits<double>::infinity()}) {
    hinmPruneConfig_t c = cfg_;
    c.vector_sparsity = s;
    ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
               "config->vector_sparsity");
  }
}

TEST_F(CApiCreate, ConfigKeptCols) {
  hinmPruneConfig_t c = cfg_;
  c.kept_cols = 6;  // not a multiple of 4
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
             "config->kept_cols = 6");
  c.kept_cols = -4;
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
             "config->kept_cols = -4");
  c.kept_cols = 20;  // > K = 16
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
             "config->kept_cols = 20");
  // K = 14: K_keep = 16 is allowed (K rounded up to 4; two padding slots).
  c.kept_cols = 16;
  std::vector<float> w = DistinctWeights(32, 14, 9);
  hinmDescriptor_t d = nullptr;
  ASSERT_OK(Create(&d, 32, 14, w.data(), HINM_R_32F, 14, nullptr, 0, &c));
  std::vector<int32_t> idx(2 * 16);
  ASSERT_OK(hinmGetColumnIndices(d, idx.data(), static_cast<int64_t>(idx.size())));
  for (int t = 0; t < 2; ++t) {
    int pads = 0;
    std::set<int32_t> cols;
    for (int s = 0; s < 16; ++s) {
      const int32_t v = idx[t * 16 + s];
      if (v == -1) {
        ++pads;
      } else {
        EXPECT_GE(v, 0);
        EXPECT_LT(v, 14);
        cols.insert(v);
      }
    }
    EXPECT_EQ(pads, 2);
    EXPECT_EQ(cols.size(), 14u);  // every column kept once
  }
  hinmDescriptorInfo_t info;
  ASSERT_OK(hinmGetDescriptorInfo(d, &info, sizeof(info)));
  EXPECT_EQ(info.vector_sparsity, 0.0);
}

TEST_F(CApiCreate, ConfigValueType) {
  for (int t : {7, -1, static_cast<int>(HINM_R_32F)}) {
    hinmPruneConfig_t c = cfg_;
    c.value_type = static_cast<hinmDataType_t>(t);
    ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_DTYPE,
               "config->value_type = " + std::to_string(t));
  }
}

TEST_F(CApiCreate, ConfigPermuteEnumsAndSchedule) {
  hinmPruneConfig_t c = cfg_;
  c.permute = static_cast<hinmPermute_t>(4);
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
             "config->permute = 4");
  c = cfg_;
  c.permute_algo = static_cast<hinmPermuteAlgo_t>(2);
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
             "config->permute_algo = 2");
  c = cfg_;
  c.permute_max_failures = -1;
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
             "config->permute_max_failures");
  c = cfg_;
  c.permute_schedule_len = 3;  // schedule NULL
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_NULL_POINTER,
             "config->permute_schedule");
  const int32_t bad_schedule[3] = {4, 0, 1};
  c.permute_schedule = bad_schedule;
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
             "config->permute_schedule[1] = 0");
  c.permute_schedule_len = 0;
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
             "config->permute_schedule_len");
  c = cfg_;
  c.num_threads = -2;
  ExpectFail(32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, &c, HINM_STATUS_INVALID_VALUE,
             "config->num_threads = -2");
}

TEST_F(CApiCreate, NullConfigMeansDefaults) {
  // Defaults: V = 128 (> M: one padded tile), vector sparsity 0.5.
  hinmDescriptor_t d = nullptr;
  ASSERT_OK(Create(&d, 32, 16, w_.data(), HINM_R_32F, 16, nullptr, 0, nullptr));
  hinmDescriptorInfo_t info;
  ASSERT_OK(hinmGetDescriptorInfo(d, &info, sizeof(info)));
  EXPECT_EQ(info.tile_rows, 128);
  EXPECT_EQ(info.num_tiles, 1);
  EXPECT_EQ(info.kept_cols, 8);
  EXPECT_EQ(info.value_type, HINM_R_16F);
}

// ==================================================== create: what it makes

// Independent check of the HiNM structure of `dense` (original row order)
// against `score` (the saliency used), given the tile order from the C API:
//  - per tile, `keep` distinct kept columns (fewer only if K < keep), and,
//    with `top_k_set`, their summed score >= every dropped column's (2CP's
//    default algorithm may exchange kept and dropped columns, so it passes
//    false; see docs/permutation.md);
//  - per row, each group of 4 slots has <= 2 nonzeros, and the 2 kept slots
//    score >= the 2 dropped ones;
//  - every nonzero equals the input weight (exact: fp16-representable).
void CheckHinmStructure(const std::vector<float>& w, const std::vector<float>& score,
                        const std::vector<float>& dense, int64_t M, int64_t K, int64_t V,
                        int64_t keep, const std::vector<int32_t>& perm,
                        const std::vector<int32_t>& idx, bool top_k_set = true) {
  const int64_t tiles = (M + V - 1) / V;
  int64_t nonzeros = 0;
  for (int64_t t = 0; t < tiles; ++t) {
    std::vector<int64_t> rows;
    for (int64_t p = t * V; p < std::min(M, (t + 1) * V); ++p) rows.push_back(perm[p]);
    std::vector<double> colsum(K, 0.0);
    for (int64_t r : rows)
      for (int64_t c = 0; c < K; ++c) colsum[c] += score[r * K + c];
    std::set<int32_t> kept;
    for (int64_t s = 0; s < keep; ++s) {
      const int32_t c = idx[t * keep + s];
      if (c >= 0) {
        EXPECT_TRUE(kept.insert(c).second) << "column " << c << " kept twice";
      }
    }
    double min_kept = 1e300, max_dropped = -1;
    for (int64_t c = 0; c < K; ++c) {
      if (kept.count(static_cast<int32_t>(c))) {
        min_kept = std::min(min_kept, colsum[c]);
      } else {
        max_dropped = std::max(max_dropped, colsum[c]);
      }
    }
    EXPECT_EQ(static_cast<int64_t>(kept.size()), std::min(keep, K)) << "tile " << t;
    if (top_k_set) {
      EXPECT_GE(min_kept, max_dropped) << "tile " << t << " kept a weaker column";
    }
    for (int64_t r : rows) {
      for (int64_t c = 0; c < K; ++c) {
        if (!kept.count(static_cast<int32_t>(c))) {
          EXPECT_EQ(dense[r * K + c], 0.0f) << "row " << r << " dropped column " << c;
        }
      }
      for (int64_t g = 0; g < keep / 4; ++g) {
        std::vector<std::pair<float, float>> slots;  // (score, dense)
        for (int j = 0; j < 4; ++j) {
          const int32_t c = idx[t * keep + 4 * g + j];
          if (c < 0) {
            slots.push_back({-1.0f, 0.0f});
          } else {
            slots.push_back({score[r * K + c], dense[r * K + c]});
            if (dense[r * K + c] != 0.0f) {
              EXPECT_EQ(dense[r * K + c], w[r * K + c]) << "value changed at " << r << "," << c;
              ++nonzeros;
            }
          }
        }
        int nz = 0;
        float min_nz = 1e30f, max_z = -1.0f;
        for (auto& s : slots) {
          if (s.second != 0.0f) {
            ++nz;
            min_nz = std::min(min_nz, s.first);
          } else {
            max_z = std::max(max_z, s.first);
          }
        }
        EXPECT_LE(nz, 2) << "row " << r << " group " << g;
        if (nz == 2) {
          EXPECT_GE(min_nz, max_z) << "row " << r << " group " << g;
        }
      }
    }
  }
  EXPECT_GT(nonzeros, 0);
}

TEST_F(CApi, PrunedStructureAndInfoAt75Percent) {
  const int64_t M = 48, K = 40;  // 3 tiles of 16; K_keep = 20 (not a multiple of 32)
  hinmDescriptor_t d = Make(M, K);
  ASSERT_NE(d, nullptr);
  hinmDescriptorInfo_t info;
  ASSERT_OK(hinmGetDescriptorInfo(d, &info, sizeof(info)));
  EXPECT_EQ(info.rows, M);
  EXPECT_EQ(info.cols, K);
  EXPECT_EQ(info.tile_rows, 16);
  EXPECT_EQ(info.kept_cols, 20);
  EXPECT_EQ(info.num_tiles, 3);
  EXPECT_EQ(info.value_type, HINM_R_16F);
  EXPECT_DOUBLE_EQ(info.sparsity, 0.75);
  EXPECT_DOUBLE_EQ(info.vector_sparsity, 0.5);
  // A quarter of the weights kept: a random quarter would retain 0.25 of |W|.
  EXPECT_GT(info.retained_saliency, 0.3);
  EXPECT_LE(info.retained_saliency, 1.0);
  // Bytes from the layout: slots padded to 32 per tile.
  const int64_t slots = 32, prows = 48;
  const int64_t expect_bytes = prows * slots / 2 * 2 + prows * slots / 32 * 4 + 3 * slots * 4;
  EXPECT_EQ(info.compressed_bytes, expect_bytes);
  EXPECT_EQ(info.dense_bytes, M * K * 2);
  EXPECT_DOUBLE_EQ(info.compression_ratio, static_cast<double>(M * K * 2) / expect_bytes);
  EXPECT_EQ(info.has_row_permutation, 0);
  EXPECT_EQ(info.has_column_permutation, 0);

  std::vector<int32_t> perm(M), idx(3 * 20);
  ASSERT_OK(hinmGetRowPermutation(d, perm.data(), M));
  for (int64_t i = 0; i < M; ++i) EXPECT_EQ(perm[i], i);  // identity without 2CP
  ASSERT_OK(hinmGetColumnIndices(d, idx.data(), static_cast<int64_t>(idx.size())));
  std::vector<float> score(weights_.size());
  for (size_t i = 0; i < score.size(); ++i) score[i] = std::fabs(weights_[i]);
  const std::vector<float> dense = Decompressed(d, M, K);
  CheckHinmStructure(weights_, score, dense, M, K, 16, 20, perm, idx);
  // Exactly 2 of every 4 slots survive (distinct nonzero weights).
  const int64_t nnz = std::count_if(dense.begin(), dense.end(), [](float v) { return v != 0; });
  EXPECT_EQ(nnz, M * K / 4);
  // Retained saliency recomputed from the decompressed matrix.
  double kept = 0, total = 0;
  for (size_t i = 0; i < dense.size(); ++i) {
    total += score[i];
    if (dense[i] != 0) kept += score[i];
  }
  EXPECT_NEAR(info.retained_saliency, kept / total, 1e-9);
}

TEST_F(CApi, SparsityLevelsFromVectorSparsityAndKeptCols) {
  const int64_t M = 32, K = 64;
  struct Case {
    double vs;
    int64_t kept;
    int64_t expect_keep;
    double expect_sparsity;
  };
  for (const Case& c : {Case{0.0, 0, 64, 0.5}, Case{0.5, 0, 32, 0.75}, Case{0.75, 0, 16, 0.875},
                        Case{0.875, 0, 8, 0.9375}, Case{0.5, 48, 48, 0.625}}) {
    cfg_.vector_sparsity = c.vs;
    cfg_.kept_cols = c.kept;
    hinmDescriptor_t d = Make(M, K, 5);
    ASSERT_NE(d, nullptr);
    hinmDescriptorInfo_t info;
    ASSERT_OK(hinmGetDescriptorInfo(d, &info, sizeof(info)));
    EXPECT_EQ(info.kept_cols, c.expect_keep) << c.vs;
    EXPECT_DOUBLE_EQ(info.sparsity, c.expect_sparsity) << c.vs;
    EXPECT_DOUBLE_EQ(info.vector_sparsity, 1.0 - static_cast<double>(c.expect_keep) / K);
    const std::vector<float> dense = Decompressed(d, M, K);
    const int64_t nnz = std::count_if(dense.begin(), dense.end(), [](float v) { return v != 0; });
    EXPECT_EQ(nnz, M * c.expect_keep / 2) << c.vs;
  }
}

TEST_F(CApi, SaliencyDecidesWhatIsKept) {
  const int64_t M = 32, K = 32;
  const std::vector<float> w = DistinctWeights(M, K, 11);
  // Saliency opposite to |W|: the smallest weights are the most salient.
  std::vector<float> s(M * K);
  for (size_t i = 0; i < s.size(); ++i) s[i] = 1000.0f - std::fabs(w[i]);
  hinmDescriptor_t d = nullptr;
  ASSERT_OK(Create(&d, M, K, w.data(), HINM_R_32F, K, s.data(), K, &cfg_));
  std::vector<int32_t> perm(M), idx(2 * 16);
  ASSERT_OK(hinmGetRowPermutation(d, perm.data(), M));
  ASSERT_OK(hinmGetColumnIndices(d, idx.data(), static_cast<int64_t>(idx.size())));
  CheckHinmStructure(w, s, Decompressed(d, M, K), M, K, 16, 16, perm, idx);
}

TEST_F(CApi, Fp16AndBf16InputsAndOutputs) {
  const int64_t M = 16, K = 16;
  std::vector<uint16_t> h(M * K), bf(M * K);
  std::vector<float> f(M * K);
  for (int64_t i = 0; i < M * K; ++i) {
    // Small integers with distinct magnitudes: exact in fp16 and bf16.
    const float v = static_cast<float>((i % 2 ? -1 : 1) * (i + 1));
    f[i] = v;
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    bf[i] = static_cast<uint16_t>(bits >> 16);  // exact: low 16 bits are zero
  }
  // fp16 bits of small integers, built by hand: sign | exponent | mantissa.
  for (int64_t i = 0; i < M * K; ++i) {
    const int mag = static_cast<int>(i + 1);
    int e = 0;
    while ((mag >> e) > 1) ++e;
    const uint16_t mant = static_cast<uint16_t>(((mag << 10) >> e) & 0x3ff);
    h[i] = static_cast<uint16_t>((i % 2 ? 0x8000 : 0) | ((e + 15) << 10) | mant);
  }
  hinmDescriptor_t d32 = nullptr, d16 = nullptr, dbf = nullptr;
  ASSERT_OK(Create(&d32, M, K, f.data(), HINM_R_32F, K, nullptr, 0, &cfg_));
  ASSERT_OK(Create(&d16, M, K, h.data(), HINM_R_16F, K, nullptr, 0, &cfg_));
  cfg_.value_type = HINM_R_16BF;
  ASSERT_OK(Create(&dbf, M, K, bf.data(), HINM_R_16BF, K, nullptr, 0, &cfg_));
  const std::vector<float> a = Decompressed(d32, M, K);
  EXPECT_EQ(a, Decompressed(d16, M, K));
  EXPECT_EQ(a, Decompressed(dbf, M, K));
  // 16-bit outputs with a padded leading dimension: pads untouched.
  std::vector<uint16_t> out16(M * (K + 3), 0xffff), outbf(M * (K + 3), 0xffff);
  ASSERT_OK(hinmDecompress(d16, out16.data(), HINM_R_16F, K + 3));
  ASSERT_OK(hinmDecompress(dbf, outbf.data(), HINM_R_16BF, K + 3));
  for (int64_t r = 0; r < M; ++r) {
    for (int64_t c = 0; c < K; ++c) {
      const bool kept = a[r * K + c] != 0.0f;
      EXPECT_EQ(out16[r * (K + 3) + c], kept ? h[r * K + c] : 0) << r << "," << c;
      EXPECT_EQ(outbf[r * (K + 3) + c], kept ? bf[r * K + c] : 0) << r << "," << c;
    }
    for (int64_t c = K; c < K + 3; ++c) EXPECT_EQ(out16[r * (K + 3) + c], 0xffff);
  }
}

int ProgressRecorder(double fraction, void* user) {
  static_cast<std::vector<double>*>(user)->push_back(fraction);
  return 0;
}
int ProgressCanceller(double, void* user) {
  ++*static_cast<int*>(user);
  return 1;
}

TEST_F(CApi, PermutationBothAxesIsAValidHinmMatrix) {
  const int64_t M = 64, K = 32;
  const std::vector<float> w = DistinctWeights(M, K, 21);
  std::vector<double> fractions;
  cfg_.permute = HINM_PERMUTE_BOTH;
  cfg_.seed = 7;
  cfg_.progress = ProgressRecorder;
  cfg_.progress_user_data = &fractions;
  hinmDescriptor_t d = nullptr;
  ASSERT_OK(Create(&d, M, K, w.data(), HINM_R_32F, K, nullptr, 0, &cfg_));
  std::vector<int32_t> perm(M), idx(4 * 16);
  ASSERT_OK(hinmGetRowPermutation(d, perm.data(), M));
  std::vector<int32_t> sorted = perm;
  std::sort(sorted.begin(), sorted.end());
  for (int64_t i = 0; i < M; ++i) EXPECT_EQ(sorted[i], i) << "not a permutation";
  ASSERT_OK(hinmGetColumnIndices(d, idx.data(), static_cast<int64_t>(idx.size())));
  std::vector<float> score(w.size());
  for (size_t i = 0; i < w.size(); ++i) score[i] = std::fabs(w[i]);
  // The default algorithm: kept sets may differ from the top-16 sets.
  CheckHinmStructure(w, score, Decompressed(d, M, K), M, K, 16, 16, perm, idx,
                     /*top_k_set=*/false);
  for (double f : fractions) {
    EXPECT_GE(f, 0.0);
    EXPECT_LE(f, 1.0);
  }
  {
    // The published algorithm keeps each tile's top-16 set.
    hinmPruneConfig_t pub = cfg_;
    pub.permute_algo = HINM_PERMUTE_ALGO_PUBLISHED;
    pub.progress = nullptr;
    hinmDescriptor_t dp = nullptr;
    ASSERT_OK(Create(&dp, M, K, w.data(), HINM_R_32F, K, nullptr, 0, &pub));
    std::vector<int32_t> perm_p(M), idx_p(4 * 16);
    ASSERT_OK(hinmGetRowPermutation(dp, perm_p.data(), M));
    ASSERT_OK(hinmGetColumnIndices(dp, idx_p.data(), static_cast<int64_t>(idx_p.size())));
    CheckHinmStructure(w, score, Decompressed(dp, M, K), M, K, 16, 16, perm_p, idx_p);
  }
  // 2CP never keeps less saliency than no permutation.
  hinmDescriptorInfo_t with, without;
  ASSERT_OK(hinmGetDescriptorInfo(d, &with, sizeof(with)));
  cfg_.permute = HINM_PERMUTE_NONE;
  hinmDescriptor_t plain = nullptr;
  ASSERT_OK(Create(&plain, M, K, w.data(), HINM_R_32F, K, nullptr, 0, &cfg_));
  ASSERT_OK(hinmGetDescriptorInfo(plain, &without, sizeof(without)));
  EXPECT_GE(with.retained_saliency, without.retained_saliency - 1e-12);
}

TEST_F(CApi, ProgressCallbackCancels) {
  const std::vector<float> w = DistinctWeights(64, 32, 22);
  int calls = 0;
  cfg_.permute = HINM_PERMUTE_BOTH;
  cfg_.progress = ProgressCanceller;
  cfg_.progress_user_data = &calls;
  hinmDescriptor_t d = nullptr;
  const hinmStatus_t s = hinmCreateDescriptor(handle_, &d, 64, 32, w.data(), HINM_R_32F, 32,
                                              nullptr, 0, &cfg_);
  if (calls == 0) {
    // The search finished without reporting progress: nothing to cancel.
    EXPECT_EQ(s, HINM_STATUS_SUCCESS) << LastMessage();
    if (s == HINM_STATUS_SUCCESS) descs_.push_back(d);
    GTEST_SKIP() << "2CP made no progress callback on this problem";
  }
  EXPECT_EQ(s, HINM_STATUS_CANCELLED) << LastMessage();
  EXPECT_FALSE(LastMessage().empty());
  EXPECT_EQ(d, nullptr);
}

// ============================================================ info & query

TEST_F(CApi, DescriptorInfoArguments) {
  hinmDescriptor_t d = Make(32, 16);
  hinmDescriptorInfo_t info;
  EXPECT_STATUS(hinmGetDescriptorInfo(nullptr, &info, sizeof(info)), HINM_STATUS_NOT_INITIALIZED,
                "desc");
  EXPECT_STATUS(hinmGetDescriptorInfo(d, nullptr, sizeof(info)), HINM_STATUS_NULL_POINTER,
                "info");
  EXPECT_STATUS(hinmGetDescriptorInfo(d, &info, 0), HINM_STATUS_INVALID_VALUE, "info_size");
  // An older, shorter struct: only its bytes are written.
  alignas(8) unsigned char buf[sizeof(hinmDescriptorInfo_t) + 8];
  std::memset(buf, 0xCD, sizeof(buf));
  const size_t old_size = offsetof(hinmDescriptorInfo_t, num_tiles);
  ASSERT_OK(hinmGetDescriptorInfo(d, reinterpret_cast<hinmDescriptorInfo_t*>(buf), old_size));
  int64_t rows = 0;
  std::memcpy(&rows, buf, sizeof(rows));
  EXPECT_EQ(rows, 32);
  for (size_t i = old_size; i < sizeof(buf); ++i) EXPECT_EQ(buf[i], 0xCD) << i;
}

TEST_F(CApi, RowPermutationArguments) {
  hinmDescriptor_t d = Make(32, 16);
  std::vector<int32_t> perm(40, -9);
  EXPECT_STATUS(hinmGetRowPermutation(nullptr, perm.data(), 32), HINM_STATUS_NOT_INITIALIZED,
                "desc");
  EXPECT_STATUS(hinmGetRowPermutation(d, nullptr, 32), HINM_STATUS_NULL_POINTER, "perm");
  EXPECT_STATUS(hinmGetRowPermutation(d, perm.data(), 31), HINM_STATUS_INVALID_VALUE,
                "count = 31");
  EXPECT_STATUS(hinmGetRowPermutation(d, perm.data(), -1), HINM_STATUS_INVALID_VALUE, "count");
  ASSERT_OK(hinmGetRowPermutation(d, perm.data(), 40));
  EXPECT_EQ(perm[31], 31);
  EXPECT_EQ(perm[32], -9);  // beyond M untouched
}

TEST_F(CApi, ColumnIndicesArguments) {
  hinmDescriptor_t d = Make(32, 16);  // 2 tiles x 8 kept
  std::vector<int32_t> idx(17, -9);
  EXPECT_STATUS(hinmGetColumnIndices(nullptr, idx.data(), 16), HINM_STATUS_NOT_INITIALIZED,
                "desc");
  EXPECT_STATUS(hinmGetColumnIndices(d, nullptr, 16), HINM_STATUS_NULL_POINTER, "idx");
  EXPECT_STATUS(hinmGetColumnIndices(d, idx.data(), 15), HINM_STATUS_INVALID_VALUE,
                "count = 15");
  ASSERT_OK(hinmGetColumnIndices(d, idx.data(), 17));
  for (int i = 0; i < 16; ++i) {
    EXPECT_GE(idx[i], 0);
    EXPECT_LT(idx[i], 16);
  }
  EXPECT_EQ(idx[16], -9);
}

TEST_F(CApi, FoldInputPermutationArguments) {
  hinmDescriptor_t d = Make(32, 16);
  std::vector<int32_t> perm(16);
  for (int i = 0; i < 16; ++i) perm[i] = 15 - i;
  hinmDescriptor_t out = reinterpret_cast<hinmDescriptor_t>(0x1);  // must stay unchanged
  EXPECT_STATUS(hinmFoldInputPermutation(nullptr, &out, d, perm.data(), 16),
                HINM_STATUS_NOT_INITIALIZED, "handle");
  EXPECT_STATUS(hinmFoldInputPermutation(handle_, nullptr, d, perm.data(), 16),
                HINM_STATUS_NULL_POINTER, "folded");
  EXPECT_STATUS(hinmFoldInputPermutation(handle_, &out, nullptr, perm.data(), 16),
                HINM_STATUS_NOT_INITIALIZED, "desc");
  EXPECT_STATUS(hinmFoldInputPermutation(handle_, &out, d, nullptr, 16),
                HINM_STATUS_NULL_POINTER, "perm");
  EXPECT_STATUS(hinmFoldInputPermutation(handle_, &out, d, perm.data(), 15),
                HINM_STATUS_INVALID_VALUE, "count = 15");
  perm[3] = 16;
  EXPECT_STATUS(hinmFoldInputPermutation(handle_, &out, d, perm.data(), 16),
                HINM_STATUS_INVALID_VALUE, "perm[3] = 16");
  perm[3] = 15;  // now 15 appears twice
  EXPECT_STATUS(hinmFoldInputPermutation(handle_, &out, d, perm.data(), 16),
                HINM_STATUS_INVALID_VALUE, "repeats");
  EXPECT_EQ(out, reinterpret_cast<hinmDescriptor_t>(0x1));

  // Success: B rows reversed; the folded descriptor on reversed B equals the
  // original on B (independent check: its own column indices map back).
  perm[3] = 12;
  ASSERT_OK(hinmFoldInputPermutation(handle_, &out, d, perm.data(), 16));
  descs_.push_back(out);
  std::vector<int32_t> ia(16), ib(16);
  ASSERT_OK(hinmGetColumnIndices(d, ia.data(), 16));
  ASSERT_OK(hinmGetColumnIndices(out, ib.data(), 16));
  for (int i = 0; i < 16; ++i) EXPECT_EQ(perm[ib[i]], ia[i]) << i;
  const int64_t N = 3;
  std::vector<float> b(16 * N), b_rev(16 * N), c(32 * N), c_fold(32 * N);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(i % 7) - 3.0f;
  for (int p = 0; p < 16; ++p)
    for (int t = 0; t < N; ++t) b_rev[p * N + t] = b[perm[p] * N + t];
  const float one = 1.0f, zero = 0.0f;
  ASSERT_OK(hinmSpMMHost(handle_, d, N, &one, b.data(), HINM_ORDER_FEATURE_MAJOR, N, &zero,
                         c.data(), HINM_ORDER_FEATURE_MAJOR, N, nullptr, HINM_R_32F,
                         HINM_ROWS_ORIGINAL));
  ASSERT_OK(hinmSpMMHost(handle_, out, N, &one, b_rev.data(), HINM_ORDER_FEATURE_MAJOR, N,
                         &zero, c_fold.data(), HINM_ORDER_FEATURE_MAJOR, N, nullptr, HINM_R_32F,
                         HINM_ROWS_ORIGINAL));
  EXPECT_EQ(c_fold, c);
}

TEST_F(CApi, DecompressArguments) {
  hinmDescriptor_t d = Make(32, 16);
  std::vector<float> out(32 * 16);
  EXPECT_STATUS(hinmDecompress(nullptr, out.data(), HINM_R_32F, 16), HINM_STATUS_NOT_INITIALIZED,
                "desc");
  EXPECT_STATUS(hinmDecompress(d, nullptr, HINM_R_32F, 16), HINM_STATUS_NULL_POINTER, "dense");
  EXPECT_STATUS(hinmDecompress(d, out.data(), static_cast<hinmDataType_t>(7), 16),
                HINM_STATUS_INVALID_DTYPE, "type = 7");
  EXPECT_STATUS(hinmDecompress(d, out.data(), HINM_R_32F, 15), HINM_STATUS_INVALID_VALUE,
                "ld = 15");
  EXPECT_STATUS(hinmDecompress(d, out.data(), HINM_R_32F, std::numeric_limits<int64_t>::max()),
                HINM_STATUS_SIZE_OVERFLOW, "dense");
}

TEST_F(CApi, DestroyedDescriptorEverywhere) {
  hinmDescriptor_t d = Make(32, 16);
  ASSERT_OK(hinmDestroyDescriptor(d));
  descs_.clear();
  hinmDescriptorInfo_t info;
  std::vector<float> buf(32 * 16);
  std::vector<int32_t> ints(64);
  size_t size = 0;
  const float one = 1, zero = 0;
  EXPECT_STATUS(hinmDestroyDescriptor(d), HINM_STATUS_NOT_INITIALIZED, "desc");
  EXPECT_STATUS(hinmGetDescriptorInfo(d, &info, sizeof(info)), HINM_STATUS_NOT_INITIALIZED,
                "desc");
  EXPECT_STATUS(hinmGetRowPermutation(d, ints.data(), 64), HINM_STATUS_NOT_INITIALIZED, "desc");
  EXPECT_STATUS(hinmGetColumnIndices(d, ints.data(), 64), HINM_STATUS_NOT_INITIALIZED, "desc");
  EXPECT_STATUS(hinmDecompress(d, buf.data(), HINM_R_32F, 16), HINM_STATUS_NOT_INITIALIZED,
                "desc");
  EXPECT_STATUS(hinmDescriptorToDevice(handle_, d, nullptr), HINM_STATUS_NOT_INITIALIZED, "desc");
  EXPECT_STATUS(hinmSaveDescriptor(d, TempPath("x.hinm").c_str()), HINM_STATUS_NOT_INITIALIZED,
                "desc");
  EXPECT_STATUS(hinmSerializedSize(d, &size), HINM_STATUS_NOT_INITIALIZED, "desc");
  EXPECT_STATUS(hinmSerialize(d, buf.data(), 100), HINM_STATUS_NOT_INITIALIZED, "desc");
  EXPECT_STATUS(hinmSpMMHost(handle_, d, 4, &one, buf.data(), HINM_ORDER_FEATURE_MAJOR, 4, &zero,
                             buf.data(), HINM_ORDER_FEATURE_MAJOR, 4, nullptr, HINM_R_32F,
                             HINM_ROWS_ORIGINAL),
                HINM_STATUS_NOT_INITIALIZED, "a");
  EXPECT_STATUS(hinmSpMM(handle_, d, 8, &one, buf.data(), HINM_ORDER_FEATURE_MAJOR, 8, &zero,
                         buf.data(), HINM_ORDER_FEATURE_MAJOR, 8, nullptr, HINM_R_16F,
                         HINM_ROWS_ORIGINAL, nullptr, 0, nullptr),
                HINM_STATUS_NOT_INITIALIZED, "a");
  EXPECT_STATUS(hinmSpMMWorkspaceSize(handle_, d, 8, HINM_ORDER_FEATURE_MAJOR,
                                      HINM_ORDER_FEATURE_MAJOR, &size),
                HINM_STATUS_NOT_INITIALIZED, "a");
}

// ============================================================= save / load

TEST_F(CApi, SaveLoadRoundTrip) {
  cfg_.permute = HINM_PERMUTE_BOTH;
  hinmDescriptor_t d = Make(48, 40, 31);
  const std::string path = TempPath("roundtrip.hinm");
  ASSERT_OK(hinmSaveDescriptor(d, path.c_str()));
  hinmDescriptor_t back = nullptr;
  ASSERT_OK(hinmLoadDescriptor(handle_, &back, path.c_str()));
  descs_.push_back(back);
  EXPECT_EQ(Decompressed(d, 48, 40), Decompressed(back, 48, 40));
  hinmDescriptorInfo_t a, b;
  ASSERT_OK(hinmGetDescriptorInfo(d, &a, sizeof(a)));
  ASSERT_OK(hinmGetDescriptorInfo(back, &b, sizeof(b)));
  EXPECT_EQ(std::memcmp(&a, &b, sizeof(a)), 0);
  std::vector<int32_t> pa(48), pb(48), ia(3 * 20), ib(3 * 20);
  ASSERT_OK(hinmGetRowPermutation(d, pa.data(), 48));
  ASSERT_OK(hinmGetRowPermutation(back, pb.data(), 48));
  ASSERT_OK(hinmGetColumnIndices(d, ia.data(), 60));
  ASSERT_OK(hinmGetColumnIndices(back, ib.data(), 60));
  EXPECT_EQ(pa, pb);
  EXPECT_EQ(ia, ib);
}

TEST_F(CApi, SaveArguments) {
  hinmDescriptor_t d = Make(32, 16);
  EXPECT_STATUS(hinmSaveDescriptor(nullptr, TempPath("a.hinm").c_str()),
                HINM_STATUS_NOT_INITIALIZED, "desc");
  EXPECT_STATUS(hinmSaveDescriptor(d, nullptr), HINM_STATUS_NULL_POINTER, "path");
  EXPECT_STATUS(hinmSaveDescriptor(d, ""), HINM_STATUS_INVALID_VALUE, "path");
  // A path below a regular file cannot be created, even by root.
  const std::string file = TempPath("plain_file");
  WriteFile(file, {1, 2, 3});
  EXPECT_STATUS(hinmSaveDescriptor(d, (file + "/x.hinm").c_str()), HINM_STATUS_IO_ERROR,
                "plain_file");
}

TEST_F(CApi, LoadArgumentsAndMissingFile) {
  hinmDescriptor_t d = nullptr;
  const std::string path = TempPath("does_not_exist.hinm");
  EXPECT_STATUS(hinmLoadDescriptor(nullptr, &d, path.c_str()), HINM_STATUS_NOT_INITIALIZED,
                "handle");
  EXPECT_STATUS(hinmLoadDescriptor(handle_, nullptr, path.c_str()), HINM_STATUS_NULL_POINTER,
                "desc");
  EXPECT_STATUS(hinmLoadDescriptor(handle_, &d, nullptr), HINM_STATUS_NULL_POINTER, "path");
  EXPECT_STATUS(hinmLoadDescriptor(handle_, &d, ""), HINM_STATUS_INVALID_VALUE, "path");
  EXPECT_STATUS(hinmLoadDescriptor(handle_, &d, path.c_str()), HINM_STATUS_IO_ERROR,
                "does_not_exist");
  EXPECT_EQ(d, nullptr);
}

class CApiCorruptFile : public CApi {
 protected:
  void SetUp() override {
    CApi::SetUp();
    hinmDescriptor_t d = Make(32, 64, 41);
    path_ = TempPath("good.hinm");
    ASSERT_OK(hinmSaveDescriptor(d, path_.c_str()));
    good_ = ReadFile(path_);
    ASSERT_GT(good_.size(), 64u);
  }
  // Loading `bytes` fails with status; no descriptor is made.
  void ExpectLoadFails(const std::vector<uint8_t>& bytes, hinmStatus_t status) {
    const std::string p = TempPath("bad.hinm");
    WriteFile(p, bytes);
    hinmDescriptor_t d = nullptr;
    const hinmStatus_t s = hinmLoadDescriptor(handle_, &d, p.c_str());
    EXPECT_EQ(s, status) << hinmGetErrorName(s) << ": " << LastMessage();
    EXPECT_FALSE(LastMessage().empty());
    EXPECT_EQ(d, nullptr);
    if (s == HINM_STATUS_SUCCESS) descs_.push_back(d);
    // The same bytes in memory fail the same way.
    hinmDescriptor_t m = nullptr;
    const hinmStatus_t sm = hinmDeserialize(handle_, &m, bytes.empty() ? good_.data() : bytes.data(),
                                            bytes.size());
    EXPECT_EQ(sm, status) << hinmGetErrorName(sm) << ": " << LastMessage();
    if (sm == HINM_STATUS_SUCCESS) descs_.push_back(m);
  }
  std::string path_;
  std::vector<uint8_t> good_;
};

TEST_F(CApiCorruptFile, EmptyAndTruncated) {
  ExpectLoadFails({}, HINM_STATUS_CORRUPT_FILE);
  for (size_t keep : {size_t{4}, size_t{8}, size_t{20}, good_.size() / 2, good_.size() - 1}) {
    ExpectLoadFails(std::vector<uint8_t>(good_.begin(), good_.begin() + keep),
                    HINM_STATUS_CORRUPT_FILE);
  }
}

TEST_F(CApiCorruptFile, BadMagicAndFlippedPayloadByte) {
  std::vector<uint8_t> bad = good_;
  bad[0] ^= 0xFF;
  ExpectLoadFails(bad, HINM_STATUS_CORRUPT_FILE);
  bad = good_;
  bad[bad.size() - 10] ^= 0x01;  // inside the last array: its checksum fails
  ExpectLoadFails(bad, HINM_STATUS_CORRUPT_FILE);
  bad = good_;
  bad[bad.size() / 2] ^= 0x40;
  ExpectLoadFails(bad, HINM_STATUS_CORRUPT_FILE);
}

TEST_F(CApiCorruptFile, UnknownFormatVersion) {
  // The version is the uint32 after the 8-byte magic (docs/format.md).
  std::vector<uint8_t> bad = good_;
  uint32_t version = 0;
  std::memcpy(&version, bad.data() + 8, 4);
  ASSERT_EQ(version, 2u) << "format layout changed: update this test";
  version = 999;
  std::memcpy(bad.data() + 8, &version, 4);
  ExpectLoadFails(bad, HINM_STATUS_VERSION_MISMATCH);
}

TEST_F(CApiCorruptFile, Garbage) {
  std::mt19937 rng(5);
  std::vector<uint8_t> junk(4096);
  for (auto& b : junk) b = static_cast<uint8_t>(rng());
  ExpectLoadFails(junk, HINM_STATUS_CORRUPT_FILE);
  // Right magic, garbage after it.
  std::copy(good_.begin(), good_.begin() + 8, junk.begin());
  hinmDescriptor_t d = nullptr;
  const hinmStatus_t s = hinmDeserialize(handle_, &d, junk.data(), junk.size());
  EXPECT_TRUE(s == HINM_STATUS_CORRUPT_FILE || s == HINM_STATUS_VERSION_MISMATCH)
      << hinmGetErrorName(s);
  EXPECT_EQ(d, nullptr);
}

// ===================================================== serialize in memory

TEST_F(CApi, SerializeRoundTripAndArguments) {
  hinmDescriptor_t d = Make(32, 16);
  size_t size = 0;
  EXPECT_STATUS(hinmSerializedSize(nullptr, &size), HINM_STATUS_NOT_INITIALIZED, "desc");
  EXPECT_STATUS(hinmSerializedSize(d, nullptr), HINM_STATUS_NULL_POINTER, "size");
  ASSERT_OK(hinmSerializedSize(d, &size));
  ASSERT_GT(size, 0u);
  std::vector<uint8_t> buf(size + 1, 0xEE);
  EXPECT_STATUS(hinmSerialize(d, nullptr, size), HINM_STATUS_NULL_POINTER, "buffer");
  EXPECT_STATUS(hinmSerialize(d, buf.data(), size - 1), HINM_STATUS_INVALID_VALUE,
                "size = " + std::to_string(size - 1));
  ASSERT_OK(hinmSerialize(d, buf.data(), size + 1));
  EXPECT_EQ(buf[size], 0xEE);
  // The same bytes as the file.
  const std::string path = TempPath("ser.hinm");
  ASSERT_OK(hinmSaveDescriptor(d, path.c_str()));
  EXPECT_EQ(ReadFile(path), std::vector<uint8_t>(buf.begin(), buf.begin() + size));

  hinmDescriptor_t back = nullptr;
  EXPECT_STATUS(hinmDeserialize(nullptr, &back, buf.data(), size), HINM_STATUS_NOT_INITIALIZED,
                "handle");
  EXPECT_STATUS(hinmDeserialize(handle_, nullptr, buf.data(), size), HINM_STATUS_NULL_POINTER,
                "desc");
  EXPECT_STATUS(hinmDeserialize(handle_, &back, nullptr, size), HINM_STATUS_NULL_POINTER,
                "buffer");
  EXPECT_STATUS(hinmDeserialize(handle_, &back, buf.data(), 0), HINM_STATUS_CORRUPT_FILE,
                "size");
  ASSERT_OK(hinmDeserialize(handle_, &back, buf.data(), size));
  descs_.push_back(back);
  EXPECT_EQ(Decompressed(d, 32, 16), Decompressed(back, 32, 16));
}

// hinmSerializedSize is exactly what hinmSerialize needs, for descriptors
// of several shapes, V, value types, sparsities and permutations: one byte
// less is refused with both sizes in the message and nothing written; that
// many is enough, and the bytes are the core's Serialize of the same matrix.
TEST_F(CApi, SerializedSizeIsExactlyWhatSerializeNeeds) {
  struct Config {
    int64_t rows, cols;
    int32_t tile_rows;
    double sparsity;
    hinmDataType_t value_type;
    hinmPermute_t permute;
  };
  const Config configs[] = {
      {32, 16, 16, 0.5, HINM_R_16F, HINM_PERMUTE_NONE},
      {33, 70, 32, 0.25, HINM_R_16BF, HINM_PERMUTE_NONE},
      {130, 64, 128, 0.75, HINM_R_16F, HINM_PERMUTE_BOTH},
      {48, 40, 16, 0.0, HINM_R_16BF, HINM_PERMUTE_OUTPUT},
      {17, 6, 48, 0.9, HINM_R_16F, HINM_PERMUTE_INPUT},
  };
  for (const Config& c : configs) {
    SCOPED_TRACE(std::to_string(c.rows) + "x" + std::to_string(c.cols));
    cfg_.tile_rows = c.tile_rows;
    cfg_.vector_sparsity = c.sparsity;
    cfg_.value_type = c.value_type;
    cfg_.permute = c.permute;
    const hinmDescriptor_t d = Make(c.rows, c.cols);
    ASSERT_NE(d, nullptr);
    size_t size = 0;
    ASSERT_OK(hinmSerializedSize(d, &size));
    std::vector<uint8_t> buf(size, 0xEE);
    EXPECT_STATUS(hinmSerialize(d, buf.data(), size - 1), HINM_STATUS_INVALID_VALUE,
                  "size = " + std::to_string(size - 1) + " is smaller than the " +
                      std::to_string(size) + " bytes needed");
    EXPECT_EQ(buf, std::vector<uint8_t>(size, 0xEE));
    ASSERT_OK(hinmSerialize(d, buf.data(), size));
    const hinm::CompressedMatrix m = hinm::Deserialize(buf.data(), buf.size());
    EXPECT_EQ(hinm::Serialize(m), buf);
    EXPECT_EQ(size, hinm::SerializedSize(m));
    // Room to spare: the same bytes, and the rest of the buffer untouched.
    std::vector<uint8_t> roomy(size + 100, 0xEE);
    ASSERT_OK(hinmSerialize(d, roomy.data(), roomy.size()));
    EXPECT_EQ(std::vector<uint8_t>(roomy.begin(), roomy.begin() + static_cast<ptrdiff_t>(size)),
              buf);
    EXPECT_EQ(std::vector<uint8_t>(roomy.begin() + static_cast<ptrdiff_t>(size), roomy.end()),
              std::vector<uint8_t>(100, 0xEE));
  }
}

// A descriptor carries the plans hinmSpMMSearch stored in it through
// every save/load path. No search can run without a GPU, so the file with
// plans is made by the core's Serialize from the descriptor's own bytes.
class CApiTunedPlans : public CApi {
 protected:
  void SetUp() override {
    CApi::SetUp();
    cfg_.permute = HINM_PERMUTE_BOTH;
    plain_ = Make(48, 40, 9);
    size_t size = 0;
    ASSERT_OK(hinmSerializedSize(plain_, &size));
    plain_bytes_.resize(size);
    ASSERT_OK(hinmSerialize(plain_, plain_bytes_.data(), size));
    const hinm::CompressedMatrix m = hinm::Deserialize(plain_bytes_.data(), size);
    const hinm::Order F = hinm::Order::kFeatureMajor, T = hinm::Order::kTokenMajor;
    const auto mma = [](int32_t splits, bool cluster) {
      return hinm::SpmmPlanChoice{hinm::GpuKernel::kMmaSp, "narrow_128x16", splits, cluster};
    };
    tuned_ = {
        {{{"NVIDIA H100 80GB HBM3", 9, 0, 132}, 1, F, F}, mma(6, true)},
        {{{"NVIDIA H100 80GB HBM3", 9, 0, 132}, 16, T, T}, mma(3, false)},
        {{{"NVIDIA H100 80GB HBM3", 9, 0, 132}, 256, F, F},
         {hinm::GpuKernel::kWgmmaSp, "", 0, false}},
        {{{"NVIDIA A100-SXM4-80GB", 8, 0, 108}, 16, F, T}, mma(2, false)},
    };
    tuned_bytes_ = hinm::Serialize(m, tuned_);
  }
  hinmDescriptor_t plain_ = nullptr;
  std::vector<uint8_t> plain_bytes_, tuned_bytes_;
  std::vector<hinm::TunedPlans::Entry> tuned_;
};

TEST_F(CApiTunedPlans, KeptByDeserializeSerializeSaveAndLoad) {
  ASSERT_GT(tuned_bytes_.size(), plain_bytes_.size());
  hinmDescriptor_t d = nullptr;
  ASSERT_OK(hinmDeserialize(handle_, &d, tuned_bytes_.data(), tuned_bytes_.size()));
  descs_.push_back(d);
  // Its size counts the plans: exactly the bytes of the file with them.
  size_t size = 0;
  ASSERT_OK(hinmSerializedSize(d, &size));
  EXPECT_EQ(size, tuned_bytes_.size());
  EXPECT_EQ(SerializedBytes(d), tuned_bytes_);
  EXPECT_EQ(Decompressed(d, 48, 40), Decompressed(plain_, 48, 40));
  // Saved to a file and loaded into another descriptor: the same bytes.
  const std::string path = TempPath("tuned.hinm");
  ASSERT_OK(hinmSaveDescriptor(d, path.c_str()));
  EXPECT_EQ(ReadFile(path), tuned_bytes_);
  hinmDescriptor_t loaded = nullptr;
  ASSERT_OK(hinmLoadDescriptor(handle_, &loaded, path.c_str()));
  descs_.push_back(loaded);
  EXPECT_EQ(SerializedBytes(loaded), tuned_bytes_);
  // Which entries they are: the core reads the descriptor's bytes back.
  std::vector<hinm::TunedPlans::Entry> back;
  const std::vector<uint8_t> again = SerializedBytes(loaded);
  hinm::Deserialize(again.data(), again.size(), &back);
  ASSERT_EQ(back.size(), tuned_.size());
  for (const hinm::TunedPlans::Entry& e : tuned_)
    EXPECT_NE(std::find(back.begin(), back.end(), e), back.end()) << e.problem.device.name;
  // A too-small buffer for them is refused, and nothing is written.
  std::vector<uint8_t> small(tuned_bytes_.size() - 1, 0xEE);
  EXPECT_STATUS(hinmSerialize(d, small.data(), small.size()), HINM_STATUS_INVALID_VALUE,
                "size = " + std::to_string(small.size()) + " is smaller than the " +
                    std::to_string(tuned_bytes_.size()) + " bytes needed");
  EXPECT_EQ(small, std::vector<uint8_t>(small.size(), 0xEE));
  // Room to spare: the file's bytes with the plans, the rest untouched.
  std::vector<uint8_t> roomy(tuned_bytes_.size() + 100, 0xEE);
  ASSERT_OK(hinmSerialize(d, roomy.data(), roomy.size()));
  EXPECT_EQ(std::vector<uint8_t>(roomy.begin(), roomy.end() - 100), tuned_bytes_);
  EXPECT_EQ(std::vector<uint8_t>(roomy.end() - 100, roomy.end()), std::vector<uint8_t>(100, 0xEE));
  // hinmSpMMWorkspaceSize still answers on a machine without a GPU (no
  // current device: no tuned plan applies).
  size_t ws = 1;
  ASSERT_OK(hinmSpMMWorkspaceSize(handle_, d, 16, HINM_ORDER_FEATURE_MAJOR,
                                  HINM_ORDER_TOKEN_MAJOR, &ws));
}

// hinmGetTunedPlans lists what a descriptor holds, in problem order, with
// a count query, a short capacity, an older (smaller) struct, and each bad
// argument refused.
TEST_F(CApiTunedPlans, ListedByGetTunedPlans) {
  hinmDescriptor_t d = nullptr;
  ASSERT_OK(hinmDeserialize(handle_, &d, tuned_bytes_.data(), tuned_bytes_.size()));
  descs_.push_back(d);
  int64_t count = -1;
  ASSERT_OK(hinmGetTunedPlans(d, nullptr, 0, sizeof(hinmTunedPlan_t), &count));
  ASSERT_EQ(count, static_cast<int64_t>(tuned_.size()));
  std::vector<hinm::TunedPlans::Entry> want = tuned_;
  std::sort(want.begin(), want.end(), [](const auto& a, const auto& b) { return a.problem < b.problem; });
  std::vector<hinmTunedPlan_t> got(want.size() + 2);
  std::memset(got.data(), 0x5A, got.size() * sizeof(hinmTunedPlan_t));
  count = -1;
  ASSERT_OK(hinmGetTunedPlans(d, got.data(), static_cast<int64_t>(got.size()),
                              sizeof(hinmTunedPlan_t), &count));
  ASSERT_EQ(count, static_cast<int64_t>(want.size()));
  for (size_t i = 0; i < want.size(); ++i) {
    SCOPED_TRACE(i);
    const hinm::TunedPlans::Entry& e = want[i];
    const hinmTunedPlan_t& p = got[i];
    EXPECT_EQ(std::string(p.device_name), e.problem.device.name);
    EXPECT_EQ(p.cc_major, e.problem.device.cc_major);
    EXPECT_EQ(p.cc_minor, e.problem.device.cc_minor);
    EXPECT_EQ(p.sm_count, e.problem.device.sm_count);
    EXPECT_EQ(p.n, e.problem.n);
    EXPECT_EQ(static_cast<int>(p.b_order), static_cast<int>(e.problem.b_order));
    EXPECT_EQ(static_cast<int>(p.c_order), static_cast<int>(e.problem.c_order));
    EXPECT_EQ(static_cast<int>(p.kernel), static_cast<int>(e.choice.kernel));
    EXPECT_EQ(std::string(p.config), e.choice.config);
    EXPECT_EQ(p.splits, e.choice.splits);
    EXPECT_EQ(p.cluster, e.choice.cluster ? 1 : 0);
  }
  // The wgmma.sp entry reads as such, with the planner's config and split.
  bool wgmma = false;
  for (size_t i = 0; i < want.size(); ++i)
    wgmma |= got[i].kernel == HINM_KERNEL_WGMMA_SP && got[i].config[0] == '\0' && got[i].splits == 0;
  EXPECT_TRUE(wgmma);
  // Entries past the count are left alone.
  const std::vector<uint8_t> untouched(sizeof(hinmTunedPlan_t), 0x5A);
  EXPECT_EQ(std::memcmp(&got[want.size()], untouched.data(), untouched.size()), 0);
  // A short capacity: the first ones, and the full count.
  std::vector<hinmTunedPlan_t> one(1);
  count = -1;
  ASSERT_OK(hinmGetTunedPlans(d, one.data(), 1, sizeof(hinmTunedPlan_t), &count));
  EXPECT_EQ(count, static_cast<int64_t>(want.size()));
  EXPECT_EQ(std::memcmp(&one[0], &got[0], sizeof(hinmTunedPlan_t)), 0);
  // An older, smaller struct (name, cc, SMs only): that prefix of each,
  // packed at its own stride.
  const size_t old_size = offsetof(hinmTunedPlan_t, n);
  std::vector<uint8_t> packed(old_size * want.size() + 1, 0xEE);
  ASSERT_OK(hinmGetTunedPlans(d, reinterpret_cast<hinmTunedPlan_t*>(packed.data()),
                              static_cast<int64_t>(want.size()), old_size, &count));
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_EQ(std::memcmp(packed.data() + i * old_size, &got[i], old_size), 0) << i;
  EXPECT_EQ(packed.back(), 0xEE);
  // A descriptor without plans has none.
  ASSERT_OK(hinmGetTunedPlans(plain_, nullptr, 0, sizeof(hinmTunedPlan_t), &count));
  EXPECT_EQ(count, 0);
  // Bad arguments.
  EXPECT_STATUS(hinmGetTunedPlans(d, nullptr, 0, sizeof(hinmTunedPlan_t), nullptr),
                HINM_STATUS_NULL_POINTER, "count");
  EXPECT_STATUS(hinmGetTunedPlans(d, nullptr, 2, sizeof(hinmTunedPlan_t), &count),
                HINM_STATUS_NULL_POINTER, "plans");
  EXPECT_STATUS(hinmGetTunedPlans(d, one.data(), -1, sizeof(hinmTunedPlan_t), &count),
                HINM_STATUS_INVALID_VALUE, "capacity");
  EXPECT_STATUS(hinmGetTunedPlans(d, one.data(), 1, 0, &count), HINM_STATUS_INVALID_VALUE,
                "plan_size");
  EXPECT_STATUS(hinmGetTunedPlans(nullptr, nullptr, 0, sizeof(hinmTunedPlan_t), &count),
                HINM_STATUS_NOT_INITIALIZED, "desc");
}

TEST_F(CApiTunedPlans, NotCarriedOverByFoldInputPermutation) {
  hinmDescriptor_t d = nullptr;
  ASSERT_OK(hinmDeserialize(handle_, &d, tuned_bytes_.data(), tuned_bytes_.size()));
  descs_.push_back(d);
  std::vector<int32_t> perm(40);
  for (int i = 0; i < 40; ++i) perm[i] = (i * 7) % 40;
  hinmDescriptor_t folded = nullptr;
  ASSERT_OK(hinmFoldInputPermutation(handle_, &folded, d, perm.data(), 40));
  descs_.push_back(folded);
  const std::vector<uint8_t> bytes = SerializedBytes(folded);
  std::vector<hinm::TunedPlans::Entry> back = tuned_;
  hinm::Deserialize(bytes.data(), bytes.size(), &back);
  EXPECT_TRUE(back.empty());
  EXPECT_EQ(bytes.size(), plain_bytes_.size());
  EXPECT_EQ(SerializedBytes(d), tuned_bytes_);  // the source keeps its own
}

TEST_F(CApiTunedPlans, DamagedSectionIsCorrupt) {
  for (size_t at : {plain_bytes_.size(), plain_bytes_.size() + 9, tuned_bytes_.size() - 1}) {
    std::vector<uint8_t> bad = tuned_bytes_;
    bad[at] ^= 0x10;
    hinmDescriptor_t d = nullptr;
    EXPECT_STATUS(hinmDeserialize(handle_, &d, bad.data(), bad.size()), HINM_STATUS_CORRUPT_FILE,
                  "tuned plans checksum");
    EXPECT_EQ(d, nullptr);
  }
  // Cut just after the matrix: the header says plans follow.
  hinmDescriptor_t d = nullptr;
  EXPECT_STATUS(hinmDeserialize(handle_, &d, tuned_bytes_.data(), plain_bytes_.size()),
                HINM_STATUS_CORRUPT_FILE, "truncated");
  EXPECT_EQ(d, nullptr);
}

// ================================================================ SpMMHost

// C = alpha * A * B + beta * C0 (+ bias) in fp64 from the decompressed A,
// in the storage orders of the call. perm maps output row p -> channel.
std::vector<double> NaiveSpmm(const std::vector<float>& A, int64_t M, int64_t K, int64_t N,
                              float alpha, const std::vector<float>& B, bool b_token,
                              int64_t ldb, float beta, const std::vector<float>& C0, bool c_token,
                              int64_t ldc, const float* bias, const std::vector<int32_t>* perm,
                              std::vector<double>* abs_sum) {
  std::vector<double> C(C0.begin(), C0.end());
  abs_sum->assign(C0.size(), 0.0);
  for (int64_t p = 0; p < M; ++p) {
    const int64_t ch = perm != nullptr ? (*perm)[p] : p;
    for (int64_t j = 0; j < N; ++j) {
      double acc = 0, mag = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double t =
            static_cast<double>(A[ch * K + k]) * B[b_token ? j * ldb + k : k * ldb + j];
        acc += t;
        mag += std::fabs(t);
      }
      const int64_t ci = c_token ? j * ldc + p : p * ldc + j;
      C[ci] = alpha * acc + beta * static_cast<double>(C0[ci]) + (bias ? bias[ch] : 0.0);
      (*abs_sum)[ci] = std::fabs(alpha) * mag + std::fabs(beta * C0[ci]) +
                       (bias ? std::fabs(bias[ch]) : 0.0);
    }
  }
  return C;
}

struct SpmmCase {
  hinmOrder_t b_order, c_order;
  bool permute, bias;
  float alpha, beta;
};

class CApiSpmmHost : public CApi, public ::testing::WithParamInterface<SpmmCase> {};

TEST_P(CApiSpmmHost, MatchesFp64ProductOfDecompressed) {
  const SpmmCase p = GetParam();
  const int64_t M = 40, K = 72, N = 13;  // M not a multiple of V, odd N
  if (p.permute) cfg_.permute = HINM_PERMUTE_BOTH;
  hinmDescriptor_t d = Make(M, K, 51);
  ASSERT_NE(d, nullptr);
  const std::vector<float> A = Decompressed(d, M, K);
  std::vector<int32_t> perm(M);
  ASSERT_OK(hinmGetRowPermutation(d, perm.data(), M));
  const bool bt = p.b_order == HINM_ORDER_TOKEN_MAJOR, ct = p.c_order == HINM_ORDER_TOKEN_MAJOR;
  const int64_t ldb = (bt ? K : N) + 3, ldc = (ct ? M : N) + 2;
  std::mt19937 rng(77);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> B((bt ? N : K) * ldb), C((ct ? N : M) * ldc), bias(M);
  for (auto& v : B) v = u(rng);
  for (auto& v : C) v = u(rng);
  for (auto& v : bias) v = u(rng);
  const hinmRowOrder_t rows = p.permute ? HINM_ROWS_PERMUTED : HINM_ROWS_ORIGINAL;
  std::vector<double> abs_sum;
  const std::vector<double> expect =
      NaiveSpmm(A, M, K, N, p.alpha, B, bt, ldb, p.beta, C, ct, ldc,
                p.bias ? bias.data() : nullptr, p.permute ? &perm : nullptr, &abs_sum);
  ASSERT_OK(hinmSpMMHost(handle_, d, N, &p.alpha, B.data(), p.b_order, ldb, &p.beta, C.data(),
                         p.c_order, ldc, p.bias ? bias.data() : nullptr, HINM_R_32F, rows));
  // fp32 accumulation of <= 36 kept products: error <= ~K_keep * 2^-24 of
  // the sum of magnitudes; 1e-5 of it is a loose but meaningful bound.
  int bad = 0;
  for (size_t i = 0; i < C.size(); ++i) {
    if (std::fabs(C[i] - expect[i]) > 1e-5 * abs_sum[i] + 1e-6 && ++bad <= 5) {
      ADD_FAILURE() << "C[" << i << "] = " << C[i] << ", fp64 reference " << expect[i];
    }
  }
  EXPECT_EQ(bad, 0);
  // Padding between rows of C untouched (equal to the C0 the reference copied).
  const int64_t outer = ct ? N : M, inner = ct ? M : N;
  for (int64_t r = 0; r < outer; ++r)
    for (int64_t c = inner; c < ldc; ++c) EXPECT_EQ(C[r * ldc + c], expect[r * ldc + c]);
}

INSTANTIATE_TEST_SUITE_P(
    Orders, CApiSpmmHost,
    ::testing::Values(SpmmCase{HINM_ORDER_FEATURE_MAJOR, HINM_ORDER_FEATURE_MAJOR, false, false,
                               1.0f, 0.0f},
                      SpmmCase{HINM_ORDER_TOKEN_MAJOR, HINM_ORDER_FEATURE_MAJOR, false, true,
                               0.5f, 1.0f},
                      SpmmCase{HINM_ORDER_FEATURE_MAJOR, HINM_ORDER_TOKEN_MAJOR, false, true,
                               -2.0f, 0.25f},
                      SpmmCase{HINM_ORDER_TOKEN_MAJOR, HINM_ORDER_TOKEN_MAJOR, false, false,
                               1.0f, -1.0f},
                      SpmmCase{HINM_ORDER_FEATURE_MAJOR, HINM_ORDER_FEATURE_MAJOR, true, true,
                               1.0f, 0.5f},
                      SpmmCase{HINM_ORDER_TOKEN_MAJOR, HINM_ORDER_TOKEN_MAJOR, true, false, 1.5f,
                               0.0f}),
    [](const ::testing::TestParamInfo<SpmmCase>& info) {
      const SpmmCase& c = info.param;
      return std::string("b") + (c.b_order == HINM_ORDER_FEATURE_MAJOR ? "F" : "T") + "_c" +
             (c.c_order == HINM_ORDER_FEATURE_MAJOR ? "F" : "T") +
             (c.permute ? "_permuted" : "") + (c.bias ? "_bias" : "") + "_" +
             std::to_string(info.index);
    });

TEST_F(CApi, SpmmHostFp16MatchesFp32WithinRounding) {
  const int64_t M = 32, K = 64, N = 8;
  hinmDescriptor_t d = Make(M, K, 61);
  const std::vector<float> A = Decompressed(d, M, K);
  // B of small integers: exact in fp16; bits built from the float's bits.
  std::vector<uint16_t> B16(K * N), C16(M * N, 0);
  std::vector<float> B32(K * N);
  for (int64_t i = 0; i < K * N; ++i) {
    const int v = static_cast<int>(i % 5) - 2;  // -2..2
    B32[i] = static_cast<float>(v);
    static const uint16_t kBits[5] = {0xc000, 0xbc00, 0x0000, 0x3c00, 0x4000};
    B16[i] = kBits[v + 2];
  }
  const float one = 1, zero = 0;
  std::vector<float> C32(M * N, 0);
  ASSERT_OK(hinmSpMMHost(handle_, d, N, &one, B32.data(), HINM_ORDER_FEATURE_MAJOR, N, &zero,
                         C32.data(), HINM_ORDER_FEATURE_MAJOR, N, nullptr, HINM_R_32F,
                         HINM_ROWS_ORIGINAL));
  ASSERT_OK(hinmSpMMHost(handle_, d, N, &one, B16.data(), HINM_ORDER_FEATURE_MAJOR, N, &zero,
                         C16.data(), HINM_ORDER_FEATURE_MAJOR, N, nullptr, HINM_R_16F,
                         HINM_ROWS_ORIGINAL));
  // Decode fp16 results by hand (normal numbers and zero only).
  for (int64_t i = 0; i < M * N; ++i) {
    const uint16_t h = C16[i];
    const int e = (h >> 10) & 0x1f;
    const float mag = e == 0 ? 0.0f : std::ldexp(1.0f + (h & 0x3ff) / 1024.0f, e - 15);
    const float v = (h & 0x8000) ? -mag : mag;
    EXPECT_NEAR(v, C32[i], std::fabs(C32[i]) * 1e-3 + 1e-3) << i;
  }
}

TEST_F(CApi, SpmmHostEmptyProblemAndBadN) {
  hinmDescriptor_t d = Make(32, 16);
  // n == 0: success without touching (NULL) operands.
  ASSERT_OK(hinmSpMMHost(handle_, d, 0, nullptr, nullptr, HINM_ORDER_FEATURE_MAJOR, 0, nullptr,
                         nullptr, HINM_ORDER_FEATURE_MAJOR, 0, nullptr, HINM_R_32F,
                         HINM_ROWS_ORIGINAL));
  EXPECT_EQ(LastMessage(), "");
  const float one = 1;
  std::vector<float> buf(1024);
  EXPECT_STATUS(hinmSpMMHost(handle_, d, -1, &one, buf.data(), HINM_ORDER_FEATURE_MAJOR, 4, &one,
                             buf.data(), HINM_ORDER_FEATURE_MAJOR, 4, nullptr, HINM_R_32F,
                             HINM_ROWS_ORIGINAL),
                HINM_STATUS_INVALID_VALUE, "n = -1");
}

// Each argument of hinmSpMMHost in turn (M = 32, K = 16, N = 4).
TEST_F(CApi, SpmmHostArgumentsInTurn) {
  hinmDescriptor_t d = Make(32, 16);
  std::vector<float> B(16 * 16, 1.0f), C(32 * 32, 0.0f);
  const float one = 1, zero = 0, nan = std::nanf("");
  const auto F = HINM_ORDER_FEATURE_MAJOR, T = HINM_ORDER_TOKEN_MAJOR;
  const auto call = [&](hinmHandle_t h, hinmDescriptor_t a, const float* al, const void* b,
                        hinmOrder_t bo, int64_t ldb, const float* be, void* c, hinmOrder_t co,
                        int64_t ldc, hinmDataType_t t, hinmRowOrder_t r) {
    return hinmSpMMHost(h, a, 4, al, b, bo, ldb, be, c, co, ldc, nullptr, t, r);
  };
  const auto R = HINM_ROWS_ORIGINAL;
  EXPECT_STATUS(call(nullptr, d, &one, B.data(), F, 4, &zero, C.data(), F, 4, HINM_R_32F, R),
                HINM_STATUS_NOT_INITIALIZED, "handle");
  EXPECT_STATUS(call(handle_, nullptr, &one, B.data(), F, 4, &zero, C.data(), F, 4, HINM_R_32F,
                     R),
                HINM_STATUS_NOT_INITIALIZED, "a");
  EXPECT_STATUS(call(handle_, d, nullptr, B.data(), F, 4, &zero, C.data(), F, 4, HINM_R_32F, R),
                HINM_STATUS_NULL_POINTER, "alpha");
  EXPECT_STATUS(call(handle_, d, &one, nullptr, F, 4, &zero, C.data(), F, 4, HINM_R_32F, R),
                HINM_STATUS_NULL_POINTER, "b");
  EXPECT_STATUS(call(handle_, d, &one, B.data(), static_cast<hinmOrder_t>(2), 4, &zero, C.data(),
                     F, 4, HINM_R_32F, R),
                HINM_STATUS_INVALID_VALUE, "b_order = 2");
  // ldb per order: feature-major B is K x N (ldb >= N = 4); token-major is
  // N x K (ldb >= K = 16).
  EXPECT_STATUS(call(handle_, d, &one, B.data(), F, 3, &zero, C.data(), F, 4, HINM_R_32F, R),
                HINM_STATUS_INVALID_VALUE, "ldb = 3");
  EXPECT_STATUS(call(handle_, d, &one, B.data(), T, 15, &zero, C.data(), F, 4, HINM_R_32F, R),
                HINM_STATUS_INVALID_VALUE, "ldb = 15");
  EXPECT_STATUS(call(handle_, d, &one, B.data(), F, 4, nullptr, C.data(), F, 4, HINM_R_32F, R),
                HINM_STATUS_NULL_POINTER, "beta");
  EXPECT_STATUS(call(handle_, d, &one, B.data(), F, 4, &zero, nullptr, F, 4, HINM_R_32F, R),
                HINM_STATUS_NULL_POINTER, "c");
  EXPECT_STATUS(call(handle_, d, &one, B.data(), F, 4, &zero, C.data(),
                     static_cast<hinmOrder_t>(-1), 4, HINM_R_32F, R),
                HINM_STATUS_INVALID_VALUE, "c_order = -1");
  // ldc per order: feature-major C is M x N (ldc >= 4); token-major N x M (>= 32).
  EXPECT_STATUS(call(handle_, d, &one, B.data(), F, 4, &zero, C.data(), F, 2, HINM_R_32F, R),
                HINM_STATUS_INVALID_VALUE, "ldc = 2");
  EXPECT_STATUS(call(handle_, d, &one, B.data(), F, 4, &zero, C.data(), T, 31, HINM_R_32F, R),
                HINM_STATUS_INVALID_VALUE, "ldc = 31");
  EXPECT_STATUS(call(handle_, d, &one, B.data(), F, 4, &zero, C.data(), F, 4,
                     static_cast<hinmDataType_t>(7), R),
                HINM_STATUS_INVALID_DTYPE, "io_type = 7");
  EXPECT_STATUS(call(handle_, d, &one, B.data(), F, 4, &zero, C.data(), F, 4, HINM_R_32F,
                     static_cast<hinmRowOrder_t>(5)),
                HINM_STATUS_INVALID_VALUE, "rows = 5");
  EXPECT_STATUS(call(handle_, d, &one, B.data(), F, std::numeric_limits<int64_t>::max() / 2,
                     &zero, C.data(), F, 4, HINM_R_32F, R),
                HINM_STATUS_SIZE_OVERFLOW, "B");
  EXPECT_STATUS(call(handle_, d, &nan, B.data(), F, 4, &zero, C.data(), F, 4, HINM_R_32F, R),
                HINM_STATUS_INVALID_VALUE, "alpha");
  // And the valid call, to show the failures above were the arguments.
  ASSERT_OK(call(handle_, d, &one, B.data(), T, 16, &zero, C.data(), T, 32, HINM_R_32F, R));
}

// ============================================================ GPU entries

// hinmSpMM and hinmSpMMSearch (same arguments, same checks).
TEST_F(CApi, SpmmArgumentsThenNoDevice) {
  for (const auto spmm : {hinmSpMM, hinmSpMMSearch}) {
    SCOPED_TRACE(spmm == hinmSpMM ? "hinmSpMM" : "hinmSpMMSearch");
    hinmDescriptor_t d = Make(32, 16);
    int32_t has = 0;
    ASSERT_OK(hinmHasDevice(handle_, &has));
    std::vector<uint16_t> B(16 * 16), C(32 * 32);
    const float one = 1, zero = 0;
    const auto F = HINM_ORDER_FEATURE_MAJOR;
    const auto R = HINM_ROWS_ORIGINAL;
    EXPECT_STATUS(spmm(nullptr, d, 8, &one, B.data(), F, 8, &zero, C.data(), F, 8, nullptr,
                       HINM_R_16F, R, nullptr, 0, nullptr),
                  HINM_STATUS_NOT_INITIALIZED, "handle");
    EXPECT_STATUS(spmm(handle_, d, -3, &one, B.data(), F, 8, &zero, C.data(), F, 8, nullptr,
                       HINM_R_16F, R, nullptr, 0, nullptr),
                  HINM_STATUS_INVALID_VALUE, "n = -3");
    ASSERT_OK(spmm(handle_, d, 0, nullptr, nullptr, F, 0, nullptr, nullptr, F, 0, nullptr,
                   HINM_R_16F, R, nullptr, 0, nullptr));
    EXPECT_STATUS(spmm(handle_, d, 8, &one, B.data(), F, 8, &zero, C.data(), F, 8, nullptr,
                       HINM_R_32F, R, nullptr, 0, nullptr),
                  HINM_STATUS_INVALID_DTYPE, "io_type");
    EXPECT_STATUS(spmm(handle_, d, 8, &one, B.data(), F, 8, &zero, C.data(), F, 8, nullptr,
                       HINM_R_16BF, R, nullptr, 0, nullptr),
                  HINM_STATUS_INVALID_DTYPE, "value type");
    EXPECT_STATUS(spmm(handle_, d, 8, &one, B.data(), F, 7, &zero, C.data(), F, 8, nullptr,
                       HINM_R_16F, R, nullptr, 0, nullptr),
                  HINM_STATUS_INVALID_VALUE, "ldb = 7");
    EXPECT_STATUS(spmm(handle_, d, 8, &one, B.data(), F, 8, &zero, C.data(), F, 8, nullptr,
                       HINM_R_16F, R, nullptr, 64, nullptr),
                  HINM_STATUS_NULL_POINTER, "workspace");
    if (has == 0) {
      EXPECT_STATUS(spmm(handle_, d, 8, &one, B.data(), F, 8, &zero, C.data(), F, 8, nullptr,
                         HINM_R_16F, R, nullptr, 0, nullptr),
                    HINM_STATUS_NO_DEVICE, "no CUDA device");
      EXPECT_STATUS(hinmDescriptorToDevice(handle_, d, nullptr), HINM_STATUS_NO_DEVICE,
                    "no CUDA device");
    }
  }
}

TEST_F(CApi, DescriptorToDeviceArguments) {
  hinmDescriptor_t d = Make(32, 16);
  EXPECT_STATUS(hinmDescriptorToDevice(nullptr, d, nullptr), HINM_STATUS_NOT_INITIALIZED,
                "handle");
  EXPECT_STATUS(hinmDescriptorToDevice(handle_, nullptr, nullptr), HINM_STATUS_NOT_INITIALIZED,
                "desc");
  int32_t has = 0;
  ASSERT_OK(hinmHasDevice(handle_, &has));
  if (has) ASSERT_OK(hinmDescriptorToDevice(handle_, d, nullptr));
}

TEST_F(CApi, WorkspaceSizeArguments) {
  hinmDescriptor_t d = Make(32, 16);
  size_t size = 123;
  const auto F = HINM_ORDER_FEATURE_MAJOR;
  EXPECT_STATUS(hinmSpMMWorkspaceSize(nullptr, d, 8, F, F, &size), HINM_STATUS_NOT_INITIALIZED,
                "handle");
  EXPECT_STATUS(hinmSpMMWorkspaceSize(handle_, d, -1, F, F, &size), HINM_STATUS_INVALID_VALUE,
                "n = -1");
  EXPECT_STATUS(hinmSpMMWorkspaceSize(handle_, d, 8, static_cast<hinmOrder_t>(3), F, &size),
                HINM_STATUS_INVALID_VALUE, "b_order = 3");
  EXPECT_STATUS(hinmSpMMWorkspaceSize(handle_, d, 8, F, static_cast<hinmOrder_t>(3), &size),
                HINM_STATUS_INVALID_VALUE, "c_order = 3");
  EXPECT_STATUS(hinmSpMMWorkspaceSize(handle_, d, 8, F, F, nullptr), HINM_STATUS_NULL_POINTER,
                "size");
  ASSERT_OK(hinmSpMMWorkspaceSize(handle_, d, 0, F, F, &size));
  EXPECT_EQ(size, 0u);
  ASSERT_OK(hinmSpMMWorkspaceSize(handle_, d, 8, F, HINM_ORDER_TOKEN_MAJOR, &size));
}

TEST_F(CApi, DenseGemmArgumentsThenNoDevice) {
  int32_t has = 0;
  ASSERT_OK(hinmHasDevice(handle_, &has));
  std::vector<uint16_t> A(64 * 64), B(64 * 64), C(64 * 64);
  const float one = 1, zero = 0;
  const auto F = HINM_ORDER_FEATURE_MAJOR, T = HINM_ORDER_TOKEN_MAJOR;
  const auto gemm = [&](hinmHandle_t h, int64_t m, int64_t n, int64_t k, const float* al,
                        const void* a, int64_t lda, const void* b, hinmOrder_t bo, int64_t ldb,
                        const float* be, void* c, hinmOrder_t co, int64_t ldc, hinmDataType_t t) {
    return hinmDenseGemm(h, m, n, k, al, a, lda, b, bo, ldb, be, c, co, ldc, t, nullptr);
  };
  EXPECT_STATUS(gemm(nullptr, 8, 8, 8, &one, A.data(), 8, B.data(), F, 8, &zero, C.data(), F, 8,
                     HINM_R_16F),
                HINM_STATUS_NOT_INITIALIZED, "handle");
  EXPECT_STATUS(gemm(handle_, -1, 8, 8, &one, A.data(), 8, B.data(), F, 8, &zero, C.data(), F, 8,
                     HINM_R_16F),
                HINM_STATUS_INVALID_VALUE, "m = -1");
  EXPECT_STATUS(gemm(handle_, 8, -1, 8, &one, A.data(), 8, B.data(), F, 8, &zero, C.data(), F, 8,
                     HINM_R_16F),
                HINM_STATUS_INVALID_VALUE, "n = -1");
  EXPECT_STATUS(gemm(handle_, 8, 8, -1, &one, A.data(), 8, B.data(), F, 8, &zero, C.data(), F, 8,
                     HINM_R_16F),
                HINM_STATUS_INVALID_VALUE, "k = -1");
  ASSERT_OK(gemm(handle_, 0, 8, 8, nullptr, nullptr, 0, nullptr, F, 0, nullptr, nullptr, F, 0,
                 HINM_R_16F));
  EXPECT_STATUS(gemm(handle_, 8, 8, 8, nullptr, A.data(), 8, B.data(), F, 8, &zero, C.data(), F,
                     8, HINM_R_16F),
                HINM_STATUS_NULL_POINTER, "alpha");
  EXPECT_STATUS(gemm(handle_, 8, 8, 8, &one, nullptr, 8, B.data(), F, 8, &zero, C.data(), F, 8,
                     HINM_R_16F),
                HINM_STATUS_NULL_POINTER, "a");
  EXPECT_STATUS(gemm(handle_, 8, 8, 16, &one, A.data(), 8, B.data(), F, 8, &zero, C.data(), F, 8,
                     HINM_R_16F),
                HINM_STATUS_INVALID_VALUE, "lda = 8");
  EXPECT_STATUS(gemm(handle_, 8, 8, 8, &one, A.data(), 8, nullptr, F, 8, &zero, C.data(), F, 8,
                     HINM_R_16F),
                HINM_STATUS_NULL_POINTER, "b");
  EXPECT_STATUS(gemm(handle_, 8, 8, 8, &one, A.data(), 8, B.data(), static_cast<hinmOrder_t>(9),
                     8, &zero, C.data(), F, 8, HINM_R_16F),
                HINM_STATUS_INVALID_VALUE, "b_order = 9");
  EXPECT_STATUS(gemm(handle_, 8, 4, 16, &one, A.data(), 16, B.data(), T, 8, &zero, C.data(), F,
                     4, HINM_R_16F),
                HINM_STATUS_INVALID_VALUE, "ldb = 8");
  EXPECT_STATUS(gemm(handle_, 8, 8, 8, &one, A.data(), 8, B.data(), F, 8, nullptr, C.data(), F,
                     8, HINM_R_16F),
                HINM_STATUS_NULL_POINTER, "beta");
  EXPECT_STATUS(gemm(handle_, 8, 8, 8, &one, A.data(), 8, B.data(), F, 8, &zero, nullptr, F, 8,
                     HINM_R_16F),
                HINM_STATUS_NULL_POINTER, "c");
  EXPECT_STATUS(gemm(handle_, 16, 8, 8, &one, A.data(), 8, B.data(), F, 8, &zero, C.data(), T, 8,
                     HINM_R_16F),
                HINM_STATUS_INVALID_VALUE, "ldc = 8");
  EXPECT_STATUS(gemm(handle_, 8, 8, 8, &one, A.data(), 8, B.data(), F, 8, &zero, C.data(), F, 8,
                     HINM_R_32F),
                HINM_STATUS_INVALID_DTYPE, "type");
  EXPECT_STATUS(gemm(handle_, int64_t{1} << 40, 8, int64_t{1} << 40, &one, A.data(),
                     int64_t{1} << 40, B.data(), F, 8, &zero, C.data(), F, 8, HINM_R_16F),
                HINM_STATUS_SIZE_OVERFLOW, "A");
  if (has == 0) {
    EXPECT_STATUS(gemm(handle_, 8, 8, 8, &one, A.data(), 8, B.data(), F, 8, &zero, C.data(), F, 8,
                       HINM_R_16F),
                  HINM_STATUS_NO_DEVICE, "no CUDA device");
  }
}

// ======================================================== thread sharing

TEST_F(CApi, DescriptorSharedByThreadsGivesIdenticalResults) {
  const int64_t M = 64, K = 64, N = 16;
  hinmDescriptor_t d = Make(M, K, 71);
  std::vector<float> B(K * N);
  for (size_t i = 0; i < B.size(); ++i) B[i] = static_cast<float>(i % 7) - 3.0f;
  const float one = 1, zero = 0;
  std::vector<std::vector<float>> out(4, std::vector<float>(M * N));
  std::vector<hinmStatus_t> st(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      hinmHandle_t h = nullptr;
      hinmCreate(&h);
      st[t] = hinmSpMMHost(h, d, N, &one, B.data(), HINM_ORDER_FEATURE_MAJOR, N, &zero,
                           out[t].data(), HINM_ORDER_FEATURE_MAJOR, N, nullptr, HINM_R_32F,
                           HINM_ROWS_ORIGINAL);
      hinmDestroy(h);
    });
  }
  for (auto& t : threads) t.join();
  for (int t = 0; t < 4; ++t) {
    EXPECT_EQ(st[t], HINM_STATUS_SUCCESS);
    EXPECT_EQ(out[t], out[0]);  // deterministic
  }
}

}  // namespace
