"""Pipeline health as of a date, by company, team and rep, on frames (see docs/funnel.md).

Input deals are the opportunities file after checking (``xlsales.io.opportunities``): columns id, rep,
amount, stage (a stage-table name), status (open / won / lost), created, stage_entered,
expected_close, closed_date, close_date_changes, and optionally team, region, customer. A lost deal
keeps the stage it was lost at, so its stage says how far it got.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from xlsales.core.pacing import deals_needed_array
from xlsales.core.funnel import conversion_rates, coverage, velocity, weighted_amounts
from xlsales.core.stages import complete_stages
from xlsales.errors import InputError
from xlsales.glossary import terms

COMMIT, BEST_CASE, PIPELINE, CLOSED, OMITTED = "commit", "best case", "pipeline", "closed", "omitted"
CATEGORIES = (CLOSED, COMMIT, BEST_CASE, PIPELINE, OMITTED)
# Words for the categories; English keeps the lower-case codes until the funnel workbook shows glossary terms.
CATEGORY_LABELS = {"en": dict(zip(CATEGORIES, CATEGORIES)), "zh": terms("category", "zh")}
COMMIT_PROBABILITY = 0.7      # open deals at stages this likely are commit ...
BEST_CASE_PROBABILITY = 0.4   # ... this likely best case, below it pipeline
NOT_CREDIBLE_PUSHES = 3       # a close date pushed this often is not credible
NO_TEAM = "(no team)"


@dataclass
class FunnelResult:
    as_of: pd.Timestamp
    period_start: pd.Timestamp
    period_end: pd.Timestamp
    stages: pd.DataFrame
    deals: pd.DataFrame                 # one row per deal with its derived facts
    by_stage: pd.DataFrame              # company funnel, one row per stage
    by_team: pd.DataFrame               # metrics per team
    by_rep: pd.DataFrame                # metrics per rep
    stage_by_rep: pd.DataFrame          # funnel per rep and stage (reached, conversion, norm)
    forecast: pd.DataFrame              # per rep: target, closed, gap, pipeline, coverage, deals needed
    summary: pd.DataFrame = field(default_factory=pd.DataFrame)  # company metrics: metric, value
    forecast_by_team: pd.DataFrame = field(default_factory=pd.DataFrame)  # the forecast per team
    changes: object = None              # funnel_changes.PipelineChanges against an earlier view, if any
    risk: pd.DataFrame | None = None    # deal_risk.deal_risk per open deal (see deal_risk.assess_risk)
    stage_times: pd.DataFrame | None = None   # deal_risk.stage_medians
    risk_rules: object = None           # deal_risk.RiskRules used
    customers: pd.DataFrame | None = None       # customers.customer_view of the company (with orders)
    rep_customers: pd.DataFrame | None = None   # ... and per rep
    customer_settings: dict | None = None       # a_share, b_share, dormant_months used
    calls: pd.DataFrame | None = None   # forecast_calls: the managers' calls rolled up (set when written)


def period_bounds(as_of, period: str = "year") -> tuple[pd.Timestamp, pd.Timestamp]:
    """First and last day of the calendar year, quarter or month that holds ``as_of``."""
    as_of = pd.Timestamp(as_of).normalize()
    freq = {"year": "Y", "quarter": "Q", "month": "M"}[period]
    p = as_of.to_period(freq)
    return p.start_time.normalize(), p.end_time.normalize()


# ------------------------------------------------------------------------------- per deal


def stage_numbers(stage: pd.Series, stages: pd.DataFrame) -> np.ndarray:
    """1-based stage number of each deal's stage name (0 for a name not in the stage table)."""
    codes, uniques = pd.factorize(stage)
    lookup = np.append(pd.Index(stages["stage"]).get_indexer(uniques) + 1, 0)
    return lookup[codes].astype(np.int64)


STATUS_CODES = {"open": 0, "won": 1, "lost": 2}


