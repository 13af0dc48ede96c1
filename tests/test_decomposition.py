"""Target decomposition: hand-worked examples, independent re-computation and tie-out properties."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlsales
from xlsales.core.decomposition import (
    MeasurePlan, PlanSettings, capacity_by_month, elapsed_shares, monthly_history, pacing, plan_targets,
)
from xlsales.errors import InputError

MONTHS_2024_2025 = pd.date_range("2024-01-01", periods=24, freq="MS")


def roster(**extra):
    frame = pd.DataFrame({
        "rep": ["Ann", "Bob", "Cai", "Dan"],
        "region": ["East", "East", "West", "West"],
        "team": ["E1", "E1", "W1", "W1"],
        "hire_date": pd.to_datetime(["2020-01-01"] * 4),
        "potential": [100.0, 300.0, 200.0, 400.0],
        "active": [True] * 4,
    })
    return frame.assign(**extra)


def history(yearly: dict[str, tuple[float, float]], season=None) -> pd.DataFrame:
    """Revenue per rep: each year's amount spread over months by ``season`` (default even)."""
    season = np.full(12, 1 / 12) if season is None else np.asarray(season) / np.sum(season)
    rows = []
    for rep, (y2024, y2025) in yearly.items():
        values = np.concatenate([y2024 * season, y2025 * season])
        rows.append(pd.DataFrame({"measure": "revenue", "rep": rep, "month": MONTHS_2024_2025, "actual": values}))
    return pd.concat(rows, ignore_index=True)


def revenue_only(**kw):
    return (MeasurePlan("revenue", round_to=kw.pop("round_to", 100.0), **kw),)


YEARLY = {"Ann": (9_000, 10_000), "Bob": (27_000, 30_000), "Cai": (18_000, 20_000), "Dan": (36_000, 40_000)}


def test_hand_worked_history_basis():
    # Company: last year 100 000 × 1.10 = 110 000; shares by 2025 actuals 10/30/20/40 %.
    # Regions: East 40 % = 44 000, West 60 % = 66 000. Reps: Ann 11 000, Bob 33 000, Cai 22 000, Dan 44 000.
    plan = plan_targets(history(YEARLY), roster(), PlanSettings(
        year=2026, measures=revenue_only(growth=0.10), basis="history"))
    assert plan.company.loc[0, "company_target"] == 110_000
    assert plan.regions.set_index("region")["target"].to_dict() == {"East": 44_000, "West": 66_000}
    assert plan.reps.set_index("rep")["target"].to_dict() == {
        "Ann": 11_000, "Bob": 33_000, "Cai": 22_000, "Dan": 44_000}
    # Even seasonality: the company's 1 100 units of 100 over 12 months = 91.67 a month → 92 in the
    # first eight months (ties go to the earlier month), 91 in the last four: 8 × 92 + 4 × 91 = 1 100.
    company = plan.monthly.groupby("month")["target"].sum().tolist()
    assert company == [9200] * 8 + [9100] * 4
    # Each rep's months are the exact share (Ann 916.67) rounded down or up, and add up to the year:
    # Ann 10 × 900 + 2 × 1 000.
    ann = plan.monthly[plan.monthly["rep"] == "Ann"]["target"]
    assert sorted(ann.tolist()) == [900] * 10 + [1000] * 2


def test_buffer_and_forecast_methods():
    # wma over two years with weights 1, 2: (100 000 + 2 × 110 000) / 3 … here 90 000 and 100 000:
    # (90 000 + 200 000) / 3 = 96 666.67; × 1.2 = 116 000; buffer 10 % → 127 600 carried by reps.
    plan = plan_targets(history(YEARLY), roster(), PlanSettings(
        year=2026, measures=revenue_only(growth=0.2, method="wma", window=2), basis="history", buffer=0.1))
    row = plan.company.iloc[0]
    assert row["forecast"] == pytest.approx(96_666.6667, abs=1e-3)
    assert row["company_target"] == 116_000
    assert row["assigned_total"] == 127_600
    assert plan.reps["target"].sum() == 127_600


def test_company_target_by_hand_replaces_forecast():
    plan = plan_targets(history(YEARLY), roster(), PlanSettings(
        year=2026, measures=revenue_only(company_target=123_456), basis="history"))
    assert plan.company.loc[0, "company_target"] == 123_500  # rounded to the unit of 100


