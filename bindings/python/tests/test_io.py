"""save/load, to_bytes/from_bytes and pickling round trips, and bad files."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

import hinm
from conftest import fp16_exact

PROPS = ["shape", "tile_rows", "kept_cols", "num_tiles", "sparsity", "vector_sparsity",
         "retained_saliency", "nbytes", "dense_nbytes", "compression_ratio", "dtype",
         "has_row_permutation", "has_column_permutation"]


@pytest.fixture(params=["float16", "bfloat16"])
def mat(rng, request):
    W = fp16_exact(rng, (80, 96))
    return hinm.prune(W, sparsity=0.75, vector=32, permute=True, seed=2,
                      dtype=request.param)


def assert_same(a: hinm.Matrix, b: hinm.Matrix, rng) -> None:
    for p in PROPS:
        assert getattr(a, p) == getattr(b, p), p
    np.testing.assert_array_equal(a.to_dense(), b.to_dense())
    np.testing.assert_array_equal(a.row_permutation, b.row_permutation)
    np.testing.assert_array_equal(a.column_indices, b.column_indices)
    B = rng.standard_normal((a.shape[1], 5)).astype(np.float32)
    np.testing.assert_array_equal(a @ B, b @ B)


def test_save_load(tmp_path, mat, rng):
    path = tmp_path / "w.hinm"
    mat.save(path)
    assert path.stat().st_size > 0
    assert_same(mat, hinm.load(path), rng)
    assert_same(mat, hinm.load(str(path)), rng)


def test_bytes_round_trip(mat, rng):
    data = mat.to_bytes()
    assert isinstance(data, bytes)
    assert_same(mat, hinm.from_bytes(data), rng)
    assert hinm.from_bytes(bytearray(data)).shape == mat.shape


def test_file_and_bytes_are_the_same_format(tmp_path, mat):
    path = tmp_path / "w.hinm"
    mat.save(path)
    assert path.read_bytes() == mat.to_bytes()


def test_pickle(mat, rng):
    for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
        back = pickle.loads(pickle.dumps({"w": [mat]}, protocol=protocol))["w"][0]
        assert isinstance(back, hinm.Matrix)
        assert_same(mat, back, rng)


def test_load_missing_file(tmp_path):
    with pytest.raises(hinm.Error) as e:
        hinm.load(tmp_path / "nope.hinm")
    assert e.value.status == "HINM_STATUS_IO_ERROR"
    assert "nope.hinm" in str(e.value) or str(e.value)


def test_save_to_missing_directory(tmp_path, mat):
    with pytest.raises(hinm.Error) as e:
        mat.save(tmp_path / "no" / "such" / "dir" / "w.hinm")
    assert e.value.status == "HINM_STATUS_IO_ERROR"


def test_truncated_file(tmp_path, mat):
    data = mat.to_bytes()
    for cut in (0, 4, len(data) // 2, len(data) - 1):
        path = tmp_path / f"cut{cut}.hinm"
        path.write_bytes(data[:cut])
        with pytest.raises(hinm.Error) as e:
            hinm.load(path)
        assert e.value.status == "HINM_STATUS_CORRUPT_FILE", (cut, e.value)


def test_flipped_byte_is_detected(tmp_path, mat):
    data = bytearray(mat.to_bytes())
    # A byte in the middle (payload) and one near the end: checksums catch both.
    for pos in (len(data) // 2, len(data) - 9):
        bad = bytearray(data)
        bad[pos] ^= 0x5A
        path = tmp_path / f"flip{pos}.hinm"
        path.write_bytes(bytes(bad))
        with pytest.raises(hinm.Error) as e:
            hinm.load(path)
        assert e.value.status in ("HINM_STATUS_CORRUPT_FILE",
                                  "HINM_STATUS_VERSION_MISMATCH"), e.value


def test_garbage_bytes():
    with pytest.raises(hinm.Error) as e:
        hinm.from_bytes(b"not a hinm matrix at all" * 10)
    assert e.value.status == "HINM_STATUS_CORRUPT_FILE"
    with pytest.raises(hinm.Error):
        hinm.from_bytes(b"")


def test_error_pickles():
    err = hinm.InvalidValueError("bad", "HINM_STATUS_INVALID_VALUE", 2)
    back = pickle.loads(pickle.dumps(err))
    assert type(back) is hinm.InvalidValueError
    assert (back.message, back.status, back.code) == ("bad", "HINM_STATUS_INVALID_VALUE", 2)
