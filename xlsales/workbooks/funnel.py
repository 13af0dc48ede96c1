"""The funnel workbook: stage table, deals, funnel by stage, team and rep, forecast against target,
headline figures and a funnel chart.

Python writes the deals as the CRM had them on the as-of date (with the forecast category it
assigned) and the stage table; every count, sum, rate, stale / slipped flag, gap and deals-needed
figure is a native formula over the Deals table, so editing a probability or a stale limit in the
stage table updates the workbook at once. Only the bottleneck stages are values (they need a
per-stage funnel for each rep).
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.chart import BarChart, Reference
from openpyxl.chart.label import DataLabelList
from openpyxl.formatting.rule import FormulaRule
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from xlsales.core.funnel_analysis import CATEGORY_LABELS, NOT_CREDIBLE_PUSHES, FunnelResult, analyse_funnel
from xlsales.core.stages import STATUS_LABELS
from xlsales.glossary import term
from xlsales.workbook_templates import template_path
from xlsales.core.deal_risk import assess_risk
from xlsales.workbooks.typed import report_notes
from xlsales.workbooks.funnel_sheets import (
    read_risk_rules, write_calls, write_changes, write_customers, write_risk,
)
from xlsales.workbooks.binding import (
    FORMULA, add_columns, INPUT, Field, WorkbookError, create_table, define_name, expand_formula, find_table, name_cell, open_workbook,
    save_atomic, set_cell, set_formula, table_ranges, write_table,
)
from xlsales.workbooks.sources import locate, recorded

MONEY, SHARE, DATE, COUNT, DAYS = "#,##0.00", "0.0%", "yyyy-mm-dd", "#,##0", "#,##0.0"
SHEETS = {  # key: (en, zh)
    "summary": ("Summary", "概览"), "stages": ("Stages", "阶段"), "funnel": ("Funnel", "漏斗"),
    "teams": ("Teams", "团队"), "reps": ("Reps", "销售代表"), "forecast": ("Forecast", "预测"),
    "team_forecast": ("Team forecast", "团队预测"), "watch": ("Watch", "关注商机"), "deals": ("Deals", "商机"),
}
CHART_TITLES = ("Funnel: deals that reached each stage", "销售漏斗：到达各阶段的商机数")
STALE_FILL, SLIPPED_FILL = PatternFill("solid", fgColor="F8CBAD"), PatternFill("solid", fgColor="FFEB9C")
BOTTLENECK_FILL, INPUT_FILL = PatternFill("solid", fgColor="F4B084"), PatternFill("solid", fgColor="FFF2CC")


def _words(lang: str) -> dict[str, str]:
    status, category = STATUS_LABELS["zh" if lang == "zh" else "en"], CATEGORY_LABELS["zh" if lang == "zh" else "en"]
    return {"[open]": status["open"], "[won]": status["won"], "[lost]": status["lost"],
            "[commit]": category["commit"], "[best]": category["best case"], "[pushes]": str(NOT_CREDIBLE_PUSHES)}


def _localise(template: str, lang: str) -> str:
    for word, text in _words(lang).items():
        template = template.replace(word, text)
    return template


def _figure(key: str) -> tuple[str, str]:
    """A figure's (en, zh) name from the glossary: the same words the memos and the console use."""
    return term("figure", key, "en"), term("figure", key, "zh")


def _f(key, en, zh, formula, fmt=None) -> Field:
    return Field(key, en, zh, FORMULA, formula=formula, number_format=fmt)


STAGES = (
    Field("order", "Order", "顺序", number_format="0"),
    Field("stage", "Stage", "阶段"),
    Field("probability", "Win probability", "赢单概率", INPUT, number_format=SHARE),
    Field("stale_days", "Days before stale", "滞留天数上限", INPUT, number_format="0"),
    Field("norm", "Norm conversion to next", "标准转化率", INPUT, number_format=SHARE),
)

DEALS = (
    Field("id", "Deal ID", "商机编号"), Field("rep", "Rep", "销售代表"), Field("team", "Team", "团队"),
    Field("region", "Region", "区域"), Field("customer", "Customer", "客户"), Field("stage", "Stage", "阶段"),
    Field("status", "Status", "状态"), Field("amount", "Amount", "金额", number_format=MONEY),
    Field("created", "Created", "创建日期", number_format=DATE),
    Field("stage_entered", "Stage entered", "进入阶段日期", number_format=DATE),
    Field("expected_close", "Expected close", "预计成交日期", number_format=DATE),
    Field("closed_date", "Closed", "关闭日期", number_format=DATE),
    Field("pushes", "Close date pushed", "改期次数", number_format="0"),
    Field("category", "Forecast category", "预测类别"),
    _f("stage_no", "Stage no.", "阶段序号", "MATCH({stage},{Stages.stage},0)", "0"),
    _f("probability", "Probability", "概率",
       'IF({status}="[open]",INDEX({Stages.probability},{stage_no}),IF({status}="[won]",1,0))', SHARE),
    _f("weighted", "Weighted", "加权金额", 'IF({status}="[open]",{amount}*{probability},0)', MONEY),
    _f("days_in_stage", "Days in stage", "阶段停留天数", 'IF({status}="[open]",AsOf-{stage_entered},"")', "0"),
    _f("stale", "Stale", "滞留", 'IF({status}="[open]",IF(ISNUMBER(INDEX({Stages.stale_days},{stage_no})),'
       'IF({days_in_stage}>INDEX({Stages.stale_days},{stage_no}),1,0),0),0)', "0"),
    _f("slipped", "Slipped", "延期", 'IF({status}="[open]",IF(OR({expected_close}<AsOf,{pushes}>0),1,0),0)', "0"),
    _f("not_credible", "Not credible (3+ pushes)", "改期≥3次",
       'IF({status}="[open]",IF({pushes}>=[pushes],1,0),0)', "0"),
    _f("cycle_days", "Cycle days", "成交周期（天）", 'IF({status}="[won]",{closed_date}-{created},"")', "0"),
)

