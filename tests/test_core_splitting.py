"""SPLIT_TARGET and SEASONAL_SPLIT against the SPEC, by hand, by a naive exact reference, and by properties.

SPEC rules exercised here:
- with round_to > 0 every part is a multiple of round_to and the parts add up to total exactly
  (largest remainder: round each share down, then one unit each to the largest remainders; ties go to
  the larger weight, then the earlier position); a total that is not a multiple of round_to is invalid;
- locked: non-blank numbers are kept at their positions, the rest of the total is split over the other
  positions by their weights;
- invalid: negative weights, negative locked amounts, locked amounts above the total, all free weights 0
  while something is left to split;
- SEASONAL_SPLIT: history cut into whole cycles from its start, trailing part cycle ignored, zero cycles
  skipped, share of position k = mean over cycles of value_k / cycle total; fewer than one cycle invalid.
"""
from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

import xlsales
from xlsales import InputError, seasonal_split, split_target

# ------------------------------------------------------------------ naive exact references


def exact(x) -> Fraction:
    """The decimal value a user typed (floats through their shortest repr)."""
    return Fraction(repr(x)) if isinstance(x, float) else Fraction(x)


def ref_largest_remainder(units: int, weights: list[Fraction]) -> list[int]:
    """Loop-based largest remainder on exact fractions, with the SPEC's tie rule."""
    total_weight = sum(weights, Fraction(0))
    n = len(weights)
    if units == 0 or total_weight == 0:
        return [0] * n
    quotas = [units * w / total_weight for w in weights]
    floors = [q.numerator // q.denominator for q in quotas]
    remainders = [quotas[i] - floors[i] for i in range(n)]
    missing = units - sum(floors)
    # largest remainder first; ties: the larger weight, then the earlier position
    order = sorted(range(n), key=lambda i: (-remainders[i], -weights[i], i))
    for i in order[:missing]:
        floors[i] += 1
    return floors


def ref_split(total, weights, round_to=None, locked=None) -> list[Fraction]:
    n = len(weights)
    locked = list(locked) if locked is not None else [None] * n
    free = [Fraction(0) if locked[i] is not None else exact(w) for i, w in enumerate(weights)]
    left = exact(total) - sum((exact(v) for v in locked if v is not None), Fraction(0))
    if round_to:
        step = exact(round_to)
        units = left / step
        assert units.denominator == 1
        parts = [u * step for u in ref_largest_remainder(int(units), free)]
    else:
        s = sum(free, Fraction(0))
        parts = [left * w / s if s else Fraction(0) for w in free]
    return [exact(locked[i]) if locked[i] is not None else parts[i] for i in range(n)]


def ref_shares(history, cycle=12) -> list[Fraction]:
    whole = len(history) // cycle
    cycles = [[exact(v) for v in history[k * cycle:(k + 1) * cycle]] for k in range(whole)]
    cycles = [c for c in cycles if sum(c) != 0]
    return [sum((c[k] / sum(c) for c in cycles), Fraction(0)) / len(cycles) for k in range(cycle)]


def as_exact(parts) -> list[Fraction]:
    return [exact(float(p)) for p in parts]


# ------------------------------------------------------------------ SPLIT_TARGET: hand-worked


def test_api_is_exported_at_top_level():
    assert xlsales.split_target is split_target
    assert xlsales.seasonal_split is seasonal_split
    assert issubclass(InputError, ValueError)


def test_unrounded_split_is_proportional():
    # 1000 over weights 1:3:4 (sum 8) -> 125, 375, 500
    assert split_target(1000, [1, 3, 4]) == [125.0, 375.0, 500.0]
    # 100 over 1:1:1 -> 33.33... each (no rounding asked for)
    assert split_target(100, [1, 1, 1]) == pytest.approx([100 / 3] * 3)


def test_returns_list_of_floats():
    out = split_target(10, [1, 1], round_to=1)
    assert isinstance(out, list) and all(type(v) is float for v in out)


def test_round_to_one_equal_weights_extra_unit_to_earliest():
    # 100 / 3 = 33.33 each -> floors 33+33+33 = 99, 1 unit missing;
    # remainders equal (1/3), weights equal -> earlier position wins
    assert split_target(100, [1, 1, 1], round_to=1) == [34.0, 33.0, 33.0]


def test_round_to_largest_remainder_wins_over_position():
    # 7 over 1:2:2:1 (sum 6): quotas 1.167, 2.333, 2.333, 1.167 -> floors 1,2,2,1 = 6, 1 missing;
    # largest remainders .333 at positions 2 and 3 (equal weights 2) -> earlier, position 2
    assert split_target(7, [1, 2, 2, 1], round_to=1) == [1.0, 3.0, 2.0, 1.0]
    # 10 over 1:1:3 (sum 5): quotas 2, 2, 6 -> exact, nothing to hand out
    assert split_target(10, [1, 1, 3], round_to=1) == [2.0, 2.0, 6.0]
    # 11 over 2:3 (sum 5): quotas 4.4, 6.6 -> floors 4, 6; 1 missing -> larger remainder .6 -> position 2
    assert split_target(11, [2, 3], round_to=1) == [4.0, 7.0]
    # 11 over 3:2: quotas 6.6, 4.4 -> position 1 takes the unit
    assert split_target(11, [3, 2], round_to=1) == [7.0, 4.0]


def test_round_to_remainder_tie_goes_to_the_larger_weight_even_when_later():
    # 2 over 1:3 (sum 4): quotas 0.5, 1.5 -> floors 0, 1; remainders tie at .5 -> larger weight (3)
    assert split_target(2, [1, 3], round_to=1) == [0.0, 2.0]
    assert split_target(2, [3, 1], round_to=1) == [2.0, 0.0]
    # 6 over 1:1:2 (sum 4): quotas 1.5, 1.5, 3 -> floors 1,1,3 = 5; tie .5/.5 with equal weights -> earlier
    assert split_target(6, [1, 1, 2], round_to=1) == [2.0, 1.0, 3.0]
    # 4 over 1:5:1:1 (sum 8): quotas .5, 2.5, .5, .5 -> floors 0,2,0,0 = 2, 2 missing;
    # all remainders .5 -> larger weight first (position 2), then earliest (position 1)
    assert split_target(4, [1, 5, 1, 1], round_to=1) == [1.0, 3.0, 0.0, 0.0]


def test_round_to_hundreds_and_cents():
    # 1000 in units of 100 = 10 units over 1:1:1 -> 4, 3, 3 units
    assert split_target(1000, [1, 1, 1], round_to=100) == [400.0, 300.0, 300.0]
    # 1.00 in cents = 100 units over 1:1:1 -> 34, 33, 33 cents
    assert split_target(1, [1, 1, 1], round_to=0.01) == [0.34, 0.33, 0.33]
    # 1 200 000 over 12 equal months in units of 1000 -> 100 000 each
    assert split_target(1_200_000, [1] * 12, round_to=1000) == [100_000.0] * 12


def test_zero_weight_positions_get_nothing():
    # 1 unit over 0:1:1 -> quotas 0, .5, .5 -> tie (equal weights) -> earlier of the two positives
    assert split_target(1, [0, 1, 1], round_to=1) == [0.0, 1.0, 0.0]
    assert split_target(10, [0, 1, 1]) == [0.0, 5.0, 5.0]


def test_zero_total_gives_zeros():
    assert split_target(0, [1, 2, 3], round_to=1) == [0.0, 0.0, 0.0]
    assert split_target(0, [0, 0]) == [0.0, 0.0]  # nothing left to split: all-zero weights are fine


def test_blank_weights_count_as_zero():
    # SPEC: blank cells in a numeric range count as 0
    assert split_target(10, [1, None, 1], round_to=1) == [5.0, 0.0, 5.0]


def test_round_to_blank_or_zero_means_no_rounding():
    assert split_target(10, [1, 2], round_to=None) == pytest.approx([10 / 3, 20 / 3])
    assert split_target(10, [1, 2], round_to=0) == pytest.approx([10 / 3, 20 / 3])


def test_locked_values_are_kept_and_the_rest_split_over_the_others():
    # 1000, position 2 locked at 400 -> 600 left over weights 1,1,1 at positions 1,3,4 -> 200 each
    assert split_target(1000, [1, 1, 1, 1], round_to=1, locked=[None, 400, None, None]) == \
        [200.0, 400.0, 200.0, 200.0]
    # the locked position's weight plays no part: 1000, weights 1:9:1, 9 locked at 0 -> 500, 0, 500
    assert split_target(1000, [1, 9, 1], locked=[None, 0, None]) == [500.0, 0.0, 500.0]
    # 100, position 3 locked at 51 -> 49 over 1:1 -> 24.5 each -> floors 24+24, tie -> earlier
    assert split_target(100, [1, 1, 1], round_to=1, locked=[None, None, 51]) == [25.0, 24.0, 51.0]
    # unrounded with a lock: 90 left over 1:2 -> 30, 60
    assert split_target(100, [1, 1, 2], locked=[10, None, None]) == pytest.approx([10.0, 30.0, 60.0])


def test_locked_equal_to_total_leaves_zeros_even_with_zero_free_weights():
    assert split_target(100, [1, 2], locked=[100, None]) == [100.0, 0.0]
    # nothing left to split, so all-zero free weights are not an error
    assert split_target(100, [0, 0], round_to=1, locked=[100, None]) == [100.0, 0.0]


def test_locked_all_blank_is_the_same_as_no_lock():
    assert split_target(7, [1, 2, 2, 1], round_to=1, locked=[None] * 4) == split_target(7, [1, 2, 2, 1], round_to=1)


def test_locked_nan_counts_as_blank():
    assert split_target(10, [1, 1], round_to=1, locked=[float("nan"), 4]) == [6.0, 4.0]


# ------------------------------------------------------------------ SPLIT_TARGET: invalid input


@pytest.mark.parametrize("kwargs, message", [
    # SPEC: a total that is not a multiple of round_to is invalid
    (dict(total=101, weights=[1, 1], round_to=2), "total:"),
    (dict(total=1.005, weights=[1, 1], round_to=0.01), "total:"),
    # SPEC: negative weights
    (dict(total=10, weights=[1, -1, 2]), "weights: position 2"),
    (dict(total=10, weights=[1, 2, 3, -0.5]), "weights: position 4"),
    # SPEC: negative locked amounts
    (dict(total=10, weights=[1, 1, 1], locked=[None, None, -5]), "locked: position 3"),
    # SPEC: locked amounts above the total (one alone, or together)
    (dict(total=10, weights=[1, 1], locked=[11, None]), "locked:"),
    (dict(total=10, weights=[1, 1, 1], locked=[6, 5, None]), "locked:"),
    # SPEC: all free weights 0 while something is left to split
    (dict(total=10, weights=[0, 0]), "weights:"),
    (dict(total=10, weights=[0, 5], locked=[None, 3]), "weights:"),
    (dict(total=10, weights=[1, 1], locked=[3, 3]), "weights:"),  # every position locked, 4 left over
    # SPEC: text and booleans in a numeric range are invalid (position named)
    (dict(total=10, weights=[1, "x", 2]), "weights: position 2"),
    (dict(total=10, weights=[1, 2, True]), "weights: position 3"),
    (dict(total=10, weights=[1, 1], locked=[None, "5"]), "locked: position 2"),
    (dict(total="10", weights=[1, 1]), "total:"),
    (dict(total=10, weights=[1, 1], round_to="1"), "round_to:"),
    # code's documented choices where the SPEC is silent
    (dict(total=-10, weights=[1, 1]), "total:"),
    (dict(total=10, weights=[1, 1], round_to=-1), "round_to:"),
    (dict(total=10, weights=[1, 1], locked=[1]), "locked:"),
    (dict(total=10, weights=[1, 1], round_to=2, locked=[3, None]), "locked: position 1"),
    (dict(total=10, weights=[1, float("inf")]), "weights: position 2"),
    (dict(total=None, weights=[1, 1]), "total:"),
    (dict(total=10, weights=[]), "weights:"),
])
def test_split_target_invalid_input_names_the_argument(kwargs, message):
    with pytest.raises(InputError) as info:
        split_target(**kwargs)
    assert str(info.value).startswith(message), str(info.value)
    assert isinstance(info.value, ValueError)


# ------------------------------------------------------------------ SPLIT_TARGET: reference and properties

int_weights = st.lists(st.integers(0, 1000), min_size=1, max_size=10)
decimal_weights = st.lists(st.decimals(0, 10_000, places=2).map(float), min_size=1, max_size=10)
steps = st.sampled_from([1, 10, 100, 1000, 0.01, 0.1, 0.5, 5])


@st.composite
def rounded_case(draw, weights_strategy=int_weights):
    weights = draw(weights_strategy)
    assume(sum(weights) > 0)
    round_to = draw(steps)
    units = draw(st.integers(0, 10**7))
    total = float(exact(round_to) * units)
    return total, weights, round_to


@st.composite
def locked_case(draw):
    weights = draw(int_weights)
    n = len(weights)
    round_to = draw(steps)
    units = draw(st.integers(0, 10**6))
    total = float(exact(round_to) * units)
    mask = draw(st.lists(st.booleans(), min_size=n, max_size=n))
    locked, left = [], units
    for is_locked in mask:
        if is_locked:
            u = draw(st.integers(0, left))
            left -= u
            locked.append(float(exact(round_to) * u))
        else:
            locked.append(None)
    free = [w for w, m in zip(weights, mask) if not m]
    assume(left == 0 or sum(free) > 0)
    return total, weights, round_to, locked


@settings(max_examples=50, deadline=None)
@given(rounded_case())
def test_split_matches_exact_reference_integer_weights(case):
    total, weights, round_to = case
    assert as_exact(split_target(total, weights, round_to=round_to)) == ref_split(total, weights, round_to)


@settings(max_examples=50, deadline=None)
@given(rounded_case(decimal_weights))
def test_split_matches_exact_reference_decimal_weights(case):
    total, weights, round_to = case
    assert as_exact(split_target(total, weights, round_to=round_to)) == ref_split(total, weights, round_to)


@settings(max_examples=50, deadline=None)
@given(locked_case())
def test_split_with_locks_matches_exact_reference(case):
    total, weights, round_to, locked = case
    got = split_target(total, weights, round_to=round_to, locked=locked)
    assert as_exact(got) == ref_split(total, weights, round_to, locked)


@settings(max_examples=50, deadline=None)
@given(locked_case())
def test_split_properties_exact_sum_multiples_locks_kept_non_negative(case):
    total, weights, round_to, locked = case
    got = split_target(total, weights, round_to=round_to, locked=locked)
    step = Decimal(repr(float(round_to)))
    parts = [Decimal(repr(p)) for p in got]
    # every part a multiple of round_to, and the parts add up to the total exactly
    assert all(p % step == 0 for p in parts)
    assert sum(parts) == Decimal(repr(total))
    # locked values kept exactly
    assert all(g == l for g, l in zip(got, locked) if l is not None)
    # never negative
    assert all(g >= 0 for g in got)
    # free parts within one unit of their exact proportional share
    left = exact(total) - sum((exact(l) for l in locked if l is not None), Fraction(0))
    free_sum = sum((w for w, l in zip(weights, locked) if l is None), 0)
    for g, w, l in zip(got, weights, locked):
        if l is None and free_sum:
            assert abs(exact(g) - left * w / free_sum) < exact(round_to)


@settings(max_examples=60, deadline=None)
@given(rounded_case(), st.sampled_from([1, 10, 100]))
def test_split_with_whole_round_to_sums_exactly_in_floats(case, round_to):
    _, weights, _ = case
    total = float(round_to * 12345)
    got = split_target(total, weights, round_to=round_to)
    assert sum(got) == total
    assert all(g % round_to == 0 for g in got)


@settings(max_examples=60, deadline=None)
@given(decimal_weights.filter(lambda w: sum(w) > 0), st.decimals(0, 10**7, places=2).map(float))
def test_unrounded_split_is_proportional_and_adds_up(weights, total):
    got = split_target(total, weights)
    s = sum(weights)
    assert got == pytest.approx([total * w / s for w in weights], rel=1e-9, abs=1e-6)
    assert sum(got) == pytest.approx(total, rel=1e-9, abs=1e-6)
    assert all(g >= 0 for g in got)


@settings(max_examples=60, deadline=None)
@given(rounded_case())
def test_split_is_monotone_in_weight(case):
    # a position with a larger weight never gets less than one with a smaller weight
    total, weights, round_to = case
    got = split_target(total, weights, round_to=round_to)
    for i in range(len(weights)):
        for j in range(len(weights)):
            if weights[i] > weights[j]:
                assert got[i] >= got[j]


@settings(max_examples=60, deadline=None)
@given(rounded_case())
def test_split_is_scale_invariant_in_weights(case):
    total, weights, round_to = case
    assert split_target(total, weights, round_to=round_to) == \
        split_target(total, [w * 7 for w in weights], round_to=round_to)


def test_largest_remainder_with_remainders_closer_than_1e_9():
    # 2 over 10 000 000 001 : 29 999 999 999 (sum 4e10): quotas 0.50000000005 and 1.49999999995
    # -> floors 0 and 1, 1 unit missing; remainders .50000000005 > .49999999995 -> position 1 gets it
    # (the tie rule only applies to equal remainders). Weights of this size are revenue in yuan.
    assert split_target(2, [10_000_000_001, 29_999_999_999], round_to=1) == [1.0, 1.0]


def test_large_total_split_to_the_cent_ties_out_exactly():
    # 423 309 221.72 to the cent over 64:71:30:45:30 (sum 240) = 42 330 922 172 units;
    # largest remainder (exact) -> 112 882 459.13, 125 228 978.09, 52 913 652.72, 79 370 479.07, 52 913 652.71
    got = split_target(423_309_221.72, [64, 71, 30, 45, 30], round_to=0.01)
    assert got == [112882459.13, 125228978.09, 52913652.72, 79370479.07, 52913652.71]
    assert sum(Decimal(repr(p)) for p in got) == Decimal("423309221.72")


def test_large_total_parts_are_exact_multiples_of_a_cent():
    got = split_target(899_500_032.37, [51, 83, 22, 22, 65, 30], round_to=0.01)
    assert all(Decimal(repr(p)) % Decimal("0.01") == 0 for p in got), got


# ------------------------------------------------------------------ SEASONAL_SPLIT: hand-worked


def test_seasonal_flat_history_gives_equal_months():
    # 12 months of 1 -> every share 1/12 -> 1200 / 12 = 100
    assert seasonal_split(1200, [1] * 12, round_to=1) == [100.0] * 12
    assert seasonal_split(1200, [5] * 24) == pytest.approx([100.0] * 12)


def test_seasonal_default_cycle_is_twelve():
    history = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 13]  # December = 13/24 of the year
    got = seasonal_split(2400, history, round_to=1)
    assert len(got) == 12
    assert got == [100.0] * 11 + [1300.0]


