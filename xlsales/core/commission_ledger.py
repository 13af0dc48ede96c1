"""Closed periods and prior-period adjustments: a paid period is never recomputed in place.

Closing a period records what it paid in a ledger (rows of period, rep, line, amount, inputs): every
statement line, the rep's payout, and the figures it was worked from (achieved and quota per measure).
A later run pays the next open period. When the inputs have changed in a way that reaches back (a late
order, a corrected amount, a new plan version, a credit note), each closed period is worked again in
memory only: per rep and closed period, what it should have paid now less what was paid then (the
ledger's payout plus the adjustments already paid for it in later closed periods) becomes one
"prior-period adjustment" line of the open period, explaining the old figure, the new figure and
which input and figures changed. Pure functions on frames: reading, writing and checking the ledger
file is ``xlsales.io.ledger``.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from xlsales.core.money import cents
from xlsales.errors import InputError

LEDGER_COLUMNS = ["period", "rep", "line", "amount", "inputs"]
ADJUSTMENT = "prior_period_adjustment"
ADJUSTMENT_COLUMNS = ["rep", "ref_period", "old", "new", "amount", "note"]


def line_keys(lines: pd.DataFrame) -> pd.Series:
    """A stable text key per statement line: kind, measure, tier or award ("tier revenue 2")."""
    kind = lines["kind"].astype(str)
    key = kind.copy()
    measure = lines["measure"].astype(object)
    has_measure = measure.notna()
    key[has_measure] = key[has_measure] + " " + measure[has_measure].astype(str)
    tier = kind == "tier"
    key[tier] = key[tier] + " " + lines.loc[tier, "tier"].astype(str)
    award = lines["award"].astype(object).notna() & (kind == "award")
    key[award] = key[award] + " " + lines.loc[award, "award"].astype(str)
    if "note" in lines.columns:
        adj = kind == ADJUSTMENT
        key[adj] = key[adj] + " " + lines.loc[adj, "note"].astype(str).str.split(" ", n=1).str[0]
    return key


def ledger_rows(result, pno: int, inputs_id: str) -> pd.DataFrame:
    """The ledger rows of period ``pno`` of ``result``: lines, payout, then figures, rep by rep."""
    lines = result.lines[result.lines["pno"] == pno]
    payouts = result.payouts[result.payouts["pno"] == pno]
    measures = result.measures[result.measures["pno"] == pno]
    order = {rep: i for i, rep in enumerate(payouts["rep"].astype(str))}
    parts = [
        pd.DataFrame({"rep": lines["rep"].astype(str).to_numpy(), "line": line_keys(lines).to_numpy(),
                      "amount": lines["amount"].to_numpy(dtype=float), "_o": 0, "_s": lines["seq"].to_numpy()}),
        pd.DataFrame({"rep": payouts["rep"].astype(str).to_numpy(), "line": "payout",
                      "amount": payouts["payout"].to_numpy(dtype=float)
                      - payouts.get("prior_adjustments", pd.Series(0.0, index=payouts.index)).to_numpy(dtype=float),
                      "_o": 1, "_s": 0}),
    ]
    for column, word in (("achieved", "achieved"), ("quota_prorated", "quota")):
        parts.append(pd.DataFrame({"rep": measures["rep"].astype(str).to_numpy(),
                                   "line": word + " " + measures["measure"].astype(str).to_numpy(dtype=object),
                                   "amount": measures[column].to_numpy(dtype=float), "_o": 2, "_s": 0}))
    rows = pd.concat(parts, ignore_index=True)
    rows = rows[(rows["amount"] != 0) | (rows["_o"] == 1)]  # every payout; lines and figures that are not 0
    rows["_r"] = rows["rep"].map(order)
    rows = rows.sort_values(["_r", "_o", "_s"], kind="stable")
    label = str(payouts["period"].iloc[0]) if len(payouts) else str(pno)
    return pd.DataFrame({"period": label, "rep": rows["rep"].to_numpy(), "line": rows["line"].to_numpy(),
                         "amount": cents(rows["amount"].to_numpy(dtype=float)), "inputs": inputs_id})[LEDGER_COLUMNS]


def paid_so_far(ledger: pd.DataFrame) -> pd.DataFrame:
    """rep, period, paid: each closed period's payout plus the adjustments for it paid since."""
    own = ledger[ledger["line"] == "payout"][["rep", "period", "amount"]]
    adj = ledger[ledger["line"].str.startswith(ADJUSTMENT + " ")]
    later = pd.DataFrame({"rep": adj["rep"], "period": adj["line"].str.split(" ").str[1], "amount": adj["amount"]})
    both = pd.concat([own, later], ignore_index=True)
    return both.groupby(["rep", "period"], sort=False, as_index=False)["amount"].sum().rename(
        columns={"amount": "paid"})