FUNNEL = (
    Field("order", "Order", "顺序", number_format="0"),
    Field("stage", "Stage", "阶段"),
    _f("probability", "Win probability", "赢单概率", "INDEX({Stages.probability},{order})", SHARE),
    _f("open_deals", "Open deals", "在途商机数", 'COUNTIFS({Deals.stage_no},{order},{Deals.status},"[open]")', COUNT),
    _f("open_amount", "Open amount", "在途金额",
       'SUMIFS({Deals.amount},{Deals.stage_no},{order},{Deals.status},"[open]")', MONEY),
    _f("weighted", "Weighted pipeline", "加权管道", "SUMIFS({Deals.weighted},{Deals.stage_no},{order})", MONEY),
    _f("reached", "Reached this stage", "到达该阶段", 'COUNTIFS({Deals.stage_no},">="&{order})', COUNT),
    _f("conversion", "Conversion to next", "转化到下一阶段",
       'IF({order}>=ROWS({Stages.stage}),"",IF({reached}=0,"",'
       'COUNTIFS({Deals.stage_no},">="&({order}+1))/{reached}))', SHARE),
    _f("norm", "Norm", "标准", 'IF(ISNUMBER(INDEX({Stages.norm},{order})),INDEX({Stages.norm},{order}),"")', SHARE),
    _f("vs_norm", "Conversion ÷ norm", "转化率÷标准",
       'IF({conversion}="","",IF({norm}="","",IF({norm}<=0,"",{conversion}/{norm})))', "0.00"),
    _f("stale", "Stale deals", "滞留商机", "COUNTIFS({Deals.stage_no},{order},{Deals.stale},1)", COUNT),
    _f("slipped", "Slipped deals", "延期商机", "COUNTIFS({Deals.stage_no},{order},{Deals.slipped},1)", COUNT),
)


def _deals(col: str) -> str:
    """The rows of Deals column ``col`` that hold this row's group (``deals_first``..``deals_last``, written
    by Python): a per-rep or per-team formula looks at its own deals, not the whole table, so that
    recalculating the workbook grows with the deals, not with deals × reps."""
    return f"INDEX({{Deals.{col}}},{{deals_first}}):INDEX({{Deals.{col}}},{{deals_last}})"


# Where a group's deals are in the Deals table; the group criterion stays in every formula, so a range
# that holds other deals too (Deals re-sorted by hand) still counts only the group's own.
DEAL_ROWS = (Field("deals_first", "First deal (row in Deals)", "首个商机（商机表行号）", number_format="0"),
             Field("deals_last", "Last deal (row in Deals)", "最后商机（商机表行号）", number_format="0"))


def _group_fields(key: str, en: str, zh: str) -> tuple[Field, ...]:
    """Metrics per team or per rep; ``key`` is the Deals column the group is matched on."""
    crit = f"{_deals(key)},{{{key}}}"
    status, amount = _deals("status"), _deals("amount")
    lead = (Field("rep", "Rep", "销售代表"), Field("team", "Team", "团队")) if key == "rep" else (Field(key, en, zh),)
    return lead + (
        _f("open_deals", "Open deals", "在途商机数", f'COUNTIFS({crit},{status},"[open]")', COUNT),
        _f("open_amount", "Open pipeline", "在途金额", f'SUMIFS({amount},{crit},{status},"[open]")', MONEY),
        _f("weighted", "Weighted pipeline", "加权管道", f"SUMIFS({_deals('weighted')},{crit})", MONEY),
        _f("won", "Won", "赢单数", f'COUNTIFS({crit},{status},"[won]")', COUNT),
        _f("lost", "Lost", "输单数", f'COUNTIFS({crit},{status},"[lost]")', COUNT),
        _f("won_amount", "Won amount", "赢单金额", f'SUMIFS({amount},{crit},{status},"[won]")', MONEY),
        _f("win_rate", "Win rate", "赢率", 'IF({won}+{lost}=0,"",{won}/({won}+{lost}))', SHARE),
        _f("avg_deal", "Average deal", "平均单额", 'IF({won}=0,"",{won_amount}/{won})', MONEY),
        _f("cycle_days", "Cycle days", "平均成交周期（天）",
           f'IF({{won}}=0,"",AVERAGEIFS({_deals("cycle_days")},{crit},{status},"[won]"))', DAYS),
        _f("velocity", "Sales velocity (per day)", "销售速度（每天）",
           'IF({win_rate}="","",IF({avg_deal}="","",IF({cycle_days}="","",IF({cycle_days}<=0,"",'
           '{open_deals}*{win_rate}*{avg_deal}/{cycle_days}))))', MONEY),
        _f("stale", "Stale deals", "滞留商机", f"COUNTIFS({crit},{_deals('stale')},1)", COUNT),
        _f("slipped", "Slipped deals", "延期商机", f"COUNTIFS({crit},{_deals('slipped')},1)", COUNT),
        _f("not_credible", "Not credible", "改期≥3次", f"COUNTIFS({crit},{_deals('not_credible')},1)", COUNT),
        Field("bottleneck", "Bottleneck stage", "瓶颈阶段"),
    ) + DEAL_ROWS


TEAMS = _group_fields("team", "Team", "团队")
REPS = _group_fields("rep", "Rep", "销售代表")

_DUE = f'{_deals("rep")},{{rep}},{_deals("status")},"[open]",{_deals("expected_close")},"<="&PeriodEnd'
# RepFunnel lists the reps in the order RepForecast does: look on this row first, MATCH only if it is not there.
_SAME_ROW = "(ROW()-ROW({RepForecast.rep:first})+1)"
_REP_ROW = (f"IF(IFERROR(INDEX({{RepFunnel.rep}},{_SAME_ROW})={{rep}},FALSE),{_SAME_ROW},"
            "MATCH({rep},{RepFunnel.rep},0))")
