"""The stage table: the ordered sales stages with win probability, days before stale and conversion norm.

A stage table is a frame with one row per stage, in funnel order:

- ``order``        1, 2, …; the last stage is the won stage (probability 1)
- ``stage``        the name shown in workbooks and matched in the opportunities file
- ``probability``  chance that a deal at this stage is won (weighted pipeline, forecast category)
- ``stale_days``   a deal that stays longer than this in the stage is stale (blank = never)
- ``norm``         expected conversion to the next stage; blank = probability ÷ next probability,
                   which is what the probabilities themselves imply (a deal at stage k wins with
                   p_k, one at k+1 with p_k+1, so P(reach k+1 | at k) = p_k ÷ p_k+1)
- ``aliases``      other names of the stage (the other language, CRM names), a tuple
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from xlsales.errors import InputError

# (zh, en, probability, stale_days)
DEFAULT_STAGES = (
    ("线索", "lead", 0.10, 30),
    ("需求分析", "needs analysis", 0.25, 45),
    ("方案报价", "proposal", 0.50, 45),
    ("商务谈判", "negotiation", 0.75, 30),
    ("赢单", "won", 1.00, None),
)

STATUSES = ("open", "won", "lost")
STATUS_WORDS = {
    "open": ("open", "进行中", "跟进中", "开放", "未关闭", "in progress"),
    "won": ("won", "win", "closed won", "赢单", "成交", "已成交", "赢"),
    "lost": ("lost", "lose", "closed lost", "输单", "丢单", "失败", "已丢单", "输"),
}
STATUS_LABELS = {"en": {"open": "open", "won": "won", "lost": "lost"},
                 "zh": {"open": "进行中", "won": "赢单", "lost": "输单"}}


def default_stages(lang: str = "en") -> pd.DataFrame:
    """The five default stages, named in ``lang`` and recognised in both languages."""
    rows = []
    for order, (zh, en, p, stale) in enumerate(DEFAULT_STAGES, start=1):
        name, other = (zh, en) if lang == "zh" else (en, zh)
        rows.append({"order": order, "stage": name, "probability": p,
                     "stale_days": np.nan if stale is None else float(stale), "norm": np.nan,
                     "aliases": (other,)})
    return complete_stages(pd.DataFrame(rows))


def complete_stages(stages: pd.DataFrame) -> pd.DataFrame:
    """Check a stage table and fill its derived columns (norm); raises InputError naming the stage."""
    stages = stages.sort_values("order").reset_index(drop=True).copy()
    if len(stages) < 2:
        raise InputError("stages: at least two stages are needed (the last one is the won stage)")
    if "aliases" not in stages:
        stages["aliases"] = [()] * len(stages)
    for column in ("stale_days", "norm"):
        if column not in stages:
            stages[column] = np.nan
    stages["order"] = np.arange(1, len(stages) + 1)
    p = stages["probability"].to_numpy(dtype=float)
    names = stages["stage"].astype(str)
    if names.str.strip().eq("").any():
        raise InputError("stages: a stage has no name")
    repeated = names[names.str.lower().duplicated()]
    if len(repeated):
        raise InputError(f"stages: stage {repeated.iloc[0]!r} appears twice")
    bad = np.flatnonzero(~((p >= 0) & (p <= 1)))
    if bad.size:
        raise InputError(f"stages: stage {names[bad[0]]!r} has probability {p[bad[0]]:g}, outside 0 to 1")
    if np.any(np.diff(p) < 0):
        k = int(np.flatnonzero(np.diff(p) < 0)[0])
        raise InputError(f"stages: stage {names[k + 1]!r} has a lower probability than {names[k]!r} before it")
    if p[-1] != 1:
        raise InputError(f"stages: the last stage ({names.iloc[-1]!r}) is the won stage; its probability must be 1")
    implied = np.append(np.divide(p[:-1], p[1:], out=np.full(len(p) - 1, np.nan), where=p[1:] > 0), np.nan)
    norm = stages["norm"].to_numpy(dtype=float)
    stages["norm"] = np.where(np.isnan(norm), implied, norm)
    stages.loc[stages.index[-1], "norm"] = np.nan
    stages["stale_days"] = stages["stale_days"].astype(float)
    stages["stage"] = names.str.strip()
    return stages


def stage_lookup(stages: pd.DataFrame) -> dict[str, int]:
    """Lower-cased stage name or alias → order."""
    lookup = {}
    for order, name, aliases in stages[["order", "stage", "aliases"]].itertuples(index=False):
        for word in (name, *aliases):
            lookup.setdefault(str(word).strip().lower(), int(order))
    return lookup


def status_lookup() -> dict[str, str]:
    return {w.lower(): status for status, words in STATUS_WORDS.items() for w in words}
