#!/usr/bin/env python3
"""PNG figures of a benchmark report (benchmarks/report.sh writes the inputs).

    python3 benchmarks/plot_results.py --dir DIR [--figures OUT]

Reads DIR/spmm.json (spmm_bench), DIR/ffn.json (ffn_bench) and DIR/report.json
(device, commit, measured instruction ceilings) and writes:

  speedup.png    speedup over cuBLAS vs N, one panel per layer shape: hinm at
                 each sparsity and cuSPARSELt 2:4
  bandwidth.png  achieved TB/s at small N (N <= 16) against the measured device
                 copy bandwidth
  tflops.png     achieved dense-equivalent TFLOP/s at large N (N >= 1024)
                 against the measured mma.sp / mma instruction ceilings
  ffn.png        feed-forward block end to end: cuBLAS time / hinm time vs N

With --markdown it also prints the tables of docs/performance.md; with
--tables-only it prints only them (no matplotlib needed: the CI test
benchmarks/report_tables_test.sh checks the page against the JSON this way).

Only measured values are drawn; configurations that failed validation or were
not run are left out (never interpolated). Needs matplotlib (pip install
matplotlib).
"""
import argparse
import json
import os
import sys

plt = None  # matplotlib.pyplot, imported in main() unless --tables-only


def import_matplotlib():
    global plt
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as pyplot

    plt = pyplot


def load(path):
    with open(path) as f:
        return json.load(f)


def shape_key(r):
    return (r["m"], r["k"])


def subtitle(meta):
    return "%s, commit %s, %s" % (meta.get("device", "?"), meta.get("commit", "?"), meta.get("date", "?"))


def spmm_rows(spmm):
    return [r for r in spmm["results"] if r.get("valid")]


def shapes_of(rows):
    seen = []
    for r in rows:
        if shape_key(r) not in seen:
            seen.append(shape_key(r))
    return seen


def models(rows):
    return {shape_key(r): r.get("model", "") for r in rows}


def n_axis(ax, ns):
    """Log-2 N axis labelled with the measured N values themselves."""
    ax.set_xscale("log", base=2)
    ax.set_xticks(ns)
    ax.set_xticklabels([str(n) for n in ns], fontsize=8)
    ax.minorticks_off()


def plot_speedup(spmm, meta, out):
    rows = spmm_rows(spmm)
    shapes = shapes_of(rows)
    names = models(rows)
    sparsities = sorted({r["sparsity"] for r in rows})
    cols = min(4, len(shapes))
    nrows = (len(shapes) + cols - 1) // cols
    fig, axes = plt.subplots(nrows, cols, figsize=(4.2 * cols, 3.4 * nrows), squeeze=False)
    for i, sh in enumerate(shapes):
        ax = axes[i // cols][i % cols]
        for sp in sparsities:
            pts = sorted((r["n"], r["ratio"]) for r in rows if shape_key(r) == sh and r["sparsity"] == sp)
            if pts:
                ax.plot(*zip(*pts), marker="o", label="hinm %g%%" % sp)
        # cuSPARSELt is 2:4 (50%) on the same dense weights: one line per shape.
        lt = {}
        for r in rows:
            if shape_key(r) == sh and r.get("cusparselt_valid") and r.get("cusparselt_us", 0) > 0:
                lt.setdefault(r["n"], r["cusparselt_ratio"])
        if lt:
            ax.plot(*zip(*sorted(lt.items())), marker="s", linestyle="--", color="gray",
                    label="cuSPARSELt 2:4")
        ax.axhline(1.0, color="black", linewidth=0.8)
        n_axis(ax, sorted({r["n"] for r in rows if shape_key(r) == sh}))
        ax.set_title("%dx%d %s" % (sh[0], sh[1], names.get(sh, "")), fontsize=9)
        ax.set_xlabel("N (tokens)")
        ax.set_ylabel("speedup over cuBLAS")
        ax.grid(alpha=0.3)
        if i == 0:
            ax.legend(fontsize=8)
    for j in range(len(shapes), nrows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.suptitle("SpMM speedup over cuBLAS (same pruned weights, fp16) - " + subtitle(meta), fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "speedup.png"), dpi=110)
    plt.close(fig)


def lt_tbs(r):
    """cuSPARSELt's achieved TB/s: its compressed A + B + C (padded N) over its time."""
    n = r["cusparselt_n_padded"]
    io = (r["k"] * n + r["m"] * n) * 2
    return (r["cusparselt_compressed_bytes"] + io) / (r["cusparselt_us"] * 1e-6) / 1e12


def bar_panel(ax, labels, series, ylabel):
    width = 0.8 / max(1, len(series))
    for j, (name, vals) in enumerate(series):
        xs = [i + (j - (len(series) - 1) / 2) * width for i in range(len(labels))]
        ax.bar(xs, [v if v is not None else 0 for v in vals], width, label=name)
    ax.set_xticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", alpha=0.3)


def plot_metric(spmm, meta, out, ns, hinm_key, cublas_key, lt_value, ylabel, ceilings, height,
                title, fname):
    """One bar panel per N: hinm per sparsity, cuBLAS and (where measured)
    cuSPARSELt for every shape; ceilings(ax) draws the measured limits."""
    rows = spmm_rows(spmm)
    shapes = shapes_of(rows)
    sparsities = sorted({r["sparsity"] for r in rows})
    ns = [n for n in ns if any(r["n"] == n for r in rows)]
    fig, axes = plt.subplots(1, len(ns), figsize=(7 * len(ns), height), squeeze=False)
    for a, n in enumerate(ns):
        ax = axes[0][a]
        labels = ["%dx%d" % sh for sh in shapes]
        series = []
        for sp in sparsities:
            series.append(("hinm %g%%" % sp, [next((r[hinm_key] for r in rows if shape_key(r) == sh
                                                     and r["sparsity"] == sp and r["n"] == n), None)
                                               for sh in shapes]))
        series.append(("cuBLAS", [next((r[cublas_key] for r in rows if shape_key(r) == sh and r["n"] == n), None)
                                  for sh in shapes]))
        lt = [next((lt_value(r) for r in rows if shape_key(r) == sh and r["n"] == n
                    and r.get("cusparselt_valid") and r.get("cusparselt_us", 0) > 0), None) for sh in shapes]
        if any(v is not None for v in lt):
            series.append(("cuSPARSELt 2:4", lt))
        bar_panel(ax, labels, series, ylabel)
        ceilings(ax)
        ax.set_title("N = %d" % n)
        ax.legend(fontsize=7)
    fig.suptitle(title + " - " + subtitle(meta), fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, fname), dpi=110)
    plt.close(fig)


