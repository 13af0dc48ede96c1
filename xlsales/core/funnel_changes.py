"""What changed in the pipeline between two dates (week over week), reconciled to the cent.

Two views of the same deals, ``earlier`` and ``now`` (snapshots of the opportunities file, or both
rebuilt from stage events with ``funnel_history.deals_as_of``), each seen from its own as-of date by
``deal_facts``'s rules. A deal's changes:

- **new**: open now, not in the earlier view at all (created since);
- **reopened**: open now, closed (won or lost) in the earlier view;
- **won** / **lost**: open earlier, won / lost now;
- **removed**: open earlier, gone from the current view (deleted or merged in the CRM);
- **moved forward** / **moved back**: open in both, at a later / earlier stage now;
- **close date pushed**: open in both, expected close later now; *pushes* counts how often: the rise
  in close_date_changes, and at least 1 for a deal whose close date moved later;
  **pulled in**: the expected close moved earlier;
- **amount up** / **amount down**: open in both, a larger / smaller amount now;
- **moved in** / **moved out**: open earlier and with another rep (team) now, whether still open or
  closed since: the earlier amount leaves the earlier rep's pipeline and enters the current rep's
  (who then won, lost or still holds it).

Reconciliation, per rep, per team and for the company (whole cents, so it holds exactly):

    open earlier + new + reopened − won − lost − removed + moved in − moved out + amount up − amount down
        = open now

Won, lost and removed take the amount the deal had in the earlier pipeline; new, reopened and open now
take today's amount; amount up/down is the change of deals open in both. Stage moves and pushes are
counted (with their current amount) but move no money. Open earlier, removed and moved out count for
the earlier rep; everything else for the current rep.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlsales.core.funnel_analysis import NO_TEAM, seen_on
from xlsales.core.stages import complete_stages
from xlsales.errors import InputError

# The money flow, in order, with the sign it has in the reconciliation.
FLOWS = (("open_before", 1), ("new", 1), ("reopened", 1), ("won", -1), ("lost", -1), ("removed", -1),
         ("moved_in", 1), ("moved_out", -1), ("amount_up", 1), ("amount_down", -1))
# Counts of deals (and pushes) that do not move money.
MOVES = ("forward", "back", "pushed", "pushes", "pulled_in")
CHANGE_COLUMNS = tuple(
    [f"{name}_deals" for name, _ in FLOWS] + ["open_now_deals"] + [f"{name}_amount" for name, _ in FLOWS]
    + ["open_now_amount"] + [f"{m}_deals" if m != "pushes" else m for m in MOVES]
    + ["forward_amount", "back_amount", "pushed_amount", "difference"])


@dataclass
class PipelineChanges:
    earlier_as_of: pd.Timestamp
    as_of: pd.Timestamp
    deals: pd.DataFrame      # one row per deal seen open in either view, with its changes
    by_rep: pd.DataFrame     # rep, team, then CHANGE_COLUMNS
    by_team: pd.DataFrame    # team, then CHANGE_COLUMNS
    total: pd.Series         # CHANGE_COLUMNS for the company


def _view(deals: pd.DataFrame, stages: pd.DataFrame, as_of) -> dict:
    """The columns the comparison needs, as arrays, for the deals known on ``as_of`` (``seen_on``)."""
    seen = seen_on(deals, stages, as_of)
    known = seen["known"]
    if not known.all():
        deals = deals.loc[known]
        seen = {k: v[known] for k, v in seen.items()}
    if (seen["stage_no"] == 0).any():
        unknown = deals["stage"].iloc[int(np.flatnonzero(seen["stage_no"] == 0)[0])]
        raise InputError(f"stage: {unknown!r} is not a stage of the stage table")
    team = deals["team"] if "team" in deals else pd.Series(NO_TEAM, index=deals.index)
    changes = deals["close_date_changes"] if "close_date_changes" in deals else pd.Series(0, index=deals.index)
    return {"id": deals["id"], "rep": deals["rep"], "team": team.fillna(NO_TEAM),
            "stage_no": seen["stage_no"], "status": seen["status"],
            "cents": np.round(deals["amount"].to_numpy(dtype=float) * 100).astype(np.int64),
            "close": deals["expected_close"].to_numpy(dtype="datetime64[ns]"),
            "changes": changes.fillna(0).to_numpy(dtype=np.int64)}


def _codes(a: pd.Series, b: pd.Series, sort: bool = False):
    """Codes of the values of ``a`` and of ``b`` in one numbering, and the values (sorted if asked)."""
    codes, uniques = pd.factorize(pd.concat([a, b], ignore_index=True), sort=sort)
    return codes[: len(a)], codes[len(a):], pd.Index(uniques)


def _spread(values: np.ndarray, positions: np.ndarray, fill) -> np.ndarray:
    """values[positions], with ``fill`` where the position is -1 (the deal is not in that view)."""
    out = np.full(len(positions), fill, dtype=np.result_type(values.dtype, np.asarray(fill).dtype)
                  if values.dtype.kind != "M" else values.dtype)
    hit = positions >= 0
    out[hit] = values[positions[hit]]
    return out


def compare_pipeline(earlier: pd.DataFrame, now: pd.DataFrame, stages: pd.DataFrame, earlier_as_of,
                     as_of) -> PipelineChanges:
    """The changes between the ``earlier`` deals seen on ``earlier_as_of`` and ``now`` on ``as_of``."""
    stages = complete_stages(stages)
    earlier_as_of, as_of = pd.Timestamp(earlier_as_of).normalize(), pd.Timestamp(as_of).normalize()
    a, b = _view(earlier, stages, earlier_as_of), _view(now, stages, as_of)
    id_a, id_b, ids = _codes(a["id"], b["id"])
    pos_a, pos_b = np.full(len(ids), -1, np.int64), np.full(len(ids), -1, np.int64)
    pos_a[id_a], pos_b[id_b] = np.arange(len(id_a)), np.arange(len(id_b))
    in_a, in_b = pos_a >= 0, pos_b >= 0
    status_a, status_b = _spread(a["status"], pos_a, -1), _spread(b["status"], pos_b, -1)
    open_a, open_b = status_a == 0, status_b == 0
    keep = np.flatnonzero(open_a | open_b)                 # the deals in either open pipeline
    pos_a, pos_b, in_a, in_b = pos_a[keep], pos_b[keep], in_a[keep], in_b[keep]
    status_a, status_b, open_a, open_b = status_a[keep], status_b[keep], open_a[keep], open_b[keep]
    cents_a, cents_b = _spread(a["cents"], pos_a, 0), _spread(b["cents"], pos_b, 0)
    stage_a, stage_b = _spread(a["stage_no"], pos_a, 0), _spread(b["stage_no"], pos_b, 0)
    close_a = _spread(a["close"], pos_a, np.datetime64("NaT"))
    close_b = _spread(b["close"], pos_b, np.datetime64("NaT"))
    both = open_a & open_b
    delta = np.where(both, cents_b - cents_a, 0)
    later = both & (close_b > close_a)
    more = np.where(both, _spread(b["changes"], pos_b, 0) - _spread(a["changes"], pos_a, 0), 0)
    pushes = np.where(both, np.maximum(more, later.astype(np.int64)), 0).astype(np.int64)
    flags = {
        "in_a": in_a, "in_b": in_b, "open_before": open_a, "new": open_b & ~in_a, "reopened": open_b & in_a & ~open_a,
        "won": open_a & (status_b == 1), "lost": open_a & (status_b == 2), "removed": open_a & ~in_b,
        "amount_up": delta > 0, "amount_down": delta < 0, "open_now": open_b,
        "forward": both & (stage_b > stage_a), "back": both & (stage_b < stage_a), "pushed": pushes > 0,
        "pulled_in": both & (close_b < close_a),
    }
    cents = {"open_before": cents_a, "new": cents_b, "reopened": cents_b, "won": cents_a, "lost": cents_a,
             "removed": cents_a, "moved_in": cents_a, "moved_out": cents_a, "amount_up": np.maximum(delta, 0),
             "amount_down": np.maximum(-delta, 0), "open_now": cents_b,
             "forward": cents_b, "back": cents_b, "pushed": cents_b, "pulled_in": cents_b}
    # Rep and team in one numbering across both views; -1 where the deal is not in a view.
    keys = {}
    for key in ("rep", "team"):
        code_a, code_b, names = _codes(a[key], b[key], sort=True)
        before = _spread(code_a, pos_a, -1)
        now_code = np.where(in_b, _spread(code_b, pos_b, -1), before)
        keys[key] = (before, now_code, names)
    by_rep = _sum_by(keys["rep"], flags, cents, pushes, "rep")
    by_team = _sum_by(keys["team"], flags, cents, pushes, "team")
    rep_before, rep_now, rep_names = keys["rep"]
    team_before, team_now, team_names = keys["team"]
    deals = pd.DataFrame({
        "id": ids.take(keep).array,
        "rep": _names(rep_names, rep_now), "team": _names(team_names, team_now),
        "rep_before": _names(rep_names, rep_before), "team_before": _names(team_names, team_before),
        "stage_before": _stage_names(stages, stage_a), "stage": _stage_names(stages, stage_b),
        "status_before": _status_names(status_a), "status": _status_names(status_b),
        "amount_before": np.where(in_a, cents_a / 100, np.nan), "amount": np.where(in_b, cents_b / 100, np.nan),
        "close_before": close_a, "close": close_b, "pushes": pushes,
        **{f"is_{k}": v for k, v in flags.items() if k not in ("in_a", "in_b")},
        "reassigned": open_a & in_b & (rep_before != rep_now),
    })
    team_of = pd.Series(_team_of_rep(rep_now, team_now, rep_names, team_names), index=rep_names.to_numpy(dtype=object))
    by_rep.insert(1, "team", by_rep["rep"].map(team_of).fillna(NO_TEAM))
    total = by_team[list(CHANGE_COLUMNS)].sum()
    return PipelineChanges(earlier_as_of, as_of, deals, by_rep, by_team, total)


def _names(names, codes: np.ndarray) -> pd.Categorical:
    """Names by code (-1: blank) as a categorical: a million labels without a million strings."""
    return pd.Categorical.from_codes(codes, categories=pd.Index(names))


def _status_names(codes: np.ndarray) -> pd.Categorical:
    return _names(["open", "won", "lost"], codes)


def _stage_names(stages: pd.DataFrame, stage_no: np.ndarray) -> pd.Categorical:
    return _names(stages["stage"], stage_no - 1)


def _team_of_rep(rep: np.ndarray, team: np.ndarray, reps: pd.Index, teams: pd.Index) -> np.ndarray:
    """Each rep's team now: the team of most of the rep's deals (ties: the first team by name)."""
    ok = (rep >= 0) & (team >= 0)
    counts = np.bincount(rep[ok] * len(teams) + team[ok], minlength=len(reps) * len(teams))
    counts = counts.reshape(len(reps), len(teams))
    best = counts.argmax(axis=1)
    return np.where(counts.max(axis=1) > 0, teams.to_numpy(dtype=object)[best], NO_TEAM)


def _sum_by(keys, flags: dict, cents: dict, pushes: np.ndarray, key: str) -> pd.DataFrame:
    """Per group (rep or team): count and amount of each flow and move; whole cents, so exact."""
    code_before, code_now, groups = keys
    moved = flags["open_before"] & flags["in_b"] & (code_now != code_before)
    n = len(groups)
    deals, sums = {}, {}

    def add(name, flag, weights, codes):
        mask = flag & (codes >= 0)
        deals[name] = np.bincount(codes[mask], minlength=n).astype(np.int64)
        # Sums of whole cents in float64 are exact up to 2**53 cents (90 trillion yuan).
        sums[name] = np.bincount(codes[mask], weights=weights[mask].astype(np.float64), minlength=n)

    for name, _ in FLOWS:
        flag = moved if name in ("moved_in", "moved_out") else flags[name]
        add(name, flag, cents[name], code_before if name in ("open_before", "moved_out", "removed") else code_now)
    for name in ("open_now", "forward", "back", "pushed", "pulled_in"):
        add(name, flags[name], cents[name], code_now)
    sums["pushes"] = np.bincount(code_now[code_now >= 0], weights=pushes[code_now >= 0], minlength=n)
    out = {key: groups.to_numpy(dtype=object)}
    for name, _ in (*FLOWS, ("open_now", 0)):
        out[f"{name}_deals"] = deals[name]
    for name, _ in (*FLOWS, ("open_now", 0)):
        out[f"{name}_amount"] = sums[name] / 100
    for name in ("forward", "back", "pushed"):
        out[f"{name}_deals"] = deals[name]
    out["pushes"] = sums["pushes"].astype(np.int64)
    out["pulled_in_deals"] = deals["pulled_in"]
    for name in ("forward", "back", "pushed"):
        out[f"{name}_amount"] = sums[name] / 100
    out["difference"] = (sums["open_now"] - sum(sign * sums[name] for name, sign in FLOWS)) / 100
    frame = pd.DataFrame(out)[[key, *CHANGE_COLUMNS]]
    # Only groups with something in either pipeline.
    active = (frame["open_before_deals"] + frame["open_now_deals"] + frame["moved_in_deals"]
              + frame["moved_out_deals"]) > 0
    return frame.loc[active].reset_index(drop=True)


def reconciliation(changes: pd.Series | dict) -> list[tuple[str, int, float]]:
    """The bridge from the earlier open pipeline to the current one: (flow, sign, amount) rows, then
    ("open_now", 0, amount). Σ sign × amount of the flows = open now."""
    rows = [(name, sign, float(changes[f"{name}_amount"])) for name, sign in FLOWS]
    return rows + [("open_now", 0, float(changes["open_now_amount"]))]
