//! `TunedPlan`: the plans a search stored in a [`Matrix`] (`hinmTunedPlan_t`), listed by
//! [`Matrix::tuned_plans`] (`hinmGetTunedPlans`).

use std::os::raw::c_char;

use hinm_sys as sys;

use crate::error::{check, Error, Result, Status};
use crate::matrix::Matrix;
use crate::options::to_i64;
use crate::types::{Kernel, Order};

/// One plan [`Matrix::spmm_search`] stored in a matrix (or a loaded file brought): the
/// problem it was timed for (GPU model, `n`, orders) and how [`Matrix::spmm`] then runs that
/// problem (`hinmTunedPlan_t`).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct TunedPlan {
    /// The GPU model: `cudaDeviceProp::name`.
    pub device_name: String,
    /// Its compute capability, (major, minor).
    pub compute_capability: (u32, u32),
    /// Its SMs (a MIG slice has fewer: another model).
    pub sm_count: usize,
    /// Tokens of the product.
    pub n: usize,
    /// Order of B.
    pub b_order: Order,
    /// Order of C.
    pub c_order: Order,
    /// The kernel; [`Kernel::Auto`]: the planner's.
    pub kernel: Kernel,
    /// The mma.sp tile config, e.g. `"mid_128x64"`; empty: the planner's.
    pub config: String,
    /// The K split of the mma.sp kernel; 0: the planner's.
    pub splits: usize,
    /// Whether the splits are summed in a cluster's shared memory.
    pub cluster: bool,
}

impl TunedPlan {
    fn from_raw(raw: &sys::hinmTunedPlan_t) -> Result<TunedPlan> {
        let unknown = |what: &str, v: u32| {
            Error::new(
                Status::NotSupported,
                format!("tuned plan has {what} {v}, unknown to this crate"),
            )
        };
        Ok(TunedPlan {
            device_name: c_field(&raw.device_name),
            compute_capability: (
                non_negative(raw.cc_major.into(), "cc_major")?,
                non_negative(raw.cc_minor.into(), "cc_minor")?,
            ),
            sm_count: non_negative(raw.sm_count.into(), "sm_count")?,
            n: non_negative(raw.n, "n")?,
            b_order: Order::from_raw(raw.b_order).ok_or_else(|| unknown("b_order", raw.b_order))?,
            c_order: Order::from_raw(raw.c_order).ok_or_else(|| unknown("c_order", raw.c_order))?,
            kernel: Kernel::from_raw(raw.kernel).ok_or_else(|| unknown("kernel", raw.kernel))?,
            config: c_field(&raw.config),
            splits: non_negative(raw.splits.into(), "splits")?,
            cluster: raw.cluster != 0,
        })
    }
}

impl Matrix {
    /// The plans [`Matrix::spmm_search`] stored (or [`Matrix::load`] /
    /// [`Matrix::from_bytes`] brought), in ascending problem order (GPU model, `n`, B and C
    /// orders), as one snapshot (`hinmGetTunedPlans`). Empty until a search.
    ///
    /// ```
    /// use hinm::{Handle, Matrix, PruneOptions};
    /// let handle = Handle::new()?;
    /// let weights = vec![1.0f32; 32 * 64];
    /// let w = Matrix::prune(&handle, &weights, 32, 64, None, &PruneOptions::new().tile_rows(16))?;
    /// assert!(w.tuned_plans()?.is_empty());
    /// # Ok::<(), hinm::Error>(())
    /// ```
    ///
    /// Errors: `NotSupported` for a kernel or order a newer library added.
    pub fn tuned_plans(&self) -> Result<Vec<TunedPlan>> {
        let mut raw: Vec<sys::hinmTunedPlan_t> = Vec::new();
        // Asked again while a search on another thread adds plans between two calls.
        loop {
            let mut count = 0i64;
            // SAFETY: live descriptor; `raw` is writable for the capacity passed (0 the
            // first time), each entry the size passed.
            check(unsafe {
                sys::hinmGetTunedPlans(
                    self.as_raw(),
                    raw.as_mut_ptr(),
                    to_i64(raw.len(), "capacity")?,
                    std::mem::size_of::<sys::hinmTunedPlan_t>(),
                    &mut count,
                )
            })?;
            let count = usize::try_from(count).map_err(|_| {
                Error::new(Status::InternalError, format!("library reports {count} tuned plans"))
            })?;
            if count <= raw.len() {
                raw.truncate(count);
                break;
            }
            raw.resize(count, sys::hinmTunedPlan_t::default());
        }
        raw.iter().map(TunedPlan::from_raw).collect()
    }
}

fn non_negative<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T> {
    T::try_from(v)
        .map_err(|_| Error::new(Status::InternalError, format!("tuned plan reports {what} = {v}")))
}

/// A NUL-terminated C char field as a `String` (invalid UTF-8 replaced).
fn c_field(field: &[c_char]) -> String {
    let bytes: Vec<u8> = field
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| u8::from_ne_bytes(c.to_ne_bytes()))
        .collect();
    String::from_utf8_lossy(&bytes).into_owned()
}
