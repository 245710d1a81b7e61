"""hinm: Hierarchical N:M (HiNM) sparse weights and sparse GEMM.

Prune a dense weight to HiNM (a vector level of V x 1 column vectors per tile
of V rows, then 2:4 on the kept columns), compress it, and multiply it on the
CPU (reference) or on NVIDIA Sparse Tensor Cores::

    import numpy as np, hinm
    W = np.random.randn(1024, 1024).astype(np.float32)
    A = hinm.prune(W, sparsity=0.75, vector=128)
    y = A @ np.random.randn(1024, 16).astype(np.float32)   # CPU reference

A thin layer over the stable C API (libhinm.so, bundled in this package); the
CUDA runtime and cuBLAS are loaded from the system.
"""

from __future__ import annotations


def _load_extension():
    """Import the extension; if the CUDA runtime libhinm.so needs is not on
    the loader's path, preload it from CUDA_HOME / /usr/local/cuda and retry."""
    try:
        from . import _hinm
        return _hinm
    except ImportError as first:
        import ctypes
        import glob
        import os
        roots = [os.environ.get("CUDA_HOME"), os.environ.get("CUDA_PATH"),
                 "/usr/local/cuda"]
        loaded = False
        for root in filter(None, roots):
            for lib in ("libcudart.so*", "libcublasLt.so*", "libcublas.so*"):
                for path in sorted(glob.glob(os.path.join(root, "lib64", lib))):
                    try:
                        ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL)
                        loaded = True
                        break
                    except OSError:
                        continue
        if not loaded:
            raise first
        from . import _hinm
        return _hinm


_hinm = _load_extension()

from ._errors import Error, InvalidDtypeError, InvalidValueError  # noqa: E402
from ._gpu import dense_gemm  # noqa: E402
from ._handle import autotune, has_gpu, set_autotune  # noqa: E402
from ._matrix import Matrix, TunedPlan, from_bytes, load, prune  # noqa: E402

#: Version of the hinm C API header this package was built against (the one
#: place the version is defined: HINM_VERSION_* in hinm.h).
__version__: str = _hinm.__version__


def library_version() -> str:
    """Version of the libhinm.so actually loaded, "MAJOR.MINOR.PATCH"."""
    v = _hinm.library_version()
    return f"{v // 10000}.{v // 100 % 100}.{v % 100}"


__all__ = [
    "Error", "InvalidDtypeError", "InvalidValueError", "Matrix", "TunedPlan",
    "autotune", "dense_gemm", "from_bytes", "has_gpu", "library_version", "load",
    "prune", "set_autotune", "__version__",
]
