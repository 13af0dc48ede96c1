"""xlsales Excel functions (UDFs): =SPLIT_TARGET(), =COMMISSION(), ...

One module for classic xlwings (Windows/macOS desktop Excel: list it under ``UDF Modules`` and click
"Import Functions"), xlwings Lite and xlwings Server. Each function is a thin wrapper over the Python
API of the same name in snake_case: the converters shape Excel's values into the API's arguments and
the result back into cells. On invalid input a function returns one cell ``#XLSALES! <message>``.
A range result is written as it is, without ``expand``: it spills in dynamic-array Excel and fills
a selected range (Ctrl+Shift+Enter) in older versions.

Options on every range argument: ``ndim=2`` so that a row and a column can be told apart (the result
keeps the orientation), ``err_to_str=True`` so that an error cell such as ``#N/A`` arrives as text
and is reported as invalid instead of being read as a blank.
"""
import xlwings as xw

import xlsales
from xlsales.excel.converters import excel_safe, optional_vector, oriented, scalar, table, vector

CATEGORY = "xlsales"
RANGE = {"ndim": 2, "err_to_str": True}
CELL = {"err_to_str": True}
# Results are already lists of rows in the input's orientation: written as they are, never expanded.
SHAPED = {"transpose": False}

TIERS_DOC = ("Two-column range: lower bound (ascending, the first 0) and rate; bounds are fractions "
             "of quota when quota > 0. 两列：下限、提成比例")
QUOTA_DOC = "Optional quota: when > 0, tier bounds are fractions of it (1 = 100%). 定额"
MODE_DOC = '"marginal" (default: each slice at its tier\'s rate) or "retro" (all at the top tier reached)'
CAP_DOC = "Optional maximum payout. 封顶金额"


@xw.func(category=CATEGORY)
@xw.arg("total", doc="The amount to split, ≥ 0. 总目标", **CELL)
@xw.arg("weights", doc="Row or column of weights ≥ 0 (blank = 0). 权重（一行或一列）", **RANGE)
@xw.arg("round_to", doc="Optional unit: every part a multiple of it, parts add up to total exactly. 取整单位",
        **CELL)
@xw.arg("locked", doc="Optional range like weights: non-blank amounts are kept as they are. 锁定金额",
        **RANGE)
@xw.ret(**SHAPED)
@excel_safe
def SPLIT_TARGET(total, weights, round_to=None, locked=None):
    """Split total in proportion to weights; with round_to the parts add up exactly. 按权重拆分目标，取整后合计不变。"""
    weights, orientation = vector(weights, "weights")
    parts = xlsales.split_target(scalar(total, "total"), weights, scalar(round_to, "round_to"),
                                 optional_vector(locked, "locked"))
    return oriented(parts, orientation)


@xw.func(category=CATEGORY)
@xw.arg("total", doc="The amount to split over one cycle. 总目标", **CELL)
@xw.arg("history", doc="Row or column of past periods, oldest first, starting at period 1. 历史数据",
        **RANGE)
@xw.arg("cycle", doc="Optional periods per cycle (default 12). 周期长度", **CELL)
@xw.arg("round_to", doc="Optional unit: every part a multiple of it. 取整单位", **CELL)
@xw.ret(**SHAPED)
@excel_safe
def SEASONAL_SPLIT(total, history, cycle=None, round_to=None):
    """Split total over one cycle by the seasonal shares in history. 按历史季节性拆分目标。"""
    history, orientation = vector(history, "history")
    parts = xlsales.seasonal_split(scalar(total, "total"), history, scalar(cycle, "cycle"),
                                   scalar(round_to, "round_to"))
    return oriented(parts, orientation)


