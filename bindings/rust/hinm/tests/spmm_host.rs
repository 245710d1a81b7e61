//! Matrix::spmm_host against a naive fp64 product of to_dense(), over both orders, leading
//! dimensions, alpha/beta, bias, element types and row orders.

mod common;

use common::{
    assert_close, handle, naive_product, row_map, spmm_options, to_f64s, Rng, TestElement,
};
use hinm::{DataType, Matrix, Order, Permute, PruneOptions, RowOrder, SpmmOptions, BF16, F16};

/// How much rounding a host element's storage adds.
trait Tolerance: TestElement {
    /// Relative error of storing a result (half an ulp) plus fp32 accumulation slack.
    const REL: f64;
}

impl Tolerance for f32 {
    const REL: f64 = 1e-5;
}

impl Tolerance for F16 {
    const REL: f64 = 1.0 / 2048.0 + 1e-5;
}

impl Tolerance for BF16 {
    const REL: f64 = 1.0 / 256.0 + 1e-5;
}

struct Case {
    n: usize,
    alpha: f32,
    beta: f32,
    b_order: Order,
    c_order: Order,
    /// Extra elements per leading dimension (0: tight).
    pad: usize,
    bias: bool,
    rows: RowOrder,
}

/// Runs one product through spmm_host and checks it against the fp64 reference.
fn check_case<T: Tolerance>(a: &Matrix, case: &Case, rng: &mut Rng) {
    let h = handle();
    let (m, k) = a.shape();
    let n = case.n;
    let (b_outer, b_inner) = if case.b_order == Order::FeatureMajor { (k, n) } else { (n, k) };
    let (c_outer, c_inner) = if case.c_order == Order::FeatureMajor { (m, n) } else { (n, m) };
    let (ldb, ldc) = (b_inner + case.pad, c_inner + case.pad);

    let b: Vec<T> = (0..b_outer * ldb).map(|_| T::from_f32(rng.weight())).collect();
    let c0: Vec<T> = (0..c_outer * ldc).map(|_| T::from_f32(rng.weight())).collect();
    let bias: Vec<T> = (0..m).map(|_| T::from_f32(rng.weight())).collect();
    let mut c = c0.clone();
    let options = spmm_options(
        (case.alpha, case.beta),
        (case.b_order, case.c_order),
        case.rows,
        (case.pad > 0).then_some((ldb, ldc)),
    );
    a.spmm_host(&h, n, &b, &mut c, case.bias.then_some(&bias[..]), &options).unwrap();

    let dense = a.to_dense().unwrap();
    let perm = row_map(a, case.rows);
    let to64 = to_f64s::<T>;
    let bias64 = to64(&bias);
    let (want, mag) = naive_product(
        &dense,
        m,
        k,
        n,
        f64::from(case.alpha),
        &to64(&b),
        case.b_order,
        ldb,
        f64::from(case.beta),
        &to64(&c0),
        case.c_order,
        ldc,
        case.bias.then_some(&bias64[..]),
        &perm,
    );
    let what = format!(
        "{:?} n={} alpha={} beta={} b={:?} c={:?} pad={} bias={} rows={:?}",
        T::DATA_TYPE,
        n,
        case.alpha,
        case.beta,
        case.b_order,
        case.c_order,
        case.pad,
        case.bias,
        case.rows
    );
    // Padding elements of C (beyond each row's extent) must be untouched: the reference
    // leaves them at c0, so comparing every element checks that too.
    assert_close(&to64(&c), &want, &mag, T::REL, &what);
}

fn every_case() -> Vec<Case> {
    let mut cases = Vec::new();
    for b_order in [Order::FeatureMajor, Order::TokenMajor] {
        for c_order in [Order::FeatureMajor, Order::TokenMajor] {
            for (alpha, beta) in [(1.0, 0.0), (0.5, 1.0), (-2.0, 0.25)] {
                cases.push(Case {
                    n: 5,
                    alpha,
                    beta,
                    b_order,
                    c_order,
                    pad: 0,
                    bias: false,
                    rows: RowOrder::Original,
                });
            }
            cases.push(Case {
                n: 7,
                alpha: 1.5,
                beta: -1.0,
                b_order,
                c_order,
                pad: 3,
                bias: true,
                rows: RowOrder::Original,
            });
            cases.push(Case {
                n: 1,
                alpha: 1.0,
                beta: 0.0,
                b_order,
                c_order,
                pad: 0,
                bias: true,
                rows: RowOrder::Original,
            });
        }
    }
    cases
}

#[test]
fn f32_products_match_fp64_in_every_layout() {
    let h = handle();
    let mut rng = Rng::new(21);
    let (m, k) = (40, 48); // a partial last tile (V = 16)
    let w = rng.weights(m * k);
    let a = Matrix::prune(&h, &w, m, k, None, &PruneOptions::new().tile_rows(16)).unwrap();
    for case in every_case() {
        check_case::<f32>(&a, &case, &mut rng);
    }
}

