"""Shared helpers: an independent numpy HiNM pruning (the reference the
bindings are checked against) and small matrix factories."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

import hinm


def _source_root() -> Path:
    """The repository (tests live in bindings/python/tests)."""
    if os.environ.get("HINM_SOURCE_ROOT"):
        return Path(os.environ["HINM_SOURCE_ROOT"])
    here = Path(__file__).resolve()
    return here.parents[3] if len(here.parents) > 3 else here.parent


SOURCE_ROOT = _source_root()


def fp16_exact(rng: np.random.Generator, shape, dtype=np.float32) -> np.ndarray:
    """Random normal values that are exactly representable in float16, so the
    library's |W| saliency is the same whichever precision it reads."""
    return rng.standard_normal(shape).astype(np.float16).astype(dtype)


def round_bf16(x: np.ndarray) -> np.ndarray:
    """float32 -> bfloat16 (round to nearest even) -> float32, by bits."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32).astype(np.uint64)
    u = (u + 0x7FFF + ((u >> 16) & 1)) >> 16 << 16
    return u.astype(np.uint32).view(np.float32)


def reference_prune(W: np.ndarray, V: int, k_keep: int, tile_orders: np.ndarray,
                    saliency: np.ndarray | None = None,
                    row_perm: np.ndarray | None = None) -> np.ndarray:
    """HiNM pruning in plain numpy, for a given tile composition (row_perm)
    and the library's order of each tile's kept columns (tile_orders, whose
    *set* the caller checks separately against top_k_columns).

    Level 2: in every row, each group of 4 consecutive slots keeps its 2
    largest-saliency entries, ties to the lower slot. Returns the pruned
    float64 matrix in original row order."""
    M, K = W.shape
    S = np.abs(W.astype(np.float64)) if saliency is None else saliency.astype(np.float64)
    perm = np.arange(M) if row_perm is None else row_perm
    out = np.zeros((M, K))
    for t in range(-(-M // V)):
        cols = tile_orders[t]
        for r in perm[t * V:(t + 1) * V]:
            for g in range(0, k_keep, 4):
                group = cols[g:g + 4]
                real = group[group >= 0]
                s = S[r, real]
                keep = real[np.argsort(-s, kind="stable")[:2]]
                out[r, keep] = W[r, keep]
    return out


def top_k_columns(S: np.ndarray, rows: np.ndarray, k_keep: int) -> set:
    """The k_keep columns with the largest summed saliency over `rows`,
    ties to the lower column."""
    score = S[rows].astype(np.float64).sum(axis=0)
    return set(np.argsort(-score, kind="stable")[:k_keep].tolist())


def check_hinm_invariants(A: hinm.Matrix, W: np.ndarray, saliency=None,
                          top_k_set: bool = True) -> None:
    """What every HiNM matrix must satisfy, permuted or not. With top_k_set
    False (2CP's default algorithm with the input axis on, which may exchange
    kept and dropped columns; docs/permutation.md) level 1 is only checked to
    keep K_keep distinct columns."""
    M, K = W.shape
    V, k_keep = A.tile_rows, A.kept_cols
    assert A.shape == (M, K)
    perm = A.row_permutation
    assert perm.dtype == np.int32 and perm.shape == (M,)
    assert np.array_equal(np.sort(perm), np.arange(M))
    ci = A.column_indices
    assert ci.dtype == np.int32 and ci.shape == (A.num_tiles, k_keep)
    D = A.to_dense()
    assert D.dtype == np.float32 and D.shape == (M, K)
    W16 = W.astype(np.float16).astype(np.float32) if A.dtype == "float16" else round_bf16(W)
    nz = D != 0
    np.testing.assert_array_equal(D[nz], W16[nz])  # kept values are W's, rounded
    S = np.abs(W) if saliency is None else saliency
    for t in range(A.num_tiles):
        rows = perm[t * V:(t + 1) * V]
        cols = ci[t]
        real = cols[cols >= 0]
        assert len(set(real.tolist())) == len(real), "a column kept twice in a tile"
        assert np.all((real >= 0) & (real < K))
        outside = np.ones(K, bool)
        outside[real] = False
        assert not nz[np.ix_(rows, outside)].any(), f"tile {t}: weight outside kept columns"
        # Level 1 picks the top-K_keep columns of the tile's rows.
        if k_keep <= K:
            if top_k_set:
                assert set(real.tolist()) == top_k_columns(S, rows, k_keep)
            else:
                assert len(real) == k_keep
        # Level 2: at most 2 of every 4 consecutive slots, the 2 most salient.
        for g in range(0, k_keep, 4):
            group = cols[g:g + 4]
            group = group[group >= 0]
            kept = nz[np.ix_(rows, group)]
            assert (kept.sum(axis=1) <= 2).all()
    # ... and they are the 2 most salient of each group (independent pruning
    # with the library's tile composition and kept-column order).
    R = reference_prune(W, V, k_keep, ci, saliency, perm)
    np.testing.assert_array_equal(nz, R != 0)
    expected_nnz_max = M * k_keep // 2
    assert nz.sum() <= expected_nnz_max
    if k_keep <= K and np.all(W != 0):
        assert nz.sum() == expected_nnz_max
    np.testing.assert_allclose(A.sparsity, 1 - expected_nnz_max / (M * K), rtol=1e-12)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


def import_optional(name: str):
    """Import a GPU framework or skip: a broken install (e.g. torch without
    its CUDA libraries) raises OSError, not ImportError."""
    try:
        return __import__(name)
    except Exception as e:  # noqa: BLE001 - any failure means "not usable here"
        pytest.skip(f"{name} not usable: {type(e).__name__}: {e}")


def expect_installed() -> bool:
    return os.environ.get("HINM_EXPECT_INSTALLED") == "1"


class FakeCudaArray:
    """Exposes only __cuda_array_interface__ with a made-up device address
    (the GPU argument plumbing, checked without a GPU)."""

    def __init__(self, shape, typestr="<f2", ptr=0x7F0000000000, strides=None, stream=None):
        self.__cuda_array_interface__ = {
            "shape": shape, "typestr": typestr, "data": (ptr, False),
            "strides": strides, "version": 3, "stream": stream}


@pytest.fixture
def autotune_on():
    """hinm.set_autotune(True) for one test, off again afterwards whatever
    happens (the switch is process-wide)."""
    hinm.set_autotune(True)
    try:
        yield
    finally:
        hinm.set_autotune(False)
