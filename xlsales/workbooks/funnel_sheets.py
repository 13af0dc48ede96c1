"""Sheets of the funnel workbook beyond the snapshot: what changed since an earlier view (Changes), deal
risk (Risk, with its rules on the Stages sheet), customers (Customers, Rep customers) and the managers'
forecast calls (Forecast calls).

Each sheet is made on first use (a workbook written before it existed gains it on refresh) and its
tables are bound by name like the others. Python writes what it decided; reconciliations, shares, ABC
classes, dormancy, risk flags and roll-ups are native formulas, so a reader sees them add up and an
edited threshold takes effect at once.
"""
from __future__ import annotations

import pandas as pd
from openpyxl.styles import Font, Protection

from xlsales.core.deal_risk import RiskRules
from xlsales.core.funnel_changes import FLOWS, PipelineChanges
from xlsales.glossary import term
from xlsales.workbooks.binding import (
    FORMULA, INPUT, Field, Formula, WorkbookError, create_table, define_name, expand_formula, find_table, name_cell,
    read_table, set_cell, table_ranges, write_table,
)

MONEY, COUNT, SHARE, DATE = "#,##0.00", "#,##0", "0.0%", "yyyy-mm-dd"

# Sentences of this module, zh and en (single words come from the glossary).
NOTES = {
    "changes": ("What changed in the open pipeline from {earlier} to {now}: each row reconciles the earlier open "
                "pipeline to today's (the check is today's open pipeline on the Deals sheet minus the bridge, 0 "
                "when it adds up).",
                "{earlier} 至 {now} 在途管道的变化：每行从期初在途金额推算到当前在途金额（核对 = 商机表中的当前在途金额 − "
                "推算结果，为 0 即相符）。"),
    "no_compare": ("Run xlsales funnel with --compare EARLIER to see what changed.",
                   "使用 xlsales funnel --compare 上期文件 运行以查看变化。"),
    "risk": ("Open deals by risk: high when two or more rules fire, medium for one. The rules and their "
             "thresholds are on the Stages sheet; the flags follow them at once, the reasons as of the last refresh.",
             "按风险排列的在途商机：触发两条及以上规则为高，一条为中。规则与阈值在“阶段”表中，修改后标记立即更新，原因文字在刷新时更新。"),
    "history": ("Typical days per stage: the median days of {n} closed deals' stage history.",
                "各阶段典型停留天数：{n} 个已关闭商机阶段历史的中位数。"),
    "fallback": ("Typical days per stage: fewer than {min} closed deals with a stage history ({n}), so the stage "
                 "table's days before stale are used.",
                 "各阶段典型停留天数：有阶段历史的已关闭商机少于 {min} 个（{n} 个），因此使用阶段表的滞留天数上限。"),
    "customers": ("Customers by revenue over the 12 months to the as-of date (orders file). ABC: A while the share "
                  "held by larger customers is below the A share, B below the B share, else C. Dormant: no order for "
                  "the months set below.",
                  "按截至日期前 12 个月销售额排列的客户（订单文件）。ABC：排名在前客户的累计占比低于 A 类阈值为 A，低于 B 类阈值为 B，"
                  "其余为 C。休眠：在下方设定的月数内无订单。"),
    "rep_customers": ("Each rep's customers, classed within the rep's own book; the rep's concentration on the left.",
                      "各销售代表的客户，按本人业绩分类；左侧为各代表的客户集中度。"),
    "calls": ("Type each rep's commit and best case call (and a note); teams and the company add up by formula, "
              "beside the weighted pipeline and the deal categories. A refresh keeps the calls.",
              "填写各销售代表的经理承诺预测与最佳预测（及备注）；团队与公司按公式汇总，并与加权管道和商机预测类别对照。刷新时保留填写内容。"),
    "rule.slow_factor": ("Slow in stage: days in stage above this × the stage's typical days",
                         "阶段停留过久：停留天数超过该阶段典型天数的倍数"),
    "rule.max_pushes": ("Close date pushed this many times or more", "成交日期推迟次数达到"),
    "rule.amount_cut": ("Amount cut by this share or more since the earlier view", "较上期金额下调比例达到"),
    "rule.activity_days": ("No activity for more than this many days (with a last-activity column)",
                           "超过该天数无跟进（需提供最近活动日期列）"),
    "rule.min_history": ("Closed deals in the stage history needed before its medians are used",
                         "使用历史中位数所需的已关闭商机数"),
    "rule.stale": ("Stale: longer in the stage than the stage table's days before stale", "滞留：超过阶段表的滞留天数上限"),
    "a_share": ("A share (ABC)", "A 类阈值（ABC）"), "b_share": ("B share (ABC)", "B 类阈值（ABC）"),
    "dormant_months": ("Dormant after (months without an order)", "休眠月数（无订单月数）"),
    "level.company": ("Company", "公司"), "level.team": ("Team", "团队"), "level.rep": ("Rep", "销售代表"),
}


