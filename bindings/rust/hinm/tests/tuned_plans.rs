//! `Matrix::tuned_plans` (`hinmGetTunedPlans`) without a GPU: the plans come from bytes built
//! by `with_tuned_plans`, which appends a tuned plans section to `Matrix::to_bytes()` exactly
//! as docs/format.md (sections 5 and 5.1, format version 2) describes it.

mod common;

use common::{handle, Rng};
use hinm::{Kernel, Matrix, Order, PruneOptions, Status, TunedPlan};

const HEADER_SIZE: usize = 144;
const FLAGS_AT: usize = 20;
const HEADER_CHECKSUM_AT: usize = 136;
const FLAG_TUNED_PLANS: u32 = 1 << 2;
const CONFIG_FIELD: usize = 32;

fn fnv1a64(bytes: &[u8]) -> u64 {
    bytes
        .iter()
        .fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
}

fn order_code(order: Order) -> i32 {
    match order {
        Order::FeatureMajor => 0,
        Order::TokenMajor => 1,
    }
}

fn kernel_code(kernel: Kernel) -> u32 {
    match kernel {
        Kernel::Auto => 0,
        Kernel::MmaSp => 1,
        Kernel::WgmmaSp => 2,
    }
}

/// One entry of section 5.1: 76 bytes plus the device name.
fn encode_plan(p: &TunedPlan) -> Vec<u8> {
    let name = p.device_name.as_bytes();
    let mut e = Vec::new();
    e.extend_from_slice(&(name.len() as u32).to_le_bytes());
    e.extend_from_slice(name);
    e.extend_from_slice(&(p.compute_capability.0 as i32).to_le_bytes());
    e.extend_from_slice(&(p.compute_capability.1 as i32).to_le_bytes());
    e.extend_from_slice(&(p.sm_count as i32).to_le_bytes());
    e.extend_from_slice(&(p.n as i64).to_le_bytes());
    e.extend_from_slice(&order_code(p.b_order).to_le_bytes());
    e.extend_from_slice(&order_code(p.c_order).to_le_bytes());
    e.extend_from_slice(&kernel_code(p.kernel).to_le_bytes());
    let mut config = [0u8; CONFIG_FIELD];
    assert!(p.config.len() < CONFIG_FIELD);
    config[..p.config.len()].copy_from_slice(p.config.as_bytes());
    e.extend_from_slice(&config);
    e.extend_from_slice(&(p.splits as i32).to_le_bytes());
    e.extend_from_slice(&u32::from(p.cluster).to_le_bytes());
    assert_eq!(e.len(), 76 + name.len());
    e
}

/// `bytes` (a version 2 file without plans) with `plans` (in ascending problem order)
/// appended: flag bit 2 set, header checksum resealed.
fn with_tuned_plans(bytes: &[u8], plans: &[TunedPlan]) -> Vec<u8> {
    assert_eq!(&bytes[..8], b"HINMFMT\0");
    assert_eq!(u32_at(bytes, 8), 2, "format version");
    assert_eq!(u32_at(bytes, 12), 0x0102_0304, "endianness marker");
    assert_eq!(u32_at(bytes, 16) as usize, HEADER_SIZE, "header size");
    let flags = u32_at(bytes, FLAGS_AT);
    assert_eq!(flags & FLAG_TUNED_PLANS, 0, "already has a tuned plans section");
    let mut out = bytes[..HEADER_CHECKSUM_AT].to_vec();
    out[FLAGS_AT..FLAGS_AT + 4].copy_from_slice(&(flags | FLAG_TUNED_PLANS).to_le_bytes());
    let header_sum = fnv1a64(&out);
    out.extend_from_slice(&header_sum.to_le_bytes());
    out.extend_from_slice(&bytes[HEADER_SIZE..]);
    let mut section = (plans.len() as u32).to_le_bytes().to_vec();
    for p in plans {
        section.extend_from_slice(&encode_plan(p));
    }
    let section_sum = fnv1a64(&section);
    section.extend_from_slice(&section_sum.to_le_bytes());
    out.extend_from_slice(&section);
    out
}

