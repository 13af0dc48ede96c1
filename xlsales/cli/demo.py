"""``xlsales demo``: the whole job on the built-in sample company.

It writes the sample company's input files, then runs exactly what ``xlsales build`` runs on them
(targets, funnel and commission workbooks, memos), and prints a short summary of each.
"""
from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from xlsales.build.config import BuildConfig
from xlsales.build.run import build, prepare
from xlsales.cli import fail, main
from xlsales.cli.common import LANG_OPTION
from xlsales.cli.display import text_table
from xlsales.cli.inputs import write_tables
from xlsales.cli.targets import format_summary
from xlsales.core.decomposition import pacing
from xlsales.errors import InputError
from xlsales.io.plan import example_plan_path
from xlsales.sample import KEY_PRODUCT, sample_company
from xlsales.sample.opportunities import sample_opportunities
from xlsales.workbooks.commission import summary as commission_summary
from xlsales.workbooks.funnel import HEADLINES
from xlsales.workbooks.targets import region_summary


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default=Path("xlsales-demo"),
              show_default=True, help="Folder for everything the demo writes.")
@LANG_OPTION
def demo(out_dir, lang):
    """Run the whole job on the built-in sample company: data, workbooks and memos."""
    try:
        written = run_demo(out_dir, lang, echo=click.echo)
    except InputError as error:
        fail(error)
    click.echo("")
    click.echo("完成，输出文件：" if lang == "zh" else "Done. Everything the demo wrote:")
    for line in _listing(written, out_dir, lang):
        click.echo(f"  {line}")


def demo_config(inputs: dict[str, Path], out_dir: Path, lang: str, as_of) -> BuildConfig:
    """The build config the demo runs: the sample files, the example plan, every output."""
    return BuildConfig.model_validate({
        "company": "示例公司" if lang == "zh" else "Sample Co", "language": lang, "as_of": as_of.date(),
        "inputs": {kind: str(path) for kind, path in inputs.items()},
        "plan": {"commission": str(example_plan_path(lang)), "targets": {"key_product": KEY_PRODUCT}},
        "outputs": {"dir": str(out_dir), "formats": ["md", "html", "pdf"], "pdf_for": ["monthly", "quarterly"]},
    })


def run_demo(out_dir: Path, lang: str = "en", echo=print) -> list[Path]:
    zh = lang == "zh"
    company = sample_company()
    tables = {"reps": company.reps, "orders": company.orders,
              "opportunities": sample_opportunities(company, lang=lang)}
    written = write_tables(tables, out_dir / "inputs", "csv", lang)
    inputs = {Path(p).stem: Path(p) for p in written}
    # The same pipeline a week earlier: the funnel workbook and the monthly memo show what changed.
    week_ago = pd.Timestamp(company.as_of) - pd.Timedelta(days=7)
    earlier = write_tables({"opportunities": sample_opportunities(company, as_of=week_ago, lang=lang)},
                           out_dir / "inputs" / "last-week", "csv", lang)
    written += earlier
    inputs["compare"] = earlier[0]
    shared = prepare(demo_config(inputs, out_dir, lang, company.as_of))
    report = build(shared.config, jobs=1, shared=shared)
    if report.errors:
        raise InputError("the demo build failed: " + "; ".join(report.errors))

    as_of = shared.memo.month.as_of
    echo(("\n目标与进度（销售额，截至 {:%Y-%m-%d}）" if zh else "\nTargets and pace (revenue, as of {:%Y-%m-%d})")
         .format(as_of))
    echo(format_summary(region_summary(shared.plan, pacing(shared.plan, as_of)), lang))
    if shared.funnel_book is not None:
        echo("\n销售漏斗" if zh else "\nFunnel")
        echo(text_table(("指标", "数值") if zh else ("Metric", "Value"),
                        _headline_rows(shared.funnel_book.summary, lang)))
    if shared.memo.commission is not None:
        payouts = commission_summary(shared.memo.commission)
        period = max(payouts["period"].astype(str), default="")
        echo(f"\n提成（{period}，前五名）" if zh else f"\nCommission ({period}, top five)")
        echo(text_table(("销售代表", "提成", "奖励", "实发") if zh else ("Rep", "Commission", "Awards", "Payout"),
                        [(r.rep, f"{r.commission:,.2f}", f"{r.awards:,.2f}", f"{r.payout:,.2f}")
                         for r in payouts[payouts["period"].astype(str) == period].head(5).itertuples()]))
    return written + [p for p in report.paths if p.name != "manifest.json"] + (
        [report.manifest] if report.manifest else [])


# The funnel figures the demo prints, and how each is shown.
SHOWN = (("open_pipeline", "money"), ("weighted_pipeline", "money"), ("win_rate", "share"),
         ("avg_deal", "money"), ("cycle_days", "count"), ("stale_deals", "count"), ("slipped_deals", "count"),
         ("bottleneck", "text"), ("gap", "money"), ("coverage", "times"), ("deals_needed", "count"))
FORMATS = {"money": "{:,.0f}", "count": "{:,.0f}", "share": "{:.1%}", "times": "{:.2f}×", "text": "{}"}


def _headline_rows(headlines: pd.DataFrame, lang: str) -> list[tuple[str, str]]:
    values = dict(zip(headlines["metric"], headlines["value"]))
    labels = {name: (zh if lang == "zh" else en) for name, en, zh, _, _ in HEADLINES}
    rows = []
    for metric, kind in SHOWN:
        value = values.get(metric)
        label = labels.get("".join(part.title() for part in metric.split("_")), metric)
        missing = value is None or (isinstance(value, float) and value != value)
        rows.append((label, "–" if missing else FORMATS[kind].format(value)))
    return rows


def _listing(paths: list[Path], out_dir: Path, lang: str) -> list[str]:
    """Files at the top of ``out_dir`` and in inputs/ and workbooks/ one by one; other folders as one
    line each with their file count."""
    lines, folders = [], {}
    for path in paths:
        relative = Path(path).relative_to(out_dir)
        if len(relative.parts) == 1 or (len(relative.parts) == 2 and relative.parts[0] in ("inputs", "workbooks")):
            lines.append(str(path))
        else:
            folders.setdefault(out_dir / relative.parts[0], []).append(path)
    for folder, files in folders.items():
        lines.append(f"{folder}/ ({len(files)} {'个文件' if lang == 'zh' else 'files'})")
    return lines
