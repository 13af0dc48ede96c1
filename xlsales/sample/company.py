"""The built-in sample company: reps in five regions and their orders, generated from a seed.

It exercises what a plan must handle: veterans, reps hired in the middle of last year and early in
the plan year (ramping up), reps who left in the last twelve months, one who leaves during the plan year and hands
over to a named successor in the same team (whose orders then include the leaver's customers), and
ability grades 初级 / 中级 / 高级 (by productivity).

Everything is drawn from one ``numpy`` Generator in a fixed order, so the same arguments always give
the same frames. Generation works on whole arrays (rep × month, then orders), never row by row.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlsales.sample.names import company_names, person_names

START = pd.Timestamp("2024-01-01")

REGIONS = ("华东", "华南", "华北", "西南", "华中")
REGION_SHARE = np.array([0.28, 0.22, 0.20, 0.15, 0.15])
TEAM_NUMBERS = "一二三四五六七八九十"

# Monthly seasonality, Jan..Dec: Spring Festival trough, quarter-end peaks, the June and December pushes.
SEASONALITY = np.array([0.75, 0.55, 1.05, 0.90, 0.95, 1.25, 0.85, 0.85, 1.10, 0.80, 1.00, 1.45])
# Year-on-year growth by region (华东, 华南, 华北, 西南, 华中): the company grows ~12%, not evenly.
REGION_GROWTH = np.array([0.12, 0.18, 0.05, 0.15, 0.10])
ORDERS_PER_MONTH = 14.0  # for a fully ramped, average rep in an average month of the first year
ORDER_SIZE_MEDIAN = 11_000.0
ORDER_SIZE_SIGMA = 0.6
AVERAGE_ORDER = 30_000.0  # the mean order size that the above gives, after product and account size
RAMP_MONTHS = 4  # new hires ramp 25/50/75/100 % over their first four months, as the plan assumes
GRADES = ("初级", "中级", "高级")  # junior, intermediate, senior: by productivity terciles

PRODUCTS = ("云ERP企业版", "云ERP标准版", "数据中台", "实施服务", "运维服务")
KEY_PRODUCT = "云ERP企业版"
PRODUCT_SHARE = np.array([0.22, 0.30, 0.18, 0.18, 0.12])
KEY_PRODUCT_SHIFT = 0.10  # the key product's share of orders rises by this much over the sample
PRODUCT_SIZE = np.array([1.8, 0.8, 1.2, 0.6, 0.4])  # relative deal size by product


@dataclass(frozen=True)
class SampleCompany:
    reps: pd.DataFrame
    orders: pd.DataFrame
    start: pd.Timestamp
    as_of: pd.Timestamp
    seed: int = 7

    @property
    def plan_year(self) -> int:
        """The year being planned: the current one, or the next once a whole year is closed."""
        return self.as_of.year + 1 if self.as_of.month == 12 else self.as_of.year


def sample_company(seed: int = 7, reps: int = 40, months: int = 30) -> SampleCompany:
    if reps < 1 or months < 1:
        raise ValueError("the sample company needs at least one rep and one month")
    rng = np.random.default_rng(seed)
    as_of = START + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    people = _reps(rng, reps, as_of)
    orders = _orders(rng, people, months, as_of)
    return SampleCompany(reps=people.frame, orders=orders, start=START, as_of=as_of, seed=seed)


# ---------------------------------------------------------------- reps


@dataclass(frozen=True)
class _People:
    frame: pd.DataFrame
    productivity: np.ndarray  # relative to the average rep
    left: np.ndarray  # datetime64: last day with orders (as_of for those still active)
    successor: np.ndarray  # index of the rep who takes over a leaver's customers, -1 for none


def _reps(rng: np.random.Generator, count: int, as_of: pd.Timestamp) -> _People:
    region = np.sort(rng.choice(len(REGIONS), count, p=REGION_SHARE))
    team, team_names = _teams(region)
    names = person_names(rng, count)
    managers = person_names(rng, len(team_names), exclude=set(names.tolist()))
    hire = _hire_dates(rng, count, as_of)
    productivity = np.clip(rng.lognormal(0.0, 0.35, count), 0.45, 2.2)
    productivity /= productivity.mean()
    left, active = _leavers(rng, hire, as_of)
    successor = _successors(region, team, hire, left, active, as_of)
    # Market potential: what a fully ramped rep of this productivity would sell in a year, with headroom.
    potential = np.round(12 * ORDERS_PER_MONTH * AVERAGE_ORDER * productivity * 1.6
                         * rng.lognormal(0.0, 0.25, count), -4)
    frame = pd.DataFrame({
        "rep": names,
        "region": np.array(REGIONS)[region],
        "team": team_names[team],
        "manager": managers[team],
        "hire_date": hire,
        "potential": potential,
        "active": active,
        "leave_date": pd.to_datetime(np.where(active, np.datetime64("NaT"), left)),
        "successor": np.where(successor >= 0, names[np.maximum(successor, 0)], None),
        "grade": np.array(GRADES)[np.searchsorted(np.quantile(productivity, [1 / 3, 2 / 3]), productivity)],
    })
    return _People(frame, productivity, left, successor)


def _teams(region: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Team of each rep (index into the names) and the names: 2–3 teams in a region of ~10, about one per 5 reps."""
    team = np.empty(len(region), dtype=int)
    names: list[str] = []
    for r, label in enumerate(REGIONS):
        members = np.flatnonzero(region == r)
        if len(members) == 0:
            continue
        count = max(1, int(np.ceil(len(members) / 5)))
        team[members] = len(names) + np.arange(len(members)) * count // len(members)
        names += [f"{label}{_team_number(i)}组" for i in range(count)]
    return team, np.array(names)


