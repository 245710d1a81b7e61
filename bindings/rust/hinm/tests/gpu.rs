//! The GPU entry points on a real GPU, on device memory: `Matrix::spmm` (F16 and BF16; tails in
//! M, K and N; 50 / 75 / 87.5% sparsity; both orders of B and C; alpha/beta on a prefilled C;
//! bias; padded leading dimensions; rows in original and 2CP-permuted order; the queried
//! workspace or none), `spmm_search` and the plan it stores, `to_device`, determinism, a stream
//! of our own, `Handle::dense_gemm`, and the errors of calls with real device memory, which
//! must leave C untouched. Every product is checked against `common::naive_product`: fp64, from
//! the matrix's own `to_dense()` (for `dense_gemm`, from the dense A uploaded).
//!
//! Device memory comes from the CUDA runtime, loaded at run time (`common/cuda.rs`). Without a
//! device or a loadable CUDA runtime, each GPU test prints "no CUDA device: skipped" and passes;
//! with `HINM_REQUIRE_GPU` set (`device_test.sh` sets it on the GPU machine), that is a failure.
//! `the_checks_accept_the_host_product` runs everywhere: it proves the test's own inputs,
//! reference and layout logic on the host product, so a GPU failure is the GPU's.

mod common;
#[path = "common/cuda.rs"]
mod cuda;

use std::os::raw::c_void;

use common::{
    handle, naive_product, row_map, spmm_options, to_f64s, Rng, Spmm, TestElement, SPMMS,
};
use cuda::{Cuda, DeviceAlloc};
use hinm::{
    DataType, DenseGemm, DeviceBuffers, Handle, Matrix, Order, Permute, PruneOptions, RowOrder,
    SpmmOptions, Status, BF16, F16,
};

use Order::{FeatureMajor as FM, TokenMajor as TM};

/// A 16-bit io type, with what the checks need.
///
/// Tolerance, per element: |got - want| <= REL * magnitude + ABS, the magnitude being the sum
/// of the |terms| (`naive_product`). The fp64 reference is exact on the same inputs (weights
/// from `to_dense()`, B, C and bias as stored), so the error is the GPU's: storing the result
/// in 16 bits, at most half an ulp (2^-11 of |result| for F16, 2^-8 for BF16; |result| <=
/// magnitude), and fp32 accumulation of at most K = 512 products in any order (split K
/// included), K * 2^-24 ~ 3e-5 of the magnitude at worst. REL is 4x (F16) and 2x (BF16) that,
/// the values of the C++ GPU tests (tests/cuda/spmm_device_test.cc: 1e-3 / 8e-3 of the largest
/// |result|), here per element. `spmm_host.rs` allows exactly half an ulp on the host, whose
/// order of accumulation is fixed.
trait Half: TestElement + PartialEq + std::fmt::Debug {
    /// A quiet NaN: the poison C is filled with when it is not read (beta = 0).
    const NAN: Self;
    const REL: f64;
}

impl Half for F16 {
    const NAN: F16 = F16(0x7e00);
    const REL: f64 = 2e-3;
}

impl Half for BF16 {
    const NAN: BF16 = BF16(0x7fc0);
    const REL: f64 = 8e-3;
}

/// Slack for results near 0 (the smallest F16 normal is 6e-5; these results are O(1) or more).
const ABS: f64 = 1e-5;

/// A device: the library handle and the CUDA runtime.
struct Gpu {
    h: Handle,
    cuda: Cuda,
}

/// The device, or None after printing why the test is skipped (a failure instead with
/// HINM_REQUIRE_GPU set). The CUDA runtime is loaded first, so that its symbols are looked up
/// on every machine that has one.
fn gpu() -> Option<Gpu> {
    let h = handle();
    let why = match Cuda::load() {
        Err(e) => format!("cannot load the CUDA runtime: {e}"),
        Ok(cuda) => {
            if h.has_device().unwrap() {
                return Some(Gpu { h, cuda });
            }
            "hinmHasDevice reports none".to_string()
        }
    };
    if std::env::var_os("HINM_REQUIRE_GPU").is_some() {
        panic!("HINM_REQUIRE_GPU is set, but {why}");
    }
    eprintln!("no CUDA device: skipped ({why})");
    None
}

