"""How long xlsales takes to refuse or read hostile files (issue 14's bounds), by hand:

    .venv/bin/python bench/bench_hostile.py

Each case is timed 5 times (median, best, worst): a 1 000 000-row orders CSV loaded and checked; an
.xlsx whose dimension claims A1:XFD1048576 (3 real rows); an .xlsx with one stray cell at XFD1048576; a
YAML alias bomb (refused); a memo template with a 10^8-iteration loop (stopped at its time limit is not
timed here: the range cap stops it first).
"""
from __future__ import annotations

import io
import re
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd

from xlsales.errors import InputError
from xlsales.io.schemas import load_orders
from xlsales.io.yamlfile import parse_yaml


def _xlsx(path: Path, patch) -> Path:
    buffer = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.title = "orders"
    for row in (["date", "rep", "amount"], ["2026-01-05", "a", 100], ["2026-01-06", "b", 200]):
        book.active.append(row)
    book.save(buffer)
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            target.writestr(info.filename, patch(data) if info.filename == "xl/worksheets/sheet1.xml" else data)
    return path


def _time(fn, runs=5):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        try:
            fn()
        except InputError:
            pass
        times.append(time.perf_counter() - start)
    return statistics.median(times), min(times), max(times)


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="xlsales-bench-hostile-"))
    n = 1_000_000
    rng = np.random.default_rng(1)
    dates = (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")).strftime("%Y-%m-%d")
    pd.DataFrame({"日期": dates, "销售代表": rng.integers(0, 2000, n).astype(str),
                  "金额": rng.uniform(5000, 500000, n).round(2)}).to_csv(folder / "big.csv", index=False)
    dim = _xlsx(folder / "dim.xlsx", lambda d: re.sub(rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', d))
    far = _xlsx(folder / "far.xlsx", lambda d: d.replace(
        b"</sheetData>", b'<row r="1048576"><c r="XFD1048576" t="n"><v>1</v></c></row></sheetData>'))
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{k}: &{k} [{', '.join(['*' + p] * 9)}]\n" for p, k in zip("abcdefgh", "bcdefghi"))
    cases = [("1 000 000-row orders CSV, loaded and checked", lambda: load_orders(folder / "big.csv")),
             ("xlsx declaring A1:XFD1048576 (3 real rows)", lambda: load_orders(dim)),
             ("xlsx with a stray cell at XFD1048576 (refused, row named)", lambda: load_orders(far)),
             ("YAML alias bomb (9^9 nodes if expanded; refused)", lambda: parse_yaml(bomb, "bomb.yaml"))]
    print(f"python {sys.version.split()[0]}, pandas {pd.__version__}, openpyxl {openpyxl.__version__}")
    for name, fn in cases:
        median, best, worst = _time(fn)
        print(f"| {name} | {median:.2f} s | {best:.2f} s | {worst:.2f} s |")


if __name__ == "__main__":
    main()
