"""Rules behind the 1:1 coaching plan: what to ask of a rep behind plan, from the rep's own pace.

- **Recent pace**: the rep's sales per day over the ``RECENT_DAYS`` days up to the as-of date.
- **Reachable**: that pace lifted by ``STRETCH`` (a stretch goal, as the field sets 10–20 % above the
  run rate), times the days the plan has. The plan asks for the amount to book (the gap, or after a
  period is over the next target plus the gap) when it is reachable; otherwise it asks for the
  reachable amount (rounded down to the rounding unit) and says that the rest cannot be closed in the
  period.
- From the amount asked, at the rep's win rate and average won deal:
  **deals to win** = ⌈amount ÷ average deal⌉ (deals that must close won);
  **deals to work** = DEALS_NEEDED(amount, win rate, average deal) (opportunities to take to a decision);
  **pipeline needed** = deals to work × average deal, and **pipeline to add** = what the rep's open
  pipeline lacks of it. With no funnel, orders of the rep's average size stand in (win rate 1: deals to
  work = deals to win, and no pipeline figures).
- **Coverage needed** at a win rate w is 1 ÷ w (the pipeline that closes the gap at that rate).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd

from xlsales.core.pacing import ceil_deals, deals_needed

RECENT_DAYS = 90
STRETCH = 0.2
ROUND_TO = 100.0


def recent_daily_pace(orders: pd.DataFrame, as_of, days: int = RECENT_DAYS) -> pd.Series:
    """Per rep: Σ order amount over the ``days`` days ending on ``as_of`` ÷ ``days``."""
    as_of = pd.Timestamp(as_of)
    dates = pd.to_datetime(orders["date"])
    recent = orders.loc[(dates > as_of - pd.Timedelta(days=days)) & (dates <= as_of)]
    return (recent.groupby("rep")["amount"].sum() / days).rename("recent_daily")


def coverage_needed(win_rate) -> float | None:
    """The coverage that closes a gap at this win rate: 1 ÷ win rate."""
    return 1.0 / float(win_rate) if win_rate and 0 < win_rate <= 1 else None


def key_results(to_book: float, days: int, recent_daily: float, win_rate: float, avg_deal: float,
                open_pipeline: float | None = None, funnel: bool = True) -> dict:
    """What the coaching plan asks for, with the figures it rests on (see the module docstring)."""
    to_book = max(float(to_book), 0.0)
    recent_daily = max(float(recent_daily or 0.0), 0.0)
    reachable = recent_daily * (1 + STRETCH) * max(days, 0)
    if recent_daily <= 0:
        ask, closable = to_book, None          # no recent sales: the pace says nothing either way
    elif to_book <= reachable:
        ask, closable = to_book, True
    else:
        ask, closable = math.floor(reachable / ROUND_TO) * ROUND_TO, False
    out = {"to_book": to_book, "ask": ask, "closable": closable, "reachable": reachable,
           "carried": to_book - ask, "recent_daily": recent_daily, "recent_days": RECENT_DAYS, "stretch": STRETCH,
           "daily": ask / days if days > 0 else None, "days": days,
           "deals_to_win": None, "deals_to_work": None, "pipeline_needed": None, "pipeline_to_add": None,
           "coverage_needed": coverage_needed(win_rate) if funnel else None}
    if avg_deal and avg_deal > 0 and ask > 0:
        out["deals_to_win"] = int(ceil_deals(np.float64(ask / avg_deal)))
        if funnel and win_rate and 0 < win_rate <= 1:
            out["deals_to_work"] = int(deals_needed(ask, win_rate, avg_deal))
            out["pipeline_needed"] = out["deals_to_work"] * float(avg_deal)
            if open_pipeline is not None:
                out["pipeline_to_add"] = max(out["pipeline_needed"] - float(open_pipeline), 0.0)
    return out
