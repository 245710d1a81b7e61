//! Matrix::prune and the info queries, checked against the HiNM rules computed here.

mod common;

use std::ops::ControlFlow;

use common::{check_hinm_structure, handle, Rng};
use hinm::{DataType, Matrix, Permute, PermuteAlgorithm, PruneOptions, Status, BF16, F16};

fn f16_round(x: f32) -> f32 {
    F16::from_f32(x).to_f32()
}

fn bf16_round(x: f32) -> f32 {
    BF16::from_f32(x).to_f32()
}

/// Summed |W| of each column of one tile (rows listed).
fn column_scores(weights: &[f32], k: usize, rows: &[usize]) -> Vec<f64> {
    let mut s = vec![0.0f64; k];
    for &r in rows {
        for (c, x) in s.iter_mut().enumerate() {
            *x += f64::from(weights[r * k + c].abs());
        }
    }
    s
}

#[test]
fn prune_75_percent_keeps_top_columns_and_two_of_four() {
    let h = handle();
    let (m, k, v) = (48, 64, 16); // 3 tiles
    let w = Rng::new(1).weights(m * k);
    let a = Matrix::prune(&h, &w, m, k, None, &PruneOptions::new().sparsity(0.75).tile_rows(v))
        .unwrap();

    assert_eq!(a.shape(), (m, k));
    assert_eq!((a.rows(), a.cols()), (m, k));
    assert_eq!(a.tile_rows(), v);
    assert_eq!(a.kept_cols(), k / 2);
    assert_eq!(a.num_tiles(), 3);
    assert_eq!(a.value_type(), DataType::F16);
    assert_eq!(a.sparsity(), 0.75);
    assert_eq!(a.info().vector_sparsity, 0.5);
    assert!(!a.info().has_row_permutation && !a.info().has_column_permutation);
    assert_eq!(a.row_permutation().unwrap(), (0..m).collect::<Vec<_>>());

    // Exactly K_keep / 2 nonzeros per row: no weight is zero, so nothing else is.
    let nnz = check_hinm_structure(&a, &w, f16_round);
    assert_eq!(nnz, m * k / 4);

    // Level 1: each tile keeps its K_keep largest column sums of |W| (up to near-ties).
    let idx = a.column_indices().unwrap();
    for t in 0..3 {
        let rows: Vec<usize> = (t * v..(t + 1) * v).collect();
        let scores = column_scores(&w, k, &rows);
        let kept: Vec<usize> = idx[t * 32..(t + 1) * 32].iter().map(|c| c.unwrap()).collect();
        let min_kept = kept.iter().map(|&c| scores[c]).fold(f64::INFINITY, f64::min);
        let max_dropped =
            (0..k).filter(|c| !kept.contains(c)).map(|c| scores[c]).fold(0.0, f64::max);
        assert!(
            min_kept >= max_dropped - 1e-3,
            "tile {t}: kept {min_kept} < dropped {max_dropped}"
        );
    }

    // Level 2: in each group of 4 kept slots a row keeps its 2 largest |w|.
    let dense = a.to_dense().unwrap();
    for r in 0..m {
        let t = r / v;
        for group in idx[t * 32..(t + 1) * 32].chunks(4) {
            let cols: Vec<usize> = group.iter().map(|c| c.unwrap()).collect();
            let smallest_kept = cols
                .iter()
                .filter(|&&c| dense[r * k + c] != 0.0)
                .map(|&c| w[r * k + c].abs())
                .fold(f32::INFINITY, f32::min);
            let largest_dropped = cols
                .iter()
                .filter(|&&c| dense[r * k + c] == 0.0)
                .map(|&c| w[r * k + c].abs())
                .fold(0.0, f32::max);
            assert!(
                smallest_kept >= largest_dropped,
                "row {r}: kept {smallest_kept} < dropped {largest_dropped}"
            );
        }
    }

    // Retained saliency = kept |w| / total |w|.
    let kept: f64 = dense.iter().map(|x| f64::from(x.abs())).sum();
    let total: f64 = w.iter().map(|x| f64::from(x.abs())).sum();
    assert!(
        (a.retained_saliency() - kept / total).abs() < 2e-3,
        "{} vs {}",
        a.retained_saliency(),
        kept / total
    );

    // Sizes: dense fp16 bytes, and the ratio the info reports.
    let info = a.info();
    assert_eq!(info.dense_bytes, m * k * 2);
    assert!(a.compressed_bytes() > 0 && a.compressed_bytes() < info.dense_bytes);
    let ratio = info.dense_bytes as f64 / a.compressed_bytes() as f64;
    assert!((a.compression_ratio() - ratio).abs() < 1e-9);
    // At least the kept fp16 values and their 2-bit positions; at most that plus an int32
    // index per kept column per tile, an int32 per row of permutation and a little header.
    let values_and_meta = m * (k / 4) * 2 + m * (k / 4) * 2 / 8;
    let indices_and_perm = 3 * (k / 2) * 4 + m * 4;
    assert!(a.compressed_bytes() >= values_and_meta, "{}", a.compressed_bytes());
    assert!(
        a.compressed_bytes() <= values_and_meta + indices_and_perm + 256,
        "{}",
        a.compressed_bytes()
    );
}

