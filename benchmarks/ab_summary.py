#!/usr/bin/env python3
"""Summarises an A/B benchmark log: each build's time per row against a base.

Reads the lines spmm_bench prints, prefixed by a label as device_tune.sh and
the session scripts write them:

    <build>-r<round> <M>x<K> <sparsity>% <N> | <hinm us> <cuBLAS us> <ratio>x | ...

and prints, per build other than the base and per row, the median hinm time
of the build and of the base over their rounds, and build / base (below 1 is
faster). Rows a build failed to time (no "ok" check) are left out.

    python3 benchmarks/ab_summary.py LOG [--base spmm_bench]
"""
import argparse
import re
import statistics
import sys
from collections import defaultdict

LINE = re.compile(
    r"^(?P<build>\S+?)-r(?P<round>\d+)\s+(?P<shape>\d+x\d+)\s+(?P<sp>[\d.]+)%\s+"
    r"(?P<n>\d+)\s+\|\s+(?P<hinm>[\d.]+)\s+(?P<cublas>[\d.]+)\s+[\d.]+x\s+\|.*\bok\b")


def parse(lines):
    """{build: {(shape, sparsity, n): [hinm us per round]}}"""
    times = defaultdict(lambda: defaultdict(list))
    for line in lines:
        m = LINE.match(line.strip())
        if m:
            row = (m["shape"], m["sp"], int(m["n"]))
            times[m["build"]][row].append(float(m["hinm"]))
    return times


def summarise(times, base):
    if base not in times:
        raise SystemExit(f"no rows of the base build '{base}' (builds: {', '.join(sorted(times))})")
    out = []
    for build in sorted(b for b in times if b != base):
        out.append(f"== {build} vs {base} (median hinm us over rounds; ratio < 1: faster)")
        ratios = []
        for row in sorted(times[build]):
            if row not in times[base]:
                continue
            b = statistics.median(times[base][row])
            x = statistics.median(times[build][row])
            ratios.append(x / b)
            shape, sp, n = row
            out.append(f"{shape:>11} {sp:>5}% N={n:<5} {b:9.2f} {x:9.2f}  {x / b:.3f}")
        if ratios:
            out.append(f"   {len(ratios)} rows: {min(ratios):.3f} .. {max(ratios):.3f}, "
                       f"median {statistics.median(ratios):.3f}")
    return out


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("log")
    p.add_argument("--base", default="spmm_bench")
    args = p.parse_args(argv)
    with open(args.log) as f:
        print("\n".join(summarise(parse(f), args.base)))


if __name__ == "__main__":
    main(sys.argv[1:])