def seen_on(deals: pd.DataFrame, stages: pd.DataFrame, as_of) -> dict[str, np.ndarray]:
    """How each deal looked on ``as_of`` (the rule behind ``deal_facts``): ``known`` (created by then),
    ``stage_no``, ``status`` (0 open, 1 won, 2 lost) and ``closed_later``. A deal closed after ``as_of``
    was still open then (a won one at the last stage before won); no closed date means closed by then."""
    as_of = np.datetime64(pd.Timestamp(as_of).normalize().to_datetime64(), "ns")
    stage_no = stage_numbers(deals["stage"], stages)
    codes, uniques = pd.factorize(deals["status"])
    status = np.append(pd.Index(uniques).map(lambda v: STATUS_CODES.get(v, -1)).to_numpy(dtype=np.int64), -1)[codes]
    closed = deals["closed_date"].to_numpy(dtype="datetime64[ns]")
    closed_later = (status > 0) & (closed > as_of)
    stage_no = np.where(closed_later & (status == 1), len(stages) - 1, stage_no)
    status = np.where(closed_later, 0, status)
    known = deals["created"].to_numpy(dtype="datetime64[ns]") <= as_of
    return {"known": known, "stage_no": stage_no, "status": status, "closed_later": closed_later}


def deal_facts(deals: pd.DataFrame, stages: pd.DataFrame, as_of) -> pd.DataFrame:
    """Each deal known on ``as_of`` with its stage number, probability, age, stale / slipped flags,
    forecast category and cycle time.

    Deals created after ``as_of`` are left out. A deal closed after ``as_of`` was still open then:
    it counts as open (a won one at the last stage before won), since the file is a snapshot.
    """
    as_of = pd.Timestamp(as_of).normalize()
    seen = seen_on(deals, stages, as_of)
    d = deals.loc[seen["known"]].copy()
    seen = {k: v[seen["known"]] for k, v in seen.items()}
    d["stage_no"] = seen["stage_no"]
    if (d["stage_no"] == 0).any():
        unknown = d.loc[d["stage_no"] == 0, "stage"].iloc[0]
        raise InputError(f"stage: {unknown!r} is not a stage of the stage table")
    closed_later = pd.Series(seen["closed_later"], index=d.index)
    if closed_later.any():
        d.loc[closed_later, "status"] = "open"
        d.loc[closed_later, "closed_date"] = pd.NaT
        d["stage"] = stages["stage"].to_numpy()[d["stage_no"].to_numpy() - 1]
        d["stage_entered"] = d["stage_entered"].where(d["stage_entered"] <= as_of, as_of)
    is_open, is_won = d["status"].eq("open"), d["status"].eq("won")
    d["is_open"], d["is_won"], d["is_lost"] = is_open, is_won, d["status"].eq("lost")
    at = d["stage_no"].to_numpy() - 1
    d["probability"] = np.where(is_open, stages["probability"].to_numpy()[at], np.where(is_won, 1.0, 0.0))
    d["weighted"] = np.where(is_open, weighted_amounts(d["amount"], d["probability"]), 0.0)
    d["days_in_stage"] = ((as_of - d["stage_entered"]).dt.days).where(is_open)
    d["stale"] = is_open & (d["days_in_stage"] > stages["stale_days"].to_numpy()[at])
    d["pushes"] = d["close_date_changes"].fillna(0).astype("int64") if "close_date_changes" in d else 0
    d["past_due"] = is_open & (d["expected_close"] < as_of)
    d["slipped"] = is_open & (d["past_due"] | (d["pushes"] > 0))
    d["not_credible"] = is_open & (d["pushes"] >= NOT_CREDIBLE_PUSHES)
    d["category"] = forecast_category(d["status"], d["probability"], d["past_due"] | d["not_credible"])
    d["cycle_days"] = (d["closed_date"] - d["created"]).dt.days.where(is_won)
    if "team" not in d:
        d["team"] = NO_TEAM
    d["team"] = d["team"].fillna(NO_TEAM).astype(object)
    return d


