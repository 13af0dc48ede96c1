"""The targets workbook: assumptions, history, reps, target grid with overrides, region and quarter
summary, pacing, OKMA, revision log and tie-out checks.

Python writes what it decided (forecasts, the rounded splits, monthly phasing); everything that sums,
compares or paces is a native formula, so a recalculating spreadsheet shows the same numbers. An
override typed in the grid changes that rep at once and re-splits the rest of the region by formula;
``refresh_targets_workbook`` (or ``xlsales targets --refresh``) then re-rounds and re-phases the months.
"""
from __future__ import annotations

import getpass
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
from openpyxl.formatting.rule import CellIsRule, FormulaRule
from openpyxl.styles import Font, PatternFill, Protection
from openpyxl.utils import get_column_letter

from xlsales.core.decomposition import (
    MeasurePlan, PlanSettings, TargetPlan, pacing, plan_targets, resplit_remaining,
)
from xlsales.glossary import GLOSSARY, term
from xlsales.workbook_templates import template_path
from xlsales.workbooks.binding import (
    FORMULA, INPUT, Field, Formula, create_table, define_name, find_table, name_cell, open_workbook, read_table,
    save_atomic, set_cell, table_ranges, write_name, write_table,
)
from xlsales.workbooks.typed import report_notes

MONEY, SHARE, DATE, COUNT = "#,##0", "0.0%", "yyyy-mm-dd", "#,##0"
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
MONTH_KEYS = tuple(f"m{i:02d}" for i in range(1, 13))
MEASURE_LABELS = GLOSSARY["measure"]  # (en, zh)
# The Pacing sheet's status words (en, zh), by the core's status key, and their defined names.
STATUS_WORDS = GLOSSARY["pace_status"]
STATUS_NAMES = {"departed": "StatusDeparted", "behind": "StatusBehind", "on_pace": "StatusOnPace"}
FOOTING_LABELS = {  # (en, zh); {start} and {end} are months like 2025-07
    "year": ("the calendar year {start} – {end}", "自然年 {start} 至 {end}"),
    "ttm": ("the trailing twelve months {start} – {end}", "近12个月 {start} 至 {end}"),
    "annualised": ("{start} – {end} annualised by the seasonality", "{start} 至 {end} 按季节性年化"),
    "none": ("no history before the plan year", "计划年度前无历史数据"),
}
INPUT_FILL = PatternFill("solid", fgColor="FFF2CC")
RED_FILL, GREEN_FILL = PatternFill("solid", fgColor="F8CBAD"), PatternFill("solid", fgColor="C6EFCE")

SHEETS = {  # key: (en, zh); Excel reserves the sheet name "History"
    "assumptions": ("Assumptions", "假设"), "reps": ("Reps", "销售代表"), "history": ("Sales history", "历史业绩"),
    "grid": ("Targets", "目标分解"), "regions": ("Regions", "区域汇总"), "pacing": ("Pacing", "进度"),
    "resplit": ("Re-split", "剩余重新分解"), "okma": ("OKMA", "OKMA"), "revisions": ("Revisions", "修订记录"),
    "checks": ("Checks", "校验"),
}

# Single-cell assumptions, bound by defined name: (name, en label, zh label, number format)
SETTINGS = (
    ("PlanYear", "Plan year", "计划年度", "0"),
    ("AsOfDate", "As of (type =TODAY() to follow the calendar)", "截至日期（可填 =TODAY()）", DATE),
    ("Basis", "Split basis (history / potential / capacity / blend)", "分解依据（history/potential/capacity/blend）", None),
    ("BlendHistory", "Blend: weight of history", "混合：历史权重", SHARE),
    ("BlendPotential", "Blend: weight of potential", "混合：潜力权重", SHARE),
    ("BlendCapacity", "Blend: weight of capacity", "混合：产能权重", SHARE),
    ("Buffer", "Over-assignment buffer", "超额分配缓冲", SHARE),
    ("Ramp", "New-hire ramp by month (e.g. 0.25,0.5,0.75,1)", "新人爬坡（如 0.25,0.5,0.75,1）", None),
    ("DaysTotal", "Days in plan year", "全年天数", "0"),
    ("DaysElapsed", "Days elapsed", "已过天数", "0"),
    ("Footing", "Part year of history: ttm (trailing 12 months) / annualise", "不足一年的历史：ttm（近12个月）/ annualise（年化）", None),
    ("HistoryEnd", "Last whole month of history used", "使用的最后一个完整历史月", "yyyy-mm"),
)

MEASURE_PLANS = (
    Field("measure", "Measure", "指标"),
    Field("label", "Name", "名称"),
    Field("method", "Method", "方法", INPUT),
    Field("window", "Window (years)", "窗口（年）", INPUT, number_format="0"),
    Field("growth", "Growth", "增长率", INPUT, number_format=SHARE),
    Field("round_to", "Round to", "取整单位", INPUT, number_format="#,##0"),
    Field("company_override", "Company target (by hand)", "公司目标（手工）", INPUT, number_format=MONEY),
    Field("footing_label", "Forecast stands on", "预测依据", None),
    Field("history_from", "History from", "历史起始月", number_format="yyyy-mm"),
    Field("history_to", "History to", "历史截止月", number_format="yyyy-mm"),
    Field("annualise_factor", "Annualised ×", "年化系数", number_format="0.0000"),
    Field("last_year", "Last 12 months", "近12个月实际", FORMULA, number_format=MONEY, formula=(
        'IF(ISNUMBER({history_from}),SUMIFS({History.actual},{History.measure},{measure},'
        '{History.month},">="&{history_from},{History.month},"<="&{history_to})*{annualise_factor},0)')),
    Field("forecast", "Forecast", "预测", number_format=MONEY),
    Field("company_target", "Company target", "公司目标", FORMULA, number_format=MONEY, formula=(
        'IF(ISNUMBER({company_override}),ROUND({company_override}/{round_to},0)*{round_to},'
        'ROUND(MAX({forecast}*(1+{growth}),0)/{round_to},0)*{round_to})')),
    Field("assigned_total", "Assigned to reps", "分配给销售", FORMULA, number_format=MONEY,
          formula='ROUND({company_target}*(1+Buffer)/{round_to},0)*{round_to}'),
)

