"""Which memos a review cycle produces, and for whom.

For the month that holds ``as_of`` (and its quarter):
- ``monthly`` and ``quarterly`` reviews of the company, and of each team with ``by_team``;
- a ``coaching`` memo for every rep below the pace line in the month;
- a commission ``statement`` for every rep the commission result pays in the month.

File stems: ``monthly-2026-06``, ``monthly-2026-06-team-<team>``, ``quarterly-2026-Q2``,
``quarterly-2026-Q2-team-<team>``,
``coaching-2026-06-<rep>``, ``statement-2026-06-<rep>`` (names made file-safe, Chinese kept).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from xlsales.core.coaching import recent_daily_pace
from xlsales.core.review import measure_events
from xlsales.memos import sources
from xlsales.memos.coaching import coaching_context
from xlsales.memos.context import rep_pacing, review_context, roster
from xlsales.memos.periods import Period, period as make_period
from xlsales.memos.statement import statement_context
from xlsales.memos.write import FORMATS, render_and_write, safe_name

KINDS = ("monthly", "quarterly", "coaching", "statement")


@dataclass
class MemoInputs:
    orders: pd.DataFrame
    reps: pd.DataFrame
    targets: pd.DataFrame          # rep, month, target (or pass a TargetPlan to ``memo_inputs``)
    month: Period
    company: str = ""
    funnel: object = None          # xlsales.core.funnel_analysis.FunnelResult
    commission: object = None      # xlsales.core.payouts.CommissionResult
    measure_targets: pd.DataFrame | None = None   # measure, rep, month, target of the measures beyond revenue
    key_product: str | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def events(self) -> pd.DataFrame:
        """Every order line up to as_of as measure events (``core.review.measure_events``), computed once."""
        if "events" not in self._cache:
            dates = pd.to_datetime(self.orders["date"])
            self._cache["events"] = measure_events(self.orders[dates <= self.month.as_of], self.key_product)
        return self._cache["events"]

    def _split(self, name: str, frame: pd.DataFrame | None, reps):
        """Rows of ``frame`` for these reps, from the frame split by rep once."""
        if frame is None:
            return None
        if name not in self._cache:
            self._cache[name] = (dict(tuple(frame.groupby(frame["rep"].astype(str), sort=False))), frame.iloc[:0])
        parts, empty = self._cache[name]
        picked = [parts[r] for r in reps if r in parts]
        return pd.concat(picked) if picked else empty

    def extras(self, reps=None) -> dict:
        """The review's optional inputs (comparisons, other measures, wins) for these reps (all when None)."""
        deals = self.funnel.deals if self.funnel is not None else None
        if reps is None:
            return {"events": self.events, "measure_targets": self.measure_targets, "deals": deals}
        reps = list(reps)
        return {"events": self._split("events_by_rep", self.events, reps),
                "measure_targets": self._split("measure_targets_by_rep", self.measure_targets, reps),
                "deals": self._split("deals_by_rep", deals, reps)}

    @property
    def quarter(self) -> Period:
        return make_period(f"{self.month.start.year}-Q{(self.month.start.month - 1) // 3 + 1}", self.month.as_of)

    def people(self) -> pd.DataFrame:
        if "people" not in self._cache:
            self._cache["people"] = roster(self.reps, self.targets, self.orders)
        return self._cache["people"]

    def _groups(self):
        """Orders of the plan year and the year before up to as_of, and targets, split by rep once (memos
        then read a few reps)."""
        if "orders_by_rep" not in self._cache:
            dates = pd.to_datetime(self.orders["date"])
            since = self.month.year_start - pd.DateOffset(years=1)   # last year too, for the comparisons
            year = self.orders[(dates >= since) & (dates <= self.month.as_of)]
            self._cache["orders_by_rep"] = dict(tuple(year.groupby("rep", sort=False)))
            self._cache["targets_by_rep"] = dict(tuple(self.targets.groupby("rep", sort=False)))
            self._cache["empty"] = (year.iloc[:0], self.targets.iloc[:0])
        return self._cache["orders_by_rep"], self._cache["targets_by_rep"], self._cache["empty"]

    def subset(self, reps) -> tuple[pd.DataFrame, pd.DataFrame]:
        """This year's and last year's orders and the targets of just these reps."""
        orders, targets, (no_orders, no_targets) = self._groups()
        reps = list(reps)
        o = [orders[r] for r in reps if r in orders]
        t = [targets[r] for r in reps if r in targets]
        return (pd.concat(o) if o else no_orders), (pd.concat(t) if t else no_targets)

    def funnel_of(self, reps) -> dict | None:
        """The funnel of these reps, from the funnel analysis split by rep once."""
        if self.funnel is None:
            return None
        if "funnel_by_rep" not in self._cache:
            frames = (self.funnel.stage_by_rep, self.funnel.by_rep, self.funnel.forecast)
            self._cache["funnel_by_rep"] = [dict(tuple(f.groupby("rep", sort=False))) for f in frames]
            self._cache["funnel_empty"] = [f.iloc[:0] for f in frames]
        picked = tuple(pd.concat([part[r] for r in reps if r in part]) if any(r in part for r in reps) else empty
                       for part, empty in zip(self._cache["funnel_by_rep"], self._cache["funnel_empty"]))
        return sources.group_funnel(self.funnel, reps, picked)

    def team_of(self, rep: str) -> list[str]:
        """The rep's team mates (the rep included), or just the rep when it has no team."""
        people = self.people()
        team = people.loc[people["rep"] == rep, "team"]
        if len(team) == 0 or not team.iloc[0]:
            return [rep]
        return people.loc[people["team"] == team.iloc[0], "rep"].tolist()

    def pacing(self) -> pd.DataFrame:
        """The month's pacing of every rep (computed once)."""
        if "pacing" not in self._cache:
            table = rep_pacing(self.orders, self.targets, self.people(), self.month)
            recent = recent_daily_pace(self.orders, self.month.as_of)
            self._cache["pacing"] = table.assign(recent_daily=table["rep"].map(recent).fillna(0.0))
        return self._cache["pacing"]

    def laggards(self) -> list[str]:
        table = self.pacing()
        return sorted(table.loc[table["below_pace"], "rep"])

    def laggard_set(self) -> set[str]:
        if "laggards" not in self._cache:
            self._cache["laggards"] = set(self.laggards())
        return self._cache["laggards"]

    def paid_set(self) -> set[str]:
        if "paid" not in self._cache:
            self._cache["paid"] = set(self.paid_reps())
        return self._cache["paid"]

    def paid_reps(self) -> list[str]:
        if self.commission is None:
            return []
        pno = self._pno()
        return sorted(self.commission.payouts.loc[self.commission.payouts["pno"] == pno, "rep"].astype(str))

    def _pno(self) -> int:
        from xlsales.core import periods as commission_periods
        freq = self.commission.plan.period
        label = self.month.label if freq == "month" else self.quarter.label
        return commission_periods.parse(label, freq)


