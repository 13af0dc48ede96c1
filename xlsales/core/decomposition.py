"""Target decomposition: company → regions → reps → months, for several measures at once.

The company target of each measure comes from yearly history (TARGET_FROM_HISTORY's rule), is raised
by the over-assignment buffer, then split to regions and to reps by a basis (historical share, market
potential, capacity with ramp-up for new hires, or a blend), then to months by seasonality (times the
rep's capacity in each month, so a new hire gets nothing before joining). Every split is the
largest-remainder rule of SPLIT_TARGET, so each level adds up exactly to its parent. A rep's manual
override is kept and the rest of the region is re-split over the others.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from xlsales.core.forecast import METHODS, forecast_next
from xlsales.core.pacing import month_elapsed_share, pace_columns
from xlsales.core.splitting import allocate
from xlsales.errors import InputError

MEASURES = ("revenue", "collections", "new_customers", "key_product")
BASES = ("history", "potential", "capacity", "blend")
DEFAULT_RAMP = (0.25, 0.5, 0.75, 1.0)
DEFAULT_ROUND_TO = {"revenue": 100.0, "collections": 100.0, "new_customers": 1.0, "key_product": 100.0}


@dataclass(frozen=True)
class MeasurePlan:
    """How one measure's company target is set."""

    measure: str
    growth: float = 0.15
    method: str = "avg"
    window: int = 1          # years; avg over 1 year = last year × (1 + growth)
    round_to: float = 100.0
    company_target: float | None = None  # set by hand, replaces the forecast


@dataclass(frozen=True)
class PlanSettings:
    year: int
    measures: tuple[MeasurePlan, ...] = ()
    basis: str = "blend"
    blend: tuple[tuple[str, float], ...] = (("history", 0.6), ("capacity", 0.4))
    buffer: float = 0.0      # over-assignment: reps carry company target × (1 + buffer)
    ramp: tuple[float, ...] = DEFAULT_RAMP

    def __post_init__(self):
        if not self.measures:
            object.__setattr__(self, "measures", tuple(
                MeasurePlan(m, round_to=DEFAULT_ROUND_TO[m]) for m in MEASURES))
        check_settings(self)


def check_settings(settings: PlanSettings) -> None:
    if settings.basis not in BASES:
        raise InputError(f"basis: expected one of {', '.join(BASES)}, got {settings.basis!r}")
    blend = dict(settings.blend)
    for name, weight in blend.items():
        if name not in BASES[:3]:
            raise InputError(f"blend: unknown basis {name!r} (use history, potential or capacity)")
        if weight < 0:
            raise InputError(f"blend: weight of {name} is negative ({weight:g})")
    if settings.basis == "blend" and abs(sum(blend.values()) - 1) > 1e-9:
        raise InputError(f"blend: weights add up to {sum(blend.values()):g}, they must add up to 1")
    if not -0.5 <= settings.buffer <= 1:
        raise InputError(f"buffer: expected a fraction between -0.5 and 1, got {settings.buffer:g}")
    if not settings.ramp or any(not 0 <= r <= 1 for r in settings.ramp):
        raise InputError("ramp: expected fractions between 0 and 1, e.g. 0.25, 0.5, 0.75, 1")
    for m in settings.measures:
        if m.measure not in MEASURES:
            raise InputError(f"measure: unknown measure {m.measure!r} (use {', '.join(MEASURES)})")
        if m.method not in METHODS:
            raise InputError(f"{m.measure} method: expected one of {', '.join(METHODS)}, got {m.method!r}")
        if m.round_to <= 0:
            raise InputError(f"{m.measure} round_to: must be > 0, got {m.round_to:g}")
        if m.window < 1:
            raise InputError(f"{m.measure} window: must be ≥ 1, got {m.window}")
        if m.company_target is not None and m.company_target < 0:
            raise InputError(f"{m.measure} company target: must be ≥ 0, got {m.company_target:g}")


