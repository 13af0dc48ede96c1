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
    """Order ids as stripped text, None where blank (vectorised)."""
    text = series.astype(str).str.strip().astype(object)
    return text.where(series.notna().to_numpy(), None)


def credited_orders(orders: pd.DataFrame, credits: pd.DataFrame | None = None) -> pd.DataFrame:
    """The order lines as credited: one row per (order line, credited rep), with ``share``,
    ``order_row`` (the order's index) and ``is_credit_note``; amounts and collections split in cents.

    Vectorised on integer codes: one take of the orders frame, whatever the number of splits."""
    n = len(orders)
    none = pd.Series(None, index=orders.index, dtype=object)
    ids = (_ids(orders["order_id"]) if "order_id" in orders.columns else none).to_numpy(dtype=object)
    reverses = (_ids(orders["reverses"]) if "reverses" in orders.columns else none).to_numpy(dtype=object)
    is_note = pd.notna(reverses)
    # The credit key of a line: its own id, or for a credit note the id of the order it reverses.
    key = np.where(is_note, reverses, ids)
    rep = orders["rep"].astype(str).to_numpy(dtype=object)
    if credits is None or credits.empty:
        c_ids = np.array([], dtype=object)
        c_rep, c_share = np.array([], dtype=object), np.array([], dtype=float)
    else:
        c_ids = _ids(credits["order_id"]).to_numpy(dtype=object)
        c_rep = credits["rep"].astype(str).to_numpy(dtype=object)
        c_share = credits["share"].to_numpy(dtype=float)
    codes, uniques = pd.factorize(pd.Series(np.concatenate([key, c_ids]), dtype=object), use_na_sentinel=True)
    k, c = codes[:n], codes[n:]
    counts = np.bincount(c[c >= 0], minlength=len(uniques)) if len(uniques) else np.zeros(0, dtype=np.int64)
    starts = np.cumsum(counts) - counts
    by_order = np.argsort(c, kind="stable")  # credits rows grouped by order, in the file's order
    has = (k >= 0) & (counts[np.clip(k, 0, None)] > 0) if len(uniques) else np.zeros(n, bool)
    # A credit note of an unsplit order goes to the original order's rep (its first line's).
    owner = np.full(len(uniques) + 1, None, dtype=object)
    original = ~is_note & (k >= 0)
    owner[k[original][::-1]] = rep[original][::-1]
    note_owner = owner[np.where(k >= 0, k, len(uniques))]
    rep_plain = np.where(is_note & pd.notna(note_owner), note_owner, rep)
    per_order = np.where(has, counts[np.clip(k, 0, None)] if len(uniques) else 1, 1)
    row = np.repeat(np.arange(n), per_order)
    within = np.arange(len(row)) - np.repeat(np.cumsum(per_order) - per_order, per_order)
    split = has[row]
    credit = by_order[starts[k[row[split]]] + within[split]] if split.any() else np.array([], dtype=np.int64)
    out = orders.iloc[row].reset_index(drop=True)
    out["order_row"] = orders.index.to_numpy()[row]
    out["is_credit_note"] = is_note[row]
    reps_out = rep_plain[row].astype(object)
    reps_out[split] = c_rep[credit]
    share = np.ones(len(row))
    share[split] = c_share[credit]
    out["rep"], out["share"] = reps_out, share
    if split.any():
        groups = pd.factorize(row[split])[0]
        first = np.flatnonzero(np.r_[True, np.diff(groups) != 0])
        for column in ("amount", "collected"):
            if column not in out.columns:
                continue
            values = out[column].to_numpy(dtype=float).copy()
            total = np.nan_to_num(values[split][first])
            units = np.round(np.abs(total) * 100)
            parts = allocate(units, share[split], groups) / 100 * np.sign(total)[groups]
            values[split] = np.where(np.isnan(values[split]), np.nan, parts)
            out[column] = values
    return out
