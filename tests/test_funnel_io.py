"""Opportunities and stage-table files: every problem named by file, row and column; exit 2, nothing written."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from xlsales.cli import main
from xlsales.errors import InputFileError
from xlsales.io.opportunities import load_stages, read_opportunities
from xlsales.io.schemas import load_reps

HERE = Path(__file__).resolve().parent / "bad_opportunities"
REPS = HERE / "reps.csv"

BAD = [
    ("unknown_stage.csv", "row 3, column stage: 'qualification' is not a stage of the stage table"),
    ("close_before_created.csv", "row 4, column closed_date: 2025-12-20 is before the created date"),
    ("stage_before_created.csv", "row 3, column stage_entered: 2026-01-20 is before the created date"),
    ("negative_amount.csv", "row 5, column amount: '-400' is negative"),
    ("duplicate_id.csv", "row 4, column id: 'A1' appears again (first in row 2)"),
    ("status_stage_conflict.csv", "row 3, column status: 'open' conflicts with the stage 'won'"),
    ("won_not_at_won_stage.csv", "row 3, column status: 'won' means won, so the stage must be the won stage"),
    ("unknown_status.csv", "row 3, column status: 'pending' is not a status"),
    ("unknown_rep.csv", "row 3, column rep: 'zed' is not in reps.csv"),
    ("open_with_closed_date.csv", "row 3, column status: 'open' but the deal has a closed date"),
    ("amount_not_number.csv", "row 3, column amount: 'abc' is not a number"),
]


@pytest.mark.parametrize("name, message", BAD)
def test_bad_file_is_named_by_row_and_column(name, message):
    with pytest.raises(InputFileError) as error:
        read_opportunities(HERE / name, load_stages(), load_reps(REPS))
    assert any(p.startswith(f"{name}, ") and message in p for p in error.value.problems), error.value.problems


@pytest.mark.parametrize("name, message", BAD)
def test_cli_exits_2_and_writes_nothing(tmp_path, name, message):
    out = tmp_path / "funnel.xlsx"
    result = CliRunner().invoke(main, ["funnel", "--opportunities", str(HERE / name), "--reps", str(REPS),
                                       "--as-of", "2026-06-30", "--out", str(out)])
    assert result.exit_code == 2
    assert message in result.output
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_cli_keeps_a_good_workbook_when_the_new_input_is_bad(tmp_path):
    out = tmp_path / "funnel.xlsx"
    args = ["funnel", "--reps", str(REPS), "--as-of", "2026-06-30", "--out", str(out)]
    assert CliRunner().invoke(main, [*args, "--opportunities", str(HERE / "good.csv")]).exit_code == 0
    before = out.read_bytes()
    assert CliRunner().invoke(main, [*args, "--opportunities", str(HERE / "unknown_stage.csv")]).exit_code == 2
    assert out.read_bytes() == before


def test_good_files_in_english_and_chinese_give_the_same_deals():
    reps = load_reps(REPS)
    en = read_opportunities(HERE / "good.csv", load_stages(), reps)
    zh = read_opportunities(HERE / "good_zh.csv", load_stages(), reps)
    assert en["stage"].tolist() == zh["stage"].tolist() == ["lead", "proposal", "won", "needs analysis"]
    assert en["status"].tolist() == zh["status"].tolist() == ["open", "open", "won", "lost"]
    zh_names = read_opportunities(HERE / "good.csv", load_stages(lang="zh"), reps)
    assert zh_names["stage"].tolist() == ["线索", "方案报价", "赢单", "需求分析"]


def test_closed_date_defaults_to_stage_entered_for_closed_deals(tmp_path):
    frame = pd.read_csv(HERE / "good.csv").drop(columns=["closed_date"])
    frame.to_csv(tmp_path / "opps.csv", index=False)
    deals = read_opportunities(tmp_path / "opps.csv", load_stages(), load_reps(REPS))
    assert deals["closed_date"].tolist()[2:] == [pd.Timestamp("2026-03-01"), pd.Timestamp("2026-02-01")]
    assert deals["closed_date"].iloc[:2].isna().all()


def test_stage_table_from_yaml_with_aliases_and_norm():
    stages = load_stages(HERE / "stages.yaml")
    assert stages["stage"].tolist() == ["初步接触", "需求分析", "方案报价", "赢单"]
    assert stages["stale_days"].tolist()[:3] == [20, 30, 30]
    assert stages["norm"].tolist()[:3] == pytest.approx([0.1 / 0.3, 0.3 / 0.6, 0.5])   # the last one given
    deals = read_opportunities(HERE / "good.csv", stages, load_reps(REPS))   # English names via aliases
    assert deals["stage"].tolist() == ["初步接触", "方案报价", "赢单", "需求分析"]


def test_stage_table_from_csv_is_sorted_by_order_with_chinese_headers():
    stages = load_stages(HERE / "stages.csv")
    assert stages["stage"].tolist() == ["lead", "needs analysis", "proposal", "won"]
    assert stages["probability"].tolist() == [0.1, 0.2, 0.5, 1.0]


@pytest.mark.parametrize("name, message", [
    ("bad_stages.csv", "bad_stages.csv, row 3, column probability: 'abc' is not a number"),
    ("bad_stages.yaml", "bad_stages.yaml: stages: the last stage ('won') is the won stage"),
])
def test_bad_stage_tables(name, message):
    with pytest.raises(InputFileError) as error:
        load_stages(HERE / name)
    assert any(message in p for p in error.value.problems)


def test_check_command_applies_the_funnel_rules():
    result = CliRunner().invoke(main, ["check", str(HERE / "unknown_stage.csv"), str(REPS)])
    assert result.exit_code == 2 and "'qualification' is not a stage" in result.output


def test_targets_and_target_file_are_exclusive(tmp_path):
    result = CliRunner().invoke(main, ["funnel", "--opportunities", str(HERE / "good.csv"), "--reps", str(REPS),
                                       "--targets", "a.xlsx", "--target-file", "b.csv", "--out",
                                       str(tmp_path / "f.xlsx")])
    assert result.exit_code == 2 and not (tmp_path / "f.xlsx").exists()


def test_target_file_problems_are_reported(tmp_path):
    (tmp_path / "t.csv").write_text("rep,month,target\nann,2026-01-01,abc\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["funnel", "--opportunities", str(HERE / "good.csv"), "--reps", str(REPS),
                                       "--target-file", str(tmp_path / "t.csv"), "--out", str(tmp_path / "f.xlsx")])
    assert result.exit_code == 2 and "t.csv, row 2, column target: 'abc' is not a number" in result.output


def test_cli_with_a_target_file_writes_the_workbook_and_prints_the_headlines(tmp_path):
    months = pd.date_range("2026-01-01", periods=12, freq="MS")
    pd.DataFrame({"销售代表": ["ann"] * 12 + ["bob"] * 12, "月份": list(months.date) * 2,
                  "目标": [100.0] * 12 + [50.0] * 12}).to_csv(tmp_path / "targets.csv", index=False)
    out = tmp_path / "funnel.xlsx"
    result = CliRunner().invoke(main, ["funnel", "--opportunities", str(HERE / "good_zh.csv"), "--reps", str(REPS),
                                       "--target-file", str(tmp_path / "targets.csv"), "--as-of", "2026-06-30",
                                       "--out", str(out), "--lang", "zh"])
    assert result.exit_code == 0, result.output
    def shown(label):
        line = next(line for line in result.output.splitlines() if line.startswith(label + " "))
        return line[len(label):].strip()

    assert shown("期间目标") == "1,800" and shown("已成交") == "300" and shown("业绩缺口（按赢单）") == "1,500"
    assert shown("瓶颈阶段") == "方案报价"        # 1 of 2 proposals moved on, against a norm of 2/3
    assert shown("剩余目标覆盖率").endswith("×") and shown("赢单率").endswith("%")
    from xlsales.workbooks.binding import open_workbook, read_table
    from xlsales.workbooks.funnel import FORECAST

    forecast = read_table(open_workbook(out), "RepForecast", FORECAST).set_index("rep")
    assert forecast.loc["ann", "target"] == 1200 and forecast.loc["bob", "target"] == 600


def test_refreshing_a_workbook_without_its_tables_fails_cleanly(tmp_path):
    import openpyxl

    out = tmp_path / "funnel.xlsx"
    openpyxl.Workbook().save(out)
    before = out.read_bytes()
    result = CliRunner().invoke(main, ["funnel", "--opportunities", str(HERE / "good.csv"), "--reps", str(REPS),
                                       "--as-of", "2026-06-30", "--out", str(out)])
    assert result.exit_code == 2 and "funnel.xlsx: the workbook has no table named" in result.output
    assert out.read_bytes() == before


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_funnel_command_prints_figures_in_words_not_keys(tmp_path, lang):
    from test_memos_console import raw_keys

    result = CliRunner().invoke(main, ["funnel", "--opportunities", str(HERE / "good.csv"), "--reps", str(REPS),
                                       "--as-of", "2026-06-30", "--out", str(tmp_path / "f.xlsx"), "--lang", lang])
    assert result.exit_code == 0, result.output
    assert not raw_keys(result.output, lang), raw_keys(result.output, lang)
    for key in ("open_pipeline", "win_rate", "pipeline_in_period", "deals_needed", "best_case"):
        assert key not in result.output
    assert ("在途金额" if lang == "zh" else "Open pipeline") in result.output
