// Save/load: exact round trips (with the tuned splits of format version 2),
// version 1 files still load, and every kind of damage is reported as
// kCorruptFile / kVersionMismatch / kIoError without reading out of bounds.
// SerializedSize measures what Serialize writes and refuses what it refuses;
// SerializeInto writes the same bytes into a caller's buffer, or nothing;
// SaveToFile streams the same bytes to the file.
#include "cpp/hinm/serialize.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <sys/resource.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include "cpp/hinm/checksum.h"
#include "cpp/hinm/prune.h"
#include "tests/cpp/hinm_test_util.h"

namespace hinm {
namespace {

using testing_util::RandomMatrix;
using testing_util::StatusOf;
using Entry = TunedPlans::Entry;

constexpr size_t kHeaderBytes = 144;

CompressedMatrix Small(int64_t m = 20, int64_t k = 12, DType d = DType::kFloat16) {
  const std::vector<float> w = RandomMatrix(m, k, static_cast<uint32_t>(m + k));
  PruneOptions o;
  o.tile_rows = 16;
  o.kept_cols = 8;
  o.value_dtype = d;
  return PruneAndCompress(DenseView{w.data(), DType::kFloat32, m, k, k}, SaliencyView{}, o);
}

// A matrix with a row permutation, built by hand (rows reversed).
CompressedMatrix WithRowPerm() {
  CompressedMatrix a = Small();
  a.row_perm.resize(static_cast<size_t>(a.layout.rows));
  for (size_t p = 0; p < a.row_perm.size(); ++p) a.row_perm[p] = static_cast<int32_t>(a.row_perm.size() - 1 - p);
  a.column_permuted = true;
  return a;
}

void ExpectSame(const CompressedMatrix& a, const CompressedMatrix& b) {
  EXPECT_EQ(a.layout.rows, b.layout.rows);
  EXPECT_EQ(a.layout.cols, b.layout.cols);
  EXPECT_EQ(a.layout.tile_rows, b.layout.tile_rows);
  EXPECT_EQ(a.layout.kept_cols, b.layout.kept_cols);
  EXPECT_EQ(a.layout.dtype, b.layout.dtype);
  EXPECT_EQ(a.values, b.values);
  EXPECT_EQ(a.meta, b.meta);
  EXPECT_EQ(a.col_idx, b.col_idx);
  EXPECT_EQ(a.row_perm, b.row_perm);
  EXPECT_EQ(a.column_permuted, b.column_permuted);
  EXPECT_EQ(a.stats.retained_saliency, b.stats.retained_saliency);
  EXPECT_EQ(a.stats.kept_weights, b.stats.kept_weights);
}

// Tuned plans, as a plan search would store them (format version 2).
const DeviceIdentity kH100{"NVIDIA H100 80GB HBM3", 9, 0, 132};

// A K split of the mma.sp narrow config, as the search stores one.
SpmmPlanChoice Mma(int32_t splits, bool cluster) {
  return {GpuKernel::kMmaSp, "narrow_128x16", splits, cluster};
}
const DeviceIdentity kA100{"NVIDIA A100-SXM4-80GB", 8, 0, 108};

// Several GPUs, N, orders and plans, deliberately not in problem order;
// the extremes of every range a file allows.
std::vector<Entry> SomeTuned() {
  const Order F = Order::kFeatureMajor, T = Order::kTokenMajor;
  return {
      {{kH100, 16, F, F}, Mma(4, true)},
      {{kA100, 1, T, T}, Mma(1, false)},
      {{kH100, 1, F, T}, Mma(64, false)},
      {{{std::string(kMaxDeviceNameBytes, 'x'), 99, 99, 1}, 2147483647, T, F}, Mma(2, true)},
      {{{"", 1, 0, 1}, 1, F, F}, Mma(3, false)},
      {{kH100, 16, T, F}, Mma(8, true)},
      {{{"NVIDIA H100 80GB HBM3", 9, 0, 16}, 16, F, F}, Mma(2, false)},  // a MIG slice
      {{kH100, 256, F, F}, {GpuKernel::kWgmmaSp, "", 0, false}},          // wgmma.sp
      {{kH100, 128, F, F}, {GpuKernel::kMmaSp, "mid_128x64", 2, true}},
      {{kA100, 128, F, F}, {GpuKernel::kAuto, std::string(kMaxConfigNameBytes, 'z'), 0, false}},
  };
}

std::vector<Entry> Sorted(std::vector<Entry> v) {
  std::sort(v.begin(), v.end(), [](const Entry& a, const Entry& b) { return a.problem < b.problem; });
  return v;
}

std::string TempPath(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/hinm_" + std::to_string(::getpid()) + "_" + name;
}

TEST(Serialize, RoundTripInMemory) {
  for (DType d : {DType::kFloat16, DType::kBFloat16}) {
    const CompressedMatrix a = Small(40, 36, d);
    const std::vector<uint8_t> bytes = Serialize(a);
    EXPECT_EQ(bytes.size(), 144u + static_cast<size_t>(a.compressed_bytes()));
    ExpectSame(a, Deserialize(bytes.data(), bytes.size()));
  }
  const CompressedMatrix p = WithRowPerm();
  const std::vector<uint8_t> bytes = Serialize(p);
  ExpectSame(p, Deserialize(bytes.data(), bytes.size()));
}

TEST(Serialize, RoundTripThroughFile) {
  const CompressedMatrix a = WithRowPerm();
  const std::string path = TempPath("roundtrip.hinm");
  SaveToFile(a, path);
  ExpectSame(a, LoadFromFile(path));
  // Overwriting an existing file replaces it whole.
  const CompressedMatrix b = Small(64, 16);
  SaveToFile(b, path);
  ExpectSame(b, LoadFromFile(path));
  std::remove(path.c_str());
}

// Without and with tuned splits (format version 2's section).
TEST(Serialize, TruncationAtEveryLengthIsCorrupt) {
  for (const std::vector<uint8_t>& bytes :
       {Serialize(WithRowPerm()), Serialize(WithRowPerm(), SomeTuned())}) {
    for (size_t n = 0; n < bytes.size(); ++n) {
      // A fresh heap copy of exactly n bytes, so a read past it is a real
      // out-of-bounds access (valgrind/ASan would report it).
      std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
      ASSERT_EQ(StatusOf([&] { Deserialize(cut.data(), cut.size()); }), Status::kCorruptFile)
          << n << " of " << bytes.size();
    }
    std::vector<uint8_t> longer = bytes;
    longer.push_back(0);
    EXPECT_EQ(StatusOf([&] { Deserialize(longer.data(), longer.size()); }), Status::kCorruptFile);
  }
}

TEST(Serialize, EveryBitFlipIsDetected) {
  for (const std::vector<uint8_t>& bytes :
       {Serialize(WithRowPerm()), Serialize(WithRowPerm(), SomeTuned())}) {
    for (size_t i = 0; i < bytes.size(); ++i) {
      for (int bit = 0; bit < 8; bit += 3) {
        std::vector<uint8_t> bad = bytes;
        bad[i] ^= static_cast<uint8_t>(1u << bit);
        const Status want = (i >= 8 && i < 12) ? Status::kVersionMismatch : Status::kCorruptFile;
        ASSERT_EQ(StatusOf([&] { Deserialize(bad.data(), bad.size()); }), want)
            << "byte " << i << " bit " << bit << " of " << bytes.size();
      }
    }
  }
}

// Damage with a recomputed header checksum: the semantic checks behind the
// checksum must still catch it.
void Reseal(std::vector<uint8_t>* b) {
  const uint64_t h = Fnv1a64(b->data(), 136);
  std::memcpy(b->data() + 136, &h, 8);
}

TEST(Serialize, ResealedBadParametersAreCorrupt) {
  const std::vector<uint8_t> good = Serialize(Small());
  auto with = [&](size_t offset, const void* v, size_t n) {
    std::vector<uint8_t> b = good;
    std::memcpy(b.data() + offset, v, n);
    Reseal(&b);
    return StatusOf([&] { Deserialize(b.data(), b.size()); });
  };
  const int32_t bad_v = 24, bad_dtype = 2;
  const int64_t bad_kept = 6, huge = int64_t{1} << 40, zero = 0;
  const uint64_t bad_len = 1;
  const uint32_t bad_flags = 8, other_endian = 0x04030201u;
  EXPECT_EQ(with(40, &bad_v, 4), Status::kCorruptFile);
  EXPECT_EQ(with(44, &bad_dtype, 4), Status::kCorruptFile);
  EXPECT_EQ(with(48, &bad_kept, 8), Status::kCorruptFile);
  EXPECT_EQ(with(24, &huge, 8), Status::kCorruptFile);
  EXPECT_EQ(with(32, &zero, 8), Status::kCorruptFile);
  EXPECT_EQ(with(72, &bad_len, 8), Status::kCorruptFile);
  EXPECT_EQ(with(96, &bad_len, 8), Status::kCorruptFile);  // row_perm without the flag
  EXPECT_EQ(with(20, &bad_flags, 4), Status::kCorruptFile);
  EXPECT_EQ(with(12, &other_endian, 4), Status::kCorruptFile);
}

TEST(Serialize, ResealedInvalidContentIsCorrupt) {
  // A duplicate column in a tile, with correct checksums everywhere.
  CompressedMatrix a = Small();
  std::vector<uint8_t> b = Serialize(a);
  const size_t col_off = 144 + a.values.size() * 2 + a.meta.size() * 4;
  int32_t c0;
  std::memcpy(&c0, b.data() + col_off, 4);
  std::memcpy(b.data() + col_off + 4, &c0, 4);
  const uint64_t ck = Fnv1a64(b.data() + col_off, a.col_idx.size() * 4);
  std::memcpy(b.data() + 120, &ck, 8);
  Reseal(&b);
  try {
    Deserialize(b.data(), b.size());
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::kCorruptFile);
    EXPECT_NE(std::string(e.what()).find("twice"), std::string::npos) << e.what();
  }
}

TEST(Serialize, WrongVersionAndMagic) {
  std::vector<uint8_t> b = Serialize(Small());
  const uint32_t v2 = kFileFormatVersion + 1;
  std::memcpy(b.data() + 8, &v2, 4);
  Reseal(&b);
  EXPECT_EQ(StatusOf([&] { Deserialize(b.data(), b.size()); }), Status::kVersionMismatch);
  std::vector<uint8_t> m = Serialize(Small());
  m[0] = 'X';
  EXPECT_EQ(StatusOf([&] { Deserialize(m.data(), m.size()); }), Status::kCorruptFile);
  EXPECT_EQ(StatusOf([&] { Deserialize(nullptr, 0); }), Status::kCorruptFile);
  EXPECT_EQ(StatusOf([&] { Deserialize(nullptr, 10); }), Status::kNullPointer);
}

TEST(Serialize, SerializeRejectsAnInvalidMatrix) {
  CompressedMatrix a = Small();
  a.meta.pop_back();
  EXPECT_EQ(StatusOf([&] { Serialize(a); }), Status::kInvalidValue);
}

TEST(Serialize, IoErrorsNameThePath) {
  const std::string missing = TempPath("does_not_exist.hinm");
  try {
    LoadFromFile(missing);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::kIoError);
    EXPECT_NE(std::string(e.what()).find(missing), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("No such file"), std::string::npos) << e.what();
  }
  const std::string unwritable = TempPath("no_such_dir/x.hinm");
  EXPECT_EQ(StatusOf([&] { SaveToFile(Small(), unwritable); }), Status::kIoError);
  // A directory is not a file.
  const char* dir = std::getenv("TEST_TMPDIR");
  EXPECT_EQ(StatusOf([&] { LoadFromFile(dir ? dir : "/tmp"); }), Status::kIoError);
  // A damaged file on disk reports corruption with the path.
  const std::string path = TempPath("damaged.hinm");
  {
    std::ofstream f(path, std::ios::binary);
    f << "HINMFMT";
  }
  try {
    LoadFromFile(path);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::kCorruptFile);
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
  }
  std::remove(path.c_str());
}

