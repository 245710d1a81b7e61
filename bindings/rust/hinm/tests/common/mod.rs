//! Helpers shared by the integration tests: a seeded generator, an fp64 naive product, and
//! the HiNM structure checks. Independent of the library: they only read its outputs.
#![allow(dead_code)] // each test file uses a different subset

use std::os::raw::c_void;

use hinm::{
    DataType, DeviceBuffers, Element, Handle, Matrix, Order, RowOrder, SpmmOptions, BF16, F16,
};

/// `Matrix::spmm` or `Matrix::spmm_search`.
pub type Spmm = unsafe fn(
    &Matrix,
    &Handle,
    usize,
    DataType,
    &DeviceBuffers,
    *mut c_void,
    &SpmmOptions,
) -> hinm::Result<()>;

/// Both GPU products, with the C function each reaches: the same arguments, checks and
/// statuses (hinm.h).
pub const SPMMS: [(&str, Spmm); 2] =
    [("hinmSpMM:", Matrix::spmm), ("hinmSpMMSearch:", Matrix::spmm_search)];

/// A host element the tests fill from f32 values and read back in fp64.
pub trait TestElement: Element {
    fn from_f32(x: f32) -> Self;
    fn to_f64(self) -> f64;
}

impl TestElement for f32 {
    fn from_f32(x: f32) -> Self {
        x
    }
    fn to_f64(self) -> f64 {
        f64::from(self)
    }
}

impl TestElement for F16 {
    fn from_f32(x: f32) -> Self {
        F16::from_f32(x)
    }
    fn to_f64(self) -> f64 {
        f64::from(self.to_f32())
    }
}

impl TestElement for BF16 {
    fn from_f32(x: f32) -> Self {
        BF16::from_f32(x)
    }
    fn to_f64(self) -> f64 {
        f64::from(self.to_f32())
    }
}

/// Every element in fp64.
pub fn to_f64s<T: TestElement>(v: &[T]) -> Vec<f64> {
    v.iter().map(|&x| x.to_f64()).collect()
}

/// The rows of A that C's rows hold in `rows` order: C's row p is A's row `map[p]`.
pub fn row_map(a: &Matrix, rows: RowOrder) -> Vec<usize> {
    match rows {
        RowOrder::Original => (0..a.rows()).collect(),
        RowOrder::Permuted => a.row_permutation().unwrap(),
    }
}

/// The options of one product; leading dimensions only where given (else the tight ones).
pub fn spmm_options(
    (alpha, beta): (f32, f32),
    (b_order, c_order): (Order, Order),
    rows: RowOrder,
    lds: Option<(usize, usize)>,
) -> SpmmOptions {
    let options =
        SpmmOptions::new().alpha(alpha).beta(beta).b_order(b_order).c_order(c_order).rows(rows);
    match lds {
        Some((ldb, ldc)) => options.ldb(ldb).ldc(ldc),
        None => options,
    }
}

/// SplitMix64: a small seeded generator, so tests need no crate and are reproducible.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in [-1, 1), never exactly 0 (so pruned zeros are the only zeros).
    pub fn weight(&mut self) -> f32 {
        let u = (self.next_u64() >> 40) as f32 / (1u64 << 24) as f32; // [0, 1)
        let x = 2.0 * u - 1.0;
        if x == 0.0 {
            0.5
        } else {
            x
        }
    }

    pub fn weights(&mut self, len: usize) -> Vec<f32> {
        (0..len).map(|_| self.weight()).collect()
    }
}

pub fn handle() -> Handle {
    Handle::new().expect("hinmCreate")
}

/// Element (r, c) of a row-major matrix in `order` with leading dimension `ld`, where
/// feature-major means rows = features (r) and token-major means rows = tokens (c).
pub fn index(order: Order, feature: usize, token: usize, ld: usize) -> usize {
    match order {
        Order::FeatureMajor => feature * ld + token,
        Order::TokenMajor => token * ld + feature,
    }
}

