#include "cpp/hinm/dense.h"

#include <cstring>
#include <string>

#include "cpp/hinm/error.h"

namespace hinm {
namespace {

uint32_t FloatBits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, sizeof x);
  return x;
}

float BitsFloat(uint32_t x) {
  float f;
  std::memcpy(&f, &x, sizeof f);
  return f;
}

}  // namespace

float DenseView::at(int64_t r, int64_t c) const {
  const int64_t i = r * ld + c;
  switch (dtype) {
    case DType::kFloat32:
      return static_cast<const float*>(data)[i];
    case DType::kFloat16:
      return HalfToFloat(static_cast<const uint16_t*>(data)[i]);
    case DType::kBFloat16:
      return BFloat16ToFloat(static_cast<const uint16_t*>(data)[i]);
  }
  throw Error(Status::kInvalidDType,
              "DenseView: unknown dtype " + std::to_string(static_cast<int>(dtype)));
}

uint16_t FloatToHalf(float f) {
  const uint32_t x = FloatBits(f);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t absx = x & 0x7fffffffu;
  if (absx >= 0x7f800000u) {  // Inf or NaN
    if (absx == 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u);
    // Keep the top payload bits; a payload that truncates to 0 would read as
    // Inf, so make it a quiet NaN instead.
    const uint32_t m = (absx >> 13) & 0x3ffu;
    return static_cast<uint16_t>(sign | 0x7c00u | (m != 0 ? m : 0x200u));
  }
  // >= 65520 (halfway between 65504 and 2^16) rounds to Inf (65504 is odd).
  if (absx >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);
  if (absx < 0x38800000u) {  // below 2^-14: half subnormal (or zero)
    if (absx < 0x33000000u) return static_cast<uint16_t>(sign);  // < 2^-25
    // value = mant * 2^(e-150); in units of 2^-24 (the half subnormal step)
    // that is mant >> (126 - e), rounded to nearest even.
    const int e = static_cast<int>(absx >> 23);
    const uint32_t mant = (absx & 0x7fffffu) | 0x800000u;
    const int shift = 126 - e;  // 14 .. 24
    uint32_t q = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u);
    const uint32_t halfway = 1u << (shift - 1);
    if (rem > halfway || (rem == halfway && (q & 1u))) ++q;
    return static_cast<uint16_t>(sign | q);  // q == 0x400 is the smallest normal
  }
  // Normal: rebias the exponent (127 -> 15) and drop 13 mantissa bits; a
  // rounding carry correctly moves into the exponent.
  uint32_t h = (absx - 0x38000000u) >> 13;
  const uint32_t rem = absx & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

float HalfToFloat(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0) {
    if (mant == 0) return BitsFloat(sign);
    // Subnormal: mant * 2^-24, exact in float.
    const float v = static_cast<float>(mant) * BitsFloat(0x33800000u);  // 2^-24
    return BitsFloat(sign | FloatBits(v));
  }
  if (exp == 31) return BitsFloat(sign | 0x7f800000u | (mant << 13));
  return BitsFloat(sign | ((exp + 112u) << 23) | (mant << 13));
}

uint16_t FloatToBFloat16(float f) {
  const uint32_t x = FloatBits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) {  // NaN: keep it a NaN
    uint16_t r = static_cast<uint16_t>(x >> 16);
    if ((r & 0x7fu) == 0) r |= 0x40u;
    return r;
  }
  // Round to nearest even on the 16 dropped bits; overflow carries to Inf.
  const uint32_t rounded = x + 0x7fffu + ((x >> 16) & 1u);
  return static_cast<uint16_t>(rounded >> 16);
}

float BFloat16ToFloat(uint16_t b) { return BitsFloat(static_cast<uint32_t>(b) << 16); }

uint16_t FloatTo16(float f, DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
      return FloatToHalf(f);
    case DType::kBFloat16:
      return FloatToBFloat16(f);
    case DType::kFloat32:
      break;
  }
  throw Error(Status::kInvalidDType,
              std::string("FloatTo16: dtype must be float16 or bfloat16, got ") + DTypeName(dtype));
}

float From16(uint16_t v, DType dtype) {
  switch (dtype) {
    case DType::kFloat16:
      return HalfToFloat(v);
    case DType::kBFloat16:
      return BFloat16ToFloat(v);
    case DType::kFloat32:
      break;
  }
  throw Error(Status::kInvalidDType,
              std::string("From16: dtype must be float16 or bfloat16, got ") + DTypeName(dtype));
}

}  // namespace hinm
