"""xlsales ribbon macros (``@xw.sub``): after "Import Functions" each is a VBA macro of the same name.

The ribbon buttons of ``xlsales excel-setup`` call them. The optional ``control`` argument makes the
generated ``Sub REFRESH_TARGETS(Optional control)`` a valid ribbon callback (Excel passes the
button); assigned to a shape or run with ``Application.Run`` they work without it. Each refreshes
the workbook it is run from with the same code as the command line and writes back only the cells
that changed (see ``xlsales.excel.live``).
"""
import xlwings as xw

from xlsales.excel import live

CONTROL_DOC = "The ribbon button that ran the macro (passed by Excel, not used)."


def _run(kind):
    book = xw.Book.caller()
    try:
        message = live.run(book, kind)
    except Exception as error:  # noqa: BLE001 - show it in Excel, not as a VBA traceback
        message = f"xlsales: {error}"
    book.app.alert(message, title="xlsales")


@xw.sub
@xw.arg("control", doc=CONTROL_DOC)
def REFRESH_TARGETS(control=None):
    """Refresh the targets workbook: splits, summary and checks. 刷新目标分解。"""
    _run("targets")


@xw.sub
@xw.arg("control", doc=CONTROL_DOC)
def REFRESH_FUNNEL(control=None):
    """Refresh the funnel workbook: stages, stale and slipped deals, forecast. 刷新销售漏斗。"""
    _run("funnel")


@xw.sub
@xw.arg("control", doc=CONTROL_DOC)
def CALCULATE_COMMISSIONS(control=None):
    """Calculate payouts, tier working and statements. 计算提成。"""
    _run("commission")


@xw.sub
@xw.arg("control", doc=CONTROL_DOC)
def WRITE_MEMOS(control=None):
    """Write the review memos beside the workbook. 生成复盘报告。"""
    _run("memos")
