"""What a review memo says, as plain numbers: built from frames, computed with the core rules.

A context is a dict of numbers, dates, strings and lists of dicts; templates only lay it out. Inputs:

- ``orders``: date, rep, amount (the actuals);
- ``reps``: rep, region, optional team, manager;
- ``targets``: rep, month (any date inside the month), target (the plan, e.g. the targets workbook's grid);
- ``funnel`` (optional): per-stage rows ``stage, count, amount`` in funnel order, plus ``open`` and
  ``weighted`` pipeline amounts, as the funnel analytics give them.

The pace line: by ``as_of`` a rep should have sold ``target × share of the period's days elapsed``;
a rep below it is a laggard.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from xlsales.core.funnel import funnel_conversion
from xlsales.core.review import comparisons, measure_events, wins_to_learn
from xlsales.core.pacing import attainment, month_elapsed_share, pace_columns, required_pace, run_rate
from xlsales.errors import InputError
from xlsales.memos.periods import Period

REP_COLUMNS = ("rep", "region", "team", "manager")


def _month_start(dates: pd.Series) -> pd.Series:
    return pd.to_datetime(dates).dt.to_period("M").dt.start_time


def _between(frame: pd.DataFrame, column: str, start, end) -> pd.DataFrame:
    dates = pd.to_datetime(frame[column])
    return frame[(dates >= start) & (dates <= end)]


def roster(reps: pd.DataFrame, targets: pd.DataFrame, orders: pd.DataFrame) -> pd.DataFrame:
    """One row per rep found in any input, with region/team/manager ('' when unknown)."""
    known = reps.reindex(columns=list(REP_COLUMNS)).drop_duplicates("rep")
    names = pd.Index(known["rep"]).append(pd.Index(targets["rep"])).append(pd.Index(orders["rep"]))
    names = names.dropna().unique()
    out = pd.DataFrame({"rep": names}).merge(known, on="rep", how="left")
    for column in REP_COLUMNS[1:]:
        out[column] = out[column].fillna("").astype(str)
    out["rep"] = out["rep"].astype(str)
    return out


def in_scope(roster_: pd.DataFrame, scope: tuple[str, str] | None) -> pd.DataFrame:
    if scope is None:
        return roster_
    column, value = scope
    if column not in REP_COLUMNS[1:]:
        raise InputError(f"scope: must be region, team or manager, got {column!r}")
    return roster_[roster_[column] == str(value)]


def rep_pacing(orders, targets, people: pd.DataFrame, p: Period) -> pd.DataFrame:
    """Per rep: the period's target, actual to date, pace line and what is left to do (vectorised).

    The pace line is each month's target times the share of that month gone by, summed: with seasonal
    targets a rep is measured against the months that have actually passed.
    """
    t = _between(targets.assign(month=_month_start(targets["month"])), "month", p.start, p.end)
    t = t.assign(expected=t["target"] * month_elapsed_share(t["month"], p.as_of))
    o = _between(orders, "date", p.start, p.as_of)
    table = people.copy()
    by_rep = t.groupby("rep")[["target", "expected"]].sum()
    table["target"] = table["rep"].map(by_rep["target"]).fillna(0.0).astype(float)
    table["expected"] = table["rep"].map(by_rep["expected"]).fillna(0.0).astype(float)
    table["actual"] = table["rep"].map(o.groupby("rep")["amount"].sum()).fillna(0.0).astype(float)
    table["orders"] = table["rep"].map(o.groupby("rep").size()).fillna(0).astype(int)
    return add_pace(table, p)


# The memos' names for the core's pacing columns.
_MEMO_NAMES = {"pace_attainment": "pace", "run_rate": "landing", "required_daily_pace": "required_daily",
               "behind_pace": "below_pace"}


def add_pace(table: pd.DataFrame, p: Period) -> pd.DataFrame:
    """Attainment, pace, gap, landing and required daily pace for rows of target/expected/actual:
    the core's ``pace_columns`` (the targets workbook's pacing rule) under the memos' names."""
    return pace_columns(table, p.days_elapsed, p.days).rename(columns=_MEMO_NAMES)


def _plain(value):
    if isinstance(value, np.generic):
        value = value.item()
    if value is pd.NaT or (isinstance(value, float) and value != value):
        return None
    return value


def clean(value):
    """A context made of plain Python values only: numpy scalars unwrapped, NaN → None, timestamps → dates."""
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, pd.Timestamp):
        return value.date()
    return _plain(value)


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as dicts of plain Python values (NaN → None), for templates and pickling."""
    return [{k: _plain(v) for k, v in row.items()} for row in frame.to_dict("records")]


def totals(target: float, expected: float, actual: float, p: Period) -> dict:
    """Scope totals with the core's scalar rules (the one place the rules live)."""
    gap = max(target - actual, 0.0)
    return {
        "target": target, "actual": actual, "expected": expected, "gap": gap,
        "attainment": attainment(actual, target) if target > 0 else None,
        "pace": actual / expected if expected > 0 else None,
        "landing": run_rate(actual, p.days_elapsed, p.days),
        "required_daily": (required_pace(target, actual, p.days_left) if gap == 0 or p.days_left > 0 else None),
        "below_pace": target > 0 and actual < expected,
        "pace_line": expected / target if target > 0 else p.elapsed_share,
    }


