"""FUNNEL_CONVERSION, WEIGHTED_PIPELINE, SALES_VELOCITY, PIPELINE_COVERAGE against the SPEC.

SPEC:
- FUNNEL_CONVERSION: counts[i+1] / counts[i], one fewer than the stages; blank (None) where counts[i] is 0.
- WEIGHTED_PIPELINE: Σ amount × probability; probabilities in [0, 1]; same length.
- SALES_VELOCITY: opportunities × win_rate × avg_deal / cycle_days.
- PIPELINE_COVERAGE: pipeline / (target − closed); blank (None) when nothing remains to cover.
Blank cells in a numeric range count as 0; text and booleans in a numeric range are invalid.
"""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlsales
from xlsales import InputError, funnel_conversion, pipeline_coverage, sales_velocity, weighted_pipeline


def check_error(call, message):
    with pytest.raises(InputError) as info:
        call()
    assert str(info.value).startswith(message), str(info.value)


def test_exported_at_top_level():
    for name in ("funnel_conversion", "weighted_pipeline", "sales_velocity", "pipeline_coverage"):
        assert callable(getattr(xlsales, name))


# ------------------------------------------------------------------ FUNNEL_CONVERSION


def test_funnel_conversion_hand_worked():
    # 100 leads -> 40 qualified -> 10 proposals -> 5 won: 40/100, 10/40, 5/10
    assert funnel_conversion([100, 40, 10, 5]) == pytest.approx([0.4, 0.25, 0.5])
    # one fewer than the stages
    assert len(funnel_conversion([100, 40, 10, 5])) == 3
    # two stages -> one rate
    assert funnel_conversion([8, 2]) == [0.25]


def test_funnel_conversion_blank_where_the_stage_is_empty():
    # counts[1] = 0 -> 0/10 = 0 for the first rate; then 0 -> blank
    assert funnel_conversion([10, 0, 0]) == [0.0, None]
    assert funnel_conversion([0, 5, 1]) == [None, 0.2]
    # a blank count counts as 0
    assert funnel_conversion([100, None, 10]) == [0.0, None]


def test_funnel_conversion_may_exceed_one():
    # more deals in a later stage (e.g. entered mid-funnel): the rate is still counts[i+1] / counts[i]
    assert funnel_conversion([10, 20]) == [2.0]


@pytest.mark.parametrize("counts, message", [
    ([100, "x", 10], "counts: position 2"),
    ([100, 50, True], "counts: position 3"),
    ([100, -5, 10], "counts: position 2"),   # code's choice: negative counts are invalid
    ([100], "counts:"),                        # code's choice: one stage has no conversion
    ([], "counts:"),
    (None, "counts:"),
])
def test_funnel_conversion_invalid(counts, message):
    check_error(lambda: funnel_conversion(counts), message)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 10_000), min_size=2, max_size=10))
def test_funnel_conversion_matches_loop(counts):
    expected = []
    for i in range(len(counts) - 1):
        expected.append(None if counts[i] == 0 else counts[i + 1] / counts[i])
    got = funnel_conversion(counts)
    assert len(got) == len(counts) - 1
    assert got == expected


# ------------------------------------------------------------------ WEIGHTED_PIPELINE


def test_weighted_pipeline_hand_worked():
    # 10 000 × 10% + 20 000 × 50% + 5 000 × 100% = 1 000 + 10 000 + 5 000 = 16 000
    assert weighted_pipeline([10_000, 20_000, 5_000], [0.1, 0.5, 1]) == pytest.approx(16_000.0)
    # probabilities 0 and 1 at the ends are allowed
    assert weighted_pipeline([100, 200], [0, 1]) == pytest.approx(200.0)
    # blanks count as 0
    assert weighted_pipeline([100, None, 300], [0.5, 0.5, None]) == pytest.approx(50.0)
    assert type(weighted_pipeline([1], [0.5])) is float


@pytest.mark.parametrize("amounts, probabilities, message", [
    ([100, 200], [0.5, 1.2], "probabilities: position 2"),   # SPEC: probabilities in [0, 1]
    ([100, 200], [-0.1, 0.5], "probabilities: position 1"),
    ([100, 200, 300], [0.5, 0.5, 50], "probabilities: position 3"),  # 50 meant as 50% is still outside
    ([100, 200], [0.5], "probabilities:"),                   # SPEC: same length
    ([100], [0.5, 0.5], "probabilities:"),
    ([100, "x"], [0.5, 0.5], "amounts: position 2"),
    ([100, 200], [0.5, "50%"], "probabilities: position 2"),
    ([100, 200], [0.5, False], "probabilities: position 2"),
])
def test_weighted_pipeline_invalid(amounts, probabilities, message):
    check_error(lambda: weighted_pipeline(amounts, probabilities), message)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.decimals(0, 10**7, places=2), st.integers(0, 100)), min_size=1, max_size=20))
