"""The commission workbook: plan and tiers, actuals and quotas, tier working as native formulas,
payouts per measure and per rep, awards, statement lines and a statement sheet per rep.

Every payout number is a formula over the tables (INDEX/MATCH, SUMIFS, ROUND, MIN/MAX, IF: Excel 2016+
and LibreOffice), and a check column compares it with the payout Python computed. Marginal tiers
are worked slice by slice: MAX(0, MIN(achieved, upper) − lower) × rate, never a single top rate.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.formatting.rule import CellIsRule
from openpyxl.styles import Font, PatternFill, Protection

from xlsales.core import periods as periods_
from xlsales.core.commission_credits import credited_orders
from xlsales.core.commission_inputs import (actuals_from_orders, check_collection_dates, clawback_actuals,
                                            credit_notes_from_orders,
                                            quotas_from_table, quotas_from_targets, relief_frame, roster_from_reps)
from xlsales.core.commission_plan import Plan
from xlsales.core.commission_versions import base_plan, compute_versioned
from xlsales.core.money import cents
from xlsales.core.payouts import CommissionResult, compute_payouts
from xlsales.errors import InputError
from xlsales.workbook_templates import template_path
from xlsales.workbooks.binding import (FORMULA, INPUT, Field, Formula, create_table, define_name, name_cell, open_workbook,
                                       save_atomic, table_ranges, write_name, write_table)
from xlsales.workbooks.statements import KIND_LABELS, describe, fill_statement_sheet, write_statement_files
from xlsales.workbooks.sources import locate, recorded

MONEY, PCT, NUM = "#,##0.00", "0.0%", "0.0000"
GREEN_FILL = PatternFill("solid", fgColor="C6EFCE")
RED_FILL = PatternFill("solid", fgColor="FFC7CE")
MAX_STATEMENT_SHEETS = 60  # more reps than this: use --statements DIR (one file per rep)
STATEMENT_PREFIX = "ST "


def _lookup(table: str, column: str, key_column: str, key_cell: str) -> str:
    return f"INDEX({{{table}.{column}}},MATCH({key_cell},{{{table}.{key_column}}},0))"


def _f(key, en, zh, formula, fmt=MONEY):
    return Field(key, en, zh, FORMULA, formula=formula, number_format=fmt)


def _in(key, en, zh, fmt=None):
    """A plan input the user may edit in the workbook (unlocked); every payout follows it."""
    return Field(key, en, zh, INPUT, number_format=fmt)


MEASURES = (
    Field("measure", "Measure", "指标"), Field("label", "Name", "名称"),
    _in("weight", "Weight", "权重", PCT), _in("basis", "Bounds in", "档位单位"),
    _in("mode", "Mode", "计算方式"), Field("quota_source", "Quota from", "定额来源"),
    _in("cap", "Cap", "封顶", MONEY), _in("gate", "Gate (min attainment)", "门槛达成率", PCT),
    _in("accel_from", "Accelerators from", "加速档起点", PCT),
    _in("accel_ytd", "YTD attainment needed", "所需年累计达成率", PCT),
    # Both follow the Tiers table: the rate of the last tier below the accelerators, and tier 1's rate.
    _f("base_rate", "Base rate", "基础比例",
       'IF(ISNUMBER({accel_from}),IFERROR(INDEX({Tiers.rate},MATCH({measure}&"#"&'
       'COUNTIFS({Tiers.measure},{measure},{Tiers.bound},"<"&{accel_from}),{Tiers.key},0)),0),"")', "0.00%"),
    _f("first_rate", "Clawback rate", "扣回比例", 'INDEX({Tiers.rate},MATCH({measure}&"#1",{Tiers.key},0))',
       "0.00%"),
    # with on-target earnings: what 100 % of quota pays in units of rate at quota × quota
    _f("ote_factor", "OTE factor (pay at 100%)", "目标收入系数（100%时）",
       'IF({mode}="retro",INDEX({Tiers.rate},MATCH({measure}&"#"&COUNTIFS({Tiers.measure},{measure},{Tiers.bound},'
       '"<=1"),{Tiers.key},0)),SUMPRODUCT(({Tiers.measure}={measure})*{Tiers.rate}*{Tiers.below_quota}))', "0.0000"),
)
TIERS = (
    Field("key", "Tier key", "档位键"), Field("measure", "Measure", "指标"), Field("tier", "Tier", "档位"),
    _in("bound", "Lower bound", "下限", "#,##0.00##"),
    _in("rate", "Rate", "提成比例", "0.00##"),  # with on-target earnings: a multiple of the rate at quota
    Field("tier_kind", "Kind", "类型"),
    _f("below_quota", "Share of quota below 100%", "100%以下的定额占比",
       'MAX(0,MIN(IFERROR(INDEX({Tiers.bound},MATCH({measure}&"#"&({tier}+1),{Tiers.key},0)),1),1)-{bound})',
       "0.0000"),
)
_M = lambda col: _lookup("Measures", col, "measure", "{measure}")  # noqa: E731
ACTUALS = (
    Field("key", "Row key", "行键"), Field("rep", "Rep", "销售代表"), Field("region", "Region", "区域"),
    Field("team", "Team", "团队"), Field("measure", "Measure", "指标"),
    Field("achieved", "Achieved", "完成", number_format=MONEY),
    Field("returns", "Returns", "退货", number_format=MONEY),
    Field("quota", "Quota", "定额", number_format=MONEY),
    Field("factor", "Share of period employed", "在职比例", number_format=NUM),
    Field("relief", "Quota relief", "定额减免", number_format=MONEY),
    _f("quota_prorated", "Quota (prorated, after relief)", "折算定额（减免后）", "ROUND(ROUND({quota}*{factor},2)-N({relief}),2)"),
    _f("attainment", "Attainment", "达成率", 'IF({quota_prorated}>0,{achieved}/{quota_prorated},"")', PCT),
    Field("ytd_achieved", "YTD achieved", "年累计完成", number_format=MONEY),
    Field("ytd_quota", "YTD quota", "年累计定额", number_format=MONEY),
    _f("ytd_attainment", "YTD attainment", "年累计达成率", 'IF({ytd_quota}>0,{ytd_achieved}/{ytd_quota},"")', PCT),
    # tier rates × this: 1, or with on-target earnings the target incentive ÷ the full quota
    _f("rate_scale", "Rate scale (OTE)", "比例系数（目标收入）",
       f'IF(ISNUMBER(TargetIncentive),IF(AND({{quota}}>0,{_M("ote_factor")}>0),'
       f'TargetIncentive/({{quota}}*{_M("ote_factor")}),0),1)', "0.000000"),
)
_A = lambda col: _lookup("Actuals", col, "key", "{key}")  # noqa: E731
TIER_WORKING = (
    Field("rep", "Rep", "销售代表"), Field("measure", "Measure", "指标"), Field("tier", "Tier", "档位"),
    Field("key", "Row key", "行键"), Field("tkey", "Tier key", "档位键"), Field("nkey", "Next tier key", "下一档键"),
    _f("bound", "Lower bound", "下限", _lookup("Tiers", "bound", "key", "{tkey}"), "#,##0.00##"),
    _f("next_bound", "Next bound", "下一档下限", f'IFERROR({_lookup("Tiers", "bound", "key", "{nkey}")},"")',
       "#,##0.00##"),
    _f("rate", "Rate", "提成比例", f'{_lookup("Tiers", "rate", "key", "{tkey}")}*{_A("rate_scale")}', "0.00##%"),
    _f("tier_kind", "Kind", "类型", f'T({_lookup("Tiers", "tier_kind", "key", "{tkey}")})', None),
    _f("basis", "Bounds in", "档位单位", _M("basis"), None),
    _f("mode", "Mode", "计算方式", _M("mode"), None),
    _f("quota_prorated", "Quota (prorated)", "折算定额", _A("quota_prorated")),
    _f("factor", "Share employed", "在职比例", _A("factor"), NUM),
    _f("achieved", "Achieved (paid on)", "计提业绩",
       f'IF(IF({{basis}}="quota",{{quota_prorated}}>0,{{factor}}>0),{_A("achieved")},0)'),
    _f("scale", "Scale", "档位倍数", 'IF({basis}="quota",{quota_prorated},IF(Prorate=1,{factor},1))', "#,##0.00##"),
    _f("lower", "From", "起", "ROUND({bound}*{scale},6)"),
    _f("upper", "To", "止", 'IF({next_bound}="","",ROUND({next_bound}*{scale},6))'),
    _f("in_tier", "Amount in tier", "本档金额",
       'IF({achieved}<0,IF({tier}=1,{achieved},0),IF({mode}="retro",'
       'IF({upper}="",IF({achieved}>={lower},{achieved},0),IF(AND({achieved}>={lower},{achieved}<{upper}),{achieved},0)),'
       'MAX(0,IF({upper}="",{achieved},MIN({achieved},{upper}))-{lower})))'),
    _f("payout", "Tier payout", "本档提成", "ROUND({in_tier}*{rate},2)"),
    _f("withheld", "Accelerator held back", "加速档扣减",
       f'IF(AND(ISNUMBER({_M("accel_from")}),{{bound}}>={_M("accel_from")}),'
       f'IF(OR({_A("ytd_quota")}<=0,{_A("ytd_attainment")}<{_M("accel_ytd")}),'
       f'-({{payout}}-ROUND({{in_tier}}*({_M("base_rate")}*{_A("rate_scale")}),2)),0),0)'),
)
MEASURE_PAYOUTS = (
    Field("key", "Row key", "行键"), Field("rep", "Rep", "销售代表"), Field("measure", "Measure", "指标"),
    _f("achieved", "Achieved", "完成", _A("achieved")),
    _f("quota_prorated", "Quota (prorated)", "折算定额", _A("quota_prorated")),
    _f("attainment", "Attainment", "达成率", _A("attainment"), PCT),
    _f("tier_pay", "Tier payouts", "阶梯提成", "ROUND(SUMIFS({TierWorking.payout},{TierWorking.key},{key}),2)"),
    _f("accelerator", "Accelerator gate", "加速门槛", "ROUND(SUMIFS({TierWorking.withheld},{TierWorking.key},{key}),2)"),
    _f("gate", "Gate", "门槛",
       f'IF(AND(ISNUMBER({_M("gate")}),{{quota_prorated}}>0),IF({{attainment}}<{_M("gate")},'
       '-ROUND({tier_pay}+{accelerator},2),0),0)'),
    _f("subtotal", "Subtotal", "小计", "ROUND({tier_pay}+{accelerator}+{gate},2)"),
    _f("weight", "Weight", "权重", _M("weight"), PCT),
    _f("weighted", "Weighted", "加权后", "ROUND({subtotal}*{weight},2)"),
    _f("cap", "Cap", "封顶", f'IF(ISNUMBER({_M("cap")}),ROUNDDOWN({_M("cap")}*IF(Prorate=1,{_A("factor")},1),2),"")'),
    _f("cap_adj", "Cap adjustment", "封顶调整", 'IF({cap}="",0,MIN(0,ROUND({cap}-{weighted},2)))'),
    _f("returns", "Returns", "退货", _A("returns")),
    _f("clawback", "Clawback", "退货扣回", f'ROUND({{returns}}*({_M("first_rate")}*{_A("rate_scale")})*{{weight}},2)'),
    # taken back at the rate paid in the period of the reversed order (an earlier period: a value)
    Field("credit_notes", "Credit notes", "冲销扣回", number_format=MONEY),
    _f("net", "Measure commission", "指标提成", "ROUND({weighted}+{cap_adj},2)"),
)
REP_PAYOUTS = (
    Field("rep", "Rep", "销售代表"), Field("region", "Region", "区域"), Field("team", "Team", "团队"),
    Field("factor", "Share employed", "在职比例", number_format=NUM),
    _f("commission", "Commission", "提成", "ROUND(SUMIFS({MeasurePayouts.net},{MeasurePayouts.rep},{rep}),2)"),
    _f("plan_cap", "Plan cap", "方案封顶", 'IF(ISNUMBER(PlanCap),ROUNDDOWN(PlanCap*IF(Prorate=1,{factor},1),2),"")'),
    _f("plan_cap_adj", "Plan cap adjustment", "封顶调整", 'IF({plan_cap}="",0,MIN(0,ROUND({plan_cap}-{commission},2)))'),
    _f("clawbacks", "Clawbacks", "扣回", "ROUND(SUMIFS({MeasurePayouts.clawback},{MeasurePayouts.rep},{rep})"
       "+SUMIFS({MeasurePayouts.credit_notes},{MeasurePayouts.rep},{rep}),2)"),
    _f("awards", "Awards", "奖励", "ROUND(SUMIFS({Awards.amount},{Awards.rep},{rep}),2)"),
    _f("earned", "Earned", "应得", "ROUND({commission}+{plan_cap_adj}+{clawbacks}+{awards},2)"),
    _f("draw", "Draw", "保底", "IF(ISNUMBER(DrawAmount),ROUND(DrawAmount*IF(Prorate=1,{factor},1),2),0)"),
    Field("draw_open", "Draw owed (start)", "期初待追回", number_format=MONEY),
    _f("draw_topup", "Draw top-up", "保底补足", "ROUND(MAX({draw}-{earned},0),2)"),
    _f("draw_recovery", "Draw recovery", "保底追回",
       "IF(DrawRecoverable=1,ROUND(MIN({draw_open},MAX({earned}-{draw},0)),2),0)"),
    Field("prior_adjustments", "Prior-period adjustments", "以前期间调整", number_format=MONEY),
    _f("payout", "Payout", "应发提成", "ROUND({earned}+{draw_topup}-{draw_recovery}+N({prior_adjustments}),2)"),
    _f("draw_close", "Draw owed (end)", "期末待追回",
       "IF(DrawRecoverable=1,ROUND({draw_open}+{draw_topup}-{draw_recovery},2),{draw_open})"),
    Field("expected", "Computed payout", "计算结果", number_format=MONEY),
    _f("check", "Check", "校验", 'IF(ABS({payout}-{expected})<0.005,"OK","CHECK")', None),
)
AWARDS = (
    Field("rep", "Rep", "销售代表"), Field("award", "Award", "奖项"), Field("kind", "Kind", "类型"),
    Field("measure", "Measure", "指标"), Field("base", "Attainment", "达成率", number_format=PCT),
    Field("amount", "Amount", "金额", number_format=MONEY),
)
LINES = (
    Field("rep", "Rep", "销售代表"), Field("seq", "#", "序号"), Field("item", "Item", "项目"),
    Field("source", "From table", "来源表"),
    Field("measure", "Measure", "指标"), Field("description", "Working", "计算说明"),
    Field("lower", "From", "起", number_format=MONEY), Field("upper", "To", "止", number_format=MONEY),
    Field("base", "Base", "基数", number_format="#,##0.00##"), Field("rate", "Rate", "比例", number_format="0.00##"),
    Field("amount", "Amount", "金额", number_format=MONEY),
)

RELIEF = (  # the trail of quota relief of the plan year through the period
    Field("rep", "Rep", "销售代表"), Field("period", "Period", "期间"), Field("measure", "Measure", "指标"),
    Field("quota", "Quota before relief", "减免前定额", number_format=MONEY),
    Field("relief", "Relief", "减免", number_format=MONEY),
    Field("quota_after", "Quota for attainment", "计达成率定额", number_format=MONEY),
    Field("reason", "Reason", "原因"),
)
WHATIF_REPS = (
    Field("rep", "Rep", "销售代表"), Field("payout", "Payout (plan)", "应发（现方案）", number_format=MONEY),
    Field("whatif_payout", "Payout (what-if plan)", "应发（假设方案）", number_format=MONEY),
    _f("difference", "Difference", "差额", "ROUND({whatif_payout}-{payout},2)"),
    Field("pipeline_payout", "If open deals close (plan)", "商机成交时（现方案）", number_format=MONEY),
    Field("pipeline_whatif", "If open deals close (what-if)", "商机成交时（假设方案）", number_format=MONEY),
)
WHATIF_LINES = (
    Field("rep", "Rep", "销售代表"), Field("line", "Line", "明细行"),
    Field("old", "Plan", "现方案", number_format=MONEY), Field("new", "What-if plan", "假设方案", number_format=MONEY),
    _f("difference", "Difference", "差额", "ROUND({new}-{old},2)"),
)
PLAN_CURVE = (
    Field("rep", "Rep", "销售代表"), Field("attainment", "Attainment", "达成率", number_format="0%"),
    Field("payout", "Payout (plan)", "应发（现方案）", number_format=MONEY),
    Field("whatif_payout", "Payout (what-if plan)", "应发（假设方案）", number_format=MONEY),
)
CURVE_VIEW = (  # the curve of the rep named in CurveRep, for the chart
    Field("attainment", "Attainment", "达成率", number_format="0%"),
    _f("payout", "Plan", "现方案",
       "SUMIFS({PlanCurve.payout},{PlanCurve.rep},CurveRep,{PlanCurve.attainment},{attainment})"),
    _f("whatif_payout", "What-if plan", "假设方案",
       "SUMIFS({PlanCurve.whatif_payout},{PlanCurve.rep},CurveRep,{PlanCurve.attainment},{attainment})"),
)
AWARD_RULES = (  # the plan's awards as rules (the Awards table holds what they paid): editable
    _in("kind", "Award type (star / best_team / spif)", "奖项类型（star / best_team / spif）"),
    _in("name", "Award", "奖项"), _in("amount", "Amount", "金额", MONEY),
    _in("measure", "Measure", "指标"), _in("tie", "Ties (share / each)", "并列（share / each）"),
    _in("min_attainment", "Minimum attainment", "最低达成率", PCT),
    _in("reps", "Reps (spif; separated by ;)", "适用代表（专项奖；以 ; 分隔）"),
    _in("periods", "Periods (spif; separated by ;)", "适用期间（专项奖；以 ; 分隔）"),
)
# What the payout engine was given, per rep, period and measure of the plan year through the period,
# so that a recompute needs nothing but the workbook (xlwings Lite has no input files).
ENGINE_INPUTS = (
    Field("rep", "Rep", "销售代表"), Field("period", "Period", "期间"), Field("measure", "Measure", "指标"),
    Field("achieved", "Achieved", "完成", number_format=MONEY),
    Field("returns", "Returns", "退货", number_format=MONEY),
    Field("quota", "Quota (full period)", "定额（整期）", number_format=MONEY),
)
ENGINE_REPS = (
    Field("rep", "Rep", "销售代表"), Field("region", "Region", "区域"), Field("team", "Team", "团队"),
    Field("hire_date", "Hire date", "入职日期", number_format="yyyy-mm-dd"),
    Field("leave_date", "Leave date", "离职日期", number_format="yyyy-mm-dd"),
)
ENGINE_RELIEF = (
    Field("rep", "Rep", "销售代表"), Field("period", "Period", "期间"), Field("measure", "Measure", "指标"),
    Field("amount", "Relief", "减免", number_format=MONEY), Field("reason", "Reason", "原因"),
)
ENGINE_CREDITS = (
    Field("rep", "Rep", "销售代表"), Field("period", "Period", "期间"),
    Field("orig_period", "Period of the reversed order", "被冲销订单期间"), Field("measure", "Measure", "指标"),
    Field("amount", "Credit note", "冲销金额", number_format=MONEY), Field("order_id", "Reversed order", "被冲销订单"),
    Field("orig_date", "Date of the reversed order", "被冲销订单日期", number_format="yyyy-mm-dd"),
)
SHEETS = {  # key: (en, zh)
    "plan": ("Plan", "方案"), "actuals": ("Actuals and quotas", "业绩与定额"), "working": ("Tier working", "阶梯计算"),
    "payouts": ("Payouts", "提成汇总"), "awards": ("Awards", "奖励"), "lines": ("Statement lines", "提成明细行"),
    "relief": ("Quota relief", "定额减免"), "whatif": ("What-if", "假设分析"),
    "engine": ("Engine inputs", "计算输入"),
}
# RepPayouts sits right of MeasurePayouts, one empty column between them (tables must not overlap)
REP_PAYOUTS_COLUMN = __import__("openpyxl").utils.get_column_letter(len(MEASURE_PAYOUTS) + 2)
TABLES = {  # name: (sheet key, fields, top-left, row key)
    "Measures": ("plan", MEASURES, "A12", ["measure"]),
    "Tiers": ("plan", TIERS, "A20", ["key"]),
    "Actuals": ("actuals", ACTUALS, "A3", ["key"]),
    "TierWorking": ("working", TIER_WORKING, "A3", ["rep", "measure", "tier"]),
    "MeasurePayouts": ("payouts", MEASURE_PAYOUTS, "A20", ["key"]),
    "RepPayouts": ("payouts", REP_PAYOUTS, f"{REP_PAYOUTS_COLUMN}20", ["rep"]),
    "Awards": ("awards", AWARDS, "A3", None),
    "StatementLines": ("lines", LINES, "A3", None),
    "QuotaRelief": ("relief", RELIEF, "A3", None),
    "WhatIfReps": ("whatif", WHATIF_REPS, "A7", None),
    "WhatIfLines": ("whatif", WHATIF_LINES, "H7", None),
    "PlanCurve": ("whatif", PLAN_CURVE, "N7", None),
    "CurveView": ("whatif", CURVE_VIEW, "S7", None),
    "AwardRules": ("plan", AWARD_RULES, "I20", None),
    "EngineInputs": ("engine", ENGINE_INPUTS, "A3", None),
    "EngineReps": ("engine", ENGINE_REPS, "H3", None),
    "EngineRelief": ("engine", ENGINE_RELIEF, "N3", None),
    "EngineCredits": ("engine", ENGINE_CREDITS, "T3", None),
}
ENGINE_TABLES = ("AwardRules", "EngineInputs", "EngineReps", "EngineRelief", "EngineCredits")
SETTINGS = (  # defined name, en, zh, number format
    ("PlanName", "Plan", "方案", None), ("PlanPeriod", "Period", "期间", None),
    ("PlanCurrency", "Currency", "币种", None),
    ("Prorate", "Prorate by days (1 = yes)", "按天折算（1 = 是）", None),
    ("PlanCap", "Plan cap per rep", "每人方案封顶", MONEY),
    ("DrawAmount", "Draw per period", "每期保底", MONEY),
    ("DrawRecoverable", "Draw recoverable (1 = yes)", "保底可追回（1 = 是）", None),
    ("TargetIncentive", "Target incentive per period (OTE − base)", "每期目标奖金（目标收入 − 底薪）", MONEY),
)
EDITABLE_SETTINGS = ("Prorate", "PlanCap", "DrawAmount", "DrawRecoverable", "TargetIncentive")  # every payout follows them
SOURCES = (  # defined name, en, zh, command option: the input files, so that Refresh can re-read them
    ("SourcePlan", "Plan file", "方案文件", "plan"), ("SourceOrders", "Orders file", "订单文件", "orders"),
    ("SourceReps", "Reps file", "销售代表文件", "reps"), ("SourceTargets", "Targets workbook", "目标工作簿", "targets"),
    ("SourceQuotas", "Quotas file", "定额文件", "quotas"), ("SourceClawbacks", "Clawbacks file", "扣回清单", "clawbacks"),
    ("SourceCredits", "Credits file", "分成文件", "credits"), ("SourceRelief", "Quota relief file", "定额减免文件", "relief"),
)
LEDGER_NAMES = (  # defined name, en, zh (plan sheet, below the input files)
    ("LedgerFile", "Ledger of closed periods", "已结账台账"), ("LedgerSeal", "Last closed period and seal", "最近结账期间与封签"),
)
TOTALS = (  # defined name, en, zh, formula (on the payouts sheet)
    ("TotalPayout", "Total payout", "应发合计", "=ROUND(SUM({RepPayouts.payout}),2)"),
    ("TotalLines", "Sum of statement lines", "明细合计", "=ROUND(SUM({StatementLines.amount}),2)"),
    ("TotalExpected", "Computed by Python", "计算结果合计", "=ROUND(SUM({RepPayouts.expected}),2)"),
    ("TotalCheck", "Check", "校验", '=IF(AND(ABS(TotalPayout-TotalLines)<0.005,ABS(TotalPayout-TotalExpected)<0.005),"OK","CHECK")'),
)


def _label(pair, lang):
    return pair[1] if lang == "zh" else pair[0]


# ---------------------------------------------------------------------------------------------
# Template


def build_template(lang: str = "en") -> openpyxl.Workbook:
    """The empty commission workbook: sheets, named tables, defined names, formats, protection."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    sheets = {key: wb.create_sheet(_label(labels, lang)) for key, labels in SHEETS.items()}
    plan = sheets["plan"]
    plan["A1"] = "xlsales — 提成方案" if lang == "zh" else "xlsales — commission plan"
    plan["A1"].font = Font(bold=True, size=14)
    for i, (name, en, zh, fmt) in enumerate(SETTINGS, start=3):
        plan.cell(i, 1, zh if lang == "zh" else en)
        if fmt:
            plan.cell(i, 2).number_format = fmt
        if name in EDITABLE_SETTINGS:
            plan.cell(i, 2).protection = Protection(locked=False)
        define_name(wb, name, plan.title, f"$B${i}")
    for i, (name, en, zh, _) in enumerate(SOURCES, start=3):
        plan.cell(i, 4, zh if lang == "zh" else en)
        define_name(wb, name, plan.title, f"$E${i}")
    for i, (name, en, zh) in enumerate(LEDGER_NAMES, start=3):
        plan.cell(i, 7, zh if lang == "zh" else en)
        define_name(wb, name, plan.title, f"$H${i}")
    plan.column_dimensions["G"].width = 24
    plan.column_dimensions["A"].width = 30
    plan.column_dimensions["D"].width = 20
    pay = sheets["payouts"]
    for i, (name, en, zh, _) in enumerate(TOTALS, start=3):
        pay.cell(i, 1, zh if lang == "zh" else en).font = Font(bold=True)
        pay.cell(i, 2).number_format = MONEY
        define_name(wb, name, pay.title, f"$B${i}")
    titles = {
        "actuals": ("Achieved and quotas per rep and measure for the period", "本期各代表各指标的完成与定额"),
        "working": ("Tier working: each slice of achievement at its own tier's rate", "阶梯计算：每段业绩按所在档位比例"),
        "awards": ("Awards: star of the month, best team, SPIFs", "奖励：月度销售之星、最佳团队、专项奖"),
        "lines": ("Statement lines: every line of every payout", "提成明细行：每笔提成的每一行"),
        "relief": ("Quota relief granted this plan year, with the reasons", "本方案年度的定额减免及原因"),
        "whatif": ("What-if: the same inputs under a second plan, and each rep's plan curve",
                   "假设分析：同样的输入按另一方案计算，及每人的提成曲线"),
        "engine": ("Engine inputs: what the payouts were computed from, so that Calculate commissions can "
                   "run from this workbook alone (xlwings Lite)",
                   "计算输入：提成的计算依据，使“计算提成”仅凭本工作簿即可运行（xlwings Lite）"),
    }
    whatif = sheets["whatif"]
    for i, (name, en, zh) in enumerate((("WhatIfPlan", "What-if plan", "假设方案"),
                                        ("CurveRep", "Plan curve of rep (type a name)", "提成曲线：销售代表（可输入）")),
                                       start=3):
        whatif.cell(i, 1, zh if lang == "zh" else en)
        define_name(wb, name, whatif.title, f"$B${i}")
    whatif["B4"].protection = Protection(locked=False)
    _curve_chart(whatif, lang)
    for key, pair in titles.items():
        sheets[key]["A1"] = _label(pair, lang)
        sheets[key]["A1"].font = Font(bold=True, size=13)
    plan["I19"] = "奖项规则（可修改）" if lang == "zh" else "Award rules (editable)"
    plan["I19"].font = Font(bold=True)
    pay["A18"] = "各指标提成" if lang == "zh" else "Payout per measure"
    pay[f"{REP_PAYOUTS_COLUMN}18"] = "各代表应发提成" if lang == "zh" else "Payout per rep"
    for cell in (pay["A18"], pay[f"{REP_PAYOUTS_COLUMN}18"]):
        cell.font = Font(bold=True, size=12)
    for name, (sheet_key, fields, top_left, _) in TABLES.items():
        create_table(sheets[sheet_key], name, fields, top_left, lang, width=14)
    plan.column_dimensions["A"].width = 30
    check_col = _column_letter(pay, "RepPayouts", "check", REP_PAYOUTS)
    for fill, word in ((GREEN_FILL, '"OK"'), (RED_FILL, '"CHECK"')):
        pay.conditional_formatting.add(f"{check_col}21:{check_col}1048576",
                                       CellIsRule(operator="equal", formula=[word], fill=fill))
        pay.conditional_formatting.add("B6", CellIsRule(operator="equal", formula=[word], fill=fill))
    for ws in sheets.values():
        ws.protection.sheet = True
        ws.protection.formatColumns = False
        ws.protection.autoFilter = False
        ws.protection.sort = False
    return wb


