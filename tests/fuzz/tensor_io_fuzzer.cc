// libFuzzer target: the .npy and safetensors readers (cpp/hinm/tensor_io.h)
// on arbitrary bytes. Byte 0 chooses the reader: even = ParseNpy on the rest;
// odd = the rest written to a temporary file, then ListSafetensors and
// LoadSafetensor of every tensor it lists (the safetensors reader works on
// files).
//
// Invariants: failures are hinm::Error with a documented status
// (kCorruptFile, kNotSupported, kIoError never for a readable file), never
// another exception; a parsed tensor has numel() values; EncodeNpy of a
// parsed tensor parses back to the same shape and bits.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "cpp/hinm/error.h"
#include "cpp/hinm/tensor_io.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

void CheckTensor(const hinm::Tensor& t) {
  int64_t n = 1;
  for (int64_t d : t.shape) {
    FUZZ_CHECK(d >= 0);
    n *= d;
  }
  FUZZ_CHECK(static_cast<int64_t>(t.data.size()) == n);
  const std::vector<uint8_t> bytes = hinm::EncodeNpy(t);
  const hinm::Tensor back = hinm::ParseNpy(bytes.data(), bytes.size(), "re-encoded");
  FUZZ_CHECK(back.shape == t.shape);
  FUZZ_CHECK(back.data.size() == t.data.size());
  FUZZ_CHECK(t.data.empty() ||
             std::memcmp(back.data.data(), t.data.data(), 4 * t.data.size()) == 0);
}

bool Expected(hinm::Status s) {
  return s == hinm::Status::kCorruptFile || s == hinm::Status::kNotSupported ||
         s == hinm::Status::kInvalidValue;
}

const std::string& TempPath() {
  static const std::string path = [] {
    const char* dir = std::getenv("TMPDIR");
    return std::string(dir != nullptr ? dir : "/tmp") + "/hinm_fuzz_" +
           std::to_string(::getpid()) + ".safetensors";
  }();
  return path;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const uint8_t* body = data + 1;
  const size_t n = size - 1;
  if ((data[0] & 1) == 0) {
    try {
      CheckTensor(hinm::ParseNpy(body, n, "fuzz input"));
    } catch (const hinm::Error& e) {
      FUZZ_CHECK(Expected(e.status()));
    }
    return 0;
  }
  const std::string& path = TempPath();
  FILE* f = std::fopen(path.c_str(), "wb");
  FUZZ_CHECK(f != nullptr);
  FUZZ_CHECK(n == 0 || std::fwrite(body, 1, n, f) == n);
  FUZZ_CHECK(std::fclose(f) == 0);
  try {
    const std::vector<hinm::SafetensorInfo> list = hinm::ListSafetensors(path);
    for (const hinm::SafetensorInfo& info : list) {
      FUZZ_CHECK(info.begin <= info.end && info.end <= n);
      try {
        CheckTensor(hinm::LoadSafetensor(path, info.name));
      } catch (const hinm::Error& e) {
        FUZZ_CHECK(Expected(e.status()));
      }
    }
  } catch (const hinm::Error& e) {
    FUZZ_CHECK(Expected(e.status()));
  }
  std::remove(path.c_str());
  return 0;
}
