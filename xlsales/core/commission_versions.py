"""Effective-dated plan versions and reps moving between plans, day by day.

A plan with versions (``Plan.versions``) is paid as one plan whose measures are the versions' measures,
keyed ``revenue@2026 H2``. For every rep and day of the plan year exactly one version is in force: a
version naming the rep (a move to another plan) wins over the versions for everyone. Then:

- an order counts for the version in force for its (credited) rep on its date; a collection on its
  collection date; a credit note is taken back on the version of the order it reverses;
- a version's share of a period is the days it is in force for the rep (and, with proration, the rep is
  employed) ÷ the days of the period: it scales that version's quota, amount bounds and caps, so a
  change inside a period is prorated like a mid-period hire;
- quotas are the rep's quotas, the same for every version (each version carries its share of them);
- year-to-date attainment and awards count each measure across versions.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from xlsales.core import periods as periods_
from xlsales.core.commission_plan import Plan

SEPARATOR = "\t#version#"  # joins a rep and a version number while summing (no NUL: pandas strings drop it)


def base_plan(plan: Plan) -> Plan:
    """The plan with one measure per thing counted (the first version's settings), to read the inputs."""
    seen, measures = set(), []
    for m in plan.measures:
        if m.base not in seen:
            seen.add(m.base)
            measures.append(dataclasses.replace(m, key=m.base, version=None))
    return dataclasses.replace(plan, measures=tuple(measures), versions=())


def in_force(plan: Plan, reps: pd.Index) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """The plan year's days and, per version, rep and day, whether the version is in force (V × R × D)."""
    days = pd.date_range(f"{plan.year}-01-01", f"{plan.year}-12-31", freq="D")
    day = days.to_numpy()
    masks = np.zeros((len(plan.versions), len(reps), len(days)), dtype=bool)
    specific = np.zeros((len(reps), len(days)), dtype=bool)
    for v, version in enumerate(plan.versions):
        span = (day >= np.datetime64(version.start)) & (day <= np.datetime64(version.end))
        if version.reps:
            who = reps.isin(version.reps)
            masks[v] = who[:, None] & span[None, :]
            specific |= masks[v]
    for v, version in enumerate(plan.versions):
        if not version.reps:
            span = (day >= np.datetime64(version.start)) & (day <= np.datetime64(version.end))
            masks[v] = span[None, :] & ~specific
    return days, masks


def version_of(plan: Plan, reps: pd.Index, masks, days, rep_names, dates) -> np.ndarray:
    """The version in force for each (rep, date); dates outside the plan year take the nearest day."""
    r = reps.get_indexer(pd.Index(np.asarray(rep_names, dtype=object).astype(str)))
    d = np.clip(((pd.to_datetime(dates).to_numpy() - days[0].to_datetime64()) // np.timedelta64(1, "D")
                 ).astype(np.int64), 0, len(days) - 1)
    out = np.full(len(r), -1, dtype=np.int64)
    known = r >= 0
    if known.any():
        out[known] = np.argmax(masks[:, r[known], d[known]], axis=0)
    return np.where(known, out, 0)


def measure_factors(plan: Plan, roster: pd.DataFrame, pnos: np.ndarray, masks, days) -> np.ndarray:
    """Per rep, period and (versioned) measure: the days its version is in force (and the rep employed,
    with proration) ÷ the days of the period."""
    start, end = periods_.bounds(pnos, plan.period)
    first = days.get_indexer(start)
    last = days.get_indexer(end)
    day = days.to_numpy()
    if plan.prorate:
        hired = pd.to_datetime(roster["hire_date"], errors="coerce").to_numpy() if "hire_date" in roster.columns \
            else np.full(len(roster), np.datetime64("NaT"))
        left = pd.to_datetime(roster["leave_date"], errors="coerce").to_numpy() if "leave_date" in roster.columns \
            else np.full(len(roster), np.datetime64("NaT"))
        hired = np.where(pd.isna(hired), np.datetime64("1900-01-01"), hired.astype("datetime64[D]"))
        left = np.where(pd.isna(left), np.datetime64("2999-12-31"), left.astype("datetime64[D]"))
        day = day.astype("datetime64[D]")
        employed = (day[None, :] >= hired[:, None]) & (day[None, :] <= left[:, None])
    else:
        employed = np.ones(masks.shape[1:], dtype=bool)
    length = (last - first + 1).astype(float)
    shares = []
    for v in range(len(plan.versions)):
        running = np.concatenate([np.zeros((masks.shape[1], 1), np.int32),
                                  np.cumsum(masks[v] & employed, axis=1, dtype=np.int32)], axis=1)
        shares.append((running[:, last + 1] - running[:, first]) / length[None, :])
    shares = np.stack(shares)
    version_index = {v.name: i for i, v in enumerate(plan.versions)}
    return np.stack([shares[version_index[m.version]] for m in plan.measures], axis=2)


def versioned(frame: pd.DataFrame, plan: Plan, version: np.ndarray, measure_column: str = "measure") -> pd.DataFrame:
    """Rows of a frame keyed by what they count (revenue) → keyed by the version's measure
    (revenue@2026 H2); rows whose version has no such measure are dropped."""
    names = np.asarray([v.name for v in plan.versions], dtype=object)[version]
    keys = pd.Series(frame[measure_column].astype(str).to_numpy(dtype=object) + "@" + names, index=frame.index)
    out = frame.assign(**{measure_column: keys.to_numpy()})
    return out[keys.isin(set(plan.measure_keys)).to_numpy()].reset_index(drop=True)


def tag_reps(rep_names, version: np.ndarray) -> np.ndarray:
    return np.asarray(rep_names, dtype=object).astype(str) + SEPARATOR + version.astype(str)


def untag(frame: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """(frame with the plain rep, version number per row) from reps tagged by ``tag_reps``."""
    parts = frame["rep"].astype(str).str.split(SEPARATOR, n=1, regex=False)
    return frame.assign(rep=parts.str[0].to_numpy()), parts.str[1].astype(int).to_numpy()


def every_version(quotas: pd.DataFrame | None, plan: Plan) -> pd.DataFrame | None:
    """The quota rows once per version that has the measure."""
    if quotas is None:
        return None
    parts = [versioned(quotas, plan, np.full(len(quotas), v)) for v in range(len(plan.versions))]
    return pd.concat(parts, ignore_index=True)


def compute_versioned(plan: Plan, orders: pd.DataFrame, quotas: pd.DataFrame | None, roster: pd.DataFrame,
                      through: int, clawbacks: pd.DataFrame | None = None, relief: pd.DataFrame | None = None):
    """Payouts of a plan with versions, from credited orders (``credited_orders``) and quotas keyed by
    what they count; see the module's description."""
    from xlsales.core.commission_inputs import actuals_from_orders, clawback_actuals, credit_notes_from_orders
    from xlsales.core.payouts import compute_payouts
    base = base_plan(plan)
    reps = pd.Index(roster["rep"].astype(str))
    days, masks = in_force(plan, reps)
    at = lambda names, dates: version_of(plan, reps, masks, days, names, dates)  # noqa: E731
    # orders on each version: the collection date decides for collections paid on collection date
    frames = []
    by_order = at(orders["rep"], orders["date"])
    by_collection = at(orders["rep"], orders["collected_date"].fillna(orders["date"])) \
        if "collected_date" in orders.columns else by_order
    per_order = [m for m in base.measures if m.key != "new_customers"]
    for v in range(len(plan.versions)):
        for measures, chosen in ((tuple(m for m in per_order if m.paid_on != "collection_date"), by_order == v),
                                 (tuple(m for m in per_order if m.paid_on == "collection_date"), by_collection == v)):
            if measures and chosen.any():
                part = actuals_from_orders(orders[chosen], dataclasses.replace(base, measures=measures))
                frames.append(versioned(part, plan, np.full(len(part), v)))
    if any(m.key == "new_customers" for m in base.measures):
        # a customer is new in the period of its first order ever: that order's version counts it
        counted = dataclasses.replace(base, measures=tuple(m for m in base.measures if m.key == "new_customers"))
        firsts, v = untag(actuals_from_orders(orders.assign(rep=tag_reps(orders["rep"], by_order)), counted))
        frames.append(versioned(firsts, plan, v))
    if clawbacks is not None and len(clawbacks):
        back = clawback_actuals(clawbacks.assign(rep=tag_reps(clawbacks["rep"], at(clawbacks["rep"],
                                                                                   clawbacks["date"]))), base)
        back, v = untag(back)
        frames.append(versioned(back, plan, v))
    actuals = pd.concat([f.astype({"rep": object}) for f in frames], ignore_index=True)
    notes = credit_notes_from_orders(orders, base)
    if len(notes):
        notes = versioned(notes, plan, at(notes["rep"], notes["orig_date"]))
    if relief is not None and len(relief):
        _, period_end = periods_.bounds(relief["pno"].to_numpy(), plan.period)
        source = relief.attrs.get("source")
        relief = versioned(relief, plan, at(relief["rep"], period_end))
        relief.attrs["source"] = source
    pnos_start = periods_.first_period(plan.year, plan.period)
    result_pnos = np.arange(pnos_start, through + 1, dtype=np.int64)
    factors = measure_factors(plan, roster.drop_duplicates("rep").reset_index(drop=True), result_pnos, masks, days)
    quota_frame = every_version(quotas, plan)
    if quota_frame is not None and len(quota_frame) and any(m.quota_source != "fixed" for m in plan.measures):
        in_year = quota_frame["pno"][(quota_frame["pno"] >= pnos_start) & (quota_frame["pno"] <= through)]
        if len(in_year):
            factors = factors[:, int(in_year.min()) - pnos_start:, :]
    return compute_payouts(plan, actuals, quota_frame, roster, through, notes, relief, measure_factor=factors)