def _curve_chart(ws, lang):
    """A line chart of CurveView (16 rows: 0 %–150 % attainment): payout under the plan and the what-if plan."""
    from openpyxl.chart import LineChart, Reference
    chart = LineChart()
    chart.title = "提成曲线" if lang == "zh" else "Plan curve"
    chart.x_axis.title = "达成率" if lang == "zh" else "Attainment"
    chart.y_axis.title = "应发" if lang == "zh" else "Payout"
    chart.height, chart.width = 9, 16
    top = 7  # CurveView's header row (column S = 19)
    data = Reference(ws, min_col=20, max_col=21, min_row=top, max_row=top + 16)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=19, min_row=top + 1, max_row=top + 16))
    ws.add_chart(chart, "W7")


def _column_letter(ws, table_name, key, fields):
    from openpyxl.utils import get_column_letter

    from xlsales.workbooks.binding import _field_columns, _table_geometry
    min_col, _, _, _, headers = _table_geometry(ws, ws.tables[table_name])
    return get_column_letter(_field_columns(fields, headers, min_col)[key])


# ---------------------------------------------------------------------------------------------
# Frames for each table


def whatif_frames(whatif: dict | None) -> dict[str, pd.DataFrame]:
    """The what-if tables (empty without a what-if): ``whatif`` holds reps, lines, curve frames."""
    from xlsales.core.commission_whatif import CURVE_STEPS
    w = whatif or {}
    empty = lambda fields: pd.DataFrame(columns=[f.key for f in fields if f.kind != FORMULA])  # noqa: E731
    return {"WhatIfReps": w.get("reps", empty(WHATIF_REPS)), "WhatIfLines": w.get("lines", empty(WHATIF_LINES)),
            "PlanCurve": w.get("curve", empty(PLAN_CURVE)),
            "CurveView": pd.DataFrame({"attainment": list(CURVE_STEPS)})}


