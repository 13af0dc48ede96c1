"""Benchmark: `xlsales build` for a large organisation (default 1 000 reps, --jobs 2).

    .venv/bin/python bench/bench_build.py [--reps 1000] [--jobs 2] [--formats md,html] [--out DIR]

Builds the sample company of that size: targets, funnel and commission workbooks, the company and team
reviews, a coaching memo for every rep behind the pace line and a commission statement for every paid
rep. Prints wall time, the time per kind of task (summed over workers) and the peak memory of the main
process and of the largest worker (ru_maxrss).
"""
from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--formats", default="md,html")
    parser.add_argument("--workbooks", default="targets,funnel,commission")
    parser.add_argument("--out")
    parser.add_argument("--json", help="also write the figures to this file (bench_scaling.py reads it)")
    parser.add_argument("--months", type=int, default=30)
    args = parser.parse_args()

    from xlsales.build.config import load_config
    from xlsales.build.run import build, prepare

    out = Path(args.out or tempfile.mkdtemp(prefix="xlsales-bench-build-"))
    config_path = out / "bench.yaml"
    out.mkdir(parents=True, exist_ok=True)
    config_path.write_text(yaml.safe_dump({
        "company": "Bench Co", "language": "zh", "as_of": "2026-06-30",
        "inputs": {"sample": {"seed": 7, "reps": args.reps, "months": args.months}},
        "plan": {"commission": str(ROOT / "examples" / "plans" / "plan.zh.yaml")},
        "outputs": {"dir": str(out / "build"), "formats": args.formats.split(","),
                    "workbooks": [w for w in args.workbooks.split(",") if w]},
    }, allow_unicode=True), encoding="utf-8")
    started = time.perf_counter()
    config = load_config(config_path)
    shared = prepare(config)
    prepared = time.perf_counter() - started
    report = build(config, jobs=args.jobs, shared=shared, progress=False)
    wall = time.perf_counter() - started
    by_kind = defaultdict(float)
    for kind, name, seconds in report.timings:
        by_kind[kind if kind != "workbook" else f"workbook {name}"] += seconds
    print(f"machine: {platform.machine()}, {__import__('os').cpu_count()} CPUs, Python {platform.python_version()}")
    print(f"reps {args.reps}, jobs {args.jobs}, formats {args.formats}: {len(report.paths)} files, "
          f"{report.tasks} tasks, {len(report.errors)} errors")
    print(f"wall {wall:.1f} s (inputs, plan, funnel and commission {prepared:.1f} s)")
    for kind, seconds in sorted(by_kind.items(), key=lambda kv: -kv[1]):
        print(f"  {kind:<22} {seconds:7.1f} s (summed over workers)")
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    workers = sorted(report.workers.values(), reverse=True)
    print(f"peak memory: main {me:.0f} MB, workers {', '.join(f'{w:.0f}' for w in workers)} MB")
    for error in report.errors[:5]:
        print("error:", error, file=sys.stderr)
    if args.json:
        Path(args.json).write_text(json.dumps({
            "reps": args.reps, "jobs": args.jobs, "formats": args.formats, "wall": wall, "prepare": prepared,
            "files": len(report.paths), "errors": len(report.errors), "main_mb": me, "workers_mb": workers,
            "by_kind": dict(by_kind)}), encoding="utf-8")


if __name__ == "__main__":
    main()