// How many files in path's directory have names starting with path's name
// (the target and any temporary file a save left beside it); -1 on error.
int FilesNamedLike(const std::string& path) {
  const std::string dir = path.substr(0, path.rfind('/'));
  FILE* p = popen(("ls " + dir + " | grep -c '^" + path.substr(dir.size() + 1) + "'").c_str(), "r");
  if (p == nullptr) return -1;
  int count = -1;
  if (fscanf(p, "%d", &count) != 1) count = -1;
  pclose(p);
  return count;
}

TEST(Serialize, SaveLeavesNoTemporaryFile) {
  const std::string path = TempPath("clean.hinm");
  SaveToFile(Small(), path);
  // The only file whose name starts with ours is the target itself.
  EXPECT_EQ(FilesNamedLike(path), 1);
  std::remove(path.c_str());
}

// ------------------------------------------------- tuned plans (version 2)

// One entry whose fields the corruption tests below rewrite.
const Entry kOne{{{"GPU", 9, 0, 132}, 16, Order::kFeatureMajor, Order::kTokenMajor}, Mma(4, true)};
constexpr size_t kOneNameBytes = 3;

// Field offsets of the first entry, from the section start S (serialize.cc).
constexpr size_t kCountAt = 0, kNameLenAt = 4, kNameAt = 8;
constexpr size_t Field(size_t name_bytes, size_t at) { return kNameAt + name_bytes + at; }
constexpr size_t kCcMajor = 0, kCcMinor = 4, kSms = 8, kN = 12, kBOrder = 20, kCOrder = 24,
                 kKernel = 28, kConfig = 32, kSplits = 64, kCluster = 68, kEntryBytes = 76;

