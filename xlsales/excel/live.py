"""Run a ribbon button on the workbook open in Excel, and write back only what changed.

The workbook is saved, a copy is refreshed by the same code as the command line, and then every
named table of the copy is compared with the open workbook. Each table is read in two calls (its
values and its formulas, as 2-D arrays) and, when something in it changed, written in ONE call: the
smallest block holding every changed cell, as a 2-D array. While writing, screen updating is off and
calculation manual; both are put back afterwards, also when a write fails. An unchanged refresh
writes nothing at all. The refresh keeps the user's input cells and own columns, so a block that
spans them writes back what is already there; a user's formatting, charts and cells outside the
tables are never written.
"""
from __future__ import annotations

import contextlib
import math
import shutil
import tempfile
from datetime import date, datetime, timedelta
from pathlib import Path

from openpyxl.utils import get_column_letter, quote_sheetname, range_boundaries

from xlsales.errors import InputError
from xlsales.excel import refresh as _refresh
from xlsales.workbooks.sources import workbook_folder

EXCEL_EPOCH = datetime(1899, 12, 30)


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


def _blank(value) -> bool:
    return value is None or value == ""


def _as_datetime(value):
    if isinstance(value, datetime):
        return value
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return EXCEL_EPOCH + timedelta(days=value)   # a date shown as a serial number
    return None


def _same(live_value, live_formula, fresh) -> bool:
    """Whether the open cell (its value and its Formula text) already holds ``fresh``."""
    live_is_formula = (isinstance(live_formula, str) and live_formula.startswith("=")
                       and live_value != live_formula)     # a text cell "=x" has value == formula
    if isinstance(fresh, str) and fresh.startswith("="):
        return live_formula == fresh
    if live_is_formula:
        return False
    if _blank(fresh) or _blank(live_value):
        return _blank(fresh) and _blank(live_value)
    if isinstance(fresh, str):
        return str(live_value) == (fresh[1:] if fresh.startswith("'") else fresh)
    if isinstance(fresh, bool) or isinstance(live_value, bool):
        return live_value is fresh or (isinstance(live_value, bool) and isinstance(fresh, bool)
                                       and live_value == fresh)
    if isinstance(fresh, (datetime, date)):
        live = _as_datetime(live_value)
        return live is not None and abs((live - _as_datetime(fresh)).total_seconds()) < 0.5
    if isinstance(fresh, (int, float)):
        if isinstance(live_value, (datetime, date)):
            live_value = (_as_datetime(live_value) - EXCEL_EPOCH).total_seconds() / 86400
        try:
            return math.isclose(float(live_value), fresh, rel_tol=1e-14, abs_tol=1e-12)
        except (TypeError, ValueError):
            return False
    return str(live_value) == str(fresh)


def changed_block(live_values: list[list], live_formulas: list[list], fresh: list[list]):
    """(first row, first column, last row, last column) of the cells that differ, 0-based within
    the table, or None when nothing does."""
    rows, columns = [], []
    for r, fresh_row in enumerate(fresh):
        values = live_values[r] if r < len(live_values) else []
        formulas = live_formulas[r] if r < len(live_formulas) else []
        for c, value in enumerate(fresh_row):
            if not _same(values[c] if c < len(values) else None, formulas[c] if c < len(formulas) else None, value):
                rows.append(r)
                columns.append(c)
    if not rows:
        return None
    return min(rows), min(columns), max(rows), max(columns)


def _rows(value, shape) -> list[list]:
    """xlwings gives one cell as a scalar and one row or column as a flat list: always rows."""
    n_rows, n_cols = shape
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if value and not isinstance(value[0], (list, tuple)):
        return [list(value)] if n_rows == 1 else [[v] for v in value]
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


@contextlib.contextmanager
def quiet(app):
    """Screen updating off and calculation manual while writing; both restored, also on error. xlwings
    Lite has neither switch (Office.js applies a script's writes in one batch): nothing to do there."""
    try:
        screen, calculation = app.screen_updating, app.calculation
    except (AttributeError, NotImplementedError):
        yield
        return
    app.screen_updating, app.calculation = False, "manual"
    try:
        yield
    finally:
        app.calculation = calculation
        app.screen_updating = screen