REPS = (
    Field("rep", "Rep", "销售代表"), Field("region", "Region", "区域"), Field("team", "Team", "团队"),
    Field("manager", "Manager", "经理"), Field("hire_date", "Hire date", "入职日期", number_format=DATE),
    Field("potential", "Potential", "市场潜力", number_format=MONEY), Field("active", "Active", "在职"),
    Field("leave_date", "Leave date", "离职日期", number_format=DATE), Field("successor", "Successor", "交接人"),
    Field("grade", "Grade", "能力等级"),
)

HISTORY = (
    Field("measure", "Measure", "指标"), Field("rep", "Rep", "销售代表"),
    Field("month", "Month", "月份", number_format="yyyy-mm"), Field("actual", "Actual", "实际", number_format=MONEY),
)

GRID = (
    Field("key", "Key", "键"), Field("measure", "Measure", "指标"), Field("region", "Region", "区域"),
    Field("team", "Team", "团队"), Field("rep", "Rep", "销售代表"),
    Field("weight", "Basis share", "分解权重", number_format="0.00%"),
    Field("suggested", "Suggested", "建议目标", number_format=MONEY),
    Field("override", "Override", "手工调整", INPUT, number_format=MONEY),
    Field("reason", "Reason", "调整原因", INPUT),
    Field("target", "Target", "年度目标", FORMULA, number_format=MONEY, formula=(
        'IF(ISNUMBER({override}),{override},IFERROR({suggested}*'
        '(SUMIFS({RegionSummary.region_target},{RegionSummary.measure},{measure},{RegionSummary.region},{region})'
        '-SUMIFS({TargetGrid.override},{TargetGrid.measure},{measure},{TargetGrid.region},{region}))/'
        'SUMPRODUCT(({TargetGrid.measure}={measure})*({TargetGrid.region}={region})'
        '*(1-ISNUMBER({TargetGrid.override}))*{TargetGrid.suggested}),0))')),
    *(Field(k, MONTHS_EN[i], f"{i + 1}月", number_format=MONEY) for i, k in enumerate(MONTH_KEYS)),
    Field("total", "Months total", "月度合计", FORMULA, number_format=MONEY, formula="SUM({m01}:{m12})"),
    Field("check", "Check", "校验", FORMULA, number_format=MONEY, formula="{total}-{target}"),
)

QUARTERS = tuple(f"q{q}" for q in range(1, 5))
REGION_SUMMARY = (
    Field("measure", "Measure", "指标"), Field("region", "Region", "区域"),
    Field("region_target", "Region target", "区域目标", number_format=MONEY),
    Field("reps_total", "Reps total", "销售合计", FORMULA, number_format=MONEY, formula=(
        'SUMIFS({TargetGrid.target},{TargetGrid.measure},{measure},{TargetGrid.region},{region})')),
    *(Field(q, f"Q{i + 1}", f"第{i + 1}季度", FORMULA, number_format=MONEY, formula="+".join(
        f'SUMIFS({{TargetGrid.{m}}},{{TargetGrid.measure}},{{measure}},{{TargetGrid.region}},{{region}})'
        for m in MONTH_KEYS[3 * i:3 * i + 3])) for i, q in enumerate(QUARTERS)),
    Field("year", "Year", "全年", FORMULA, number_format=MONEY, formula="SUM({q1}:{q4})"),
    Field("check", "Check", "校验", FORMULA, number_format=MONEY, formula="{year}-{region_target}"),
)

PACING = (
    Field("measure", "Measure", "指标"), Field("region", "Region", "区域"), Field("team", "Team", "团队"),
    Field("rep", "Rep", "销售代表"), Field("leave_date", "Leave date", "离职日期", number_format=DATE),
    Field("target", "Annual target", "年度目标", FORMULA, number_format=MONEY, formula=(
        'SUMIFS({TargetGrid.target},{TargetGrid.measure},{measure},{TargetGrid.rep},{rep})')),
    Field("expected", "Expected to date", "应完成", FORMULA, number_format=MONEY, formula=(
        'SUMPRODUCT(INDEX(GridMonths,MATCH({measure}&"|"&{rep},{TargetGrid.key},0),0)*ElapsedShare)')),
    Field("actual", "Actual to date", "已完成", FORMULA, number_format=MONEY, formula=(
        'SUMIFS({History.actual},{History.measure},{measure},{History.rep},{rep},'
        '{History.month},">="&DATE(PlanYear,1,1),{History.month},"<="&AsOfDate)')),
    Field("attainment", "Attainment", "完成率", FORMULA, number_format=SHARE,
          formula='IF({target}>0,{actual}/{target},"")'),
    Field("pace", "Against pace", "进度完成率", FORMULA, number_format=SHARE,
          formula='IF({expected}>0,{actual}/{expected},"")'),
    Field("gap", "Gap", "业绩缺口", FORMULA, number_format=MONEY, formula="MAX({target}-{actual},0)"),
    Field("run_rate", "Run-rate landing", "按当前速度预计", FORMULA, number_format=MONEY,
          formula='IF(DaysElapsed>0,{actual}/DaysElapsed*DaysTotal,"")'),
    Field("daily_pace", "Required per day", "每日需完成", FORMULA, number_format=MONEY,
          formula='IF({gap}=0,0,IF(DaysTotal>DaysElapsed,{gap}/(DaysTotal-DaysElapsed),""))'),
    Field("status", "Status", "状态", FORMULA, formula=(
        'IF(AND(ISNUMBER({leave_date}),{leave_date}<=AsOfDate),StatusDeparted,'
        'IF({actual}<{expected},StatusBehind,StatusOnPace))')),
)

