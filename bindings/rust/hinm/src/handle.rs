//! `Handle`: the library handle (`hinmHandle_t`), destroyed on drop.

use std::fmt;
use std::marker::PhantomData;
use std::ptr::NonNull;

use hinm_sys as sys;

use crate::error::{check, Result};

/// A hinm library handle. Create one per thread (like cuBLAS): it may move to another
/// thread (`Send`) but not be used by two at once (not `Sync`).
///
/// A handle works without a GPU; the CPU paths (pruning, the host product, save/load) need
/// nothing else.
///
/// ```
/// let handle = hinm::Handle::new()?;
/// println!("GPU present: {}", handle.has_device()?);
/// # Ok::<(), hinm::Error>(())
/// ```
///
/// Sharing one handle between threads does not compile:
///
/// ```compile_fail
/// fn shared<T: Sync>(_: &T) {}
/// shared(&hinm::Handle::new().unwrap());
/// ```
pub struct Handle {
    raw: NonNull<sys::hinmContext>,
    // Not Sync: the C API allows one thread at a time per handle.
    _not_sync: PhantomData<std::cell::Cell<()>>,
}

// SAFETY: the C API binds a handle to no particular thread; it only forbids concurrent use,
// which the missing Sync prevents.
unsafe impl Send for Handle {}

impl Handle {
    /// Creates a library handle (`hinmCreate`).
    pub fn new() -> Result<Handle> {
        let mut raw: sys::hinmHandle_t = std::ptr::null_mut();
        // SAFETY: `raw` is a valid out-pointer.
        check(unsafe { sys::hinmCreate(&mut raw) })?;
        let raw = NonNull::new(raw).ok_or_else(|| {
            crate::Error::new(
                crate::Status::InternalError,
                "hinmCreate succeeded but returned NULL",
            )
        })?;
        Ok(Handle { raw, _not_sync: PhantomData })
    }

    /// Whether a CUDA device usable by hinm is present (`hinmHasDevice`).
    pub fn has_device(&self) -> Result<bool> {
        let mut has: i32 = 0;
        // SAFETY: live handle, valid out-pointer.
        check(unsafe { sys::hinmHasDevice(self.raw.as_ptr(), &mut has) })?;
        Ok(has != 0)
    }

    /// Turns autotuning on or off for this handle (`hinmSetAutotune`; off when created).
    ///
    /// On, [`Matrix::spmm`](crate::Matrix::spmm) with this handle runs
    /// [`Matrix::spmm_search`](crate::Matrix::spmm_search) instead whenever the matrix holds
    /// no tuned plan yet for the call's problem (this GPU model, `n`, B and C orders) and the
    /// stream is not being captured into a CUDA graph: that first call is synchronous and a
    /// few ms longer, and later calls of the problem, on any handle, run the stored plan.
    /// Inside a capture an untuned problem runs the planner's plan and nothing is timed. Like
    /// a framework's benchmark mode, for code whose layers call `spmm` and cannot call
    /// `spmm_search` first; the CPU paths are unaffected. The search that `spmm` runs gets
    /// `spmm`'s workspace: pass none to let any plan win (a workspace limits the search to
    /// the plans that fit it).
    ///
    /// Takes `&self` like every other call on a handle: the setting lives in the C handle,
    /// which only one thread can use at a time (`Handle` is not `Sync`).
    ///
    /// ```
    /// let handle = hinm::Handle::new()?;
    /// assert!(!handle.autotune()?);
    /// handle.set_autotune(true)?;
    /// assert!(handle.autotune()?);
    /// # Ok::<(), hinm::Error>(())
    /// ```
    pub fn set_autotune(&self, on: bool) -> Result<()> {
        // SAFETY: live handle; `on` is 0 or 1.
        check(unsafe { sys::hinmSetAutotune(self.raw.as_ptr(), i32::from(on)) })
    }

    /// Whether autotuning is on for this handle (`hinmGetAutotune`); see
    /// [`set_autotune`](Handle::set_autotune).
    pub fn autotune(&self) -> Result<bool> {
        let mut on: i32 = 0;
        // SAFETY: live handle, valid out-pointer.
        check(unsafe { sys::hinmGetAutotune(self.raw.as_ptr(), &mut on) })?;
        Ok(on != 0)
    }

    /// The raw handle, for calls into `hinm_sys`. It stays owned by `self`.
    pub fn as_raw(&self) -> sys::hinmHandle_t {
        self.raw.as_ptr()
    }
}

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle is live and dropped once. A failure cannot be reported from
        // drop, and the only documented one (NULL) cannot happen here.
        unsafe {
            sys::hinmDestroy(self.raw.as_ptr());
        }
    }
}

impl fmt::Debug for Handle {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Handle").field("raw", &self.raw).finish()
    }
}
