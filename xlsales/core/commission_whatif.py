"""What-if: the same inputs under a second plan, plan curves, and open deals "if these close".

- ``compare``: per rep, the payout under the plan and under the what-if plan and the difference, and
  the statement lines that changed (matched by their key: kind, measure, tier or award);
- ``plan_curve``: per rep, the payout at 0 %, 10 %, ..., 150 % attainment of the rep's quota in the
  period (every measure at that attainment), the period worked on its own: the year to date is taken to
  be at the same attainment, and awards (which depend on the other reps) and the draw are left out;
- ``pipeline_actuals``: open deals expected to close in the period, added to the reps' revenue.
"""
from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from xlsales.core import periods as periods_
from xlsales.core.commission_ledger import line_keys
from xlsales.core.money import cents

SEPARATOR = "\t#curve#"  # joins a rep and a step into a pseudo-rep (no NUL: pandas strings drop it)
CURVE_STEPS = tuple(round(0.1 * i, 1) for i in range(16))  # 0 %, 10 %, ..., 150 %


def payouts_in(result, pno: int) -> pd.Series:
    """rep → payout in period ``pno``."""
    p = result.payouts[result.payouts["pno"] == pno]
    return pd.Series(p["payout"].to_numpy(dtype=float), index=p["rep"].astype(str).to_numpy())


def compare(old, new, pno: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(per rep: rep, payout, whatif_payout, difference; per changed line: rep, line, old, new, difference)."""
    a, b = payouts_in(old, pno), payouts_in(new, pno)
    reps = pd.DataFrame({"rep": a.index, "payout": a.to_numpy(), "whatif_payout": b.reindex(a.index).fillna(0).to_numpy()})
    reps["difference"] = cents(reps["whatif_payout"] - reps["payout"])

    def lines(result):
        ls = result.lines[result.lines["pno"] == pno]
        return pd.DataFrame({"rep": ls["rep"].astype(str).to_numpy(), "line": line_keys(ls).to_numpy(),
                             "amount": ls["amount"].to_numpy(dtype=float)}).groupby(
            ["rep", "line"], sort=False, as_index=False)["amount"].sum()

    both = lines(old).merge(lines(new), on=["rep", "line"], how="outer", suffixes=("_old", "_new"))
    both = both.fillna({"amount_old": 0.0, "amount_new": 0.0})
    both["difference"] = cents(both["amount_new"] - both["amount_old"])
    changed = both[both["difference"] != 0].rename(columns={"amount_old": "old", "amount_new": "new"})
    order = {rep: i for i, rep in enumerate(reps["rep"])}
    changed = changed.assign(_o=changed["rep"].map(order)).sort_values("_o", kind="stable").drop(columns="_o")
    return reps, changed.reset_index(drop=True)[["rep", "line", "old", "new", "difference"]]


def plan_curve(plan, result, pno: int, steps=CURVE_STEPS) -> pd.DataFrame:
    """rep, attainment, payout: the plan's payout for each rep at each attainment of its quota in ``pno``."""
    from xlsales.core.payouts import compute_payouts
    m = result.measures[result.measures["pno"] == pno]
    reps = m["rep"].astype(str).to_numpy()
    steps = np.asarray(steps, dtype=float)
    curve_plan = dataclasses.replace(
        plan, awards=(), draw=None, prorate=False,
        measures=tuple(dataclasses.replace(x, quota_source="file", quota_amount=None) for x in plan.measures))
    n = len(steps)
    pseudo = np.repeat(reps, n).astype(object) + SEPARATOR + np.tile(np.arange(n).astype(str), len(reps)).astype(object)
    quota = np.repeat(m["quota_prorated"].to_numpy(dtype=float), n)
    # an amount-basis measure has no quota to scale by: its curve uses the achieved amount as 100 %
    scale = np.where(quota > 0, quota, np.repeat(m["achieved"].to_numpy(dtype=float), n))
    achieved = cents(scale * np.tile(steps, len(reps)))
    measure = np.repeat(m["measure"].astype(str).to_numpy(dtype=object), n)
    actuals = pd.DataFrame({"rep": pseudo, "pno": pno, "measure": measure, "achieved": achieved, "returns": 0.0})
    quotas = pd.DataFrame({"rep": pseudo, "pno": pno, "measure": measure, "quota": quota})
    roster = pd.DataFrame({"rep": pd.unique(pseudo)})
    curve = compute_payouts(curve_plan, actuals, quotas, roster, pno).payouts
    curve = curve[curve["pno"] == pno]
    parts = curve["rep"].astype(str).str.split(SEPARATOR, n=1)
    return pd.DataFrame({"rep": parts.str[0].to_numpy(), "attainment": steps[parts.str[1].astype(int).to_numpy()],
                         "payout": curve["payout"].to_numpy(dtype=float)})


def pipeline_orders(opportunities: pd.DataFrame, plan, pno: int) -> pd.DataFrame:
    """Open deals expected to close in period ``pno`` as order lines (date, rep, amount) "if these close"."""
    from xlsales.core.stages import status_lookup
    status = opportunities["status"].astype(str).str.strip().str.lower().map(status_lookup())
    open_ = opportunities[(status == "open").to_numpy()]
    when = periods_.period_numbers(open_["expected_close"], plan.period)
    deals = open_[when == pno]
    start, _ = periods_.bounds(np.array([pno]), plan.period)
    return pd.DataFrame({"date": start[0], "rep": deals["rep"].astype(str).to_numpy(),
                         "amount": deals["amount"].to_numpy(dtype=float),
                         "order_id": ("pipeline:" + deals["id"].astype(str)).to_numpy()})
