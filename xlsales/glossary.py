"""The one zh / en glossary: every word a user reads for a concept the code knows by a key.

Workbooks, memos and the console take their labels from here, so that a concept has one name per
language everywhere (e.g. win rate is always 赢单率, quota always 定额) and no internal key
(``revenue``, ``marginal``, ``key_product``) reaches a user.

    >>> from xlsales.glossary import term, key_of
    >>> term("measure", "collections", "zh")
    '回款'
    >>> key_of("mode", "全额")
    'retro'

Terms are grouped by what they name (``GROUPS``): a key is unique within its group. ``term`` falls
back to the key itself for a key the glossary does not know (a measure a user's plan invented), so
that nothing breaks; ``known`` says whether it is known. ``key_of`` reads a label back (either
language, any case, or the key itself), for refreshing a workbook that shows labels.

Chinese terms use full-width punctuation (``（）：，；``); ``fullwidth`` converts the ASCII ones in a
Chinese text that is built from pieces.
"""
from __future__ import annotations

import re

LANGS = ("en", "zh")

# group: {key: (en, zh)}
GLOSSARY: dict[str, dict[str, tuple[str, str]]] = {
    # What is planned, tracked and paid on.
    "measure": {
        "revenue": ("Revenue", "销售额"),
        "collections": ("Collections", "回款"),
        "new_customers": ("New customers", "新客户数"),
        "key_product": ("Key-product revenue", "重点产品销售额"),
    },
    # Commission tier modes.
    "mode": {
        "marginal": ("Marginal (graduated)", "累进"),
        "retro": ("Retro (full rate)", "全额"),
    },
    # What commission tier bounds are expressed in.
    "tier_basis": {
        "quota": ("Share of quota", "定额比例"),
        "amount": ("Amount", "金额"),
    },
    # Where a commission measure's quota comes from.
    "quota_source": {
        "targets": ("Targets workbook", "目标工作簿"),
        "file": ("Quotas file", "定额文件"),
        "fixed": ("Fixed amount", "固定金额"),
    },
    "period_kind": {
        "month": ("Month", "月"),
        "quarter": ("Quarter", "季度"),
        "year": ("Year", "年"),
    },
    # How targets are split over regions and reps.
    "split_basis": {
        "history": ("History", "历史业绩"),
        "potential": ("Potential", "市场潜力"),
        "capacity": ("Capacity", "产能"),
        "blend": ("Blend", "混合"),
    },
    # How next period's target is forecast from history.
    "method": {
        "avg": ("Average", "平均值"),
        "wma": ("Weighted moving average", "加权移动平均"),
        "linear": ("Linear trend", "线性趋势"),
    },
    # The default sales stages (a user's stage table names its own).
    "stage": {
        "lead": ("Lead", "线索"),
        "needs analysis": ("Needs analysis", "需求分析"),
        "proposal": ("Proposal", "方案报价"),
        "negotiation": ("Negotiation", "商务谈判"),
        "won": ("Won", "赢单"),
    },
    # Deal status.
    "status": {
        "open": ("Open", "进行中"),
        "won": ("Won", "赢单"),
        "lost": ("Lost", "输单"),
    },
    # Forecast categories.
    "category": {
        "closed": ("Closed", "已成交"),
        "commit": ("Commit", "承诺"),
        "best case": ("Best case", "最佳情况"),
        "pipeline": ("Pipeline", "管道"),
        "omitted": ("Omitted", "不计入"),
    },
    # Pacing status of a rep.
    "pace_status": {
        "behind": ("Behind", "落后"),
        "on_pace": ("On pace", "正常"),
        "departed": ("Departed", "已离职"),
    },
    # Result of a tie-out check.
    "check_result": {
        "ok": ("OK", "OK"),
        "check": ("CHECK", "CHECK"),
    },
    # Tie-out checks of the targets workbook.
    "check": {
        "reps_total": ("Reps add up to the assigned total", "销售代表目标合计 = 分配总额"),
        "regions_total": ("Regions add up to the assigned total", "区域目标合计 = 分配总额"),
        "months_total": ("Months add up to the annual targets", "月度合计 = 年度目标"),
        "pending_refresh": ("Rows waiting for a refresh", "待刷新的行数"),
        "regions_untied": ("Regions whose reps do not tie out", "销售代表合计与区域目标不一致的区域数"),
        "payouts_total": ("Statement lines add up to the payouts", "明细合计 = 应发合计"),
        "agrees_with_payouts": ("Agrees with Payouts", "与提成汇总一致"),
    },
    # Kinds of commission statement line.
    "line_kind": {
        "proration": ("Proration", "按天折算"),
        "relief": ("Quota relief", "定额减免"),
        "tier": ("Tier", "阶梯"),
        "accelerator_gate": ("Accelerator gate", "加速门槛"),
        "gate": ("Gate", "门槛"),
        "weight": ("Weight", "权重"),
        "measure_cap": ("Measure cap", "指标封顶"),
        "clawback": ("Clawback", "退货扣回"),
        "credit_note": ("Credit note", "冲销扣回"),
        "plan_cap": ("Plan cap", "方案封顶"),
        "award": ("Award", "奖励"),
        "draw": ("Draw top-up", "保底补足"),
        "draw_recovery": ("Draw recovery", "保底追回"),
        "prior_period_adjustment": ("Prior-period adjustment", "以前期间调整"),
    },
    # Kinds of award.
    "award_kind": {
        "star": ("Star of the month", "月度销售之星"),
        "best_team": ("Best team", "最佳团队"),
        "spif": ("SPIF", "专项奖"),
    },
    # Who / where.
    "dimension": {
        "company": ("Company", "公司"),
        "region": ("Region", "区域"),
        "team": ("Team", "团队"),
        "rep": ("Rep", "销售代表"),
        "manager": ("Manager", "经理"),
        "customer": ("Customer", "客户"),
        "product": ("Product", "产品"),
        "deal": ("Deal", "商机"),
        "stage": ("Stage", "阶段"),
        "measure": ("Measure", "指标"),
        "month": ("Month", "月份"),
        "quarter": ("Quarter", "季度"),
        "period": ("Period", "期间"),
        "total": ("Total", "合计"),
        "subtotal": ("Subtotal", "小计"),
    },
    # Figures: one name per definition, the same in every output.
    "figure": {
        "target": ("Target", "目标"),
        "annual_target": ("Annual target", "年度目标"),
        "period_target": ("Target (period)", "期间目标"),
        "actual": ("Actual", "实际"),
        "actual_to_date": ("Actual to date", "已完成"),
        "expected_to_date": ("Expected to date", "按进度应完成"),
        "attainment": ("Attainment", "达成率"),
        "against_pace": ("Against pace", "进度达成率"),
        "gap": ("Gap", "业绩缺口"),
        "gap_orders": ("Gap (from orders)", "业绩缺口（按订单）"),
        "gap_closed_won": ("Gap (from closed-won deals)", "业绩缺口（按赢单）"),
        "run_rate": ("Run-rate landing", "按当前速度预计完成"),
        "required_pace": ("Required per day", "每日需完成"),
        "quota": ("Quota", "定额"),
        "quota_prorated": ("Quota (prorated)", "折算定额"),
        "achieved": ("Achieved", "完成额"),
        "win_rate": ("Win rate", "赢单率"),
        "avg_deal": ("Average deal", "平均单额"),
        "cycle_days": ("Cycle days", "平均成交周期（天）"),
        "velocity": ("Sales velocity (per day)", "销售速度（每天）"),
        "open_deals": ("Open deals", "在途商机数"),
        "open_pipeline": ("Open pipeline", "在途金额"),
        "pipeline_due": ("Open pipeline due in period", "期内在途金额"),
        "weighted_pipeline": ("Weighted pipeline", "加权管道"),
        "closed_won": ("Closed won", "已成交"),
        "coverage": ("Coverage of remaining target", "剩余目标覆盖率"),
        # DEALS_NEEDED's figure: deals to take to a decision at the win rate (the deals to work).
        "deals_needed": ("Deals to work", "需跟进商机数"),
        "deals_to_win": ("Deals to win", "需赢单数"),
        "avg_order": ("Average order", "平均订单金额"),
        "recent_pace": ("Recent pace (per day)", "近期日均成交"),
        "pipeline_to_add": ("Pipeline to add", "需新增管道"),
        "conversion": ("Conversion to next", "转化到下一阶段"),
        "stale_deals": ("Stale deals", "滞留商机"),
        "slipped_deals": ("Slipped deals", "延期商机"),
        "not_credible": ("Not credible (3+ pushes)", "改期≥3次"),
        "bottleneck": ("Bottleneck stage", "瓶颈阶段"),
        "forecast": ("Forecast (closed + commit)", "预测（已成交 + 承诺）"),
        "commission": ("Commission", "提成"),
        "payout": ("Payout", "应发提成"),
        "clawback": ("Clawback", "扣回"),
        "award": ("Award", "奖励"),
        "draw": ("Draw", "保底"),
        "draw_topup": ("Draw top-up", "保底补足"),
        "draw_recovery": ("Draw recovery", "保底追回"),
        "earned": ("Earned", "应得"),
        "rate": ("Rate", "比例"),
        "weight": ("Weight", "权重"),
        "share": ("Share", "占比"),
        "growth": ("Growth", "增长率"),
        "new_customers": ("New customers", "新客户数"),
    },
    # Sheet names, by workbook kind and sheet key.
    "sheet": {
        "targets.assumptions": ("Assumptions", "假设"),
        "targets.reps": ("Reps", "销售代表"),
        "targets.history": ("Sales history", "历史业绩"),  # Excel reserves the sheet name "History"
        "targets.grid": ("Targets", "目标分解"),
        "targets.regions": ("Regions", "区域汇总"),
        "targets.pacing": ("Pacing", "进度"),
        "targets.resplit": ("Re-split", "剩余重新分解"),
        "targets.okma": ("OKMA", "OKMA"),
        "targets.revisions": ("Revisions", "修订记录"),
        "targets.checks": ("Checks", "校验"),
        "funnel.summary": ("Summary", "概览"),
        "funnel.stages": ("Stages", "阶段"),
        "funnel.funnel": ("Funnel", "漏斗"),
        "funnel.teams": ("Teams", "团队"),
        "funnel.reps": ("Reps", "销售代表"),
        "funnel.forecast": ("Forecast", "预测"),
        "funnel.team_forecast": ("Team forecast", "团队预测"),
        "funnel.watch": ("Watch", "关注商机"),
        "funnel.deals": ("Deals", "商机"),
        "funnel.changes": ("Changes", "变化"),
        "funnel.risk": ("Risk", "风险商机"),
        "funnel.customers": ("Customers", "客户"),
        "funnel.rep_customers": ("Rep customers", "代表客户"),
        "funnel.calls": ("Forecast calls", "经理预测"),
        "commission.plan": ("Plan", "方案"),
        "commission.actuals": ("Actuals and quotas", "业绩与定额"),
        "commission.working": ("Tier working", "阶梯计算"),
        "commission.payouts": ("Payouts", "提成汇总"),
        "commission.awards": ("Awards", "奖励"),
        "commission.lines": ("Statement lines", "提成明细行"),
        "commission.statement": ("Statement", "提成明细"),
    },
    # What changed in the pipeline between two views (funnel --compare).
    "pipeline_change": {
        "open_before": ("Open earlier", "期初在途"),
        "new": ("New", "新增"),
        "reopened": ("Reopened", "重新打开"),
        "won": ("Won", "赢单"),
        "lost": ("Lost", "输单"),
        "removed": ("Removed", "已删除"),
        "moved_in": ("Moved in", "转入"),
        "moved_out": ("Moved out", "转出"),
        "amount_up": ("Amount up", "金额增加"),
        "amount_down": ("Amount down", "金额减少"),
        "open_now": ("Open now", "当前在途"),
        "forward": ("Moved forward", "阶段前进"),
        "back": ("Moved back", "阶段后退"),
        "pushed": ("Close date pushed", "成交日期推迟"),
        "pushes": ("Pushes", "推迟次数"),
        "pulled_in": ("Close date pulled in", "成交日期提前"),
    },
    # Deal risk rules and levels.
    "risk_rule": {
        "slow": ("Slow in stage", "阶段停留过久"),
        "pushed": ("Close date pushed repeatedly", "多次推迟成交日期"),
        "stale": ("Stale", "滞留"),
        "amount_cut": ("Amount cut", "金额下调"),
        "no_activity": ("No recent activity", "近期无跟进"),
    },
    "risk": {
        "high": ("High", "高"),
        "medium": ("Medium", "中"),
        "low": ("Low", "低"),
    },
    # The customers view.
    "customer_figure": {
        "revenue": ("Revenue (12 months)", "近 12 个月销售额"),
        "orders": ("Orders (12 months)", "近 12 个月订单数"),
        "last_order": ("Last order", "最近下单日期"),
        "rank": ("Rank", "排名"),
        "share": ("Share of revenue", "销售额占比"),
        "before": ("Share held by larger customers", "排名在前客户的累计占比"),
        "abc": ("ABC class", "ABC 分类"),
        "dormant": ("Dormant", "休眠"),
        "open_deals": ("Open deals", "在途商机数"),
        "open_pipeline": ("Open pipeline", "在途金额"),
        "a_without_deal": ("A-class without an open deal", "无在途商机的 A 类客户"),
        "customers": ("Customers", "客户数"),
        "top_n_share": ("Share of the top 10", "前 10 名客户占比"),
        "top_share_customers": ("Customers in the top 20 %", "前 20% 客户数"),
        "top_share_share": ("Share of the top 20 %", "前 20% 客户占比"),
        "a": ("A customers", "A 类客户数"),
        "b": ("B customers", "B 类客户数"),
        "c": ("C customers", "C 类客户数"),
        "dormant_customers": ("Dormant customers", "休眠客户数"),
    },
    # The manager's forecast call.
    "forecast_call": {
        "commit_call": ("Manager's commit", "经理承诺预测"),
        "best_case_call": ("Manager's best case", "经理最佳预测"),
        "note": ("Note", "备注"),
        "weighted": ("Weighted", "加权金额"),
        "commit": ("Commit (deals)", "承诺（商机）"),
        "best_case": ("Best case (deals)", "最佳情况（商机）"),
        "call_vs_commit": ("Call − forecast", "经理预测 − 系统预测"),
    },
    # Words for a yes / no setting.
    "yes_no": {
        "yes": ("Yes", "是"),
        "no": ("No", "否"),
    },
}