def _team_number(i: int) -> str:
    return TEAM_NUMBERS[i] if i < len(TEAM_NUMBERS) else str(i + 1)


def _hire_dates(rng: np.random.Generator, count: int, as_of: pd.Timestamp) -> np.ndarray:
    """Most reps hired before the data starts; ~12% mid last year and ~6% early this plan year ramp up."""
    plan_year = as_of.year + 1 if as_of.month == 12 else as_of.year
    veteran = _days_between(rng, count, "2016-03-01", "2023-10-31")
    mid_last = _days_between(rng, count, f"{plan_year - 1}-04-01", f"{plan_year - 1}-09-30")
    this_year = _days_between(rng, count, f"{plan_year}-01-02", f"{plan_year}-04-30")
    kind = rng.random(count)
    hire = np.where(kind < 0.12, mid_last, np.where(kind < 0.18, this_year, veteran))
    # At least one of each kind, so ramp-up always shows even in a small sample.
    if count >= 10:
        hire[-1], hire[-2] = this_year[-1], mid_last[-2]
    return hire.astype("datetime64[ns]")


def _days_between(rng, count, first, last) -> np.ndarray:
    first, last = np.datetime64(first, "D"), np.datetime64(last, "D")
    return first + rng.integers(0, int((last - first).astype(int)) + 1, count).astype("timedelta64[D]")


