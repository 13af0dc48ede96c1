"""Two-way controlled rounding: rows and columns tie out, no cell moves a unit or more."""
from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from xlsales.core.controlled_rounding import controlled_round


def _exact(weights, totals):
    w = np.asarray(weights, dtype=float)
    sums = w.sum(axis=1, keepdims=True)
    return np.where(sums > 0, w / np.where(sums > 0, sums, 1) * np.asarray(totals)[:, None], 0.0)


def test_hand_worked_two_by_three():
    # Two reps of 2 units each over three even months: exact 2/3 each, columns 4/3 each.
    # Rep by rep both would take months 1 and 2 (4, 4, 0); controlled: columns 2, 1, 1 (nearest,
    # the spare unit to the earlier month), rows 2 and 2, every cell 0 or 1.
    out = controlled_round(_exact([[1, 1, 1], [1, 1, 1]], [2, 2]))
    assert out.sum(axis=1).tolist() == [2, 2]
    assert out.sum(axis=0).tolist() == [2, 1, 1]
    assert ((out == 0) | (out == 1)).all()


def test_new_customers_do_not_pile_into_january():
    # 40 reps with 2 new customers a year each, even months: exact 80/12 = 6.67 a month.
    out = controlled_round(_exact(np.ones((40, 12)), np.full(40, 2.0)))
    assert out.sum(axis=0).tolist() == [7] * 8 + [6] * 4
    assert (out.sum(axis=1) == 2).all()


def test_whole_cells_stay_as_they_are():
    exact = np.array([[3.0, 0.0, 1.0], [0.5, 0.5, 2.0]])
    out = controlled_round(exact)
    assert out[0].tolist() == [3, 0, 1]
    assert out[1, 2] == 2 and out[1, :2].sum() == 1


def test_months_no_rep_links_still_tie_out():
    # Column 1–2 and 3–4 are linked by no row: nearest-unit month totals (1, 1, 0, 0 by the tie rule)
    # cannot all be met; the result keeps rows exact and each month within one unit of its exact sum.
    exact = np.array([[0.5, 0.5, 0, 0], [0, 0, 0.5, 0.5]])
    out = controlled_round(exact)
    assert out.sum(axis=1).tolist() == [1, 1]
    assert (np.abs(out.sum(axis=0) - exact.sum(axis=0)) < 1).all()
    assert out.sum() == 2


tables = st.integers(1, 30).flatmap(lambda n: st.integers(1, 14).flatmap(lambda k: st.tuples(
    arrays(float, (n, k), elements=st.one_of(st.just(0.0), st.floats(0.0, 10.0))),
    arrays(float, (n,), elements=st.integers(0, 40).map(float)))))


@settings(max_examples=400, deadline=None)
@given(tables)
def test_ties_out_both_ways_and_stays_within_one_unit(case):
    weights, totals = case
    totals = np.where(weights.sum(axis=1) > 0, totals, 0.0)
    exact = _exact(weights, totals)
    out = controlled_round(exact, totals)
    assert np.array_equal(out, np.round(out))
    assert np.array_equal(out.sum(axis=1), totals)
    assert (np.abs(out - exact) < 1 - 1e-9).all()
    columns = exact.sum(axis=0)
    assert (np.abs(out.sum(axis=0) - columns) < 1 - 1e-9).all()
    assert out.sum() == totals.sum()


@settings(max_examples=200, deadline=None)
@given(st.integers(2, 60), st.integers(1, 12), st.randoms(use_true_random=False))
def test_linked_months_are_the_nearest_unit(n, k, rnd):
    # Every rep works every month (the usual case): each month total is its exact sum to the nearest
    # unit, the spare units going to the largest remainders.
    rng = np.random.default_rng(rnd.randint(0, 10**6))
    weights = rng.uniform(0.5, 2.0, (n, k))
    totals = rng.integers(0, 30, n).astype(float)
    exact = _exact(weights, totals)
    out = controlled_round(exact, totals)
    columns = exact.sum(axis=0)
    floor = np.floor(columns + 1e-9)
    spare = int(round(totals.sum() - floor.sum()))
    expected = floor.copy()
    expected[np.lexsort((np.arange(k), -(columns - floor)))[:spare]] += 1
    assert np.array_equal(out.sum(axis=0), expected)
    assert np.array_equal(out.sum(axis=1), totals)