RESPLIT = (
    Field("measure", "Measure", "指标"), Field("region", "Region", "区域"), Field("team", "Team", "团队"),
    Field("rep", "Rep", "销售代表"),
    Field("target", "Annual target", "年度目标", FORMULA, number_format=MONEY, formula=(
        'SUMIFS({TargetGrid.target},{TargetGrid.measure},{measure},{TargetGrid.rep},{rep})')),
    Field("booked", "Booked to date", "已完成", number_format=MONEY),
    Field("left", "Left to do", "剩余目标", FORMULA, number_format=MONEY, formula="MAX({target}-{booked},0)"),
    *(Field(k, MONTHS_EN[i], f"{i + 1}月", number_format=MONEY) for i, k in enumerate(MONTH_KEYS)),
    Field("total", "Year total", "全年合计", FORMULA, number_format=MONEY, formula="SUM({m01}:{m12})"),
    Field("ok", "Reaches the target?", "是否覆盖目标", FORMULA,
          formula='IF({total}>=MAX({target},{booked})-0.005,"OK","CHECK")'),
)

OKMA = (
    Field("region", "Region", "区域"), Field("measure", "Measure", "指标"),
    Field("objective", "Objective", "目标（O）"), Field("key_result", "Key result", "关键结果（KR）"),
    Field("measurement", "Measurement: attainment to date", "衡量（M）：当前完成率", FORMULA, number_format=SHARE,
          formula=('IFERROR(SUMIFS({Pacing.actual},{Pacing.region},{region},{Pacing.measure},{measure})/'
                   'SUMIFS({Pacing.target},{Pacing.region},{region},{Pacing.measure},{measure}),"")')),
    Field("actions", "Actions", "行动（A）", INPUT), Field("owner", "Owner", "负责人", INPUT),
    Field("due", "Due", "截止日期", INPUT, number_format=DATE),
)

REVISIONS = (
    Field("when", "When", "时间", number_format="yyyy-mm-dd hh:mm"), Field("who", "Who", "修改人"),
    Field("measure", "Measure", "指标"), Field("rep", "Rep", "销售代表"),
    Field("old", "Old target", "原目标", number_format=MONEY), Field("new", "New target", "新目标", number_format=MONEY),
    Field("reason", "Reason", "原因"),
)

CHECKS = (
    Field("check", "Check", "校验项"), Field("measure", "Measure", "指标"),
    Field("expected", "Expected", "应为", number_format=MONEY),
    Field("actual", "Actual", "实际", number_format=MONEY),
    Field("difference", "Difference", "差额", FORMULA, number_format=MONEY, formula="{actual}-{expected}"),
    Field("ok", "OK?", "是否通过", FORMULA, formula='IF(ABS({difference})<0.005,"OK","CHECK")'),
)

TABLES = {  # table name: (sheet key, fields, top-left, row key)
    "MeasurePlans": ("assumptions", MEASURE_PLANS, "A18", ["measure"]),
    "Reps": ("reps", REPS, "A1", ["rep"]),
    "History": ("history", HISTORY, "A1", ["measure", "rep", "month"]),
    "TargetGrid": ("grid", GRID, "A3", ["measure", "rep"]),
    "RegionSummary": ("regions", REGION_SUMMARY, "A3", ["measure", "region"]),
    "Pacing": ("pacing", PACING, "A3", ["measure", "rep"]),
    "Resplit": ("resplit", RESPLIT, "A3", ["measure", "rep"]),
    "OKMA": ("okma", OKMA, "A3", ["region", "measure"]),
    "RevisionLog": ("revisions", REVISIONS, "A1", None),
    "Checks": ("checks", CHECKS, "A3", ["check", "measure"]),
}
PROTECTED = ("grid", "regions", "pacing", "resplit", "checks")


# ---------------------------------------------------------------------------------------------
# Template