@xw.func(category=CATEGORY)
@xw.arg("history", doc="Row or column of past periods, oldest first. 历史数据", **RANGE)
@xw.arg("growth", doc="Optional growth, default 0.1 (10%). 增长率", **CELL)
@xw.arg("method", doc='Optional "avg" (default), "wma" or "linear". 方法：平均/加权/趋势', **CELL)
@xw.arg("window", doc="Optional periods used (default 3; all of history for linear). 取数期数", **CELL)
@xw.ret(**SHAPED)
@excel_safe
def TARGET_FROM_HISTORY(history, growth=None, method=None, window=None):
    """Next period's target: forecast from history × (1 + growth), never below 0. 由历史推算下期目标。"""
    return xlsales.target_from_history(vector(history, "history")[0], scalar(growth, "growth"),
                                       scalar(method, "method"), scalar(window, "window"))


@xw.func(category=CATEGORY)
@xw.arg("actual", doc="Actual to date (blank = 0). 实际完成", **CELL)
@xw.arg("target", doc="Target, > 0. 目标", **CELL)
@xw.ret(**SHAPED)
@excel_safe
def ATTAINMENT(actual, target):
    """actual / target. 达成率。"""
    return xlsales.attainment(scalar(actual, "actual"), scalar(target, "target"))


@xw.func(category=CATEGORY)
@xw.arg("actual", doc="Actual to date. 实际完成", **CELL)
@xw.arg("elapsed", doc="Periods (e.g. working days) elapsed, > 0. 已过时间", **CELL)
@xw.arg("total", doc="Periods in the whole period, ≥ elapsed. 总时间", **CELL)
@xw.ret(**SHAPED)
@excel_safe
def RUN_RATE(actual, elapsed, total):
    """Projected landing: actual / elapsed × total. 按当前进度预测全期完成。"""
    return xlsales.run_rate(scalar(actual, "actual"), scalar(elapsed, "elapsed"), scalar(total, "total"))


@xw.func(category=CATEGORY)
@xw.arg("target", doc="Target. 目标", **CELL)
@xw.arg("actual", doc="Actual to date. 实际完成", **CELL)
@xw.arg("remaining", doc="Periods remaining, > 0 while a gap is left. 剩余时间", **CELL)
@xw.ret(**SHAPED)
@excel_safe
def REQUIRED_PACE(target, actual, remaining):
    """What must be sold per remaining period: max(target − actual, 0) / remaining. 每期所需业绩。"""
    return xlsales.required_pace(scalar(target, "target"), scalar(actual, "actual"),
                                 scalar(remaining, "remaining"))


@xw.func(category=CATEGORY)
@xw.arg("gap", doc="Amount still to close. 业绩缺口", **CELL)
@xw.arg("win_rate", doc="Win rate, above 0 and at most 1. 赢单率", **CELL)
@xw.arg("avg_deal", doc="Average deal size, > 0. 平均单额", **CELL)
@xw.ret(**SHAPED)
@excel_safe
def DEALS_NEEDED(gap, win_rate, avg_deal):
    """Opportunities needed to close the gap, rounded up. 补足缺口所需商机数。"""
    return xlsales.deals_needed(scalar(gap, "gap"), scalar(win_rate, "win_rate"),
                                scalar(avg_deal, "avg_deal"))


@xw.func(category=CATEGORY)
@xw.arg("counts", doc="Row or column of deal counts per stage, first stage first. 各阶段数量", **RANGE)
@xw.ret(**SHAPED)
@excel_safe
def FUNNEL_CONVERSION(counts):
    """Stage-to-next-stage conversion rates (one fewer than the stages); blank where a stage is 0. 阶段转化率。"""
    counts, orientation = vector(counts, "counts")
    return oriented(xlsales.funnel_conversion(counts), orientation)


@xw.func(category=CATEGORY)
@xw.arg("amounts", doc="Row or column of deal amounts. 商机金额", **RANGE)
@xw.arg("probabilities", doc="Same length: win probability of each deal, 0 to 1. 赢单概率", **RANGE)
@xw.ret(**SHAPED)
@excel_safe
def WEIGHTED_PIPELINE(amounts, probabilities):
    """Σ amount × probability. 加权管道金额。"""
    return xlsales.weighted_pipeline(vector(amounts, "amounts")[0],
                                     vector(probabilities, "probabilities")[0])


