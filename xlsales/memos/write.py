"""Writing memos to disk: ``STEM.md`` (+ ``STEM.CHART.svg`` beside it), ``STEM.html``, ``STEM.pdf``.

Every file is written to a temporary name and moved into place, so a reader never sees half a memo.
"""
from __future__ import annotations

import tempfile
from pathlib import Path

from xlsales.memos.pdf import to_pdf
from xlsales.memos.render import Memo, render_memo
from xlsales.staging import safe_name, write_bytes_atomic  # noqa: F401 (safe_name: used by the memo modules)

FORMATS = ("md", "html", "pdf")


def write_atomic(path: Path, data: bytes | str) -> Path:
    return write_bytes_atomic(path, data)


def check_formats(formats) -> tuple[str, ...]:
    formats = tuple(formats)
    unknown = [f for f in formats if f not in FORMATS]
    if unknown:
        raise ValueError(f"formats: unknown {', '.join(unknown)} (choose from {', '.join(FORMATS)})")
    return formats


def write_memo(memo: Memo, out_dir, stem: str, formats=FORMATS) -> list[Path]:
    """Markdown and HTML now; the PDF needs LibreOffice, so ``write_rendered`` batches those."""
    out_dir = Path(out_dir)
    paths = []
    if "md" in formats:
        paths.append(write_atomic(out_dir / f"{stem}.md", memo.markdown))
        for name, chart in memo.charts.items():
            paths.append(write_atomic(out_dir / f"{stem}.{name}.svg", chart.svg))
    if "html" in formats:
        paths.append(write_atomic(out_dir / f"{stem}.html", memo.html))
    return paths


def write_rendered(memos: list[tuple[str, Memo]], out_dir, formats=FORMATS) -> list[Path]:
    """Write rendered memos; all their PDFs come from a single LibreOffice run."""
    formats = check_formats(formats)
    out_dir = Path(out_dir)
    paths = []
    for stem, memo in memos:
        paths += write_memo(memo, out_dir, stem, formats)
    if "pdf" in formats and memos:
        with tempfile.TemporaryDirectory(prefix="xlsales-memo-") as tmp:
            sources = [write_atomic(Path(tmp) / f"{stem}.html", memo.pdf_html or memo.html) for stem, memo in memos]
            paths += to_pdf(sources, out_dir)
    return paths


def render_and_write(items, out_dir, lang: str = "en", formats=FORMATS, templates=None,
                     progress: bool = False) -> list[Path]:
    """``items``: (stem, context) pairs → the written files (``progress``: a bar, for a terminal)."""
    from tqdm import tqdm

    formats = check_formats(formats)
    memos = [(stem, render_memo(context, lang, templates, pdf="pdf" in formats, stem=stem))
             for stem, context in tqdm(items, disable=not progress, unit="memo", desc="memos")]
    return write_rendered(memos, out_dir, formats)