/// What a product C = alpha * A * B + beta * C0 (+ bias) should hold, in fp64, from the
/// dense pruned A (M x K, original rows). `perm` maps C's row p to A's row perm[p]
/// (identity for RowOrder::Original). Returns (expected, magnitude) per C element, the
/// magnitude being the sum of |terms| (the scale of rounding error).
#[allow(clippy::too_many_arguments)]
pub fn naive_product(
    a: &[f32],
    m: usize,
    k: usize,
    n: usize,
    alpha: f64,
    b: &[f64],
    b_order: Order,
    ldb: usize,
    beta: f64,
    c0: &[f64],
    c_order: Order,
    ldc: usize,
    bias: Option<&[f64]>,
    perm: &[usize],
) -> (Vec<f64>, Vec<f64>) {
    let mut expected = c0.to_vec();
    let mut magnitude = vec![0.0; c0.len()];
    for (p, &row) in perm.iter().enumerate().take(m) {
        for j in 0..n {
            let mut acc = 0.0f64;
            let mut mag = 0.0f64;
            for kk in 0..k {
                let term = f64::from(a[row * k + kk]) * b[index(b_order, kk, j, ldb)];
                acc += term;
                mag += term.abs();
            }
            let ci = index(c_order, p, j, ldc);
            let bias_v = bias.map_or(0.0, |bias| bias[row]);
            expected[ci] = alpha * acc + beta * c0[ci] + bias_v;
            magnitude[ci] = alpha.abs() * mag + (beta * c0[ci]).abs() + bias_v.abs();
        }
    }
    (expected, magnitude)
}

/// Asserts |got - want| <= rel * magnitude + 1e-6 element by element.
pub fn assert_close(got: &[f64], want: &[f64], magnitude: &[f64], rel: f64, what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    for i in 0..got.len() {
        let tol = rel * magnitude[i] + 1e-6;
        assert!(
            (got[i] - want[i]).abs() <= tol,
            "{what}: element {i}: got {}, want {} (tolerance {tol})",
            got[i],
            want[i]
        );
    }
}

/// Checks the HiNM structure of `dense` (the decompressed matrix) against the original
/// weights, the matrix's permutation and column indices, independently of the library:
/// - every nonzero of tile t lies in a column tile t keeps;
/// - along a tile's kept columns, each group of 4 slots keeps at most 2 entries per row;
/// - every kept entry equals the original weight rounded to the value type.
///
/// Returns the number of nonzeros.
pub fn check_hinm_structure(a: &Matrix, weights: &[f32], round: impl Fn(f32) -> f32) -> usize {
    let (m, k) = a.shape();
    let dense = a.to_dense().unwrap();
    let perm = a.row_permutation().unwrap();
    let idx = a.column_indices().unwrap();
    let (v, kk) = (a.tile_rows(), a.kept_cols());
    assert_eq!(idx.len(), a.num_tiles() * kk);
    let mut nnz = 0;
    for t in 0..a.num_tiles() {
        let cols = &idx[t * kk..(t + 1) * kk];
        let mut kept = vec![false; k];
        for c in cols.iter().flatten() {
            assert!(*c < k, "tile {t}: column {c} out of range");
            assert!(!kept[*c], "tile {t}: column {c} listed twice");
            kept[*c] = true;
        }
        for &row in &perm[t * v..((t + 1) * v).min(m)] {
            for c in 0..k {
                let x = dense[row * k + c];
                if x != 0.0 {
                    nnz += 1;
                    assert!(kept[c], "row {row} (tile {t}) keeps column {c}, which the tile drops");
                    assert_eq!(x, round(weights[row * k + c]), "row {row} col {c}: value changed");
                }
            }
            for (g, group) in cols.chunks(4).enumerate() {
                let kept_in_group =
                    group.iter().flatten().filter(|&&c| dense[row * k + c] != 0.0).count();
                assert!(kept_in_group <= 2, "row {row} group {g}: {kept_in_group} of 4 kept");
            }
        }
    }
    nnz
}
