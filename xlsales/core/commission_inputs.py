"""From the user's frames (orders, reps, targets, quotas) to the payout engine's inputs.

- revenue: positive order amounts count as achieved; negative amounts (returns, lost deals) are
  clawed back (see ``xlsales.core.payouts``);
- collections (回款): the ``collected`` column, by order date;
- new_customers: customers whose first order ever falls in the period, credited to that order's rep.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from xlsales.core import periods
from xlsales.core.commission_plan import Plan
from xlsales.errors import InputError

ACTUAL_COLUMNS = ["rep", "pno", "measure", "achieved", "returns"]
QUOTA_COLUMNS = ["rep", "pno", "measure", "quota"]


def actuals_from_orders(orders: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """rep, pno, measure, achieved, returns: one row per rep, period and measure with orders."""
    frames = []
    pno = periods.period_numbers(orders["date"], plan.period)
    rep = orders["rep"].to_numpy(dtype=object)
    # credit notes are taken back at the rate paid on the order they reverse (credit_notes_from_orders)
    note = orders["is_credit_note"].to_numpy(dtype=bool) if "is_credit_note" in orders.columns else \
        np.zeros(len(orders), bool)
    for key in plan.measure_keys:
        if key == "revenue":
            amount = np.where(note, 0.0, orders["amount"].to_numpy(dtype=float))
            achieved, returns = np.clip(amount, 0, None), np.clip(amount, None, 0)
            frames.append(_sum(rep, pno, key, achieved, returns))
        elif key == "collections":
            if "collected" not in orders.columns:
                raise InputError("orders: the plan pays on collections but the orders have no collected (回款) column")
            collected = orders["collected"].fillna(0).to_numpy(dtype=float)
            when = pno
            if plan.measure(key).paid_on == "collection_date":
                # 回款 by the day it came in, credited to the order's rep(s)
                dated = orders["collected_date"] if "collected_date" in orders.columns else pd.Series(pd.NaT,
                                                                                                      orders.index)
                collected = np.where(dated.notna().to_numpy(), collected, 0.0)
                when = periods.period_numbers(dated.fillna(orders["date"]), plan.period)
            frames.append(_sum(rep, when, key, collected, np.zeros(len(orders))))
        elif key == "new_customers":
            if "customer" not in orders.columns:
                raise InputError("orders: the plan pays on new_customers but the orders have no customer (客户) column")
            firsts = orders.assign(_pno=pno).dropna(subset=["customer"]).sort_values("date", kind="stable")
            firsts = firsts.drop_duplicates("customer")
            frames.append(_sum(firsts["rep"].astype(str).to_numpy(), firsts["_pno"].to_numpy(), key,
                               np.ones(len(firsts)), np.zeros(len(firsts))))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ACTUAL_COLUMNS)


CREDIT_NOTE_COLUMNS = ["rep", "pno", "orig_pno", "measure", "amount", "order_id", "orig_date"]


def credit_notes_from_orders(orders: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """The credited parts of credit notes (``xlsales.core.commission_credits.credited_orders``): rep,
    period of the note, period of the order it reverses, measure (revenue), amount (< 0), order id."""
    if "is_credit_note" not in orders.columns or not orders["is_credit_note"].any():
        return pd.DataFrame(columns=CREDIT_NOTE_COLUMNS)
    notes = orders[orders["is_credit_note"].to_numpy(dtype=bool)]
    originals = orders[~orders["is_credit_note"].to_numpy(dtype=bool) & orders["order_id"].notna()]
    first = originals.drop_duplicates("order_id")
    at = pd.Index(first["order_id"].astype(str).str.strip()).get_indexer(notes["reverses"].astype(str).str.strip())
    dates = np.append(first["date"].to_numpy(dtype="datetime64[ns]"), np.datetime64("NaT", "ns"))  # -1: none
    orig_dates = pd.Series(dates[at], index=notes.index)
    return pd.DataFrame({
        "rep": notes["rep"].astype(str).to_numpy(), "pno": periods.period_numbers(notes["date"], plan.period),
        "orig_pno": periods.period_numbers(orig_dates.fillna(notes["date"]), plan.period),
        "measure": "revenue", "amount": notes["amount"].to_numpy(dtype=float),
        "order_id": notes["reverses"].astype(str).str.strip().to_numpy(),
        "orig_date": orig_dates.fillna(notes["date"]).to_numpy(),
    })[CREDIT_NOTE_COLUMNS]


def check_collection_dates(orders: pd.DataFrame, plan: Plan) -> None:
    """A plan paying collections by collection date needs the date of every collected amount."""
    if not any(m.key == "collections" and m.paid_on == "collection_date" for m in plan.measures):
        return
    source = orders.attrs.get("source", "orders")
    if "collected_date" not in orders.columns:
        raise InputError(f"{source}: the plan pays collections by collection date but the orders have no "
                         "collected_date (回款日期) column")
    missing = orders["collected"].fillna(0).gt(0) & orders["collected_date"].isna()
    if missing.any():
        row = missing.idxmax()
        header = orders.attrs.get("headers", {}).get("collected_date", "collected_date")
        raise InputError(f"{source}, row {row}, column {header}: {orders.at[row, 'collected']:,.2f} collected but "
                         f"no collection date ({int(missing.sum())} such rows)")


def _sum(rep, pno, measure, achieved, returns) -> pd.DataFrame:
    """Sum by rep and period on integer codes (fast), then name the reps."""
    codes, names = pd.factorize(np.asarray(rep, dtype=object))
    pno = np.asarray(pno, dtype=np.int64)
    low = pno.min() if pno.size else 0
    width = (pno.max() - low + 1) if pno.size else 1
    key = codes.astype(np.int64) * width + (pno - low)
    keys, inverse = np.unique(key, return_inverse=True)
    return pd.DataFrame({
        "rep": pd.Categorical.from_codes(keys // width, names), "pno": keys % width + low, "measure": measure,
        "achieved": np.bincount(inverse, weights=achieved, minlength=keys.size),
        "returns": np.bincount(inverse, weights=returns, minlength=keys.size),
    })[ACTUAL_COLUMNS]


def quotas_from_targets(monthly: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """Rep quotas from the targets' monthly frame (measure, region, team, rep, month, target);
    a quarter's quota is the sum of its months. Measures with a fixed quota are left out."""
    wanted = [m.key for m in plan.measures if m.quota_source != "fixed"]
    rows = monthly[monthly["rep"].notna() & (monthly["rep"].astype(str) != "") & monthly["measure"].isin(wanted)]
    frame = pd.DataFrame({"rep": rows["rep"].astype(str).to_numpy(),
                          "pno": periods.period_numbers(rows["month"], plan.period),
                          "measure": rows["measure"].to_numpy(),
                          "quota": pd.to_numeric(rows["target"], errors="coerce").fillna(0).to_numpy(float)})
    return frame.groupby(["rep", "pno", "measure"], sort=True, as_index=False)["quota"].sum()[QUOTA_COLUMNS]


