"""TARGET_FROM_HISTORY: forecast × (1 + growth), never below 0.

SPEC: growth default 0.1; "avg" (default) = mean of the last `window` values; "wma" = weighted mean of
the last `window` values with weights 1..window (latest heaviest); "linear" = least-squares line through
the last `window` values read at the next period; window default 3 for avg/wma, all of history for linear.
Code's documented choice: a history shorter than `window` uses all of it.
"""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from xlsales import InputError, target_from_history

# ------------------------------------------------------------------ naive reference


def ref_forecast(history, method="avg", window=None) -> Fraction:
    values = [Fraction(repr(float(v))) if v is not None else Fraction(0) for v in history]
    if window is None:
        window = len(values) if method == "linear" else 3
    recent = values[-window:]
    n = len(recent)
    if method == "avg":
        total = Fraction(0)
        for v in recent:
            total += v
        return total / n
    if method == "wma":
        num, den = Fraction(0), 0
        for k, v in enumerate(recent, start=1):
            num += k * v
            den += k
        return num / den
    # linear: least squares y = a + b x over x = 1..n, read at x = n + 1
    if n == 1:
        return recent[0]
    mean_x = Fraction(n + 1, 2)
    mean_y = sum(recent, Fraction(0)) / n
    sxy = sum(((k - mean_x) * (y - mean_y) for k, y in enumerate(recent, start=1)), Fraction(0))
    sxx = sum(((k - mean_x) ** 2 for k in range(1, n + 1)), Fraction(0))
    slope = sxy / sxx
    return mean_y + slope * (n + 1 - mean_x)


def ref_target(history, growth=0.1, method="avg", window=None) -> float:
    value = ref_forecast(history, method, window) * (1 + Fraction(repr(float(growth))))
    return float(max(value, Fraction(0)))


# ------------------------------------------------------------------ hand-worked


def test_avg_default_is_last_three_plus_ten_percent():
    # last 3 of (100, 200, 300, 400) -> mean 300; × 1.1 = 330
    assert target_from_history([100, 200, 300, 400]) == pytest.approx(330.0)


def test_growth_zero_and_custom():
    assert target_from_history([100, 200, 300, 400], growth=0) == pytest.approx(300.0)
    # 300 × 1.2 = 360
    assert target_from_history([100, 200, 300, 400], growth=0.2) == pytest.approx(360.0)
    # 300 × (1 − 0.5) = 150
    assert target_from_history([100, 200, 300, 400], growth=-0.5) == pytest.approx(150.0)
    # growth blank -> the default 0.1
    assert target_from_history([100, 200, 300, 400], growth=None) == pytest.approx(330.0)


def test_avg_with_window():
    # last 2 -> (300 + 400) / 2 = 350, × 1.1 = 385
    assert target_from_history([100, 200, 300, 400], window=2) == pytest.approx(385.0)
    # window 1 -> the latest value
    assert target_from_history([100, 200, 300, 400], growth=0, window=1) == pytest.approx(400.0)
    # all four: 250
    assert target_from_history([100, 200, 300, 400], growth=0, window=4) == pytest.approx(250.0)


def test_wma_weights_one_to_window_latest_heaviest():
    # last 3 (200, 300, 400) with weights 1, 2, 3: (200 + 600 + 1200) / 6 = 333.33...; × 1.1 = 366.67
    assert target_from_history([100, 200, 300, 400], method="wma") == pytest.approx(2000 / 6 * 1.1)
    # window 2: (300×1 + 400×2) / 3 = 366.67
    assert target_from_history([100, 200, 300, 400], growth=0, method="wma", window=2) == pytest.approx(1100 / 3)
    # window 4: (100 + 400 + 900 + 1600) / 10 = 300
    assert target_from_history([100, 200, 300, 400], growth=0, method="wma", window=4) == pytest.approx(300.0)
    # order matters: the latest is heaviest -> (400×1 + 300×2 + 200×3) / 6 = 266.67
    assert target_from_history([400, 300, 200], growth=0, method="wma") == pytest.approx(1600 / 6)


def test_linear_least_squares_read_at_the_next_period():
    # a straight line 100, 200, 300, 400 -> next 500; × 1.1 = 550
    assert target_from_history([100, 200, 300, 400], method="linear") == pytest.approx(550.0)
    # (1, 3, 2, 5) at x = 0..3: mean x 1.5, mean y 2.75, Sxy = 5.5, Sxx = 5 -> slope 1.1,
    # intercept 2.75 − 1.65 = 1.1 -> at x = 4: 1.1 + 4.4 = 5.5
    assert target_from_history([1, 3, 2, 5], growth=0, method="linear") == pytest.approx(5.5)
    # default window for linear is all of history: a 3-window would give a different answer
    # (3, 2, 5) alone -> slope 1, mean 10/3 at x=1 -> at x=3: 10/3 + 2 = 5.333
    assert target_from_history([1, 3, 2, 5], growth=0, method="linear", window=3) == pytest.approx(16 / 3)