GROUPS = tuple(GLOSSARY)
# Groups whose keys are codes the program uses (in files, formulas, config): none may reach a user.
CODE_GROUPS = ("measure", "mode", "tier_basis", "quota_source", "split_basis", "method", "stage", "status",
               "category", "line_kind", "award_kind", "pace_status")

_ASCII_TO_FULLWIDTH = str.maketrans({"(": "（", ")": "）", ":": "：", ",": "，", ";": "；", "?": "？", "!": "！"})
# Chinese characters and full-width punctuation: ASCII punctuation next to these is turned full-width.
_CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uf900-\ufaff\uff01-\uff5e]")


def _lang(lang: str) -> int:
    return 1 if lang == "zh" else 0


def known(group: str, key) -> bool:
    return key in GLOSSARY[group]


def term(group: str, key, lang: str = "en") -> str:
    """The word for ``key`` of ``group`` in ``lang`` ("en" or "zh"); the key itself when unknown."""
    pair = GLOSSARY[group].get(key)
    return pair[_lang(lang)] if pair is not None else str(key)


def terms(group: str, lang: str = "en") -> dict[str, str]:
    """{key: word} for every key of ``group``, in ``lang``."""
    i = _lang(lang)
    return {key: pair[i] for key, pair in GLOSSARY[group].items()}