def relief_trail(result: CommissionResult, lang: str = "en") -> pd.DataFrame:
    """Every quota relief of the result's periods: rep, period, measure, quota before, relief, after, reason."""
    rows = result.lines[result.lines["kind"] == "relief"]
    return pd.DataFrame({
        "rep": rows["rep"].astype(str).to_numpy(), "period": rows["period"].astype(str).to_numpy(),
        "measure": [result.plan.measure(k).label(lang) for k in rows["measure"].astype(str)],
        "quota": rows["rate"].to_numpy(), "relief": rows["base"].to_numpy(),
        "quota_after": cents(rows["rate"].to_numpy() - rows["base"].to_numpy()),
        "reason": rows["note"].astype(str).to_numpy()})


def table_frames(result: CommissionResult, lang: str = "en", trail: pd.DataFrame | None = None
                 ) -> dict[str, pd.DataFrame]:
    """What each table holds for the result's (single) period; ``trail``: the year's quota relief."""
    plan = result.plan
    measures = pd.DataFrame([{
        "measure": m.key, "label": m.label(lang), "weight": m.weight, "basis": m.basis, "mode": m.mode,
        "quota_source": m.quota_source if m.quota_source != "fixed" else f"{m.quota_amount:g}",
        "cap": m.cap, "gate": m.gate, "accel_from": m.accelerator_from, "accel_ytd": m.accelerator_ytd,
    } for m in plan.measures])
    kind_words = {"": None, "decelerator": ("Decelerator", "减速档"), "accelerator": ("Accelerator", "加速档")}
    tiers = pd.DataFrame([{"key": f"{m.key}#{i}", "measure": m.key, "tier": i, "bound": t.bound, "rate": t.rate,
                           "tier_kind": _label(kind_words[k], lang) if kind_words[k] else None}
                          for m in plan.measures for i, (t, k) in enumerate(zip(m.tiers, m.tier_kinds()), start=1)])
    rows = result.measures.copy()
    rows["key"] = rows["rep"].astype(str) + "#" + rows["measure"].astype(str)
    actuals = rows[[f.key for f in ACTUALS if f.kind != FORMULA]]
    n_tiers = {m.key: len(m.tiers) for m in plan.measures}
    working = rows.loc[rows.index.repeat(rows["measure"].astype(str).map(n_tiers))].copy()
    working["tier"] = working.groupby(["rep", "measure"], observed=True).cumcount() + 1
    working["tkey"] = working["measure"].astype(str) + "#" + working["tier"].astype(str)
    working["nkey"] = working["measure"].astype(str) + "#" + (working["tier"] + 1).astype(str)
    payouts = result.payouts.copy()
    payouts["expected"] = payouts["payout"]
    awards = result.awards.copy()
    lines = describe(result.lines, plan, lang)
    lines["source"] = [_label(SOURCE_TABLES[t][1], lang) if t else None for t in line_sources(lines)]
    # an object column: pandas would turn an all-text column into plain str and lose the Formula type
    lines["amount"] = pd.Series([Formula(f) if f else a for f, a in zip(line_formulas(lines), lines["amount"])],
                                index=lines.index, dtype=object)
    lines["measure"] = lines["measure"].map(lambda k: plan.measure(k).label(lang) if isinstance(k, str) else None)
    return {
        "Measures": measures, "Tiers": tiers, "Actuals": actuals,
        "TierWorking": working[["rep", "measure", "tier", "key", "tkey", "nkey"]],
        "MeasurePayouts": rows[["key", "rep", "measure", "credit_notes"]],
        "RepPayouts": payouts.assign(prior_adjustments=payouts.get("prior_adjustments", 0.0))[
            ["rep", "region", "team", "factor", "draw_open", "prior_adjustments", "expected"]],
        "Awards": awards[["rep", "award", "kind", "measure", "base", "amount"]],
        "StatementLines": lines[[f.key for f in LINES]],
        "QuotaRelief": trail if trail is not None else relief_trail(result, lang),
        **whatif_frames(None),
    }


