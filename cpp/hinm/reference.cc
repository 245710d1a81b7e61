#include "cpp/hinm/reference.h"

#include <algorithm>
#include <string>
#include <vector>

#include "cpp/hinm/dense.h"
#include "cpp/hinm/error.h"
#include "cpp/hinm/thread_pool.h"

namespace hinm {
namespace {

// Reads/writes element i of an io array of dtype f32/f16/bf16.
float LoadIo(const void* p, int64_t i, DType d) {
  if (d == DType::kFloat32) return static_cast<const float*>(p)[i];
  return From16(static_cast<const uint16_t*>(p)[i], d);
}

void StoreIo(void* p, int64_t i, DType d, float v) {
  if (d == DType::kFloat32) {
    static_cast<float*>(p)[i] = v;
  } else {
    static_cast<uint16_t*>(p)[i] = FloatTo16(v, d);
  }
}

// A (rows x cols) row-major operand with leading dimension ld must satisfy
// ld >= cols, and its last element index must fit in int64.
void CheckOperand(const char* name, int64_t rows, int64_t cols, int64_t ld, DType d) {
  Require(ld >= cols, Status::kInvalidValue,
          std::string(name) + ": ld " + std::to_string(ld) + " < " + std::to_string(cols) +
              " for a " + std::to_string(rows) + " x " + std::to_string(cols) + " operand");
  CheckedMul(CheckedMul(rows - 1, ld, name), DTypeSize(d), name);
}

}  // namespace

void ValidateSpmmArgs(const CompressedMatrix& a, const SpmmArgs& args) {
  const Layout& l = a.layout;
  Require(a.values.size() == static_cast<size_t>(l.num_values()) &&
              a.meta.size() == static_cast<size_t>(l.num_meta_words()) &&
              a.col_idx.size() == static_cast<size_t>(l.num_col_indices()) &&
              (a.row_perm.empty() || a.row_perm.size() == static_cast<size_t>(l.rows)),
          Status::kInvalidValue, "SpMM: the compressed matrix's arrays do not match its layout");
  Require(args.n >= 0, Status::kInvalidValue,
          "SpMM: n must be >= 0, got " + std::to_string(args.n));
  Require(args.io_dtype == DType::kFloat32 || args.io_dtype == DType::kFloat16 ||
              args.io_dtype == DType::kBFloat16,
          Status::kInvalidDType,
          "SpMM: io dtype must be float32, float16 or bfloat16, got " +
              std::to_string(static_cast<int>(args.io_dtype)));
  Require(args.b_order == Order::kFeatureMajor || args.b_order == Order::kTokenMajor,
          Status::kInvalidValue, "SpMM: unknown b_order");
  Require(args.c_order == Order::kFeatureMajor || args.c_order == Order::kTokenMajor,
          Status::kInvalidValue, "SpMM: unknown c_order");
  Require(args.rows == RowOrder::kOriginal || args.rows == RowOrder::kPermuted,
          Status::kInvalidValue, "SpMM: unknown row order");
  if (args.n == 0) return;  // empty problem: nothing is read or written
  Require(args.b != nullptr, Status::kNullPointer, "SpMM: b is null");
  Require(args.c != nullptr, Status::kNullPointer, "SpMM: c is null");
  const int64_t M = l.rows, K = l.cols, N = args.n;
  if (args.b_order == Order::kFeatureMajor) {
    CheckOperand("SpMM: b (feature-major, K x N)", K, N, args.ldb, args.io_dtype);
  } else {
    CheckOperand("SpMM: b (token-major, N x K)", N, K, args.ldb, args.io_dtype);
  }
  if (args.c_order == Order::kFeatureMajor) {
    CheckOperand("SpMM: c (feature-major, M x N)", M, N, args.ldc, args.io_dtype);
  } else {
    CheckOperand("SpMM: c (token-major, N x M)", N, M, args.ldc, args.io_dtype);
  }
}

void SpmmReference(const CompressedMatrix& a, const SpmmArgs& args, int num_threads) {
  ValidateSpmmArgs(a, args);
  if (args.n == 0) return;
  // The walk below indexes B by col_idx: a hand-built matrix with a bad index
  // must be an error, not an out-of-bounds read. O(size of A), cheap next to
  // the product.
  a.Validate();
  const Layout& l = a.layout;
  const int64_t M = l.rows, N = args.n;
  const int64_t groups = l.padded_slots() / kGroupSize;
  const DType io = args.io_dtype;
  // B as a dense fp32 K x N copy: every gathered row is then contiguous, so
  // the inner loop is a plain (vectorisable) axpy whatever B's order/dtype.
  const int64_t K = l.cols;
  std::vector<float> bf(static_cast<size_t>(CheckedMul(K, N, "B elements")));
  ParallelFor(K, num_threads, [&](int64_t k_begin, int64_t k_end) {
    for (int64_t k = k_begin; k < k_end; ++k) {
      for (int64_t j = 0; j < N; ++j) {
        bf[static_cast<size_t>(k * N + j)] = args.b_order == Order::kFeatureMajor
                                                 ? LoadIo(args.b, k * args.ldb + j, io)
                                                 : LoadIo(args.b, j * args.ldb + k, io);
      }
    }
  });
  auto c_index = [&](int64_t row, int64_t j) {
    return args.c_order == Order::kFeatureMajor ? row * args.ldc + j : j * args.ldc + row;
  };
  ParallelFor(l.num_tiles(), num_threads, [&](int64_t t_begin, int64_t t_end) {
    std::vector<float> acc(static_cast<size_t>(N));
    for (int64_t t = t_begin; t < t_end; ++t) {
      const int64_t p_end = std::min<int64_t>((t + 1) * l.tile_rows, M);
      for (int64_t p = t * l.tile_rows; p < p_end; ++p) {
        std::fill(acc.begin(), acc.end(), 0.0f);
        // Walk the compressed arrays exactly as a kernel would: group q's
        // nibble names the two slots, the slots name B's rows.
        for (int64_t q = 0; q < groups; ++q) {
          const uint32_t nib = a.nibble(p, q);
          const int64_t pos[2] = {nib & 3u, nib >> 2};
          for (int j = 0; j < kGroupKept; ++j) {
            const int32_t col =
                a.col_idx[static_cast<size_t>(l.col_index(t, q * kGroupSize + pos[j]))];
            if (col == kPadColumn) continue;  // reads as a zero row of B
            const float v =
                From16(a.values[static_cast<size_t>(l.value_index(p, 2 * q + j))], l.dtype);
            const float* brow = bf.data() + static_cast<int64_t>(col) * N;
            float* accp = acc.data();
            for (int64_t n = 0; n < N; ++n) accp[n] += v * brow[n];
          }
        }
        const int64_t out_row = args.rows == RowOrder::kOriginal ? a.original_row(p) : p;
        // Bias belongs to the output channel (original row), whichever order C is in.
        const float bias = args.bias != nullptr ? LoadIo(args.bias, a.original_row(p), io) : 0.0f;
        for (int64_t n = 0; n < N; ++n) {
          const int64_t ci = c_index(out_row, n);
          float r = args.alpha * acc[static_cast<size_t>(n)];
          if (args.beta != 0.0f) r += args.beta * LoadIo(args.c, ci, io);  // beta 0: C unread
          StoreIo(args.c, ci, io, r + bias);
        }
      }
    }
  });
}

void Decompress(const CompressedMatrix& a, float* dense, int64_t ld) {
  const Layout& l = a.layout;
  Require(dense != nullptr, Status::kNullPointer, "Decompress: dense is null");
  Require(ld >= l.cols, Status::kInvalidValue,
          "Decompress: ld " + std::to_string(ld) + " < K " + std::to_string(l.cols));
  CheckedMul(l.rows - 1, ld, "Decompress rows x ld");
  a.Validate();
  for (int64_t r = 0; r < l.rows; ++r) std::fill(dense + r * ld, dense + r * ld + l.cols, 0.0f);
  const int64_t groups = l.padded_slots() / kGroupSize;
  for (int64_t p = 0; p < l.rows; ++p) {
    const int64_t t = p / l.tile_rows;
    float* out = dense + static_cast<int64_t>(a.original_row(p)) * ld;
    for (int64_t q = 0; q < groups; ++q) {
      const uint32_t nib = a.nibble(p, q);
      const int64_t pos[2] = {nib & 3u, nib >> 2};
      for (int j = 0; j < kGroupKept; ++j) {
        const int32_t col = a.col_idx[static_cast<size_t>(l.col_index(t, q * kGroupSize + pos[j]))];
        if (col == kPadColumn) continue;
        out[col] = From16(a.values[static_cast<size_t>(l.value_index(p, 2 * q + j))], l.dtype);
      }
    }
  }
}

}  // namespace hinm
