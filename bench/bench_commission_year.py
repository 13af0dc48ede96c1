"""Benchmark: a plan year with the ledger. 10 000 reps × 12 months, two plan versions (the change on
16 July, inside a period), split credit on 20 % of the orders, credit notes, and a ledger of six closed
periods (January–June) checked and compared with today's inputs (a late March order for 1 000 reps), paying
December with its prior-period adjustments.

Run: .venv/bin/python bench/bench_commission_year.py [reps] [repeats]
"""
from __future__ import annotations

import copy
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench_commission  # noqa: E402  (the same synthetic company)

from xlsales.core.commission_ledger import ledger_rows, prior_period_adjustments, with_adjustments
from xlsales.io import ledger as ledger_io
from xlsales.io.plan import plan_from_dict
from xlsales.workbooks.commission import run_commission

ROOT = Path(__file__).resolve().parents[1]


def plan_with_versions():
    data = yaml.safe_load((ROOT / "examples/plans/plan.en.yaml").read_text(encoding="utf-8"))
    h2 = copy.deepcopy(data["measures"])
    h2["revenue"]["tiers"] = [[0, "3.5%"], [1.0, "6%"], [1.2, "9%"]]
    data["versions"] = [{"name": "H1", "from": "2026-01-01"}, {"name": "H2", "from": "2026-07-16", "measures": h2}]
    return plan_from_dict(data, "bench plan")


def synthetic(reps: int, seed: int = 1):
    """bench_commission's company, with order ids, credit notes and split credit."""
    roster, orders, targets = bench_commission.synthetic(reps, seed)
    rng = np.random.default_rng(seed + 1)
    n = len(orders)
    names = roster["rep"].to_numpy()
    orders["order_id"] = [f"O{i:07d}" for i in range(n)]
    # credit notes: 0.2 % of the orders reversed in half, 20 days later
    picked = orders[(orders["amount"] > 0) & (rng.random(n) < 0.002) & (orders["date"] < "2026-12-01")]
    notes = pd.DataFrame({"date": picked["date"] + pd.Timedelta(days=20), "rep": picked["rep"],
                          "amount": -np.round(picked["amount"] / 2, 2), "order_id": "N" + picked["order_id"],
                          "reverses": picked["order_id"], "collected": 0.0})
    orders = pd.concat([orders.assign(reverses=None), notes], ignore_index=True)
    # split credit on 20 % of the orders: 60 % to the order's rep, 40 % to another
    split = orders[(orders["reverses"].isna()) & (rng.random(len(orders)) < 0.2)]
    other = rng.choice(names, len(split))
    credits = pd.DataFrame({"order_id": np.concatenate([split["order_id"], split["order_id"]]),
                            "rep": np.concatenate([split["rep"], other]),
                            "share": np.concatenate([np.full(len(split), 0.6), np.full(len(split), 0.4)])})
    credits = credits.drop_duplicates(["order_id", "rep"], keep=False)
    credits = credits[credits.groupby("order_id")["rep"].transform("size") == 2]
    return roster, orders, targets, credits


def main(reps: int = 10_000, repeats: int = 3) -> None:
    plan = plan_with_versions()
    roster, orders, targets, credits = synthetic(reps)
    folder = Path(tempfile.mkdtemp(prefix="xlsales-bench-ledger-"))
    ledger_path = folder / "commission-ledger.csv"
    hashes = {"plan": "0" * 16, "orders": "1" * 16, "reps": "2" * 16}
    # the ledger: January to June closed with these inputs (not timed)
    t = time.perf_counter()
    closed = run_commission(plan, orders, roster, "2026-06", targets, credits=credits)
    for month in range(6):
        ledger_io.append_period(ledger_path, ledger_rows(closed, 2026 * 12 + month, "x" * 16), hashes)
    setup = time.perf_counter() - t
    rows_in_ledger = sum(1 for _ in open(ledger_path, encoding="utf-8")) - 1
    # today's inputs: a late March order for 1 000 reps
    late = pd.DataFrame({"date": pd.Timestamp("2026-03-15"), "rep": roster["rep"].iloc[:1000].to_numpy(),
                         "amount": 50_000.0, "order_id": [f"L{i}" for i in range(1000)], "reverses": None,
                         "collected": 0.0})
    today = pd.concat([orders, late], ignore_index=True)
    steps = ("payouts (12 months, two versions, splits)", "ledger read and checked", "prior-period adjustments",
             "total")
    times = {key: [] for key in steps}
    cpu = {key: [] for key in steps}
    for _ in range(repeats):
        marks = [(time.perf_counter(), time.process_time())]
        result = run_commission(plan, today, roster, "2026-12", targets, credits=credits)
        marks.append((time.perf_counter(), time.process_time()))
        ledger = ledger_io.read_ledger(ledger_path)
        marks.append((time.perf_counter(), time.process_time()))
        adjustments = prior_period_adjustments(ledger, result, {c: ["orders"] for c in ledger["period"].unique()})
        paid = with_adjustments(result, adjustments, 2026 * 12 + 11)
        marks.append((time.perf_counter(), time.process_time()))
        spans = [(marks[i + 1][0] - marks[i][0], marks[i + 1][1] - marks[i][1]) for i in range(3)]
        spans.append((marks[-1][0] - marks[0][0], marks[-1][1] - marks[0][1]))
        for key, (wall, used) in zip(steps, spans):
            times[key].append(wall)
            cpu[key].append(used)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"{reps} reps × 12 months, {len(today):,} order lines ({int(today['reverses'].notna().sum()):,} credit "
          f"notes), {credits['order_id'].nunique():,} split orders, {len(paid.lines):,} statement lines")
    print(f"ledger: 6 closed periods, {rows_in_ledger:,} rows (set-up {setup:.1f} s, not timed); "
          f"{len(adjustments):,} adjustments, {adjustments['amount'].sum():,.2f} in all")
    for key, values in times.items():
        print(f"{key}: wall median {statistics.median(values):.2f} s (runs: {', '.join(f'{v:.2f}' for v in values)}); "
              f"CPU median {statistics.median(cpu[key]):.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 3)