/// `let gpu = gpu_or_skip!();` returns from the test when there is no device.
macro_rules! gpu_or_skip {
    () => {
        match gpu() {
            Some(gpu) => gpu,
            None => return,
        }
    };
}

/// A pruned matrix: `m x k` uniform weights in [-1, 1), tiles of `v` rows, 2CP on both axes
/// if `permute` (which must then have permuted the rows).
fn prune(
    h: &Handle,
    value_type: DataType,
    (m, k, v): (usize, usize, usize),
    sparsity: f64,
    permute: bool,
) -> Matrix {
    let weights = Rng::new((m * 1000 + k) as u64).weights(m * k);
    let mut options = PruneOptions::new().tile_rows(v).sparsity(sparsity).value_type(value_type);
    if permute {
        options = options.permute(Permute::Both).seed(5);
    }
    let a = Matrix::prune(h, &weights, m, k, None, &options).unwrap();
    assert_eq!(a.info().has_row_permutation, permute, "2CP left the rows alone: another seed");
    a
}

/// One product's layout and scalars.
#[derive(Clone, Copy, Debug)]
struct Case {
    n: usize,
    b_order: Order,
    c_order: Order,
    alpha: f32,
    beta: f32,
    bias: bool,
    rows: RowOrder,
    /// Elements added to both leading dimensions (kept a multiple of 8: the fast path's).
    pad: usize,
    /// Pass a workspace of the queried size (when nonzero); else none (NULL, 0), and the
    /// library takes one from CUDA's stream-ordered allocator.
    workspace: bool,
}

const BASE: Case = Case {
    n: 1,
    b_order: FM,
    c_order: FM,
    alpha: 1.0,
    beta: 0.0,
    bias: false,
    rows: RowOrder::Original,
    pad: 0,
    workspace: true,
};

/// Products on a matrix without a row permutation: N = 1, 7 (tails), 64, 300 (tail), every
/// pair of orders, three alpha/beta pairs, bias, padding, no workspace.
fn plain_cases() -> Vec<Case> {
    vec![
        Case { n: 1, ..BASE },
        Case { n: 7, b_order: TM, alpha: 0.5, beta: 1.0, bias: true, ..BASE },
        Case { n: 64, c_order: TM, alpha: -1.5, beta: 0.25, pad: 8, ..BASE },
        Case { n: 300, b_order: TM, c_order: TM, bias: true, workspace: false, ..BASE },
    ]
}

/// Products on a matrix with 2CP's row permutation: C in permuted and original row order.
fn permuted_cases() -> Vec<Case> {
    let rows = RowOrder::Permuted;
    vec![
        Case { n: 7, bias: true, rows, ..BASE },
        Case { n: 64, b_order: TM, c_order: TM, alpha: 0.5, beta: 1.0, rows, pad: 8, ..BASE },
        Case { n: 300, c_order: TM, bias: true, ..BASE },
        Case { n: 1, b_order: TM, alpha: -1.5, beta: 0.25, bias: true, rows, ..BASE },
    ]
}

/// The host side of one product: its inputs and the fp64 result C should hold.
struct Inputs<T> {
    case: Case,
    m: usize,
    k: usize,
    ldb: usize,
    ldc: usize,
    /// Elements of a C row that are C's (the rest of ldc is padding).
    c_inner: usize,
    b: Vec<T>,
    /// C before the call: random where read (beta != 0), NaN elsewhere and in the padding.
    c0: Vec<T>,
    bias: Vec<T>,
    want: Vec<f64>,
    magnitude: Vec<f64>,
}

impl<T: Half> Inputs<T> {
    /// C = alpha * A * B + beta * C (+ bias) for the matrix `a`.
    fn spmm(a: &Matrix, case: Case, seed: u64) -> Inputs<T> {
        assert_eq!(a.value_type(), T::DATA_TYPE, "io type = value type on the GPU");
        let (m, k) = a.shape();
        Inputs::new(&a.to_dense().unwrap(), m, k, &row_map(a, case.rows), case, seed)
    }

