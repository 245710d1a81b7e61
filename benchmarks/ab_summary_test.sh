#!/usr/bin/env bash
# ab_summary.py on a committed device log (2026-12-07, the lag patch against
# HEAD, two rounds, 12 rows): the per-row medians and the summary line it must
# print, worked out by hand from the log's spmm_bench lines; and a clear
# error when the base build has no rows.
set -euo pipefail
script=$1 log=$2
out=$(python3 "$script" "$log" --base head)
echo "$out"
expect() { grep -qF -- "$1" <<<"$out" || { echo "missing: $1"; exit 1; }; }
expect "== lag vs head"
# 28672x8192 75% N = 4096: head 1986.34 / 1981.08, lag 2032.77 / 2026.72.
expect " 28672x8192  75.0% N=4096    1983.71   2029.74  1.023"
# 8192x8192 75% N = 1024: head 144.12 / 144.21, lag 143.69 / 142.34.
expect "  8192x8192  75.0% N=1024     144.17    143.01  0.992"
expect "   12 rows: 0.992 .. 1.023, median 1.013"
if err=$(python3 "$script" "$log" --base nosuchbuild 2>&1); then
  echo "expected a failure for a base without rows"; exit 1
fi
grep -qF "no rows of the base build 'nosuchbuild'" <<<"$err" || { echo "unclear error: $err"; exit 1; }
echo "ab_summary: ok"
