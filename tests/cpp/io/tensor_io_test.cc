// tensor_io: .npy and safetensors readers against files written by NumPy and
// the safetensors package (testdata/, see make_fixtures.py), hand-built
// files for what those writers cannot make (bf16, odd JSON), and every kind
// of malformed or truncated input (kCorruptFile, never a crash).
#include "cpp/hinm/tensor_io.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <map>
#include <string>
#include <vector>

#include "cpp/hinm/error.h"

namespace hinm {
namespace {

const std::string kData = "tests/cpp/io/testdata/";

std::string Tmp(const std::string& name) {
  const char* dir = std::getenv("TEST_TMPDIR");
  return std::string(dir ? dir : "/tmp") + "/" + name;
}

std::vector<uint8_t> ReadBytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::vector<uint8_t>(std::istreambuf_iterator<char>(f), {});
}

void WriteBytes(const std::string& path, const std::vector<uint8_t>& b) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
}

// Runs fn, expecting hinm::Error with `status` and a message containing `needle`.
void ExpectError(const std::function<void()>& fn, Status status, const std::string& needle = "") {
  try {
    fn();
    ADD_FAILURE() << "no error; expected status " << static_cast<int>(status);
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), status) << e.what();
    EXPECT_NE(std::string(e.what()).find(needle), std::string::npos)
        << "'" << e.what() << "' lacks '" << needle << "'";
  }
}

// A v1 .npy file with an arbitrary header text and payload.
std::vector<uint8_t> Npy(const std::string& header, const std::vector<uint8_t>& payload,
                         int major = 1) {
  std::vector<uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', static_cast<uint8_t>(major), 0};
  const uint32_t len = static_cast<uint32_t>(header.size());
  b.push_back(len & 0xff);
  b.push_back((len >> 8) & 0xff);
  if (major >= 2) {
    b.push_back((len >> 16) & 0xff);
    b.push_back((len >> 24) & 0xff);
  }
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), payload.begin(), payload.end());
  return b;
}

std::vector<uint8_t> FloatBytes(const std::vector<float>& v) {
  std::vector<uint8_t> b(v.size() * 4);
  std::memcpy(b.data(), v.data(), b.size());
  return b;
}

const std::vector<float> k23 = {-1.0f, -0.5f, 0.0f, 0.5f, 1.0f, 1.5f};

// ================================================================== npy

TEST(Npy, ReadsNumpyFloat32V1V2V3) {
  for (const char* f : {"f4_2x3.npy", "f4_v2.npy", "f4_v3.npy"}) {
    const Tensor t = LoadNpy(kData + f);
    EXPECT_EQ(t.shape, (std::vector<int64_t>{2, 3})) << f;
    EXPECT_EQ(t.data, k23) << f;
    EXPECT_EQ(t.numel(), 6);
  }
}

