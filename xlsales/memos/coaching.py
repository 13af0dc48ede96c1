"""The 1:1 coaching memo for a rep behind plan: the gap, its likely causes, and actions in OKMA form.

Causes and actions are codes with their numbers; the template words them in the memo's language.
Each action has an owner (the rep or the manager) and a due date counted in business days from ``as_of``.
"""
from __future__ import annotations

import pandas as pd

from xlsales.core.coaching import coverage_needed, key_results, recent_daily_pace
from xlsales.core.pacing import deals_needed
from xlsales.errors import InputError
from xlsales.memos.context import _period_dict, clean, _records, funnel_summary, rep_pacing, roster, trend
from xlsales.memos.periods import Period

# A rep is flagged on a measure when below this share of the peer figure.
PEER_SHORTFALL = 0.8


def _due(as_of: pd.Timestamp, business_days: int):
    return (as_of + pd.offsets.BDay(business_days)).date()


def _peers(people: pd.DataFrame, rep_row: pd.Series) -> pd.DataFrame:
    for column in ("team", "region"):
        if rep_row[column]:
            peers = people[people[column] == rep_row[column]]
            if len(peers) > 1:
                return peers
    return people


def coaching_context(orders, reps, targets, p: Period, rep: str, funnel: dict | None = None,
                     peer_funnel: dict | None = None, company: str = "", table: pd.DataFrame | None = None) -> dict:
    """``funnel``/``peer_funnel``: the rep's and the peers' funnel (as in ``review_context``) if known;
    ``table``: the period's ``rep_pacing`` of all reps when already computed."""
    if table is None:
        table = rep_pacing(orders, targets, roster(reps, targets, orders), p)
    if rep not in set(table["rep"]):
        raise InputError(f"rep: {rep!r} is in none of the inputs")
    me = table[table["rep"] == rep].iloc[0]
    peers = _peers(table, me)
    peer_stats = _peer_stats(orders, peers, p)
    mine = peer_stats.loc[rep]
    fun = funnel_summary(funnel, float(me["target"]), float(me["actual"]))
    peer_fun = funnel_summary(peer_funnel, float(peers["target"].sum()), float(peers["actual"].sum()))
    win_rate, avg_deal, basis = _deal_basis(fun, mine)
    gap = float(me["gap"])
    horizon_end = p.end if p.days_left > 0 else (p.end + pd.offsets.MonthEnd(1 if p.kind == "month" else 3))
    days = p.days_left if p.days_left > 0 else (horizon_end - p.end).days
    next_target = _next_target(targets, rep, p, horizon_end)
    # What to book: the gap while the period runs; after it, the next target plus the gap.
    to_book = gap if next_target is None else gap + next_target
    need = deals_needed(to_book, win_rate, avg_deal) if avg_deal > 0 else None
    recent = me["recent_daily"] if "recent_daily" in me.index else \
        recent_daily_pace(orders[orders["rep"] == rep], p.as_of).get(rep, 0.0)
    plan = key_results(to_book, days, recent, win_rate, avg_deal, fun["open"] if fun else None, basis == "funnel")
    causes = _causes(me, mine, peer_stats.drop(index=rep, errors="ignore"), fun, peer_fun, win_rate)
    manager = me["manager"] or None
    return clean({
        "kind": "coaching",
        "company": company,
        "period": _period_dict(p),
        "rep": _records(pd.DataFrame([me]))[0],
        "manager": manager,
        "peers": {"by": "team" if me["team"] and (peers["team"] == me["team"]).all() and len(peers) > 1
                  else "region", "count": int(len(peers)),
                  "attainment": float(peers["actual"].sum() / peers["target"].sum()) if peers["target"].sum() > 0 else None,
                  "avg_order": float(peer_stats["avg_order"].drop(index=rep, errors="ignore").mean())
                  if len(peer_stats) > 1 else None},
        "behind": bool(me["below_pace"]),
        "pace_line": float(me["expected"] / me["target"]) if me["target"] > 0 else p.elapsed_share,
        "gap": gap,
        "to_book": to_book,
        "deals_needed": need,
        "deal_basis": basis,
        "win_rate": win_rate,
        "avg_deal": avg_deal,
        "funnel": fun,
        "causes": causes,
        "plan": plan,
        "okma": _okma(me, plan, causes, rep, manager, p, horizon_end, next_target),
        "trend": trend(orders, targets, [rep], p),
    })


def _peer_stats(orders, peers: pd.DataFrame, p: Period) -> pd.DataFrame:
    """Orders and average order size per peer over the period to date."""
    o = orders[orders["rep"].isin(peers["rep"])]
    dates = pd.to_datetime(o["date"])
    o = o[(dates >= p.start) & (dates <= p.as_of)]
    stats = peers.set_index("rep")[["orders", "actual"]].copy()
    stats["avg_order"] = o.groupby("rep")["amount"].mean().reindex(stats.index)
    history = orders[orders["rep"].isin(peers["rep"])]
    stats["avg_order_history"] = history.groupby("rep")["amount"].mean().reindex(stats.index)
    return stats


def _deal_basis(fun, mine):
    """Win rate and deal size for DEALS_NEEDED: from the funnel if given, else orders (win rate 1)."""
    if fun and fun.get("win_rate") and fun.get("avg_deal"):
        return float(fun["win_rate"]), float(fun["avg_deal"]), "funnel"
    avg = mine["avg_order"] if pd.notna(mine["avg_order"]) else mine["avg_order_history"]
    return 1.0, float(avg) if pd.notna(avg) else 0.0, "orders"