def engine_frames(result: CommissionResult) -> dict[str, pd.DataFrame]:
    """The plan's award rules and what the engine was given (every period of ``result``), for the tables
    that let ``recompute_workbook`` do the computation again from the workbook alone."""
    plan = result.plan
    label = lambda pnos: [periods_.label(int(p), plan.period) for p in pnos]  # noqa: E731
    empty = lambda fields: pd.DataFrame(columns=[f.key for f in fields])  # noqa: E731
    rules = pd.DataFrame([{
        "kind": a.kind, "name": a.name, "amount": a.amount, "measure": a.measure, "tie": a.tie,
        "min_attainment": a.min_attainment, "reps": "; ".join(a.reps) or None,
        "periods": "; ".join(a.periods) or None} for a in plan.awards]) if plan.awards else empty(AWARD_RULES)
    m = result.measures
    inputs = pd.DataFrame({"rep": m["rep"].astype(str).to_numpy(), "period": label(m["pno"]),
                           "measure": m["measure"].astype(str).to_numpy(), "achieved": m["achieved"].to_numpy(),
                           "returns": m["returns"].to_numpy(), "quota": m["quota"].to_numpy()})
    given = result.inputs or {}
    roster = given.get("roster")
    reps = empty(ENGINE_REPS) if roster is None else pd.DataFrame({
        "rep": roster["rep"].astype(str).to_numpy(),
        **{c: roster[c].to_numpy() if c in roster.columns else None for c in ("region", "team")},
        **{c: pd.to_datetime(roster[c]) if c in roster.columns else pd.NaT for c in ("hire_date", "leave_date")}})
    relief = given.get("relief")
    relief = empty(ENGINE_RELIEF) if relief is None or relief.empty else pd.DataFrame({
        "rep": relief["rep"].astype(str).to_numpy(), "period": label(relief["pno"]),
        "measure": relief["measure"].astype(str).to_numpy(), "amount": relief["amount"].to_numpy(dtype=float),
        "reason": relief["reason"].astype(str).to_numpy()})
    notes = given.get("credit_notes")
    credits = empty(ENGINE_CREDITS) if notes is None or notes.empty else pd.DataFrame({
        "rep": notes["rep"].astype(str).to_numpy(), "period": label(notes["pno"]),
        "orig_period": label(notes["orig_pno"]), "measure": notes["measure"].astype(str).to_numpy(),
        "amount": notes["amount"].to_numpy(dtype=float), "order_id": notes["order_id"].astype(str).to_numpy(),
        "orig_date": pd.to_datetime(notes["orig_date"])})
    if roster is None:
        inputs = inputs.iloc[0:0]    # a result made without the engine's inputs: nothing to recompute from
    return {"AwardRules": rules, "EngineInputs": inputs, "EngineReps": reps, "EngineRelief": relief,
            "EngineCredits": credits}


