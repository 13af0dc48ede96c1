"""Between Excel's values and the Python API's arguments, and back. No business rules here.

Excel hands a UDF a single cell as a scalar, a range as a list of rows (with ``ndim=2`` always
2-D), blanks as ``None`` and whole numbers as floats; array constants such as ``{1,2,3}`` come as
tuples. Results go back as a scalar or a list of rows.
"""
from __future__ import annotations

import functools

from xlsales.errors import InputError

ERROR_PREFIX = "#XLSALES! "
COLUMN, ROW = "column", "row"


def _rows(value) -> list:
    """``value`` as a list of rows, whatever shape Excel or a caller used."""
    if not isinstance(value, (list, tuple)):
        return [[value]]
    if not value:
        return []
    if not isinstance(value[0], (list, tuple)):
        return [value]
    return value


def vector(value, name: str) -> tuple[list, str]:
    """A single row or column as (flat list, orientation); a 2-D block is invalid for ``name``.

    Empty strings (a formula returning "") count as blanks. A single cell reads as a column.
    """
    rows = _rows(value)
    if not rows or not rows[0]:
        raise InputError(f"{name}: a range of numbers is required")
    width = len(rows[0])
    if len(rows) == 1 and width > 1:
        flat, orientation = list(rows[0]), ROW
    elif width == 1:  # Excel's ranges and array constants are rectangular: one row tells the width
        flat, orientation = [row[0] for row in rows], COLUMN
    else:
        raise InputError(f"{name}: expected a single row or column, got a {len(rows)}×{width} range")
    if "" in flat:
        flat = [None if v == "" else v for v in flat]
    return flat, orientation


def optional_vector(value, name: str) -> list | None:
    """Like ``vector`` for an optional range: omitted (``None``) stays ``None``."""
    if value is None:
        return None
    return vector(value, name)[0]


def scalar(value, name: str):
    """A single cell's value; a 1×1 range is unwrapped, a larger range is invalid for ``name``."""
    if isinstance(value, (list, tuple)):
        rows = _rows(value)
        if len(rows) != 1 or len(rows[0]) != 1:
            width = len(rows[0]) if rows else 0
            raise InputError(f"{name}: expected a single cell, got a {len(rows)}×{width} range")
        value = rows[0][0]
    return None if value == "" else value


def table(value, name: str, columns: int) -> list[tuple]:
    """A range of ``columns`` columns as row tuples; trailing fully blank rows are ignored."""
    rows = [tuple(None if v == "" else v for v in row) for row in _rows(value)]
    while rows and all(v is None for v in rows[-1]):
        rows.pop()
    if not rows:
        raise InputError(f"{name}: the range is empty")
    if len(rows[0]) != columns:
        raise InputError(f"{name}: expected a {columns}-column range, got {len(rows[0])} column"
                         f"{'s' if len(rows[0]) != 1 else ''}")
    return rows


def oriented(values: list, orientation: str) -> list[list]:
    """A flat result as a column ([[v], [v], ...]) or a row ([[v, v, ...]])."""
    if orientation == ROW:
        return [list(values)]
    return [[v] for v in values]


def error_cell(error: BaseException) -> str:
    """The single cell shown instead of a result: ``#XLSALES!`` and a one-line message."""
    message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if not isinstance(error, InputError):
        message = f"unexpected {type(error).__name__}: {message}"
    return ERROR_PREFIX + message


def excel_safe(function):
    """Never raise into Excel: any exception becomes the ``#XLSALES!`` error cell.

    ``functools.wraps`` keeps the name, docstring and signature that xlwings reads for the metadata.
    """
    @functools.wraps(function)
    def wrapper(*args):
        try:
            return function(*args)
        except Exception as error:  # noqa: BLE001 - Excel must get a cell, not a traceback
            return error_cell(error)
    return wrapper
