"""Sheets of the funnel workbook beyond the snapshot: what changed since an earlier view (Changes).

Each sheet is made on first use (a workbook written before it existed gains it on refresh) and its
tables are bound by name like the others. Python writes the figures; the reconciliation and the tie to
the Deals table are native formulas, so a reader can see the bridge add up.
"""
from __future__ import annotations

import pandas as pd
from openpyxl.styles import Font

from xlsales.core.funnel_changes import FLOWS, PipelineChanges
from xlsales.workbooks.binding import (
    FORMULA, Field, Formula, WorkbookError, create_table, find_table, write_table,
)

MONEY, COUNT = "#,##0.00", "#,##0"

# Words of this module, zh and en, until they move to the shared glossary.
WORDS = {
    "changes_sheet": ("Changes", "变化"),
    "changes_note": ("What changed in the open pipeline from {earlier} to {now}: each row reconciles the earlier "
                     "open pipeline to today's (the check is today's open pipeline on the Deals sheet minus the "
                     "bridge, 0 when it adds up).",
                     "{earlier} 至 {now} 在途管道的变化：每行从期初在途金额推算到当前在途金额（核对 = 商机表中的当前在途金额 − "
                     "推算结果，为 0 即相符）。"),
    "no_compare": ("Run xlsales funnel with --compare EARLIER to see what changed.",
                   "使用 xlsales funnel --compare 上期文件 运行以查看变化。"),
    "company": ("Company", "公司"), "team": ("Team", "团队"), "rep": ("Rep", "销售代表"),
    "open_before": ("Open earlier", "期初在途"), "new": ("New", "新增"), "reopened": ("Reopened", "重新打开"),
    "won": ("Won", "赢单"), "lost": ("Lost", "输单"), "removed": ("Removed", "已删除"),
    "moved_in": ("Moved in", "转入"), "moved_out": ("Moved out", "转出"),
    "amount_up": ("Amount up", "金额增加"), "amount_down": ("Amount down", "金额减少"),
    "open_now": ("Open now", "当前在途"), "forward": ("Moved forward", "阶段前进"), "back": ("Moved back", "阶段后退"),
    "pushed": ("Close date pushed", "成交日期推迟"), "pushes": ("Pushes", "推迟次数"),
    "pulled_in": ("Close date pulled in", "成交日期提前"),
}


def word(key: str, lang: str) -> str:
    en, zh = WORDS[key]
    return zh if lang == "zh" else en


def _money(key) -> Field:
    en, zh = WORDS[key]
    return Field(f"{key}_amount", en, zh, number_format=MONEY)


def _count(key, suffix=("deals", "商机数")) -> Field:
    en, zh = WORDS[key]
    return Field(f"{key}_deals", f"{en} ({suffix[0]})", f"{zh}（{suffix[1]}）", number_format=COUNT)


_BRIDGE = "+".join(("" if sign > 0 else "-") + f"{{{name}_amount}}" for name, sign in FLOWS).lstrip("+")
CHANGES = (
    Field("level", "Level", "层级"), Field("team", "Team", "团队"), Field("rep", "Rep", "销售代表"),
    *(_money(name) for name, _ in FLOWS), _money("open_now"),
    Field("reconciled", "Open earlier + changes", "期初 + 变化", FORMULA, formula=_BRIDGE, number_format=MONEY),
    Field("check", "Check against Deals (0 = adds up)", "与商机表核对（0 = 相符）", number_format=MONEY),
    *(_count(name) for name, _ in FLOWS), _count("open_now"), _count("forward"), _count("back"), _count("pushed"),
    Field("pushes", "Pushes (times)", "推迟次数", number_format=COUNT), _count("pulled_in"),
)
CHANGE_TABLE = "PipelineChanges"


def change_rows(changes: PipelineChanges, lang: str, open_status: str) -> pd.DataFrame:
    """Company, then each team with its reps: the figures, and the check formula per level."""
    company = pd.DataFrame([changes.total]).assign(level=word("company", lang), team=None, rep=None)
    teams = changes.by_team.assign(level=word("team", lang), rep=None)
    reps = changes.by_rep.assign(level=word("rep", lang))
    order = []
    for team in teams["team"]:
        order.append(teams.loc[teams["team"].eq(team)])
        order.append(reps.loc[reps["team"].eq(team)].sort_values("rep"))
    rows = pd.concat([company, *order], ignore_index=True)
    status = f'{{Deals.status}},"{open_status}"'
    check = {word("company", lang): f"SUMIFS({{Deals.amount}},{status})-{{reconciled}}",
             word("team", lang): f"SUMIFS({{Deals.amount}},{status},{{Deals.team}},{{team}})-{{reconciled}}",
             word("rep", lang): f"SUMIFS({{Deals.amount}},{status},{{Deals.rep}},{{rep}})-{{reconciled}}"}
    rows["check"] = pd.Series([Formula(check[level]) for level in rows["level"]], index=rows.index, dtype=object)
    return rows


def _sheet(wb, key: str, lang: str):
    title = word(key, lang)
    if title in wb.sheetnames:
        return wb[title]
    ws = wb.create_sheet(title)
    ws["A1"] = f"xlsales — {title}"
    ws["A1"].font = Font(bold=True, size=13)
    ws.freeze_panes = "D5"
    ws.protection.sheet = True
    return ws


def _table(wb, name: str, sheet_key: str, fields, lang: str, top_left: str = "A4"):
    try:
        return find_table(wb, name)
    except WorkbookError:  # a workbook from before the sheet existed
        ws = _sheet(wb, sheet_key, lang)
        create_table(ws, name, fields, top_left, lang, width=14)
        return find_table(wb, name)


def write_changes(wb, changes: PipelineChanges | None, lang: str, ranges: dict, open_status: str) -> None:
    """Fill (or make) the Changes sheet; without a comparison an existing sheet keeps one blank row
    and says how to get one."""
    if changes is None:
        try:
            ws, _ = find_table(wb, CHANGE_TABLE)
        except WorkbookError:
            return
        write_table(wb, CHANGE_TABLE, CHANGES, pd.DataFrame(columns=[f.key for f in CHANGES]), lang)
        ws["A2"] = word("no_compare", lang)
        return
    ws, _ = _table(wb, CHANGE_TABLE, "changes_sheet", CHANGES, lang)
    rows = change_rows(changes, lang, open_status)
    ws["A2"] = word("changes_note", lang).format(earlier=f"{changes.earlier_as_of:%Y-%m-%d}",
                                                 now=f"{changes.as_of:%Y-%m-%d}")
    write_table(wb, CHANGE_TABLE, CHANGES, rows, lang, formula_ranges=ranges)
    for r in range(5, 5 + len(rows)):
        if ws.cell(r, 1).value == word("rep", lang):
            continue
        for c in range(1, len(CHANGES) + 1):
            ws.cell(r, c).font = Font(bold=True)

