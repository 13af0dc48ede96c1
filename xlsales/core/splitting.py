"""Splitting a whole into parts that add up exactly: SPLIT_TARGET and SEASONAL_SPLIT.

Rounding uses the largest-remainder method: each part is rounded down to a whole number of units,
then the units still missing go one each to the largest remainders; ties go to the larger weight,
then to the earlier position. ``allocate`` does this for many groups at once, so the frame-level
decomposition uses the very same rule as the Excel function.
"""
from __future__ import annotations

import numpy as np

from xlsales.core.arguments import first_negative, number, numbers, whole_number
from xlsales.errors import InputError

_EPS = 1e-9


def allocate(units, weights, groups=None) -> np.ndarray:
    """Split whole ``units`` of each group over its rows by ``weights``; returns whole units per row.

    ``units`` has one value per group (index = group number), ``groups`` one group number per row
    (default: a single group 0). Weights must be ≥ 0 and each group with units > 0 needs a positive
    weight sum; callers check that and say which argument is wrong.
    """
    weights = np.asarray(weights, dtype=float)
    units = np.atleast_1d(np.asarray(units, dtype=float))
    if groups is None:
        return _allocate_one(float(units[0]), weights)
    groups = np.asarray(groups, dtype=np.int64)
    n_groups = len(units)
    weight_sum = np.bincount(groups, weights=weights, minlength=n_groups)
    safe_sum = np.where(weight_sum > 0, weight_sum, 1.0)
    quota = units[groups] * weights / safe_sum[groups]
    # Quotas that are equal on paper can differ in the last bits; compare remainders in steps just
    # above that noise so such ties fall to the tie rule, while real differences still count.
    noise = max(1e-12, float(np.abs(quota).max(initial=0.0)) * 4e-16)
    floor = np.floor(quota + noise)
    remainder = np.round(np.clip(quota - floor, 0.0, None) / noise)
    missing = units - np.bincount(groups, weights=floor, minlength=n_groups)
    order = np.lexsort((np.arange(len(weights)), -weights, -remainder, groups))
    starts = np.searchsorted(groups[order], np.arange(n_groups))
    rank = np.empty(len(weights), dtype=np.int64)
    rank[order] = np.arange(len(weights)) - starts[groups[order]]
    return floor + (rank < np.round(missing)[groups])


def _allocate_one(units: float, weights: np.ndarray) -> np.ndarray:
    """``allocate`` for a single group (an Excel call): the same rule without the group bookkeeping."""
    weight_sum = weights.sum()
    if weight_sum <= 0:
        return np.zeros(len(weights))
    quota = weights * (units / weight_sum)
    noise = max(1e-12, float(quota.max()) * 4e-16)
    floor = np.floor(quota + noise)
    missing = int(round(units - floor.sum()))
    if missing > 0:
        remainder = np.round(np.maximum(quota - floor, 0.0) / noise)
        # lexsort is stable: equal remainders and weights keep their order, so the earlier position wins.
        floor[np.lexsort((-weights, -remainder))[:missing]] += 1
    return floor


def _units(amount: float, round_to: float, name: str) -> int:
    units = amount / round_to
    if abs(units - round(units)) > 1e-7 * max(1.0, abs(units)):
        raise InputError(f"{name}: {amount:g} is not a multiple of round_to ({round_to:g})")
    return int(round(units))


def _decimals(round_to: float) -> int:
    """Decimal places of round_to itself (0.01 → 2, 100 → 0), so multiples print as typed."""
    text = f"{round_to:.10f}".rstrip("0")
    return len(text.split(".")[1]) if "." in text else 0


def split_target(total, weights, round_to=None, locked=None) -> list[float]:
    """Split ``total`` in proportion to ``weights`` (see the SPEC's SPLIT_TARGET)."""
    total = number(total, "total")
    if total < 0:
        raise InputError(f"total: must be ≥ 0, got {total:g}")
    weights = numbers(weights, "weights")
    first_negative(weights, "weights")
    round_to = number(round_to, "round_to", blank=0.0)
    if round_to < 0:
        raise InputError(f"round_to: must be ≥ 0, got {round_to:g}")
    fixed, is_locked, locked_sum, free_weights = None, None, 0.0, weights
    if locked is not None:
        fixed = numbers(locked, "locked", blank=None, min_length=0)
        if len(fixed) != len(weights):
            raise InputError(f"locked: has {len(fixed)} values but weights has {len(weights)}")
        first_negative(np.nan_to_num(fixed), "locked")
        is_locked = ~np.isnan(fixed)
        locked_sum = fixed[is_locked].sum()
        free_weights = np.where(is_locked, 0.0, weights)
    if locked_sum > total + _EPS * max(1.0, total):
        raise InputError(f"locked: amounts add up to {locked_sum:g}, above the total {total:g}")
    left = max(total - locked_sum, 0.0)
    if left > _EPS * max(1.0, total) and free_weights.sum() <= 0:
        raise InputError("weights: all weights of the unlocked positions are 0 but "
                         f"{left:g} is left to split")
    if round_to > 0:
        _units(total, round_to, "total")
        for i in np.flatnonzero(is_locked) if is_locked is not None else ():
            _units(fixed[i], round_to, f"locked: position {i + 1}")
        units = allocate([_units(left, round_to, "total")], free_weights)
        parts = np.round(units * round_to, _decimals(round_to))
    else:
        weight_sum = free_weights.sum()
        parts = left * free_weights / weight_sum if weight_sum > 0 else np.zeros(len(weights))
    if is_locked is not None:
        parts = np.where(is_locked, fixed, parts)
    return parts.tolist()


def seasonal_shares(history, cycle=None) -> np.ndarray:
    """Mean share of each position of the cycle over the whole cycles of ``history``."""
    cycle = whole_number(cycle, "cycle", default=12)
    history = numbers(history, "history", min_length=0)
    first_negative(history, "history")
    whole = len(history) // cycle
    if whole < 1:
        raise InputError(f"history: needs at least one whole cycle of {cycle} periods, got {len(history)}")
    table = history[: whole * cycle].reshape(whole, cycle)
    sums = table.sum(axis=1)
    table = table[sums > 0]
    if len(table) == 0:
        raise InputError("history: every whole cycle adds up to 0, so there is no seasonality to use")
    return (table / table.sum(axis=1, keepdims=True)).mean(axis=0)


def seasonal_split(total, history, cycle=None, round_to=None) -> list[float]:
    """Split ``total`` over one cycle by the seasonality in ``history`` (SEASONAL_SPLIT)."""
    shares = seasonal_shares(history, cycle)
    return split_target(total, shares, round_to=round_to)
