// CPU reference SpMM, computed from the compressed arrays (so it also checks
// the format): C = alpha * A * B + beta * C (+ bias), fp32 accumulation.
// The oracle for the GPU tests, and the path on machines without a GPU.
#ifndef HINM_REFERENCE_H_
#define HINM_REFERENCE_H_

#include <cstdint>

#include "cpp/hinm/compressed_matrix.h"

namespace hinm {

enum class Order { kFeatureMajor = 0, kTokenMajor = 1 };  // = hinmOrder_t
enum class RowOrder { kOriginal = 0, kPermuted = 1 };     // = hinmRowOrder_t

struct SpmmArgs {
  int64_t n = 0;                     // tokens
  float alpha = 1, beta = 0;
  const void* b = nullptr;           // K x N or N x K
  Order b_order = Order::kFeatureMajor;
  int64_t ldb = 0;
  void* c = nullptr;                 // M x N or N x M
  Order c_order = Order::kFeatureMajor;
  int64_t ldc = 0;
  const void* bias = nullptr;        // M entries or null, indexed by output
                                     // channel (original row) in both row orders
  DType io_dtype = DType::kFloat32;  // of b, c, bias
  RowOrder rows = RowOrder::kOriginal;
};

// Validates args against a (throws hinm::Error) then computes on the host.
// Multi-threaded over tiles; deterministic (fixed summation order).
void SpmmReference(const CompressedMatrix& a, const SpmmArgs& args,
                   int num_threads = 0);

// Checks shapes, leading dimensions, pointers and dtype of args against a;
// shared by the host and device paths.
void ValidateSpmmArgs(const CompressedMatrix& a, const SpmmArgs& args);

// The pruned dense matrix in original row order, as float (M x K, ld).
void Decompress(const CompressedMatrix& a, float* dense, int64_t ld);

}  // namespace hinm

#endif  // HINM_REFERENCE_H_
