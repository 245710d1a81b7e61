#!/usr/bin/env bash
# The tables of docs/performance.md are the committed report's JSON, row for
# row: plot_results.py --tables-only prints them from the JSON (no matplotlib
# needed) and every printed row must appear verbatim in the page.
# docs/ is no Bazel package, so the page is found in the source tree through
# the runfile symlink of plot_results.py (benchmarks/ -> ../docs/).
set -euo pipefail
script=$1 dir=$2
doc=$(dirname "$(readlink -f "$script")")/../docs/performance.md
[ -f "$doc" ] || { echo "cannot find docs/performance.md beside $script"; exit 1; }
tables=$(python3 "$script" --tables-only --dir "$dir")
rows=$(echo "$tables" | grep -c '^| ')
missing=0
while IFS= read -r line; do
  [ -z "$line" ] && continue
  grep -qxF -- "$line" "$doc" || { echo "not in $doc: $line"; missing=$((missing + 1)); }
done <<<"$tables"
echo "$rows table rows checked, $missing missing"
[ "$rows" -gt 100 ] && [ "$missing" -eq 0 ]