def note(key: str, lang: str) -> str:
    en, zh = NOTES[key]
    return zh if lang == "zh" else en


def _field(group, key, kind="value", formula=None, fmt=None, field_key=None) -> Field:
    return Field(field_key or key, term(group, key, "en"), term(group, key, "zh"), kind, formula=formula,
                 number_format=fmt)


def _sheet(wb, key: str, lang: str, protect: bool = True):
    title = term("sheet", f"funnel.{key}", lang)
    if title in wb.sheetnames:
        return wb[title]
    # The calls go after the team forecast, the other sheets before the Deals sheet.
    before = ("funnel.watch", "Watch", "关注商机") if key == "calls" else ("funnel.deals", "Deals", "商机")
    anchor = next((t for t in (term("sheet", before[0], lang), *before[1:]) if t in wb.sheetnames), None)
    ws = wb.create_sheet(title, wb.sheetnames.index(anchor) if anchor else None)
    ws["A1"] = f"xlsales — {title}"
    ws["A1"].font = Font(bold=True, size=13)
    ws.protection.sheet = protect
    ws.page_setup.orientation = "landscape"             # printed like the other sheets: one page wide
    ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    return ws


def _note(ws, text: str, row: int = 2, width: int = 110) -> None:
    """A sentence above a table, cut into two lines (rows 2 and 3) so that it does not widen the page."""
    import textwrap

    if any(ord(ch) > 0x2E80 for ch in text):            # Chinese: no spaces to break at
        width = width // 2
        lines = [text[i:i + width] for i in range(0, len(text), width)]
    else:
        lines = textwrap.wrap(text, width)
    lines = lines[:1] + [" ".join(lines[1:]) if not any(ord(ch) > 0x2E80 for ch in text) else "".join(lines[1:])]
    for offset, line in enumerate(lines[:2]):
        ws.cell(row + offset, 1).value = line or None


def _table(wb, name: str, sheet_key: str, fields, lang: str, top_left: str = "A4", protect: bool = True):
    try:
        return find_table(wb, name)
    except WorkbookError:  # a workbook from before the sheet existed
        ws = _sheet(wb, sheet_key, lang, protect)
        create_table(ws, name, fields, top_left, lang, width=14)
        return find_table(wb, name)


def _has(wb, name: str) -> bool:
    try:
        find_table(wb, name)
        return True
    except WorkbookError:
        return False


def _bold_rows(ws, first_row: int, rows: int, columns: int, keep) -> None:
    for r in range(first_row, first_row + rows):
        if not keep(ws.cell(r, 1).value):
            for c in range(1, columns + 1):
                cell = ws.cell(r, c)
                cell.font = cell.font.copy(bold=True)


# ------------------------------------------------------------------------------- Changes


def _money(key) -> Field:
    return _field("pipeline_change", key, fmt=MONEY, field_key=f"{key}_amount")


def _count(key) -> Field:
    en, zh = term("pipeline_change", key, "en"), term("pipeline_change", key, "zh")
    return Field(f"{key}_deals", f"{en} (deals)", f"{zh}（商机数）", number_format=COUNT)


_BRIDGE = "+".join(("" if sign > 0 else "-") + f"{{{name}_amount}}" for name, sign in FLOWS).lstrip("+")
CHANGES = (
    Field("level", "Level", "层级"), Field("team", "Team", "团队"), Field("rep", "Rep", "销售代表"),
    *(_money(name) for name, _ in FLOWS), _money("open_now"),
    Field("reconciled", "Open earlier + changes", "期初 + 变化", FORMULA, formula=_BRIDGE, number_format=MONEY),
    Field("check", "Check against Deals (0 = adds up)", "与商机表核对（0 = 相符）", number_format=MONEY),
    *(_count(name) for name, _ in FLOWS), _count("open_now"), _count("forward"), _count("back"), _count("pushed"),
    _field("pipeline_change", "pushes", fmt=COUNT), _count("pulled_in"),
)
CHANGE_TABLE = "PipelineChanges"


