//! `Status` (the C API's `hinmStatus_t`), `Error` (status + message) and `Result`.

use std::ffi::CStr;
use std::fmt;
use std::os::raw::c_char;

use hinm_sys as sys;

/// The result of every fallible hinm call.
pub type Result<T> = std::result::Result<T, Error>;

/// Why a call failed: one value per `hinmStatus_t` of the C API.
///
/// The C enum is append-only; a value this crate does not know yet (a newer library) is kept
/// as [`Status::Unknown`] rather than misread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// `HINM_STATUS_SUCCESS`. Never carried by an [`Error`]; listed to mirror the C enum.
    Success,
    /// A NULL or destroyed handle or descriptor.
    NotInitialized,
    /// An argument is out of range (sizes, leading dimensions, options, NaN/Inf inputs, slice
    /// lengths checked by this crate).
    InvalidValue,
    /// A required pointer is NULL.
    NullPointer,
    /// Sizes whose product overflows.
    SizeOverflow,
    /// Valid, but no path implements it.
    NotSupported,
    /// A host or device allocation failed.
    AllocFailed,
    /// No CUDA device (or driver) present.
    NoDevice,
    /// A CUDA runtime call failed.
    CudaError,
    /// A cuBLAS call failed.
    CublasError,
    /// A file could not be opened, read or written.
    IoError,
    /// Truncated data, bad magic or bad checksum.
    CorruptFile,
    /// Data written by an unknown format version.
    VersionMismatch,
    /// A progress callback asked to stop.
    Cancelled,
    /// A bug in hinm: please report it.
    InternalError,
    /// A data type not accepted here.
    InvalidDtype,
    /// A pointer or leading dimension breaks the alignment the fast path needs.
    Misaligned,
    /// A status value this version of the crate does not know.
    Unknown(u32),
}

impl Status {
    /// The `Status` of a raw `hinmStatus_t`.
    pub fn from_raw(raw: sys::hinmStatus_t) -> Status {
        match raw {
            sys::HINM_STATUS_SUCCESS => Status::Success,
            sys::HINM_STATUS_NOT_INITIALIZED => Status::NotInitialized,
            sys::HINM_STATUS_INVALID_VALUE => Status::InvalidValue,
            sys::HINM_STATUS_NULL_POINTER => Status::NullPointer,
            sys::HINM_STATUS_SIZE_OVERFLOW => Status::SizeOverflow,
            sys::HINM_STATUS_NOT_SUPPORTED => Status::NotSupported,
            sys::HINM_STATUS_ALLOC_FAILED => Status::AllocFailed,
            sys::HINM_STATUS_NO_DEVICE => Status::NoDevice,
            sys::HINM_STATUS_CUDA_ERROR => Status::CudaError,
            sys::HINM_STATUS_CUBLAS_ERROR => Status::CublasError,
            sys::HINM_STATUS_IO_ERROR => Status::IoError,
            sys::HINM_STATUS_CORRUPT_FILE => Status::CorruptFile,
            sys::HINM_STATUS_VERSION_MISMATCH => Status::VersionMismatch,
            sys::HINM_STATUS_CANCELLED => Status::Cancelled,
            sys::HINM_STATUS_INTERNAL_ERROR => Status::InternalError,
            sys::HINM_STATUS_INVALID_DTYPE => Status::InvalidDtype,
            sys::HINM_STATUS_MISALIGNED => Status::Misaligned,
            other => Status::Unknown(other),
        }
    }

    /// The raw `hinmStatus_t` value.
    pub fn to_raw(self) -> sys::hinmStatus_t {
        match self {
            Status::Success => sys::HINM_STATUS_SUCCESS,
            Status::NotInitialized => sys::HINM_STATUS_NOT_INITIALIZED,
            Status::InvalidValue => sys::HINM_STATUS_INVALID_VALUE,
            Status::NullPointer => sys::HINM_STATUS_NULL_POINTER,
            Status::SizeOverflow => sys::HINM_STATUS_SIZE_OVERFLOW,
            Status::NotSupported => sys::HINM_STATUS_NOT_SUPPORTED,
            Status::AllocFailed => sys::HINM_STATUS_ALLOC_FAILED,
            Status::NoDevice => sys::HINM_STATUS_NO_DEVICE,
            Status::CudaError => sys::HINM_STATUS_CUDA_ERROR,
            Status::CublasError => sys::HINM_STATUS_CUBLAS_ERROR,
            Status::IoError => sys::HINM_STATUS_IO_ERROR,
            Status::CorruptFile => sys::HINM_STATUS_CORRUPT_FILE,
            Status::VersionMismatch => sys::HINM_STATUS_VERSION_MISMATCH,
            Status::Cancelled => sys::HINM_STATUS_CANCELLED,
            Status::InternalError => sys::HINM_STATUS_INTERNAL_ERROR,
            Status::InvalidDtype => sys::HINM_STATUS_INVALID_DTYPE,
            Status::Misaligned => sys::HINM_STATUS_MISALIGNED,
            Status::Unknown(raw) => raw,
        }
    }

    /// The library's name for the status: `"HINM_STATUS_INVALID_VALUE"`, ...
    pub fn name(self) -> String {
        // SAFETY: the C API documents a static, NUL-terminated string for every value.
        unsafe { string_from_c(sys::hinmGetErrorName(self.to_raw())) }
    }

    /// The library's one-sentence description of the status.
    pub fn description(self) -> String {
        // SAFETY: as in `name`.
        unsafe { string_from_c(sys::hinmGetErrorString(self.to_raw())) }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

/// A failed hinm call: the status and the library's detail message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// What kind of failure.
    pub status: Status,
    /// The detail: the C library's last error message for this thread, or this crate's own
    /// message for a check it makes before calling C (slice lengths, options).
    pub message: String,
}

impl Error {
    /// An error raised by this crate itself, before any call into C.
    pub(crate) fn new(status: Status, message: impl Into<String>) -> Error {
        Error { status, message: message.into() }
    }

    pub(crate) fn invalid(message: impl Into<String>) -> Error {
        Error::new(Status::InvalidValue, message)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status, self.message)
    }
}

impl std::error::Error for Error {}

/// Turns a returned `hinmStatus_t` into a `Result`, reading the thread's last error message
/// at once (it is valid only until the next hinm call on this thread).
pub(crate) fn check(raw: sys::hinmStatus_t) -> Result<()> {
    if raw == sys::HINM_STATUS_SUCCESS {
        return Ok(());
    }
    let status = Status::from_raw(raw);
    // SAFETY: documented never NULL and valid until the next hinm call on this thread.
    let mut message = unsafe { string_from_c(sys::hinmGetLastErrorMessage()) };
    if message.is_empty() {
        message = status.description();
    }
    Err(Error { status, message })
}

/// Copies a C string (NULL reads as empty).
///
/// # Safety
/// `p` is NULL or points to a NUL-terminated string valid for the duration of the call.
pub(crate) unsafe fn string_from_c(p: *const c_char) -> String {
    if p.is_null() {
        String::new()
    } else {
        // SAFETY: non-null and NUL-terminated by this function's contract.
        unsafe { CStr::from_ptr(p) }.to_string_lossy().into_owned()
    }
}
