"""Rules behind the review memos' comparisons and their "wins to learn from" (成功案例复盘).

- **Measure events**: every order line as (measure, rep, date, value): revenue = amount, collections =
  collected, key-product revenue = amount of that product's lines, new customers = 1 on the date of a
  customer's first order ever (the targets' rules in ``decomposition.monthly_history``, by day).
- **Like-for-like windows**: a period to date is compared with the previous period (month on month,
  quarter on quarter) and with the same period a year before, over the same stretch of days: from the
  start of that period to the same day (or to its end when the period is over).
- **Change**: (current − earlier) ÷ earlier; none when the earlier figure is not above 0.
- **Wins to learn from**: the won deals closed in the period, the largest by amount and the fastest by
  cycle time (created to closed), with ties to the earlier close and then the deal id.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

COMPARED = ("previous", "last_year")


def measure_events(orders: pd.DataFrame, key_product: str | None = None) -> pd.DataFrame:
    """measure, rep, date, value: one row per order line and measure it counts towards."""
    base = {"rep": orders["rep"].astype(str).to_numpy(), "date": pd.to_datetime(orders["date"]).to_numpy()}
    frames = [pd.DataFrame({"measure": "revenue", **base, "value": orders["amount"].astype(float).to_numpy()})]
    if "collected" in orders.columns:
        frames.append(pd.DataFrame({"measure": "collections", **base,
                                    "value": orders["collected"].fillna(0.0).astype(float).to_numpy()}))
    if key_product and "product" in orders.columns:
        mine = (orders["product"] == key_product).to_numpy()
        frames.append(pd.DataFrame({"measure": "key_product", "rep": base["rep"][mine], "date": base["date"][mine],
                                    "value": orders["amount"].astype(float).to_numpy()[mine]}))
    if "customer" in orders.columns and orders["customer"].notna().any():
        firsts = orders.dropna(subset=["customer"]).sort_values("date", kind="stable").drop_duplicates("customer")
        frames.append(pd.DataFrame({"measure": "new_customers", "rep": firsts["rep"].astype(str).to_numpy(),
                                    "date": pd.to_datetime(firsts["date"]).to_numpy(), "value": 1.0}))
    return pd.concat(frames, ignore_index=True)


def change(current, earlier):
    """(current − earlier) ÷ earlier; None when there is no earlier figure above 0."""
    if current is None or earlier is None or not earlier > 0:
        return None
    return (float(current) - float(earlier)) / float(earlier)


def shifted_window(start, end, as_of, months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The window ``months`` earlier that matches [start, as_of] of the period [start, end]: the whole
    earlier period when the period is over, else from its start to the same day (clipped to its end)."""
    start, end, as_of = pd.Timestamp(start), pd.Timestamp(end), pd.Timestamp(as_of)
    earlier_start = start - pd.DateOffset(months=months)
    earlier_end = (earlier_start + pd.DateOffset(months=_length(start, end))) - pd.Timedelta(days=1)
    if as_of >= end:
        return earlier_start, earlier_end
    return earlier_start, min(as_of - pd.DateOffset(months=months), earlier_end)


def _length(start, end) -> int:
    return (end.year - start.year) * 12 + end.month - start.month + 1


def comparisons(events: pd.DataFrame, start, end, as_of, measures=None) -> list[dict]:
    """Per measure: the period to date, the previous period and the same period a year before over
    like-for-like windows, and the changes. ``events`` already holds only the reps in scope."""
    months = _length(pd.Timestamp(start), pd.Timestamp(end))
    windows = {"current": (pd.Timestamp(start), min(pd.Timestamp(as_of), pd.Timestamp(end))),
               "previous": shifted_window(start, end, as_of, months),
               "last_year": shifted_window(start, end, as_of, 12)}
    dates = events["date"].to_numpy()
    sums = {}
    for name, (lo, hi) in windows.items():
        inside = (dates >= np.datetime64(lo)) & (dates <= np.datetime64(hi))
        sums[name] = events.loc[inside].groupby("measure")["value"].sum()
    wanted = measures if measures is not None else sorted(events["measure"].unique())
    rows = []
    for measure in wanted:
        row = {"measure": measure, **{name: float(s.get(measure, 0.0)) for name, s in sums.items()}}
        for name in COMPARED:
            row[f"{name}_change"] = change(row["current"], row[name])
            row[f"{name}_start"], row[f"{name}_end"] = (w.date() for w in windows[name])
        rows.append(row)
    return rows


def wins_to_learn(facts: pd.DataFrame, start, end, top: int = 3) -> dict:
    """The largest and the fastest won deals closed in [start, end] (funnel deal facts: id, rep,
    customer, amount, created, closed_date, is_won, cycle_days)."""
    won = facts.loc[facts["is_won"] & (facts["closed_date"] >= pd.Timestamp(start))
                    & (facts["closed_date"] <= pd.Timestamp(end))]
    columns = [c for c in ("id", "rep", "team", "customer", "stage", "amount", "created", "closed_date", "cycle_days")
               if c in won.columns]
    won = won[columns].sort_values(["closed_date", "id"], kind="stable")
    largest = won.sort_values("amount", ascending=False, kind="stable").head(top)
    fastest = won.dropna(subset=["cycle_days"]).sort_values("cycle_days", kind="stable").head(top)
    return {"count": int(len(won)), "amount": float(won["amount"].sum()), "largest": largest, "fastest": fastest,
            "median_cycle_days": float(won["cycle_days"].median()) if won["cycle_days"].notna().any() else None}
