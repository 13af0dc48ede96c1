"""Sample opportunities for the sample company: deals with a stage history, deterministic from the seed.

Each deal is created on a day in the sample period and walks the default stages; at each stage it
moves on with the step's conversion (one team has a weak proposal → negotiation step, so the demo
has a bottleneck to find) or is lost there after a while. Days per stage are drawn from gamma
distributions, one deal in eight gets stuck in a stage (stale deals), and the expected close date is
pushed a month each time it passes, some reps updating it late (slipped, past-due close dates).
Deal sizes are scaled so that each rep's won revenue is close to the rep's order revenue.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from xlsales.core.stages import DEFAULT_STAGES, STATUS_LABELS

DEALS_PER_REP_MONTH = 4.0
STEP_CONVERSION = np.array([0.62, 0.66, 0.60, 0.72])   # lead→needs, needs→proposal, proposal→nego, nego→won
WEAK_STEP = (2, 0.38)                                  # the weak team's proposal → negotiation
DAYS_IN_STAGE = np.array([14.0, 21.0, 24.0, 16.0])     # mean days before moving on or being lost
STUCK_SHARE, STUCK_FACTOR = 0.125, 5.0
LATE_UPDATER_SHARE = 0.3
PUSH_DAYS = 30


def _timeline(company) -> dict:
    """The full life of every deal (also after the as-of date), as arrays."""
    rng = np.random.default_rng(getattr(company, "seed", 7) * 1000 + 3)
    reps = company.reps.reset_index(drop=True)
    start, as_of = pd.Timestamp(company.start), pd.Timestamp(company.as_of)
    hired = pd.to_datetime(reps["hire_date"]) if "hire_date" in reps else pd.Series(start, index=reps.index)
    first = np.maximum(hired.fillna(start).to_numpy("datetime64[D]"), np.datetime64(start.date(), "D"))
    span = (np.datetime64(as_of.date(), "D") - first).astype(int).clip(min=1)
    per_rep = rng.poisson(DEALS_PER_REP_MONTH * span / 30.4)
    rep_of = np.repeat(np.arange(len(reps)), per_rep)
    n = len(rep_of)
    created = first[rep_of] + (rng.random(n) * span[rep_of]).astype("timedelta64[D]")

    teams = reps["team"].fillna("-") if "team" in reps else pd.Series("-", index=reps.index)
    weak_team = sorted(teams.unique())[rng.integers(len(teams.unique()))]
    p = np.tile(STEP_CONVERSION, (n, 1))
    p[teams.to_numpy()[rep_of] == weak_team, WEAK_STEP[0]] = WEAK_STEP[1]
    moves_on = rng.random((n, 4)) < p
    reached = 1 + np.cumprod(moves_on, axis=1).sum(axis=1)          # 1..5, 5 = won

    days = rng.gamma(2.0, DAYS_IN_STAGE / 2.0, size=(n, 4))
    stuck = rng.random(n) < STUCK_SHARE
    stuck_at = np.minimum(rng.integers(0, 4, n), reached - 1).clip(max=3)
    days[stuck, stuck_at[stuck]] *= STUCK_FACTOR
    days = np.ceil(days).astype(int)
    entered = np.concatenate([np.zeros((n, 1), int), np.cumsum(days, axis=1)], axis=1)   # day of entering 1..5
    end_day = np.where(reached == 5, entered[:, 4], entered[np.arange(n), reached - 1] + days[np.arange(n), np.minimum(reached - 1, 3)])

    planned = np.ceil(rng.normal(0.75, 0.2, n).clip(0.3) * DAYS_IN_STAGE.sum()).astype(int)
    late = rng.random(n) < LATE_UPDATER_SHARE
    amount_scale = _deal_size(company, reps, rng, n, rep_of)
    return dict(rng=rng, reps=reps, rep_of=rep_of, created=created, reached=reached, entered=entered,
                end_day=end_day, planned=planned, late=late, amount=amount_scale, as_of=as_of)


def _deal_size(company, reps, rng, n, rep_of) -> np.ndarray:
    """Lognormal deal sizes, scaled so each rep's expected won revenue matches the rep's orders."""
    orders = getattr(company, "orders", None)
    months = max(1, round((pd.Timestamp(company.as_of) - pd.Timestamp(company.start)).days / 30.4))
    if orders is not None and len(orders):
        monthly = orders.groupby("rep")["amount"].sum().reindex(reps["rep"]).to_numpy() / months
        monthly = np.where(np.isfinite(monthly) & (monthly > 0), monthly, np.nanmedian(monthly))
    else:
        monthly = np.full(len(reps), 300_000.0)
    win_rate = STEP_CONVERSION.prod()
    mean_deal = monthly / (DEALS_PER_REP_MONTH * win_rate)
    raw = rng.lognormal(0.0, 0.6, n) / np.exp(0.18)
    return np.round(mean_deal[rep_of] * raw / 1000.0) * 1000.0 + 1000.0


def _as_of_state(t: dict, as_of) -> dict:
    """Stage, status and dates of each deal as known on ``as_of`` (deals created later dropped)."""
    day = (np.datetime64(pd.Timestamp(as_of).date(), "D") - t["created"]).astype(int)
    keep = day >= 0
    reached, entered, end_day = t["reached"], t["entered"], t["end_day"]
    steps_done = (entered <= day[:, None]).sum(axis=1)
    stage_no = np.minimum(steps_done, reached)
    closed = end_day <= day
    status = np.where(closed, np.where(reached == 5, "won", "lost"), "open")
    stage_no = np.where(closed, reached, np.where(stage_no == 5, 4, stage_no))
    stage_day = entered[np.arange(len(day)), stage_no - 1]
    # The close date is pushed by a month each time it passes (late updaters a month after that);
    # a closed deal shows every push up to its close.
    lag = np.where(t["late"], PUSH_DAYS, 0)
    pushes_so_far = np.ceil(np.maximum(day - t["planned"] - lag, 0) / PUSH_DAYS).astype(int)
    pushes_total = np.ceil(np.maximum(end_day - t["planned"], 0) / PUSH_DAYS).astype(int)
    pushes = np.where(closed, pushes_total, np.minimum(pushes_so_far, pushes_total + 1))
    expected = t["planned"] + pushes * PUSH_DAYS
    return dict(keep=keep, stage_no=stage_no, status=status, stage_day=stage_day, closed=closed,
                end_day=end_day, pushes=pushes, expected=expected)


def sample_opportunities(company, as_of=None, lang: str = "en") -> pd.DataFrame:
    """A few thousand deals of the sample reps as the CRM shows them on ``as_of`` (default the
    company's as-of date): the SPEC's opportunities columns, stage and status named in ``lang``."""
    t = _timeline(company)
    s = _as_of_state(t, as_of if as_of is not None else t["as_of"])
    created = t["created"]
    k = s["keep"]
    names = np.array([zh if lang == "zh" else en for zh, en, _, _ in DEFAULT_STAGES], dtype=object)
    status_names = STATUS_LABELS["zh" if lang == "zh" else "en"]
    ids = np.char.add("OPP-", np.char.zfill(np.arange(1, len(created) + 1).astype(str), 6))
    day = lambda offset: pd.to_datetime(created + offset.astype("timedelta64[D]"))  # noqa: E731
    frame = pd.DataFrame({
        "id": ids,
        "rep": t["reps"]["rep"].to_numpy()[t["rep_of"]],
        "customer": _customers(company, t),
        "amount": t["amount"],
        "stage": names[s["stage_no"] - 1],
        "status": pd.Series(s["status"]).map(status_names).to_numpy(),
        "created": pd.to_datetime(created),
        "stage_entered": day(s["stage_day"]),
        "expected_close": day(s["expected"]),
        "closed_date": day(s["end_day"]).where(s["closed"]),
        "close_date_changes": s["pushes"],
    })
    return frame.loc[k].sort_values(["created", "id"], kind="stable").reset_index(drop=True)


def sample_stage_events(company, as_of=None, lang: str = "en") -> pd.DataFrame:
    """The stage history behind ``sample_opportunities``: one row per stage a deal entered (id, stage,
    stage_no, entered), plus a row with status won or lost on the day a deal closed."""
    t = _timeline(company)
    s = _as_of_state(t, as_of if as_of is not None else t["as_of"])
    day = (np.datetime64(pd.Timestamp(as_of if as_of is not None else t["as_of"]).date(), "D") - t["created"]).astype(int)
    n = len(day)
    ids = np.char.add("OPP-", np.char.zfill(np.arange(1, n + 1).astype(str), 6))
    stage_no = np.tile(np.arange(1, 6), n)
    deal = np.repeat(np.arange(n), 5)
    offset = t["entered"].ravel()
    happened = (stage_no <= t["reached"][deal]) & (offset <= day[deal]) & (stage_no < 5)
    lost = s["closed"] & (s["status"] == "lost")
    won = s["closed"] & (s["status"] == "won")
    deal = np.concatenate([deal[happened], np.flatnonzero(won), np.flatnonzero(lost)])
    stage_no = np.concatenate([stage_no[happened], np.full(won.sum(), 5), t["reached"][lost]])
    offset = np.concatenate([offset[happened], t["end_day"][won], t["end_day"][lost]])
    status = np.concatenate([np.full(happened.sum(), "open"), np.full(won.sum(), "won"), np.full(lost.sum(), "lost")])
    names = np.array([zh if lang == "zh" else en for zh, en, _, _ in DEFAULT_STAGES], dtype=object)
    events = pd.DataFrame({"id": ids[deal], "stage_no": stage_no, "stage": names[stage_no - 1],
                           "status": status, "entered": pd.to_datetime(t["created"][deal] + offset.astype("timedelta64[D]"))})
    return events.sort_values(["id", "entered", "stage_no"], kind="stable").reset_index(drop=True)


def _customers(company, t) -> np.ndarray:
    """A customer the rep has sold to (from the orders), or any customer for a rep without orders."""
    orders = getattr(company, "orders", None)
    rng = np.random.default_rng(getattr(company, "seed", 7) * 1000 + 5)
    n = len(t["rep_of"])
    if orders is None or "customer" not in orders or not orders["customer"].notna().any():
        return np.char.add("Customer ", (rng.integers(1, 400, n)).astype(str)).astype(object)
    known = orders.dropna(subset=["customer"])
    pool = np.asarray(known["customer"].unique(), dtype=object)
    # Each rep's customers in order of first order, laid end to end; a deal picks one of its rep's.
    pairs = known.drop_duplicates(["rep", "customer"])
    rep_codes = pd.Categorical(pairs["rep"], categories=t["reps"]["rep"]).codes
    order = np.argsort(rep_codes, kind="stable")
    customers = pairs["customer"].to_numpy(dtype=object)[order]
    counts = np.bincount(rep_codes[rep_codes >= 0], minlength=len(t["reps"]))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]]) + (rep_codes < 0).sum()
    pick = rng.random(n)
    count, start = counts[t["rep_of"]], starts[t["rep_of"]]
    own = customers[np.minimum(start + (pick * count).astype(int), len(customers) - 1)]
    return np.where(count > 0, own, pool[(pick * len(pool)).astype(int)])
