#!/usr/bin/env python3
"""How well can a split cost model choose N = 1 plans? (docs/performance.md, 2026-12-07 (3))

Fits the planner's decode model, time = a + b * kb * max(1, c * share) * (1 + alpha if a
cluster of 5-8) + cluster / partials constants (+ per split for partials), to the 88 N = 1
plans measured on the H100 in 2026-12-07_h100_n1_split_sweep.log (forced split counts, one
run each) and the ship rows of 2026-12-07_h100_cluster8_batched.log; grid over share and
alpha, least squares for the rest. Prints the fit, the rows it misses by more than 6%, and
per layer the measured best plan against the plan the fitted model would pick.
Run from the repository root: python3 benchmarks/results/2026-12-07_decode_model_fit.py
"""
import collections
import re

import numpy as np

SMS = 132
TILES = {"8192x8192": 64, "11008x4096": 86, "4096x11008": 32, "28672x8192": 224}
PLAN = re.compile(r"splits=(\d+) sum=(\w+) kb=(\d+)")


def rows():
    out = []
    for path, keep in (("benchmarks/results/2026-12-07_h100_n1_split_sweep.log",
                        lambda f: "default" not in f[0]),
                       ("benchmarks/results/2026-12-07_h100_cluster8_batched.log",
                        lambda f: f[0].startswith("ship-") and f[3] == "1")):
        for line in open(path):
            f = line.split()
            if " ok " not in line or not keep(f):
                continue
            m = PLAN.search(line.split("|")[-1])
            out.append((f[1], f[2], int(m[1]), m[2], int(m[3]), float(f[5])))
    return out


def features(shape, splits, summed, kb, share, alpha):
    c = TILES[shape] * splits / SMS  # CTAs per SM
    loop = kb * max(1.0, c * share)
    if summed == "cluster" and splits > 4:
        loop *= 1 + alpha
    partials = summed == "partials"
    return [1.0, loop, float(summed == "cluster"), float(partials), splits if partials else 0.0]


def main():
    data = rows()
    y = np.array([d[5] for d in data])
    best = None
    for share in np.arange(0.40, 0.80, 0.01):
        for alpha in np.arange(0.0, 0.5, 0.05):
            x = np.array([features(d[0], d[2], d[3], d[4], share, alpha) for d in data])
            coef = np.linalg.lstsq(x, y, rcond=None)[0]
            rms = float(np.sqrt(np.mean((x @ coef - y) ** 2)))
            if best is None or rms < best[0]:
                best = (rms, share, alpha, coef)
    rms, share, alpha, coef = best
    print(f"{len(data)} plans; rms {rms:.2f} us; share {share:.2f}; alpha {alpha:.2f}; "
          f"coef {np.round(coef, 3)}")
    by_layer = collections.defaultdict(list)
    for d in data:
        pred = float(np.array(features(d[0], d[2], d[3], d[4], share, alpha)) @ coef)
        if abs(pred - d[5]) / d[5] > 0.06:
            print(f"  off by more than 6%: {d[0]} {d[1]} {d[2]} {d[3]}: {d[5]:.2f} us, model {pred:.2f}")
        by_layer[(d[0], d[1])].append((d[5], pred, d[2], d[3]))
    for (shape, sp), v in sorted(by_layer.items()):
        plans = collections.defaultdict(list)  # a plan measured more than once: its best run
        for t, pred, splits, summed in v:
            plans[(splits, summed)].append((t, pred))
        v = [(min(r)[0], r[0][1], *k) for k, r in plans.items()]
        meas = min(v)
        pick = min(v, key=lambda r: r[1])
        print(f"{shape} {sp}: measured best {meas[2]} {meas[3]} {meas[0]:.2f} us; model picks "
              f"{pick[2]} {pick[3]}, measured {pick[0]:.2f} us ({100 * (pick[0] / meas[0] - 1):+.1f}%)")


if __name__ == "__main__":
    main()