def key_of(group: str, text, default=None):
    """The key whose label (either language, any case, surrounding spaces ignored) or key is ``text``;
    ``default`` when there is none (so a caller can report the bad value)."""
    if text is None:
        return default
    wanted = str(text).strip().casefold()
    for key, (en, zh) in GLOSSARY[group].items():
        if wanted in (key.casefold(), en.casefold(), zh.casefold()):
            return key
    return default


def choices(group: str, lang: str = "en") -> list[str]:
    """The labels a user may pick for ``group`` in ``lang``, in glossary order (for drop-down lists)."""
    return list(terms(group, lang).values())


def code_keys() -> set[str]:
    """Every internal key that must never show as text to a user (see ``CODE_GROUPS``)."""
    return {key for group in CODE_GROUPS for key in GLOSSARY[group]}


def fullwidth(text: str) -> str:
    """Chinese text with ASCII punctuation ``( ) : , ; ? !`` turned full-width where it touches a
    Chinese character (a ``)`` follows its ``(``), so numbers like ``1,000`` and ASCII words stay."""
    out, opened = [], []
    for i, ch in enumerate(text):
        if ch in "():,;?!":
            near = bool(_CJK.match(out[-1] if out else " ") or _CJK.match(text[i + 1] if i + 1 < len(text) else " "))
            if ch == "(":
                opened.append(bool(near))
            elif ch == ")":
                near = opened.pop() if opened else near
            if near:
                ch = ch.translate(_ASCII_TO_FULLWIDTH)
        out.append(ch)
    return "".join(out)


__all__ = ["GLOSSARY", "GROUPS", "CODE_GROUPS", "LANGS", "term", "terms", "key_of", "known", "choices",
           "code_keys", "fullwidth"]