def change_rows(changes: PipelineChanges, lang: str, open_status: str) -> pd.DataFrame:
    """Company, then each team with its reps: the figures, and the check formula per level."""
    company, team, rep = (note(f"level.{k}", lang) for k in ("company", "team", "rep"))
    rows = [pd.DataFrame([changes.total]).assign(level=company, team=None, rep=None)]
    teams = changes.by_team.assign(level=team, rep=None)
    reps = changes.by_rep.assign(level=rep)
    for name in teams["team"]:
        rows += [teams.loc[teams["team"].eq(name)], reps.loc[reps["team"].eq(name)].sort_values("rep")]
    rows = pd.concat(rows, ignore_index=True)
    status = f'{{Deals.status}},"{open_status}"'
    check = {company: f"SUMIFS({{Deals.amount}},{status})-{{reconciled}}",
             team: f"SUMIFS({{Deals.amount}},{status},{{Deals.team}},{{team}})-{{reconciled}}",
             rep: f"SUMIFS({{Deals.amount}},{status},{{Deals.rep}},{{rep}})-{{reconciled}}"}
    rows["check"] = pd.Series([Formula(check[level]) for level in rows["level"]], index=rows.index, dtype=object)
    return rows


def write_changes(wb, changes: PipelineChanges | None, lang: str, ranges: dict, open_status: str) -> None:
    """Fill (or make) the Changes sheet; without a comparison an existing sheet is emptied and says
    how to get one."""
    if changes is None:
        if _has(wb, CHANGE_TABLE):
            ws, _ = find_table(wb, CHANGE_TABLE)
            write_table(wb, CHANGE_TABLE, CHANGES, pd.DataFrame(columns=[f.key for f in CHANGES]), lang)
            _note(ws, note("no_compare", lang))
        return
    ws, _ = _table(wb, CHANGE_TABLE, "changes", CHANGES, lang)
    ws.freeze_panes = "D5"
    rows = change_rows(changes, lang, open_status)
    _note(ws, note("changes", lang).format(earlier=f"{changes.earlier_as_of:%Y-%m-%d}",
                                           now=f"{changes.as_of:%Y-%m-%d}"))
    write_table(wb, CHANGE_TABLE, CHANGES, rows, lang, formula_ranges=ranges)
    _bold_rows(ws, 5, len(rows), len(CHANGES), lambda level: level == note("level.rep", lang))


# ------------------------------------------------------------------------------- Risk (rules on Stages)

RULE_NAMES = (("slow_factor", "RiskSlowFactor", "0.0"), ("max_pushes", "RiskMaxPushes", "0"),
              ("amount_cut", "RiskAmountCut", SHARE), ("activity_days", "RiskActivityDays", "0"),
              ("min_history", "RiskMinHistory", "0"))
RULES_TABLE = (
    Field("rule", "Rule", "规则"),
    Field("threshold", "Threshold", "阈值", INPUT),
)
STAGE_TIMES = (
    Field("stage", "Stage", "阶段"),
    Field("median_days", "Median days (history)", "中位停留天数（历史）", number_format="0.0"),
    Field("deals", "Deals measured", "统计商机数", number_format=COUNT),
    Field("typical_days", "Typical days used", "采用的典型天数", FORMULA, number_format="0.0", formula=(
        'IF(AND(HistoryClosedDeals>=RiskMinHistory,ISNUMBER({median_days})),{median_days},'
        'IF(ISNUMBER(INDEX({Stages.stale_days},MATCH({stage},{Stages.stage},0))),'
        'INDEX({Stages.stale_days},MATCH({stage},{Stages.stage},0)),""))')),
)


def _rule(key, formula) -> Field:
    return _field("risk_rule", key, FORMULA, formula, "0")


def _risk_fields(lang_words: dict) -> tuple[Field, ...]:
    high, medium, low = lang_words["high"], lang_words["medium"], lang_words["low"]
    return (
        Field("risk", "Risk", "风险", FORMULA, f'IF({{rules_fired}}>=2,"{high}",IF({{rules_fired}}=1,"{medium}","{low}"))'),
        Field("rules_fired", "Rules fired", "触发规则数", FORMULA,
              "{slow}+{pushed}+{stale}+{amount_cut}+{no_activity}", COUNT),
        Field("id", "Deal ID", "商机编号"), Field("rep", "Rep", "销售代表"), Field("team", "Team", "团队"),
        Field("customer", "Customer", "客户"), Field("stage", "Stage", "阶段"),
        Field("amount", "Amount", "金额", number_format=MONEY),
        Field("days_in_stage", "Days in stage", "阶段停留天数", number_format="0"),
        Field("typical_days", "Typical days", "典型天数", FORMULA,
              'IFERROR(INDEX({StageTimes.typical_days},MATCH({stage},{StageTimes.stage},0)),"")', "0.0"),
        Field("pushes", "Close date pushed", "改期次数", number_format="0"),
        Field("amount_before", "Amount earlier", "上期金额", number_format=MONEY),
        Field("days_idle", "Days since last activity", "距最近活动天数", number_format="0"),
        _rule("slow", 'IF(ISNUMBER({typical_days}),IF({days_in_stage}>RiskSlowFactor*{typical_days},1,0),0)'),
        _rule("pushed", "IF({pushes}>=RiskMaxPushes,1,0)"),
        _rule("stale", "INDEX({Deals.stale},MATCH({id},{Deals.id},0))"),
        _rule("amount_cut", 'IF(ISNUMBER({amount_before}),IF({amount_before}>0,'
                            'IF(({amount_before}-{amount})/{amount_before}>=RiskAmountCut-1E-12,1,0),0),0)'),
        _rule("no_activity", 'IF(ActivityGiven=1,IF(ISNUMBER({days_idle}),IF({days_idle}>RiskActivityDays,1,0),1),0)'),
        Field("reasons", "Why (as of the last refresh)", "原因（截至上次刷新）"),
    )


