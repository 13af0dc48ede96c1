"""``make dist``'s wheel installs into a clean virtual environment and works as docs/excel.md says.

The wheel and sdist are built as ``make dist`` builds them; the wheel is installed with pip into a
new environment (its dependencies resolved from the ranges in pyproject.toml, from the package
index as a user's pip would) and its ``xlsales`` command runs ``demo`` and ``excel-setup`` in a
folder outside the checkout, so nothing is imported from the repository.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# openpyxl keeps the VBA archive of a macro file open; its garbage collection warns.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


def _run(args, cwd, timeout=900):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env)
    assert done.returncode == 0, f"{args}\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    _run([sys.executable, "-m", "build", "--no-isolation", "--outdir", out, ROOT], cwd=ROOT)
    return out


@pytest.fixture(scope="module")
def installed(dist, tmp_path_factory) -> Path:
    """A fresh venv with only the wheel (and what it depends on) installed."""
    env = tmp_path_factory.mktemp("clean") / "venv"
    venv.create(env, with_pip=True)
    wheel, = dist.glob("xlsales-*-py3-none-any.whl")
    _run([env / "bin" / "python", "-m", "pip", "install", "-q", "--disable-pip-version-check", wheel], cwd=dist)
    return env


def test_make_dist_builds_a_wheel_and_an_sdist(dist):
    wheel, = dist.glob("xlsales-*-py3-none-any.whl")
    sdist, = dist.glob("xlsales-*.tar.gz")
    names = set(zipfile.ZipFile(wheel).namelist())
    for name in ("xlsales/workbook_templates/targets.xlsx", "xlsales/workbook_templates/funnel.zh.xlsx",
                 "xlsales/udfs/xlsales_udfs.py", "xlsales/udfs/xlsales_macros.py", "xlsales/core/__init__.py",
                 "xlsales/excel/setup.py"):
        assert name in names, name
    metadata = next(zipfile.ZipFile(wheel).read(n).decode() for n in names if n.endswith("METADATA"))
    requires = [line.split(":", 1)[1].strip() for line in metadata.splitlines() if line.startswith("Requires-Dist:")
                and "extra ==" not in line]
    assert requires and not [r for r in requires if "==" in r], requires   # ranges, never exact pins
    with tarfile.open(sdist) as archive:
        members = {m.split("/", 1)[1] for m in archive.getnames() if "/" in m}
    assert {"pyproject.toml", "udfs/xlsales_udfs.py", "workbook_templates/targets.xlsx"} <= members


def test_the_wheel_runs_demo_and_excel_setup_in_a_clean_venv(installed, tmp_path):
    python, xlsales = installed / "bin" / "python", installed / "bin" / "xlsales"
    where = _run([python, "-c", "import xlsales; print(xlsales.__file__)"], cwd=tmp_path).stdout.strip()
    assert Path(where).is_relative_to(installed) and not Path(where).is_relative_to(ROOT)
    demo = _run([xlsales, "demo", "--out", tmp_path / "demo"], cwd=tmp_path)
    for name in ("workbooks/targets.xlsx", "workbooks/funnel.xlsx", "workbooks/commission.xlsx",
                 "memos/monthly-2026-06.md"):
        assert (tmp_path / "demo" / name).is_file(), demo.stdout[-2000:]
    setup = _run([xlsales, "excel-setup", "--out", tmp_path / "excel", "--kind", "both"], cwd=tmp_path)
    for name in ("xlsales.xlsm", "xlsales.xlam", "lite/main.py", "lite/requirements.txt"):
        assert (tmp_path / "excel" / name).is_file(), setup.stdout
