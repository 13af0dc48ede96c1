"""Memo contexts, formatting and rendering: the numbers, the pace line, the templates, escaping, the sandbox."""
from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from datetime import date

import numpy as np
import pandas as pd
import pytest

from xlsales.errors import InputError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from xlsales.core.pacing import deals_needed
from xlsales.memos import charts, formatting
from xlsales.memos.coaching import coaching_context
from xlsales.memos.context import review_context
from xlsales.memos.periods import period
from xlsales.memos.render import environment, render_memo
from xlsales.memos.statement import statement_context, tier_lines

# ---------------------------------------------------------------------------------------------
# A hand-made company: 4 reps, flat targets of 31 000 a month (1 000 a day in July), known orders.

REPS = pd.DataFrame({"rep": ["Ann", "Bob", "<script>alert(1)</script>", "Dee|*x*"],
                     "region": ["East", "East", "West", "West"], "team": ["E1", "E1", "W1", "W1"],
                     "manager": ["Max", "Max", "Wu", "Wu"]})
MONTHS = pd.date_range("2026-01-01", "2026-12-01", freq="MS")


def _targets(monthly=31_000.0) -> pd.DataFrame:
    return pd.DataFrame([(r, m, monthly) for r in REPS["rep"] for m in MONTHS], columns=["rep", "month", "target"])


def _orders() -> pd.DataFrame:
    rows = [("2026-07-02", "Ann", 9_000.0), ("2026-07-09", "Ann", 4_000.0),   # 13 000 by the 10th: above 10 000
            ("2026-07-05", "Bob", 6_000.0),                                     # below pace
            ("2026-07-10", "<script>alert(1)</script>", 10_000.0),             # exactly on the pace line
            ("2026-07-11", "Dee|*x*", 50_000.0),                                # after as_of: not counted
            ("2026-06-15", "Ann", 31_000.0), ("2026-06-20", "Bob", 20_000.0)]
    frame = pd.DataFrame(rows, columns=["date", "rep", "amount"])
    frame["date"] = pd.to_datetime(frame["date"])
    return frame


JULY_10 = period("2026-07", as_of="2026-07-10")


def test_money_and_dates_read_as_each_language_expects():
    assert formatting.money(1234567) == "¥1,234,567"
    assert formatting.money(-1234.5) == "-¥1,235"            # Excel ROUND: half away from zero
    assert formatting.money(2.675, 2) == "¥2.68"
    assert formatting.compact_money(1_234_567, "zh") == "123.5万"
    assert formatting.compact_money(250_000_000, "zh") == "2.5亿"
    assert formatting.compact_money(50_000_000, "zh") == "5,000万"
    assert formatting.compact_money(-12_000, "en") == "-¥12K"
    assert formatting.compact_money(9_999, "zh") == "9,999元"
    assert formatting.compact_money(1_234_567, "en") == "¥1.23M"
    assert formatting.compact_money(12_340, "en") == "¥12.3K"
    assert formatting.percent(0.9705) == "97.1%"
    assert formatting.percent(None) == "–"
    assert formatting.day(date(2026, 6, 30), "zh") == "2026年6月30日"
    assert formatting.day(date(2026, 6, 30), "en") == "30 Jun 2026"
    assert formatting.month(date(2026, 6, 1), "zh") == "2026年6月"


def test_review_figures_by_hand():
    ctx = review_context(_orders(), REPS, _targets(), JULY_10)
    by_rep = {r["rep"]: r for r in ctx["reps"]}
    share = 10 / 31
    assert by_rep["Ann"]["actual"] == 13_000 and by_rep["Ann"]["target"] == 31_000
    assert by_rep["Ann"]["expected"] == pytest.approx(31_000 * share)          # 10 000
    assert by_rep["Bob"]["gap"] == 25_000
    assert by_rep["Bob"]["required_daily"] == pytest.approx(25_000 / 21)
    assert by_rep["Dee|*x*"]["actual"] == 0                                     # the order after as_of is not counted
    assert ctx["total"]["actual"] == 29_000 and ctx["total"]["target"] == 124_000
    assert ctx["total"]["landing"] == pytest.approx(29_000 / 10 * 31)
    assert ctx["year"]["target"] == 12 * 124_000
    assert ctx["year"]["actual"] == 29_000 + 51_000
    assert {g["name"]: g["actual"] for g in ctx["regions"]} == {"East": 19_000, "West": 10_000}
    # The pace line: on it is not behind; below it is.
    assert [r["rep"] for r in ctx["laggards"]] == ["Dee|*x*", "Bob"]