template <typename T>
void Set(std::vector<uint8_t>* b, size_t at, T v) {
  ASSERT_LE(at + sizeof v, b->size());
  std::memcpy(b->data() + at, &v, sizeof v);
}

// The section checksum recomputed over [s, end - 8), as a writer would.
void ResealTuned(std::vector<uint8_t>* b, size_t s) {
  const uint64_t h = Fnv1a64(b->data() + s, b->size() - 8 - s);
  std::memcpy(b->data() + b->size() - 8, &h, 8);
}

std::string CorruptMessage(const std::vector<uint8_t>& b) {
  try {
    Deserialize(b.data(), b.size());
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::kCorruptFile) << e.what();
    return e.what();
  }
  ADD_FAILURE() << "loaded";
  return "";
}

TEST(SerializeTuned, RoundTripInMemoryAndThroughFile) {
  for (const CompressedMatrix& a : {Small(), WithRowPerm(), Small(40, 36, DType::kBFloat16)}) {
    const std::vector<uint8_t> bytes = Serialize(a, SomeTuned());
    std::vector<Entry> back = {kOne};  // replaced, not appended to
    ExpectSame(a, Deserialize(bytes.data(), bytes.size(), &back));
    EXPECT_EQ(back, Sorted(SomeTuned()));
    EXPECT_EQ(Serialize(a, back), bytes);
    // The matrix alone reads the same without asking for the plans.
    ExpectSame(a, Deserialize(bytes.data(), bytes.size()));
  }
  const std::string path = TempPath("tuned.hinm");
  SaveToFile(WithRowPerm(), path, SomeTuned());
  std::vector<Entry> back;
  ExpectSame(WithRowPerm(), LoadFromFile(path, &back));
  EXPECT_EQ(back, Sorted(SomeTuned()));
  std::remove(path.c_str());
}

TEST(SerializeTuned, BytesDependOnlyOnTheContents) {
  const CompressedMatrix a = Small();
  const std::vector<uint8_t> bytes = Serialize(a, SomeTuned());
  std::vector<Entry> reversed = SomeTuned();
  std::reverse(reversed.begin(), reversed.end());
  EXPECT_EQ(Serialize(a, reversed), bytes);
  TunedPlans store;
  for (const Entry& e : reversed) store.Store(e.problem, e.choice);
  EXPECT_EQ(Serialize(a, store.Entries()), bytes);
  EXPECT_EQ(Serialize(a, SomeTuned()), bytes);  // twice, same bytes
  // The section is the last thing in the file: the matrix's bytes come
  // first, unchanged but for the flag and the header checksum.
  const std::vector<uint8_t> plain = Serialize(a);
  ASSERT_GT(bytes.size(), plain.size());
  EXPECT_TRUE(std::equal(plain.begin() + kHeaderBytes, plain.end(), bytes.begin() + kHeaderBytes));
  EXPECT_EQ(bytes[20] & 4u, 4u);
  EXPECT_EQ(plain[20] & 4u, 0u);
}

TEST(SerializeTuned, NoPlansNoSection) {
  const CompressedMatrix a = Small();
  const std::vector<uint8_t> bytes = Serialize(a, {});
  EXPECT_EQ(bytes, Serialize(a));
  EXPECT_EQ(bytes.size(), kHeaderBytes + static_cast<size_t>(a.compressed_bytes()));
  uint32_t version = 0;
  std::memcpy(&version, bytes.data() + 8, 4);
  EXPECT_EQ(version, 2u);
  std::vector<Entry> back = {kOne};
  Deserialize(bytes.data(), bytes.size(), &back);
  EXPECT_TRUE(back.empty());
}