def _figures(ledger: pd.DataFrame, result, periods_) -> tuple[pd.DataFrame, pd.DataFrame]:
    old = ledger[ledger["line"].str.match(r"^(achieved|quota) ")][["rep", "period", "line", "amount"]]
    m = result.measures[result.measures["period"].isin(list(periods_))]
    new = pd.concat([pd.DataFrame({"rep": m["rep"].astype(str).to_numpy(), "period": m["period"].astype(str).to_numpy(),
                                   "line": word + " " + m["measure"].astype(str).to_numpy(dtype=object),
                                   "amount": cents(m[column].to_numpy(dtype=float))})
                     for column, word in (("achieved", "achieved"), ("quota_prorated", "quota"))], ignore_index=True)
    return old, new


def prior_period_adjustments(ledger: pd.DataFrame, result, changed_inputs: dict | None = None) -> pd.DataFrame:
    """Per rep and closed period of ``ledger``: new payout (``result``, worked again with today's
    inputs) less what was paid for it; rows with a difference only.

    ``changed_inputs``: closed period → the names of the input files that differ from when it was
    closed (for the explanation). A rep paid in a closed period who is missing from ``result`` is an
    error: keep leavers in the reps file with a leave date."""
    columns = ADJUSTMENT_COLUMNS
    if ledger is None or ledger.empty:
        return pd.DataFrame(columns=columns)
    paid = paid_so_far(ledger)
    closed = list(pd.unique(ledger["period"]))
    payouts = result.payouts[result.payouts["period"].isin(closed)]
    new = pd.DataFrame({"rep": payouts["rep"].astype(str).to_numpy(), "period": payouts["period"].astype(str).to_numpy(),
                        "new": payouts["payout"].to_numpy(dtype=float)})
    both = paid.merge(new, on=["rep", "period"], how="outer")
    gone = both[both["new"].isna() & ~both["rep"].isin(result.payouts["rep"].cat.categories
                                                        if hasattr(result.payouts["rep"], "cat") else
                                                        result.payouts["rep"].unique())]
    if len(gone):
        first = gone.iloc[0]
        raise InputError(f"reps: {first['rep']!r} was paid in the closed period {first['period']} but is not in the "
                         "reps file; keep leavers in it (with a leave date)")
    both = both.fillna({"paid": 0.0, "new": 0.0})
    both["amount"] = cents(both["new"].to_numpy() - both["paid"].to_numpy())
    both = both[both["amount"] != 0].copy()
    if both.empty:
        return pd.DataFrame(columns=columns)
    old_fig, new_fig = _figures(ledger, result, closed)
    figs = old_fig.merge(new_fig, on=["rep", "period", "line"], how="outer", suffixes=("_old", "_new")).fillna(0.0)
    figs = figs[figs["amount_old"].round(2) != figs["amount_new"].round(2)]
    changed_figs = {key: "; ".join(f"{r.line} {r.amount_old:,.2f} → {r.amount_new:,.2f}" for r in g.itertuples())
                    for key, g in figs.groupby(["rep", "period"], sort=False)}
    changed_inputs = changed_inputs or {}
    notes = []
    for row in both.itertuples(index=False):
        what = changed_figs.get((row.rep, row.period), "")
        files = ", ".join(changed_inputs.get(row.period, ())) or "-"
        notes.append(f"{row.period} | {row.paid:,.2f} → {row.new:,.2f} | {files} | {what or '-'}")
    order = {p: i for i, p in enumerate(closed)}
    both["note"] = notes
    both["_o"] = both["period"].map(order)
    both = both.sort_values(["rep", "_o"], kind="stable")
    return pd.DataFrame({"rep": both["rep"].to_numpy(), "ref_period": both["period"].to_numpy(),
                         "old": both["paid"].to_numpy(), "new": both["new"].to_numpy(),
                         "amount": both["amount"].to_numpy(), "note": both["note"].to_numpy()})[columns]