def _naive_laggards(orders, targets, as_of):
    """A deliberately plain re-computation: loop over reps and months."""
    out = set()
    for rep in targets["rep"].unique():
        expected = 0.0
        for _, row in targets[targets["rep"] == rep].iterrows():
            m = pd.Timestamp(row["month"])
            if m.year == as_of.year and m.month == as_of.month:
                expected += row["target"] * as_of.day / m.days_in_month
        mine = orders[(orders["rep"] == rep) & (orders["date"] >= as_of.replace(day=1)) & (orders["date"] <= as_of)]
        if sum(mine["amount"]) < expected and expected > 0:
            out.add(rep)
    return out


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(amounts=st.lists(st.floats(0, 50_000, allow_nan=False), min_size=8, max_size=8),
       days=st.lists(st.integers(1, 31), min_size=8, max_size=8),
       monthly=st.lists(st.sampled_from([0.0, 1_000.0, 31_000.0, 62_000.5]), min_size=4, max_size=4),
       as_of_day=st.integers(1, 31))
def test_laggards_are_exactly_the_reps_below_the_pace_line(amounts, days, monthly, as_of_day):
    reps = list(REPS["rep"])
    orders = pd.DataFrame({"date": pd.to_datetime([f"2026-07-{d:02d}" for d in days]),
                           "rep": [reps[i % 4] for i in range(8)], "amount": amounts})
    targets = pd.concat([_targets(m).query("rep == @r") for r, m in zip(reps, monthly)])
    as_of = pd.Timestamp(2026, 7, as_of_day)
    ctx = review_context(orders, REPS, targets, period("2026-07", as_of=as_of))
    assert {r["rep"] for r in ctx["laggards"]} == _naive_laggards(orders, targets, as_of)
    assert ctx["total"]["actual"] == pytest.approx(orders.loc[orders["date"] <= as_of, "amount"].sum())
    assert sum(r["actual"] for r in ctx["reps"]) == pytest.approx(ctx["total"]["actual"])


def test_quarter_pace_line_follows_the_months_gone_by():
    # Seasonal targets: 10 000 in July, 20 000 in August, 30 000 in September; as of 15 Aug.
    targets = pd.DataFrame({"rep": "Ann", "month": pd.to_datetime(["2026-07-01", "2026-08-01", "2026-09-01"]),
                            "target": [10_000.0, 20_000.0, 30_000.0]})
    orders = pd.DataFrame({"date": pd.to_datetime(["2026-07-20"]), "rep": ["Ann"], "amount": [19_700.0]})
    ctx = review_context(orders, REPS.iloc[:1], targets, period("2026-Q3", as_of="2026-08-15"))
    assert ctx["reps"][0]["expected"] == pytest.approx(10_000 + 20_000 * 15 / 31)
    assert ctx["laggards"] == []
    assert [m["target"] for m in ctx["months"]] == [10_000, 20_000, 30_000]
    assert ctx["months"][2]["actual"] is None


FUNNEL = {"stages": [{"stage": "Lead", "reached": 100, "open_deals": 40, "open_amount": 400_000.0},
                     {"stage": "Proposal", "reached": 40, "open_deals": 20, "open_amount": 300_000.0},
                     {"stage": "Won", "reached": 10}],
          "weighted": 150_000.0, "win_rate": 0.25, "avg_deal": 8_000.0, "stale": 3, "slipped": 2}
PEER_FUNNEL = {"stages": [{"stage": "Lead", "reached": 100}, {"stage": "Proposal", "reached": 70},
                          {"stage": "Won", "reached": 30}]}


def test_coaching_memo_gap_causes_and_dated_actions_with_owners():
    ctx = coaching_context(_orders(), REPS, _targets(), JULY_10, "Bob", FUNNEL, PEER_FUNNEL)
    assert ctx["behind"] and ctx["gap"] == 25_000
    assert ctx["deals_needed"] == deals_needed(25_000, 0.25, 8_000) == 13
    codes = [c["code"] for c in ctx["causes"]]
    assert codes[0] == "behind_pace"
    assert {"conversion", "stale", "slipped"} <= set(codes)
    conversion = next(c for c in ctx["causes"] if c["code"] == "conversion")
    assert (conversion["stage"], conversion["rate"], conversion["peer_rate"]) == ("Lead", 0.4, 0.7)
    actions = ctx["okma"]["actions"]
    assert all(a["owner"] in ("Bob", "Max") and a["due"] > date(2026, 7, 10) for a in actions)
    assert {a["code"] for a in actions} >= {"daily_pace", "stage_review", "clear_stale", "recommit_dates"}
    assert next(a for a in actions if a["code"] == "stage_review")["owner"] == "Max"
    assert ctx["okma"]["objective"] == {"gap": 25_000, "due": date(2026, 7, 31), "target": 31_000,
                                        "next_target": None, "catch_up": None}


