"""Targets on a fair footing, and people who come and go: hand-worked examples (issue 9)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from xlsales.cli import main
from xlsales.core.decomposition import (
    MeasurePlan, PlanSettings, footing, pacing, plan_targets, seasonality,
)
from xlsales.errors import InputError, InputFileError
from xlsales.io.schemas import load_reps
from xlsales.workbooks.targets import last_whole_month


def monthly(rep, start, values, measure="revenue"):
    months = pd.date_range(start, periods=len(values), freq="MS")
    return pd.DataFrame({"measure": measure, "rep": rep, "month": months, "actual": np.asarray(values, float)})


def revenue(growth=0.0, round_to=1.0, **kw):
    return (MeasurePlan("revenue", growth=growth, round_to=round_to, **kw),)


def people(**extra):
    frame = pd.DataFrame({"rep": ["Ann", "Bob"], "region": ["East", "East"], "team": ["E1", "E1"],
                          "hire_date": pd.to_datetime(["2020-01-01", "2020-01-01"]), "active": [True, True]})
    return frame.assign(**extra)


# ---------------------------------------------------------------- 1. history on a fair footing

# 2025: 100 a month; 2026 to June: 200 a month (two reps alike).
PART_YEAR = pd.concat([monthly(r, "2025-01-01", [100] * 12 + [200] * 6) for r in ("Ann", "Bob")],
                      ignore_index=True)


def test_part_year_is_never_taken_as_a_whole_year_ttm():
    # Planning 2027 with orders to June 2026: the trailing twelve months Jul 2025 – Jun 2026 are
    # 6 × 100 + 6 × 200 = 1 800 a rep, 3 600 for the company (the old rule took Jan–Jun 2026 = 2 400).
    plan = plan_targets(PART_YEAR, people(), PlanSettings(year=2027, measures=revenue(), basis="history"))
    row = plan.company.iloc[0]
    assert row["footing"] == "ttm"
    assert (row["history_from"], row["history_to"]) == (pd.Timestamp("2025-07-01"), pd.Timestamp("2026-06-01"))
    assert row["last_year"] == 3600 and row["company_target"] == 3600


def test_part_year_annualised_by_the_seasonality():
    # The season comes from 2025 (even), so Jan–Jun is half the year: 2 × 1 200 / 0.5 = 4 800.
    plan = plan_targets(PART_YEAR, people(), PlanSettings(
        year=2027, measures=revenue(), basis="history", footing="annualise"))
    row = plan.company.iloc[0]
    assert row["footing"] == "annualised"
    assert row["annualise_factor"] == pytest.approx(2.0)
    assert row["last_year"] == pytest.approx(4800) and row["company_target"] == 4800


def test_fewer_than_twelve_months_are_annualised_even_with_ttm():
    short = pd.concat([monthly(r, "2025-08-01", [100] * 5) for r in ("Ann", "Bob")], ignore_index=True)
    foot = footing(short, 2026, "ttm")
    assert (foot.kind, foot.start, foot.end, foot.months) == (
        "annualised", pd.Timestamp("2025-08-01"), pd.Timestamp("2025-12-01"), 5)
    plan = plan_targets(short, people(), PlanSettings(year=2026, measures=revenue(), basis="history"))
    assert plan.company.iloc[0]["company_target"] == 2400      # 1 000 for 5 of 12 even months → 2 400


def test_a_month_in_progress_is_not_a_whole_month():
    assert last_whole_month("2026-06-30") == pd.Timestamp("2026-06-01")
    assert last_whole_month("2026-06-28") == pd.Timestamp("2026-05-01")
    plan = plan_targets(PART_YEAR, people(), PlanSettings(year=2027, measures=revenue(), basis="history",
                                                            history_end=pd.Timestamp("2026-05-01")))
    row = plan.company.iloc[0]
    assert row["history_to"] == pd.Timestamp("2026-05-01")
    assert row["last_year"] == 2 * (7 * 100 + 5 * 200)      # Jun 2025 – May 2026


def test_short_history_compared_by_annualised_run_rate():
    # Ann: 200 a month Jan–Jun 2025, 100 Jul–Dec (1 800). Bob, hired 1 July 2025 (no ramp): 100 a
    # month (600). The company sells 200 every month, so the season is even. Bob's run rate is
    # 600 ÷ 6 productive months × 12 = 1 200, so the shares are 1 800 : 1 200 (not 1 800 : 600).
    hist = pd.concat([monthly("Ann", "2025-01-01", [200] * 6 + [100] * 6),
                      monthly("Bob", "2025-07-01", [100] * 6)], ignore_index=True)
    reps = people(hire_date=pd.to_datetime(["2020-01-01", "2025-07-01"]))
    plan = plan_targets(hist, reps, PlanSettings(year=2026, measures=revenue(), basis="history", ramp=(1.0,)))
    r = plan.reps.set_index("rep")
    assert r["productive_history"].tolist() == pytest.approx([12, 6])
    assert r["history_run_rate"].tolist() == pytest.approx([1800, 1200])
    assert r["target"].tolist() == [1440, 960]                  # 2 400 × 60 % / 40 %


def test_hires_get_nothing_before_joining_and_a_hire_after_the_plan_year_is_an_error():
    hist = pd.concat([monthly(r, "2025-01-01", [100] * 12) for r in ("Ann", "Bob")], ignore_index=True)
    reps = people(hire_date=pd.to_datetime(["2020-01-01", "2026-09-15"]))
    plan = plan_targets(hist, reps, PlanSettings(year=2026, measures=revenue(), basis="capacity"))
    bob = plan.monthly.query("rep == 'Bob'")["target"].tolist()
    assert bob[:8] == [0] * 8 and sum(bob) > 0
    late = people(hire_date=pd.to_datetime(["2020-01-01", "2027-02-01"]))
    with pytest.raises(InputError, match="after the plan year 2026"):
        plan_targets(hist, late, PlanSettings(year=2026, measures=revenue(), basis="capacity"))


# ---------------------------------------------------------------- 2. people who leave

FIVE = pd.DataFrame({"rep": ["Ann", "Bob", "Eve", "Cai", "Dan"],
                     "region": ["East", "East", "East", "West", "West"], "team": ["E1", "E1", "E1", "W1", "W1"],
                     "hire_date": pd.to_datetime(["2020-01-01"] * 5), "active": [True] * 5})
FIVE_HISTORY = pd.concat([monthly(r, "2025-01-01", [y / 12] * 12) for r, y in zip(
    FIVE["rep"], (10_000, 30_000, 10_000, 20_000, 30_000))], ignore_index=True)


def leaver_plan(successor=None):
    reps = FIVE.assign(leave_date=pd.to_datetime([None, "2026-06-30", None, None, None]),
                       successor=[None, successor, None, None, None])
    return plan_targets(FIVE_HISTORY, reps, PlanSettings(year=2026, measures=revenue(0.1, 100.0), basis="history"))


def test_leaver_hands_over_to_the_named_successor():
    # 110 000 by shares .1/.3/.1/.2/.3. Bob leaves on 30 June: he keeps half his share (.15) for
    # Jan–Jun; the other .15 goes to Ann, his successor: Ann .25 = 27 500, Bob 16 500. East still
    # carries .5 = 55 000, West 55 000.
    plan = leaver_plan("Ann")
    t = plan.reps.set_index("rep")["target"]
    assert t.to_dict() == {"Ann": 27_500, "Bob": 16_500, "Eve": 11_000, "Cai": 22_000, "Dan": 33_000}
    assert plan.regions.set_index("region")["target"].to_dict() == {"East": 55_000, "West": 55_000}
    months = plan.monthly.pivot(index="rep", columns="month", values="target")
    assert (months.loc["Bob"].iloc[6:] == 0).all() and months.loc["Bob"].sum() == 16_500
    # Ann's own 11 000 is 916.67 a month; from July she also carries Bob's 16 500 over six months:
    # 916.67 + 2 750 = 3 666.67. Each month is that exact share rounded down or up to the 100.
    exact = np.array([11_000 / 12] * 6 + [11_000 / 12 + 2_750] * 6)
    assert (np.abs(months.loc["Ann"].to_numpy() - exact) < 100).all() and months.loc["Ann"].sum() == 27_500


def test_leaver_without_successor_re_splits_over_the_region():
    # Bob's .15 goes to Ann and Eve by their own weights (1 : 1): .175 each → 192.5 units of 100;
    # largest remainder: the tie goes to the earlier rep: Ann 19 300, Eve 19 200.
    t = leaver_plan().reps.set_index("rep")["target"]
    assert t[["Ann", "Bob", "Eve"]].tolist() == [19_300, 16_500, 19_200]
    assert t.sum() == 110_000


def test_departed_reps_pace_as_departed_never_on_pace():
    plan = leaver_plan("Ann")
    pace = pacing(plan, "2026-08-31").set_index("rep")
    assert pace.loc["Bob", "status"] == "departed"
    assert pace.loc["Eve", "status"] == "behind"        # no 2026 actuals in this history
    assert set(pacing(plan, "2026-05-31").set_index("rep").loc[["Bob"], "status"]) == {"behind"}


def write_reps(tmp_path, rows, header="rep,region,hire_date,leave_date,successor"):
    path = tmp_path / "reps.csv"
    path.write_text(header + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("rows, where, what", [
    (["Ann,East,2024-05-01,2024-03-01,"], "row 2, column leave_date", "before being hired"),
    (["Ann,East,2020-01-01,2026-03-01,Zed"], "row 2, column successor", "'Zed' (successor of Ann) is not in"),
    (["Ann,East,2020-01-01,2026-03-01,Bob", "Bob,East,2020-01-01,2025-12-31,"], "row 2, column successor",
     "has left"),
    (["Ann,East,2020-01-01,2026-03-01,Ann"], "row 2, column successor", "their own successor"),
])
def test_bad_leavers_and_successors_name_the_row(tmp_path, rows, where, what):
    with pytest.raises(InputFileError) as error:
        load_reps(write_reps(tmp_path, rows))
    assert f"reps.csv, {where}" in str(error.value) and what in str(error.value)


def test_chinese_headers_for_the_new_columns(tmp_path):
    path = write_reps(tmp_path, ["甲,华东,2020-01-01,2026-04-15,乙,高级", "乙,华东,2021-01-01,,,中级"],
                      header="销售代表,区域,入职日期,离职日期,交接人,能力等级")
    reps = load_reps(path)
    assert reps["leave_date"].iloc[0] == pd.Timestamp("2026-04-15")
    assert reps["successor"].iloc[0] == "乙" and reps["grade"].tolist() == ["高级", "中级"]


def test_cli_hire_after_the_plan_year_exits_2_and_writes_nothing(tmp_path):
    (tmp_path / "orders.csv").write_text("date,rep,amount\n2025-03-01,Ann,100\n", encoding="utf-8")
    reps = write_reps(tmp_path, ["Ann,East,2020-01-01,,", "Bob,East,2027-02-01,,"])
    out = tmp_path / "targets.xlsx"
    result = CliRunner().invoke(main, ["targets", "--orders", str(tmp_path / "orders.csv"), "--reps", str(reps),
                                       "--year", "2026", "--out", str(out)])
    assert result.exit_code == 2
    assert "reps.csv, row 3, column hire_date: 2027-02-01 is after the plan year 2026" in result.output
    assert not out.exists()


def test_cli_says_which_months_the_forecast_stands_on(tmp_path):
    lines = ["date,rep,amount"] + [f"{m:%Y-%m}-15,{r},100" for m in pd.date_range("2025-01-01", "2026-06-01", freq="MS")
                                   for r in ("Ann", "Bob")] + ["2026-06-30,Ann,1"]
    (tmp_path / "orders.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    reps = write_reps(tmp_path, ["Ann,East,2020-01-01,,", "Bob,East,2020-01-01,,"])
    result = CliRunner().invoke(main, ["targets", "--orders", str(tmp_path / "orders.csv"), "--reps", str(reps),
                                       "--year", "2027", "--out", str(tmp_path / "t.xlsx")])
    assert result.exit_code == 0, result.output
    assert "The forecast stands on the trailing twelve months 2025-07 – 2026-06." in result.output


# ---------------------------------------------------------------- 3. new customers' season

def test_new_customer_season_leaves_out_the_first_year_of_data():
    # 2024 is the data's first year: every customer is new, 24 of them "won" in January. 2025: one a
    # month. The season is 2025's (even), not the mean of both years (January 0.54).
    hist = pd.concat([monthly("Ann", "2024-01-01", [24] + [0] * 11, "new_customers"),
                      monthly("Ann", "2025-01-01", [1] * 12, "new_customers"),
                      monthly("Ann", "2024-01-01", [100] * 24)], ignore_index=True)
    assert seasonality(hist, "new_customers", 2026) == pytest.approx(np.full(12, 1 / 12))
    assert seasonality(hist, "revenue", 2026) == pytest.approx(np.full(12, 1 / 12))
