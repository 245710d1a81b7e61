#!/usr/bin/env bash
# The Python GPU tests on the GPU machine (Python 3.12, torch, cupy; no Bazel,
# no network). Two steps:
#
#   here (Bazel machine):  bash bindings/python/device_test.sh prepare
#       builds //c_api:libhinm.so and copies it, with pytest's wheels for an
#       offline install, into bindings/python/build/device/ (git-ignored);
#   on the GPU machine (device tool, carry ["bindings/python/build/device"]):
#                          bash bindings/python/device_test.sh
#       compiles the extension for that machine's python3 against hinm.h,
#       stages the package with the carried libhinm.so, and runs all of
#       bindings/python/tests (GPU tests included). Results: $OUT/pytest.xml
#       and $OUT/pytest.log when $OUT is set.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
stage="$here/build/device"  # git-ignored, mine alone (scripts/device_stage.sh wipes .devbuild)
py="${PYTHON:-python3}"

if [ "${1:-}" = "prepare" ]; then
  mkdir -p "$stage/wheels"
  (cd "$root" && bazel build //c_api:libhinm.so)
  cp -fL "$(cd "$root" && bazel info bazel-bin)/c_api/libhinm.so" "$stage/libhinm.so"
  chmod u+w "$stage/libhinm.so"
  # pytest may be missing on the GPU machine, which has no network.
  "$py" -m pip download -q --disable-pip-version-check --only-binary=:all: \
    --python-version 3.12 -d "$stage/wheels" pytest
  ls -la "$stage" "$stage/wheels"
  exit 0
fi

[ -f "$stage/libhinm.so" ] || { echo "no $stage/libhinm.so: run '$0 prepare' first" >&2; exit 2; }
export LD_LIBRARY_PATH="/usr/local/cuda/lib64${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
work="$(mktemp -d)"
site="$work/site"
mkdir -p "$site/hinm"

echo "-- $("$py" --version), $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null || echo 'no nvidia-smi')"
if ! "$py" -c "import pytest" 2>/dev/null; then
  "$py" -m pip install -q --no-index --find-links "$stage/wheels" --target "$work/pytest" pytest
  export PYTHONPATH="$work/pytest"
fi

# The extension, compiled as setup.py would (same flags, rpath $ORIGIN), but
# without needing setuptools on this machine.
cp "$here"/hinm/*.py "$here"/hinm/*.pyi "$here"/hinm/py.typed "$site/hinm/"
cp "$stage/libhinm.so" "$site/hinm/libhinm.so"
suffix="$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("EXT_SUFFIX"))')"
c++ -O2 -std=c++17 -shared -fPIC -fvisibility=hidden -Wall -Wextra \
  $("$py" -m pybind11 --includes) -I"$root/c_api/include" \
  "$here/src/hinm_ext.cc" -L"$site/hinm" -lhinm -Wl,-rpath,'$ORIGIN' \
  -o "$site/hinm/_hinm$suffix"
export PYTHONPATH="$site${PYTHONPATH:+:$PYTHONPATH}"
"$py" -c "import hinm; print('-- hinm', hinm.__version__, 'has_gpu', hinm.has_gpu(), hinm.__file__)"

out="${OUT:-$work}"
cd "$work"
set +e
HINM_SOURCE_ROOT="$root" HINM_LIB="$stage/libhinm.so" "$py" -m pytest "$here/tests" \
  -q -rs -p no:cacheprovider --junitxml "$out/pytest.xml" "$@" 2>&1 | tee "$out/pytest.log"
status=${PIPESTATUS[0]}
rm -rf "$work/site" "$work/pytest"
exit "$status"