def test_coaching_after_the_period_plans_the_next_one_with_the_gap_on_top():
    ctx = coaching_context(_orders(), REPS, _targets(), period("2026-06"), "Bob")
    assert ctx["period"]["closed"] and ctx["gap"] == 11_000
    objective = ctx["okma"]["objective"]
    assert (objective["next_target"], objective["catch_up"], objective["due"]) == (31_000, 42_000, date(2026, 7, 31))
    assert ctx["deals_needed"] == deals_needed(42_000, 1.0, 20_000)          # orders of Bob's average size
    # Bob sold 20 000 in the 90 days to 30 Jun: 222.22 a day, +20 % stretch over July's 31 days reaches
    # 8 266.67, far from 42 000: the plan asks for 8 200 (rounded down to 100) and says the rest is re-planned.
    plan = ctx["plan"]
    assert plan["recent_daily"] == pytest.approx(20_000 / 90) and plan["reachable"] == pytest.approx(20_000 / 90 * 1.2 * 31)
    assert (plan["closable"], plan["ask"], plan["carried"]) == (False, 8_200, 33_800)
    assert ctx["okma"]["key_results"][0] == {"code": "book", "amount": 8_200, "due": date(2026, 7, 31)}
    assert ctx["okma"]["key_results"][1] == {"code": "deals_to_win", "count": 1, "due": date(2026, 7, 31)}
    assert ctx["okma"]["actions"][0]["amount"] == pytest.approx(8_200 / 31)
    assert ctx["okma"]["measurement"]["weekly_pace"] == pytest.approx(8_200 / 31 * 7)
    assert any(a["code"] == "replan_rest" and a["amount"] == 33_800 for a in ctx["okma"]["actions"])
    md = render_memo(ctx, "zh").markdown
    assert "¥42,000" in md and "¥8,200" in md and "¥33,800" in md and "¥265" in md
    en = render_memo(ctx, "en").markdown
    assert "cannot be closed by 31 Jul 2026" in en and "- ¥8,200 booked in orders by 31 Jul 2026" in en


def test_key_results_ask_what_the_recent_pace_reaches_and_name_each_count():
    from xlsales.core.coaching import key_results
    # 30 000 to book in 20 days; 1 500 a day lately reaches 1 500 × 1.2 × 20 = 36 000: closable.
    # Win rate 25 %, average won deal 4 000: deals to win ⌈30 000 / 4 000⌉ = 8, deals to work
    # ⌈30 000 / 1 000⌉ = 30, pipeline needed 30 × 4 000 = 120 000, of which 70 000 is to add to the 50 000 open.
    plan = key_results(30_000, 20, 1_500, 0.25, 4_000, open_pipeline=50_000)
    assert (plan["closable"], plan["ask"], plan["deals_to_win"], plan["deals_to_work"]) == (True, 30_000, 8, 30)
    assert (plan["pipeline_needed"], plan["pipeline_to_add"], plan["coverage_needed"]) == (120_000, 70_000, 4.0)
    assert plan["daily"] == 1_500
    # 1 000 a day lately reaches 24 000: the plan asks for 24 000 and carries 6 000.
    slow = key_results(30_000, 20, 1_000, 0.25, 4_000, open_pipeline=200_000)
    assert (slow["closable"], slow["ask"], slow["carried"], slow["deals_to_win"], slow["deals_to_work"]) == \
        (False, 24_000, 6_000, 6, 24)
    assert slow["pipeline_to_add"] == 0
    # No sales lately: the plan asks for the whole amount and says nothing about reach.
    assert key_results(30_000, 20, 0, 0.25, 4_000)["closable"] is None


def test_statement_lines_add_up_to_commission():
    lines = tier_lines(130_000, [(0, 0.05), (1.0, 0.08), (1.2, 0.12)], quota=100_000)
    ctx = statement_context({"rep": "Ann", "team": "E1"}, period("2026-06"), lines,
                            pd.DataFrame({"measure": ["revenue"], "quota": [100_000.0], "achieved": [130_000.0],
                                          "attainment": [1.3], "weight": [1.0], "mode": ["marginal"]}))
    assert ctx["total"] == 7_800.0                       # the SPEC's worked check
    assert ctx["measures"][0]["payout"] == 7_800.0
    md = render_memo(ctx, "en").markdown
    assert "¥7,800.00" in md and "100,000.00 × 5.00%" in md


# ---------------------------------------------------------------------------------------------
# Rendering


