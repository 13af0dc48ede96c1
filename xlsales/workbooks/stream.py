"""Large tables written as sheet XML streamed into the template's package.

openpyxl keeps a Python object per cell (about 0.5 KB) and writes each through its element tree, which
made the funnel workbook for 100 000 deals take a minute and 1.6 GB. Here the binder hands a table's rows
over as columns (``Block``); at save time openpyxl writes everything else of the package (styles, other
sheets, the tables' definitions, defined names, charts, conditional formats, the user's own cells) and
this module splices the rows into the sheet's ``<sheetData>``, chunk by chunk, straight into the zip:

- a formula column is one compiled pattern, formatted with each row's number, with the value Python
  computed as its cached result when the binder has one (not a shared formula: LibreOffice recalculates
  shared formulas on load whatever their cached results, and uses the cached result of a plain one);
- styles are indexes into the workbook's style table (one per column, the template row's style);
- text is always an inline string, so text starting with = + - @ tab or CR can never become a formula;
- zip entries get a fixed date as they are written (one compression pass, no rewrite afterwards).
"""
from __future__ import annotations

import math
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import numpy as np
import pandas as pd
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import WINDOWS_EPOCH, to_excel
from openpyxl.utils.exceptions import IllegalCharacterError
from openpyxl.writer.excel import ExcelWriter

CHUNK_ROWS = 10_000
COMPRESS_LEVEL = 1          # zlib level for every part: level 6 is ~3× slower for ~15 % smaller files
ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_CORE_DATES = re.compile(rb"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


class Expanded(str):
    """A formula (with its '=') that the binder expanded from a template: the only text written as one."""


@dataclass
class Column:
    """One column of a block: ``values`` (a frame column or a list, None for blank cells), or ``formula``,
    a compiled pattern ('{0}' is the row) with ``cached``, Python's result on each row. The cells are
    rendered chunk by chunk at save time, so memory holds the frame and one chunk of XML, never all cells."""
    col: int
    style: int                      # index into the workbook's cell styles (0: none)
    values: pd.Series | list | None = None
    formula: str | None = None
    cached: pd.Series | None = None
    row_styles: dict | None = None  # row offset → style index, for rows whose own fill and font are kept


@dataclass
class Block:
    """Rows ``first`` .. ``first + rows - 1`` of the columns ``columns`` of one table."""
    first: int
    rows: int
    columns: list[Column] = field(default_factory=list)

    @property
    def last(self) -> int:
        return self.first + self.rows - 1

    @property
    def min_col(self) -> int:
        return min(c.col for c in self.columns)

    @property
    def max_col(self) -> int:
        return max(c.col for c in self.columns)


def blocks(ws) -> list[Block]:
    return ws.__dict__.setdefault("_xlsales_blocks", [])


def add_block(ws, block: Block) -> None:
    """Stream ``block`` into ``ws`` at save time; the cells it covers are taken out of openpyxl's."""
    mine = blocks(ws)
    mine[:] = [b for b in mine if b.last < block.first or b.first > block.last
               or b.max_col < block.min_col or b.min_col > block.max_col]
    mine.append(block)
    cols = {c.col for c in block.columns}
    for key in [k for k in ws._cells if block.first <= k[0] <= block.last and k[1] in cols]:
        del ws._cells[key]


# ------------------------------------------------------------------------------------------------
# Cell text


def _escape(text: str) -> str:
    if ILLEGAL_CHARACTERS_RE.search(text):
        raise IllegalCharacterError(f"{text[:40]!r} cannot be used in worksheets.")
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")


def _number(v) -> str | None:
    if v != v or v in (math.inf, -math.inf):
        return None
    if type(v) is float and v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    return repr(v)


def _serial(v):
    if isinstance(v, (datetime, date, time, timedelta)):
        return to_excel(v)
    return v


def _value_cell(ref: str, s: str, v) -> str:
    """One cell holding a value (``s``: the style attribute or '')."""
    t = type(v)
    if t is float or t is int:
        text = _number(v)
        return f'<c r="{ref}"{s}><v>{text}</v></c>' if text is not None else (f'<c r="{ref}"{s}/>' if s else "")
    if t is str:
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_escape(v)}</t></is></c>'
    if v is None:
        return f'<c r="{ref}"{s}/>' if s else ""
    if t is Expanded:
        return f'<c r="{ref}"{s}><f>{_escape(v[1:])}</f></c>'
    if t is bool or isinstance(v, np.bool_):
        return f'<c r="{ref}"{s} t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (datetime, date, time, timedelta)):
        if isinstance(v, pd.Timestamp) and pd.isna(v):
            return f'<c r="{ref}"{s}/>' if s else ""
        return _value_cell(ref, s, float(to_excel(v)))
    if isinstance(v, (np.floating, np.integer)):
        return _value_cell(ref, s, v.item())
    return _value_cell(ref, s, str(v))


