"""Funnel rules: FUNNEL_CONVERSION, WEIGHTED_PIPELINE, SALES_VELOCITY, PIPELINE_COVERAGE."""
from __future__ import annotations

import numpy as np

from xlsales.core.arguments import first_negative, number, numbers
from xlsales.errors import InputError


def funnel_conversion(counts) -> list[float | None]:
    """counts[i+1] / counts[i] for each stage but the last; None (blank) where counts[i] is 0."""
    counts = numbers(counts, "counts", min_length=2)
    first_negative(counts, "counts")
    return [None if a == 0 else float(b / a) for a, b in zip(counts[:-1], counts[1:])]


def weighted_pipeline(amounts, probabilities) -> float:
    amounts = numbers(amounts, "amounts")
    probabilities = numbers(probabilities, "probabilities")
    if len(amounts) != len(probabilities):
        raise InputError(f"probabilities: has {len(probabilities)} values but amounts has {len(amounts)}")
    bad = np.flatnonzero((probabilities < 0) | (probabilities > 1))
    if bad.size:
        i = int(bad[0])
        raise InputError(f"probabilities: position {i + 1} is {probabilities[i]:g}, outside 0 to 1")
    return float((amounts * probabilities).sum())


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
    return opportunities * win_rate * avg_deal / cycle_days


def pipeline_coverage(pipeline, target, closed=None) -> float | None:
    """pipeline ÷ (target − closed); None (blank) when nothing remains to cover."""
    pipeline, target = number(pipeline, "pipeline"), number(target, "target")
    closed = number(closed, "closed", blank=0)
    remaining = target - closed
    return None if remaining <= 0 else pipeline / remaining
