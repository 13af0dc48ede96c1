"""``xlsales demo``: the whole job on the built-in sample company."""
from __future__ import annotations

from pathlib import Path

import click
import pandas as pd

from xlsales.cli import fail, main
from xlsales.cli.common import LANG_OPTION
from xlsales.cli.display import text_table
from xlsales.cli.inputs import write_tables
from xlsales.cli.targets import format_summary
from xlsales.errors import InputError
from xlsales.io.plan import example_plan
from xlsales.sample import sample_company
from xlsales.sample.opportunities import sample_opportunities
from xlsales.workbooks.commission import commission_report
from xlsales.workbooks.funnel import HEADLINES, funnel_report
from xlsales.workbooks.targets import region_summary, targets_report


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


def _listing(paths: list[Path], out_dir: Path, lang: str) -> list[str]:
    """Files at the top of ``out_dir`` one by one; a sub-folder's files as one line with their count."""
    lines, folders = [], {}
    for path in paths:
        relative = Path(path).relative_to(out_dir)
        if len(relative.parts) > 2 or (len(relative.parts) == 2 and relative.parts[0] != "inputs"):
            folders.setdefault(out_dir / relative.parts[0], []).append(path)
        else:
            lines.append(str(path))
    for folder, files in folders.items():
        lines.append(f"{folder}/ ({len(files)} {'个文件' if lang == 'zh' else 'files'})")
    return lines


def run_demo(out_dir: Path, lang: str = "en", echo=print) -> list[Path]:
    zh = lang == "zh"
    company = sample_company()
    opportunities = sample_opportunities(company, lang=lang)
    tables = {"reps": company.reps, "orders": company.orders, "opportunities": opportunities}
    written = write_tables(tables, out_dir / "inputs", "csv", lang)

    path, plan, pace = targets_report(company.orders, company.reps, out_dir / "targets.xlsx", lang=lang)
    written.append(path)
    echo(("\n目标与进度（销售额，截至 {:%Y-%m-%d}）" if zh else "\nTargets and pace (revenue, as of {:%Y-%m-%d})")
         .format(pace.attrs["as_of"]))
    echo(format_summary(region_summary(plan, pace), lang))

    paths, headlines = funnel_report(company, out_dir, lang, as_of=company.as_of, targets=plan.monthly)
    written += paths
    echo("\n销售漏斗" if zh else "\nFunnel")
    echo(text_table(("指标", "数值") if zh else ("Metric", "Value"), _headline_rows(headlines, lang)))

    period = f"{company.as_of:%Y-%m}"
    paths, payouts = commission_report(company, example_plan(lang), plan.monthly, period, out_dir, lang)
    written += paths
    echo((f"\n提成（{period}，前五名）" if zh else f"\nCommission ({period}, top five)"))
    echo(text_table(("销售代表", "提成", "奖励", "实发") if zh else ("Rep", "Commission", "Awards", "Payout"),
                    [(r.rep, f"{r.commission:,.2f}", f"{r.awards:,.2f}", f"{r.payout:,.2f}")
                     for r in payouts.head(5).itertuples()]))
    return written


# The funnel figures the demo prints, and how each is shown.
SHOWN = (("open_pipeline", "money"), ("weighted_pipeline", "money"), ("win_rate", "share"),
         ("avg_deal", "money"), ("cycle_days", "days"), ("stale_deals", "count"), ("slipped_deals", "count"),
         ("bottleneck", "text"), ("gap", "money"), ("coverage", "times"), ("deals_needed", "count"))


def _headline_rows(headlines: pd.DataFrame, lang: str) -> list[tuple[str, str]]:
    values = dict(zip(headlines["metric"], headlines["value"]))
    labels = {name: (zh if lang == "zh" else en) for name, en, zh, _, _ in HEADLINES}
    rows = []
    for metric, kind in SHOWN:
        value = values.get(metric)
        label = labels.get("".join(part.title() for part in metric.split("_")), metric)
        if value is None or (isinstance(value, float) and value != value):
            text = "–"
        elif kind == "money":
            text = f"{value:,.0f}"
        elif kind == "share":
            text = f"{value:.1%}"
        elif kind == "times":
            text = f"{value:.2f}×"
        elif kind in ("count", "days"):
            text = f"{value:,.0f}"
        else:
            text = str(value)
        rows.append((label, text))
    return rows
