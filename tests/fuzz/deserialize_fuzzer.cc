// libFuzzer target: hinmDeserialize on arbitrary bytes (the compressed-file
// loader; hinmLoadDescriptor reads a file and calls the same code).
//
// Invariants checked beyond "no crash, no leak, no UB":
//  - failure is one of the documented load statuses (CORRUPT_FILE,
//    VERSION_MISMATCH), with a message, and leaves *desc untouched;
//  - a buffer that loads re-serializes to exactly the same bytes (a format
//    version 1 file: the same bytes in version 2, whose header differs only
//    in the version and the header checksum);
//  - a loaded descriptor answers every CPU query (info, permutation, column
//    indices, decompress, hinmSpMMHost) with SUCCESS.
#include <cstdint>
#include <cstring>
#include <vector>

#include "hinm/hinm.h"
#include "tests/fuzz/fuzz_util.h"

namespace {

hinmHandle_t Handle() {
  static hinmHandle_t h = [] {
    hinmHandle_t handle = nullptr;
    FUZZ_CHECK(hinmCreate(&handle) == HINM_STATUS_SUCCESS);
    return handle;
  }();
  return h;
}

void Exercise(hinmDescriptor_t d, const uint8_t* data, size_t size) {
  size_t bytes = 0;
  FUZZ_CHECK(hinmSerializedSize(d, &bytes) == HINM_STATUS_SUCCESS);
  FUZZ_CHECK(bytes == size);
  std::vector<uint8_t> again(bytes);
  FUZZ_CHECK(hinmSerialize(d, again.data(), again.size()) == HINM_STATUS_SUCCESS);
  uint32_t version = 0;
  std::memcpy(&version, data + 8, 4);
  if (version == 1) {  // upgraded on the way: bytes [8, 12) and [136, 144) differ
    std::memcpy(&version, again.data() + 8, 4);
    FUZZ_CHECK(version == 2);
    FUZZ_CHECK(std::memcmp(again.data(), data, 8) == 0);
    FUZZ_CHECK(std::memcmp(again.data() + 12, data + 12, 136 - 12) == 0);
    FUZZ_CHECK(std::memcmp(again.data() + 144, data + 144, size - 144) == 0);
  } else {
    FUZZ_CHECK(std::memcmp(again.data(), data, size) == 0);
  }

  hinmDescriptorInfo_t info;
  FUZZ_CHECK(hinmGetDescriptorInfo(d, &info, sizeof info) == HINM_STATUS_SUCCESS);
  FUZZ_CHECK(info.rows > 0 && info.cols > 0 && info.kept_cols > 0);
  FUZZ_CHECK(info.num_tiles == (info.rows + info.tile_rows - 1) / info.tile_rows);
  // The input is at most a few MB, so the matrix is small enough to expand.
  if (info.rows * info.cols > (int64_t{1} << 22)) return;
  std::vector<int32_t> perm(static_cast<size_t>(info.rows));
  FUZZ_CHECK(hinmGetRowPermutation(d, perm.data(), info.rows) == HINM_STATUS_SUCCESS);
  std::vector<char> seen(perm.size(), 0);
  for (int32_t p : perm) {
    FUZZ_CHECK(p >= 0 && p < info.rows && !seen[static_cast<size_t>(p)]);
    seen[static_cast<size_t>(p)] = 1;
  }
  std::vector<int32_t> idx(static_cast<size_t>(info.num_tiles * info.kept_cols));
  FUZZ_CHECK(hinmGetColumnIndices(d, idx.data(), static_cast<int64_t>(idx.size())) ==
             HINM_STATUS_SUCCESS);
  for (int32_t c : idx) FUZZ_CHECK(c >= -1 && c < info.cols);

  std::vector<float> dense(static_cast<size_t>(info.rows * info.cols));
  FUZZ_CHECK(hinmDecompress(d, dense.data(), HINM_R_32F, info.cols) == HINM_STATUS_SUCCESS);
  std::vector<uint16_t> dense16(dense.size());
  FUZZ_CHECK(hinmDecompress(d, dense16.data(), info.value_type, info.cols) ==
             HINM_STATUS_SUCCESS);

  // One token through the CPU reference, both orders (N = 1: same layout).
  std::vector<float> b(static_cast<size_t>(info.cols), 1.0f), c(static_cast<size_t>(info.rows));
  const float alpha = 1.0f, beta = 0.0f;
  FUZZ_CHECK(hinmSpMMHost(Handle(), d, 1, &alpha, b.data(), HINM_ORDER_FEATURE_MAJOR, 1, &beta,
                          c.data(), HINM_ORDER_FEATURE_MAJOR, 1, nullptr, HINM_R_32F,
                          HINM_ROWS_PERMUTED) == HINM_STATUS_SUCCESS);
  FUZZ_CHECK(hinmSpMMHost(Handle(), d, 1, &alpha, b.data(), HINM_ORDER_TOKEN_MAJOR,
                          info.cols, &beta, c.data(), HINM_ORDER_TOKEN_MAJOR, info.rows, nullptr,
                          HINM_R_32F, HINM_ROWS_ORIGINAL) == HINM_STATUS_SUCCESS);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  hinmDescriptor_t d = reinterpret_cast<hinmDescriptor_t>(uintptr_t{0x1234});
  const hinmDescriptor_t sentinel = d;
  // hinmDeserialize rejects NULL buffers; libFuzzer passes a non-null pointer
  // even for empty inputs.
  const hinmStatus_t s = hinmDeserialize(Handle(), &d, data, size);
  if (s != HINM_STATUS_SUCCESS) {
    FUZZ_CHECK(s == HINM_STATUS_CORRUPT_FILE || s == HINM_STATUS_VERSION_MISMATCH);
    FUZZ_CHECK(d == sentinel);
    FUZZ_CHECK(hinmGetLastErrorMessage()[0] != '\0');
    return 0;
  }
  Exercise(d, data, size);
  FUZZ_CHECK(hinmDestroyDescriptor(d) == HINM_STATUS_SUCCESS);
  return 0;
}
