"""Matrix.matmul / @ on numpy arrays (the CPU reference) against a float64
numpy product of to_dense()."""

from __future__ import annotations

import numpy as np
import pytest

import hinm
from conftest import fp16_exact

M, K, N = 96, 128, 24


@pytest.fixture
def mat(rng):
    W = fp16_exact(rng, (M, K))
    return hinm.prune(W, sparsity=0.75, vector=32, permute=False)


def assert_close(got, ref, bound, dtype):
    """|got - ref| within fp32-accumulation error (+ output rounding)."""
    got = np.asarray(got, dtype=np.float64)
    rel = 1e-5 if dtype == np.float32 else 1e-3  # fp16 output: 2^-11 rounding
    tol = rel * np.abs(ref) + 1e-5 * bound + 1e-6
    err = np.abs(got - ref)
    assert np.all(err <= tol), f"max error {err.max()} (allowed there {tol.flat[np.argmax(err - tol)]})"


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_feature_major(rng, mat, dtype):
    B = rng.standard_normal((K, N)).astype(dtype)
    D = mat.to_dense().astype(np.float64)
    C = mat.matmul(B)
    assert C.shape == (M, N) and C.dtype == dtype
    assert_close(C, D @ B.astype(np.float64), np.abs(D) @ np.abs(B.astype(np.float64)), dtype)
    np.testing.assert_array_equal(mat @ B, C)


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_token_major(rng, mat, dtype):
    X = rng.standard_normal((N, K)).astype(dtype)  # tokens x features
    D = mat.to_dense().astype(np.float64)
    Y = mat.matmul(X, layout="token")
    assert Y.shape == (N, M) and Y.dtype == dtype
    ref = X.astype(np.float64) @ D.T
    assert_close(Y, ref, np.abs(X.astype(np.float64)) @ np.abs(D.T), dtype)


@pytest.mark.parametrize("layout", ["feature", "token"])
def test_alpha_beta_bias_out(rng, mat, layout):
    B = rng.standard_normal((K, N) if layout == "feature" else (N, K)).astype(np.float32)
    C0 = rng.standard_normal((M, N) if layout == "feature" else (N, M)).astype(np.float32)
    bias = rng.standard_normal(M).astype(np.float32)
    D = mat.to_dense().astype(np.float64)
    prod = D @ B.astype(np.float64) if layout == "feature" else B.astype(np.float64) @ D.T
    b = bias[:, None] if layout == "feature" else bias[None, :]
    ref = 0.5 * prod + (-2.0) * C0 + b
    out = C0.copy()
    got = mat.matmul(B, layout=layout, alpha=0.5, beta=-2.0, out=out, bias=bias)
    assert got is out
    bound = 0.5 * (np.abs(D) @ np.abs(B.astype(np.float64)) if layout == "feature"
                   else np.abs(B.astype(np.float64)) @ np.abs(D.T)) + 2 * np.abs(C0) + np.abs(b)
    assert_close(out, ref, bound, np.float32)


def test_bias_alone(rng, mat):
    B = rng.standard_normal((K, N)).astype(np.float16)
    bias = rng.standard_normal(M).astype(np.float16)
    D = mat.to_dense().astype(np.float64)
    ref = D @ B.astype(np.float64) + bias.astype(np.float64)[:, None]
    got = mat.matmul(B, bias=bias)
    assert_close(got, ref, np.abs(D) @ np.abs(B.astype(np.float64)) + 1, np.float16)


