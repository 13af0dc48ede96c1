"""Loading input files: formats, encodings, headers in two languages, types, row numbers."""
from __future__ import annotations

import datetime as dt

import numpy as np
import openpyxl
import pandas as pd
import pytest

from xlsales.errors import InputFileError
from xlsales.io.loading import Column, Schema, load_table, read_raw
from xlsales.io.schemas import OPPORTUNITIES, check_orders_against_reps, detect_kind, load_orders, load_reps

ORDERS_EN = "date,rep,amount,region,note\n2026-03-31,张伟,1234.5,华东,first\n2026-04-01,李娜,500,华南,\n"
ORDERS_ZH = "日期,销售代表,金额,区域,备注\n2026-03-31,张伟,1234.5,华东,first\n2026-04-01,李娜,500,华南,\n"


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def assert_two_orders(frame):
    assert list(frame.columns[:8]) == ["date", "rep", "amount", "region", "team", "customer", "product", "collected"]
    assert list(frame.index) == [2, 3]
    assert list(frame["date"]) == [pd.Timestamp("2026-03-31"), pd.Timestamp("2026-04-01")]
    assert list(frame["rep"]) == ["张伟", "李娜"]
    assert list(frame["amount"]) == [1234.5, 500.0]
    assert list(frame["region"]) == ["华东", "华南"]
    assert frame["date"].dtype == "datetime64[ns]"
    assert frame["amount"].dtype == "float64"
    assert frame["collected"].isna().all()


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
@pytest.mark.parametrize("text", [ORDERS_EN, ORDERS_ZH], ids=["en", "zh"])
def test_csv_encodings_and_languages(tmp_path, text, encoding):
    frame = load_orders(write(tmp_path, "orders.csv", text, encoding))
    assert_two_orders(frame)
    assert frame.attrs["source"] == "orders.csv"
    assert frame.columns[-1] in ("note", "备注")  # extra column kept, after the known ones
    assert frame.iloc[0, -1] == "first" and pd.isna(frame.iloc[1, -1])


def test_headers_match_ignoring_case_spaces_and_underscores(tmp_path):
    text = " Date ,REP,Amount, Hire Date\n2026-03-31,张伟,1,x\n"
    frame = load_orders(write(tmp_path, "o.csv", text))
    assert frame.attrs["headers"]["date"] == "Date"
    assert load_orders(write(tmp_path, "y.csv", "日期,销售代表,金额（元）\n2026-03-31,张伟,1\n")).loc[2, "amount"] == 1
    problems = []
    load_orders(write(tmp_path, "w.csv", "日期,销售代表,金额(万元)\n2026-03-31,张伟,1\n"), problems)
    assert problems == ["w.csv: missing column amount (金额)"]
    reps = load_reps(write(tmp_path, "r.csv", "Rep,REGION,hire date\n张伟,华东,2020-05-06\n"))
    assert reps.loc[2, "hire_date"] == pd.Timestamp("2020-05-06")


def test_xlsx_sheet_named_like_the_kind_and_cell_types(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["this sheet explains the workbook"])
    sheet = book.create_sheet("订单")
    sheet.append(["日期", "销售代表", "金额", "回款"])
    sheet.append([dt.datetime(2026, 3, 31), "张伟", 1234.5, 1000])
    sheet.append([46113, 1001, "1,000", None])  # Excel serial for 2026-04-01; a numeric rep id
    sheet.append([None, None, None, None])  # a blank row is skipped but keeps its number
    sheet.append(["2026/4/2", "李娜", 5, 0])
    path = tmp_path / "book.xlsx"
    book.save(path)
    frame = load_orders(path)
    assert list(frame.index) == [2, 3, 5]
    assert list(frame["date"]) == [pd.Timestamp(d) for d in ("2026-03-31", "2026-04-01", "2026-04-02")]
    assert list(frame["rep"]) == ["张伟", "1001", "李娜"]
    assert list(frame["amount"]) == [1234.5, 1000.0, 5.0]
    assert frame["collected"].tolist()[0] == 1000.0 and pd.isna(frame["collected"].tolist()[1])
    assert detect_kind(path) == "orders"


def test_parquet_keeps_types(tmp_path):
    source = pd.DataFrame({
        "date": pd.to_datetime(["2026-03-31", "2026-04-01"]),
        "rep": ["张伟", "李娜"], "amount": [1234.5, 500], "region": ["华东", "华南"], "note": ["first", None],
    })
    path = tmp_path / "orders.parquet"
    source.to_parquet(path)
    assert_two_orders(load_orders(path))