def plot_bandwidth(spmm, meta, out):
    def ceilings(ax):
        if spmm.get("copy_bandwidth_tbs"):
            ax.axhline(spmm["copy_bandwidth_tbs"], color="red", linestyle="--",
                       label="device copy %.2f TB/s" % spmm["copy_bandwidth_tbs"])
    plot_metric(spmm, meta, out, (1, 16), "hinm_tbs", "cublas_tbs", lt_tbs,
                "achieved TB/s (weights + B + C)", ceilings, 4,
                "Bytes moved per second at small N vs measured copy bandwidth", "bandwidth.png")


def plot_tflops(spmm, meta, out):
    def ceilings(ax):
        sp_peak = meta.get("mma_sp_dense_equiv_tflops")
        dense_peak = meta.get("mma_dense_tflops")
        if sp_peak:
            ax.axhline(sp_peak, color="red", linestyle="--",
                       label="mma.sp ceiling, 2:4 (%.0f)" % sp_peak)
            ax.axhline(2 * sp_peak, color="red", linestyle=":",
                       label="same at 75%% HiNM: x2 (%.0f)" % (2 * sp_peak))
        if dense_peak:
            ax.axhline(dense_peak, color="purple", linestyle="--",
                       label="dense mma.sync ceiling (%.0f)" % dense_peak)

    def lt_tflops(r):
        return 2.0 * r["m"] * r["n"] * r["k"] / (r["cusparselt_us"] * 1e-6) / 1e12
    plot_metric(spmm, meta, out, (1024, 4096), "hinm_tflops_dense_equiv", "cublas_tflops", lt_tflops,
                "dense-equivalent TFLOP/s (2MNK / time)", ceilings, 4.2,
                "Throughput at large N vs measured instruction ceilings", "tflops.png")


def plot_ffn(ffn, meta, out):
    rows = [r for r in ffn["results"] if r.get("valid")]
    model_names = []
    for r in rows:
        if r["model"] not in model_names:
            model_names.append(r["model"])
    sparsities = sorted({r["sparsity"] for r in rows})
    fig, axes = plt.subplots(1, len(model_names), figsize=(6 * len(model_names), 4), squeeze=False)
    for a, m in enumerate(model_names):
        ax = axes[0][a]
        for sp in sparsities:
            pts = sorted((r["n"], r["ratio"]) for r in rows if r["model"] == m and r["sparsity"] == sp)
            unf = sorted((r["n"], r["ratio_unfolded"]) for r in rows if r["model"] == m and r["sparsity"] == sp)
            if pts:
                line, = ax.plot(*zip(*pts), marker="o", label="hinm %g%%, permutation folded" % sp)
                ax.plot(*zip(*unf), marker="x", linestyle=":", color=line.get_color(),
                        label="hinm %g%%, original row order" % sp)
        r0 = next(r for r in rows if r["model"] == m)
        ax.axhline(1.0, color="black", linewidth=0.8)
        n_axis(ax, sorted({r["n"] for r in rows if r["model"] == m}))
        ax.set_title("%s FFN %d -> %d -> %d (%s)" % (m, r0["d"], r0["h"], r0["d"], r0["activation"]), fontsize=9)
        ax.set_xlabel("N (tokens)")
        ax.set_ylabel("cuBLAS time / hinm time (whole block)")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle("Feed-forward block end to end - " + subtitle(meta), fontsize=10)
    fig.tight_layout()
    fig.savefig(os.path.join(out, "ffn.png"), dpi=110)
    plt.close(fig)


