//! Every error path of the wrapper returns the right Status with a message, never UB:
//! bad options, wrong slice lengths, non-finite inputs, bad leading dimensions, bad types.

mod common;

use common::{handle, Rng};
use hinm::{DataType, Error, Matrix, Order, PruneOptions, SpmmOptions, Status, F16};

fn small() -> (Vec<f32>, usize, usize) {
    let (m, k) = (16, 32);
    (Rng::new(41).weights(m * k), m, k)
}

fn prune_err(
    weights: &[f32],
    m: usize,
    k: usize,
    saliency: Option<&[f32]>,
    options: &PruneOptions,
) -> Error {
    Matrix::prune(&handle(), weights, m, k, saliency, options).unwrap_err()
}

#[test]
fn bad_sparsity_and_options() {
    let (w, m, k) = small();
    let base = PruneOptions::new().tile_rows(16);
    // Checked by this crate (total sparsity has no C field).
    for s in [0.25, 1.0, f64::NAN] {
        let err = prune_err(&w, m, k, None, &base.clone().sparsity(s));
        assert_eq!(err.status, Status::InvalidValue, "sparsity {s}");
        assert!(err.message.contains("sparsity"), "{err}");
    }
    // Checked by the library.
    let cases = [
        (base.clone().vector_sparsity(1.5), "vector_sparsity"),
        (base.clone().vector_sparsity(-0.1), "vector_sparsity"),
        (base.clone().vector_sparsity(f64::INFINITY), "vector_sparsity"),
        (base.clone().kept_cols(6), "kept_cols"),
        (base.clone().tile_rows(20), "tile_rows"),
        (base.clone().tile_rows(0), "tile_rows"),
        (base.clone().tile_rows(512), "tile_rows"),
        (base.clone().schedule(&[2, 0]), "permute_schedule"),
        (base.clone().value_type(DataType::F32), "value_type"),
    ];
    for (options, field) in cases {
        let err = prune_err(&w, m, k, None, &options);
        let want = if field == "value_type" { Status::InvalidDtype } else { Status::InvalidValue };
        assert_eq!(err.status, want, "{options:?}: {err}");
        assert!(err.message.contains(field), "{field}: {err}");
    }
}

#[test]
fn wrong_slice_lengths() {
    let (w, m, k) = small();
    let opts = PruneOptions::new().tile_rows(16);
    let err = prune_err(&w[1..], m, k, None, &opts);
    assert_eq!(err.status, Status::InvalidValue);
    assert!(err.message.contains("weights"), "{err}");
    let err = prune_err(&w, m, k + 1, None, &opts);
    assert_eq!(err.status, Status::InvalidValue);
    let scores = vec![1.0f32; m * k - 1];
    let err = prune_err(&w, m, k, Some(&scores), &opts);
    assert_eq!(err.status, Status::InvalidValue);
    assert!(err.message.contains("saliency"), "{err}");
    let err = prune_err(&w, usize::MAX, 2, None, &opts);
    assert_eq!(err.status, Status::SizeOverflow, "{err}");
    // Zero sizes reach the library, which rejects them.
    let err = prune_err(&[], 0, k, None, &opts);
    assert_eq!(err.status, Status::InvalidValue, "{err}");

    let h = handle();
    let a = Matrix::prune(&h, &w, m, k, None, &opts).unwrap();
    let n = 4;
    let b = vec![0.5f32; k * n];
    let mut c = vec![0.0f32; m * n];
    let spmm = |b: &[f32], c: &mut [f32], bias: Option<&[f32]>, o: &SpmmOptions| {
        a.spmm_host(&h, n, b, c, bias, o)
    };
    let o = SpmmOptions::new();
    let err = spmm(&b[..k * n - 1], &mut c, None, &o).unwrap_err();
    assert_eq!(err.status, Status::InvalidValue);
    assert!(err.message.starts_with("b has"), "{err}");
    let err = spmm(&b, &mut c[..m * n - 1], None, &o).unwrap_err();
    assert_eq!(err.status, Status::InvalidValue);
    assert!(err.message.starts_with("c has"), "{err}");
    let err = spmm(&b, &mut c, Some(&[1.0; 15]), &o).unwrap_err();
    assert_eq!(err.status, Status::InvalidValue);
    assert!(err.message.contains("bias"), "{err}");
    // Token-major B of N x K with ldb = K + 2 needs (N - 1) * (K + 2) + K elements.
    let o = SpmmOptions::new().b_order(Order::TokenMajor).ldb(k + 2);
    assert_eq!(
        spmm(&vec![0.0; (n - 1) * (k + 2) + k - 1], &mut c, None, &o).unwrap_err().status,
        Status::InvalidValue
    );
    assert!(spmm(&vec![0.0; (n - 1) * (k + 2) + k], &mut c, None, &o).is_ok());
    // Leading dimensions below the row length.
    let err = spmm(&b, &mut c, None, &SpmmOptions::new().ldb(n - 1)).unwrap_err();
    assert_eq!(err.status, Status::InvalidValue);
    assert!(err.message.contains("ldb"), "{err}");
    let err = spmm(
        &b,
        &mut vec![0.0; m * m * n],
        None,
        &SpmmOptions::new().c_order(Order::TokenMajor).ldc(m - 1),
    )
    .unwrap_err();
    assert!(err.message.contains("ldc"), "{err}");
    // No slice is long enough for this: the size overflows.
    let err = a.spmm_host(&h, usize::MAX / 2, &b, &mut c, None, &SpmmOptions::new()).unwrap_err();
    assert_eq!(err.status, Status::SizeOverflow, "{err}");
}

