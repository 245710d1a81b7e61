// 16-bit float conversions, checked exhaustively against IEEE definitions
// computed independently in double precision.
#include "cpp/hinm/dense.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "cpp/hinm/error.h"

namespace hinm {
namespace {

float Bits(uint32_t x) {
  float f;
  std::memcpy(&f, &x, 4);
  return f;
}
uint32_t FBits(float f) {
  uint32_t x;
  std::memcpy(&x, &f, 4);
  return x;
}

// Decoding from the IEEE definition: (-1)^s 2^(e-bias) (1 + m/2^mb).
double DecodeRef(uint16_t v, int exp_bits, int mant_bits) {
  const int bias = (1 << (exp_bits - 1)) - 1;
  const int s = v >> 15;
  const int e = (v >> mant_bits) & ((1 << exp_bits) - 1);
  const int m = v & ((1 << mant_bits) - 1);
  double mag;
  if (e == (1 << exp_bits) - 1) {
    mag = m == 0 ? INFINITY : NAN;
  } else if (e == 0) {
    mag = std::ldexp(m, 1 - bias - mant_bits);
  } else {
    mag = std::ldexp(m + (1 << mant_bits), e - bias - mant_bits);
  }
  return s ? -mag : mag;
}

// Round x (finite) to the format: quantum of its binade (clamped at the
// subnormal binade), nearbyint = round half to even; overflow -> Inf.
double RoundRef(double x, int exp_bits, int mant_bits) {
  if (x == 0) return x;
  const int bias = (1 << (exp_bits - 1)) - 1;
  int e;
  std::frexp(x, &e);  // |x| in [2^(e-1), 2^e)
  e = std::max(e - 1, 1 - bias);
  const double quantum = std::ldexp(1.0, e - mant_bits);
  const double r = std::nearbyint(x / quantum) * quantum;
  const double max_finite =
      std::ldexp(2.0 - std::ldexp(1.0, -mant_bits), (1 << exp_bits) - 2 - bias);
  if (std::fabs(r) > max_finite) return x < 0 ? -INFINITY : INFINITY;
  return r == 0 ? std::copysign(0.0, x) : r;
}

TEST(Dense, HalfDecodeMatchesDefinitionForAllPatterns) {
  for (uint32_t h = 0; h < 65536; ++h) {
    const double ref = DecodeRef(static_cast<uint16_t>(h), 5, 10);
    const float got = HalfToFloat(static_cast<uint16_t>(h));
    if (std::isnan(ref)) {
      ASSERT_TRUE(std::isnan(got)) << h;
    } else {
      ASSERT_EQ(static_cast<double>(got), ref) << h;
      ASSERT_EQ(std::signbit(got), std::signbit(ref)) << h;
    }
  }
}

TEST(Dense, HalfRoundTripIsIdentityForAllPatterns) {
  for (uint32_t h = 0; h < 65536; ++h) {
    ASSERT_EQ(FloatToHalf(HalfToFloat(static_cast<uint16_t>(h))), h) << std::hex << h;
  }
}

TEST(Dense, BFloat16DecodeAndRoundTripForAllPatterns) {
  for (uint32_t b = 0; b < 65536; ++b) {
    const double ref = DecodeRef(static_cast<uint16_t>(b), 8, 7);
    const float got = BFloat16ToFloat(static_cast<uint16_t>(b));
    if (std::isnan(ref)) {
      ASSERT_TRUE(std::isnan(got)) << b;
    } else {
      ASSERT_EQ(static_cast<double>(got), ref) << b;
    }
    ASSERT_EQ(FloatToBFloat16(got), b) << std::hex << b;
  }
}

// Every float in a dense sweep of bit patterns (all exponents, many
// mantissas, both signs) plus every exact halfway point of each format.
void CheckRoundingSweep(uint16_t (*conv)(float), int exp_bits, int mant_bits) {
  auto check = [&](float f) {
    const uint16_t got = conv(f);
    if (std::isnan(f)) {
      ASSERT_TRUE(std::isnan(DecodeRef(got, exp_bits, mant_bits))) << f;
      return;
    }
    const double ref = std::isinf(f) ? f : RoundRef(f, exp_bits, mant_bits);
    const double dec = DecodeRef(got, exp_bits, mant_bits);
    ASSERT_EQ(dec, ref) << "f=" << f << " bits=" << std::hex << FBits(f);
    ASSERT_EQ(std::signbit(dec), std::signbit(ref)) << f;
  };
  for (uint64_t x = 0; x < (uint64_t{1} << 32); x += 65521) {  // prime stride
    check(Bits(static_cast<uint32_t>(x)));
  }
  // Halfway points and their float neighbours: the tie-breaking cases.
  for (uint32_t v = 0; v < 0x7c00u * (exp_bits == 5) + 0x7f80u * (exp_bits == 8); ++v) {
    const double a = DecodeRef(static_cast<uint16_t>(v), exp_bits, mant_bits);
    const double b = DecodeRef(static_cast<uint16_t>(v + 1), exp_bits, mant_bits);
    const float mid = static_cast<float>((a + b) / 2);  // exact in float
    ASSERT_EQ(static_cast<double>(mid), (a + b) / 2);
    check(mid);
    check(-mid);
    check(std::nextafter(mid, 0.0f));
    check(std::nextafter(mid, INFINITY));
  }
}

TEST(Dense, FloatToHalfRoundsToNearestEven) { CheckRoundingSweep(FloatToHalf, 5, 10); }
TEST(Dense, FloatToBFloat16RoundsToNearestEven) { CheckRoundingSweep(FloatToBFloat16, 8, 7); }

TEST(Dense, HalfSpecialValues) {
  EXPECT_EQ(FloatToHalf(65504.0f), 0x7bffu);
  EXPECT_EQ(FloatToHalf(65519.99f), 0x7bffu);
  EXPECT_EQ(FloatToHalf(65520.0f), 0x7c00u);  // tie to even overflows
  EXPECT_EQ(FloatToHalf(-1e10f), 0xfc00u);
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -24)), 0x0001u);  // smallest subnormal
  EXPECT_EQ(FloatToHalf(std::ldexp(1.0f, -25)), 0x0000u);  // tie to even -> 0
  EXPECT_EQ(FloatToHalf(std::ldexp(1.5f, -25)), 0x0001u);
  EXPECT_EQ(FloatToHalf(-0.0f), 0x8000u);
  EXPECT_EQ(FloatToHalf(std::numeric_limits<float>::infinity()), 0x7c00u);
  const uint16_t nan = FloatToHalf(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00u, 0x7c00u);
  EXPECT_NE(nan & 0x3ffu, 0u);
  // A float NaN whose payload lives only in the low bits stays a NaN.
  EXPECT_TRUE(std::isnan(HalfToFloat(FloatToHalf(Bits(0x7f800001u)))));
  EXPECT_TRUE(std::isnan(BFloat16ToFloat(FloatToBFloat16(Bits(0x7f800001u)))));
  EXPECT_EQ(FloatToBFloat16(Bits(0x7f7fffffu)), 0x7f80u);  // FLT_MAX rounds to Inf
}

