//! The few CUDA runtime calls the GPU tests need (allocate, copy, synchronise, streams), loaded
//! at run time with `libloading`: the `hinm` crate has no CUDA dependency, and these tests build
//! and skip on a machine without CUDA. Every `cudaError_t` is checked; a failure panics with
//! its code and name. `tests/gpu.rs` includes it with `#[path]` (not through `common`), so
//! the other test executables do not carry it.
#![warn(unsafe_op_in_unsafe_fn)]

use std::ffi::CStr;
use std::os::raw::{c_char, c_int, c_void};

use libloading::Library;

/// `cudaError_t`: 0 is `cudaSuccess`.
type CudaError = c_int;
/// `cudaMemcpyKind`.
const HOST_TO_DEVICE: c_int = 1;
const DEVICE_TO_HOST: c_int = 2;

/// The sonames tried, newest first.
const LIBRARIES: [&str; 3] = ["libcudart.so.13", "libcudart.so.12", "libcudart.so"];

/// The CUDA runtime's entry points. The library is never unloaded (it is leaked on load), so
/// the function pointers stay valid for the life of the process; `Cuda` is freely copied.
#[derive(Clone, Copy)]
pub struct Cuda {
    malloc: unsafe extern "C" fn(*mut *mut c_void, usize) -> CudaError,
    free: unsafe extern "C" fn(*mut c_void) -> CudaError,
    memcpy: unsafe extern "C" fn(*mut c_void, *const c_void, usize, c_int) -> CudaError,
    device_synchronize: unsafe extern "C" fn() -> CudaError,
    stream_create: unsafe extern "C" fn(*mut *mut c_void) -> CudaError,
    stream_destroy: unsafe extern "C" fn(*mut c_void) -> CudaError,
    error_name: unsafe extern "C" fn(CudaError) -> *const c_char,
}

impl Cuda {
    /// Loads the first CUDA runtime of `LIBRARIES` that opens; Err says why none did.
    pub fn load() -> Result<Cuda, String> {
        let mut errors = Vec::new();
        for name in LIBRARIES {
            // SAFETY: loading the CUDA runtime runs only its own initialisers.
            match unsafe { Library::new(name) } {
                Ok(lib) => return Cuda::from_library(Box::leak(Box::new(lib))),
                Err(e) => errors.push(format!("{name}: {e}")),
            }
        }
        Err(errors.join("; "))
    }

    fn from_library(lib: &'static Library) -> Result<Cuda, String> {
        // SAFETY (every symbol): the types are the CUDA runtime API's signatures, and the
        // library is leaked, so the pointers outlive every use.
        unsafe {
            Ok(Cuda {
                malloc: *symbol(lib, b"cudaMalloc\0")?,
                free: *symbol(lib, b"cudaFree\0")?,
                memcpy: *symbol(lib, b"cudaMemcpy\0")?,
                device_synchronize: *symbol(lib, b"cudaDeviceSynchronize\0")?,
                stream_create: *symbol(lib, b"cudaStreamCreate\0")?,
                stream_destroy: *symbol(lib, b"cudaStreamDestroy\0")?,
                error_name: *symbol(lib, b"cudaGetErrorName\0")?,
            })
        }
    }

    /// Panics unless `code` is `cudaSuccess`.
    fn check(&self, code: CudaError, what: &str) {
        if code != 0 {
            // SAFETY: cudaGetErrorName returns a static NUL-terminated string for any code.
            let name = unsafe { CStr::from_ptr((self.error_name)(code)) };
            panic!("{what} failed: cudaError_t {code} ({})", name.to_string_lossy());
        }
    }

    /// `bytes` (at least 1) of device memory, freed on drop.
    pub fn alloc(&self, bytes: usize) -> DeviceAlloc {
        let bytes = bytes.max(1);
        let mut ptr = std::ptr::null_mut();
        // SAFETY: valid out-pointer.
        self.check(unsafe { (self.malloc)(&mut ptr, bytes) }, "cudaMalloc");
        DeviceAlloc { cuda: *self, ptr, bytes }
    }

    /// Device memory holding a copy of `data`.
    pub fn upload<T: Copy>(&self, data: &[T]) -> DeviceAlloc {
        let alloc = self.alloc(std::mem::size_of_val(data));
        alloc.write(data);
        alloc
    }

