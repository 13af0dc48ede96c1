"""Target decomposition: company → regions → reps → months, for several measures at once.

The company target of each measure comes from yearly history (TARGET_FROM_HISTORY's rule) on a fair
footing: "a year" is always twelve whole months (the trailing twelve months, or the year to date
annualised by the seasonality when the user picks that or fewer than twelve months exist), never a
part year taken as a whole. It is raised by the over-assignment buffer, then split to regions and to
reps by a basis (history as an annualised productive-month run rate, market potential, capacity with
ramp-up for new hires, or a blend), then to months by seasonality times the rep's capacity in each
month (nothing before a hire, nothing after a rep leaves). What a leaver would have carried after
leaving goes to the named successor, or to the rest of the region. Regions and reps are split by the
largest-remainder rule of SPLIT_TARGET; the rep × month grid by a two-way controlled rounding, so each
rep's months add up to the rep's year and the company's months to the seasonality, to the unit.
A rep's manual override is kept and the rest of the region is re-split over the others.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from xlsales.core.controlled_rounding import controlled_round
from xlsales.core.forecast import METHODS, forecast_next
from xlsales.core.pacing import month_elapsed_share, pace_columns, pace_status
from xlsales.core.splitting import allocate
from xlsales.errors import InputError

MEASURES = ("revenue", "collections", "new_customers", "key_product")
BASES = ("history", "potential", "capacity", "blend")
DEFAULT_RAMP = (0.25, 0.5, 0.75, 1.0)
DEFAULT_ROUND_TO = {"revenue": 100.0, "collections": 100.0, "new_customers": 1.0, "key_product": 100.0}
# How a part year of history is put on a whole-year footing: the trailing twelve months (default), or
# the year to date annualised by the seasonality.
FOOTINGS = ("ttm", "annualise")


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
    footing: str = "ttm"
    # The last whole month of history the forecast may use (a month start); default: the last month
    # with data before the plan year. A month still in progress is never taken as whole.
    history_end: pd.Timestamp | None = None

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
    if settings.footing not in FOOTINGS:
        raise InputError(f"footing: expected one of {', '.join(FOOTINGS)}, got {settings.footing!r}")
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


@dataclass(frozen=True)
class Footing:
    """The months the forecast stands on: ``start``..``end`` (month starts), ``kind`` "year" (a
    calendar year), "ttm" (trailing twelve months) or "annualised" (a part year scaled up by the
    seasonality); "none" when there is no history before the plan year."""

    kind: str
    start: pd.Timestamp | None
    end: pd.Timestamp | None
    data_start: pd.Timestamp | None   # the first month of data, any measure

    @property
    def months(self) -> int:
        if self.start is None:
            return 0
        return (self.end.year - self.start.year) * 12 + self.end.month - self.start.month + 1

    def month_starts(self) -> pd.DatetimeIndex:
        if self.start is None:
            return pd.DatetimeIndex([])
        return pd.date_range(self.start, self.end, freq="MS")


@dataclass
class TargetPlan:
    settings: PlanSettings
    company: pd.DataFrame      # measure, last_year, forecast, company_target, assigned_total, footing…
    regions: pd.DataFrame      # measure, region, weight, target
    reps: pd.DataFrame         # measure, region, team, rep, basis weights…, weight, suggested, override, target
    monthly: pd.DataFrame      # measure, region, team, rep, month, target
    seasonality: pd.DataFrame  # measure, month_no, share
    history: pd.DataFrame      # measure, rep, month, actual
    roster: pd.DataFrame       # the reps as given: rep, region, team, manager, hire_date, potential, active
    footing: Footing | None = None   # the months the forecast stands on


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
# The footing: which months of history the forecast stands on


def footing(history: pd.DataFrame, year: int, how: str = "ttm", history_end=None) -> Footing:
    """The months the company forecast and the reps' run rates stand on (see ``Footing``).

    History runs from its first month to ``history_end`` (default the last month with data), never
    into the plan year. Twelve whole months or more: the trailing twelve months ("year" when they are
    a calendar year). Fewer, or ``how="annualise"`` with the last year incomplete: that last year's
    months, annualised by the seasonality."""
    months = history["month"]
    before = months[months < pd.Timestamp(year=year, month=1, day=1)]
    if before.empty:
        return Footing("none", None, None, None)
    first = before.min()
    last = before.max() if history_end is None else min(pd.Timestamp(history_end), before.max())
    last = last.to_period("M").start_time
    first = first.to_period("M").start_time
    if last < first:
        return Footing("none", None, None, first)
    span = (last.year - first.year) * 12 + last.month - first.month + 1
    if last.month == 12 and span >= 12:
        return Footing("year", pd.Timestamp(year=last.year, month=1, day=1), last, first)
    if span >= 12 and how == "ttm":
        return Footing("ttm", last - pd.DateOffset(months=11), last, first)
    return Footing("annualised", max(pd.Timestamp(year=last.year, month=1, day=1), first), last, first)


def _yearly_series(history, measure: str, foot: Footing, season: np.ndarray) -> np.ndarray:
    """Twelve-month totals, oldest first, the last one on the footing (annualised when a part year)."""
    if foot.kind == "none":
        return np.zeros(0)
    rows = history[history["measure"] == measure]
    by_month = rows.groupby("month")["actual"].sum()
    if foot.kind == "annualised":
        latest = float(by_month[(by_month.index >= foot.start) & (by_month.index <= foot.end)].sum())
        latest /= max(float(season[foot.month_starts().month - 1].sum()), 1e-12)
        earlier = [float(by_month[by_month.index.year == y].sum())
                   for y in range(foot.data_start.year, foot.start.year)
                   if pd.Timestamp(year=y, month=1, day=1) >= foot.data_start]
        return np.asarray([*earlier, latest])
    values = []
    block_end = foot.end
    while block_end - pd.DateOffset(months=11) >= foot.data_start:
        block_start = block_end - pd.DateOffset(months=11)
        values.append(float(by_month[(by_month.index >= block_start) & (by_month.index <= block_end)].sum()))
        block_end = block_end - pd.DateOffset(months=12)
    return np.asarray(values[::-1])


# ---------------------------------------------------------------------------------------------
# Capacity: productive months, with ramp-up, hire and leave dates


def capacity_matrix(reps: pd.DataFrame, months: pd.DatetimeIndex, ramp, leave: bool = True,
                    active: bool = True) -> np.ndarray:
    """Productive capacity (0–1) of each rep in each of ``months`` (rows: reps): 0 before the hire
    month, then the ramp (e.g. 25/50/75/100%), full after; in the leaving month the share of its days
    worked and 0 after (``leave``); 0 for inactive reps (``active``)."""
    ramp = np.asarray(ramp, dtype=float)
    months = pd.DatetimeIndex(months)
    month_no = months.year.to_numpy() * 12 + months.month.to_numpy() - 1
    hire = pd.to_datetime(reps["hire_date"]) if "hire_date" in reps else pd.Series(pd.NaT, index=reps.index)
    hire_no = np.where(hire.isna(), -10**6, hire.dt.year * 12 + hire.dt.month - 1).astype(float)
    since = month_no[None, :] - hire_no[:, None]
    step = np.clip(since, 0, len(ramp) - 1).astype(int)
    factor = np.where(since < 0, 0.0, np.where(since < len(ramp), ramp[step], 1.0))
    if leave and "leave_date" in reps:
        left = pd.to_datetime(reps["leave_date"])
        left_no = np.where(left.isna(), 10**6, left.dt.year * 12 + left.dt.month - 1).astype(float)
        worked = np.where(left.isna(), 1.0, left.dt.day / left.dt.days_in_month).astype(float)
        after = month_no[None, :] - left_no[:, None]
        factor = np.where(after > 0, 0.0, np.where(after == 0, factor * worked[:, None], factor))
    if active:
        factor = factor * _active(reps)[:, None]
    return factor


def capacity_by_month(reps: pd.DataFrame, year: int, ramp) -> pd.DataFrame:
    """Productive capacity (0–1) of each rep in each month of ``year`` (``capacity_matrix``).
    Rows: rep, columns 1..12."""
    months = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    return pd.DataFrame(capacity_matrix(reps, months, ramp), index=reps["rep"].to_numpy(), columns=range(1, 13))


def _active(reps: pd.DataFrame) -> np.ndarray:
    """1 for reps on the plan, 0 for those marked inactive with no leaving date (gone, date unknown);
    where a leaving date is given, it decides (a rep who left in April is inactive now but planned
    until April)."""
    if "active" not in reps.columns:
        return np.ones(len(reps))
    active = reps["active"].fillna(True).astype(bool).to_numpy().copy()
    if "leave_date" in reps.columns:
        active |= pd.to_datetime(reps["leave_date"]).notna().to_numpy()
    return active.astype(float)


def _departed_before(reps: pd.DataFrame, year: int) -> np.ndarray:
    """Reps gone before the plan year starts: inactive, or a leaving date before 1 January."""
    gone = _active(reps) == 0
    if "leave_date" in reps:
        gone |= (pd.to_datetime(reps["leave_date"]) < pd.Timestamp(year=year, month=1, day=1)).to_numpy()
    return gone


# ---------------------------------------------------------------------------------------------
# Bases: how much of a region each rep should carry


@dataclass
class _Weights:
    """Per rep: the basis shares, the weight as if everyone stayed the whole year (``full``), the part
    of it the rep keeps (``kept``, 0–1: productive months planned ÷ as if staying) and the run rate."""

    frame: pd.DataFrame
    full: np.ndarray
    kept: np.ndarray
    plan_profile: np.ndarray      # n × 12 month weights of the months the rep works (season × capacity)
    lost_profile: np.ndarray      # n × 12 month weights of the months the rep would have worked


def basis_weights(reps, history, settings: PlanSettings, measure: str, foot: Footing,
                  season: np.ndarray) -> _Weights:
    """Each rep's weight under every basis (as shares of the company) and the chosen one.

    History is compared as an annualised run rate: actual over the footing's months ÷ the rep's
    productive months in them × the productive months planned, months weighted by the season (a
    full-year rep's history is just his year's actual; a rep hired in August is not compared by his
    five months' raw sum). Reps gone before the plan year keep their history and potential in the
    full weights, so that what they leave behind is handed on, but no capacity."""
    year = settings.year
    plan_months = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    season12 = 12 * np.asarray(season, dtype=float)
    cap_plan = capacity_matrix(reps, plan_months, settings.ramp)
    cap_stay = capacity_matrix(reps, plan_months, settings.ramp, leave=False, active=False)
    gone = _departed_before(reps, year)
    planned = (cap_plan * season12).sum(axis=1)
    planned_stay = (cap_stay * season12).sum(axis=1)
    hist_months = foot.month_starts()
    if len(hist_months):
        cap_hist = capacity_matrix(reps, hist_months, settings.ramp, active=False)
        productive = (cap_hist * season12[hist_months.month - 1]).sum(axis=1)
        rows = history[(history["measure"] == measure) & (history["month"] >= foot.start)
                       & (history["month"] <= foot.end)]
        actual = rows.groupby("rep")["actual"].sum().reindex(reps["rep"]).fillna(0).to_numpy()
    else:
        productive = np.zeros(len(reps))
        actual = np.zeros(len(reps))
    run_rate = np.where(productive > 0, actual / np.where(productive > 0, productive, 1), 0.0)
    # A rep with no productive month in the history yet (a new hire) is expected to sell like the
    # average rep of his region per productive month (the company's when the region has none), not 0.
    new = (productive <= 0) & ~gone
    if new.any():
        run_rate = np.where(new, _peer_rate(reps, actual, productive), run_rate)
    annualised = run_rate * planned_stay
    potential = reps["potential"].fillna(0).to_numpy(dtype=float) if "potential" in reps else np.zeros(len(reps))
    stay = np.where(gone, 0.0, planned_stay)
    shares = {
        "history": _shares(annualised),
        "potential": _shares(potential),
        "capacity": _shares(stay),
    }
    if settings.basis == "blend":
        full = sum(weight * shares[name] for name, weight in settings.blend)
    else:
        full = shares[settings.basis]
    kept = np.where(planned_stay > 0, planned / np.where(planned_stay > 0, planned_stay, 1), 0.0)
    kept = np.where(gone, 0.0, np.clip(kept, 0.0, 1.0))
    out = pd.DataFrame({f"{name}_share": value for name, value in shares.items()})
    out["history_actual"] = actual
    out["productive_history"] = productive
    out["productive_plan"] = planned
    out["history_run_rate"] = annualised
    plan_profile = season[None, :] * cap_plan
    lost = np.clip(cap_stay - cap_plan, 0.0, None)
    lost = np.where(gone[:, None], np.maximum(cap_stay, 1.0), lost)
    return _Weights(out, np.asarray(full, dtype=float), kept, plan_profile, season[None, :] * lost)


def _peer_rate(reps, actual, productive) -> np.ndarray:
    """Per rep: his region's actual ÷ productive months (the company's where the region has none)."""
    region = reps["region"].to_numpy()
    company = actual.sum() / productive.sum() if productive.sum() > 0 else 0.0
    rate = pd.Series(actual).groupby(region).sum() / pd.Series(productive).groupby(region).sum()
    rate = rate.replace([np.inf], np.nan)
    return pd.Series(region).map(rate).fillna(company).to_numpy(dtype=float)


def _shares(values: np.ndarray) -> np.ndarray:
    total = values.sum()
    return values / total if total > 0 else np.zeros(len(values))


def _year_totals(history, measure, year) -> pd.Series:
    rows = history[(history["measure"] == measure) & (history["month"].dt.year == year)]
    return rows.groupby("rep")["actual"].sum()


def hand_over(reps: pd.DataFrame, weights: _Weights) -> tuple[np.ndarray, np.ndarray]:
    """What leavers would have carried after leaving, handed on: to the named successor, or else
    over the rest of the region by their own weights. Returns the final weights and the n × 12 month
    weights (each rep's own months, plus the months inherited, in the months the leaver is gone)."""
    n = len(reps)
    own = weights.full * weights.kept
    month_w = _normalised(weights.plan_profile) * own[:, None]
    lost = weights.full * (1 - weights.kept)
    final = own.copy()
    successor = reps["successor"] if "successor" in reps else pd.Series(None, index=reps.index)
    position = {rep: i for i, rep in enumerate(reps["rep"])}
    regions = reps["region"].to_numpy()
    for i in np.flatnonzero(lost > 1e-15):
        heir = successor.iloc[i]
        if isinstance(heir, str) and heir in position and own[position[heir]] > 0:
            takers = np.array([position[heir]])
            shares = np.ones(1)
        else:
            takers = np.flatnonzero((regions == regions[i]) & (own > 0) & (lost <= 1e-15))
            if len(takers) == 0:
                continue    # nobody left in the region to take it on: the region carries less
            shares = own[takers] / own[takers].sum()
        final[takers] += lost[i] * shares
        profile = weights.lost_profile[i][None, :] * (weights.plan_profile[takers] > 0)
        profile = np.where(profile.sum(axis=1, keepdims=True) > 0, profile, weights.plan_profile[takers])
        month_w[takers] += _normalised(profile) * (lost[i] * shares)[:, None]
    return final, month_w


def _normalised(rows: np.ndarray) -> np.ndarray:
    sums = rows.sum(axis=1, keepdims=True)
    return np.where(sums > 0, rows / np.where(sums > 0, sums, 1.0), 0.0)


# ---------------------------------------------------------------------------------------------
# The decomposition


NEW_MEANS_NEW = ("new_customers",)   # measures whose first year of data counts everything as new


def seasonality(history: pd.DataFrame, measure: str, year: int, end=None) -> np.ndarray:
    """Mean share of each calendar month over the whole years of history before ``year`` (and up to
    ``end``), SEASONAL_SPLIT's rule; even months when there is no usable year.

    For new customers the first year of data is left out: then every customer is "new" (first seen),
    so that year measures the data's start, not the season. With no other year, revenue's season."""
    rows = history[(history["measure"] == measure) & (history["month"].dt.year < year)]
    if end is not None:
        rows = rows[rows["month"] <= pd.Timestamp(end)]
    if measure in NEW_MEANS_NEW and len(history):
        rows = rows[rows["month"].dt.year > history["month"].min().year]
    table = rows.pivot_table(index=rows["month"].dt.year, columns=rows["month"].dt.month,
                             values="actual", aggfunc="sum").reindex(columns=range(1, 13))
    table = table[table.notna().all(axis=1)]
    table = table[table.sum(axis=1) > 0]
    if table.empty:
        if measure in NEW_MEANS_NEW and (history["measure"] == "revenue").any():
            return seasonality(history, "revenue", year, end)
        return np.full(12, 1 / 12)
    return (table.div(table.sum(axis=1), axis=0)).mean(axis=0).to_numpy()


def company_target(history, measure_plan: MeasurePlan, year: int, foot: Footing | None = None,
                   season: np.ndarray | None = None) -> dict:
    """last_year (twelve months on the footing), forecast, company_target for one measure."""
    foot = foot or footing(history, year)
    season = seasonality(history, measure_plan.measure, year) if season is None else season
    past = _yearly_series(history, measure_plan.measure, foot, season)
    last_year = float(past[-1]) if len(past) else 0.0
    forecast = forecast_next(past, measure_plan.method, measure_plan.window) if len(past) else 0.0
    grown = max(forecast * (1 + measure_plan.growth), 0.0)
    target = measure_plan.company_target if measure_plan.company_target is not None else grown
    factor = 1.0
    if foot.kind == "annualised":
        factor = 1 / max(float(season[foot.month_starts().month - 1].sum()), 1e-12)
    return {"last_year": last_year, "forecast": forecast,
            "company_target": _round_units(target, measure_plan.round_to), "years_used": len(past),
            "footing": foot.kind, "history_from": foot.start, "history_to": foot.end,
            "history_months": foot.months, "annualise_factor": factor}


def _round_units(amount: float, round_to: float) -> float:
    return float(np.floor(amount / round_to + 0.5) * round_to)


def plan_targets(history: pd.DataFrame, reps: pd.DataFrame, settings: PlanSettings,
                 overrides: pd.DataFrame | None = None) -> TargetPlan:
    """The whole decomposition. ``overrides``: measure, rep, target (the reps' manual targets)."""
    reps = reps.reset_index(drop=True)
    check_roster(reps, settings.year)
    foot = footing(history, settings.year, settings.footing, settings.history_end)
    company_rows, region_frames, rep_frames, month_frames, season_rows = [], [], [], [], []
    measured = set(history["measure"].unique())
    # A measure with no history and no company target set by hand has nothing to plan from.
    planned = [m for m in settings.measures if m.measure in measured or m.company_target is not None]
    if not planned:
        raise InputError("measures: none of the planned measures has history or a company target")
    for measure_plan in planned:
        m = measure_plan.measure
        shares = seasonality(history, m, settings.year, foot.end)
        company = company_target(history, measure_plan, settings.year, foot, shares)
        assigned = _round_units(company["company_target"] * (1 + settings.buffer), measure_plan.round_to)
        company_rows.append({"measure": m, **company, "assigned_total": assigned})
        weights = basis_weights(reps, history, settings, m, foot, shares)
        final, month_weights = hand_over(reps, weights)
        locked = _locked(overrides, m, reps, measure_plan.round_to)
        regions, rep_targets = _split_regions_and_reps(reps, final, locked, assigned, measure_plan.round_to, m)
        region_frames.append(regions.assign(measure=m))
        rep_frames.append(_rep_frame(reps, weights, final, locked, rep_targets, m))
        season_rows.append(pd.DataFrame({"measure": m, "month_no": range(1, 13), "share": shares}))
        month_frames.append(_phase(reps, rep_targets, shares, month_weights, measure_plan.round_to, m,
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
        footing=foot,
    )


def check_roster(reps: pd.DataFrame, year: int) -> None:
    """Rules on the reps a plan can use (the reps file's loader names file and row for each): no
    hire after the plan year, no leaving before joining, a successor who is a rep still working."""
    end = pd.Timestamp(year=year, month=12, day=31)
    if "hire_date" in reps:
        late = pd.to_datetime(reps["hire_date"]) > end
        if late.any():
            i = int(np.flatnonzero(late)[0])
            raise InputError(f"reps: {reps['rep'].iloc[i]} is hired on {reps['hire_date'].iloc[i]:%Y-%m-%d}, "
                             f"after the plan year {year}; leave them out of this plan or plan {year + 1}")
    problems = roster_problems(reps)
    if problems:
        raise InputError(f"reps: {problems[0][2]}")


def roster_problems(reps: pd.DataFrame) -> list[tuple[int, str, str]]:
    """(position, column, what) for each leaving date before hiring and each successor who is not a
    rep, is the rep himself, or has left (or leaves) no later than the rep he takes over from."""
    found = []
    hire = pd.to_datetime(reps["hire_date"]) if "hire_date" in reps else pd.Series(pd.NaT, index=reps.index)
    leave = pd.to_datetime(reps["leave_date"]) if "leave_date" in reps else pd.Series(pd.NaT, index=reps.index)
    for i in np.flatnonzero((leave < hire).to_numpy()):
        found.append((int(i), "leave_date", f"{reps['rep'].iloc[i]} leaves on {leave.iloc[i]:%Y-%m-%d}, "
                                            f"before being hired on {hire.iloc[i]:%Y-%m-%d}"))
    if "successor" not in reps:
        return found
    position = {rep: i for i, rep in enumerate(reps["rep"])}
    active = _active(reps)
    for i, heir in enumerate(reps["successor"]):
        if not isinstance(heir, str) or not heir.strip():
            continue
        rep = reps["rep"].iloc[i]
        j = position.get(heir)
        if j is None:
            found.append((i, "successor", f"{heir!r} (successor of {rep}) is not in the reps list"))
        elif j == i:
            found.append((i, "successor", f"{rep} is named as their own successor"))
        elif active[j] == 0 or (pd.notna(leave.iloc[j]) and (pd.isna(leave.iloc[i]) or leave.iloc[j] <= leave.iloc[i])):
            found.append((i, "successor", f"{heir!r} (successor of {rep}) has left or leaves first"))
    return found


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


REP_COLUMNS = ("region", "team", "manager", "rep", "grade", "hire_date", "leave_date", "successor", "active")


def _rep_frame(reps, weights: _Weights, final, locked, targets, measure):
    columns = [c for c in REP_COLUMNS if c in reps.columns]
    frame = reps[columns].copy()
    frame.insert(0, "measure", measure)
    for c in ("history_share", "potential_share", "capacity_share", "history_actual", "productive_history",
              "productive_plan", "history_run_rate"):
        frame[c] = weights.frame[c].to_numpy()
    frame["weight"] = final
    frame["override"] = locked
    frame["target"] = targets
    return frame


def _phase(reps, rep_targets, shares, month_weights, round_to, measure, year) -> pd.DataFrame:
    """Each rep's target over the 12 months by seasonality × the rep's capacity that month (plus the
    months inherited from a leaver), rounded two ways: each rep's months add up to the rep's year and
    the company's months follow the seasonality to the nearest unit (``controlled_round``)."""
    n = len(reps)
    month_weights = month_weights.copy()
    # A rep with a target but no capacity this year (an override on an inactive rep) follows seasonality.
    empty = month_weights.sum(axis=1) <= 0
    month_weights[empty] = shares
    units = np.round(rep_targets / round_to)
    exact = _normalised(month_weights) * units[:, None]
    grid = controlled_round(exact, units)
    months = pd.date_range(f"{year}-01-01", periods=12, freq="MS")
    frame = pd.DataFrame({
        "measure": measure,
        "region": np.repeat(reps["region"].to_numpy(), 12),
        "team": np.repeat(reps["team"].to_numpy() if "team" in reps else np.full(n, None), 12),
        "rep": np.repeat(reps["rep"].to_numpy(), 12),
        "month": np.tile(months, n),
        "target": grid.ravel() * round_to,
    })
    return frame


# ---------------------------------------------------------------------------------------------
# Pacing: where each rep stands on a date


def departed(reps: pd.DataFrame, as_of) -> np.ndarray:
    """Reps who have left by ``as_of``: a leaving date on or before it, or marked inactive."""
    gone = _active(reps) == 0
    if "leave_date" in reps:
        gone |= (pd.to_datetime(reps["leave_date"]) <= pd.Timestamp(as_of)).to_numpy()
    return gone


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
    columns = [c for c in ("measure", "region", "team", "rep", "leave_date", "active", "target")
               if c in plan.reps.columns]
    frame = plan.reps[columns].join(expected, on=["measure", "rep"]).join(actual, on=["measure", "rep"])
    frame = frame.fillna({"actual": 0.0, "expected": 0.0})
    frame = pace_columns(frame, days_elapsed, days_total).rename(
        columns={"expected": "expected_to_date", "actual": "actual_to_date"})
    frame["status"] = pace_status(frame["behind_pace"], departed(frame, as_of))
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
