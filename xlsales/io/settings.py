"""The documented ranges of the settings a user gives on the command line or in a build config.

Each check raises InputError naming the setting (``--growth``, ``plan.targets.growth``) and the range,
so that a value a user could not have meant (``--growth inf``, ``--round-to 0``, ``--year 1990``) stops
the command instead of giving a plan of NaN or of another century. The README lists the ranges.
"""
from __future__ import annotations

import math

import pandas as pd

from xlsales.errors import InputError

GROWTH = (-0.9, 10.0)         # -90 % .. +1000 %
BUFFER = (0.0, 1.0)           # 0 .. 100 % over-assignment
ROUND_TO = (0.01, 1e9)        # the rounding unit of money targets
YEAR = (2000, 2100)           # plan years
WINDOW = (1, 20)              # years of history a forecast reads
BLEND_WEIGHT = (0.0, 1.0)


def check_range(name: str, value, low, high, unit: str = "") -> None:
    """``value`` must be a finite number in [low, high]; None (not given) passes."""
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise InputError(f"{name}: {value!r} is not a number between {low:g} and {high:g}{unit}")
    if not low <= value <= high:
        raise InputError(f"{name}: {value:g} is outside {low:g} to {high:g}{unit}")


def check_target_settings(prefix: str = "--", *, growth=None, buffer=None, round_to=None, year=None,
                          window=None, blend=None) -> None:
    """The target planning settings; ``prefix`` is ``--`` for options or ``plan.targets.`` for a config."""
    def name(key):
        return f"{prefix}{key.replace('_', '-') if prefix == '--' else key}"
    check_range(name("growth"), growth, *GROWTH, " (a fraction: 0.15 is 15 %)")
    check_range(name("buffer"), buffer, *BUFFER, " (a fraction: 0.1 is 10 %)")
    check_range(name("round_to"), round_to, *ROUND_TO)
    check_range(name("year"), year, *YEAR)
    check_range(name("window"), window, *WINDOW, " years")
    for basis, weight in blend or ():
        check_range(f"{name('blend')} {basis}", weight, *BLEND_WEIGHT)


def check_plan_year(orders: pd.DataFrame, year: int, setting: str = "--year") -> None:
    """The plan needs history before its year; without it every target is 0 and attainment is inf %."""
    before = orders.loc[orders["date"].dt.year < year, "amount"]
    if before.empty or not before.abs().sum() > 0:
        first = orders["date"].min()
        raise InputError(f"{setting}: no orders before the plan year {year} in "
                         f"{orders.attrs.get('source', 'the orders')} (the first is dated {first:%Y-%m-%d}); "
                         f"targets are planned from at least one earlier year")


def check_key_product(orders: pd.DataFrame, product, setting: str = "--key-product") -> None:
    """A key product must be a product the orders sell; otherwise its measure would silently vanish."""
    if not product:
        return
    source = orders.attrs.get("source", "the orders")
    if "product" not in orders.columns or orders["product"].isna().all():
        raise InputError(f"{setting}: {source} has no product column (产品) to find {product!r} in")
    products = orders["product"].dropna().astype(str)
    if not (products == str(product)).any():
        known = products.value_counts().index[:8].tolist()
        raise InputError(f"{setting}: no order in {source} is for {product!r}; products there include "
                         f"{', '.join(known)}")


def check_hires(reps: pd.DataFrame, year: int) -> list[str]:
    """Reps hired after the plan year's last day: they cannot carry a target that year."""
    from xlsales.io.loading import problem_at
    if "hire_date" not in reps.columns:
        return []
    late = reps["hire_date"] > pd.Timestamp(year, 12, 31)
    return [problem_at(reps, row, "hire_date", f"{day:%Y-%m-%d} is after the plan year {year}; "
                       f"leave this rep out of the {year} plan or fix the date")
            for row, day in reps.loc[late, "hire_date"].items()]
