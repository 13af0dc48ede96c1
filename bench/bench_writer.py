"""Benchmark: the project's workbook writer against XlsxWriter's constant_memory mode, same cells, one run.

The cells are the funnel workbook's Deals table (14 value columns: text, money, dates, counts; 8 formula
columns with the funnel's real formulas and their cached results) for N deals, plus the 5-row Stages
table the formulas point at, each table a named Excel table on its own sheet. Both writers get the same
values, the same number formats (XlsxWriter cannot add named tables in constant_memory mode, so its
file has the header rows but no table definitions), the same formula text and the same cached results, and write a
.xlsx file; the runs alternate (project, XlsxWriter, project, …) so that both see the same machine load.
Printed: median seconds of each, the ratio project ÷ XlsxWriter per pair and its median (≤ 1 means the
project's writer is at least as fast), and the peak resident memory of a child process for each writer.

Run: ``.venv/bin/python bench/bench_writer.py [--deals 100000] [--runs 3]`` (XlsxWriter comes with
``pip install -e '.[bench]'``; ``make bench`` installs it).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import platform
import resource
import statistics
import tempfile
import time
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from xlsales.workbooks.binding import FORMULA, compile_formula, create_table, save_atomic, table_ranges, write_table
from xlsales.workbooks.funnel import DEALS, STAGES, localised_fields


def deals_frame(n: int, seed: int = 7) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Synthetic deals (the Deals table's value columns), stages, and each formula column's results."""
    rng = np.random.default_rng(seed)
    stages = pd.DataFrame({"order": [1, 2, 3, 4, 5], "stage": ["Lead", "Qualified", "Proposal", "Negotiation", "Won"],
                           "probability": [0.1, 0.25, 0.5, 0.75, 1.0], "stale_days": [30, 30, 21, 14, 7],
                           "norm": [0.5, 0.5, 0.6, 0.7, np.nan]})
    created = pd.Timestamp("2025-01-01") + pd.to_timedelta(rng.integers(0, 540, n), unit="D")
    status = rng.choice(["open", "won", "lost"], n, p=[0.6, 0.25, 0.15])
    stage_no = rng.integers(1, 6, n)
    entered = created + pd.to_timedelta(rng.integers(0, 60, n), unit="D")
    closed = pd.Series(entered + pd.to_timedelta(rng.integers(1, 90, n), unit="D")).where(status != "open")
    reps = np.array([f"Rep {i:05d}" for i in range(max(n // 100, 1))])
    frame = pd.DataFrame({
        "id": [f"D{i:07d}" for i in range(n)], "rep": reps[rng.integers(0, len(reps), n)],
        "team": rng.choice([f"Team {i}" for i in range(50)], n), "region": rng.choice(["North", "South", "East"], n),
        "customer": [f"Customer {i % 7919}" for i in range(n)], "stage": stages["stage"].to_numpy()[stage_no - 1],
        "status": status, "amount": np.round(rng.gamma(2.0, 20_000, n), 2), "created": created,
        "stage_entered": entered, "expected_close": entered + pd.to_timedelta(rng.integers(10, 120, n), unit="D"),
        "closed_date": closed, "pushes": rng.integers(0, 4, n), "category": rng.choice(["Commit", "Best case"], n),
    })
    prob = np.where(status == "open", stages["probability"].to_numpy()[stage_no - 1], (status == "won") * 1.0)
    cached = {"stage_no": stage_no, "probability": prob, "weighted": np.where(status == "open", frame["amount"] * prob, 0),
              "days_in_stage": np.where(status == "open", rng.integers(0, 100, n), np.nan),
              "stale": rng.integers(0, 2, n), "slipped": rng.integers(0, 2, n), "not_credible": rng.integers(0, 2, n),
              "cycle_days": np.where(status == "won", rng.integers(5, 200, n), np.nan)}
    return frame, stages, {k: pd.Series(v) for k, v in cached.items()}


def project(path: Path, frame, stages, cached) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    deals_fields = localised_fields(DEALS, "en")
    for name, fields, title in (("Stages", STAGES, "Stages"), ("Deals", deals_fields, "Deals")):
        create_table(wb.create_sheet(title), name, fields, "A3")
    ranges = {**table_ranges(wb, "Stages", STAGES, len(stages)), **table_ranges(wb, "Deals", deals_fields, len(frame))}
    write_table(wb, "Stages", STAGES, stages, formula_ranges=ranges)
    write_table(wb, "Deals", deals_fields, frame, formula_ranges=ranges, cached=cached)
    save_atomic(wb, path)


def xlsxwriter_constant_memory(path: Path, frame, stages, cached) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    formats = {}

    def fmt(code):
        if code and code not in formats:
            formats[code] = book.add_format({"num_format": code})
        return formats.get(code)

    deals_fields = localised_fields(DEALS, "en")
    columns = {f.key: i + 1 for i, f in enumerate(deals_fields)}
    ranges = {("Stages", f.key): ("Stages", chr(65 + i), 4, 3 + len(stages)) for i, f in enumerate(STAGES)}
    ranges.update({("Deals", f.key): ("Deals", xlsxwriter.utility.xl_col_to_name(i), 4, 3 + len(frame))
                   for i, f in enumerate(deals_fields)})
    for title, fields, data in (("Stages", STAGES, stages), ("Deals", deals_fields, frame)):
        ws = book.add_worksheet(title)
        cols = [(i, f, fmt(f.number_format)) for i, f in enumerate(fields)]
        for i, f, _ in cols:
            ws.write_string(2, i, f.en)
        values = {f.key: data[f.key].tolist() for f in fields if f.key in data}
        patterns = {f.key: compile_formula(f.formula, columns, ranges) for f in fields if f.kind == FORMULA}
        results = {k: v.tolist() for k, v in cached.items()} if title == "Deals" else {}
        for r in range(len(data)):
            row = 3 + r
            for i, f, style in cols:
                if f.key in patterns:
                    v = results[f.key][r]
                    ws.write_formula(row, i, patterns[f.key].format(row + 1), style, "" if v != v else v)
                    continue
                v = values[f.key][r]
                if v is None or (isinstance(v, float) and v != v) or v is pd.NaT:
                    continue
                if isinstance(v, str):
                    ws.write_string(row, i, v, style)
                elif isinstance(v, pd.Timestamp):
                    ws.write_datetime(row, i, v.to_pydatetime(), style)
                else:
                    ws.write_number(row, i, v, style)
    book.close()


WRITERS = {"project": project, "xlsxwriter": xlsxwriter_constant_memory}


def _child(name: str, n: int, out: str, queue) -> None:
    frame, stages, cached = deals_frame(n)
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    WRITERS[name](Path(out), frame, stages, cached)
    seconds = time.perf_counter() - started
    queue.put((seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, base / 1024,
               os.path.getsize(out)))


def timed(name: str, n: int, folder: str):
    """One run in a fresh process (so that peak memory is this writer's): seconds, peak MB, MB before, bytes."""
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    proc = ctx.Process(target=_child, args=(name, n, os.path.join(folder, f"{name}.xlsx"), queue))
    proc.start()
    result = queue.get()
    proc.join()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"load average {os.getloadavg()[0]:.1f}")
    print(f"cells: Deals {args.deals} rows × {len(DEALS)} columns (8 formulas with cached results) + Stages 5 × 5")
    times = {name: [] for name in WRITERS}
    ratios = []
    with tempfile.TemporaryDirectory() as folder:
        for run in range(args.runs):
            pair = {}
            for name in WRITERS:
                seconds, peak, before, size = timed(name, args.deals, folder)
                times[name].append(seconds)
                pair[name] = seconds
                print(f"  run {run + 1} {name:10s} {seconds:7.2f} s  peak {peak:6.0f} MB (data alone {before:4.0f} MB)"
                      f"  file {size / 1e6:5.1f} MB")
            ratios.append(pair["project"] / pair["xlsxwriter"])
    for name, values in times.items():
        print(f"{name:10s} median {statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f})")
    print(f"ratio project / xlsxwriter constant_memory: median {statistics.median(ratios):.2f} "
          f"(pairs: {', '.join(f'{r:.2f}' for r in ratios)}; ≤ 1: the project's writer is at least as fast)")


if __name__ == "__main__":
    main()
