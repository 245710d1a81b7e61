//! `Matrix`: a pruned, compressed HiNM weight matrix (`hinmDescriptor_t`), destroyed on drop.
//! Creation (prune, load, from_bytes), queries, decompression and serialization.

use std::ffi::CString;
use std::fmt;
use std::ops::ControlFlow;
use std::os::raw::{c_int, c_void};
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;
use std::ptr::NonNull;

use hinm_sys as sys;

use crate::element::Element;
use crate::error::{check, Error, Result, Status};
use crate::handle::Handle;
use crate::options::{to_i64, PruneOptions};
use crate::types::DataType;

/// What a [`Matrix`] holds (`hinmDescriptorInfo_t`). Fixed at creation.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixInfo {
    /// M: output channels.
    pub rows: usize,
    /// K: input channels.
    pub cols: usize,
    /// V: rows per tile.
    pub tile_rows: usize,
    /// K_keep: input columns each tile keeps (before 2:4).
    pub kept_cols: usize,
    /// ceil(M / V).
    pub num_tiles: usize,
    /// Type of the compressed values.
    pub value_type: DataType,
    /// Fraction of the M x K weights that are zero by construction.
    pub sparsity: f64,
    /// 1 - K_keep / K.
    pub vector_sparsity: f64,
    /// Kept saliency over total saliency, in [0, 1].
    pub retained_saliency: f64,
    /// Bytes of values, metadata, column indices and permutation.
    pub compressed_bytes: usize,
    /// M * K * size of the value type.
    pub dense_bytes: usize,
    /// dense_bytes / compressed_bytes.
    pub compression_ratio: f64,
    /// Whether 2CP permuted the output axis.
    pub has_row_permutation: bool,
    /// Whether 2CP permuted the kept columns within tiles.
    pub has_column_permutation: bool,
}

/// A weight matrix pruned to Hierarchical N:M sparsity and compressed.
///
/// Read-only once created: it is `Send` and `Sync`, and one matrix may serve several threads
/// (each with its own [`Handle`]). It does not borrow the handle that created it.
///
/// ```
/// use hinm::{Handle, Matrix, PruneOptions};
/// let handle = Handle::new()?;
/// let (m, k) = (32, 64);
/// let weights: Vec<f32> = (0..m * k).map(|i| (i * 37 % 101) as f32 + 1.0).collect(); // no zeros
/// let w = Matrix::prune(&handle, &weights, m, k, None, &PruneOptions::new().sparsity(0.75).tile_rows(16))?;
/// assert_eq!(w.shape(), (m, k));
/// assert_eq!(w.kept_cols(), k / 2);
/// assert_eq!(w.sparsity(), 0.75);
/// let dense = w.to_dense()?; // the pruned weights, M x K
/// assert_eq!(dense.iter().filter(|&&x| x != 0.0).count(), m * k / 4);
/// # Ok::<(), hinm::Error>(())
/// ```
pub struct Matrix {
    raw: NonNull<sys::hinmMatrix>,
    info: MatrixInfo,
}

// SAFETY: the C API documents descriptors as read-only after creation and shareable by
// threads and streams; destroying one needs no particular thread.
unsafe impl Send for Matrix {}
unsafe impl Sync for Matrix {}

impl Matrix {
    /// Prunes dense `rows x cols` row-major weights to HiNM and compresses them
    /// (`hinmCreateDescriptor`).
    ///
    /// `weights` may be `f32`, [`crate::F16`] or [`crate::BF16`]. `saliency` scores which
    /// weights matter (non-negative, `rows x cols`); `None` uses |W|.
    ///
    /// Errors: `InvalidValue` for a slice whose length is not `rows * cols`, zero sizes,
    /// options out of range, or NaN/Inf/negative inputs; `SizeOverflow`; `InvalidDtype`.
    pub fn prune<T: Element>(
        handle: &Handle,
        weights: &[T],
        rows: usize,
        cols: usize,
        saliency: Option<&[f32]>,
        options: &PruneOptions,
    ) -> Result<Matrix> {
        let config = options.to_raw(None)?;
        create(handle, weights, rows, cols, saliency, &config.config)
    }

