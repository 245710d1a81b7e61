// Writes the seed corpus of the fuzz targets (tests/fuzz/corpus/<target>/):
// valid inputs produced by the library itself plus a few edge cases. Built
// and run by `tests/fuzz/run_fuzz.sh --make-corpus`; the output is committed.
//   make_corpus <corpus dir> <tests/cpp/io/testdata dir>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "cpp/hinm/checksum.h"
#include "cpp/hinm/serialize.h"
#include "cpp/hinm/tensor_io.h"
#include "hinm/hinm.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

void Write(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::ofstream f(path, std::ios::binary);
  f.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
  FUZZ_CHECK(f.good());
}

std::vector<uint8_t> Read(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  FUZZ_CHECK(f.good());
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

std::vector<float> Weights(int64_t m, int64_t k, uint32_t seed) {
  std::vector<float> w(static_cast<size_t>(m * k));
  uint32_t x = seed * 2654435761u + 1;
  for (float& v : w) {
    x = x * 1664525u + 1013904223u;
    v = static_cast<float>(static_cast<int32_t>(x >> 8) % 2001 - 1000) / 250.0f;
  }
  return w;
}

// Serialized descriptor of an m x k matrix.
std::vector<uint8_t> Serialized(hinmHandle_t h, int64_t m, int64_t k, int32_t v, int64_t kept,
                                hinmDataType_t vt, hinmPermute_t perm) {
  const std::vector<float> w = Weights(m, k, static_cast<uint32_t>(m * 131 + k));
  hinmPruneConfig_t cfg;
  hinmPruneConfigInit(&cfg);
  cfg.tile_rows = v;
  cfg.kept_cols = kept;
  cfg.value_type = vt;
  cfg.permute = perm;
  cfg.num_threads = 1;
  hinmDescriptor_t d;
  FUZZ_CHECK(hinmCreateDescriptor(h, &d, m, k, w.data(), HINM_R_32F, k, nullptr, 0, &cfg) ==
             HINM_STATUS_SUCCESS);
  size_t n = 0;
  FUZZ_CHECK(hinmSerializedSize(d, &n) == HINM_STATUS_SUCCESS);
  std::vector<uint8_t> out(n);
  FUZZ_CHECK(hinmSerialize(d, out.data(), n) == HINM_STATUS_SUCCESS);
  hinmDestroyDescriptor(d);
  return out;
}

// The same file as format version 1 wrote it (no tuned splits): the version
// field and the header checksum differ (docs/format.md).
std::vector<uint8_t> AsVersion1(std::vector<uint8_t> bytes) {
  const uint32_t v1 = 1;
  std::memcpy(bytes.data() + 8, &v1, 4);
  const uint64_t sum = hinm::Fnv1a64(bytes.data(), 136);
  std::memcpy(bytes.data() + 136, &sum, 8);
  return bytes;
}

// The file with plans a search could have stored (no search runs here:
// the core writes them).
std::vector<uint8_t> WithTunedPlans(const std::vector<uint8_t>& bytes) {
  const hinm::Order F = hinm::Order::kFeatureMajor, T = hinm::Order::kTokenMajor;
  const hinm::GpuKernel mma = hinm::GpuKernel::kMmaSp;
  const std::vector<hinm::TunedPlans::Entry> tuned = {
      {{{"NVIDIA H100 80GB HBM3", 9, 0, 132}, 1, F, F}, {mma, "narrow_128x16", 6, true}},
      {{{"NVIDIA H100 80GB HBM3", 9, 0, 132}, 16, T, T}, {mma, "narrow_128x16", 3, false}},
      {{{"NVIDIA H100 80GB HBM3", 9, 0, 132}, 256, F, F}, {hinm::GpuKernel::kWgmmaSp, "", 0, false}},
      {{{"NVIDIA A100-SXM4-80GB", 8, 0, 108}, 4096, F, T}, {mma, "wide_128x128", 64, false}},
  };
  return hinm::Serialize(hinm::Deserialize(bytes.data(), bytes.size()), tuned);
}

// A descriptor_fuzzer input: the 16-byte parameter block, then weights.
std::vector<uint8_t> Params(uint8_t m1, uint8_t k1, uint8_t v, uint8_t sparsity, uint8_t kept,
                            uint8_t types, uint8_t permute, uint8_t flags, uint64_t seed,
                            int64_t weight_bytes) {
  std::vector<uint8_t> out = {m1, k1, v, sparsity, kept, types, permute, flags};
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<uint8_t>(seed >> (8 * i)));
  uint32_t x = seed == 0 ? 7u : static_cast<uint32_t>(seed);
  for (int64_t i = 0; i < weight_bytes; ++i) {
    x = x * 1664525u + 1013904223u;
    out.push_back(static_cast<uint8_t>(x >> 24));
  }
  return out;
}

