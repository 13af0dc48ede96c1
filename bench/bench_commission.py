"""Benchmark: full explained payouts (statement lines) for 10 000 reps × 12 monthly periods.

Run: .venv/bin/python bench/bench_commission.py [reps]
"""
from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from xlsales.core.commission_inputs import actuals_from_orders, quotas_from_targets, roster_from_reps
from xlsales.core.payouts import compute_payouts
from xlsales.io.plan import load_plan

ROOT = Path(__file__).resolve().parents[1]


def synthetic(reps: int, seed: int = 1):
    rng = np.random.default_rng(seed)
    names = np.array([f"R{i:05d}" for i in range(reps)])
    roster = pd.DataFrame({"rep": names, "region": rng.choice(list("ABCDE"), reps),
                           "team": rng.choice([f"T{i}" for i in range(200)], reps),
                           "hire_date": pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 2500, reps), "D")})
    n = reps * 12 * 6
    orders = pd.DataFrame({"date": pd.to_datetime("2026-01-01") + pd.to_timedelta(rng.integers(0, 365, n), "D"),
                           "rep": rng.choice(names, n), "amount": np.round(rng.lognormal(10, 0.8, n), 2)})
    orders.loc[rng.random(n) < 0.02, "amount"] *= -1
    orders["collected"] = np.round(orders["amount"].clip(lower=0) * rng.uniform(0.5, 1.0, n), 2)
    months = pd.date_range("2026-01-01", periods=12, freq="MS")
    targets = pd.DataFrame({"measure": np.repeat(["revenue", "collections"], reps * 12),
                            "region": "", "team": "", "rep": np.tile(np.repeat(names, 12), 2),
                            "month": np.tile(months, reps * 2), "target": 130_000.0})
    return roster, orders, targets


def main(reps: int = 10_000) -> None:
    plan = load_plan(ROOT / "examples/plans/plan.en.yaml")
    roster, orders, targets = synthetic(reps)
    t0 = time.perf_counter()
    actuals = actuals_from_orders(orders, plan)
    quotas = quotas_from_targets(targets, plan)
    t1 = time.perf_counter()
    result = compute_payouts(plan, actuals, quotas, roster_from_reps(roster), 2026 * 12 + 11)
    t2 = time.perf_counter()
    print(f"machine: {platform.machine()}, Python {sys.version.split()[0]}")
    print(f"{reps} reps × 12 months, {len(orders):,} orders")
    print(f"inputs (actuals + quotas): {t1 - t0:.2f} s")
    print(f"payouts + {len(result.lines):,} statement lines: {t2 - t1:.2f} s (total {t2 - t0:.2f} s)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