    /// [`Matrix::prune`] with progress reports: `progress` gets the fraction done, in
    /// [0, 1], on the calling thread; returning `ControlFlow::Break(())` stops the work
    /// and the call returns an error with [`Status::Cancelled`]. A panic in `progress`
    /// cancels the work and is resumed once the library has returned.
    pub fn prune_with_progress<T: Element, F: FnMut(f64) -> ControlFlow<()>>(
        handle: &Handle,
        weights: &[T],
        rows: usize,
        cols: usize,
        saliency: Option<&[f32]>,
        options: &PruneOptions,
        progress: F,
    ) -> Result<Matrix> {
        let mut state = ProgressState { callback: progress, panic: None };
        let user_data = (&mut state as *mut ProgressState<F>).cast::<c_void>();
        let config = options.to_raw(Some((Some(progress_trampoline::<F>), user_data)))?;
        let result = create(handle, weights, rows, cols, saliency, &config.config);
        if let Some(payload) = state.panic.take() {
            panic::resume_unwind(payload);
        }
        result
    }

    /// Reads a matrix saved by [`Matrix::save`] (`hinmLoadDescriptor`).
    ///
    /// Errors: `IoError` (missing or unreadable file), `CorruptFile`, `VersionMismatch`.
    pub fn load(handle: &Handle, path: impl AsRef<Path>) -> Result<Matrix> {
        let path = path_to_cstring(path.as_ref())?;
        let mut raw: sys::hinmDescriptor_t = std::ptr::null_mut();
        // SAFETY: live handle, valid out-pointer, NUL-terminated path.
        check(unsafe { sys::hinmLoadDescriptor(handle.as_raw(), &mut raw, path.as_ptr()) })?;
        // SAFETY: a fresh descriptor, owned from here on.
        unsafe { Matrix::from_raw(raw) }
    }

    /// Reads a matrix from the bytes of [`Matrix::to_bytes`] (`hinmDeserialize`).
    ///
    /// Errors: `CorruptFile` (truncated, bad magic or checksum), `VersionMismatch`.
    pub fn from_bytes(handle: &Handle, bytes: &[u8]) -> Result<Matrix> {
        let mut raw: sys::hinmDescriptor_t = std::ptr::null_mut();
        // SAFETY: live handle, valid out-pointer, `bytes` readable for its length.
        check(unsafe {
            sys::hinmDeserialize(handle.as_raw(), &mut raw, bytes.as_ptr().cast(), bytes.len())
        })?;
        // SAFETY: a fresh descriptor, owned from here on.
        unsafe { Matrix::from_raw(raw) }
    }

    /// Takes ownership of a descriptor made through `hinm_sys`; it is destroyed on drop.
    ///
    /// # Safety
    /// `raw` is a live descriptor that nothing else destroys or uses after this call except
    /// through the returned `Matrix`.
    pub unsafe fn from_raw(raw: sys::hinmDescriptor_t) -> Result<Matrix> {
        let raw = NonNull::new(raw)
            .ok_or_else(|| Error::new(Status::NotInitialized, "descriptor is NULL"))?;
        // Owned from here: dropped (destroyed) if reading the info fails.
        let mut matrix = Matrix { raw, info: placeholder_info() };
        matrix.info = matrix.query_info()?;
        Ok(matrix)
    }

    /// The raw descriptor, for calls into `hinm_sys`. It stays owned by `self`.
    pub fn as_raw(&self) -> sys::hinmDescriptor_t {
        self.raw.as_ptr()
    }

    /// Everything the matrix reports about itself.
    pub fn info(&self) -> &MatrixInfo {
        &self.info
    }

    /// (M, K).
    pub fn shape(&self) -> (usize, usize) {
        (self.info.rows, self.info.cols)
    }

    /// M: output channels.
    pub fn rows(&self) -> usize {
        self.info.rows
    }

    /// K: input channels.
    pub fn cols(&self) -> usize {
        self.info.cols
    }

    /// V: rows per tile.
    pub fn tile_rows(&self) -> usize {
        self.info.tile_rows
    }

    /// K_keep: columns each tile keeps.
    pub fn kept_cols(&self) -> usize {
        self.info.kept_cols
    }

    /// ceil(M / V).
    pub fn num_tiles(&self) -> usize {
        self.info.num_tiles
    }