def _causes(me, mine, others: pd.DataFrame, fun, peer_fun, win_rate) -> list[dict]:
    causes = [{"code": "behind_pace", "pace": me["pace"], "expected": me["expected"], "actual": me["actual"],
               "shortfall": max(float(me["expected"] - me["actual"]), 0.0)}]
    if len(others):
        median_orders = float(others["orders"].median())
        if mine["orders"] < PEER_SHORTFALL * median_orders:
            causes.append({"code": "few_orders", "orders": int(mine["orders"]), "peer_orders": median_orders})
        peer_avg = float(others["avg_order"].mean())
        if pd.notna(mine["avg_order"]) and peer_avg > 0 and mine["avg_order"] < PEER_SHORTFALL * peer_avg:
            causes.append({"code": "small_deals", "avg_order": float(mine["avg_order"]), "peer_avg_order": peer_avg})
    if fun:
        causes.extend(_funnel_causes(fun, peer_fun, win_rate))
    return causes


def _funnel_causes(fun, peer_fun, win_rate) -> list[dict]:
    out = []
    if peer_fun:
        mine = {s["stage"]: s for s in fun["stages"]}
        worst = None
        for i, peer in enumerate(peer_fun["stages"][:-1]):
            rate, peer_rate = mine.get(peer["stage"], {}).get("conversion"), peer["conversion"]
            if rate is None or peer_rate is None or rate >= peer_rate:
                continue
            if worst is None or peer_rate - rate > worst["peer_rate"] - worst["rate"]:
                worst = {"code": "conversion", "stage": peer["stage"], "next_stage": peer_fun["stages"][i + 1]["stage"],
                         "rate": rate, "peer_rate": peer_rate}
        if worst:
            out.append(worst)
    needed = coverage_needed(win_rate)
    if fun["coverage"] is not None and needed is not None and fun["coverage"] < needed:
        out.append({"code": "thin_pipeline", "coverage": fun["coverage"], "needed": needed})
    if fun.get("stale"):
        out.append({"code": "stale", "count": int(fun["stale"])})
    if fun.get("slipped"):
        out.append({"code": "slipped", "count": int(fun["slipped"])})
    return out


# Which action answers which cause: (action code, owner role, business days to the due date)
_ACTIONS = {
    "few_orders": ("more_orders", "rep", 5),
    "small_deals": ("upsell", "rep", 10),
    "conversion": ("stage_review", "manager", 3),
    "thin_pipeline": ("build_pipeline", "rep", 10),
    "stale": ("clear_stale", "rep", 5),
    "slipped": ("recommit_dates", "manager", 5),
}


def _next_target(targets, rep, p: Period, horizon_end) -> float | None:
    """When the period is over: the rep's target for the next period, which the gap comes on top of."""
    if p.days_left > 0:
        return None
    months = pd.to_datetime(targets["month"])
    mine = targets[(targets["rep"] == rep) & (months > p.end) & (months <= horizon_end)]
    return float(mine["target"].sum())


def _okma(me, plan: dict, causes, rep, manager, p: Period, horizon_end, next_target) -> dict:
    """Objective, key results, measurement and actions, from the core's ``key_results`` (``plan``). When
    the period is over, the plan is for the next one: its target plus the gap carried over."""
    as_of = p.as_of
    owner = {"rep": rep, "manager": manager or rep}
    catch_up = None if next_target is None else next_target + float(me["gap"])
    due = horizon_end.date()
    actions = [{"code": "daily_pace", "owner": rep, "due": _due(as_of, 1), "amount": plan["daily"], "until": due}]
    for cause in causes:
        if cause["code"] in _ACTIONS:
            code, role, days = _ACTIONS[cause["code"]]
            extra = {"pipeline_to_add": plan["pipeline_to_add"]} if code == "build_pipeline" else {}
            actions.append({"code": code, "owner": owner[role], "due": _due(as_of, days), **{
                k: v for k, v in cause.items() if k != "code"}, **extra})
    if plan["closable"] is False:
        actions.append({"code": "replan_rest", "owner": owner["manager"], "due": _due(as_of, 5),
                        "amount": plan["carried"]})
    actions.append({"code": "weekly_checkin", "owner": owner["manager"], "due": _due(as_of, 5)})
    key_results = [{"code": "book", "amount": plan["ask"], "due": due}]
    if plan["deals_to_win"]:
        key_results.append({"code": "deals_to_win", "count": plan["deals_to_win"], "due": due})
    if plan["deals_to_work"]:
        key_results.append({"code": "deals_to_work", "count": plan["deals_to_work"], "due": due})
    if plan["pipeline_to_add"]:
        key_results.append({"code": "pipeline_to_add", "amount": plan["pipeline_to_add"],
                            "total": plan["pipeline_needed"], "due": _due(as_of, 10)})
    return {
        "objective": {"gap": float(me["gap"]), "due": due, "target": float(me["target"]),
                      "next_target": next_target, "catch_up": catch_up},
        "key_results": key_results,
        "measurement": {"weekly_pace": plan["daily"] * 7 if plan["daily"] is not None else None,
                        "daily_pace": plan["daily"]},
        "actions": actions,
    }


def laggards(review: dict) -> list[str]:
    """The reps a review flags as below the pace line: the ones that get a coaching memo."""
    return [r["rep"] for r in review["laggards"]]