# ---------------------------------------------------------------------------------------------
# Statement lines follow the working: each amount is a formula over the row it comes from


def text_literal(text: str) -> str:
    """``text`` as an Excel string literal; braces are spelled CHAR(123)/CHAR(125) so that no
    placeholder expansion can touch a rep's or an award's name."""
    body = str(text).replace('"', '""').replace("{", '"&CHAR(123)&"').replace("}", '"&CHAR(125)&"')
    return f'"{body}"'


# line kind → (table, formula template); @K = rep#measure, @R = rep, @T = tier, @A = award name
_MP = "ROUND(SUMIFS({{MeasurePayouts.{0}}},{{MeasurePayouts.key}},@K),2)"
_RP = "ROUND(SUMIFS({{RepPayouts.{0}}},{{RepPayouts.rep}},@R),2)"
LINE_FORMULAS = {
    "tier": ("TierWorking", "ROUND(SUMIFS({TierWorking.payout},{TierWorking.key},@K,{TierWorking.tier},@T),2)"),
    "accelerator_gate": ("MeasurePayouts", _MP.format("accelerator")),
    "gate": ("MeasurePayouts", _MP.format("gate")),
    "weight": ("MeasurePayouts", f'ROUND({_MP.format("weighted")}-{_MP.format("subtotal")},2)'),
    "measure_cap": ("MeasurePayouts", _MP.format("cap_adj")),
    "clawback": ("MeasurePayouts", _MP.format("clawback")),
    "plan_cap": ("RepPayouts", _RP.format("plan_cap_adj")),
    "award": ("Awards", "ROUND(SUMIFS({Awards.amount},{Awards.rep},@R,{Awards.award},@A),2)"),
    "draw": ("RepPayouts", _RP.format("draw_topup")),
    "draw_recovery": ("RepPayouts", f'-{_RP.format("draw_recovery")}'),
}
SOURCE_TABLES = {  # table: (sheet key, (en, zh))
    "TierWorking": ("working", ("Tier working", "阶梯计算")),
    "MeasurePayouts": ("payouts", ("Payout per measure", "各指标提成")),
    "RepPayouts": ("payouts", ("Payout per rep", "各代表应发提成")),
    "Awards": ("awards", ("Awards", "奖励")),
}


def line_sources(lines: pd.DataFrame) -> list[str | None]:
    """The table each statement line's amount comes from (None: a value, e.g. proration)."""
    return [LINE_FORMULAS.get(str(k), (None,))[0] for k in lines["kind"]]


def line_formulas(lines: pd.DataFrame) -> list[str | None]:
    """Per statement line, a formula template (table placeholders only) for its amount, or None."""
    out = []
    for row in lines.itertuples(index=False):
        spec = LINE_FORMULAS.get(str(row.kind))
        if spec is None:
            out.append(None)
            continue
        measure = row.measure if isinstance(row.measure, str) else ""
        award = row.award if isinstance(row.award, str) else ""
        out.append(spec[1].replace("@K", text_literal(f"{row.rep}#{measure}")).replace("@R", text_literal(row.rep))
                   .replace("@T", str(int(row.tier))).replace("@A", text_literal(award)))
    return out


def _source_rows(wb, frames) -> dict:
    """(table, row key) → the sheet row where that row sits as written, for the statements' links."""
    from xlsales.workbooks.binding import find_table
    keyed = {"TierWorking": ("key", "tier"), "MeasurePayouts": ("key",), "RepPayouts": ("rep",),
             "Awards": ("rep", "award")}
    out = {}
    for table, columns in keyed.items():
        ws, t = find_table(wb, table)
        top = int("".join(ch for ch in t.ref.split(":")[0] if ch.isdigit()))
        frame = frames[table]
        for i, key in enumerate(zip(*(frame[c].astype(str) for c in columns))):
            out.setdefault((table, key), (ws.title, top + 1 + i))
    return out


def _line_link(row, sources) -> tuple[str, int] | None:
    table = LINE_FORMULAS.get(str(row.kind), (None,))[0]
    measure = row.measure if isinstance(row.measure, str) else ""
    key = {"TierWorking": (f"{row.rep}#{measure}", str(int(row.tier))), "MeasurePayouts": (f"{row.rep}#{measure}",),
           "RepPayouts": (str(row.rep),), "Awards": (str(row.rep), str(row.award))}.get(table)
    return sources.get((table, key)) if key else None


