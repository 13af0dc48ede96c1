"""ABC_CLASS (Pareto) against the SPEC.

SPEC: sort descending (ties keep their order); a value is A while the share of the total held by the
values BEFORE it is below a_share (default 0.8), B while below b_share (default 0.95), otherwise C.
Negative values are invalid. Code's documented choice: when every value is 0, all are C.
"""
from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlsales
from xlsales import InputError, abc_class


def exact(x) -> Fraction:
    return Fraction(repr(float(x))) if x is not None else Fraction(0)


def ref_abc(values, a_share=0.8, b_share=0.95) -> list[str]:
    """Naive loop on exact decimal values."""
    vals = [exact(v) for v in values]
    total = sum(vals, Fraction(0))
    if total == 0:
        return ["C"] * len(vals)
    a, b = exact(a_share), exact(b_share)
    order = sorted(range(len(vals)), key=lambda i: (-vals[i], i))   # stable: ties keep their order
    out = [""] * len(vals)
    held = Fraction(0)
    for i in order:
        share_before = held / total
        out[i] = "A" if share_before < a else "B" if share_before < b else "C"
        held += vals[i]
    return out


def check_error(call, message):
    with pytest.raises(InputError) as info:
        call()
    assert str(info.value).startswith(message), str(info.value)


# ------------------------------------------------------------------ hand-worked


def test_exported_and_returns_strings():
    assert xlsales.abc_class is abc_class
    out = abc_class([3, 1])
    assert isinstance(out, list) and all(type(v) is str for v in out)


def test_sorted_example_with_default_shares():
    # total 100; shares held by the values before each: 0, .5, .8, .9, .96
    # 0 < .8 A; .5 < .8 A; .8 not < .8 but < .95 B; .9 < .95 B; .96 C
    assert abc_class([50, 30, 10, 6, 4]) == ["A", "A", "B", "B", "C"]


def test_result_keeps_the_input_order():
    # the same values shuffled: each keeps its class at its own position
    assert abc_class([4, 50, 6, 30, 10]) == ["C", "A", "B", "A", "B"]


def test_the_largest_value_is_always_a():
    # nothing is before it: share 0 < a_share
    assert abc_class([5]) == ["A"]
    assert abc_class([1, 9]) == ["B", "A"]    # 9 before the 1: 9/10 = .9, ≥ .8 and < .95 -> B
    assert abc_class([1, 100]) == ["C", "A"]  # 100/101 = .990 ≥ .95 -> C


def test_ties_keep_their_order():
    # five equal values: befores 0, .2, .4, .6, .8 -> the last (in input order) is B
    assert abc_class([20, 20, 20, 20, 20]) == ["A", "A", "A", "A", "B"]
    # twenty equal values: befores 0, .05, ..., .95 -> 16 A (0 ... .75), 3 B (.8, .85, .9), 1 C (.95)
    assert abc_class([5] * 20) == ["A"] * 16 + ["B"] * 3 + ["C"]
    # ten equal values of 10: befores .8 and .9 -> B, B
    assert abc_class([10] * 10) == ["A"] * 8 + ["B"] * 2


def test_ties_among_unequal_neighbours():
    # sorted: 40 (pos 2), 30 (pos 1), 30 (pos 3), 0 (pos 4); total 100
    # befores: 40 -> 0 A; 30 (pos 1) -> .4 A; 30 (pos 3) -> .7 A; 0 -> 1.0 C
    assert abc_class([30, 40, 30, 0]) == ["A", "A", "A", "C"]
    # 45, 45, 10: befores 0, .45, .9 -> A, A, B
    assert abc_class([45, 45, 10]) == ["A", "A", "B"]


def test_custom_shares():
    # a 0.5, b 0.9 on (50, 30, 10, 6, 4): befores 0 A, .5 B (not < .5), .8 B, .9 C (not < .9), .96 C
    assert abc_class([50, 30, 10, 6, 4], a_share=0.5, b_share=0.9) == ["A", "B", "B", "C", "C"]
    # a = b: no B at all
    assert abc_class([50, 30, 10, 6, 4], a_share=0.8, b_share=0.8) == ["A", "A", "C", "C", "C"]
    # a = 1: every value with something left after it before 100% is A; zeros at the end are C
    assert abc_class([50, 30, 20, 0], a_share=1, b_share=1) == ["A", "A", "A", "C"]
    # blank shares mean the defaults
    assert abc_class([50, 30, 10, 6, 4], a_share=None, b_share=None) == ["A", "A", "B", "B", "C"]


