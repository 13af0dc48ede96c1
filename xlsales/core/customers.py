"""Customer priority: ABC_CLASS (Pareto), and the customers view built on it (revenue, ABC, dormant
customers, concentration) per company and per rep."""
from __future__ import annotations

import numpy as np
import pandas as pd

from xlsales.core.arguments import first_negative, number, numbers
from xlsales.errors import InputError


def abc_class(values, a_share=0.8, b_share=0.95) -> list[str]:
    """A while the share held by larger values before it is below a_share, B below b_share, else C.

    When every value is 0 no value holds any share, so all are C.
    """
    values = numbers(values, "values")
    first_negative(values, "values")
    a_share, b_share = number(a_share, "a_share", blank=0.8), number(b_share, "b_share", blank=0.95)
    if not 0 < a_share <= 1:
        raise InputError(f"a_share: must be above 0 and at most 1, got {a_share:g}")
    if not a_share <= b_share <= 1:
        raise InputError(f"b_share: must be between a_share ({a_share:g}) and 1, got {b_share:g}")
    total = values.sum()
    if total == 0:
        return ["C"] * len(values)
    order = np.argsort(-values, kind="stable")
    before = np.empty(len(values))
    before[order] = (np.cumsum(values[order]) - values[order]) / total
    # Shares are ratios of float sums: 0.04 / 0.05 comes out as 0.7999…, which is 80 % on paper.
    tolerance = 1e-12
    return np.where(before < a_share - tolerance, "A",
                    np.where(before < b_share - tolerance, "B", "C")).tolist()


# ------------------------------------------------------------------------------- the customers view

TOP_N = 10                  # concentration: the share of the top 10 customers ...
TOP_SHARE = 0.2             # ... and of the top 20 % of customers
DORMANT_MONTHS = 6          # no order for this many months: dormant
WINDOW_MONTHS = 12          # revenue, orders and ABC over the last 12 months


def customer_view(orders: pd.DataFrame, as_of, deals: pd.DataFrame | None = None, by: list[str] | None = None,
                  months: int = WINDOW_MONTHS, dormant_months: int = DORMANT_MONTHS, a_share: float = 0.8,
                  b_share: float = 0.95) -> pd.DataFrame:
    """One row per customer (per ``by`` group and customer, e.g. ``["rep"]``): revenue and orders over
    the ``months`` up to ``as_of``, last order date (any time up to ``as_of``), rank (largest revenue
    first; ties by name), ABC class by ABC_CLASS's rule within the group (net revenue below 0 counts as
    0), dormant (no order in the ``dormant_months`` up to ``as_of``), and the customer's open deals and
    pipeline when ``deals`` (``deal_facts`` rows) are given. Orders without a customer are left out."""
    by = list(by or [])
    as_of = pd.Timestamp(as_of).normalize()
    o = orders.loc[orders["customer"].notna() & (orders["date"] <= as_of)]
    start = window_start(as_of, months)
    recent = o["date"] >= start
    keys = [*by, "customer"]
    g = o.assign(revenue=o["amount"].where(recent, 0.0), orders=recent.astype("int64")).groupby(keys, sort=True)
    view = g.agg(revenue=("revenue", "sum"), orders=("orders", "sum"), last_order=("date", "max")).reset_index()
    view = view.sort_values([*by, "revenue", "customer"], ascending=[True] * len(by) + [False, True],
                            kind="stable").reset_index(drop=True)
    groups = view.groupby(by, sort=False) if by else [((), view)]
    view["rank"] = 0
    view["abc"] = "C"
    view["share"] = np.nan
    for _, part in groups:
        revenue = part["revenue"].clip(lower=0).to_numpy(dtype=float)
        view.loc[part.index, "rank"] = np.arange(1, len(part) + 1)
        view.loc[part.index, "abc"] = abc_class(revenue.tolist(), a_share, b_share) if len(part) else []
        total = revenue.sum()
        view.loc[part.index, "share"] = revenue / total if total > 0 else np.nan
    view["dormant"] = view["last_order"] < dormant_cutoff(as_of, dormant_months)
    if deals is not None and "customer" in deals:
        open_ = deals.loc[deals["is_open"] & deals["customer"].notna()]
        pipe = open_.groupby(keys)["amount"].agg(open_deals="size", open_pipeline="sum")
        view = view.join(pipe, on=keys)
        view["open_deals"] = view["open_deals"].fillna(0).astype("int64")
        view["open_pipeline"] = view["open_pipeline"].fillna(0.0)
    else:
        view["open_deals"], view["open_pipeline"] = 0, 0.0
    view["rank"] = view["rank"].astype("int64")
    return view


def window_start(as_of, months: int) -> pd.Timestamp:
    """The first day of the revenue window: ``months`` months back from the day after ``as_of``."""
    return pd.Timestamp(as_of).normalize() + pd.Timedelta(days=1) - pd.DateOffset(months=months)


def dormant_cutoff(as_of, months: int) -> pd.Timestamp:
    """A customer whose last order is before this day has had no order for ``months`` months (the
    workbook's EDATE(AsOf, −months))."""
    return pd.Timestamp(as_of).normalize() - pd.DateOffset(months=months)


def concentration(view: pd.DataFrame, by: list[str] | None = None, top_n: int = TOP_N,
                  top_share: float = TOP_SHARE) -> pd.DataFrame:
    """Per group (or the company): customers, revenue, the share of revenue of the top ``top_n``
    customers and of the top ``top_share`` of customers (rounded up, at least one), A/B/C counts and
    dormant customers. Net revenue below 0 counts as 0 in the shares."""
    by = list(by or [])
    rows = []
    for key, part in (view.groupby(by, sort=True) if by else [((), view)]):
        revenue = part.sort_values("rank")["revenue"].clip(lower=0).to_numpy(dtype=float)
        total = revenue.sum()
        top_k = max(1, int(np.ceil(top_share * len(part) - 1e-9))) if len(part) else 0
        row = dict(zip(by, key if isinstance(key, tuple) else (key,)))
        row.update(customers=len(part), revenue=float(part["revenue"].sum()),
                   top_n_share=float(revenue[:top_n].sum() / total) if total > 0 else np.nan,
                   top_share_customers=top_k,
                   top_share_share=float(revenue[:top_k].sum() / total) if total > 0 else np.nan,
                   a=int(part["abc"].eq("A").sum()), b=int(part["abc"].eq("B").sum()),
                   c=int(part["abc"].eq("C").sum()), dormant=int(part["dormant"].sum()))
        rows.append(row)
    return pd.DataFrame(rows)


def add_customers(result, orders: pd.DataFrame, a_share: float = 0.8, b_share: float = 0.95,
                  dormant_months: int = DORMANT_MONTHS):
    """The customers view of a ``FunnelResult``'s company and reps from ``orders`` (open deals from the
    result), set on the result and returned."""
    settings = {"a_share": a_share, "b_share": b_share, "dormant_months": dormant_months}
    result.customer_settings = settings
    result.customers = customer_view(orders, result.as_of, result.deals, **settings)
    result.rep_customers = customer_view(orders, result.as_of, result.deals, by=["rep"], **settings)
    return result