# ---------------------------------------------------------------------------------------------
# Writing


def write_commission_workbook(result: CommissionResult, path, lang: str = "en", template=None,
                              statement_sheets: bool | None = None, sources: dict | None = None,
                              ledger: tuple | None = None, whatif: dict | None = None) -> Path:
    """Fill the template (or refresh ``path`` in place) with one period of ``result``.

    ``result`` may hold several periods (year to date); the workbook shows the last one.
    ``sources``: the input files by option name (plan, orders, reps, targets, quotas, clawbacks),
    recorded so that ``refresh_workbook`` (the ribbon's Refresh) can read them again.
    """
    path = Path(path)
    last = int(result.payouts["pno"].max())
    period = result.period(last)
    wb = open_workbook(path if path.exists() else (template or template_path("commission", lang)))
    frames = table_frames(period, lang, relief_trail(result, lang))
    frames.update(whatif_frames(whatif))
    frames.update(engine_frames(result))
    if "CurveRep" in wb.defined_names:
        write_name(wb, "WhatIfPlan", (whatif or {}).get("name"))
        current = name_cell(wb, "CurveRep").value
        reps_now = set(period.payouts["rep"].astype(str))
        if current not in reps_now:  # keep the rep the user typed, if still on the plan
            write_name(wb, "CurveRep", str(period.payouts["rep"].iloc[0]) if len(period.payouts) else None)
    plan = result.plan
    settings = {"PlanName": plan.name, "PlanPeriod": periods_.label(last, plan.period),
                "PlanCurrency": plan.currency, "Prorate": 1 if plan.prorate else 0, "PlanCap": plan.cap,
                "DrawAmount": plan.draw.amount if plan.draw else None,
                "DrawRecoverable": 1 if (plan.draw and plan.draw.recoverable) else 0,
                "TargetIncentive": plan.target_incentive}
    for name, value in settings.items():
        if name in wb.defined_names:
            write_name(wb, name, value)
    if sources is not None:   # relative to the workbook; the absolute path beside it as a fallback
        for name, _, _, option in SOURCES:
            if name in wb.defined_names:  # a workbook from an older template may lack the newer names
                relative, absolute = recorded(sources.get(option), path)
                write_name(wb, name, relative)
                name_cell(wb, name).offset(0, 1).value = absolute
    if ledger is not None:
        for name, value in zip(("LedgerFile", "LedgerSeal"), ledger):
            if name in wb.defined_names and value is not None:
                write_name(wb, name, str(value))
    _add_engine_tables(wb, lang)
    ranges = {}
    for name, (_, fields, _, _) in TABLES.items():
        ranges.update(table_ranges(wb, name, fields, len(frames[name])))
    for name, (_, fields, _, key) in TABLES.items():
        write_table(wb, name, fields, frames[name], lang, key=key, formula_ranges=ranges)
    from xlsales.workbooks.binding import expand_formula
    for name, _, _, formula in TOTALS:
        name_cell(wb, name).value = "=" + expand_formula(formula[1:], 0, {}, ranges) if "{" in formula else formula
    many = period.payouts["rep"].nunique() > MAX_STATEMENT_SHEETS
    _statement_sheets(wb, period, lang, enabled=(not many) if statement_sheets is None else statement_sheets,
                      ranges=ranges, sources=_source_rows(wb, frames))
    return save_atomic(wb, path)


def _add_engine_tables(wb, lang: str) -> None:
    """Give a workbook made from an older template the award rules and the engine's input tables."""
    have = {name for ws in wb.worksheets for name in ws.tables}
    missing = [name for name in ENGINE_TABLES if name not in have]
    if not missing:
        return
    titles = {key: next((ws for ws in wb.worksheets if ws.title in pair), None) for key, pair in SHEETS.items()}
    for name in missing:
        sheet_key, fields, top_left, _ = TABLES[name]
        ws = titles.get(sheet_key)
        if ws is None:
            ws = titles[sheet_key] = wb.create_sheet(_label(SHEETS[sheet_key], lang))
            ws.protection.sheet = True
        create_table(ws, name, fields, top_left, lang, width=14)


def recompute_workbook(path) -> Path:
    """Recompute a commission workbook from its own tables, without its input files: xlwings Lite's
    Calculate commissions (``xlsales.excel.lite_book``), and the same on the desktop.

    The plan comes from the workbook's plan tables as the user left them (Measures, Tiers, Award rules
    and the settings: an edited rate, gate or cap counts), read and checked by the same rules as a plan
    file (``xlsales.io.plan.plan_from_dict``); the achieved amounts, returns, quotas, reps' dates, quota
    relief and credit notes of every period so far come from the Engine inputs sheet, as the last run
    with the input files left them. The engine (``compute_payouts``) then pays the period again and the
    workbook is written as a refresh writes it. A workbook that pays against a ledger of closed periods,
    or whose plan has versions, needs its files: those are refused with a message."""
    from xlsales.core.commission_inputs import CREDIT_NOTE_COLUMNS, RELIEF_COLUMNS
    from xlsales.io.plan import plan_from_dict
    from xlsales.workbooks.binding import WorkbookError, find_table, read_table

    path = Path(path)
    wb = open_workbook(path)
    for name in ENGINE_TABLES:
        try:
            find_table(wb, name)
        except WorkbookError:
            raise WorkbookError(f"{path.name}: the workbook has no table {name!r} (it was written by an older "
                                "xlsales): calculate commissions once with the input files (desktop ribbon or "
                                "`xlsales commission`) so that it keeps what the engine needs") from None
    value = lambda name: name_cell(wb, name).value if name in wb.defined_names else None  # noqa: E731
    if value("LedgerSeal"):    # a period was closed: what changed since is paid against the ledger file
        raise InputError(f"LedgerSeal: {path.name} pays against the ledger of closed periods ({value('LedgerFile')}; "
                         f"last closed {str(value('LedgerSeal')).split()[0]}), a file: calculate commissions where "
                         "the file is (desktop ribbon or `xlsales commission`)")
    lang = "zh" if SHEETS["plan"][1] in wb.sheetnames else "en"
    label = str(value("PlanPeriod") or "")
    freq = "quarter" if "Q" in label.upper() else "month"
    through = periods_.parse(label, freq, "PlanPeriod")
    inputs = read_table(wb, "EngineInputs", ENGINE_INPUTS)
    if inputs.empty:
        raise WorkbookError(f"{path.name}: the Engine inputs sheet is empty; calculate commissions once with the "
                            "input files so that it keeps what the engine needs")
    plan = _plan_from_tables(wb, path.name, freq, through, plan_from_dict)
    if plan.versions or any("@" in str(k) for k in inputs["measure"]):
        raise InputError(f"{path.name}: the plan has versions; recompute it from the plan file (desktop ribbon or "
                         "`xlsales commission`)")
    def pnos(frame, column):
        """Period numbers of a column of labels ("2026-06", "2026-Q2"); a label Excel turned into a date
        (it may, when a script writes "2026-06" into a cell) is read as its month."""
        return np.asarray([periods_.parse(f"{v.year}-{v.month:02d}" if hasattr(v, "month") else str(v), freq,
                                          f"{path.name}, Engine inputs, column {column}") for v in frame[column]],
                          dtype=np.int64)

    number = lambda frame, column: pd.to_numeric(frame[column], errors="coerce").fillna(0.0).to_numpy(float)  # noqa: E731
    actuals = pd.DataFrame({"rep": inputs["rep"].astype(str).to_numpy(), "pno": pnos(inputs, "period"),
                            "measure": inputs["measure"].astype(str).to_numpy(),
                            "achieved": number(inputs, "achieved"), "returns": number(inputs, "returns")})
    quotas = actuals[["rep", "pno", "measure"]].assign(quota=number(inputs, "quota"))
    reps = read_table(wb, "EngineReps", ENGINE_REPS)
    roster = pd.DataFrame({"rep": reps["rep"].astype(str).to_numpy(),
                           "region": reps["region"].to_numpy(), "team": reps["team"].to_numpy(),
                           "hire_date": pd.to_datetime(reps["hire_date"]), "leave_date": pd.to_datetime(reps["leave_date"])})
    rows = read_table(wb, "EngineRelief", ENGINE_RELIEF)
    relief = None
    if not rows.empty:
        relief = pd.DataFrame({"rep": rows["rep"].astype(str).to_numpy(), "pno": pnos(rows, "period"),
                               "measure": rows["measure"].astype(str).to_numpy(), "amount": number(rows, "amount"),
                               "reason": rows["reason"].fillna("").astype(str).to_numpy(),
                               "row": np.arange(len(rows)) + 1})[RELIEF_COLUMNS]
        relief.attrs["source"] = f"{path.name}, Engine inputs (relief)"
    rows = read_table(wb, "EngineCredits", ENGINE_CREDITS)
    credits = pd.DataFrame(columns=CREDIT_NOTE_COLUMNS) if rows.empty else pd.DataFrame({
        "rep": rows["rep"].astype(str).to_numpy(), "pno": pnos(rows, "period"), "orig_pno": pnos(rows, "orig_period"),
        "measure": rows["measure"].astype(str).to_numpy(), "amount": number(rows, "amount"),
        "order_id": rows["order_id"].astype(str).to_numpy(), "orig_date": pd.to_datetime(rows["orig_date"])})
    wb.close()
    result = compute_payouts(plan, actuals, quotas, roster, through, credits, relief)
    return write_commission_workbook(result, path, lang)