def risk_fields(lang: str) -> tuple[Field, ...]:
    return _risk_fields({k: term("risk", k, lang) for k in ("high", "medium", "low")})


RISK_TABLE = "DealRisk"


def read_risk_rules(wb) -> RiskRules:
    """The thresholds typed on the Stages sheet (the defaults where the workbook has none yet); a
    threshold that is not a number of 0 or more raises WorkbookError naming it."""
    values = {}
    for key, name, _ in RULE_NAMES:
        if name not in wb.defined_names:
            return RiskRules()
        cell = name_cell(wb, name)
        value = cell.value
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
            label = note(f"rule.{key}", "en")
            raise WorkbookError(f"sheet {cell.parent.title}, cell {cell.coordinate} (risk rule '{label}'): "
                                f"{value!r} is not a number of 0 or more")
        values[key] = int(value) if key in ("max_pushes", "activity_days", "min_history") else float(value)
    return RiskRules(**values)


def _ensure_rules(wb, lang: str, rules: RiskRules) -> None:
    """The risk rules table at H3 of the Stages sheet, its thresholds bound by defined names."""
    ws, _ = find_table(wb, "Stages")
    if _has(wb, "RiskRules"):
        return
    create_table(ws, "RiskRules", RULES_TABLE, "H3", lang, width=16)
    ws.column_dimensions["H"].width = 60
    for i, (key, name, fmt) in enumerate(RULE_NAMES, start=4):
        ws.cell(i, 8).value = note(f"rule.{key}", lang)
        cell = ws.cell(i, 9)
        cell.value = rules.as_dict()[key]
        cell.number_format = fmt
        cell.protection = Protection(locked=False)
        define_name(wb, name, ws.title, f"$I${i}")
    ws.cell(9, 8).value = note("rule.stale", lang)
    table = ws.tables["RiskRules"]
    table.ref = "H3:I9"
    if table.autoFilter is not None:
        table.autoFilter.ref = table.ref
    define_name(wb, "HistoryClosedDeals", ws.title, "$I$11")
    define_name(wb, "ActivityGiven", ws.title, "$I$12")
    create_table(ws, "StageTimes", STAGE_TIMES, "H14", lang, width=16)
    ws.column_dimensions["H"].width = 62


def write_risk(wb, result, lang: str, ranges: dict) -> None:
    """The Risk sheet and the rules on the Stages sheet, from ``result.risk`` / ``result.stage_times``."""
    risk, times = getattr(result, "risk", None), getattr(result, "stage_times", None)
    if risk is None or times is None:
        return
    _ensure_rules(wb, lang, getattr(result, "risk_rules", RiskRules()))
    ws, _ = find_table(wb, "Stages")
    closed = times.attrs.get("closed_deals", 0)
    min_history = getattr(result, "risk_rules", RiskRules()).min_history
    ws["H11"] = {"en": "Closed deals with a stage history", "zh": "有阶段历史的已关闭商机数"}["zh" if lang == "zh" else "en"]
    set_cell(ws["I11"], int(closed))
    ws["H12"] = {"en": "Last-activity dates given (1 = yes)", "zh": "已提供最近活动日期（1 = 是）"}["zh" if lang == "zh" else "en"]
    given = int("last_activity" in result.deals and result.deals["last_activity"].notna().any())
    set_cell(ws["I12"], given)
    ws["H13"] = (note("history", lang).format(n=closed) if times.attrs.get("use_history")
                 else note("fallback", lang).format(min=min_history, n=closed))
    ranges = dict(ranges)
    ranges.update(table_ranges(wb, "StageTimes", STAGE_TIMES, len(times)))
    write_table(wb, "StageTimes", STAGE_TIMES, times[["stage", "median_days", "deals"]], lang, formula_ranges=ranges)
    fields = risk_fields(lang)
    _table(wb, RISK_TABLE, "risk", fields, lang)
    ranges.update(table_ranges(wb, RISK_TABLE, fields, len(risk)))
    frame = risk.assign(reasons=risk_reasons(risk, getattr(result, "risk_rules", RiskRules()), lang))
    write_table(wb, RISK_TABLE, fields, frame, lang, key=["id"], formula_ranges=ranges)
    ws, _ = find_table(wb, RISK_TABLE)
    _note(ws, note("risk", lang))
    ws.freeze_panes = "D5"


