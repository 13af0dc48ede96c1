"""Tracking against target: ATTAINMENT, RUN_RATE, REQUIRED_PACE, DEALS_NEEDED."""
from __future__ import annotations

import math

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
    return float(math.ceil(max(gap, 0.0) / (win_rate * avg_deal) - _EPS))
