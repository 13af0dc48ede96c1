"""Controlled rounding of a two-way table: whole units that add up across rows and down columns.

A rep × month table of exact shares (each rep's whole-unit year spread over months) is rounded so
that every row still adds up to its rep's year, every column adds up to the company's month total
rounded to the nearest unit (largest remainder over the months, so the months add up to the company
year), and every cell is its exact share rounded up or down, never further than one unit away.

Rounding rep by rep instead (largest remainder within each row) piles the spare units of every rep
into the same months, e.g. new customers phased Jan 40, Feb 9, Mar 26 and nothing in Oct–Dec.

The method (a transportation problem, solved by augmenting paths between columns):
1. every cell is rounded down; each row has d whole units still to place, each column e (its exact
   total rounded to the nearest unit, less what the round-downs put there);
2. each row places its d units on its d largest remainders (ties: the earlier column);
3. while a column holds more units than it should, a unit is moved along a shortest chain of rows
   towards a column that holds fewer (column a → b by a row with a unit in a and a remainder but no
   unit in b); moving keeps every row's total and every cell within one unit of its exact share, and
   the rows chosen are those that lose least (largest remainder in b less that in a);
4. in the rare table where the nearest-unit month totals cannot all be met together (months that no
   row links), the month totals of the columns stuck with a unit too many are rounded the other way
   (still within one unit of exact) and, to keep the year, others that can give one up.
"""
from __future__ import annotations

from collections import deque

import numpy as np

_MAX_ROUNDS = 100_000


def controlled_round(exact, row_totals=None) -> np.ndarray:
    """Whole numbers for an (n × k) table of non-negative ``exact`` shares whose rows add up to whole
    ``row_totals`` (default: the rows' sums, rounded). Returns the rounded table (float array)."""
    x = np.asarray(exact, dtype=float)
    if x.ndim != 2:
        raise ValueError("controlled_round: expected a two-way table")
    n, k = x.shape
    if n == 0 or k == 0:
        return np.zeros_like(x)
    totals = np.round(x.sum(axis=1)) if row_totals is None else np.round(np.asarray(row_totals, dtype=float))
    noise = max(1e-9, float(np.abs(x).max()) * 1e-12)
    floor = np.floor(x + noise)
    remainder = np.clip(x - floor, 0.0, None)
    open_ = remainder > noise                   # cells that may take one unit more
    need = np.round(totals - floor.sum(axis=1)).astype(np.int64)
    col_exact = remainder.sum(axis=0)           # what the columns' remainders add up to
    target, low, high = _nearest_columns(col_exact, int(need.sum()), noise)
    taken = _rows_largest(remainder, open_, need)
    _balance(taken, remainder, open_, target, low, high)
    return floor + taken


def _nearest_columns(col_exact: np.ndarray, total: int, noise: float):
    """Column targets: each column's exact sum to the nearest unit with the targets adding to
    ``total`` (largest remainder, ties to the earlier column); plus the floor and ceiling bounds."""
    low = np.floor(col_exact + noise)
    high = np.ceil(col_exact - noise)
    frac = np.where(high > low, col_exact - low, -1.0)
    missing = int(round(total - low.sum()))
    target = low.copy()
    if missing > 0:
        order = np.lexsort((np.arange(len(frac)), -np.round(frac / noise)))
        target[order[:missing]] += 1
    return target.astype(np.int64), low.astype(np.int64), high.astype(np.int64)


def _rows_largest(remainder, open_, need) -> np.ndarray:
    """Each row's ``need`` units on its largest open remainders (ties: the earlier column)."""
    n, k = remainder.shape
    key = np.where(open_, remainder, -1.0)
    order = np.argsort(-key, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(n)[:, None], order] = np.arange(k)[None, :]
    taken = (rank < need[:, None]) & open_
    if (taken.sum(axis=1) != need).any():
        raise ValueError("controlled_round: a row's total cannot be reached within one unit of its cells")
    return taken.astype(float)


def _balance(taken, remainder, open_, target, low, high) -> None:
    """Move units between columns (within rows) until every column holds its target."""
    k = taken.shape[1]
    for _ in range(_MAX_ROUNDS):
        held = taken.sum(axis=0).round().astype(np.int64)
        excess = held - target
        if not (excess > 0).any():
            return
        has = taken > 0.5
        can_take = open_ & ~has
        movable = has.T.astype(np.int64) @ can_take.astype(np.int64)  # [a, b]: rows that can move a → b
        np.fill_diagonal(movable, 0)
        path = _shortest_path(excess, movable)
        if path is None:
            _relax(excess, movable, target, low, high)
            continue
        amount = min(int(excess[path[0]]), int(-excess[path[-1]]),
                     *(int(movable[a, b]) for a, b in zip(path, path[1:])))
        for a, b in zip(path, path[1:]):
            rows = np.flatnonzero((taken[:, a] > 0.5) & open_[:, b] & (taken[:, b] < 0.5))
            loss = remainder[rows, a] - remainder[rows, b]
            chosen = rows[np.argsort(loss, kind="stable")[:amount]]
            taken[chosen, a] = 0.0
            taken[chosen, b] = 1.0
    raise RuntimeError("controlled_round: did not settle")  # pragma: no cover - a bug, not bad input


def _shortest_path(excess, movable):
    """Shortest chain of columns from one holding too many to one holding too few (BFS)."""
    k = len(excess)
    start = np.flatnonzero(excess > 0)
    parent = np.full(k, -2)
    parent[start] = -1
    queue = deque(start.tolist())
    while queue:
        a = queue.popleft()
        for b in np.flatnonzero(movable[a] > 0):
            if parent[b] != -2:
                continue
            parent[b] = a
            if excess[b] < 0:
                path = [int(b)]
                while parent[path[-1]] != -1:
                    path.append(int(parent[path[-1]]))
                return path[::-1]
            queue.append(int(b))
    return None


def _relax(excess, movable, target, low, high) -> None:
    """The columns reachable from an over-full one cannot pass units on: round their targets up and,
    to keep the total, round down targets elsewhere (both within one unit of the exact sums)."""
    k = len(excess)
    start = int(np.flatnonzero(excess > 0)[0])
    seen = np.zeros(k, dtype=bool)
    seen[start] = True
    queue = deque([start])
    while queue:
        a = queue.popleft()
        for b in np.flatnonzero((movable[a] > 0) & ~seen):
            seen[b] = True
            queue.append(int(b))
    up = np.flatnonzero(seen & (target < high))
    up = up[np.argsort(-excess[up], kind="stable")]
    down = np.flatnonzero(~seen & (target > low))
    if len(up) == 0 or len(down) == 0:
        raise RuntimeError("controlled_round: no month total can give way")  # pragma: no cover
    # Prefer lowering the columns that hold too few (their shortfall shrinks), then any other.
    down = down[np.argsort(excess[down] >= 0, kind="stable")]
    target[up[0]] += 1
    target[down[0]] -= 1
