"""Benchmark: compare two pipeline snapshots of 1 000 000 deals each (target < 5 s).

Synthetic deals: 2 000 reps in 40 teams, five stages, amounts in cents. The current snapshot keeps 97 %
of the earlier deals (3 % removed), adds 30 000 new ones, and changes a share of the others: about a
quarter move a stage forward or back, 8 % have the close date pushed, 10 % a new amount, 6 % are won
and 6 % lost, 1 % change rep. Timed: ``compare_pipeline`` from the two checked frames to the per-deal,
per-rep, per-team and company results (each snapshot seen from its as-of date by ``deal_facts``).
Run by hand: ``.venv/bin/python bench/bench_funnel_changes.py``; figures go in bench/README.md.
"""
from __future__ import annotations

import os
import platform
import resource
import statistics
import time

import numpy as np
import pandas as pd

from xlsales.core.funnel_changes import compare_pipeline
from xlsales.core.stages import default_stages

DEALS = 1_000_000
EARLIER, NOW = pd.Timestamp("2026-06-23"), pd.Timestamp("2026-06-30")


def snapshots(n: int = DEALS, seed: int = 5) -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(seed)
    stages = default_stages()["stage"].to_numpy()
    reps = np.array([f"rep {i:04d}" for i in range(2000)], dtype=object)
    teams = np.array([f"team {i // 50:02d}" for i in range(2000)], dtype=object)
    rep_no = rng.integers(0, 2000, n)
    stage_no = rng.integers(1, 5, n)
    created = pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 170, n), unit="D")
    earlier = pd.DataFrame({
        "id": np.char.add("D", np.arange(n).astype(str)).astype(object), "rep": reps[rep_no], "team": teams[rep_no],
        "amount": np.round(rng.lognormal(11, 0.8, n), 2), "stage": stages[stage_no - 1], "status": "open",
        "created": created, "stage_entered": created, "customer": None,
        "expected_close": pd.Timestamp("2026-07-01") + pd.to_timedelta(rng.integers(0, 180, n), unit="D"),
        "closed_date": pd.NaT, "close_date_changes": rng.integers(0, 3, n),
    })
    now = earlier.sample(frac=0.97, random_state=seed).sort_index().reset_index(drop=True)
    m = len(now)
    u = rng.random((6, m))
    move = np.where(u[0] < 0.15, 1, np.where(u[0] < 0.25, -1, 0))
    now["stage"] = stages[np.clip(stage_no_of(now, stages) + move, 1, 4) - 1]
    pushed = u[1] < 0.08
    now.loc[pushed, "expected_close"] += pd.Timedelta(days=30)
    now.loc[pushed, "close_date_changes"] += 1
    now.loc[u[2] < 0.10, "amount"] = np.round(now.loc[u[2] < 0.10, "amount"] * 1.1, 2)
    won, lost = u[3] < 0.06, (u[3] >= 0.06) & (u[3] < 0.12)
    now.loc[won, ["stage", "status"]] = [stages[-1], "won"]
    now.loc[lost, "status"] = "lost"
    now.loc[won | lost, "closed_date"] = pd.Timestamp("2026-06-27")
    swap = u[4] < 0.01
    new_rep = rng.integers(0, 2000, int(swap.sum()))
    now.loc[swap, "rep"], now.loc[swap, "team"] = reps[new_rep], teams[new_rep]
    k = 30_000
    fresh = earlier.iloc[:k].copy()
    fresh["id"] = np.char.add("N", np.arange(k).astype(str)).astype(object)
    fresh["created"] = fresh["stage_entered"] = pd.Timestamp("2026-06-25")
    now = pd.concat([now, fresh], ignore_index=True)
    return earlier, now


def stage_no_of(frame, stages) -> np.ndarray:
    return pd.Categorical(frame["stage"], categories=stages).codes.astype(np.int64) + 1


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"{platform.python_implementation()} {platform.python_version()}, pandas {pd.__version__}, "
          f"numpy {np.__version__}")
    earlier, now = snapshots()
    stages = default_stages()
    print(f"{len(earlier):,} deals earlier, {len(now):,} now")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        result = compare_pipeline(earlier, now, stages, EARLIER, NOW)
        times.append(time.perf_counter() - start)
    t = result.total
    print(f"compare two snapshots: median {statistics.median(times):.2f} s, best {min(times):.2f} s, "
          f"worst {max(times):.2f} s (5 runs; load average {os.getloadavg()[0]:.1f})")
    print(f"  {len(result.by_rep):,} reps, {len(result.by_team)} teams; reconciliation difference "
          f"{t['difference']:.2f}; open {t['open_before_amount']:,.2f} → {t['open_now_amount']:,.2f}")
    print(f"peak resident size (ru_maxrss): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