def memo_inputs(orders, reps, targets, as_of=None, company: str = "", funnel=None, commission=None,
                measure_targets=None, key_product: str | None = None) -> MemoInputs:
    """``targets``: rep/month/target frame or a TargetPlan (whose other measures then come along);
    ``measure_targets``: measure, rep, month, target of the measures beyond revenue (collections, new
    customers, key-product revenue); ``as_of`` defaults to the last order's date."""
    if hasattr(targets, "monthly"):
        if measure_targets is None:
            measure_targets = sources.other_measures(targets.monthly)
        targets = sources.targets_from_plan(targets)
    as_of = pd.Timestamp(as_of) if as_of is not None else pd.to_datetime(orders["date"]).max()
    month = make_period(as_of.strftime("%Y-%m"), as_of)
    return MemoInputs(orders, reps, targets, month, company, funnel, commission, measure_targets, key_product)


def company_items(inp: MemoInputs, kinds=KINDS) -> list[tuple[str, dict]]:
    funnel = sources.company_funnel(inp.funnel) if inp.funnel is not None else None
    items = []
    if "monthly" in kinds:
        items.append((f"monthly-{inp.month.label}",
                      review_context(inp.orders, inp.reps, inp.targets, inp.month, company=inp.company, funnel=funnel,
                                     **inp.extras())))
    if "quarterly" in kinds:
        items.append((f"quarterly-{inp.quarter.label}",
                      review_context(inp.orders, inp.reps, inp.targets, inp.quarter, company=inp.company,
                                     funnel=funnel, **inp.extras())))
    return items


def teams(inp: MemoInputs) -> list[str]:
    return sorted(t for t in inp.people()["team"].unique() if t)


def team_items(inp: MemoInputs, team: str, kinds=KINDS) -> list[tuple[str, dict]]:
    members = inp.people().loc[inp.people()["team"] == team, "rep"].tolist()
    funnel = inp.funnel_of(members)
    orders, targets = inp.subset(members)
    reps = inp.reps[inp.reps["rep"].isin(members)]
    extras = inp.extras(members)
    items = []
    if "monthly" in kinds:
        items.append((f"monthly-{inp.month.label}-team-{safe_name(team)}",
                      review_context(orders, reps, targets, inp.month, scope=("team", team),
                                     company=inp.company, funnel=funnel, **extras)))
    if "quarterly" in kinds:
        items.append((f"quarterly-{inp.quarter.label}-team-{safe_name(team)}",
                      review_context(orders, reps, targets, inp.quarter, scope=("team", team),
                                     company=inp.company, funnel=funnel, **extras)))
    return items