FORECAST = (
    Field("rep", "Rep", "销售代表"), Field("team", "Team", "团队"),
    Field("target", "Target (period)", "期间目标", INPUT, number_format=MONEY),
    _f("closed", "Closed won", "已成交", f'SUMIFS({_deals("amount")},{_deals("rep")},{{rep}},{_deals("status")},"[won]",'
       f'{_deals("closed_date")},">="&PeriodStart,{_deals("closed_date")},"<="&AsOf)', MONEY),
    _f("gap", *_figure("gap_closed_won"), 'IF({target}="","",MAX({target}-{closed},0))', MONEY),
    _f("pipeline", "Open pipeline due", "期内在途金额", f"SUMIFS({_deals('amount')},{_DUE})", MONEY),
    _f("weighted", "Weighted", "加权金额", f"SUMIFS({_deals('weighted')},{_DUE})", MONEY),
    _f("commit", "Commit", "承诺", f'SUMIFS({_deals("amount")},{_DUE},{_deals("category")},"[commit]")', MONEY),
    _f("best_case", "Best case", "最佳情况", f'SUMIFS({_deals("amount")},{_DUE},{_deals("category")},"[best]")', MONEY),
    _f("forecast", "Forecast (closed + commit)", "预测（已成交+承诺）", "{closed}+{commit}", MONEY),
    _f("coverage", "Coverage of remaining target", "剩余目标覆盖率",
       'IF({target}="","",IF({target}-{closed}<=0,"",{pipeline}/({target}-{closed})))', "0.00"),
    _f("win_rate", "Win rate", "赢率", f"INDEX({{RepFunnel.win_rate}},{_REP_ROW})", SHARE),
    _f("avg_deal", "Average deal", "平均单额", f"INDEX({{RepFunnel.avg_deal}},{_REP_ROW})", MONEY),
    _f("deals_needed", *_figure("deals_needed"),
       'IF({gap}="","",IF({win_rate}="","",IF({avg_deal}="","",IF({win_rate}*{avg_deal}<=0,"",'
       'MAX(0,ROUNDUP({gap}/({win_rate}*{avg_deal})-MAX(1E-9,ABS({gap}/({win_rate}*{avg_deal}))*1E-12),0))))))', COUNT),
) + DEAL_ROWS


def _team_sum(key, en, zh) -> Field:
    return _f(key, en, zh, f"SUMIFS({{RepForecast.{key}}},{{RepForecast.team}},{{team}})", MONEY)


TEAM_FORECAST = (
    Field("team", "Team", "团队"),
    _f("target", "Target (period)", "期间目标", 'IF(COUNTIFS({RepForecast.team},{team},{RepForecast.target},"<>")=0,"",'
       "SUMIFS({RepForecast.target},{RepForecast.team},{team}))", MONEY),
    _team_sum("closed", "Closed won", "已成交"),
    _f("gap", *_figure("gap_closed_won"), 'IF({target}="","",MAX({target}-{closed},0))', MONEY),
    _team_sum("pipeline", "Open pipeline due", "期内在途金额"),
    _team_sum("weighted", "Weighted", "加权金额"),
    _team_sum("commit", "Commit", "承诺"),
    _team_sum("best_case", "Best case", "最佳情况"),
    _f("forecast", "Forecast (closed + commit)", "预测（已成交+承诺）", "{closed}+{commit}", MONEY),
    _f("coverage", "Coverage of remaining target", "剩余目标覆盖率",
       'IF({target}="","",IF({target}-{closed}<=0,"",{pipeline}/({target}-{closed})))', "0.00"),
    _f("win_rate", "Win rate", "赢率", "INDEX({TeamFunnel.win_rate},MATCH({team},{TeamFunnel.team},0))", SHARE),
    _f("avg_deal", "Average deal", "平均单额", "INDEX({TeamFunnel.avg_deal},MATCH({team},{TeamFunnel.team},0))", MONEY),
    next(f for f in FORECAST if f.key == "deals_needed"),
)


# The deal's row in Deals, written by Python, checked against the id (MATCH only if it is not there).
_DEAL_ROW = "IF(INDEX({Deals.id},{deal_row})={id},{deal_row},MATCH({id},{Deals.id},0))"


def _from_deal(key, en, zh, fmt="0") -> Field:
    return _f(key, en, zh, f"INDEX({{Deals.{key}}},{_DEAL_ROW})", fmt)


# Open deals that are stale or slipped, largest first; the flags follow the Deals sheet.
WATCH = (
    Field("id", "Deal ID", "商机编号"), Field("rep", "Rep", "销售代表"), Field("customer", "Customer", "客户"),
    Field("stage", "Stage", "阶段"), Field("amount", "Amount", "金额", number_format=MONEY),
    Field("expected_close", "Expected close", "预计成交日期", number_format=DATE),
    _from_deal("days_in_stage", "Days in stage", "阶段停留天数"),
    _f("stale_limit", "Days before stale", "滞留天数上限",
       'IF(ISNUMBER(INDEX({Stages.stale_days},MATCH({stage},{Stages.stage},0))),'
       'INDEX({Stages.stale_days},MATCH({stage},{Stages.stage},0)),"")', "0"),
    _from_deal("pushes", "Close date pushed", "改期次数"),
    _from_deal("stale", "Stale", "滞留"), _from_deal("slipped", "Slipped", "延期"),
    _from_deal("not_credible", "Not credible (3+ pushes)", "改期≥3次"),
    Field("reason", "Why it is on the list", "关注原因"),
    Field("deal_row", "Row in Deals", "商机表行号", number_format="0"),
)

# table name: (sheet key, fields, top-left cell, row key)
TABLES = {
    "Stages": ("stages", STAGES, "A3", ("stage",)),
    "Deals": ("deals", DEALS, "A3", ("id",)),
    "StageFunnel": ("funnel", FUNNEL, "A3", ("stage",)),
    "TeamFunnel": ("teams", TEAMS, "A3", ("team",)),
    "RepFunnel": ("reps", REPS, "A3", ("rep",)),
    "RepForecast": ("forecast", FORECAST, "A3", ("rep",)),
    "TeamForecast": ("team_forecast", TEAM_FORECAST, "A3", ("team",)),
    "WatchList": ("watch", WATCH, "A3", ("id",)),
}

