"""The Excel functions called the way Excel calls them: lists of rows, None for blanks, floats for ints."""
from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

import xlsales

UDFS_DIR = Path(__file__).resolve().parents[1] / "udfs"


def load_udfs():
    spec = importlib.util.spec_from_file_location("xlsales_udfs_under_test", UDFS_DIR / "xlsales_udfs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


U = load_udfs()

COL = [[1.0], [1.0], [1.0]]
TIERS = [[0.0, 0.05], [10000.0, 0.07], [25000.0, 0.1]]
QUOTA_TIERS = [[0.0, 0.05], [1.0, 0.08], [1.2, 0.12]]
WEIGHTS = [3.0, 1.0, None, 2.5, 0.0, 7.0]


def column(values):
    return [[v] for v in values]


def row(values):
    return [list(values)]


def flat(cells):
    return [v for r in cells for v in r]


# --- worked values from the SPEC and the brief -------------------------------------------------

def test_split_target_column_in_column_out():
    assert U.SPLIT_TARGET(100.0, COL, 1.0) == [[34.0], [33.0], [33.0]]


def test_split_target_row_in_row_out():
    assert U.SPLIT_TARGET(100.0, [[1.0, 1.0, 1.0]], 1.0) == [[34.0, 33.0, 33.0]]


def test_split_target_single_cell_and_array_constant():
    assert U.SPLIT_TARGET(100.0, 5.0) == [[100.0]]
    assert U.SPLIT_TARGET(100.0, ((1.0, 3.0),)) == [[25.0, 75.0]]      # ={1,3}
    assert U.SPLIT_TARGET(100.0, ((1.0,), (3.0,))) == [[25.0], [75.0]]  # ={1;3}


def test_split_target_blanks_are_zero_weights_and_unlocked():
    result = U.SPLIT_TARGET(1000.0, column([1.0, None, 3.0, 1.0]), 10.0, column([None, None, None, 100.0]))
    assert result == [[220.0], [0.0], [680.0], [100.0]]  # the tie goes to the larger weight
    assert sum(flat(result)) == 1000.0


def test_empty_string_cells_count_as_blank():
    assert U.SPLIT_TARGET(90.0, column([1.0, "", 2.0])) == [[30.0], [0.0], [60.0]]


def test_commission_marginal_worked_check():
    assert U.COMMISSION(30000.0, TIERS) == 2050.0


def test_commission_quota_marginal_and_retro():
    assert U.COMMISSION(130000.0, QUOTA_TIERS, 100000.0) == 7800.0
    assert U.COMMISSION(130000.0, QUOTA_TIERS, 100000.0, "marginal") == 7800.0
    assert U.COMMISSION(130000.0, QUOTA_TIERS, 100000.0, "retro") == 15600.0


def test_commission_ignores_trailing_blank_rows_of_tiers():
    assert U.COMMISSION(30000.0, TIERS + [[None, None], ["", None]]) == 2050.0


def test_commission_cap():
    assert U.COMMISSION(130000.0, QUOTA_TIERS, 100000.0, "retro", 10000.0) == 10000.0


def test_commission_detail_rows_with_blanks():
    rows = U.COMMISSION_DETAIL(130000.0, QUOTA_TIERS, 100000.0)
    assert rows == [[0.0, 100000.0, 100000.0, 0.05, 5000.0],
                    [100000.0, 120000.0, 20000.0, 0.08, 1600.0],
                    [120000.0, None, 10000.0, 0.12, 1200.0]]
    assert sum(r[4] for r in rows) == U.COMMISSION(130000.0, QUOTA_TIERS, 100000.0)


def test_funnel_conversion_blank_where_undefined_keeps_orientation():
    assert U.FUNNEL_CONVERSION(row([100.0, 0.0, 5.0])) == [[0.0, None]]
    assert U.FUNNEL_CONVERSION(column([200.0, 100.0, 25.0])) == [[0.5], [0.25]]


def test_abc_class_keeps_orientation():
    assert U.ABC_CLASS(column([100.0, 10.0, 1.0])) == [["A"], ["B"], ["C"]]
    assert U.ABC_CLASS(row([1.0, 100.0, 10.0, None])) == [["C", "A", "B", "C"]]


def test_scalars_passed_as_one_by_one_ranges():
    assert U.ATTAINMENT([[50.0]], [[200.0]]) == 0.25
    assert U.COMMISSION([[30000.0]], TIERS) == 2050.0


# --- every function agrees with the Python API ---------------------------------------------------

AGREEMENT = [
    ("SPLIT_TARGET", (1000.0, column(WEIGHTS)), lambda: xlsales.split_target(1000.0, WEIGHTS), "column"),
    ("SPLIT_TARGET", (1000.0, row(WEIGHTS), 5.0), lambda: xlsales.split_target(1000.0, WEIGHTS, 5.0), "row"),
    ("SPLIT_TARGET", (1000.0, column(WEIGHTS), 1.0, column([None, 200.0, None, None, None, None])),
     lambda: xlsales.split_target(1000.0, WEIGHTS, 1.0, [None, 200.0, None, None, None, None]), "column"),
    ("SEASONAL_SPLIT", (1200.0, column([float(i % 4 + 1) for i in range(10)]), 4.0, 1.0),
     lambda: xlsales.seasonal_split(1200.0, [float(i % 4 + 1) for i in range(10)], 4, 1.0), "column"),
    ("SEASONAL_SPLIT", (12000.0, row([float(i) + 1 for i in range(24)])),
     lambda: xlsales.seasonal_split(12000.0, [float(i) + 1 for i in range(24)]), "row"),
    ("TARGET_FROM_HISTORY", (column([100.0, 120.0, 130.0, 150.0]),),
     lambda: xlsales.target_from_history([100.0, 120.0, 130.0, 150.0]), None),
    ("TARGET_FROM_HISTORY", (row([100.0, 120.0, 130.0, 150.0]), 0.2, "wma", 2.0),
     lambda: xlsales.target_from_history([100.0, 120.0, 130.0, 150.0], 0.2, "wma", 2), None),
    ("TARGET_FROM_HISTORY", (column([100.0, 120.0, None, 150.0]), 0.0, "linear"),
     lambda: xlsales.target_from_history([100.0, 120.0, 0.0, 150.0], 0.0, "linear"), None),
    ("ATTAINMENT", (None, 100.0), lambda: xlsales.attainment(0, 100), None),
    ("ATTAINMENT", (80.0, 100.0), lambda: xlsales.attainment(80, 100), None),
    ("RUN_RATE", (300.0, 10.0, 22.0), lambda: xlsales.run_rate(300, 10, 22), None),
    ("REQUIRED_PACE", (1000.0, 400.0, 12.0), lambda: xlsales.required_pace(1000, 400, 12), None),
    ("REQUIRED_PACE", (1000.0, 1400.0, 0.0), lambda: xlsales.required_pace(1000, 1400, 0), None),
    ("DEALS_NEEDED", (100000.0, 0.25, 20000.0), lambda: xlsales.deals_needed(100000, 0.25, 20000), None),
    ("FUNNEL_CONVERSION", (column([500.0, 200.0, 0.0, 0.0]),),
     lambda: xlsales.funnel_conversion([500, 200, 0, 0]), "column"),
    ("WEIGHTED_PIPELINE", (column([1000.0, None, 500.0]), row([0.5, 0.9, 0.2])),
     lambda: xlsales.weighted_pipeline([1000, 0, 500], [0.5, 0.9, 0.2]), None),
    ("SALES_VELOCITY", (40.0, 0.25, 20000.0, 60.0), lambda: xlsales.sales_velocity(40, 0.25, 20000, 60), None),
    ("PIPELINE_COVERAGE", (300000.0, 200000.0, 50000.0),
     lambda: xlsales.pipeline_coverage(300000, 200000, 50000), None),
    ("PIPELINE_COVERAGE", (300000.0, 200000.0, 250000.0),
     lambda: xlsales.pipeline_coverage(300000, 200000, 250000), None),
    ("COMMISSION", (-2000.0, TIERS), lambda: xlsales.commission(-2000, [(0, 0.05), (10000, 0.07), (25000, 0.1)]),
     None),
    ("COMMISSION_DETAIL", (30000.0, TIERS, None, "retro", 2500.0),
     lambda: xlsales.commission_detail(30000, [(0, 0.05), (10000, 0.07), (25000, 0.1)], None, "retro", 2500),
     None),
    ("ABC_CLASS", (column([5.0, 50.0, 500.0, 5.0]), 0.7, 0.9),
     lambda: xlsales.abc_class([5, 50, 500, 5], 0.7, 0.9), "column"),
]


@pytest.mark.parametrize("name, args, api, orientation", AGREEMENT,
                         ids=[f"{a[0]}-{i}" for i, a in enumerate(AGREEMENT)])
def test_udf_agrees_with_api(name, args, api, orientation):
    result, expected = getattr(U, name)(*args), api()
    if orientation == "column":
        assert result == [[v] for v in expected]
    elif orientation == "row":
        assert result == [list(expected)]
    else:
        assert result == expected


def test_every_spec_function_is_covered():
    spec_functions = {"SPLIT_TARGET", "SEASONAL_SPLIT", "TARGET_FROM_HISTORY", "ATTAINMENT", "RUN_RATE",
                      "REQUIRED_PACE", "DEALS_NEEDED", "FUNNEL_CONVERSION", "WEIGHTED_PIPELINE",
                      "SALES_VELOCITY", "PIPELINE_COVERAGE", "COMMISSION", "COMMISSION_DETAIL", "ABC_CLASS"}
    assert {a[0] for a in AGREEMENT} == spec_functions
    assert all(callable(getattr(U, name)) for name in spec_functions)


# --- invalid input: a #XLSALES! cell naming the argument, never an exception ---------------------

BAD = [
    ("SPLIT_TARGET", (100.0, [["x"], [1.0]]), "weights: position 1"),
    ("SPLIT_TARGET", (100.0, [[1.0], [True]]), "weights: position 2"),
    ("SPLIT_TARGET", (100.0, [[1.0], ["#N/A"]]), "weights: position 2"),
    ("SPLIT_TARGET", (100.0, [[1.0], ["#DIV/0!"]]), "weights"),
    ("SPLIT_TARGET", (100.0, [[1.0], [ValueError("#VALUE!")]]), "weights: position 2"),
    ("SPLIT_TARGET", (100.0, [[1.0, 2.0], [3.0, 4.0]]), "weights: expected a single row or column, got a 2×2"),
    ("SPLIT_TARGET", (100.0, [[-1.0], [1.0]]), "weights: position 1 is negative"),
    ("SPLIT_TARGET", ("#N/A", COL), "total"),
    ("SPLIT_TARGET", (False, COL), "total"),
    ("SPLIT_TARGET", ([[100.0, 200.0]], COL), "total: expected a single cell, got a 1×2 range"),
    ("SPLIT_TARGET", (100.5, COL, 1.0), "total: 100.5 is not a multiple of round_to"),
    ("SPLIT_TARGET", (100.0, COL, "one"), "round_to"),
    ("SPLIT_TARGET", (100.0, COL, 1.0, [[10.0], [None]]), "locked: has 2 values but weights has 3"),
    ("SPLIT_TARGET", (100.0, COL, 1.0, [[10.0], [200.0], [None]]), "locked"),
    ("SPLIT_TARGET", (100.0, COL, 1.0, [[1.0, 2.0], [3.0, 4.0]]), "locked: expected a single row or column"),
    ("SPLIT_TARGET", (100.0, [[0.0], [None]]), "weights"),
    ("SEASONAL_SPLIT", (100.0, column([1.0] * 11)), "history: needs at least one whole cycle"),
    ("SEASONAL_SPLIT", (100.0, column([1.0] * 12), 0.0), "cycle"),
    ("SEASONAL_SPLIT", (100.0, [[1.0] * 6, [1.0] * 6]), "history: expected a single row or column"),
    ("TARGET_FROM_HISTORY", (column([1.0, "n/a"]),), "history: position 2"),
    ("TARGET_FROM_HISTORY", (column([1.0, 2.0]), 0.1, "median"), "method"),
    ("TARGET_FROM_HISTORY", (column([1.0, 2.0]), 0.1, "avg", 1.5), "window"),
    ("TARGET_FROM_HISTORY", (column([1.0, 2.0]), "#REF!"), "growth"),
    ("ATTAINMENT", (10.0, 0.0), "target"),
    ("ATTAINMENT", (10.0, None), "target"),
    ("ATTAINMENT", ("#N/A", 100.0), "actual"),
    ("ATTAINMENT", (True, 100.0), "actual"),
    ("RUN_RATE", (10.0, 0.0, 20.0), "elapsed"),
    ("RUN_RATE", (10.0, 30.0, 20.0), "elapsed"),
    ("REQUIRED_PACE", (100.0, 10.0, 0.0), "remaining"),
    ("DEALS_NEEDED", (100.0, 0.0, 10.0), "win_rate"),
    ("DEALS_NEEDED", (100.0, 1.5, 10.0), "win_rate"),
    ("DEALS_NEEDED", (100.0, 0.5, 0.0), "avg_deal"),
    ("FUNNEL_CONVERSION", (column([10.0]),), "counts"),
    ("FUNNEL_CONVERSION", (column([10.0, "#N/A"]),), "counts: position 2"),
    ("FUNNEL_CONVERSION", ([[1.0, 2.0], [3.0, 4.0]],), "counts: expected a single row or column"),
    ("WEIGHTED_PIPELINE", (column([1.0, 2.0]), column([0.5])), "probabilities"),
    ("WEIGHTED_PIPELINE", (column([1.0, 2.0]), column([0.5, 1.5])), "probabilities: position 2"),
    ("WEIGHTED_PIPELINE", (column([1.0, True]), column([0.5, 0.5])), "amounts: position 2"),
    ("SALES_VELOCITY", (10.0, 0.5, 100.0, 0.0), "cycle_days"),
    ("SALES_VELOCITY", ("ten", 0.5, 100.0, 10.0), "opportunities"),
    ("PIPELINE_COVERAGE", (None, 100.0), "pipeline"),
    ("PIPELINE_COVERAGE", (100.0, [[1.0], [2.0]]), "target: expected a single cell"),
    ("COMMISSION", (30000.0, [[0.0, 0.05, 1.0]]), "tiers: expected a 2-column range"),
    ("COMMISSION", (30000.0, [[None, None]]), "tiers"),
    ("COMMISSION", (30000.0, [[100.0, 0.05]]), "tiers: the first lower bound must be 0"),
    ("COMMISSION", (30000.0, [[0.0, 0.05], [0.0, 0.07]]), "tiers: row 2"),
    ("COMMISSION", (30000.0, [[0.0, 0.05], [None, 0.07], [2.0, 0.1]]), "tiers: row 2"),
    ("COMMISSION", (30000.0, [[0.0, "5%"]]), "tiers: row 1"),
    ("COMMISSION", (30000.0, TIERS, None, "flat"), "mode"),
    ("COMMISSION", (30000.0, TIERS, -1.0), "quota"),
    ("COMMISSION", (30000.0, TIERS, None, None, -5.0), "cap"),
    ("COMMISSION", ("#N/A", TIERS), "achieved"),
    ("COMMISSION_DETAIL", (30000.0, [[0.0, 0.05, 1.0]]), "tiers"),
    ("COMMISSION_DETAIL", (30000.0, TIERS, None, True), "mode"),
    ("ABC_CLASS", (column([1.0, -2.0]),), "values: position 2 is negative"),
    ("ABC_CLASS", (column([1.0, 2.0]), 1.5), "a_share"),
    ("ABC_CLASS", (column([1.0, 2.0]), 0.8, 0.5), "b_share"),
    ("ABC_CLASS", ([[1.0, 2.0], [3.0, 4.0]],), "values: expected a single row or column"),
]


@pytest.mark.parametrize("name, args, names", BAD, ids=[f"{b[0]}-{i}" for i, b in enumerate(BAD)])
def test_invalid_input_returns_error_cell(name, args, names):
    result = getattr(U, name)(*args)
    assert isinstance(result, str), result
    assert result.startswith("#XLSALES! ")
    assert names in result
    assert "\n" not in result


def test_error_message_is_the_api_message():
    with pytest.raises(xlsales.InputError) as error:
        xlsales.attainment(10, 0)
    assert U.ATTAINMENT(10.0, 0.0) == f"#XLSALES! {error.value}"


def test_unexpected_exceptions_become_error_cells(monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("boom")
    monkeypatch.setattr(xlsales, "attainment", broken)
    assert U.ATTAINMENT(1.0, 2.0) == "#XLSALES! unexpected ZeroDivisionError: boom"


def test_a_date_in_a_numeric_range_is_invalid():
    import datetime as dt
    result = U.SPLIT_TARGET(100.0, [[1.0], [dt.datetime(2024, 1, 31)]])
    assert result.startswith("#XLSALES! weights: position 2")


# --- whatever Excel sends, a function answers with cells, never an exception --------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

CELLS = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True, width=64),
                  st.integers(-10**6, 10**6).map(float), st.booleans(), st.text(max_size=5),
                  st.sampled_from(["#N/A", "#DIV/0!", "#VALUE!", "#REF!", "", "marginal", "retro", "avg"]))
RANGES = st.one_of(CELLS, st.lists(st.lists(CELLS, min_size=1, max_size=3).map(lambda r: r), max_size=4)
                   .filter(lambda rows: len({len(r) for r in rows}) <= 1))
ARITY = {name: len(args) for name, args, *_ in AGREEMENT}
ARITY.update({"SPLIT_TARGET": 4, "SEASONAL_SPLIT": 4, "TARGET_FROM_HISTORY": 4, "PIPELINE_COVERAGE": 3,
              "COMMISSION": 5, "COMMISSION_DETAIL": 5, "ABC_CLASS": 3})


def _is_cells(result) -> bool:
    if isinstance(result, (float, str)) or result is None:
        return True
    return (isinstance(result, list) and all(isinstance(row, list) for row in result)
            and all(v is None or isinstance(v, (float, str)) for row in result for v in row))


@settings(max_examples=60, deadline=None)
@given(name=st.sampled_from(sorted(ARITY)), data=st.data())
def test_any_input_gives_cells_never_an_exception(name, data):
    args = [data.draw(RANGES) for _ in range(ARITY[name])]
    result = getattr(U, name)(*args)
    assert _is_cells(result), result
    if isinstance(result, str) and result.startswith("#XLSALES!"):
        assert "\n" not in result
