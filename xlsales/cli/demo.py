"""``xlsales demo``: the whole job on the built-in sample company."""
from __future__ import annotations

from pathlib import Path

import click

from xlsales.cli import fail, main
from xlsales.cli.common import LANG_OPTION
from xlsales.cli.inputs import sample_tables, write_tables
from xlsales.cli.targets import format_summary
from xlsales.errors import InputError
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
    for path in written:
        click.echo(f"  {path}")


def run_demo(out_dir: Path, lang: str = "en", echo=print) -> list[Path]:
    tables = sample_tables()
    written = write_tables(tables, out_dir / "inputs", "csv", lang)
    orders, reps = tables["orders"], tables["reps"]
    name = "目标分解.xlsx" if lang == "zh" else "targets.xlsx"
    path, plan, pace = targets_report(orders, reps, out_dir / name, lang=lang)
    written.append(path)
    echo(("目标分解（销售额，截至 {:%Y-%m-%d}）" if lang == "zh" else "Targets (revenue, as of {:%Y-%m-%d})")
         .format(pace.attrs["as_of"]))
    echo(format_summary(region_summary(plan, pace), lang))
    return written
