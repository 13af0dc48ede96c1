"""Awards on top of commission: 月度销售之星 (star: top attainment), best team, fixed SPIFs.

Each function works on (reps × periods) arrays and returns the amount each rep gets per period.
Ties: every rep (or team) on the top attainment wins; with tie "share" they split the amount to the
cent (largest remainder: the extra cents go to the earlier reps in roster order), with "each"
every winner gets the full amount.
"""
from __future__ import annotations

import numpy as np

from xlsales.core.splitting import allocate


def _share(winners: np.ndarray, amount: float, tie: str) -> np.ndarray:
    """Amount per winner: (reps × periods) boolean → amounts."""
    if tie == "each":
        return np.where(winners, amount, 0.0)
    out = np.zeros(winners.shape)
    counts = winners.sum(axis=0)
    periods = np.flatnonzero(counts)
    if periods.size == 0:
        return out
    # Column-major positions so that each period's winners sit together, in roster order.
    rep_idx, per_idx = np.nonzero(winners.T)[1], np.nonzero(winners.T)[0]
    groups = np.searchsorted(periods, per_idx)
    units = np.full(periods.size, round(amount * 100))
    cents_each = allocate(units, np.ones(per_idx.size), groups)
    out[rep_idx, per_idx] = cents_each / 100
    return out


def star(attainment: np.ndarray, eligible: np.ndarray, amount: float, tie: str = "share",
         min_attainment: float = 0.0) -> np.ndarray:
    """The rep(s) with the top attainment in each period (among eligible reps)."""
    score = np.where(eligible & (attainment >= min_attainment), attainment, -np.inf)
    best = score.max(axis=0, initial=-np.inf)
    winners = (score == best) & np.isfinite(score)
    return _share(winners, amount, tie)


def best_team(achieved: np.ndarray, quota: np.ndarray, active: np.ndarray, teams: np.ndarray,
              amount: float, tie: str = "share", min_attainment: float = 0.0):
    """The team(s) with the top attainment (Σ achieved ÷ Σ quota of its reps) in each period.

    The amount goes to the winning team's active reps: shared between them, or in full to each
    with tie "each". Returns (amounts per rep, team attainment per rep).
    """
    codes, team_of = np.unique(teams.astype(str), return_inverse=True)
    n_teams = len(codes)
    team_ach = np.zeros((n_teams, achieved.shape[1]))
    team_quota = np.zeros_like(team_ach)
    np.add.at(team_ach, team_of, np.where(active, achieved, 0.0))
    np.add.at(team_quota, team_of, np.where(active, quota, 0.0))
    with np.errstate(divide="ignore", invalid="ignore"):
        team_att = np.where(team_quota > 0, team_ach / team_quota, -np.inf)
    team_att = np.where(team_att >= min_attainment, team_att, -np.inf)
    best = team_att.max(axis=0, initial=-np.inf)
    winning = (team_att == best) & np.isfinite(team_att)
    members = winning[team_of] & active & (teams.astype(str) != "")[:, None]
    return _share(members, amount, tie), team_att[team_of]


def spif(active: np.ndarray, chosen_reps: np.ndarray, chosen_periods: np.ndarray, amount: float) -> np.ndarray:
    """A fixed amount to each chosen, active rep in each chosen period."""
    return np.where(active & chosen_reps[:, None] & chosen_periods[None, :], amount, 0.0)
