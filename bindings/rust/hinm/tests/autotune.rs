//! `Handle::set_autotune` / `Handle::autotune` (`hinmSetAutotune` / `hinmGetAutotune`): the
//! per-handle switch, on any machine. (What it does on a GPU, the first `spmm` of each problem
//! searching, is checked by the C API's GPU tests; `spmm` with it on and no GPU, in
//! `tests/device.rs`.)

mod common;

use common::{handle, Rng};
use hinm::{Handle, Matrix, PruneOptions, SpmmOptions};

#[test]
fn off_when_created() {
    assert!(!handle().autotune().unwrap());
}

#[test]
fn set_and_get_round_trip() {
    let h = handle();
    for on in [true, true, false, true, false, false] {
        h.set_autotune(on).unwrap();
        assert_eq!(h.autotune().unwrap(), on);
    }
}

#[test]
fn each_handle_has_its_own_switch_and_keeps_it_across_threads() {
    let (on, off) = (handle(), handle());
    on.set_autotune(true).unwrap();
    assert!(on.autotune().unwrap());
    assert!(!off.autotune().unwrap(), "another handle is not switched");
    assert!(!handle().autotune().unwrap(), "nor is a new one");
    let moved = std::thread::spawn(move || {
        let still = on.autotune().unwrap();
        on.set_autotune(false).unwrap();
        (still, on.autotune().unwrap())
    })
    .join()
    .unwrap();
    assert_eq!(moved, (true, false));
}

#[test]
fn cpu_products_are_unaffected() {
    let (m, k, n) = (64, 128, 8);
    let mut rng = Rng::new(77);
    let h = handle();
    let a = Matrix::prune(&h, &rng.weights(m * k), m, k, None, &PruneOptions::new().tile_rows(32))
        .unwrap();
    let b = rng.weights(k * n);
    let product = |h: &Handle| {
        let mut c = vec![0.0f32; m * n];
        a.spmm_host(h, n, &b, &mut c, None, &SpmmOptions::new()).unwrap();
        c
    };
    let plain = product(&h);
    h.set_autotune(true).unwrap();
    assert_eq!(product(&h), plain);
    assert!(a.tuned_plans().unwrap().is_empty(), "nothing is tuned on the CPU");
}
