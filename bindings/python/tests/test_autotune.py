"""hinm.set_autotune / hinm.autotune: one process-wide switch that every
thread's library handle follows (hinmSetAutotune), checked on any machine.
What it does on a GPU is test_gpu.py's test_torch_autotune_*."""

from __future__ import annotations

import threading

import numpy as np
import pytest

import hinm
from conftest import FakeCudaArray, fp16_exact
from hinm import _gpu, _handle, _hinm

GPU = hinm.has_gpu()
needs_no_gpu = pytest.mark.skipif(GPU, reason="fake device pointers: only without a GPU")


def _on_new_thread(fn):
    """fn() on a new thread (so with a new library handle); its result."""
    result, errors = [], []

    def run():
        try:
            result.append(fn())
        except BaseException as e:  # noqa: BLE001 - re-raised below
            errors.append(e)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if errors:
        raise errors[0]
    return result[0]


def _thread_handle_autotune() -> bool:
    """What the calling thread's handle says (hinmGetAutotune)."""
    return _handle.handle().get_autotune()


# ------------------------------------------------------------ the switch

def test_off_by_default():
    assert hinm.autotune() is False
    assert _thread_handle_autotune() is False
    assert _on_new_thread(_thread_handle_autotune) is False
    assert _hinm.Handle().get_autotune() is False  # hinmCreate's default


def test_every_threads_handle_follows_the_switch():
    """A thread whose handle exists before the switch changes, one made
    after, and this one: each handle reports the process's setting at its
    next use, on and then off again."""
    made, go = threading.Event(), threading.Event()
    seen = {}

    def old_thread():
        seen["before"] = _thread_handle_autotune()  # handle made while off
        made.set()
        go.wait(30)
        seen["after"] = _thread_handle_autotune()

    t = threading.Thread(target=old_thread)
    t.start()
    try:
        assert made.wait(30)
        hinm.set_autotune(True)
        assert hinm.autotune() is True
        assert _thread_handle_autotune() is True
        assert _on_new_thread(_thread_handle_autotune) is True
        go.set()
        t.join()
        assert seen == {"before": False, "after": True}
    finally:
        go.set()
        t.join()
        hinm.set_autotune(False)
    assert hinm.autotune() is False
    assert _thread_handle_autotune() is False
    assert _on_new_thread(_thread_handle_autotune) is False


def test_numpy_bools_are_accepted():
    try:
        hinm.set_autotune(np.True_)
        assert hinm.autotune() is True
        assert _thread_handle_autotune() is True
        hinm.set_autotune(np.False_)
        assert hinm.autotune() is False
        assert _thread_handle_autotune() is False
    finally:
        hinm.set_autotune(False)


@pytest.mark.parametrize("on", [1, 0, "yes", None, 1.0])
def test_set_autotune_wants_a_bool(on):
    """As for matmul's search=: a non-bool is a ValueError (hinm.Error,
    INVALID_VALUE), and the setting is left as it was."""
    with pytest.raises(ValueError, match="on must be a bool") as e:
        hinm.set_autotune(on)
    assert isinstance(e.value, hinm.Error)
    assert e.value.status == "HINM_STATUS_INVALID_VALUE"
    assert hinm.autotune() is False
    assert _thread_handle_autotune() is False


def test_extension_forwards_to_the_c_api():
    """Handle.set_autotune passes `on` through: hinmSetAutotune checks it."""
    h = _hinm.Handle()
    h.set_autotune(1)
    assert h.get_autotune() is True
    with pytest.raises(ValueError) as e:
        h.set_autotune(2)
    assert e.value.status == "HINM_STATUS_INVALID_VALUE"
    assert e.value.message.startswith("hinmSetAutotune:"), e.value.message
    assert h.get_autotune() is True  # unchanged by the refused value
    h.set_autotune(0)
    assert h.get_autotune() is False


