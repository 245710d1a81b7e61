"""Bad input to hinm.prune: each a clear TypeError/ValueError (hinm.Error)."""

from __future__ import annotations

import numpy as np
import pytest

import hinm
from conftest import fp16_exact


@pytest.fixture
def W(rng):
    return fp16_exact(rng, (64, 64))


@pytest.mark.parametrize("dtype", [np.float64, np.int32, np.uint8, np.complex64, bool])
def test_wrong_dtype(W, dtype):
    with pytest.raises(TypeError) as e:
        hinm.prune(W.astype(dtype), vector=16)
    assert isinstance(e.value, hinm.Error) and isinstance(e.value, RuntimeError)
    assert e.value.status == "HINM_STATUS_INVALID_DTYPE"
    assert "float16 or float32" in str(e.value)


@pytest.mark.parametrize("shape", [(64,), (2, 32, 64), ()])
def test_wrong_ndim(rng, shape):
    with pytest.raises(ValueError, match="2-D"):
        hinm.prune(np.ones(shape, np.float32), vector=16)


@pytest.mark.parametrize("shape", [(0, 64), (64, 0)])
def test_empty_weights(shape):
    with pytest.raises(ValueError) as e:
        hinm.prune(np.ones(shape, np.float32), vector=16)
    assert e.value.status == "HINM_STATUS_INVALID_VALUE"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_weights(W, bad):
    W = W.copy()
    W[3, 5] = bad
    with pytest.raises(ValueError) as e:
        hinm.prune(W, vector=16)
    assert e.value.status == "HINM_STATUS_INVALID_VALUE"
    assert "hinmCreateDescriptor" in e.value.message  # the C API's message


@pytest.mark.parametrize("sparsity", [0.3, 0.49, 1.0, 1.5, -0.25, float("nan"), "0.75"])
def test_bad_sparsity(W, sparsity):
    with pytest.raises(ValueError, match="sparsity"):
        hinm.prune(W, sparsity=sparsity, vector=16)


@pytest.mark.parametrize("vector", [0, 8, 24, 272, 512, -16])
def test_bad_vector(W, vector):
    with pytest.raises(ValueError) as e:
        hinm.prune(W, vector=vector)
    assert e.value.status == "HINM_STATUS_INVALID_VALUE"
    assert e.value.message  # the library says what is wrong


@pytest.mark.parametrize("kept", [6, 3, 72, -4, 0])
def test_bad_kept_cols(W, kept):
    with pytest.raises(ValueError):
        hinm.prune(W, vector=16, kept_cols=kept)


def test_bad_saliency(W):
    with pytest.raises(ValueError):
        hinm.prune(W, vector=16, saliency=np.ones((64, 32), np.float32))
    with pytest.raises(TypeError):
        hinm.prune(W, vector=16, saliency=np.ones((64, 64), np.int32))
    neg = np.ones((64, 64), np.float32)
    neg[0, 0] = -1
    with pytest.raises(ValueError) as e:
        hinm.prune(W, vector=16, saliency=neg)
    assert e.value.status == "HINM_STATUS_INVALID_VALUE"
    nan = np.ones((64, 64), np.float32)
    nan[1, 1] = np.nan
    with pytest.raises(ValueError):
        hinm.prune(W, vector=16, saliency=nan)


@pytest.mark.parametrize("permute", ["sideways", "rows", 2])
def test_bad_permute(W, permute):
    with pytest.raises(ValueError, match="permute"):
        hinm.prune(W, vector=16, permute=permute)


def test_bad_permute_algo(W):
    with pytest.raises(ValueError, match="permute_algo"):
        hinm.prune(W, vector=16, permute_algo="fastest")


@pytest.mark.parametrize("dtype", ["int8", "float32", np.float64, "fp8"])
def test_bad_value_dtype(W, dtype):
    with pytest.raises(TypeError):
        hinm.prune(W, vector=16, dtype=dtype)


@pytest.mark.parametrize("seed", [-1, 2**64, 1.5])
def test_bad_seed(W, seed):
    with pytest.raises(ValueError, match="seed"):
        hinm.prune(W, vector=16, seed=seed)


def test_error_hierarchy():
    assert issubclass(hinm.Error, RuntimeError)
    assert issubclass(hinm.InvalidValueError, ValueError)
    assert issubclass(hinm.InvalidValueError, hinm.Error)
    assert issubclass(hinm.InvalidDtypeError, TypeError)
    assert issubclass(hinm.InvalidDtypeError, hinm.Error)