def test_seasonal_share_is_mean_of_per_cycle_shares_not_pooled():
    # cycle 2: cycles (1, 3) and (30, 10): per-cycle shares (.25, .75) and (.75, .25) -> mean (.5, .5)
    # (pooled totals 31:13 would give 70.45 : 29.55 instead)
    assert seasonal_split(100, [1, 3, 30, 10], cycle=2) == pytest.approx([50.0, 50.0])
    assert seasonal_split(100, [1, 3, 30, 10], cycle=2, round_to=1) == [50.0, 50.0]


def test_seasonal_three_cycles_mean():
    # cycle 3: (1,0,1) -> (.5, 0, .5); (1,1,2) -> (.25,.25,.5); mean (.375, .125, .5)
    # 800 -> 300, 100, 400
    assert seasonal_split(800, [1, 0, 1, 1, 1, 2], cycle=3, round_to=1) == [300.0, 100.0, 400.0]


def test_seasonal_trailing_part_cycle_is_ignored():
    # the trailing 1000 (a part cycle) would dominate if it were used
    assert seasonal_split(100, [1, 3, 3, 1, 1000], cycle=2, round_to=1) == [50.0, 50.0]
    assert seasonal_split(100, [1, 3, 1000], cycle=2, round_to=1) == [25.0, 75.0]


