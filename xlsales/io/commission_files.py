"""The commission command's extra input files, checked against the orders and reps.

- credits (``--credits``): order_id 订单编号, rep 销售代表, share 比例/分成比例: split credit. Shares are
  fractions (0.6) or percentages ("60%", or plain numbers when some share of the file is above 1);
  the shares of one order must add up to 100%.
- credit notes in the orders: a negative line whose ``reverses`` (冲销订单) names the order it reverses.

Every problem names the file, the row and the column (``xlsales.io.loading.report``).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from xlsales.io.loading import Column, Schema, load_table, problem_at, report
from xlsales.io.schemas import REP

CREDITS = Schema("credits", (
    Column("order_id", ("订单编号", "订单号", "单号", "order no", "order number")),
    Column(REP.name, REP.aliases),
    Column("share", ("比例", "分成比例", "分成", "占比", "业绩比例", "credit share", "split")),
))
_PERCENT = re.compile(r"^\s*([-+]?\d+(?:\.\d+)?)\s*%\s*$")


def _ids(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), None).map(lambda v: None if v is None else str(v).strip())


def _shares(frame: pd.DataFrame, found: list) -> pd.Series:
    """Shares as fractions; a cell that is no share is a problem at its row."""
    text = frame["share"].astype(object)
    percent = text.map(lambda v: bool(_PERCENT.match(str(v))) if v is not None else False)
    numbers = pd.to_numeric(text.map(lambda v: _PERCENT.sub(r"\1", str(v)) if v is not None else None)
                            .str.replace(",", "", regex=False), errors="coerce")
    plain_percent = bool((numbers[~percent] > 1).any())  # 60, 40: percentages written without %
    values = np.where(percent | plain_percent, numbers / 100, numbers)
    values = pd.Series(values, index=frame.index)
    for row in frame.index[values.isna()]:
        found.append(problem_at(frame, row, "share", f"{text[row]!r} is not a share (write 0.6 or 60%)"))
    for row in frame.index[values.notna() & ((values <= 0) | (values > 1))]:
        found.append(problem_at(frame, row, "share", f"{text[row]} is not a share above 0 and at most 100%"))
    return values


def load_credits(path, orders: pd.DataFrame | None, reps: pd.DataFrame | None, problems=None) -> pd.DataFrame:
    """order_id, rep, share (fractions), checked: shares of an order add up to 100%, every order is in
    the orders file (and is not a credit note), every rep is in the reps file."""
    found: list[str] = []
    frame = load_table(path, CREDITS, found)
    if found:
        report(found, problems)
        return frame
    source = frame.attrs.get("source", "credits")
    frame["order_id"] = _ids(frame["order_id"])
    frame["share"] = _shares(frame, found)
    dupes = frame.duplicated(["order_id", "rep"], keep="first")
    for row in frame.index[dupes]:
        found.append(problem_at(frame, row, "rep", f"{frame.at[row, 'rep']!r} is credited twice on order "
                                                   f"{frame.at[row, 'order_id']!r}"))
    if orders is not None:
        orders_file = orders.attrs.get("source", "the orders file")
        if "order_id" not in orders.columns:
            found.append(f"{source}: credits name orders, but {orders_file} has no order_id (订单编号) column")
        else:
            notes = _ids(orders["reverses"]).notna() if "reverses" in orders.columns else pd.Series(False, orders.index)
            ids = _ids(orders["order_id"])
            known, note_ids = set(ids[~notes].dropna()), set(ids[notes].dropna())
            for row, order in frame["order_id"].items():
                if order in note_ids and order not in known:
                    found.append(problem_at(frame, row, "order_id", f"{order!r} is a credit note; it follows the "
                                                                    "credits of the order it reverses"))
                elif order not in known:
                    found.append(problem_at(frame, row, "order_id", f"order {order!r} is not in {orders_file}"))
    if reps is not None:
        reps_file = reps.attrs.get("source", "the reps file")
        unknown = ~frame["rep"].isin(set(reps["rep"].astype(str)))
        for row in frame.index[unknown]:
            found.append(problem_at(frame, row, "rep", f"{frame.at[row, 'rep']!r} is not in {reps_file}"))
    valid = frame["share"].notna()
    sums = frame[valid].groupby("order_id", sort=False)["share"].sum()
    header = frame.attrs.get("headers", {}).get("share", "share")
    for order, total in sums.items():
        if abs(total - 1) > 1e-6:
            rows = frame.index[frame["order_id"] == order].tolist()
            where = f"row {rows[0]}" if len(rows) == 1 else "rows " + ", ".join(map(str, rows))
            found.append(f"{source}, {where}, column {header}: the shares of order {order!r} add up to "
                         f"{total * 100:.6g}%, not 100%")
    report(found, problems)
    return frame


def check_credit_notes(orders: pd.DataFrame, problems=None) -> list[str]:
    """Order ids are unique; a credit note (``reverses``) is negative, names an order of the file, is not
    dated before it and, with the other notes of that order, reverses at most its amount."""
    found: list[str] = []
    if "order_id" not in orders.columns and "reverses" not in orders.columns:
        return found
    ids = _ids(orders["order_id"]) if "order_id" in orders.columns else pd.Series(None, orders.index, dtype=object)
    reverses = _ids(orders["reverses"]) if "reverses" in orders.columns else pd.Series(None, orders.index,
                                                                                      dtype=object)
    notes = reverses.notna()
    originals = ids.notna() & ~notes
    dupes = ids[originals].duplicated(keep="first")
    for row in dupes.index[dupes]:
        found.append(problem_at(orders, row, "order_id", f"order {ids[row]!r} appears twice (order ids are unique)"))
    amount = orders["amount"]
    by_id = pd.Series(orders.index[originals], index=ids[originals]).groupby(level=0).first()
    reversed_so_far: dict[str, float] = {}
    for row in orders.index[notes]:
        target = reverses[row]
        if amount[row] >= 0:
            found.append(problem_at(orders, row, "amount", f"a credit note (it reverses {target!r}) must be a "
                                                           f"negative amount, got {amount[row]:,.2f}"))
            continue
        if target not in by_id.index:
            found.append(problem_at(orders, row, "reverses", f"order {target!r} is not in the file"))
            continue
        original = by_id[target]
        if orders.at[row, "date"] < orders.at[original, "date"]:
            found.append(problem_at(orders, row, "date", f"the credit note is dated before order {target!r} "
                                                         f"(row {original}) that it reverses"))
        reversed_so_far[target] = reversed_so_far.get(target, 0.0) - float(amount[row])
        if reversed_so_far[target] > float(amount[original]) + 0.005:
            found.append(problem_at(orders, row, "amount", f"credit notes reverse {reversed_so_far[target]:,.2f} of "
                                                           f"order {target!r}, which was {amount[original]:,.2f}"))
    report(found, problems)
    return found


RELIEF = Schema("relief", (
    Column(REP.name, REP.aliases),
    Column("period", ("期间", "月份", "季度", "month", "quarter")),
    Column("measure", ("指标", "考核指标")),
    Column("amount", ("金额", "减免", "减免额", "减免金额", "relief"), kind="number", nonnegative=True),
    Column("reason", ("原因", "减免原因", "说明", "note")),
))


def load_relief(path, reps: pd.DataFrame | None = None, problems=None) -> pd.DataFrame:
    """rep, period, measure (销售额, 回款 and 新客户数 are understood), amount, reason (required: it is
    shown on the statement). A relief larger than the quota is found by the engine, at the same row."""
    from xlsales.io.plan import MEASURE_ALIASES
    found: list[str] = []
    frame = load_table(path, RELIEF, found)
    if not found:
        frame["measure"] = frame["measure"].map(lambda m: MEASURE_ALIASES.get(str(m).strip(), str(m).strip().lower()))
        for row in frame.index[frame["reason"].isna() | (frame["reason"].astype(str).str.strip() == "")]:
            found.append(problem_at(frame, row, "reason", "a quota relief needs its reason (it is on the statement)"))
        if reps is not None:
            unknown = ~frame["rep"].isin(set(reps["rep"].astype(str)))
            for row in frame.index[unknown]:
                found.append(problem_at(frame, row, "rep", f"{frame.at[row, 'rep']!r} is not in "
                                                           f"{reps.attrs.get('source', 'the reps file')}"))
    report(found, problems)
    return frame