def risk_reasons(risk: pd.DataFrame, rules: RiskRules, lang: str) -> list[str]:
    """Each deal's fired rules in words, with the figures that made them fire."""
    zh = lang == "zh"
    out = []
    for r in risk.itertuples(index=False):
        parts = []
        if r.slow:
            parts.append(f"{r.stage}阶段停留 {r.days_in_stage:.0f} 天（典型 {r.typical_days:g} 天 × {rules.slow_factor:g}）" if zh
                         else f"{r.days_in_stage:.0f} days in {r.stage} (typical {r.typical_days:g} × {rules.slow_factor:g})")
        if r.pushed:
            parts.append(f"成交日期推迟 {r.pushes} 次" if zh else f"close date pushed {r.pushes}×")
        if r.stale:
            parts.append("超过滞留天数上限" if zh else "past the stage's days before stale")
        if r.amount_cut:
            cut = (r.amount_before - r.amount) / r.amount_before
            parts.append(f"金额下调 {cut:.0%}（{r.amount_before:,.0f} → {r.amount:,.0f}）" if zh
                         else f"amount down {cut:.0%} ({r.amount_before:,.0f} → {r.amount:,.0f})")
        if r.no_activity:
            parts.append(("无跟进记录" if zh else "no activity recorded") if pd.isna(r.days_idle) else
                         (f"{r.days_idle:.0f} 天无跟进" if zh else f"no activity for {r.days_idle:.0f} days"))
        out.append(("；" if zh else "; ").join(parts))
    return out



def _existing(path):
    from pathlib import Path

    from xlsales.workbooks.binding import open_workbook

    if path is None or not Path(path).is_file():
        return None
    try:
        return open_workbook(path)
    except Exception:  # noqa: BLE001 - not a workbook: the write will say so
        return None


def existing_risk_rules(path) -> RiskRules:
    """The risk thresholds of an existing funnel workbook at ``path`` (the defaults when there is none)."""
    wb = _existing(path)
    return RiskRules() if wb is None else read_risk_rules(wb)


def existing_customer_settings(path) -> dict:
    """A share, B share and dormant months of an existing funnel workbook (the defaults when none)."""
    wb = _existing(path)
    return {"a_share": 0.8, "b_share": 0.95, "dormant_months": 6} if wb is None else read_customer_settings(wb)


# ------------------------------------------------------------------------------- Customers


def _cf(key, kind="value", formula=None, fmt=None) -> Field:
    return _field("customer_figure", key, kind, formula, fmt)


def _customer_fields(open_status: str, per_rep: bool) -> tuple[Field, ...]:
    t = "RepCustomers" if per_rep else "Customers"
    scope = f"{{{t}.rep}},{{rep}}," if per_rep else ""
    total = f"SUMIFS({{{t}.counted}},{{{t}.rep}},{{rep}})" if per_rep else f"SUM({{{t}.counted}})"
    deal_scope = "{Deals.rep},{rep}," if per_rep else ""
    lead = (Field("rep", "Rep", "销售代表"),) if per_rep else ()
    return lead + (
        _cf("rank", fmt="0"), Field("customer", "Customer", "客户"),
        _cf("revenue", fmt=MONEY), _cf("orders", fmt=COUNT), _cf("last_order", fmt=DATE),
        Field("counted", "Revenue counted (≥ 0)", "计入销售额（≥ 0）", FORMULA, "MAX({revenue},0)", MONEY),
        _cf("share", FORMULA, f'IF({total}>0,{{counted}}/{total},"")', SHARE),
        _cf("before", FORMULA, f'IF({total}>0,SUMIFS({{{t}.counted}},{scope}{{{t}.rank}},"<"&{{rank}})/{total},"")',
            SHARE),
        _cf("abc", FORMULA, 'IF({before}="","C",IF({before}<AbcA-1E-12,"A",IF({before}<AbcB-1E-12,"B","C")))'),
        _cf("dormant", FORMULA, "IF({last_order}<EDATE(AsOf,-DormantMonths),1,0)", "0"),
        _cf("open_deals", FORMULA,
            f'COUNTIFS({deal_scope}{{Deals.customer}},{{customer}},{{Deals.status}},"{open_status}")', COUNT),
        _cf("open_pipeline", FORMULA,
            f'SUMIFS({{Deals.amount}},{deal_scope}{{Deals.customer}},{{customer}},{{Deals.status}},"{open_status}")',
            MONEY),
    ) + ((_cf("a_without_deal", FORMULA, 'IF(AND({abc}="A",{open_deals}=0),1,0)', "0"),) if per_rep else ())


