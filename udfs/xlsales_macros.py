"""xlsales ribbon macros (``@xw.sub``): after "Import Functions" each is a VBA macro of the same name.

The ribbon buttons of ``xlsales excel-setup`` call them; they can also be run from Alt+F8 or
assigned to a shape. Each refreshes the workbook it is run from with the same code as the command
line and writes back only the cells that changed (see ``xlsales.excel.live``).
"""
import xlwings as xw

from xlsales.excel import live


def _run(kind):
    book = xw.Book.caller()
    try:
        message = live.run(book, kind)
    except Exception as error:  # noqa: BLE001 - show it in Excel, not as a VBA traceback
        message = f"xlsales: {error}"
    book.app.alert(message, title="xlsales")


@xw.sub
def REFRESH_TARGETS():
    """Refresh the targets workbook: splits, summary and checks. 刷新目标分解。"""
    _run("targets")


@xw.sub
def REFRESH_FUNNEL():
    """Refresh the funnel workbook: stages, stale and slipped deals, forecast. 刷新销售漏斗。"""
    _run("funnel")


@xw.sub
def CALCULATE_COMMISSIONS():
    """Calculate payouts, tier working and statements. 计算提成。"""
    _run("commission")


@xw.sub
def WRITE_MEMOS():
    """Write the review memos beside the workbook. 生成复盘报告。"""
    _run("memos")
