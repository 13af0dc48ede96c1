"""xlsales ribbon macros (``@xw.sub``): after "Import Functions" each is a VBA macro of the same name.

The ribbon buttons of the add-in ``xlsales excel-setup`` writes call them. The optional ``control``
argument makes the generated ``Sub REFRESH_TARGETS(Optional control)`` a valid ribbon callback (Excel
passes the button); assigned to a shape or run with Alt+F8 they work without it. Each refreshes the
ACTIVE workbook (the one in front of the user, never the add-in or xlsales.xlsm that holds the
macro) with the same code as the command line and writes back only what changed (see
``xlsales.excel.live``).
"""
import xlwings as xw

from xlsales.excel import live

CONTROL_DOC = "The ribbon button that ran the macro (passed by Excel, not used)."


def _active_book():
    """The workbook in front of the user. The add-in's wrappers pass it as the caller already; from
    a workbook's own VBA (xlsales.xlsm) the caller is that workbook, so ask its application."""
    return xw.Book.caller().app.books.active


def _run(kind):
    book = _active_book()
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