    /// The same for a dense row-major `m x k` A whose C rows are `perm`'s rows of A.
    fn new(a: &[f32], m: usize, k: usize, perm: &[usize], case: Case, seed: u64) -> Inputs<T> {
        let mut rng = Rng::new(seed);
        let n = case.n;
        let (b_outer, b_inner) = if case.b_order == FM { (k, n) } else { (n, k) };
        let (c_outer, c_inner) = if case.c_order == FM { (m, n) } else { (n, m) };
        let (ldb, ldc) = (b_inner + case.pad, c_inner + case.pad);
        let b: Vec<T> = (0..b_outer * ldb).map(|_| T::from_f32(rng.weight())).collect();
        let c0: Vec<T> = (0..c_outer * ldc)
            .map(|i| {
                let x = T::from_f32(rng.weight());
                if case.beta != 0.0 && i % ldc < c_inner {
                    x
                } else {
                    T::NAN
                }
            })
            .collect();
        let bias: Vec<T> = (0..m).map(|_| T::from_f32(rng.weight())).collect();
        let to64 = to_f64s::<T>;
        // NaN is unread C (beta = 0) or padding, which the check compares bit for bit.
        let c0_ref: Vec<f64> =
            to64(&c0).into_iter().map(|x| if x.is_nan() { 0.0 } else { x }).collect();
        let bias64 = to64(&bias);
        let (want, magnitude) = naive_product(
            a,
            m,
            k,
            n,
            f64::from(case.alpha),
            &to64(&b),
            case.b_order,
            ldb,
            f64::from(case.beta),
            &c0_ref,
            case.c_order,
            ldc,
            case.bias.then_some(&bias64[..]),
            perm,
        );
        Inputs { case, m, k, ldb, ldc, c_inner, b, c0, bias, want, magnitude }
    }

    fn options(&self) -> SpmmOptions {
        let case = &self.case;
        spmm_options(
            (case.alpha, case.beta),
            (case.b_order, case.c_order),
            case.rows,
            (case.pad > 0).then_some((self.ldb, self.ldc)),
        )
    }

    /// Asserts that `got` (all of C, padding included) is the product: within the tolerance
    /// of the reference where C is C (a NaN left there was never written), the padding as it
    /// was, bit for bit.
    fn check(&self, got: &[T], what: &str) {
        let what = format!("{what}: {:?} {}x{} {:?}", T::DATA_TYPE, self.m, self.k, self.case);
        assert_eq!(got.len(), self.c0.len(), "{what}: length");
        for (i, (&g, &before)) in got.iter().zip(&self.c0).enumerate() {
            if i % self.ldc >= self.c_inner {
                assert_eq!(g, before, "{what}: padding element {i} was written");
                continue;
            }
            let (got, want) = (g.to_f64(), self.want[i]);
            let tol = T::REL * self.magnitude[i] + ABS;
            assert!(
                (got - want).abs() <= tol,
                "{what}: element {i}: got {got}, want {want} (tolerance {tol})"
            );
        }
    }
}

/// Inputs on the device: B, C (as c0) and bias.
struct Problem<T> {
    host: Inputs<T>,
    b: DeviceAlloc,
    c: DeviceAlloc,
    bias: DeviceAlloc,
}

impl<T: Half> Problem<T> {
    fn new(gpu: &Gpu, host: Inputs<T>) -> Problem<T> {
        let cuda = &gpu.cuda;
        let (b, c, bias) = (cuda.upload(&host.b), cuda.upload(&host.c0), cuda.upload(&host.bias));
        Problem { host, b, c, bias }
    }

    /// B, C and (if the case has one) bias; `workspace` if given.
    fn buffers(&self, workspace: Option<&DeviceAlloc>) -> DeviceBuffers {
        let mut buffers = DeviceBuffers::new(self.b.ptr(), self.c.ptr());
        if self.host.case.bias {
            buffers = buffers.bias(self.bias.ptr());
        }
        match workspace {
            Some(ws) => buffers.workspace(ws.ptr(), ws.bytes()),
            None => buffers,
        }
    }

    /// C restored to c0, then `spmm` (or `spmm_search`) on `stream` with the case's
    /// workspace choice; C after the device is done.
    fn run(&self, gpu: &Gpu, a: &Matrix, spmm: Spmm, stream: *mut c_void) -> Vec<T> {
        self.run_with(gpu, a, spmm, stream, self.host.case.workspace)
    }