// A version 1 file as the version 1 library wrote it: a descriptor with both
// permutations, bf16 (the fuzz seed deserialize_fuzzer/2cp_both_32x24_v16_bf16
// as committed in 4fbaec5; kept here since the seeds are now version 2).
std::vector<uint8_t> Version1Fixture() {
  std::ifstream f("tests/cpp/testdata/format_v1_2cp_32x24_bf16.hinm", std::ios::binary);
  EXPECT_TRUE(f.good()) << "fixture not found (run from the workspace root, as bazel does)";
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

TEST(SerializeTuned, Version1FilesStillLoad) {
  const std::vector<uint8_t> v1 = Version1Fixture();
  ASSERT_EQ(v1.size(), 1680u);
  uint32_t version = 0;
  std::memcpy(&version, v1.data() + 8, 4);
  ASSERT_EQ(version, 1u);
  std::vector<Entry> tuned = {kOne};
  const CompressedMatrix a = Deserialize(v1.data(), v1.size(), &tuned);
  EXPECT_TRUE(tuned.empty());
  EXPECT_EQ(a.layout.rows, 32);
  EXPECT_EQ(a.layout.cols, 24);
  EXPECT_EQ(a.layout.tile_rows, 16);
  EXPECT_EQ(a.layout.kept_cols, 12);
  EXPECT_EQ(a.layout.dtype, DType::kBFloat16);
  EXPECT_EQ(a.row_perm.size(), 32u);
  EXPECT_TRUE(a.column_permuted);
  // Written again, it is the same file in version 2: only the version and
  // the header checksum differ.
  const std::vector<uint8_t> v2 = Serialize(a);
  ASSERT_EQ(v2.size(), v1.size());
  for (size_t i = 0; i < v1.size(); ++i) {
    if ((i >= 8 && i < 12) || (i >= 136 && i < 144)) continue;
    ASSERT_EQ(v1[i], v2[i]) << "byte " << i;
  }
  // The same holds for any matrix: a version 2 file without splits, made
  // version 1, loads.
  std::vector<uint8_t> b = Serialize(WithRowPerm());
  Set<uint32_t>(&b, 8, 1);
  Reseal(&b);
  ExpectSame(WithRowPerm(), Deserialize(b.data(), b.size(), &tuned));
  EXPECT_TRUE(tuned.empty());
}

TEST(SerializeTuned, Version1HasNoTunedFlag) {
  std::vector<uint8_t> b = Serialize(Small(), {kOne});
  Set<uint32_t>(&b, 8, 1);
  Reseal(&b);
  EXPECT_NE(CorruptMessage(b).find("unknown flags"), std::string::npos);
}

TEST(SerializeTuned, NewerAndOlderVersionsAreMismatches) {
  for (uint32_t v : {0u, kFileFormatVersion + 1, 0xFFFFFFFFu}) {
    std::vector<uint8_t> b = Serialize(Small(), {kOne});
    Set<uint32_t>(&b, 8, v);
    Reseal(&b);
    EXPECT_EQ(StatusOf([&] { Deserialize(b.data(), b.size()); }), Status::kVersionMismatch) << v;
  }
}

// The section's flag and its presence must agree (header resealed).
TEST(SerializeTuned, FlagWithoutSectionAndSectionWithoutFlag) {
  std::vector<uint8_t> flag_only = Serialize(Small());
  flag_only[20] |= 4;
  Reseal(&flag_only);
  EXPECT_NE(CorruptMessage(flag_only).find("truncated"), std::string::npos);
  std::vector<uint8_t> section_only = Serialize(Small(), {kOne});
  section_only[20] &= static_cast<uint8_t>(~4u);
  Reseal(&section_only);
  EXPECT_NE(CorruptMessage(section_only).find("the header implies"), std::string::npos);
}

// Each field of an entry out of its range, with a correct section checksum:
// kCorruptFile, naming the field.
TEST(SerializeTuned, ResealedBadFieldsAreCorrupt) {
  const std::vector<uint8_t> good = Serialize(Small(), {kOne});
  const size_t s = Serialize(Small()).size();  // the section's start
  const auto f = [](size_t at) { return Field(kOneNameBytes, at); };
  ASSERT_NO_THROW(Deserialize(good.data(), good.size()));
  struct Case {
    const char* what;
    std::vector<uint8_t> bytes;
    const char* needle;
  };
  std::vector<Case> cases;
  const auto with = [&](const char* what, size_t at, auto v, const char* needle) {
    std::vector<uint8_t> b = good;
    Set(&b, s + at, v);
    ResealTuned(&b, s);
    cases.push_back({what, b, needle});
  };
  with("splits 65", f(kSplits), int32_t{kMaxSavedSplits + 1}, "splits = 65");
  with("splits -1", f(kSplits), int32_t{-1}, "splits = -1");
  with("b_order 2", f(kBOrder), int32_t{2}, "b_order 2");
  with("c_order -1", f(kCOrder), int32_t{-1}, "c_order -1");
  with("n 0", f(kN), int64_t{0}, "n = 0");
  with("n -5", f(kN), int64_t{-5}, "n = -5");
  with("n 2^31", f(kN), int64_t{1} << 31, "n = 2147483648");
  with("cluster 2", f(kCluster), uint32_t{2}, "cluster flag 2");
  with("cluster 256", f(kCluster), uint32_t{256}, "cluster flag 256");
  with("kernel 3", f(kKernel), uint32_t{3}, "kernel 3");
  with("config upper case", f(kConfig), uint8_t{'N'}, "outside [a-z0-9_]");
  with("config byte after its NUL", f(kConfig + 20), uint8_t{'x'}, "after the tile config");
  std::vector<uint8_t> unterminated = good;  // 32 name bytes, no NUL
  std::fill(unterminated.begin() + static_cast<std::ptrdiff_t>(s + f(kConfig)),
            unterminated.begin() + static_cast<std::ptrdiff_t>(s + f(kConfig) + 32), uint8_t{'a'});
  ResealTuned(&unterminated, s);
  cases.push_back({"config without NUL", unterminated, "without a NUL"});
  with("cc major 0", f(kCcMajor), int32_t{0}, "compute capability 0.0");
  with("cc major 100", f(kCcMajor), int32_t{100}, "compute capability 100.0");
  with("cc minor -1", f(kCcMinor), int32_t{-1}, "compute capability 9.-1");
  with("cc minor 100", f(kCcMinor), int32_t{100}, "compute capability 9.100");
  with("sm count 0", f(kSms), int32_t{0}, "SM count 0");
  with("name with NUL", kNameAt + 1, uint8_t{0}, "NUL");
  with("name too long", kNameLenAt, uint32_t{kMaxDeviceNameBytes + 1}, "256 bytes (at most 255)");
  with("name longer than the section", kNameLenAt, uint32_t{200}, "truncated");
  with("count 0", kCountAt, uint32_t{0}, "no entries");
  with("count 2 for 1 entry", kCountAt, uint32_t{2}, "cannot fit");
  with("count absurd", kCountAt, uint32_t{0xFFFFFFFFu}, "cannot fit");
  std::vector<uint8_t> stray = good;  // 4 bytes between the last entry and the checksum
  stray.insert(stray.end() - 8, 4, uint8_t{0});
  ResealTuned(&stray, s);
  cases.push_back({"stray bytes", stray, "4 stray bytes after the last tuned plan"});
  for (const Case& c : cases) {
    SCOPED_TRACE(c.what);
    EXPECT_NE(CorruptMessage(c.bytes).find(c.needle), std::string::npos)
        << CorruptMessage(c.bytes);
  }
}

TEST(SerializeTuned, EntriesMustBeInProblemOrderAndUnique) {
  const Entry first = kOne;
  Entry second = kOne;  // same name length, later problem
  second.problem.n = 17;
  const std::vector<uint8_t> good = Serialize(Small(), {second, first});
  ASSERT_NO_THROW(Deserialize(good.data(), good.size()));
  const size_t s = Serialize(Small()).size();
  const size_t entry = kEntryBytes + kOneNameBytes;
  // Swapped: out of order.
  std::vector<uint8_t> swapped = good;
  std::copy(good.begin() + static_cast<std::ptrdiff_t>(s + 4 + entry),
            good.begin() + static_cast<std::ptrdiff_t>(s + 4 + 2 * entry),
            swapped.begin() + static_cast<std::ptrdiff_t>(s + 4));
  std::copy(good.begin() + static_cast<std::ptrdiff_t>(s + 4),
            good.begin() + static_cast<std::ptrdiff_t>(s + 4 + entry),
            swapped.begin() + static_cast<std::ptrdiff_t>(s + 4 + entry));
  ResealTuned(&swapped, s);
  EXPECT_NE(CorruptMessage(swapped).find("tuned plan 1: not after"), std::string::npos);
  // The same problem twice (other splits).
  std::vector<uint8_t> twice = good;
  Set<int64_t>(&twice, s + entry + Field(kOneNameBytes, kN), 16);
  Set<int32_t>(&twice, s + entry + Field(kOneNameBytes, kSplits), 9);
  ResealTuned(&twice, s);
  EXPECT_NE(CorruptMessage(twice).find("not after"), std::string::npos);
}

TEST(SerializeTuned, SerializeRefusesWhatAFileCannotHold) {
  const CompressedMatrix a = Small();
  const auto status = [&](Entry e) { return StatusOf([&] { Serialize(a, {e}); }); };
  Entry e = kOne;
  EXPECT_EQ(status(e), Status::kSuccess);
  e.choice.splits = -1;
  EXPECT_EQ(status(e), Status::kInvalidValue);
  e.choice.splits = kMaxSavedSplits + 1;
  EXPECT_EQ(status(e), Status::kInvalidValue);
  e = kOne;
  e.choice.config.assign(kMaxConfigNameBytes + 1, 'a');
  EXPECT_EQ(status(e), Status::kInvalidValue);
  e.choice.config = "Wide";
  EXPECT_EQ(status(e), Status::kInvalidValue);
  e = kOne;
  e.choice.kernel = static_cast<GpuKernel>(7);
  EXPECT_EQ(status(e), Status::kInvalidValue);
  e = kOne;
  e.problem.device.name.assign(kMaxDeviceNameBytes + 1, 'x');
  EXPECT_EQ(status(e), Status::kInvalidValue);
  e = kOne;
  e.problem.n = 0;
  EXPECT_EQ(status(e), Status::kInvalidValue);
  e = kOne;
  e.problem.device.sm_count = 0;
  EXPECT_EQ(status(e), Status::kInvalidValue);
  e = kOne;
  Entry other = kOne;
  other.choice.splits = 2;  // same problem, another split
  EXPECT_EQ(StatusOf([&] { Serialize(a, {e, other}); }), Status::kInvalidValue);
}

// ------------------------------------------------------ SerializedSize

// The status and message f throws (kSuccess and "" if it returns).
template <typename F>
std::pair<Status, std::string> Thrown(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return {e.status(), e.what()};
  }
  return {Status::kSuccess, ""};
}