def test_matches_the_split_target_function_at_every_level():
    """Re-derive the whole plan with the SPEC's scalar SPLIT_TARGET, level by level."""
    reps = roster(potential=[120.0, 80.0, 50.0, 250.0])
    plan = plan_targets(history(YEARLY, season=range(1, 13)), reps, PlanSettings(
        year=2026, measures=revenue_only(growth=0.13), basis="potential"))
    total = plan.company.loc[0, "assigned_total"]
    region_weights = [200.0, 300.0]
    east, west = xlsales.split_target(total, region_weights, round_to=100)
    assert plan.regions["target"].tolist() == [east, west]
    expected = xlsales.split_target(east, [120, 80], round_to=100) + xlsales.split_target(west, [50, 250], round_to=100)
    assert plan.reps["target"].tolist() == expected
    # Months: the company's months are SEASONAL_SPLIT of the total over the history's season (to the
    # nearest unit), each rep's months are his exact seasonal share rounded down or up.
    season = np.arange(1, 13) / 78
    company = plan.monthly.groupby("month")["target"].sum().tolist()
    assert company == xlsales.split_target(total, season.tolist(), round_to=100)
    for rep, target in zip(reps["rep"], expected):
        months = plan.monthly[plan.monthly["rep"] == rep]["target"].to_numpy()
        assert months.sum() == target
        assert (np.abs(months - target * season) < 100).all()


def test_capacity_ramp_for_new_hires():
    reps = roster(hire_date=pd.to_datetime(["2020-01-01", "2026-03-10", "2025-11-01", "2020-01-01"]),
                  active=[True, True, True, False])
    capacity = capacity_by_month(reps, 2026, (0.25, 0.5, 0.75, 1.0))
    assert capacity.loc["Ann"].tolist() == [1.0] * 12
    assert capacity.loc["Bob"].tolist() == [0, 0, 0.25, 0.5, 0.75] + [1.0] * 7   # joins in March
    assert capacity.loc["Cai"].tolist() == [0.75] + [1.0] * 11   # joined Nov 2025: .25 Nov, .5 Dec, .75 Jan
    assert capacity.loc["Dan"].tolist() == [0.0] * 12                               # inactive
    plan = plan_targets(history(YEARLY), reps, PlanSettings(
        year=2026, measures=revenue_only(growth=0.1), basis="capacity"))
    # Capacity weights 12, 8.5, 11.75, 0 (FTE-months); Bob's months before he joins get nothing.
    bob = plan.monthly[plan.monthly["rep"] == "Bob"]["target"].tolist()
    assert bob[:2] == [0, 0] and bob[2] > 0
    assert plan.reps.set_index("rep").loc["Dan", "target"] == 0
    east = plan.regions.set_index("region").loc["East", "target"]
    assert plan.reps.set_index("rep").loc[["Ann", "Bob"], "target"].tolist() == \
        xlsales.split_target(east, [12, 8.5], round_to=100)


def test_blend_mixes_shares():
    plan = plan_targets(history(YEARLY), roster(), PlanSettings(
        year=2026, measures=revenue_only(growth=0.1), basis="blend",
        blend=(("history", 0.5), ("potential", 0.5))))
    weights = plan.reps.set_index("rep")["weight"]
    # history shares .1/.3/.2/.4, potential shares 100/300/200/400 of 1000 = the same → same blend
    assert weights.round(12).tolist() == [0.1, 0.3, 0.2, 0.4]


def test_override_is_kept_and_the_region_re_splits():
    overrides = pd.DataFrame({"measure": ["revenue"], "rep": ["Ann"], "target": [20_000.0]})
    plan = plan_targets(history(YEARLY), roster(), PlanSettings(
        year=2026, measures=revenue_only(growth=0.10), basis="history"), overrides)
    targets = plan.reps.set_index("rep")["target"]
    assert targets["Ann"] == 20_000
    assert targets["Bob"] == 44_000 - 20_000            # East still ties out at 44 000
    assert targets[["Cai", "Dan"]].tolist() == [22_000, 44_000]   # West untouched
    assert plan.reps.set_index("rep").loc["Ann", "override"] == 20_000


