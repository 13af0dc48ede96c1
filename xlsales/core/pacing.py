"""Tracking against target: ATTAINMENT, RUN_RATE, REQUIRED_PACE, DEALS_NEEDED."""
from __future__ import annotations


import numpy as np
import pandas as pd

from xlsales.core.arguments import number
from xlsales.errors import InputError

_EPS = 1e-9


def attainment(actual, target) -> float:
    actual, target = number(actual, "actual", blank=0), number(target, "target")
    if target <= 0:
        raise InputError(f"target: must be > 0, got {target:g}")
    return actual / target


def run_rate(actual, elapsed, total) -> float:
    """Projected landing: actual / elapsed × total."""
    actual = number(actual, "actual", blank=0)
    elapsed, total = number(elapsed, "elapsed"), number(total, "total")
    if elapsed <= 0:
        raise InputError(f"elapsed: must be > 0, got {elapsed:g}")
    if elapsed > total:
        raise InputError(f"elapsed: {elapsed:g} is more than total ({total:g})")
    return actual / elapsed * total


def required_pace(target, actual, remaining) -> float:
    """What must be sold per remaining period to close the gap; 0 once the target is met."""
    target, actual = number(target, "target"), number(actual, "actual", blank=0)
    remaining = number(remaining, "remaining")
    gap = max(target - actual, 0.0)
    if gap == 0:
        return 0.0
    if remaining <= 0:
        raise InputError(f"remaining: must be > 0 while a gap of {gap:g} is left, got {remaining:g}")
    return gap / remaining


def deals_needed(gap, win_rate, avg_deal) -> float:
    """Opportunities to work to close ``gap`` at this win rate and deal size (rounded up)."""
    gap = number(gap, "gap", blank=0)
    win_rate, avg_deal = number(win_rate, "win_rate"), number(avg_deal, "avg_deal")
    if not 0 < win_rate <= 1:
        raise InputError(f"win_rate: must be above 0 and at most 1, got {win_rate:g}")
    if avg_deal <= 0:
        raise InputError(f"avg_deal: must be > 0, got {avg_deal:g}")
    return float(ceil_deals(max(gap, 0.0) / (win_rate * avg_deal)))


def ceil_deals(x):
    """Whole deals to cover ``x`` deals' worth: the ceiling, except that binary noise just above a whole
    number (8 531 772.63 / 0.01 = 853 177 263.0000001) does not add a deal. The allowance is relative
    (10⁻¹²), so it stays far below any real fraction of a deal at every size; the funnel workbook's
    formula is ROUNDUP(x − MAX(1E-9, ABS(x)·1E-12), 0)."""
    x = np.asarray(x, dtype=float)
    out = np.ceil(x - np.maximum(_EPS, np.abs(x) * 1e-12))
    return float(out) if out.ndim == 0 else out


def deals_needed_array(gap, win_rate, avg_deal) -> np.ndarray:
    """DEALS_NEEDED's rule on arrays; NaN where the gap is unknown or there is no win rate or deal
    size yet (instead of an error per row)."""
    gap, wr, avg = (np.asarray(x, dtype=float) for x in (gap, win_rate, avg_deal))
    ok = ~np.isnan(gap) & (wr > 0) & (avg > 0)
    per_deal = np.where(ok, wr * avg, 1.0)
    return np.where(ok, np.clip(ceil_deals(np.maximum(gap, 0) / per_deal), 0, None), np.nan)


# ---------------------------------------------------------------------------------------------
# The same rules on whole columns, for the workbooks and memos


def month_elapsed_share(months, as_of) -> np.ndarray:
    """Share of each month (given by any date in it) that has passed by the end of ``as_of``, 0–1."""
    starts = pd.to_datetime(pd.Series(months)).dt.to_period("M").dt.start_time
    days = starts.dt.days_in_month.to_numpy()
    passed = (pd.Timestamp(as_of) - starts).dt.days.to_numpy() + 1
    return np.clip(passed / days, 0.0, 1.0)


PACE_STATUSES = ("departed", "behind", "on_pace")


def pace_status(behind, departed) -> np.ndarray:
    """The status word's key per row: "departed" for a rep who has left (never "on pace", whatever
    the numbers), else "behind" below the pace line, else "on_pace"."""
    behind = np.asarray(behind, dtype=bool)
    return np.where(np.asarray(departed, dtype=bool), "departed", np.where(behind, "behind", "on_pace"))


def pace_columns(frame: pd.DataFrame, days_elapsed: int, days_total: int) -> pd.DataFrame:
    """Add attainment, pace_attainment, gap, run_rate, required_daily_pace and behind_pace to rows
    holding ``target``, ``expected`` (the pace line: target of the time gone by) and ``actual``.

    ATTAINMENT, RUN_RATE and REQUIRED_PACE's rules, on columns: attainment is blank where the target
    is 0, required pace is 0 once the gap is closed and blank when no days are left.
    """
    target, actual, expected = frame["target"], frame["actual"], frame["expected"]
    out = frame.copy()
    out["attainment"] = (actual / target).where(target > 0)
    out["pace_attainment"] = (actual / expected).where(expected > 0)
    out["gap"] = (target - actual).clip(lower=0.0)
    out["run_rate"] = actual / days_elapsed * days_total if days_elapsed > 0 else np.nan
    days_left = days_total - days_elapsed
    out["required_daily_pace"] = np.where(out["gap"] > 0, out["gap"] / days_left if days_left > 0 else np.nan, 0.0)
    out["behind_pace"] = actual < expected
    return out