def build_template(lang: str = "en") -> openpyxl.Workbook:
    """The empty targets workbook: sheets, named tables, defined names, formatting, protection."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = {key: wb.create_sheet(labels[1] if lang == "zh" else labels[0]) for key, labels in SHEETS.items()}
    a = sheets["assumptions"]
    a["A1"] = "xlsales — 目标分解假设" if lang == "zh" else "xlsales — target assumptions"
    a["A1"].font = Font(bold=True, size=14)
    for i, (name, en, zh, fmt) in enumerate(SETTINGS, start=3):
        a.cell(i, 1, zh if lang == "zh" else en)
        cell = a.cell(i, 2)
        cell.protection = Protection(locked=False)
        cell.fill = INPUT_FILL
        if fmt:
            cell.number_format = fmt
        define_name(wb, name, a.title, f"$B${i}")
    a["B11"], a["B12"] = ("=DATE(PlanYear,12,31)-DATE(PlanYear,1,1)+1",
                          "=MIN(MAX(AsOfDate-DATE(PlanYear,1,1)+1,0),DaysTotal)")
    for cell in (a["B11"], a["B12"]):
        cell.fill, cell.protection = PatternFill(), Protection(locked=True)
    a.cell(15, 1, "已过月份占比" if lang == "zh" else "Share of each month elapsed")
    for m in range(1, 13):
        a.cell(14, 2 + m, f"{m}月" if lang == "zh" else MONTHS_EN[m - 1]).font = Font(bold=True)
        cell = a.cell(15, 2 + m)
        cell.value = (f"=MAX(0,MIN(1,(AsOfDate-DATE(PlanYear,{m},1)+1)/"
                      f"DAY(EOMONTH(DATE(PlanYear,{m},1),0))))")
        cell.number_format = SHARE
    define_name(wb, "ElapsedShare", a.title, "$C$15:$N$15")
    a["D3"], a["D4"] = ("状态文字" if lang == "zh" else "Status words", None)
    for row, key in enumerate(("behind", "on_pace", "departed"), start=3):
        cell = a.cell(row, 5, STATUS_WORDS[key][1 if lang == "zh" else 0])
        cell.protection, cell.fill = Protection(locked=False), INPUT_FILL
        define_name(wb, STATUS_NAMES[key], a.title, f"$E${row}")
    for name, (sheet_key, fields, top_left, _) in TABLES.items():
        ws = sheets[sheet_key]
        create_table(ws, name, fields, top_left, lang, width=None if sheet_key == "assumptions" else 14)
        first_row = ws[top_left].row + 1
        for f in fields:
            if f.kind == INPUT:
                ws.cell(first_row, _column_of(ws, name, f.key, fields)).fill = INPUT_FILL
    grid = sheets["grid"]   # the key only serves lookups (measure|rep): hidden, not removed
    grid.column_dimensions[get_column_letter(_column_of(grid, "TargetGrid", "key", GRID))].hidden = True
    a.column_dimensions["A"].width = 46
    for col in "BCDEFGHIJKLMN":
        a.column_dimensions[col].width = 15
    _titles(sheets, lang)
    _conditional_formats(wb, sheets)
    for key in PROTECTED:
        sheets[key].protection.sheet = True
        sheets[key].protection.formatColumns = False
        sheets[key].protection.autoFilter = False
        sheets[key].protection.sort = False
    return wb


def _titles(sheets, lang):
    titles = {
        "grid": ("Target grid: type an override, the region re-splits; refresh to re-phase the months",
                 "目标分解：填写手工调整后区域内自动重分；刷新后重新分月"),
        "regions": ("Summary by region and quarter", "区域与季度汇总"),
        "pacing": ("Pacing against the as-of date", "截至日期的进度"),
        "okma": ("OKMA: objectives, key results, measurement, actions", "OKMA：目标、关键结果、衡量、行动"),
        "resplit": ("The rest of the year re-split: months that are over keep what was booked",
                    "剩余目标重新分解：已结束月份保留实际完成"),
        "checks": ("Tie-out checks: every level adds up to its parent", "校验：各层级合计与上级一致"),
    }
    for key, (en, zh) in titles.items():
        sheets[key]["A1"] = zh if lang == "zh" else en
        sheets[key]["A1"].font = Font(bold=True, size=13)


def _column_of(ws, table_name, key, fields):
    from xlsales.workbooks.binding import _field_columns, _table_geometry
    min_col, _, _, _, headers = _table_geometry(ws, ws.tables[table_name])
    return _field_columns(fields, headers, min_col)[key]


def _conditional_formats(wb, sheets):
    """Whole-column ranges, so the rules keep covering the tables as they grow."""
    def letter(sheet_key, table, key, fields):
        return get_column_letter(_column_of(sheets[sheet_key], table, key, fields))

    checks = letter("checks", "Checks", "ok", CHECKS)
    sheets["checks"].conditional_formatting.add(
        f"{checks}4:{checks}100000", CellIsRule(operator="equal", formula=['"OK"'], fill=GREEN_FILL))
    sheets["checks"].conditional_formatting.add(
        f"{checks}4:{checks}100000", CellIsRule(operator="equal", formula=['"CHECK"'], fill=RED_FILL))
    for sheet_key, table, fields in (("grid", "TargetGrid", GRID), ("regions", "RegionSummary", REGION_SUMMARY)):
        col = letter(sheet_key, table, "check", fields)
        sheets[sheet_key].conditional_formatting.add(
            f"{col}4:{col}1048576", FormulaRule(formula=[f"ABS({col}4)>=0.005"], fill=RED_FILL))
    status = letter("pacing", "Pacing", "status", PACING)
    sheets["pacing"].conditional_formatting.add(
        f"{status}4:{status}1048576", FormulaRule(formula=[f"{status}4=StatusBehind"], fill=RED_FILL))


# ---------------------------------------------------------------------------------------------
# Frames for each table


def _measure_label(measure, lang):
    en, zh = MEASURE_LABELS.get(measure, (measure, measure))
    return zh if lang == "zh" else en




# ---------------------------------------------------------------------------------------------
# Frames for each table


def _resplit_frame(plan: TargetPlan, as_of) -> pd.DataFrame:
    revised = resplit_remaining(plan, as_of)
    revised["key"] = revised["month"].dt.month.map(lambda i: MONTH_KEYS[i - 1])
    wide = revised.pivot_table(index=["measure", "rep"], columns="key", values="revised", aggfunc="sum")
    booked = revised.groupby(["measure", "rep"])["booked"].sum().rename("booked")
    keys = [c for c in ("measure", "region", "team", "rep") if c in plan.reps.columns]
    return plan.reps[keys].join(wide, on=["measure", "rep"]).join(booked, on=["measure", "rep"])


def table_frames(plan: TargetPlan, lang: str = "en", as_of=None) -> dict[str, pd.DataFrame]:
    """What each named table shows; formula columns are left for the template's formulas."""
    measure_plans = {m.measure: m for m in plan.settings.measures}
    company = plan.company.copy()
    for attr in ("method", "window", "growth", "round_to"):
        company[attr] = [getattr(measure_plans[m], attr) for m in company["measure"]]
    company["company_override"] = [measure_plans[m].company_target for m in company["measure"]]
    company["label"] = [_measure_label(m, lang) for m in company["measure"]]
    company["footing_label"] = [footing_text(row, lang) for row in company.to_dict("records")]
    month_key = plan.monthly["month"].dt.month.map(lambda i: MONTH_KEYS[i - 1])
    wide = plan.monthly.assign(key=month_key).pivot_table(
        index=["measure", "rep"], columns="key", values="target", aggfunc="sum")
    grid = plan.reps.join(wide, on=["measure", "rep"])
    grid["key"] = grid["measure"] + "|" + grid["rep"]
    grid["suggested"] = grid["target"]
    regions = plan.regions.rename(columns={"target": "region_target"})
    okma = regions[["region", "measure", "region_target"]].sort_values(["region", "measure"], kind="stable")
    okma = okma.assign(
        objective=[_objective(r, m, lang) for r, m in zip(okma["region"], okma["measure"])],
        key_result=[_key_result(m, t, plan.settings.year, lang)
                    for m, t in zip(okma["measure"], okma["region_target"])])
    checks = _checks(plan, lang)
    resplit = _resplit_frame(plan, as_of) if as_of is not None else plan.reps[["measure", "rep"]].iloc[0:0]
    return {
        "Resplit": resplit,
        "MeasurePlans": company, "Reps": plan.roster, "History": plan.history, "TargetGrid": grid,
        "RegionSummary": regions,
        "Pacing": plan.reps[[c for c in ("measure", "region", "team", "rep", "leave_date") if c in plan.reps]],
        "OKMA": okma, "Checks": checks,
    }