def _cached(v) -> tuple[str, str]:
    """(type attribute, <v> element) of a formula's cached result."""
    if v is None:
        return "", ""
    t = type(v)
    if t is float or t is int or isinstance(v, (np.floating, np.integer)):
        text = _number(float(v) if not isinstance(v, (int, np.integer)) else int(v))
        return ("", f"<v>{text}</v>") if text is not None else (' t="str"', "<v></v>")
    if t is bool or isinstance(v, np.bool_):
        return ' t="b"', f"<v>{int(v)}</v>"
    if isinstance(v, (datetime, date, pd.Timestamp)):
        return ("", f"<v>{_number(float(to_excel(v)))}</v>") if not pd.isna(v) else (' t="str"', "<v></v>")
    return ' t="str"', f"<v>{_escape(str(v))}</v>"


def _texts(series) -> tuple[list, bool]:
    """(values, numeric): for a numeric or date column the text of each cell's <v> (None: blank), dates
    as Excel serials; otherwise the plain values."""
    if not isinstance(series, pd.Series):
        return [_serial(v) for v in series], False
    if pd.api.types.is_datetime64_any_dtype(series):
        days = series.dt.tz_localize(None) if series.dt.tz is not None else series
        serial = ((days - pd.Timestamp(WINDOWS_EPOCH)) / pd.Timedelta(days=1)).to_numpy(dtype=float, na_value=np.nan)
        return _number_texts(np.where((serial > 0) & (serial < 61), serial - 1, serial)), True
    if pd.api.types.is_bool_dtype(series) and not series.isna().any():
        return [True if v else False for v in series.tolist()], False
    if pd.api.types.is_float_dtype(series) or pd.api.types.is_integer_dtype(series):
        return _number_texts(series.to_numpy(dtype=float, na_value=np.nan)), True
    return [None if (v is None or v is pd.NA or v is pd.NaT or (type(v) is float and v != v)) else _serial(v)
            for v in series.tolist()], False


def _number_texts(values: np.ndarray) -> list:
    finite = np.isfinite(values)
    if finite.all() and (values == np.round(values)).all() and (np.abs(values) < 1e15).all():
        return list(map(str, values.astype(np.int64).tolist()))
    texts = list(map(repr, values.tolist()))
    for i in np.flatnonzero(~finite).tolist():
        texts[i] = None
    return texts


def cell_tails(series: pd.Series | list, style: int) -> list[str]:
    """What follows ``<c r="A1"`` for each value: style, type, value and the closing tag."""
    s = f' s="{style}"' if style else ""
    values, numeric = _texts(series)
    blank = s + "/>"
    if numeric:
        before, after = s + "><v>", "</v></c>"
        return [before + v + after if v is not None else blank for v in values]
    out = []
    for v in values:
        t = type(v)
        if v is None:
            out.append(blank)
        elif t is str:
            out.append(f'{s} t="inlineStr"><is><t xml:space="preserve">{_escape(v)}</t></is></c>')
        elif t is Expanded:
            out.append(f"{s}><f>{_escape(v[1:])}</f></c>")
        else:
            out.append(_value_cell("", s, v)[len('<c r=""'):] or blank)
    return out


def cached_results(series) -> list[tuple[str, str]]:
    """A formula column's cached results as (type attribute, <v> element) per row."""
    values, numeric = _texts(series)
    if numeric:
        return [("", "<v>" + v + "</v>") if v is not None else (' t="str"', "<v></v>") for v in values]
    return [_cached(v) if v is not None else (' t="str"', "<v></v>") for v in values]


def _slice(values, a: int, b: int):
    return values.iloc[a:b] if isinstance(values, pd.Series) else values[a:b]


def _column_cells(column: Column, letter: str, start: int, stop: int, first: int) -> list[str]:
    """The cell XML of rows start..stop-1 of one column."""
    cells = _column_cells_styled(column, letter, start, stop, first)
    if column.row_styles:
        for r in range(start, stop):
            style = column.row_styles.get(r - first)
            if style is not None:
                cells[r - start] = _restyled(cells[r - start], column.style, style, f"{letter}{r}")
    return cells


