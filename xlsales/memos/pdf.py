"""PDF from the memo HTML with headless LibreOffice Writer.

Why this route: LibreOffice is already needed (tests recalculate workbooks with it), runs headless on
Linux, macOS and Windows CI, and renders CJK text with the installed fonts (Noto Sans CJK from Debian's
fonts-noto-cjk). The HTML is opened with the "HTML (StarWriter)" import filter (the page layout, not the
web view) and exported with ``writer_pdf_Export``. LibreOffice shows PNG data-URI images but not SVG ones,
so the PDF variant of a memo carries its charts as PNG.

One LibreOffice start costs about a second, so many memos are converted in one call (``to_pdf`` takes a
list). Each call uses its own throw-away profile so parallel builds do not collide.

Determinism: LibreOffice stamps the creation time, a random document ID and a checksum of both into every PDF. ``_pin``
overwrites them in place with fixed values of the same length (byte offsets, and with them the xref table,
stay valid), so the same memo gives the same PDF bytes.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

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
    profile = Path(tempfile.gettempdir()) / f"xlsales-pdf-{uuid.uuid4().hex}"
    work = Path(tempfile.mkdtemp(prefix="xlsales-pdf-out-"))
    try:
        result = subprocess.run(
            [program, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
             "--infilter=HTML (StarWriter)", "--convert-to", "pdf:writer_pdf_Export", "--outdir", str(work),
             *map(str, html_files)],
            capture_output=True, timeout=timeout, check=False)
        outputs = []
        for html in html_files:
            made = work / f"{html.stem}.pdf"
            if not made.exists():
                raise PdfError(f"LibreOffice did not convert {html.name}: "
                               f"{result.stderr.decode(errors='replace').strip()[-300:]}")
            target = out_dir / made.name
            tmp = out_dir / f".{made.name}.{uuid.uuid4().hex}.tmp"
            tmp.write_bytes(_pin(made.read_bytes()))
            os.replace(tmp, target)
            outputs.append(target)
        return outputs
    finally:
        shutil.rmtree(profile, ignore_errors=True)
        shutil.rmtree(work, ignore_errors=True)
