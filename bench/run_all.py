"""Run every benchmark in bench/ one after another (``make bench``); each prints its own figures.

    .venv/bin/python bench/run_all.py [--quick] [NAME ...]

NAME picks scripts by topic (e.g. ``writer scaling``); by default all of them run. ``--quick`` gives the
long ones smaller sizes (writer: 20 000 deals; scaling: 100 and 1 000 reps) for a first look. The figures
quoted in bench/README.md come from these scripts, with the machine and its load noted there.
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
QUICK = {"writer": ["--deals", "20000", "--runs", "3"], "scaling": ["--reps", "100,1000"]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("names", nargs="*")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    scripts = sorted(HERE.glob("bench_*.py"))
    if args.names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in args.names]
    failed = []
    for script in scripts:
        topic = script.stem.removeprefix("bench_")
        extra = QUICK.get(topic, []) if args.quick else []
        print(f"\n=== {script.name} {' '.join(extra)}", flush=True)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, str(script), *extra])
        print(f"=== {script.name}: {time.perf_counter() - started:.0f} s, exit {done.returncode}", flush=True)
        if done.returncode:
            failed.append(script.name)
    if failed:
        print("failed:", ", ".join(failed), file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
