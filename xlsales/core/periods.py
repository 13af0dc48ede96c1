"""Plan periods (months or quarters) as whole numbers, so that frames group and sort on integers.

A period number counts months (year × 12 + month − 1) or quarters (year × 4 + quarter − 1).
Labels are "2026-06" for a month and "2026-Q2" for a quarter.
"""
from __future__ import annotations

import calendar
import re

import numpy as np
import pandas as pd

from xlsales.errors import InputError

PER_YEAR = {"month": 12, "quarter": 4}


def period_numbers(dates, freq: str) -> np.ndarray:
    """The period number of each date."""
    dates = pd.DatetimeIndex(pd.to_datetime(dates))
    month = dates.year.to_numpy() * 12 + dates.month.to_numpy() - 1
    return month if freq == "month" else month // 3


def first_period(year: int, freq: str) -> int:
    return year * PER_YEAR[freq]


def label(number: int, freq: str) -> str:
    year, index = divmod(int(number), PER_YEAR[freq])
    return f"{year}-{index + 1:02d}" if freq == "month" else f"{year}-Q{index + 1}"


def labels(numbers, freq: str) -> np.ndarray:
    numbers = np.asarray(numbers, dtype=np.int64)
    years, index = np.divmod(numbers, PER_YEAR[freq])
    if freq == "month":
        text = [f"{y}-{i + 1:02d}" for y, i in zip(*np.unique(np.stack([years, index]), axis=1))]
    else:
        text = [f"{y}-Q{i + 1}" for y, i in zip(*np.unique(np.stack([years, index]), axis=1))]
    uniq = np.unique(numbers)
    return np.asarray(text, dtype=object)[np.searchsorted(uniq, numbers)]


_MONTH = re.compile(r"^\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?\s*(?:[-/.]\s*(\d{1,2})\s*日?)?\s*(?:00:00:00)?\s*$")
_QUARTER = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*(?:Q|q|第)\s*([1-4])\s*(?:季度?)?\s*$")


def parse(text, freq: str, name: str = "period") -> int:
    """A period number from "2026-06" (or "2026/6", "2026年6月") or "2026-Q2"; a month inside a
    quarter plan names its quarter."""
    text = str(text)
    quarter = _QUARTER.match(text)
    if quarter:
        if freq == "month":
            raise InputError(f"{name}: {text!r} is a quarter but the plan pays by month; give a month like 2026-06")
        return int(quarter.group(1)) * 4 + int(quarter.group(2)) - 1
    month = _MONTH.match(text)
    if month and 1 <= int(month.group(2)) <= 12 and month.group(3) is not None and not \
            1 <= int(month.group(3)) <= calendar.monthrange(int(month.group(1)), int(month.group(2)))[1]:
        raise InputError(f"{name}: {text!r} is not a date (that month has no day {int(month.group(3))})")
    if month and 1 <= int(month.group(2)) <= 12:
        number = int(month.group(1)) * 12 + int(month.group(2)) - 1
        return number if freq == "month" else number // 3
    example = "2026-06" if freq == "month" else "2026-Q2 (or a month in it)"
    raise InputError(f"{name}: expected a period like {example}, got {text!r}")


def bounds(numbers, freq: str) -> tuple[pd.DatetimeIndex, pd.DatetimeIndex]:
    """First and last day of each period."""
    numbers = np.asarray(numbers, dtype=np.int64)
    months = numbers if freq == "month" else numbers * 3
    span = 1 if freq == "month" else 3
    start = pd.to_datetime({"year": months // 12, "month": months % 12 + 1, "day": 1})
    end_months = months + span
    end = pd.to_datetime({"year": end_months // 12, "month": end_months % 12 + 1, "day": 1}) - pd.Timedelta(days=1)
    return pd.DatetimeIndex(start), pd.DatetimeIndex(end)