def with_adjustments(result, adjustments: pd.DataFrame, pno: int):
    """``result`` with the adjustments paid in period ``pno``: one statement line each (kind
    prior_period_adjustment: base = paid before, rate = due now, note = period | old → new | changed
    inputs | changed figures) and ``payouts.prior_adjustments`` added to the payout."""
    from xlsales.core.payouts import CommissionResult, LINE_KINDS
    payouts = result.payouts.copy()
    payouts["prior_adjustments"] = 0.0
    if adjustments is None or adjustments.empty:
        return CommissionResult(result.plan, result.measures, payouts, result.lines, result.awards, result.inputs)
    at = payouts["pno"] == pno
    sums = adjustments.groupby("rep")["amount"].sum()
    reps = payouts.loc[at, "rep"].astype(str)
    payouts.loc[at, "prior_adjustments"] = reps.map(sums).fillna(0.0).to_numpy()
    payouts.loc[at, "payout"] = cents(payouts.loc[at, "payout"].to_numpy() + payouts.loc[at, "prior_adjustments"].to_numpy())
    lines = result.lines
    period_label = payouts.loc[at, "period"].iloc[0]
    last_seq = lines[lines["pno"] == pno].groupby("rep", observed=True)["seq"].max()
    seq = adjustments["rep"].map(last_seq).fillna(0).astype(int).to_numpy() + \
        adjustments.groupby("rep", sort=False).cumcount().to_numpy() + 1
    known = set(lines["note"].cat.categories)
    # two adjustments may explain themselves in the same words: each note is one category
    notes = list(lines["note"].cat.categories) + list(dict.fromkeys(n for n in adjustments["note"] if n not in known))
    add = pd.DataFrame({
        "rep": pd.Categorical(adjustments["rep"], categories=lines["rep"].cat.categories),
        "period": pd.Categorical([period_label] * len(adjustments), categories=lines["period"].cat.categories),
        "pno": pno, "seq": seq, "kind": pd.Categorical([ADJUSTMENT] * len(adjustments), categories=LINE_KINDS),
        "measure": pd.Categorical([None] * len(adjustments), categories=lines["measure"].cat.categories),
        "tier": 0, "award": pd.Categorical([None] * len(adjustments), categories=lines["award"].cat.categories),
        "lower": np.nan, "upper": np.nan, "base": adjustments["old"].to_numpy(dtype=float),
        "rate": adjustments["new"].to_numpy(dtype=float), "amount": adjustments["amount"].to_numpy(dtype=float),
        "note": pd.Categorical(adjustments["note"], categories=notes),
    })
    old = lines.assign(note=lines["note"].cat.set_categories(notes))
    # only the paid period's lines are put back in order (each rep's lines, then its adjustments)
    here = (old["pno"] == pno).to_numpy()
    period_lines = pd.concat([old[here], add], ignore_index=True).sort_values(["rep", "seq"], kind="stable")
    merged = pd.concat([old[~here], period_lines], ignore_index=True)
    return CommissionResult(result.plan, result.measures, payouts, merged, result.awards, result.inputs)
