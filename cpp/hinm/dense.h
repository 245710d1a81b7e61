// A read-only view of a dense row-major host matrix of any supported dtype,
// and the 16-bit float conversions the core uses (no CUDA headers needed).
#ifndef HINM_DENSE_H_
#define HINM_DENSE_H_

#include <cstdint>

#include "cpp/hinm/layout.h"

namespace hinm {

struct DenseView {
  const void* data = nullptr;
  DType dtype = DType::kFloat32;
  int64_t rows = 0;
  int64_t cols = 0;
  int64_t ld = 0;  // elements between rows, >= cols

  float at(int64_t r, int64_t c) const;  // element as float
};

// IEEE binary16 <-> float, round to nearest even; Inf/NaN preserved.
uint16_t FloatToHalf(float f);
float HalfToFloat(uint16_t h);
// bfloat16 <-> float, round to nearest even; NaN stays NaN.
uint16_t FloatToBFloat16(float f);
float BFloat16ToFloat(uint16_t b);
// 16-bit value of dtype (kFloat16 or kBFloat16) <-> float.
uint16_t FloatTo16(float f, DType dtype);
float From16(uint16_t v, DType dtype);

}  // namespace hinm

#endif  // HINM_DENSE_H_