    /// `cudaDeviceSynchronize`: waits for all work on the device, and reports its errors.
    pub fn synchronize(&self) {
        // SAFETY: no arguments.
        self.check(unsafe { (self.device_synchronize)() }, "cudaDeviceSynchronize");
    }

    /// A new stream (`cudaStreamCreate`: blocking, so ordered after the legacy default
    /// stream's work such as `cudaMemcpy`), destroyed on drop.
    pub fn stream(&self) -> Stream {
        let mut raw = std::ptr::null_mut();
        // SAFETY: valid out-pointer.
        self.check(unsafe { (self.stream_create)(&mut raw) }, "cudaStreamCreate");
        Stream { cuda: *self, raw }
    }
}

/// Looks up `name` (NUL-terminated) in `lib`.
///
/// # Safety
/// `T` is the symbol's true type.
unsafe fn symbol<T>(
    lib: &'static Library,
    name: &[u8],
) -> Result<libloading::Symbol<'static, T>, String> {
    // SAFETY: the caller's contract.
    unsafe { lib.get(name) }.map_err(|e| format!("{}: {e}", String::from_utf8_lossy(name)))
}

/// A `cudaMalloc` allocation, `cudaFree`d on drop.
pub struct DeviceAlloc {
    cuda: Cuda,
    ptr: *mut c_void,
    bytes: usize,
}

impl DeviceAlloc {
    /// The device pointer.
    pub fn ptr(&self) -> *mut c_void {
        self.ptr
    }

    /// `ptr()` moved on by `offset` bytes (a misaligned pointer into the allocation).
    pub fn ptr_at(&self, offset: usize) -> *mut c_void {
        assert!(offset < self.bytes, "offset {offset} outside {} bytes", self.bytes);
        self.ptr.cast::<u8>().wrapping_add(offset).cast()
    }

    /// Bytes allocated.
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Copies `data` to the start of the allocation (`cudaMemcpy`, host to device).
    pub fn write<T: Copy>(&self, data: &[T]) {
        let bytes = std::mem::size_of_val(data);
        assert!(bytes <= self.bytes, "{bytes} bytes into an allocation of {}", self.bytes);
        // SAFETY: both ranges hold `bytes` bytes.
        let code =
            unsafe { (self.cuda.memcpy)(self.ptr, data.as_ptr().cast(), bytes, HOST_TO_DEVICE) };
        self.cuda.check(code, "cudaMemcpy (host to device)");
    }

    /// The first `len` elements of the allocation (`cudaMemcpy`, device to host). `T` is a
    /// plain-data type (any bits valid): the tests' f32, F16, BF16.
    pub fn read<T: Copy + Default>(&self, len: usize) -> Vec<T> {
        let mut out = vec![T::default(); len];
        let bytes = std::mem::size_of_val(&out[..]);
        assert!(bytes <= self.bytes, "{bytes} bytes from an allocation of {}", self.bytes);
        // SAFETY: both ranges hold `bytes` bytes; T accepts any bits.
        let code =
            unsafe { (self.cuda.memcpy)(out.as_mut_ptr().cast(), self.ptr, bytes, DEVICE_TO_HOST) };
        self.cuda.check(code, "cudaMemcpy (device to host)");
        out
    }
}

impl Drop for DeviceAlloc {
    fn drop(&mut self) {
        // SAFETY: allocated by cudaMalloc, freed once.
        let code = unsafe { (self.cuda.free)(self.ptr) };
        if !std::thread::panicking() {
            self.cuda.check(code, "cudaFree");
        }
    }
}

/// A `cudaStream_t`, destroyed on drop.
pub struct Stream {
    cuda: Cuda,
    raw: *mut c_void,
}

impl Stream {
    /// The `cudaStream_t`, as hinm's API takes it.
    pub fn raw(&self) -> *mut c_void {
        self.raw
    }
}

impl Drop for Stream {
    fn drop(&mut self) {
        // SAFETY: created by cudaStreamCreate, destroyed once.
        let code = unsafe { (self.cuda.stream_destroy)(self.raw) };
        if !std::thread::panicking() {
            self.cuda.check(code, "cudaStreamDestroy");
        }
    }
}