def _concentration_fields() -> tuple[Field, ...]:
    crit = "{RepCustomers.rep},{rep}"
    total = f"SUMIFS({{RepCustomers.counted}},{crit})"
    return (
        Field("rep", "Rep", "销售代表"),
        _cf("customers", FORMULA, f"COUNTIFS({crit})", COUNT),
        _cf("revenue", FORMULA, f"SUMIFS({{RepCustomers.revenue}},{crit})", MONEY),
        _cf("top_n_share", FORMULA, f'IF({total}>0,SUMIFS({{RepCustomers.counted}},{crit},{{RepCustomers.rank}},"<=10")'
                                    f"/{total},\"\")", SHARE),
        _cf("top_share_customers", FORMULA, 'IF({customers}=0,0,MAX(1,ROUNDUP(0.2*{customers}-1E-9,0)))', COUNT),
        _cf("top_share_share", FORMULA, f'IF({total}>0,SUMIFS({{RepCustomers.counted}},{crit},{{RepCustomers.rank}},'
                                        f'"<="&{{top_share_customers}})/{total},"")', SHARE),
        _cf("a", FORMULA, f'COUNTIFS({crit},{{RepCustomers.abc}},"A")', COUNT),
        _cf("b", FORMULA, f'COUNTIFS({crit},{{RepCustomers.abc}},"B")', COUNT),
        _cf("c", FORMULA, f'COUNTIFS({crit},{{RepCustomers.abc}},"C")', COUNT),
        _cf("dormant_customers", FORMULA, f"SUMIFS({{RepCustomers.dormant}},{crit})", COUNT),
        _cf("a_without_deal", FORMULA, f"SUMIFS({{RepCustomers.a_without_deal}},{crit})", COUNT),
    )


# Company concentration on the Customers sheet: (defined name, glossary key, formula, format)
CUSTOMER_HEADLINES = (
    ("CustomerCount", "customers", "COUNTA({Customers.customer})", COUNT),
    ("CustomerRevenue", "revenue", "SUM({Customers.revenue})", MONEY),
    ("CustomerTop10Share", "top_n_share",
     'IF(SUM({Customers.counted})>0,SUMIFS({Customers.counted},{Customers.rank},"<=10")/SUM({Customers.counted}),"")',
     SHARE),
    ("CustomerTop20Count", "top_share_customers", "IF(CustomerCount=0,0,MAX(1,ROUNDUP(0.2*CustomerCount-1E-9,0)))",
     COUNT),
    ("CustomerTop20Share", "top_share_share",
     'IF(SUM({Customers.counted})>0,SUMIFS({Customers.counted},{Customers.rank},"<="&CustomerTop20Count)'
     '/SUM({Customers.counted}),"")', SHARE),
    ("CustomersA", "a", 'COUNTIFS({Customers.abc},"A")', COUNT),
    ("CustomersB", "b", 'COUNTIFS({Customers.abc},"B")', COUNT),
    ("CustomersC", "c", 'COUNTIFS({Customers.abc},"C")', COUNT),
    ("CustomersDormant", "dormant_customers", "SUM({Customers.dormant})", COUNT),
)
CUSTOMER_INPUTS = (("AbcA", "a_share", 0.8, SHARE), ("AbcB", "b_share", 0.95, SHARE),
                   ("DormantMonths", "dormant_months", 6, "0"))


def read_customer_settings(wb) -> dict:
    """A share, B share and dormant months typed on the Customers sheet (defaults where none yet)."""
    out, where = {}, {}
    for name, key, default, _ in CUSTOMER_INPUTS:
        cell = name_cell(wb, name) if name in wb.defined_names else None
        value = default if cell is None else cell.value
        where[key] = "Customers sheet" if cell is None else f"sheet {cell.parent.title}, cell {cell.coordinate}"
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1e9:
            raise WorkbookError(f"{where[key]} ({note(key, 'en')}): {value!r} is not a number of 0 or more")
        out[key] = value
    if not 0 < out["a_share"] <= out["b_share"] <= 1:
        raise WorkbookError(f"{where['a_share']} and {where['b_share'].split(', ')[-1]}: A share ({out['a_share']:g}) "
                            f"and B share ({out['b_share']:g}) must satisfy 0 < A ≤ B ≤ 1")
    out["dormant_months"] = int(out["dormant_months"])
    return out


