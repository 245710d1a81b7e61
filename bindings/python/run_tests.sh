#!/usr/bin/env bash
# Python tests of hinm, through the built wheel:
#   1. build the wheel (pip wheel; setup.py runs `bazel build //c_api:libhinm.so`
#      unless HINM_LIB points at a prebuilt libhinm.so),
#   2. install it into a fresh virtual environment (--system-site-packages, so
#      numpy and pytest come from this interpreter; nothing is downloaded),
#   3. run pytest on bindings/python/tests against the installed package, from
#      outside the source tree so the source hinm/ cannot shadow it.
# Exits non-zero on any failure; the last line is pytest's summary.
# Env: PYTHON (default python3), HINM_LIB, HINM_PYTEST_JUNIT (junit xml path),
#      extra arguments are passed to pytest.
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
py="${PYTHON:-python3}"
work="$(mktemp -d "${TMPDIR:-/tmp}/hinm-python.XXXXXX")"
trap 'rm -rf "$work"' EXIT

echo "-- building the wheel ($("$py" --version))"
if ! "$py" -m pip wheel --no-build-isolation --no-deps --no-index \
    --disable-pip-version-check -q -w "$work/dist" "$here" >"$work/wheel.log" 2>&1; then
  tail -n 40 "$work/wheel.log"
  echo "FAILED: could not build the hinm wheel" >&2
  exit 1
fi
wheel="$(ls "$work"/dist/hinm-*.whl)"
echo "-- $(basename "$wheel")"

"$py" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install --no-index --no-deps -q \
  --disable-pip-version-check "$wheel"

junit=()
if [ -n "${HINM_PYTEST_JUNIT:-}" ]; then
  mkdir -p "$(dirname "$HINM_PYTEST_JUNIT")"
  junit=(--junitxml "$(cd "$(dirname "$HINM_PYTEST_JUNIT")" && pwd)/$(basename "$HINM_PYTEST_JUNIT")")
fi

cd "$work"
HINM_WHEEL="$wheel" HINM_EXPECT_INSTALLED=1 HINM_SOURCE_ROOT="$root" \
  "$work/venv/bin/python" -m pytest "$here/tests" -q -rs -p no:cacheprovider \
  "${junit[@]}" "$@"