TEST(Npy, ReadsNumpyFloat16AndFloat64) {
  const Tensor h = LoadNpy(kData + "f2_4.npy");
  EXPECT_EQ(h.shape, (std::vector<int64_t>{4}));
  EXPECT_EQ(h.data, (std::vector<float>{1.0f, -2.0f, 0.5f, 65504.0f}));
  const Tensor d = LoadNpy(kData + "f8_3.npy");
  EXPECT_EQ(d.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(d.data, (std::vector<float>{static_cast<float>(1.0 / 3.0), -1e10f, 0.0f}));
}

TEST(Npy, ReadsScalarAndEmpty) {
  const Tensor s = LoadNpy(kData + "scalar.npy");
  EXPECT_TRUE(s.shape.empty());
  EXPECT_EQ(s.data, std::vector<float>{2.5f});
  const Tensor e = LoadNpy(kData + "empty_0x3.npy");
  EXPECT_EQ(e.shape, (std::vector<int64_t>{0, 3}));
  EXPECT_TRUE(e.data.empty());
}

TEST(Npy, ValidButUnsupported) {
  ExpectError([] { LoadNpy(kData + "fortran_2x3.npy"); }, Status::kNotSupported, "Fortran");
  ExpectError([] { LoadNpy(kData + "i4_3.npy"); }, Status::kNotSupported, "<i4");
  ExpectError([] { LoadNpy(kData + "be_f4_3.npy"); }, Status::kNotSupported, "big-endian");
  const std::string h = "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }";
  ExpectError([&] { auto b = Npy(h, FloatBytes({1})); ParseNpy(b.data(), b.size()); },
              Status::kNotSupported, "structured");
  ExpectError([&] {
    auto b = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", FloatBytes({1}), 4);
    ParseNpy(b.data(), b.size());
  }, Status::kNotSupported, "version 4");
}

TEST(Npy, MissingFileIsIoError) {
  ExpectError([] { LoadNpy(Tmp("no_such_file.npy")); }, Status::kIoError, "no_such_file");
}

TEST(Npy, EveryTruncationAndTrailingByteIsCorrupt) {
  const std::vector<uint8_t> good = ReadBytes(kData + "f4_2x3.npy");
  ASSERT_EQ(good.size(), 128u + 24u);
  for (size_t n = 0; n < good.size(); ++n) {
    const std::vector<uint8_t> cut(good.begin(), good.begin() + n);
    ExpectError([&] { ParseNpy(cut.data(), cut.size()); }, Status::kCorruptFile);
  }
  std::vector<uint8_t> longer = good;
  longer.push_back(0);
  ExpectError([&] { ParseNpy(longer.data(), longer.size()); }, Status::kCorruptFile, "data bytes");
}

TEST(Npy, MalformedHeadersAreCorrupt) {
  const auto payload = FloatBytes({1, 2, 3, 4, 5, 6});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{'descr': '<f4', 'shape': (2, 3), }", "fortran_order"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), 'x': 1}", "unexpected key"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)}", "duplicate"},
      {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (2, 3), }", "True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2, 3), }", "integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2 3), }", "','"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [2, 3], }", "'('"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (2, 3), }", ""},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), } junk", "trailing"},
      {"'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", "'{'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", "','"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999, 1), }",
       "overflow"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }",
       "overflow"},
      {"", "'{'"},
  };
  for (const auto& [header, needle] : cases) {
    const auto b = Npy(header, payload);
    ExpectError([&] { ParseNpy(b.data(), b.size()); }, Status::kCorruptFile, needle);
  }
  // Header length pointing past the end of the file.
  auto b = Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", payload);
  b[8] = 0xff;
  b[9] = 0xff;
  ExpectError([&] { ParseNpy(b.data(), b.size()); }, Status::kCorruptFile, "past the end");
  // Bad magic.
  b = ReadBytes(kData + "f4_2x3.npy");
  b[1] = 'X';
  ExpectError([&] { ParseNpy(b.data(), b.size()); }, Status::kCorruptFile, "magic");
}

TEST(Npy, HandWrittenHeaderVariantsAreAccepted) {
  // Double quotes, no trailing comma, native '=' order, 1-D tuple, Python 2
  // long suffix, and no padding at all.
  const auto b = Npy("{\"descr\": \"=f4\", \"shape\": (6L,), \"fortran_order\": False}",
                     FloatBytes(k23));
  const Tensor t = ParseNpy(b.data(), b.size());
  EXPECT_EQ(t.shape, std::vector<int64_t>{6});
  EXPECT_EQ(t.data, k23);
}

TEST(Npy, SaveRoundTripsAndAlignsData) {
  const std::vector<std::vector<int64_t>> shapes = {{}, {0}, {5}, {3, 4}, {2, 3, 4}, {1, 1, 1, 7}};
  for (const auto& shape : shapes) {
    Tensor t;
    t.shape = shape;
    t.data.resize(static_cast<size_t>(t.numel()));
    for (size_t i = 0; i < t.data.size(); ++i) t.data[i] = static_cast<float>(i) * 0.75f - 2.0f;
    const std::string path = Tmp("roundtrip.npy");
    SaveNpy(path, t);
    const std::vector<uint8_t> bytes = ReadBytes(path);
    EXPECT_EQ(bytes, EncodeNpy(t));
    uint16_t hlen;
    std::memcpy(&hlen, bytes.data() + 8, 2);
    EXPECT_EQ((10 + hlen) % 64, 0u) << "data must start 64-byte aligned";
    EXPECT_EQ(bytes[10 + hlen - 1], '\n');
    const Tensor back = LoadNpy(path);
    EXPECT_EQ(back.shape, t.shape);
    EXPECT_EQ(back.data, t.data);
  }
  // The bytes NumPy wrote for the same array are what we write.
  Tensor t;
  t.shape = {2, 3};
  t.data = k23;
  EXPECT_EQ(EncodeNpy(t), ReadBytes(kData + "f4_2x3.npy"));
}

