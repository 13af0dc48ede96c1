"""The binder: named tables, placeholders, what the user wrote, text that looks like a formula."""
from __future__ import annotations

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from recalc import error_cells, recalculate

from xlsales.workbooks.binding import (
    FORMULA, INPUT, Field, compile_formula, create_table, define_name, expand_formula, name_cell, open_workbook,
    read_table, save_atomic, write_name, write_table,
)

FIELDS = (Field("rep", "Rep", "销售代表"), Field("amount", "Amount", "金额"),
          Field("override", "Override", "调整", INPUT),
          Field("double", "Double", "双倍", FORMULA, formula="IF(ISNUMBER({override}),{override},{amount})*2"),
          Field("share", "Share", "占比", FORMULA, formula="{amount}/SUM({T.amount})"))


def book():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data sheet"
    create_table(ws, "T", FIELDS, "A3")
    define_name(wb, "AsOf", "Data sheet", "$B$1")
    return wb


def test_fill_recalculate_and_keep_what_the_user_wrote(tmp_path):
    wb = book()
    write_table(wb, "T", FIELDS, pd.DataFrame({"rep": ["a", "b", "=c"], "amount": [1.0, 2.0, 3.0]}), key=["rep"])
    write_name(wb, "AsOf", "=cmd|' /C calc'!A0")
    path = save_atomic(wb, tmp_path / "t.xlsx")
    wb = open_workbook(path)
    ws = wb["Data sheet"]
    ws["C5"] = 10                                   # the user's override on row b
    ws["F3"], ws["F4"] = "Notes", "call a"          # and a column of notes added to the table
    ws.tables["T"].ref = "A3:F6"
    write_table(wb, "T", FIELDS, pd.DataFrame({"rep": ["b", "a", "d", "=c"], "amount": [20.0, 10.0, 5.0, 3.0]}),
                lang="zh", key=["rep"])
    save_atomic(wb, path)
    values = recalculate(path)
    assert error_cells(values) == []
    got = read_table(values, "T", FIELDS)
    assert got["rep"].tolist() == ["b", "a", "d", "=c"]
    assert got["override"].tolist()[0] == 10 and got["override"].isna().tolist()[1:] == [True] * 3
    assert got["double"].tolist() == [20, 20, 10, 6]
    assert got["share"].tolist() == pytest.approx([20 / 38, 10 / 38, 5 / 38, 3 / 38])
    assert [n if isinstance(n, str) else None for n in got["Notes"]] == [None, "call a", None, None]
    raw = open_workbook(path)
    assert raw["Data sheet"]["A7"].value == "=c" and raw["Data sheet"]["A7"].data_type == "s"
    assert name_cell(raw, "AsOf").data_type == "s"
    assert [c.value for c in raw["Data sheet"][3]][:5] == ["销售代表", "金额", "调整", "双倍", "占比"]


def test_the_table_shrinks_and_old_rows_are_cleared(tmp_path):
    wb = book()
    write_table(wb, "T", FIELDS, pd.DataFrame({"rep": list("abcd"), "amount": [1.0, 2, 3, 4]}))
    write_table(wb, "T", FIELDS, pd.DataFrame({"rep": ["x"], "amount": [9.0]}))
    ws = wb["Data sheet"]
    assert ws.tables["T"].ref == "A3:E4"
    assert [ws.cell(r, 1).value for r in range(4, 8)] == ["x", None, None, None]


placeholders = st.sampled_from(["{a}", "{b}", "{T.x}", "{T.x:first}", "\"{}\"", "1", "+", "&\"|\"&", "SUM(", ")"])


@settings(max_examples=200, deadline=None)
@given(st.lists(placeholders, min_size=1, max_size=8), st.integers(2, 1_048_576))
def test_compiled_formulas_equal_expanded_ones(parts, row):
    template = "".join(parts)
    columns, ranges = {"a": 1, "b": 28}, {("T", "x"): ("'My sheet'", "D", 5, 9)}
    assert compile_formula(template, columns, ranges).format(row) == "=" + expand_formula(template, row, columns, ranges)