def footing_text(company_row: dict, lang: str) -> str:
    """Which months a measure's forecast stands on, in words: "the trailing twelve months 2025-07 – 2026-06"."""
    en, zh = FOOTING_LABELS[company_row.get("footing", "none")]
    start, end = company_row.get("history_from"), company_row.get("history_to")
    text = zh if lang == "zh" else en
    if start is None or pd.isna(start):
        return text
    return text.format(start=f"{pd.Timestamp(start):%Y-%m}", end=f"{pd.Timestamp(end):%Y-%m}")


def _objective(region, measure, lang):
    name = _measure_label(measure, lang)
    return f"{region}完成全年{name}目标" if lang == "zh" else f"{region}: deliver the year's {name.lower()} target"


def _key_result(measure, target, year, lang):
    name = _measure_label(measure, lang)
    return f"{year}年{name}达到 {target:,.0f}" if lang == "zh" else f"{name} of {target:,.0f} in {year}"


CHECK_KEYS = ("reps_total", "regions_total", "months_total", "pending_refresh", "regions_untied")
CHECK_NAMES = {lang: tuple(term("check", k, lang) for k in CHECK_KEYS) for lang in ("en", "zh")}
CHECK_FORMULAS = (  # (expected, actual); {measure} is the row's measure cell
    ("SUMIFS({MeasurePlans.assigned_total},{MeasurePlans.measure},{measure})",
     "SUMIFS({TargetGrid.target},{TargetGrid.measure},{measure})"),
    ("SUMIFS({MeasurePlans.assigned_total},{MeasurePlans.measure},{measure})",
     "SUMIFS({RegionSummary.region_target},{RegionSummary.measure},{measure})"),
    ("SUMIFS({TargetGrid.target},{TargetGrid.measure},{measure})",
     "SUMIFS({TargetGrid.total},{TargetGrid.measure},{measure})"),
    ("0", "SUMPRODUCT(({TargetGrid.measure}={measure})*(ABS({TargetGrid.check})>=0.005))"),
    ("0", "SUMPRODUCT(({RegionSummary.measure}={measure})*"
          "(ABS({RegionSummary.reps_total}-{RegionSummary.region_target})>=0.005))"),
)


def _checks(plan: TargetPlan, lang) -> pd.DataFrame:
    rows = [(CHECK_NAMES[lang][i], m, Formula(expected), Formula(actual))
            for m in plan.company["measure"] for i, (expected, actual) in enumerate(CHECK_FORMULAS)]
    return pd.DataFrame(rows, columns=["check", "measure", "expected", "actual"], dtype=object)


