"""One hinm library handle per Python thread (the C API's threading rule),
and the process-wide autotuning switch every thread's handle follows."""

from __future__ import annotations

import threading

import numpy as np

from . import _hinm
from ._errors import invalid_value

_local = threading.local()

# hinm.set_autotune's value. The C API keeps the switch per handle, and a
# handle belongs to its thread, so the setter only writes this flag: each
# thread's handle() applies it to its own handle before the next call.
_autotune = False


def handle() -> _hinm.Handle:
    """The calling thread's handle, created on first use, with the process's
    autotuning setting applied."""
    local = _local
    h = getattr(local, "handle", None)
    if h is None:
        h = local.handle = _hinm.Handle()
        local.autotune = False  # hinmCreate's default
    on = _autotune
    if local.autotune != on:
        h.set_autotune(int(on))
        local.autotune = on
    return h


def handle_autotune() -> bool:
    """The setting the calling thread's handle has (as of its last
    handle() call): what its next hinmSpMM acts on."""
    return getattr(_local, "autotune", False)


def has_gpu() -> bool:
    """True if a CUDA device usable by hinm is present."""
    return handle().has_device()


def set_autotune(on: bool) -> None:
    """Turns autotuning on or off for every thread (off at import).

    On, a GPU ``matmul`` that meets a problem (GPU model, N, layout) its
    matrix holds no tuned plan for runs ``matmul(..., search=True)``'s search
    itself, outside a CUDA graph capture, and stores the fastest plan; later
    calls of that problem run it (``hinmSetAutotune``). That first call is
    synchronous and a few ms longer. Inside a capture an untuned problem runs
    the planner's plan and nothing is timed. Like
    ``torch.backends.cudnn.benchmark``. CPU products are unaffected.

    Args:
      on: True or False (anything else: ValueError, as for ``search=``).
    """
    global _autotune
    if not isinstance(on, (bool, np.bool_)):
        raise invalid_value(f"set_autotune: on must be a bool, got {on!r}")
    _autotune = bool(on)


def autotune() -> bool:
    """Whether autotuning is on (see :func:`set_autotune`)."""
    return _autotune
