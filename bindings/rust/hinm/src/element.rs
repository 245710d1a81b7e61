//! Host element types: `f32`, and `F16` / `BF16` (16-bit floats stored as their bits, since
//! Rust has no stable half type), tied to their [`DataType`] by the sealed [`Element`] trait.

use crate::types::DataType;

/// A host element type hinm accepts in slices: `f32`, [`F16`] or [`BF16`].
///
/// Sealed: the library reads the bytes as the matching `hinmDataType_t`, so only these three
/// types may implement it.
pub trait Element: Copy + Default + sealed::Sealed {
    /// The C API's type for this element.
    const DATA_TYPE: DataType;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for f32 {}
    impl Sealed for super::F16 {}
    impl Sealed for super::BF16 {}
}

impl Element for f32 {
    const DATA_TYPE: DataType = DataType::F32;
}

/// An IEEE 754 binary16 value, stored as its bits. Equality compares bits.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct F16(pub u16);

/// A bfloat16 value, stored as its bits. Equality compares bits.
#[repr(transparent)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct BF16(pub u16);

impl Element for F16 {
    const DATA_TYPE: DataType = DataType::F16;
}

impl Element for BF16 {
    const DATA_TYPE: DataType = DataType::BF16;
}

impl F16 {
    /// Rounds to the nearest float16 (ties to even); overflow gives infinity, NaN stays NaN.
    pub fn from_f32(x: f32) -> F16 {
        F16(f32_to_f16_bits(x))
    }

    /// The exact `f32` value.
    pub fn to_f32(self) -> f32 {
        f16_bits_to_f32(self.0)
    }

    /// Views float16 bit patterns (e.g. from a file or another crate) as `F16` values.
    pub fn from_bits_slice(bits: &[u16]) -> &[F16] {
        // SAFETY: F16 is repr(transparent) over u16: same size, alignment and validity.
        unsafe { std::slice::from_raw_parts(bits.as_ptr().cast::<F16>(), bits.len()) }
    }

    /// Mutable form of [`F16::from_bits_slice`].
    pub fn from_bits_slice_mut(bits: &mut [u16]) -> &mut [F16] {
        // SAFETY: as in from_bits_slice; the borrow is carried over.
        unsafe { std::slice::from_raw_parts_mut(bits.as_mut_ptr().cast::<F16>(), bits.len()) }
    }
}

impl BF16 {
    /// Rounds to the nearest bfloat16 (ties to even); NaN stays NaN.
    pub fn from_f32(x: f32) -> BF16 {
        BF16(f32_to_bf16_bits(x))
    }

    /// The exact `f32` value.
    pub fn to_f32(self) -> f32 {
        f32::from_bits(u32::from(self.0) << 16)
    }

    /// Views bfloat16 bit patterns as `BF16` values.
    pub fn from_bits_slice(bits: &[u16]) -> &[BF16] {
        // SAFETY: BF16 is repr(transparent) over u16.
        unsafe { std::slice::from_raw_parts(bits.as_ptr().cast::<BF16>(), bits.len()) }
    }

    /// Mutable form of [`BF16::from_bits_slice`].
    pub fn from_bits_slice_mut(bits: &mut [u16]) -> &mut [BF16] {
        // SAFETY: as in from_bits_slice.
        unsafe { std::slice::from_raw_parts_mut(bits.as_mut_ptr().cast::<BF16>(), bits.len()) }
    }
}

impl From<F16> for f32 {
    fn from(x: F16) -> f32 {
        x.to_f32()
    }
}

impl From<BF16> for f32 {
    fn from(x: BF16) -> f32 {
        x.to_f32()
    }
}

/// Rounds `value` (whose low `shift` bits are dropped) to nearest, ties to even.
fn round_shift(value: u32, shift: u32) -> u32 {
    let kept = value >> shift;
    let rest = value & ((1u32 << shift) - 1);
    let half = 1u32 << (shift - 1);
    if rest > half || (rest == half && kept & 1 == 1) {
        kept + 1
    } else {
        kept
    }
}

fn f32_to_f16_bits(x: f32) -> u16 {
    let bits = x.to_bits();
    let sign = ((bits >> 16) & 0x8000) as u16;
    let exp = ((bits >> 23) & 0xff) as i32;
    let man = bits & 0x007f_ffff;
    if exp == 0xff {
        // Infinity, or NaN kept quiet with its top payload bits.
        let nan = if man != 0 { 0x0200 | (man >> 13) as u16 } else { 0 };
        return sign | 0x7c00 | nan;
    }
    let e = exp - 127 + 15; // float16 biased exponent
    if e >= 0x1f {
        return sign | 0x7c00;
    }
    if e <= 0 {
        // Subnormal float16 (or zero): value = m * 2^-24, m = (1.man) * 2^(e - 14 + 23 - 23).
        if e < -10 {
            return sign; // below half the smallest subnormal
        }
        let m = man | 0x0080_0000;
        // A carry into bit 10 yields the smallest normal, which is the right answer.
        return sign | round_shift(m, (14 - e) as u32) as u16;
    }
    // A carry out of the mantissa bumps the exponent (up to infinity), as it should.
    let h = round_shift(((e as u32) << 23) | man, 13);
    sign | h as u16
}

