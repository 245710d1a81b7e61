"""hinm.prune and the Matrix properties, against an independent numpy pruning."""

from __future__ import annotations

import numpy as np
import pytest

import hinm
from conftest import (check_hinm_invariants, fp16_exact, reference_prune,
                      round_bf16, top_k_columns)


@pytest.mark.parametrize("M,K,V,sparsity,k_keep", [
    (64, 64, 16, 0.75, 32),      # one 50% vector level + 2:4
    (100, 48, 32, 0.75, 24),     # M not a multiple of V: partial last tile
    (128, 96, 64, 0.875, 24),    # 75% vectors + 2:4
    (48, 40, 16, 0.5, 40),       # plain 2:4: every column kept
    (256, 128, 128, 0.75, 64),
    (32, 256, 256, 0.9375, 32),  # V > M: one partial tile
])
def test_prune_matches_numpy_reference(rng, M, K, V, sparsity, k_keep):
    W = fp16_exact(rng, (M, K))
    A = hinm.prune(W, sparsity=sparsity, vector=V, permute=False)
    assert A.kept_cols == k_keep
    assert A.tile_rows == V and A.num_tiles == -(-M // V)
    assert A.dtype == "float16"
    assert not A.has_row_permutation
    np.testing.assert_array_equal(A.row_permutation, np.arange(M))
    ci = A.column_indices
    for t in range(A.num_tiles):
        assert set(ci[t].tolist()) == top_k_columns(np.abs(W), np.arange(t * V, min(M, (t + 1) * V)), k_keep)
    expected = reference_prune(W, V, k_keep, ci)
    np.testing.assert_array_equal(A.to_dense(), expected.astype(np.float32))
    check_hinm_invariants(A, W)
    assert A.vector_sparsity == pytest.approx(1 - k_keep / K)
    assert A.sparsity == pytest.approx(1 - k_keep / (2 * K))


def test_prune_float16_input_equals_float32_input(rng):
    W = fp16_exact(rng, (64, 128))
    a32 = hinm.prune(W, permute=False, vector=32)
    a16 = hinm.prune(W.astype(np.float16), permute=False, vector=32)
    np.testing.assert_array_equal(a32.to_dense(), a16.to_dense())
    np.testing.assert_array_equal(a32.column_indices, a16.column_indices)


def test_to_dense_float16(rng):
    W = fp16_exact(rng, (32, 64))
    A = hinm.prune(W, vector=16, permute=False)
    d16 = A.to_dense(np.float16)
    assert d16.dtype == np.float16
    np.testing.assert_array_equal(d16.astype(np.float32), A.to_dense())


def test_bfloat16_values_are_rounded_to_bfloat16(rng):
    W = rng.standard_normal((64, 64)).astype(np.float32)
    A = hinm.prune(W, vector=32, permute=False, dtype="bfloat16")
    assert A.dtype == "bfloat16"
    D = A.to_dense()
    nz = D != 0
    np.testing.assert_array_equal(D[nz], round_bf16(W)[nz])
    assert nz.sum() == 64 * A.kept_cols // 2


def test_saliency_decides_what_is_kept(rng):
    M, K = 64, 64
    W = fp16_exact(rng, (M, K))
    # Scores that favour the last half of the columns, whatever |W| says.
    S = rng.random((M, K)).astype(np.float32)
    S[:, K // 2:] += 10.0
    A = hinm.prune(W, sparsity=0.75, vector=32, permute=False, saliency=S)
    for t in range(A.num_tiles):
        assert set(A.column_indices[t].tolist()) == set(range(K // 2, K))
    expected = reference_prune(W, 32, A.kept_cols, A.column_indices, saliency=S)
    np.testing.assert_array_equal(A.to_dense(), expected.astype(np.float32))
    check_hinm_invariants(A, W, saliency=S)
    # retained_saliency is measured with the given scores.
    kept = A.to_dense() != 0
    assert A.retained_saliency == pytest.approx(S[kept].sum() / S.sum(), rel=1e-5)


def test_saliency_float64_accepted(rng):
    W = fp16_exact(rng, (32, 32))
    S = np.abs(W).astype(np.float64)
    a = hinm.prune(W, vector=16, permute=False, saliency=S)
    b = hinm.prune(W, vector=16, permute=False)
    np.testing.assert_array_equal(a.to_dense(), b.to_dense())


def test_kept_cols_overrides_sparsity(rng):
    W = fp16_exact(rng, (64, 128))
    A = hinm.prune(W, sparsity=0.75, kept_cols=32, vector=64, permute=False)
    assert A.kept_cols == 32
    assert A.sparsity == pytest.approx(1 - 32 / 256)
    check_hinm_invariants(A, W)


def test_k_not_multiple_of_four_pads(rng):
    W = fp16_exact(rng, (32, 10))
    A = hinm.prune(W, sparsity=0.5, vector=16, permute=False)  # K_keep = round_up(10, 4)
    assert A.kept_cols == 12
    ci = A.column_indices
    for t in range(A.num_tiles):
        real = ci[t][ci[t] >= 0]
        assert sorted(real.tolist()) == list(range(10))
        assert (ci[t] == -1).sum() == 2
    check_hinm_invariants(A, W)


def test_retained_saliency_and_sizes(rng):
    M, K = 128, 256
    W = fp16_exact(rng, (M, K))
    A = hinm.prune(W, sparsity=0.75, vector=64, permute=False)
    D = A.to_dense()
    assert A.retained_saliency == pytest.approx(np.abs(D).sum() / np.abs(W).sum(), rel=1e-5)
    assert A.dense_nbytes == M * K * 2
    assert 0 < A.nbytes < A.dense_nbytes
    assert A.compression_ratio == pytest.approx(A.dense_nbytes / A.nbytes)
    # Values alone (M * K_keep / 2 halves) are a lower bound on the size.
    assert A.nbytes >= M * A.kept_cols // 2 * 2
    assert "hinm.Matrix(shape=(128, 256)" in repr(A)


@pytest.mark.parametrize("permute", [True, "output", "input", "both"])
def test_permuted_prune_invariants(rng, permute):
    W = fp16_exact(rng, (128, 128))
    A = hinm.prune(W, sparsity=0.75, vector=32, permute=permute, seed=3)
    # The default algorithm may change the kept sets when the input axis is on.
    check_hinm_invariants(A, W, top_k_set=permute == "output")
    base = hinm.prune(W, sparsity=0.75, vector=32, permute=False)
    # 2CP only keeps moves that lower the pruned saliency.
    assert A.retained_saliency >= base.retained_saliency - 1e-12
    kept = np.abs(A.to_dense()).sum() / np.abs(W).sum()
    assert A.retained_saliency == pytest.approx(kept, rel=1e-5)


def test_permutation_is_deterministic_for_a_seed(rng):
    W = fp16_exact(rng, (64, 64))
    a = hinm.prune(W, vector=16, permute=True, seed=7)
    b = hinm.prune(W, vector=16, permute=True, seed=7)
    np.testing.assert_array_equal(a.to_dense(), b.to_dense())
    np.testing.assert_array_equal(a.row_permutation, b.row_permutation)
    np.testing.assert_array_equal(a.column_indices, b.column_indices)


def test_published_permute_algo(rng):
    W = fp16_exact(rng, (64, 64))
    A = hinm.prune(W, vector=16, permute=True, permute_algo="published", seed=1)
    check_hinm_invariants(A, W)


def test_non_contiguous_weights(rng):
    big = fp16_exact(rng, (64, 128))
    W = big[:, ::2]  # strided rows: copied
    A = hinm.prune(W, vector=16, permute=False)
    B = hinm.prune(np.ascontiguousarray(W), vector=16, permute=False)
    np.testing.assert_array_equal(A.to_dense(), B.to_dense())
    Wt = np.asfortranarray(big[:, :64])
    C = hinm.prune(Wt, vector=16, permute=False)
    np.testing.assert_array_equal(C.to_dense(), hinm.prune(big[:, :64].copy(), vector=16, permute=False).to_dense())
    # Row slices keep a leading dimension larger than K (no copy needed).
    D = hinm.prune(big[:, 8:72], vector=16, permute=False)
    np.testing.assert_array_equal(D.to_dense(), hinm.prune(big[:, 8:72].copy(), vector=16, permute=False).to_dense())


def test_lists_are_accepted_as_float32(rng):
    W = fp16_exact(rng, (16, 8))
    # A nested list becomes float64 in numpy, which is not accepted...
    with pytest.raises(TypeError):
        hinm.prune(W.tolist(), vector=16)
    # ...but float32 data in any array-like is.
    A = hinm.prune(np.asarray(W.tolist(), dtype=np.float32), vector=16, permute=False)
    assert A.shape == (16, 8)


def test_matrix_cannot_be_constructed_directly():
    with pytest.raises(TypeError):
        hinm.Matrix()