#[test]
fn non_finite_inputs() {
    let (w, m, k) = small();
    let opts = PruneOptions::new().tile_rows(16);
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut weights = w.clone();
        weights[37] = bad;
        let err = prune_err(&weights, m, k, None, &opts);
        assert_eq!(err.status, Status::InvalidValue, "{bad}");
        // Element 37 is row 1, column 5: the message names it.
        assert!(err.message.contains("weights[1][5]"), "{err}");
    }
    let weights: Vec<F16> = w.iter().map(|&x| F16::from_f32(x)).collect();
    let mut nan16 = weights.clone();
    nan16[0] = F16(0x7e00);
    assert_eq!(
        Matrix::prune(&handle(), &nan16, m, k, None, &opts).unwrap_err().status,
        Status::InvalidValue
    );
    for bad in [-1.0f32, f32::NAN] {
        let mut scores = vec![1.0f32; m * k];
        scores[3] = bad;
        let err = prune_err(&w, m, k, Some(&scores), &opts);
        assert_eq!(err.status, Status::InvalidValue, "saliency {bad}");
        assert!(err.message.contains("saliency"), "{err}");
    }

    let h = handle();
    let a = Matrix::prune(&h, &w, m, k, None, &opts).unwrap();
    let b = vec![1.0f32; k * 2];
    let mut c = vec![0.0f32; m * 2];
    for options in [SpmmOptions::new().alpha(f32::NAN), SpmmOptions::new().beta(f32::INFINITY)] {
        let err = a.spmm_host(&h, 2, &b, &mut c, None, &options).unwrap_err();
        assert_eq!(err.status, Status::InvalidValue, "{options:?}");
    }
}

#[test]
fn statuses_mirror_the_c_enum() {
    let names = [
        "SUCCESS",
        "NOT_INITIALIZED",
        "INVALID_VALUE",
        "NULL_POINTER",
        "SIZE_OVERFLOW",
        "NOT_SUPPORTED",
        "ALLOC_FAILED",
        "NO_DEVICE",
        "CUDA_ERROR",
        "CUBLAS_ERROR",
        "IO_ERROR",
        "CORRUPT_FILE",
        "VERSION_MISMATCH",
        "CANCELLED",
        "INTERNAL_ERROR",
        "INVALID_DTYPE",
        "MISALIGNED",
    ];
    for (raw, name) in names.iter().enumerate() {
        let status = Status::from_raw(raw as u32);
        assert!(!matches!(status, Status::Unknown(_)), "{raw}");
        assert_eq!(status.to_raw(), raw as u32);
        assert_eq!(status.name(), format!("HINM_STATUS_{name}"));
        assert_eq!(status.to_string(), status.name());
        assert!(!status.description().is_empty());
    }
    assert_eq!(Status::from_raw(1000), Status::Unknown(1000));
    assert_eq!(Status::Unknown(1000).to_raw(), 1000);
    assert_eq!(Status::Unknown(1000).name(), "HINM_STATUS_UNKNOWN");
}

#[test]
fn errors_display_and_convert() {
    let (w, m, k) = small();
    let err = prune_err(&w, m, k, None, &PruneOptions::new().tile_rows(20));
    let shown = err.to_string();
    assert!(shown.starts_with("HINM_STATUS_INVALID_VALUE: "), "{shown}");
    assert!(shown.contains("tile_rows = 20"), "{shown}");
    // Usable with `?` in functions returning Box<dyn Error>, across threads.
    fn boxed() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
        Matrix::load(&hinm::Handle::new()?, "/nonexistent/hinm.bin")?;
        Ok(())
    }
    let err = boxed().unwrap_err();
    let err = err.downcast_ref::<Error>().expect("a hinm::Error");
    assert_eq!(err.status, Status::IoError);
}

#[test]
fn versions_agree() {
    assert_eq!(hinm::library_version(), hinm::HEADER_VERSION);
    assert_eq!(hinm::HEADER_VERSION, 100); // 0.1.0
}

#[test]
fn thread_rules_are_in_the_types() {
    fn send<T: Send>() {}
    fn send_sync<T: Send + Sync>() {}
    send::<hinm::Handle>();
    send_sync::<Matrix>();
    send_sync::<Error>();
    send_sync::<PruneOptions>();
    // Handle is not Sync: see the compile_fail example on Handle.
}
