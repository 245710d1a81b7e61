//! The GPU entry points on any machine: the checks that run before the device is touched,
//! the empty problem, and NoDevice where there is no GPU. (The GPU product itself is
//! checked against the host reference by the C++ GPU tests.)

mod common;

use std::os::raw::c_void;

use common::{handle, Rng, SPMMS};
use hinm::{DataType, DenseGemm, DeviceBuffers, Matrix, Order, PruneOptions, SpmmOptions, Status};

fn matrix() -> Matrix {
    let (m, k) = (32, 64);
    Matrix::prune(
        &handle(),
        &Rng::new(51).weights(m * k),
        m,
        k,
        None,
        &PruneOptions::new().tile_rows(32),
    )
    .unwrap()
}

#[test]
fn workspace_size_is_queryable_everywhere() {
    let (h, a) = (handle(), matrix());
    for b_order in [Order::FeatureMajor, Order::TokenMajor] {
        for c_order in [Order::FeatureMajor, Order::TokenMajor] {
            assert_eq!(a.spmm_workspace_size(&h, 0, b_order, c_order).unwrap(), 0);
            let size = a.spmm_workspace_size(&h, 64, b_order, c_order).unwrap();
            assert!(size < 1 << 30, "{size}");
        }
    }
}

#[test]
fn empty_problem_succeeds_without_touching_memory() {
    let (h, a) = (handle(), matrix());
    let buffers = DeviceBuffers::new(std::ptr::null(), std::ptr::null_mut());
    for (name, spmm) in SPMMS {
        // SAFETY: n = 0: the C API returns before reading any pointer.
        unsafe {
            spmm(&a, &h, 0, DataType::F16, &buffers, std::ptr::null_mut(), &SpmmOptions::new())
        }
        .unwrap_or_else(|e| panic!("{name} {e}"));
    }
}

#[test]
fn argument_checks_come_before_the_device() {
    let (h, a) = (handle(), matrix());
    let opts = SpmmOptions::new();
    let null = DeviceBuffers::new(std::ptr::null(), std::ptr::null_mut());
    // Host memory stands in for device memory: none of these calls gets far enough to use it.
    let mut fake = vec![0u64; 4096];
    let p = fake.as_mut_ptr().cast::<c_void>();
    let buffers = DeviceBuffers::new(p, p);
    for (name, spmm) in SPMMS {
        // SAFETY (all calls): each fails an argument check before the library touches any
        // pointer or the device.
        let call = |buffers: &DeviceBuffers, io_type, opts: &SpmmOptions| unsafe {
            spmm(&a, &h, 8, io_type, buffers, std::ptr::null_mut(), opts).unwrap_err()
        };
        let err = call(&null, DataType::F16, &opts);
        assert_eq!(err.status, Status::NullPointer, "{err}");
        assert!(err.message.starts_with(name), "reaches {name}: {err}");

        let err = call(&buffers, DataType::F32, &opts);
        assert_eq!(err.status, Status::InvalidDtype, "{err}");
        let err = call(&buffers, DataType::BF16, &opts);
        assert_eq!(err.status, Status::InvalidDtype, "io type must be the value type: {err}");
        let err = call(&buffers, DataType::F16, &opts.alpha(f32::NAN));
        assert_eq!(err.status, Status::InvalidValue, "{err}");
        let err = call(&buffers.workspace(std::ptr::null_mut(), 64), DataType::F16, &opts);
        assert_eq!(err.status, Status::NullPointer, "{err}");
        // Rust-side check of the leading dimension.
        let err = call(&buffers, DataType::F16, &opts.ldb(4));
        assert_eq!(err.status, Status::InvalidValue, "{err}");
    }
}

#[test]
fn without_a_gpu_every_device_call_says_so() {
    let (h, a) = (handle(), matrix());
    if h.has_device().unwrap() {
        eprintln!("a CUDA device is present: the NoDevice paths do not apply");
        return;
    }
    let mut fake = vec![0u64; 4096];
    let p = fake.as_mut_ptr().cast::<c_void>();
    // With autotuning on too: spmm still reaches hinmSpMM (no search without a device).
    for ((name, spmm), autotune) in SPMMS.into_iter().flat_map(|s| [(s, false), (s, true)]) {
        h.set_autotune(autotune).unwrap();
        // SAFETY: without a device the library returns NoDevice before using any pointer.
        let err = unsafe {
            spmm(
                &a,
                &h,
                8,
                DataType::F16,
                &DeviceBuffers::new(p, p),
                std::ptr::null_mut(),
                &SpmmOptions::new(),
            )
        }
        .unwrap_err();
        assert_eq!(err.status, Status::NoDevice, "{err}");
        assert!(err.message.starts_with(name), "reaches {name} (autotune {autotune}): {err}");
        assert!(err.message.contains("hinmSpMMHost"), "points to the CPU path: {err}");
    }
    h.set_autotune(false).unwrap();
    let err = unsafe { a.to_device(&h, std::ptr::null_mut()) }.unwrap_err();
    assert_eq!(err.status, Status::NoDevice, "{err}");
    let gemm = DenseGemm {
        m: 16,
        n: 8,
        k: 16,
        alpha: 1.0,
        a: p,
        lda: 16,
        b: p,
        b_order: Order::FeatureMajor,
        ldb: 8,
        beta: 0.0,
        c: p,
        c_order: Order::FeatureMajor,
        ldc: 8,
        data_type: DataType::F16,
    };
    let err = unsafe { h.dense_gemm(&gemm, std::ptr::null_mut()) }.unwrap_err();
    assert_eq!(err.status, Status::NoDevice, "{err}");
    // The library's argument checks still come first.
    let err =
        unsafe { h.dense_gemm(&DenseGemm { lda: 8, ..gemm }, std::ptr::null_mut()) }.unwrap_err();
    assert_eq!(err.status, Status::InvalidValue, "{err}");
    let err = unsafe {
        h.dense_gemm(&DenseGemm { data_type: DataType::F32, ..gemm }, std::ptr::null_mut())
    }
    .unwrap_err();
    assert_eq!(err.status, Status::InvalidDtype, "{err}");
    // An empty product is a success.
    unsafe { h.dense_gemm(&DenseGemm { m: 0, ..gemm }, std::ptr::null_mut()) }.unwrap();
}
