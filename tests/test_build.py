"""xlsales build: config checks, determinism, shards, failures kept per rep; xlsales memo."""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from xlsales.build.config import load_config
from xlsales.build.run import build, parse_shard, prepare, shard_of
from xlsales.cli import main
from xlsales.errors import InputError, InputFileError

ROOT = Path(__file__).resolve().parent.parent
PLAN = ROOT / "examples" / "plans" / "plan.en.yaml"


def _config(tmp_path: Path, name="build.yaml", **outputs) -> Path:
    data = {"company": "Test Co", "language": "en", "as_of": "2026-06-30",
            "inputs": {"sample": {"seed": 3, "reps": 14, "months": 24}},
            "plan": {"commission": str(PLAN)},
            "outputs": {"dir": "out", "workbooks": [], "formats": ["md", "html"], **outputs}}
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _files(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_bad_config_names_the_key_and_writes_nothing(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("language: fr\ninputs: {orders: o.csv}\noutputs: {formats: [md, docx], dir: out}\n")
    with pytest.raises(InputFileError) as caught:
        load_config(path)
    text = str(caught.value)
    assert "bad.yaml: language:" in text and "outputs.formats.1" in text and "inputs" in text
    result = CliRunner().invoke(main, ["build", str(path)])
    assert result.exit_code == 2 and "language" in result.output
    assert not (tmp_path / "out").exists()


def test_bad_input_file_is_reported_by_row_and_column_and_nothing_is_written(tmp_path):
    (tmp_path / "orders.csv").write_text("date,rep,amount\n2026-01-05,Ann,12x\n", encoding="utf-8")
    (tmp_path / "reps.csv").write_text("rep,region\nAnn,East\n", encoding="utf-8")
    (tmp_path / "b.yaml").write_text("inputs: {orders: orders.csv, reps: reps.csv}\noutputs: {dir: out}\n")
    result = CliRunner().invoke(main, ["build", str(tmp_path / "b.yaml")])
    assert result.exit_code == 2
    assert "orders.csv, row 2" in result.output and "amount" in result.output
    assert not (tmp_path / "out").exists()


def test_period_names_the_month_or_quarter(tmp_path):
    path = _config(tmp_path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    del data["as_of"]
    data["period"] = "2026-Q1"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    shared = prepare(load_config(path))
    assert shared.memo.month.label == "2026-03" and str(shared.memo.month.as_of.date()) == "2026-03-31"
    data["period"] = "2026-13"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(InputFileError, match="period"):
        load_config(path)


def test_shard_argument():
    assert parse_shard("2/4") == (2, 4) and parse_shard(None) == (1, 1)
    for bad in ("0/2", "3/2", "x"):
        with pytest.raises(InputError):
            parse_shard(bad)
    assert shard_of("张三", 4) == shard_of("张三", 4) and 1 <= shard_of("张三", 4) <= 4


def test_two_builds_of_the_same_config_give_identical_files(tmp_path):
    config = _config(tmp_path, workbooks=["targets", "funnel", "commission"], formats=["md", "html", "pdf"])
    runner = CliRunner()
    first = runner.invoke(main, ["build", str(config), "--jobs", "1", "--out", str(tmp_path / "one")])
    assert first.exit_code == 0, first.output
    second = runner.invoke(main, ["build", str(config), "--jobs", "2", "--out", str(tmp_path / "two")])
    assert second.exit_code == 0, second.output
    one, two = _files(tmp_path / "one"), _files(tmp_path / "two")
    assert sorted(one) == sorted(two)
    assert {"workbooks/targets.xlsx", "workbooks/funnel.xlsx", "workbooks/commission.xlsx",
            "manifest.json"} <= set(one)
    assert any(name.startswith("reps/") and name.endswith(".pdf") for name in one)
    assert any(name.startswith("memos/teams/") for name in one)
    different = [name for name in one if one[name] != two[name]]
    assert different == []


def test_shards_split_the_reps_disjointly_and_completely(tmp_path):
    config = load_config(_config(tmp_path))
    shared = prepare(config)
    whole = build(config, shared=shared)
    assert whole.ok, whole.errors
    everything = {p.relative_to(shared.out).as_posix() for p in whole.paths}
    parts = []
    for i in (1, 2, 3):
        shared.out = tmp_path / f"shard{i}"
        report = build(config, shard=(i, 3), shared=shared)
        assert report.ok and report.manifest.name == f"manifest-shard-{i}-of-3.json"
        parts.append({p.relative_to(shared.out).as_posix() for p in report.paths})
    for a in range(3):
        for b in range(a + 1, 3):
            assert not parts[a] & parts[b]
    assert parts[0] | parts[1] | parts[2] == everything
    reps_in = [{name.split("/")[1] for name in part if name.startswith("reps/")} for part in parts]
    assert all(reps_in) and sum(len(r) for r in reps_in) == len(set().union(*reps_in))
    assert all(not name.startswith("memos/monthly") for part in parts[1:] for name in part)  # company: shard 1


def test_a_template_error_for_one_rep_names_the_template_line_and_writes_nothing(tmp_path):
    templates = tmp_path / "tpl"
    templates.mkdir()
    config = _config(tmp_path, memos=["statement"], by_team=False, templates="tpl")
    shared = prepare(load_config(config))
    victim = shared.memo.paid_reps()[1]
    (templates / "statement.md.j2").write_text(
        "# Statement {{ rep.rep }}\n{% if rep.rep == '" + victim + "' %}{{ no_such_figure }}{% endif %}"
        "{{ total | cents }}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(config), "--jobs", "2"])
    assert result.exit_code == 2
    assert result.stderr.startswith("xlsales: tpl/statement.md.j2, line 2: 'no_such_figure' is undefined")
    assert f"(first in rep {victim}: statement-" in result.stderr
    out = tmp_path / "out"
    assert not [p for p in out.rglob("*") if p.is_file()]     # all or nothing


def test_memo_command_on_input_files(tmp_path):
    runner = CliRunner()
    data = tmp_path / "data"
    assert runner.invoke(main, ["sample-data", "--out", str(data), "--reps", "12", "--months", "30"]).exit_code == 0
    files = ["--orders", str(data / "orders.csv"), "--reps", str(data / "reps.csv")]
    out = tmp_path / "memos"
    result = runner.invoke(main, ["memo", "--kind", "monthly", *files, "--out", str(out), "--lang", "zh",
                                  "--opportunities", str(data / "opportunities.csv")])
    assert result.exit_code == 0, result.output
    md = next(out.glob("monthly-*.md")).read_text(encoding="utf-8")
    assert md.startswith("# ") and "月度复盘" in md and "销售漏斗" in md
    coaching = runner.invoke(main, ["memo", "--kind", "coaching", *files, "--out", str(out)])
    assert coaching.exit_code == 0, coaching.output
    assert list(out.glob("coaching-*.html"))
    missing = runner.invoke(main, ["memo", "--kind", "statement", *files, "--out", str(tmp_path / "x")])
    assert missing.exit_code == 2 and "--plan" in missing.output and not (tmp_path / "x").exists()
    unknown = runner.invoke(main, ["memo", "--kind", "coaching", *files, "--rep", "Nobody", "--out", str(out)])
    assert unknown.exit_code == 2 and "Nobody" in unknown.output
    paid = runner.invoke(main, ["memo", "--kind", "statement", *files, "--plan", str(PLAN), "--out", str(out),
                                "--format", "md"])
    assert paid.exit_code == 0, paid.output
    statements = list(out.glob("statement-*.md"))
    assert statements and all("Commission statement" in p.read_text(encoding="utf-8") for p in statements)
    team = runner.invoke(main, ["memo", "--kind", "quarterly", *files, "--team", "nope", "--out", str(out)])
    assert team.exit_code == 2 and "--team" in team.output


def test_example_config_is_valid():
    config = load_config(ROOT / "examples" / "build.yaml")
    assert config.inputs.sample is not None and config.path(config.plan.commission).is_file()


def test_pdf_only_for_the_kinds_asked(tmp_path):
    config = load_config(_config(tmp_path, formats=["md", "pdf"], pdf_for=["monthly"], by_team=False,
                                 memos=["monthly", "statement"]))
    report = build(config)
    assert report.ok, report.errors
    pdfs = [p for p in report.paths if p.suffix == ".pdf"]
    assert [p.name for p in pdfs] == ["monthly-2026-06.pdf"]
    assert any(p.name.startswith("statement-") and p.suffix == ".md" for p in report.paths)


def test_outputs_the_inputs_cannot_give_are_named(tmp_path):
    runner = CliRunner()
    data = tmp_path / "data"
    assert runner.invoke(main, ["sample-data", "--out", str(data), "--reps", "8", "--months", "30"]).exit_code == 0
    (tmp_path / "c.yaml").write_text(yaml.safe_dump({
        "inputs": {"orders": "data/orders.csv", "reps": "data/reps.csv"},
        "outputs": {"dir": "out", "workbooks": ["funnel"], "memos": ["monthly", "statement"], "formats": ["md"]}}))
    result = runner.invoke(main, ["build", str(tmp_path / "c.yaml")])
    assert result.exit_code == 0, result.output
    assert "skipped funnel: no inputs.opportunities" in result.output
    assert "skipped statement: no plan.commission" in result.output
    assert list((tmp_path / "out" / "memos").glob("monthly-*.md"))
