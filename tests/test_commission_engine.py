"""The payout engine: worked examples, a naive second implementation, and properties."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import xlsales
from xlsales.core.commission_plan import Award, Draw, Measure, Plan, Tier
from xlsales.core.draws import apply_draws
from xlsales.core.payouts import compute_payouts

JUNE = 2026 * 12 + 5


def r2(x):
    """Excel ROUND(x, 2), written out independently of xlsales.core.money."""
    sign = -1 if x < 0 else 1
    return sign * math.floor(abs(x) * 100 + 0.5 + 1e-7) / 100


def run(plan, orders, quotas=None, roster=None, through=JUNE):
    """orders: list of (rep, pno, measure, achieved, returns)."""
    actuals = pd.DataFrame(orders, columns=["rep", "pno", "measure", "achieved", "returns"])
    if roster is None:
        roster = pd.DataFrame({"rep": sorted(set(actuals["rep"]))})
    quotas = pd.DataFrame(quotas or [], columns=["rep", "pno", "measure", "quota"])
    return compute_payouts(plan, actuals, quotas, roster, through)


def one_measure(tiers, basis="amount", mode="marginal", quota=None, **extra):
    source = "fixed" if quota else "targets"
    return Plan(measures=(Measure("revenue", tuple(Tier(b, r) for b, r in tiers), basis=basis, mode=mode,
                                  quota_source=source, quota_amount=quota, **extra),), prorate=False)


def june(result, rep="A"):
    row = result.payouts[(result.payouts["rep"] == rep) & (result.payouts["pno"] == JUNE)]
    return float(row["payout"].iloc[0])


# ------------------------------------------------------------------ published worked examples

def test_graduated_tiers_pay_2050_on_30000():
    # 5% on the first 10 000, 7% on the next 15 000, 10% above 25 000: 500 + 1 050 + 500 = 2 050
    tiers = [(0, 0.05), (10_000, 0.07), (25_000, 0.10)]
    assert xlsales.commission(30_000, tiers) == 2050
    result = run(one_measure(tiers), [("A", JUNE, "revenue", 30_000, 0)])
    assert june(result) == 2050
    lines = result.lines[(result.lines["kind"] == "tier") & (result.lines["pno"] == JUNE)]
    assert lines["base"].tolist() == [10_000, 15_000, 5_000]
    assert lines["amount"].tolist() == [500, 1050, 500]


def test_spec_quota_example_marginal_and_retro():
    tiers = [(0, 0.05), (1.0, 0.08), (1.2, 0.12)]
    for mode, expected in (("marginal", 7800), ("retro", 15600)):
        assert xlsales.commission(130_000, tiers, 100_000, mode) == expected
        plan = one_measure(tiers, basis="quota", mode=mode, quota=100_000)
        assert june(run(plan, [("A", JUNE, "revenue", 130_000, 0)])) == expected


def test_a_deal_that_crosses_a_tier_boundary_pays_the_marginal_difference():
    tiers = [(0, 0.05), (10_000, 0.07), (25_000, 0.10)]
    plan = one_measure(tiers)
    before = june(run(plan, [("A", JUNE, "revenue", 20_000, 0)]))
    after = june(run(plan, [("A", JUNE, "revenue", 30_000, 0)]))
    # the 10 000 deal: 5 000 still in the 7% tier, 5 000 in the 10% tier
    assert before == 500 + 700
    assert after - before == pytest.approx(5_000 * 0.07 + 5_000 * 0.10)
    # never the top rate on the whole deal
    assert after - before != pytest.approx(10_000 * 0.10)


def test_recoverable_draw_table_across_periods():
    # draw 3 000 a month. Earned: 1 000, 2 000, 6 000, 5 000, 500.
    #   Jan: top-up 2 000, owed 2 000.  Feb: top-up 1 000, owed 3 000.
    #   Mar: 3 000 above the draw repays 3 000, owed 0.  Apr: nothing owed, paid 5 000.
    #   May: top-up 2 500, owed 2 500.
    topup, recovery, opening, closing = apply_draws([[1000, 2000, 6000, 5000, 500]], 3000, True)
    assert topup.tolist() == [[2000, 1000, 0, 0, 2500]]
    assert recovery.tolist() == [[0, 0, 3000, 0, 0]]
    assert opening.tolist() == [[0, 2000, 3000, 0, 0]]
    assert closing.tolist() == [[2000, 3000, 0, 0, 2500]]
    payout = np.array([1000, 2000, 6000, 5000, 500]) + topup - recovery
    assert payout.tolist() == [[3000, 3000, 3000, 5000, 3000]]


def test_recovery_never_takes_more_than_the_excess_over_the_draw():
    topup, recovery, _, closing = apply_draws([[0, 4000, 4000, 4000]], 3000, True)
    assert topup.tolist() == [[3000, 0, 0, 0]]
    assert recovery.tolist() == [[0, 1000, 1000, 1000]]
    assert closing.tolist() == [[3000, 2000, 1000, 0]]


def test_non_recoverable_draw_is_never_taken_back():
    topup, recovery, _, closing = apply_draws([[1000, 6000]], 3000, False)
    assert topup.tolist() == [[2000, 0]]
    assert recovery.tolist() == [[0, 0]]
    assert closing.tolist() == [[0, 0]]


def test_draw_in_the_engine_over_months():
    plan = Plan(measures=(Measure("revenue", (Tier(0, 0.1),), basis="amount"),), draw=Draw(3000, True),
                prorate=False)
    earned_sales = [10_000, 20_000, 60_000, 50_000, 5_000, 40_000]
    result = run(plan, [("A", JUNE - 5 + i, "revenue", s, 0) for i, s in enumerate(earned_sales)])
    paid = result.payouts.sort_values("pno")
    assert paid["payout"].tolist() == [3000, 3000, 3000, 5000, 3000, 3000 + 1000 - 1000 + 0]
    assert paid["draw_close"].tolist() == [2000, 3000, 0, 0, 2500, 1500]


# ------------------------------------------------------------------ gates, caps, clawbacks, proration

def test_gate_pays_nothing_below_the_threshold():
    plan = one_measure([(0, 0.05), (1.0, 0.08)], basis="quota", quota=100_000, gate=0.5)
    assert june(run(plan, [("A", JUNE, "revenue", 49_999, 0)])) == 0
    assert june(run(plan, [("A", JUNE, "revenue", 50_000, 0)])) == 2500


def test_accelerators_wait_for_year_to_date_quota():
    tiers = ((0, 0.05), (1.0, 0.08), (1.2, 0.12))
    plan = one_measure(tiers, basis="quota", quota=100_000, accelerator_from=1.0, accelerator_ytd=1.0)
    # May 50 000 then June 130 000: YTD 180 000 of 200 000 → accelerators pay the 5% base rate
    behind = run(plan, [("A", JUNE - 1, "revenue", 50_000, 0), ("A", JUNE, "revenue", 130_000, 0)], through=JUNE)
    # YTD over the whole year from January: fill Jan–Apr at quota so that YTD is met
    ahead_orders = [("A", JUNE - k, "revenue", 100_000, 0) for k in range(2, 6)]
    ahead = run(plan, ahead_orders + [("A", JUNE - 1, "revenue", 100_000, 0), ("A", JUNE, "revenue", 130_000, 0)])
    assert june(ahead) == 7800
    # behind (Jan–Apr nothing): 130 000 × 5% = 6 500
    assert june(behind) == 6500
    line = behind.lines[(behind.lines["kind"] == "accelerator_gate") & (behind.lines["pno"] == JUNE)]
    assert line["amount"].tolist() == [-(20_000 * 0.03 + 10_000 * 0.07)]


def test_measure_cap_and_plan_cap():
    plan = Plan(measures=(Measure("revenue", (Tier(0, 0.1),), basis="amount", cap=5_000),), cap=4_000,
                prorate=False)
    result = run(plan, [("A", JUNE, "revenue", 100_000, 0)])
    assert june(result) == 4000
    kinds = result.lines[result.lines["pno"] == JUNE].set_index("kind")["amount"]
    assert kinds["tier"] == 10_000 and kinds["measure_cap"] == -5_000 and kinds["plan_cap"] == -1_000


def test_returns_are_clawed_back_at_the_first_rate_times_the_weight():
    plan = Plan(measures=(Measure("revenue", (Tier(0, 0.05), Tier(1.0, 0.08)), weight=0.6, quota_source="fixed",
                                  quota_amount=100_000),
                          Measure("collections", (Tier(0, 0.01),), weight=0.4, basis="amount")), prorate=False)
    result = run(plan, [("A", JUNE, "revenue", 80_000, -12_345)])
    # 80 000 × 5% = 4 000 × 60% = 2 400; clawback −12 345 × 5% × 60% = −370.35
    assert june(result) == pytest.approx(2400 - 370.35)
    claw = result.lines[(result.lines["kind"] == "clawback") & (result.lines["pno"] == JUNE)]
    assert claw["amount"].tolist() == [-370.35]


def test_mid_month_hire_is_prorated_by_days():
    plan = Plan(measures=(Measure("revenue", (Tier(0, 0.05), Tier(1.0, 0.10)), quota_source="fixed",
                                  quota_amount=100_000),), draw=Draw(3000, False))
    roster = pd.DataFrame({"rep": ["A"], "hire_date": [pd.Timestamp("2026-06-16")]})
    result = run(plan, [("A", JUNE, "revenue", 60_000, 0)], roster=roster)
    m = result.measures[result.measures["pno"] == JUNE].iloc[0]
    assert m["factor"] == 0.5 and m["quota_prorated"] == 50_000
    # 50 000 × 5% + 10 000 × 10% = 3 500 (above the 1 500 prorated draw)
    assert june(result) == 3500
    assert result.payouts[result.payouts["pno"] < JUNE]["payout"].eq(0).all()


def test_star_of_the_month_ties_share_to_the_cent():
    plan = Plan(measures=(Measure("revenue", (Tier(0, 0.0),), quota_source="fixed", quota_amount=100),),
                awards=(Award("star", "月度销售之星", 1000, "revenue", tie="share"),
                        Award("star", "each", 10, "revenue", tie="each")), prorate=False)
    result = run(plan, [(r, JUNE, "revenue", a, 0) for r, a in (("A", 120), ("B", 120), ("C", 120), ("D", 90))])
    got = result.awards[result.awards["pno"] == JUNE].groupby(["award", "rep"])["amount"].sum()
    assert got["月度销售之星"].tolist() == [333.34, 333.33, 333.33]
    assert got["each"].tolist() == [10, 10, 10]


def test_best_team_goes_to_the_team_with_top_attainment():
    plan = Plan(measures=(Measure("revenue", (Tier(0, 0.0),), quota_source="fixed", quota_amount=100),),
                awards=(Award("best_team", "Best team", 900, "revenue"),), prorate=False)
    roster = pd.DataFrame({"rep": list("ABCD"), "team": ["x", "x", "y", "y"]})
    # team x: 250 of 200 (125%); team y: 240 of 200 (120%) even though C has the best rep
    result = run(plan, [("A", JUNE, "revenue", 100, 0), ("B", JUNE, "revenue", 150, 0),
                        ("C", JUNE, "revenue", 200, 0), ("D", JUNE, "revenue", 40, 0)], roster=roster)
    got = result.awards[result.awards["pno"] == JUNE].set_index("rep")["amount"]
    assert got.to_dict() == {"A": 450, "B": 450}


# ------------------------------------------------------------------ a naive second implementation

def naive_payouts(plan, orders, quota_amount, months):
    """Row by row, loops only: what a careful analyst would do by hand. Fixed quotas, no proration."""
    sales = {}
    for rep, pno, measure, achieved, returns in orders:
        a, r = sales.get((rep, pno, measure), (0.0, 0.0))
        sales[(rep, pno, measure)] = (a + achieved, r + returns)
    reps = sorted({o[0] for o in orders})
    out, balance = {}, {rep: 0.0 for rep in reps}
    ytd = {}
    for pno in months:
        attain = {}
        for rep in reps:
            total, claw = 0.0, 0.0
            for m in plan.measures:
                achieved, returns = sales.get((rep, pno, m.key), (0.0, 0.0))
                q = quota_amount if m.basis == "quota" else 1.0
                ya, yq = ytd.get((rep, m.key), (0.0, 0.0))
                ya, yq = ya + achieved, yq + quota_amount
                ytd[(rep, m.key)] = (ya, yq)
                att = achieved / quota_amount
                attain[(rep, m.key)] = att
                pay = 0.0
                for i, tier in enumerate(m.tiers):
                    lower = tier.bound * q
                    upper = m.tiers[i + 1].bound * q if i + 1 < len(m.tiers) else float("inf")
                    if m.mode == "marginal":
                        part = max(0.0, min(achieved, upper) - lower)
                    else:
                        part = achieved if lower <= achieved < upper else 0.0
                    rate = tier.rate
                    if m.accelerator_from is not None and tier.bound >= m.accelerator_from and ya / yq < m.accelerator_ytd:
                        rate = m.base_rate
                    pay += r2(part * rate)
                if m.gate is not None and att < m.gate:
                    pay = 0.0
                pay = r2(pay * m.weight)
                if m.cap is not None:
                    pay = min(pay, m.cap)
                total += pay
                claw += r2(returns * m.tiers[0].rate * m.weight)
            if plan.cap is not None:
                total = min(total, plan.cap)
            out[(rep, pno)] = total + claw
        for a in plan.awards:
            best = max(attain[(rep, a.measure)] for rep in reps)
            winners = [rep for rep in reps if attain[(rep, a.measure)] == best]
            for rep in winners:
                out[(rep, pno)] += a.amount  # 'each'
        for rep in reps:
            earned = r2(out[(rep, pno)])
            if plan.draw is None:
                out[(rep, pno)] = earned
                continue
            d = plan.draw.amount
            if earned < d:
                balance[rep] += d - earned
                out[(rep, pno)] = d
            else:
                back = min(balance[rep], earned - d)
                balance[rep] -= back
                out[(rep, pno)] = earned - back
    return out


rates = st.integers(0, 20).map(lambda x: x / 100)


@st.composite
def plans(draw):
    measures = []
    keys = draw(st.sampled_from([["revenue"], ["revenue", "collections"]]))
    weights = [1.0] if len(keys) == 1 else [0.7, 0.3]
    for key, weight in zip(keys, weights):
        n = draw(st.integers(1, 4))
        bounds = [0.0] + sorted(draw(st.sets(st.integers(1, 20), min_size=n - 1, max_size=n - 1)))
        basis = draw(st.sampled_from(["quota", "amount"]))
        scale = 0.1 if basis == "quota" else 5_000.0
        tiers = tuple(Tier(b * scale, draw(rates)) for b in bounds)
        accel = draw(st.sampled_from([None, 1.0])) if basis == "quota" else None
        measures.append(Measure(key, tiers, weight=weight, basis=basis, mode=draw(st.sampled_from(["marginal", "retro"])),
                                quota_source="fixed", quota_amount=50_000,
                                cap=draw(st.sampled_from([None, 3_000.0])), gate=draw(st.sampled_from([None, 0.5])),
                                accelerator_from=accel, accelerator_ytd=1.0 if accel else None))
    awards = (Award("star", "star", 1000, "revenue", tie="each"),) if draw(st.booleans()) else ()
    return Plan(measures=tuple(measures), cap=draw(st.sampled_from([None, 4_000.0])), awards=awards,
                draw=draw(st.sampled_from([None, Draw(1_500, True)])), prorate=False)


amounts = st.integers(0, 200_000).map(lambda x: x * 1.0)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plan=plans(), data=st.data())
def test_engine_equals_a_naive_implementation(plan, data):
    months = list(range(JUNE - 5, JUNE + 1))
    orders = []
    for rep in ("A", "B", "C"):
        for pno in months:
            for m in plan.measures:
                orders.append((rep, pno, m.key, data.draw(amounts), -float(data.draw(st.integers(0, 3)) * 1000)))
    result = run(plan, orders)
    expected = naive_payouts(plan, orders, 50_000, months)
    got = result.payouts.set_index(["rep", "pno"])["payout"]
    for key, value in expected.items():
        assert got[key] == pytest.approx(value, abs=0.001), key
    sums = result.lines.groupby(["rep", "pno"])["amount"].sum().round(2)
    assert (sums.reindex(got.index).fillna(0) == got).all()


# ------------------------------------------------------------------ properties

tier_lists = st.lists(st.tuples(st.integers(1, 50), rates), min_size=0, max_size=4).map(
    lambda rows: [(0, 0.03)] + sorted({b * 1000: r for b, r in rows}.items()))


@settings(deadline=None)  # the engine on a shared, loaded machine: no per-example deadline
@given(tiers=tier_lists, a=amounts, b=amounts, mode=st.sampled_from(["marginal", "retro"]))
def test_payout_never_decreases_as_achieved_grows_without_a_decelerator(tiers, a, b, mode):
    rising = all(r2 >= r1 for (_, r1), (_, r2) in zip(tiers, tiers[1:]))
    low, high = sorted((a, b))
    plan = one_measure(tiers, mode=mode)
    res = run(plan, [("A", JUNE, "revenue", low, 0), ("B", JUNE, "revenue", high, 0)])
    if rising or mode == "marginal":
        assert june(res, "A") <= june(res, "B")


@settings(deadline=None)  # the engine on a shared, loaded machine: no per-example deadline
@given(tiers=tier_lists, a=amounts)
def test_retro_pays_at_least_marginal_when_rates_rise(tiers, a):
    tiers = [(b, r) for (b, r) in tiers]
    rates_sorted = sorted(r for _, r in tiers)
    tiers = [(b, r) for (b, _), r in zip(tiers, rates_sorted)]
    marginal = xlsales.commission(a, tiers, mode="marginal")
    retro = xlsales.commission(a, tiers, mode="retro")
    assert retro >= marginal - 0.01 * len(tiers)
    engine = run(one_measure(tiers, mode="retro"), [("A", JUNE, "revenue", a, 0)])
    assert june(engine) == retro


@settings(deadline=None)  # the engine on a shared, loaded machine: no per-example deadline
@given(a=amounts, cap=st.integers(0, 20_000), plan_cap=st.integers(0, 20_000))
def test_caps_are_respected(a, cap, plan_cap):
    plan = Plan(measures=(Measure("revenue", (Tier(0, 0.05), Tier(50_000, 0.2)), basis="amount", cap=cap),),
                cap=plan_cap, prorate=False)
    res = run(plan, [("A", JUNE, "revenue", a, 0)])
    assert june(res) <= min(cap, plan_cap)
    assert june(res) == min(xlsales.commission(a, [(0, 0.05), (50_000, 0.2)]), cap, plan_cap)


def test_a_clawback_list_claws_back_in_the_period_of_its_date():
    from xlsales.core.commission_inputs import clawback_actuals
    plan = Plan(measures=(Measure("revenue", (Tier(0, 0.05),), weight=1.0, basis="amount"),), prorate=False)
    listed = pd.DataFrame({"rep": ["A", "A"], "date": pd.to_datetime(["2026-06-03", "2026-05-20"]),
                           "amount": [10_000.0, -2_000.0], "measure": ["revenue", "revenue"]})
    returns = clawback_actuals(listed, plan)
    result = run(plan, [("A", JUNE, "revenue", 40_000, 0)] + [
        (r.rep, r.pno, r.measure, r.achieved, r.returns) for r in returns.itertuples()])
    assert june(result) == 2000 - 500
    may = result.payouts[result.payouts["pno"] == JUNE - 1]["payout"].iloc[0]
    assert may == -100  # a clawback with nothing to set it against leaves the rep owing


def test_actuals_from_orders_split_returns_collections_and_new_customers():
    from xlsales.core.commission_inputs import actuals_from_orders
    plan = Plan(measures=(Measure("revenue", (Tier(0, 0.05),), weight=0.5),
                          Measure("collections", (Tier(0, 0.01),), weight=0.3),
                          Measure("new_customers", (Tier(0, 100.0),), weight=0.2, basis="amount")))
    orders = pd.DataFrame({
        "date": pd.to_datetime(["2025-12-30", "2026-06-02", "2026-06-09", "2026-06-20", "2026-07-01"]),
        "rep": ["A", "A", "B", "A", "B"], "amount": [100.0, 200.0, 300.0, -50.0, 70.0],
        "collected": [100.0, 150.0, 0.0, 0.0, 70.0], "customer": ["x", "x", "y", "z", "w"]})
    got = actuals_from_orders(orders, plan).assign(rep=lambda f: f["rep"].astype(str)).set_index(
        ["rep", "pno", "measure"])
    assert got.loc[("A", JUNE, "revenue")].tolist() == [200.0, -50.0]
    assert got.loc[("A", JUNE, "collections")].tolist() == [150.0, 0.0]
    # x first ordered in 2025 (not new in June); z is A's new customer, y is B's
    assert got.loc[("A", JUNE, "new_customers"), "achieved"] == 1
    assert got.loc[("B", JUNE, "new_customers"), "achieved"] == 1
    assert got.loc[("B", JUNE + 1, "revenue"), "achieved"] == 70


@pytest.mark.parametrize("mode", ["marginal", "retro"])
@pytest.mark.parametrize("achieved", [109_999.99, 110_000.0, 120_000.0, 130_000.0])
def test_engine_and_commission_agree_exactly_at_quota_fraction_bounds(mode, achieved):
    # 1.1 × 100 000 is 110 000.00000000001 in binary: achieving exactly 110 000 reaches the tier
    tiers = [(0, 0.05), (1.1, 0.08), (1.2, 0.12)]
    plan = one_measure(tiers, basis="quota", mode=mode, quota=100_000, cap=9_876.543)
    assert june(run(plan, [("A", JUNE, "revenue", achieved, 0)])) == \
        min(xlsales.commission(achieved, tiers, 100_000, mode, 9_876.543), 9_876.54)
