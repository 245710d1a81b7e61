// libFuzzer target: hinmCreateDescriptor from arbitrary parameters and data.
//
// Input = a 16-byte parameter block, then weight (and saliency) bytes:
//   [0] M - 1 (mod 64)          [1] K - 1 (mod 64)
//   [2] tile_rows: 16 * (1 + b % 4), or the raw signed byte if bit 7 is set
//   [3] vector_sparsity b / 256 (b = 255: a raw double from bytes 8..15)
//   [4] kept_cols: 0 (derive), else b - 1 (any value, also invalid ones)
//   [5] weight type (b % 4: 16F, 16BF, 32F, 7 = invalid), value type
//       (b / 4 % 4: 16F, 16BF, 32F = invalid, 7 = invalid)
//   [6] permute (b % 5: NONE..BOTH, 9 = invalid), algo ((b / 5) % 3: 2 = invalid)
//   [7] bit 0 saliency present, bits 1-2 ldw - K (and lds - K), bit 3
//       num_threads 2 (else 1), bits 4-7 permute_max_failures
//   [8..15] seed (or the raw sparsity double, see [3]); also read as: [9]
//       bit 7 a permute_schedule of [9] % 4 entries (signed bytes [10..12],
//       so also 0 and negative ones), bit 6 struct_size = [10] (too small)
// Sizes stay at most 64 x 64 so one execution takes milliseconds.
//
// Invariants: failure is a documented status with a message, *desc
// untouched; on success the info agrees with the arguments, the
// decompressed matrix is the input with entries zeroed (each kept entry the
// weight rounded to the value type), every 4 consecutive kept slots of a row
// hold at most 2 nonzeros, the permutation is one, hinmSpMMHost equals the
// decompressed matrix times B (fp64, within fp32 rounding), and serialize ->
// deserialize -> serialize is the identity.
#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "cpp/hinm/dense.h"
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

int EnumOf(int choice, int invalid_choice, int invalid_value) {
  return choice == invalid_choice ? invalid_value : choice;
}

// Bytes of `data` from `at`, cycled (zeros if there are none).
std::vector<uint8_t> Fill(const uint8_t* data, size_t size, size_t at, size_t n) {
  std::vector<uint8_t> out(n, 0);
  if (at >= size) return out;
  for (size_t i = 0; i < n; ++i) out[i] = data[at + i % (size - at)];
  return out;
}

