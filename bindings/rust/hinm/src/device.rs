//! The GPU entry points: device pointers and CUDA streams, hence `unsafe` with a contract.
//!
//! This crate does not depend on a CUDA crate: device pointers are `*const c_void` /
//! `*mut c_void` and a stream is `*mut c_void` (a `cudaStream_t`; null is the default
//! stream), so they interoperate with whatever allocates them.

use std::os::raw::c_void;

use hinm_sys as sys;

use crate::error::{check, Result};
use crate::handle::Handle;
use crate::matrix::Matrix;
use crate::options::to_i64;
use crate::spmm::SpmmOptions;
use crate::types::{DataType, Order};

/// The signature `hinmSpMM` and `hinmSpMMSearch` share.
type SpmmFn = unsafe extern "C" fn(
    sys::hinmHandle_t,
    sys::hinmDescriptor_t,
    i64,
    *const f32,
    *const c_void,
    sys::hinmOrder_t,
    i64,
    *const f32,
    *mut c_void,
    sys::hinmOrder_t,
    i64,
    *const c_void,
    sys::hinmDataType_t,
    sys::hinmRowOrder_t,
    *mut c_void,
    usize,
    sys::cudaStream_t,
) -> sys::hinmStatus_t;

/// Device memory of one [`Matrix::spmm`] call. All pointers are device pointers.
#[derive(Clone, Copy, Debug)]
pub struct DeviceBuffers {
    /// B: K x N (feature-major) or N x K (token-major), of the io type.
    pub b: *const c_void,
    /// C: M x N (feature-major) or N x M (token-major), of the io type; read when beta != 0.
    pub c: *mut c_void,
    /// M values of the io type added to every token, or null for none.
    pub bias: *const c_void,
    /// Scratch of at least [`Matrix::spmm_workspace_size`] bytes, or null when that is 0.
    pub workspace: *mut c_void,
    /// Bytes at `workspace`.
    pub workspace_size: usize,
}

impl DeviceBuffers {
    /// B and C, with no bias and no workspace.
    pub fn new(b: *const c_void, c: *mut c_void) -> DeviceBuffers {
        DeviceBuffers {
            b,
            c,
            bias: std::ptr::null(),
            workspace: std::ptr::null_mut(),
            workspace_size: 0,
        }
    }

    /// Adds a bias vector (M values).
    pub fn bias(mut self, bias: *const c_void) -> Self {
        self.bias = bias;
        self
    }

    /// Adds a workspace of `size` bytes.
    pub fn workspace(mut self, workspace: *mut c_void, size: usize) -> Self {
        self.workspace = workspace;
        self.workspace_size = size;
        self
    }
}

impl Matrix {
    /// Bytes of device workspace [`Matrix::spmm`] needs for `n` tokens in these orders
    /// (`hinmSpMMWorkspaceSize`); may be 0.
    pub fn spmm_workspace_size(
        &self,
        handle: &Handle,
        n: usize,
        b_order: Order,
        c_order: Order,
    ) -> Result<usize> {
        let mut size = 0usize;
        // SAFETY: live handle and descriptor, valid out-pointer.
        check(unsafe {
            sys::hinmSpMMWorkspaceSize(
                handle.as_raw(),
                self.as_raw(),
                to_i64(n, "n")?,
                b_order.to_raw(),
                c_order.to_raw(),
                &mut size,
            )
        })?;
        Ok(size)
    }