def test_weighted_pipeline_matches_exact_sum(rows):
    amounts = [float(a) for a, _ in rows]
    probabilities = [p / 100 for _, p in rows]
    expected = sum((Fraction(a) * Fraction(p, 100) for a, p in rows), Fraction(0))
    got = weighted_pipeline(amounts, probabilities)
    assert got == pytest.approx(float(expected), rel=1e-12, abs=1e-6)
    # never more than the unweighted pipeline, never negative
    assert -1e-9 <= got <= sum(amounts) * (1 + 1e-12) + 1e-9


# ------------------------------------------------------------------ SALES_VELOCITY


def test_sales_velocity_hand_worked():
    # 50 opportunities × 20% × 10 000 / 30 days = 100 000 / 30 = 3 333.33 a day
    assert sales_velocity(50, 0.2, 10_000, 30) == pytest.approx(100_000 / 30)
    # 12 × 25% × 8 000 / 60 = 24 000 / 60 = 400
    assert sales_velocity(12, 0.25, 8_000, 60) == pytest.approx(400.0)
    assert sales_velocity(0, 0.5, 1000, 10) == 0.0
    assert type(sales_velocity(1, 1, 1, 1)) is float


@pytest.mark.parametrize("args, message", [
    ((10, 0.5, 1000, 0), "cycle_days:"),   # dividing by 0 days
    ((10, 0.5, 1000, -5), "cycle_days:"),
    ((-1, 0.5, 1000, 30), "opportunities:"),
    ((10, 1.5, 1000, 30), "win_rate:"),
    ((10, -0.5, 1000, 30), "win_rate:"),
    ((10, 0.5, -1000, 30), "avg_deal:"),
    (("10", 0.5, 1000, 30), "opportunities:"),
    ((10, 0.5, None, 30), "avg_deal:"),
])
def test_sales_velocity_invalid(args, message):
    check_error(lambda: sales_velocity(*args), message)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 100), st.decimals(0, 10**6, places=2), st.integers(1, 720))
def test_sales_velocity_formula(opportunities, pct, avg_deal, days):
    got = sales_velocity(opportunities, pct / 100, float(avg_deal), days)
    expected = Fraction(opportunities) * Fraction(pct, 100) * Fraction(avg_deal) / days
    assert got == pytest.approx(float(expected), rel=1e-12, abs=1e-9)


# ------------------------------------------------------------------ PIPELINE_COVERAGE


def test_pipeline_coverage_hand_worked():
    # 300 000 pipeline over (200 000 target − 100 000 closed) = 3×
    assert pipeline_coverage(300_000, 200_000, 100_000) == pytest.approx(3.0)
    # closed defaults to 0 (and blank counts as 0): 300 000 / 100 000
    assert pipeline_coverage(300_000, 100_000) == pytest.approx(3.0)
    assert pipeline_coverage(300_000, 100_000, None) == pytest.approx(3.0)
    # empty pipeline -> 0 coverage
    assert pipeline_coverage(0, 100_000, 40_000) == 0.0


def test_pipeline_coverage_blank_when_nothing_remains():
    # target met exactly or exceeded -> nothing to cover -> blank
    assert pipeline_coverage(50_000, 100_000, 100_000) is None
    assert pipeline_coverage(50_000, 100_000, 150_000) is None
    assert pipeline_coverage(50_000, 0) is None


@pytest.mark.parametrize("args, message", [
    (("1000", 100), "pipeline:"),
    ((1000, "100"), "target:"),
    ((1000, 100, "10"), "closed:"),
    ((1000, None), "target:"),
])
def test_pipeline_coverage_invalid(args, message):
    check_error(lambda: pipeline_coverage(*args), message)


@settings(max_examples=60, deadline=None)
@given(st.decimals(0, 10**8, places=2).map(float), st.decimals(0, 10**8, places=2).map(float),
       st.decimals(0, 10**8, places=2).map(float))
def test_pipeline_coverage_formula(pipeline, target, closed):
    got = pipeline_coverage(pipeline, target, closed)
    if target - closed <= 0:
        assert got is None
    else:
        assert got == pytest.approx(pipeline / (target - closed))
