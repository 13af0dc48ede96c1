"""ATTAINMENT, RUN_RATE, REQUIRED_PACE, DEALS_NEEDED against the SPEC.

SPEC:
- ATTAINMENT = actual / target; target ≤ 0 invalid.
- RUN_RATE = actual / elapsed × total; elapsed ≤ 0 or elapsed > total invalid.
- REQUIRED_PACE = max(target − actual, 0) / remaining; 0 when met; remaining ≤ 0 with a gap left invalid.
- DEALS_NEEDED = ceiling(max(gap, 0) / (win_rate × avg_deal)); win_rate outside (0, 1] or avg_deal ≤ 0 invalid.
"""
from __future__ import annotations

import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlsales
from xlsales import InputError, attainment, deals_needed, required_pace, run_rate


def exact(x) -> Fraction:
    return Fraction(repr(float(x)))


def ref_deals_needed(gap, win_rate, avg_deal) -> int:
    """Exact ceiling on the decimal values the user typed."""
    q = max(exact(gap), Fraction(0)) / (exact(win_rate) * exact(avg_deal))
    return -((-q.numerator) // q.denominator)


def check_error(call, message):
    with pytest.raises(InputError) as info:
        call()
    assert str(info.value).startswith(message), str(info.value)


def test_exported_at_top_level():
    for name in ("attainment", "run_rate", "required_pace", "deals_needed"):
        assert callable(getattr(xlsales, name))


# ------------------------------------------------------------------ ATTAINMENT


def test_attainment_hand_worked():
    assert attainment(85_000, 100_000) == pytest.approx(0.85)    # 85 000 / 100 000
    assert attainment(130_000, 100_000) == pytest.approx(1.3)    # above 100%
    assert attainment(0, 50_000) == 0.0
    assert attainment(-5_000, 50_000) == pytest.approx(-0.1)     # returns: negative attainment
    assert attainment(None, 50_000) == 0.0                       # blank actual counts as 0


@pytest.mark.parametrize("target", [0, -1, -100_000])
def test_attainment_target_not_positive_is_invalid(target):
    check_error(lambda: attainment(10, target), "target:")


@pytest.mark.parametrize("args, message", [
    (("10", 100), "actual:"), ((10, "100"), "target:"), ((True, 100), "actual:"), ((10, None), "target:"),
    ((float("inf"), 100), "actual:"),
])
def test_attainment_non_numbers_are_invalid(args, message):
    check_error(lambda: attainment(*args), message)


@settings(max_examples=60, deadline=None)
@given(st.floats(-1e9, 1e9), st.floats(0.01, 1e9))
def test_attainment_is_the_ratio(actual, target):
    assert attainment(actual, target) == pytest.approx(actual / target)


# ------------------------------------------------------------------ RUN_RATE


def test_run_rate_hand_worked():
    # 40 000 in 10 of 30 days -> 4 000 a day × 30 = 120 000
    assert run_rate(40_000, 10, 30) == pytest.approx(120_000.0)
    # 2 of 3 months, 50 000 -> 75 000
    assert run_rate(50_000, 2, 3) == pytest.approx(75_000.0)
    # the whole period elapsed -> the actual itself
    assert run_rate(12_345, 30, 30) == pytest.approx(12_345.0)
    # fractional elapsed: 0.5 of 1 -> double
    assert run_rate(100, 0.5, 1) == pytest.approx(200.0)
    assert run_rate(None, 5, 30) == 0.0


@pytest.mark.parametrize("args, message", [
    ((100, 0, 30), "elapsed:"),       # SPEC: elapsed ≤ 0
    ((100, -1, 30), "elapsed:"),
    ((100, 31, 30), "elapsed:"),      # SPEC: elapsed > total
    ((100, 1, 0), "elapsed:"),        # elapsed 1 > total 0
    ((100, "10", 30), "elapsed:"),
    ((100, 10, "30"), "total:"),
    (("100", 10, 30), "actual:"),
    ((100, None, 30), "elapsed:"),
])
def test_run_rate_invalid(args, message):
    check_error(lambda: run_rate(*args), message)


@settings(max_examples=60, deadline=None)
@given(st.decimals(0, 10**8, places=2).map(float), st.integers(1, 365), st.integers(0, 365))
def test_run_rate_formula_and_at_least_actual(actual, elapsed, more):
    total = elapsed + more
    got = run_rate(actual, elapsed, total)
    assert got == pytest.approx(actual / elapsed * total)
    assert got >= actual * (1 - 1e-12)  # landing is never below what is already booked (actual ≥ 0)


# ------------------------------------------------------------------ REQUIRED_PACE


def test_required_pace_hand_worked():
    # gap 100 000 − 40 000 = 60 000 over 20 days -> 3 000 a day
    assert required_pace(100_000, 40_000, 20) == pytest.approx(3_000.0)
    # target met -> 0, and exceeded -> 0 (not negative)
    assert required_pace(100_000, 100_000, 20) == 0.0
    assert required_pace(100_000, 120_000, 20) == 0.0
    # target met: remaining ≤ 0 is fine because no gap is left
    assert required_pace(100_000, 100_000, 0) == 0.0
    assert required_pace(100_000, 150_000, -3) == 0.0
    # blank actual = 0: 90 over 3 -> 30
    assert required_pace(90, None, 3) == pytest.approx(30.0)
    # fractional remaining periods
    assert required_pace(100, 40, 1.5) == pytest.approx(40.0)


@pytest.mark.parametrize("args, message", [
    ((100_000, 40_000, 0), "remaining:"),   # SPEC: remaining ≤ 0 with a gap left
    ((100_000, 40_000, -1), "remaining:"),
    (("100", 40, 1), "target:"),
    ((100, "40", 1), "actual:"),
    ((100, 40, "1"), "remaining:"),
    ((None, 40, 1), "target:"),
])
def test_required_pace_invalid(args, message):
    check_error(lambda: required_pace(*args), message)


@settings(max_examples=60, deadline=None)
@given(st.floats(0, 1e8), st.floats(0, 1e8), st.floats(0.1, 400))
def test_required_pace_formula(target, actual, remaining):
    got = required_pace(target, actual, remaining)
    assert got >= 0
    assert got == pytest.approx(max(target - actual, 0) / remaining)


# ------------------------------------------------------------------ DEALS_NEEDED


def test_deals_needed_hand_worked():
    # gap 100 000 at 25% win rate, 20 000 a deal: 100 000 / 5 000 = 20 exactly -> 20
    assert deals_needed(100_000, 0.25, 20_000) == 20.0
    # 100 001 / 5 000 = 20.0002 -> ceiling 21
    assert deals_needed(100_001, 0.25, 20_000) == 21.0
    # 0.3 × 1000 = 300; 900 / 300 = 3 (float 0.3 must not turn 3 into 4)
    assert deals_needed(900, 0.3, 1000) == 3.0
    # 0.7 × 3000 = 2100; 2 100 000 / 2 100 = 1000
    assert deals_needed(2_100_000, 0.7, 3000) == 1000.0
    # 0.1 × 3 = 0.3 (0.30000000000000004 in floats); 0.9 / 0.3 = 3
    assert deals_needed(0.9, 0.1, 3) == 3.0
    # no gap, or a negative gap (target exceeded) -> 0
    assert deals_needed(0, 0.5, 1000) == 0.0
    assert deals_needed(-5000, 0.5, 1000) == 0.0
    assert deals_needed(None, 0.5, 1000) == 0.0
    # win rate 1 (the upper end is allowed): 2 500 / 1 000 -> 3
    assert deals_needed(2_500, 1, 1000) == 3.0
    assert type(deals_needed(1, 0.5, 1)) is float


@pytest.mark.parametrize("args, message", [
    ((1000, 0, 100), "win_rate:"),       # SPEC: win_rate outside (0, 1]
    ((1000, -0.1, 100), "win_rate:"),
    ((1000, 1.01, 100), "win_rate:"),
    ((1000, 50, 100), "win_rate:"),      # 50 meant as 50% is still outside (0, 1]
    ((1000, 0.5, 0), "avg_deal:"),       # SPEC: avg_deal ≤ 0
    ((1000, 0.5, -10), "avg_deal:"),
    ((1000, "50%", 100), "win_rate:"),
    (("1000", 0.5, 100), "gap:"),
    ((1000, None, 100), "win_rate:"),
    ((1000, 0.5, None), "avg_deal:"),
])
def test_deals_needed_invalid(args, message):
    check_error(lambda: deals_needed(*args), message)


win_rates = st.integers(1, 100).map(lambda p: p / 100)
deal_sizes = st.decimals(1, 1_000_000, places=2).map(float)


@settings(max_examples=60, deadline=None)
@given(st.decimals(-10**6, 10**8, places=2).map(float), win_rates, deal_sizes)
def test_deals_needed_matches_exact_ceiling(gap, win_rate, avg_deal):
    assert deals_needed(gap, win_rate, avg_deal) == ref_deals_needed(gap, win_rate, avg_deal)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 100_000), win_rates, deal_sizes)
def test_deals_needed_exact_multiples_are_not_rounded_up(k, win_rate, avg_deal):
    # a gap that is exactly k deals' worth (as typed in decimals) needs k deals, not k + 1
    gap = float(k * exact(win_rate) * exact(avg_deal))
    assert deals_needed(gap, win_rate, avg_deal) == k


@settings(max_examples=60, deadline=None)
@given(st.decimals(0, 10**8, places=2).map(float), win_rates, deal_sizes)
def test_deals_needed_covers_the_gap(gap, win_rate, avg_deal):
    n = deals_needed(gap, win_rate, avg_deal)
    assert n == int(n) and n >= 0
    # n deals cover the gap; n − 1 do not (within float noise)
    assert n * win_rate * avg_deal >= gap * (1 - 1e-9)
    if n > 0:
        assert (n - 1) * win_rate * avg_deal < gap * (1 + 1e-9)
    assert math.isclose(n, math.ceil(gap / (win_rate * avg_deal)), abs_tol=1)
