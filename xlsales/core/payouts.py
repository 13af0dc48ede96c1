"""The payout engine: commission per rep and period, every cent explained by a statement line.

Order of the working, per rep, period and measure (see docs/commission.md):

1. proration: quota (and amount bounds, caps, draw) × days employed ÷ days in the period;
2. tier slices of the achieved amount (``slice_amounts``, the rule COMMISSION uses), each paid
   ROUND(slice × rate, 2);
3. accelerator gate: while year-to-date attainment is below the plan's level, accelerator tiers pay
   the base rate (the line takes back the difference);
4. gate: below the minimum attainment the measure pays nothing;
5. weight: ROUND(subtotal × weight, 2);
6. measure cap; 7. clawback of returns (negative order amounts) at the first tier's rate × weight.

Then per rep and period: plan cap on the commission, clawbacks, awards, and the draw (top-up and
recovery). The statement lines of a rep and period add up to the cent to its payout.

Inputs are frames with canonical columns:
- actuals: rep, pno, measure, achieved, returns (returns ≤ 0)
- quotas: rep, pno, measure, quota (the full-period quota, before proration)
- roster: rep, and optionally region, team, hire_date, leave_date
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from xlsales.core import awards as award_rules
from xlsales.core import periods as periods_
from xlsales.core.commission import slice_amounts
from xlsales.core.commission_plan import Plan
from xlsales.core.draws import apply_draws
from xlsales.core.money import cents
from xlsales.errors import InputError

# The statement-lines frame (stable: memos and statements render from it). See docs/commission.md.
LINE_COLUMNS = ["rep", "period", "pno", "seq", "kind", "measure", "tier", "award", "lower", "upper", "base", "rate",
                "amount", "note"]
# Line kinds in statement order.
LINE_KINDS = ("proration", "relief", "tier", "accelerator_gate", "gate", "weight", "measure_cap", "clawback", "credit_note",
              "plan_cap", "award", "draw", "draw_recovery", "prior_period_adjustment")


@dataclass
class CommissionResult:
    plan: Plan
    measures: pd.DataFrame  # one row per rep, period and measure: the working
    payouts: pd.DataFrame  # one row per rep and period
    lines: pd.DataFrame  # statement lines (LINE_COLUMNS)
    awards: pd.DataFrame  # rep, pno, period, award, kind, measure, base, amount
    # What the engine was given beside the grids in ``measures`` (achieved, returns, quota per rep,
    # period and measure): roster, credit_notes and relief frames, so that the computation can be
    # done again from a workbook alone (``xlsales.workbooks.commission.recompute_workbook``).
    inputs: dict | None = None

    def period(self, pno: int) -> "CommissionResult":
        """The same result restricted to one period (``inputs`` stay whole)."""
        pick = lambda f: f[f["pno"] == pno].reset_index(drop=True)  # noqa: E731
        return CommissionResult(self.plan, pick(self.measures), pick(self.payouts), pick(self.lines),
                                pick(self.awards), self.inputs)


def cap_cents(x):
    """A cap in whole cents, rounded down as COMMISSION does (a cap of 2 000.006 pays at most 2 000.00);
    Excel: ROUNDDOWN(x, 2)."""
    return np.floor(np.asarray(x, dtype=float) * 100 + 1e-6) / 100


def proration(roster: pd.DataFrame, pnos: np.ndarray, freq: str) -> np.ndarray:
    """Days employed ÷ days in the period, per rep (rows) and period (columns), from hire/leave dates."""
    start, end = periods_.bounds(pnos, freq)
    start = start.to_numpy().astype("datetime64[D]")
    end = end.to_numpy().astype("datetime64[D]")
    far_past, far_future = np.datetime64("1900-01-01"), np.datetime64("2999-12-31")
    hired = _dates(roster, "hire_date", far_past)
    left = _dates(roster, "leave_date", far_future)
    first = np.maximum(hired[:, None], start[None, :])
    last = np.minimum(left[:, None], end[None, :])
    days = np.clip((last - first).astype(np.int64) + 1, 0, None)
    return days / ((end - start).astype(np.int64) + 1)[None, :]


def _dates(roster, column, default):
    if column not in roster.columns:
        return np.full(len(roster), default)
    values = pd.to_datetime(roster[column], errors="coerce").to_numpy().astype("datetime64[D]")
    return np.where(np.isnat(values), default, values)


def _grid(frame: pd.DataFrame, value: str, reps: pd.Index, pnos: np.ndarray, keys: list[str]) -> np.ndarray:
    """Sum a long frame into a (reps × periods × measures) array; rows outside the grid are dropped."""
    out = np.zeros((len(reps), len(pnos), len(keys)))
    if frame is None or frame.empty:
        return out
    r = reps.get_indexer(frame["rep"])
    p = frame["pno"].to_numpy(dtype=np.int64) - pnos[0]
    m = pd.Index(keys).get_indexer(frame["measure"])
    keep = (r >= 0) & (p >= 0) & (p < len(pnos)) & (m >= 0)
    np.add.at(out, (r[keep], p[keep], m[keep]), frame[value].to_numpy(dtype=float)[keep])
    return out


def compute_payouts(plan: Plan, actuals: pd.DataFrame, quotas: pd.DataFrame, roster: pd.DataFrame,
                    through: int, credit_notes: pd.DataFrame | None = None,
                    relief: pd.DataFrame | None = None, measure_factor: np.ndarray | None = None
                    ) -> CommissionResult:
    """Payouts for every roster rep from the plan year's first period through period ``through``.

    ``credit_notes``: rep, pno, orig_pno, measure, amount (< 0), order_id: each taken back from the rep
    at the rate the rep was paid on the measure in ``orig_pno`` (see ``xlsales.core.commission_credits``)."""
    freq = plan.period
    start = periods_.first_period(plan.year, freq)
    if quotas is not None and len(quotas) and any(m.quota_source != "fixed" for m in plan.measures):
        # The plan runs from the first period with quotas (e.g. a quotas file for one month only).
        in_year = quotas["pno"][(quotas["pno"] >= start) & (quotas["pno"] <= through)]
        start = int(in_year.min()) if len(in_year) else through
    pnos = np.arange(start, through + 1, dtype=np.int64)
    if pnos.size == 0:
        raise InputError(f"period: {periods_.label(through, freq)} is before the plan year {plan.year}")
    roster = roster.drop_duplicates("rep").reset_index(drop=True)
    reps = pd.Index(roster["rep"].astype(str))
    keys = plan.measure_keys
    factor = proration(roster, pnos, freq) if plan.prorate else np.ones((len(reps), len(pnos)))
    achieved = _grid(actuals, "achieved", reps, pnos, keys)
    returns = _grid(actuals, "returns", reps, pnos, keys)
    quota = _grid(quotas, "quota", reps, pnos, keys)
    for m, measure in enumerate(plan.measures):
        if measure.quota_source == "fixed":
            quota[:, :, m] = measure.quota_amount or 0.0
    # The share of each period a measure is paid in: days employed (proration), and with plan versions the
    # days the measure's version is in force for the rep (``measure_factor``, reps × periods × measures).
    mfactor = np.broadcast_to(factor[:, :, None], quota.shape).copy() if measure_factor is None else measure_factor
    quota_p = cents(quota * mfactor)
    relief_grid = _relief(relief, reps, pnos, keys, quota_p, plan)
    quota_p = cents(quota_p - relief_grid)
    _check_quotas(plan, reps, pnos, achieved, quota_p, mfactor)

    w = _Working(plan, reps, pnos, factor, achieved, returns, quota, quota_p, mfactor)
    w.credit_notes = credit_notes
    w.relief, w.relief_frame = relief_grid, relief
    w.teams = _text(roster, "team")
    w.measure_working()
    w.rep_working()
    result = w.result(roster)
    result.inputs = {"roster": roster, "credit_notes": credit_notes, "relief": relief}
    return result


def _relief(relief, reps, pnos, keys, quota_p, plan) -> np.ndarray:
    """Quota relief per rep, period and measure; relief larger than the (prorated) quota is an error
    naming the relief's row (``relief.attrs["source"]`` and the ``row`` column)."""
    grid = _grid(relief, "amount", reps, pnos, keys)
    if relief is None or relief.empty:
        return grid
    too_big = (grid > quota_p + 0.005) & (grid > 0)
    if too_big.any():
        r, p, m = (int(v[0]) for v in np.nonzero(too_big))
        hit = relief[(relief["rep"].astype(str) == reps[r]) & (relief["pno"] == pnos[p]) & (relief["measure"] == keys[m])]
        row = hit["row"].iloc[-1] if "row" in hit.columns and len(hit) else "?"
        raise InputError(f"{relief.attrs.get('source', 'relief')}, row {row}, column amount: relief "
                         f"{grid[r, p, m]:,.2f} for {reps[r]} ({keys[m]}, {periods_.label(pnos[p], plan.period)}) is "
                         f"larger than the quota {quota_p[r, p, m]:,.2f}")
    return grid