def _leavers(rng, hire: np.ndarray, as_of: pd.Timestamp) -> tuple[np.ndarray, np.ndarray]:
    """About 5% of the veterans left in the last year: no orders after they left, ``active`` False.
    In a sample of 10 reps or more, one veteran leaves in the plan year (early in its second quarter)."""
    end = np.datetime64(as_of.date(), "D")
    veteran = hire < np.datetime64("2024-01-01")
    leaving = veteran & (rng.random(len(hire)) < 0.05)
    left_on = end - rng.integers(30, 365, len(hire)).astype("timedelta64[D]")
    plan_year = as_of.year + 1 if as_of.month == 12 else as_of.year
    in_plan_year = np.datetime64(f"{plan_year}-04-15", "D")
    stayers = np.flatnonzero(veteran & ~leaving)
    if len(hire) >= 10 and len(stayers) and in_plan_year < end:
        pick = stayers[len(stayers) // 3]
        leaving[pick], left_on[pick] = True, in_plan_year
    left = np.where(leaving, left_on, end).astype("datetime64[ns]")
    return left, ~leaving


def _successors(region, team, hire, left, active, as_of) -> np.ndarray:
    """Who takes over a leaver's customers: for those who leave in the plan year, the longest-serving
    rep still in the same team. Those who left before it have none (their region re-splits)."""
    plan_year = as_of.year + 1 if as_of.month == 12 else as_of.year
    successor = np.full(len(region), -1)
    for i in np.flatnonzero(~active & (left >= np.datetime64(f"{plan_year}-01-01"))):
        mates = np.flatnonzero((team == team[i]) & active)
        if len(mates):
            successor[i] = mates[np.argmin(hire[mates])]
    return successor


# ---------------------------------------------------------------- orders


def _orders(rng: np.random.Generator, people: _People, months: int, as_of: pd.Timestamp) -> pd.DataFrame:
    reps = people.frame
    month_starts = pd.date_range(START, periods=months, freq="MS").to_numpy()
    expected = _expected_orders(people, month_starts)  # rep × month
    counts = rng.poisson(expected).ravel()  # rep-major: rep 0's months, then rep 1's, ...
    rep_idx = np.repeat(np.repeat(np.arange(len(reps)), months), counts)
    month_idx = np.repeat(np.tile(np.arange(months), len(reps)), counts)
    dates = _order_dates(rng, month_starts[month_idx], reps["hire_date"].to_numpy()[rep_idx],
                         people.left[rep_idx])
    product = _products(rng, month_idx / max(months - 1, 1))
    customers, customer_scale, customer_idx = _customers(rng, people, rep_idx)
    size = rng.lognormal(np.log(ORDER_SIZE_MEDIAN), ORDER_SIZE_SIGMA, len(rep_idx))
    amount = np.clip(size * PRODUCT_SIZE[product] * customer_scale[customer_idx], 5_000, 500_000).round(-1)
    collected = _collected(rng, amount, dates, as_of)
    by_date = np.lexsort((rep_idx, dates))  # sort the numbers first: moving strings around is slow
    rep_idx, customer_idx, product = rep_idx[by_date], customer_idx[by_date], product[by_date]
    return pd.DataFrame({
        "date": dates[by_date],
        "rep": _texts(reps["rep"], rep_idx),
        "amount": amount[by_date],
        "region": _texts(reps["region"], rep_idx),
        "team": _texts(reps["team"], rep_idx),
        "customer": _texts(customers, customer_idx),
        "product": _texts(PRODUCTS, product),
        "collected": collected[by_date],
    })


def _texts(values, positions: np.ndarray):
    """``values[positions]`` as pandas text, picked from the few distinct values (fast for millions of rows)."""
    return pd.array(np.asarray(values, dtype=object), dtype="str")[positions]


def _expected_orders(people: _People, month_starts: np.ndarray) -> np.ndarray:
    """Expected order count per rep and month: productivity × season × growth × ramp-up, zero outside tenure."""
    months = np.arange(len(month_starts))
    calendar_month = pd.DatetimeIndex(month_starts).month.to_numpy() - 1
    region = pd.Index(REGIONS).get_indexer(people.frame["region"])
    growth = (1 + REGION_GROWTH[region])[:, None] ** (months / 12)[None, :]
    trend = SEASONALITY[calendar_month][None, :] * growth
    hire = people.frame["hire_date"].to_numpy()
    tenure = (month_starts[None, :] - hire[:, None]) / np.timedelta64(30, "D")  # months in the job
    ramp = np.clip((tenure + 1) / RAMP_MONTHS, 0, 1)
    employed = _employed_share(month_starts, hire, people.left)
    expected = ORDERS_PER_MONTH * people.productivity[:, None] * trend * ramp
    # A successor serves the leaver's customers too, from the month after the leaver's last day.
    inherited = np.zeros_like(expected)
    for leaver in np.flatnonzero(people.successor >= 0):
        gone = month_starts[None, :] > people.left[leaver]
        inherited[people.successor[leaver]] += (expected[leaver] * gone[0]) * 0.85  # a few customers drift away
    return expected * employed + inherited * employed


def _employed_share(month_starts: np.ndarray, hire: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Share of each month's days a rep is employed (rep × month): a rep who leaves on the 3rd sells
    three days' worth that month, not a month's worth crammed into three days."""
    start = month_starts.astype("datetime64[D]")
    end = (month_starts.astype("datetime64[M]") + 1).astype("datetime64[D]")  # the next month's first day
    first = np.maximum(start[None, :], hire.astype("datetime64[D]")[:, None])
    last = np.minimum(end[None, :], left.astype("datetime64[D]")[:, None] + 1)
    return np.clip((last - first).astype(int), 0, None) / (end - start).astype(int)[None, :]


def _order_dates(rng, month_start, hired, left) -> np.ndarray:
    """A day in the order's month, after the hire and before leaving; quarter-end months bunch at the end."""
    start = month_start.astype("datetime64[D]")
    days = ((start.astype("datetime64[M]") + 1).astype("datetime64[D]") - start).astype(int)
    first = np.maximum(start, hired.astype("datetime64[D]"))
    last = np.minimum(start + days - 1, left.astype("datetime64[D]"))
    span = np.maximum((last - first).astype(int), 0) + 1
    quarter_end = (start.astype("datetime64[M]").astype(int) % 12) % 3 == 2
    u = rng.random(len(start))
    u = np.where(quarter_end, u**0.6, u)  # pushes quarter-end orders towards the last days
    return (first + np.floor(u * span).astype(int).astype("timedelta64[D]")).astype("datetime64[ns]")


def _products(rng, progress: np.ndarray) -> np.ndarray:
    """Product of each order; ``progress`` (0 at the start, 1 at the end) lifts the key product's share."""
    key = PRODUCTS.index(KEY_PRODUCT)
    share = np.tile(PRODUCT_SHARE, (len(progress), 1))
    lift = KEY_PRODUCT_SHIFT * progress
    others = np.arange(len(PRODUCTS)) != key
    share[:, others] *= (1 - PRODUCT_SHARE[key] - lift)[:, None] / PRODUCT_SHARE[others].sum()
    share[:, key] += lift
    # Inverse CDF: one uniform per order against that order's cumulative shares.
    return (rng.random(len(progress))[:, None] > np.cumsum(share, axis=1)[:, :-1]).sum(axis=1)


def _customers(rng, people: _People, rep_idx: np.ndarray):
    """Each rep has a book of 6–20 customers with Pareto-sized accounts; a rep's big accounts order most."""
    n = len(people.frame)
    book = rng.integers(6, 21, n)
    first = np.concatenate([[0], np.cumsum(book)[:-1]])
    names = company_names(rng, int(book.sum()))
    scale = np.minimum(rng.pareto(1.6, int(book.sum())) + 0.4, 4.0)
    # A skewed pick within the book: low positions are chosen most...
    pick = np.floor(book[rep_idx] * rng.random(len(rep_idx)) ** 2.2).astype(int)
    customer_idx = first[rep_idx] + pick
    # ...and each book is sorted by scale, largest first, so those are the big accounts.
    ranked = np.lexsort((-scale, np.repeat(np.arange(n), book)))
    return names[ranked], scale[ranked], customer_idx


def _collected(rng, amount: np.ndarray, dates: np.ndarray, as_of: pd.Timestamp) -> np.ndarray:
    """回款 lags the order: most old orders are paid in full, recent ones partly or not yet."""
    age = (np.datetime64(as_of.date(), "D") - dates.astype("datetime64[D]")).astype(int)
    paid_in_full = rng.random(len(amount)) < 1 - np.exp(-age / 75)
    partial = np.where(rng.random(len(amount)) < 0.5, rng.uniform(0.3, 0.9, len(amount)), 0.0)
    share = np.where(paid_in_full, 1.0, partial)
    bad_debt = rng.random(len(amount)) < 0.02  # a few never fully paid
    share = np.where(bad_debt, np.minimum(share, 0.6), share)
    return np.floor(amount * share * 100) / 100
