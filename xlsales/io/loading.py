"""Load a user's table (CSV, XLSX or Parquet) against a schema, naming file, row and column on every problem.

The loaded frame has canonical column names, typed columns, and its index is the spreadsheet row
number (header = row 1), so that checks made later can still point the user at the right row.
``df.attrs["source"]`` is the file name and ``df.attrs["headers"]`` maps each canonical column to the
header as written in the file.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from xlsales.errors import InputFileError

MAX_PROBLEMS = 50
KINDS = ("text", "number", "int", "date", "bool")

# The ranges every loaded value must lie in (documented in the README, "Input files").
MAX_AMOUNT = 1e12                      # a number cell: at most 1 000 000 000 000 either way
DATE_MIN = pd.Timestamp("1900-01-01")  # dates from 1900-01-01 ...
DATE_MAX = pd.Timestamp("2100-12-31")  # ... to 2100-12-31
MAX_TEXT = 32_767                      # Excel's limit for one cell's text
# Characters an .xlsx cannot hold (XML 1.0 forbids them) and Excel would refuse.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# Characters that do not show on screen; a message spells them out so the user can find them.
_INVISIBLE = re.compile(r"[\x00-\x1f\x7f\u00a0\u00ad\u200b-\u200f\u2028-\u202f\u2060-\u2064\ufeff\u3000]")

# Sheet names that mark the right sheet in a workbook with several.
SHEET_NAMES = {
    "orders": ("orders", "order", "actuals", "订单", "销售明细", "业绩"),
    "reps": ("reps", "rep", "salesreps", "销售代表", "人员", "销售人员"),
    "opportunities": ("opportunities", "opportunity", "opps", "pipeline", "商机", "漏斗"),
}


@dataclass(frozen=True)
class Column:
    name: str
    aliases: tuple[str, ...] = ()
    kind: str = "text"
    required: bool = True
    nonnegative: bool = False
    default: object = None

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"column {self.name}: kind must be one of {', '.join(KINDS)}, not {self.kind!r}")

    @property
    def label(self) -> str:
        """The name with its Chinese alias, for messages: ``amount (金额)``."""
        chinese = [a for a in self.aliases if not a.isascii()]
        return f"{self.name} ({chinese[0]})" if chinese else self.name


@dataclass(frozen=True)
class Schema:
    kind: str
    columns: tuple[Column, ...]
    unique: tuple[str, ...] = ()

    def lookup(self) -> dict[str, Column]:
        """Normalised header → column, for the name and every alias."""
        return {normalize_header(h): c for c in self.columns for h in (c.name, *c.aliases)}


def normalize_header(header) -> str:
    """Case, spaces, underscores and a plain-yuan unit do not matter: ``Hire_Date`` = ``hire date``,
    ``金额（元）`` = ``金额``. (Not ``万元``: that is another scale and must not match silently.)"""
    text = re.sub(r"[\s_\-\u3000]+", "", str(header)).lower()
    return re.sub(r"[(（](元|rmb|cny|yuan|¥|￥)[)）]$", "", text)


def visible(value) -> str:
    """A cell's text for a message: invisible characters spelt out (``张伟<U+200B>``), long text cut."""
    text = str(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return _INVISIBLE.sub(lambda m: f"<U+{ord(m[0]):04X}>", text)


def problem_at(df: pd.DataFrame, row, column: str, what: str) -> str:
    """A problem in a loaded frame's cell, worded like every other: ``file, row R, column C: what``."""
    header = df.attrs.get("headers", {}).get(column, column)
    return f"{df.attrs.get('source', '?')}, row {row}, column {header}: {what}"


class Problems(list):
    """Problem messages, plus a count of those not worded (past the cap) so as not to build a million strings."""

    hidden = 0


_MORE = re.compile(r"^\.\.\. and (\d+) more$")


def capped(problems: list[str], limit: int = MAX_PROBLEMS) -> list[str]:
    """At most ``limit`` problems and a last line counting the rest (counts already folded in are kept)."""
    worded = [p for p in problems if not _MORE.match(str(p))]
    folded = sum(int(_MORE.match(str(p))[1]) for p in problems if _MORE.match(str(p)))
    total = len(worded) + folded + getattr(problems, "hidden", 0)
    if total <= limit and not folded:
        return worded
    if total <= limit:
        return [*worded, f"... and {total - len(worded)} more"]
    return [*worded[:limit], f"... and {total - min(limit, len(worded))} more"]


def _row_of(problem: str) -> int:
    """Sort key: problems without a row (file, header) first, then by spreadsheet row."""
    match = re.search(r", row (\d+),", problem)
    return int(match.group(1)) if match else 0


def raise_if_any(problems: list[str]) -> None:
    if problems or getattr(problems, "hidden", 0):
        raise InputFileError(capped(problems))


def report(found: list[str], problems: list | None = None) -> None:
    """What one check found, in row order: raised at once, or added to ``problems`` when the caller
    collects problems across files."""
    found.sort(key=_row_of)
    if problems is None:
        raise_if_any(found)
    else:
        problems.extend(capped(found))


# ---------------------------------------------------------------- reading cells


def read_raw(path, kind: str | None = None) -> pd.DataFrame:
    """Every cell as text or None, headers as written in the file, index = spreadsheet row number."""
    headers, cells = _read_cells(path, kind)
    text = pd.DataFrame({i: _as_text(cells[i]).astype(object) for i in cells.columns}, index=cells.index)
    text.columns = headers
    return text.where(text.notna(), None)


def read_headers(path, kind: str | None = None) -> list[str]:
    headers, _ = _read_cells(path, kind, nrows=1)
    return headers


def header_candidates(path, kind: str | None = None, rows: int = 11) -> list[list[str]]:
    """The first few rows as text: the header is one of them when a report title sits above it."""
    headers, cells = _read_cells(path, kind, nrows=rows)
    return [headers, *(["" if pd.isna(v) else str(v) for v in _as_text(cells.loc[r])] for r in cells.index)]


def _read_cells(path, kind=None, nrows=None) -> tuple[list[str], pd.DataFrame]:
    """Headers and the data cells (columns 0..n-1, index = spreadsheet row), blank rows dropped."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        raise InputFileError([f"{name}: file not found ({path})"])
    try:
        return _read_file(path, kind, nrows)
    except OSError as error:
        raise InputFileError([f"{name}: cannot read the file: {error.strerror or error}"]) from None


def _read_file(path: Path, kind, nrows) -> tuple[list[str], pd.DataFrame]:
    name = path.name
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        rows = _xlsx_rows(path, kind, nrows)
    elif suffix in (".parquet", ".pq"):
        rows = _parquet_frame(path, nrows)
    elif suffix == ".xls":
        raise InputFileError([f"{name}: old .xls workbooks are not supported; save it as .xlsx or CSV"])
    elif suffix in (".csv", ".txt", ".tsv", ""):
        rows = _csv_frame(path, nrows)
    else:
        raise InputFileError([f"{name}: unsupported file type '{suffix}' (use CSV, XLSX or Parquet)"])
    if rows is None:
        raise InputFileError([f"{name}: the file is empty"])
    headers, body = rows
    headers = ["" if pd.isna(h) else str(h).strip() for h in headers]
    if body.attrs.pop("numbered", False):   # the reader kept each row's own number (blank rows skipped)
        body.index = pd.Index(body.index, name="row")
    else:
        body.index = pd.RangeIndex(2, 2 + len(body), name="row")
    keep = [i for i, h in enumerate(headers) if h or body.iloc[:, i].notna().any()]
    headers = [headers[i] or _column_letter(i) for i in keep]
    body = body.iloc[:, keep]
    body.columns = range(len(keep))
    body = body[body.notna().any(axis=1)]
    if not headers:
        raise InputFileError([f"{name}: the file is empty"])
    return headers, body


def _csv_frame(path: Path, nrows=None) -> pd.DataFrame | None:
    if nrows is None:
        data = path.read_bytes()
    else:  # just the first lines, cut at a line end so no character is split
        with path.open("rb") as file:
            data = file.read(256 * 1024)
        data = data[: data.rfind(b"\n") + 1] or data
    if not data.strip():
        return None
    encoding = _encoding(data, path.name)
    head = data[: data.find(b"\n")]
    sep = "\t" if head.count(b"\t") > head.count(b",") else ","
    try:
        frame = pd.read_csv(
            io.BytesIO(data), sep=sep, header=None, dtype=str, keep_default_na=False, encoding=encoding,
            skip_blank_lines=False, nrows=None if nrows is None else nrows + 1, quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, csv.Error) as error:
        raise InputFileError([_csv_problem(path.name, str(error))]) from None
    frame = frame.apply(_strip_blank)
    return frame.iloc[0].tolist(), frame.iloc[1:]


def _csv_problem(name: str, error: str) -> str:
    unclosed = re.search(r"EOF inside string starting at row (\d+)", error)
    if unclosed:     # pandas counts lines from 0: its row 2 is the file's third line
        return (f"{name}, row {int(unclosed.group(1)) + 1}: a quote (\") opens in this row and is never closed; "
                f"check this row for a stray quote")
    ragged = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", error)
    if ragged:
        expected, line, saw = ragged.groups()
        return f"{name}, row {line}: {saw} cells but the header has {expected}; check for a stray comma"
    return f"{name}: cannot read it as CSV: {error}"


NEWLINE = b"\n"


def _encoding(data: bytes, name: str) -> str:
    # UTF-16 (Excel's "Unicode text") decodes as GB18030 garbage, but always carries NUL bytes.
    utf16 = data[:2] in (b"\xff\xfe", b"\xfe\xff") or data.count(b"\x00") > len(data) // 10
    if b"\x00" in data and not utf16:
        row = data[: data.index(b"\x00")].count(b"\n") + 1
        raise InputFileError([f"{name}, row {row}: contains a NUL character (U+0000), which no cell can hold; "
                              f"delete it (a damaged file?)"])
    first_bad = None
    if not utf16:
        for encoding in ("utf-8-sig", "gb18030"):
            try:
                data.decode(encoding)
                return encoding
            except UnicodeDecodeError as error:
                first_bad = error.start if first_bad is None else first_bad
    where = "" if first_bad is None else f", row {data[:first_bad].count(NEWLINE) + 1}"
    raise InputFileError([
        f"{name}{where}: cannot read the file as UTF-8 or GBK text; save it from Excel as 'CSV UTF-8' or 'CSV'"
    ])


# Bounds on reading a workbook, whatever it declares about itself (README, "Input files").
XLSX_MAX_CELLS = 20_000_000          # cells read from the sheet
XLSX_MAX_PART = 500_000_000          # bytes of one unpacked part (a sheet, the shared strings)
XLSX_MAX_RATIO = 200                 # unpacked / packed size of a large part (a zip bomb is ~1000)
XLSX_MAX_SECONDS = 300.0
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _check_package(path: Path) -> None:
    """Refuse, before opening it, a file that is not an .xlsx package or whose parts unpack to absurd sizes."""
    import zipfile
    name = path.name
    with path.open("rb") as file:
        head = file.read(8)
    if head == _OLE:
        raise InputFileError([f"{name}: the workbook is password-protected (encrypted), or an old .xls saved "
                              f"as .xlsx; remove the password (File → Info → Protect Workbook) or save it as "
                              f".xlsx again"])
    if not zipfile.is_zipfile(path):
        raise InputFileError([f"{name}: not an Excel workbook (an .xlsx file is a zip package; this one is not)"])
    try:
        with zipfile.ZipFile(path) as package:
            parts = package.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise InputFileError([f"{name}: cannot open it as an Excel workbook: {error}"]) from None
    for part in parts:
        ratio = part.file_size / max(part.compress_size, 1)
        if part.file_size > XLSX_MAX_PART or (part.file_size > 50_000_000 and ratio > XLSX_MAX_RATIO):
            raise InputFileError([f"{name}: the part {part.filename} unpacks to {part.file_size:,} bytes, more "
                                  f"than xlsales reads (at most {XLSX_MAX_PART:,}); save the sheet as CSV"])


def _xlsx_rows(path: Path, kind, nrows) -> pd.DataFrame:
    import time

    import openpyxl

    _check_package(path)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        raise InputFileError([f"{path.name}: cannot open it as an Excel workbook: {error}"]) from None
    try:
        if not book.sheetnames:
            raise InputFileError([f"{path.name}: the workbook has no sheets"])
        sheet = book[_pick_sheet(book.sheetnames, kind)]
        if hasattr(sheet, "reset_dimensions"):
            sheet.reset_dimensions()        # never trust the declared size (A1:XFD1048576 costs minutes)
        limit = None if nrows is None else nrows + 1
        rows, numbers, number, cells, started = [], [], 0, 0, time.monotonic()
        try:
            for row in sheet.iter_rows(values_only=True, max_row=limit):
                cells += len(row)
                if cells > XLSX_MAX_CELLS:
                    raise InputFileError([f"{path.name}: sheet {sheet.title} has more than {XLSX_MAX_CELLS:,} "
                                          f"cells; xlsales reads at most that many (delete unused rows and "
                                          f"columns, or save it as CSV)"])
                if number % 10_000 == 0 and time.monotonic() - started > XLSX_MAX_SECONDS:
                    raise InputFileError([f"{path.name}: reading sheet {sheet.title} took more than "
                                          f"{XLSX_MAX_SECONDS:g} seconds; save it as CSV"])
                number += 1
                if not any(v is not None for v in row):
                    continue                # blank rows are dropped anyway; their numbers are kept
                values = [_cell_text(v) for v in row]
                while values and values[-1] is None:
                    values.pop()
                if values:
                    rows.append(tuple(values))
                    numbers.append(number)
        except InputFileError:
            raise
        except Exception as error:  # noqa: BLE001 - a damaged sheet: openpyxl and lxml raise many types
            raise InputFileError([f"{path.name}: sheet {sheet.title} is damaged and cannot be read "
                                  f"(after row {len(rows)}): {error}"]) from None
    finally:
        book.close()
    if not rows:
        return None
    width = max(len(r) for r in rows)
    if len(rows) * width > XLSX_MAX_CELLS:
        raise InputFileError([f"{path.name}: sheet {sheet.title} spans {len(rows):,} rows × {width:,} columns, more "
                              f"than the {XLSX_MAX_CELLS:,} cells xlsales reads; delete stray cells far to the "
                              f"right or below the data"])
    frame = pd.DataFrame([r + (None,) * (width - len(r)) for r in rows], dtype=object, index=numbers)
    if numbers[0] != 1:     # the header is the first row with anything in it
        frame.index = frame.index - numbers[0] + 1
    body = frame.iloc[1:]
    used = body.notna().any(axis=0)
    empty = pd.Series(pd.NA, index=body.index, dtype="str")
    body = pd.DataFrame({c: _as_text(body[c]) if used[c] else empty for c in body.columns}, index=body.index)
    body.attrs["numbered"] = True
    return frame.iloc[0].tolist(), body


def _pick_sheet(names: list[str], kind) -> str:
    wanted = {normalize_header(n) for n in SHEET_NAMES.get(kind, ())}
    return next((n for n in names if normalize_header(n) in wanted), names[0])


def _cell_text(value):
    """An XLSX cell as text: dates as ISO, whole floats without '.0', blanks as None."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    return str(value)


def _parquet_frame(path: Path, nrows=None):
    try:
        # Parquet dates (date32) as datetime64 rather than Python date objects, which would be turned
        # into text and parsed back (5× the time of reading the file).
        table = pd.read_parquet(path, to_pandas_kwargs={"date_as_object": False})
    except Exception as error:  # pyarrow raises many types for a damaged file
        raise InputFileError([f"{path.name}: cannot read it as Parquet: {error}"]) from None
    if table.shape[1] == 0:
        return None
    headers = [str(c) for c in table.columns]
    body = table if nrows is None else table.head(nrows)
    body = body.reset_index(drop=True)
    body.columns = range(len(headers))
    # Keep typed columns typed: the converters take numbers and datetimes as they are.
    for i in body.columns:
        if pd.api.types.is_string_dtype(body[i]) or body[i].dtype == object:
            body[i] = _as_text(body[i])
    return headers, body


def _strip_blank(s: pd.Series) -> pd.Series:
    """Text with surrounding spaces removed and blanks as missing (pandas' Arrow-backed str dtype)."""
    text = s.astype("str").str.strip()
    return text.where(text != "")


def _as_text(s: pd.Series) -> pd.Series:
    """Cells as stripped text or missing, whatever the stored type (Parquet keeps types)."""
    if pd.api.types.is_string_dtype(s) and s.dtype != object:
        return s
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").astype("str").where(s.notna())
    if s.dtype != object:
        s = s.astype(object).where(s.notna(), None).map(_cell_text, na_action="ignore")
    return _strip_blank(s.where(s.notna(), None))


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        letters = chr(65 + r) + letters
    return f"column {letters}"


# ---------------------------------------------------------------- loading against a schema


def load_table(path, schema: Schema, problems: list | None = None) -> pd.DataFrame:
    """Read, check and type a table. Problems raise InputFileError, or go to ``problems`` if given."""
    found = Problems()
    try:
        frame = _load(path, schema, found)
    except InputFileError as error:
        found.extend(error.problems)
        frame = _empty(schema, Path(path).name)
    report(found, problems)
    return frame


def _load(path, schema: Schema, found: list[str]) -> pd.DataFrame:
    name = Path(path).name
    headers, cells = _read_cells(path, schema.kind)
    header_row, headers, cells = _find_header_row(headers, cells, schema)
    positions = _match_headers(headers, schema, name, found, header_row)
    missing = [c for c in schema.columns if c.required and c.name not in positions]
    for column in missing:
        found.append(f"{name}: missing column {column.label}")
    if missing:
        raise InputFileError([])
    if cells.empty:
        raise InputFileError([f"{name}: no data rows below the header"])

    out = {}
    for column in schema.columns:
        if column.name in positions:
            header = headers[positions[column.name]]
            out[column.name] = _convert(cells[positions[column.name]], column, name, header, found)
        else:
            out[column.name] = _default_column(column, cells.index)
    known = set(positions.values())
    for i, header in enumerate(headers):
        if i not in known:
            out[header] = _as_text(cells[i])
    frame = pd.DataFrame(out, index=cells.index)
    frame.attrs["source"] = name
    frame.attrs["kind"] = schema.kind
    frame.attrs["headers"] = {c.name: headers[positions[c.name]] if c.name in positions else c.name
                              for c in schema.columns}
    _check_unique(frame, schema, found)
    return frame


def _find_header_row(headers, cells, schema: Schema, look_ahead: int = 10):
    """The header row: row 1, unless a report title sits above it (``2026年3月销售明细``), then the
    first of the next few rows holding every required column."""
    required = {c.name for c in schema.columns if c.required}
    lookup = schema.lookup()

    def complete(row_headers) -> bool:
        return required <= {lookup[k].name for k in map(normalize_header, row_headers) if k in lookup}

    if complete(headers):
        return 1, headers, cells
    for row in cells.index[:look_ahead]:
        candidate = ["" if pd.isna(v) else str(v) for v in _as_text(cells.loc[row])]
        if complete(candidate):
            return row, [h or _column_letter(i) for i, h in enumerate(candidate)], cells.loc[row + 1:]
    return 1, headers, cells


def _match_headers(headers, schema: Schema, name: str, found: list[str], header_row: int = 1) -> dict[str, int]:
    lookup = schema.lookup()
    positions: dict[str, int] = {}
    seen: dict[str, str] = {}
    for i, header in enumerate(headers):
        key = normalize_header(header)
        if key in seen:
            found.append(f"{name}, row {header_row}, column {header}: duplicate header (same as column {seen[key]})")
            continue
        column = lookup.get(key)
        if column is not None and column.name in positions:
            found.append(f"{name}, row {header_row}, column {header}: duplicate header "
                         f"(column {headers[positions[column.name]]} is also {column.name})")
            continue
        seen[key] = header
        if column is not None:
            positions[column.name] = i
    return positions


def _empty(schema: Schema, name: str) -> pd.DataFrame:
    frame = pd.DataFrame({c.name: _default_column(c, pd.RangeIndex(2, 2, name="row")) for c in schema.columns},
                         index=pd.RangeIndex(2, 2, name="row"))
    frame.attrs.update(source=name, kind=schema.kind, headers={c.name: c.name for c in schema.columns})
    return frame


def _default_column(column: Column, index) -> pd.Series:
    values = pd.Series([column.default] * len(index), index=index, dtype=object)
    return _typed(values, column)


def _typed(values: pd.Series, column: Column) -> pd.Series:
    """Give a converted column its final dtype: float64, int64, datetime64[ns], bool or str."""
    if column.kind == "number":
        return values.astype("float64")
    if column.kind == "int":
        floats = values.astype("float64")
        return floats.astype("int64") if floats.notna().all() else floats
    if column.kind == "date":
        return pd.to_datetime(values).astype("datetime64[ns]")
    if column.kind == "bool":
        return values.astype(bool) if values.notna().all() else values.astype("boolean")
    return values.astype("str")


# ---------------------------------------------------------------- converting one column


def _convert(cells: pd.Series, column: Column, name: str, header: str, found: list[str]) -> pd.Series:
    blank = cells.isna()
    if column.kind in ("number", "int"):
        values, bad, comma = _parse_number(cells)
        _report(found, name, header, cells, bad & ~comma, "'{}' is not a number")
        _report(found, name, header, cells, comma, "'{}' is not a number: a comma may only separate thousands "
                                                   "(write 1234.56 or 1,234.56, not 1.234,56)")
        huge = values.abs() > MAX_AMOUNT
        _report(found, name, header, cells, huge, f"'{{}}' is too large (at most {MAX_AMOUNT:,.0f})")
        values = values.where(~huge)
        if column.kind == "int":
            whole = values.isna() | (values == np.floor(values))
            _report(found, name, header, cells, ~whole, "'{}' is not a whole number")
            values = values.where(whole)
        if column.nonnegative:
            _report(found, name, header, cells, values < 0, "'{}' is negative; it must be 0 or more")
    elif column.kind == "date":
        values, bad, outside = _parse_date(cells)
        _report(found, name, header, cells, bad, "'{}' is not a date (write it like 2026-03-31)")
        _report(found, name, header, cells, outside, f"'{{}}' is outside the dates xlsales accepts "
                                                     f"({DATE_MIN:%Y-%m-%d} to {DATE_MAX:%Y-%m-%d})")
    elif column.kind == "bool":
        values, bad = _parse_bool(cells)
        _report(found, name, header, cells, bad, "'{}' is not yes/no (use yes/no, true/false, 1/0 or 是/否)")
    else:
        values = _as_text(cells)
        _check_text(values, found, name, header, cells)
    if column.required:
        _report(found, name, header, cells, blank, "blank; a value is required")
    elif column.default is not None and blank.any():
        default = pd.Timestamp(column.default) if column.kind == "date" else column.default
        values = values.astype(object).where(~blank, default)
    return _typed(values, column)


def _check_text(values: pd.Series, found, name, header, cells) -> None:
    """Text an .xlsx cannot hold: control characters (Excel refuses the file) and over 32 767 characters."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if not len(uniques):
        return
    distinct = pd.Series(uniques, dtype="str")     # each distinct text checked once
    for bad, what in ((distinct.str.contains(_CONTROL, regex=True),
                       "'{}' contains a control character that Excel cannot store; delete it"),
                      (distinct.str.len() > MAX_TEXT, f"'{{}}' is longer than Excel's {MAX_TEXT:,} characters per cell")):
        flags = bad.fillna(False).to_numpy(dtype=bool)
        if flags.any():
            _report(found, name, header, cells, pd.Series((codes >= 0) & flags[codes], index=values.index), what)


def _report(found, name, header, cells, bad: pd.Series, what: str) -> None:
    bad = bad.to_numpy(dtype=bool, na_value=False)
    if not bad.any():
        return
    rows = cells.index[bad]
    raw = _as_text(cells[bad])
    # Only word the first few: a million bad cells must not cost a million strings.
    for row, value in zip(rows[: MAX_PROBLEMS + 1], raw.iloc[: MAX_PROBLEMS + 1]):
        found.append(f"{name}, row {row}, column {header}: {what.format(visible(value))}")
    found.hidden += max(0, len(rows) - MAX_PROBLEMS - 1)


def _by_unique(text: pd.Series, parse) -> pd.Series:
    """Parse each distinct text once (dates and flags repeat a lot), then spread back to the rows."""
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    parsed = pd.Series(parse(pd.Series(uniques, dtype="str")))
    spread = parsed.reindex(codes)  # code -1 (blank) has no match and becomes missing
    spread.index = text.index
    return spread


_CURRENCY = r"^[¥￥$]|元$|RMB|CNY|\s"
_GROUPED = r"[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?"


def _parse_number(cells: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Values, cells that are not numbers (NaN and infinity included), and those with a comma that is
    not a thousands separator (``1.234,56``, ``1,5``), which could be read two ways and so are refused."""
    no = pd.Series(False, index=cells.index)
    if pd.api.types.is_numeric_dtype(cells) and not pd.api.types.is_bool_dtype(cells):
        values = cells.astype("float64")
        bad = values.notna() & ~np.isfinite(values)
        return values.where(~bad), bad | (cells.notna() & values.isna()), no
    text = _as_text(cells)
    try:  # the common case, a clean column, converts in one go
        values = text.astype("float64")
        comma = no
    except (ValueError, TypeError):
        cleaned = text.str.replace(_CURRENCY, "", regex=True).str.replace("，", ",", regex=False)
        has_comma = cleaned.str.contains(",", regex=False).fillna(False).astype(bool)
        grouped = cleaned.str.fullmatch(_GROUPED).fillna(False).astype(bool)
        comma = has_comma & ~grouped
        cleaned = cleaned.str.replace(",", "", regex=False).where(~comma)
        values = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    bad = text.notna() & (values.isna() | np.isinf(values))
    return values.where(~bad), bad, comma & text.notna()


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _parse_date(cells: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Dates, cells that are not dates, and dates outside DATE_MIN..DATE_MAX (pandas cannot even hold
    a day past 2262, and no sales record is dated 2300)."""
    if pd.api.types.is_datetime64_any_dtype(cells):
        values = cells.dt.tz_localize(None) if cells.dt.tz is not None else cells
        values = values.dt.normalize()
        bad = pd.Series(False, index=cells.index)
    else:
        text = _as_text(cells)
        values = _by_unique(text, _parse_date_texts)
        bad = text.notna() & values.isna()
    outside = values.notna() & ((values < DATE_MIN) | (values > DATE_MAX))
    return values.where(~outside).astype("datetime64[ns]"), bad, outside


def _parse_date_texts(texts: pd.Series) -> pd.Series:
    # 2026年3月31日, 2026/3/31 and 2026.3.31 all become 2026-3-31; a time part is dropped.
    day = (texts.str.replace(r"\s*[年/.]\s*", "-", regex=True).str.replace(r"\s*月\s*", "-", regex=True)
           .str.replace(r"\s*日.*$", "", regex=True).str.split(r"[ T]", n=1, regex=True).str[0])
    day = day.str.replace(r"^(\d{4})(\d{2})(\d{2})$", r"\1-\2-\3", regex=True)  # 20260331
    parsed = pd.to_datetime(day, format="%Y-%m-%d", errors="coerce").astype("datetime64[us]")
    # Excel serial day numbers in plain number cells; only 1950..2099, so that a stray year such as
    # 2026 is reported rather than read as a day in 1905.
    serial = pd.to_numeric(texts, errors="coerce")
    in_range = serial.between(18264, 73050) & parsed.isna()
    if in_range.any():
        days = pd.to_timedelta(serial.where(in_range).floordiv(1), unit="D")
        parsed = parsed.where(~in_range, _EXCEL_EPOCH + days)
    return parsed


_TRUE = {"true", "yes", "y", "1", "是", "在职", "t", "√", "✓"}
_FALSE = {"false", "no", "n", "0", "否", "离职", "f", "×", "x"}


def _parse_bool(cells: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_bool_dtype(cells):
        return cells.astype(object), pd.Series(False, index=cells.index)
    text = _as_text(cells)
    words = {**dict.fromkeys(_TRUE, True), **dict.fromkeys(_FALSE, False)}
    values = _by_unique(text, lambda u: u.str.lower().map(words).astype(object)).astype(object)
    values = values.where(values.notna(), None)
    return values, text.notna() & values.isna()


def _check_unique(frame: pd.DataFrame, schema: Schema, found: list[str]) -> None:
    if not schema.unique:
        return
    keys = frame[list(schema.unique)]
    complete = keys.notna().all(axis=1)
    keys = keys[complete]
    repeated = keys.duplicated(keep="first")
    if not repeated.any():
        return
    first_rows = keys.reset_index().drop_duplicates(list(schema.unique)).set_index(list(schema.unique))["row"]
    label = " + ".join(schema.unique)
    found.hidden += max(0, int(repeated.sum()) - MAX_PROBLEMS - 1)
    for row, key in zip(keys.index[repeated][: MAX_PROBLEMS + 1], keys[repeated].itertuples(index=False)):
        first = first_rows.loc[tuple(key) if len(key) > 1 else key[0]]
        value = " / ".join(str(v) for v in key)
        found.append(problem_at(frame, row, schema.unique[0],
                                f"'{value}' appears again (first in row {first}); each {label} must be unique"))