@pytest.mark.parametrize("target, message", [
    (50_000.0, "override: the overrides in region East (revenue) add up to 50000, above the region's target 44000"),
    (20_050.0, "override: Ann (revenue) 20050 is not a multiple of 100"),
    (-1.0, "override: Ann (revenue) is negative"),
])
def test_bad_overrides(target, message):
    overrides = pd.DataFrame({"measure": ["revenue"], "rep": ["Ann"], "target": [target]})
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        plan_targets(history(YEARLY), roster(), PlanSettings(
            year=2026, measures=revenue_only(growth=0.10), basis="history"), overrides)


def test_bad_settings_name_the_setting():
    with pytest.raises(InputError, match="blend: weights add up to 0.9"):
        PlanSettings(year=2026, blend=(("history", 0.5), ("capacity", 0.4)))
    with pytest.raises(InputError, match="basis: expected one of"):
        PlanSettings(year=2026, basis="gut feeling")


def test_monthly_history_measures():
    orders = pd.DataFrame({
        "date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-03", "2025-02-10"]),
        "rep": ["Ann", "Bob", "Ann", "Bob"], "amount": [100.0, 50.0, 70.0, 30.0],
        "collected": [100.0, 0.0, 35.0, None], "customer": ["X", "Y", "X", "Z"],
    })
    h = monthly_history(orders).set_index(["measure", "rep", "month"])["actual"]
    jan, feb = pd.Timestamp("2025-01-01"), pd.Timestamp("2025-02-01")
    assert h[("revenue", "Ann", jan)] == 100 and h[("revenue", "Ann", feb)] == 70
    assert h[("collections", "Bob", feb)] == 0
    # X and Y are new in January (Ann, Bob); X again in February is not new; Z is Bob's new one.
    assert h[("new_customers", "Ann", jan)] == 1 and h[("new_customers", "Bob", jan)] == 1
    assert ("new_customers", "Ann", feb) not in h.index
    assert h[("new_customers", "Bob", feb)] == 1


def ann_months(plan, months=(1000, 1000) + (900,) * 10):
    """The plan with Ann's months set by hand (the pacing rules below are worked on these)."""
    pick = (plan.monthly["rep"] == "Ann") & (plan.monthly["measure"] == "revenue")
    plan.monthly.loc[pick, "target"] = list(months)
    return plan


def test_pacing_hand_worked():
    plan = ann_months(plan_targets(history(YEARLY), roster(), PlanSettings(
        year=2026, measures=revenue_only(growth=0.10), basis="history")))
    # Ann: 11 000 a year, months 1000, 1000, 900 … ; actuals in 2026: January 1 500, February 400.
    plan.history = pd.concat([plan.history, pd.DataFrame({
        "measure": "revenue", "rep": "Ann", "month": pd.to_datetime(["2026-01-01", "2026-02-01"]),
        "actual": [1500.0, 400.0]})], ignore_index=True)
    pace = pacing(plan, "2026-02-14").set_index("rep").loc["Ann"]
    # Expected by 14 Feb: January 1000 + 14/28 of February's 1000 = 1500.
    assert pace["expected_to_date"] == pytest.approx(1500)
    assert pace["actual_to_date"] == 1900
    assert pace["attainment"] == pytest.approx(1900 / 11_000)
    assert pace["gap"] == 9100
    assert pace["run_rate"] == pytest.approx(1900 / 45 * 365)          # 45 days elapsed of 365
    assert pace["required_daily_pace"] == pytest.approx(9100 / 320)
    assert not pace["behind_pace"]
    assert elapsed_shares(2026, "2026-02-14")[:3].tolist() == [1.0, 0.5, 0.0]


@st.composite
def organisations(draw):
    n = draw(st.integers(1, 12))
    regions = draw(st.lists(st.sampled_from(["N", "S", "E"]), min_size=n, max_size=n))
    last_year = draw(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=n, max_size=n))
    potential = draw(st.lists(st.floats(0, 1e6, allow_nan=False), min_size=n, max_size=n))
    hires = draw(st.lists(st.integers(-40, 11), min_size=n, max_size=n))
    return n, regions, last_year, potential, hires


@settings(max_examples=60, deadline=None)
@given(organisations(), st.sampled_from(["history", "potential", "capacity", "blend"]),
       st.floats(0, 0.5), st.sampled_from([1.0, 100.0, 1000.0]))
