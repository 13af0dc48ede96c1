"""``xlsales build CONFIG.yaml [--jobs N] [--shard I/N]``: every workbook and memo the config names."""
from __future__ import annotations

import sys
from pathlib import Path

import click

from xlsales.cli import fail, fail_environment, main
from xlsales.cli.common import output_folder
from xlsales.errors import EnvironmentFailure, InputError


@main.command()
@click.argument("config_file", metavar="CONFIG.yaml", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--jobs", "-j", type=click.IntRange(1, 256), default=1, show_default=True,
              help="Worker processes.")
@click.option("--shard", metavar="I/N", help="Build only this machine's share (1-based), e.g. 2/4 in a CI matrix.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Output folder (overrides outputs.dir in the config).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar and only errors and the last line.")
def build(config_file, jobs, shard, out_dir, quiet):
    """Build every workbook and memo CONFIG.yaml names (headless, deterministic; for CI).

    All or nothing: the files are written to a staging folder inside the output folder and moved into
    place only when every one of them is written. Exit code 0 when everything was written, 1 when some
    outputs failed (each is listed), 2 when the config, an input file or a template is wrong, 3 when the
    machine failed (disk full, permission); nothing is written unless the code is 0."""
    from xlsales.build.config import load_config
    from xlsales.build.run import build as run_build, parse_shard, prepare

    try:
        config = load_config(config_file)
        if out_dir is not None:
            config.outputs.dir = out_dir.resolve()
        where = parse_shard(shard)
        output_folder(config.path(config.outputs.dir), "--out" if out_dir is not None else "outputs.dir")
        shared = prepare(config)
    except InputError as error:
        fail(error)
    report = run_build(config, jobs=jobs, shard=where, progress=False if quiet else None, shared=shared)
    if report.input_errors:
        fail(InputError("\n".join(report.input_errors)))
    if report.environment_errors:
        fail_environment(EnvironmentFailure("\n".join(report.environment_errors)))
    for note in report.skipped:
        click.echo(f"xlsales: skipped {note}", err=True)
    for error in report.errors:
        click.echo(f"xlsales: failed: {error}", err=True)
    if not quiet and sys.stdout.isatty() and len(report.paths) <= 40:
        for path in report.paths:
            click.echo(f"  {path}")
    if not report.ok:
        click.echo(f"xlsales: nothing was written: {len(report.errors)} of the outputs failed "
                   f"({report.tasks} tasks)", err=True)
        sys.exit(1)
    click.echo(f"built: {len(report.paths)} files from "
               f"{report.tasks} tasks in {shared.out}"
               + (f", {len(report.errors)} failed" if report.errors else "")
               + (f"; manifest {report.manifest.name}" if report.manifest else ""))
    sys.exit(0 if report.ok else 1)
