"""Sample opportunities and stage events: deterministic, realistic, and the same story told two ways."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from xlsales.core.funnel_analysis import analyse_funnel
from xlsales.core.funnel_history import deals_as_of
from xlsales.core.stages import default_stages
from xlsales.io.opportunities import check_opportunities, with_rep_details
from xlsales.sample import sample_company
from xlsales.sample.opportunities import sample_opportunities, sample_stage_events


@pytest.fixture(scope="module")
def company():
    return sample_company()


@pytest.fixture(scope="module")
def opps(company):
    return sample_opportunities(company)


def test_deterministic_from_the_seed(company, opps):
    assert sample_opportunities(company).equals(opps)
    other = sample_opportunities(sample_company(seed=8))
    assert not other["amount"].head(50).equals(opps["amount"].head(50))


def test_a_few_thousand_deals_over_the_sample_reps(company, opps):
    assert 2000 <= len(opps) <= 8000
    assert set(opps["rep"]) <= set(company.reps["rep"])
    assert opps["id"].is_unique
    assert opps["created"].min() >= company.start and opps["created"].max() <= company.as_of
    assert set(opps["status"]) == {"open", "won", "lost"}


def test_passes_the_input_checks(company, opps):
    frame = opps.copy()
    frame.attrs.update(source="sample.csv", headers={})
    checked = check_opportunities(frame, default_stages(), company.reps)    # raises on any problem
    assert len(checked) == len(opps)
    closed = opps[opps["status"] != "open"]
    assert (closed["closed_date"] >= closed["created"]).all() and opps.loc[opps.status == "open", "closed_date"].isna().all()


def test_realistic_funnel_with_stale_slipped_and_a_bottleneck(company, opps):
    result = analyse_funnel(with_rep_details(opps, company.reps), default_stages(), company.as_of)
    conversion = result.by_stage["conversion"].to_numpy()[:-1]
    assert np.all((conversion > 0.45) & (conversion < 0.8))
    s = result.summary.set_index("metric")["value"]
    assert 0.1 < s["win_rate"] < 0.25
    assert s["stale_deals"] > 10 and s["slipped_deals"] > 10 and s["not_credible"] > 0
    assert (result.deals["past_due"]).sum() > 0
    assert s["bottleneck"] == "proposal"                # the weak team's step shows at company level
    assert 30 < s["cycle_days"] < 150
    assert (result.by_team["bottleneck"] == "proposal").any()
    assert opps["close_date_changes"].max() >= 3


def test_won_revenue_is_on_the_scale_of_orders(company, opps):
    won = opps[opps["status"] == "won"]["amount"].sum()
    orders = company.orders["amount"].sum()
    assert 0.5 < won / orders < 2


def test_chinese_labels(company):
    zh = sample_opportunities(company, lang="zh")
    assert set(zh["stage"]) <= {"线索", "需求分析", "方案报价", "商务谈判", "赢单"}
    assert set(zh["status"]) == {"进行中", "赢单", "输单"}


def test_events_rebuild_the_snapshot_on_any_date(company):
    events = sample_stage_events(company)
    names = default_stages()["stage"]
    assert events.groupby("id")["entered"].is_monotonic_increasing.all()
    for as_of in (company.as_of, company.as_of - pd.Timedelta(days=75), pd.Timestamp("2024-05-01")):
        snapshot = sample_opportunities(company, as_of=as_of)
        rebuilt = deals_as_of(events, snapshot, as_of, names).set_index("id").loc[snapshot["id"]]
        expected = snapshot.set_index("id")
        assert len(rebuilt) == len(expected)
        for column in ("stage", "status"):
            assert (rebuilt[column].to_numpy() == expected[column].to_numpy()).all(), column
        for column in ("stage_entered", "closed_date"):
            assert rebuilt[column].astype("datetime64[ns]").equals(expected[column].astype("datetime64[ns]")), column


def test_events_by_hand():
    T = pd.Timestamp
    events = pd.DataFrame({
        "id": ["x", "x", "x", "y", "y", "y"],
        "stage_no": [1, 2, 2, 1, 2, 3],
        "status": ["open", "open", "lost", "open", "open", "won"],
        "entered": [T("2026-01-01"), T("2026-02-01"), T("2026-03-01"), T("2026-01-05"), T("2026-01-20"), T("2026-04-01")],
    })
    deals = pd.DataFrame({"id": ["x", "y", "z"], "rep": ["a", "a", "b"], "amount": [1.0, 2.0, 3.0]})
    names = ["lead", "proposal", "won"]
    on = deals_as_of(events, deals, "2026-03-15", names).set_index("id")
    assert list(on.index) == ["x", "y"]                               # z has no events
    assert on.loc["x", ["stage", "status"]].tolist() == ["proposal", "lost"]
    assert on.loc["x", "stage_entered"] == T("2026-02-01") and on.loc["x", "closed_date"] == T("2026-03-01")
    assert on.loc["y", ["stage", "status"]].tolist() == ["proposal", "open"] and pd.isna(on.loc["y", "closed_date"])
    later = deals_as_of(events, deals, "2026-05-01", names).set_index("id")
    assert later.loc["y", ["stage", "status"]].tolist() == ["won", "won"]
    assert later.loc["y", "stage_entered"] == later.loc["y", "closed_date"] == T("2026-04-01")


from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(1, 4), st.lists(st.integers(0, 20), min_size=1,
                                                                          max_size=4), st.sampled_from(["open", "won", "lost"])),
                min_size=1, max_size=12), st.integers(0, 60))
def test_deals_as_of_against_a_naive_replay(histories, as_of_day):
    """Random histories: each deal enters stages 1..k on increasing days, then may close; replaying the
    events one by one up to the date must give the same stage, status and dates."""
    T = pd.Timestamp
    start = T("2026-01-01")
    rows = []
    for i, (first, k, gaps, end) in enumerate(histories):
        day = first
        for stage in range(1, k + 1):
            rows.append((f"d{i}", stage, "open", start + pd.Timedelta(days=day)))
            day += gaps[(stage - 1) % len(gaps)]
        if end != "open":
            rows.append((f"d{i}", 5 if end == "won" else k, end, start + pd.Timedelta(days=day)))
    events = pd.DataFrame(rows, columns=["id", "stage_no", "status", "entered"])
    deals = pd.DataFrame({"id": [f"d{i}" for i in range(len(histories))], "amount": 1.0})
    names = ["s1", "s2", "s3", "s4", "won"]
    as_of = start + pd.Timedelta(days=as_of_day)
    got = deals_as_of(events.sample(frac=1, random_state=1), deals, as_of, names).set_index("id")
    for deal_id, group in events.groupby("id"):
        seen = group[group["entered"] <= as_of]
        if seen.empty:
            assert deal_id not in got.index
            continue
        last = seen.iloc[-1]
        opens = seen[seen["status"] == "open"]
        row = got.loc[deal_id]
        assert row["stage"] == names[last["stage_no"] - 1] and row["status"] == last["status"]
        if last["status"] == "open":
            assert pd.isna(row["closed_date"]) and row["stage_entered"] == opens.iloc[-1]["entered"]
        else:
            assert row["closed_date"] == last["entered"]
            assert row["stage_entered"] == (last["entered"] if last["status"] == "won" else opens.iloc[-1]["entered"])


def test_each_deal_is_with_a_customer_of_its_rep(company, opps):
    sold = set(zip(company.orders["rep"], company.orders["customer"]))
    with_orders = opps["rep"].isin(set(company.orders["rep"]))
    assert all((r, c) in sold for r, c in zip(opps.loc[with_orders, "rep"], opps.loc[with_orders, "customer"]))