def _check_quotas(plan, reps, pnos, achieved, quota_p, factor):
    problems, count = [], 0
    for m, measure in enumerate(plan.measures):
        if measure.basis != "quota":
            continue
        missing = (quota_p[:, :, m] <= 0) & (factor[:, :, m] > 0) & (achieved[:, :, m] > 0)
        count += int(missing.sum())
        for r, p in list(zip(*np.nonzero(missing)))[:5 - len(problems)]:
            problems.append(f"rep {reps[r]!r} has {measure.key} in {periods_.label(pnos[p], plan.period)} "
                            f"but no {measure.key} quota")
    if problems:
        more = f"; ... {count - len(problems)} more" if count > len(problems) else ""
        raise InputError("quotas: " + "; ".join(problems) + more)


def _by_base(values: np.ndarray, base: np.ndarray) -> np.ndarray:
    """(reps × periods × measures) summed over the measures that count the same thing (plan versions)."""
    out = np.zeros(values.shape[:2] + (int(base.max(initial=-1)) + 1,))
    for m, b in enumerate(base):
        out[:, :, b] += values[:, :, m]
    return out


class _Working:
    """The arrays of one computation: (reps × periods × measures) and (reps × periods)."""

    def __init__(self, plan, reps, pnos, factor, achieved, returns, quota, quota_p, mfactor):
        self.plan, self.reps, self.pnos, self.factor, self.mfactor = plan, reps, pnos, factor, mfactor
        self.achieved, self.returns, self.quota, self.quota_p = achieved, returns, quota, quota_p
        self.line_parts: list[dict] = []
        shape = achieved.shape
        with np.errstate(divide="ignore", invalid="ignore"):
            self.attainment = np.where(quota_p > 0, achieved / quota_p, np.nan)
            # year to date per measure counted, across plan versions
            base = self.base_index()
            ytd_ach = np.cumsum(_by_base(achieved, base), axis=1)[:, :, base]
            ytd_quota = np.cumsum(_by_base(quota_p, base), axis=1)[:, :, base]
            self.ytd_achieved, self.ytd_quota = ytd_ach, ytd_quota
            self.ytd_attainment = np.where(ytd_quota > 0, ytd_ach / ytd_quota, np.nan)
        self.cols = {k: np.zeros(shape) for k in ("tier_pay", "accelerator", "gate", "subtotal", "weighted",
                                                   "weight_adj", "cap", "cap_adj", "clawback", "credit_notes",
                                                   "net")}
        self.credit_notes = None
        self.notes: list[str] = []  # texts of the lines' ``note`` column (codes index this list)
        self.cols["cap"][:] = np.nan

    # -- lines ------------------------------------------------------------------------------------

    def base_index(self) -> np.ndarray:
        """Per measure, the position of what it counts in ``plan.base_keys``."""
        bases = self.plan.base_keys
        return np.asarray([bases.index(m.base) for m in self.plan.measures], dtype=np.int64)

    def rate_scale(self, m) -> np.ndarray:
        """Per rep and period (flattened): what tier rates are multiplied by: 1, or with a target incentive
        (on-target earnings) the target incentive ÷ the full quota (0 without a quota)."""
        ti = self.plan.target_incentive
        if ti is None:
            return np.ones(self.factor.size)
        quota = self.quota[:, :, m].ravel()
        k = self.plan.measures[m].ote_factor
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where((quota > 0) & (k > 0), ti / (quota * k), 0.0)

    def note_codes(self, texts) -> np.ndarray:
        """Codes of ``texts`` in the notes list (added when new)."""
        index = {t: i for i, t in enumerate(self.notes)}
        out = []
        for text in texts:
            if text not in index:
                index[text] = len(self.notes)
                self.notes.append(text)
            out.append(index[text])
        return np.asarray(out, dtype=np.int32)

    def add_lines(self, kind, r, p, amount, measure=-1, tier=0, lower=np.nan, upper=np.nan, base=np.nan,
                  rate=np.nan, keep_zero=False, note=-1):
        """Statement lines at rep/period positions (r, p); zero amounts are dropped unless kept."""
        n = np.size(r)
        amount = np.broadcast_to(np.asarray(amount, dtype=float), n)
        keep = np.ones(n, bool) if keep_zero else amount != 0
        if not keep.any():
            return
        part = {"r": np.broadcast_to(np.asarray(r, dtype=np.int32), n)[keep],
                "p": np.broadcast_to(np.asarray(p, dtype=np.int16), n)[keep],
                "kind": np.full(keep.sum(), LINE_KINDS.index(kind), dtype=np.int8),
                "measure": np.broadcast_to(np.asarray(measure, dtype=np.int8), n)[keep],
                "tier": np.broadcast_to(np.asarray(tier, dtype=np.int16), n)[keep],
                "note": np.broadcast_to(np.asarray(note, dtype=np.int32), n)[keep]}
        for name, value in (("lower", lower), ("upper", upper), ("base", base), ("rate", rate),
                            ("amount", amount)):
            part[name] = np.broadcast_to(np.asarray(value, dtype=float), n)[keep]
        self.line_parts.append(part)

    # -- per measure ------------------------------------------------------------------------------

    def measure_working(self):
        R, P = self.factor.shape
        r_all, p_all = np.divmod(np.arange(R * P), P)
        partial = (self.factor < 1).ravel()
        self.add_lines("proration", r_all[partial], p_all[partial], 0.0, base=self.factor.ravel()[partial],
                       keep_zero=True)
        self._relief_lines()
        for m, measure in enumerate(self.plan.measures):
            self._one_measure(m, measure, r_all, p_all)

    def _relief_lines(self):
        """One line (amount 0) per relief row: base = relief, rate = quota before it, note = reason."""
        relief = self.relief_frame
        if relief is None or relief.empty:
            return
        r = self.reps.get_indexer(relief["rep"].astype(str))
        p = relief["pno"].to_numpy(dtype=np.int64) - self.pnos[0]
        m = pd.Index(self.plan.measure_keys).get_indexer(relief["measure"])
        keep = (r >= 0) & (p >= 0) & (p < len(self.pnos)) & (m >= 0)
        r, p, m = r[keep], p[keep], m[keep]
        before = self.quota_p[r, p, m] + self.relief[r, p, m]
        self.add_lines("relief", r, p, 0.0, m, base=relief["amount"].to_numpy(dtype=float)[keep], rate=before,
                       keep_zero=True, note=self.note_codes(relief["reason"].astype(str).to_numpy()[keep]))

    def _one_measure(self, m, measure, r_all, p_all):
        c = self.cols
        quota_p, factor = self.quota_p[:, :, m], self.mfactor[:, :, m]
        if measure.basis == "quota":
            scale, payable = quota_p, quota_p > 0
        else:
            scale, payable = factor, factor > 0
        base_achieved = np.where(payable, self.achieved[:, :, m], 0.0).ravel()
        bounds, rates = measure.bounds, measure.rates
        n_tiers = len(bounds)
        # Snapped to a millionth as COMMISSION does (1.2 × 100 000 is 120 000.00000000001 in binary),
        # so that achieving exactly a bound reaches its tier; the workbook rounds the same way.
        lowers = np.round(bounds[None, :] * scale.ravel()[:, None], 6)
        uppers = np.concatenate([np.round(bounds[None, 1:] * scale.ravel()[:, None], 6),
                                 np.full((lowers.shape[0], 1), np.inf)], axis=1)
        first = np.arange(n_tiers)[None, :] == 0
        slices = slice_amounts(base_achieved[:, None], lowers, uppers, measure.mode == "retro", first)
        # With on-target earnings, tier rates are multiples of the rep's rate at quota (target incentive
        # ÷ full quota), so that 100 % of quota pays the target incentive × weight.
        rate_scale = self.rate_scale(m)[:, None]
        row_rates = rates[None, :] * rate_scale
        pays = cents(slices * row_rates)
        tier_no = np.arange(1, n_tiers + 1)[None, :]
        flat = lambda a: np.broadcast_to(a, slices.shape).ravel()  # noqa: E731
        self.add_lines("tier", flat(r_all[:, None]), flat(p_all[:, None]), pays.ravel(), m, flat(tier_no),
                       lowers.ravel(), np.where(np.isinf(uppers), np.nan, uppers).ravel(), slices.ravel(),
                       flat(row_rates), keep_zero=True)
        tier_pay = cents(pays.sum(axis=1))

        accelerator = np.zeros_like(tier_pay)
        if measure.accelerator_from is not None:
            withheld = (self.ytd_attainment[:, :, m].ravel() < measure.accelerator_ytd) | \
                       (self.ytd_quota[:, :, m].ravel() <= 0)
            accel_tier = bounds >= measure.accelerator_from
            back = -(pays - cents(slices * (measure.base_rate * rate_scale)))
            back = np.where(withheld[:, None] & accel_tier[None, :], back, 0.0)
            accelerator = cents(back.sum(axis=1))
            self.add_lines("accelerator_gate", r_all, p_all, accelerator, m,
                           base=self.ytd_attainment[:, :, m].ravel(), rate=measure.accelerator_ytd)

        gate = np.zeros_like(tier_pay)
        attainment = self.attainment[:, :, m].ravel()
        if measure.gate is not None:
            fails = (quota_p.ravel() > 0) & (attainment < measure.gate)
            gate = np.where(fails, -cents(tier_pay + accelerator), 0.0)
            self.add_lines("gate", r_all, p_all, gate, m, base=attainment, rate=measure.gate)
        subtotal = cents(tier_pay + accelerator + gate)
        weighted = cents(subtotal * measure.weight)
        weight_adj = cents(weighted - subtotal)
        self.add_lines("weight", r_all, p_all, weight_adj, m, base=subtotal, rate=measure.weight)

        cap_adj = np.zeros_like(tier_pay)
        cap = np.full_like(tier_pay, np.nan)
        if measure.cap is not None:
            cap = cap_cents(measure.cap * factor.ravel())
            cap_adj = np.minimum(0.0, cents(cap - weighted))
            # Kept at 0 too: the statement shows the cap, and its formula follows an edited rate past it.
            self.add_lines("measure_cap", r_all, p_all, cap_adj, m, base=weighted, rate=cap, keep_zero=True)
        returns = self.returns[:, :, m].ravel()
        first_rate = rates[0] * rate_scale[:, 0]
        clawback = cents(returns * first_rate * measure.weight)
        self.add_lines("clawback", r_all, p_all, clawback, m, base=returns, rate=first_rate * measure.weight)

        shape = self.factor.shape
        net = cents(weighted + cap_adj)
        c["credit_notes"][:, :, m] = self._credit_notes(m, measure, net.reshape(shape),
                                                        (first_rate * measure.weight).reshape(shape))
        for name, value in (("tier_pay", tier_pay), ("accelerator", accelerator), ("gate", gate),
                            ("subtotal", subtotal), ("weighted", weighted), ("weight_adj", weight_adj),
                            ("cap", cap), ("cap_adj", cap_adj), ("clawback", clawback),
                            ("net", net)):
            c[name][:, :, m] = value.reshape(shape)

    def _credit_notes(self, m, measure, net, fallback_rate) -> np.ndarray:
        """Credit notes of measure ``m``: each credited part taken back at the rate the rep was paid on
        the measure in the original order's period (net ÷ achieved there); an order from before the
        computed periods is taken back at the first tier's rate × weight, like a return."""
        out = np.zeros(net.shape)
        notes = self.credit_notes
        if notes is None or notes.empty:
            return out
        notes = notes[notes["measure"] == measure.key]
        r = self.reps.get_indexer(notes["rep"].astype(str))
        p = notes["pno"].to_numpy(dtype=np.int64) - self.pnos[0]
        p0 = notes["orig_pno"].to_numpy(dtype=np.int64) - self.pnos[0]
        keep = (r >= 0) & (p >= 0) & (p < len(self.pnos))
        r, p, p0 = r[keep], p[keep], p0[keep]
        amount = notes["amount"].to_numpy(dtype=float)[keep]
        inside = (p0 >= 0) & (p0 < len(self.pnos))
        p0c = np.clip(p0, 0, len(self.pnos) - 1)
        achieved = self.achieved[r, p0c, m]
        with np.errstate(divide="ignore", invalid="ignore"):
            paid = np.where(achieved > 0, net[r, p0c] / achieved, 0.0)
        rate = np.where(inside, paid, np.broadcast_to(fallback_rate, net.shape)[r, p])
        back = np.minimum(cents(amount * rate), 0.0)
        np.add.at(out, (r, p), back)
        ids = notes["order_id"].astype(str).to_numpy()[keep]
        labels = periods_.labels(self.pnos[0] + p0, self.plan.period)
        self.add_lines("credit_note", r, p, back, m, base=amount, rate=rate, keep_zero=True,
                       note=self.note_codes([f"{i} ({lab})" for i, lab in zip(ids, labels)]))
        return out

    # -- per rep and period -----------------------------------------------------------------------

    def rep_working(self):
        plan, c, factor = self.plan, self.cols, self.factor
        R, P = factor.shape
        r_all, p_all = np.divmod(np.arange(R * P), P)
        scale = factor if plan.prorate else np.ones_like(factor)
        self.commission = cents(c["net"].sum(axis=2))
        self.plan_cap = np.full((R, P), np.nan)
        self.plan_cap_adj = np.zeros((R, P))
        if plan.cap is not None:
            self.plan_cap = cap_cents(plan.cap * scale)
            self.plan_cap_adj = np.minimum(0.0, cents(self.plan_cap - self.commission))
            self.add_lines("plan_cap", r_all, p_all, self.plan_cap_adj.ravel(), base=self.commission.ravel(),
                           rate=self.plan_cap.ravel())
        self.clawbacks = cents(c["clawback"].sum(axis=2) + c["credit_notes"].sum(axis=2))
        self.award_total, self.award_rows = self._awards()
        self.earned = cents(self.commission + self.plan_cap_adj + self.clawbacks + self.award_total)
        R, P = factor.shape
        if plan.draw is not None:
            draw = cents(plan.draw.amount * scale)
            topup, recovery, b_open, b_close = apply_draws(self.earned, draw, plan.draw.recoverable)
        else:
            draw = topup = recovery = b_open = b_close = np.zeros((R, P))
        self.draw, self.topup, self.recovery, self.b_open, self.b_close = draw, topup, recovery, b_open, b_close
        self.add_lines("draw", r_all, p_all, topup.ravel(), base=self.earned.ravel(), rate=draw.ravel())
        self.add_lines("draw_recovery", r_all, p_all, -recovery.ravel(), base=b_open.ravel(),
                       rate=draw.ravel())
        self.payout = cents(self.earned + topup - recovery)

    def _awards(self):
        plan = self.plan
        R, P = self.factor.shape
        active = self.factor > 0
        total = np.zeros((R, P))
        rows = []
        bases = plan.base_keys
        base_index = self.base_index()
        achieved_b, quota_b = _by_base(self.achieved, base_index), _by_base(self.quota_p, base_index)
        for a, award in enumerate(plan.awards):
            base = np.full((R, P), np.nan)
            if award.kind == "star":
                m = bases.index(award.measure)
                with np.errstate(divide="ignore", invalid="ignore"):
                    att = np.where(quota_b[:, :, m] > 0, achieved_b[:, :, m] / quota_b[:, :, m], np.nan)
                amounts = award_rules.star(np.nan_to_num(att, nan=-np.inf), active & (quota_b[:, :, m] > 0),
                                           award.amount, award.tie, award.min_attainment)
                base = att
            elif award.kind == "best_team":
                m = bases.index(award.measure)
                amounts, base = award_rules.best_team(achieved_b[:, :, m], quota_b[:, :, m], active,
                                                      self.teams, award.amount, award.tie, award.min_attainment)
            else:
                chosen_reps = self.reps.isin(award.reps) if award.reps else np.ones(R, bool)
                labels = periods_.labels(self.pnos, plan.period)
                chosen_periods = np.isin(labels, award.periods) if award.periods else np.ones(P, bool)
                amounts = award_rules.spif(active, np.asarray(chosen_reps), chosen_periods, award.amount)
            amounts = cents(amounts)
            total += amounts
            r, p = np.nonzero(amounts)
            if r.size:
                rows.append(pd.DataFrame({"r": r, "p": p, "award_no": a, "base": base[r, p],
                                          "amount": amounts[r, p]}))
                self.add_lines("award", r, p, amounts[r, p], tier=a + 1, base=base[r, p])
        return cents(total), (pd.concat(rows, ignore_index=True) if rows else
                              pd.DataFrame(columns=["r", "p", "award_no", "base", "amount"]))

    # -- frames -----------------------------------------------------------------------------------

    def result(self, roster) -> CommissionResult:
        plan, pnos = self.plan, self.pnos
        R, P = self.factor.shape
        M = len(plan.measures)
        period_labels = periods_.labels(pnos, plan.period)
        rep_of = lambda r: pd.Categorical.from_codes(r, self.reps)  # noqa: E731
        region, team = _codes(roster, "region"), _codes(roster, "team")
        period_of = lambda p: pd.Categorical.from_codes(p, period_labels)  # noqa: E731
        rp_r, rp_p = np.divmod(np.arange(R * P), P)
        payouts = pd.DataFrame({
            "rep": rep_of(rp_r), "region": region(rp_r), "team": team(rp_r),
            "pno": pnos[rp_p], "period": period_of(rp_p), "factor": self.factor.ravel(),
            "commission": self.commission.ravel(), "plan_cap": self.plan_cap.ravel(),
            "plan_cap_adj": self.plan_cap_adj.ravel(), "clawbacks": self.clawbacks.ravel(),
            "awards": self.award_total.ravel(), "earned": self.earned.ravel(), "draw": self.draw.ravel(),
            "draw_topup": self.topup.ravel(), "draw_recovery": self.recovery.ravel(),
            "draw_open": self.b_open.ravel(), "draw_close": self.b_close.ravel(), "payout": self.payout.ravel(),
        })
        idx = np.arange(R * P * M)
        rpm_rp, rpm_m = np.divmod(idx, M)
        rpm_r, rpm_p = np.divmod(rpm_rp, P)
        keys = np.asarray(plan.measure_keys, dtype=object)
        measures = pd.DataFrame({
            "rep": rep_of(rpm_r), "region": region(rpm_r), "team": team(rpm_r),
            "pno": pnos[rpm_p], "period": period_of(rpm_p), "measure": pd.Categorical.from_codes(rpm_m, keys),
            "achieved": self.achieved.ravel(), "returns": self.returns.ravel(), "quota": self.quota.ravel(),
            "relief": self.relief.ravel(),
            "factor": self.mfactor.ravel(), "quota_prorated": self.quota_p.ravel(),
            "attainment": self.attainment.ravel(), "ytd_achieved": self.ytd_achieved.ravel(),
            "ytd_quota": self.ytd_quota.ravel(), "ytd_attainment": self.ytd_attainment.ravel(),
            "weight": np.tile([m.weight for m in plan.measures], R * P),
            **{name: value.ravel() for name, value in self.cols.items()},
        })
        return CommissionResult(plan, measures, payouts, self._lines(period_labels, keys), self._award_frame(
            period_labels))

    def _lines(self, period_labels, keys) -> pd.DataFrame:
        parts = self.line_parts
        cat = {k: np.concatenate([np.asarray(p[k]) for p in parts]) for k in parts[0]}
        P = len(self.pnos)
        group = cat["measure"].astype(np.int16) + 1 + (cat["kind"] >= LINE_KINDS.index("plan_cap")) * 1000
        rp = cat["r"].astype(np.int64) * P + cat["p"]
        # One integer sort key: rep/period, then measure group, kind and tier (all small).
        key = ((rp * 2048 + group) * 16 + cat["kind"]) * 4096 + cat["tier"]
        order = np.argsort(key, kind="stable")
        cat = {k: v[order] for k, v in cat.items()}
        rp = rp[order]
        starts = np.r_[0, np.flatnonzero(np.diff(rp)) + 1]
        seq = np.arange(rp.size) - np.repeat(starts, np.diff(np.r_[starts, rp.size])) + 1
        is_award = cat["kind"] == LINE_KINDS.index("award")
        names = list(dict.fromkeys(a.name for a in self.plan.awards))
        award_codes = np.asarray([names.index(a.name) for a in self.plan.awards] + [-1], dtype=np.int64)
        award = award_codes[np.where(is_award, cat["tier"] - 1, -1)]
        return pd.DataFrame({
            "rep": pd.Categorical.from_codes(cat["r"], self.reps),
            "period": pd.Categorical.from_codes(cat["p"].astype(np.int32), period_labels), "pno": self.pnos[cat["p"]],
            "seq": seq, "kind": pd.Categorical.from_codes(cat["kind"], LINE_KINDS),
            "measure": pd.Categorical.from_codes(cat["measure"], keys),
            "tier": cat["tier"].astype(np.int64), "award": pd.Categorical.from_codes(award, names),
            "lower": cat["lower"], "upper": cat["upper"],
            "base": cat["base"], "rate": cat["rate"], "amount": cat["amount"],
            "note": pd.Categorical.from_codes(cat["note"], list(dict.fromkeys(self.notes))),
        })

    def _award_frame(self, period_labels) -> pd.DataFrame:
        rows = self.award_rows
        awards = self.plan.awards
        return pd.DataFrame({
            "rep": self.reps.to_numpy()[rows["r"].to_numpy(dtype=np.int64)],
            "pno": self.pnos[rows["p"].to_numpy(dtype=np.int64)],
            "period": period_labels[rows["p"].to_numpy(dtype=np.int64)],
            "award": [awards[i].name for i in rows["award_no"].astype(int)],
            "kind": [awards[i].kind for i in rows["award_no"].astype(int)],
            "measure": [awards[i].measure for i in rows["award_no"].astype(int)],
            "base": rows["base"].to_numpy(dtype=float), "amount": rows["amount"].to_numpy(dtype=float),
        })


def _text(roster, column) -> np.ndarray:
    if column not in roster.columns:
        return np.full(len(roster), "", dtype=object)
    return roster[column].astype(object).where(roster[column].notna(), "").astype(str).to_numpy(dtype=object)


def _codes(roster, column):
    """rows → a categorical of the roster's ``column`` at those rows (cheap for many rows)."""
    codes, uniques = pd.factorize(pd.Series(_text(roster, column)))
    return lambda rows: pd.Categorical.from_codes(codes[rows], uniques)
