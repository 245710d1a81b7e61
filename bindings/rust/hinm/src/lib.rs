//! Safe Rust API for **hinm**: Hierarchical N:M (HiNM) sparse GEMM on NVIDIA Sparse Tensor
//! Cores.
//!
//! HiNM prunes a weight matrix in two levels: inside each tile of V rows it keeps the same
//! K_keep input columns (vector pruning), then applies 2:4 along the kept columns. 50% of the
//! columns + 2:4 gives 75% sparsity. The product C = A * B then runs on Sparse Tensor Cores.
//!
//! - [`Handle`]: the library handle, one per thread.
//! - [`Matrix`]: a pruned, compressed weight matrix: [`Matrix::prune`] with
//!   [`PruneOptions`], info queries, [`Matrix::to_dense`], save/load and bytes.
//! - [`Matrix::spmm_host`]: the CPU reference product on slices; [`Matrix::spmm`]: the GPU
//!   product on device pointers (`unsafe`, with its contract); [`Matrix::spmm_search`] times
//!   the plans and stores the fastest, which [`Matrix::tuned_plans`] lists.
//! - Every fallible call returns [`Result`], whose [`Error`] carries the C API's
//!   [`Status`] and the library's message.
//!
//! ```
//! use hinm::{Handle, Matrix, Order, PruneOptions, SpmmOptions};
//!
//! let handle = Handle::new()?;
//! let (m, k, n) = (64, 128, 8);
//! let weights: Vec<f32> = (0..m * k).map(|i| ((i * 7919) % 1000) as f32 / 1000.0 - 0.5).collect();
//! let options = PruneOptions::new().sparsity(0.75).tile_rows(32);
//! let a = Matrix::prune(&handle, &weights, m, k, None, &options)?;
//! println!("{} x {}: {:.1}x smaller", a.rows(), a.cols(), a.compression_ratio());
//!
//! // Token-major activations (N x K), feature-major output (M x N).
//! let b: Vec<f32> = (0..n * k).map(|i| (i % 5) as f32).collect();
//! let mut c = vec![0.0f32; m * n];
//! a.spmm_host(&handle, n, &b, &mut c, None, &SpmmOptions::new().b_order(Order::TokenMajor))?;
//! # Ok::<(), hinm::Error>(())
//! ```

#![warn(missing_docs)]
// Every unsafe operation carries its own block and SAFETY note, even inside an unsafe fn.
#![warn(unsafe_op_in_unsafe_fn)]

mod device;
mod element;
mod error;
mod handle;
mod matrix;
mod options;
mod spmm;
mod tuned;
mod types;

pub use device::{DenseGemm, DeviceBuffers};
pub use element::{Element, BF16, F16};
pub use error::{Error, Result, Status};
pub use handle::Handle;
pub use matrix::{Matrix, MatrixInfo};
pub use options::PruneOptions;
pub use spmm::SpmmOptions;
pub use tuned::TunedPlan;
pub use types::{DataType, Kernel, Order, Permute, PermuteAlgorithm, RowOrder};

/// The raw FFI this crate wraps.
pub use hinm_sys as sys;

/// The C API version these bindings were generated from: MAJOR * 10000 + MINOR * 100 + PATCH.
pub const HEADER_VERSION: u32 = sys::HINM_VERSION;

/// The version of the library actually loaded (`hinmGetVersion`), in the same encoding as
/// [`HEADER_VERSION`].
pub fn library_version() -> u32 {
    // SAFETY: no arguments, no preconditions.
    let v = unsafe { sys::hinmGetVersion() };
    u32::try_from(v).unwrap_or(0)
}