def forecast_category(status, probability, doubtful) -> np.ndarray:
    """closed (won), omitted (lost); open deals: commit at probability ≥ 0.7, best case at ≥ 0.4,
    else pipeline. A commit deal whose close date is past or pushed 3+ times drops to best case."""
    status, p = np.asarray(status), np.asarray(probability, dtype=float)
    open_category = np.where(p >= COMMIT_PROBABILITY, np.where(np.asarray(doubtful), BEST_CASE, COMMIT),
                             np.where(p >= BEST_CASE_PROBABILITY, BEST_CASE, PIPELINE))
    return np.where(status == "won", CLOSED, np.where(status == "lost", OMITTED, open_category))


# ------------------------------------------------------------------------------- funnels


def _groups(facts: pd.DataFrame, by: list[str] | None) -> tuple[np.ndarray, pd.Index | None]:
    """Group number of each deal and the group keys (sorted), or one group for the company."""
    if not by:
        return np.zeros(len(facts), dtype=np.int64), None
    grouped = facts.groupby(by, sort=True)
    return grouped.ngroup().to_numpy(), grouped.size().index


def _per_stage(codes, stage_no, groups: int, n: int, weights=None) -> np.ndarray:
    """groups × stages table of counts (or sums of ``weights``) by bincount."""
    flat = np.bincount(codes * n + (stage_no - 1), weights=weights, minlength=groups * n)
    return flat.reshape(groups, n)


def reached_counts(facts: pd.DataFrame, n_stages: int, by: list[str] | None = None) -> np.ndarray:
    """Deals that reached each stage (stage_no ≥ k), groups × stages."""
    codes, keys = _groups(facts, by)
    counts = _per_stage(codes, facts["stage_no"].to_numpy(), 1 if keys is None else len(keys), n_stages)
    return counts[:, ::-1].cumsum(axis=1)[:, ::-1]


def stage_funnel(facts: pd.DataFrame, stages: pd.DataFrame, by: list[str] | None = None) -> pd.DataFrame:
    """Per (group,) stage: open deals and amount, weighted, reached, conversion to next, norm, stale, slipped."""
    n = len(stages)
    codes, keys = _groups(facts, by)
    groups = 1 if keys is None else len(keys)
    stage_no = facts["stage_no"].to_numpy()
    counts = _per_stage(codes, stage_no, groups, n)
    reached = counts[:, ::-1].cumsum(axis=1)[:, ::-1]
    conv = np.concatenate([conversion_rates(reached), np.full((groups, 1), np.nan)], axis=1)
    is_open = facts["is_open"].to_numpy()
    sums = {name: _per_stage(codes, stage_no, groups, n, np.where(is_open, values, 0).astype(float)).ravel()
            for name, values in (("open_deals", 1), ("open_amount", facts["amount"].to_numpy()),
                                 ("weighted", facts["weighted"].to_numpy()), ("stale", facts["stale"].to_numpy()),
                                 ("slipped", facts["slipped"].to_numpy()))}
    long = pd.DataFrame({"stage_no": np.tile(np.arange(1, n + 1), groups)})
    if keys is not None:
        idx = keys.to_frame(index=False).loc[np.repeat(np.arange(groups), n)].reset_index(drop=True)
        long = pd.concat([idx, long], axis=1)
    at = long["stage_no"].to_numpy() - 1
    long["stage"] = stages["stage"].to_numpy()[at]
    long["probability"] = stages["probability"].to_numpy()[at]
    for name in ("open_deals", "open_amount", "weighted"):
        long[name] = sums[name]
    long["reached"] = reached.ravel()
    long["conversion"] = conv.ravel()
    norm = stages["norm"].to_numpy(dtype=float)[at]
    long["norm"] = norm
    long["vs_norm"] = np.divide(long["conversion"].to_numpy(), norm, out=np.full(len(long), np.nan),
                                where=norm > 0)
    long["stale"], long["slipped"] = sums["stale"], sums["slipped"]
    for name in ("open_deals", "stale", "slipped"):
        long[name] = long[name].astype("int64")
    return long


