#include "cpp/hinm/layout.h"

#include <string>

#include "cpp/hinm/error.h"

namespace hinm {

int64_t DTypeSize(DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
    case DType::kBFloat16:
      return 2;
    case DType::kFloat32:
      return 4;
  }
  throw Error(Status::kInvalidDType, "unknown dtype " + std::to_string(static_cast<int>(dtype)));
}

const char* DTypeName(DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
      return "float16";
    case DType::kBFloat16:
      return "bfloat16";
    case DType::kFloat32:
      return "float32";
  }
  return "unknown";
}

int64_t CheckedMul(int64_t a, int64_t b, const char* what) {
  int64_t out = 0;
  if (a < 0 || b < 0 || __builtin_mul_overflow(a, b, &out)) {
    throw Error(Status::kSizeOverflow,
                std::string(what) + ": " + std::to_string(a) + " x " + std::to_string(b) +
                    " overflows a 64-bit size");
  }
  return out;
}

Layout Layout::Make(int64_t rows, int64_t cols, int32_t tile_rows, int64_t kept_cols,
                    DType dtype) {
  Require(rows > 0, Status::kInvalidValue, "rows (M) must be > 0, got " + std::to_string(rows));
  Require(cols > 0, Status::kInvalidValue, "cols (K) must be > 0, got " + std::to_string(cols));
  // Column indices and row permutations are int32.
  Require(rows <= INT32_MAX && cols <= INT32_MAX - 4, Status::kSizeOverflow,
          "M and K must be < 2^31 (int32 indices)");
  Require(tile_rows >= kMinTileRows && tile_rows <= kMaxTileRows && tile_rows % kBlockRows == 0,
          Status::kInvalidValue,
          "tile_rows (V) must be a multiple of 16 in [16, 256], got " + std::to_string(tile_rows));
  const int64_t max_kept = (cols + kGroupSize - 1) / kGroupSize * kGroupSize;
  Require(kept_cols >= kGroupSize && kept_cols % kGroupSize == 0 && kept_cols <= max_kept,
          Status::kInvalidValue,
          "kept_cols (K_keep) must be a multiple of 4 in [4, " + std::to_string(max_kept) +
              "], got " + std::to_string(kept_cols));
  Require(dtype == DType::kFloat16 || dtype == DType::kBFloat16, Status::kInvalidDType,
          std::string("compressed values must be float16 or bfloat16, got ") + DTypeName(dtype));
  Layout l;
  l.rows = rows;
  l.cols = cols;
  l.tile_rows = tile_rows;
  l.kept_cols = kept_cols;
  l.dtype = dtype;
  // Every array size must fit comfortably: checked once here.
  CheckedMul(CheckedMul(l.padded_rows(), l.padded_slots(), "padded rows x slots"), 2,
             "value bytes");
  return l;
}

int64_t Layout::value_index(int64_t r, int64_t c) const {
  const int64_t tile = r / tile_rows;
  const int64_t rr = r % tile_rows;
  const int64_t rb = rr / kBlockRows;
  const int row16 = static_cast<int>(rr % kBlockRows);
  const int64_t cb = c / (kBlockSlots / 2);
  const int cc = static_cast<int>(c % (kBlockSlots / 2));
  // mma.sp A fragment: lane = 4*g + t holds rows g, g+8 and columns
  // 2t, 2t+1, 2t+8, 2t+9 as a0..a7 (see layout.h).
  const int g = row16 & 7, hi = row16 >> 3;
  const int t = (cc & 7) >> 1, lo = cc & 1, half = cc >> 3;
  const int lane = g * 4 + t;
  const int i = lo + 2 * hi + 4 * half;
  return block_index(tile, cb, rb) * kValuesPerBlock + lane * 8 + i;
}

int64_t Layout::meta_word_index(int64_t r, int64_t q, int* shift) const {
  const int64_t tile = r / tile_rows;
  const int64_t rr = r % tile_rows;
  const int64_t rb = rr / kBlockRows;
  const int row16 = static_cast<int>(rr % kBlockRows);
  const int64_t cb = q / (kBlockSlots / kGroupSize);
  const int qq = static_cast<int>(q % (kBlockSlots / kGroupSize));
  const int g = row16 & 7, hi = row16 >> 3;
  const int h = qq >> 2, nib = qq & 3;
  *shift = hi * 16 + nib * 4;
  return block_index(tile, cb, rb) * kMetaWordsPerBlock + 2 * g + h;
}

}  // namespace hinm