    /// `run`, passing a workspace of the size queried now (when nonzero) if `workspace`.
    fn run_with(
        &self,
        gpu: &Gpu,
        a: &Matrix,
        spmm: Spmm,
        stream: *mut c_void,
        workspace: bool,
    ) -> Vec<T> {
        let case = &self.host.case;
        self.c.write(&self.host.c0);
        let size = a.spmm_workspace_size(&gpu.h, case.n, case.b_order, case.c_order).unwrap();
        let ws = if workspace && size > 0 { Some(gpu.cuda.alloc(size)) } else { None };
        // SAFETY: B, C, bias and the workspace are live device allocations of the sizes the
        // options and the queried workspace size need; `stream` is null or live; the device
        // is synchronised before any of them is dropped or read.
        unsafe {
            spmm(
                a,
                &gpu.h,
                case.n,
                T::DATA_TYPE,
                &self.buffers(ws.as_ref()),
                stream,
                &self.host.options(),
            )
        }
        .unwrap();
        self.c_now(gpu)
    }

    /// C's bits now, after the device is done (also for checking that a refused call wrote
    /// nothing).
    fn c_now(&self, gpu: &Gpu) -> Vec<T> {
        gpu.cuda.synchronize();
        self.c.read(self.host.c0.len())
    }
}

/// Every case on every matrix through `spmm`, checked.
fn check_spmm<T: Half>(gpu: &Gpu, matrices: &[(Matrix, Vec<Case>)]) {
    for (i, (a, cases)) in matrices.iter().enumerate() {
        for (j, &case) in cases.iter().enumerate() {
            let p = Problem::new(gpu, Inputs::<T>::spmm(a, case, (100 * i + j) as u64));
            p.host.check(&p.run(gpu, a, Matrix::spmm, std::ptr::null_mut()), "spmm");
        }
    }
}

/// The sparsities of `matrices`' three matrices, per value type: each shape sees two of them.
const F16_SPARSITY: [f64; 3] = [0.75, 0.5, 0.875];
const BF16_SPARSITY: [f64; 3] = [0.5, 0.875, 0.75];

/// Three matrices of `value_type` (a plain one with tails in K and N, a larger one, one with
/// 2CP and a partial last tile), each at one of the sparsities, with their cases.
fn matrices(h: &Handle, value_type: DataType, sparsities: [f64; 3]) -> Vec<(Matrix, Vec<Case>)> {
    vec![
        (prune(h, value_type, (96, 160, 32), sparsities[0], false), plain_cases()),
        (prune(h, value_type, (256, 512, 128), sparsities[1], false), plain_cases()),
        (prune(h, value_type, (200, 256, 64), sparsities[2], true), permuted_cases()),
    ]
}

#[test]
fn the_checks_accept_the_host_product() {
    // No GPU needed: the inputs, reference, tolerance and padding logic of this file, on
    // `spmm_host`'s product (fp32 accumulation too) for every case the GPU tests run.
    fn host<T: Half>(h: &Handle, matrices: &[(Matrix, Vec<Case>)]) {
        for (i, (a, cases)) in matrices.iter().enumerate() {
            for (j, &case) in cases.iter().enumerate() {
                let inputs = Inputs::<T>::spmm(a, case, (100 * i + j) as u64);
                let mut c = inputs.c0.clone();
                let bias = case.bias.then_some(&inputs.bias[..]);
                a.spmm_host(h, case.n, &inputs.b, &mut c, bias, &inputs.options()).unwrap();
                inputs.check(&c, "spmm_host");
            }
        }
    }
    let h = handle();
    host::<F16>(&h, &matrices(&h, DataType::F16, F16_SPARSITY));
    host::<BF16>(&h, &matrices(&h, DataType::BF16, BF16_SPARSITY));
}

#[test]
fn spmm_f16_matches_fp64() {
    let gpu = gpu_or_skip!();
    check_spmm::<F16>(&gpu, &matrices(&gpu.h, DataType::F16, F16_SPARSITY));
}

#[test]
fn spmm_bf16_matches_fp64() {
    let gpu = gpu_or_skip!();
    check_spmm::<BF16>(&gpu, &matrices(&gpu.h, DataType::BF16, BF16_SPARSITY));
}