def _blank(value) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (isinstance(value, str) and not value.strip())


def _plan_from_tables(wb, source: str, freq: str, through: int, plan_from_dict) -> Plan:
    """The plan as the workbook's plan tables and settings now say, in the plan file's terms, checked by
    the plan file's rules (messages name the measure, tier or award)."""
    from xlsales.workbooks.binding import read_table

    value = lambda name: name_cell(wb, name).value if name in wb.defined_names else None  # noqa: E731
    given = lambda v: None if _blank(v) else v  # noqa: E731
    tiers = read_table(wb, "Tiers", TIERS)
    measures = {}
    for row in read_table(wb, "Measures", MEASURES).to_dict("records"):
        key = str(row["measure"])
        own = tiers[tiers["measure"].astype(str) == key]
        own = own.assign(_n=pd.to_numeric(own["tier"], errors="coerce")).sort_values("_n", kind="stable")
        quota = row.get("quota_source")
        try:
            quota = float(quota)
        except (TypeError, ValueError):
            quota = str(quota).strip() if not _blank(quota) else "targets"
        measure = {"name": given(row.get("label")), "weight": given(row.get("weight")) if not _blank(row.get("weight")) else 1.0,
                   "quota": quota, "basis": str(given(row.get("basis")) or "quota").strip(),
                   "mode": str(given(row.get("mode")) or "marginal").strip(),
                   "tiers": [[given(t["bound"]), given(t["rate"])] for t in own.to_dict("records")],
                   "cap": given(row.get("cap")), "gate": given(row.get("gate"))}
        if not _blank(row.get("accel_from")):
            measure["accelerators"] = {"from": row["accel_from"], **(
                {} if _blank(row.get("accel_ytd")) else {"ytd_attainment": row["accel_ytd"]})}
        measures[key] = measure
    split = lambda v: [p.strip() for p in str(v).replace("；", ";").split(";") if p.strip()] if not _blank(v) else []  # noqa: E731
    awards = [{"type": str(r["kind"]).strip(), "name": given(r.get("name")), "amount": given(r.get("amount")),
               "measure": given(r.get("measure")), "tie": str(given(r.get("tie")) or "share").strip(),
               "min_attainment": given(r.get("min_attainment")) or 0.0, "reps": split(r.get("reps")),
               "periods": split(r.get("periods"))}
              for r in read_table(wb, "AwardRules", AWARD_RULES).to_dict("records") if not _blank(r.get("kind"))]
    data = {"name": str(given(value("PlanName")) or "Commission plan"),
            "year": through // periods_.PER_YEAR[freq], "period": freq,
            "currency": str(given(value("PlanCurrency")) or ""), "prorate": value("Prorate") in (1, 1.0, True, "1"),
            "cap": given(value("PlanCap")), "measures": measures, "awards": awards}
    if not _blank(value("DrawAmount")):
        data["draw"] = {"amount": value("DrawAmount"), "recoverable": value("DrawRecoverable") in (1, 1.0, True, "1")}
    plan = plan_from_dict(data, f"{source} (plan tables)")
    incentive = value("TargetIncentive")
    if not _blank(incentive):
        try:
            incentive = float(incentive)
        except (TypeError, ValueError):
            raise InputError(f"{source}, TargetIncentive: expected an amount, got {incentive!r}") from None
        from dataclasses import replace
        plan = replace(plan, target_incentive=incentive)
    return plan


def _statement_sheets(wb, period: CommissionResult, lang: str, enabled: bool, ranges=None, sources=None) -> None:
    """A statement sheet per rep (recreated on every refresh), its total checked against Payouts."""
    for ws in [ws for ws in wb.worksheets if ws.title.startswith(STATEMENT_PREFIX)]:
        wb.remove(ws)
    if not enabled:
        return
    lines = describe(period.lines, period.plan, lang)
    by_rep = dict(tuple(lines.groupby("rep", sort=False, observed=True)))
    label = periods_.label(int(period.payouts["pno"].iloc[0]), period.plan.period) if len(period.payouts) else ""
    used = set()
    for row in period.payouts.itertuples(index=False):
        title = _sheet_title(str(row.rep), used)
        ws = wb.create_sheet(title)
        rows = by_rep.get(row.rep, lines.iloc[0:0])
        from xlsales.workbooks.binding import expand_formula
        formulas = [("=" + expand_formula(f, 0, {}, ranges)) if f else None for f in line_formulas(rows)]
        links = [_line_link(line, sources or {}) for line in rows.itertuples(index=False)]
        total = fill_statement_sheet(ws, row.rep, label, rows, float(row.payout), period.plan, lang,
                                     formulas=formulas, links=links)
        total_row = int(total[1:])
        ws.cell(total_row + 2, 3, "与提成汇总一致" if lang == "zh" else "Agrees with Payouts")
        ws.cell(total_row + 2, 4, f'=IF(ABS({total}-INDEX({_payout_range(wb)},MATCH(B2,{_rep_range(wb)},0)))<0.005,'
                                  f'"OK","CHECK")')
        ws.protection.sheet = True


def _sheet_title(rep: str, used: set) -> str:
    bad = '[]:*?/\\'
    clean = "".join("_" if ch in bad else ch for ch in rep)
    title = (STATEMENT_PREFIX + clean)[:31]
    n = 2
    while title in used:
        title = (STATEMENT_PREFIX + clean)[:28] + f"~{n}"
        n += 1
    used.add(title)
    return title


def _payout_range(wb) -> str:
    from xlsales.workbooks.binding import column_range
    return column_range(wb, "RepPayouts", "payout", REP_PAYOUTS)


def _rep_range(wb) -> str:
    from xlsales.workbooks.binding import column_range
    return column_range(wb, "RepPayouts", "rep", REP_PAYOUTS)


# ---------------------------------------------------------------------------------------------
# The whole job, for the command line and the demo


def run_commission(plan: Plan, orders: pd.DataFrame, reps: pd.DataFrame, period: str,
                   monthly_targets: pd.DataFrame | None = None, quotas: pd.DataFrame | None = None,
                   clawbacks: pd.DataFrame | None = None, credits: pd.DataFrame | None = None,
                   relief: pd.DataFrame | None = None) -> CommissionResult:
    """Payouts from the plan year's start through ``period`` ("2026-06" / "2026-Q2").

    ``credits``: order_id, rep, share (split credit); credit notes in the orders (``reverses``) are
    taken back from the reps of the order they reverse."""
    through = periods_.parse(period, plan.period, "period")
    if through // periods_.PER_YEAR[plan.period] != plan.year:
        raise InputError(f"period: {periods_.label(through, plan.period)} is not in the plan year {plan.year}")
    needs = [m.key for m in plan.measures if m.quota_source != "fixed" and m.basis == "quota"]
    if needs and monthly_targets is None and quotas is None:
        raise InputError(f"quotas: the plan takes {', '.join(needs)} quotas from targets or a quotas file; "
                         "give --targets WORKBOOK or --quotas FILE")
    frames = []
    counted = base_plan(plan)  # with versions: one measure per thing counted, to read the inputs
    if monthly_targets is not None:
        frames.append(quotas_from_targets(monthly_targets, counted))
    if quotas is not None:
        frames.append(quotas_from_table(quotas, counted, quotas.attrs.get("source", "quotas")))
    quota_frame = pd.concat(frames, ignore_index=True) if frames else None
    check_collection_dates(orders, counted)
    orders = credited_orders(orders, credits)
    if plan.versions:
        return compute_versioned(plan, orders, quota_frame, roster_from_reps(reps), through, clawbacks,
                                 relief_frame(relief, counted))
    actuals = actuals_from_orders(orders, plan)
    if clawbacks is not None and len(clawbacks):
        actuals = pd.concat([actuals.astype({"rep": object}), clawback_actuals(clawbacks, plan).astype({"rep": object})],
                            ignore_index=True)
    return compute_payouts(plan, actuals, quota_frame, roster_from_reps(reps), through,
                           credit_notes_from_orders(orders, plan), relief_frame(relief, plan))