// The file's size as docs/format.md states it, independently of
// serialize.cc: header, arrays, and with plans the section (count, 76 bytes
// plus the name per entry, checksum).
size_t DocumentedSize(const CompressedMatrix& m, const std::vector<Entry>& tuned) {
  size_t size = kHeaderBytes + static_cast<size_t>(m.compressed_bytes());
  if (tuned.empty()) return size;
  size += 4 + 8;
  for (const Entry& e : tuned) size += kEntryBytes + e.problem.device.name.size();
  return size;
}

// Plans with names of every length class, the longest a file allows
// included, on one GPU model each (so none repeats another's problem).
std::vector<Entry> LongNames() {
  std::vector<Entry> out;
  for (const size_t len : {kMaxDeviceNameBytes, kMaxDeviceNameBytes - 1, size_t{1}, size_t{0},
                           size_t{64}}) {
    Entry e = kOne;
    e.problem.device.name.assign(len, 'n');
    out.push_back(e);
  }
  return out;
}

// A matrix to measure and write, and what it is (for SCOPED_TRACE).
struct TestMatrix {
  std::string what;
  CompressedMatrix m;
  bool pruned;  // PruneAndCompress's own (else: it with a row_perm by hand)
};

// 36 pruned matrices: M below, at and off a multiple of V; K below 4, not a
// multiple of 4, and large; V from 16 to 256; sparsities from none to 90 %;
// fp16 and bf16; with and without 2CP. Each is there with a row_perm: 2CP's
// own, or, where it stored none (one tile, or no 2CP), a copy of it with
// one by hand (rows reversed) besides it. Made once (2CP is slow under the
// sanitizers), for every test that uses them.
std::vector<TestMatrix> MakeManyMatrices() {
  struct Shape {
    int64_t m, k;
    int32_t v;
    double sparsity;  // vector sparsity (K_keep from it)
  };
  const Shape shapes[] = {{1, 1, 16, 0.0},      {20, 12, 16, 0.5},     {33, 70, 32, 0.25},
                          {64, 3, 16, 0.0},     {130, 64, 128, 0.75},  {17, 6, 48, 0.9},
                          {256, 40, 256, 0.5},  {300, 129, 64, 0.6},   {96, 200, 96, 0.3}};
  std::vector<TestMatrix> out;
  for (const Shape& sh : shapes) {
    for (const DType d : {DType::kFloat16, DType::kBFloat16}) {
      for (const bool permute : {false, true}) {
        const std::string what = std::to_string(sh.m) + "x" + std::to_string(sh.k) + " V=" +
                                 std::to_string(sh.v) + " s=" + std::to_string(sh.sparsity) +
                                 (d == DType::kFloat16 ? " fp16" : " bf16") +
                                 (permute ? " 2CP" : "");
        const std::vector<float> w = RandomMatrix(sh.m, sh.k, static_cast<uint32_t>(sh.m * sh.k));
        PruneOptions o;
        o.tile_rows = sh.v;
        o.vector_sparsity = sh.sparsity;
        o.value_dtype = d;
        o.permute.output_axis = o.permute.input_axis = permute;
        o.permute.num_threads = 1;
        CompressedMatrix m = PruneAndCompress(
            DenseView{w.data(), DType::kFloat32, sh.m, sh.k, sh.k}, SaliencyView{}, o);
        if (m.row_perm.empty()) {
          CompressedMatrix r = m;
          for (int64_t p = sh.m - 1; p >= 0; --p) r.row_perm.push_back(static_cast<int32_t>(p));
          out.push_back({what + ", row_perm by hand", std::move(r), false});
        }
        out.push_back({what, std::move(m), true});
      }
    }
  }
  return out;
}

