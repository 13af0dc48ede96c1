"""Deals as they stood on a date, rebuilt from their stage history.

A stage event says that deal ``id`` entered stage ``stage_no`` on ``entered`` (status open), or was
won or lost on that day (status won / lost; a lost event keeps the stage the deal was lost at).
``deals_as_of`` gives, for every deal with an event on or before the date, the stage, status,
stage-entered and closed dates of that day, on top of the deal's other columns (rep, amount,
expected close, ...), ready for ``analyse_funnel``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

def deals_as_of(events: pd.DataFrame, deals: pd.DataFrame, as_of, stage_names) -> pd.DataFrame:
    """``deals`` (one row per id) with stage / status / stage_entered / closed_date taken from the
    last event of each deal on or before ``as_of``; deals with no event by then are left out."""
    as_of = pd.Timestamp(as_of).normalize()
    ev = events.loc[events["entered"].to_numpy() <= as_of.to_datetime64(), ["id", "stage_no", "status", "entered"]]
    codes, ids = pd.factorize(ev["id"], sort=False)
    rank = ev["status"].ne("open").to_numpy(dtype=np.int8)      # a close comes after entering, same day
    # One int64 sort key: deal, then day, then stage, then open before closed (faster than lexsort).
    day = ev["entered"].to_numpy().astype("datetime64[D]").astype(np.int64)
    day = day - (day.min() if len(day) else 0)
    stage = ev["stage_no"].to_numpy().astype(np.int64)
    key = ((codes.astype(np.int64) * (int(day.max(initial=0)) + 1) + day) * (int(stage.max(initial=0)) + 1)
           + stage) * 2 + rank
    order = np.argsort(key, kind="stable")
    codes, ev = codes[order], ev.iloc[order]
    last = _ends(codes)                                         # the last event of each deal
    is_open = ev["status"].eq("open").to_numpy(dtype=bool)
    # The day the current stage was entered: the latest open event (a lost deal keeps its stage's date).
    open_codes = codes[is_open]
    last_open = _ends(open_codes)
    entered_open = pd.Series(ev["entered"].to_numpy()[is_open][last_open], index=ids[open_codes[last_open]])
    final = ev.iloc[np.flatnonzero(last)]
    state = pd.DataFrame({
        "stage": np.asarray(stage_names, dtype=object)[final["stage_no"].to_numpy() - 1],
        "status": final["status"].to_numpy(),
        "closed_date": final["entered"].where(final["status"].ne("open")).to_numpy(),
        "last_event": final["entered"].to_numpy(),
    }, index=ids[codes[last]])
    won = state["status"].eq("won")
    state["stage_entered"] = entered_open.reindex(state.index).where(~won, state["last_event"])
    state["stage_entered"] = state["stage_entered"].fillna(state["last_event"])
    out = deals.drop(columns=[c for c in ("stage", "status", "closed_date", "stage_entered") if c in deals])
    out = out.join(state.drop(columns="last_event"), on="id", how="inner")
    return out


def _ends(codes: np.ndarray) -> np.ndarray:
    """True at the last position of each run of equal codes."""
    return np.r_[codes[1:] != codes[:-1], True] if len(codes) else np.zeros(0, dtype=bool)