def test_zeros_and_blanks():
    # zeros after the whole total is held: share before = 1 -> C
    assert abc_class([1, 0, 0]) == ["A", "C", "C"]
    # blanks count as 0
    assert abc_class([None, 50, 30, 10, 6, 4]) == ["C", "A", "A", "B", "B", "C"]
    # documented choice: all zero -> all C
    assert abc_class([0, 0, 0]) == ["C", "C", "C"]


@pytest.mark.parametrize("kwargs, message", [
    (dict(values=[10, -1, 5]), "values: position 2"),        # SPEC: negative values are invalid
    (dict(values=[10, 5, -0.01]), "values: position 3"),
    (dict(values=[10, "x"]), "values: position 2"),
    (dict(values=[True, 5]), "values: position 1"),
    (dict(values=[]), "values:"),
    (dict(values=None), "values:"),
    (dict(values=[1, 2], a_share=0), "a_share:"),
    (dict(values=[1, 2], a_share=1.5), "a_share:"),
    (dict(values=[1, 2], a_share="80%"), "a_share:"),
    (dict(values=[1, 2], a_share=0.8, b_share=0.7), "b_share:"),
    (dict(values=[1, 2], b_share=1.2), "b_share:"),
])
def test_invalid_input_names_the_argument(kwargs, message):
    check_error(lambda: abc_class(**kwargs), message)


# ------------------------------------------------------------------ float boundaries (bugs)


def test_a_boundary_with_decimal_values():
    # total 0.05; the 0.01 has 0.04 before it = exactly 80% -> not below 0.8 -> B
    assert abc_class([0.04, 0.01]) == ["A", "B"]


def test_a_boundary_with_ten_tenths():
    assert abc_class([0.1] * 10) == ["A"] * 8 + ["B"] * 2


def test_b_boundary_with_one_decimal_values():
    # revenue in 万元 with one decimal: sorted 8.5, 5.2, 2.5, 0.9, 0.9 (total 18.0)
    # befores: 0, 8.5, 13.7, 16.2, 17.1 -> 0, .472, .761, .9, .95 -> A A A B C
    assert abc_class([2.5, 0.9, 5.2, 8.5, 0.9]) == ["A", "B", "A", "A", "C"]


# ------------------------------------------------------------------ reference and properties

int_values = st.lists(st.integers(0, 100_000), min_size=1, max_size=30)
shares = st.tuples(st.integers(1, 100), st.integers(0, 100)).map(
    lambda t: (t[0] / 100, min(1.0, (t[0] + t[1]) / 100)))


@settings(max_examples=60, deadline=None)
@given(int_values, shares)
def test_matches_exact_reference_on_whole_numbers(values, ab):
    a, b = ab
    assert abc_class(values, a_share=a, b_share=b) == ref_abc(values, a, b)


@settings(max_examples=50, deadline=None)
@given(int_values, shares)
def test_classes_are_monotone_in_value(values, ab):
    a, b = ab
    out = abc_class(values, a_share=a, b_share=b)
    for i in range(len(values)):
        for j in range(len(values)):
            if values[i] > values[j]:
                assert out[i] <= out[j]   # "A" < "B" < "C"
            if values[i] == values[j] and i < j:
                assert out[i] <= out[j]   # ties: the earlier is ranked first


@settings(max_examples=60, deadline=None)
@given(int_values)
def test_scale_invariant(values):
    assert abc_class(values) == abc_class([v * 7 for v in values])


@settings(max_examples=60, deadline=None)
@given(int_values)
def test_a_class_holds_at_least_a_share(values):
    # the A values together hold at least 80% of the total (the first value at or past 80% is still A
    # only if the share before it is below 80%, so A's total reaches 80% unless everything is A)
    out = abc_class(values)
    total = sum(values)
    if total > 0:
        a_total = sum(v for v, c in zip(values, out) if c == "A")
        assert a_total >= 0.8 * total or all(c == "A" for c, v in zip(out, values) if v > 0)
        assert out[values.index(max(values))] == "A"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(1, 100_000), min_size=1, max_size=15, unique=True), st.randoms())
def test_permutation_moves_classes_with_values(values, rnd):
    shuffled = values[:]
    rnd.shuffle(shuffled)
    by_value = dict(zip(values, abc_class(values)))
    assert abc_class(shuffled) == [by_value[v] for v in shuffled]
