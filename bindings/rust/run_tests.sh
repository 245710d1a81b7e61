#!/usr/bin/env bash
# Tests the Rust crates: builds libhinm.so with Bazel (incremental; skipped when HINM_LIB_DIR
# names a prebuilt library), then `cargo test` (unit, integration and doc tests) and, when
# clippy is installed, `cargo clippy --all-targets -- -D warnings`. Offline: the crates come
# from Debian's /usr/share/cargo/registry (.cargo/config.toml). Also checks that the API docs
# build without warnings (broken links). Exits non-zero on failure.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
export PATH="$HOME/.cargo/bin:$PATH"

if ! command -v cargo >/dev/null 2>&1; then
  echo "run_tests.sh: cargo not found (install rustup's toolchain or Debian's cargo)" >&2
  exit 1
fi

if [ -z "${HINM_LIB_DIR:-}" ]; then
  echo "== bazel build //c_api:libhinm.so"
  (cd "$repo" && bazel build //c_api:libhinm.so)
fi

cd "$here"
echo "== cargo test ($(cargo --version))"
cargo test --workspace

if cargo clippy --version >/dev/null 2>&1; then
  echo "== cargo clippy --all-targets -- -D warnings"
  cargo clippy --workspace --all-targets -- -D warnings
else
  echo "== cargo clippy: not installed, skipped"
fi

echo "== cargo doc (warnings are errors)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps
