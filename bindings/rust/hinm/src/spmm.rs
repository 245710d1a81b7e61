//! The product C = alpha * A * B + beta * C (+ bias): its options, the shape checks, and the
//! host reference (`hinmSpMMHost`). The GPU form is in `device.rs`.

use hinm_sys as sys;

use crate::element::Element;
use crate::error::{check, Error, Result, Status};
use crate::handle::Handle;
use crate::matrix::Matrix;
use crate::options::to_i64;
use crate::types::{Order, RowOrder};

/// Scalars and layouts of a product C = alpha * A * B + beta * C (+ bias), A the
/// [`Matrix`] (M x K), B the activations with N tokens, C the output.
///
/// Defaults: alpha 1, beta 0, both feature-major with tight leading dimensions, rows in the
/// original order.
///
/// ```
/// use hinm::{Order, SpmmOptions};
/// let options = SpmmOptions::new().alpha(0.5).beta(1.0).b_order(Order::TokenMajor);
/// assert_eq!(options.get_b_order(), Order::TokenMajor);
/// ```
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SpmmOptions {
    alpha: f32,
    beta: f32,
    b_order: Order,
    ldb: Option<usize>,
    c_order: Order,
    ldc: Option<usize>,
    rows: RowOrder,
}

impl Default for SpmmOptions {
    fn default() -> Self {
        SpmmOptions::new()
    }
}

impl SpmmOptions {
    /// alpha 1, beta 0, feature-major B and C with tight leading dimensions, original rows.
    pub fn new() -> SpmmOptions {
        SpmmOptions {
            alpha: 1.0,
            beta: 0.0,
            b_order: Order::FeatureMajor,
            ldb: None,
            c_order: Order::FeatureMajor,
            ldc: None,
            rows: RowOrder::Original,
        }
    }

    /// Scale of A * B.
    pub fn alpha(mut self, alpha: f32) -> Self {
        self.alpha = alpha;
        self
    }

    /// Scale of the C read in (0: C's input is not read).
    pub fn beta(mut self, beta: f32) -> Self {
        self.beta = beta;
        self
    }

    /// Storage order of B: K x N (feature-major) or N x K (token-major).
    pub fn b_order(mut self, order: Order) -> Self {
        self.b_order = order;
        self
    }

    /// Leading dimension of B in elements (default: N feature-major, K token-major).
    pub fn ldb(mut self, ld: usize) -> Self {
        self.ldb = Some(ld);
        self
    }

    /// Storage order of C: M x N (feature-major) or N x M (token-major).
    pub fn c_order(mut self, order: Order) -> Self {
        self.c_order = order;
        self
    }

    /// Leading dimension of C in elements (default: N feature-major, M token-major).
    pub fn ldc(mut self, ld: usize) -> Self {
        self.ldc = Some(ld);
        self
    }

    /// Row order of C when the matrix has an output permutation.
    pub fn rows(mut self, rows: RowOrder) -> Self {
        self.rows = rows;
        self
    }

    /// alpha.
    pub fn get_alpha(&self) -> f32 {
        self.alpha
    }

    /// beta.
    pub fn get_beta(&self) -> f32 {
        self.beta
    }

    /// B's order.
    pub fn get_b_order(&self) -> Order {
        self.b_order
    }

    /// C's order.
    pub fn get_c_order(&self) -> Order {
        self.c_order
    }

    /// C's row order.
    pub fn get_rows(&self) -> RowOrder {
        self.rows
    }

    /// The leading dimensions for this product, checked against their minimums.
    pub(crate) fn resolve(&self, a: &Matrix, n: usize) -> Result<Resolved> {
        let (m, k) = a.shape();
        let b = Operand::new("b", self.b_order, k, n, self.ldb)?;
        let c = Operand::new("c", self.c_order, m, n, self.ldc)?;
        Ok(Resolved { b, c })
    }
}

/// Leading dimensions and minimum lengths of B and C.
pub(crate) struct Resolved {
    pub(crate) b: Operand,
    pub(crate) c: Operand,
}

/// One row-major operand of `features` x `n` (feature-major) or `n` x `features` (token-major).
pub(crate) struct Operand {
    pub(crate) ld: usize,
    /// Elements a slice must hold: (outer - 1) * ld + inner, 0 for an empty problem.
    pub(crate) min_len: usize,
    name: &'static str,
    shape: String,
}