_WON, _LOST = 'COUNTIFS({Deals.status},"[won]")', 'COUNTIFS({Deals.status},"[lost]")'
# Headline figures on the summary sheet, bound by defined name: (name, en, zh, formula or None, format)
HEADLINES = (
    ("AsOf", "As of", "截至日期", None, DATE),
    ("PeriodStart", "Period start", "期间开始", None, DATE),
    ("PeriodEnd", "Period end", "期间结束", None, DATE),
    ("OpenDeals", "Open deals", "在途商机数", 'COUNTIFS({Deals.status},"[open]")', COUNT),
    ("OpenPipeline", "Open pipeline", "在途金额", 'SUMIFS({Deals.amount},{Deals.status},"[open]")', MONEY),
    ("WeightedPipeline", "Weighted pipeline", "加权管道", "SUM({Deals.weighted})", MONEY),
    ("WinRate", "Win rate", "赢率", f'IF({_WON}+{_LOST}=0,"",{_WON}/({_WON}+{_LOST}))', SHARE),
    ("AvgDeal", "Average deal", "平均单额",
     f'IF({_WON}=0,"",SUMIFS({{Deals.amount}},{{Deals.status}},"[won]")/{_WON})', MONEY),
    ("CycleDays", "Cycle days", "平均成交周期（天）",
     f'IF({_WON}=0,"",AVERAGEIFS({{Deals.cycle_days}},{{Deals.status}},"[won]"))', DAYS),
    ("Velocity", "Sales velocity (per day)", "销售速度（每天）",
     'IF(WinRate="","",IF(AvgDeal="","",IF(CycleDays="","",IF(CycleDays<=0,"",OpenDeals*WinRate*AvgDeal/CycleDays))))',
     MONEY),
    ("StaleDeals", "Stale deals", "滞留商机", "SUM({Deals.stale})", COUNT),
    ("SlippedDeals", "Slipped deals", "延期商机", "SUM({Deals.slipped})", COUNT),
    ("NotCredible", "Close date not credible (3+ pushes)", "改期≥3次", "SUM({Deals.not_credible})", COUNT),
    ("Bottleneck", "Bottleneck stage", "瓶颈阶段", None, None),
    ("Target", *_figure("period_target"), 'IF(COUNT({RepForecast.target})=0,"",SUM({RepForecast.target}))', MONEY),
    ("Closed", *_figure("closed_won"), "SUM({RepForecast.closed})", MONEY),
    ("Gap", *_figure("gap_closed_won"), 'IF(Target="","",MAX(Target-Closed,0))', MONEY),
    ("PipelineDue", "Open pipeline due in period", "期内在途金额", "SUM({RepForecast.pipeline})", MONEY),
    ("Commit", "Commit", "承诺", "SUM({RepForecast.commit})", MONEY),
    ("BestCase", "Best case", "最佳情况", "SUM({RepForecast.best_case})", MONEY),
    ("ForecastTotal", "Forecast (closed + commit)", "预测（已成交+承诺）", "Closed+Commit", MONEY),
    ("Coverage", "Coverage of remaining target", "剩余目标覆盖率",
     'IF(Target="","",IF(Target-Closed<=0,"",PipelineDue/(Target-Closed)))', "0.00"),
    ("DealsNeeded", *_figure("deals_needed"),
     'IF(Gap="","",IF(WinRate="","",IF(AvgDeal="","",IF(WinRate*AvgDeal<=0,"",'
     'MAX(0,ROUNDUP(Gap/(WinRate*AvgDeal)-MAX(1E-9,ABS(Gap/(WinRate*AvgDeal))*1E-12),0))))))', COUNT),
)


# ------------------------------------------------------------------------------- template


def localised_fields(fields, lang: str) -> tuple[Field, ...]:
    """The fields with status and category words in the formulas in ``lang``."""
    return tuple(Field(f.key, f.en, f.zh, f.kind, _localise(f.formula, lang) if f.formula else None,
                       f.number_format) for f in fields)


def build_template(lang: str = "en") -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = {key: wb.create_sheet(zh if lang == "zh" else en) for key, (en, zh) in SHEETS.items()}
    bold = Font(bold=True, size=13)
    for key, ws in sheets.items():
        ws["A1"] = f"xlsales — {ws.title}"
        ws["A1"].font = bold
    for name, (sheet, fields, top_left, _) in TABLES.items():
        create_table(sheets[sheet], name, localised_fields(fields, lang), top_left, lang, width=15)
        for i, f in enumerate(fields):         # where a row's deals are: for the formulas, not for reading
            if f.key in ("deals_first", "deals_last", "deal_row"):
                sheets[sheet].column_dimensions[get_column_letter(i + 1)].hidden = True
    for i, (name, en, zh, _, fmt) in enumerate(HEADLINES, start=3):
        ws = sheets["summary"]
        ws.cell(i, 1, zh if lang == "zh" else en)
        if fmt:
            ws.cell(i, 2).number_format = fmt
        define_name(wb, name, ws.title, f"$B${i}")
    sheets["summary"].column_dimensions["A"].width = 36
    sheets["summary"].column_dimensions["B"].width = 20
    note = ("Edit probabilities, stale limits and norms here; the other sheets follow."
            if lang != "zh" else "在此修改赢单概率、滞留天数和标准转化率，其他工作表随之更新。")
    sheets["stages"]["A2"] = note
    for key, ws in sheets.items():
        if key != "stages":
            ws.protection.sheet = True
        if key != "summary":
            ws.freeze_panes = "B4"                      # header row and first column stay in view
        ws.page_setup.orientation = "landscape"
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True
    _write_headlines(wb, lang, {name: 1 for name in TABLES})
    _add_chart(wb, lang, 1)
    return wb