#[test]
fn spmm_search_matches_and_later_spmm_runs_its_plan() {
    fn search<T: Half>(gpu: &Gpu, a: &Matrix, case: Case) {
        let p = Problem::new(gpu, Inputs::<T>::spmm(a, case, 7));
        let run = |spmm: Spmm, workspace| p.run_with(gpu, a, spmm, std::ptr::null_mut(), workspace);
        p.host.check(&run(Matrix::spmm, true), "spmm before the search");
        // No workspace: any plan may win.
        p.host.check(&run(Matrix::spmm_search, false), "spmm_search");
        // What the search stored (if anything was timed) is for this problem.
        for plan in a.tuned_plans().unwrap() {
            assert_eq!((plan.n, plan.b_order, plan.c_order), (case.n, case.b_order, case.c_order));
        }
        // The stored plan, with the workspace queried again (it may be another size now), and
        // with none.
        p.host.check(&run(Matrix::spmm, true), "spmm after the search");
        p.host.check(&run(Matrix::spmm, false), "spmm after the search, no workspace");
    }
    let gpu = gpu_or_skip!();
    let a16 = prune(&gpu.h, DataType::F16, (256, 512, 128), 0.75, false);
    search::<F16>(&gpu, &a16, Case { n: 16, ..BASE });
    let abf = prune(&gpu.h, DataType::BF16, (256, 512, 128), 0.875, false);
    let case = Case { n: 64, b_order: TM, c_order: TM, alpha: 0.5, beta: 1.0, bias: true, ..BASE };
    search::<BF16>(&gpu, &abf, case);
}

#[test]
fn to_device_then_spmm() {
    let gpu = gpu_or_skip!();
    let a = prune(&gpu.h, DataType::F16, (96, 160, 32), 0.75, false);
    // SAFETY: the default stream.
    unsafe { a.to_device(&gpu.h, std::ptr::null_mut()) }.unwrap();
    let p = Problem::new(&gpu, Inputs::<F16>::spmm(&a, Case { n: 64, bias: true, ..BASE }, 11));
    p.host.check(&p.run(&gpu, &a, Matrix::spmm, std::ptr::null_mut()), "spmm after to_device");
}

#[test]
fn repeated_spmm_is_bit_identical() {
    fn twice<T: Half>(gpu: &Gpu, a: &Matrix, case: Case) {
        let p = Problem::new(gpu, Inputs::<T>::spmm(a, case, 13));
        let first = p.run(gpu, a, Matrix::spmm, std::ptr::null_mut());
        p.host.check(&first, "spmm");
        // `run` poisons C again first: the second call writes every element too.
        assert!(
            first == p.run(gpu, a, Matrix::spmm, std::ptr::null_mut()),
            "{case:?}: runs differ"
        );
    }
    let gpu = gpu_or_skip!();
    let a16 = prune(&gpu.h, DataType::F16, (256, 512, 128), 0.75, false);
    twice::<F16>(&gpu, &a16, Case { n: 64, c_order: TM, ..BASE });
    // A decode size, where the planner may split K.
    twice::<F16>(&gpu, &a16, Case { n: 7, b_order: TM, bias: true, ..BASE });
    let abf = prune(&gpu.h, DataType::BF16, (200, 256, 64), 0.75, true);
    twice::<BF16>(&gpu, &abf, Case { n: 16, rows: RowOrder::Permuted, bias: true, ..BASE });
}

/// `Handle::dense_gemm` of a random dense `m x k` A, checked against fp64.
fn check_dense_gemm<T: Half>(gpu: &Gpu, (m, k): (usize, usize), case: Case, stream: *mut c_void) {
    let mut rng = Rng::new(17);
    let a: Vec<T> = (0..m * k).map(|_| T::from_f32(rng.weight())).collect();
    let a32: Vec<f32> = a.iter().map(|&x| x.to_f64() as f32).collect();
    let identity: Vec<usize> = (0..m).collect();
    let p = Problem::new(gpu, Inputs::<T>::new(&a32, m, k, &identity, case, 19));
    let d_a = gpu.cuda.upload(&a);
    let gemm = DenseGemm {
        m,
        n: case.n,
        k,
        alpha: case.alpha,
        a: d_a.ptr(),
        lda: k,
        b: p.b.ptr(),
        b_order: case.b_order,
        ldb: p.host.ldb,
        beta: case.beta,
        c: p.c.ptr(),
        c_order: case.c_order,
        ldc: p.host.ldc,
        data_type: T::DATA_TYPE,
    };
    // SAFETY: A, B and C are live device allocations of the sizes the dimensions need;
    // `stream` is null or live; the device is synchronised before they are read or dropped.
    unsafe { gpu.h.dense_gemm(&gemm, stream) }.unwrap();
    p.host.check(&p.c_now(gpu), "dense_gemm");
}