#[test]
fn density_setters_give_their_kept_columns() {
    let h = handle();
    let (m, k) = (16, 64);
    let w = Rng::new(2).weights(m * k);
    let cases = [
        (PruneOptions::new(), 32, 0.75), // library default: 50% + 2:4
        (PruneOptions::new().sparsity(0.5), 64, 0.5), // plain 2:4
        (PruneOptions::new().sparsity(0.875), 16, 0.875), // 75% + 2:4
        (PruneOptions::new().vector_sparsity(0.25), 48, 0.625), // 25% + 2:4
        (PruneOptions::new().kept_cols(8), 8, 1.0 - 4.0 / 64.0),
    ];
    for (options, kept, sparsity) in cases {
        let options = options.tile_rows(16);
        let a = Matrix::prune(&h, &w, m, k, None, &options).unwrap();
        assert_eq!(a.kept_cols(), kept, "{options:?}");
        assert!((a.sparsity() - sparsity).abs() < 1e-12, "{options:?}: {}", a.sparsity());
        assert_eq!(check_hinm_structure(&a, &w, f16_round), m * kept / 2);
    }
}

#[test]
fn rows_not_a_multiple_of_the_tile_and_padded_columns() {
    let h = handle();
    // M = 40 with V = 16: a last tile of 8 rows. K = 10 with plain 2:4: K_keep rounds up
    // to 12, so each tile has 2 padding slots.
    let (m, k) = (40, 10);
    let w = Rng::new(3).weights(m * k);
    let a = Matrix::prune(&h, &w, m, k, None, &PruneOptions::new().sparsity(0.5).tile_rows(16))
        .unwrap();
    assert_eq!(a.num_tiles(), 3);
    assert_eq!(a.kept_cols(), 12);
    let idx = a.column_indices().unwrap();
    for t in 0..3 {
        let tile = &idx[t * 12..(t + 1) * 12];
        assert_eq!(tile.iter().filter(|c| c.is_none()).count(), 2, "tile {t}: {tile:?}");
        let mut cols: Vec<usize> = tile.iter().flatten().copied().collect();
        cols.sort_unstable();
        assert_eq!(cols, (0..k).collect::<Vec<_>>(), "tile {t} keeps every real column");
    }
    let nnz = check_hinm_structure(&a, &w, f16_round);
    assert!(nnz <= m * 6 && nnz >= m * 5, "{nnz}"); // 3 groups: 2 + 2 + (1 or 2) real entries
}

#[test]
fn half_and_bfloat_weights_and_values() {
    let h = handle();
    let (m, k) = (16, 32);
    let w32 = Rng::new(4).weights(m * k);
    let w16: Vec<F16> = w32.iter().map(|&x| F16::from_f32(x)).collect();
    let wbf: Vec<BF16> = w32.iter().map(|&x| BF16::from_f32(x)).collect();
    let opts = PruneOptions::new().tile_rows(16);

    let a = Matrix::prune(&h, &w16, m, k, None, &opts).unwrap();
    let rounded: Vec<f32> = w16.iter().map(|x| x.to_f32()).collect();
    assert_eq!(check_hinm_structure(&a, &rounded, |x| x), m * k / 4);

    let a = Matrix::prune(&h, &wbf, m, k, None, &opts.clone().value_type(DataType::BF16)).unwrap();
    assert_eq!(a.value_type(), DataType::BF16);
    assert_eq!(a.info().dense_bytes, m * k * 2);
    let rounded: Vec<f32> = wbf.iter().map(|x| x.to_f32()).collect();
    assert_eq!(check_hinm_structure(&a, &rounded, |x| x), m * k / 4);

    // f32 weights stored as bfloat16, and decompressed in every element type.
    let a = Matrix::prune(&h, &w32, m, k, None, &opts.value_type(DataType::BF16)).unwrap();
    assert_eq!(check_hinm_structure(&a, &w32, bf16_round), m * k / 4);
    let dense = a.to_dense().unwrap();
    let as_bf: Vec<f32> = a.decompress::<BF16>().unwrap().iter().map(|x| x.to_f32()).collect();
    assert_eq!(as_bf, dense);
    let as_f16: Vec<f32> = a.decompress::<F16>().unwrap().iter().map(|x| x.to_f32()).collect();
    let want: Vec<f32> = dense.iter().map(|&x| f16_round(x)).collect();
    assert_eq!(as_f16, want);
}