impl Operand {
    fn new(
        name: &'static str,
        order: Order,
        features: usize,
        n: usize,
        ld: Option<usize>,
    ) -> Result<Operand> {
        let (outer, inner, shape) = match order {
            Order::FeatureMajor => (features, n, format!("{features} x {n} feature-major")),
            Order::TokenMajor => (n, features, format!("{n} x {features} token-major")),
        };
        let ld = ld.unwrap_or(inner);
        if ld < inner {
            return Err(Error::invalid(format!(
                "ld{name} = {ld} is too small for a {shape} {name} (needs at least {inner})"
            )));
        }
        let min_len = if outer == 0 || inner == 0 {
            0
        } else {
            (outer - 1).checked_mul(ld).and_then(|x| x.checked_add(inner)).ok_or_else(|| {
                Error::new(Status::SizeOverflow, format!("{name}: {shape} with ld {ld} overflows"))
            })?
        };
        Ok(Operand { ld, min_len, name, shape })
    }

    /// Err unless a slice of `len` elements holds the operand.
    pub(crate) fn check_len(&self, len: usize) -> Result<()> {
        if len < self.min_len {
            return Err(Error::invalid(format!(
                "{} has {len} elements; a {} {} with ld {} needs at least {}",
                self.name, self.shape, self.name, self.ld, self.min_len
            )));
        }
        Ok(())
    }
}

impl Matrix {
    /// C = alpha * A * B + beta * C (+ bias) on the CPU (`hinmSpMMHost`): the reference the
    /// GPU product is checked against, with fp32 accumulation. Synchronous.
    ///
    /// `b`, `c` and `bias` are host slices of one element type (`f32`, [`crate::F16`] or
    /// [`crate::BF16`]); `n` is the number of tokens. `b` must hold B (K x N or N x K per
    /// `options`), `c` must hold C (M x N or N x M), `bias` exactly M values; lengths are
    /// checked here before any call into C. Rows in the original order unless
    /// `options.rows(RowOrder::Permuted)`.
    ///
    /// ```
    /// use hinm::{Handle, Matrix, PruneOptions, SpmmOptions};
    /// let handle = Handle::new()?;
    /// let (m, k, n) = (16, 32, 3);
    /// let weights: Vec<f32> = (0..m * k).map(|i| (i % 7) as f32 - 3.0).collect();
    /// let a = Matrix::prune(&handle, &weights, m, k, None, &PruneOptions::new().tile_rows(16))?;
    /// let b = vec![1.0f32; k * n]; // K x N, feature-major
    /// let mut c = vec![0.0f32; m * n]; // M x N
    /// a.spmm_host(&handle, n, &b, &mut c, None, &SpmmOptions::new())?;
    /// // Every column of C is the row sums of the pruned A.
    /// let dense = a.to_dense()?;
    /// let row0: f32 = dense[..k].iter().sum();
    /// assert!((c[0] - row0).abs() < 1e-4 && (c[2] - row0).abs() < 1e-4);
    /// # Ok::<(), hinm::Error>(())
    /// ```
    pub fn spmm_host<T: Element>(
        &self,
        handle: &Handle,
        n: usize,
        b: &[T],
        c: &mut [T],
        bias: Option<&[T]>,
        options: &SpmmOptions,
    ) -> Result<()> {
        let shapes = options.resolve(self, n)?;
        shapes.b.check_len(b.len())?;
        shapes.c.check_len(c.len())?;
        if let Some(bias) = bias {
            if bias.len() != self.rows() {
                return Err(Error::invalid(format!(
                    "bias has {} elements; the matrix has {} rows",
                    bias.len(),
                    self.rows()
                )));
            }
        }
        // SAFETY: live handle and descriptor; b, c and bias hold the elements the shapes and
        // leading dimensions need (checked above), of T's data type; alpha/beta live.
        check(unsafe {
            sys::hinmSpMMHost(
                handle.as_raw(),
                self.as_raw(),
                to_i64(n, "n")?,
                &options.alpha,
                b.as_ptr().cast(),
                options.b_order.to_raw(),
                to_i64(shapes.b.ld, "ldb")?,
                &options.beta,
                c.as_mut_ptr().cast(),
                options.c_order.to_raw(),
                to_i64(shapes.c.ld, "ldc")?,
                bias.map_or(std::ptr::null(), |x| x.as_ptr().cast()),
                T::DATA_TYPE.to_raw(),
                options.rows.to_raw(),
            )
        })
    }
}