@dataclass
class TargetPlan:
    settings: PlanSettings
    company: pd.DataFrame      # measure, last_year, forecast, company_target, assigned_total
    regions: pd.DataFrame      # measure, region, weight, target
    reps: pd.DataFrame         # measure, region, team, rep, basis weights…, weight, suggested, override, target
    monthly: pd.DataFrame      # measure, region, team, rep, month, target
    seasonality: pd.DataFrame  # measure, month_no, share
    history: pd.DataFrame      # measure, rep, month, actual
    roster: pd.DataFrame       # the reps as given: rep, region, team, manager, hire_date, potential, active


# ---------------------------------------------------------------------------------------------
# History


def monthly_history(orders: pd.DataFrame, key_product: str | None = None) -> pd.DataFrame:
    """Actuals per measure, rep and month (month = first day) from order lines.

    revenue = Σ amount; collections = Σ collected (when the column exists); new_customers = customers
    whose first order ever falls in that month, credited to the rep of that first order; key_product =
    Σ amount of the orders for ``key_product`` (when given and orders have a product column), whose
    share of revenue is the key-product share.
    """
    month = orders["date"].dt.to_period("M").dt.to_timestamp()
    frames = [_sum_by(orders, month, "amount", "revenue")]
    if key_product and "product" in orders.columns:
        mine = (orders["product"] == key_product).to_numpy()
        frames.append(_sum_by(orders[mine], month[mine], "amount", "key_product"))
    if "collected" in orders.columns:
        frames.append(_sum_by(orders, month, "collected", "collections"))
    if "customer" in orders.columns and orders["customer"].notna().any():
        firsts = orders.assign(month=month).dropna(subset=["customer"])
        firsts = firsts.sort_values(["date"], kind="stable").drop_duplicates("customer")
        counts = firsts.groupby(["rep", "month"], sort=True).size().rename("actual").reset_index()
        frames.append(counts.assign(measure="new_customers", actual=counts["actual"].astype(float)))
    history = pd.concat(frames, ignore_index=True)
    return history[["measure", "rep", "month", "actual"]].sort_values(
        ["measure", "rep", "month"], kind="stable").reset_index(drop=True)


def _sum_by(orders, month, column, measure):
    values = orders[column].fillna(0.0).astype(float)
    summed = values.groupby([orders["rep"], month]).sum().rename("actual").reset_index()
    summed.columns = ["rep", "month", "actual"]
    return summed.assign(measure=measure)


# ---------------------------------------------------------------------------------------------
# Bases: how much of a region each rep should carry


def capacity_by_month(reps: pd.DataFrame, year: int, ramp) -> pd.DataFrame:
    """Productive capacity (0–1) of each rep in each month of ``year``: 0 before the hire month,
    then the ramp (e.g. 25/50/75/100%), full after; 0 for inactive reps. Rows: rep, columns 1..12."""
    ramp = np.asarray(ramp, dtype=float)
    hire = pd.to_datetime(reps.get("hire_date", pd.Series(pd.NaT, index=reps.index)))
    hire_index = np.where(hire.isna(), -10_000, (hire.dt.year - year) * 12 + hire.dt.month - 1)
    since = np.arange(12)[None, :] - np.asarray(hire_index, dtype=float)[:, None]
    step = np.clip(since, 0, len(ramp) - 1).astype(int)
    factor = np.where(since < 0, 0.0, np.where(since < len(ramp), ramp[step], 1.0))
    active = _active(reps)
    return pd.DataFrame(factor * active[:, None], index=reps["rep"].to_numpy(), columns=range(1, 13))


def _active(reps: pd.DataFrame) -> np.ndarray:
    if "active" not in reps.columns:
        return np.ones(len(reps))
    return reps["active"].fillna(True).astype(bool).to_numpy().astype(float)


def basis_weights(reps, history, settings: PlanSettings, measure: str,
                  capacity: pd.DataFrame) -> pd.DataFrame:
    """Each rep's weight under every basis (as shares of the company) and the chosen one."""
    active = _active(reps)
    last_year = _year_totals(history, measure, settings.year - 1).reindex(reps["rep"]).fillna(0).to_numpy()
    potential = reps["potential"].fillna(0).to_numpy(dtype=float) if "potential" in reps else np.zeros(len(reps))
    shares = {
        "history": _shares(last_year * active),
        "potential": _shares(potential * active),
        "capacity": _shares(capacity.to_numpy().sum(axis=1)),
    }
    if settings.basis == "blend":
        chosen = sum(weight * shares[name] for name, weight in settings.blend)
    else:
        chosen = shares[settings.basis]
    out = pd.DataFrame({f"{name}_share": value for name, value in shares.items()})
    out["weight"] = chosen
    return out


