"""Deal risk you can read: each open deal flagged by stated rules, with the rules that fired.

The rules (thresholds in ``RiskRules``, shown and edited on the workbook's Stages sheet):

- **slow**: days in stage above ``slow_factor`` × the stage's typical days. Typical days are the median
  days closed deals spent in that stage (from the stage history), or, with fewer than ``min_history``
  closed deals in the history (or no history at all), the stage table's days before stale;
- **pushed**: the close date pushed ``max_pushes`` times or more;
- **stale**: longer in the stage than the stage table's days before stale (the funnel's stale flag);
- **amount cut**: the amount fell by ``amount_cut`` or more since the earlier view (with a comparison);
- **no activity**: the last activity more than ``activity_days`` ago, or none recorded (only when the
  opportunities carry a ``last_activity`` column).

Risk: **high** when two or more rules fire, **medium** for one, **low** for none.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

RULES = ("slow", "pushed", "stale", "amount_cut", "no_activity")
HIGH, MEDIUM, LOW = "high", "medium", "low"


@dataclass(frozen=True)
class RiskRules:
    slow_factor: float = 1.5      # × typical days in the stage
    max_pushes: int = 2           # close date pushed this often
    amount_cut: float = 0.2       # share of the amount lost since the earlier view
    activity_days: int = 14       # days without activity
    min_history: int = 30         # closed deals in the stage history before its medians are used

    def as_dict(self) -> dict:
        return asdict(self)


def stage_medians(events: pd.DataFrame | None, stages: pd.DataFrame, min_history: int = 30) -> pd.DataFrame:
    """Per stage: the median days closed deals spent in it (from their stage events: the days from
    entering the stage to the next event), how many deals that is from, and the typical days the slow
    rule uses: the median when the history holds at least ``min_history`` closed deals, else the stage
    table's days before stale. ``source`` says which ("history" or "stage table")."""
    n = len(stages)
    out = pd.DataFrame({"stage_no": np.arange(1, n + 1), "stage": stages["stage"].to_numpy(),
                        "median_days": np.nan, "deals": 0})
    closed_deals = 0
    if events is not None and len(events):
        ev = events.sort_values(["id", "entered", "stage_no"], kind="stable")
        closed = ev.loc[ev["status"].ne("open"), "id"].unique()
        closed_deals = len(closed)
        ev = ev.loc[ev["id"].isin(closed)]
        nxt = ev.groupby("id", sort=False)["entered"].shift(-1)
        spent = ev.assign(days=(nxt - ev["entered"]).dt.days).loc[ev["status"].eq("open") & nxt.notna()]
        per = spent.groupby("stage_no")["days"].agg(["median", "size"])
        out["median_days"] = out["stage_no"].map(per["median"]).astype(float)
        out["deals"] = out["stage_no"].map(per["size"]).fillna(0).astype("int64")
    use_history = closed_deals >= min_history
    table_days = stages["stale_days"].to_numpy(dtype=float)
    history = out["median_days"].to_numpy(dtype=float)
    out["typical_days"] = np.where(use_history & ~np.isnan(history), history, table_days)
    out["source"] = np.where(use_history & ~np.isnan(history), "history", "stage table")
    out.attrs["closed_deals"] = closed_deals
    out.attrs["use_history"] = use_history
    return out


def deal_risk(facts: pd.DataFrame, medians: pd.DataFrame, as_of, rules: RiskRules = RiskRules(),
              changes: pd.DataFrame | None = None) -> pd.DataFrame:
    """Per open deal (``deal_facts`` rows): the facts the rules look at, one column per rule (True when
    it fires), the number fired and the risk. ``changes``: ``PipelineChanges.deals`` for the amount rule."""
    d = facts.loc[facts["is_open"]]
    typical = medians.set_index("stage_no")["typical_days"].reindex(d["stage_no"]).to_numpy(dtype=float)
    days = d["days_in_stage"].to_numpy(dtype=float)
    out = pd.DataFrame({"id": d["id"].to_numpy(), "rep": d["rep"].to_numpy(), "team": d["team"].to_numpy(),
                        "customer": d["customer"].to_numpy() if "customer" in d else None,
                        "stage": d["stage"].to_numpy(), "amount": d["amount"].to_numpy(dtype=float),
                        "days_in_stage": days, "typical_days": typical,
                        "pushes": d["pushes"].to_numpy(dtype=np.int64)})
    out["slow"] = ~np.isnan(typical) & (days > rules.slow_factor * np.nan_to_num(typical, nan=np.inf))
    out["pushed"] = out["pushes"] >= rules.max_pushes
    out["stale"] = d["stale"].to_numpy(dtype=bool)
    out["amount_before"] = np.nan
    out["amount_cut"] = False
    if changes is not None and len(changes):
        before = changes.drop_duplicates("id").set_index("id")["amount_before"]
        out["amount_before"] = out["id"].map(before).to_numpy(dtype=float)
        fall = (out["amount_before"] - out["amount"]) / out["amount_before"]
        out["amount_cut"] = (out["amount_before"] > 0) & (fall >= rules.amount_cut - 1e-12)
    out["last_activity"] = pd.NaT
    out["no_activity"] = False
    out["days_idle"] = np.nan
    if "last_activity" in d and d["last_activity"].notna().any():
        last = pd.to_datetime(d["last_activity"]).reset_index(drop=True)
        out["last_activity"] = last
        out["days_idle"] = (pd.Timestamp(as_of).normalize() - last).dt.days.to_numpy(dtype=float)
        out["no_activity"] = np.isnan(out["days_idle"]) | (out["days_idle"] > rules.activity_days)
    fired = out[list(RULES)].sum(axis=1).astype("int64")
    out["rules_fired"] = fired
    out["risk"] = np.where(fired >= 2, HIGH, np.where(fired == 1, MEDIUM, LOW))
    return out.sort_values(["rules_fired", "amount", "id"], ascending=[False, False, True],
                           kind="stable").reset_index(drop=True)


def assess_risk(result, events: pd.DataFrame | None = None, rules: RiskRules = RiskRules()):
    """Risk of every open deal of a ``FunnelResult`` (with its ``changes`` for the amount rule), the
    stage medians from ``events`` (stage history), set on the result and returned."""
    medians = stage_medians(events, result.stages, rules.min_history)
    changes = result.changes.deals if getattr(result, "changes", None) is not None else None
    result.stage_times, result.risk_rules = medians, rules
    result.risk = deal_risk(result.deals, medians, result.as_of, rules, changes)
    return result
