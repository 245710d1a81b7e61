// Save/load: exact round trips, and every kind of damage is reported as
// kCorruptFile / kVersionMismatch / kIoError without reading out of bounds.
#include "cpp/hinm/serialize.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <unistd.h>

#include "cpp/hinm/checksum.h"
#include "cpp/hinm/prune.h"
#include "tests/cpp/hinm_test_util.h"

namespace hinm {
namespace {

using testing_util::RandomMatrix;
using testing_util::StatusOf;

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

TEST(Serialize, TruncationAtEveryLengthIsCorrupt) {
  const std::vector<uint8_t> bytes = Serialize(WithRowPerm());
  for (size_t n = 0; n < bytes.size(); ++n) {
    // A fresh heap copy of exactly n bytes, so a read past it is a real
    // out-of-bounds access (valgrind/ASan would report it).
    std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<std::ptrdiff_t>(n));
    ASSERT_EQ(StatusOf([&] { Deserialize(cut.data(), cut.size()); }), Status::kCorruptFile) << n;
  }
  std::vector<uint8_t> longer = bytes;
  longer.push_back(0);
  EXPECT_EQ(StatusOf([&] { Deserialize(longer.data(), longer.size()); }), Status::kCorruptFile);
}

TEST(Serialize, EveryBitFlipIsDetected) {
  const std::vector<uint8_t> bytes = Serialize(WithRowPerm());
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int bit = 0; bit < 8; bit += 3) {
      std::vector<uint8_t> bad = bytes;
      bad[i] ^= static_cast<uint8_t>(1u << bit);
      const Status want = (i >= 8 && i < 12) ? Status::kVersionMismatch : Status::kCorruptFile;
      ASSERT_EQ(StatusOf([&] { Deserialize(bad.data(), bad.size()); }), want)
          << "byte " << i << " bit " << bit;
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

TEST(Serialize, SaveLeavesNoTemporaryFile) {
  const std::string path = TempPath("clean.hinm");
  SaveToFile(Small(), path);
  const std::string dir = path.substr(0, path.rfind('/'));
  // The only file whose name starts with ours is the target itself.
  FILE* p = popen(("ls " + dir + " | grep -c '^" + path.substr(dir.size() + 1) + "'").c_str(), "r");
  ASSERT_NE(p, nullptr);
  int count = -1;
  ASSERT_EQ(fscanf(p, "%d", &count), 1);
  pclose(p);
  EXPECT_EQ(count, 1);
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