def _contexts():
    review = review_context(_orders(), REPS, _targets(), JULY_10, company="Acme", funnel=FUNNEL)
    quarter = review_context(_orders(), REPS, _targets(), period("2026-Q3", as_of="2026-07-10"), funnel=None)
    team = review_context(_orders(), REPS, _targets(), JULY_10, scope=("team", "E1"))
    coaching = coaching_context(_orders(), REPS, _targets(), JULY_10, "Bob", FUNNEL, PEER_FUNNEL)
    coaching_plain = coaching_context(_orders(), REPS, _targets(), period("2026-06"), "Bob")
    statement = statement_context({"rep": "Ann"}, period("2026-06"), tier_lines(30_000, [(0, .05), (10_000, .07),
                                                                                        (25_000, .10)]))
    return [review, quarter, team, coaching, coaching_plain, statement]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_template_renders_in_both_languages_without_undefined_variables(lang):
    for ctx in _contexts():
        memo = render_memo(ctx, lang)        # StrictUndefined: a missing variable raises
        assert memo.title and memo.markdown.startswith("# ")
        assert "<html" in memo.html and memo.title in memo.html
    review = render_memo(_contexts()[0], lang)
    assert "¥124,000" in review.markdown and "¥29,000" in review.markdown
    assert ("进度线" if lang == "zh" else "pace line") in review.markdown


def test_user_data_is_escaped_in_html_and_markdown():
    memo = render_memo(_contexts()[0], "en")
    assert "<script>alert" not in memo.html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in memo.html
    assert "| Dee\\|\\*x\\* |" in memo.markdown
    for table in re.findall(r"<table>(.*?)</table>", memo.html, re.S):   # 'Dee|*x*' adds no table column
        cells = {len(re.findall(r"<t[hd][ >]", row)) for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)}
        assert len(cells) == 1, table
    assert "Dee|*x*" in memo.html and "<em>x</em>" not in memo.html


def test_charts_are_valid_svg_with_escaped_names_and_stable_bytes():
    review = _contexts()[0]
    made = charts.charts_for(review, "zh")
    assert set(made) == {"attainment", "trend", "funnel"}
    for chart in made.values():
        ET.fromstring(chart.svg)                   # well-formed XML
    assert "&lt;script&gt;" in made["attainment"].svg
    assert charts.charts_for(review, "zh")["trend"].svg == made["trend"].svg
    assert "13.0%" not in made["attainment"].svg and "41.9%" in made["attainment"].svg   # Ann 13 000 / 31 000


def test_user_template_folder_overrides_a_shipped_template_by_name(tmp_path):
    (tmp_path / "en").mkdir()
    (tmp_path / "en" / "monthly.md.j2").write_text("# Our review\n\nSold {{ total.actual | money }}\n")
    (tmp_path / "statement.md.j2").write_text("# Pay {{ rep.rep }}: {{ total | cents }}\n")
    review, *_, statement = _contexts()
    memo = render_memo(review, "en", templates=tmp_path)
    assert memo.markdown == "# Our review\n\nSold ¥29,000\n"
    assert "<h1>Our review</h1>" in memo.html
    assert render_memo(statement, "en", templates=tmp_path).markdown == "# Pay Ann: ¥2,050.00\n"
    assert render_memo(_contexts()[3], "en", templates=tmp_path).title.startswith("1:1 coaching")  # shipped


def test_user_html_template_is_autoescaped(tmp_path):
    (tmp_path / "monthly.html.j2").write_text("<p>{% for r in laggards %}{{ r.rep }};{% endfor %}</p>"
                                              "<ul>{% for r in reps %}<li>{{ r.rep }}</li>{% endfor %}</ul>")
    memo = render_memo(_contexts()[0], "en", templates=tmp_path)
    assert "<p>Dee|*x*;Bob;</p>" in memo.html
    assert "<li>&lt;script&gt;alert(1)&lt;/script&gt;</li>" in memo.html and "<script>" not in memo.html


@pytest.mark.parametrize("source", ["{{ ''.__class__.__mro__[1].__subclasses__() }}",
                                    "{{ total.__class__.__init__.__globals__ }}",
                                    "{{ lang.format.__globals__ }}"])
def test_sandbox_blocks_python_internals(tmp_path, source):
    (tmp_path / "monthly.md.j2").write_text(source)
    with pytest.raises(InputError, match=r"^[^,]+/monthly\.md\.j2, line 1: not allowed in a template \(sandbox\): "
                                         r"access to attribute '__\w+__' of '\w+' object is unsafe"):
        render_memo(_contexts()[0], "en", templates=tmp_path)


def test_undefined_variable_is_an_error(tmp_path):
    (tmp_path / "monthly.md.j2").write_text("# x {{ totl.actual }}")
    with pytest.raises(InputError, match=r"/monthly\.md\.j2, line 1: 'totl' is undefined"):
        render_memo(_contexts()[0], "en", templates=tmp_path)
    assert environment("en").undefined.__name__ == "StrictUndefined"


def test_numbers_are_not_nan_anywhere_in_a_context():
    def walk(x):
        if isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)
        else:
            assert not (isinstance(x, float) and math.isnan(x)), x
            assert not isinstance(x, np.generic)
    for ctx in _contexts():
        walk(ctx)
