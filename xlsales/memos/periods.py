"""The period a memo reviews: a month (``2026-06``) or a quarter (``2026-Q2``), and how far into it we are."""
from __future__ import annotations

import re
from dataclasses import dataclass

import pandas as pd

from xlsales.errors import InputError

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})-?[Qq]([1-4])$")


@dataclass(frozen=True)
class Period:
    kind: str            # "month" or "quarter"
    start: pd.Timestamp
    end: pd.Timestamp    # last day, inclusive
    as_of: pd.Timestamp  # the day the figures are taken (clipped into the period)

    @property
    def label(self) -> str:
        if self.kind == "quarter":
            return f"{self.start.year}-Q{(self.start.month - 1) // 3 + 1}"
        return f"{self.start.year}-{self.start.month:02d}"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def days_elapsed(self) -> int:
        return (self.as_of - self.start).days + 1

    @property
    def days_left(self) -> int:
        return self.days - self.days_elapsed

    @property
    def elapsed_share(self) -> float:
        """Where the pace line stands: the share of the period's days gone by."""
        return self.days_elapsed / self.days

    @property
    def months(self) -> pd.DatetimeIndex:
        return pd.date_range(self.start, self.end, freq="MS")

    @property
    def year_start(self) -> pd.Timestamp:
        return pd.Timestamp(self.start.year, 1, 1)


def period(spec, as_of=None, kind: str | None = None) -> Period:
    """``spec`` is ``2026-06`` or ``2026-Q2`` (or a date, with ``kind``); ``as_of`` defaults to the period's end."""
    text = str(spec).strip()
    if (m := _QUARTER.match(text)) and kind in (None, "quarter"):
        start = pd.Timestamp(int(m[1]), 3 * int(m[2]) - 2, 1)
        kind = "quarter"
    elif (m := _MONTH.match(text)) and kind in (None, "month"):
        start = pd.Timestamp(int(m[1]), int(m[2]), 1)
        kind = "month"
    else:
        try:
            day = pd.Timestamp(text)
        except (ValueError, TypeError):
            raise InputError(f"period: expected YYYY-MM or YYYY-Qn, got {spec!r}") from None
        kind = kind or "month"
        start = day.to_period("Q" if kind == "quarter" else "M").start_time
    end = (start + pd.offsets.QuarterEnd(0)) if kind == "quarter" else (start + pd.offsets.MonthEnd(0))
    as_of = end if as_of is None else pd.Timestamp(as_of).normalize()
    if as_of < start:
        raise InputError(f"as_of: {as_of.date()} is before the period {start.date()} – {end.date()}")
    return Period(kind, start, end.normalize(), min(as_of, end.normalize()))
