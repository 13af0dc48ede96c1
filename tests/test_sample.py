"""The built-in sample company: deterministic, realistic in shape, and accepted by ``xlsales check``."""
from __future__ import annotations


import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from xlsales.cli import main
from xlsales.io.schemas import load_orders, load_reps
from xlsales.sample import KEY_PRODUCT, REGIONS, sample_company


@pytest.fixture(scope="module")
def company():
    return sample_company()


def test_same_seed_same_frames_other_seed_other_frames(company):
    again = sample_company(seed=7)
    pd.testing.assert_frame_equal(company.reps, again.reps)
    pd.testing.assert_frame_equal(company.orders, again.orders)
    assert not sample_company(seed=8).orders["amount"].equals(company.orders["amount"])


def test_dates_and_plan_year(company):
    assert company.start == pd.Timestamp("2024-01-01")
    assert company.as_of == pd.Timestamp("2026-06-30")
    assert company.plan_year == 2026
    assert company.orders["date"].min() >= company.start
    assert company.orders["date"].max() <= company.as_of
    assert sample_company(months=24).as_of == pd.Timestamp("2025-12-31")
    assert sample_company(months=24).plan_year == 2026


def test_reps_regions_teams_and_names(company):
    reps = company.reps
    assert len(reps) == 40
    assert reps["rep"].is_unique
    assert reps["rep"].str.len().between(2, 3).all()
    assert set(reps["region"]) == set(REGIONS)
    teams = reps.groupby("region")["team"].nunique()
    assert teams.between(1, 3).all() and teams.max() >= 2
    assert (reps.groupby("team")["manager"].nunique() == 1).all()
    assert not set(reps["manager"]) & set(reps["rep"])
    assert list(reps.columns) == ["rep", "region", "team", "manager", "hire_date", "potential", "active",
                                  "leave_date", "successor", "grade"]
    assert set(reps["grade"]) == {"初级", "中级", "高级"}


def test_new_hires_and_leavers(company):
    hired = company.reps["hire_date"]
    assert (hired < "2024-01-01").mean() > 0.6
    assert ((hired >= "2025-01-01") & (hired < "2026-01-01")).sum() >= 1
    assert (hired >= "2026-01-01").sum() >= 1
    assert (~company.reps["active"]).sum() >= 1
    reps = company.reps
    # Everyone inactive has a leaving date; at least one leaves in the plan year and hands over to a
    # rep of the same team who stays.
    assert reps.loc[~reps["active"], "leave_date"].notna().all()
    assert reps.loc[reps["active"], "leave_date"].isna().all()
    handing = reps[reps["successor"].notna()]
    assert len(handing) >= 1 and (handing["leave_date"].dt.year == company.plan_year).all()
    heirs = reps.set_index("rep").loc[handing["successor"]]
    assert heirs["active"].all() and (heirs["team"].to_numpy() == handing["team"].to_numpy()).all()
    # No orders after leaving; the successor sells to more customers after the handover.
    left = company.orders.merge(reps[["rep", "leave_date"]], on="rep")
    assert not (left["date"] > left["leave_date"]).any()
    orders = company.orders.merge(company.reps[["rep", "hire_date"]], on="rep")
    assert (orders["date"] >= orders["hire_date"]).all()


def test_seasonality_growth_and_spread(company):
    orders = company.orders
    monthly = orders.groupby(orders["date"].dt.to_period("M"))["amount"].sum()
    by_month = monthly.groupby(monthly.index.month).mean()
    assert by_month[2] < by_month[12] * 0.6  # Spring Festival trough against the year-end push
    assert by_month[6] > by_month[5] and by_month[9] > by_month[8]  # quarter-end peaks
    yearly = orders.groupby(orders["date"].dt.year)["amount"].sum()
    assert 1.05 < yearly[2025] / yearly[2024] < 1.35
    first_half = orders[orders["date"].dt.month <= 6].groupby(orders["date"].dt.year)["amount"].sum()
    assert first_half[2026] > first_half[2025]
    veterans = company.reps.loc[company.reps["hire_date"] < "2024-01-01", "rep"]
    per_rep = orders[orders["date"].dt.year == 2025].groupby("rep")["amount"].sum().reindex(veterans).dropna()
    assert per_rep.quantile(0.9) / per_rep.quantile(0.1) > 2