    /// Type of the compressed values.
    pub fn value_type(&self) -> DataType {
        self.info.value_type
    }

    /// Fraction of the weights that are zero by construction.
    pub fn sparsity(&self) -> f64 {
        self.info.sparsity
    }

    /// Kept saliency over total saliency, in [0, 1].
    pub fn retained_saliency(&self) -> f64 {
        self.info.retained_saliency
    }

    /// Bytes of the compressed form (values, metadata, indices, permutation).
    pub fn compressed_bytes(&self) -> usize {
        self.info.compressed_bytes
    }

    /// Dense bytes over compressed bytes.
    pub fn compression_ratio(&self) -> f64 {
        self.info.compression_ratio
    }

    /// `perm[p]` = original row of compressed row `p`, for all M rows (`hinmGetRowPermutation`).
    /// The identity unless 2CP permuted the output axis.
    pub fn row_permutation(&self) -> Result<Vec<usize>> {
        let mut perm = vec![0i32; self.info.rows];
        // SAFETY: live descriptor; `perm` holds exactly the count passed.
        check(unsafe {
            sys::hinmGetRowPermutation(
                self.as_raw(),
                perm.as_mut_ptr(),
                to_i64(perm.len(), "rows")?,
            )
        })?;
        perm.into_iter().map(|p| index_from_c(p, "row permutation")).collect()
    }

    /// The same weights reading their input in another channel order
    /// (`hinmFoldInputPermutation`): with `perm` the previous layer's `row_permutation()`
    /// and that layer run with `RowOrder::Permuted`, the returned matrix multiplies its
    /// output directly and gives what `self` gives on the output in original order. Only
    /// the column indices change, once, here; `self` is unchanged.
    ///
    /// Errors: `InvalidValue` unless `perm` has `cols()` entries forming a permutation of
    /// `0..cols()`.
    pub fn fold_input_permutation(&self, handle: &Handle, perm: &[usize]) -> Result<Matrix> {
        let perm_c = perm
            .iter()
            .map(|&p| {
                i32::try_from(p).map_err(|_| {
                    Error::new(
                        Status::InvalidValue,
                        format!("permutation entry {p} is out of range"),
                    )
                })
            })
            .collect::<Result<Vec<i32>>>()?;
        let mut raw: sys::hinmDescriptor_t = std::ptr::null_mut();
        // SAFETY: live handle and descriptor, valid out-pointer, `perm_c` readable for the
        // count passed.
        check(unsafe {
            sys::hinmFoldInputPermutation(
                handle.as_raw(),
                &mut raw,
                self.as_raw(),
                perm_c.as_ptr(),
                to_i64(perm_c.len(), "permutation length")?,
            )
        })?;
        // SAFETY: a fresh descriptor, owned from here on.
        unsafe { Matrix::from_raw(raw) }
    }

    /// The kept input columns of every tile in the tile's order (`hinmGetColumnIndices`):
    /// entry `t * kept_cols + s` is slot `s` of tile `t`; `None` marks a padding slot (when
    /// K_keep > K).
    pub fn column_indices(&self) -> Result<Vec<Option<usize>>> {
        let count =
            self.info.num_tiles.checked_mul(self.info.kept_cols).ok_or_else(|| {
                Error::new(Status::SizeOverflow, "num_tiles * kept_cols overflows")
            })?;
        let mut idx = vec![0i32; count];
        // SAFETY: live descriptor; `idx` holds exactly the count passed.
        check(unsafe {
            sys::hinmGetColumnIndices(self.as_raw(), idx.as_mut_ptr(), to_i64(count, "count")?)
        })?;
        idx.into_iter()
            .map(|i| if i == -1 { Ok(None) } else { index_from_c(i, "column index").map(Some) })
            .collect()
    }

    /// The pruned weights as a dense `rows x cols` row-major `f32` matrix, in the original
    /// row order (`hinmDecompress`). Values are those stored (rounded to the value type).
    pub fn to_dense(&self) -> Result<Vec<f32>> {
        self.decompress::<f32>()
    }