@pytest.mark.parametrize("layout", ["feature", "token"])
def test_permuted_rows(rng, layout):
    W = fp16_exact(rng, (M, K))
    A = hinm.prune(W, vector=32, permute="output", seed=5)
    perm = A.row_permutation
    B = rng.standard_normal((K, N) if layout == "feature" else (N, K)).astype(np.float32)
    C = A.matmul(B, layout=layout)
    Cp = A.matmul(B, layout=layout, rows="permuted")
    if layout == "feature":
        np.testing.assert_allclose(Cp, C[perm], rtol=1e-6, atol=1e-6)
    else:
        np.testing.assert_allclose(Cp, C[:, perm], rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("layout", ["feature", "token"])
def test_vector_input(rng, mat, layout):
    x = rng.standard_normal(K).astype(np.float32)
    y = mat.matmul(x, layout=layout)
    assert y.shape == (M,)
    D = mat.to_dense().astype(np.float64)
    assert_close(y, D @ x.astype(np.float64), np.abs(D) @ np.abs(x.astype(np.float64)), np.float32)
    assert np.array_equal(mat @ x, y)


@pytest.mark.parametrize("layout", ["feature", "token"])
def test_vector_with_strided_out(rng, mat, layout):
    x = rng.standard_normal(K).astype(np.float32)
    ref = mat.matmul(x, layout=layout)
    buf = np.full(2 * M, 5.0, np.float32)
    out = buf[::2]
    assert mat.matmul(x, layout=layout, out=out) is out
    np.testing.assert_array_equal(buf[::2], ref)
    assert (buf[1::2] == 5).all()


def test_strided_inputs_and_outputs(rng, mat):
    big = rng.standard_normal((K, 2 * N)).astype(np.float32)
    B = big[:, ::2]  # strided columns: copied for the call
    ref = mat.matmul(np.ascontiguousarray(B))
    np.testing.assert_array_equal(mat.matmul(B), ref)
    Bf = np.asfortranarray(B)
    np.testing.assert_array_equal(mat.matmul(Bf), ref)
    # out with strided columns is written in place.
    out_big = np.zeros((M, 2 * N), np.float32)
    out = out_big[:, 1::2]
    assert mat.matmul(B, out=out) is out
    np.testing.assert_array_equal(out_big[:, 1::2], ref)
    assert not out_big[:, ::2].any()
    # out with a larger leading dimension (row slice view) needs no copy.
    out_big2 = np.full((M, N + 8), 7.0, np.float32)
    view = out_big2[:, 4:4 + N]
    mat.matmul(B, out=view)
    np.testing.assert_array_equal(view, ref)
    assert (out_big2[:, :4] == 7).all() and (out_big2[:, 4 + N:] == 7).all()


def test_empty_batch(mat):
    C = mat.matmul(np.zeros((K, 0), np.float32))
    assert C.shape == (M, 0)
    Y = mat.matmul(np.zeros((0, K), np.float16), layout="token")
    assert Y.shape == (0, M) and Y.dtype == np.float16


@pytest.mark.parametrize("layout", ["feature", "token"])
def test_search_is_ignored_on_the_host(rng, mat, layout):
    """search=True has nothing to tune on the CPU: the same C, bit for bit."""
    B = rng.standard_normal((K, N) if layout == "feature" else (N, K)).astype(np.float16)
    C0 = rng.standard_normal((M, N) if layout == "feature" else (N, M)).astype(np.float16)
    bias = rng.standard_normal(M).astype(np.float16)
    plain = mat.matmul(B, layout=layout, alpha=0.5, beta=2.0, out=C0.copy(), bias=bias)
    out = C0.copy()
    got = mat.matmul(B, layout=layout, alpha=0.5, beta=2.0, out=out, bias=bias, search=True)
    assert got is out
    np.testing.assert_array_equal(got, plain)
    np.testing.assert_array_equal(mat.matmul(B, layout=layout, search=np.True_),
                                  mat.matmul(B, layout=layout))


def test_bfloat16_matrix_with_float32_activations(rng):
    W = rng.standard_normal((64, 64)).astype(np.float32)
    A = hinm.prune(W, vector=32, permute=False, dtype="bfloat16")
    B = rng.standard_normal((64, 8)).astype(np.float32)
    D = A.to_dense().astype(np.float64)
    assert_close(A @ B, D @ B, np.abs(D) @ np.abs(B), np.float32)


class TestMatmulErrors:
    def test_wrong_k(self, mat):
        with pytest.raises(ValueError, match="K = 128"):
            mat.matmul(np.zeros((K + 4, N), np.float32))
        with pytest.raises(ValueError):
            mat.matmul(np.zeros((N, K - 1), np.float32), layout="token")

    @pytest.mark.parametrize("dtype", [np.float64, np.int32, np.int8, np.complex64, bool])
    def test_wrong_dtype(self, mat, dtype):
        with pytest.raises(TypeError) as e:
            mat.matmul(np.zeros((K, N), dtype))
        assert isinstance(e.value, hinm.Error)
        assert e.value.status == "HINM_STATUS_INVALID_DTYPE"

    def test_wrong_ndim(self, mat):
        with pytest.raises(ValueError):
            mat.matmul(np.zeros((2, K, N), np.float32))
        with pytest.raises(ValueError):
            mat.matmul(np.float32(1.0))

    def test_bad_out(self, mat):
        B = np.zeros((K, N), np.float32)
        with pytest.raises(ValueError):
            mat.matmul(B, out=np.zeros((M, N + 1), np.float32))
        with pytest.raises(TypeError):
            mat.matmul(B, out=np.zeros((M, N), np.float16))
        ro = np.zeros((M, N), np.float32)
        ro.flags.writeable = False
        with pytest.raises(ValueError):
            mat.matmul(B, out=ro)

    def test_beta_needs_out(self, mat):
        with pytest.raises(ValueError, match="beta"):
            mat.matmul(np.zeros((K, N), np.float32), beta=1.0)

    def test_bad_bias(self, mat):
        B = np.zeros((K, N), np.float32)
        with pytest.raises(ValueError):
            mat.matmul(B, bias=np.zeros(M + 1, np.float32))
        with pytest.raises(TypeError):
            mat.matmul(B, bias=np.zeros(M, np.float16))

    def test_bad_layout_and_rows(self, mat):
        B = np.zeros((K, N), np.float32)
        with pytest.raises(ValueError, match="layout"):
            mat.matmul(B, layout="column")
        with pytest.raises(ValueError, match="rows"):
            mat.matmul(B, rows="sorted")

    @pytest.mark.parametrize("search", [1, 0, "yes", None, 1.0])
    def test_search_must_be_a_bool(self, mat, search):
        with pytest.raises(ValueError, match="search must be a bool") as e:
            mat.matmul(np.zeros((K, N), np.float32), search=search)
        assert isinstance(e.value, hinm.Error)
        assert e.value.status == "HINM_STATUS_INVALID_VALUE"

    def test_search_is_keyword_only(self, mat):
        with pytest.raises(TypeError):
            mat.matmul(np.zeros((K, N), np.float32), "feature", 1.0, 0.0, None, None,
                       "original", True)


def test_fold_input_permutation_chains_layers(rng):
    """Layer 1 writes its output in its 2CP row order; layer 2, folded with
    that order, gives what layer 2 gives on the output in original order."""
    D, H = 64, 128
    W1 = hinm.prune(fp16_exact(rng, (H, D)), sparsity=0.75, vector=32, permute=True)
    W2 = hinm.prune(fp16_exact(rng, (D, H)), sparsity=0.75, vector=32, permute=True)
    perm = W1.row_permutation
    assert not np.array_equal(perm, np.arange(H))  # 2CP did permute
    X = fp16_exact(rng, (D, 16))
    h_orig = W1.matmul(X)                   # rows in channel order
    h_perm = W1.matmul(X, rows="permuted")  # row p = channel perm[p]
    np.testing.assert_array_equal(h_perm, h_orig[perm])
    folded = W2.fold_input_permutation(perm)
    assert folded.shape == W2.shape and folded.kept_cols == W2.kept_cols
    np.testing.assert_array_equal(folded.to_dense()[:, np.argsort(perm)], W2.to_dense())
    y_ref = W2.to_dense().astype(np.float64) @ h_orig.astype(np.float64)
    assert_close(folded.matmul(h_perm), y_ref, np.abs(y_ref).max(), np.float32)
    assert_close(W2.matmul(h_orig), y_ref, np.abs(y_ref).max(), np.float32)


@pytest.mark.parametrize("perm, why", [
    (np.arange(127), "entries"),
    (np.arange(128).reshape(2, 64), "1-D"),
    (np.arange(128, dtype=np.float32), "1-D integers"),
    (np.arange(1, 129), r"\[0, 128\)"),
    (np.zeros(128, dtype=np.int64), None),  # repeated: the C API's check
])
def test_fold_input_permutation_rejects_bad_perm(rng, perm, why):
    W = hinm.prune(fp16_exact(rng, (32, 128)), sparsity=0.75, vector=32, permute=False)
    with pytest.raises(ValueError, match=why):
        W.fold_input_permutation(perm)