def test_every_level_adds_up_exactly(org, basis, buffer, unit):
    n, regions, last_year, potential, hires = org
    reps = pd.DataFrame({
        "rep": [f"r{i}" for i in range(n)], "region": regions, "team": "t",
        "hire_date": [pd.Timestamp("2026-01-01") + pd.DateOffset(months=h) for h in hires],
        "potential": potential, "active": True,
    })
    hist = pd.concat([pd.DataFrame({"measure": "revenue", "rep": f"r{i}",
                                    "month": pd.date_range("2025-01-01", periods=12, freq="MS"),
                                    "actual": last_year[i] / 12}) for i in range(n)], ignore_index=True)
    hist.loc[0, "actual"] += 1000.0   # something to split even when draws are all 0
    reps.loc[0, "potential"] += 1.0
    try:
        plan = plan_targets(hist, reps, PlanSettings(
            year=2026, measures=(MeasurePlan("revenue", round_to=unit),), basis=basis, buffer=buffer))
    except InputError as error:
        assert "weight 0" in str(error)   # e.g. capacity basis where nobody has joined yet
        return
    assigned = plan.company.loc[0, "assigned_total"]
    assert plan.regions["target"].sum() == assigned
    assert plan.reps["target"].sum() == assigned
    by_region = plan.reps.groupby("region")["target"].sum()
    assert (by_region == plan.regions.set_index("region")["target"]).all()
    by_rep = plan.monthly.groupby("rep", sort=False)["target"].sum()
    assert (by_rep.reindex(plan.reps["rep"]).to_numpy() == plan.reps["target"].to_numpy()).all()
    assert (plan.monthly["target"] >= 0).all()
    assert np.allclose(plan.monthly["target"] % unit, 0)


def test_resplit_keeps_what_is_booked_and_spreads_the_rest():
    from xlsales.core.decomposition import resplit_remaining

    plan = ann_months(plan_targets(history(YEARLY), roster(), PlanSettings(
        year=2026, measures=revenue_only(growth=0.10), basis="history")))
    # Ann: 11 000 for the year (1000, 1000, then 900 a month). Booked: Jan 1 500, Feb 400.
    plan.history = pd.concat([plan.history, pd.DataFrame({
        "measure": "revenue", "rep": "Ann", "month": pd.to_datetime(["2026-01-01", "2026-02-01"]),
        "actual": [1500.0, 400.0]})], ignore_index=True)
    ann = resplit_remaining(plan, "2026-02-28").query("rep == 'Ann'")
    # Jan and Feb are over: they keep 1 500 and 400. Left: 11 000 − 1 900 = 9 100 = 91 units of 100
    # over Mar–Dec (original 900 each, equal weights): 9 units each = 90, the 1 left to March (earliest).
    assert ann["revised"].tolist() == [1500, 400, 1000] + [900] * 9
    assert ann["revised"].sum() == 11_000
    # Mid-February, February is still open: it keeps its 400 booked and takes a share of what is left.
    mid = resplit_remaining(plan, "2026-02-14").query("rep == 'Ann'")["revised"].tolist()
    assert mid[0] == 1500 and mid[1] > 400 and sum(mid) == 11_000
    # Bookings not in whole units: the rest is rounded up so the year still reaches the target.
    plan.history.loc[plan.history.index[-1], "actual"] = 433.0
    assert resplit_remaining(plan, "2026-02-28").query("rep == 'Ann'")["revised"].sum() == 11_033


def test_key_product_revenue_is_a_measure_of_its_own():
    orders = pd.DataFrame({
        "date": pd.to_datetime(["2025-01-05", "2025-01-20", "2025-02-03"]), "rep": ["Ann", "Ann", "Bob"],
        "amount": [100.0, 50.0, 70.0], "product": ["ERP", "CRM", "ERP"],
    })
    h = monthly_history(orders, key_product="ERP").set_index(["measure", "rep", "month"])["actual"]
    assert h[("key_product", "Ann", pd.Timestamp("2025-01-01"))] == 100
    assert h[("key_product", "Bob", pd.Timestamp("2025-02-01"))] == 70
    assert h[("revenue", "Ann", pd.Timestamp("2025-01-01"))] == 150
    assert "key_product" not in set(monthly_history(orders)["measure"])


def test_measures_without_history_are_left_out():
    # Revenue only in the history: collections, new customers and key product are not planned.
    plan = plan_targets(history(YEARLY), roster(), PlanSettings(year=2026, basis="history"))
    assert list(plan.company["measure"]) == ["revenue"]
    assert [m.measure for m in plan.settings.measures] == ["revenue"]
