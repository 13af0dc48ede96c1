"""PDF from the memo HTML with headless LibreOffice Writer.

Why this route: LibreOffice is already needed (tests recalculate workbooks with it), runs headless on
Linux, macOS and Windows CI, and renders CJK text with the installed fonts (Noto Sans CJK from Debian's
fonts-noto-cjk). The HTML is opened with the "HTML (StarWriter)" import filter (the page layout, not the
web view) and exported with ``writer_pdf_Export``. LibreOffice shows PNG data-URI images but not SVG ones,
so the PDF variant of a memo carries its charts as PNG.

A LibreOffice start costs one to several seconds, a third more with a fresh profile, so each process keeps
one profile of its own for all its conversions (created at the first, removed when the process ends), and
many memos are converted in one call (``to_pdf`` takes a list). Parallel build workers each have their own
profile, so they do not collide.

With ``XLSALES_PDF_LISTENER=1`` each process instead starts one LibreOffice listener the first time it
converts and keeps it until the process ends: every later ``soffice --convert-to`` on its profile is handed
to the running instance and takes a fraction of a second instead of a start (measured: 0.5–0.9 s against
8–12 s a batch on a loaded machine). It is not the default because a long-running LibreOffice embeds
fonts with bytes that change from one conversion to the next, so the PDFs are no longer byte-identical
between builds. If the listener cannot be used, a call falls back to a LibreOffice run of its own.

Determinism: LibreOffice stamps the creation time, a random document ID and a checksum of both into every PDF. ``_pin``
overwrites them in place with fixed values of the same length (byte offsets, and with them the xref table,
stay valid), so the same memo gives the same PDF bytes.
"""
from __future__ import annotations

import atexit
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from xlsales.staging import write_bytes_atomic

_DATE = re.compile(rb"(/(?:CreationDate|ModDate)\s*\(D:)([0-9]{14})([^)]*)\)")
_XMP_DATE = re.compile(rb"(<xmp:(?:CreateDate|ModifyDate|MetadataDate)>)([^<]*)(</xmp:)")
_ID = re.compile(rb"/ID\s*\[\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*\]")
_UUID = re.compile(rb"(uuid:)([0-9a-fA-F-]{36})")
_CHECKSUM = re.compile(rb"(/DocChecksum\s*/)([0-9A-Fa-f]+)")
FIXED_DATE = b"20000101000000"


class PdfError(RuntimeError):
    pass


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def _same_length(fill: bytes, length: int) -> bytes:
    return (fill * (length // len(fill) + 1))[:length]


def _pin(data: bytes) -> bytes:
    """Replace the time stamps and random IDs LibreOffice writes by fixed bytes of the same length."""
    data = _DATE.sub(lambda m: m[1] + FIXED_DATE + _same_length(b"Z", len(m[3])) + b")", data)
    data = _XMP_DATE.sub(lambda m: m[1] + _same_length(b"2000-01-01T00:00:00", len(m[2])) + m[3], data)
    data = _ID.sub(lambda m: m[0].replace(m[1], b"0" * len(m[1])).replace(m[2], b"0" * len(m[2])), data)
    data = _UUID.sub(lambda m: m[1] + b"00000000-0000-0000-0000-000000000000", data)
    data = _CHECKSUM.sub(lambda m: m[1] + b"0" * len(m[2]), data)
    return data


class _Listener:
    """A headless LibreOffice kept running for this process, with its own profile."""

    def __init__(self, program: str):
        self.pid = os.getpid()
        self.profile = Path(tempfile.gettempdir()) / f"xlsales-pdf-listener-{self.pid}-{uuid.uuid4().hex[:8]}"
        self.process = subprocess.Popen(
            [program, f"-env:UserInstallation=file://{self.profile}", "--headless", "--invisible", "--norestore",
             "--nologo", f"--accept=pipe,name=xlsales-{self.profile.name};urp;", "private:factory/swriter"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.started = time.monotonic()
        atexit.register(self.stop)
        try:                                   # worker processes end without running atexit
            from multiprocessing import util
            util.Finalize(self, _Listener.stop, args=(self,), exitpriority=10)
        except Exception:  # noqa: BLE001 - atexit still stops it
            pass

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self) -> None:
        if os.getpid() != self.pid:
            return
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)
        shutil.rmtree(self.profile, ignore_errors=True)


_LISTENER: _Listener | None = None


def _listener(program: str) -> _Listener | None:
    global _LISTENER
    if os.environ.get("XLSALES_PDF_LISTENER", "0") != "1":
        return None
    if _LISTENER is None or _LISTENER.pid != os.getpid() or not _LISTENER.alive():
        try:
            _LISTENER = _Listener(program)
        except OSError:
            _LISTENER = None
    return _LISTENER


_PROFILE: tuple[int, Path] | None = None


def _profile() -> Path:
    """This process's LibreOffice profile, made by its first conversion and removed when it ends."""
    global _PROFILE
    if _PROFILE is None or _PROFILE[0] != os.getpid():
        profile = Path(tempfile.gettempdir()) / f"xlsales-pdf-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        _PROFILE = (os.getpid(), profile)
        remove = lambda pid=os.getpid(), path=profile: os.getpid() == pid and shutil.rmtree(path, ignore_errors=True)  # noqa: E731
        atexit.register(remove)
        try:                                   # worker processes end without running atexit
            from multiprocessing import util
            util.Finalize(None, remove, exitpriority=10)
        except Exception:  # noqa: BLE001
            pass
    return _PROFILE[1]


def _convert(program: str, profile: Path, html_files: list[Path], work: Path, timeout: float):
    return subprocess.run(
        [program, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
         "--infilter=HTML (StarWriter)", "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(work),
         *map(str, html_files)],
        capture_output=True, timeout=timeout, check=False)


def to_pdf(html_files: list[Path], out_dir: Path, timeout: float = 600) -> list[Path]:
    """Convert each HTML file to ``out_dir/<stem>.pdf``; returns the PDFs in the same order."""
    html_files = [Path(f) for f in html_files]
    if not html_files:
        return []
    program = soffice()
    if program is None:
        raise PdfError("PDF needs LibreOffice (soffice) on PATH; install libreoffice-writer or drop 'pdf' "
                       "from the formats")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="xlsales-pdf-out-"))
    try:
        result = None
        listener = _listener(program)
        if listener is not None:
            # The listener may still be starting: the first hand-over waits for it; a miss is tried again.
            for attempt in range(3):
                result = _convert(program, listener.profile, html_files, work, timeout)
                if all((work / f"{h.stem}.pdf").exists() for h in html_files) or not listener.alive():
                    break
                time.sleep(1 + attempt)
        if result is None or not all((work / f"{h.stem}.pdf").exists() for h in html_files):
            result = _convert(program, _profile(), html_files, work, timeout)
        outputs = []
        for html in html_files:
            made = work / f"{html.stem}.pdf"
            if not made.exists():
                raise PdfError(f"LibreOffice did not convert {html.name}: "
                               f"{result.stderr.decode(errors='replace').strip()[-300:]}")
            outputs.append(write_bytes_atomic(out_dir / made.name, _pin(made.read_bytes())))
        return outputs
    finally:
        shutil.rmtree(work, ignore_errors=True)
