"""xlsales.core.money: ROUND(x, 2) as Excel computes it (half away from zero, at the cent).

The SPEC requires that the values Python computes are the values the workbook's native formulas give
when recalculated, so ``cents`` must agree with Excel's ROUND on every amount a sales team handles,
small or large. The reference below rounds the *decimal* value of the float (what Excel displays and
rounds, up to 15 significant digits) with ``decimal.ROUND_HALF_UP`` (which is half away from zero).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlsales.core.money import cents, round_half_away


def excel_round(x: float, decimals: int = 2) -> float:
    """Naive reference: the value as Excel shows it (15 significant digits), rounded half away."""
    shown = Decimal(f"{x:.15g}")
    return float(shown.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


# ---------------------------------------------------------------- hand-worked examples

@pytest.mark.parametrize("x, expected", [
    (1.005, 1.01),     # stored as 1.00499999999999989..., Excel still shows and rounds 1.005 -> 1.01
    (2.675, 2.68),     # stored as 2.67499999999999982...
    (0.125, 0.13),     # exact half: away from zero (not banker's 0.12)
    (0.135, 0.14),
    (-1.005, -1.01),   # half away from zero on the negative side too
    (-0.125, -0.13),
    (1.004, 1.0),
    (1.0049, 1.0),
    (0.0, 0.0),
    (7800.0, 7800.0),
    (1234567.891, 1234567.89),
    (-2.5, -2.5),
])
def test_cents_hand_worked(x, expected):
    assert cents(x) == expected


@pytest.mark.parametrize("x, decimals, expected", [
    (1234.5, 0, 1235.0),   # half away from zero at 0 decimals
    (-2.5, 0, -3.0),
    (2.5, 0, 3.0),         # not banker's rounding (which gives 2)
    (0.0005, 3, 0.001),
    (12.3456, 1, 12.3),
])
def test_round_half_away_other_decimals(x, decimals, expected):
    assert round_half_away(x, decimals) == expected


def test_cents_on_arrays_is_elementwise():
    out = cents(np.array([1.005, 2.5, -0.015, 0.004]))
    assert isinstance(out, np.ndarray)
    assert out.tolist() == [1.01, 2.5, -0.02, 0.0]


def test_cents_scalar_returns_float():
    assert isinstance(cents(3.14159), float)
    assert cents(3.14159) == 3.14


# ---------------------------------------------------------------- large amounts

def test_cents_keeps_whole_amount_of_five_million():
    # 5 000 000.00 is already a whole number of cents: ROUND(5000000, 2) = 5000000
    assert cents(5_000_000.0) == 5_000_000.0


def test_cents_of_a_company_sized_amount():
    # ROUND(123456789.12, 2) = 123456789.12
    assert cents(123_456_789.12) == 123_456_789.12


def test_cents_rounds_down_below_half_a_cent_at_a_million():
    # 2 000 000.004 -> the third decimal 4 < 5 -> round down -> 2 000 000.00
    assert cents(2_000_000.004) == 2_000_000.0


@pytest.mark.parametrize("x, expected", [
    (177097.70496, 177097.70),   # a payout of 670 824.64 × 26.4%; got 177097.71
    (12345.674999, 12345.67),    # got 12345.68
    (50000.004995, 50000.00),    # got 50000.01
    (2000.0049999, 2000.00),     # got 2000.01
    (99999.994999, 99999.99),    # got 100000.0
])
def test_cents_rounds_down_just_below_half_a_cent(x, expected):
    # the third decimal and beyond are below .005 -> ROUND(x, 2) rounds down
    assert cents(x) == expected


def test_cents_small_and_mid_amounts_are_exact():
    # below a million the nudge is far below half a cent
    assert cents(999_999.99) == 999_999.99
    assert cents(100_000.0) == 100_000.0
    assert cents(99_999.995) == 100_000.0


# ---------------------------------------------------------------- properties

amounts_up_to_a_million = st.decimals(min_value=-1_000_000, max_value=1_000_000, places=3,
                                      allow_nan=False, allow_infinity=False).map(float)


@settings(max_examples=60, deadline=None)
@given(amounts_up_to_a_million)
def test_cents_matches_excel_round_up_to_a_million(x):
    assert cents(x) == excel_round(x)


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=-10**6, max_value=10**6, places=2).map(float))
def test_cents_is_identity_on_whole_cents(x):
    assert cents(x) == x


@settings(max_examples=60, deadline=None)
@given(amounts_up_to_a_million, amounts_up_to_a_million)
def test_cents_is_monotone(a, b):
    lo, hi = min(a, b), max(a, b)
    assert cents(lo) <= cents(hi)


@settings(max_examples=60, deadline=None)
@given(amounts_up_to_a_million)
def test_cents_is_odd_symmetric(x):
    # half away from zero: ROUND(-x) = -ROUND(x)
    assert cents(-x) == -cents(x)


@settings(max_examples=60, deadline=None)
@given(st.decimals(min_value=1_000_000, max_value=10**11, places=2).map(float))
def test_cents_is_identity_on_whole_cents_for_large_amounts(x):
    assert cents(x) == x
