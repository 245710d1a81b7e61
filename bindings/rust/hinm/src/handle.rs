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