#[test]
fn dense_gemm_matches_fp64() {
    let gpu = gpu_or_skip!();
    for b_order in [FM, TM] {
        for c_order in [FM, TM] {
            let plain = Case { n: 7, b_order, c_order, ..BASE };
            let scaled = Case { n: 64, b_order, c_order, alpha: 0.75, beta: -0.5, ..BASE };
            check_dense_gemm::<F16>(&gpu, (96, 160), plain, std::ptr::null_mut());
            check_dense_gemm::<BF16>(&gpu, (96, 160), scaled, std::ptr::null_mut());
        }
    }
}

#[test]
fn a_stream_of_our_own_is_accepted() {
    let gpu = gpu_or_skip!();
    let stream = gpu.cuda.stream();
    let a = prune(&gpu.h, DataType::BF16, (200, 256, 64), 0.75, true);
    // SAFETY: a live stream of the current device.
    unsafe { a.to_device(&gpu.h, stream.raw()) }.unwrap();
    let case = Case { n: 64, c_order: TM, beta: 1.0, bias: true, rows: RowOrder::Permuted, ..BASE };
    let p = Problem::new(&gpu, Inputs::<BF16>::spmm(&a, case, 23));
    p.host.check(&p.run(&gpu, &a, Matrix::spmm, stream.raw()), "spmm on a stream");
    p.host.check(&p.run(&gpu, &a, Matrix::spmm_search, stream.raw()), "spmm_search on a stream");
    let case = Case { n: 7, b_order: TM, alpha: 2.0, beta: 0.5, ..BASE };
    check_dense_gemm::<F16>(&gpu, (64, 96), case, stream.raw());
}

#[test]
fn bad_arguments_are_refused_and_launch_nothing() {
    let gpu = gpu_or_skip!();
    let a = prune(&gpu.h, DataType::F16, (96, 160, 32), 0.75, false);
    let abf = prune(&gpu.h, DataType::BF16, (96, 160, 32), 0.75, false);
    // B, C (all NaN: beta = 0), bias, all real device memory.
    let p = Problem::new(&gpu, Inputs::<F16>::spmm(&a, Case { n: 64, bias: true, ..BASE }, 29));
    let (n, options, good) = (p.host.case.n, p.host.options(), p.buffers(None));
    let null = std::ptr::null_mut::<c_void>();
    for (name, spmm) in SPMMS {
        // SAFETY (every call): the pointers are live device memory of the sizes needed, or
        // null, or misaligned ones into such memory, which the library refuses before use.
        let call = |a: &Matrix, io_type, buffers: &DeviceBuffers| {
            let err = unsafe { spmm(a, &gpu.h, n, io_type, buffers, null, &options) }.unwrap_err();
            assert!(err.message.starts_with(name), "reaches {name}: {err}");
            err.status
        };
        // hinm.h, hinmSpMM: io_type is "the descriptor's value_type"; INVALID_DTYPE.
        assert_eq!(call(&a, DataType::BF16, &good), Status::InvalidDtype);
        assert_eq!(call(&a, DataType::F32, &good), Status::InvalidDtype);
        assert_eq!(call(&abf, DataType::F16, &good), Status::InvalidDtype);
        // NULL_POINTER: B and C are required when n > 0.
        assert_eq!(
            call(&a, DataType::F16, &DeviceBuffers { b: null, ..good }),
            Status::NullPointer
        );
        assert_eq!(
            call(&a, DataType::F16, &DeviceBuffers { c: null, ..good }),
            Status::NullPointer
        );
        assert_eq!(call(&a, DataType::F16, &good.workspace(null, 256)), Status::NullPointer);
        // MISALIGNED: pointers not even aligned to their 2-byte elements.
        let odd = |alloc: &DeviceAlloc| alloc.ptr_at(1);
        assert_eq!(
            call(&a, DataType::F16, &DeviceBuffers { b: odd(&p.b), ..good }),
            Status::Misaligned
        );
        assert_eq!(
            call(&a, DataType::F16, &DeviceBuffers { c: odd(&p.c), ..good }),
            Status::Misaligned
        );
        assert_eq!(
            call(&a, DataType::F16, &DeviceBuffers { bias: odd(&p.bias), ..good }),
            Status::Misaligned
        );
        // MISALIGNED: a workspace not 16-byte aligned. Token-major B is always packed into
        // the workspace, so that problem needs one.
        let tm = options.b_order(TM);
        let size = a.spmm_workspace_size(&gpu.h, n, TM, FM).unwrap();
        assert!(size > 0, "token-major B needs a workspace to be packed into");
        let ws = gpu.cuda.alloc(size + 16);
        let err = unsafe {
            spmm(&a, &gpu.h, n, DataType::F16, &good.workspace(ws.ptr_at(8), size), null, &tm)
        }
        .unwrap_err();
        assert_eq!(err.status, Status::Misaligned, "{name} {err}");
    }
    assert!(p.c_now(&gpu) == p.host.c0, "a refused call wrote C");
    // And the same buffers, as they should be, give the product.
    p.host.check(&p.run(&gpu, &a, Matrix::spmm, null), "spmm after the refusals");
}

