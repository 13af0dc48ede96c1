"""Benchmark: split_target on 100 000 weights and the full decomposition for 2 000 reps × 36 months ×
3 measures. Run by hand: ``.venv/bin/python bench/bench_targets.py``; figures go in bench/README.md."""
from __future__ import annotations

import platform
import tempfile
import time
from pathlib import Path

import numpy as np

import xlsales
from xlsales.core.decomposition import PlanSettings, monthly_history, pacing, plan_targets
from xlsales.sample import sample_company
from xlsales.workbooks.targets import write_targets_workbook


def best_of(runs: int, work) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    rng = np.random.default_rng(1)
    weights = rng.uniform(0, 1000, 100_000).tolist()
    print(f"split_target, 100 000 weights, round_to=1:      {best_of(5, lambda: xlsales.split_target(10**9, weights, round_to=1)):.3f} s")
    locked = [None] * 100_000
    locked[::10] = [10.0] * 10_000
    print(f"split_target, 100 000 weights, 10 000 locked:    "
          f"{best_of(5, lambda: xlsales.split_target(10**9, weights, round_to=1, locked=locked)):.3f} s")

    start = time.perf_counter()
    company = sample_company(seed=3, reps=2000, months=36)
    print(f"sample company, 2 000 reps × 36 months ({len(company.orders):,} orders): {time.perf_counter() - start:.2f} s")
    history = best_of(3, lambda: monthly_history(company.orders))
    hist = monthly_history(company.orders)
    print(f"monthly history (3 measures, {len(hist):,} rows):     {history:.3f} s")
    settings = PlanSettings(year=2027, buffer=0.1)
    plan_time = best_of(3, lambda: plan_targets(hist, company.reps, settings))
    plan = plan_targets(hist, company.reps, settings)
    print(f"decomposition, 2 000 reps × 12 months × 3 measures: {plan_time:.3f} s "
          f"({len(plan.monthly):,} monthly targets)")
    print(f"pacing, 6 000 rep-measures:                       {best_of(3, lambda: pacing(plan, '2027-06-30')):.3f} s")
    total = best_of(3, lambda: plan_targets(monthly_history(company.orders), company.reps, settings))
    print(f"orders → history → decomposition, end to end:     {total:.3f} s")
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        write_targets_workbook(plan, Path(folder) / "targets.xlsx", "2027-06-30")
        print(f"targets workbook for 2 000 reps (openpyxl):       {time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
