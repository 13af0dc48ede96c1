"""Checks shared by the API functions: turn user arguments into numbers or say which one is wrong."""
from __future__ import annotations

import math
from numbers import Real

import numpy as np

from xlsales.errors import InputError


def _describe(value) -> str:
    if isinstance(value, str):
        return f"text {value!r}"
    if isinstance(value, bool):
        return f"a boolean ({value})"
    return repr(value)


def number(value, name: str, *, blank=None) -> float:
    """A single number; ``None`` becomes ``blank`` (an error when ``blank`` is None)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        if blank is None:
            raise InputError(f"{name}: a number is required")
        return float(blank)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InputError(f"{name}: expected a number, got {_describe(value)}")
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"{name}: expected a finite number, got {value}")
    return value


def numbers(values, name: str, *, blank: float | None = 0.0, min_length: int = 1) -> np.ndarray:
    """A 1-D float array; blanks (None) become ``blank`` or stay NaN when ``blank`` is None."""
    if values is None:
        raise InputError(f"{name}: a range of numbers is required")
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        values = [values]
    if isinstance(values, list) and len(values) >= min_length and all(type(v) is float for v in values):
        array = np.array(values, dtype=float)   # fast path: a range of numbers as Excel sends it
        if np.isfinite(array).all():
            return array
    out = []
    for position, value in enumerate(values, start=1):
        if type(value) is float and math.isfinite(value):  # a range with blanks: skip the ABC checks
            out.append(value)
            continue
        if value is None or (isinstance(value, float) and math.isnan(value)):
            out.append(math.nan if blank is None else blank)
            continue
        if isinstance(value, bool) or not isinstance(value, Real):
            raise InputError(f"{name}: position {position} is {_describe(value)}, expected a number")
        value = float(value)
        if not math.isfinite(value):
            raise InputError(f"{name}: position {position} is not a finite number")
        out.append(value)
    if len(out) < min_length:
        raise InputError(f"{name}: needs at least {min_length} value{'s' if min_length > 1 else ''}")
    return np.asarray(out, dtype=float)


def first_negative(values: np.ndarray, name: str, what: str = "negative") -> None:
    bad = np.flatnonzero(values < 0)
    if bad.size:
        i = int(bad[0])
        raise InputError(f"{name}: position {i + 1} is {what} ({values[i]:g})")


def choice(value, name: str, options: tuple[str, ...], default: str) -> str:
    if value is None or value == "":
        return default
    if not isinstance(value, str) or value.strip().lower() not in options:
        raise InputError(f"{name}: expected one of {', '.join(options)}, got {_describe(value)}")
    return value.strip().lower()


def whole_number(value, name: str, *, default: int | None, minimum: int = 1) -> int | None:
    if value is None:
        return default
    value = number(value, name)
    if value != int(value) or value < minimum:
        raise InputError(f"{name}: expected a whole number ≥ {minimum}, got {value:g}")
    return int(value)