def rep_items(inp: MemoInputs, rep: str, kinds=KINDS) -> list[tuple[str, dict]]:
    """The coaching memo (if the rep is behind the pace line) and the statement (if paid) of one rep."""
    items = []
    if "coaching" in kinds and rep in inp.laggard_set():
        team = inp.team_of(rep)
        funnel, peer_funnel = inp.funnel_of([rep]), inp.funnel_of(team)
        orders, targets = inp.subset(team)
        table = inp.pacing()
        items.append((f"coaching-{inp.month.label}-{safe_name(rep)}",
                      coaching_context(orders, inp.reps, targets, inp.month, rep, funnel, peer_funnel,
                                       inp.company, table=table[table["rep"].isin(team)])))
    if "statement" in kinds and inp.commission is not None and rep in inp.paid_set():
        items.append((f"statement-{inp.month.label}-{safe_name(rep)}", statement_item(inp, rep)))
    return items


def prime_statements(inp: MemoInputs, reps) -> None:
    """Pick out these reps' statement lines and word them in one go (wording line by line is the slow part)."""
    cache = inp._cache.setdefault("statement_lines", {})
    todo = [r for r in reps if r not in cache and r in inp.paid_set()]
    if not todo:
        return
    if "lines_by_rep" not in inp._cache:
        pno = inp._pno()
        lines, measures = inp.commission.lines, inp.commission.measures
        inp._cache["lines_by_rep"] = dict(tuple(lines[lines["pno"] == pno].groupby("rep", sort=False)))
        inp._cache["statement_measures"] = dict(tuple(measures[measures["pno"] == pno].groupby("rep", sort=False)))
    empty = inp.commission.lines.iloc[:0]
    picked = pd.concat([inp._cache["lines_by_rep"].get(r, empty) for r in todo])
    worded = sources.with_wording(picked, inp.commission.plan)
    cache.update(dict(tuple(worded.groupby("rep", sort=False))))
    for rep in todo:
        cache.setdefault(rep, worded.iloc[:0])


def statement_item(inp: MemoInputs, rep: str) -> dict:
    prime_statements(inp, [rep])
    plan = inp.commission.plan
    lines, measures = sources.statement_inputs(inp.commission, rep, inp._pno(), inp._cache["statement_lines"][rep],
                                               inp._cache["statement_measures"].get(rep))
    people = inp.people()
    row = people[people["rep"] == rep]
    info = row.iloc[0].to_dict() if len(row) else {}
    measures["mode"] = measures["measure"].map({m.key: m.mode for m in plan.measures})
    labels = {m.key: {"en": m.label("en"), "zh": m.label("zh")} for m in plan.measures}
    p = inp.month if plan.period == "month" else inp.quarter
    return statement_context({"rep": rep, **info}, p, lines, measures, labels, inp.company)


def summary_frame(items: list[tuple[str, dict]]) -> pd.DataFrame:
    """One row per memo: file stem, kind, subject, and its headline figures."""
    rows = []
    for stem, ctx in items:
        kind = ctx["kind"]
        if kind in ("monthly", "quarterly"):
            subject = ctx["scope"]["name"] if ctx["scope"] else (ctx["company"] or "company")
            figures = {"target": ctx["total"]["target"], "actual": ctx["total"]["actual"],
                       "attainment": ctx["total"]["attainment"], "laggards": len(ctx["laggards"])}
        elif kind == "coaching":
            subject = ctx["rep"]["rep"]
            figures = {"target": ctx["rep"]["target"], "actual": ctx["rep"]["actual"],
                       "attainment": ctx["rep"]["attainment"], "gap": ctx["gap"]}
        else:
            subject = ctx["rep"]["rep"]
            figures = {"payout": ctx["total"]}
        rows.append({"memo": stem, "kind": kind, "subject": subject, "period": ctx["period"]["label"], **figures})
    columns = ["memo", "kind", "subject", "period", "target", "actual", "attainment", "gap", "laggards", "payout"]
    return pd.DataFrame(rows).reindex(columns=columns)


def all_items(inp: MemoInputs, kinds=KINDS, by_team: bool = True, reps=None) -> list[tuple[str, dict]]:
    items = company_items(inp, kinds)
    if by_team:
        for team in teams(inp):
            items += team_items(inp, team, kinds)
    for rep in (reps if reps is not None else sorted(inp.people()["rep"])):
        items += rep_items(inp, rep, kinds)
    return items


def write_memos(orders, reps, targets, out_dir, lang: str = "en", *, as_of=None, company: str = "", funnel=None,
                commission=None, kinds=KINDS, formats=FORMATS, templates=None, by_team: bool = True
                ) -> tuple[list[Path], pd.DataFrame]:
    """Every memo of the review cycle for ``as_of``'s month, written to ``out_dir``.

    Returns the written paths and a summary frame (one row per memo with its headline figures).
    """
    inp = memo_inputs(orders, reps, targets, as_of, company, funnel, commission)
    items = all_items(inp, kinds, by_team)
    paths = render_and_write(items, out_dir, lang, formats, templates)
    return paths, summary_frame(items)