    /// [`Matrix::to_dense`] in any element type.
    pub fn decompress<T: Element>(&self) -> Result<Vec<T>> {
        let len = self
            .info
            .rows
            .checked_mul(self.info.cols)
            .ok_or_else(|| Error::new(Status::SizeOverflow, "rows * cols overflows"))?;
        let mut dense = vec![T::default(); len];
        // SAFETY: live descriptor; `dense` holds rows x cols elements of T with ld = cols.
        check(unsafe {
            sys::hinmDecompress(
                self.as_raw(),
                dense.as_mut_ptr().cast(),
                T::DATA_TYPE.to_raw(),
                to_i64(self.info.cols, "cols")?,
            )
        })?;
        Ok(dense)
    }

    /// Writes the matrix to a versioned binary file (`hinmSaveDescriptor`).
    ///
    /// Errors: `IoError` when the file cannot be written.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path_to_cstring(path.as_ref())?;
        // SAFETY: live descriptor, NUL-terminated path.
        check(unsafe { sys::hinmSaveDescriptor(self.as_raw(), path.as_ptr()) })
    }

    /// The file format of [`Matrix::save`] in memory (`hinmSerializedSize`, `hinmSerialize`).
    ///
    /// A search on another thread may store a plan between the size query and the copy: the
    /// file grows and `hinmSerialize` refuses (`InvalidValue`, nothing written). This measures
    /// again and retries while the size keeps growing, a bounded number of times.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        const ATTEMPTS: usize = 8;
        let mut size = self.serialized_size()?;
        let mut attempt = 1;
        loop {
            let mut bytes = vec![0u8; size];
            // SAFETY: `bytes` is writable for `size` bytes.
            let err = match check(unsafe {
                sys::hinmSerialize(self.as_raw(), bytes.as_mut_ptr().cast(), size)
            }) {
                Ok(()) => return Ok(bytes),
                Err(e) => e,
            };
            if attempt < ATTEMPTS && err.status == Status::InvalidValue {
                if let Ok(now) = self.serialized_size() {
                    if now > size {
                        size = now; // the grown file's size: the next attempt's buffer
                        attempt += 1;
                        continue;
                    }
                }
            }
            return Err(err);
        }
    }

    fn serialized_size(&self) -> Result<usize> {
        let mut size = 0usize;
        // SAFETY: live descriptor, valid out-pointer.
        check(unsafe { sys::hinmSerializedSize(self.as_raw(), &mut size) })?;
        Ok(size)
    }

    fn query_info(&self) -> Result<MatrixInfo> {
        let mut raw = sys::hinmDescriptorInfo_t::default();
        // SAFETY: live descriptor; `raw` is writable for the size passed.
        check(unsafe {
            sys::hinmGetDescriptorInfo(
                self.as_raw(),
                &mut raw,
                std::mem::size_of::<sys::hinmDescriptorInfo_t>(),
            )
        })?;
        let size = |v: i64, what: &str| {
            usize::try_from(v).map_err(|_| {
                Error::new(Status::InternalError, format!("descriptor reports {what} = {v}"))
            })
        };
        Ok(MatrixInfo {
            rows: size(raw.rows, "rows")?,
            cols: size(raw.cols, "cols")?,
            tile_rows: size(i64::from(raw.tile_rows), "tile_rows")?,
            kept_cols: size(raw.kept_cols, "kept_cols")?,
            num_tiles: size(raw.num_tiles, "num_tiles")?,
            value_type: DataType::from_raw(raw.value_type).ok_or_else(|| {
                Error::new(
                    Status::NotSupported,
                    format!("descriptor has value type {}, unknown to this crate", raw.value_type),
                )
            })?,
            sparsity: raw.sparsity,
            vector_sparsity: raw.vector_sparsity,
            retained_saliency: raw.retained_saliency,
            compressed_bytes: size(raw.compressed_bytes, "compressed_bytes")?,
            dense_bytes: size(raw.dense_bytes, "dense_bytes")?,
            compression_ratio: raw.compression_ratio,
            has_row_permutation: raw.has_row_permutation != 0,
            has_column_permutation: raw.has_column_permutation != 0,
        })
    }
}

impl Drop for Matrix {
    fn drop(&mut self) {
        // SAFETY: live descriptor, destroyed once; drop cannot report failure.
        unsafe {
            sys::hinmDestroyDescriptor(self.raw.as_ptr());
        }
    }
}

