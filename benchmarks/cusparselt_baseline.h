// cuSPARSELt 2:4 SpMM, the second baseline of spmm_bench (optional).
//
// Built only when the header was found at build time (HINM_HAVE_CUSPARSELT,
// see third_party/cusparselt.bzl); the library itself is dlopen'ed at run time
// (libcusparseLt.so.0 on LD_LIBRARY_PATH, or $HINM_CUSPARSELT_LIB), so the
// benchmark neither links nor ships its 230 MB .so. Without either, Status()
// says why and Available() is false.
#ifndef HINM_BENCHMARKS_CUSPARSELT_BASELINE_H_
#define HINM_BENCHMARKS_CUSPARSELT_BASELINE_H_

#include <cuda_runtime_api.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cpp/hinm/layout.h"

namespace hinm_bench {

// "0.8.0 (built against header 0.8.0)": the loaded library's version; or
// "not built" / "not found: why".
std::string CusparseLtStatus();
bool CusparseLtAvailable();
// How this binary was built, without touching a device or the library:
// "built against header 0.8.0" or "not built".
std::string CusparseLtBuildInfo();

// One problem D (M x N_pad, row-major) = A_2:4 (M x K row-major) * B (K x N_pad
// row-major), fp16 or bf16 in and out, fp32 compute: the same layouts as the
// hinm and cuBLAS paths (B feature-major, C M x N). cuSPARSELt needs every
// dimension a multiple of 16 for 16-bit types, so N is padded up (n_pad());
// the caller's B must have n_pad() zero-padded columns.
//
// The constructor prunes A 2:4 on the device (cusparseLtSpMMAPrune, TILE
// algorithm, along K in every row), checks the pruning, compresses it into
// `copies` buffers (rotated by Run so consecutive calls miss L2), and runs
// cusparseLtMatmulSearch once: all outside any timed region. Throws
// std::runtime_error with the library's message on failure.
class CusparseLtGemm {
 public:
  CusparseLtGemm(int64_t m, int64_t n, int64_t k, hinm::DType dtype,
                 const void* d_dense_a, int copies, const void* d_b, void* d_c);
  ~CusparseLtGemm();
  CusparseLtGemm(const CusparseLtGemm&) = delete;
  CusparseLtGemm& operator=(const CusparseLtGemm&) = delete;

  // d_c = A * d_b with compressed copy i % copies (the pointers given above).
  void Run(int i, cudaStream_t stream);

  static int64_t PadN(int64_t n) { return (n + 15) / 16 * 16; }
  int64_t n_pad() const { return n_pad_; }
  // The 2:4-pruned dense A (M x K row-major, device), for cuBLAS on the same
  // weights.
  const void* pruned_dense() const { return pruned_; }
  size_t compressed_bytes() const { return compressed_bytes_; }
  int alg_id() const { return alg_id_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int64_t n_pad_ = 0;
  void* pruned_ = nullptr;
  size_t compressed_bytes_ = 0;
  int alg_id_ = -1;
};

}  // namespace hinm_bench

#endif  // HINM_BENCHMARKS_CUSPARSELT_BASELINE_H_