def _sum_totals(table: pd.DataFrame, p: Period) -> dict:
    return totals(float(table["target"].sum()), float(table["expected"].sum()), float(table["actual"].sum()), p)


def _group(table: pd.DataFrame, column: str, p: Period) -> list[dict]:
    if not table[column].astype(bool).any():
        return []
    sums = table.groupby(column, sort=True)[["target", "expected", "actual"]].sum().reset_index()
    sums["reps"] = sums[column].map(table.groupby(column).size())
    sums["laggards"] = sums[column].map(table.groupby(column)["below_pace"].sum()).astype(int)
    return _records(add_pace(sums.rename(columns={column: "name"}), p))


def trend(orders, targets, reps: list[str], p: Period) -> list[dict]:
    """Month by month for the plan year up to the period's end: target, actual and cumulative both."""
    months = pd.date_range(p.year_start, p.end, freq="MS")
    t = targets[targets["rep"].isin(reps)]
    o = _between(orders[orders["rep"].isin(reps)], "date", p.year_start, p.as_of)
    frame = pd.DataFrame({
        "month": months,
        "target": pd.Series(t.groupby(_month_start(t["month"]))["target"].sum()).reindex(months, fill_value=0.0).values,
        "actual": pd.Series(o.groupby(_month_start(o["date"]))["amount"].sum()).reindex(months, fill_value=0.0).values,
    })
    frame["cum_target"] = frame["target"].cumsum()
    frame["cum_actual"] = frame["actual"].cumsum()
    frame["attainment"] = (frame["actual"] / frame["target"]).where(frame["target"] > 0)
    frame["month"] = [m.date() for m in frame["month"]]
    return _records(frame)


FUNNEL_STAGE_COLUMNS = ("stage", "reached", "open_deals", "open_amount", "conversion")


def funnel_summary(funnel: dict | None, target: float, actual: float) -> dict | None:
    """The funnel part of a memo. ``funnel["stages"]``: rows in funnel order with ``stage`` and ``reached``
    (deals that got at least this far), optional ``open_deals``, ``open_amount``, ``conversion``;
    other keys (``open``, ``weighted``, ``win_rate``, ``avg_deal``, ``stale``, ``slipped``, ``bottleneck``,
    and the forecast over the funnel's period: ``target``, ``closed`` (won deals), ``gap``, ``pipeline_due``,
    ``coverage``, ``deals_needed``, ``period_end``) as the funnel analysis gives them: coverage has one
    definition, the funnel's (PIPELINE_COVERAGE of the pipeline due by the period's end over the target
    less won deals), and is never re-worked here. Missing conversions come from FUNNEL_CONVERSION's rule,
    a missing bottleneck is the lowest conversion."""
    if funnel is None:
        return None
    stages = pd.DataFrame(funnel["stages"]).reset_index(drop=True).reindex(columns=list(FUNNEL_STAGE_COLUMNS))
    stages["open_deals"] = stages["open_deals"].fillna(0)
    stages["open_amount"] = stages["open_amount"].fillna(0.0)
    if stages["conversion"].isna().all() and len(stages) >= 2:
        stages["conversion"] = funnel_conversion(stages["reached"].astype(float).tolist()) + [None]
    open_amount = float(funnel.get("open", stages["open_amount"].sum()))
    rated = stages.dropna(subset=["conversion"])
    bottleneck = funnel.get("bottleneck")
    if bottleneck is None and len(rated):
        bottleneck = rated.sort_values("conversion", kind="stable")["stage"].iloc[0]
    out = {"stages": _records(stages), "open": open_amount, "bottleneck": bottleneck,
           "period_end": funnel.get("period_end")}
    for key in ("weighted", "win_rate", "avg_deal", "cycle_days", "velocity", "coverage", "target", "closed", "gap",
                "pipeline_due", "deals_needed"):
        value = funnel.get(key)
        out[key] = None if value is None or pd.isna(value) else float(value)
    for key in ("stale", "slipped", "open_deals"):
        out[key] = int(funnel.get(key) or 0)
    out["changes"] = funnel.get("changes")
    out["customers"] = funnel.get("customers")
    return out


def measure_figures(events: pd.DataFrame | None, measure_targets: pd.DataFrame | None, reps, p: Period) -> list[dict]:
    """Target, actual, attainment and gap of each planned measure beyond revenue (collections, new
    customers, key-product revenue) for the period and the plan year to date, for these reps.
    ``measure_targets``: measure, rep, month, target; ``events``: ``core.review.measure_events``."""
    if measure_targets is None or events is None or not len(measure_targets):
        return []
    t = measure_targets[measure_targets["rep"].isin(reps)]
    e = events[events["rep"].isin(reps)]
    months = pd.to_datetime(t["month"])
    dates = pd.to_datetime(e["date"])
    year = Period("year", p.year_start, pd.Timestamp(p.start.year, 12, 31), p.as_of)
    rows = []
    for measure in [m for m in MEASURE_ORDER if m in set(measure_targets["measure"])]:
        row = {"measure": measure}
        for name, q in (("period", p), ("year", year)):
            target = float(t.loc[(t["measure"] == measure) & (months >= q.start) & (months <= q.end), "target"].sum())
            actual = float(e.loc[(e["measure"] == measure) & (dates >= q.start) & (dates <= q.as_of), "value"].sum())
            row[name] = {"target": target, "actual": actual, "gap": max(target - actual, 0.0),
                         "attainment": attainment(actual, target) if target > 0 else None}
        rows.append(row)
    return rows


