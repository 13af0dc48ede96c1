"""Customer priority: ABC_CLASS (Pareto)."""
from __future__ import annotations

import numpy as np

from xlsales.core.arguments import first_negative, number, numbers
from xlsales.errors import InputError


def abc_class(values, a_share=0.8, b_share=0.95) -> list[str]:
    """A while the share held by larger values before it is below a_share, B below b_share, else C.

    When every value is 0 no value holds any share, so all are C.
    """
    values = numbers(values, "values")
    first_negative(values, "values")
    a_share, b_share = number(a_share, "a_share", blank=0.8), number(b_share, "b_share", blank=0.95)
    if not 0 < a_share <= 1:
        raise InputError(f"a_share: must be above 0 and at most 1, got {a_share:g}")
    if not a_share <= b_share <= 1:
        raise InputError(f"b_share: must be between a_share ({a_share:g}) and 1, got {b_share:g}")
    total = values.sum()
    if total == 0:
        return ["C"] * len(values)
    order = np.argsort(-values, kind="stable")
    before = np.empty(len(values))
    before[order] = (np.cumsum(values[order]) - values[order]) / total
    # Shares are ratios of float sums: 0.04 / 0.05 comes out as 0.7999…, which is 80 % on paper.
    tolerance = 1e-12
    return np.where(before < a_share - tolerance, "A",
                    np.where(before < b_share - tolerance, "B", "C")).tolist()
