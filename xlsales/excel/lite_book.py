"""The ribbon's jobs in xlwings Lite, where there is no workbook file: the same refresh, on a copy made
from the open workbook's own tables.

In Lite (Pyodide, Office.js) a script gets the open book and reads and writes ranges, tables and
names through xlwings; Python never sees a file. So the script copies what the refresh reads into an
.xlsx in Pyodide's in-memory file system: every named table (header and rows, at its own address)
and every defined name (its cells), as values. Then it runs the very function the desktop button and
the command line run on that copy (``xlsales.workbooks.targets.refresh_targets_workbook``, or the
commission workbook's recompute from its own tables), reads the refreshed tables back and writes
into the open book only what changed, one 2-D write per changed table (``live.write_back``).

What Lite's xlwings cannot do, and how that is handled:
- it reads values, never formulas. A formula the refresh writes counts as already there when it
  lies in a row and column the table had, and names no table whose size changed (the formulas of a
  table follow from where the tables are, and formula sheets are protected); otherwise it is written;
- it has no screen updating or calculation switches (Office.js applies the writes in one batch) and
  no way to lift a sheet's protection: the formula sheets must be unprotected before the first run
  (docs/excel.md says how);
- it has no message box: the script prints what it did in the task pane.
"""
from __future__ import annotations

import getpass
import re
import tempfile
from datetime import date, datetime
from pathlib import Path

import openpyxl
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import Table

from xlsales.errors import InputError
from xlsales.excel import live

KINDS = ("targets", "commission")


def _ref(rng) -> str:
    """"A3:D9" of an xlwings range (Lite and desktop alike)."""
    rows, columns = rng.shape
    return (f"{get_column_letter(rng.column)}{rng.row}:"
            f"{get_column_letter(rng.column + columns - 1)}{rng.row + rows - 1}")


def _cell_value(value):
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    return value


def _put(ws, row: int, column: int, rows: list[list]) -> None:
    for r, values in enumerate(rows):
        for c, value in enumerate(values):
            if value is None or value == "":
                continue
            cell = ws.cell(row + r, column + c)
            cell.value = _cell_value(value)
            if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
                cell.data_type = "s"        # a value, never a formula: Lite gives values only


def snapshot(book, path) -> dict[str, tuple[str, str]]:
    """Write at ``path`` an .xlsx holding the open ``book``'s tables and defined names (values, at their
    own addresses). Returns {table name: (sheet name, "A3:D9")}, the tables as they are now."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    geometry = {}
    for sheet in book.sheets:
        ws = wb.create_sheet(sheet.name)
        for table in sheet.tables:
            rng = table.range
            _put(ws, rng.row, rng.column, live._rows(rng.options(ndim=2).value, rng.shape))
            ref = _ref(rng)
            ws.add_table(Table(displayName=table.name, ref=ref))
            geometry[table.name] = (sheet.name, ref)
    for name in book.names:
        try:
            rng = name.refers_to_range
        except Exception:  # noqa: BLE001 - a name that is a constant or a formula: the refresh reads none
            continue
        if "!" in name.name:
            continue        # scoped to one sheet: not ours
        ws = wb[rng.sheet.name]
        _put(ws, rng.row, rng.column, live._rows(rng.options(ndim=2).value, rng.shape))
        wb.defined_names[name.name] = DefinedName(
            name.name, attr_text=f"{quote_sheetname(rng.sheet.name)}!{_absolute(_ref(rng))}")
    wb.save(path)
    return geometry


def _absolute(ref: str) -> str:
    return re.sub(r"([A-Z]+)(\d+)", r"$\1$\2", ref)


def _who() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - Pyodide may have no user database
        return "xlwings Lite"


def refresh_copy(kind: str, path) -> None:
    """The refresh the ribbon's button runs, on the copy at ``path`` (nothing but the workbook's own
    tables and names: no input files)."""
    if kind == "targets":
        from xlsales.workbooks.targets import refresh_targets_workbook

        refresh_targets_workbook(path, who=_who())
    elif kind == "commission":   # refresh.ENTRY_POINTS["commission_tables"], imported by name for the bundle
        from xlsales.workbooks.commission import recompute_workbook

        recompute_workbook(path)
    else:
        raise InputError(f"kind: xlwings Lite runs {' and '.join(KINDS)}, not {kind!r}")


def run(book, kind: str) -> str:
    """Refresh the open ``book`` as ``kind`` from its own tables and write back what changed."""
    with tempfile.TemporaryDirectory(prefix="xlsales-lite-") as folder:
        path = Path(folder) / "workbook.xlsx"
        before = snapshot(book, path)
        refresh_copy(kind, path)
        written = live.write_back(book, live.fresh_tables(path), before=before)
    return f"{kind}: {written} cells updated"


def script(book, kind: str) -> str:
    """What a Lite script runs: ``run``, with any failure as one line in the task pane, never a traceback."""
    try:
        message = run(book, kind)
    except Exception as error:  # noqa: BLE001 - shown to the user in the task pane
        message = f"xlsales: {error}"
    print(message)
    return message