TEST(Dense, DenseViewReadsEveryDtypeWithLeadingDimension) {
  const float f32[6] = {1, 2, 3, 4, 5, 6};  // 2 x 2 with ld 3
  DenseView v{f32, DType::kFloat32, 2, 2, 3};
  EXPECT_EQ(v.at(1, 0), 4.0f);
  EXPECT_EQ(v.at(1, 1), 5.0f);
  const uint16_t f16[4] = {FloatToHalf(0.5f), FloatToHalf(-2.0f), FloatToHalf(3.0f),
                           FloatToHalf(1e-5f)};
  DenseView h{f16, DType::kFloat16, 2, 2, 2};
  EXPECT_EQ(h.at(0, 1), -2.0f);
  EXPECT_EQ(h.at(1, 1), HalfToFloat(FloatToHalf(1e-5f)));
  const uint16_t b16[2] = {FloatToBFloat16(3.140625f), FloatToBFloat16(-1.5f)};
  DenseView b{b16, DType::kBFloat16, 1, 2, 2};
  EXPECT_EQ(b.at(0, 0), 3.140625f);
  EXPECT_EQ(b.at(0, 1), -1.5f);
  DenseView bad{f32, static_cast<DType>(5), 1, 1, 1};
  EXPECT_THROW(bad.at(0, 0), Error);
}

TEST(Dense, FloatTo16DispatchesAndRejectsFloat32) {
  EXPECT_EQ(FloatTo16(1.0f, DType::kFloat16), 0x3c00u);
  EXPECT_EQ(FloatTo16(1.0f, DType::kBFloat16), 0x3f80u);
  EXPECT_EQ(From16(0x3c00u, DType::kFloat16), 1.0f);
  EXPECT_EQ(From16(0x3f80u, DType::kBFloat16), 1.0f);
  try {
    FloatTo16(1.0f, DType::kFloat32);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.status(), Status::kInvalidDType);
  }
  EXPECT_THROW(From16(0, DType::kFloat32), Error);
}

}  // namespace
}  // namespace hinm
