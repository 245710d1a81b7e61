// The threading rules of hinm.h, exercised (and checked by ThreadSanitizer
// under --config=tsan): one hinmHandle_t per thread; a descriptor is
// read-only after creation and shared by any number of threads.
//
//  - SharedDescriptorCpuPaths: 4 threads, each with its own handle, call
//    hinmSpMMHost, hinmGetDescriptorInfo, hinmSerialize, hinmDecompress,
//    hinmGetRowPermutation and hinmGetColumnIndices on one descriptor at
//    once; every result equals the single-threaded one bit for bit.
//  - ConcurrentCreateWith2CP: 4 threads create descriptors from the same
//    weights with full 2CP (each prune using 2 worker threads) at once; all
//    equal the descriptor made alone.
//  - HandlesAndDescriptorsComeAndGo: threads create and destroy handles
//    and descriptors while others use a shared one (the live-handle
//    registry under contention).
//  - LastErrorIsPerThread: a failure on one thread never shows in another
//    thread's hinmGetLastErrorMessage.
#include <atomic>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "gtest/gtest.h"
#include "hinm/hinm.h"
#include "tests/c_api/serialized_bytes.h"

namespace {

using hinm_capi_test::SerializedBytes;

constexpr int kThreads = 4;

std::vector<float> Weights(int64_t m, int64_t k, uint32_t seed) {
  std::vector<float> w(static_cast<size_t>(m * k));
  uint32_t x = seed * 2654435761u + 12345u;
  for (float& v : w) {
    x = x * 1664525u + 1013904223u;
    v = static_cast<float>(static_cast<int32_t>(x >> 8) % 4001 - 2000) / 1000.0f;
  }
  return w;
}

hinmPruneConfig_t Config2CP(int32_t threads) {
  hinmPruneConfig_t cfg;
  hinmPruneConfigInit(&cfg);
  cfg.tile_rows = 16;
  cfg.vector_sparsity = 0.5;
  cfg.permute = HINM_PERMUTE_BOTH;
  cfg.seed = 7;
  cfg.num_threads = threads;
  return cfg;
}

hinmDescriptor_t Create(hinmHandle_t h, const std::vector<float>& w, int64_t m, int64_t k,
                        const hinmPruneConfig_t& cfg) {
  hinmDescriptor_t d = nullptr;
  EXPECT_EQ(hinmCreateDescriptor(h, &d, m, k, w.data(), HINM_R_32F, k, nullptr, 0, &cfg),
            HINM_STATUS_SUCCESS)
      << hinmGetLastErrorMessage();
  return d;
}

// Everything the CPU paths return for one descriptor, from one handle.
struct Results {
  std::vector<float> c_feature, c_token;
  std::vector<uint16_t> c_half;
  hinmDescriptorInfo_t info;
  std::vector<uint8_t> bytes;
  std::vector<float> dense;
  std::vector<uint16_t> dense16;
  std::vector<int32_t> perm, idx;
};

constexpr int64_t kM = 96, kK = 80, kN = 9;

Results Compute(hinmHandle_t h, hinmDescriptor_t d, const std::vector<float>& b,
                const std::vector<uint16_t>& b16) {
  Results r;
  const float alpha = 1.5f, beta = 0.0f;
  r.c_feature.assign(kM * kN, -1.0f);
  EXPECT_EQ(hinmSpMMHost(h, d, kN, &alpha, b.data(), HINM_ORDER_FEATURE_MAJOR, kN, &beta,
                         r.c_feature.data(), HINM_ORDER_FEATURE_MAJOR, kN, nullptr, HINM_R_32F,
                         HINM_ROWS_ORIGINAL),
            HINM_STATUS_SUCCESS)
      << hinmGetLastErrorMessage();
  // Token-major B is the transpose of b: the same product.
  std::vector<float> bt(kK * kN);
  for (int64_t k = 0; k < kK; ++k)
    for (int64_t n = 0; n < kN; ++n) bt[n * kK + k] = b[k * kN + n];
  r.c_token.assign(kN * kM, -1.0f);
  EXPECT_EQ(hinmSpMMHost(h, d, kN, &alpha, bt.data(), HINM_ORDER_TOKEN_MAJOR, kK, &beta,
                         r.c_token.data(), HINM_ORDER_TOKEN_MAJOR, kM, nullptr, HINM_R_32F,
                         HINM_ROWS_PERMUTED),
            HINM_STATUS_SUCCESS);
  r.c_half.assign(kM * kN, 0);
  EXPECT_EQ(hinmSpMMHost(h, d, kN, &alpha, b16.data(), HINM_ORDER_FEATURE_MAJOR, kN, &beta,
                         r.c_half.data(), HINM_ORDER_FEATURE_MAJOR, kN, nullptr, HINM_R_16F,
                         HINM_ROWS_ORIGINAL),
            HINM_STATUS_SUCCESS);
  std::memset(&r.info, 0, sizeof r.info);
  EXPECT_EQ(hinmGetDescriptorInfo(d, &r.info, sizeof r.info), HINM_STATUS_SUCCESS);
  r.bytes = SerializedBytes(d);
  r.dense.assign(kM * kK, -1.0f);
  EXPECT_EQ(hinmDecompress(d, r.dense.data(), HINM_R_32F, kK), HINM_STATUS_SUCCESS);
  r.dense16.assign(kM * kK, 0);
  EXPECT_EQ(hinmDecompress(d, r.dense16.data(), HINM_R_16BF, kK), HINM_STATUS_SUCCESS);
  r.perm.assign(kM, -1);
  EXPECT_EQ(hinmGetRowPermutation(d, r.perm.data(), kM), HINM_STATUS_SUCCESS);
  r.idx.assign(static_cast<size_t>(r.info.num_tiles * r.info.kept_cols), -2);
  EXPECT_EQ(hinmGetColumnIndices(d, r.idx.data(), static_cast<int64_t>(r.idx.size())),
            HINM_STATUS_SUCCESS);
  return r;
}

bool SameBits(const Results& a, const Results& b) {
  return a.c_feature.size() == b.c_feature.size() &&
         std::memcmp(a.c_feature.data(), b.c_feature.data(), a.c_feature.size() * 4) == 0 &&
         std::memcmp(a.c_token.data(), b.c_token.data(), a.c_token.size() * 4) == 0 &&
         a.c_half == b.c_half && std::memcmp(&a.info, &b.info, sizeof a.info) == 0 &&
         a.bytes == b.bytes &&
         std::memcmp(a.dense.data(), b.dense.data(), a.dense.size() * 4) == 0 &&
         a.dense16 == b.dense16 && a.perm == b.perm && a.idx == b.idx;
}

TEST(Concurrency, SharedDescriptorCpuPaths) {
  hinmHandle_t h0;
  ASSERT_EQ(hinmCreate(&h0), HINM_STATUS_SUCCESS);
  const std::vector<float> w = Weights(kM, kK, 1);
  hinmDescriptor_t d = Create(h0, w, kM, kK, Config2CP(1));
  ASSERT_NE(d, nullptr);
  const std::vector<float> b = Weights(kK, kN, 2);
  std::vector<uint16_t> b16(b.size());
  for (size_t i = 0; i < b.size(); ++i) b16[i] = static_cast<uint16_t>(0x3c00 + (i % 7) * 0x40);
  const Results want = Compute(h0, d, b, b16);
  // Not a vacuous comparison: the product is nonzero and 2CP moved rows.
  ASSERT_EQ(want.info.has_row_permutation, 1);
  double norm = 0;
  for (float v : want.c_feature) norm += static_cast<double>(v) * v;
  ASSERT_GT(norm, 1.0);
  for (int64_t r = 0; r < kM; ++r) {  // rows-permuted token-major = row perm of the original
    for (int64_t n = 0; n < kN; ++n) {
      ASSERT_EQ(want.c_token[n * kM + r], want.c_feature[want.perm[r] * kN + n]);
    }
  }

  std::atomic<int> mismatches{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      hinmHandle_t h;
      if (hinmCreate(&h) != HINM_STATUS_SUCCESS) {
        ++mismatches;
        return;
      }
      for (int iter = 0; iter < 4; ++iter) {
        if (!SameBits(Compute(h, d, b, b16), want)) ++mismatches;
      }
      hinmDestroy(h);
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(hinmDestroyDescriptor(d), HINM_STATUS_SUCCESS);
  EXPECT_EQ(hinmDestroy(h0), HINM_STATUS_SUCCESS);
}

TEST(Concurrency, ConcurrentCreateWith2CP) {
  const int64_t m = 64, k = 48;
  const std::vector<float> w = Weights(m, k, 3);
  hinmHandle_t h0;
  ASSERT_EQ(hinmCreate(&h0), HINM_STATUS_SUCCESS);
  hinmDescriptor_t alone = Create(h0, w, m, k, Config2CP(1));
  ASSERT_NE(alone, nullptr);
  const std::vector<uint8_t> want = SerializedBytes(alone);
  std::vector<std::vector<uint8_t>> got(kThreads);
  std::vector<int> progress_calls(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      hinmHandle_t h;
      ASSERT_EQ(hinmCreate(&h), HINM_STATUS_SUCCESS);
      hinmPruneConfig_t cfg = Config2CP(2);
      // The callback runs on the library's workers, serialised per call.
      cfg.progress = [](double, void* user) {
        ++*static_cast<int*>(user);
        return 0;
      };
      cfg.progress_user_data = &progress_calls[t];
      hinmDescriptor_t d = Create(h, w, m, k, cfg);
      if (d != nullptr) {
        got[t] = SerializedBytes(d);
        EXPECT_EQ(hinmDestroyDescriptor(d), HINM_STATUS_SUCCESS);
      }
      EXPECT_EQ(hinmDestroy(h), HINM_STATUS_SUCCESS);
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(got[t], want) << "thread " << t;
    EXPECT_GT(progress_calls[t], 0) << "thread " << t;
  }
  EXPECT_EQ(hinmDestroyDescriptor(alone), HINM_STATUS_SUCCESS);
  EXPECT_EQ(hinmDestroy(h0), HINM_STATUS_SUCCESS);
}

TEST(Concurrency, HandlesAndDescriptorsComeAndGo) {
  const int64_t m = 32, k = 32;
  const std::vector<float> w = Weights(m, k, 4);
  hinmHandle_t h0;
  ASSERT_EQ(hinmCreate(&h0), HINM_STATUS_SUCCESS);
  hinmPruneConfig_t cfg;
  hinmPruneConfigInit(&cfg);
  cfg.tile_rows = 16;
  cfg.num_threads = 1;
  hinmDescriptor_t shared = Create(h0, w, m, k, cfg);
  const std::vector<uint8_t> want = SerializedBytes(shared);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int iter = 0; iter < 20; ++iter) {
        hinmHandle_t h;
        if (hinmCreate(&h) != HINM_STATUS_SUCCESS) {
          ++failures;
          continue;
        }
        if (t % 2 == 0) {  // own descriptors, made and freed
          hinmDescriptor_t d = nullptr;
          if (hinmDeserialize(h, &d, want.data(), want.size()) != HINM_STATUS_SUCCESS ||
              SerializedBytes(d) != want || hinmDestroyDescriptor(d) != HINM_STATUS_SUCCESS) {
            ++failures;
          }
        } else if (SerializedBytes(shared) != want) {  // the shared one
          ++failures;
        }
        if (hinmDestroy(h) != HINM_STATUS_SUCCESS) ++failures;
      }
    });
  }
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(hinmDestroyDescriptor(shared), HINM_STATUS_SUCCESS);
  EXPECT_EQ(hinmDestroy(h0), HINM_STATUS_SUCCESS);
}

TEST(Concurrency, LastErrorIsPerThread) {
  std::atomic<int> step{0};
  std::string failing_message, other_message;
  std::thread failing([&] {
    hinmHandle_t h;
    ASSERT_EQ(hinmCreate(&h), HINM_STATUS_SUCCESS);
    hinmDescriptor_t d;
    const float w = 1.0f;
    EXPECT_EQ(hinmCreateDescriptor(h, &d, -1, 1, &w, HINM_R_32F, 1, nullptr, 0, nullptr),
              HINM_STATUS_INVALID_VALUE);
    step = 1;
    while (step.load() != 2) std::this_thread::yield();
    failing_message = hinmGetLastErrorMessage();  // after the other thread's success
    hinmDestroy(h);
  });
  std::thread other([&] {
    while (step.load() != 1) std::this_thread::yield();
    hinmHandle_t h;
    EXPECT_EQ(hinmCreate(&h), HINM_STATUS_SUCCESS);
    other_message = hinmGetLastErrorMessage();
    hinmDestroy(h);
    step = 2;
  });
  failing.join();
  other.join();
  EXPECT_EQ(other_message, "");
  EXPECT_EQ(failing_message, "hinmCreateDescriptor: rows = -1 must be > 0");
}

}  // namespace