def _table(sheet, name):
    """The sheet's table ``name`` (one lookup), or None when the user deleted it."""
    try:
        return sheet.tables[name]
    except Exception:  # noqa: BLE001 - xlwings raises the COM error of ListObjects(name)
        return None


def _moved_ranges(tables, before) -> list[str]:
    """The column ranges ("'Targets'!$K$4:$K$43", as formulas name them) of every table whose place
    or size differs from ``before``: a formula naming one is not the one already in the book."""
    moved = []
    for name, (sheet_name, ref, _) in tables.items():
        if before.get(name) == (sheet_name, ref):
            continue
        min_col, min_row, max_col, max_row = range_boundaries(ref)
        for col in range(min_col, max_col + 1):
            letter = get_column_letter(col)
            moved.append(f"{quote_sheetname(sheet_name)}!${letter}${min_row + 1}:${letter}${max_row}")
    return moved


def assumed_formulas(fresh, old_shape, moved) -> list[list]:
    """For a book whose formulas cannot be read (xlwings Lite): the formulas taken to be there already,
    as ``changed_block`` wants them. A fresh formula is taken to be in the book when its cell lies in a
    row and column the table had and it names no moved range (a table's formulas follow from where
    the tables are); any other cell is taken to hold no formula."""
    old_rows, old_columns = old_shape
    rows = []
    for r, fresh_row in enumerate(fresh):
        rows.append([value if (isinstance(value, str) and value.startswith("=") and r < old_rows
                               and c < old_columns and not any(m in value for m in moved)) else None
                     for c, value in enumerate(fresh_row)])
    return rows


def _plan(book, tables, before=None) -> list[tuple]:
    """What to write, table by table, from two reads of each table of the open ``book`` (one, the
    values, when ``before`` says where the tables were and the formulas cannot be read)."""
    plan = []
    moved = _moved_ranges(tables, before) if before is not None else []
    for name, (sheet_name, ref, fresh) in tables.items():
        sheet = book.sheets[sheet_name]
        live_table = _table(sheet, name)
        if live_table is None or not fresh:
            continue
        top_left = sheet.range(ref.split(":")[0])
        old_rows, old_columns = live_table.range.shape
        shape = (max(old_rows, len(fresh)), len(fresh[0]))
        block = top_left.resize(*shape)
        values = _rows(block.options(ndim=2).value, shape)
        if before is None:
            formulas = _rows(block.formula, shape)
        else:
            was = before.get(name)   # the same top-left corner: the same columns, in the same place
            own = was is not None and was[0] == sheet_name and was[1].split(":")[0] == ref.split(":")[0]
            formulas = assumed_formulas(fresh, (old_rows, old_columns) if own else (0, 0), moved)
        changed = changed_block(values, formulas, fresh)
        dropped = old_rows - len(fresh) if old_rows > len(fresh) else 0
        resize = (old_rows, old_columns) != (len(fresh), len(fresh[0]))
        if changed or resize:
            plan.append((sheet, live_table, top_left, fresh, changed, dropped, old_columns, resize))
    return plan


def write_back(book, tables, before=None) -> int:
    """Write what changed in ``tables`` (from ``fresh_tables``) into the open ``book``: one 2-D write per
    changed table. Returns the number of cells written. ``before``: {table: (sheet, ref)} as the tables
    were, for a book whose formulas cannot be read (xlwings Lite, see ``assumed_formulas``)."""
    plan = _plan(book, tables, before)
    if not plan:
        return 0
    written = 0
    with quiet(book.app):
        for sheet, live_table, top_left, fresh, changed, dropped, old_columns, resize in plan:
            with _unprotected(sheet):
                if dropped:   # rows the refresh no longer has
                    top_left.offset(len(fresh), 0).resize(dropped, old_columns).clear_contents()
                if resize:
                    live_table.resize(top_left.resize(len(fresh), len(fresh[0])))
                if changed:
                    r0, c0, r1, c1 = changed
                    top_left.offset(r0, c0).resize(r1 - r0 + 1, c1 - c0 + 1).value = \
                        [row[c0:c1 + 1] for row in fresh[r0:r1 + 1]]
                    written += (r1 - r0 + 1) * (c1 - c0 + 1)
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
        with workbook_folder(path.parent):   # inputs recorded relative to the real workbook
            _refresh.refresh(kind, copy)
        written = write_back(book, fresh_tables(copy))
    return f"{kind}: {written} cells updated"