float WeightAt(const std::vector<uint8_t>& w, int type, int64_t i) {
  if (type == HINM_R_32F) {
    float f;
    std::memcpy(&f, w.data() + 4 * i, 4);
    return f;
  }
  uint16_t v;
  std::memcpy(&v, w.data() + 2 * i, 2);
  return hinm::From16(v, type == HINM_R_16F ? hinm::DType::kFloat16 : hinm::DType::kBFloat16);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 16) return 0;
  const int64_t M = 1 + data[0] % 64, K = 1 + data[1] % 64;
  hinmPruneConfig_t cfg;
  FUZZ_CHECK(hinmPruneConfigInit(&cfg) == HINM_STATUS_SUCCESS);
  cfg.tile_rows = (data[2] & 0x80) ? static_cast<int8_t>(data[2]) : 16 * (1 + data[2] % 4);
  uint64_t seed;
  std::memcpy(&seed, data + 8, 8);
  if (data[3] == 255) {
    std::memcpy(&cfg.vector_sparsity, data + 8, 8);
  } else {
    cfg.vector_sparsity = data[3] / 256.0;
  }
  cfg.kept_cols = data[4] == 0 ? 0 : data[4] - 1;
  const int wtype = EnumOf(data[5] % 4, 3, 7);
  const int vtype = EnumOf(data[5] / 4 % 4, 3, 7);
  std::memcpy(&cfg.value_type, &vtype, sizeof vtype);  // C callers may pass any int
  const int permute = EnumOf(data[6] % 5, 4, 9);
  std::memcpy(&cfg.permute, &permute, sizeof permute);
  const int algo = (data[6] / 5) % 3;
  std::memcpy(&cfg.permute_algo, &algo, sizeof algo);
  const bool with_saliency = data[7] & 1;
  const int64_t ld = K + ((data[7] >> 1) & 3);
  cfg.num_threads = (data[7] & 8) ? 2 : 1;
  cfg.permute_max_failures = data[7] >> 4;
  cfg.seed = seed;
  int32_t schedule[3] = {static_cast<int8_t>(data[10]), static_cast<int8_t>(data[11]),
                         static_cast<int8_t>(data[12])};
  if (data[9] & 0x80) {
    cfg.permute_schedule = schedule;
    cfg.permute_schedule_len = data[9] % 4;
  }
  if (data[9] & 0x40) cfg.struct_size = data[10];

  const int64_t wbytes = (wtype == HINM_R_32F || wtype == 7) ? 4 : 2;
  const std::vector<uint8_t> w = Fill(data, size, 16, static_cast<size_t>(M * ld * wbytes));
  std::vector<float> sal;
  if (with_saliency) {
    const std::vector<uint8_t> s =
        Fill(data, size, 16 + static_cast<size_t>(M * ld * wbytes) % (size - 15),
             static_cast<size_t>(M * ld * 4));
    sal.resize(static_cast<size_t>(M * ld));
    std::memcpy(sal.data(), s.data(), s.size());
  }

  hinmDataType_t wt;
  std::memcpy(&wt, &wtype, sizeof wtype);
  hinmDescriptor_t d = reinterpret_cast<hinmDescriptor_t>(uintptr_t{0x1234});
  const hinmDescriptor_t sentinel = d;
  const hinmStatus_t s = hinmCreateDescriptor(Handle(), &d, M, K, w.data(), wt, ld,
                                              with_saliency ? sal.data() : nullptr, ld, &cfg);
  if (s != HINM_STATUS_SUCCESS) {
    FUZZ_CHECK(s == HINM_STATUS_INVALID_VALUE || s == HINM_STATUS_INVALID_DTYPE ||
               s == HINM_STATUS_NOT_SUPPORTED);
    FUZZ_CHECK(d == sentinel);
    FUZZ_CHECK(hinmGetLastErrorMessage()[0] != '\0');
    return 0;
  }
  FUZZ_CHECK(wtype != 7 && vtype <= HINM_R_16BF && permute <= HINM_PERMUTE_BOTH && algo <= 1);

  hinmDescriptorInfo_t info;
  FUZZ_CHECK(hinmGetDescriptorInfo(d, &info, sizeof info) == HINM_STATUS_SUCCESS);
  FUZZ_CHECK(info.rows == M && info.cols == K && info.tile_rows == cfg.tile_rows);
  FUZZ_CHECK(info.value_type == cfg.value_type);
  FUZZ_CHECK(info.kept_cols % 4 == 0 && info.kept_cols >= 4 && info.kept_cols <= (K + 3) / 4 * 4);
  if (cfg.kept_cols != 0) FUZZ_CHECK(info.kept_cols == cfg.kept_cols);
  FUZZ_CHECK(info.retained_saliency >= 0.0 && info.retained_saliency <= 1.0 + 1e-9);
  FUZZ_CHECK(info.has_row_permutation == 0 || (permute & HINM_PERMUTE_OUTPUT));
  FUZZ_CHECK(info.has_column_permutation == 0 || (permute & HINM_PERMUTE_INPUT));

  // Decompressed = input with entries pruned; kept entries rounded to the
  // value type.
  const hinm::DType vt = vtype == HINM_R_16F ? hinm::DType::kFloat16 : hinm::DType::kBFloat16;
  std::vector<float> dense(static_cast<size_t>(M * K));
  FUZZ_CHECK(hinmDecompress(d, dense.data(), HINM_R_32F, K) == HINM_STATUS_SUCCESS);
  int64_t nonzero = 0;
  for (int64_t r = 0; r < M; ++r) {
    for (int64_t c = 0; c < K; ++c) {
      const float got = dense[static_cast<size_t>(r * K + c)];
      if (got == 0.0f) continue;
      ++nonzero;
      const float want = hinm::From16(hinm::FloatTo16(WeightAt(w, wtype, r * ld + c), vt), vt);
      FUZZ_CHECK(got == want);
    }
  }
  FUZZ_CHECK(nonzero <= M * info.kept_cols / 2);

  // Per row, every group of 4 kept slots holds at most 2 nonzeros.
  std::vector<int32_t> perm(static_cast<size_t>(M));
  FUZZ_CHECK(hinmGetRowPermutation(d, perm.data(), M) == HINM_STATUS_SUCCESS);
  std::vector<int32_t> idx(static_cast<size_t>(info.num_tiles * info.kept_cols));
  FUZZ_CHECK(hinmGetColumnIndices(d, idx.data(), static_cast<int64_t>(idx.size())) ==
             HINM_STATUS_SUCCESS);
  std::vector<char> seen(static_cast<size_t>(M), 0);
  for (int64_t p = 0; p < M; ++p) {
    const int32_t row = perm[static_cast<size_t>(p)];
    FUZZ_CHECK(row >= 0 && row < M && !seen[static_cast<size_t>(row)]);
    seen[static_cast<size_t>(row)] = 1;
    const int64_t t = p / cfg.tile_rows;
    std::vector<char> kept_col(static_cast<size_t>(K), 0);
    for (int64_t q = 0; q < info.kept_cols; q += 4) {
      int in_group = 0;
      for (int64_t j = q; j < q + 4; ++j) {
        const int32_t col = idx[static_cast<size_t>(t * info.kept_cols + j)];
        FUZZ_CHECK(col >= -1 && col < K);
        if (col < 0) continue;
        FUZZ_CHECK(!kept_col[static_cast<size_t>(col)]);  // a column once per tile
        kept_col[static_cast<size_t>(col)] = 1;
        if (dense[static_cast<size_t>(row * K + col)] != 0.0f) ++in_group;
      }
      FUZZ_CHECK(in_group <= 2);
    }
    for (int64_t c = 0; c < K; ++c) {  // pruned columns are zero
      if (!kept_col[static_cast<size_t>(c)]) FUZZ_CHECK(dense[static_cast<size_t>(row * K + c)] == 0.0f);
    }
  }

  // hinmSpMMHost (fp32 io, 3 tokens) = the decompressed matrix times B in
  // fp64, within fp32 accumulation error.
  const int64_t N = 3;
  std::vector<float> b(static_cast<size_t>(K * N)), c(static_cast<size_t>(M * N), 0.0f);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<float>(static_cast<int>(i % 7) - 3) * 0.5f;
  const float alpha = 1.0f, beta = 0.0f;
  FUZZ_CHECK(hinmSpMMHost(Handle(), d, N, &alpha, b.data(), HINM_ORDER_FEATURE_MAJOR, N, &beta,
                          c.data(), HINM_ORDER_FEATURE_MAJOR, N, nullptr, HINM_R_32F,
                          HINM_ROWS_ORIGINAL) == HINM_STATUS_SUCCESS);
  for (int64_t r = 0; r < M; ++r) {
    for (int64_t n = 0; n < N; ++n) {
      double want = 0, scale = 0;
      for (int64_t k = 0; k < K; ++k) {
        const double p = static_cast<double>(dense[static_cast<size_t>(r * K + k)]) *
                         b[static_cast<size_t>(k * N + n)];
        want += p;
        scale += std::fabs(p);
      }
      if (scale > 1e37) continue;  // fp32 may overflow where fp64 does not
      FUZZ_CHECK(std::fabs(c[static_cast<size_t>(r * N + n)] - want) <= 1e-5 * scale + 1e-30);
    }
  }

  // Serialize -> deserialize -> serialize is the identity.
  size_t bytes = 0;
  FUZZ_CHECK(hinmSerializedSize(d, &bytes) == HINM_STATUS_SUCCESS);
  std::vector<uint8_t> buf(bytes), buf2(bytes);
  FUZZ_CHECK(hinmSerialize(d, buf.data(), bytes) == HINM_STATUS_SUCCESS);
  hinmDescriptor_t d2 = nullptr;
  FUZZ_CHECK(hinmDeserialize(Handle(), &d2, buf.data(), bytes) == HINM_STATUS_SUCCESS);
  FUZZ_CHECK(hinmSerialize(d2, buf2.data(), bytes) == HINM_STATUS_SUCCESS);
  FUZZ_CHECK(buf == buf2);
  FUZZ_CHECK(hinmDestroyDescriptor(d2) == HINM_STATUS_SUCCESS);
  FUZZ_CHECK(hinmDestroyDescriptor(d) == HINM_STATUS_SUCCESS);
  return 0;
}
