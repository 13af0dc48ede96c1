"""Writing outputs so that a reader never sees half of them, and a killed run leaves nothing behind.

- ``temp_path(target)``: the hidden name a file is written under before it is moved onto ``target``
  (``.xlsales-tmp-<host>-<pid>-<random>-<name>``, in the same folder so the move is one rename).
- ``clean_stale(folder)``: removes such files and staging folders left by runs that were killed
  (their process is gone, or they are over a day old), never those of a run still going.
- ``Staging(out_dir)``: a command that writes several files writes them into a staging folder inside
  ``out_dir`` and, only when all of them are written, moves each into place; on any failure the staging
  folder is removed and nothing is moved. (Each move is one rename; the set is moved in one quick pass.)
- ``safe_name(text)``: a file-name part from a rep or team name, unique per name: a name that had to be
  changed to be a file name gets a short stable suffix made from the name itself, so ``a/b`` and
  ``a b`` never overwrite each other's files.
"""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import time
import uuid
from pathlib import Path

PREFIX = ".xlsales-tmp-"
STALE_SECONDS = 24 * 3600
MAX_NAME = 80
# The machine's name (no socket module: xlwings Lite's Pyodide has none, and binding imports this module).
_HOST = re.sub(r"[^A-Za-z0-9]", "", os.uname().nodename if hasattr(os, "uname") else
               os.environ.get("COMPUTERNAME", ""))[:20] or "host"
_OWNED = re.compile(re.escape(PREFIX) + r"(?P<host>[A-Za-z0-9]+)-(?P<pid>\d+)-[0-9a-f]{8}-")
_UNSAFE = re.compile(r"[^\w.-]+", re.UNICODE)
_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(1, 10)), *(f"lpt{i}" for i in range(1, 10))}


def temp_path(target: Path) -> Path:
    target = Path(target)
    return target.parent / f"{PREFIX}{_HOST}-{os.getpid()}-{uuid.uuid4().hex[:8]}-{target.name}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def is_stale(path: Path, now: float | None = None) -> bool:
    match = _OWNED.match(path.name)
    if not match:
        return False
    try:
        age = (now or time.time()) - path.lstat().st_mtime
    except OSError:
        return False
    if age > STALE_SECONDS:
        return True
    if match["host"] != _HOST:
        return False
    pid = int(match["pid"])
    return pid != os.getpid() and not _alive(pid)


def clean_stale(folder: Path) -> list[Path]:
    """Remove temp files and staging folders of killed runs in ``folder`` (not recursive)."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        if entry.name.startswith(PREFIX) and is_stale(entry):
            try:
                shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
                removed.append(entry)
            except OSError:
                pass
    return removed


def shown(path) -> str:
    """A path for a message, with our temp and staging names taken out (the user knows the target)."""
    parts = []
    for part in Path(path).parts:
        match = _OWNED.match(part)
        if match is None:
            parts.append(part)
        elif part[match.end():] != "staging":
            parts.append(part[match.end():])
    return str(Path(*parts)) if parts else str(path)


def final_place(path) -> Path:
    """Where a file being written inside a staging folder will be once the set is moved in (a workbook
    records its input files relative to that place, not to the staging folder)."""
    parts = [p for p in Path(path).parts if not ((m := _OWNED.match(p)) and p[m.end():] == "staging")]
    return Path(*parts) if parts else Path(path)


def write_bytes_atomic(path: Path, data: bytes | str) -> Path:
    """Write ``data`` beside ``path`` under a temp name, then move it onto ``path`` in one step."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(path.parent)
    tmp = temp_path(path)
    try:
        with open(tmp, "wb") as file:
            file.write(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(tmp, path)
    except OSError as error:
        error.filename = error.filename or str(path)
        raise
    finally:
        if tmp.exists():
            tmp.unlink()
    return path


class Staging:
    """``with Staging(out) as stage:`` write under ``stage.dir`` (same layout as ``out``), then
    ``stage.commit()`` moves everything into ``out``. Leaving the block without a commit (an error, a
    kill signal turned into SystemExit) removes the staging folder: nothing is moved."""

    def __init__(self, out_dir):
        self.out = Path(out_dir)
        self.dir: Path | None = None
        self.moved: list[Path] = []

    def __enter__(self) -> "Staging":
        missing = [p for p in (self.out, *self.out.parents) if not p.exists()]
        self.out.mkdir(parents=True, exist_ok=True)
        self._created = missing          # removed again if nothing is committed
        clean_stale(self.out)
        self.dir = temp_path(self.out / "staging")
        self.dir.mkdir()
        return self

    def staged(self, final: Path) -> Path:
        """Where the file meant for ``final`` (inside ``out``) is written while staging."""
        return self.dir / Path(final).resolve().relative_to(self.out.resolve())

    def final(self, staged: Path) -> Path:
        return self.out / Path(staged).relative_to(self.dir)

    def files(self) -> list[Path]:
        return sorted(p for p in self.dir.rglob("*") if p.is_file())

    def commit(self) -> list[Path]:
        """Move every staged file into place (folders created as needed); returns the final paths."""
        moved = []
        for staged in self.files():
            final = self.final(staged)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged, final)
            moved.append(final)
        self.moved = moved
        return moved

    def __exit__(self, *exc) -> None:
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        if not self.moved:
            for folder in getattr(self, "_created", []):
                try:
                    folder.rmdir()
                except OSError:
                    break
        return None


def safe_name(text, fallback: str = "_") -> str:
    """A file-name part from a name (Chinese kept; slashes, spaces and the like → _). Unique per name:
    when the name had to change, a 6-character suffix from its hash is added, e.g. ``a_b-3f2c1e``."""
    original = str(text)
    cleaned = _UNSAFE.sub("_", original).strip("._")
    changed = cleaned != original or not cleaned or cleaned.lower() in _RESERVED or len(cleaned) > MAX_NAME
    if not changed:
        return cleaned
    digest = hashlib.sha1(original.encode("utf-8", "surrogatepass")).hexdigest()[:6]
    return f"{(cleaned or fallback)[:MAX_NAME]}-{digest}"