def _write_headlines(wb, lang: str, rows: dict[str, int], summary: pd.Series | None = None) -> None:
    """Labels and formulas of the headline figures; with ``summary`` (metric → value), Python's values as
    the formulas' cached results."""
    ranges = {}
    for name, (_, fields, _, _) in TABLES.items():
        ranges.update(table_ranges(wb, name, fields, rows[name]))
    for name, en, zh, formula, fmt in HEADLINES:
        cell = name_cell(wb, name)
        label = cell.offset(0, -1)
        if label.value in (None, en, zh):
            label.value = zh if lang == "zh" else en
        if fmt:
            cell.number_format = fmt
        if formula:
            text = "=" + expand_formula(_localise(formula, lang), cell.row, {}, ranges)
            if summary is not None and name in HEADLINE_METRICS:
                set_formula(cell, text, _as_cell(pd.Series([summary.get(HEADLINE_METRICS[name])], dtype=object))[0])
            else:
                cell.value = text


def _add_chart(wb, lang: str, rows: int) -> None:
    """A horizontal bar per stage (deals that reached it), widest at the top: a funnel. openpyxl
    keeps charts it reads, so the old one is taken off first and the new one spans today's rows."""
    ws, table = find_table(wb, "StageFunnel")
    ws._charts = [c for c in ws._charts if _chart_title(c) not in CHART_TITLES]
    ranges = table_ranges(wb, "StageFunnel", FUNNEL, rows)
    _, stage_col, top, bottom = ranges[("StageFunnel", "stage")]
    _, reached_col, _, _ = ranges[("StageFunnel", "reached")]
    from openpyxl.utils import column_index_from_string
    chart = BarChart()
    chart.type = "bar"
    chart.style = 10
    chart.title = CHART_TITLES[1] if lang == "zh" else CHART_TITLES[0]
    chart.legend = None
    chart.y_axis.title = None
    chart.x_axis.scaling.orientation = "maxMin"   # first stage on top
    chart.x_axis.delete = False
    chart.y_axis.delete = False
    data = Reference(ws, min_col=column_index_from_string(reached_col), min_row=top - 1, max_row=bottom)
    cats = Reference(ws, min_col=column_index_from_string(stage_col), min_row=top, max_row=bottom)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(cats)
    chart.dataLabels = DataLabelList()
    chart.dataLabels.showVal = True
    chart.dataLabels.showCatName = chart.dataLabels.showSerName = chart.dataLabels.showLegendKey = False
    chart.height, chart.width = 8, 16
    ws.add_chart(chart, "A12" if rows < 8 else f"A{bottom + 3}")


def _chart_title(chart) -> str | None:
    try:
        return "".join(r.t for p in chart.title.tx.rich.p for r in (p.r or []))
    except AttributeError:
        return None


# ------------------------------------------------------------------------------- filling


def table_frames(result: FunnelResult, lang: str = "en") -> dict[str, pd.DataFrame]:
    """What Python writes into each table (formula columns are left to the workbook)."""
    status = STATUS_LABELS["zh" if lang == "zh" else "en"]
    category = CATEGORY_LABELS["zh" if lang == "zh" else "en"]
    d = result.deals
    deals = pd.DataFrame({
        "id": d["id"], "rep": d["rep"], "team": d["team"],
        "region": d["region"] if "region" in d else None, "customer": d["customer"] if "customer" in d else None,
        "stage": d["stage"], "status": d["status"].map(status), "amount": d["amount"], "created": d["created"],
        "stage_entered": d["stage_entered"], "expected_close": d["expected_close"], "closed_date": d["closed_date"],
        "pushes": d["pushes"], "category": d["category"].map(category),
    }).sort_values(["team", "rep", "created", "id"], kind="stable")     # a team's and a rep's deals together
    stages = result.stages[["order", "stage", "probability", "stale_days", "norm"]]
    reps = result.by_rep.sort_values(["team", "rep"], kind="stable")
    forecast = result.forecast.set_index("rep").reindex(
        list(dict.fromkeys([*reps["rep"], *result.forecast["rep"]]))).dropna(how="all").reset_index()
    frames = {
        "Stages": stages,
        "Deals": deals,
        "StageFunnel": result.by_stage.rename(columns={"stage_no": "order"})[["order", "stage"]],
        "TeamFunnel": _with_deal_rows(result.by_team[["team", "bottleneck"]], deals, "team"),
        "RepFunnel": _with_deal_rows(reps[["rep", "team", "bottleneck"]], deals, "rep"),
        "RepForecast": _with_deal_rows(forecast[["rep", "team", "target"]], deals, "rep"),
    }
    watch = watch_list(result, lang)
    position = pd.Series(np.arange(1, len(deals) + 1), index=deals["id"].to_numpy())
    frames["WatchList"] = watch.assign(deal_row=position.reindex(watch["id"]).to_numpy()) if len(watch) else watch
    frames["TeamForecast"] = result.forecast_by_team[["team"]]
    if result.forecast["target"].isna().all():
        frames["RepForecast"] = frames["RepForecast"].drop(columns="target")  # keep targets typed by hand
    return frames


def cached_values(result: FunnelResult, frames: dict[str, pd.DataFrame]) -> dict[str, dict[str, pd.Series]]:
    """Python's value of every formula column, row by row as ``frames`` lists them: written as the formulas'
    cached results, so that Excel and LibreOffice show the workbook without recalculating it."""
    deals = result.deals.set_index("id")
    stale_limit = result.stages.set_index("stage")["stale_days"]
    sources = {
        "Deals": deals.loc[frames["Deals"]["id"]],
        "StageFunnel": result.by_stage.set_index("stage").loc[frames["StageFunnel"]["stage"]],
        "TeamFunnel": result.by_team.set_index("team").loc[frames["TeamFunnel"]["team"]],
        "RepFunnel": result.by_rep.set_index("rep").loc[frames["RepFunnel"]["rep"]],
        "RepForecast": result.forecast.set_index("rep").loc[frames["RepForecast"]["rep"]],
        "TeamForecast": result.forecast_by_team.set_index("team").loc[frames["TeamForecast"]["team"]],
        "WatchList": deals.loc[frames["WatchList"]["id"]].assign(
            stale_limit=stale_limit.reindex(frames["WatchList"]["stage"]).to_numpy()),
    }
    out = {}
    for name, source in sources.items():
        fields = TABLES[name][1]
        out[name] = {f.key: _as_cell(source[f.key]) for f in fields if f.kind == FORMULA and f.key in source}
    return out


