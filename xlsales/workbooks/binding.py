"""Bind frames to named Excel tables and defined names, never to fixed cell addresses.

A workbook module describes each table as a list of ``Field`` (a key, an English and a Chinese label,
and whether the column holds values, a formula or the user's input). ``write_table`` finds the table
by name, maps its header cells to fields by either label (so a user may move columns or add their own),
resizes the table to the frame, writes values and formulas, and carries the user's own columns and
input cells over by row key. Formulas are written with placeholders:

- ``{key}``            this row's cell of field ``key`` in the same table, e.g. ``H7``
- ``{Table.key}``      the whole data range of that field in table ``Table``, absolute and sheet-qualified
- ``{Table.key:first}`` the first data cell of that column (absolute), handy for INDEX/MATCH anchors
"""
from __future__ import annotations

import copy
import os
import re
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.cell.cell import Cell
from openpyxl.styles import Protection
from openpyxl.styles.cell_style import StyleArray
from openpyxl.utils import get_column_letter, quote_sheetname, range_boundaries
from openpyxl.workbook.defined_name import DefinedName
from openpyxl.worksheet.table import TableColumn

from xlsales.workbooks import ooxml, stream

VALUE, FORMULA, INPUT = "value", "formula", "input"
# Text that Excel would read as a formula, written as plain text instead.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Tables with at least this many rows are streamed as sheet XML at save time instead of openpyxl cells.
STREAM_ROWS = 20
MAX_ROWS = 1_048_576


@dataclass(frozen=True)
class Field:
    key: str
    en: str
    zh: str
    kind: str = VALUE
    formula: str | None = None
    number_format: str | None = None

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Formula(str):
    """A frame value that is a formula template (placeholders allowed), for tables whose rows
    need different formulas, e.g. a checks table."""


class _Expanded(str):
    """A formula the binder expanded from a template: the only text written as a formula."""


class WorkbookError(Exception):
    """The workbook does not have the table or name a refresh needs (e.g. a user deleted it)."""


# ---------------------------------------------------------------------------------------------
# Finding things


def find_table(wb, name: str):
    for ws in wb.worksheets:
        if name in ws.tables:
            return ws, ws.tables[name]
    raise WorkbookError(f"the workbook has no table named {name!r}; restore it from the template")


def _table_geometry(ws, table):
    min_col, min_row, max_col, max_row = range_boundaries(table.ref)
    headers = [ws.cell(min_row, c).value for c in range(min_col, max_col + 1)]
    return min_col, min_row, max_col, max_row, headers


def _field_columns(fields, headers, min_col) -> dict[str, int]:
    """Column number of each field, found by its English or Chinese label (case-insensitive)."""
    by_label = {}
    for f in fields:
        by_label[f.en.strip().lower()] = f.key
        by_label[f.zh.strip().lower()] = f.key
    found = {}
    for offset, header in enumerate(headers):
        key = by_label.get(str(header).strip().lower()) if header is not None else None
        if key is not None and key not in found:
            found[key] = min_col + offset
    return found


def column_range(wb, table_name: str, column_label_or_key: str, fields=None) -> str:
    """Absolute, sheet-qualified range of one column's data cells, e.g. 'Grid'!$H$5:$H$104."""
    ws, table = find_table(wb, table_name)
    min_col, min_row, max_col, max_row, headers = _table_geometry(ws, table)
    col = None
    if fields:
        col = _field_columns(fields, headers, min_col).get(column_label_or_key)
    if col is None:
        for offset, header in enumerate(headers):
            if header == column_label_or_key:
                col = min_col + offset
    if col is None:
        raise WorkbookError(f"table {table_name!r} has no column {column_label_or_key!r}")
    letter = get_column_letter(col)
    return f"{quote_sheetname(ws.title)}!${letter}${min_row + 1}:${letter}${max(max_row, min_row + 1)}"


# ---------------------------------------------------------------------------------------------
# Reading


def read_table(wb, name: str, fields) -> pd.DataFrame:
    """The table's rows as a frame with field keys as columns (user columns keep their headers)."""
    ws, table = find_table(wb, name)
    min_col, min_row, max_col, max_row, headers = _table_geometry(ws, table)
    columns = _field_columns(fields, headers, min_col)
    names = {col: key for key, col in columns.items()}
    data = {}
    for offset, header in enumerate(headers):
        col = min_col + offset
        label = names.get(col, header)
        data[label] = [ws.cell(r, col).value for r in range(min_row + 1, max_row + 1)]
    frame = pd.DataFrame(data)
    if len(frame) == 1 and frame.isna().all(axis=None):
        frame = frame.iloc[0:0]
    return frame


