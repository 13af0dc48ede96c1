"""Run a ribbon button on the workbook open in Excel, and write back only what changed.

The workbook is saved, a copy is refreshed by the same code as the command line, and then every
named table of the copy is compared with the open workbook cell by cell: only cells whose value or
formula differs are written. The refresh keeps the user's input cells and own columns, so those
compare equal and are never touched; a user's formatting, charts and cells outside the tables are
left alone because nothing else is written.
"""
from __future__ import annotations

import contextlib
import math
import shutil
import tempfile
from pathlib import Path

from xlsales.errors import InputError
from xlsales.excel import refresh as _refresh


def fresh_tables(path) -> dict[str, tuple[str, str, list[list]]]:
    """{table name: (sheet title, "A1:D9" ref, rows of values or "=formulas")} of a saved workbook."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    tables = {}
    for ws in wb.worksheets:
        for table in ws.tables.values():
            rows = [[_as_written(cell) for cell in row] for row in ws[table.ref]]
            tables[table.displayName] = (ws.title, table.ref, rows)
    return tables


def _as_written(cell):
    """The cell as Excel must receive it: text that looks like a formula keeps Excel's text prefix."""
    value = cell.value
    if cell.data_type == "s" and isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _same(live, fresh) -> bool:
    """Whether Excel's ``Range.Formula`` text ``live`` already shows ``fresh``."""
    if live in ("", None) or fresh in ("", None):
        return live in ("", None) and fresh in ("", None)
    if isinstance(fresh, bool):
        return str(live).upper() == str(fresh).upper()
    if isinstance(fresh, (int, float)):
        try:
            return math.isclose(float(live), fresh, rel_tol=1e-14)
        except (TypeError, ValueError):
            return False
    return str(live) == str(fresh)


def changed_runs(live: list[list], fresh: list[list]) -> list[tuple[int, int, list]]:
    """(row, first column, values) for each run of adjacent changed cells, 0-based within the table."""
    runs = []
    for r, fresh_row in enumerate(fresh):
        live_row = live[r] if r < len(live) else []
        start = None
        for c, value in enumerate(fresh_row + [None]):
            changed = c < len(fresh_row) and not _same(live_row[c] if c < len(live_row) else None, value)
            if changed and start is None:
                start = c
            elif not changed and start is not None:
                runs.append((r, start, fresh_row[start:c]))
                start = None
    return runs


def _rows(value) -> list[list]:
    """xlwings gives a one-cell range's formula as a string and a larger one as rows (tuples)."""
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if value and not isinstance(value[0], (list, tuple)):
        return [list(value)]
    return [list(row) for row in value]


# Worksheet.Protection flags kept when a protected sheet is protected again after writing.
_ALLOW = ("AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows", "AllowInsertingRows",
          "AllowDeletingRows", "AllowSorting", "AllowFiltering", "AllowUsingPivotTables")


@contextlib.contextmanager
def _unprotected(sheet):
    """Lift a sheet's password-less protection while writing (xlsales protects its formula sheets)."""
    api = getattr(sheet, "api", None)
    if not getattr(api, "ProtectContents", False):
        yield
        return
    allowed = {flag: getattr(api.Protection, flag) for flag in _ALLOW}
    api.Unprotect()
    try:
        yield
    finally:
        api.Protect(DrawingObjects=True, Contents=True, Scenarios=True, **allowed)


def write_back(book, tables) -> int:
    """Write the changed cells of ``tables`` (from ``fresh_tables``) into the open ``book``; returns the count."""
    written = 0
    for name, (sheet_name, ref, fresh) in tables.items():
        sheet = book.sheets[sheet_name]
        live_table = next((t for t in sheet.tables if t.name == name), None)
        if live_table is None:
            continue
        top_left = sheet.range(ref.split(":")[0])
        target = top_left.resize(len(fresh), len(fresh[0]))
        resize = live_table.range.address.replace("$", "") != ref
        runs = changed_runs(_rows(target.formula), fresh)
        if not runs and not resize:
            continue
        with _unprotected(sheet):
            if resize:
                old_rows, old_columns = live_table.range.shape
                if old_rows > len(fresh):  # rows the refresh dropped
                    top_left.offset(len(fresh), 0).resize(old_rows - len(fresh), old_columns).clear_contents()
                live_table.resize(target)
            for r, c, values in runs:
                top_left.offset(r, c).resize(1, len(values)).value = [values]
                written += len(values)
    return written


def run(book, kind: str) -> str:
    """Refresh the open ``book`` as ``kind`` (targets, funnel, commission) or write its memos."""
    path = Path(book.fullname)
    if not path.is_file():
        raise InputError("workbook: save it to a file first, then run the button again")
    book.save()
    if kind == "memos":
        out_dir = _refresh.write_memos(path, path.parent / f"{path.stem} memos")
        return f"Memos written to {out_dir}"
    with tempfile.TemporaryDirectory(prefix="xlsales-") as tmp:
        copy = Path(tmp) / path.name
        shutil.copy2(path, copy)
        _refresh.refresh(kind, copy)
        written = write_back(book, fresh_tables(copy))
    return f"{kind}: {written} cells updated"
