"""An open Excel workbook as xlwings shows it, over an openpyxl copy of the file, counting its calls.

Only the members the ribbon's refresh uses: ``book.sheets[name]``, ``sheet.tables[name]``,
``sheet.range(address)``, ``Range.resize/offset/options/shape/address/value/formula/clear_contents``,
``Table.range/resize``, the sheet protection of Excel's object model and ``app.screen_updating`` /
``app.calculation``. Values come back as Excel gives them: numbers as floats, dates as datetimes,
formula cells with their formula text (and no value, as they are not calculated here), text that
starts with "=" as text. Every call that crosses to Excel is appended to ``book.calls`` as
("read" | "write", what), so a test can count them.

``FakeBook(path, lite=True)`` is the book as xlwings Lite shows it to a script: it reads values but no
formulas (``formula`` raises), its app has no screen-updating or calculation switches, and a sheet's
protection cannot be lifted from Python (``sheet.api`` is a plain dict, as in Lite). It also has the
members a Lite script reads to copy the workbook: iterating ``book.sheets`` and ``sheet.tables``,
``book.names`` with ``refers_to_range``, ``Range.row/column``.
"""
from __future__ import annotations

import types
from datetime import date, datetime

import openpyxl
from openpyxl.utils import get_column_letter, range_boundaries

ALLOW = ("AllowFormattingCells", "AllowFormattingColumns", "AllowFormattingRows", "AllowInsertingRows",
         "AllowDeletingRows", "AllowSorting", "AllowFiltering", "AllowUsingPivotTables")


def _is_formula(cell) -> bool:
    return cell.data_type == "f"


class FakeRange:
    def __init__(self, sheet, row, col, rows=1, cols=1):
        self.sheet, self.row, self.col, self.rows, self.cols = sheet, row, col, rows, cols

    @property
    def calls(self):
        return self.sheet.book.calls

    def resize(self, rows, cols):
        return FakeRange(self.sheet, self.row, self.col, rows, cols)

    def offset(self, rows, cols):
        return FakeRange(self.sheet, self.row + rows, self.col + cols, self.rows, self.cols)

    def options(self, **options):
        self.ndim = options.get("ndim")
        return self

    @property
    def shape(self):
        return self.rows, self.cols

    @property
    def column(self):
        return self.col

    @property
    def address(self):
        return (f"${get_column_letter(self.col)}${self.row}:"
                f"${get_column_letter(self.col + self.cols - 1)}${self.row + self.rows - 1}")

    def _cells(self):
        return [[self.sheet.ws.cell(self.row + r, self.col + c) for c in range(self.cols)]
                for r in range(self.rows)]

    def _shaped(self, rows, two_d=False):
        if two_d:
            return [list(r) for r in rows]
        if self.rows == self.cols == 1:
            return rows[0][0]
        return tuple(tuple(r) for r in rows)

    @property
    def formula(self):  # Excel's Formula: the formula, or the constant as text
        if self.sheet.book.lite:
            raise NotImplementedError("xlwings Lite reads values, not formulas")
        self.calls.append(("read", "formula " + self.address))
        def text(cell):
            v = cell.value
            if v is None:
                return ""
            if isinstance(v, bool):
                return "TRUE" if v else "FALSE"
            if isinstance(v, (datetime, date)):
                return f"{v.month}/{v.day}/{v.year}"
            return str(v)
        return self._shaped([[text(c) for c in row] for row in self._cells()])

    @property
    def value(self):
        self.calls.append(("read", "value " + self.address))
        def value(cell):
            v = cell.value
            if _is_formula(cell):
                return None                      # not calculated here
            if isinstance(v, int) and not isinstance(v, bool):
                return float(v)
            if isinstance(v, date) and not isinstance(v, datetime):
                return datetime(v.year, v.month, v.day)
            return v
        return self._shaped([[value(c) for c in row] for row in self._cells()], getattr(self, "ndim", None) == 2)

    @value.setter
    def value(self, rows):
        self.calls.append(("write", "value " + self.address))
        if not isinstance(rows, (list, tuple)):
            rows = [[rows]]
        for cells, values in zip(self._cells(), rows):
            for cell, value in zip(cells, values):
                if self.sheet.ws.protection.sheet and cell.protection.locked:
                    raise PermissionError(f"{cell.coordinate} is on a protected sheet")  # as Excel
                if self.sheet.fail_on_write:
                    raise RuntimeError("Excel refused the write")
                if isinstance(value, str) and value.startswith("'"):   # Excel's text prefix
                    cell.value, cell.data_type = value[1:], "s"
                else:
                    cell.value = value
                self.sheet.written.append(cell.coordinate)

    def clear_contents(self):
        self.calls.append(("write", "clear " + self.address))
        for row in self._cells():
            for cell in row:
                cell.value = None
                self.sheet.written.append(cell.coordinate)