MEASURE_ORDER = ("collections", "new_customers", "key_product")


def wins(facts: pd.DataFrame | None, reps, p: Period, top: int = 3) -> dict | None:
    """The wins to learn from (成功案例复盘) among these reps' deals: the core's ``wins_to_learn``."""
    if facts is None:
        return None
    found = wins_to_learn(facts[facts["rep"].isin(reps)], p.start, p.as_of, top)
    return {**found, "largest": _records(found["largest"]), "fastest": _records(found["fastest"])}


def review_context(orders: pd.DataFrame, reps: pd.DataFrame, targets: pd.DataFrame, p: Period,
                   scope: tuple[str, str] | None = None, company: str = "", funnel: dict | None = None,
                   top: int = 3, events: pd.DataFrame | None = None, measure_targets: pd.DataFrame | None = None,
                   deals: pd.DataFrame | None = None) -> dict:
    """The monthly or quarterly review (月度/季度复盘) of the company or of one team/region.

    Optional: ``events`` (``core.review.measure_events`` of the orders, last year's included) for the
    month-on-month and year-on-year comparisons and the other measures' actuals; ``measure_targets``
    (measure, rep, month, target of the measures beyond revenue) for the collections, new-customers and
    key-product sections; ``deals`` (the funnel's deal facts) for the wins to learn from."""
    people = in_scope(roster(reps, targets, orders), scope)
    table = rep_pacing(orders, targets, people, p)
    table = table.sort_values(["attainment", "rep"], ascending=[False, True], na_position="last")
    laggards = table[table["below_pace"]].sort_values(["pace", "rep"], na_position="first")
    total = _sum_totals(table, p)
    year = Period("year", p.year_start, pd.Timestamp(p.start.year, 12, 31), p.as_of)
    year_total = _sum_totals(rep_pacing(orders, targets, people, year), year)
    return clean({
        "kind": "quarterly" if p.kind == "quarter" else "monthly",
        "company": company,
        "scope": {"by": scope[0], "name": str(scope[1])} if scope else None,
        "period": _period_dict(p),
        "total": total,
        "year": year_total,
        "reps": _records(table),
        "top": _records(table[table["target"] > 0].head(top)),
        "laggards": _records(laggards),
        "regions": _group(table, "region", p) if scope is None or scope[0] != "team" else [],
        "teams": _group(table, "team", p),
        "months": _records(_months_in(orders, targets, people, p)) if p.kind == "quarter" else [],
        "trend": trend(orders, targets, people["rep"].tolist(), p),
        "funnel": funnel_summary(funnel, total["target"], total["actual"]),
        "comparisons": _comparisons(events, people["rep"], p, orders, measure_targets),
        "measures": measure_figures(events, measure_targets, people["rep"], p),
        "wins": wins(deals, people["rep"], p),
    })


def _comparisons(events, reps, p: Period, orders, measure_targets) -> list[dict]:
    """Month on month (or quarter on quarter) and year on year, like for like, per measure: revenue and
    the measures that are planned. Without ``events``, revenue from the orders given."""
    if events is None:
        events = measure_events(orders)
    planned = ["revenue"] + ([m for m in MEASURE_ORDER if m in set(measure_targets["measure"])]
                             if measure_targets is not None else [])
    return comparisons(events[events["rep"].isin(reps)], p.start, p.end, p.as_of, planned)


def _months_in(orders, targets, people, p: Period) -> pd.DataFrame:
    rows = []
    for start in p.months:
        end = start + pd.offsets.MonthEnd(0)
        if start > p.as_of:
            part = Period("month", start, end, start)
            rows.append({"month": start.date(), "target": float(rep_pacing(orders, targets, people, part)["target"].sum()),
                         "actual": None, "attainment": None})
            continue
        part = Period("month", start, end, min(end, p.as_of))
        t = rep_pacing(orders, targets, people, part)
        target, actual = float(t["target"].sum()), float(t["actual"].sum())
        rows.append({"month": start.date(), "target": target, "actual": actual,
                     "attainment": actual / target if target > 0 else None})
    return pd.DataFrame(rows)


def _period_dict(p: Period) -> dict:
    return {"kind": p.kind, "label": p.label, "start": p.start.date(), "end": p.end.date(),
            "as_of": p.as_of.date(), "days": p.days, "days_elapsed": p.days_elapsed,
            "days_left": p.days_left, "elapsed_share": p.elapsed_share, "closed": p.days_left == 0}
