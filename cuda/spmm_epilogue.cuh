// The SpMM epilogue, shared by both kernels (splits == 1) and the split-K
// reduction: alpha, beta (C never read when beta == 0, so a NaN-poisoned C is
// fine), bias by channel, row permutation, feature- or token-major C.
#ifndef HINM_CUDA_SPMM_EPILOGUE_CUH_
#define HINM_CUDA_SPMM_EPILOGUE_CUH_

#include <cuda_bf16.h>
#include <cuda_fp16.h>

#include <cstdint>

#include "cuda/spmm_kernel_args.h"

namespace hinm_cuda {

__device__ __forceinline__ float ToFloat(__half x) { return __half2float(x); }
__device__ __forceinline__ float ToFloat(__nv_bfloat16 x) { return __bfloat162float(x); }
template <typename T> __device__ __forceinline__ T FromFloat(float x);
template <> __device__ __forceinline__ __half FromFloat<__half>(float x) { return __float2half_rn(x); }
template <> __device__ __forceinline__ __nv_bfloat16 FromFloat<__nv_bfloat16>(float x) {
  return __float2bfloat16_rn(x);
}

// Two outputs rounded to T and packed low-first into 32 bits (the order
// they have in memory): one 32-bit store of a token pair.
template <typename T>
__device__ __forceinline__ uint32_t PackPair(float lo, float hi) {
  const T o0 = FromFloat<T>(lo), o1 = FromFloat<T>(hi);
  uint32_t out;
  __builtin_memcpy(&out, &o0, 2);
  __builtin_memcpy(reinterpret_cast<char*>(&out) + 2, &o1, 2);
  return out;
}

// One output row, resolved once: where compressed row p goes (row
// permutation, C order) and its bias. The kernels' per-token stores then need
// no further global loads (the compiler cannot hoist row_perm and bias loads
// across stores to C, so resolving them per element costs a load each).
template <typename T>
struct OutputRow {
  T* base;         // token 0 of this row
  int64_t stride;  // elements between tokens: 1 (feature-major C) or ldc
  float bias;
  bool has_bias;
  bool pair_ok;    // feature-major and 4-byte aligned: pairs from even n as one 32-bit access
};

template <typename T>
__device__ __forceinline__ OutputRow<T> MakeOutputRow(const KernelArgs& a, int64_t p) {
  const int64_t channel = a.row_perm != nullptr ? a.row_perm[p] : p;
  const int64_t orow = a.store_permuted ? p : channel;
  T* c = static_cast<T*>(a.c);
  OutputRow<T> r;
  r.base = a.c_token_major ? c + orow : c + orow * a.ldc;
  r.stride = a.c_token_major ? a.ldc : 1;
  r.has_bias = a.bias != nullptr;
  r.bias = r.has_bias ? ToFloat(static_cast<const T*>(a.bias)[channel]) : 0.f;
  r.pair_ok = !a.c_token_major && reinterpret_cast<uintptr_t>(r.base) % 4 == 0;
  return r;
}

// Tokens n (even) and, if two, n + 1 of row r: alpha, beta (C never read
// when beta == 0), bias.
template <typename T>
__device__ __forceinline__ void StoreRowPair(const KernelArgs& a, const OutputRow<T>& r, int64_t n,
                                             float acc0, float acc1, bool two) {
  float v0 = a.alpha * acc0, v1 = a.alpha * acc1;
  T* c = r.base + n * r.stride;
  if (two && r.pair_ok) {
    uint32_t* c32 = reinterpret_cast<uint32_t*>(c);
    if (a.beta != 0.f) {
      const uint32_t old = *c32;
      T lo, hi;
      __builtin_memcpy(&lo, &old, 2);
      __builtin_memcpy(&hi, reinterpret_cast<const char*>(&old) + 2, 2);
      v0 += a.beta * ToFloat(lo);
      v1 += a.beta * ToFloat(hi);
    }
    if (r.has_bias) {
      v0 += r.bias;
      v1 += r.bias;
    }
    *c32 = PackPair<T>(v0, v1);
    return;
  }
  if (a.beta != 0.f) v0 += a.beta * ToFloat(c[0]);
  if (r.has_bias) v0 += r.bias;
  c[0] = FromFloat<T>(v0);
  if (two) {
    if (a.beta != 0.f) v1 += a.beta * ToFloat(c[r.stride]);
    if (r.has_bias) v1 += r.bias;
    c[r.stride] = FromFloat<T>(v1);
  }
}

}  // namespace hinm_cuda

#endif  // HINM_CUDA_SPMM_EPILOGUE_CUH_