    /// C = alpha * A * B + beta * C (+ bias) on the GPU with Sparse Tensor Cores
    /// (`hinmSpMM`), asynchronous on `stream`. `io_type` is the type of B, C and bias: the
    /// matrix's value type. Layouts and scalars come from `options` as for
    /// [`Matrix::spmm_host`], whose result this matches to fp32-accumulation rounding. It runs
    /// the plan [`Matrix::spmm_search`] stored for the problem, if any, else the planner's;
    /// with [`Handle::set_autotune`] on, a problem with no stored plan is searched by this
    /// call (synchronous), unless `stream` is being captured into a CUDA graph.
    ///
    /// Errors (the call returns them without launching): `NoDevice`, `InvalidValue`,
    /// `InvalidDtype`, `NullPointer`, `Misaligned` (pointers must be 16-byte aligned and
    /// leading dimensions multiples of 8 elements for the fast path), `NotSupported`,
    /// `CudaError`.
    ///
    /// ```no_run
    /// use std::os::raw::c_void;
    /// use hinm::{DataType, DeviceBuffers, Handle, Matrix, Order, SpmmOptions};
    ///
    /// /// `d_b` (N x K fp16), `d_c` (M x N fp16) and `d_ws` come from cudaMalloc;
    /// /// `stream` is the caller's cudaStream_t.
    /// fn forward(h: &Handle, w: &Matrix, n: usize, d_b: *const c_void, d_c: *mut c_void,
    ///            d_ws: *mut c_void, ws_size: usize, stream: *mut c_void) -> hinm::Result<()> {
    ///     assert!(ws_size >= w.spmm_workspace_size(h, n, Order::TokenMajor, Order::FeatureMajor)?);
    ///     let buffers = DeviceBuffers::new(d_b, d_c).workspace(d_ws, ws_size);
    ///     let options = SpmmOptions::new().b_order(Order::TokenMajor);
    ///     // SAFETY: the buffers are live device allocations of the sizes above, used by
    ///     // nothing else until `stream` is synchronised.
    ///     unsafe { w.spmm(h, n, DataType::F16, &buffers, stream, &options) }
    /// }
    /// ```
    ///
    /// # Safety
    /// - `buffers.b`, `buffers.c` (and `bias`, `workspace` when not null) point to device
    ///   memory on the current CUDA device, holding at least the elements the shapes and
    ///   leading dimensions need: B `(K-1)*ldb + N` (feature-major) or `(N-1)*ldb + K`
    ///   (token-major), C likewise with M, bias M, workspace `workspace_size` bytes.
    /// - `stream` is null (the default stream) or a live `cudaStream_t` of that device.
    /// - The memory stays allocated, and is not written by anyone else (C: not read or
    ///   written), until the work queued on `stream` completes.
    pub unsafe fn spmm(
        &self,
        handle: &Handle,
        n: usize,
        io_type: DataType,
        buffers: &DeviceBuffers,
        stream: *mut c_void,
        options: &SpmmOptions,
    ) -> Result<()> {
        // SAFETY: this function's contract is spmm_with's.
        unsafe { self.spmm_with(sys::hinmSpMM, handle, n, io_type, buffers, stream, options) }
    }

    /// [`Matrix::spmm`], after finding the fastest way to run this problem on this GPU
    /// (`hinmSpMMSearch`, like cuSPARSELt's `cusparseLtMatmulSearch`): times the plans
    /// (kernel, tile config, K split) the library could use for it (a few ms at decode sizes)
    /// and stores the fastest in the matrix, which later [`Matrix::spmm`] calls with the same
    /// `n`, B and C orders on the same GPU model (name, compute capability, SM count) then run
    /// (another search replaces it; [`Matrix::save`] and [`Matrix::to_bytes`] keep it, and
    /// [`Matrix::load`] / [`Matrix::from_bytes`] bring it back). C ends as [`Matrix::spmm`]
    /// would leave it. Run it once per layer shape before a decode loop or a CUDA graph
    /// capture.
    ///
    /// Synchronous: waits for `stream`, times on a stream of its own, then queues the product
    /// on `stream`. A workspace in `buffers` limits the search to the plans that fit it;
    /// with none, any plan may win: query [`Matrix::spmm_workspace_size`] again afterwards
    /// before sizing one for [`Matrix::spmm`].
    ///
    /// Errors: those of [`Matrix::spmm`], for the same inputs; `NotSupported` also while
    /// `stream` is being captured into a CUDA graph (search first, then capture `spmm`).
    ///
    /// ```no_run
    /// use std::os::raw::c_void;
    /// use hinm::{DataType, DeviceBuffers, Handle, Matrix, SpmmOptions};
    ///
    /// /// Device pointers `d_b`, `d_c` and `stream` as for `Matrix::spmm`.
    /// fn decode(h: &Handle, w: &Matrix, d_b: *const c_void, d_c: *mut c_void,
    ///           stream: *mut c_void) -> hinm::Result<()> {
    ///     let (buffers, options) = (DeviceBuffers::new(d_b, d_c), SpmmOptions::new());
    ///     // SAFETY: live device allocations of the sizes `spmm` needs for N = 1.
    ///     unsafe { w.spmm_search(h, 1, DataType::F16, &buffers, stream, &options)? };
    ///     for _ in 0..128 {
    ///         // Runs the plan the search stored.
    ///         unsafe { w.spmm(h, 1, DataType::F16, &buffers, stream, &options)? };
    ///     }
    ///     Ok(())
    /// }
    /// ```
    ///
    /// # Safety
    /// As for [`Matrix::spmm`].
    pub unsafe fn spmm_search(
        &self,
        handle: &Handle,
        n: usize,
        io_type: DataType,
        buffers: &DeviceBuffers,
        stream: *mut c_void,
        options: &SpmmOptions,
    ) -> Result<()> {
        // SAFETY: this function's contract is spmm_with's.
        unsafe { self.spmm_with(sys::hinmSpMMSearch, handle, n, io_type, buffers, stream, options) }
    }

