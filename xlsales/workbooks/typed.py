"""Values a user typed in a workbook, read back for a refresh.

Each value that cannot be used is a problem naming the workbook, the sheet, the cell and the column (or
the label beside it), in the user's terms: ``targets.xlsx, sheet Assumptions, cell E19 (Growth): 'abc'
is not a number``; never Python's exception text. Every problem is collected, then raised at once
(InputFileError: exit 2, nothing written).
"""
from __future__ import annotations

import math
from datetime import date, datetime
from pathlib import Path

import pandas as pd

from xlsales.errors import InputFileError
from xlsales.workbooks.binding import _field_columns, _table_geometry, find_table, name_cell


class TypedCells:
    def __init__(self, wb, path):
        self.wb = wb
        self.file = Path(path).name
        self.problems: list[str] = []

    # -- where a value is -----------------------------------------------------------------------

    def where(self, cell, label: str | None = None) -> str:
        label = label or self._label_beside(cell)
        return f"{self.file}, sheet {cell.parent.title}, cell {cell.coordinate}" + (f" ({label})" if label else "")

    @staticmethod
    def _label_beside(cell) -> str | None:
        if cell.column > 1:
            text = cell.parent.cell(cell.row, cell.column - 1).value
            if isinstance(text, str) and text.strip():
                return text.strip()
        return None

    def problem(self, cell, what: str, label: str | None = None) -> None:
        self.problems.append(f"{self.where(cell, label)}: {what}")

    def named(self, name: str):
        return name_cell(self.wb, name)

    def column(self, table: str, fields, key: str) -> tuple[list, str]:
        """The cells of one column of a table (data rows) and the column's header as the user sees it."""
        ws, found = find_table(self.wb, table)
        min_col, min_row, max_col, max_row, headers = _table_geometry(ws, found)
        col = _field_columns(fields, headers, min_col).get(key)
        if col is None:
            return [], key
        return [ws.cell(r, col) for r in range(min_row + 1, max_row + 1)], headers[col - min_col]

    # -- what a value must be -------------------------------------------------------------------

    def number(self, cell, low=None, high=None, label=None, blank=None, unit: str = "", integer=False):
        """The cell's number, checked against [low, high]; ``blank``: what an empty cell means (None: not
        allowed). Text that reads as a number ('15%', '1,000') is taken; anything else is a problem."""
        value = cell.value
        if value is None or (isinstance(value, str) and not value.strip()):
            if blank is None:
                self.problem(cell, "is blank; a number is needed", label)
            return blank
        number = _as_number(value)
        if number is None:
            self.problem(cell, f"{_shown(value)} is not a number", label)
            return blank
        if not math.isfinite(number):
            self.problem(cell, f"{_shown(value)} is not a finite number", label)
            return blank
        if integer and number != int(number):
            self.problem(cell, f"{number:g} is not a whole number", label)
            return blank
        if (low is not None and number < low) or (high is not None and number > high):
            self.problem(cell, f"{_plain(number)} is outside {_plain(low)} to {_plain(high)}{unit}", label)
            return blank
        return int(number) if integer else number

    def date(self, cell, label=None, blank_ok: bool = True, low=date(1900, 1, 1), high=date(2100, 12, 31)):
        value = cell.value
        if value is None or (isinstance(value, str) and not value.strip()):
            if not blank_ok:
                self.problem(cell, "is blank; a date is needed", label)
            return None
        if isinstance(value, (datetime, date)):
            day = pd.Timestamp(value)
        else:
            try:
                day = pd.Timestamp(str(value).strip())
            except (ValueError, OverflowError):
                self.problem(cell, f"{_shown(value)} is not a date (write it like 2026-03-31)", label)
                return None
        if not pd.Timestamp(low) <= day <= pd.Timestamp(high):
            self.problem(cell, f"{day:%Y-%m-%d} is outside the dates xlsales accepts ({low} to {high})", label)
            return None
        return day

    def raise_if_any(self) -> None:
        if self.problems:
            raise InputFileError(self.problems)


def report_notes(notes: list[str]) -> None:
    """Typed cells a refresh keeps (used, or kept as typed though unusable), on stderr (the command line and
    the ribbon's log)."""
    import sys
    for note in notes:
        print(f"xlsales: note: {note}", file=sys.stderr)


def _as_number(value) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace("_", "")
    scale = 1.0
    if text.endswith("%"):
        text, scale = text[:-1].strip(), 0.01
    if "," in text:
        parts = text.lstrip("+-").split(".")[0].split(",")
        if len(parts[0]) > 3 or not all(len(p) == 3 for p in parts[1:]):
            return None            # 1.234,56 or 1,5: a comma only separates thousands
        text = text.replace(",", "")
    try:
        return float(text) * scale
    except ValueError:
        return None


def _plain(number: float) -> str:
    """1e12 → 1,000,000,000,000; 0.15 → 0.15."""
    return f"{number:,.0f}" if abs(number) >= 1e4 and number == int(number) else f"{number:g}"


def _shown(value) -> str:
    text = str(value)
    return repr(text[:57] + "..." if len(text) > 60 else text)
