"""Streamed tables: the binder's promises hold when rows are written as sheet XML, up to 100 000 rows."""
from __future__ import annotations

import zipfile
from datetime import datetime

import numpy as np
import openpyxl
import pandas as pd
import pytest
import test_binding
from recalc import recalculate

from xlsales.workbooks import binding
from xlsales.workbooks.binding import (
    FORMULA, INPUT, Field, compile_formula, create_table, open_workbook, read_table, save_atomic, write_table,
)

ROWS = 100_000
FIELDS = (Field("id", "ID", "编号"), Field("rep", "Rep", "销售代表"),
          Field("amount", "Amount", "金额", number_format="#,##0.00"),
          Field("when", "When", "日期", number_format="yyyy-mm-dd"),
          Field("override", "Override", "调整", INPUT),
          Field("double", "Double", "双倍", FORMULA, formula="IF(ISNUMBER({override}),{override},{amount})*2",
                number_format="#,##0.00"),
          Field("big", "Big", "大单", FORMULA, formula='IF({amount}>500,"big","")'),
          Field("days", "Days", "天数", FORMULA, formula="{when}-DATE(2026,1,1)", number_format="0"))
TRICKY = ["=1+1", "+7", "-3", "@SUM(A1)", "\tx", "\rcr", "=cmd|' /C calc'!A0", "a & b < c > d"]


def test_streamed_tables_keep_what_the_user_wrote(tmp_path, monkeypatch):
    """The binder's own scenario (user override, user column, text that looks like a formula), streamed."""
    monkeypatch.setattr(binding, "STREAM_ROWS", 1)
    test_binding.test_fill_recalculate_and_keep_what_the_user_wrote(tmp_path)


def frame(rows: int = ROWS) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    reps = [f"销售{i % 613}" for i in range(rows)]
    for i, text in enumerate(TRICKY):
        reps[i * 7 + 1] = text
    return pd.DataFrame({"id": [f"D{i:06d}" for i in range(rows)], "rep": reps,
                         "amount": np.round(rng.random(rows) * 1000, 2),
                         "when": pd.Timestamp("2026-01-01") + pd.to_timedelta(rng.integers(0, 365, rows), unit="D")})


def python_values(data: pd.DataFrame) -> dict:
    return {"double": data["amount"] * 2, "big": np.where(data["amount"] > 500, "big", ""),
            "days": (data["when"] - pd.Timestamp("2026-01-01")).dt.days}


def write(path, data, stamp=datetime(2026, 6, 30)):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "大表 Deals"
    ws["A1"] = "title above the table"
    create_table(ws, "Big", FIELDS, "A3")
    write_table(wb, "Big", FIELDS, data, key=["id"], cached=python_values(data))
    return save_atomic(wb, path, stamp=stamp)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    data = frame()
    path = write(folder / "big.xlsx", data)
    return data, path, folder


@pytest.fixture(scope="module")
def formulas(big):
    return _rows(big[1])


def _rows(path, data_only=False):
    wb = openpyxl.load_workbook(path, read_only=True, data_only=data_only)
    ws = wb.worksheets[0]
    return [list(r) for r in ws.iter_rows(min_row=4, max_col=len(FIELDS), values_only=True)]


def test_100_000_rows_are_written_as_given(big, formulas):
    data, path, _ = big
    rows = formulas
    assert len(rows) == ROWS
    columns = {f.key: i + 1 for i, f in enumerate(FIELDS)}
    for i in (0, 1, 8, 29, 50_000, ROWS - 1):
        row = rows[i]
        assert row[:3] == [data["id"][i], data["rep"][i], pytest.approx(data["amount"][i])]
        assert row[3] == data["when"][i].to_pydatetime()
        assert row[4] is None
        for f in FIELDS[5:]:
            assert row[columns[f.key] - 1] == compile_formula(f.formula, columns, {}).format(4 + i)
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.worksheets[0]["A1"].value == "title above the table"


def test_text_that_looks_like_a_formula_stays_text(big, formulas):
    data, path, _ = big
    with zipfile.ZipFile(path) as z:
        xml = z.read("xl/worksheets/sheet1.xml").decode()
    assert xml.count("<f>") == ROWS * 3                   # only the three formula columns hold formulas
    rows = formulas
    for i, text in enumerate(TRICKY):
        assert rows[i * 7 + 1][1] == text


def test_cached_results_are_python_values_and_libreoffice_agrees(big):
    data, path, folder = big
    expected = python_values(data)
    cached = _rows(path, data_only=True)
    for key, col in (("double", 5), ("big", 6), ("days", 7)):
        got = [r[col] for r in cached]
        want = list(expected[key])
        if key == "big":
            assert [g or "" for g in got] == want
        else:
            assert got == pytest.approx(want)
    recalculated = recalculate(path, folder / "recalc")         # LibreOffice computes every formula itself
    ws = recalculated.worksheets[0]
    assert ws.tables["Big"].ref == f"A3:H{ROWS + 3}"
    lo = [list(r) for r in ws.iter_rows(min_row=4, max_col=len(FIELDS), values_only=True)]
    assert len(lo) == ROWS
    assert [r[5] for r in lo] == pytest.approx(list(expected["double"]))
    assert [r[6] or "" for r in lo] == list(expected["big"])
    assert [r[7] for r in lo] == list(expected["days"])


def test_byte_identical_and_zip_dates_fixed(big, tmp_path):
    data, path, _ = big
    again = write(tmp_path / "again.xlsx", data)
    assert again.read_bytes() == path.read_bytes()
    with zipfile.ZipFile(path) as z:
        assert {i.date_time for i in z.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert b"2026-06-30T00:00:00Z" in z.read("docProps/core.xml")


def test_styles_and_user_columns_survive_a_refresh_of_a_streamed_table(tmp_path):
    data = frame(500)
    path = write(tmp_path / "t.xlsx", data)
    wb = open_workbook(path)
    ws = wb.worksheets[0]
    ws["E10"] = 123.0                                     # an override on D000006
    ws["I3"], ws["I8"] = "Notes", "call"                  # the user's own column, on D000004
    ws.tables["Big"].ref = f"A3:I{3 + 500}"
    ws["C4"].font = openpyxl.styles.Font(bold=True)       # the user restyles the amount column
    ws["K20"] = "beside the table"
    save_atomic(wb, path)
    write_table(wb := open_workbook(path), "Big", FIELDS, data.iloc[::-1].reset_index(drop=True), key=["id"],
                cached=python_values(data.iloc[::-1].reset_index(drop=True)))
    save_atomic(wb, path)
    got = read_table(open_workbook(path), "Big", FIELDS).set_index("id")
    assert got.loc["D000006", "override"] == 123 and got["override"].notna().sum() == 1
    assert got.loc["D000004", "Notes"] == "call" and got["Notes"].notna().sum() == 1
    ws = open_workbook(path).worksheets[0]
    assert ws["C300"].font.bold and ws["C300"].number_format == "#,##0.00"
    assert ws["K20"].value == "beside the table"