def test_blank_lines_keep_spreadsheet_row_numbers(tmp_path):
    text = "date,rep,amount\n2026-01-01,a,1\n\n,,\n2026-01-02,b,2\n"
    frame = load_orders(write(tmp_path, "o.csv", text))
    assert list(frame.index) == [2, 5]
    assert frame.loc[5, "rep"] == "b"


NUMBER_CASES = [
    ("1234.5", 1234.5), ("1,234.5", 1234.5), ("¥1,234", 1234.0), ("￥ 500", 500.0), ("1，000", 1000.0),
    ("-12", -12.0), (" 7 ", 7.0), ("3元", 3.0), ("1e3", 1000.0),
]


@pytest.mark.parametrize(("text", "expected"), NUMBER_CASES)
def test_numbers(tmp_path, text, expected):
    frame = load_orders(write(tmp_path, "o.csv", f'date,rep,amount\n2026-01-01,a,"{text}"\n'))
    assert frame.loc[2, "amount"] == expected


DATE_CASES = [
    ("2026-03-31", "2026-03-31"), ("2026/3/31", "2026-03-31"), ("2026年3月31日", "2026-03-31"),
    ("2026.3.1", "2026-03-01"), ("2026-03-31 14:30:00", "2026-03-31"), ("46112", "2026-03-31"),
    ("20260331", "2026-03-31"), ("2026-3-5", "2026-03-05"), (" 2026 年 3 月 31 日 ", "2026-03-31"),
]


@pytest.mark.parametrize("text", ["2026", "2026-02-30", "31/03/2026", "next week", "2026-13-01"])
def test_not_dates(tmp_path, text):
    with pytest.raises(InputFileError) as raised:
        load_orders(write(tmp_path, "o.csv", f"date,rep,amount\n{text},a,1\n"))
    assert raised.value.problems == [f"o.csv, row 2, column date: '{text}' is not a date (write it like 2026-03-31)"]


@pytest.mark.parametrize(("text", "expected"), DATE_CASES)
def test_dates(tmp_path, text, expected):
    frame = load_orders(write(tmp_path, "o.csv", f"date,rep,amount\n{text},a,1\n"))
    assert frame.loc[2, "date"] == pd.Timestamp(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("true", True), ("FALSE", False), ("yes", True), ("No", False), ("1", True), ("0", False),
    ("是", True), ("否", False), ("Y", True), ("n", False), ("", True),  # blank → default True
])
def test_bools(tmp_path, text, expected):
    frame = load_reps(write(tmp_path, "r.csv", f"rep,region,active\na,华东,{text}\n"))
    assert bool(frame.loc[2, "active"]) is expected
    assert frame["active"].dtype == bool


def test_optional_columns_absent_get_defaults(tmp_path):
    reps = load_reps(write(tmp_path, "r.csv", "rep,region\na,华东\n"))
    assert reps["active"].tolist() == [True]
    assert reps["hire_date"].isna().all() and reps["hire_date"].dtype == "datetime64[ns]"
    assert reps["potential"].isna().all() and reps["potential"].dtype == "float64"


def test_opportunities_int_column_default_and_types(tmp_path):
    text = ("id,rep,amount,stage,created,stage_entered,expected_close,status,close_date_changes\n"
            "D1,a,100,Qualify,2026-01-01,2026-01-05,2026-03-01,open,2\n"
            "D2,b,200,Won,2026-01-02,2026-02-01,2026-02-01,won,\n")
    frame = load_table(write(tmp_path, "opps.csv", text), OPPORTUNITIES)
    assert frame["close_date_changes"].tolist() == [2, 0]
    assert frame["close_date_changes"].dtype == "int64"
    assert frame["closed_date"].isna().all()


def test_problems_list_collects_instead_of_raising(tmp_path):
    problems = []
    frame = load_orders(write(tmp_path, "o.csv", "date,rep,amount\n2026-01-01,a,x\n2026-01-02,b,2\n"), problems)
    assert problems == ["o.csv, row 2, column amount: 'x' is not a number"]
    assert list(frame.index) == [2, 3] and np.isnan(frame.loc[2, "amount"]) and frame.loc[3, "amount"] == 2.0


def test_many_problems_are_capped(tmp_path):
    rows = "".join(f"2026-01-01,a,bad{i}\n" for i in range(120))
    with pytest.raises(InputFileError) as raised:
        load_orders(write(tmp_path, "o.csv", "date,rep,amount\n" + rows))
    assert len(raised.value.problems) == 51
    assert raised.value.problems[0] == "o.csv, row 2, column amount: 'bad0' is not a number"
    assert raised.value.problems[-1] == "... and 70 more"