const std::vector<TestMatrix>& ManyMatrices() {
  static const std::vector<TestMatrix>* const all = new std::vector<TestMatrix>(MakeManyMatrices());
  return *all;
}

// Tuned plan sets: none, one, several, and names of every length class.
std::vector<std::vector<Entry>> TunedSets() {
  return {{}, {kOne}, SomeTuned(), LongNames(), {LongNames()[0]}};
}

TEST(SerializedSize, EqualsTheBytesSerializeWrites) {
  int matrices = 0, with_perm = 0, by_2cp = 0;
  for (const TestMatrix& t : ManyMatrices()) {
    SCOPED_TRACE(t.what);
    const CompressedMatrix& v = t.m;
    if (t.pruned) ++matrices;
    if (t.pruned && !v.row_perm.empty()) ++by_2cp;
    with_perm += v.row_perm.empty() ? 0 : 1;
    for (const std::vector<Entry>& tuned : TunedSets()) {
      const size_t size = SerializedSize(v, tuned);
      EXPECT_EQ(size, Serialize(v, tuned).size())
          << tuned.size() << " plans, row_perm " << v.row_perm.size();
      EXPECT_EQ(size, DocumentedSize(v, tuned))
          << tuned.size() << " plans, row_perm " << v.row_perm.size();
    }
  }
  EXPECT_EQ(matrices, 36);
  EXPECT_EQ(with_perm, matrices);
  EXPECT_GT(by_2cp, 0);  // some row permutations are 2CP's own
  // A hand-made row permutation, and no plans by default.
  EXPECT_EQ(SerializedSize(WithRowPerm()), Serialize(WithRowPerm()).size());
  EXPECT_EQ(SerializedSize(WithRowPerm(), SomeTuned()),
            Serialize(WithRowPerm(), SomeTuned()).size());
}