def write_customers(wb, result, lang: str, ranges: dict, open_status: str) -> None:
    """The Customers sheet (company view and concentration) and the Rep customers sheet."""
    view, per_rep = getattr(result, "customers", None), getattr(result, "rep_customers", None)
    if view is None or per_rep is None:
        return
    settings = getattr(result, "customer_settings", None) or {"a_share": 0.8, "b_share": 0.95, "dormant_months": 6}
    company_fields = _customer_fields(open_status, per_rep=False)
    if not _has(wb, "Customers"):
        ws = _sheet(wb, "customers", lang)
        for i, (name, key, _, fmt) in enumerate(CUSTOMER_INPUTS, start=4):
            ws.cell(i, 1).value = note(key, lang)
            cell = ws.cell(i, 2)
            cell.value = settings[key]
            cell.number_format = fmt
            cell.protection = Protection(locked=False)
            define_name(wb, name, ws.title, f"$B${i}")
        for i, (name, key, _, fmt) in enumerate(CUSTOMER_HEADLINES, start=4):
            ws.cell(i, 4).value = term("customer_figure", key, lang)
            ws.cell(i, 5).number_format = fmt
            define_name(wb, name, ws.title, f"$E${i}")
        ws.column_dimensions["A"].width = ws.column_dimensions["D"].width = 28
        create_table(ws, "Customers", company_fields, "A15", lang, width=14)
        ws.freeze_panes = "C16"
    ws, _ = find_table(wb, "Customers")
    _note(ws, note("customers", lang))
    ranges = dict(ranges)
    ranges.update(table_ranges(wb, "Customers", company_fields, len(view)))
    write_table(wb, "Customers", company_fields, view, lang, key=["customer"], formula_ranges=ranges)
    for name, _, formula, fmt in CUSTOMER_HEADLINES:
        cell = name_cell(wb, name)
        cell.value = "=" + expand_formula(formula, cell.row, {}, ranges)
        cell.number_format = fmt
    rep_fields, conc_fields = _customer_fields(open_status, per_rep=True), _concentration_fields()
    if not _has(wb, "RepCustomers"):
        ws = _sheet(wb, "rep_customers", lang)
        create_table(ws, "RepConcentration", conc_fields, "A4", lang, width=13)
        create_table(ws, "RepCustomers", rep_fields, "N4", lang, width=13)
        ws.freeze_panes = "B5"
    ws, _ = find_table(wb, "RepCustomers")
    _note(ws, note("rep_customers", lang))
    reps = pd.DataFrame({"rep": sorted(per_rep["rep"].unique())})
    ranges.update(table_ranges(wb, "RepCustomers", rep_fields, len(per_rep)))
    ranges.update(table_ranges(wb, "RepConcentration", conc_fields, len(reps)))
    write_table(wb, "RepCustomers", rep_fields, per_rep, lang, key=["rep", "customer"], formula_ranges=ranges)
    write_table(wb, "RepConcentration", conc_fields, reps, lang, key=["rep"], formula_ranges=ranges)


# ------------------------------------------------------------------------------- Forecast calls

CALLS_TABLE = "ForecastCalls"
_FIGURES = ("weighted", "commit", "best_case", "closed", "forecast")


def _call_fields() -> tuple[Field, ...]:
    def fc(key, kind="value", formula=None, fmt=MONEY):
        return _field("forecast_call", key, kind, formula, fmt)
    return (
        Field("level", "Level", "层级"), Field("team", "Team", "团队"), Field("rep", "Rep", "销售代表"),
        fc("weighted"), fc("commit"), fc("best_case"),
        Field("closed", "Closed won", "已成交", number_format=MONEY),
        Field("forecast", "Forecast (closed + commit)", "预测（已成交 + 承诺）", number_format=MONEY),
        fc("commit_call", INPUT), fc("best_case_call", INPUT), fc("note", INPUT, fmt=None),
        fc("call_vs_commit", FORMULA, 'IF({commit_call}="","",{commit_call}-{forecast})'),
    )