def test_orders_against_reps(tmp_path):
    orders = load_orders(write(tmp_path, "orders.csv", "日期,销售,金额\n2026-01-01,张伟,1\n2026-01-02,王五,2\n"))
    reps = load_reps(write(tmp_path, "reps.csv", "rep,region\n张伟,华东\n"))
    problems = []
    check_orders_against_reps(orders, reps, problems)
    assert problems == ["orders.csv, row 3, column 销售: '王五' is not in reps.csv"]


def test_read_raw_keeps_text_and_headers(tmp_path):
    raw = read_raw(write(tmp_path, "o.csv", "日期,金额\n2026/3/1,\"1,000\"\n"))
    assert list(raw.columns) == ["日期", "金额"]
    assert raw.loc[2].tolist() == ["2026/3/1", "1,000"]


def test_detect_kind(tmp_path):
    assert detect_kind(write(tmp_path, "a.csv", ORDERS_ZH)) == "orders"
    assert detect_kind(write(tmp_path, "b.csv", "销售代表,区域,经理,入职日期\na,华东,b,2020-01-01\n")) == "reps"
    opps = "商机编号,销售代表,金额,阶段,创建日期,进入阶段日期,预计成交日期,状态\n"
    assert detect_kind(write(tmp_path, "c.csv", opps)) == "opportunities"


def test_custom_schema_nonnegative_and_unique(tmp_path):
    schema = Schema("things", (Column("code", ("编码",)), Column("qty", kind="int", nonnegative=True)), unique=("code",))
    with pytest.raises(InputFileError) as raised:
        load_table(write(tmp_path, "t.csv", "编码,qty\nA,1\nA,-2\nB,1.5\n"), schema)
    assert raised.value.problems == [
        "t.csv, row 3, column qty: '-2' is negative; it must be 0 or more",
        "t.csv, row 3, column 编码: 'A' appears again (first in row 2); each code must be unique",
        "t.csv, row 4, column qty: '1.5' is not a whole number",
    ]


def test_million_rows_load(tmp_path):
    # Speed is measured in bench/, not here: this checks a million rows load whole and keep their row numbers.
    n = 1_000_000
    rng = np.random.default_rng(1)
    dates = (pd.Timestamp("2024-01-01") + pd.to_timedelta(rng.integers(0, 900, n), unit="D")).strftime("%Y-%m-%d")
    frame = pd.DataFrame({"日期": dates, "销售代表": rng.integers(0, 2000, n).astype(str),
                          "金额": rng.uniform(5000, 500000, n).round(2)})
    path = tmp_path / "big.csv"
    frame.to_csv(path, index=False)
    loaded = load_orders(path)
    assert len(loaded) == n and loaded.index[-1] == n + 1


def test_title_rows_above_the_header_are_skipped(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2026年3月销售明细"])
    sheet.append(["单位：元"])
    sheet.append(["日期", "销售代表", "金额"])
    sheet.append([dt.datetime(2026, 3, 31), "张伟", 1234.5])
    sheet.append([dt.datetime(2026, 3, 31), "李娜", "x"])
    path = tmp_path / "report.xlsx"
    book.save(path)
    problems = []
    frame = load_orders(path, problems)
    assert problems == ["report.xlsx, row 5, column 金额: 'x' is not a number"]
    assert list(frame.index) == [4, 5]
    assert frame.loc[4, "amount"] == 1234.5
    assert detect_kind(path) == "orders"


@pytest.mark.parametrize(("name", "content", "problem"), [
    ("h.xlsx", [["date", "rep", "amount"]], "h.xlsx: no data rows below the header"),
    ("e.xlsx", [], "e.xlsx: the file is empty"),
])
def test_empty_workbooks(tmp_path, name, content, problem):
    book = openpyxl.Workbook()
    for row in content:
        book.active.append(row)
    book.save(tmp_path / name)
    with pytest.raises(InputFileError) as raised:
        load_orders(tmp_path / name)
    assert raised.value.problems == [problem]


def test_unsupported_and_damaged_files(tmp_path):
    (tmp_path / "old.xls").write_bytes(b"\xd0\xcf\x11\xe0")
    (tmp_path / "bad.xlsx").write_text("not a zip")
    problems = []
    load_orders(tmp_path / "old.xls", problems)
    load_orders(tmp_path / "bad.xlsx", problems)
    assert problems == ["old.xls: old .xls workbooks are not supported; save it as .xlsx or CSV",
                        "bad.xlsx: not an Excel workbook (an .xlsx file is a zip package; this one is not)"]


def test_read_raw_blanks_are_none(tmp_path):
    raw = read_raw(write(tmp_path, "o.csv", "a,b\n1, \n"))
    assert raw.loc[2, "b"] is None and raw.loc[2, "a"] == "1"