    /// `spmm` through `f`: hinmSpMM or hinmSpMMSearch, which take the same arguments.
    ///
    /// # Safety
    /// [`Matrix::spmm`]'s contract.
    #[allow(clippy::too_many_arguments)]
    unsafe fn spmm_with(
        &self,
        f: SpmmFn,
        handle: &Handle,
        n: usize,
        io_type: DataType,
        buffers: &DeviceBuffers,
        stream: *mut c_void,
        options: &SpmmOptions,
    ) -> Result<()> {
        let shapes = options.resolve(self, n)?;
        let (n, ldb, ldc) =
            (to_i64(n, "n")?, to_i64(shapes.b.ld, "ldb")?, to_i64(shapes.c.ld, "ldc")?);
        let (alpha, beta) = (options.get_alpha(), options.get_beta());
        // SAFETY: live handle and descriptor; the device pointers and stream are the
        // caller's, under this function's contract; alpha and beta live through the call.
        check(unsafe {
            f(
                handle.as_raw(),
                self.as_raw(),
                n,
                &alpha,
                buffers.b,
                options.get_b_order().to_raw(),
                ldb,
                &beta,
                buffers.c,
                options.get_c_order().to_raw(),
                ldc,
                buffers.bias,
                io_type.to_raw(),
                options.get_rows().to_raw(),
                buffers.workspace,
                buffers.workspace_size,
                stream.cast(),
            )
        })
    }

    /// Copies the compressed arrays to the current CUDA device now
    /// (`hinmDescriptorToDevice`); [`Matrix::spmm`] otherwise does it on first use.
    /// Synchronous.
    ///
    /// # Safety
    /// `stream` is null (the default stream) or a live `cudaStream_t` of the current device.
    pub unsafe fn to_device(&self, handle: &Handle, stream: *mut c_void) -> Result<()> {
        // SAFETY: live handle and descriptor; the stream is the caller's, under the contract.
        check(unsafe { sys::hinmDescriptorToDevice(handle.as_raw(), self.as_raw(), stream.cast()) })
    }
}

/// A dense product C = alpha * A * B + beta * C for [`Handle::dense_gemm`]: cuBLAS on the
/// same layouts as [`Matrix::spmm`], for comparison and as a fallback. All pointers are
/// device pointers.
#[derive(Clone, Copy, Debug)]
pub struct DenseGemm {
    /// Rows of A and C.
    pub m: usize,
    /// Tokens: columns of B and C.
    pub n: usize,
    /// Columns of A, rows of B.
    pub k: usize,
    /// Scale of A * B.
    pub alpha: f32,
    /// A: M x K row-major.
    pub a: *const c_void,
    /// Leading dimension of A (>= K).
    pub lda: usize,
    /// B: K x N (feature-major) or N x K (token-major).
    pub b: *const c_void,
    /// Storage order of B.
    pub b_order: Order,
    /// Leading dimension of B.
    pub ldb: usize,
    /// Scale of C read in.
    pub beta: f32,
    /// C: M x N (feature-major) or N x M (token-major).
    pub c: *mut c_void,
    /// Storage order of C.
    pub c_order: Order,
    /// Leading dimension of C.
    pub ldc: usize,
    /// F16 or BF16 (fp32 accumulation).
    pub data_type: DataType,
}

impl Handle {
    /// Dense C = alpha * A * B + beta * C through cuBLAS (`hinmDenseGemm`), asynchronous on
    /// `stream`.
    ///
    /// # Safety
    /// `gemm.a`, `gemm.b` and `gemm.c` point to device memory on the current device holding
    /// the elements the sizes and leading dimensions need; `stream` is null or a live
    /// `cudaStream_t` of that device; the memory outlives the queued work.
    pub unsafe fn dense_gemm(&self, gemm: &DenseGemm, stream: *mut c_void) -> Result<()> {
        let (m, n, k) = (to_i64(gemm.m, "m")?, to_i64(gemm.n, "n")?, to_i64(gemm.k, "k")?);
        let (lda, ldb, ldc) =
            (to_i64(gemm.lda, "lda")?, to_i64(gemm.ldb, "ldb")?, to_i64(gemm.ldc, "ldc")?);
        // SAFETY: live handle; the device pointers and stream are the caller's, under this
        // function's contract; alpha and beta live through the call.
        check(unsafe {
            sys::hinmDenseGemm(
                self.as_raw(),
                m,
                n,
                k,
                &gemm.alpha,
                gemm.a,
                lda,
                gemm.b,
                gemm.b_order.to_raw(),
                ldb,
                &gemm.beta,
                gemm.c,
                gemm.c_order.to_raw(),
                ldc,
                gemm.data_type.to_raw(),
                stream.cast(),
            )
        })
    }
}