def _as_cell(values: pd.Series) -> pd.Series:
    """Flags as the 1/0 the formulas give; a blank as the "" they give."""
    values = values.reset_index(drop=True)
    if pd.api.types.is_bool_dtype(values):
        return values.astype("int64")
    if values.dtype == object:
        return values.map(lambda v: 1 if v is True else 0 if v is False else "" if v is None or v != v else v)
    return values


# Headline name → the metric of ``FunnelResult.summary`` that is its value.
HEADLINE_METRICS = {
    "OpenDeals": "open_deals", "OpenPipeline": "open_pipeline", "WeightedPipeline": "weighted_pipeline",
    "WinRate": "win_rate", "AvgDeal": "avg_deal", "CycleDays": "cycle_days", "Velocity": "velocity",
    "StaleDeals": "stale_deals", "SlippedDeals": "slipped_deals", "NotCredible": "not_credible", "Target": "target",
    "Closed": "closed", "Gap": "gap", "PipelineDue": "pipeline_in_period", "Commit": "commit", "BestCase": "best_case",
    "ForecastTotal": "forecast", "Coverage": "coverage", "DealsNeeded": "deals_needed",
}


def _with_deal_rows(frame: pd.DataFrame, deals: pd.DataFrame, key: str) -> pd.DataFrame:
    """``frame`` with the first and last row (1-based, in the Deals table as written) of each group's deals;
    a group without deals points at row 1, which its criterion then leaves out."""
    rows = pd.DataFrame({key: deals[key].to_numpy(), "row": np.arange(1, len(deals) + 1)}).groupby(key)["row"]
    first, last = rows.min(), rows.max()
    return frame.assign(deals_first=first.reindex(frame[key]).fillna(1).astype("int64").to_numpy(),
                        deals_last=last.reindex(frame[key]).fillna(1).astype("int64").to_numpy())


def watch_list(result: FunnelResult, lang: str = "en") -> pd.DataFrame:
    """Open deals that are stale or slipped, largest amount first, with the reason in words."""
    d = result.deals
    w = d.loc[d["is_open"] & (d["stale"] | d["slipped"])].sort_values(["amount", "id"], ascending=[False, True],
                                                                        kind="stable")
    columns = ["id", "rep", "customer", "stage", "amount", "expected_close", "reason"]
    if w.empty:
        return pd.DataFrame(columns=columns)
    limit = result.stages.set_index("stage")["stale_days"].reindex(w["stage"]).to_numpy()
    days = w["days_in_stage"].astype("int64").astype(str)
    limit_text = pd.Series([f"{v:g}" for v in limit], index=w.index, dtype=object)
    close = w["expected_close"].dt.strftime("%Y-%m-%d")
    pushes = w["pushes"].astype(str)
    if lang == "zh":
        parts = (("" + w["stage"] + "阶段停留" + days + "天（上限" + limit_text + "天）").where(w["stale"], ""),
                 ("预计成交日期" + close + "已过").where(w["past_due"], ""),
                 ("改期" + pushes + "次" + np.where(w["not_credible"], "（不可信）", "")).where(w["pushes"] > 0, ""))
        sep = "；"
    else:
        parts = ((days + " days in " + w["stage"] + " (limit " + limit_text + ")").where(w["stale"], ""),
                 ("expected close " + close + " has passed").where(w["past_due"], ""),
                 ("close date pushed " + pushes + "×" + np.where(w["not_credible"], " (not credible)", ""))
                 .where(w["pushes"] > 0, ""))
        sep = "; "
    reason = pd.concat(parts, axis=1).apply(lambda row: sep.join(p for p in row if p), axis=1)
    return pd.DataFrame({"id": w["id"], "rep": w["rep"], "customer": w.get("customer"), "stage": w["stage"],
                         "amount": w["amount"], "expected_close": w["expected_close"], "reason": reason})


def write_funnel_workbook(result: FunnelResult, path, lang: str = "en", template=None,
                          sources: dict | None = None) -> Path:
    """Fill the template, or refresh ``path`` in place when it exists (user columns, inputs and
    styles survive), and save atomically. ``sources``: the input files by option name (opportunities,
    reps, stages, targets, target_file) and the period, recorded so that a refresh can re-read them."""
    path = Path(path)
    refreshing = path.exists()
    if refreshing or template is not None:
        wb = open_workbook(path if refreshing else template)
    else:
        shipped = template_path("funnel", lang)
        wb = open_workbook(shipped) if shipped.exists() else build_template(lang)
    frames = table_frames(result, lang)
    for name, (_, fields, _, _) in TABLES.items():
        add_columns(wb, name, fields, ("deals_first", "deals_last", "deal_row"), lang)
    rows = {name: len(frames[name]) for name in TABLES}
    ranges = {}
    for name, (_, fields, _, _) in TABLES.items():
        ranges.update(table_ranges(wb, name, fields, rows[name]))
    cached = cached_values(result, frames)
    for name, (_, fields, _, key) in TABLES.items():
        write_table(wb, name, localised_fields(fields, lang), frames[name], lang, key=list(key),
                    formula_ranges=ranges, cached=cached[name] if name in cached else None)
    for name, value in (("AsOf", result.as_of), ("PeriodStart", result.period_start),
                        ("PeriodEnd", result.period_end)):
        set_cell(name_cell(wb, name), pd.Timestamp(value).to_pydatetime())
    write_changes(wb, result.changes, lang, ranges, STATUS_LABELS["zh" if lang == "zh" else "en"]["open"])
    write_risk(wb, result, lang, ranges)
    write_customers(wb, result, lang, ranges, STATUS_LABELS["zh" if lang == "zh" else "en"]["open"])
    write_calls(wb, result, lang, ranges)
    bottleneck = result.summary.set_index("metric")["value"].get("bottleneck")
    set_cell(name_cell(wb, "Bottleneck"), bottleneck if isinstance(bottleneck, str) else None)
    _write_headlines(wb, lang, rows, result.summary.set_index("metric")["value"])
    _highlight(wb, ranges, rows)
    _add_chart(wb, lang, rows["StageFunnel"])
    if sources is not None:
        _record_sources(wb, sources, path)
        _record_stages(wb, result.stages)
    return save_atomic(wb, path)