def test_cpu_products_are_unaffected(rng, autotune_on):
    """The CPU reference has nothing to tune: the same C, bit for bit, on
    this thread and on a new one, and no plan stored."""
    A = hinm.prune(fp16_exact(rng, (128, 256)), vector=32, permute=True)
    B = rng.standard_normal((256, 8)).astype(np.float32)
    X = rng.standard_normal((8, 256)).astype(np.float16)
    got = (A @ B, A.matmul(X, layout="token"))
    other = _on_new_thread(lambda: (A @ B, A.matmul(X, layout="token")))
    hinm.set_autotune(False)
    expected = (A @ B, A.matmul(X, layout="token"))
    for g, o, e in zip(got, other, expected):
        np.testing.assert_array_equal(g, e)
        np.testing.assert_array_equal(o, e)
    assert A.tuned_plans == []


@needs_no_gpu
def test_gpu_call_without_gpu_still_reports_no_device(rng, autotune_on):
    A = hinm.prune(fp16_exact(rng, (64, 64)), vector=32, permute=False)
    with pytest.raises(hinm.Error) as e:
        A.matmul(FakeCudaArray((64, 8)), out=FakeCudaArray((64, 8), ptr=0x7F0000100000))
    assert e.value.status == "HINM_STATUS_NO_DEVICE"
    assert e.value.message.startswith("hinmSpMM:"), e.value.message


class _RecordingDescriptor:
    """Stands for _hinm.Descriptor in _gpu.spmm: records (n, workspace
    bytes, search) of each spmm_device call."""

    def __init__(self):
        self.calls = []

    def spmm_workspace_size(self, handle, n, b_order, c_order):
        return 4096  # what the plan it would run needs

    def spmm_device(self, *args):
        self.calls.append((args[1], args[14], args[16]))


def test_autotuning_call_gets_no_workspace_of_ours(monkeypatch, autotune_on):
    """The call hinmSpMM may turn into a search (the first of its problem
    outside a capture) gets no workspace from the framework, as search=True
    gets none: one sized for the planner's plan would restrict the search to
    the plans that fit it. Other calls get the one sized for their plan.
    (torch arrays are faked: no GPU is needed for the plumbing.)"""
    real = _gpu.as_device_array

    def as_torch(name, x):
        d = real(name, x)
        d.framework = "torch"
        return d

    capturing = [False]
    monkeypatch.setattr(_gpu, "as_device_array", as_torch)
    monkeypatch.setattr(_gpu, "_empty", lambda ref, shape, dtype=None: FakeCudaArray(
        shape, typestr="|u1", ptr=0x7F0000300000))
    monkeypatch.setattr(_gpu, "_capturing", lambda ref: capturing[0])
    desc = _RecordingDescriptor()
    seen = set()

    def call(n, capture=False, search=False, layout=_hinm.ORDER_FEATURE_MAJOR):
        capturing[0] = capture
        b_shape = (64, n) if layout == _hinm.ORDER_FEATURE_MAJOR else (n, 64)
        _gpu.spmm(desc, {"rows": 64, "cols": 64}, FakeCudaArray(b_shape), layout,
                  1.0, 0.0, FakeCudaArray(b_shape, ptr=0x7F0000100000), None,
                  _hinm.ROWS_ORIGINAL, search, seen)
        return desc.calls[-1]

    assert call(8, capture=True) == (8, 4096, False)  # captured: no search there
    assert call(8) == (8, 0, False)  # the first outside: the library's workspace
    assert call(8) == (8, 4096, False)  # then one sized for the stored plan
    assert call(8, capture=True) == (8, 4096, False)
    assert call(8, layout=_hinm.ORDER_TOKEN_MAJOR) == (8, 0, False)  # another problem
    assert call(16, search=True) == (16, 0, True)  # search=True: none, as always
    assert call(16) == (16, 4096, False)  # ... and it tuned the problem
    hinm.set_autotune(False)
    assert call(32) == (32, 4096, False)  # off: nothing is searched
    hinm.set_autotune(True)
    assert call(32) == (32, 0, False)
    assert call(32) == (32, 4096, False)
