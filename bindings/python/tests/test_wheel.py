"""The wheel installs into a fresh virtual environment and works there,
without the source tree (offline: no index is used)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import hinm
from conftest import SOURCE_ROOT

CHECK = r"""
import os, sys
import numpy as np
import hinm
pkg = os.path.dirname(hinm.__file__)
assert pkg.startswith(sys.prefix), (pkg, sys.prefix)
W = np.random.default_rng(0).standard_normal((64, 64)).astype(np.float32)
A = hinm.prune(W, sparsity=0.75, vector=32, permute=True)
B = np.random.default_rng(1).standard_normal((64, 8)).astype(np.float32)
ref = A.to_dense().astype(np.float64) @ B
assert np.allclose(A @ B, ref, rtol=1e-4, atol=1e-4)
print("OK", hinm.__version__, pkg)
"""


def _wheel(tmp_path: Path) -> Path:
    """The wheel run_tests.sh built, else one built now from the source tree
    with the installed package's libhinm.so (HINM_LIB: no Bazel needed)."""
    given = os.environ.get("HINM_WHEEL")
    if given:
        return Path(given)
    setup_py = SOURCE_ROOT / "bindings" / "python" / "setup.py"
    if not setup_py.is_file():
        pytest.skip("no HINM_WHEEL and no source tree to build one")
    pytest.importorskip("setuptools")
    pytest.importorskip("pybind11")
    lib = Path(hinm.__file__).parent / "libhinm.so"
    env = dict(os.environ, HINM_LIB=str(lib))
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-build-isolation",
                    "--no-deps", "--no-index", "-q", "-w", str(tmp_path / "dist"),
                    str(setup_py.parent)], check=True, env=env)
    (wheel,) = (tmp_path / "dist").glob("hinm-*.whl")
    return wheel


def test_wheel_contents(tmp_path):
    wheel = _wheel(tmp_path)
    assert wheel.name.startswith(f"hinm-{hinm.__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    for required in ("hinm/__init__.py", "hinm/libhinm.so", "hinm/py.typed",
                     "hinm/_hinm.pyi"):
        assert required in names, required
    assert any(n.startswith("hinm/_hinm") and n.endswith(".so") for n in names)
    if shutil.which("readelf"):
        ext = next(n for n in names if n.startswith("hinm/_hinm") and n.endswith(".so"))
        zipfile.ZipFile(wheel).extract(ext, tmp_path / "x")
        dyn = subprocess.run(["readelf", "-d", str(tmp_path / "x" / ext)],
                             capture_output=True, text=True, check=True).stdout
        assert "$ORIGIN" in dyn, "the extension must find libhinm.so beside it"
        assert "libhinm.so" in dyn


def _share_numpy(py, env):
    """Makes this interpreter's numpy visible in the venv when
    --system-site-packages does not (numpy in a user site or a parent venv).
    A .pth line is appended after the venv's own site-packages, so the wheel
    installed there still wins over anything beside numpy."""
    probe = subprocess.run([str(py), "-c", "import numpy"], env=env, capture_output=True)
    if probe.returncode == 0:
        return
    import numpy
    purelib = subprocess.run([str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             env=env, capture_output=True, text=True, check=True).stdout.strip()
    Path(purelib, "host_numpy.pth").write_text(
        os.path.dirname(os.path.dirname(numpy.__file__)) + "\n")


def test_wheel_installs_in_fresh_venv(tmp_path):
    wheel = _wheel(tmp_path)
    venv = tmp_path / "venv"
    # --system-site-packages: numpy comes from this interpreter (offline).
    try:
        import ensurepip  # noqa: F401 - Debian/Ubuntu may ship Python without it
        with_pip = True
    except ImportError:
        with_pip = False
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages",
                    *([] if with_pip else ["--without-pip"]), str(venv)], check=True)
    py = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    _share_numpy(py, env)
    pip = [str(py), "-m", "pip"] if with_pip else [sys.executable, "-m", "pip",
                                                    "--python", str(py)]
    subprocess.run([*pip, "install", "--no-index", "--no-deps", "-q",
                    "--disable-pip-version-check", str(wheel)], check=True)
    run = subprocess.run([str(py), "-c", CHECK], cwd=tmp_path, env=env,
                         capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith(f"OK {hinm.__version__} {venv}")
