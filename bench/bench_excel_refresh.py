"""Calls a ribbon refresh makes into Excel, counted on a fake xlwings Book (tests/fake_excel.py).

Run: .venv/bin/python bench/bench_excel_refresh.py
The sample company's targets workbook (40 reps, 4 measures, as `xlsales demo` writes it), refreshed
unchanged and after one override, by the desktop button and by the xlwings Lite script (the fake
book as Lite shows it: values only, the copy made from its tables). Prints the calls and the writes
of each, and the seconds the refresh took (saving or copying, refreshing the copy with openpyxl,
comparing; the fake has no COM latency, and Pyodide runs Python slower than CPython).
"""
from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from openpyxl.utils import range_boundaries  # noqa: E402

from fake_excel import FakeBook  # noqa: E402
from xlsales.excel import lite_book, live  # noqa: E402
from xlsales.sample import sample_company  # noqa: E402
from xlsales.workbooks.targets import targets_report  # noqa: E402


def report(label, book, seconds):
    writes = book.writes()
    blocks = [w for w in writes if w.startswith("value ")]
    print(f"{label:32} calls {len(book.calls):3}  writes {len(writes):2} (table blocks {len(blocks)})  "
          f"{seconds:5.1f} s")


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="xlsales-bench-"))
    company = sample_company()
    path, _, _ = targets_report(company.orders, company.reps, folder / "targets.xlsx")
    cells = sum((c2 - c1 + 1) * (r2 - r1 + 1) for _, (_, ref, _) in live.fresh_tables(path).items()
                for c1, r1, c2, r2 in [range_boundaries(ref)])
    print(f"targets workbook: {cells} cells in {len(live.fresh_tables(path))} tables")
    book = FakeBook(path)
    started = time.perf_counter()
    live.run(book, "targets")
    report("targets, unchanged", book, time.perf_counter() - started)

    for label, lite, run in (("", False, live.run), ("Lite ", True, lite_book.run)):
        if lite:
            book = unprotected(FakeBook(fresh_copy(path), lite=True))
            started = time.perf_counter()
            run(book, "targets")
            report("Lite targets, unchanged", book, time.perf_counter() - started)
        book = unprotected(FakeBook(fresh_copy(path), lite=lite))
        sheet = next(s for s in book.sheets.values() if "TargetGrid" in s.ws.tables)
        ws = sheet.ws
        min_col, min_row, max_col, _ = range_boundaries(ws.tables["TargetGrid"].ref)
        headers = {ws.cell(min_row, c).value: c for c in range(min_col, max_col + 1)}
        ws.cell(min_row + 1, headers["Override"]).value = round(ws.cell(min_row + 1, headers["Suggested"]).value
                                                                * 0.9 / 100) * 100
        started = time.perf_counter()
        message = run(book, "targets")
        report(f"{label}targets, one override", book, time.perf_counter() - started)
        print(f"  {message}")


def fresh_copy(path) -> Path:
    """A copy of the workbook as written (the desktop button saves the book it refreshes)."""
    copy = Path(tempfile.mkdtemp(prefix="xlsales-bench-")) / path.name
    copy.write_bytes(path.read_bytes())
    return copy


def unprotected(book):
    """Lite cannot lift a sheet's protection: the user unprotects the formula sheets first."""
    if book.lite:
        for sheet in book.sheets:
            sheet.ws.protection.sheet = False
    return book


if __name__ == "__main__":
    main()