#[test]
fn half_products_match_fp64() {
    let h = handle();
    let mut rng = Rng::new(22);
    let (m, k) = (32, 64);
    let w = rng.weights(m * k);
    let a16 = Matrix::prune(&h, &w, m, k, None, &PruneOptions::new().tile_rows(32)).unwrap();
    let abf = Matrix::prune(
        &h,
        &w,
        m,
        k,
        None,
        &PruneOptions::new().tile_rows(32).value_type(DataType::BF16),
    )
    .unwrap();
    for case in every_case() {
        check_case::<F16>(&a16, &case, &mut rng);
        check_case::<BF16>(&abf, &case, &mut rng);
        // The host reference takes any io type, whatever the value type.
        check_case::<f32>(&abf, &case, &mut rng);
    }
}

#[test]
fn permuted_rows_are_the_original_rows_reordered() {
    let h = handle();
    let mut rng = Rng::new(23);
    let (m, k, n) = (64, 64, 6);
    let w = rng.weights(m * k);
    let a = Matrix::prune(
        &h,
        &w,
        m,
        k,
        None,
        &PruneOptions::new().tile_rows(16).permute(Permute::Both).seed(5),
    )
    .unwrap();
    assert!(a.info().has_row_permutation, "2CP left the rows alone: pick another seed");
    for bias in [false, true] {
        for c_order in [Order::FeatureMajor, Order::TokenMajor] {
            let case = Case {
                n,
                alpha: 1.0,
                beta: 0.5,
                b_order: Order::FeatureMajor,
                c_order,
                pad: 0,
                bias,
                rows: RowOrder::Permuted,
            };
            check_case::<f32>(&a, &case, &mut rng);
        }
    }
    // Row p of the permuted product is row perm[p] of the original one.
    let b = rng.weights(k * n);
    let mut original = vec![0.0f32; m * n];
    let mut permuted = vec![0.0f32; m * n];
    a.spmm_host(&h, n, &b, &mut original, None, &SpmmOptions::new()).unwrap();
    a.spmm_host(&h, n, &b, &mut permuted, None, &SpmmOptions::new().rows(RowOrder::Permuted))
        .unwrap();
    let perm = a.row_permutation().unwrap();
    for p in 0..m {
        assert_eq!(
            permuted[p * n..(p + 1) * n],
            original[perm[p] * n..(perm[p] + 1) * n],
            "row {p}"
        );
    }
}

#[test]
fn beta_zero_does_not_read_c() {
    let h = handle();
    let mut rng = Rng::new(24);
    let (m, k, n) = (16, 32, 4);
    let a = Matrix::prune(&h, &rng.weights(m * k), m, k, None, &PruneOptions::new().tile_rows(16))
        .unwrap();
    let b = rng.weights(k * n);
    let mut c = vec![f32::NAN; m * n];
    a.spmm_host(&h, n, &b, &mut c, None, &SpmmOptions::new()).unwrap();
    assert!(c.iter().all(|x| x.is_finite()), "NaN in C leaked through beta = 0");
}

#[test]
fn an_empty_problem_does_nothing() {
    let h = handle();
    let mut rng = Rng::new(25);
    let (m, k) = (16, 32);
    let a = Matrix::prune(&h, &rng.weights(m * k), m, k, None, &PruneOptions::new().tile_rows(16))
        .unwrap();
    let mut c: Vec<f32> = Vec::new();
    a.spmm_host(&h, 0, &[] as &[f32], &mut c, None, &SpmmOptions::new()).unwrap();
    let mut c = vec![7.0f32; 4];
    a.spmm_host(&h, 0, &[] as &[f32], &mut c, None, &SpmmOptions::new().beta(1.0)).unwrap();
    assert_eq!(c, vec![7.0; 4]);
}

#[test]
fn one_matrix_serves_many_threads() {
    let h = handle();
    let mut rng = Rng::new(26);
    let (m, k, n) = (64, 64, 8);
    let a = std::sync::Arc::new(
        Matrix::prune(&h, &rng.weights(m * k), m, k, None, &PruneOptions::new().tile_rows(16))
            .unwrap(),
    );
    let b = std::sync::Arc::new(rng.weights(k * n));
    let mut want = vec![0.0f32; m * n];
    a.spmm_host(&h, n, &b, &mut want, None, &SpmmOptions::new()).unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (a, b) = (a.clone(), b.clone());
            std::thread::spawn(move || {
                let h = hinm::Handle::new().unwrap(); // one handle per thread
                let mut c = vec![0.0f32; m * n];
                for _ in 0..10 {
                    a.spmm_host(&h, n, &b, &mut c, None, &SpmmOptions::new()).unwrap();
                }
                c
            })
        })
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), want);
    }
}