#[test]
fn saliency_decides_what_is_kept() {
    let h = handle();
    let (m, k) = (16, 32);
    let w = Rng::new(5).weights(m * k);
    // Columns 0, 1, 2, 8, 9, 10, ... score high; the rest low.
    let favoured: Vec<usize> = (0..k).filter(|c| c % 8 < 3).collect();
    assert_eq!(favoured.len(), 12);
    let mut saliency = vec![0.001f32; m * k];
    for r in 0..m {
        for &c in &favoured {
            saliency[r * k + c] = 10.0 + c as f32;
        }
    }
    let a = Matrix::prune(
        &h,
        &w,
        m,
        k,
        Some(&saliency),
        &PruneOptions::new().kept_cols(12).tile_rows(16),
    )
    .unwrap();
    let mut kept: Vec<usize> = a.column_indices().unwrap().into_iter().flatten().collect();
    kept.sort_unstable();
    assert_eq!(kept, favoured);
    check_hinm_structure(&a, &w, f16_round);
    // Retained saliency is measured on the scores given, not on |W|.
    let dense = a.to_dense().unwrap();
    let kept_score: f64 =
        (0..m * k).filter(|&i| dense[i] != 0.0).map(|i| f64::from(saliency[i])).sum();
    let total: f64 = saliency.iter().map(|&x| f64::from(x)).sum();
    assert!((a.retained_saliency() - kept_score / total).abs() < 1e-3);
}

#[test]
fn two_axis_permutation_keeps_the_structure_and_never_loses_saliency() {
    let h = handle();
    let (m, k) = (64, 64);
    let w = Rng::new(6).weights(m * k);
    let base = PruneOptions::new().sparsity(0.75).tile_rows(16).threads(2);
    let plain = Matrix::prune(&h, &w, m, k, None, &base).unwrap();
    for algorithm in [PermuteAlgorithm::Default, PermuteAlgorithm::Published] {
        let a = Matrix::prune(
            &h,
            &w,
            m,
            k,
            None,
            &base.clone().permute(Permute::Both).algorithm(algorithm).seed(11),
        )
        .unwrap();
        let mut perm = a.row_permutation().unwrap();
        let permuted = perm.iter().enumerate().any(|(p, &r)| p != r);
        assert_eq!(a.info().has_row_permutation, permuted, "{algorithm:?}");
        perm.sort_unstable();
        assert_eq!(perm, (0..m).collect::<Vec<_>>(), "{algorithm:?}: not a permutation");
        assert_eq!(check_hinm_structure(&a, &w, f16_round), m * k / 4);
        assert!(
            a.retained_saliency() >= plain.retained_saliency() - 1e-9,
            "{algorithm:?}: {} < {}",
            a.retained_saliency(),
            plain.retained_saliency()
        );
    }
    // Same seed, same result.
    let opts = base.clone().permute(Permute::Both).seed(3);
    let a = Matrix::prune(&h, &w, m, k, None, &opts).unwrap();
    let b = Matrix::prune(&h, &w, m, k, None, &opts).unwrap();
    assert_eq!(a.to_bytes().unwrap(), b.to_bytes().unwrap());
    // Each axis alone.
    let out = Matrix::prune(
        &h,
        &w,
        m,
        k,
        None,
        &base.clone().permute(Permute::Output).schedule(&[4, 1, 2, 1]).max_failures(5),
    )
    .unwrap();
    assert!(!out.info().has_column_permutation);
    check_hinm_structure(&out, &w, f16_round);
    let inp = Matrix::prune(&h, &w, m, k, None, &base.permute(Permute::Input)).unwrap();
    assert!(!inp.info().has_row_permutation);
    assert_eq!(inp.row_permutation().unwrap(), (0..m).collect::<Vec<_>>());
    check_hinm_structure(&inp, &w, f16_round);
}

