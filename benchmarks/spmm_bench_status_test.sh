#!/usr/bin/env bash
# spmm_bench builds with or without the optional cuSPARSELt header and says
# which (no GPU needed): "cuSPARSELt: not built" in CI, "built against header
# X.Y.Z" where third_party/cusparselt.bzl found one.
set -euo pipefail
out=$("$1" --status)
echo "$out"
echo "$out" | grep -Eq '^cuSPARSELt: (not built|built against header [0-9]+\.[0-9]+\.[0-9]+)$'
