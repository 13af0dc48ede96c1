"""Next period's target from history: TARGET_FROM_HISTORY."""
from __future__ import annotations

import numpy as np

from xlsales.core.arguments import choice, number, numbers, whole_number
from xlsales.errors import InputError

METHODS = ("avg", "wma", "linear")


def forecast_next(history: np.ndarray, method: str, window: int | None) -> float:
    """The forecast for the period after ``history`` (values oldest first, no growth applied)."""
    if window is None:
        window = len(history) if method == "linear" else 3
    recent = history[-window:]
    if method == "avg":
        return float(recent.mean())
    if method == "wma":
        weights = np.arange(1, len(recent) + 1, dtype=float)
        return float((recent * weights).sum() / weights.sum())
    if len(recent) == 1:
        return float(recent[0])
    x = np.arange(len(recent), dtype=float)
    slope, intercept = np.polyfit(x, recent, 1)
    return float(intercept + slope * len(recent))


def target_from_history(history, growth=0.1, method="avg", window=None) -> float:
    """forecast × (1 + growth), never below 0.

    When history is shorter than ``window``, all of it is used.
    """
    values = numbers(history, "history", blank=0.0)
    growth = number(growth, "growth", blank=0.1)
    method = choice(method, "method", METHODS, "avg")
    window = whole_number(window, "window", default=None)
    if growth < -1:
        raise InputError(f"growth: must be ≥ -1 (-100%), got {growth:g}")
    return max(forecast_next(values, method, window) * (1.0 + growth), 0.0)