std::vector<uint8_t> Prefixed(uint8_t first, const std::vector<uint8_t>& rest) {
  std::vector<uint8_t> out = {first};
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  FUZZ_CHECK(argc == 3);
  const std::string dir = argv[1], testdata = argv[2];
  hinmHandle_t h;
  FUZZ_CHECK(hinmCreate(&h) == HINM_STATUS_SUCCESS);

  // deserialize_fuzzer: files the library wrote, and damaged copies.
  const std::string ds = dir + "/deserialize_fuzzer/";
  const std::vector<uint8_t> plain = Serialized(h, 20, 30, 16, 0, HINM_R_16F, HINM_PERMUTE_NONE);
  Write(ds + "plain_20x30_v16_f16", plain);
  Write(ds + "2cp_both_32x24_v16_bf16",
        Serialized(h, 32, 24, 16, 12, HINM_R_16BF, HINM_PERMUTE_BOTH));
  Write(ds + "rows_only_40x8_v32", Serialized(h, 40, 8, 32, 0, HINM_R_16F, HINM_PERMUTE_OUTPUT));
  Write(ds + "padded_kept_gt_k_3x6", Serialized(h, 3, 6, 16, 8, HINM_R_16F, HINM_PERMUTE_NONE));
  Write(ds + "header_only", std::vector<uint8_t>(plain.begin(), plain.begin() + 144));
  Write(ds + "tuned_plans_20x30", WithTunedPlans(plain));
  Write(ds + "v1_plain_20x30", AsVersion1(plain));
  Write(ds + "v1_2cp_both_32x24_bf16",
        AsVersion1(Serialized(h, 32, 24, 16, 12, HINM_R_16BF, HINM_PERMUTE_BOTH)));
  std::vector<uint8_t> bad = plain;
  bad[8] = 3;  // format version 3
  Write(ds + "version_3", bad);
  bad = plain;
  bad[bad.size() - 1] ^= 0x40;  // array checksum mismatch
  Write(ds + "flipped_last_byte", bad);

  // descriptor_fuzzer: parameter blocks (see descriptor_fuzzer.cc).
  const std::string dd = dir + "/descriptor_fuzzer/";
  Write(dd + "f32_16x16_default", Params(15, 15, 0, 128, 0, 2, 0, 0, 1, 16 * 16 * 4));
  Write(dd + "f16_48x40_2cp_both", Params(47, 39, 0, 96, 0, 0, 3, 1, 42, 48 * 40 * 2));
  Write(dd + "bf16_33x7_published_input", Params(32, 6, 1, 0, 0, 1 | 4, 2 + 5, 2 | 8, 3, 33 * 9 * 2));
  Write(dd + "kept_gt_k", Params(5, 2, 0, 0, 9, 2, 0, 0, 0, 6 * 3 * 4));
  Write(dd + "bad_tile_rows", Params(7, 7, 0x81, 64, 0, 2, 0, 0, 0, 64 * 4));
  Write(dd + "raw_sparsity_nan", Params(7, 7, 0, 255, 0, 2, 0, 0, 0x7ff8000000000001ull, 64 * 4));
  Write(dd + "output_perm_64x64", Params(63, 63, 1, 200, 0, 2, 1, 0x31, 9, 64 * 64 * 4));

  // tensor_io_fuzzer: byte 0 even = .npy, odd = safetensors.
  const std::string dt = dir + "/tensor_io_fuzzer/";
  for (const char* f : {"f4_2x3.npy", "f2_4.npy", "f8_3.npy", "f4_v2.npy", "f4_v3.npy",
                        "scalar.npy", "empty_0x3.npy", "fortran_2x3.npy", "be_f4_3.npy",
                        "i4_3.npy"}) {
    Write(dt + f, Prefixed(0, Read(testdata + "/" + f)));
  }
  Write(dt + "model.safetensors", Prefixed(1, Read(testdata + "/model.safetensors")));
  hinm::Tensor t;
  t.shape = {2, 2};
  t.data = {1.0f, -2.0f, NAN, INFINITY};
  Write(dt + "encoded_nan_inf.npy", Prefixed(0, hinm::EncodeNpy(t)));
  const std::string json =
      R"({"__metadata__":{"k":"v"},"a":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]},)"
      R"("b":{"dtype":"F64","shape":[],"data_offsets":[4,12]}})";
  std::vector<uint8_t> st(8);
  const uint64_t len = json.size();
  std::memcpy(st.data(), &len, 8);
  st.insert(st.end(), json.begin(), json.end());
  for (int i = 0; i < 12; ++i) st.push_back(static_cast<uint8_t>(0x3f + i));
  Write(dt + "bf16_f64.safetensors", Prefixed(1, st));
  hinmDestroy(h);
  std::printf("corpus written to %s\n", dir.c_str());
  return 0;
}