def _periods_and_measures(table: pd.DataFrame, plan: Plan, source: str) -> list[int]:
    """The period number of each row of a table with period and measure columns; a period that is not
    one, or a measure not in the plan, is an error at its row."""
    problems, pnos = [], []
    for row, text in table["period"].items():
        try:
            pnos.append(periods.parse(text, plan.period, "period"))
        except InputError as error:
            problems.append(f"{source}, row {row}, column period: {str(error).split(': ', 1)[1]}")
            pnos.append(-1)
    unknown = ~table["measure"].astype(str).isin(plan.measure_keys)
    for row, value in table.loc[unknown, "measure"].head(10).items():
        problems.append(f"{source}, row {row}, column measure: {value!r} is not a measure of the plan "
                        f"({', '.join(plan.measure_keys)})")
    if problems:
        raise InputError("\n".join(problems[:20]))
    return pnos


def quotas_from_table(table: pd.DataFrame, plan: Plan, source: str = "quotas") -> pd.DataFrame:
    """Rep quotas from a simple table: rep, measure, period ("2026-06" or "2026-Q2"), quota.

    In a quarter plan a monthly quota names its quarter and the months add up."""
    wanted = [m.key for m in plan.measures if m.quota_source != "fixed"]
    pnos = _periods_and_measures(table, plan, source)
    frame = pd.DataFrame({"rep": table["rep"].astype(str).to_numpy(), "pno": pnos,
                          "measure": table["measure"].astype(str).to_numpy(),
                          "quota": table["quota"].to_numpy(dtype=float)})
    frame = frame[frame["measure"].isin(wanted)]
    return frame.groupby(["rep", "pno", "measure"], sort=True, as_index=False)["quota"].sum()[QUOTA_COLUMNS]


