"""``xlsales check`` on a corpus of broken files: exit code 2 and a message naming file, row and column."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from xlsales.cli import main

BAD = Path(__file__).parent / "bad_inputs"

EXPECTED = {
    "missing_column.csv": "missing_column.csv: missing column amount (金额)",
    "text_in_amount.csv": "text_in_amount.csv, row 3, column amount: 'twelve' is not a number",
    "bad_date.csv": "bad_date.csv, row 3, column 日期: '2026-02-30' is not a date (write it like 2026-03-31)",
    "duplicate_rep.csv": "duplicate_rep.csv, row 4, column rep: '张伟' appears again (first in row 2); "
                         "each rep must be unique",
    "negative_amount.csv": "negative_amount.csv, row 2, column amount: '-500' is negative; it must be 0 or more",
    "empty.csv": "empty.csv: the file is empty",
    "header_only.csv": "header_only.csv: no data rows below the header",
    "utf16.csv": "utf16.csv: cannot read the file as UTF-8 or GBK text; save it from Excel as 'CSV UTF-8' or 'CSV'",
    "gbk_bad_collected.csv": "gbk_bad_collected.csv, row 2, column 回款: 'abc' is not a number",
    "duplicate_header.csv": "duplicate_header.csv, row 1, column Amount: duplicate header (same as column amount)",
    "stray_comma.csv": "stray_comma.csv, row 3: 4 cells but the header has 3; check for a stray comma",
    "bad_active.csv": "bad_active.csv, row 2, column active: "
                      "'maybe' is not yes/no (use yes/no, true/false, 1/0 or 是/否)",
}


def check(*args):
    return CliRunner().invoke(main, ["check", *map(str, args)])


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_bad_file_is_named_with_row_and_column(name):
    result = check(BAD / name)
    assert result.exit_code == 2
    assert result.stderr == f"xlsales: {EXPECTED[name]}\n"
    assert result.stdout == ""


def test_order_for_unknown_rep_names_the_orders_row():
    result = check(BAD / "orders_unknown_rep.csv", BAD / "reps.csv")
    assert result.exit_code == 2
    assert result.stderr == "xlsales: orders_unknown_rep.csv, row 3, column rep: '王五' is not in reps.csv\n"


def test_the_same_orders_alone_are_fine():
    result = check(BAD / "orders_unknown_rep.csv")
    assert result.exit_code == 0
    assert result.stdout == f"OK {BAD / 'orders_unknown_rep.csv'}: 2 rows (orders)\n"


def test_all_problems_of_several_files_are_reported_together():
    result = check(BAD / "text_in_amount.csv", BAD / "duplicate_rep.csv", BAD / "reps.csv")
    assert result.exit_code == 2
    assert result.stderr.splitlines() == [
        "xlsales: " + EXPECTED["text_in_amount.csv"],
        EXPECTED["duplicate_rep.csv"],
    ]
    assert result.stdout == f"OK {BAD / 'reps.csv'}: 2 rows (reps)\n"


def test_kind_option_overrides_detection():
    result = check("--kind", "reps", BAD / "text_in_amount.csv")
    assert result.exit_code == 2
    assert result.stderr == "xlsales: text_in_amount.csv: missing column region (区域)\n"


def test_unrecognisable_headers(tmp_path):
    path = tmp_path / "notes.csv"
    path.write_text("foo,bar\n1,2\n", encoding="utf-8")
    result = check(path)
    assert result.exit_code == 2
    assert result.stderr.startswith("xlsales: notes.csv: cannot tell what kind of file this is from its headers")
    assert result.stderr.rstrip().endswith("name it with --kind")


def test_missing_file(tmp_path):
    result = check(tmp_path / "nowhere.csv")
    assert result.exit_code == 2
    assert result.stderr == f"xlsales: nowhere.csv: file not found ({tmp_path / 'nowhere.csv'})\n"


def test_bad_cell_in_a_workbook_uses_the_sheet_row(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "订单"
    sheet.append(["日期", "销售代表", "金额"])
    sheet.append([dt.datetime(2026, 1, 5), "张伟", 1200])
    sheet.append([None, None, None])
    sheet.append([dt.datetime(2026, 1, 6), "李娜", "#N/A"])
    path = tmp_path / "orders.xlsx"
    book.save(path)
    result = check(path)
    assert result.exit_code == 2
    assert result.stderr == "xlsales: orders.xlsx, row 4, column 金额: '#N/A' is not a number\n"
