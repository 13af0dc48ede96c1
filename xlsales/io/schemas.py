"""The SPEC's input files: orders, reps and opportunities, with English and Chinese headers."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from xlsales.errors import InputFileError
from xlsales.io.loading import (
    MAX_PROBLEMS, Column, Problems, Schema, header_candidates, load_table, normalize_header, problem_at, raise_if_any,
    report, visible,
)

REP = Column("rep", ("销售代表", "销售", "业务员", "销售人员", "代表", "sales rep", "salesperson", "owner", "负责人"))
REGION = Column("region", ("区域", "大区", "地区"))
TEAM = Column("team", ("团队", "小组", "组"), required=False)
CUSTOMER = Column("customer", ("客户", "客户名称", "account"), required=False)

ORDERS = Schema("orders", (
    Column("date", ("日期", "订单日期", "下单日期", "order date"), kind="date"),
    REP,
    Column("amount", ("金额", "销售额", "订单金额", "销售金额", "revenue", "sales"), kind="number"),
    Column(REGION.name, REGION.aliases, required=False),
    TEAM,
    CUSTOMER,
    Column("product", ("产品", "产品名称", "品类"), required=False),
    Column("collected", ("回款", "回款金额", "已回款", "collections"), kind="number", required=False,
           nonnegative=True),
    Column("order_id", ("订单编号", "订单号", "单号", "order no", "order number"), required=False),
    Column("reverses", ("冲销订单", "冲销单号", "原订单", "reverses order", "original order"), required=False),
    Column("collected_date", ("回款日期", "收款日期", "collection date", "paid date"), kind="date", required=False),
))

REPS = Schema("reps", (
    REP,
    REGION,
    TEAM,
    Column("manager", ("经理", "主管", "销售经理"), required=False),
    Column("hire_date", ("入职日期", "入职时间", "hired"), kind="date", required=False),
    Column("potential", ("潜力", "市场潜力", "market potential"), kind="number", required=False, nonnegative=True),
    Column("active", ("在职", "是否在职", "is active"), kind="bool", required=False, default=True),
    Column("leave_date", ("离职日期", "离职时间", "leave date", "left on", "end date"), kind="date", required=False),
    Column("successor", ("交接人", "接替人", "接任者", "successor rep", "handover to"), required=False),
    Column("grade", ("能力等级", "等级", "职级", "level", "ability grade"), required=False),
), unique=("rep",))

OPPORTUNITIES = Schema("opportunities", (
    Column("id", ("编号", "商机编号", "商机id", "opportunity", "opportunity id", "deal id"), ),
    REP,
    Column("amount", ("金额", "商机金额", "预计金额", "value"), kind="number", nonnegative=True),
    Column("stage", ("阶段", "商机阶段", "销售阶段")),
    Column("created", ("创建日期", "创建时间", "created date"), kind="date"),
    Column("stage_entered", ("进入阶段日期", "阶段日期", "stage date"), kind="date"),
    Column("expected_close", ("预计成交日期", "预计关闭日期", "close date", "expected close date"), kind="date"),
    Column("status", ("状态", "商机状态")),
    CUSTOMER,
    Column("closed_date", ("成交日期", "关闭日期", "实际成交日期", "closed"), kind="date", required=False),
    Column("close_date_changes", ("改期次数", "延期次数", "close date changes"), kind="int", required=False,
           nonnegative=True, default=0),
    Column("last_activity", ("最近活动日期", "最后活动日期", "最近跟进时间", "last activity", "last activity date"),
           kind="date", required=False),
), unique=("id",))

SCHEMAS = {s.kind: s for s in (ORDERS, REPS, OPPORTUNITIES)}

# Words in a file name that tell its kind when the headers alone do not.
NAME_HINTS = {
    "orders": ("order", "actual", "订单", "业绩", "销售明细"),
    "reps": ("rep", "people", "销售代表", "人员", "花名册"),
    "opportunities": ("opportunit", "opp", "pipeline", "deal", "商机", "漏斗"),
}


def load_orders(path, problems=None, mapping=None) -> pd.DataFrame:
    """``mapping``: a CRM preset or mapping file (``crm_mapping.load_mapping``) to read it through."""
    from xlsales.io.crm_mapping import load_mapped
    found: list[str] = []
    frame = load_mapped(path, ORDERS, mapping, found)
    if not found:
        found += stray_dates(frame)
    report(found, problems)
    return frame


def stray_dates(orders: pd.DataFrame, gap_days: int = 366, share: float = 0.05) -> list[str]:
    """Orders dated more than a year after all the others (a few of them at most): a mistyped year such
    as 2099 would otherwise move the plan year and the as-of date with it."""
    days = pd.Series(orders["date"].dropna().unique()).sort_values(ignore_index=True)
    if len(days) < 2:
        return []
    jumps = np.flatnonzero(days.diff().dt.days.to_numpy() > gap_days)
    if not len(jumps):
        return []
    is_late = (orders["date"] >= days.iloc[jumps[-1]]).to_numpy()
    if is_late.sum() > max(1, share * len(orders)):
        return []
    before = days.iloc[jumps[-1] - 1]
    late = orders.loc[is_late, "date"]
    return [problem_at(orders, row, "date", f"{day:%Y-%m-%d} is more than a year after every other order "
                       f"(the others end {before:%Y-%m-%d}); check the year")
            for row, day in late.head(MAX_PROBLEMS).items()]


def load_reps(path, problems=None) -> pd.DataFrame:
    """The reps file, with the rules across its columns checked at their rows: a leaving date before
    the hire date; a successor who is not a rep, is the rep himself, or has left."""
    found: list[str] = []
    reps = load_table(path, REPS, found)
    if not found:
        check_roster_rows(reps, found)
    report(found, problems)
    return reps


def check_roster_rows(reps: pd.DataFrame, problems=None) -> list[str]:
    from xlsales.core.decomposition import roster_problems

    found = Problems(problem_at(reps, reps.index[i], column, what) for i, column, what in roster_problems(reps))
    report(found, problems)
    return found


def check_reps_for_plan(reps: pd.DataFrame, year: int, grades=None, problems=None) -> list[str]:
    """The reps file against a plan year: a hire date after the plan year is a problem at its row
    (not a full-year target); so is a grade with no weight set (``grades``: grade → weight)."""
    found = Problems()
    if "hire_date" in reps:
        hire = pd.to_datetime(reps["hire_date"])
        for row in hire.index[(hire > pd.Timestamp(year=year, month=12, day=31)).to_numpy()]:
            found.append(problem_at(reps, row, "hire_date", f"{hire[row]:%Y-%m-%d} is after the plan year "
                                    f"{year}: leave the rep out of this plan, or plan {year + 1}"))
    if grades is not None and "grade" in reps:
        known = {str(g).strip() for g in grades}
        for row, grade in reps["grade"].items():
            if isinstance(grade, str) and grade.strip() and grade.strip() not in known:
                listed = ", ".join(sorted(known)) or "none"
                found.append(problem_at(reps, row, "grade", f"grade {grade!r} has no weight "
                                        f"(weights are set for: {listed})"))
    report(found, problems)
    return found


def load_opportunities(path, problems=None, mapping=None) -> pd.DataFrame:
    """Columns and types only; the funnel checks stages and statuses. ``mapping`` as for load_orders."""
    from xlsales.io.crm_mapping import load_mapped
    return load_mapped(path, OPPORTUNITIES, mapping, problems)


LOADERS = {"orders": load_orders, "reps": load_reps, "opportunities": load_opportunities}


def check_orders_against_reps(orders: pd.DataFrame, reps: pd.DataFrame, problems=None) -> list[str]:
    """An order whose rep is not in the reps file is a problem at that order's row."""
    unknown = orders["rep"].notna() & ~orders["rep"].isin(set(reps["rep"].dropna()))
    reps_file = reps.attrs.get("source", "the reps file")
    found = Problems(problem_at(orders, row, "rep", f"'{visible(rep)}' is not in {reps_file}")
                     for row, rep in orders.loc[unknown, "rep"].head(MAX_PROBLEMS + 1).items())
    found.hidden = max(0, int(unknown.sum()) - MAX_PROBLEMS - 1)
    report(found, problems)
    return found


