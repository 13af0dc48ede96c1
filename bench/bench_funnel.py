"""Benchmark: funnel analytics over 1 000 000 opportunity stage events (target < 3 s, < 1.5 GB peak).

The sample company's deals and stage events are copied (new ids, new rep names per copy) until there
are a million events; the timed work is rebuilding the deals as of a date from the events and the
whole analysis (stages, teams, reps, per-rep funnels, forecast against monthly targets).
Run by hand: ``.venv/bin/python bench/bench_funnel.py``; figures go in bench/README.md.
"""
from __future__ import annotations

import os
import platform
import resource
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from xlsales.core.funnel_analysis import analyse_funnel
from xlsales.core.funnel_history import deals_as_of
from xlsales.core.stages import default_stages
from xlsales.io.opportunities import with_rep_details
from xlsales.sample import sample_company
from xlsales.sample.opportunities import sample_opportunities, sample_stage_events

EVENTS = 1_000_000


def scaled(company, copies: int):
    """Deals, events, reps and monthly targets of ``copies`` copies of the company."""
    deals = with_rep_details(sample_opportunities(company), company.reps)
    events = sample_stage_events(company)
    months = pd.date_range(f"{company.as_of.year}-01-01", periods=12, freq="MS")
    per_rep = deals.groupby("rep")["amount"].sum() / 8
    deal_parts, event_parts, target_parts = [], [], []
    for k in range(copies):
        suffix = f"#{k}"
        deal_parts.append(deals.assign(id=deals["id"] + suffix, rep=deals["rep"] + suffix))
        event_parts.append(events.assign(id=events["id"] + suffix))
        target_parts.append(pd.DataFrame({"measure": "revenue", "region": None, "team": None,
                                          "rep": np.repeat(per_rep.index + suffix, 12),
                                          "month": np.tile(months, len(per_rep)),
                                          "target": np.repeat(per_rep.to_numpy() / 12, 12)}))
    return (pd.concat(deal_parts, ignore_index=True), pd.concat(event_parts, ignore_index=True),
            pd.concat(target_parts, ignore_index=True))


def run(deals, events, targets, as_of):
    stages = default_stages()
    snapshot = deals_as_of(events, deals, as_of, stages["stage"])
    return analyse_funnel(snapshot, stages, as_of, targets)


def main() -> None:
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, "
          f"{platform.python_implementation()} {platform.python_version()}")
    company = sample_company(seed=3, reps=400, months=30)
    per_copy = len(sample_stage_events(company))
    copies = -(-EVENTS // per_copy)
    deals, events, targets = scaled(company, copies)
    events = events.iloc[:EVENTS]
    deals = deals[deals["id"].isin(set(events["id"]))].reset_index(drop=True)
    as_of = company.as_of - pd.Timedelta(days=30)
    print(f"{len(events):,} stage events, {len(deals):,} deals, {deals['rep'].nunique():,} reps, "
          f"{len(targets):,} monthly targets")

    times, cpu = [], []
    for _ in range(5):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = run(deals, events, targets, as_of)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    print(f"events → deals as of a date → full funnel analysis: wall best {min(times):.2f} s, "
          f"worst {max(times):.2f} s; CPU best {min(cpu):.2f} s (5 runs; load average {os.getloadavg()[0]:.1f})")
    start = time.perf_counter()
    analyse_funnel(result.deals.drop(columns=[c for c in result.deals if c not in deals]), default_stages(),
                   as_of, targets)
    print(f"analysis alone on {len(result.deals):,} deals: {time.perf_counter() - start:.2f} s")

    tracemalloc.start()
    run(deals, events, targets, as_of)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"peak memory allocated by the analysis (tracemalloc): {peak / 2**20:,.0f} MiB")
    print(f"peak resident size of the whole process (ru_maxrss): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")

    with tempfile.TemporaryDirectory() as folder:
        from xlsales.workbooks.funnel import funnel_report

        start = time.perf_counter()
        funnel_report(company, Path(folder))
        print(f"funnel workbook for the 400-rep company ({len(sample_opportunities(company)):,} deals, openpyxl): "
              f"{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()
