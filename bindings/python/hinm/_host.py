"""Checks on host (numpy) arrays before they reach the C API.

The C API sees pointers and leading dimensions only, so shapes, ranks and
dtypes have to be checked here; each failure is a hinm.InvalidValueError
(a ValueError) or hinm.InvalidDtypeError (a TypeError).
"""

from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from . import _hinm
from ._errors import invalid_dtype, invalid_value

# numpy dtypes the C API takes for host matrices (numpy has no bfloat16).
HOST_TYPES = {np.dtype(np.float16): _hinm.R_16F, np.dtype(np.float32): _hinm.R_32F}


def is_device_array(x: Any) -> bool:
    """True for GPU arrays (CUDA array interface, CUDA DLPack, CUDA torch)."""
    if hasattr(x, "__cuda_array_interface__"):
        return True
    is_cuda = getattr(x, "is_cuda", None)  # torch tensors
    if isinstance(is_cuda, bool):
        return is_cuda
    dl_device = getattr(x, "__dlpack_device__", None)
    if dl_device is not None and not isinstance(x, np.ndarray):
        try:
            return dl_device()[0] in (2, 13)  # kDLCUDA, kDLCUDAManaged
        except Exception:
            return False
    return False


def host_array(name: str, x: Any, ndims: Tuple[int, ...] = (2,)) -> np.ndarray:
    """`x` as a numpy array of an accepted dtype and rank (no copy if possible)."""
    if is_device_array(x):
        raise invalid_dtype(f"{name}: a GPU array is not accepted here; pass a "
                            "host (numpy) array")
    a = np.asarray(x)
    if a.dtype not in HOST_TYPES:
        raise invalid_dtype(f"{name}: dtype {a.dtype} is not accepted; use "
                            "numpy float16 or float32")
    if a.ndim not in ndims:
        want = " or ".join(f"{d}-D" for d in ndims)
        raise invalid_value(f"{name} must be {want}, got shape {a.shape}")
    return a


def leading_dim(a: np.ndarray) -> Optional[int]:
    """Row stride in elements of a 2-D array whose rows are contiguous, or
    None when the rows themselves are strided (then a copy is needed)."""
    rows, cols = a.shape
    if a.flags.c_contiguous:
        return cols
    item = a.itemsize
    s0, s1 = a.strides
    if cols > 1 and s1 != item:
        return None
    if rows <= 1:
        return cols
    if s0 <= 0 or s0 % item != 0 or s0 // item < cols:
        return None
    return s0 // item


def row_major(a: np.ndarray) -> Tuple[np.ndarray, int]:
    """(array, leading dimension) for a 2-D input, copying only if needed."""
    ld = leading_dim(a)
    if ld is None:
        a = np.ascontiguousarray(a)
        ld = a.shape[1]
    return a, ld