fn f16_bits_to_f32(h: u16) -> f32 {
    let sign = u32::from(h & 0x8000) << 16;
    let exp = u32::from((h >> 10) & 0x1f);
    let man = u32::from(h & 0x03ff);
    let bits = match exp {
        0 => {
            // Zero or subnormal: exact in f32 as man * 2^-24.
            let magnitude = man as f32 * (1.0 / 16_777_216.0);
            return if sign != 0 { -magnitude } else { magnitude };
        }
        0x1f => sign | 0x7f80_0000 | (man << 13),
        _ => sign | ((exp + 112) << 23) | (man << 13),
    };
    f32::from_bits(bits)
}

fn f32_to_bf16_bits(x: f32) -> u16 {
    let bits = x.to_bits();
    if x.is_nan() {
        return ((bits >> 16) as u16) | 0x0040; // keep it a (quiet) NaN
    }
    (bits.wrapping_add(0x7fff + ((bits >> 16) & 1)) >> 16) as u16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_known_values() {
        assert_eq!(F16::from_f32(1.0).0, 0x3c00);
        assert_eq!(F16::from_f32(-2.0).0, 0xc000);
        assert_eq!(F16::from_f32(0.0).0, 0x0000);
        assert_eq!(F16::from_f32(-0.0).0, 0x8000);
        assert_eq!(F16::from_f32(65504.0).0, 0x7bff); // largest finite
        assert_eq!(F16::from_f32(65519.0).0, 0x7bff); // below the halfway point
        assert_eq!(F16::from_f32(65520.0).0, 0x7c00); // halfway: ties to even = infinity
        assert_eq!(F16::from_f32(f32::INFINITY).0, 0x7c00);
        assert_eq!(F16::from_f32(f32::NEG_INFINITY).0, 0xfc00);
        assert!(F16::from_f32(f32::NAN).to_f32().is_nan());
        let tiny = 2f32.powi(-24);
        assert_eq!(F16::from_f32(tiny).0, 0x0001); // smallest subnormal
        assert_eq!(F16::from_f32(tiny * 0.5).0, 0x0000); // tie to even: 0
        assert_eq!(F16::from_f32(tiny * 1.5).0, 0x0002); // tie to even: 2
        assert_eq!(F16::from_f32(tiny * 0.75).0, 0x0001);
        assert_eq!(F16::from_f32(2f32.powi(-14)).0, 0x0400); // smallest normal
        assert_eq!(F16::from_f32(1.0 + 2f32.powi(-11)).0, 0x3c00); // tie to even: down
        assert_eq!(F16::from_f32(1.0 + 3.0 * 2f32.powi(-11)).0, 0x3c02); // tie to even: up
        assert_eq!(F16(0x3555).to_f32(), 0.333_251_95);
    }

    #[test]
    fn f16_round_trips_every_value() {
        for bits in 0..=u16::MAX {
            let h = F16(bits);
            let x = h.to_f32();
            if x.is_nan() {
                assert!(F16::from_f32(x).to_f32().is_nan(), "{bits:#06x}");
            } else {
                assert_eq!(F16::from_f32(x).0, bits, "{bits:#06x} -> {x}");
            }
        }
    }

    #[test]
    fn f16_rounds_to_nearest() {
        // Every f32 between two neighbouring float16 values goes to the nearer one.
        let mut x = -70000.0f32;
        while x < 70000.0 {
            let h = F16::from_f32(x).to_f32();
            if h.is_finite() {
                let up = F16(F16::from_f32(x).0.wrapping_add(1)).to_f32();
                let down = F16(F16::from_f32(x).0.wrapping_sub(1)).to_f32();
                let err = (f64::from(h) - f64::from(x)).abs();
                for n in [up, down] {
                    if n.is_finite() && n.signum() == h.signum() {
                        assert!(err <= (f64::from(n) - f64::from(x)).abs(), "{x}: {h} vs {n}");
                    }
                }
            }
            x += 0.731;
        }
    }

    #[test]
    fn bf16_known_values() {
        assert_eq!(BF16::from_f32(1.0).0, 0x3f80);
        assert_eq!(BF16::from_f32(-1.5).0, 0xbfc0);
        assert_eq!(BF16::from_f32(1.0 + 2f32.powi(-8)).0, 0x3f80); // tie to even: down
        assert_eq!(BF16::from_f32(1.0 + 3.0 * 2f32.powi(-8)).0, 0x3f82); // tie to even: up
        assert_eq!(BF16::from_f32(f32::MAX).0, 0x7f80); // rounds up to infinity
        assert!(BF16::from_f32(f32::NAN).to_f32().is_nan());
        for bits in (0..=u16::MAX).step_by(7) {
            let x = BF16(bits).to_f32();
            if !x.is_nan() {
                assert_eq!(BF16::from_f32(x).0, bits);
            }
        }
    }

    #[test]
    fn bits_slices_are_views() {
        let mut raw = [0x3c00u16, 0x4000];
        assert_eq!(F16::from_bits_slice(&raw)[1].to_f32(), 2.0);
        F16::from_bits_slice_mut(&mut raw)[0] = F16::from_f32(-1.0);
        assert_eq!(raw[0], 0xbc00);
        assert_eq!(BF16::from_bits_slice(&[0x3f80])[0].to_f32(), 1.0);
        BF16::from_bits_slice_mut(&mut raw)[1] = BF16::from_f32(2.0);
        assert_eq!(raw[1], 0x4000);
    }
}