def refresh_workbook(path) -> Path:
    """Recompute a commission workbook from the input files it records (the ribbon's Refresh)."""
    from xlsales.io.commission_files import load_relief
    from xlsales.io.plan import load_clawbacks, load_plan, load_quotas
    from xlsales.io.schemas import load_orders, load_reps
    from xlsales.workbooks.binding import WorkbookError
    wb = open_workbook(path)
    sources = {option: locate(name_cell(wb, name).value, name_cell(wb, name).offset(0, 1).value, path, option)
               for name, _, _, option in SOURCES if name in wb.defined_names}
    if not sources.get("plan") or not sources.get("orders") or not sources.get("reps"):
        raise WorkbookError("this workbook does not record its input files; run xlsales commission again")
    lang = "zh" if SHEETS["plan"][1] in wb.sheetnames else "en"
    period = str(name_cell(wb, "PlanPeriod").value)
    targets = None
    if sources.get("targets"):
        from xlsales.workbooks.targets import read_monthly_targets
        targets = read_monthly_targets(sources["targets"])
    orders, reps = load_orders(sources["orders"]), load_reps(sources["reps"])
    result = run_commission(
        load_plan(sources["plan"]), orders, reps, period, targets,
        load_quotas(sources["quotas"]) if sources.get("quotas") else None,
        load_clawbacks(sources["clawbacks"]) if sources.get("clawbacks") else None,
        _credits(sources, orders, reps),
        load_relief(sources["relief"], reps) if sources.get("relief") else None)
    ledger = name_cell(wb, "LedgerFile").value if "LedgerFile" in wb.defined_names else None
    if ledger:  # a closed period is never recomputed; changes reaching back are paid as adjustments
        result, _ = settle(result, period, ledger, sources, read_anchor(path))
    return write_commission_workbook(result, path, lang, sources=sources)


def whatif_tables(plan: Plan, whatif_plan: Plan, period: str, run, opportunities: pd.DataFrame | None = None,
                  name: str | None = None) -> dict:
    """The what-if tables: ``run(plan, extra_orders)`` pays the period with the command's inputs (plus
    extra order lines); with ``opportunities`` the open deals expected to close in the period are added
    as "if these close" scenarios under both plans."""
    from xlsales.core.commission_whatif import compare, payouts_in, pipeline_orders, plan_curve
    if (whatif_plan.year, whatif_plan.period) != (plan.year, plan.period):
        raise InputError(f"what-if plan: it pays {whatif_plan.period}s of {whatif_plan.year}, the plan "
                         f"{plan.period}s of {plan.year}; a what-if compares the same periods")
    pno = periods_.parse(period, plan.period, "period")
    old, new = run(plan, None), run(whatif_plan, None)
    reps, lines = compare(old, new, pno)
    curve = plan_curve(plan, old, pno).merge(plan_curve(whatif_plan, new, pno).rename(
        columns={"payout": "whatif_payout"}), on=["rep", "attainment"], how="left")
    reps["pipeline_payout"] = np.nan
    reps["pipeline_whatif"] = np.nan
    if opportunities is not None:
        extra = pipeline_orders(opportunities, plan, pno)
        for column, which in (("pipeline_payout", plan), ("pipeline_whatif", whatif_plan)):
            reps[column] = reps["rep"].map(payouts_in(run(which, extra), pno)).to_numpy()
    return {"reps": reps, "lines": lines, "curve": curve, "name": name or whatif_plan.name}


def read_anchor(path) -> str | None:
    """The last seal an existing commission workbook recorded ("2026-06 <seal>"), or None."""
    path = Path(path)
    if not path.is_file():
        return None
    try:
        wb = openpyxl.load_workbook(path, read_only=False)
        value = name_cell(wb, "LedgerSeal").value if "LedgerSeal" in wb.defined_names else None
    except Exception:  # not a workbook of ours: nothing recorded
        return None
    return str(value) if value else None


def settle(result: CommissionResult, period: str, ledger_path, sources: dict, anchor: str | None = None,
           close: bool = False) -> tuple[CommissionResult, str | None]:
    """Pay ``period`` against the ledger: closed periods are not paid again; what today's inputs change
    in them is paid as prior-period adjustments in ``period``; with ``close`` the period is recorded.
    Returns the result (with the adjustments) and the new anchor when a period was closed."""
    from xlsales.core.commission_ledger import ledger_rows, prior_period_adjustments, with_adjustments
    from xlsales.io import ledger as ledger_io
    plan = result.plan
    pno = periods_.parse(period, plan.period, "period")
    label = periods_.label(pno, plan.period)
    rows = ledger_io.read_ledger(ledger_path, anchor)
    name = Path(ledger_path).name
    closed = list(dict.fromkeys(rows["period"]))
    closed_pnos = [periods_.parse(c, plan.period, f"{name}, period") for c in closed]
    if label in closed:
        later = periods_.label(max(closed_pnos) + 1, plan.period)
        raise InputError(f"period: {label} is closed in {name}; a closed period is never recomputed. Pay {later}: "
                         "what changed since is paid there as prior-period adjustments")
    if closed_pnos and pno < max(closed_pnos):
        raise InputError(f"period: {label} is before {periods_.label(max(closed_pnos), plan.period)}, the last "
                         f"period closed in {name}")
    hashes = ledger_io.input_hashes(sources)
    changed = {}
    if closed:
        then = ledger_io.closed_inputs(ledger_path)
        for c in closed:
            before = then.get(c, {})
            changed[c] = sorted(Path(str(sources[k])).name if sources.get(k) else k
                                for k in set(before) | set(hashes) if before.get(k) != hashes.get(k))
    result = with_adjustments(result, prior_period_adjustments(rows, result, changed), pno)
    if not close:
        return result, None
    return result, ledger_io.append_period(ledger_path, ledger_rows(result, pno, ledger_io.combined_id(hashes)), hashes)


def _credits(sources, orders, reps):
    from xlsales.io.commission_files import check_credit_notes, load_credits
    check_credit_notes(orders)
    return load_credits(sources["credits"], orders, reps) if sources.get("credits") else None


def commission_report(company_frames, plan: Plan, monthly_targets: pd.DataFrame, period: str, out_dir,
                      lang: str = "en", statements: bool = True) -> tuple[list[Path], pd.DataFrame]:
    """The demo's commission step: workbook (and statement files) for ``period``.

    ``company_frames``: anything with ``orders`` and ``reps`` frames (e.g. the sample company).
    Returns the written paths and a summary per rep (payout and its parts) for the period.
    """
    out_dir = Path(out_dir)
    result = run_commission(plan, company_frames.orders, company_frames.reps, period, monthly_targets)
    label = periods_.label(periods_.parse(period, plan.period), plan.period)
    paths = [write_commission_workbook(result, out_dir / f"commission_{label}.xlsx", lang)]
    if statements:
        paths += write_statement_files(result, out_dir / "statements", lang, label)
    return paths, summary(result.period(periods_.parse(period, plan.period)))


def summary(result: CommissionResult) -> pd.DataFrame:
    """Per rep: commission, caps, clawbacks, awards, draw and payout (one period)."""
    columns = ["rep", "region", "team", "period", "commission", "plan_cap_adj", "clawbacks", "awards",
               "draw_topup", "draw_recovery", "payout"] + (
        ["prior_adjustments"] if "prior_adjustments" in result.payouts.columns else [])
    return result.payouts[columns].sort_values("payout", ascending=False, kind="stable").reset_index(drop=True)


def read_payouts(path) -> pd.DataFrame:
    """The RepPayouts table as last written (values Python computed are in ``expected``)."""
    from xlsales.workbooks.binding import read_table
    return read_table(open_workbook(path), "RepPayouts", REP_PAYOUTS)


__all__ = ["build_template", "write_commission_workbook", "commission_report", "run_commission", "summary",
           "KIND_LABELS", "np"]