// The same status and the same message as Serialize, for every reason it
// refuses; a bad matrix is reported before bad plans, by both. SerializeInto
// throws the same and writes nothing.
TEST(SerializedSize, ThrowsWhatSerializeThrows) {
  std::vector<std::pair<std::string, CompressedMatrix>> bad_matrices;
  const auto bad = [&](const std::string& what, auto&& damage) {
    CompressedMatrix m = WithRowPerm();
    damage(m);
    bad_matrices.push_back({what, std::move(m)});
  };
  bad("meta short", [](CompressedMatrix& m) { m.meta.pop_back(); });
  bad("values long", [](CompressedMatrix& m) { m.values.push_back(0); });
  bad("duplicate column", [](CompressedMatrix& m) { m.col_idx[1] = m.col_idx[0]; });
  bad("column out of range", [](CompressedMatrix& m) { m.col_idx[0] = 1000; });
  bad("row_perm not a permutation", [](CompressedMatrix& m) { m.row_perm[0] = m.row_perm[1]; });
  bad("row_perm short", [](CompressedMatrix& m) { m.row_perm.pop_back(); });
  bad("saliency NaN", [](CompressedMatrix& m) { m.stats.retained_saliency = std::nan(""); });
  bad("bad nibble", [](CompressedMatrix& m) { m.meta[0] = 0xFFFFFFFFu; });

  std::vector<std::pair<std::string, std::vector<Entry>>> bad_tuned;
  const auto bad_entry = [&](const std::string& what, auto&& damage) {
    Entry e = kOne;
    damage(e);
    bad_tuned.push_back({what, {e}});
    std::vector<Entry> among = SomeTuned();  // one bad entry among good ones
    among.push_back(e);
    bad_tuned.push_back({what + " among others", among});
  };
  bad_entry("splits -1", [](Entry& e) { e.choice.splits = -1; });
  bad_entry("splits 65", [](Entry& e) { e.choice.splits = kMaxSavedSplits + 1; });
  bad_entry("config too long",
            [](Entry& e) { e.choice.config.assign(kMaxConfigNameBytes + 1, 'a'); });
  bad_entry("config upper case", [](Entry& e) { e.choice.config = "Wide"; });
  bad_entry("kernel 7", [](Entry& e) { e.choice.kernel = static_cast<GpuKernel>(7); });
  bad_entry("name too long",
            [](Entry& e) { e.problem.device.name.assign(kMaxDeviceNameBytes + 1, 'x'); });
  bad_entry("name with NUL", [](Entry& e) { e.problem.device.name = std::string("a\0b", 3); });
  bad_entry("n 0", [](Entry& e) { e.problem.n = 0; });
  bad_entry("n 2^31", [](Entry& e) { e.problem.n = int64_t{1} << 31; });
  bad_entry("sm count 0", [](Entry& e) { e.problem.device.sm_count = 0; });
  bad_entry("cc 100.0", [](Entry& e) { e.problem.device.cc_major = 100; });
  bad_entry("b_order 2", [](Entry& e) { e.problem.b_order = static_cast<Order>(2); });
  Entry other = kOne;
  other.choice.splits = 2;  // same problem, another split
  bad_tuned.push_back({"duplicate problem", {kOne, other}});
  std::vector<Entry> twice = SomeTuned();
  twice.push_back(twice[3]);  // the longest name, twice
  bad_tuned.push_back({"duplicate among others", twice});

  const auto expect_same = [](const std::string& what, const CompressedMatrix& m,
                              const std::vector<Entry>& tuned, Status want) {
    SCOPED_TRACE(what);
    const std::pair<Status, std::string> by_size = Thrown([&] { SerializedSize(m, tuned); });
    EXPECT_EQ(by_size.first, want) << by_size.second;
    EXPECT_EQ(by_size, Thrown([&] { Serialize(m, tuned); }));
    // SerializeInto too, with room to spare and with none (the input's
    // fault is reported before the capacity's), writing nothing.
    for (const size_t capacity : {size_t{1} << 16, size_t{0}}) {
      std::vector<uint8_t> buf(size_t{1} << 16, 0x5A);
      EXPECT_EQ(by_size, Thrown([&] { SerializeInto(m, tuned, buf.data(), capacity); }))
          << "capacity " << capacity;
      EXPECT_EQ(buf, std::vector<uint8_t>(buf.size(), 0x5A)) << "capacity " << capacity;
    }
  };
  const CompressedMatrix good = WithRowPerm();
  for (const auto& [what, m] : bad_matrices) {
    expect_same(what, m, {}, Status::kInvalidValue);
    expect_same(what + ", with plans", m, SomeTuned(), Status::kInvalidValue);
    expect_same(what + ", with bad plans", m, bad_tuned[0].second, Status::kInvalidValue);
    // The matrix's fault is the one reported, as by Serialize.
    EXPECT_EQ(Thrown([&] { SerializedSize(m, bad_tuned[0].second); }),
              Thrown([&] { SerializedSize(m); }))
        << what;
  }
  for (const auto& [what, tuned] : bad_tuned) expect_same(what, good, tuned, Status::kInvalidValue);
  EXPECT_EQ(bad_matrices.size(), 8u);
  EXPECT_EQ(bad_tuned.size(), 26u);
}

// ------------------------------------------------------ SerializeInto

// The buffer bytes SerializeInto must leave alone.
constexpr uint8_t kSentinel = 0xA5;

// For every matrix and plan set: exactly SerializedSize bytes are enough
// and give Serialize's bytes; one less is refused with both sizes named and
// nothing written; more is fine, and only the file's bytes are written.
TEST(SerializeInto, WritesSerializesBytesOrNothing) {
  const std::vector<TestMatrix>& all = ManyMatrices();
  int checked = 0;
  for (const TestMatrix& t : all) {
    SCOPED_TRACE(t.what);
    for (const std::vector<Entry>& tuned : TunedSets()) {
      SCOPED_TRACE(std::to_string(tuned.size()) + " plans");
      const std::vector<uint8_t> want = Serialize(t.m, tuned);
      const size_t n = want.size();
      ASSERT_EQ(n, SerializedSize(t.m, tuned));
      // Exactly enough.
      std::vector<uint8_t> exact(n, kSentinel);
      EXPECT_EQ(SerializeInto(t.m, tuned, exact.data(), n), n);
      EXPECT_EQ(exact, want);
      // One byte short (the buffer is larger: nothing past capacity either).
      std::vector<uint8_t> buf(n + 64, kSentinel);
      const std::pair<Status, std::string> short_by_one =
          Thrown([&] { SerializeInto(t.m, tuned, buf.data(), n - 1); });
      EXPECT_EQ(short_by_one.first, Status::kInvalidValue);
      EXPECT_NE(short_by_one.second.find("size = " + std::to_string(n - 1) +
                                         " is smaller than the " + std::to_string(n) +
                                         " bytes needed"),
                std::string::npos)
          << short_by_one.second;
      EXPECT_EQ(buf, std::vector<uint8_t>(buf.size(), kSentinel));
      // Far too small.
      EXPECT_EQ(StatusOf([&] { SerializeInto(t.m, tuned, buf.data(), 0); }),
                Status::kInvalidValue);
      EXPECT_EQ(buf, std::vector<uint8_t>(buf.size(), kSentinel));
      // Room to spare: the file's bytes, then the buffer as it was.
      EXPECT_EQ(SerializeInto(t.m, tuned, buf.data(), buf.size()), n);
      EXPECT_EQ(std::vector<uint8_t>(buf.begin(), buf.begin() + static_cast<ptrdiff_t>(n)), want);
      EXPECT_EQ(std::vector<uint8_t>(buf.begin() + static_cast<ptrdiff_t>(n), buf.end()),
                std::vector<uint8_t>(64, kSentinel));
      // And it loads back.
      std::vector<Entry> back;
      ExpectSame(t.m, Deserialize(exact.data(), exact.size(), &back));
      EXPECT_EQ(back, Sorted(tuned));
      ++checked;
    }
  }
  EXPECT_EQ(checked, 5 * static_cast<int>(all.size()));
  EXPECT_GE(checked, 5 * 36);
}

TEST(SerializeInto, NullBufferAndDefaultPlans) {
  const CompressedMatrix a = WithRowPerm();
  const size_t n = SerializedSize(a);
  EXPECT_EQ(StatusOf([&] { SerializeInto(a, {}, nullptr, n); }), Status::kNullPointer);
  EXPECT_EQ(StatusOf([&] { SerializeInto(a, {}, nullptr, 0); }), Status::kNullPointer);
  std::vector<uint8_t> buf(n);
  EXPECT_EQ(SerializeInto(a, {}, buf.data(), n), n);
  EXPECT_EQ(buf, Serialize(a));
}