# Where the workbook came from, on a hidden sheet bound by defined names (the ribbon's Refresh reads it).
SOURCES_SHEET = "xlsales_sources"
SOURCES = (("SourceOpportunities", "opportunities"), ("SourceReps", "reps"), ("SourceStages", "stages"),
           ("SourceTargets", "targets"), ("SourceTargetFile", "target_file"), ("FunnelPeriod", "period"))


def _record_sources(wb, sources: dict, path) -> None:
    """Column B: each input relative to the workbook (what a refresh tries first); C: its absolute path."""
    ws = wb[SOURCES_SHEET] if SOURCES_SHEET in wb.sheetnames else wb.create_sheet(SOURCES_SHEET)
    ws.sheet_state = "hidden"
    for row, (name, option) in enumerate(SOURCES, start=1):
        value = sources.get(option)
        relative, absolute = (value, None) if option == "period" else recorded(value, path)
        ws.cell(row, 1).value = option
        set_cell(ws.cell(row, 2), relative)
        set_cell(ws.cell(row, 3), absolute)
        define_name(wb, name, SOURCES_SHEET, f"$B${row}")


STAGE_RECORD_COLUMN = 5     # on the sources sheet, columns E:H: the stage table as last written
STAGE_EDITS = (("probability", 0.0, 1.0), ("stale_days", 0.0, 36500.0), ("norm", 0.0, 1.0))


def _record_stages(wb, stages: pd.DataFrame) -> None:
    """The stage table as written, so that a re-run tells a value typed on the Stages sheet (kept) from
    one that only follows a changed stage file."""
    ws = wb[SOURCES_SHEET] if SOURCES_SHEET in wb.sheetnames else wb.create_sheet(SOURCES_SHEET)
    ws.sheet_state = "hidden"
    first = STAGE_RECORD_COLUMN
    for r in range(1, ws.max_row + 1):
        for c in range(first, first + 2 + len(STAGE_EDITS)):
            ws.cell(r, c).value = None
    kept = stages.attrs.get("kept_edits", {})
    for c, key in enumerate(("stage", *(k for k, _, _ in STAGE_EDITS), "kept"), start=first):
        ws.cell(1, c).value = key
    for r, row in enumerate(stages.itertuples(index=False), start=2):
        ws.cell(r, first).value = str(row.stage)
        for c, (key, _, _) in enumerate(STAGE_EDITS, start=first + 1):
            value = getattr(row, key)
            ws.cell(r, c).value = None if pd.isna(value) else float(value)
        ws.cell(r, first + 1 + len(STAGE_EDITS)).value = ",".join(sorted(kept.get(str(row.stage).lower(), ()))) or None


def _recorded_stages(wb) -> dict[str, dict[str, float]] | None:
    if SOURCES_SHEET not in wb.sheetnames:
        return None
    ws, first = wb[SOURCES_SHEET], STAGE_RECORD_COLUMN
    if ws.cell(1, first).value != "stage":
        return None
    out = {}
    for r in range(2, ws.max_row + 1):
        name = ws.cell(r, first).value
        if name is not None:
            kept = str(ws.cell(r, first + 1 + len(STAGE_EDITS)).value or "").split(",")
            out[str(name).strip().lower()] = {key: (ws.cell(r, c).value, key in kept)
                                              for c, (key, _, _) in enumerate(STAGE_EDITS, start=first + 1)}
    return out


def _same(a, b) -> bool:
    a_missing, b_missing = a is None or pd.isna(a), b is None or pd.isna(b)
    return (a_missing and b_missing) or (not a_missing and not b_missing and abs(float(a) - float(b)) < 1e-9)


