"""Funnel analytics: hand-worked examples, a naive second implementation, and properties."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import xlsales
from xlsales.core.funnel import conversion_rates, coverage, velocity
from xlsales.core.funnel_analysis import analyse_funnel, deal_facts, forecast_category, period_bounds
from xlsales.core.stages import complete_stages, default_stages
from xlsales.errors import InputError

T = pd.Timestamp
AS_OF = T("2026-06-30")


def _deal(id, rep, team, amount, stage, status, created, entered, expected, closed=None, pushes=0):
    return dict(id=id, rep=rep, team=team, amount=float(amount), stage=stage, status=status, created=T(created),
                stage_entered=T(entered), expected_close=T(expected),
                closed_date=T(closed) if closed else pd.NaT, close_date_changes=pushes)


def hand_deals() -> pd.DataFrame:
    """Five deals worked by hand in docs/funnel.md."""
    return pd.DataFrame([
        _deal("A", "ann", "east", 100, "lead", "open", "2026-01-01", "2026-05-01", "2026-07-31"),
        _deal("B", "ann", "east", 200, "proposal", "open", "2026-02-01", "2026-06-20", "2026-06-15", pushes=1),
        _deal("C", "ann", "east", 300, "won", "won", "2026-01-01", "2026-03-01", "2026-03-01", "2026-03-01"),
        _deal("D", "bob", "west", 400, "needs analysis", "lost", "2026-01-10", "2026-02-01", "2026-04-01",
              "2026-04-01"),
        _deal("E", "bob", "west", 500, "negotiation", "open", "2026-01-10", "2026-05-01", "2026-08-01", pushes=3),
    ])


def hand_targets() -> pd.DataFrame:
    months = pd.date_range("2026-01-01", periods=12, freq="MS")
    rows = [("revenue", "R", "east", "ann", m, 1000 / 12) for m in months]
    rows += [("revenue", "R", "west", "bob", m, 50.0) for m in months]
    rows += [("collections", "R", "west", "bob", m, 999.0) for m in months]   # other measures ignored
    return pd.DataFrame(rows, columns=["measure", "region", "team", "rep", "month", "target"])


@pytest.fixture(scope="module")
def hand():
    return analyse_funnel(hand_deals(), default_stages(), AS_OF, hand_targets())


# ------------------------------------------------------------------------------ hand-worked


def test_stage_counts_amounts_and_conversion_by_hand(hand):
    s = hand.by_stage.set_index("stage")
    assert s["reached"].tolist() == [5, 4, 3, 2, 1]            # a lost/won deal passed the earlier stages
    assert s["open_deals"].tolist() == [1, 0, 1, 1, 0]
    assert s["open_amount"].tolist() == [100, 0, 200, 500, 0]
    assert s["weighted"].tolist() == pytest.approx([10, 0, 100, 375, 0])
    assert s["conversion"].tolist()[:4] == pytest.approx([4 / 5, 3 / 4, 2 / 3, 1 / 2])
    assert math.isnan(s["conversion"].iloc[-1])
    assert s["norm"].tolist()[:4] == pytest.approx([0.4, 0.5, 2 / 3, 0.75])   # p_k / p_k+1


def test_win_rate_deal_size_cycle_velocity_by_hand(hand):
    m = hand.summary.set_index("metric")["value"]
    assert m["win_rate"] == 0.5                        # 1 won (C), 1 lost (D)
    assert m["avg_deal"] == 300
    assert m["cycle_days"] == 59                       # 2026-01-01 → 2026-03-01
    assert m["velocity"] == pytest.approx(3 * 0.5 * 300 / 59)
    assert m["weighted_pipeline"] == pytest.approx(10 + 100 + 375)
    assert m["open_pipeline"] == 800


def test_stale_slipped_and_categories_by_hand(hand):
    d = hand.deals.set_index("id")
    assert d.loc["A", "days_in_stage"] == 60
    assert d["stale"].to_dict() == {"A": True, "B": False, "C": False, "D": False, "E": True}
    assert d["slipped"].to_dict() == {"A": False, "B": True, "C": False, "D": False, "E": True}
    assert d["not_credible"].to_dict() == {"A": False, "B": False, "C": False, "D": False, "E": True}
    assert d["category"].to_dict() == {"A": "pipeline", "B": "best case", "C": "closed", "D": "omitted",
                                       "E": "best case"}   # E would be commit but was pushed 3 times


def test_bottleneck_is_lowest_conversion_against_norm(hand):
    m = hand.summary.set_index("metric")["value"]
    assert m["bottleneck"] == "negotiation"            # 0.5 / 0.75 = 0.67 is the lowest ratio
    reps = hand.by_rep.set_index("rep")
    assert reps.loc["ann", "bottleneck"] == "proposal"  # ann: 1/2 vs 2/3
    assert reps.loc["bob", "bottleneck"] == "negotiation"


def test_forecast_against_target_by_hand(hand):
    f = hand.forecast.set_index("rep")
    assert f.loc["ann", "target"] == pytest.approx(1000)
    assert f.loc["ann", "closed"] == 300
    assert f.loc["ann", "gap"] == pytest.approx(700)
    assert f.loc["ann", "pipeline"] == 300
    assert f.loc["ann", "coverage"] == pytest.approx(300 / 700)
    assert f.loc["ann", "deals_needed"] == 3                   # ceil(700 / (1.0 × 300))
    assert f.loc["ann", "deals_needed"] == xlsales.deals_needed(700, 1.0, 300)
    assert f.loc["bob", "target"] == 600
    assert f.loc["bob", "coverage"] == pytest.approx(500 / 600)
    assert math.isnan(f.loc["bob", "deals_needed"])            # no win yet: no rate to divide by
    assert f.loc["bob", "best_case"] == 500 and f.loc["ann", "best_case"] == 200
    m = hand.summary.set_index("metric")["value"]
    assert m["target"] == pytest.approx(1600) and m["gap"] == pytest.approx(1300)
    assert m["coverage"] == pytest.approx(800 / 1300)
    assert m["deals_needed"] == math.ceil(1300 / (0.5 * 300) - 1e-9)


def test_without_targets_the_target_parts_are_blank():
    r = analyse_funnel(hand_deals(), default_stages(), AS_OF)
    assert r.forecast["target"].isna().all() and r.forecast["gap"].isna().all()
    assert r.forecast["coverage"].isna().all()
    assert math.isnan(r.summary.set_index("metric")["value"]["coverage"])


def test_as_of_leaves_out_later_deals_and_reopens_later_closes():
    r = analyse_funnel(hand_deals(), default_stages(), "2026-02-15")
    d = r.deals.set_index("id")
    assert sorted(d.index) == ["A", "B", "C", "D", "E"]
    assert d.loc["C", "status"] == "open" and d.loc["C", "stage"] == "negotiation"   # won on 3/1
    assert d.loc["D", "status"] == "open" and d.loc["D", "stage"] == "needs analysis"
    r = analyse_funnel(hand_deals(), default_stages(), "2026-01-05")
    assert sorted(r.deals["id"]) == ["A", "C"]


def test_period_bounds():
    assert period_bounds("2026-05-17", "quarter") == (T("2026-04-01"), T("2026-06-30"))
    assert period_bounds("2026-05-17", "month") == (T("2026-05-01"), T("2026-05-31"))
    assert period_bounds("2026-05-17") == (T("2026-01-01"), T("2026-12-31"))


def test_quarter_period_uses_only_that_quarters_targets():
    r = analyse_funnel(hand_deals(), default_stages(), AS_OF, hand_targets(), period="quarter")
    f = r.forecast.set_index("rep")
    assert f.loc["bob", "target"] == 150 and f.loc["ann", "closed"] == 0   # C closed in Q1


# ------------------------------------------------------------------------------ the scalar rules agree


def test_vector_kernels_are_the_excel_functions_rules():
    counts = [10, 6, 0, 0]
    assert xlsales.funnel_conversion(counts) == [0.6, 0.0, None]
    assert np.allclose(conversion_rates(counts)[:2], [0.6, 0.0]) and np.isnan(conversion_rates(counts)[2])
    assert velocity(5, 0.2, 1000, 30) == xlsales.sales_velocity(5, 0.2, 1000, 30)
    assert coverage(300, 1000, 400) == xlsales.pipeline_coverage(300, 1000, 400)
    assert np.isnan(coverage(300, 1000, 1000)) and xlsales.pipeline_coverage(300, 1000, 1000) is None


def test_group_figures_equal_the_excel_functions(hand):
    s = hand.by_stage
    assert s["conversion"].tolist()[:4] == pytest.approx(xlsales.funnel_conversion(s["reached"].tolist()))
    open_deals = hand.deals[hand.deals["is_open"]]
    assert hand.summary.set_index("metric")["value"]["weighted_pipeline"] == pytest.approx(
        xlsales.weighted_pipeline(open_deals["amount"].tolist(), open_deals["probability"].tolist()))
    ann = hand.by_rep.set_index("rep").loc["ann"]
    assert ann["velocity"] == pytest.approx(xlsales.sales_velocity(ann["open_deals"], ann["win_rate"],
                                                                   ann["avg_deal"], ann["cycle_days"]))


# ------------------------------------------------------------------------------ naive second implementation


def naive(deals: pd.DataFrame, stages: pd.DataFrame, as_of) -> dict:
    """The same rules written as plain loops over deals, for comparison."""
    as_of = T(as_of)
    order = {s: i + 1 for i, s in enumerate(stages["stage"])}
    n = len(stages)
    by_rep: dict = {}
    for row in deals.itertuples(index=False):
        if row.created > as_of:
            continue
        status, k = row.status, order[row.stage]
        if status != "open" and row.closed_date > as_of:
            status, k = "open", (n - 1 if status == "won" else k)
        r = by_rep.setdefault(row.rep, dict(reached=[0] * n, open=0, amount=0.0, weighted=0.0, won=0, lost=0,
                                            won_amount=0.0, cycles=[], stale=0, slipped=0))
        for j in range(k):
            r["reached"][j] += 1
        if status == "open":
            p = stages["probability"].iloc[k - 1]
            r["open"] += 1
            r["amount"] += row.amount
            r["weighted"] += row.amount * p
            entered = min(row.stage_entered, as_of)
            limit = stages["stale_days"].iloc[k - 1]
            r["stale"] += int(not math.isnan(limit) and (as_of - entered).days > limit)
            r["slipped"] += int(row.expected_close < as_of or row.close_date_changes > 0)
        elif status == "won":
            r["won"] += 1
            r["won_amount"] += row.amount
            r["cycles"].append((row.closed_date - row.created).days)
        else:
            r["lost"] += 1
    return by_rep


def test_sample_company_against_naive_implementation():
    from xlsales.io.opportunities import with_rep_details
    from xlsales.sample import sample_company
    from xlsales.sample.opportunities import sample_opportunities

    company = sample_company(seed=3, reps=12, months=18)
    deals = with_rep_details(sample_opportunities(company), company.reps)
    as_of = company.as_of - pd.Timedelta(days=40)            # some deals closed later: reopened
    result = analyse_funnel(deals, default_stages(), as_of)
    expected = naive(deals, default_stages(), as_of)
    reps = result.by_rep.set_index("rep")
    funnel = result.stage_by_rep.pivot(index="rep", columns="stage_no", values="reached")
    assert set(reps.index) == set(expected)
    for rep, e in expected.items():
        got = reps.loc[rep]
        assert funnel.loc[rep].tolist() == e["reached"]
        assert (got["open_deals"], got["won"], got["lost"], got["stale"], got["slipped"]) == (
            e["open"], e["won"], e["lost"], e["stale"], e["slipped"])
        assert got["open_amount"] == pytest.approx(e["amount"])
        assert got["weighted"] == pytest.approx(e["weighted"])
        closed = e["won"] + e["lost"]
        if closed:
            assert got["win_rate"] == pytest.approx(e["won"] / closed)
        if e["won"]:
            assert got["avg_deal"] == pytest.approx(e["won_amount"] / e["won"])
            assert got["cycle_days"] == pytest.approx(np.mean(e["cycles"]))
    totals = result.by_stage["reached"].tolist()
    assert totals == np.sum([e["reached"] for e in expected.values()], axis=0).tolist()


# ------------------------------------------------------------------------------ properties


deal_rows = st.lists(st.tuples(
    st.integers(1, 5), st.sampled_from(["open", "won", "lost"]), st.integers(0, 10_000),
    st.integers(0, 200), st.integers(0, 120), st.integers(-60, 120), st.integers(0, 5),
    st.sampled_from(["a", "b", "c"])), min_size=1, max_size=40)


def _frame(rows) -> pd.DataFrame:
    names = default_stages()["stage"].tolist()
    out = []
    for i, (k, status, amount, age, in_stage, due, pushes, rep) in enumerate(rows):
        if status == "won":
            k = 5
        elif k == 5:
            status = "won"
        created = AS_OF - pd.Timedelta(days=age)
        entered = max(created, AS_OF - pd.Timedelta(days=in_stage))
        closed = entered if status != "open" else pd.NaT
        out.append(dict(id=str(i), rep=rep, team="t", amount=float(amount), stage=names[k - 1], status=status,
                        created=created, stage_entered=entered, expected_close=AS_OF + pd.Timedelta(days=due),
                        closed_date=closed, close_date_changes=pushes))
    return pd.DataFrame(out)


@settings(max_examples=60, deadline=None)
@given(deal_rows)
def test_funnel_properties(rows):
    deals = _frame(rows)
    r = analyse_funnel(deals, default_stages(), AS_OF)
    reached = r.by_stage["reached"].to_numpy()
    assert reached[0] == len(deals) and np.all(np.diff(reached) <= 0)          # a funnel narrows
    conv = r.by_stage["conversion"].to_numpy()[:-1]
    assert np.all((conv[~np.isnan(conv)] >= 0) & (conv[~np.isnan(conv)] <= 1))
    assert r.by_stage["open_amount"].sum() == pytest.approx(deals.loc[deals.status == "open", "amount"].sum())
    assert r.by_rep["weighted"].sum() == pytest.approx(r.by_stage["weighted"].sum())
    assert r.by_rep["open_deals"].sum() == (deals.status == "open").sum()
    assert r.by_stage["reached"].iloc[-1] == (deals.status == "won").sum()
    assert (r.deals["weighted"] <= r.deals["amount"] + 1e-9).all()
    assert set(r.deals.loc[r.deals["is_open"], "category"]) <= {"commit", "best case", "pipeline"}
    wr = r.by_rep["win_rate"].dropna()
    assert ((wr >= 0) & (wr <= 1)).all()


@given(st.floats(0, 1), st.booleans())
def test_category_never_commit_when_doubtful(p, doubtful):
    category = forecast_category(np.array(["open"]), np.array([p]), np.array([doubtful]))[0]
    if doubtful:
        assert category != "commit"
    assert category == ("commit" if p >= 0.7 and not doubtful else "best case" if p >= 0.4 else "pipeline")


# ------------------------------------------------------------------------------ the stage table


def test_default_stages_in_both_languages():
    zh, en = default_stages("zh"), default_stages("en")
    assert zh["stage"].tolist() == ["线索", "需求分析", "方案报价", "商务谈判", "赢单"]
    assert en["stage"].tolist() == ["lead", "needs analysis", "proposal", "negotiation", "won"]
    assert zh["probability"].tolist() == en["probability"].tolist()
    assert zh["aliases"].iloc[0] == ("lead",)


@pytest.mark.parametrize("change, message", [
    (dict(probability=[0.1, 0.2, 0.9]), "probability must be 1"),
    (dict(probability=[0.5, 0.2, 1.0]), "lower probability"),
    (dict(probability=[0.1, 1.5, 1.0]), "outside 0 to 1"),
    (dict(stage=["a", "a", "won"]), "appears twice"),
])
def test_bad_stage_tables(change, message):
    frame = pd.DataFrame(dict(order=[1, 2, 3], stage=["a", "b", "won"], probability=[0.1, 0.5, 1.0],
                              stale_days=[10, 10, np.nan]))
    with pytest.raises(InputError, match=message):
        complete_stages(frame.assign(**change))


def test_given_norm_overrides_the_implied_one():
    frame = pd.DataFrame(dict(order=[1, 2, 3], stage=["a", "b", "won"], probability=[0.2, 0.5, 1.0],
                              norm=[0.3, np.nan, np.nan]))
    assert complete_stages(frame)["norm"].tolist()[:2] == pytest.approx([0.3, 0.5])


def test_deal_facts_days_and_cycle():
    facts = deal_facts(hand_deals(), complete_stages(default_stages()), AS_OF).set_index("id")
    assert facts.loc["C", "cycle_days"] == 59 and math.isnan(facts.loc["A", "cycle_days"])
    assert facts.loc["B", "past_due"] and not facts.loc["A", "past_due"]


def test_team_forecast_by_hand(hand):
    t = hand.forecast_by_team.set_index("team")
    assert t.loc["east", ["target", "closed", "gap", "pipeline"]].tolist() == pytest.approx([1000, 300, 700, 300])
    assert t.loc["east", "deals_needed"] == 3 and t.loc["west", "coverage"] == pytest.approx(500 / 600)


def test_a_rep_with_deals_in_two_teams_is_one_rep_row():
    deals = hand_deals()
    deals.loc[deals["id"] == "A", "team"] = "west"        # ann: 2 deals in east, 1 in west
    r = analyse_funnel(deals, default_stages(), AS_OF)
    assert r.by_rep["rep"].is_unique and r.by_rep.set_index("rep").loc["ann", "team"] == "east"
    assert r.by_rep.set_index("rep").loc["ann", "open_deals"] == 2
    assert r.by_team.set_index("team").loc["west", "open_deals"] == 2   # A and E