# ---------------------------------------------------------------------------------------------
# Writing


def _plain(value):
    """A frame cell as openpyxl wants it (None for missing, Python scalars)."""
    if value is None:
        return None
    if isinstance(value, (pd.Timestamp, datetime)):
        return None if pd.isna(value) else value.to_pydatetime() if isinstance(value, pd.Timestamp) else value
    if isinstance(value, date):
        return value
    if isinstance(value, (np.floating, float)):
        return None if np.isnan(value) else float(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def set_cell(cell, value) -> None:
    """Write a value; text that looks like a formula stays text."""
    value = _plain(value)
    cell.value = value
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        cell.data_type = "s"


_PLACEHOLDER = re.compile(r"\{([A-Za-z_]\w*)(?:\.(\w+))?(?::(first))?\}")


def expand_formula(template: str, row: int, columns: dict[str, int], ranges: dict) -> str:
    def replace(match):
        table, key, first = match.groups()
        if key is None:
            return f"{get_column_letter(columns[table])}{row}"
        sheet_ref, letter, top, bottom = ranges[(table, key)]
        if first:
            return f"{sheet_ref}!${letter}${top}"
        return f"{sheet_ref}!${letter}${top}:${letter}${bottom}"

    return _PLACEHOLDER.sub(replace, template)


def compile_formula(template: str, columns: dict[str, int], ranges: dict) -> str:
    """``expand_formula`` done once per column: a format string whose only field is the row, so that
    each cell costs one ``str.format`` instead of a regular-expression pass."""
    pieces, start = [], 0
    for match in _PLACEHOLDER.finditer(template):
        pieces.append(template[start:match.start()].replace("{", "{{").replace("}", "}}"))
        table, key, _ = match.groups()
        if key is None:
            pieces.append(f"{get_column_letter(columns[table])}{{0}}")
        else:
            pieces.append(expand_formula(match.group(0), 0, columns, ranges).replace("{", "{{").replace("}", "}}"))
        start = match.end()
    pieces.append(template[start:].replace("{", "{{").replace("}", "}}"))
    return "=" + "".join(pieces)


def _copy_style(source, target) -> None:
    if source.has_style:
        target._style = copy.copy(source._style)


def write_table(wb, name: str, fields, frame: pd.DataFrame, lang: str = "en", key=None,
                formula_ranges=None, cached: dict | None = None) -> None:
    """Fill table ``name`` with ``frame`` (columns = field keys), keeping what the user wrote.

    ``key``: field keys that identify a row; the user's own columns and INPUT fields are carried
    over from the existing rows with the same key. Fields missing from the table (the user deleted
    the column) are skipped. ``formula_ranges`` maps (table, key) → (sheet ref, letter, top, bottom)
    for placeholders that point at other tables; see ``table_ranges``. ``cached``: for formula fields,
    the values Python computed (one per frame row), written as the formulas' cached results.

    Tables of ``STREAM_ROWS`` rows or more, and tables given ``cached``, are not built as openpyxl cells:
    their rows are streamed into the sheet's XML at save time (``xlsales.workbooks.stream``).
    """
    ws, table = find_table(wb, name)
    min_col, min_row, max_col, max_row, headers = _table_geometry(ws, table)
    columns = _field_columns(fields, headers, min_col)
    kept = _kept_cells(ws, table, fields, columns, key) if key else {}
    looks = _kept_looks(ws, min_col, min_row, max_col, max_row, [columns.get(k) for k in key] if key else None)
    n = max(len(frame), 1)
    if min_row + n > MAX_ROWS:
        raise WorkbookError(f"table {name!r} would need {n:,} rows below row {min_row}, more than a sheet holds "
                            f"({MAX_ROWS:,} rows in Excel)")
    streamed = len(frame) >= STREAM_ROWS or bool(cached)        # openpyxl cannot write cached results
    for r in range(min_row + 1 + n, max_row + 1):      # rows the table no longer has
        for c in range(min_col, max_col + 1):
            ws.cell(r, c).value = None
    for f in fields:
        col = columns.get(f.key)
        if col is not None:
            ws.cell(min_row, col).value = f.label(lang)
    ranges = dict(formula_ranges or {})
    ranges.update(_ranges_of(ws, name, columns, min_row, n))
    by_column = {col: key_ for key_, col in columns.items()}
    by_field = {f.key: f for f in fields}
    keys = _row_keys(frame, key) if key and (kept or looks or not streamed) else []
    row_ids = keys if key else list(range(n))
    styles = {}
    for col in range(min_col, max_col + 1):
        style = _column_style(ws.cell(min_row + 1, col), by_field.get(by_column.get(col)))
        usual = looks.get(col, ({}, None))[1]
        if usual is not None:     # the column's usual fill, not the first row's (its font is the column's)
            style = style if style is not None else StyleArray()
            style.fillId = usual
        styles[col] = style
    block = stream.Block(min_row + 1, n) if streamed else None
    for offset, col in enumerate(range(min_col, max_col + 1)):
        field = by_field.get(by_column.get(col))
        style = styles[col]
        own_looks = looks.get(col, ({}, None))[0]
        if streamed:
            column = _stream_column(wb, min_row + 1, col, style, field, frame, columns, ranges, kept, keys,
                                    headers[offset], key, cached)
            if own_looks:       # the fill set on a row stays on it
                column.row_styles = {i: wb._cell_styles.add(_with_look(style, own_looks[r]))
                                     for i, r in enumerate(row_ids[:n]) if r in own_looks}
            block.columns.append(column)
            continue
        if field is not None and field.kind == FORMULA:
            pattern = compile_formula(field.formula, columns, ranges)
            cells = [_Expanded(pattern.format(min_row + 1 + i)) for i in range(len(frame))]
        elif field is not None and field.key in frame.columns:
            cells = [_Expanded("=" + expand_formula(v, min_row + 1 + i, columns, ranges)) if isinstance(v, Formula)
                     else v for i, v in enumerate(_column_values(frame[field.key]))]
            if field.kind == INPUT and key:     # what the user typed is never erased by a blank
                cells = [kept.get((k, field.key)) if v is None else v for k, v in zip(keys, cells)]
        elif key and (field is None or field.kind == INPUT):
            label = field.key if field is not None else headers[offset]
            cells = [kept.get((k, label)) for k in keys]
        else:
            cells = [None] * len(frame)
        for i in range(n):
            row = min_row + 1 + i
            value = cells[i] if i < len(cells) else None
            # Building the Cell directly is several times faster than ws.cell() and its setters.
            look = own_looks.get(row_ids[i]) if i < len(row_ids) else None
            # the fill set on this row stays on it
            cell_style = _with_look(style, look) if look is not None else copy.copy(style) if style is not None else None
            cell = Cell(ws, row=row, column=col, style_array=cell_style)
            ws._cells[(row, col)] = cell
            kind = type(value)
            if kind is float or kind is int:
                cell._value = value             # a number needs none of the setter's checks
            elif kind is _Expanded:
                cell._value, cell.data_type = str(value), "f"
            elif kind is str:
                cell.value = value              # openpyxl's setter checks for illegal characters
                if value.startswith(_FORMULA_STARTS):
                    cell.data_type = "s"
            elif value is not None:
                set_cell(cell, value)
    if streamed:
        stream.add_block(ws, block)
    table.ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{min_row + n}"
    _sync_table_columns(ws, table, min_col, max_col, min_row)
    if table.autoFilter is not None:
        table.autoFilter.ref = table.ref


def _stream_column(wb, top, col, style, field, frame, columns, ranges, kept, keys, header, key, cached):
    """One column of a streamed table: a shared formula, the frame's values, or the user's kept cells."""
    style_id = wb._cell_styles.add(style) if style is not None and any(style) else 0
    if field is not None and field.kind == FORMULA:
        values = (cached or {}).get(field.key)
        return stream.Column(col, style_id, formula=compile_formula(field.formula, columns, ranges),
                             cached=None if values is None else pd.Series(values).reset_index(drop=True))
    if field is not None and field.key in frame.columns:
        series = frame[field.key]
        if series.dtype == object and any(isinstance(v, Formula) for v in series):
            series = [stream.Expanded("=" + expand_formula(v, top + i, columns, ranges)) if isinstance(v, Formula)
                      else _plain(v) for i, v in enumerate(series.tolist())]
        if field.kind == INPUT and key and kept:     # what the user typed is never erased by a blank
            series = [kept.get((k, field.key)) if v is None else v
                      for k, v in zip(keys, series if isinstance(series, list) else _column_values(series))]
        return stream.Column(col, style_id, values=series)
    if key and kept and (field is None or field.kind == INPUT):
        label = field.key if field is not None else header
        return stream.Column(col, style_id, values=[kept.get((k, label)) for k in keys])
    return stream.Column(col, style_id)


def add_columns(wb, name: str, fields, keys, lang: str = "en") -> None:
    """Give table ``name`` the columns of ``keys`` it lacks (e.g. a workbook made before they existed), at its
    right edge; for columns the formulas need, which the binder otherwise skips when a user deletes them."""
    ws, table = find_table(wb, name)
    min_col, min_row, max_col, max_row, headers = _table_geometry(ws, table)
    have = _field_columns(fields, headers, min_col)
    missing = [f for f in fields if f.key in keys and f.key not in have]
    for f in missing:
        max_col += 1
        ws.cell(min_row, max_col).value = f.label(lang)
        if f.number_format:
            ws.cell(min_row + 1, max_col).number_format = f.number_format
    if missing:
        table.ref = f"{get_column_letter(min_col)}{min_row}:{get_column_letter(max_col)}{max_row}"
        _sync_table_columns(ws, table, min_col, max_col, min_row)


def _row_keys(frame: pd.DataFrame, key) -> list[tuple]:
    """Each frame row's key as a tuple of plain values (as ``_kept_cells`` reads them back)."""
    return list(zip(*(_column_values(frame[k]) for k in key)))


def _column_style(template_cell, field):
    """The style every data cell of a column gets: the template row's, plus the field's format."""
    if field is not None and field.number_format:
        template_cell.number_format = field.number_format
    if field is not None and field.kind == INPUT:
        template_cell.protection = Protection(locked=False)
    return copy.copy(template_cell._style) if template_cell.has_style else None


def _column_values(series: pd.Series) -> list:
    """A frame column as plain Python values, converted once per column rather than per cell."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return [None if pd.isna(v) else v.to_pydatetime() for v in series]
    if pd.api.types.is_float_dtype(series):
        return [None if v != v else v for v in series.tolist()]
    if pd.api.types.is_bool_dtype(series) or pd.api.types.is_integer_dtype(series):
        return series.tolist()
    return [v if isinstance(v, Formula) else _plain(v) for v in series.tolist()]


def _with_look(style, look) -> StyleArray:
    """A copy of ``style`` (or a plain style) with the fill ``look``."""
    out = copy.copy(style) if style is not None else StyleArray()
    out.fillId = look
    return out


def _kept_looks(ws, min_col, min_row, max_col, max_row, key_cols):
    """Per column: the fill of each existing data row that differs from the column's usual one, by row key
    (or by position when the table has no key), and that usual fill. Fills (a user colouring a rep's row)
    stay on their row; fonts and number formats are the column's, taken from its first data row."""
    from collections import Counter
    if key_cols is not None and None in key_cols:
        return {}
    rows = range(min_row + 1, max_row + 1)
    ids = ([tuple(_plain(ws.cell(r, c).value) for c in key_cols) for r in rows] if key_cols is not None
           else list(range(len(rows))))
    looks = {}
    for col in range(min_col, max_col + 1):
        pairs = []
        for r in rows:
            cell = ws._cells.get((r, col))
            pairs.append(cell._style.fillId if cell is not None and cell.has_style else 0)
        usual = Counter(pairs).most_common(1)[0][0]
        own = {i: p for i, p in zip(ids, pairs) if p != usual}
        if own or usual != 0:
            looks[col] = (own, usual)
    return looks


def _kept_cells(ws, table, fields, columns, key):
    """Values the user typed: INPUT fields and unknown (user) columns, by row key."""
    min_col, min_row, max_col, max_row, headers = _table_geometry(ws, table)
    field_cols = set(columns.values())
    input_keys = {f.key for f in fields if f.kind == INPUT}
    kept = {}
    key_cols = [columns.get(k) for k in key]
    if None in key_cols:
        return kept
    for r in range(min_row + 1, max_row + 1):
        row_key = tuple(_plain(ws.cell(r, c).value) for c in key_cols)
        for offset, header in enumerate(headers):
            col = min_col + offset
            name = next((k for k, v in columns.items() if v == col), None)
            if (col not in field_cols) or name in input_keys:
                value = ws.cell(r, col).value
                if value is not None:
                    kept[(row_key, name if name else header)] = value
    return kept


def _ranges_of(ws, table_name, columns, min_row, n):
    sheet_ref = quote_sheetname(ws.title)
    return {(table_name, k): (sheet_ref, get_column_letter(c), min_row + 1, min_row + n)
            for k, c in columns.items()}


def table_ranges(wb, name: str, fields, rows: int) -> dict:
    """Placeholder ranges of table ``name`` as they will be once it holds ``rows`` rows."""
    ws, table = find_table(wb, name)
    min_col, min_row, max_col, max_row, headers = _table_geometry(ws, table)
    return _ranges_of(ws, name, _field_columns(fields, headers, min_col), min_row, max(rows, 1))


def _sync_table_columns(ws, table, min_col, max_col, header_row):
    """Table column names must equal the header cells, or Excel repairs the file."""
    names = []
    for c in range(min_col, max_col + 1):
        header = ws.cell(header_row, c).value
        header = str(header) if header not in (None, "") else f"Column{c - min_col + 1}"
        while header in names:
            header += "_"
        ws.cell(header_row, c).value = header
        names.append(header)
    table.tableColumns = [TableColumn(id=i + 1, name=n) for i, n in enumerate(names)]
    table.autoFilter = table.autoFilter


def set_formula(cell, formula: str, cached=None) -> None:
    """Put ``formula`` (with its '=') in ``cell`` with ``cached``, Python's value of it, as its cached result
    (openpyxl writes none, so the cell is written at save time, with its style)."""
    ws = cell.parent
    style = ws.parent._cell_styles.add(cell._style) if cell.has_style else 0
    pattern = formula.replace("{", "{{").replace("}", "}}")
    stream.add_block(ws, stream.Block(cell.row, 1, [stream.Column(
        cell.column, style, formula=pattern, cached=pd.Series([cached], dtype=object))]))


def name_cell(wb, name: str):
    """The single cell a defined name points to."""
    defined = wb.defined_names.get(name)
    if defined is None:
        raise WorkbookError(f"the workbook has no defined name {name!r}; restore it from the template")
    (sheet, ref), = list(defined.destinations)
    return wb[sheet][ref.replace("$", "").split(":")[0]]


def write_name(wb, name: str, value) -> None:
    set_cell(name_cell(wb, name), value)


def define_name(wb, name: str, sheet_title: str, ref: str) -> None:
    """Create or repoint a workbook-level defined name (used when building templates)."""
    if name in wb.defined_names:
        del wb.defined_names[name]
    wb.defined_names[name] = DefinedName(name, attr_text=f"{quote_sheetname(sheet_title)}!{ref}")


# ---------------------------------------------------------------------------------------------
# Opening and saving


def open_workbook(path) -> openpyxl.Workbook:
    return openpyxl.load_workbook(path)


def save_atomic(wb, path, stamp: datetime | None = None) -> Path:
    """Save beside the target and replace it in one step, so a good file is never half-overwritten.

    The file is deterministic: zip entries carry a fixed date, and the document's created/modified
    properties are ``stamp`` — by default $SOURCE_DATE_EPOCH when set, else the current time (the one
    thing that differs between two builds of the same inputs; ``xlsales build`` fixes it).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if stamp is None and os.environ.get("SOURCE_DATE_EPOCH"):
        stamp = datetime.fromtimestamp(int(os.environ["SOURCE_DATE_EPOCH"]), tz=timezone.utc).replace(tzinfo=None)
    from xlsales.staging import clean_stale, temp_path
    clean_stale(path.parent)
    tmp = str(temp_path(path))
    try:
        stream.save(wb, tmp, stamp, fix_part=_fix_part)
        os.replace(tmp, path)
    except OSError as error:         # disk full, permission: the message names the workbook
        error.filename = error.filename or str(path)
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def _fix_part(name: str, data: bytes) -> bytes:
    """A package part as it goes into the zip, for fixes openpyxl does not make itself: the styles part
    in the order the Open XML schema wants (``ooxml.fix_styles``)."""
    return ooxml.fix_styles(data) if name == ooxml.STYLES_PART else data


# ---------------------------------------------------------------------------------------------
# Building templates


def create_table(ws, name: str, fields, top_left: str = "A1", lang: str = "en",
                 style: str = "TableStyleMedium2", width: float | None = None):
    """Put an empty named table (header + one blank row) on ``ws`` at ``top_left``."""
    from openpyxl.utils.cell import coordinate_from_string, column_index_from_string
    from openpyxl.worksheet.table import Table, TableStyleInfo

    letter, row = coordinate_from_string(top_left)
    col = column_index_from_string(letter)
    for offset, f in enumerate(fields):
        ws.cell(row, col + offset).value = f.label(lang)
        cell = ws.cell(row + 1, col + offset)
        if f.number_format:
            cell.number_format = f.number_format
        if f.kind == INPUT:
            cell.protection = Protection(locked=False)
        if width:
            ws.column_dimensions[get_column_letter(col + offset)].width = width
    ref = f"{top_left}:{get_column_letter(col + len(fields) - 1)}{row + 1}"
    table = Table(displayName=name, ref=ref)
    table.tableStyleInfo = TableStyleInfo(name=style, showRowStripes=True)
    ws.add_table(table)
    return table