# ---------------------------------------------------------------------------------------------
# Writing and refreshing


def write_targets_workbook(plan: TargetPlan, path, as_of, lang: str = "en", template=None,
                           who: str | None = None) -> Path:
    """Fill the template, or refresh ``path`` in place when it exists (user inputs are kept)."""
    path = Path(path)
    refreshing = path.exists()
    wb = open_workbook(path if refreshing else (template or template_path("targets", lang)))
    previous = read_table(wb, "TargetGrid", GRID) if refreshing else None
    frames = table_frames(plan, lang, as_of)
    frames["RevisionLog"] = _revision_log(wb, previous, who) if refreshing else pd.DataFrame(
        columns=[f.key for f in REVISIONS])
    _write_settings(wb, plan.settings, as_of)
    ranges = {}
    for name, (_, fields, _, _) in TABLES.items():
        ranges.update(table_ranges(wb, name, fields, len(frames[name])))
    for name, (_, fields, _, key) in TABLES.items():
        write_table(wb, name, fields, frames[name], lang, key=key, formula_ranges=ranges)
    sheet, letter_first, top, bottom = ranges[("TargetGrid", "m01")]
    _, letter_last, _, _ = ranges[("TargetGrid", "m12")]
    define_name(wb, "GridMonths", _unquote(sheet), f"${letter_first}${top}:${letter_last}${bottom}")
    return save_atomic(wb, path)


def _unquote(sheet_ref: str) -> str:
    return sheet_ref[1:-1].replace("''", "'") if sheet_ref.startswith("'") else sheet_ref


def _write_settings(wb, settings: PlanSettings, as_of) -> None:
    blend = dict(settings.blend)
    values = {"PlanYear": settings.year, "Basis": settings.basis, "Buffer": settings.buffer,
              "BlendHistory": blend.get("history", 0.0), "BlendPotential": blend.get("potential", 0.0),
              "BlendCapacity": blend.get("capacity", 0.0), "Ramp": ",".join(f"{r:g}" for r in settings.ramp),
              "Footing": settings.footing,
              "HistoryEnd": None if settings.history_end is None else pd.Timestamp(settings.history_end).to_pydatetime()}
    for name, value in values.items():
        write_name(wb, name, value)
    as_of_cell = name_cell(wb, "AsOfDate")
    if not (isinstance(as_of_cell.value, str) and as_of_cell.value.startswith("=")):
        set_cell(as_of_cell, pd.Timestamp(as_of).to_pydatetime())


def _revision_log(wb, previous: pd.DataFrame, who: str | None) -> pd.DataFrame:
    """The log so far plus one line per override that differs from the last suggested target."""
    log = read_table(wb, "RevisionLog", REVISIONS)
    log = log[[f.key for f in REVISIONS]] if not log.empty else pd.DataFrame(columns=[f.key for f in REVISIONS])
    changed = previous[pd.to_numeric(previous["override"], errors="coerce").notna()]
    changed = changed[changed["override"].astype(float) != pd.to_numeric(changed["suggested"], errors="coerce")]
    if changed.empty:
        return log
    now = datetime.now().replace(microsecond=0)
    entries = pd.DataFrame({
        "when": now, "who": who or getpass.getuser(), "measure": changed["measure"].to_numpy(),
        "rep": changed["rep"].to_numpy(), "old": changed["suggested"].to_numpy(),
        "new": changed["override"].to_numpy(), "reason": changed["reason"].to_numpy(),
    })
    return pd.concat([log, entries], ignore_index=True) if not log.empty else entries


def typed_inputs(path) -> tuple[dict[str, float], list[str]]:
    """What a user typed in an existing targets workbook that a re-run must keep: the company targets
    typed on Assumptions (by measure), and a note for each typed cell a refresh cannot use (text in
    Override or in the company target), which stays in the workbook as typed."""
    from openpyxl.utils import range_boundaries
    wb = open_workbook(path)
    notes: list[str] = []
    for table, fields, field in (("MeasurePlans", MEASURE_PLANS, "company_override"), ("TargetGrid", GRID, "override")):
        ws, found = find_table(wb, table)
        frame = read_table(wb, table, fields)
        if field not in frame:
            continue
        top = range_boundaries(found.ref)[1] + 1
        label = next(f for f in fields if f.key == field)
        for i, value in enumerate(frame[field]):
            if isinstance(value, str) and value.strip() and pd.isna(pd.to_numeric(value, errors="coerce")):
                notes.append(f"{Path(path).name}, sheet {ws.title}, row {top + i}, column {label.en} / {label.zh}: "
                             f"{value!r} is not a number, so it is not used; it is kept as typed")
    plans = read_table(wb, "MeasurePlans", MEASURE_PLANS)
    typed = {}
    if "company_override" in plans:
        values = pd.to_numeric(plans["company_override"], errors="coerce")
        typed = {m: float(v) for m, v in zip(plans["measure"], values) if pd.notna(v)}
    wb.close()
    return typed, notes


def read_overrides(path) -> pd.DataFrame:
    """measure, rep, target for every override typed in a targets workbook's grid."""
    grid = read_table(open_workbook(path), "TargetGrid", GRID)
    if grid.empty:
        return pd.DataFrame(columns=["measure", "rep", "target"])
    target = pd.to_numeric(grid["override"], errors="coerce")
    rows = grid[target.notna()]
    return pd.DataFrame({"measure": rows["measure"], "rep": rows["rep"], "target": target[target.notna()]})


