"""Tiered commission: COMMISSION and COMMISSION_DETAIL.

Tiers are (lower bound, rate) pairs, bounds ascending from 0; with a quota the bounds are fractions
of it. "marginal" pays each slice of achievement at its tier's rate; "retro" pays everything at the
rate of the highest tier reached. A negative achievement (returns) pays back at the first rate.
"""
from __future__ import annotations

import numpy as np

from xlsales.core.arguments import choice, number
from xlsales.core.money import cents
from xlsales.errors import InputError

MODES = ("marginal", "retro")


def tier_table(tiers, quota=None) -> tuple[np.ndarray, np.ndarray]:
    """Validated (bounds as amounts, rates) from ``tiers`` rows of (bound, rate)."""
    rows = [list(row) if isinstance(row, (list, tuple)) else [row] for row in (tiers or [])]
    if not rows:
        raise InputError("tiers: at least one tier (lower bound, rate) is required")
    for position, row in enumerate(rows, start=1):
        if len(row) != 2:
            raise InputError(f"tiers: row {position} needs two columns (lower bound, rate), has {len(row)}")
    while len(rows) > 1 and all(v is None for v in rows[-1]):
        rows.pop()   # a range selected past the last tier
    for position, (bound, rate) in enumerate(rows, start=1):
        if bound is None or rate is None:
            raise InputError(f"tiers: row {position} has a blank bound or rate")
    bounds = np.array([number(r[0], f"tiers: row {i} bound") for i, r in enumerate(rows, start=1)])
    rates = np.array([number(r[1], f"tiers: row {i} rate") for i, r in enumerate(rows, start=1)])
    for position, rate in enumerate(rates, start=1):
        if rate < 0:
            raise InputError(f"tiers: row {position} has a negative rate ({rate:g})")
    if bounds[0] != 0:
        raise InputError(f"tiers: the first lower bound must be 0, got {bounds[0]:g}")
    rising = np.flatnonzero(np.diff(bounds) <= 0)
    if rising.size:
        raise InputError(f"tiers: row {rising[0] + 2} bound {bounds[rising[0] + 1]:g} is not above "
                         f"the row before ({bounds[rising[0]]:g})")
    quota = number(quota, "quota", blank=0)
    if quota < 0:
        raise InputError(f"quota: must be ≥ 0, got {quota:g}")
    # 1.1 × 100 000 is 110 000.00000000001 in binary; snap amounts to a millionth so that achieving
    # exactly 110 000 reaches the tier.
    return (np.round(bounds * quota, 6) if quota > 0 else bounds), rates


def slice_amounts(achieved, lowers, uppers, retro, first):
    """The part of ``achieved`` paid at each tier's rate: THE tier rule, vectorised.

    Every argument broadcasts: one row per (payee, tier) in the payout engine, one row per tier
    for COMMISSION. ``uppers`` is +inf for the last tier, ``retro`` is True where the mode is
    "retro", ``first`` is True on each first tier. Marginal: min(achieved, upper) − lower, at least
    0. Retro: all of achieved in the tier where lower ≤ achieved < upper. A negative achievement
    (returns) sits entirely in the first tier.
    """
    achieved = np.asarray(achieved, dtype=float)
    lowers = np.asarray(lowers, dtype=float)
    uppers = np.asarray(uppers, dtype=float)
    marginal = np.clip(np.minimum(achieved, uppers) - lowers, 0.0, None)
    reached = np.where((achieved >= lowers) & (achieved < uppers), achieved, 0.0)
    amounts = np.where(retro, reached, marginal)
    return np.where(achieved < 0, np.where(first, achieved, 0.0), amounts)


def tier_amounts(achieved: float, bounds: np.ndarray, rates: np.ndarray, mode: str) -> np.ndarray:
    """The part of ``achieved`` paid at each tier's rate (uncapped)."""
    uppers = np.append(bounds[1:], np.inf)
    first = np.arange(len(bounds)) == 0
    return slice_amounts(achieved, bounds, uppers, mode == "retro", first)


def _arguments(achieved, tiers, quota, mode, cap):
    achieved = number(achieved, "achieved", blank=0)
    bounds, rates = tier_table(tiers, quota)
    mode = choice(mode, "mode", MODES, "marginal")
    cap = number(cap, "cap", blank=np.inf)
    if cap < 0:
        raise InputError(f"cap: must be ≥ 0, got {cap:g}")
    if np.isfinite(cap):
        cap = np.floor(cap * 100 + 1e-6) / 100   # a cap of 2 000.006 pays at most 2 000.00
    return achieved, bounds, rates, mode, cap


def commission_detail(achieved, tiers, quota=None, mode="marginal", cap=None) -> list[list]:
    """One row per tier: from, to (None for the last), amount in tier, rate, payout.

    When the cap binds, a last row (None, None, None, None, −excess) brings the payouts down to it,
    so that the payout column always adds up to COMMISSION.
    """
    achieved, bounds, rates, mode, cap = _arguments(achieved, tiers, quota, mode, cap)
    amounts = tier_amounts(achieved, bounds, rates, mode)
    payouts = cents(amounts * rates)
    uppers = [float(b) for b in bounds[1:]] + [None]
    rows = [[float(b), u, float(a), float(r), float(p)]
            for b, u, a, r, p in zip(bounds, uppers, amounts, rates, payouts)]
    total = float(cents(payouts.sum()))
    if total > cap:
        rows.append([None, None, None, None, float(cents(cap - total))])
    return rows


def commission(achieved, tiers, quota=None, mode="marginal", cap=None) -> float:
    """The payout, rounded to the cent (each tier's payout is rounded first, as a statement shows it)."""
    rows = commission_detail(achieved, tiers, quota, mode, cap)
    return float(cents(sum(row[4] for row in rows)))
