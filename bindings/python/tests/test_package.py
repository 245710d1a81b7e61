"""Package-level behaviour: version, GPU query, threads and the GIL, progress."""

from __future__ import annotations

import os
import re
import signal
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import hinm
from conftest import SOURCE_ROOT, expect_installed, fp16_exact


def test_version_is_the_headers():
    header = SOURCE_ROOT / "c_api" / "include" / "hinm" / "hinm.h"
    if not header.is_file():
        pytest.skip("source tree not available")
    text = header.read_text()
    parts = [re.search(rf"#define\s+HINM_VERSION_{p}\s+(\d+)", text).group(1)
             for p in ("MAJOR", "MINOR", "PATCH")]
    assert hinm.__version__ == ".".join(parts)
    assert hinm.library_version() == hinm.__version__


def test_installed_package_is_tested():
    pkg = Path(hinm.__file__).resolve().parent
    assert (pkg / "libhinm.so").is_file(), "libhinm.so must be bundled in the package"
    assert (pkg / "py.typed").is_file()
    if expect_installed():
        assert SOURCE_ROOT / "bindings" / "python" not in pkg.parents, \
            f"tests imported the source tree ({pkg}), not the installed wheel"


def test_has_gpu_is_a_bool():
    assert isinstance(hinm.has_gpu(), bool)


def test_threads_share_a_matrix_and_agree(rng):
    W = fp16_exact(rng, (128, 256))
    A = hinm.prune(W, vector=32, permute=False)
    B = rng.standard_normal((256, 32)).astype(np.float32)
    expected = A @ B
    results, errors = [None] * 4, []

    def work(i):
        try:
            mine = hinm.prune(W, vector=32, permute=False)  # per-thread handle
            results[i] = (A @ B, mine.to_dense())
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for C, D in results:
        np.testing.assert_array_equal(C, expected)
        np.testing.assert_array_equal(D, A.to_dense())


def test_gil_is_released_during_prune(rng):
    """Python keeps running in another thread while a prune is in C."""
    W = fp16_exact(rng, (1024, 1024))
    start = time.perf_counter()
    hinm.prune(W, vector=128, permute=False, threads=1)
    single = time.perf_counter() - start
    if single < 0.05:
        pytest.skip(f"prune too fast to observe ({single:.3f} s)")
    inside = threading.Event()
    done = threading.Event()

    def worker():
        inside.set()
        hinm.prune(W, vector=128, permute=False, threads=1)
        done.set()

    t = threading.Thread(target=worker)
    t.start()
    inside.wait()
    ticks = 0
    while not done.is_set():
        ticks += 1
        time.sleep(0.001)
    t.join()
    # With the GIL held for the whole call this loop could not run meanwhile.
    assert ticks >= 5, f"main thread ran {ticks} times during a {single:.2f} s prune"


def test_progress_callback_and_cancel(rng):
    W = fp16_exact(rng, (256, 256))
    seen = []
    hinm.prune(W, vector=64, permute=True, progress=seen.append)
    if not seen:
        pytest.skip("the library reported no progress for this problem")
    assert all(0.0 <= f <= 1.0 for f in seen)
    assert seen == sorted(seen)  # the core reports under one lock, in order
    with pytest.raises(hinm.Error) as e:
        hinm.prune(W, vector=64, permute=True, progress=lambda f: True)
    assert e.value.status == "HINM_STATUS_CANCELLED"

    class Stop(Exception):
        pass

    def boom(f):
        raise Stop("from the callback")

    with pytest.raises(Stop):
        hinm.prune(W, vector=64, permute=True, progress=boom)


def test_ctrl_c_cancels_a_long_prune(rng):
    """SIGINT during a prune stops it early with KeyboardInterrupt (checked
    by the progress bridge while the GIL is released)."""
    if threading.current_thread() is not threading.main_thread():
        pytest.skip("signals reach the main thread only")
    W = fp16_exact(rng, (512, 512))
    t0 = time.perf_counter()
    hinm.prune(W, vector=64, permute=True, seed=0)
    full = time.perf_counter() - t0
    if full < 0.5:
        pytest.skip(f"prune too fast to interrupt ({full:.2f} s)")
    # The interrupt goes out 0.05 s into the second prune (the first took
    # >= 0.5 s). Under load a run can be much faster than the timed one, so
    # when it is over before the signal was even sent, nothing was tested:
    # skip rather than fail (seen once on a busy 2-core CI run).
    fired = []

    def interrupt():
        fired.append(time.perf_counter())
        os.kill(os.getpid(), signal.SIGINT)

    timer = threading.Timer(0.05, interrupt)
    finished = False
    end = None
    start = time.perf_counter()
    try:
        timer.start()
        hinm.prune(W, vector=64, permute=True, seed=0)
        end = time.perf_counter()
        finished = True
        time.sleep(full)  # a late interrupt lands here instead of in pytest
    except KeyboardInterrupt:
        pass
    finally:
        timer.cancel()
    if finished and (not fired or fired[0] >= end):
        pytest.skip("the prune ended before the interrupt was sent")
    assert not finished, "Ctrl-C did not stop the prune"
    assert time.perf_counter() - start < 0.6 * full
