"""Split credit and credit notes: who is credited with each order line, to the cent.

- A credits table (order_id, rep, share) credits one order to several reps; the shares of an order add
  up to 1 (the io layer checks it and names the row). Each rep's part of the amount (and of the
  collected amount) is the largest-remainder split in cents (SPLIT_TARGET's rule), so the parts add up
  to the order exactly. Orders without credits stay with their own rep (share 1).
- A credit note is a negative order line whose ``reverses`` names the order it reverses. It is credited
  to the reps of the original order in their shares, whatever rep the note itself names, and it is not
  a return of the note's period: the payout engine takes it back from each of those reps at the rate
  the rep was paid on that measure in the original order's period (``xlsales.core.payouts``), so it
  can only lower a payout.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from xlsales.core.splitting import allocate

CREDIT_COLUMNS = ["order_id", "rep", "share"]


def _ids(series: pd.Series) -> pd.Series:
    return series.astype(object).where(series.notna(), None).map(lambda v: None if v is None else str(v).strip())


def credited_orders(orders: pd.DataFrame, credits: pd.DataFrame | None = None) -> pd.DataFrame:
    """The order lines as credited: one row per (order line, credited rep), with ``share``,
    ``order_row`` (the order's index) and ``is_credit_note``; amounts and collections split in cents."""
    out = orders.copy()
    out["order_row"] = out.index
    ids = _ids(out["order_id"]) if "order_id" in out.columns else pd.Series(None, index=out.index, dtype=object)
    reverses = _ids(out["reverses"]) if "reverses" in out.columns else pd.Series(None, index=out.index, dtype=object)
    out["is_credit_note"] = reverses.notna().to_numpy()
    # The credit key of a line: its own id, or for a credit note the id of the order it reverses.
    key = reverses.where(reverses.notna(), ids)
    if credits is None or credits.empty:
        table = pd.DataFrame(columns=CREDIT_COLUMNS)
    else:
        table = credits.assign(order_id=_ids(credits["order_id"]), rep=credits["rep"].astype(str))[CREDIT_COLUMNS]
    owners = pd.DataFrame({"order_id": ids, "owner": out["rep"].astype(str)}).dropna(subset=["order_id"])
    owners = owners.drop_duplicates("order_id")
    split = set(table["order_id"])
    plain = ~key.isin(split).to_numpy()
    # A credit note of an unsplit order goes to the original order's rep.
    note_owner = key.map(dict(zip(owners["order_id"], owners["owner"])))
    rep_plain = np.where(out["is_credit_note"] & note_owner.notna(), note_owner, out["rep"].astype(str))
    whole = out[plain].assign(rep=rep_plain[plain], share=1.0)
    if not split:
        return whole.reset_index(drop=True)
    shared = out[~plain].assign(_key=key[~plain].to_numpy())
    shared = shared.drop(columns=["rep"]).merge(table.rename(columns={"order_id": "_key"}), on="_key", how="inner",
                                                sort=False)
    shared = shared.sort_values(["order_row"], kind="stable").reset_index(drop=True)
    groups = pd.factorize(shared["order_row"])[0]
    first_of = pd.Series(np.arange(len(shared))).groupby(groups).first().to_numpy()
    for column in ("amount", "collected"):
        if column not in shared.columns:
            continue
        total = shared[column].fillna(0).to_numpy(dtype=float)[first_of]
        units = np.round(np.abs(total) * 100)
        parts = allocate(units, shared["share"].to_numpy(dtype=float), groups) / 100 * np.sign(total)[groups]
        missing = shared[column].isna().to_numpy()
        shared[column] = np.where(missing, np.nan, parts)
    shared = shared.drop(columns=["_key"])
    return pd.concat([whole, shared], ignore_index=True).sort_values("order_row", kind="stable").reset_index(drop=True)