#[test]
fn misaligned_b_is_refused_unless_the_workspace_can_hold_a_packed_copy() {
    // hinm.h, hinmSpMM: MISALIGNED (pointers must be 16-byte aligned and ldb/ldc multiples of 8
    // elements for the fast path; other B is packed into the workspace first, except at
    // n == 1 on sm_90). Feature-major B with N a multiple of 8 needs no packing, so the
    // queried workspace has no room for a copy: B 2 bytes past a 16-byte boundary is refused.
    // (`spmm` only: `spmm_search` may pick a plan whose workspace holds the copy.)
    let gpu = gpu_or_skip!();
    let a = prune(&gpu.h, DataType::F16, (96, 160, 32), 0.75, false);
    let case = Case { n: 64, ..BASE };
    let p = Problem::new(&gpu, Inputs::<F16>::spmm(&a, case, 31));
    let (n, k, options) = (case.n, p.host.k, p.host.options());
    let mut shifted = vec![F16::NAN];
    shifted.extend(&p.host.b);
    shifted.extend([F16::NAN; 7]);
    let d_shifted = gpu.cuda.upload(&shifted);
    let b = d_shifted.ptr_at(2);
    let size = a.spmm_workspace_size(&gpu.h, n, FM, FM).unwrap();
    let room = size + k * ((n + 7) / 8 * 8) * 2 + 256;
    let (queried, roomy) = (gpu.cuda.alloc(size), gpu.cuda.alloc(room));
    let null = std::ptr::null_mut();
    let refused = [
        DeviceBuffers::new(b, p.c.ptr()),
        DeviceBuffers::new(b, p.c.ptr()).workspace(queried.ptr(), size),
    ];
    for buffers in &refused {
        // SAFETY: device memory of the sizes needed (B in the shifted copy); refused first.
        let err = unsafe { a.spmm(&gpu.h, n, DataType::F16, buffers, null, &options) }.unwrap_err();
        assert_eq!(
            err.status,
            Status::Misaligned,
            "workspace {} bytes: {err}",
            buffers.workspace_size
        );
    }
    assert!(p.c_now(&gpu) == p.host.c0, "a refused call wrote C");
    // With room for K x round_up(N, 8) packed elements, it is packed and multiplied.
    let buffers = DeviceBuffers::new(b, p.c.ptr()).workspace(roomy.ptr(), room);
    // SAFETY: as above, with a workspace of `room` bytes; synchronised before reading C.
    unsafe { a.spmm(&gpu.h, n, DataType::F16, &buffers, null, &options) }.unwrap();
    p.host.check(&p.c_now(&gpu), "spmm of a misaligned B packed into the workspace");
}