def test_linear_with_window_uses_only_the_last_values():
    # last 3 of (100, 0, 10, 20, 30) -> 10, 20, 30 -> next 40
    assert target_from_history([100, 0, 10, 20, 30], growth=0, method="linear", window=3) == pytest.approx(40.0)


def test_linear_single_value_is_that_value():
    assert target_from_history([250], growth=0, method="linear") == pytest.approx(250.0)


def test_never_below_zero():
    # falling line (300, 200, 50): slope −125, at x=3: 183.33 − 125×... = −66.67 -> 0
    assert target_from_history([300, 200, 50], method="linear") == 0.0
    # growth −100% -> 0
    assert target_from_history([100, 200], growth=-1) == 0.0
    # negative history (returns) averaging below 0 -> 0
    assert target_from_history([-10, -20, -30]) == 0.0


def test_short_history_uses_all_of_it():
    # documented in the code: fewer values than window -> all of them
    # (100, 200) with window 3 -> 150; × 1.1 = 165
    assert target_from_history([100, 200]) == pytest.approx(165.0)
    assert target_from_history([100, 200], growth=0, method="wma", window=5) == pytest.approx(500 / 3)


def test_blank_history_cells_count_as_zero():
    # (0, 300, 300) -> mean 200
    assert target_from_history([None, 300, 300], growth=0) == pytest.approx(200.0)


def test_method_is_case_and_space_insensitive_and_blank_means_avg():
    assert target_from_history([1, 2, 3, 4], growth=0, method="WMA") == \
        target_from_history([1, 2, 3, 4], growth=0, method="wma")
    assert target_from_history([1, 2, 3, 4], growth=0, method=" Linear ") == pytest.approx(5.0)
    assert target_from_history([1, 2, 3, 4], growth=0, method=None) == pytest.approx(3.0)
    assert target_from_history([1, 2, 3, 4], growth=0, method="") == pytest.approx(3.0)


def test_returns_a_float():
    assert type(target_from_history([1, 2, 3])) is float


@pytest.mark.parametrize("kwargs, message", [
    (dict(history=[1, 2], method="median"), "method:"),
    (dict(history=[1, 2], method=3), "method:"),
    (dict(history=[1, 2], window=0), "window:"),
    (dict(history=[1, 2], window=1.5), "window:"),
    (dict(history=[1, 2], window=-2), "window:"),
    (dict(history=[]), "history:"),
    (dict(history=[1, "x", 3]), "history: position 2"),
    (dict(history=[1, 2, False]), "history: position 3"),
    (dict(history=[1, 2], growth="10%"), "growth:"),
    (dict(history=[1, 2], growth=-1.5), "growth:"),  # code's choice: below −100% is invalid
    (dict(history=None), "history:"),
])
def test_invalid_input_names_the_argument(kwargs, message):
    with pytest.raises(InputError) as info:
        target_from_history(**kwargs)
    assert str(info.value).startswith(message), str(info.value)


# ------------------------------------------------------------------ reference and properties

histories = st.lists(st.decimals(-1000, 100_000, places=2).map(float), min_size=1, max_size=24)
methods = st.sampled_from(["avg", "wma", "linear"])
windows = st.one_of(st.none(), st.integers(1, 30))
growths = st.decimals(-1, 1, places=3).map(float)


@settings(max_examples=60, deadline=None)
@given(histories, growths, methods, windows)
def test_matches_naive_reference(history, growth, method, window):
    got = target_from_history(history, growth=growth, method=method, window=window)
    assert got == pytest.approx(ref_target(history, growth, method, window), rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(histories, growths, methods, windows)
def test_never_negative(history, growth, method, window):
    assert target_from_history(history, growth=growth, method=method, window=window) >= 0


@settings(max_examples=60, deadline=None)
@given(st.decimals(0, 10**6, places=2).map(float), st.integers(1, 24), growths, methods, windows)
def test_constant_history_forecasts_the_constant(value, n, growth, method, window):
    got = target_from_history([value] * n, growth=growth, method=method, window=window)
    assert got == pytest.approx(max(value * (1 + growth), 0), rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 10_000), st.integers(0, 1000), st.integers(2, 24))
def test_linear_extends_an_arithmetic_progression(start, step, n):
    history = [start + step * k for k in range(n)]
    assert target_from_history(history, growth=0, method="linear") == \
        pytest.approx(start + step * n, rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.decimals(0, 100_000, places=2).map(float), min_size=1, max_size=24),
       st.sampled_from(["avg", "wma"]), windows)
def test_avg_and_wma_lie_within_the_window(history, method, window):
    recent = history[-(window or 3):]
    got = target_from_history(history, growth=0, method=method, window=window)
    assert min(recent) - 1e-6 <= got <= max(recent) + 1e-6


@settings(max_examples=60, deadline=None)
@given(st.lists(st.decimals(0, 100_000, places=2).map(float), min_size=1, max_size=24), methods, windows)
def test_growth_scales_the_forecast(history, method, window):
    base = target_from_history(history, growth=0, method=method, window=window)
    assert target_from_history(history, growth=0.15, method=method, window=window) == \
        pytest.approx(base * 1.15, rel=1e-9, abs=1e-6)
