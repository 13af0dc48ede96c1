"""xlsales scripts for xlwings Lite (``@script``): the ribbon's jobs that need no files, on the open workbook.

``xlsales excel-setup --kind lite`` appends this module to main.py after the Excel functions. Each
script runs the same refresh as the desktop button and the command line, on a copy of the workbook's
own tables, and writes back only what changed (``xlsales.excel.lite_book``). Run one from the xlwings
Lite task pane (pick it in the list, then Run or F5) or from a button on a sheet: draw a shape over
the cell named in ``button`` (after the sheet name), name the shape as in the brackets, and give it
a hyperlink to that same cell (docs/excel.md, "Buttons on a sheet"). The sheet names are the
workbooks' own, in English and in Chinese; tests/test_lite_scripts.py checks them against
xlsales.workbooks.targets.SHEETS and xlsales.workbooks.commission.SHEETS.
"""
import xlwings as xw
from xlwings import script

from xlsales.excel import lite_book


@script(button="[xlsales_refresh_targets]Assumptions!H3", show_taskpane=True)
def refresh_targets(book: xw.Book):
    """Refresh the targets workbook from its own sheets: splits, months, summary, checks. 刷新目标分解。"""
    lite_book.script(book, "targets")


@script(button="[xlsales_refresh_targets_zh]假设!H3", show_taskpane=True)
def refresh_targets_zh(book: xw.Book):
    """刷新目标分解（中文工作簿）：按工作簿自身的表重新分解、分月、汇总与校验。"""
    lite_book.script(book, "targets")


@script(button="[xlsales_calculate_commissions]Plan!J3", show_taskpane=True)
def calculate_commissions(book: xw.Book):
    """Recompute commission from the workbook's own tables: payouts, checks, statement lines. 计算提成。"""
    lite_book.script(book, "commission")


@script(button="[xlsales_calculate_commissions_zh]方案!J3", show_taskpane=True)
def calculate_commissions_zh(book: xw.Book):
    """计算提成（中文工作簿）：按工作簿自身的方案、档位与业绩表重新计算应发、校验与明细行。"""
    lite_book.script(book, "commission")