def bottleneck(funnel: pd.DataFrame, by: list[str] | None = None) -> pd.Series | str | None:
    """The stage whose conversion to the next stage is lowest against its norm (conversion ÷ norm);
    ties go to the earlier stage. Per group when ``by`` is given."""
    scored = funnel.dropna(subset=["vs_norm"])
    if not by:
        if scored.empty:
            return None
        return scored.sort_values(["vs_norm", "stage_no"], kind="stable").iloc[0]["stage"]
    worst = scored.sort_values([*by, "vs_norm", "stage_no"], kind="stable").drop_duplicates(by)
    return worst.set_index(by)["stage"]


# ------------------------------------------------------------------------------- metrics per group


def group_metrics(facts: pd.DataFrame, stages: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Per group: open deals and pipeline, weighted, won / lost, win rate, average deal, cycle days,
    velocity, stale and slipped counts, the bottleneck stage."""
    g = facts.assign(won_amount=facts["amount"].where(facts["is_won"], 0.0),
                     open_amount=facts["amount"].where(facts["is_open"], 0.0),
                     not_credible=facts["not_credible"]).groupby(by, sort=True)
    m = g.agg(open_deals=("is_open", "sum"), open_amount=("open_amount", "sum"), weighted=("weighted", "sum"),
              won=("is_won", "sum"), lost=("is_lost", "sum"), won_amount=("won_amount", "sum"),
              cycle_days=("cycle_days", "mean"), stale=("stale", "sum"), slipped=("slipped", "sum"),
              not_credible=("not_credible", "sum"))
    for column in ("open_deals", "won", "lost", "stale", "slipped", "not_credible"):
        m[column] = m[column].astype("int64")
    closed = m["won"] + m["lost"]
    m["win_rate"] = (m["won"] / closed).where(closed > 0)
    m["avg_deal"] = (m["won_amount"] / m["won"]).where(m["won"] > 0)
    m["velocity"] = velocity(m["open_deals"], m["win_rate"], m["avg_deal"], m["cycle_days"])
    m["bottleneck"] = bottleneck(stage_funnel(facts, stages, by), by).reindex(m.index)
    return m.reset_index()


def rep_metrics(facts: pd.DataFrame, stages: pd.DataFrame) -> pd.DataFrame:
    """``group_metrics`` per rep, with the rep's team (the team of most of the rep's deals)."""
    metrics = group_metrics(facts, stages, ["rep"])
    team = facts.groupby(["rep", "team"]).size().reset_index().sort_values(
        ["rep", 0, "team"], ascending=[True, False, True], kind="stable").drop_duplicates("rep")
    metrics.insert(1, "team", metrics["rep"].map(team.set_index("rep")["team"]))
    return metrics


# ------------------------------------------------------------------------------- forecast vs target


def period_targets(targets: pd.DataFrame | None, start, end, measure: str = "revenue") -> pd.Series:
    """Revenue target per rep over the months from ``start`` to ``end`` (rep-level rows only)."""
    if targets is None or len(targets) == 0:
        return pd.Series(dtype=float, name="target")
    t = targets.loc[targets["measure"].eq(measure) & targets["rep"].notna()]
    month = pd.to_datetime(t["month"])
    t = t.loc[(month >= pd.Timestamp(start).to_period("M").start_time) & (month <= pd.Timestamp(end))]
    return t.groupby("rep")["target"].sum().rename("target")


def forecast_by_rep(facts: pd.DataFrame, metrics: pd.DataFrame, targets, as_of, start, end) -> pd.DataFrame:
    """Per rep: target for the period, closed so far, gap, pipeline due in the period, weighted,
    commit and best case, forecast (closed + commit), coverage of the remaining target, deals needed."""
    as_of = pd.Timestamp(as_of).normalize()
    won_now = facts["is_won"] & (facts["closed_date"] >= start) & (facts["closed_date"] <= as_of)
    due = facts["is_open"] & (facts["expected_close"] <= end)
    f = pd.DataFrame({
        "rep": facts["rep"],
        "closed": facts["amount"].where(won_now, 0.0),
        "pipeline": facts["amount"].where(due, 0.0),
        "weighted": facts["weighted"].where(due, 0.0),
        "commit": facts["amount"].where(due & facts["category"].eq(COMMIT), 0.0),
        "best_case": facts["amount"].where(due & facts["category"].eq(BEST_CASE), 0.0),
    }).groupby("rep").sum()
    out = metrics.set_index("rep")[["team", "win_rate", "avg_deal"]].join(f, how="left").fillna(
        {"closed": 0.0, "pipeline": 0.0, "weighted": 0.0, "commit": 0.0, "best_case": 0.0})
    target = period_targets(targets, start, end)
    out["target"] = target.reindex(out.index) if len(target) else np.nan
    out["gap"] = (out["target"] - out["closed"]).clip(lower=0)
    out["forecast"] = out["closed"] + out["commit"]
    out["coverage"] = coverage(out["pipeline"], out["target"].fillna(0), out["closed"])
    out["deals_needed"] = deals_needed_array(out["gap"], out["win_rate"], out["avg_deal"])
    return out.reset_index()[["rep", "team", "target", "closed", "gap", "pipeline", "weighted", "commit",
                              "best_case", "forecast", "coverage", "win_rate", "avg_deal", "deals_needed"]]


def forecast_by_team(forecast: pd.DataFrame, team_metrics: pd.DataFrame) -> pd.DataFrame:
    """The rep forecast summed per team; gap, coverage and deals needed worked at team level
    (a rep ahead of target does not fill another rep's gap here: gap = max(Σ target − Σ closed, 0))."""
    sums = forecast.groupby("team").agg(
        target=("target", lambda t: t.sum() if t.notna().any() else np.nan), closed=("closed", "sum"),
        pipeline=("pipeline", "sum"), weighted=("weighted", "sum"), commit=("commit", "sum"),
        best_case=("best_case", "sum"))
    out = team_metrics.set_index("team")[["win_rate", "avg_deal"]].join(sums, how="left")
    out = out.fillna({c: 0.0 for c in ("closed", "pipeline", "weighted", "commit", "best_case")})
    out["gap"] = (out["target"] - out["closed"]).clip(lower=0)
    out["forecast"] = out["closed"] + out["commit"]
    out["coverage"] = coverage(out["pipeline"], out["target"].fillna(0), out["closed"])
    out["deals_needed"] = deals_needed_array(out["gap"], out["win_rate"], out["avg_deal"])
    return out.reset_index()[["team", "target", "closed", "gap", "pipeline", "weighted", "commit", "best_case",
                              "forecast", "coverage", "win_rate", "avg_deal", "deals_needed"]]


# ------------------------------------------------------------------------------- everything


def analyse_funnel(deals: pd.DataFrame, stages: pd.DataFrame, as_of, targets: pd.DataFrame | None = None,
                   period: str = "year") -> FunnelResult:
    """The whole funnel picture on ``as_of``; targets (the long monthly frame) are optional."""
    stages = complete_stages(stages)
    as_of = pd.Timestamp(as_of).normalize()
    start, end = period_bounds(as_of, period)
    facts = deal_facts(deals, stages, as_of)
    by_stage = stage_funnel(facts, stages)
    by_team = group_metrics(facts, stages, ["team"])
    by_rep = rep_metrics(facts, stages)
    forecast = forecast_by_rep(facts, by_rep, targets, as_of, start, end)
    result = FunnelResult(as_of, start, end, stages, facts, by_stage, by_team, by_rep,
                          stage_funnel(facts, stages, ["rep"]), forecast,
                          forecast_by_team=forecast_by_team(forecast, by_team))
    result.summary = company_summary(result)
    return result


def company_summary(r: FunnelResult) -> pd.DataFrame:
    """The headline figures, one row each (metric, value), as the demo and memos show them."""
    company = group_metrics(r.deals.assign(_all=1), r.stages, ["_all"])
    row = company.iloc[0] if len(company) else pd.Series(dtype=float)
    f = r.forecast
    has_target = f["target"].notna().any()
    target = f["target"].sum() if has_target else np.nan
    closed = f["closed"].sum()
    gap = max(target - closed, 0.0) if has_target else np.nan
    values = {
        "open_deals": row.get("open_deals", 0), "open_pipeline": row.get("open_amount", 0.0),
        "weighted_pipeline": row.get("weighted", 0.0), "win_rate": row.get("win_rate", np.nan),
        "avg_deal": row.get("avg_deal", np.nan), "cycle_days": row.get("cycle_days", np.nan),
        "velocity": row.get("velocity", np.nan), "stale_deals": row.get("stale", 0),
        "slipped_deals": row.get("slipped", 0), "not_credible": row.get("not_credible", 0),
        "bottleneck": bottleneck(r.by_stage), "target": target, "closed": closed, "gap": gap,
        "pipeline_in_period": f["pipeline"].sum(), "commit": f["commit"].sum(), "best_case": f["best_case"].sum(),
        "forecast": closed + f["commit"].sum(),
        "coverage": float(coverage(f["pipeline"].sum(), target, closed)) if has_target else np.nan,
        "deals_needed": float(deals_needed_array(gap, row.get("win_rate", np.nan), row.get("avg_deal", np.nan))),
    }
    return pd.DataFrame({"metric": list(values), "value": list(values.values())})


# ------------------------------------------------------------------------------- managers' calls


def forecast_calls(forecast: pd.DataFrame, calls: pd.DataFrame | None = None) -> pd.DataFrame:
    """The managers' forecast calls rolled up rep → team → company beside the figures of ``forecast``
    (``forecast_by_rep``): weighted, commit, best case, closed and forecast (closed + commit).

    ``calls``: rep, commit_call, best_case_call (blank = no call), optional team (for a rep no longer in
    the forecast, whose call is kept). A team's call is the sum of its reps' calls, blank when none of
    them has one; likewise the company's. call_vs_forecast = commit call − forecast."""
    figures = ["weighted", "commit", "best_case", "closed", "forecast"]
    reps = forecast[["rep", "team", *figures]].copy()
    if calls is not None and len(calls):
        calls = calls.drop_duplicates("rep", keep="last")
        gone = calls.loc[~calls["rep"].isin(reps["rep"])]
        if len(gone):
            reps = pd.concat([reps, pd.DataFrame({"rep": gone["rep"], "team": gone.get("team", NO_TEAM)})
                              .assign(**{f: 0.0 for f in figures})], ignore_index=True)
        reps = reps.merge(calls[["rep", "commit_call", "best_case_call"]], on="rep", how="left")
    else:
        reps["commit_call"], reps["best_case_call"] = np.nan, np.nan
    reps["team"] = reps["team"].fillna(NO_TEAM)
    reps = reps.sort_values(["team", "rep"], kind="stable").reset_index(drop=True)

    def summed(part: pd.DataFrame) -> dict:
        row = {f: float(part[f].sum()) for f in figures}
        for call in ("commit_call", "best_case_call"):
            row[call] = float(part[call].sum()) if part[call].notna().any() else np.nan
        return row

    rows = [{"level": "company", "team": None, "rep": None, **summed(reps)}]
    for team, part in reps.groupby("team", sort=True):
        rows.append({"level": "team", "team": team, "rep": None, **summed(part)})
        rows += [{"level": "rep", **r} for r in part.to_dict("records")]
    out = pd.DataFrame(rows)
    out["call_vs_forecast"] = out["commit_call"] - out["forecast"]
    return out