def roster_from_reps(reps: pd.DataFrame) -> pd.DataFrame:
    """rep, region, team, hire_date, leave_date. A rep marked inactive without a leave date is not on
    the plan (as if they left before it started)."""
    roster = pd.DataFrame({"rep": reps["rep"].astype(str).to_numpy()})
    for column in ("region", "team"):
        roster[column] = reps[column].to_numpy() if column in reps.columns else ""
    roster["hire_date"] = pd.to_datetime(reps["hire_date"]).to_numpy() if "hire_date" in reps.columns else pd.NaT
    leave = _leave_dates(reps)
    if "active" in reps.columns:
        inactive = ~reps["active"].fillna(True).astype(bool).to_numpy()
        leave = np.where(inactive & pd.isna(leave), np.datetime64("1900-01-01", "ns"), leave)
    roster["leave_date"] = pd.to_datetime(leave)
    return roster


LEAVE_HEADERS = ("leave_date", "leavedate", "left", "end_date", "离职日期", "离职时间")


def _leave_dates(reps: pd.DataFrame) -> np.ndarray:
    for column in reps.columns:
        if str(column).strip().lower().replace(" ", "_") in LEAVE_HEADERS:
            return pd.to_datetime(reps[column], errors="coerce").to_numpy(dtype="datetime64[ns]")
    return np.full(len(reps), np.datetime64("NaT"), dtype="datetime64[ns]")


def clawback_actuals(clawbacks: pd.DataFrame, plan: Plan) -> pd.DataFrame:
    """A clawback list (rep, date, amount, measure) as returns in the period of its date.

    The amount is the deal amount lost or returned, whatever its sign; it is clawed back like a
    negative order (first tier rate × weight). Measures not in the plan are an error."""
    measure = clawbacks["measure"] if "measure" in clawbacks.columns else pd.Series("revenue", index=clawbacks.index)
    unknown = ~measure.isin(plan.measure_keys)
    if unknown.any():
        row = unknown.idxmax()
        raise InputError(f"{clawbacks.attrs.get('source', 'clawbacks')}, row {row}, column measure: "
                         f"{measure[row]!r} is not a measure of the plan ({', '.join(plan.measure_keys)})")
    frames = []
    pno = periods.period_numbers(clawbacks["date"], plan.period)
    amount = -np.abs(clawbacks["amount"].to_numpy(dtype=float))
    for key in plan.measure_keys:
        pick = (measure == key).to_numpy()
        if pick.any():
            frames.append(_sum(clawbacks["rep"].to_numpy(dtype=object)[pick], pno[pick], key,
                               np.zeros(int(pick.sum())), amount[pick]))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=ACTUAL_COLUMNS)


RELIEF_COLUMNS = ["rep", "pno", "measure", "amount", "reason", "row"]


def relief_frame(relief: pd.DataFrame | None, plan: Plan) -> pd.DataFrame | None:
    """Quota relief rows (rep, period, measure, amount, reason) as the engine reads them: period
    numbers, and the spreadsheet row of each for messages. Measures not in the plan are an error."""
    if relief is None or relief.empty:
        return None
    source = relief.attrs.get("source", "relief")
    pnos = _periods_and_measures(relief, plan, source)
    per_year = periods.PER_YEAR[plan.period]
    outside = [f"{source}, row {row}, column period: {text} is not in the plan year {plan.year}; a quota relief "
               f"counts only in a period the plan pays" for row, text, pno in zip(relief.index, relief["period"], pnos)
               if not plan.year * per_year <= pno < (plan.year + 1) * per_year]
    if outside:
        raise InputError("\n".join(outside[:20]))
    frame = pd.DataFrame({"rep": relief["rep"].astype(str).to_numpy(), "pno": np.asarray(pnos, dtype=np.int64),
                          "measure": relief["measure"].to_numpy(), "amount": relief["amount"].to_numpy(dtype=float),
                          "reason": relief["reason"].astype(str).to_numpy(), "row": relief.index.to_numpy()})
    frame.attrs["source"] = source
    return frame[RELIEF_COLUMNS]
