// 16-bit float bit patterns for the CLI's test operands. The tool talks to
// the library through the C API only, so it carries these few lines instead
// of the core's conversions. Encoding is exact only for values that fit the
// format (the CLI generates such values); decoding is complete.
#ifndef HINM_CLI_HALF_BITS_H_
#define HINM_CLI_HALF_BITS_H_

#include <cmath>
#include <cstdint>
#include <cstring>

namespace hinm_cli {

inline uint32_t FloatBits(float f) {
  uint32_t b;
  std::memcpy(&b, &f, 4);
  return b;
}

inline float BitsFloat(uint32_t b) {
  float f;
  std::memcpy(&f, &b, 4);
  return f;
}

// Exact for 0 and normal fp16 values whose low 13 mantissa bits are zero.
inline uint16_t ExactFloatToHalf(float f) {
  const uint32_t b = FloatBits(f);
  const uint16_t sign = static_cast<uint16_t>((b >> 16) & 0x8000);
  if ((b & 0x7fffffff) == 0) return sign;
  const int exp = static_cast<int>((b >> 23) & 0xff) - 127 + 15;
  return static_cast<uint16_t>(sign | (exp << 10) | ((b >> 13) & 0x3ff));
}

inline float HalfToFloat(uint16_t h) {
  const int exp = (h >> 10) & 0x1f;
  const int mant = h & 0x3ff;
  float mag;
  if (exp == 0) {
    mag = std::ldexp(static_cast<float>(mant), -24);  // zero and subnormals
  } else if (exp == 31) {
    mag = mant ? NAN : INFINITY;
  } else {
    mag = std::ldexp(static_cast<float>(mant | 0x400), exp - 25);
  }
  return (h & 0x8000) ? -mag : mag;
}

// Exact for values whose low 16 float bits are zero.
inline uint16_t ExactFloatToBFloat16(float f) { return static_cast<uint16_t>(FloatBits(f) >> 16); }
inline float BFloat16ToFloat(uint16_t b) { return BitsFloat(static_cast<uint32_t>(b) << 16); }

}  // namespace hinm_cli

#endif  // HINM_CLI_HALF_BITS_H_