// A plan set that grew after it was measured (what hinmSerialize meets when
// a search stores a plan between the two calls) is refused, not written.
TEST(SerializeInto, PlansAddedAfterMeasuringAreRefused) {
  const CompressedMatrix a = WithRowPerm();
  std::vector<Entry> tuned = {kOne};
  const size_t n = SerializedSize(a, tuned);
  tuned.push_back(SomeTuned()[0]);
  std::vector<uint8_t> buf(n, kSentinel);
  const std::pair<Status, std::string> thrown =
      Thrown([&] { SerializeInto(a, tuned, buf.data(), buf.size()); });
  EXPECT_EQ(thrown.first, Status::kInvalidValue);
  EXPECT_NE(thrown.second.find("size = " + std::to_string(n) + " is smaller than the " +
                               std::to_string(SerializedSize(a, tuned)) + " bytes needed"),
            std::string::npos)
      << thrown.second;
  EXPECT_EQ(buf, std::vector<uint8_t>(n, kSentinel));
}

// ------------------------------------------------------ SaveToFile streams

std::vector<uint8_t> ReadAll(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// A matrix whose arrays are larger than SaveToFile's 64 KiB staging buffer
// (values alone ~256 KiB), so arrays go to the file both staged and direct.
CompressedMatrix Large() {
  const std::vector<float> w = RandomMatrix(512, 512, 7);
  PruneOptions o;
  o.tile_rows = 64;
  o.vector_sparsity = 0.0;
  return PruneAndCompress(DenseView{w.data(), DType::kFloat32, 512, 512, 512}, SaliencyView{}, o);
}

// The file holds exactly Serialize's bytes, for small and large matrices,
// with and without plans.
TEST(SaveToFile, WritesSerializesBytes) {
  const std::string path = TempPath("streamed.hinm");
  std::vector<TestMatrix> all = ManyMatrices();
  all.push_back({"large", Large(), true});
  ASSERT_GT(SerializedSize(all.back().m), size_t{4} << 16);
  for (const TestMatrix& t : all) {
    SCOPED_TRACE(t.what);
    for (const std::vector<Entry>& tuned : {std::vector<Entry>{}, SomeTuned(), LongNames()}) {
      SaveToFile(t.m, path, tuned);
      EXPECT_EQ(ReadAll(path), Serialize(t.m, tuned)) << tuned.size() << " plans";
    }
  }
  std::remove(path.c_str());
}

// Bad input is refused before a file is made: an existing file stays as it
// was, and no temporary file is left.
TEST(SaveToFile, RefusesBadInputBeforeMakingAFile) {
  const std::string path = TempPath("kept.hinm");
  SaveToFile(Small(), path);
  const std::vector<uint8_t> before = ReadAll(path);
  CompressedMatrix bad = WithRowPerm();
  bad.meta.pop_back();
  EXPECT_EQ(Thrown([&] { SaveToFile(bad, path); }), Thrown([&] { Serialize(bad); }));
  Entry bad_plan = kOne;
  bad_plan.choice.splits = -1;
  EXPECT_EQ(Thrown([&] { SaveToFile(Small(), path, {bad_plan}); }),
            Thrown([&] { Serialize(Small(), {bad_plan}); }));
  EXPECT_EQ(ReadAll(path), before);
  EXPECT_EQ(FilesNamedLike(path), 1);
  std::remove(path.c_str());
}

// In a child process (the limit is process-wide): SaveToFile(large, path)
// under a file size limit past the staging buffer, within the arrays, so
// write() fails partway (EFBIG). Exits 0 if that is kIoError naming the
// temporary file, `path` still holds `before`, and no temporary file is
// left; another code says which check failed.
[[noreturn]] void SaveUnderSizeLimit(const CompressedMatrix& large, const std::string& path,
                                     const std::vector<uint8_t>& before) {
  std::signal(SIGXFSZ, SIG_IGN);
  rlimit limit;
  limit.rlim_cur = limit.rlim_max = 100000;
  if (setrlimit(RLIMIT_FSIZE, &limit) != 0) std::_Exit(2);
  const std::pair<Status, std::string> thrown = Thrown([&] { SaveToFile(large, path); });
  if (thrown.first != Status::kIoError) std::_Exit(3);
  if (thrown.second.find("cannot write '" + path + ".tmp.") == std::string::npos) std::_Exit(4);
  if (ReadAll(path) != before) std::_Exit(5);
  FILE* p = popen(("ls " + path + ".tmp.* 2>/dev/null | wc -l").c_str(), "r");
  int count = -1;
  if (p == nullptr || fscanf(p, "%d", &count) != 1) std::_Exit(6);
  pclose(p);
  std::_Exit(count == 0 ? 0 : 7);
}

// A write that fails partway is kIoError naming the temporary file; the
// target keeps its old bytes and the temporary file is removed.
TEST(SaveToFile, WriteErrorPartwayLeavesTheOldFile) {
  const std::string path = TempPath("write_error.hinm");
  SaveToFile(Small(), path);
  const std::vector<uint8_t> before = ReadAll(path);
  const CompressedMatrix large = Large();
  ASSERT_GT(SerializedSize(large), size_t{200000});
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(SaveUnderSizeLimit(large, path, before), testing::ExitedWithCode(0), "");
  EXPECT_EQ(ReadAll(path), before);
  std::remove(path.c_str());
}

TEST(Checksum, Fnv1aKnownVectors) {
  // Published FNV-1a 64 test vectors.
  EXPECT_EQ(Fnv1a64("", 0), 0xcbf29ce484222325ull);
  EXPECT_EQ(Fnv1a64("a", 1), 0xaf63dc4c8601ec8cull);
  EXPECT_EQ(Fnv1a64("foobar", 6), 0x85944171f73967e8ull);
  // Chaining equals hashing the concatenation.
  EXPECT_EQ(Fnv1a64("bar", 3, Fnv1a64("foo", 3)), Fnv1a64("foobar", 6));
}

}  // namespace
}  // namespace hinm