def load_sales_inputs(orders_path, reps_path, problems: list | None = None, mapping=None):
    """Orders and reps, checked together (every problem in either file at once, then orders whose rep
    is not in the reps file). With ``problems`` the caller collects them; otherwise they are raised."""
    found: list[str] = []
    orders = load_orders(orders_path, found, mapping)
    reps = load_reps(reps_path, found)
    if not found:
        check_orders_against_reps(orders, reps, found)
    if problems is None:
        raise_if_any(found)
    else:
        problems.extend(found)
    return orders, reps


def detect_kind(path) -> str:
    """Guess orders / reps / opportunities from the headers (the file name breaks ties)."""
    name = Path(path).name.lower()
    scores = {}
    for kind, schema in SCHEMAS.items():
        # In a workbook each kind may have its own sheet; a title may sit above the header.
        lookup = schema.lookup()
        known = max(({lookup[k].name for k in map(normalize_header, row) if k in lookup}
                     for row in header_candidates(path, kind)), key=len)
        has_required = all(c.name in known for c in schema.columns if c.required)
        hinted = any(word in name for word in NAME_HINTS[kind])
        scores[kind] = (len(known), has_required, hinted)
    best = max(scores, key=scores.get)
    if scores[best][0] < 2:
        expected = "; ".join(f"{k}: {', '.join(c.label for c in s.columns if c.required)}"
                             for k, s in SCHEMAS.items())
        raise InputFileError([f"{Path(path).name}: cannot tell what kind of file this is from its headers "
                              f"(expected {expected}); name it with --kind"])
    return best