def test_orders_amounts_customers_and_collections(company):
    orders = company.orders
    assert list(orders.columns) == ["date", "rep", "amount", "region", "team", "customer", "product", "collected"]
    assert orders["amount"].between(5_000, 500_000).all()
    assert (orders["collected"] >= 0).all() and (orders["collected"] <= orders["amount"]).all()
    recent = orders["date"] > company.as_of - pd.Timedelta(days=30)
    old = orders["date"] < company.as_of - pd.Timedelta(days=365)
    rate = lambda part: orders.loc[part, "collected"].sum() / orders.loc[part, "amount"].sum()  # noqa: E731
    assert rate(old) > 0.9 > 0.6 > rate(recent)
    assert KEY_PRODUCT in set(orders["product"])
    by_customer = orders.groupby("customer")["amount"].sum().sort_values(ascending=False)
    top_fifth = by_customer.iloc[: len(by_customer) // 5].sum() / by_customer.sum()
    assert top_fifth > 0.5  # Pareto-ish, so ABC classes mean something
    assert orders["customer"].str.endswith("公司").all()
    merged = orders.merge(company.reps[["rep", "region", "team"]], on="rep", suffixes=("", "_rep"))
    assert (merged["region"] == merged["region_rep"]).all() and (merged["team"] == merged["team_rep"]).all()


def test_large_sample():
    big = sample_company(reps=2000, months=36)
    assert len(big.reps) == 2000 and big.reps["rep"].is_unique
    assert big.orders["customer"].nunique() > 10_000


@pytest.mark.parametrize(("fmt", "lang"), [("csv", "en"), ("csv", "zh"), ("xlsx", "zh"), ("parquet", "en")])
def test_sample_data_writes_files_that_check_accepts(tmp_path, fmt, lang):
    runner = CliRunner()
    out = tmp_path / "data"
    result = runner.invoke(main, ["sample-data", "--out", str(out), "--reps", "12", "--months", "14",
                                  "--format", fmt, "--lang", lang])
    assert result.exit_code == 0, result.output
    files = sorted(out.iterdir())
    assert {"reps", "orders"} <= {f.stem for f in files}
    assert all(f.suffix == f".{fmt}" for f in files)
    assert f"wrote {out / ('orders.' + fmt)}" in result.stdout
    checked = runner.invoke(main, ["check", *map(str, files)])
    assert checked.exit_code == 0, checked.stderr
    assert f"OK {out / ('reps.' + fmt)}: 12 rows (reps)" in checked.stdout
    company = sample_company(reps=12, months=14)
    orders = load_orders(out / f"orders.{fmt}")
    assert len(orders) == len(company.orders)
    assert np.allclose(orders["amount"].to_numpy(), company.orders["amount"].to_numpy())
    assert (orders["date"].to_numpy() == company.orders["date"].to_numpy()).all()
    reps = load_reps(out / f"reps.{fmt}")
    assert reps["active"].tolist() == company.reps["active"].tolist()


def test_chinese_csv_has_bom_and_chinese_headers(tmp_path):
    CliRunner().invoke(main, ["sample-data", "--out", str(tmp_path), "--reps", "5", "--months", "3", "--lang", "zh"])
    raw = (tmp_path / "orders.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0] == "日期,销售代表,金额,区域,团队,客户,产品,回款"
    assert (tmp_path / "reps.csv").read_text(encoding="utf-8-sig").splitlines()[0] == \
        "销售代表,区域,团队,经理,入职日期,潜力,在职,离职日期,交接人,能力等级"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp files left


def test_sample_data_rejects_bad_arguments(tmp_path):
    result = CliRunner().invoke(main, ["sample-data", "--out", str(tmp_path / "x"), "--reps", "0"])
    assert result.exit_code == 2
    assert result.stderr == "xlsales: --reps must be between 1 and 50000, not 0\n"
    assert not (tmp_path / "x").exists()


def test_key_product_gains_share_and_regions_grow_unevenly(company):
    orders = company.orders
    year = orders["date"].dt.year
    key_share = (orders["product"] == KEY_PRODUCT).groupby(year).mean()
    assert key_share[2024] < key_share[2025] < key_share[2026]
    by_region = orders[year < 2026].groupby([year, "region"])["amount"].sum().unstack()
    growth = by_region.loc[2025] / by_region.loc[2024]
    assert growth.max() - growth.min() > 0.1
