#!/usr/bin/env bash
# Installs everything hinm needs on a fresh Debian machine (idempotent):
# Bazel (offline, Debian's bazel-bootstrap), GoogleTest, bindgen's crates,
# pybind11, clang with libFuzzer (tests/fuzz), and the Python packages for the
# bindings and tests.
set -euo pipefail

need_apt=()
for pkg in bazel-bootstrap bazel-rules-java libgtest-dev librust-bindgen-dev librust-libloading-dev \
           pybind11-dev python3-dev clang libclang-rt-dev; do
  dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
# Rust: rustup's toolchain where present, else Debian's cargo.
export PATH="$HOME/.cargo/bin:$PATH"
command -v cargo >/dev/null 2>&1 || need_apt+=(cargo)
if [ ${#need_apt[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

python3 -m pip install -q --disable-pip-version-check \
  numpy pytest pybind11 build wheel 2>&1 | grep -v "Running pip as the 'root'" || true