class FakeTable:
    def __init__(self, sheet, table):
        self.sheet, self.table, self.name = sheet, table, table.displayName

    @property
    def range(self):
        self.sheet.book.calls.append(("read", "table range " + self.name))
        min_col, min_row, max_col, max_row = range_boundaries(self.table.ref)
        return FakeRange(self.sheet, min_row, min_col, max_row - min_row + 1, max_col - min_col + 1)

    def resize(self, rng):
        self.sheet.book.calls.append(("write", "table resize " + self.name))
        self.table.ref = rng.address.replace("$", "")


class FakeTables(dict):
    def __iter__(self):
        return iter(self.values())


class FakeProtectionApi:
    """Worksheet.ProtectContents / Unprotect / Protect of Excel's object model, over openpyxl."""

    def __init__(self, ws):
        self.ws, self.calls = ws, []
        self.Protection = types.SimpleNamespace(**{flag: flag == "AllowFormattingCells" for flag in ALLOW})

    @property
    def ProtectContents(self):
        return bool(self.ws.protection.sheet)

    def Unprotect(self):
        self.calls.append("Unprotect")
        self.ws.protection.sheet = False

    def Protect(self, **options):
        self.calls.append(("Protect", options))
        self.ws.protection.sheet = True


class FakeSheet:
    def __init__(self, book, ws):
        self.book, self.ws, self.written, self.fail_on_write = book, ws, [], False
        self.name = ws.title
        self.tables = FakeTables((t.displayName, FakeTable(self, t)) for t in ws.tables.values())
        self.api = {"name": ws.title} if book.lite else FakeProtectionApi(ws)

    def range(self, address):
        min_col, min_row, _, _ = range_boundaries(address)
        return FakeRange(self, min_row, min_col)


class FakeApp:
    def __init__(self, book):
        self.book, self._screen, self._calculation = book, True, "automatic"
        self.history = []

    @property
    def screen_updating(self):
        return self._screen

    @screen_updating.setter
    def screen_updating(self, value):
        self.book.calls.append(("write", f"screen_updating {value}"))
        self.history.append(("screen_updating", value))
        self._screen = value

    @property
    def calculation(self):
        return self._calculation

    @calculation.setter
    def calculation(self, value):
        self.book.calls.append(("write", f"calculation {value}"))
        self.history.append(("calculation", value))
        self._calculation = value


class FakeLiteApp:
    """xlwings Lite's app: no screen updating, no calculation mode."""

    def __init__(self, book):
        self.book, self.history = book, []


class FakeName:
    def __init__(self, name, refers_to_range):
        self.name, self.refers_to_range = name, refers_to_range


class FakeBook:
    """An open workbook: reads and writes go to an openpyxl copy of the file."""

    def __init__(self, path, lite=False):
        self.fullname, self.saved, self.calls, self.lite = str(path), 0, [], lite
        self.wb = openpyxl.load_workbook(path)
        self.sheets = FakeTables((ws.title, FakeSheet(self, ws)) for ws in self.wb.worksheets)
        self.app = FakeLiteApp(self) if lite else FakeApp(self)

    @property
    def names(self):
        names = []
        for name, defined in self.wb.defined_names.items():
            for sheet_title, ref in defined.destinations:
                min_col, min_row, max_col, max_row = range_boundaries(ref.replace("$", ""))
                names.append(FakeName(name, FakeRange(self.sheets[sheet_title], min_row, min_col,
                                                      max_row - min_row + 1, max_col - min_col + 1)))
        return names

    def save(self):
        self.saved += 1
        self.wb.save(self.fullname)

    def writes(self) -> list:
        return [what for kind, what in self.calls if kind == "write"]