#[allow(clippy::too_many_arguments)]
fn plan(
    device_name: &str,
    compute_capability: (u32, u32),
    sm_count: usize,
    n: usize,
    b_order: Order,
    c_order: Order,
    kernel: Kernel,
    config: &str,
    splits: usize,
    cluster: bool,
) -> TunedPlan {
    TunedPlan {
        device_name: device_name.to_string(),
        compute_capability,
        sm_count,
        n,
        b_order,
        c_order,
        kernel,
        config: config.to_string(),
        splits,
        cluster,
    }
}

/// Ascending problem order (name bytes, cc, SM count, n, b_order, c_order), and every pair of
/// fields that could be swapped holds different values.
fn plans() -> Vec<TunedPlan> {
    let (f, t) = (Order::FeatureMajor, Order::TokenMajor);
    let h100 = "NVIDIA H100 80GB HBM3";
    vec![
        plan("NVIDIA A100-SXM4-80GB", (8, 0), 108, 64, t, f, Kernel::MmaSp, "mid_128x64", 4, false),
        plan(h100, (9, 0), 132, 1, f, f, Kernel::WgmmaSp, "", 0, false),
        plan(h100, (9, 0), 132, 16, f, t, Kernel::Auto, "", 8, true),
    ]
}

fn sample() -> Matrix {
    let (m, k) = (48, 40);
    let w = Rng::new(41).weights(m * k);
    let options = PruneOptions::new().tile_rows(16).kept_cols(24).seed(3);
    Matrix::prune(&handle(), &w, m, k, None, &options).unwrap()
}

#[test]
fn a_fresh_matrix_has_none() {
    let a = sample();
    assert_eq!(a.tuned_plans().unwrap(), Vec::new());
    let b = Matrix::from_bytes(&handle(), &a.to_bytes().unwrap()).unwrap();
    assert!(b.tuned_plans().unwrap().is_empty());
}

#[test]
fn plans_from_bytes() {
    let a = sample();
    let bytes = with_tuned_plans(&a.to_bytes().unwrap(), &plans());
    let b = Matrix::from_bytes(&handle(), &bytes).unwrap();
    assert_eq!(b.tuned_plans().unwrap(), plans());
    // One encoding per set of plans: the library writes back exactly these bytes.
    assert_eq!(b.to_bytes().unwrap(), bytes);
    assert_eq!(b.info(), a.info());
    assert_eq!(b.to_dense().unwrap(), a.to_dense().unwrap());
}

#[test]
fn plans_survive_save_and_load() {
    let b =
        Matrix::from_bytes(&handle(), &with_tuned_plans(&sample().to_bytes().unwrap(), &plans()))
            .unwrap();
    let path = std::env::temp_dir().join(format!("hinm-rust-tuned-{}.hinm", std::process::id()));
    b.save(&path).unwrap();
    let loaded = Matrix::load(&handle(), &path);
    let _ = std::fs::remove_file(&path);
    assert_eq!(loaded.unwrap().tuned_plans().unwrap(), plans());
}

#[test]
fn one_plan_and_folding_drops_plans() {
    let a = sample();
    let one = &plans()[1..2];
    let b = Matrix::from_bytes(&handle(), &with_tuned_plans(&a.to_bytes().unwrap(), one)).unwrap();
    assert_eq!(b.tuned_plans().unwrap(), one);
    // hinmFoldInputPermutation does not carry plans over (docs/c_api.md).
    let reversed: Vec<usize> = (0..a.cols()).rev().collect();
    let folded = b.fold_input_permutation(&handle(), &reversed).unwrap();
    assert!(folded.tuned_plans().unwrap().is_empty());
}

/// Both checksums are checked: bytes the helper got wrong would not load, so the tests above
/// test the wrapper, not a lenient reader.
#[test]
fn the_helper_writes_what_the_library_checks() {
    let bytes = with_tuned_plans(&sample().to_bytes().unwrap(), &plans());
    for pos in [FLAGS_AT, bytes.len() - 9, bytes.len() - 1] {
        let mut bad = bytes.clone();
        bad[pos] ^= 0x01;
        let err = Matrix::from_bytes(&handle(), &bad).unwrap_err();
        assert_eq!(err.status, Status::CorruptFile, "byte {pos}: {err}");
    }
}
