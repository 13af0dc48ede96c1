"""CRM presets: each CRM's export (its documented column and stage names) gives the funnel our own format
gives; a wrong preset names the columns it could not find by the CRM's names; a user's mapping file."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from xlsales.cli import main
from xlsales.core.funnel_analysis import analyse_funnel
from xlsales.errors import InputFileError
from xlsales.io.crm_mapping import PRESETS, load_mapped, load_mapping
from xlsales.io.funnel_inputs import read_funnel_inputs
from xlsales.io.schemas import OPPORTUNITIES

HERE = Path(__file__).resolve().parent / "crm_exports"
AS_OF = pd.Timestamp("2026-06-30")
EXPORTS = {"zoho": "zoho.csv", "salesforce": "salesforce.csv", "hubspot": "hubspot.csv", "fxiaoke": "fxiaoke.csv",
           "jiandaoyun": "jiandaoyun.xlsx"}
# Salesforce exports the stage-change date; the others do not, so the created date stands in.
OURS = {"salesforce": "ours.csv"}


def _funnel(path, mapping=None, lang="en"):
    deals, stages, _ = read_funnel_inputs(path, HERE / "reps.csv", lang=lang, mapping=mapping)
    return analyse_funnel(deals, stages, AS_OF)


@pytest.fixture(scope="module")
def ours():
    return {name: _funnel(HERE / name) for name in ("ours.csv", "ours_created.csv")}


@pytest.mark.parametrize("preset", PRESETS)
def test_each_export_gives_the_funnel_of_our_own_format(preset, ours):
    result = _funnel(HERE / EXPORTS[preset], load_mapping(preset))
    expected = ours[OURS.get(preset, "ours_created.csv")]
    pd.testing.assert_frame_equal(result.by_stage, expected.by_stage)
    pd.testing.assert_frame_equal(result.by_rep, expected.by_rep)
    pd.testing.assert_frame_equal(result.summary, expected.summary)
    d = result.deals.sort_values("amount")
    assert d["status"].tolist() == expected.deals.sort_values("amount")["status"].tolist()
    assert d["customer"].tolist() == expected.deals.sort_values("amount")["customer"].tolist()


def test_the_worked_figures_hold_for_the_exports(ours):
    s = dict(zip(ours["ours.csv"].summary["metric"], ours["ours.csv"].summary["value"]))
    # open: 12 000 + 30 000 + 45 000 + 80 000 + 9 000; won 25 000 + 60 000 of 3 closed
    assert s["open_pipeline"] == 176_000 and s["open_deals"] == 5
    assert s["win_rate"] == pytest.approx(2 / 3) and s["avg_deal"] == 42_500


@pytest.mark.parametrize("preset, export, missing", [
    ("salesforce", "zoho.csv", ["'Opportunity ID'", "'Opportunity Owner'", "'Created Date'"]),
    ("zoho", "hubspot.csv", ["'Stage'", "'Closing Date'", "'Created Time'"]),   # Deal owner = Deal Owner
    ("hubspot", "fxiaoke.csv", ["'Deal owner'", "'Deal Stage'", "'Create Date'"]),
    ("salesforce", "zoho_orders.csv", ["'Order Start Date'", "'Order Owner'", "'Order Amount'"]),
    ("zoho", "fxiaoke_orders.csv", ["'Created Time'", "'Sales Order Owner'", "'Grand Total'"]),
])
def test_a_wrong_preset_names_the_crm_columns_it_could_not_find(preset, export, missing):
    from xlsales.io.schemas import ORDERS
    schema = ORDERS if "orders" in export else OPPORTUNITIES
    with pytest.raises(InputFileError) as error:
        load_mapped(HERE / export, schema, load_mapping(preset))
    text = "\n".join(error.value.problems)
    for name in missing:
        assert f"missing column {name}" in text, text
    assert f"{load_mapping(preset).name}'s name for" in text


def test_bad_values_in_an_export_are_reported_by_the_crm_header(tmp_path):
    frame = pd.read_csv(HERE / "zoho.csv", dtype=str)
    frame.loc[2, "Amount"] = "lots"
    frame.loc[4, "Stage"] = "Sleeping"
    frame.to_csv(tmp_path / "zoho.csv", index=False)
    with pytest.raises(InputFileError) as error:
        read_funnel_inputs(tmp_path / "zoho.csv", HERE / "reps.csv", mapping=load_mapping("zoho"))
    assert "zoho.csv, row 4, column Amount: 'lots' is not a number" in error.value.problems
    frame.loc[2, "Amount"] = "100"
    frame.to_csv(tmp_path / "zoho.csv", index=False)
    with pytest.raises(InputFileError) as error:
        read_funnel_inputs(tmp_path / "zoho.csv", HERE / "reps.csv", mapping=load_mapping("zoho"))
    assert any(p.startswith("zoho.csv, row 6, column Stage: 'Sleeping' is not a stage") for p in error.value.problems)


def test_a_users_mapping_file(tmp_path):
    (tmp_path / "crm.yaml").write_text(
        "name: Our CRM\nopportunities:\n  columns:\n    id: Ref\n    rep: Seller\n    amount: Value\n"
        "    stage: Phase\n    expected_close: Due\n    created: Opened\n  stages:\n    lead: [Cold]\n"
        "    won: [Signed]\n  lost: [Dead]\n", encoding="utf-8")
    pd.DataFrame({"Ref": ["a", "b", "c"], "Seller": ["Ann Lee"] * 3, "Value": [10, 20, 30],
                  "Phase": ["Cold", "Signed", "Dead"], "Due": ["2026-07-01", "2026-05-01", "2026-04-01"],
                  "Opened": ["2026-03-01"] * 3}).to_csv(tmp_path / "export.csv", index=False)
    result = _funnel(tmp_path / "export.csv", load_mapping(path=tmp_path / "crm.yaml"))
    d = result.deals.set_index("id")
    assert d["status"].to_dict() == {"a": "open", "b": "won", "c": "lost"}
    assert d.loc["b", "closed_date"] == pd.Timestamp("2026-05-01") and d.loc["c", "stage"] == "lead"


@pytest.mark.parametrize("text, message", [
    ("opportunities:\n  columns:\n    deal: Ref\n", "'deal' is not a column of the opportunities file"),
    ("opportunities:\n  columns: [a, b]\n", "expected 'columns:'"),
    ("orderz: {}\n", "expected a mapping with an 'opportunities' and/or 'orders' section"),
    ("opportunities:\n  columns:\n    id: 12\n", "expected a name or a list of names"),
    ("opportunities:\n  columns:\n    id: Ref\n  status:\n    maybe: [x]\n", "'maybe' is not open, won or lost"),
])
def test_bad_mapping_files_are_named(tmp_path, text, message):
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        load_mapping(path=tmp_path / "m.yaml")
    assert any(message in p and p.startswith("m.yaml") for p in error.value.problems), error.value.problems


def test_cli_preset_and_unknown_preset(tmp_path):
    run = CliRunner().invoke(main, ["funnel", "--opportunities", str(HERE / "hubspot.csv"), "--reps",
                                    str(HERE / "reps.csv"), "--preset", "hubspot", "--as-of", "2026-06-30",
                                    "--out", str(tmp_path / "f.xlsx")])
    assert run.exit_code == 0, run.output
    assert "176,000" in run.output
    run = CliRunner().invoke(main, ["funnel", "--opportunities", str(HERE / "hubspot.csv"), "--reps",
                                    str(HERE / "reps.csv"), "--preset", "zoho", "--as-of", "2026-06-30",
                                    "--out", str(tmp_path / "g.xlsx")])
    assert run.exit_code == 2 and "missing column 'Closing Date' (Zoho CRM's name for expected_close" in run.output
    assert not (tmp_path / "g.xlsx").exists()


def test_check_and_orders_through_a_mapping(tmp_path):
    run = CliRunner().invoke(main, ["check", str(HERE / "zoho.csv"), "--preset", "zoho"])
    assert run.exit_code == 0 and "OK" in run.output and "8 rows (opportunities)" in run.output, run.output
    run = CliRunner().invoke(main, ["check", str(HERE / "zoho.csv"), "--preset", "salesforce"])
    assert run.exit_code == 2 and "missing column 'Opportunity ID' (Salesforce's name for id" in run.output
    (tmp_path / "erp.yaml").write_text("orders:\n  columns:\n    date: Posting Date\n    rep: Salesperson\n"
                                       "    amount: Net Amount\n    customer: Sold-to\n", encoding="utf-8")
    pd.DataFrame({"Posting Date": ["2026-06-01", "2026-06-02"], "Salesperson": ["Ann Lee", "Bob Wu"],
                  "Net Amount": ["1,200", "800"], "Sold-to": ["Acme", "Bolt"]}).to_csv(tmp_path / "o.csv", index=False)
    from xlsales.io.schemas import load_orders
    orders = load_orders(tmp_path / "o.csv", mapping=load_mapping(path=tmp_path / "erp.yaml"))
    assert orders["amount"].tolist() == [1200.0, 800.0] and orders["customer"].tolist() == ["Acme", "Bolt"]
    run = CliRunner().invoke(main, ["check", str(tmp_path / "o.csv"), "--mapping", str(tmp_path / "erp.yaml")])
    assert run.exit_code == 0, run.output


# ------------------------------------------------------------------------------------- orders exports

ORDER_EXPORTS = {preset: f"{preset}_orders.{'xlsx' if preset == 'jiandaoyun' else 'csv'}" for preset in PRESETS}
WITH_COLLECTIONS = ("fxiaoke", "jiandaoyun")


def _orders(path, mapping=None):
    from xlsales.io.schemas import load_orders
    return load_orders(path, mapping=mapping).sort_values("date", kind="stable").reset_index(drop=True)


@pytest.mark.parametrize("preset", PRESETS)
def test_each_orders_export_gives_our_own_orders(preset):
    got, ours = _orders(HERE / ORDER_EXPORTS[preset], load_mapping(preset)), _orders(HERE / "ours_orders.csv")
    columns = ["date", "rep", "customer", "amount"] + (["collected"] if preset in WITH_COLLECTIONS else [])
    pd.testing.assert_frame_equal(got[columns], ours[columns])
    assert got["amount"].sum() == 159_000.5       # 12 000 + 60 000 + 25 000 + 8 000.50 + 45 000 + 9 000
    assert 99_999 not in got["amount"].tolist()   # the cancelled / draft order, or the open deal, is no sale


def test_orders_through_a_preset_plan_the_same_targets(tmp_path):
    """Revenue and collections (纷享销客 exports 已回款金额) planned as from our own file."""
    ours = CliRunner().invoke(main, ["targets", "--orders", str(HERE / "ours_orders.csv"), "--reps",
                                     str(HERE / "reps.csv"), "--year", "2027", "--out", str(tmp_path / "a.xlsx")])
    crm = CliRunner().invoke(main, ["targets", "--orders", str(HERE / "fxiaoke_orders.csv"), "--reps",
                                    str(HERE / "reps.csv"), "--year", "2027", "--preset", "fxiaoke",
                                    "--out", str(tmp_path / "b.xlsx")])
    assert ours.exit_code == 0, ours.output
    assert crm.exit_code == 0, crm.output
    from xlsales.workbooks.targets import read_monthly_targets
    pd.testing.assert_frame_equal(read_monthly_targets(tmp_path / "a.xlsx"), read_monthly_targets(tmp_path / "b.xlsx"))


def test_a_skip_column_the_export_lacks_is_named(tmp_path):
    frame = pd.read_csv(HERE / "zoho_orders.csv", dtype=str).drop(columns=["Status"])
    frame.to_csv(tmp_path / "zoho_orders.csv", index=False)
    with pytest.raises(InputFileError) as error:
        _orders(tmp_path / "zoho_orders.csv", load_mapping("zoho"))
    assert error.value.problems == [
        "zoho_orders.csv: missing column 'Status' (the mapping (--preset zoho) leaves rows out by it)"]


def test_bad_values_in_rows_left_out_are_still_reported(tmp_path):
    frame = pd.read_csv(HERE / "zoho_orders.csv", dtype=str)
    frame.loc[6, "Grand Total"] = "n/a"             # the cancelled order
    frame.to_csv(tmp_path / "zoho_orders.csv", index=False)
    with pytest.raises(InputFileError) as error:
        _orders(tmp_path / "zoho_orders.csv", load_mapping("zoho"))
    assert "zoho_orders.csv, row 8, column Grand Total: 'n/a' is not a number" in error.value.problems


@pytest.mark.parametrize("text, message", [
    ("orders:\n  columns: {date: D, rep: R, amount: A}\n  skip: [Cancelled]\n",
     "m.yaml, orders, skip: expected a column of the export and its words"),
    ("orders:\n  columns: {date: D, rep: R, amount: A}\n  keep:\n    Status: 3\n",
     "m.yaml, orders, keep, Status: expected a name or a list of names"),
    ("orders:\n  columns: {date: D, rep: R, amount: A}\n  drop: {Status: [x]}\n", "unknown key 'drop'"),
])
def test_bad_row_filters_are_named(tmp_path, text, message):
    (tmp_path / "m.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(InputFileError) as error:
        load_mapping(path=tmp_path / "m.yaml")
    assert any(message in p for p in error.value.problems), error.value.problems


def test_a_users_orders_mapping_keeps_only_booked_rows(tmp_path):
    (tmp_path / "erp.yaml").write_text("orders:\n  columns: {date: Posted, rep: Seller, amount: Net}\n"
                                       "  keep:\n    Doc Status: [Booked, posted]\n", encoding="utf-8")
    pd.DataFrame({"Posted": ["2026-01-05", "2026-01-06", "2026-01-07"], "Seller": ["Ann Lee"] * 3,
                  "Net": [100, 200, 400], "Doc Status": ["Booked", "Quote", " POSTED "]}).to_csv(
        tmp_path / "erp.csv", index=False)
    got = _orders(tmp_path / "erp.csv", load_mapping(path=tmp_path / "erp.yaml"))
    assert got["amount"].tolist() == [100.0, 400.0]


def test_check_tells_orders_from_deals_by_the_presets_names():
    run = CliRunner().invoke(main, ["check", "--preset", "zoho", str(HERE / "zoho_orders.csv"), str(HERE / "zoho.csv"),
                                    str(HERE / "reps.csv")])
    assert run.exit_code == 0, run.output
    assert "zoho_orders.csv: 6 rows (orders)" in run.output          # 7 exported, the cancelled one left out
    assert "zoho.csv: 8 rows (opportunities)" in run.output and "reps.csv: 2 rows (reps)" in run.output