def read_monthly_targets(path) -> pd.DataFrame:
    """measure, region, team, rep, month, target from a targets workbook (as last refreshed)."""
    wb = open_workbook(path)
    year = int(name_cell(wb, "PlanYear").value)
    grid = read_table(wb, "TargetGrid", GRID)[["measure", "region", "team", "rep", *MONTH_KEYS]]
    long = grid.melt(id_vars=["measure", "region", "team", "rep"], value_vars=list(MONTH_KEYS),
                     var_name="key", value_name="target")
    long["month"] = pd.to_datetime({"year": year, "month": long["key"].str[1:].astype(int), "day": 1})
    long["target"] = pd.to_numeric(long["target"], errors="coerce").fillna(0.0)
    return long[["measure", "region", "team", "rep", "month", "target"]].sort_values(
        ["measure", "rep", "month"], kind="stable").reset_index(drop=True)


def read_plan_inputs(path) -> tuple[pd.DataFrame, pd.DataFrame, PlanSettings, pd.DataFrame, object]:
    """Everything a refresh needs, from the workbook alone: history, roster, settings, overrides, as-of.
    A typed value that cannot be used is an InputFileError naming its sheet and cell (all of them at once)."""
    from xlsales.errors import InputError, InputFileError
    from xlsales.io.loading import MAX_AMOUNT
    from xlsales.io.settings import BLEND_WEIGHT, GROWTH, ROUND_TO, WINDOW, YEAR
    from xlsales.workbooks.typed import TypedCells

    wb = open_workbook(path)
    cells = TypedCells(wb, path)
    named = cells.named

    def column(table, fields, frame, key, read):
        found, header = cells.column(table, fields, key)
        if len(frame):
            frame[key] = [read(c, header) for c in found[:len(frame)]]

    roster = read_table(wb, "Reps", REPS)[[f.key for f in REPS]]
    column("Reps", REPS, roster, "hire_date", lambda c, h: cells.date(c, h))
    column("Reps", REPS, roster, "leave_date", lambda c, h: cells.date(c, h))
    column("Reps", REPS, roster, "potential", lambda c, h: cells.number(c, 0, MAX_AMOUNT, h, blank=float("nan")))
    for key in ("hire_date", "leave_date"):
        roster[key] = pd.to_datetime(roster[key])
    roster["potential"] = pd.to_numeric(roster["potential"])
    for key in ("successor", "grade"):
        roster[key] = roster[key].map(lambda v: v.strip() if isinstance(v, str) and v.strip() else None)
    roster["active"] = roster["active"].map(lambda v: v not in (False, 0, "FALSE", "False", "否"))
    history = read_table(wb, "History", HISTORY)[[f.key for f in HISTORY]]
    column("History", HISTORY, history, "month", lambda c, h: cells.date(c, h, blank_ok=False))
    column("History", HISTORY, history, "actual", lambda c, h: cells.number(c, -MAX_AMOUNT, MAX_AMOUNT, h, blank=0.0))
    history["month"] = pd.to_datetime(history["month"])
    history["actual"] = pd.to_numeric(history["actual"]).fillna(0.0)
    plans = read_table(wb, "MeasurePlans", MEASURE_PLANS)
    where = {}        # what a setting is called in the core's messages → the cell it was typed in
    column("MeasurePlans", MEASURE_PLANS, plans, "window", lambda c, h: cells.number(c, *WINDOW, h, integer=True))
    column("MeasurePlans", MEASURE_PLANS, plans, "growth", lambda c, h: cells.number(c, *GROWTH, h,
                                                                                         unit=" (0.15 is 15 %)"))
    column("MeasurePlans", MEASURE_PLANS, plans, "round_to", lambda c, h: cells.number(c, *ROUND_TO, h))
    for key in ("method", "window", "round_to"):
        found, header = cells.column("MeasurePlans", MEASURE_PLANS, key)
        for measure, cell in zip(plans["measure"], found):
            where[f"{measure} {key}"] = cells.where(cell, header)
    typed = []
    found, header = cells.column("MeasurePlans", MEASURE_PLANS, "company_override")
    for cell in found[:len(plans)]:     # text here is kept and reported as a note (typed_inputs)
        value = cell.value
        numeric = not isinstance(value, str) or pd.notna(pd.to_numeric(value, errors="coerce"))
        typed.append(cells.number(cell, 0, MAX_AMOUNT, header) if value is not None and numeric else None)
    measures = tuple(MeasurePlan(
        measure=row.measure, growth=float(row.growth), method=str(row.method).strip().lower(),
        window=int(row.window), round_to=float(row.round_to), company_target=target)
        for row, target in zip(plans.itertuples(), typed)) if not cells.problems else ()
    blend = tuple((n, cells.number(named(k), *BLEND_WEIGHT, blank=0.0)) for n, k in (
        ("history", "BlendHistory"), ("potential", "BlendPotential"), ("capacity", "BlendCapacity")))
    year = cells.number(named("PlanYear"), *YEAR, integer=True)
    buffer = cells.number(named("Buffer"), -0.5, 1.0, blank=0.0)
    ramp = []
    for part in str(named("Ramp").value or "").replace("，", ",").split(","):
        number = pd.to_numeric(part.strip(), errors="coerce") if part.strip() else None
        if part.strip() and (pd.isna(number) or not 0 <= number <= 1):
            cells.problem(named("Ramp"), f"{part.strip()!r} is not a fraction between 0 and 1 "
                                         "(write the ramp like 0.25, 0.5, 0.75, 1)")
        elif part.strip():
            ramp.append(float(number))
    history_end = cells.date(named("HistoryEnd"))
    as_of = named("AsOfDate").value
    as_of = (pd.Timestamp.today().normalize() if isinstance(as_of, str) and as_of.startswith("=")
             else cells.date(named("AsOfDate"), blank_ok=False))
    for key, name in (("basis", "Basis"), ("blend", "BlendHistory"), ("footing", "Footing"), ("buffer", "Buffer"),
                      ("ramp", "Ramp")):
        where[key] = cells.where(named(name))
    cells.raise_if_any()
    try:
        settings = PlanSettings(
            year=year, measures=measures, basis=str(named("Basis").value).strip().lower(),
            blend=tuple(b for b in blend if b[1] > 0), buffer=buffer, ramp=tuple(ramp),
            footing=str(named("Footing").value or "ttm").strip().lower(), history_end=history_end)
    except InputError as error:      # "basis: expected ..." → the cell the basis was typed in
        setting, _, what = str(error).partition(": ")
        raise InputFileError([f"{where.get(setting, cells.file + ', ' + setting)}: {what}"]) from None
    wb.close()
    return history, roster, settings, read_overrides(path), as_of