@xw.func(category=CATEGORY)
@xw.arg("opportunities", doc="Number of open opportunities. 商机数", **CELL)
@xw.arg("win_rate", doc="Win rate, 0 to 1. 赢单率", **CELL)
@xw.arg("avg_deal", doc="Average deal size. 平均单额", **CELL)
@xw.arg("cycle_days", doc="Average sales cycle in days, > 0. 销售周期（天）", **CELL)
@xw.ret(**SHAPED)
@excel_safe
def SALES_VELOCITY(opportunities, win_rate, avg_deal, cycle_days):
    """Revenue per day: opportunities × win_rate × avg_deal / cycle_days. 销售速度（每日收入）。"""
    return xlsales.sales_velocity(scalar(opportunities, "opportunities"), scalar(win_rate, "win_rate"),
                                  scalar(avg_deal, "avg_deal"), scalar(cycle_days, "cycle_days"))


@xw.func(category=CATEGORY)
@xw.arg("pipeline", doc="Open pipeline amount. 管道金额", **CELL)
@xw.arg("target", doc="Target. 目标", **CELL)
@xw.arg("closed", doc="Optional amount already closed (blank = 0). 已成交", **CELL)
@xw.ret(**SHAPED)
@excel_safe
def PIPELINE_COVERAGE(pipeline, target, closed=None):
    """pipeline / (target − closed); blank when nothing remains to cover. 管道覆盖率。"""
    return xlsales.pipeline_coverage(scalar(pipeline, "pipeline"), scalar(target, "target"),
                                     scalar(closed, "closed"))


@xw.func(category=CATEGORY)
@xw.arg("achieved", doc="Achieved amount (negative for returns). 完成业绩", **CELL)
@xw.arg("tiers", doc=TIERS_DOC, **RANGE)
@xw.arg("quota", doc=QUOTA_DOC, **CELL)
@xw.arg("mode", doc=MODE_DOC, **CELL)
@xw.arg("cap", doc=CAP_DOC, **CELL)
@xw.ret(**SHAPED)
@excel_safe
def COMMISSION(achieved, tiers, quota=None, mode=None, cap=None):
    """Tiered commission payout (marginal or retro), capped. 阶梯提成（累进或全额）。"""
    return xlsales.commission(scalar(achieved, "achieved"), table(tiers, "tiers", 2), scalar(quota, "quota"),
                              scalar(mode, "mode"), scalar(cap, "cap"))


@xw.func(category=CATEGORY)
@xw.arg("achieved", doc="Achieved amount (negative for returns). 完成业绩", **CELL)
@xw.arg("tiers", doc=TIERS_DOC, **RANGE)
@xw.arg("quota", doc=QUOTA_DOC, **CELL)
@xw.arg("mode", doc=MODE_DOC, **CELL)
@xw.arg("cap", doc=CAP_DOC, **CELL)
@xw.ret(**SHAPED)
@excel_safe
def COMMISSION_DETAIL(achieved, tiers, quota=None, mode=None, cap=None):
    """One row per tier: from, to, amount in tier, rate, payout (a last row when the cap binds). 提成明细。"""
    return xlsales.commission_detail(scalar(achieved, "achieved"), table(tiers, "tiers", 2),
                                     scalar(quota, "quota"), scalar(mode, "mode"), scalar(cap, "cap"))


@xw.func(category=CATEGORY)
@xw.arg("values", doc="Row or column of values ≥ 0, e.g. revenue per customer. 客户金额", **RANGE)
@xw.arg("a_share", doc="Optional share for class A (default 0.8). A类累计占比", **CELL)
@xw.arg("b_share", doc="Optional share for classes A+B (default 0.95). A+B类累计占比", **CELL)
@xw.ret(**SHAPED)
@excel_safe
def ABC_CLASS(values, a_share=None, b_share=None):
    """Class A, B or C for each value by its Pareto share of the total. 客户ABC分类。"""
    values, orientation = vector(values, "values")
    return oriented(xlsales.abc_class(values, scalar(a_share, "a_share"), scalar(b_share, "b_share")),
                    orientation)
