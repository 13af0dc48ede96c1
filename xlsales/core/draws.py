"""Draws: a guaranteed minimum per period, recovered (or not) from later earnings above it.

For each period, in order: if earnings fall short of the draw, the rep is topped up to the draw;
a recoverable top-up is added to the balance the rep owes. When earnings exceed the draw, the
excess repays the balance (never more than is owed). Payout = earned + top-up − recovery.
"""
from __future__ import annotations

import numpy as np

from xlsales.core.money import cents


def apply_draws(earned: np.ndarray, draw: np.ndarray, recoverable: bool, opening=None):
    """``earned`` and ``draw``: (payees × periods). Returns top-up, recovery, opening and closing balance.

    Vectorised over payees; the only loop is over the periods, which depend on each other.
    """
    earned = np.atleast_2d(np.asarray(earned, dtype=float))
    draw = np.broadcast_to(np.asarray(draw, dtype=float), earned.shape)
    topup = cents(np.maximum(draw - earned, 0.0))
    recovery = np.zeros_like(earned)
    balance_open = np.zeros_like(earned)
    balance_close = np.zeros_like(earned)
    balance = np.zeros(earned.shape[0]) if opening is None else np.asarray(opening, dtype=float).copy()
    for p in range(earned.shape[1]):
        balance_open[:, p] = balance
        if recoverable:
            recovery[:, p] = cents(np.minimum(balance, np.maximum(earned[:, p] - draw[:, p], 0.0)))
            balance = cents(balance + topup[:, p] - recovery[:, p])
        balance_close[:, p] = balance
    return topup, recovery, balance_open, balance_close
