"""Builds the hinm wheel: the pybind11 extension over hinm.h, with libhinm.so
bundled next to it (rpath $ORIGIN), so the wheel needs no source tree.

libhinm.so comes from $HINM_LIB if set (a prebuilt library), else from
`bazel build //c_api:libhinm.so` in the repository. The version is parsed
from hinm.h's HINM_VERSION_* macros, the project's one definition of it.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

from pybind11.setup_helpers import Pybind11Extension
from setuptools import setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent
ROOT = Path(os.environ.get("HINM_SOURCE_ROOT", HERE.parent.parent)).resolve()
HEADER = ROOT / "c_api" / "include" / "hinm" / "hinm.h"


def header_version() -> str:
    text = HEADER.read_text()
    parts = []
    for part in ("MAJOR", "MINOR", "PATCH"):
        match = re.search(rf"#define\s+HINM_VERSION_{part}\s+(\d+)", text)
        if match is None:
            raise SystemExit(f"HINM_VERSION_{part} not found in {HEADER}")
        parts.append(match.group(1))
    return ".".join(parts)


def find_libhinm() -> Path:
    """The libhinm.so to link and bundle."""
    prebuilt = os.environ.get("HINM_LIB")
    if prebuilt:
        path = Path(prebuilt)
        if not path.is_file():
            raise SystemExit(f"HINM_LIB={prebuilt} is not a file")
        return path
    bazel = shutil.which("bazel")
    if bazel is None or not (ROOT / "WORKSPACE").is_file():
        raise SystemExit("libhinm.so: no Bazel workspace at {} (or no bazel); "
                         "run scripts/setup.sh or set HINM_LIB=/path/to/libhinm.so"
                         .format(ROOT))
    subprocess.run([bazel, "build", "//c_api:libhinm.so"], cwd=ROOT, check=True)
    # `bazel info bazel-bin` for the same flags, not the bazel-bin symlink,
    # which follows whichever build ran last in this workspace.
    bin_dir = subprocess.run([bazel, "info", "bazel-bin"], cwd=ROOT, check=True,
                             capture_output=True, text=True).stdout.strip()
    return Path(bin_dir) / "c_api" / "libhinm.so"


class BuildExtWithLibhinm(build_ext):
    """Links the extension against libhinm.so and copies it into the package."""

    def run(self):
        lib = find_libhinm()
        staged = Path(self.build_temp).resolve() / "libhinm"
        staged.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(lib, staged / "libhinm.so")
        for ext in self.extensions:
            ext.library_dirs.append(str(staged))
        super().run()
        package_dir = Path(self.get_ext_fullpath("hinm._hinm")).parent
        shutil.copyfile(staged / "libhinm.so", package_dir / "libhinm.so")


extension = Pybind11Extension(
    "hinm._hinm",
    ["src/hinm_ext.cc"],
    include_dirs=[str(ROOT / "c_api" / "include")],
    libraries=["hinm"],
    # The bundled libhinm.so sits next to the extension.
    extra_link_args=["-Wl,-rpath,$ORIGIN"],
    cxx_std=17,
)

setup(
    version=header_version(),
    packages=["hinm"],
    package_data={"hinm": ["py.typed", "*.pyi", "libhinm.so"]},
    ext_modules=[extension],
    cmdclass={"build_ext": BuildExtWithLibhinm},
    zip_safe=False,
)
