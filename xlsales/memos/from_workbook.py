"""Memos from a targets workbook alone: what the ribbon's WRITE_MEMOS button runs in Excel.

The workbook holds the reps, the monthly history of actuals, the target grid and the as-of date, so the
memos need no other file. Actuals come by month (the history sheet), the way the workbook's own pacing
counts them.
"""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from xlsales.errors import InputError

_CJK = re.compile(r"[\u4e00-\u9fff]")


def workbook_language(path) -> str:
    from xlsales.workbooks.binding import open_workbook
    wb = open_workbook(path)
    try:
        return "zh" if any(_CJK.search(ws.title) for ws in wb.worksheets) else "en"
    finally:
        wb.close()


def write_memos_from_workbook(path, out_dir, lang: str | None = None, formats=("md", "html"),
                              templates=None) -> list[Path]:
    """Monthly and quarterly reviews and coaching memos for the targets workbook at ``path``."""
    from xlsales.memos.suite import write_memos
    from xlsales.workbooks.binding import WorkbookError
    from xlsales.workbooks.targets import read_monthly_targets, read_plan_inputs

    path = Path(path)
    try:
        history, roster, _settings, _overrides, as_of = read_plan_inputs(path)
        grid = read_monthly_targets(path)
    except (WorkbookError, KeyError, ValueError, TypeError) as error:
        raise InputError(f"{path.name}: memos are written from a targets workbook made by xlsales ({error})") from None
    revenue = history[history["measure"] == "revenue"]
    orders = pd.DataFrame({"date": pd.to_datetime(revenue["month"]), "rep": revenue["rep"],
                           "amount": revenue["actual"].astype(float)})
    targets = grid.loc[grid["measure"] == "revenue", ["rep", "month", "target"]]
    as_of = pd.Timestamp(as_of) if as_of is not None else orders["date"].max() + pd.offsets.MonthEnd(0)
    paths, _ = write_memos(orders, roster, targets, out_dir, lang or workbook_language(path), as_of=as_of,
                           kinds=("monthly", "quarterly", "coaching"), formats=formats, templates=templates)
    return paths
