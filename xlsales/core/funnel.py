"""Funnel rules: FUNNEL_CONVERSION, WEIGHTED_PIPELINE, SALES_VELOCITY, PIPELINE_COVERAGE."""
from __future__ import annotations

import numpy as np

from xlsales.core.arguments import first_negative, number, numbers
from xlsales.errors import InputError


def funnel_conversion(counts) -> list[float | None]:
    """counts[i+1] / counts[i] for each stage but the last; None (blank) where counts[i] is 0."""
    counts = numbers(counts, "counts", min_length=2)
    first_negative(counts, "counts")
    return [None if np.isnan(r) else float(r) for r in conversion_rates(counts)]


def conversion_rates(reached) -> np.ndarray:
    """The rule behind FUNNEL_CONVERSION on arrays: along the last axis, reached[i+1] / reached[i],
    NaN where reached[i] is 0. Rows of a 2-D array are funnels (one per rep or team)."""
    reached = np.asarray(reached, dtype=float)
    before, after = reached[..., :-1], reached[..., 1:]
    return np.divide(after, before, out=np.full(before.shape, np.nan), where=before != 0)


def weighted_pipeline(amounts, probabilities) -> float:
    amounts = numbers(amounts, "amounts")
    probabilities = numbers(probabilities, "probabilities")
    if len(amounts) != len(probabilities):
        raise InputError(f"probabilities: has {len(probabilities)} values but amounts has {len(amounts)}")
    bad = np.flatnonzero((probabilities < 0) | (probabilities > 1))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"probabilities: position {i + 1} is {probabilities[i]:g}, outside 0 to 1")
    return float(weighted_amounts(amounts, probabilities).sum())


def weighted_amounts(amounts, probabilities):
    """amount × probability, element by element (arrays or Series): WEIGHTED_PIPELINE before the sum."""
    return amounts * probabilities


def sales_velocity(opportunities, win_rate, avg_deal, cycle_days) -> float:
    """Revenue per day the pipeline produces: opportunities × win rate × average deal ÷ cycle days."""
    opportunities = number(opportunities, "opportunities")
    win_rate, avg_deal = number(win_rate, "win_rate"), number(avg_deal, "avg_deal")
    cycle_days = number(cycle_days, "cycle_days")
    if opportunities < 0:
        raise InputError(f"opportunities: must be ≥ 0, got {opportunities:g}")
    if not 0 <= win_rate <= 1:
        raise InputError(f"win_rate: must be between 0 and 1, got {win_rate:g}")
    if avg_deal < 0:
        raise InputError(f"avg_deal: must be ≥ 0, got {avg_deal:g}")
    if cycle_days <= 0:
        raise InputError(f"cycle_days: must be > 0, got {cycle_days:g}")
    return float(velocity(opportunities, win_rate, avg_deal, cycle_days))


def velocity(opportunities, win_rate, avg_deal, cycle_days):
    """SALES_VELOCITY's rule on arrays or Series; NaN where cycle_days is not above 0 or an input is NaN."""
    cycle_days = np.asarray(cycle_days, dtype=float)
    top = np.asarray(opportunities, dtype=float) * np.asarray(win_rate, dtype=float) * np.asarray(avg_deal, dtype=float)
    return np.divide(top, cycle_days, out=np.full(np.broadcast(top, cycle_days).shape, np.nan),
                     where=cycle_days > 0)


def pipeline_coverage(pipeline, target, closed=None) -> float | None:
    """pipeline ÷ (target − closed); None (blank) when nothing remains to cover."""
    pipeline, target = number(pipeline, "pipeline"), number(target, "target")
    closed = number(closed, "closed", blank=0)
    result = float(coverage(pipeline, target, closed))
    return None if np.isnan(result) else result


def coverage(pipeline, target, closed=0.0):
    """PIPELINE_COVERAGE's rule on arrays: pipeline ÷ (target − closed), NaN where nothing remains."""
    remaining = np.asarray(target, dtype=float) - np.asarray(closed, dtype=float)
    pipeline = np.asarray(pipeline, dtype=float)
    shape = np.broadcast(pipeline, remaining).shape
    return np.divide(pipeline, remaining, out=np.full(shape, np.nan), where=remaining > 0)
