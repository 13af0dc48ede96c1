"""Commission statements: the statement-lines frame worded for people (en / zh), and one file per rep.

``describe`` adds a sentence to every line;
``write_statement_files`` writes one small workbook per rep whose total is a SUM formula.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
from openpyxl.styles import Font
from openpyxl.utils import quote_sheetname

from xlsales.core.commission_plan import Plan
from xlsales.glossary import GLOSSARY
from xlsales.workbooks.binding import save_atomic, set_cell

MONEY = "#,##0.00"

KIND_LABELS = GLOSSARY["line_kind"]  # kind: (en, zh)


def _figure_words(text: str, plan: Plan, zh: bool) -> str:
    """A ledger's figure changes ("achieved revenue 7,200.00 → 7,800.00; ...") in the statement's words."""
    words = {"achieved": ("achieved", "完成"), "quota": ("quota", "定额")}
    keys = set(plan.measure_keys)
    out = []
    for part in text.split("; "):
        figure, key, change = (part.split(" ", 2) + ["", ""])[:3]
        name = plan.measure(key).label("zh" if zh else "en") if key in keys else key
        word = words.get(figure, (figure, figure))[1 if zh else 0]
        out.append(f"{name}{word} {change}" if zh else f"{name} {word} {change}")
    return ("；" if zh else "; ").join(out)


def _m(x) -> str:
    return f"{x:,.2f}"


def _p(x) -> str:
    return f"{x * 100:.4g}%"


def _sentence(row, plan: Plan, lang: str) -> str:
    zh = lang == "zh"
    kind = row.kind
    measure = plan.measure(row.measure).label(lang) if isinstance(row.measure, str) else ""
    if kind == "proration":
        return f"在职天数占本期 {_p(row.base)}：定额、封顶与保底按此折算" if zh else \
            f"Employed {_p(row.base)} of the period: quota, caps and draw scaled to it"
    if kind == "relief":
        return (f"{measure} 定额 {_m(row.rate)} 减免 {_m(row.base)}，按 {_m(row.rate - row.base)} 计达成率（原因：{row.note}）"
                if zh else f"{measure} quota {_m(row.rate)} relieved by {_m(row.base)} to {_m(row.rate - row.base)} "
                f"for attainment (reason: {row.note})")
    if kind == "tier":
        span = f"{_m(row.lower)}–{_m(row.upper)}" if not np.isnan(row.upper) else f"{_m(row.lower)} 以上" if zh \
            else f"above {_m(row.lower)}"
        kinds = plan.measure(row.measure).tier_kinds()
        kind_word = kinds[row.tier - 1] if 0 < row.tier <= len(kinds) else ""
        tag = {"decelerator": ("decelerator, ", "减速档，"), "accelerator": ("accelerator, ", "加速档，")}.get(
            kind_word, ("", ""))[1 if zh else 0]
        rate = f"{row.rate * 100:.6g}%" if plan.target_incentive else _p(row.rate)
        return f"{measure} 第{row.tier}档（{tag}{span}）：{_m(row.base)} × {rate}" if zh else \
            f"{measure} tier {row.tier} ({tag}{span}): {_m(row.base)} × {rate}"
    if kind == "accelerator_gate":
        att = "无" if zh and np.isnan(row.base) else ("n/a" if np.isnan(row.base) else _p(row.base))
        return (f"{measure} 年累计达成率 {att} 未达 {_p(row.rate)}：加速档按基础比例计" if zh else
                f"{measure} year-to-date attainment {att} is below {_p(row.rate)}: accelerators paid at the base rate")
    if kind == "gate":
        return f"{measure} 达成率 {_p(row.base)} 低于门槛 {_p(row.rate)}：本指标不计提成" if zh else \
            f"{measure} attainment {_p(row.base)} is below the {_p(row.rate)} gate: nothing paid"
    if kind == "weight":
        return f"{measure} 按权重 {_p(row.rate)} 计（{_m(row.base)} → {_m(row.base + row.amount)}）" if zh else \
            f"{measure} at its {_p(row.rate)} weight ({_m(row.base)} → {_m(row.base + row.amount)})"
    if kind == "measure_cap":
        if row.amount == 0:
            return f"{measure} 封顶 {_m(row.rate)}（未触及）" if zh else f"{measure} cap {_m(row.rate)} (not reached)"
        return f"{measure} 封顶 {_m(row.rate)}" if zh else f"{measure} capped at {_m(row.rate)}"
    if kind == "clawback":
        return f"{measure} 退货 {_m(row.base)} 按 {_p(row.rate)} 扣回" if zh else \
            f"{measure} returns {_m(row.base)} clawed back at {_p(row.rate)}"
    if kind == "credit_note":
        return (f"{measure} 冲销订单 {row.note}：{_m(row.base)} 按当期实付比例 {_p(row.rate)} 扣回" if zh else
                f"{measure} credit note on order {row.note}: {_m(row.base)} taken back at the {_p(row.rate)} "
                f"paid on it")
    if kind == "plan_cap":
        return f"提成 {_m(row.base)} 超过方案封顶 {_m(row.rate)}" if zh else \
            f"Commission {_m(row.base)} above the plan cap {_m(row.rate)}"
    if kind == "award":
        base = "" if np.isnan(row.base) else (f"（达成率 {_p(row.base)}）" if zh else f" (attainment {_p(row.base)})")
        return f"{row.award}{base}" if zh else f"{row.award}{base}"
    if kind == "draw":
        return f"所得 {_m(row.base)} 低于保底 {_m(row.rate)}，补足" if zh else \
            f"Earned {_m(row.base)} is below the {_m(row.rate)} draw: topped up"
    if kind == "prior_period_adjustment":
        period, _, files, figures = (str(row.note).split(" | ") + ["", "", "", ""])[:4]
        files = "" if files == "-" else files
        figures = "" if figures == "-" else _figure_words(figures, plan, zh)
        if zh:
            why = "；".join(x for x in (f"变更的输入：{files}" if files else "", figures) if x)
            return f"{period} 已发 {_m(row.base)}，按现有输入应为 {_m(row.rate)}，补差" + (f"（{why}）" if why else "")
        why = "; ".join(x for x in (f"inputs changed: {files}" if files else "", figures) if x)
        return f"{period} was paid {_m(row.base)}, is now {_m(row.rate)}: the difference" + (f" ({why})" if why else "")
    if kind == "draw_recovery":
        return f"追回以前的保底补足（期初欠 {_m(row.base)}）" if zh else \
            f"Recovery of earlier draw top-ups ({_m(row.base)} owed before)"
    return ""


def describe(lines: pd.DataFrame, plan: Plan, lang: str = "en") -> pd.DataFrame:
    """The lines with ``item`` (the kind in words) and ``description`` (the working in a sentence)."""
    out = lines.copy()
    out["item"] = out["kind"].astype(str).map({k: v[1 if lang == "zh" else 0] for k, v in KIND_LABELS.items()})
    out["description"] = [_sentence(row, plan, lang) for row in lines.itertuples(index=False)]
    return out


STATEMENT_COLUMNS = (("seq", "#", "#"), ("item", "Item", "项目"), ("description", "Working", "计算说明"),
                     ("amount", "Amount", "金额"))


def _safe_name(text: str) -> str:
    from xlsales.staging import safe_name
    return safe_name(text, "rep")


def write_statement_files(result, out_dir, lang: str = "en", period_label: str | None = None,
                          progress: bool = False) -> list[Path]:
    """One workbook per rep for one period: the lines and a SUM that equals the payout.

    ``progress``: show a progress bar (tqdm) while writing, for the command line on a terminal."""
    from tqdm import tqdm

    out_dir = Path(out_dir)
    lines = result.lines if period_label is None else result.lines[result.lines["period"] == period_label]
    payouts = result.payouts if period_label is None else result.payouts[result.payouts["period"] == period_label]
    described = describe(lines, result.plan, lang)
    paths = []
    groups = described.groupby(["rep", "period"], sort=False, observed=True)
    for (rep, period), rows in tqdm(groups, total=groups.ngroups, disable=not progress, unit="rep",
                                    desc="statements"):
        payout = payouts[(payouts["rep"] == rep) & (payouts["period"] == period)]["payout"]
        wb = statement_workbook(rep, period, rows, float(payout.iloc[0]) if len(payout) else 0.0, result.plan, lang)
        paths.append(save_atomic(wb, out_dir / f"statement_{_safe_name(rep)}_{period}.xlsx"))
    return paths


def statement_workbook(rep, period, rows: pd.DataFrame, payout: float, plan: Plan, lang: str):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "提成明细" if lang == "zh" else "Statement"
    fill_statement_sheet(ws, rep, period, rows, payout, plan, lang)
    return wb


def fill_statement_sheet(ws, rep, period, rows, payout, plan, lang, first_row: int = 5, formulas=None,
                         links=None) -> str:
    """Write a statement on ``ws``; returns the address of the total (a SUM of the line amounts).

    ``formulas``: per line, a formula ("=...") that computes its amount from the working tables, or
    None for a value; ``links``: per line, (sheet title, row) of the row it comes from, or None."""
    zh = lang == "zh"
    ws["A1"] = f"{plan.name} — {'提成明细' if zh else 'commission statement'}"
    ws["A1"].font = Font(bold=True, size=13)
    set_cell(ws["A2"], "销售代表" if zh else "Rep")
    set_cell(ws["B2"], rep)
    ws["A3"], ws["B3"] = ("期间" if zh else "Period"), str(period)
    for c, (_, en, zh_label) in enumerate(STATEMENT_COLUMNS, start=1):
        ws.cell(first_row - 1, c, zh_label if zh else en).font = Font(bold=True)
    for i, row in enumerate(rows.itertuples(index=False)):
        r = first_row + i
        ws.cell(r, 1, int(row.seq))
        set_cell(ws.cell(r, 2), row.item)
        set_cell(ws.cell(r, 3), row.description)
        formula = formulas[i] if formulas is not None else None
        ws.cell(r, 4, formula if formula else float(row.amount)).number_format = MONEY
        link = links[i] if links is not None else None
        if link:
            source = ws.cell(r, 5, f"{link[0]} {'第' if zh else 'row'} {link[1]}{' 行' if zh else ''}")
            source.hyperlink = f"#{quote_sheetname(link[0])}!A{link[1]}"
            source.font = Font(color="0563C1", underline="single")
    total_row = first_row + len(rows)
    ws.cell(total_row, 3, "应发提成" if zh else "Payout").font = Font(bold=True)
    total = ws.cell(total_row, 4, f"=ROUND(SUM(D{first_row}:D{max(total_row - 1, first_row)}),2)")
    total.number_format, total.font = MONEY, Font(bold=True)
    ws.cell(total_row + 1, 3, "计算结果（Python）" if zh else "Computed payout (Python)")
    ws.cell(total_row + 1, 4, payout).number_format = MONEY
    ws.column_dimensions["B"].width = 16
    ws.column_dimensions["C"].width = 70
    ws.column_dimensions["D"].width = 16
    if links is not None:
        ws.cell(first_row - 1, 5, "来源" if zh else "Source").font = Font(bold=True)
        ws.column_dimensions["E"].width = 24
    return f"D{total_row}"