def test_seasonal_zero_cycles_are_skipped():
    # cycle (0, 0) is skipped, not averaged in as (0, 0): only (1, 3) counts -> (.25, .75)
    assert seasonal_split(100, [0, 0, 1, 3], cycle=2, round_to=1) == [25.0, 75.0]
    assert seasonal_split(100, [1, 3, None, None], cycle=2, round_to=1) == [25.0, 75.0]  # blanks = 0


def test_seasonal_rounding_follows_split_target():
    # shares 1/3 each, 10 units -> 4, 3, 3 (tie -> earlier)
    assert seasonal_split(10, [1, 1, 1], cycle=3, round_to=1) == [4.0, 3.0, 3.0]
    # cents: 1.00 over thirds -> .34 .33 .33
    assert seasonal_split(1, [2, 2, 2], cycle=3, round_to=0.01) == [0.34, 0.33, 0.33]


def test_seasonal_quarter_cycle():
    # two years of quarters: (10,20,30,40) shares (.1,.2,.3,.4) both years -> 1000 -> 100,200,300,400
    assert seasonal_split(1000, [10, 20, 30, 40, 20, 40, 60, 80], cycle=4, round_to=1) == \
        [100.0, 200.0, 300.0, 400.0]


@pytest.mark.parametrize("kwargs, message", [
    # SPEC: fewer than one whole cycle is invalid
    (dict(total=100, history=[1] * 11), "history:"),
    (dict(total=100, history=[1, 2, 3], cycle=4), "history:"),
    (dict(total=100, history=[]), "history:"),
    # rounding as in SPLIT_TARGET: a total that is not a multiple of round_to
    (dict(total=101, history=[1, 1], cycle=2, round_to=2), "total:"),
    # text in a numeric range
    (dict(total=100, history=[1, "x", 3, 4], cycle=2), "history: position 2"),
    # code's choices where the SPEC is silent
    (dict(total=100, history=[1, -2, 3, 4], cycle=2), "history: position 2"),
    (dict(total=100, history=[0, 0, 0, 0], cycle=2), "history:"),
    (dict(total=100, history=[1, 2], cycle=0), "cycle:"),
    (dict(total=100, history=[1, 2], cycle=1.5), "cycle:"),
    (dict(total=-1, history=[1, 2], cycle=2), "total:"),
])
def test_seasonal_invalid_input_names_the_argument(kwargs, message):
    with pytest.raises(InputError) as info:
        seasonal_split(**kwargs)
    assert str(info.value).startswith(message), str(info.value)