TEST(Npy, SaveErrors) {
  Tensor t;
  t.shape = {2, 2};
  t.data = {1, 2, 3};
  ExpectError([&] { SaveNpy(Tmp("bad.npy"), t); }, Status::kInvalidValue, "holds 4 values");
  t.data.push_back(4);
  WriteBytes(Tmp("a_file"), {1});
  ExpectError([&] { SaveNpy(Tmp("a_file/x.npy"), t); }, Status::kIoError, "a_file");
}

// =========================================================== safetensors

TEST(Safetensors, ListsTheSafetensorsPackageFile) {
  const std::vector<SafetensorInfo> list = ListSafetensors(kData + "model.safetensors");
  ASSERT_EQ(list.size(), 5u);  // __metadata__ skipped
  std::map<std::string, SafetensorInfo> by_name;
  for (const auto& i : list) by_name[i.name] = i;
  EXPECT_EQ(by_name["layer.weight"].dtype, "F32");
  EXPECT_EQ(by_name["layer.weight"].shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(by_name["layer.weight"].end - by_name["layer.weight"].begin, 24u);
  EXPECT_EQ(by_name["layer.half"].dtype, "F16");
  EXPECT_EQ(by_name["layer.double"].dtype, "F64");
  EXPECT_EQ(by_name["layer.index"].dtype, "I64");
  EXPECT_EQ(by_name["empty"].shape, (std::vector<int64_t>{0, 4}));
}

TEST(Safetensors, LoadsFloatTensors) {
  const std::string p = kData + "model.safetensors";
  const Tensor w = LoadSafetensor(p, "layer.weight");
  EXPECT_EQ(w.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(w.data, k23);
  EXPECT_EQ(LoadSafetensor(p, "layer.half").data,
            (std::vector<float>{1.0f, -2.0f, 0.5f, 65504.0f}));
  EXPECT_EQ(LoadSafetensor(p, "layer.double").data,
            (std::vector<float>{static_cast<float>(1.0 / 3.0), -1e10f, 0.0f}));
  const Tensor e = LoadSafetensor(p, "empty");
  EXPECT_EQ(e.shape, (std::vector<int64_t>{0, 4}));
  EXPECT_TRUE(e.data.empty());
}

TEST(Safetensors, UnsupportedDtypeAndMissingName) {
  const std::string p = kData + "model.safetensors";
  ExpectError([&] { LoadSafetensor(p, "layer.index"); }, Status::kNotSupported, "I64");
  ExpectError([&] { LoadSafetensor(p, "nope"); }, Status::kInvalidValue, "layer.weight");
  ExpectError([&] { LoadSafetensor(p, "__metadata__"); }, Status::kInvalidValue, "__metadata__");
  ExpectError([] { ListSafetensors(Tmp("missing.safetensors")); }, Status::kIoError, "missing");
}

// A safetensors file from a header text and a data section.
std::vector<uint8_t> St(const std::string& header, const std::vector<uint8_t>& data) {
  std::vector<uint8_t> b(8);
  const uint64_t n = header.size();
  std::memcpy(b.data(), &n, 8);
  b.insert(b.end(), header.begin(), header.end());
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

TEST(Safetensors, Bf16EscapedNamesAndPaddedHeader) {
  // BF16 bits: 1.0, -2.0, 0.5, 3.140625. Names with JSON escapes; trailing
  // spaces pad the header as the Rust writer does for alignment.
  const std::vector<uint8_t> data = {0x80, 0x3f, 0x00, 0xc0, 0x00, 0x3f, 0x49, 0x40};
  const std::string header =
      "{\"a\\u00e9\\\"b\\ud83d\\ude00\": {\"dtype\": \"BF16\", \"shape\": [2, 2], "
      "\"data_offsets\": [0, 8]}, \"__metadata__\": {}}    ";
  const std::string path = Tmp("bf16.safetensors");
  WriteBytes(path, St(header, data));
  const auto list = ListSafetensors(path);
  ASSERT_EQ(list.size(), 1u);
  const std::string name = "a\xc3\xa9\"b\xf0\x9f\x98\x80";
  EXPECT_EQ(list[0].name, name);
  const Tensor t = LoadSafetensor(path, name);
  EXPECT_EQ(t.data, (std::vector<float>{1.0f, -2.0f, 0.5f, 3.140625f}));
}

TEST(Safetensors, MalformedHeadersAreCorrupt) {
  const std::vector<uint8_t> data(24, 0);
  const std::string ok = "\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 24]";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"[]", "not a JSON object"},
      {"{\"w\": {" + ok + "},}", "string key"},               // trailing comma
      {"{\"w\": {" + ok + "}", "','"},                         // unterminated object
      {"{\"w\": {" + ok + "}} x", "trailing"},
      {"{\"w\": {" + ok + "}, \"w\": {" + ok + "}}", "duplicate"},
      {"{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3]}}", "data_offsets"},
      {"{\"w\": {" + ok + ", \"extra\": 1}}", "unexpected key"},
      {"{\"w\": {\"dtype\": 32, \"shape\": [2, 3], \"data_offsets\": [0, 24]}}", "dtype"},
      {"{\"w\": {\"dtype\": \"F32\", \"shape\": [2, -3], \"data_offsets\": [0, 24]}}",
       "non-negative"},
      {"{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3.5], \"data_offsets\": [0, 24]}}",
       "non-negative"},
      {"{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0, 32]}}", "outside"},
      {"{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [8, 4]}}", "outside"},
      {"{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 2], \"data_offsets\": [0, 24]}}",
       "do not match"},
      {"{\"w\": {\"dtype\": \"F32\", \"shape\": [2, 3], \"data_offsets\": [0]}}", "[begin, end]"},
      {"{\"w\": {\"dtype\": \"F32\", \"shape\": [4294967296, 4294967296, 4], "
       "\"data_offsets\": [0, 24]}}",
       "overflow"},
      {"{\"w\": \"F32\"}", "not an object"},
      {"{\"__metadata__\": [1]}", "__metadata__"},
      {"{\"w\\x\": {" + ok + "}}", "escape"},
      {"{\"w\\ud800\": {" + ok + "}}", "surrogate"},
      {"{\"w\": {" + ok + "}, \"v\": tru}", "unexpected character"},
      {"{\"w\": {" + ok + "}, \"v\": 01}", "','"},
      {"{\"w\": {" + ok + "}, \"v\": -}", "bad number"},
      {"{\"w\": {" + ok + "}, \"v\": 1.}", "'.'"},
      {"{\"w\": {" + ok + "}, \"v\": \"a\nb\"}", "control character"},
      {"{\"w\": {" + ok + "}, \"v\": \"abc", "unterminated"},
      {std::string(200, '[') + std::string(200, ']'), "nesting"},
      {"", "unexpected end"},
  };
  const std::string path = Tmp("bad.safetensors");
  for (const auto& [header, needle] : cases) {
    WriteBytes(path, St(header, data));
    ExpectError([&] { ListSafetensors(path); }, Status::kCorruptFile, needle);
    ExpectError([&] { LoadSafetensor(path, "w"); }, Status::kCorruptFile, needle);
  }
}

TEST(Safetensors, BadLengthsAreCorrupt) {
  const std::string path = Tmp("len.safetensors");
  WriteBytes(path, {1, 2, 3});
  ExpectError([&] { ListSafetensors(path); }, Status::kCorruptFile, "too short");
  std::vector<uint8_t> b = St("{}", {});
  b[0] = 200;  // header length 200 > file
  WriteBytes(path, b);
  ExpectError([&] { ListSafetensors(path); }, Status::kCorruptFile, "exceeds");
  b[0] = 0xff;
  b[7] = 0x7f;  // astronomically long
  WriteBytes(path, b);
  ExpectError([&] { ListSafetensors(path); }, Status::kCorruptFile, "exceeds");
}

TEST(Safetensors, EveryTruncationIsCorrupt) {
  const std::vector<uint8_t> good = ReadBytes(kData + "model.safetensors");
  const std::string path = Tmp("cut.safetensors");
  for (size_t n = 0; n < good.size(); ++n) {
    WriteBytes(path, std::vector<uint8_t>(good.begin(), good.begin() + n));
    ExpectError([&] { ListSafetensors(path); }, Status::kCorruptFile);
  }
}

}  // namespace
}  // namespace hinm