def markdown(spmm, ffn):
    """The report's tables, as docs/performance.md shows them."""
    lines = []
    if spmm:
        lines += ["| M x K | sparsity | N | hinm µs | cuBLAS µs | hinm ratio | cuSPARSELt 2:4 µs | cuSPARSELt ratio "
                  "| hinm TB/s | cuBLAS TB/s | hinm TFLOP/s* | cuBLAS TFLOP/s |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        for r in spmm["results"]:
            if not r.get("valid"):
                lines.append("| %dx%d | %.1f%% | %d | FAILED validation | | | | | | | | |" % (r["m"], r["k"], r["sparsity"], r["n"]))
                continue
            lt = ("%.1f | %.2fx" % (r["cusparselt_us"], r["cusparselt_ratio"])
                  if r.get("cusparselt_valid") and r.get("cusparselt_us", 0) > 0 else "- | -")
            lines.append("| %dx%d | %.1f%% | %d | %.1f | %.1f | %.2fx | %s | %.2f | %.2f | %.0f | %.0f |" % (
                r["m"], r["k"], r["sparsity"], r["n"], r["hinm_us"], r["cublas_us"], r["ratio"], lt,
                r["hinm_tbs"], r["cublas_tbs"], r["hinm_tflops_dense_equiv"], r["cublas_tflops"]))
        lines.append("")
    if ffn:
        lines += ["| block | sparsity | N | hinm (folded) µs | hinm (original order) µs | cuBLAS µs "
                  "| ratio (folded) | ratio (original order) |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in ffn["results"]:
            if not r.get("valid"):
                lines.append("| %s | %.1f%% | %d | FAILED validation | | | | |" % (r["model"], r["sparsity"], r["n"]))
                continue
            lines.append("| %s %d-%d-%d %s | %.1f%% | %d | %.1f | %.1f | %.1f | %.2fx | %.2fx |" % (
                r["model"], r["d"], r["h"], r["d"], r["activation"], r["sparsity"], r["n"], r["hinm_us"],
                r["hinm_unfolded_us"], r["cublas_us"], r["ratio"], r["ratio_unfolded"]))
    print("\n".join(lines))


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", required=True, help="folder with spmm.json, ffn.json, report.json")
    ap.add_argument("--figures", help="where the PNGs go (default DIR/figures)")
    ap.add_argument("--markdown", action="store_true", help="also print the tables as Markdown")
    ap.add_argument("--tables-only", action="store_true", help="print the tables, draw nothing")
    args = ap.parse_args()
    spmm_path = os.path.join(args.dir, "spmm.json")
    ffn_path = os.path.join(args.dir, "ffn.json")
    if args.tables_only:
        markdown(load(spmm_path) if os.path.exists(spmm_path) else None,
                 load(ffn_path) if os.path.exists(ffn_path) else None)
        return 0
    import_matplotlib()
    out = args.figures or os.path.join(args.dir, "figures")
    os.makedirs(out, exist_ok=True)
    meta_path = os.path.join(args.dir, "report.json")
    meta = load(meta_path) if os.path.exists(meta_path) else {}
    wrote = []
    if os.path.exists(spmm_path):
        spmm = load(spmm_path)
        for k in ("device", "commit", "date"):
            meta.setdefault(k, spmm.get(k))
        if spmm_rows(spmm):
            plot_speedup(spmm, meta, out)
            plot_bandwidth(spmm, meta, out)
            plot_tflops(spmm, meta, out)
            wrote += ["speedup.png", "bandwidth.png", "tflops.png"]
    if os.path.exists(ffn_path):
        ffn = load(ffn_path)
        if any(r.get("valid") for r in ffn["results"]):
            plot_ffn(ffn, meta, out)
            wrote.append("ffn.png")
    if not wrote:
        print("plot_results.py: no valid results in %s" % args.dir, file=sys.stderr)
        return 1
    if args.markdown:
        markdown(load(spmm_path) if os.path.exists(spmm_path) else None,
                 load(ffn_path) if os.path.exists(ffn_path) else None)
    print("plot_results.py: wrote %s to %s" % (", ".join(wrote), out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