def read_calls(wb, lang: str) -> tuple[pd.DataFrame, dict]:
    """The calls typed in an existing Forecast calls sheet: per rep (rep, team, commit_call,
    best_case_call, note) and the notes of team and company rows by (level, team). A call that is not
    a number raises WorkbookError naming its row."""
    if not _has(wb, CALLS_TABLE):
        return pd.DataFrame(columns=["rep", "team", "commit_call", "best_case_call", "note"]), {}
    ws, table = find_table(wb, CALLS_TABLE)
    rows = read_table(wb, CALLS_TABLE, _call_fields())
    top = int("".join(ch for ch in table.ref.split(":")[0] if ch.isdigit()))
    levels = {note(f"level.{k}", l): k for k in ("company", "team", "rep") for l in ("en", "zh")}
    calls, notes = [], {}
    for i, r in rows.iterrows():
        level = levels.get(r.get("level"))
        if level is None:
            continue
        if level != "rep":
            if r.get("note") not in (None, ""):
                notes[(level, r.get("team"))] = r.get("note")
            continue
        values = {}
        for key in ("commit_call", "best_case_call"):
            value = r.get(key)
            if value in (None, "") or (isinstance(value, float) and pd.isna(value)):
                value = None
            elif isinstance(value, bool) or not isinstance(value, (int, float)):
                label = term("forecast_call", key, lang)
                raise WorkbookError(f"{ws.title}, row {top + 1 + i}, {label}: {value!r} is not a number")
            values[key] = value
        calls.append({"rep": r.get("rep"), "team": r.get("team"), **values, "note": r.get("note")})
    frame = pd.DataFrame(calls, columns=["rep", "team", "commit_call", "best_case_call", "note"])
    for key in ("commit_call", "best_case_call"):
        frame[key] = pd.to_numeric(frame[key]).astype(float)
    return frame, notes


def write_calls(wb, result, lang: str, ranges: dict) -> None:
    """The Forecast calls sheet: the calls typed there kept, rolled up by formula beside the figures."""
    from xlsales.core.funnel_analysis import forecast_calls

    calls, notes = read_calls(wb, lang)
    keep = calls.loc[calls[["commit_call", "best_case_call"]].notna().any(axis=1) | calls["note"].notna()]
    rolled = forecast_calls(result.forecast, keep)
    result.calls = rolled
    rep_notes = dict(zip(calls["rep"], calls["note"]))
    label = {k: note(f"level.{k}", lang) for k in ("company", "team", "rep")}
    rep_label = label["rep"]
    out = rolled.assign(level=rolled["level"].map(label))
    out["note"] = [rep_notes.get(r.rep) if r.level == "rep" else notes.get((r.level, r.team if r.level == "team" else None))
                   for r in rolled.itertuples(index=False)]
    formulas = {}
    for f in _FIGURES:
        formulas[("rep", f)] = f"IFERROR(INDEX({{RepForecast.{f}}},MATCH({{rep}},{{RepForecast.rep}},0)),0)"
        formulas[("team", f)] = f"SUMIFS({{RepForecast.{f}}},{{RepForecast.team}},{{team}})"
        formulas[("company", f)] = f"SUM({{RepForecast.{f}}})"
    for c in ("commit_call", "best_case_call"):
        crit = f'{{{CALLS_TABLE}.level}},"{rep_label}"'
        formulas[("team", c)] = (f'IF(COUNTIFS({crit},{{{CALLS_TABLE}.team}},{{team}},{{{CALLS_TABLE}.{c}}},"<>")=0,"",'
                                 f"SUMIFS({{{CALLS_TABLE}.{c}}},{crit},{{{CALLS_TABLE}.team}},{{team}}))")
        formulas[("company", c)] = (f'IF(COUNTIFS({crit},{{{CALLS_TABLE}.{c}}},"<>")=0,"",'
                                    f"SUMIFS({{{CALLS_TABLE}.{c}}},{crit}))")
    for column in (*_FIGURES, "commit_call", "best_case_call"):
        out[column] = pd.Series([Formula(formulas[(lvl, column)]) if (lvl, column) in formulas else v
                                 for lvl, v in zip(rolled["level"], rolled[column])], index=out.index, dtype=object)
    fields = _call_fields()
    ws, _ = _table(wb, CALLS_TABLE, "calls", fields, lang, protect=True)
    _note(ws, note("calls", lang))
    ws.freeze_panes = "D5"
    ranges = dict(ranges)
    ranges.update(table_ranges(wb, CALLS_TABLE, fields, len(out)))
    write_table(wb, CALLS_TABLE, fields, out, lang, formula_ranges=ranges)
    _bold_rows(ws, 5, len(out), len(fields), lambda level: level == rep_label)