def keep_stage_edits(path, stages: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The stage table with the values a user typed on the Stages sheet of the funnel workbook at ``path``
    (a re-run or refresh keeps them: the sheet says "edit probabilities, stale limits and norms here"), and
    a note for each. A value differs from what was last written there: it is the user's. A typed value that
    cannot be used (text, outside 0–100 %) is an InputFileError naming its cell; nothing is written."""
    from xlsales.core.stages import complete_stages
    from xlsales.errors import InputError, InputFileError
    from xlsales.workbooks.typed import TypedCells

    path = Path(path)
    if not path.is_file():
        return stages, []
    try:
        wb = open_workbook(path)
        find_table(wb, "Stages")
    except Exception:  # noqa: BLE001 - not a funnel workbook: the write says so
        return stages, []
    cells = TypedCells(wb, path)
    record = _recorded_stages(wb)
    names = [c.value for c in cells.column("Stages", STAGES, "stage")[0]]
    position = {str(n).strip().lower(): i for i, n in enumerate(stages["stage"])}
    out = stages.copy()
    p = out["probability"].to_numpy(dtype=float)
    implied = np.append(np.divide(p[:-1], p[1:], out=np.full(len(p) - 1, np.nan), where=p[1:] > 0), np.nan)
    derived = [_same(n, i) for n, i in zip(out["norm"], implied)]   # norms the table did not state
    notes, edited_norm, kept = [], set(), {}
    for key, low, high in STAGE_EDITS:
        column, header = cells.column("Stages", STAGES, key)
        for name, cell in zip(names, column):
            i = position.get(str(name).strip().lower()) if name is not None else None
            if i is None or (key == "norm" and i == len(out) - 1):
                continue
            if cell.value is None:       # a blank never erases: the stage table's value stands
                continue
            typed = cells.number(cell, low, high, header, blank=float("nan"),
                                 unit=" (a fraction: 0.5 is 50 %)" if key != "stale_days" else " days")
            # the user's: a value other than the one last written, or one kept as the user's last time
            written, was_kept = ((record or {}).get(str(name).strip().lower(), {}).get(key, (None, False))
                                 if record is not None else (out.at[i, key], False))
            if pd.isna(typed) or (_same(typed, written) and not was_kept) or _same(typed, out.at[i, key]):
                continue
            kept.setdefault(str(out.at[i, "stage"]).lower(), set()).add(key)
            notes.append(f"{cells.where(cell, header)}: kept {typed:g} typed for '{out.at[i, 'stage']}' "
                         f"(the stage table says {_shown_value(out.at[i, key])})")
            out.at[i, key] = typed
            if key == "norm":
                edited_norm.add(i)
    cells.raise_if_any()
    if not notes:
        return stages, []
    out["norm"] = [v if (i in edited_norm or not derived[i]) else np.nan for i, v in enumerate(out["norm"])]
    try:
        completed = complete_stages(out)
    except InputError as error:
        raise InputFileError([f"{path.name}, sheet {cells.column('Stages', STAGES, 'stage')[0][0].parent.title}: "
                              f"{str(error).removeprefix('stages: ')}, with the values typed there"]) from None
    completed.attrs.update(stages.attrs)
    completed.attrs["kept_edits"] = kept
    return completed, notes


def _shown_value(value) -> str:
    return "nothing (blank)" if value is None or pd.isna(value) else f"{float(value):g}"


def refresh_funnel_workbook(path) -> Path:
    """Recompute a funnel workbook from the input files it records, as of its As-of date (the
    ribbon's Refresh funnel)."""
    from xlsales.io.funnel_inputs import read_funnel_inputs

    wb = open_workbook(path)
    if "SourceOpportunities" not in wb.defined_names:
        raise WorkbookError("this workbook does not record its input files; run xlsales funnel again")
    cells = {option: name_cell(wb, name) for name, option in SOURCES}
    sources = {option: cell.value if option == "period" else
               locate(cell.value, cell.offset(0, 1).value, path, option.replace("_", " "))
               for option, cell in cells.items()}
    if not sources["opportunities"] or not sources["reps"]:
        raise WorkbookError("this workbook does not record its input files; run xlsales funnel again")
    lang = "zh" if SHEETS["summary"][1] in wb.sheetnames else "en"
    as_of = pd.Timestamp(name_cell(wb, "AsOf").value).normalize()
    deals, stages, targets = read_funnel_inputs(sources["opportunities"], sources["reps"], sources["stages"],
                                                sources["targets"], sources["target_file"], lang, as_of=as_of)
    stages, notes = keep_stage_edits(path, stages)
    report_notes(notes)
    result = analyse_funnel(deals, stages, as_of, targets, sources["period"] or "year")
    assess_risk(result, None, read_risk_rules(wb))
    return write_funnel_workbook(result, path, lang, sources=sources)


def _highlight(wb, ranges: dict, rows: dict) -> None:
    """Stale deals red, slipped deals amber (whole row), the bottleneck stage in the funnel."""
    rules = (("Deals", ("id", "cycle_days"), "stale", STALE_FILL),
             ("Deals", ("id", "cycle_days"), "slipped", SLIPPED_FILL),
             ("StageFunnel", ("order", "slipped"), "vs_norm", BOTTLENECK_FILL),
             ("WatchList", ("id", "reason"), "stale", STALE_FILL),
             ("WatchList", ("id", "reason"), "slipped", SLIPPED_FILL))
    for table, (first, last), flag, fill in rules:
        ws, _ = find_table(wb, table)
        _, c1, top, bottom = ranges[(table, first)]
        _, c2, _, _ = ranges[(table, last)]
        _, fc, _, _ = ranges[(table, flag)]
        target = f"{c1}{top}:{c2}{bottom}"
        if flag == "vs_norm":
            mine = f"AND(ISNUMBER(${fc}{top}),"
            formula = f"{mine}${fc}{top}=MIN(${fc}${top}:${fc}${bottom}))"
        else:
            mine = formula = f"${fc}{top}=1"
        _drop_rules(ws, mine)
        ws.conditional_formatting.add(target, FormulaRule(formula=[formula], fill=fill))


def _drop_rules(ws, mine: str) -> None:
    """Remove this module's earlier rule (its formula starts with ``mine``); the user's stay."""
    from openpyxl.formatting.formatting import ConditionalFormattingList
    kept = ConditionalFormattingList()
    for cf in ws.conditional_formatting:
        for rule in cf.rules:
            if not any(str(f).startswith(mine) for f in (rule.formula or [])):
                kept.add(str(cf.sqref), rule)
    ws.conditional_formatting = kept


# ------------------------------------------------------------------------------- demo entry point


def funnel_report(company, out_dir, lang: str = "en", as_of=None, targets: pd.DataFrame | None = None,
                  opportunities: pd.DataFrame | None = None, stages: pd.DataFrame | None = None,
                  period: str = "year") -> tuple[list[Path], pd.DataFrame]:
    """The funnel workbook for a company (the sample company's reps, and its sample opportunities
    unless ``opportunities`` is given) in ``out_dir``; returns the paths written and the headline
    figures (metric, value)."""
    from xlsales.io.opportunities import with_rep_details
    from xlsales.core.stages import default_stages
    from xlsales.sample.opportunities import sample_opportunities

    as_of = pd.Timestamp(as_of if as_of is not None else company.as_of)
    stages = stages if stages is not None else default_stages(lang)
    if opportunities is None:
        opportunities = sample_opportunities(company, as_of=as_of, lang=lang)
        labels = STATUS_LABELS["zh" if lang == "zh" else "en"]
        opportunities["status"] = opportunities["status"].map({v: k for k, v in labels.items()})
    deals = with_rep_details(opportunities, company.reps)
    result = assess_risk(analyse_funnel(deals, stages, as_of, targets, period))
    path = write_funnel_workbook(result, Path(out_dir) / "funnel.xlsx", lang)
    return [path], result.summary
