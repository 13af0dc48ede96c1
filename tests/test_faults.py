"""Faults: a kill during a write, a full disk, a read-only folder, two builds at once.

Each must end in one message and a documented exit code (3 for the environment), leave no temp file
behind that a later run does not remove, never replace a good file by a broken one, and never leave a
partial set of outputs.
"""
from __future__ import annotations

import errno
import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from xlsales.cli import main
from xlsales.errors import EXIT_ENVIRONMENT
from xlsales.staging import PREFIX, clean_stale, safe_name, temp_path

CONFIG = ("company: Fault Co\nlanguage: en\ninputs:\n  sample: {{seed: 3, reps: {reps}, months: 26}}\n"
          "outputs:\n  dir: {out}\n  workbooks: [targets]\n  memos: [monthly, coaching]\n  formats: [md, html]\n")


def _run(*args, timeout=600):
    code = "import sys; from xlsales.cli import main; sys.exit(main())"
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def _start(*args):
    code = "import sys; from xlsales.cli import main; sys.exit(main())"
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def _config(folder: Path, out: str = "out", reps: int = 12) -> Path:
    path = folder / "build.yaml"
    path.write_text(CONFIG.format(out=out, reps=reps), encoding="utf-8")
    return path


def _files(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _manifest_matches(out: Path) -> None:
    manifest = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    listed = {e["path"]: e["sha256"] for e in manifest["files"]}
    on_disk = {k: v for k, v in _files(out).items() if k != "manifest.json"}
    assert listed == on_disk


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sample")
    assert CliRunner().invoke(main, ["sample-data", "--out", str(folder), "--reps", "8", "--months", "26"]).exit_code == 0
    return folder


# ------------------------------------------------------------------------------------------ kill


def test_a_build_killed_while_writing_leaves_nothing_in_place_and_the_next_run_cleans_up(tmp_path):
    config = _config(tmp_path, reps=60)
    out = tmp_path / "out"
    process = _start("build", config)
    deadline = time.monotonic() + 300
    staged = []
    while time.monotonic() < deadline and process.poll() is None:
        staged = [p for p in out.glob(f"{PREFIX}*")] if out.exists() else []
        if staged and any(p.is_file() for p in staged[0].rglob("*")):
            break
        time.sleep(0.05)
    assert process.poll() is None, "the build ended before it could be killed"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)
    assert staged, "no staging folder was seen"
    leftovers = [p for p in out.iterdir()]
    assert leftovers and all(p.name.startswith(PREFIX) for p in leftovers)   # nothing was moved into place
    again = _run("build", config)
    assert again.returncode == 0, again.stderr
    assert not [p for p in out.rglob(f"{PREFIX}*")]                         # the killed run's files are gone
    _manifest_matches(out)


def test_sigterm_unwinds_and_removes_its_own_staging_folder(tmp_path):
    config = _config(tmp_path, reps=60)
    out = tmp_path / "out"
    process = _start("build", config)
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None:
        if out.exists() and any(out.glob(f"{PREFIX}*")):
            break
        time.sleep(0.05)
    assert process.poll() is None
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 128 + signal.SIGTERM
    assert "Traceback" not in err
    assert not out.exists() or not list(out.rglob("*"))


def test_stale_temp_files_of_dead_processes_are_removed_but_not_those_of_live_ones(tmp_path):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    mine = temp_path(tmp_path / "targets.xlsx")
    mine.write_bytes(b"in progress")
    theirs = Path(str(mine).replace(f"-{os.getpid()}-", f"-{dead.pid}-"))
    theirs.write_bytes(b"left by a killed run")
    old_other_host = tmp_path / f"{PREFIX}otherhost-1-0123abcd-x.xlsx"
    old_other_host.write_bytes(b"old")
    os.utime(old_other_host, (time.time() - 3 * 86400,) * 2)
    recent_other_host = tmp_path / f"{PREFIX}otherhost-1-0123abcd-y.xlsx"
    recent_other_host.write_bytes(b"recent")
    user_file = tmp_path / ".hidden-by-the-user.xlsx"
    user_file.write_bytes(b"mine")
    removed = clean_stale(tmp_path)
    assert sorted(removed) == sorted([theirs, old_other_host])
    assert mine.exists() and recent_other_host.exists() and user_file.exists()


