"""Benchmark: how `xlsales build` grows with the organisation (100, 1 000, 10 000 reps by default).

    .venv/bin/python bench/bench_scaling.py [--reps 100,1000,10000] [--jobs 2] [--formats md,html]

Each size is one run of bench_build.py in a fresh process (the sample company of that size, zh, as of
2026-06-30: targets, funnel and commission workbooks, company and team reviews, coaching memos and
commission statements). Printed per size: wall time, files, the peak resident memory of the main process
and of each worker, and the time per kind of task; then the growth: seconds per 1 000 reps between
sizes (the slope) and the exponent k of time ∝ reps^k (1 is linear).
"""
from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", default="100,1000,10000")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--formats", default="md,html")
    parser.add_argument("--months", type=int, default=30)
    args = parser.parse_args()
    sizes = [int(x) for x in args.reps.split(",")]
    print(f"load average before: {os.getloadavg()[0]:.1f}")
    rows = []
    for reps in sizes:
        with tempfile.TemporaryDirectory(prefix="xlsales-scaling-") as folder:
            figures = Path(folder) / "figures.json"
            subprocess.run([sys.executable, str(HERE / "bench_build.py"), "--reps", str(reps), "--jobs", str(args.jobs),
                            "--formats", args.formats, "--months", str(args.months), "--out", folder,
                            "--json", str(figures)], check=True)
            rows.append(json.loads(figures.read_text(encoding="utf-8")))
    print()
    print(f"{'reps':>7} {'wall s':>8} {'files':>7} {'main MB':>8}  workers MB")
    for r in rows:
        print(f"{r['reps']:>7} {r['wall']:>8.1f} {r['files']:>7} {r['main_mb']:>8.0f}  "
              f"{', '.join(f'{w:.0f}' for w in r['workers_mb'])}")
    for a, b in zip(rows, rows[1:]):
        slope = (b["wall"] - a["wall"]) / (b["reps"] - a["reps"]) * 1000
        k = math.log(b["wall"] / a["wall"]) / math.log(b["reps"] / a["reps"])
        print(f"{a['reps']} → {b['reps']} reps: {slope:.1f} s per 1 000 reps, time ∝ reps^{k:.2f}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
