"""From the other results (target plan, funnel analysis, commission engine) to the plain frames memos take.

Only reshaping lives here: every figure is the one those results hold.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from xlsales.core.funnel import coverage
from xlsales.core.pacing import deals_needed_array

FUNNEL_METRICS = ("win_rate", "avg_deal", "cycle_days", "velocity", "stale", "slipped", "open_deals")


def targets_from_plan(plan, measure: str = "revenue") -> pd.DataFrame:
    """rep, month, target of one measure from ``xlsales.core.decomposition.TargetPlan.monthly``."""
    monthly = plan.monthly
    return monthly.loc[monthly["measure"] == measure, ["rep", "month", "target"]].reset_index(drop=True)


def other_measures(monthly: pd.DataFrame) -> pd.DataFrame | None:
    """measure, rep, month, target of the planned measures beyond revenue (None when there are none)."""
    if "measure" not in monthly.columns:
        return None
    rows = monthly.loc[(monthly["measure"] != "revenue") & monthly["rep"].notna(), ["measure", "rep", "month", "target"]]
    return rows.reset_index(drop=True) if len(rows) else None


def _stage_rows(frame: pd.DataFrame) -> list[dict]:
    rows = frame.rename(columns={"open_amount": "open_amount"})[
        ["stage", "reached", "open_deals", "open_amount", "conversion"]]
    return [{k: (None if isinstance(v, float) and np.isnan(v) else v) for k, v in r.items()}
            for r in rows.to_dict("records")]


def _metrics(row: pd.Series | dict) -> dict:
    out = {}
    for key in FUNNEL_METRICS:
        value = row.get(key) if hasattr(row, "get") else None
        out[key] = None if value is None or pd.isna(value) else value
    return out


def pipeline_changes(changes, reps=None) -> dict | None:
    """What changed since the earlier view (``FunnelResult.changes``), for the company or summed over
    ``reps``: each flow's deals and amount, the moves and pushes, the dates. The flows reconcile:
    open_before + new + reopened − won − lost − removed + moved_in − moved_out + amount_up − amount_down
    = open_now (for a set of reps too, since each rep's do)."""
    if changes is None:
        return None
    from xlsales.core.funnel_changes import CHANGE_COLUMNS

    if reps is None:
        row = changes.total
    else:
        picked = changes.by_rep[changes.by_rep["rep"].isin(list(reps))]
        if picked.empty:
            return None
        row = picked[list(CHANGE_COLUMNS)].sum()
    out = {"earlier": changes.earlier_as_of.date(), "as_of": changes.as_of.date()}
    for column in CHANGE_COLUMNS:
        value = row[column]
        out[column] = int(value) if column.endswith("_deals") or column == "pushes" else float(value)
    return out


def customer_summary(result, rep: str | None = None) -> dict | None:
    """The customers view (``FunnelResult.customers`` / ``rep_customers``) of the company or one rep:
    concentration, ABC counts, dormant customers and the A-class customers without an open deal."""
    from xlsales.core.customers import concentration

    view = getattr(result, "customers" if rep is None else "rep_customers", None)
    if view is None:
        return None
    if rep is not None:
        view = view[view["rep"] == rep]
        if view.empty:
            return None
    c = concentration(view).iloc[0]
    a_free = view[(view["abc"] == "A") & (view["open_deals"] == 0)]
    dormant = view[view["dormant"]].sort_values("last_order", ascending=False)
    return {"customers": int(c["customers"]), "revenue": float(c["revenue"]),
            "top_n_share": _float(c["top_n_share"]), "top_share_customers": int(c["top_share_customers"]),
            "top_share_share": _float(c["top_share_share"]), "a": int(c["a"]), "b": int(c["b"]), "c": int(c["c"]),
            "dormant": int(c["dormant"]),
            "dormant_months": int((getattr(result, "customer_settings", None) or {}).get("dormant_months", 6)),
            "dormant_list": [{"customer": r.customer, "last_order": r.last_order.date(), "revenue": float(r.revenue)}
                             for r in dormant.head(10).itertuples()],
            "a_without_deal": [{"customer": r.customer, "revenue": float(r.revenue), "last_order": r.last_order.date()}
                               for r in a_free.itertuples()]}


def company_funnel(result) -> dict:
    """The company funnel of a ``xlsales.core.funnel_analysis.FunnelResult``."""
    summary = dict(zip(result.summary["metric"], result.summary["value"]))
    return {
        "changes": pipeline_changes(getattr(result, "changes", None)),
        "customers": customer_summary(result),
        "stages": _stage_rows(result.by_stage),
        "open": float(summary["open_pipeline"]), "weighted": float(summary["weighted_pipeline"]),
        "coverage": summary.get("coverage"), "bottleneck": summary.get("bottleneck"),
        "win_rate": summary.get("win_rate"), "avg_deal": summary.get("avg_deal"),
        "cycle_days": summary.get("cycle_days"), "velocity": summary.get("velocity"),
        "stale": summary.get("stale_deals"), "slipped": summary.get("slipped_deals"),
        "open_deals": summary.get("open_deals"), **_forecast(summary, result),
    }


def _forecast(figures, result) -> dict:
    """The forecast over the funnel's period (the plan year in a build): won deals against target."""
    return {"target": figures.get("target"), "closed": figures.get("closed"), "gap": figures.get("gap"),
            "pipeline_due": figures.get("pipeline_in_period"), "coverage": figures.get("coverage"),
            "deals_needed": figures.get("deals_needed"), "period_end": result.period_end.date()}


def group_funnel(result, reps, picked: tuple | None = None) -> dict | None:
    """The funnel of a set of reps (a team, or one rep): stage counts summed, conversions recomputed.

    ``picked``: (stage rows, metric rows, forecast rows) of just these reps, when already selected."""
    reps = list(reps)
    if picked is None:
        picked = tuple(frame[frame["rep"].isin(reps)]
                       for frame in (result.stage_by_rep, result.by_rep, result.forecast))
    stages, metrics, forecast = picked
    if stages.empty:
        return None
    summed = stages.groupby(["stage_no", "stage"], sort=True)[["reached", "open_deals", "open_amount"]].sum()
    summed = summed.reset_index().assign(conversion=np.nan)
    if len(reps) == 1:
        summed["conversion"] = stages.sort_values("stage_no")["conversion"].to_numpy()
    out = {"stages": _stage_rows(summed), "open": float(metrics["open_amount"].sum()),
           "changes": pipeline_changes(getattr(result, "changes", None), reps),
           "customers": customer_summary(result, reps[0]) if len(reps) == 1 else None,
           "weighted": float(metrics["weighted"].sum()),
           "stale": int(metrics["stale"].sum()), "slipped": int(metrics["slipped"].sum()),
           "open_deals": int(metrics["open_deals"].sum())}
    won, closed = metrics["won"].sum(), metrics["won"].sum() + metrics["lost"].sum()
    out["win_rate"] = float(won / closed) if closed > 0 else None
    out["avg_deal"] = float(metrics["won_amount"].sum() / won) if won > 0 else None
    if len(reps) == 1 and len(metrics):
        row = metrics.iloc[0]
        out.update({"cycle_days": _float(row["cycle_days"]), "velocity": _float(row["velocity"]),
                    "bottleneck": row["bottleneck"] if isinstance(row["bottleneck"], str) else None})
    if len(forecast):
        out.update(_forecast(forecast_totals(forecast), result))
        if out["gap"] is not None and out["win_rate"] and out["avg_deal"]:
            out["deals_needed"] = _float(deals_needed_array(out["gap"], out["win_rate"], out["avg_deal"]))
    return out


def forecast_totals(forecast: pd.DataFrame) -> dict:
    """The funnel forecast of a set of reps summed, with gap, coverage and deals needed worked on the sums
    by the core's rules (as ``funnel_analysis.forecast_by_team`` does for a team)."""
    has_target = forecast["target"].notna().any()
    target = float(forecast["target"].sum()) if has_target else None
    closed, pipeline = float(forecast["closed"].sum()), float(forecast["pipeline"].sum())
    out = {"target": target, "closed": closed, "pipeline_in_period": pipeline, "gap": None, "coverage": None,
           "deals_needed": None}
    if has_target:
        out["gap"] = max(target - closed, 0.0)
        out["coverage"] = _float(coverage(pipeline, target, closed))
    return out


def _float(x):
    return None if x is None or pd.isna(x) else float(x)


def statement_inputs(result, rep: str, pno: int, lines=None, measures=None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The lines and per-measure working of one rep and period from a ``CommissionResult`` (``lines`` and
    ``measures``: that rep's rows when already picked out)."""
    if lines is None:
        lines = result.lines[(result.lines["rep"] == rep) & (result.lines["pno"] == pno)]
    lines = lines.sort_values("seq")
    m = measures if measures is not None else result.measures[
        (result.measures["rep"] == rep) & (result.measures["pno"] == pno)]
    measures = pd.DataFrame({"measure": m["measure"], "quota": m["quota_prorated"], "achieved": m["achieved"],
                             "attainment": m["attainment"], "weight": m["weight"]})
    return lines, measures


def with_wording(lines: pd.DataFrame, plan) -> pd.DataFrame:
    """Each line's item and working sentence in both languages, as the commission statements word them."""
    from xlsales.workbooks.statements import describe

    lines = lines.copy()
    for lang in ("en", "zh"):
        words = describe(lines, plan, lang)
        lines[f"item_{lang}"] = words["item"].to_numpy()
        lines[f"working_{lang}"] = words["description"].to_numpy()
    return lines
