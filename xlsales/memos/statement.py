"""The commission statement: every line of a rep's payout, so the rep can follow it without a shadow sheet.

``statement_context`` takes the rep's statement lines in the commission engine's shape
(``xlsales.core.payouts.LINE_COLUMNS``: kind, measure, tier, award, lower, upper, base, rate, amount) for
one period, and the per-measure working (measure, quota, achieved, attainment, weight). The payout is the
sum of the lines, each already rounded to the cent by the engine. ``tier_lines`` makes such lines for a
single measure from COMMISSION_DETAIL's rule, for a plan as simple as one tier table.
"""
from __future__ import annotations

import pandas as pd

from xlsales.core.commission import commission_detail
from xlsales.core.money import cents
from xlsales.memos.context import _period_dict, _records, clean
from xlsales.memos.periods import Period

LINE_COLUMNS = ("kind", "measure", "tier", "award", "lower", "upper", "base", "rate", "amount")
# Optional words for each line, per language (the commission statements' own sentences).
WORDING_COLUMNS = ("item_en", "item_zh", "working_en", "working_zh")
MEASURE_COLUMNS = ("measure", "quota", "achieved", "attainment", "weight", "mode")
# Lines that belong to the tier working of a measure (the rest are rep-level: caps, awards, draws).
TIER_KINDS = ("proration", "tier", "accelerator_gate", "gate", "weight", "measure_cap")


def tier_lines(achieved, tiers, quota=None, mode="marginal", cap=None, measure="revenue") -> pd.DataFrame:
    """Statement lines for one measure: one per tier, then a cap line if the cap binds."""
    rows = commission_detail(achieved, tiers, quota, mode, cap)
    frame = pd.DataFrame(rows, columns=["lower", "upper", "base", "rate", "amount"])
    frame.insert(0, "kind", ["tier" if r[0] is not None else "measure_cap" for r in rows])
    frame.insert(1, "measure", measure)
    frame.insert(2, "tier", range(1, len(rows) + 1))
    frame.insert(3, "award", None)
    return frame


def statement_context(rep: dict, p: Period, lines: pd.DataFrame, measures: pd.DataFrame | None = None,
                      labels: dict | None = None, company: str = "") -> dict:
    """``rep``: rep, region, team, manager; ``measures`` may carry each measure's ``mode`` (marginal or
    retro) to explain its tiers; ``labels``: {measure: {"en": name, "zh": name}} as the plan names them."""
    lines = lines.reindex(columns=list(LINE_COLUMNS + WORDING_COLUMNS)).reset_index(drop=True)
    lines["amount"] = cents(lines["amount"].astype(float))
    total = float(cents(lines["amount"].sum()))
    by_measure = lines[lines["kind"].isin(TIER_KINDS)].groupby("measure", sort=False)["amount"].sum()
    m = (measures if measures is not None else pd.DataFrame(columns=list(MEASURE_COLUMNS)))
    m = m.reindex(columns=list(MEASURE_COLUMNS)).reset_index(drop=True)
    m["payout"] = cents(m["measure"].map(by_measure).fillna(0.0).astype(float))
    tiers = lines["kind"].isin(TIER_KINDS)
    return clean({
        "kind": "statement",
        "company": company,
        "period": _period_dict(p),
        "rep": {k: ("" if rep.get(k) is None else str(rep.get(k))) for k in ("rep", "region", "team", "manager")},
        "labels": {str(k): dict(v) for k, v in (labels or {}).items()},
        "measures": _records(m),
        "lines": _records(lines),
        "tier_payout": float(cents(lines.loc[tiers, "amount"].sum())),
        "other_payout": float(cents(lines.loc[~tiers, "amount"].sum())),
        "total": total,
    })