def _restyled(cell: str, old: int, new: int, ref: str) -> str:
    """``cell``'s XML with style ``new`` instead of the column's ``old``."""
    if not cell:
        return f'<c r="{ref}" s="{new}"/>'
    head = f'<c r="{ref}"'
    rest = cell[len(head):]
    if old and rest.startswith(f' s="{old}"'):
        rest = rest[len(f' s="{old}"'):]
    return f'{head} s="{new}"{rest}'


def _column_cells_styled(column: Column, letter: str, start: int, stop: int, first: int) -> list[str]:
    rows = range(start, stop)
    if column.formula is None:
        if column.values is None:
            return [f'<c r="{letter}{r}" s="{column.style}"/>' for r in rows] if column.style else [""] * len(rows)
        tails = cell_tails(_slice(column.values, start - first, stop - first), column.style)
        return [f'<c r="{letter}{r}"{tail}' for r, tail in zip(rows, tails)]
    s = f' s="{column.style}"' if column.style else ""
    cached = (cached_results(_slice(column.cached, start - first, stop - first)) if column.cached is not None
              else [("", "")] * len(rows))
    pattern = _escape(column.formula[1:])
    return [f'<c r="{letter}{r}"{s}{t}><f>{pattern.format(r)}</f>{v}</c>' for r, (t, v) in zip(rows, cached)]


# ------------------------------------------------------------------------------------------------
# The sheet XML


_SHEET_DATA = re.compile(r"<sheetData\s*/>|<sheetData>(.*?)</sheetData>", re.S)
_ROW = re.compile(r'<row r="(\d+)"[^>]*?(?:/>|>(.*?)</row>)', re.S)
_ROW_TAG = re.compile(r"<row [^>]*?(?=/?>)")
_CELL = re.compile(r'<c r="([A-Z]+)\d+"[^>]*?(?:/>|>.*?</c>)', re.S)
_DIMENSION = re.compile(r'<dimension ref="([^"]*)"\s*/>')


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _openpyxl_rows(data: str) -> dict[int, tuple[str, list[tuple[int, str]]]]:
    rows = {}
    for match in _ROW.finditer(data):
        tag = _ROW_TAG.match(match.group(0)).group(0)
        cells = [(_col_number(c.group(1)), c.group(0)) for c in _CELL.finditer(match.group(2) or "")]
        rows[int(match.group(1))] = (tag, cells)
    return rows


def _dimension(ref: str, mine: list[Block]) -> str:
    from openpyxl.utils import range_boundaries
    try:
        c1, r1, c2, r2 = range_boundaries(ref)
    except (ValueError, TypeError):
        c1 = r1 = c2 = r2 = None
    for b in mine:
        c1 = b.min_col if c1 is None else min(c1, b.min_col)
        c2 = b.max_col if c2 is None else max(c2, b.max_col)
        r1 = b.first if r1 is None else min(r1, b.first)
        r2 = b.last if r2 is None else max(r2, b.last)
    return f"{get_column_letter(c1)}{r1}:{get_column_letter(c2)}{r2}"


def _sheet_pieces(xml: str, mine: list[Block]):
    """The sheet XML in pieces: openpyxl's head, the rows (ours merged with openpyxl's), the tail."""
    match = _SHEET_DATA.search(xml)
    head, tail = xml[:match.start()], xml[match.end():]
    head = _DIMENSION.sub(lambda m: f'<dimension ref="{_dimension(m.group(1), mine)}"/>', head, count=1)
    theirs = _openpyxl_rows(match.group(1) or "")
    for b in mine:                      # a cell openpyxl made after the block took it over is the block's
        cols = {c.col for c in b.columns}
        for r in [r for r in theirs if b.first <= r <= b.last]:
            theirs[r] = (theirs[r][0], [(c, x) for c, x in theirs[r][1] if c not in cols])
    yield head + "<sheetData>"
    mine = sorted(mine, key=lambda b: (b.first, b.min_col))
    top = min(b.first for b in mine)
    bottom = max(b.last for b in mine)
    for r in sorted(k for k in theirs if k < top):
        yield _row(r, theirs[r][0], [x for _, x in theirs[r][1]])
    letters = {id(c): get_column_letter(c.col) for b in mine for c in b.columns}
    for start in range(top, bottom + 1, CHUNK_ROWS):
        stop = min(start + CHUNK_ROWS, bottom + 1)
        active = [b for b in mine if b.first < stop and b.last >= start]
        parts = []
        for b in active:
            a, z = max(start, b.first), min(stop, b.last + 1)
            cells = [_column_cells(c, letters[id(c)], a, z, b.first)
                     for c in sorted(b.columns, key=lambda c: c.col)]
            parts.append((b, a, z, cells))
        simple = len(parts) == 1 and parts[0][1] == start and parts[0][2] == stop and \
            not any(start <= r < stop for r in theirs)
        if simple:
            _, a, _, cells = parts[0]
            yield "".join(f'<row r="{a + i}">{"".join(row)}</row>' for i, row in enumerate(zip(*cells)))
            continue
        out = []
        for r in range(start, stop):
            segments = list(theirs[r][1]) if r in theirs else []
            for b, a, z, cells in parts:
                if a <= r < z:
                    segments += [(c.col, col_cells[r - a]) for c, col_cells in
                                 zip(sorted(b.columns, key=lambda c: c.col), cells)]
            if segments or r in theirs:
                segments.sort(key=lambda s: s[0])
                out.append(_row(r, theirs[r][0] if r in theirs else f'<row r="{r}"', [x for _, x in segments]))
        yield "".join(out)
    for r in sorted(k for k in theirs if k > bottom):
        yield _row(r, theirs[r][0], [x for _, x in theirs[r][1]])
    yield "</sheetData>" + tail


