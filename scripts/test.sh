#!/usr/bin/env bash
# Sets up a fresh machine and runs every test: C++ (Bazel + googletest; GPU
# tests skip without a GPU), Python (pytest, through the built wheel) and Rust
# (cargo test), then the sanitizer and fuzzing checks (scripts/reliability.sh).
# Ends with one summary line over the three test runners.
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:/usr/local/cuda/bin:$PATH"

bash scripts/setup.sh || { echo "setup failed"; exit 1; }

status=0
logs=$(mktemp -d)

echo "== C++ tests (bazel test //...)"
bazel test //... 2>&1 | tee "$logs/bazel.log" | grep -E "PASSED|FAILED|SKIPPED|NO STATUS|TIMEOUT|ERROR|Executed|passed|failed" || true
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== Python tests"
HINM_PYTEST_JUNIT="$logs/pytest.xml" bash bindings/python/run_tests.sh 2>&1 | tee "$logs/python.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

echo "== Rust tests"
bash bindings/rust/run_tests.sh 2>&1 | tee "$logs/rust.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || status=1

# Count now: the sanitizer builds below re-point bazel-testlogs.
python3 scripts/summarize_tests.py --bazel-testlogs bazel-testlogs \
  --pytest-junit "$logs/pytest.xml" --cargo-log "$logs/rust.log" > "$logs/summary.txt" || status=1

echo "== Reliability: ASan/UBSan/LSan, TSan, fuzzers (${HINM_FUZZ_SECONDS:-60} s each)"
bash scripts/reliability.sh "${HINM_FUZZ_SECONDS:-60}" 2>&1 | tee "$logs/reliability.log"
[ "${PIPESTATUS[0]}" -eq 0 ] || { status=1; echo "reliability checks FAILED"; }

cat "$logs/summary.txt"
exit $status
