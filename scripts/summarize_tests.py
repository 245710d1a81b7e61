#!/usr/bin/env python3
"""Counts test cases over the three runners and prints one closing line.

googletest cases come from Bazel's per-target test.xml files, pytest's from
its JUnit XML, cargo's from its "test result:" lines. A runner whose report
is missing counts as a failure (a runner that silently ran nothing must not
look green).
"""
import argparse
import pathlib
import re
import sys
import xml.etree.ElementTree as ET


def junit_counts(path):
    """(passed, failed, skipped) over every <testcase> in a JUnit file."""
    passed = failed = skipped = 0
    root = ET.parse(path).getroot()
    for case in root.iter("testcase"):
        kinds = {child.tag for child in case}
        if "failure" in kinds or "error" in kinds:
            failed += 1
        elif "skipped" in kinds or case.get("result") == "skipped" or case.get("status") == "notrun":
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bazel-testlogs", required=True)
    ap.add_argument("--pytest-junit", required=True)
    ap.add_argument("--cargo-log", required=True)
    args = ap.parse_args()

    totals = {}
    missing = []
    xmls = sorted(pathlib.Path(args.bazel_testlogs).rglob("test.xml"))
    if xmls:
        c = [0, 0, 0]
        for x in xmls:
            for i, v in enumerate(junit_counts(x)):
                c[i] += v
        totals["C++"] = tuple(c)
    else:
        missing.append("C++")

    if pathlib.Path(args.pytest_junit).is_file():
        totals["Python"] = junit_counts(args.pytest_junit)
    else:
        missing.append("Python")

    cargo = [0, 0, 0]
    seen = False
    if pathlib.Path(args.cargo_log).is_file():
        for line in pathlib.Path(args.cargo_log).read_text(errors="replace").splitlines():
            m = re.search(r"test result: \w+\. (\d+) passed; (\d+) failed; (\d+) ignored", line)
            if m:
                seen = True
                cargo[0] += int(m.group(1))
                cargo[1] += int(m.group(2))
                cargo[2] += int(m.group(3))
    if seen:
        totals["Rust"] = tuple(cargo)
    else:
        missing.append("Rust")

    for name, (p, f, s) in totals.items():
        print(f"{name:7s} {p} passed, {f} failed, {s} skipped")
    for name in missing:
        print(f"{name:7s} no test report found")
    p = sum(t[0] for t in totals.values())
    f = sum(t[1] for t in totals.values()) + len(missing)
    s = sum(t[2] for t in totals.values())
    print(f"all: {p} passed, {f} failed, {s} skipped")
    return 1 if f else 0


if __name__ == "__main__":
    sys.exit(main())