def refresh_targets_workbook(path, who: str | None = None) -> Path:
    """Recompute a targets workbook from its own sheets, keeping overrides, and write it back."""
    history, roster, settings, overrides, as_of = read_plan_inputs(path)
    plan = plan_targets(history, roster, settings, overrides)
    report_notes(typed_inputs(path)[1])
    return write_targets_workbook(plan, path, as_of, who=who)


def plan_from_orders(orders: pd.DataFrame, roster: pd.DataFrame, year: int | None = None,
                     as_of=None, overrides: pd.DataFrame | None = None, key_product: str | None = None,
                     **settings) -> tuple[TargetPlan, object]:
    """History from order lines, then the decomposition; ``year`` defaults to the as-of year (the next
    one as of 31 December) and ``as_of`` to the last order date; ``key_product`` adds that product's
    revenue as a measure. The reps are checked against the plan year first."""
    from xlsales.core.decomposition import monthly_history
    from xlsales.io.schemas import check_reps_for_plan

    as_of = pd.Timestamp(as_of) if as_of is not None else orders["date"].max().normalize()
    year = year or default_plan_year(as_of)
    check_reps_for_plan(roster, year)
    history = monthly_history(orders, key_product)
    settings.setdefault("history_end", last_whole_month(as_of))
    plan = plan_targets(history, roster.reset_index(drop=True), PlanSettings(year=year, **settings), overrides)
    return plan, as_of


def default_plan_year(as_of) -> int:
    """The year of ``as_of``, or the next one once that year is over (as of 31 December)."""
    as_of = pd.Timestamp(as_of)
    return as_of.year + 1 if (as_of.month, as_of.day) == (12, 31) else as_of.year


def last_whole_month(as_of) -> pd.Timestamp:
    """The last month that is over by ``as_of`` (its start): the as-of month itself on its last day,
    else the month before. A month in progress is never taken as a whole month of history."""
    as_of = pd.Timestamp(as_of).normalize()
    month = as_of.to_period("M").start_time
    return month if as_of == month + pd.offsets.MonthEnd(0) else month - pd.DateOffset(months=1)


def targets_report(orders: pd.DataFrame, roster: pd.DataFrame, out_path, lang: str = "en",
                   year: int | None = None, as_of=None, who: str | None = None, key_product: str | None = None,
                   **settings):
    """Plan and write the targets workbook. An existing workbook at ``out_path`` is refreshed and its
    overrides are kept. Returns (path, plan, pacing frame)."""
    from dataclasses import replace
    out_path = Path(out_path)
    overrides = read_overrides(out_path) if out_path.exists() else None
    if out_path.exists():       # company targets typed on Assumptions replace the forecast, as on a refresh
        typed, notes = typed_inputs(out_path)
        if settings.get("measures"):
            settings["measures"] = tuple(replace(m, company_target=typed.get(m.measure, m.company_target))
                                         for m in settings["measures"])
        report_notes(notes)
    plan, as_of = plan_from_orders(orders, roster, year, as_of, overrides, key_product, **settings)
    path = write_targets_workbook(plan, out_path, as_of, lang=lang, who=who)
    return path, plan, pacing(plan, as_of)


def region_summary(plan: TargetPlan, pace: pd.DataFrame, measure: str = "revenue") -> pd.DataFrame:
    """Target, actual to date, attainment and reps behind pace per region (for terminals and memos)."""
    rows = pace[pace["measure"] == measure]
    summary = rows.groupby("region").agg(target=("target", "sum"), actual=("actual_to_date", "sum"),
                                         expected=("expected_to_date", "sum"),
                                         behind=("behind_pace", "sum"), reps=("rep", "count"))
    summary["attainment"] = summary["actual"] / summary["target"]
    summary.loc["Total"] = summary.sum(numeric_only=True)
    summary.loc["Total", "attainment"] = summary.loc["Total", "actual"] / summary.loc["Total", "target"]
    return summary