def _shares(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    return values / total if total > 0 else np.zeros(len(values))


def _year_totals(history, measure, year) -> pd.Series:
    rows = history[(history["measure"] == measure) & (history["month"].dt.year == year)]
    return rows.groupby("rep")["actual"].sum()


# ---------------------------------------------------------------------------------------------
# The decomposition


def seasonality(history: pd.DataFrame, measure: str, year: int) -> np.ndarray:
    """Mean share of each calendar month over the whole years of history before ``year``
    (SEASONAL_SPLIT's rule); even months when there is no usable year."""
    rows = history[(history["measure"] == measure) & (history["month"].dt.year < year)]
    table = rows.pivot_table(index=rows["month"].dt.year, columns=rows["month"].dt.month,
                             values="actual", aggfunc="sum").reindex(columns=range(1, 13))
    table = table[table.notna().all(axis=1)]
    table = table[table.sum(axis=1) > 0]
    if table.empty:
        return np.full(12, 1 / 12)
    return (table.div(table.sum(axis=1), axis=0)).mean(axis=0).to_numpy()


def company_target(history, measure_plan: MeasurePlan, year: int) -> dict:
    totals = history[history["measure"] == measure_plan.measure]
    by_year = totals.groupby(totals["month"].dt.year)["actual"].sum()
    past = by_year[by_year.index < year].sort_index()
    last_year = float(past.iloc[-1]) if len(past) else 0.0
    forecast = forecast_next(past.to_numpy(dtype=float), measure_plan.method, measure_plan.window) \
        if len(past) else 0.0
    grown = max(forecast * (1 + measure_plan.growth), 0.0)
    target = measure_plan.company_target if measure_plan.company_target is not None else grown
    return {"last_year": last_year, "forecast": forecast, "company_target": _round_units(target, measure_plan.round_to)}


def _round_units(amount: float, round_to: float) -> float:
    return float(np.floor(amount / round_to + 0.5) * round_to)


def plan_targets(history: pd.DataFrame, reps: pd.DataFrame, settings: PlanSettings,
                 overrides: pd.DataFrame | None = None) -> TargetPlan:
    """The whole decomposition. ``overrides``: measure, rep, target (the reps' manual targets)."""
    reps = reps.reset_index(drop=True)
    capacity = capacity_by_month(reps, settings.year, settings.ramp)
    company_rows, region_frames, rep_frames, month_frames, season_rows = [], [], [], [], []
    measured = set(history["measure"].unique())
    # A measure with no history and no company target set by hand has nothing to plan from.
    planned = [m for m in settings.measures if m.measure in measured or m.company_target is not None]
    if not planned:
        raise InputError("measures: none of the planned measures has history or a company target")
    for measure_plan in planned:
        m = measure_plan.measure
        company = company_target(history, measure_plan, settings.year)
        assigned = _round_units(company["company_target"] * (1 + settings.buffer), measure_plan.round_to)
        company_rows.append({"measure": m, **company, "assigned_total": assigned})
        weights = basis_weights(reps, history, settings, m, capacity)
        locked = _locked(overrides, m, reps, measure_plan.round_to)
        regions, rep_targets = _split_regions_and_reps(reps, weights["weight"].to_numpy(), locked,
                                                       assigned, measure_plan.round_to, m)
        region_frames.append(regions.assign(measure=m))
        rep_frames.append(_rep_frame(reps, weights, locked, rep_targets, m))
        shares = seasonality(history, m, settings.year)
        season_rows.append(pd.DataFrame({"measure": m, "month_no": range(1, 13), "share": shares}))
        month_frames.append(_phase(reps, rep_targets, shares, capacity, measure_plan.round_to, m,
                                   settings.year))
    if len(planned) < len(settings.measures):
        settings = replace(settings, measures=tuple(planned))
    return TargetPlan(
        settings=settings,
        company=pd.DataFrame(company_rows),
        regions=pd.concat(region_frames, ignore_index=True)[["measure", "region", "weight", "target"]],
        reps=pd.concat(rep_frames, ignore_index=True),
        monthly=pd.concat(month_frames, ignore_index=True),
        seasonality=pd.concat(season_rows, ignore_index=True),
        history=history,
        roster=reps,
    )


def _locked(overrides, measure, reps, round_to) -> np.ndarray:
    """Override per rep (NaN where none), checked against the rounding unit."""
    locked = np.full(len(reps), np.nan)
    if overrides is None or overrides.empty:
        return locked
    rows = overrides[(overrides["measure"] == measure) & overrides["target"].notna()]
    by_rep = pd.Series(rows["target"].to_numpy(dtype=float), index=rows["rep"].to_numpy())
    unknown = sorted(set(by_rep.index) - set(reps["rep"]))
    if unknown:
        raise InputError(f"override: rep {unknown[0]!r} ({measure}) is not in the reps list")
    locked = by_rep.reindex(reps["rep"]).to_numpy(dtype=float)
    for rep, value in zip(reps["rep"], locked):
        if np.isnan(value):
            continue
        if value < 0:
            raise InputError(f"override: {rep} ({measure}) is negative ({value:g})")
        if abs(value / round_to - round(value / round_to)) > 1e-7:
            raise InputError(f"override: {rep} ({measure}) {value:g} is not a multiple of {round_to:g}")
    return locked


def _split_regions_and_reps(reps, weights, locked, assigned, round_to, measure):
    region_codes, region_names = pd.factorize(reps["region"], sort=True)
    is_locked = ~np.isnan(locked)
    region_weight = np.bincount(region_codes, weights=weights, minlength=len(region_names))
    region_locked = np.bincount(region_codes, weights=np.nan_to_num(locked), minlength=len(region_names))
    if region_weight.sum() <= 0 and assigned > 0:
        raise InputError(f"{measure}: every rep has weight 0 under the chosen basis, so there is "
                         "nothing to split the target by (check history, potential or active reps)")
    # A region whose reps are all locked carries exactly their overrides.
    units = allocate([round(assigned / round_to)], region_weight) * round_to
    region_target = units
    free_weight = np.bincount(region_codes, weights=np.where(is_locked, 0.0, weights),
                              minlength=len(region_names))
    for r, name in enumerate(region_names):
        if region_locked[r] > region_target[r] + 1e-9:
            raise InputError(f"override: the overrides in region {name} ({measure}) add up to "
                             f"{region_locked[r]:g}, above the region's target {region_target[r]:g}")
        if free_weight[r] <= 0 and region_target[r] - region_locked[r] > 1e-9:
            raise InputError(f"override: every rep of region {name} ({measure}) is locked or has "
                             f"weight 0, but {region_target[r] - region_locked[r]:g} is left to split")
    free_units = np.round((region_target - region_locked) / round_to)
    rep_units = allocate(free_units, np.where(is_locked, 0.0, weights), region_codes)
    rep_targets = np.where(is_locked, locked, rep_units * round_to)
    regions = pd.DataFrame({"region": region_names, "weight": region_weight, "target": region_target})
    return regions, rep_targets


def _rep_frame(reps, weights, locked, targets, measure):
    columns = [c for c in ("region", "team", "manager", "rep", "hire_date", "active") if c in reps.columns]
    frame = reps[columns].copy()
    frame.insert(0, "measure", measure)
    for c in ("history_share", "potential_share", "capacity_share", "weight"):
        frame[c] = weights[c].to_numpy()
    frame["override"] = locked
    frame["target"] = targets
    return frame


def _phase(reps, rep_targets, shares, capacity, round_to, measure, year) -> pd.DataFrame:
    """Each rep's target over the 12 months by seasonality × the rep's capacity that month."""
    n = len(reps)
    month_weights = shares[None, :] * capacity.to_numpy()
    # A rep with a target but no capacity this year (an override on an inactive rep) follows seasonality.
    empty = month_weights.sum(axis=1) <= 0
    month_weights[empty] = shares
    units = allocate(np.round(rep_targets / round_to), month_weights.ravel(), np.repeat(np.arange(n), 12))
    months = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    frame = pd.DataFrame({
        "measure": measure,
        "region": np.repeat(reps["region"].to_numpy(), 12),
        "team": np.repeat(reps["team"].to_numpy() if "team" in reps else np.full(n, None), 12),
        "rep": np.repeat(reps["rep"].to_numpy(), 12),
        "month": np.tile(months, n),
        "target": units * round_to,
    })
    return frame


# ---------------------------------------------------------------------------------------------
# Pacing: where each rep stands on a date


def elapsed_shares(year: int, as_of) -> np.ndarray:
    """Share of each month of ``year`` that has passed by the end of ``as_of`` (0–1)."""
    return month_elapsed_share(pd.date_range(f"{year}-01-01", periods=12, freq="MS"), as_of)


def pacing(plan: TargetPlan, as_of) -> pd.DataFrame:
    """Attainment, pace, gap, run-rate landing and required daily pace per rep and measure."""
    as_of = pd.Timestamp(as_of)
    year = plan.settings.year
    start, end = pd.Timestamp(year=year, month=1, day=1), pd.Timestamp(year=year, month=12, day=31)
    days_total = (end - start).days + 1
    days_elapsed = min(max((as_of - start).days + 1, 0), days_total)
    monthly = plan.monthly
    expected = (monthly["target"] * month_elapsed_share(monthly["month"], as_of)).groupby(
        [monthly["measure"], monthly["rep"]]).sum().rename("expected")
    hist = plan.history
    in_year = hist[(hist["month"] >= start) & (hist["month"] <= as_of)]
    actual = in_year.groupby(["measure", "rep"])["actual"].sum()
    columns = [c for c in ("measure", "region", "team", "rep", "target") if c in plan.reps.columns]
    frame = plan.reps[columns].join(expected, on=["measure", "rep"]).join(actual, on=["measure", "rep"])
    frame = frame.fillna({"actual": 0.0, "expected": 0.0})
    frame = pace_columns(frame, days_elapsed, days_total).rename(
        columns={"expected": "expected_to_date", "actual": "actual_to_date"})
    frame.attrs.update(as_of=as_of, days_elapsed=days_elapsed, days_total=days_total)
    return frame.reset_index(drop=True)


# ---------------------------------------------------------------------------------------------
# Mid-year re-split: what is left, over the months that are left


def resplit_remaining(plan: TargetPlan, as_of) -> pd.DataFrame:
    """Each rep's annual target re-spread after ``as_of`` without touching what is booked.

    Months that are over keep their actuals; the rest of the year's target (max(annual − actual to
    date, 0), rounded up to the measure's unit so the year still reaches the annual target) goes over
    the months not yet over, in proportion to their original targets (evenly where those are all 0),
    by the largest-remainder rule; a month in progress also keeps what it has booked so far.
    Rows: measure, region, team, rep, month, target (original), booked, revised.
    """
    as_of = pd.Timestamp(as_of)
    monthly = plan.monthly.reset_index(drop=True)
    booked = plan.history[plan.history["month"] <= as_of].set_index(["measure", "rep", "month"])["actual"]
    keys = pd.MultiIndex.from_frame(monthly[["measure", "rep", "month"]])
    frame = monthly.assign(booked=booked.reindex(keys).fillna(0.0).to_numpy())
    is_open = month_elapsed_share(frame["month"], as_of) < 1
    group, _ = pd.factorize(pd.MultiIndex.from_frame(frame[["measure", "rep"]]))
    annual = np.bincount(group, weights=frame["target"].to_numpy())
    done = np.bincount(group, weights=frame["booked"].to_numpy())
    left = np.maximum(annual - done, 0.0)
    weights = np.where(is_open, frame["target"].to_numpy(), 0.0)
    no_weight = np.bincount(group, weights=weights) <= 0
    weights = np.where(is_open & no_weight[group], 1.0, weights)
    round_to = frame["measure"].map({m.measure: m.round_to for m in plan.settings.measures}).to_numpy()
    unit = np.bincount(group, weights=round_to) / np.bincount(group)
    units = allocate(np.ceil(left / unit - 1e-9), weights, group)
    spread = units * unit[group] + frame["booked"].to_numpy()   # a month in progress keeps its bookings
    frame["revised"] = np.where(is_open, spread, frame["booked"].to_numpy())
    return frame