impl fmt::Debug for Matrix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Matrix").field("raw", &self.raw).field("info", &self.info).finish()
    }
}

/// Checks the slices, then calls `hinmCreateDescriptor`.
fn create<T: Element>(
    handle: &Handle,
    weights: &[T],
    rows: usize,
    cols: usize,
    saliency: Option<&[f32]>,
    config: &sys::hinmPruneConfig_t,
) -> Result<Matrix> {
    let len = rows.checked_mul(cols).ok_or_else(|| {
        Error::new(Status::SizeOverflow, format!("rows {rows} * cols {cols} overflows"))
    })?;
    if weights.len() != len {
        return Err(Error::invalid(format!(
            "weights has {} elements; a {rows} x {cols} matrix needs {len}",
            weights.len()
        )));
    }
    if let Some(scores) = saliency {
        if scores.len() != len {
            return Err(Error::invalid(format!(
                "saliency has {} elements; a {rows} x {cols} matrix needs {len}",
                scores.len()
            )));
        }
    }
    let ld = to_i64(cols, "cols")?;
    let mut raw: sys::hinmDescriptor_t = std::ptr::null_mut();
    // SAFETY: live handle; valid out-pointer; weights (and saliency) hold rows x cols
    // elements of the stated type with ld = cols; config is fully initialised and any
    // schedule/user data it points to outlive the call.
    check(unsafe {
        sys::hinmCreateDescriptor(
            handle.as_raw(),
            &mut raw,
            to_i64(rows, "rows")?,
            ld,
            weights.as_ptr().cast(),
            T::DATA_TYPE.to_raw(),
            ld,
            saliency.map_or(std::ptr::null(), <[f32]>::as_ptr),
            ld,
            config,
        )
    })?;
    // SAFETY: a fresh descriptor, owned from here on.
    unsafe { Matrix::from_raw(raw) }
}

struct ProgressState<F> {
    callback: F,
    panic: Option<Box<dyn std::any::Any + Send + 'static>>,
}

/// The C progress callback: runs the Rust closure, never lets a panic cross into C.
unsafe extern "C" fn progress_trampoline<F: FnMut(f64) -> ControlFlow<()>>(
    fraction: f64,
    user_data: *mut c_void,
) -> c_int {
    // SAFETY: user_data is the ProgressState<F> that prune_with_progress keeps alive for
    // the whole call; the library calls back on the calling thread only.
    let state = unsafe { &mut *user_data.cast::<ProgressState<F>>() };
    if state.panic.is_some() {
        return 1;
    }
    match panic::catch_unwind(AssertUnwindSafe(|| (state.callback)(fraction))) {
        Ok(ControlFlow::Continue(())) => 0,
        Ok(ControlFlow::Break(())) => 1,
        Err(payload) => {
            state.panic = Some(payload);
            1
        }
    }
}

fn index_from_c(value: i32, what: &str) -> Result<usize> {
    usize::try_from(value)
        .map_err(|_| Error::new(Status::InternalError, format!("library returned {what} {value}")))
}

fn placeholder_info() -> MatrixInfo {
    MatrixInfo {
        rows: 0,
        cols: 0,
        tile_rows: 0,
        kept_cols: 0,
        num_tiles: 0,
        value_type: DataType::F16,
        sparsity: 0.0,
        vector_sparsity: 0.0,
        retained_saliency: 0.0,
        compressed_bytes: 0,
        dense_bytes: 0,
        compression_ratio: 0.0,
        has_row_permutation: false,
        has_column_permutation: false,
    }
}

fn path_to_cstring(path: &Path) -> Result<CString> {
    #[cfg(unix)]
    let bytes = {
        use std::os::unix::ffi::OsStrExt;
        path.as_os_str().as_bytes().to_vec()
    };
    #[cfg(not(unix))]
    let bytes = path
        .to_str()
        .ok_or_else(|| Error::invalid(format!("path {} is not valid UTF-8", path.display())))?
        .as_bytes()
        .to_vec();
    CString::new(bytes)
        .map_err(|_| Error::invalid(format!("path {} contains a NUL byte", path.display())))
}