def _row(r: int, tag: str, cells: list[str]) -> str:
    return f"{tag}>{''.join(cells)}</row>" if cells else f"{tag}/>"


# ------------------------------------------------------------------------------------------------
# The package


class _Package(zipfile.ZipFile):
    """The zip openpyxl writes into: fixed entry dates, document dates from ``stamp``, streamed sheets."""

    def __init__(self, path, workbook, stamp: datetime | None, fix_part=None):
        super().__init__(path, "w", zipfile.ZIP_DEFLATED, allowZip64=True, compresslevel=COMPRESS_LEVEL)
        self._workbook, self._stamp, self._fix_part = workbook, stamp, fix_part

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
        info.compress_type = zipfile.ZIP_DEFLATED
        info._compresslevel = COMPRESS_LEVEL
        info.external_attr = 0o600 << 16
        return info

    def writestr(self, zinfo_or_arcname, data, compress_type=None, compresslevel=None):
        name = zinfo_or_arcname.filename if isinstance(zinfo_or_arcname, zipfile.ZipInfo) else zinfo_or_arcname
        if isinstance(data, str):
            data = data.encode("utf-8")
        if name == "docProps/core.xml" and self._stamp is not None:
            text = self._stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
            data = _CORE_DATES.sub(lambda m: m.group(1) + text + m.group(3), data)
        if self._fix_part is not None:
            data = self._fix_part(name, data)
        super().writestr(self._info(name), data)

    def write(self, filename, arcname=None, compress_type=None, compresslevel=None):
        arcname = arcname or str(filename)
        ws = next((w for w in self._workbook.worksheets if w.path[1:] == arcname), None)
        with open(filename, "rb") as handle:
            data = handle.read()
        mine = blocks(ws) if ws is not None else []
        if not mine:
            self.writestr(arcname, data)
            return
        cells = sum(b.rows * len(b.columns) for b in mine)
        with self.open(self._info(arcname), "w", force_zip64=cells > 10_000_000) as out:
            for piece in _sheet_pieces(data.decode("utf-8"), mine):
                out.write(piece.encode("utf-8"))


EXCEL_CALC_ID = 191029      # the calculation engine of Excel 2019 / 365: a lower one makes Excel recalculate all


def all_cached(workbook) -> bool:
    """Every formula of the workbook carries its cached result (openpyxl's own formula cells never do)."""
    for ws in workbook.worksheets:
        if any(c.formula is not None and c.cached is None for b in blocks(ws) for c in b.columns):
            return False
        if any(cell.data_type == "f" for cell in ws._cells.values()):
            return False
    return True


def save(workbook, path, stamp: datetime | None = None, fix_part=None) -> None:
    """Write ``workbook`` to ``path``: openpyxl's parts, the blocks streamed in, fixed zip dates.

    When every formula has its cached result, the workbook no longer asks for a full recalculation on
    load, so Excel and LibreOffice show it at once (editing an input still recalculates what depends on it).
    """
    if workbook.write_only and not workbook.worksheets:
        workbook.create_sheet()
    if all_cached(workbook):
        workbook.calculation.fullCalcOnLoad = False
        workbook.calculation.calcId = EXCEL_CALC_ID
    else:
        workbook.calculation.fullCalcOnLoad = True
    workbook.properties.modified = datetime.now().replace(microsecond=0)
    archive = _Package(path, workbook, stamp, fix_part)
    try:
        ExcelWriter(workbook, archive).save()
    finally:
        archive.close()
