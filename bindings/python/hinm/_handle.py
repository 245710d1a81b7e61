"""One hinm library handle per Python thread (the C API's threading rule)."""

from __future__ import annotations

import threading

from . import _hinm

_local = threading.local()


def handle() -> _hinm.Handle:
    """The calling thread's handle, created on first use."""
    h = getattr(_local, "handle", None)
    if h is None:
        h = _local.handle = _hinm.Handle()
    return h


def has_gpu() -> bool:
    """True if a CUDA device usable by hinm is present."""
    return handle().has_device()