# ------------------------------------------------------------------ SEASONAL_SPLIT: reference and properties


@st.composite
def seasonal_case(draw):
    cycle = draw(st.integers(1, 12))
    n_cycles = draw(st.integers(1, 4))
    extra = draw(st.integers(0, cycle - 1))
    history = draw(st.lists(st.integers(0, 500), min_size=cycle * n_cycles + extra,
                            max_size=cycle * n_cycles + extra))
    assume(any(history[: cycle * n_cycles]))
    round_to = draw(st.sampled_from([1, 100, 0.01]))
    units = draw(st.integers(0, 10**6))
    return float(exact(round_to) * units), history, cycle, round_to


@settings(max_examples=50, deadline=None)
@given(seasonal_case())
def test_seasonal_matches_exact_reference(case):
    total, history, cycle, round_to = case
    shares = ref_shares(history, cycle)
    units = int(exact(total) / exact(round_to))
    expected = [u * exact(round_to) for u in ref_largest_remainder(units, shares)]
    assert as_exact(seasonal_split(total, history, cycle=cycle, round_to=round_to)) == expected


@settings(max_examples=60, deadline=None)
@given(seasonal_case())
def test_seasonal_unrounded_is_total_times_mean_share(case):
    total, history, cycle, _ = case
    shares = ref_shares(history, cycle)
    got = seasonal_split(total, history, cycle=cycle)
    assert len(got) == cycle
    assert got == pytest.approx([float(total * s) for s in shares], rel=1e-9, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(seasonal_case())
def test_seasonal_rounded_adds_up_exactly(case):
    total, history, cycle, round_to = case
    got = seasonal_split(total, history, cycle=cycle, round_to=round_to)
    step = Decimal(repr(float(round_to)))
    assert sum(Decimal(repr(p)) for p in got) == Decimal(repr(total))
    assert all(Decimal(repr(p)) % step == 0 and p >= 0 for p in got)