#[test]
fn progress_reports_and_cancels() {
    let h = handle();
    let (m, k) = (64, 64);
    let w = Rng::new(7).weights(m * k);
    let opts = PruneOptions::new().tile_rows(16).permute(Permute::Both);

    let mut seen = Vec::new();
    let a = Matrix::prune_with_progress(&h, &w, m, k, None, &opts, |f| {
        seen.push(f);
        ControlFlow::Continue(())
    });
    assert!(a.is_ok(), "{:?}", a.err());
    assert!(!seen.is_empty(), "2CP reported no progress");
    assert!(seen.iter().all(|f| (0.0..=1.0).contains(f)), "{seen:?}");

    let mut calls = 0;
    let err = Matrix::prune_with_progress(&h, &w, m, k, None, &opts, |_| {
        calls += 1;
        ControlFlow::Break(())
    })
    .unwrap_err();
    assert_eq!(err.status, Status::Cancelled, "{err}");
    assert_eq!(calls, 1, "work went on after the cancel");
}

#[test]
fn a_panic_in_progress_reaches_the_caller() {
    let h = handle();
    let (m, k) = (64, 64);
    let w = Rng::new(8).weights(m * k);
    let opts = PruneOptions::new().tile_rows(16).permute(Permute::Both);
    let caught = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        Matrix::prune_with_progress(&h, &w, m, k, None, &opts, |_| -> ControlFlow<()> {
            panic!("stop here")
        })
    }));
    let payload = caught.expect_err("the panic was swallowed");
    assert_eq!(payload.downcast_ref::<&str>(), Some(&"stop here"));
    // The handle is still usable.
    assert!(Matrix::prune(&h, &w, m, k, None, &PruneOptions::new().tile_rows(16)).is_ok());
}

#[test]
fn a_matrix_outlives_its_handle_and_moves_between_threads() {
    let (m, k) = (32, 32);
    let w = Rng::new(9).weights(m * k);
    let a = {
        let h = handle();
        Matrix::prune(&h, &w, m, k, None, &PruneOptions::new().tile_rows(16)).unwrap()
    }; // the handle is destroyed here; the descriptor does not need it
    let dense = std::thread::spawn(move || {
        let h = handle();
        let mut c = vec![0.0f32; m];
        a.spmm_host(&h, 1, &vec![1.0f32; k], &mut c, None, &hinm::SpmmOptions::new()).unwrap();
        (a.to_dense().unwrap(), c)
    })
    .join()
    .unwrap();
    let (dense, c) = dense;
    assert_eq!(check_nonzeros(&dense), m * k / 4);
    for r in 0..m {
        let row_sum: f32 = dense[r * k..(r + 1) * k].iter().sum();
        assert!((c[r] - row_sum).abs() <= 1e-5 * row_sum.abs().max(1.0), "row {r}");
    }
}

fn check_nonzeros(dense: &[f32]) -> usize {
    dense.iter().filter(|&&x| x != 0.0).count()
}

#[test]
fn fold_input_permutation_moves_columns_and_rejects_bad_orders() {
    let h = handle();
    let (m, k) = (32, 64);
    let w = Rng::new(7).weights(m * k);
    let a = Matrix::prune(&h, &w, m, k, None, &PruneOptions::new().sparsity(0.75).tile_rows(16))
        .unwrap();
    // A reversal: column p of the folded matrix is column k-1-p of `a`.
    let perm: Vec<usize> = (0..k).rev().collect();
    let folded = a.fold_input_permutation(&h, &perm).unwrap();
    assert_eq!(folded.shape(), a.shape());
    let (da, df) = (a.to_dense().unwrap(), folded.to_dense().unwrap());
    for r in 0..m {
        for p in 0..k {
            assert_eq!(df[r * k + p], da[r * k + perm[p]], "row {r} column {p}");
        }
    }
    for bad in [vec![0usize; k], (0..k - 1).collect::<Vec<_>>(), (1..=k).collect::<Vec<_>>()] {
        let e = a.fold_input_permutation(&h, &bad).unwrap_err();
        assert_eq!(e.status, Status::InvalidValue, "{e}");
    }
}