def test_names_that_would_share_a_file_get_stable_distinct_names():
    names = ["张伟", "a/b", "a b", "a_b", "A b", "CON", "x" * 300, ".", "李娜 ", "李娜"]
    files = [safe_name(n) for n in names]
    assert len({f.lower() for f in files}) == len(names)
    assert files[0] == "张伟" and files[3] == "a_b" and files[9] == "李娜"
    assert files[1].startswith("a_b-") and files[2].startswith("a_b-") and files[1] != files[2]
    assert [safe_name(n) for n in names] == files                  # stable
    assert all(len(f) <= 87 for f in files)


def test_two_reps_whose_names_clean_to_the_same_file_keep_both_statements(tmp_path, sample):
    reps = (sample / "reps.csv").read_text(encoding="utf-8-sig").splitlines()
    orders = (sample / "orders.csv").read_text(encoding="utf-8-sig")
    first, second = reps[1].split(",")[0], reps[2].split(",")[0]
    reps[1] = reps[1].replace(first, "Li/Wei", 1)
    reps[2] = reps[2].replace(second, "Li Wei", 1)
    (tmp_path / "reps.csv").write_text("\n".join(reps) + "\n", encoding="utf-8")
    (tmp_path / "orders.csv").write_text(orders.replace(first, "Li/Wei").replace(second, "Li Wei"), encoding="utf-8")
    config = tmp_path / "build.yaml"
    config.write_text("as_of: 2026-02-27\ninputs: {orders: orders.csv, reps: reps.csv}\n"
                      "plan: {commission: plan.yaml}\noutputs: {dir: out, workbooks: [], memos: [statement], "
                      "formats: [md]}\n", encoding="utf-8")
    (tmp_path / "plan.yaml").write_text(
        "year: 2026\nmeasures:\n  revenue: {quota: 50000, basis: quota, tiers: [[0, 5%]]}\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["build", str(config)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out"
    folders = sorted(p.name for p in (out / "reps").iterdir())
    assert folders == sorted({safe_name("Li/Wei"), safe_name("Li Wei"), *(safe_name(r.split(",")[0]) for r in reps[3:])})
    _manifest_matches(out)


# ------------------------------------------------------------------------------------------ full disk, read-only


def _mount_tmpfs(folder: Path, options: str) -> bool:
    folder.mkdir(parents=True, exist_ok=True)
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)],
                          capture_output=True).returncode == 0


def _unmount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], capture_output=True)


@pytest.fixture()
def full_disk(tmp_path):
    folder = tmp_path / "small"
    if not _mount_tmpfs(folder, "size=16k"):
        pytest.skip("cannot mount a small tmpfs here; test_simulated_disk_full covers ENOSPC")
    yield folder
    _unmount(folder)


@pytest.mark.parametrize("command", ["targets", "memo", "commission", "funnel", "build"])
def test_a_full_disk_is_an_environment_failure_and_leaves_nothing(full_disk, sample, tmp_path, command):
    inputs = ["--orders", sample / "orders.csv", "--reps", sample / "reps.csv"]
    plan = Path(__file__).resolve().parents[1] / "examples" / "plans" / "plan.en.yaml"
    quotas = tmp_path / "quotas.csv"
    quotas.write_text("rep,measure,period,quota\n" + "".join(
        f"{line.split(',')[0]},{m},2026-02,100000\n" for line in
        (sample / "reps.csv").read_text(encoding="utf-8-sig").splitlines()[1:] for m in ("revenue", "collections")),
        encoding="utf-8")
    args = {
        "targets": ["targets", *inputs, "--out", full_disk / "targets.xlsx"],
        "memo": ["memo", "--kind", "monthly", *inputs, "--out", full_disk / "memos", "--format", "md,html"],
        "commission": ["commission", "--plan", plan, *inputs, "--quotas", quotas, "--period", "2026-02",
                       "--out", full_disk / "commission.xlsx", "--statements", full_disk / "statements"],
        "funnel": ["funnel", "--opportunities", sample / "opportunities.csv", "--reps", sample / "reps.csv",
                   "--as-of", "2026-02-28", "--out", full_disk / "funnel.xlsx"],
        "build": ["build", _config(tmp_path, out=str(full_disk / "build"))],
    }[command]
    result = _run(*args)
    assert result.returncode == EXIT_ENVIRONMENT, result.stderr
    assert "the disk is full; nothing was written" in result.stderr and "Traceback" not in result.stderr
    assert result.stderr.startswith("xlsales: cannot write or read ")
    assert PREFIX not in result.stderr
    assert not [p for p in full_disk.rglob("*") if p.is_file()]


def test_simulated_disk_full_keeps_the_good_workbook(tmp_path, sample, monkeypatch):
    out = tmp_path / "targets.xlsx"
    args = ["targets", "--orders", str(sample / "orders.csv"), "--reps", str(sample / "reps.csv"), "--out", str(out)]
    assert CliRunner().invoke(main, args).exit_code == 0
    good = out.read_bytes()
    import zipfile

    def no_space(self, *a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")
    monkeypatch.setattr(zipfile.ZipFile, "writestr", no_space)
    result = CliRunner().invoke(main, args)
    assert result.exit_code == EXIT_ENVIRONMENT
    assert result.stderr == f"xlsales: cannot write or read {out}: the disk is full; nothing was written\n"
    assert out.read_bytes() == good
    assert sorted(p.name for p in tmp_path.iterdir()) == ["targets.xlsx"]


@pytest.fixture()
def read_only(tmp_path):
    folder = tmp_path / "ro"
    if _mount_tmpfs(folder, "ro,size=64k"):
        yield folder
        _unmount(folder)
        return
    folder.chmod(0o555)
    yield folder
    folder.chmod(0o755)


@pytest.mark.parametrize("command", ["targets", "memo", "build", "sample-data"])
def test_a_read_only_folder_is_an_environment_failure(read_only, sample, tmp_path, command):
    inputs = ["--orders", sample / "orders.csv", "--reps", sample / "reps.csv"]
    args = {"targets": ["targets", *inputs, "--out", read_only / "targets.xlsx"],
            "memo": ["memo", "--kind", "monthly", *inputs, "--out", read_only / "memos", "--format", "md"],
            "build": ["build", _config(tmp_path, out=str(read_only / "build"))],
            "sample-data": ["sample-data", "--out", read_only / "data"]}[command]
    result = _run(*args)
    assert result.returncode == EXIT_ENVIRONMENT, result.stderr
    assert "Traceback" not in result.stderr
    assert "read-only" in result.stderr or "permission denied" in result.stderr
    assert not list(read_only.iterdir())


# ------------------------------------------------------------------------------------------ concurrency


def test_two_builds_at_once_into_the_same_folder_both_succeed_and_agree(tmp_path):
    config = _config(tmp_path, reps=20)
    first, second = _start("build", config), _start("build", config)
    for process in (first, second):
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    out = tmp_path / "out"
    assert not [p for p in out.rglob(f"{PREFIX}*")]
    _manifest_matches(out)
    together = _files(out)
    alone = tmp_path / "alone"
    alone.mkdir()
    solo = _run("build", _config(alone, reps=20))
    assert solo.returncode == 0, solo.stderr
    assert _files(alone / "out") == together        # deterministic: the same bytes as one build alone
