"""Rendering a memo context with Jinja2 into Markdown and self-contained HTML.

- Templates run in a ``SandboxedEnvironment`` (a user's template cannot reach Python internals such as
  ``''.__class__``) with ``StrictUndefined`` (a misspelt variable is an error, not an empty string).
- Shipped templates live in ``xlsales/templates/memos/{en,zh}/``. A user folder given as ``templates``
  overrides any of them by name: ``DIR/{lang}/NAME`` first, then ``DIR/NAME``, then the shipped one.
- Each memo kind has one Markdown template ``KIND.md.j2``. In Markdown every value is escaped for
  Markdown (a rep called ``*x*|y`` stays text and cannot break a table). HTML is that Markdown turned
  into HTML by markdown-it (raw HTML disabled, so user data such as ``<script>`` is shown, never run),
  wrapped in ``page.html.j2`` (autoescaped) with the CSS and the charts inlined as data URIs. A user may
  instead ship ``KIND.html.j2``, which is then rendered directly with HTML autoescaping.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateNotFound
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape
from markdown_it import MarkdownIt

from xlsales.memos import charts as charting
from xlsales.memos.formatting import check_lang, filters, term

SHIPPED = Path(__file__).resolve().parent.parent / "templates" / "memos"
KINDS = ("monthly", "quarterly", "coaching", "statement")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~])")
_CHART_TOKEN = "XLSALESCHART{}END"
_CHART_PARAGRAPH = re.compile(r"<p>XLSALESCHART(\w+)END</p>")
_CHART_WORD = re.compile(r"XLSALESCHART(\w+)END")


def md_escape(value):
    """Backslash-escape Markdown's special characters in text that comes from data."""
    if isinstance(value, Markup) or not isinstance(value, str):
        return value
    return _MD_SPECIAL.sub(r"\\\1", value).replace("\n", " ")


def _loader(lang: str, user_dir) -> ChoiceLoader:
    paths = []
    if user_dir is not None:
        paths += [Path(user_dir) / lang, Path(user_dir)]
    paths += [SHIPPED / lang, SHIPPED / "common"]
    return ChoiceLoader([FileSystemLoader([str(p) for p in paths if p.is_dir()] or [str(SHIPPED / lang)])])


@lru_cache(maxsize=16)
def environment(lang: str, user_dir: str | None = None, html: bool = False) -> SandboxedEnvironment:
    check_lang(lang)
    env = SandboxedEnvironment(
        loader=_loader(lang, user_dir), undefined=StrictUndefined, autoescape=html,
        finalize=None if html else md_escape, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
    )
    env.filters.update(filters(lang))
    env.globals["lang"] = lang
    env.globals["term"] = lambda group, key: term(group, key, lang)
    return env


@dataclass
class Memo:
    kind: str
    title: str
    markdown: str
    html: str
    charts: dict = field(default_factory=dict)

    @property
    def pdf_html(self) -> str:
        """The HTML LibreOffice turns into the PDF (the same page: its charts are sized SVG)."""
        return self.html


_markdown = MarkdownIt("commonmark", {"html": False, "typographer": False}).enable("table")


def _title(markdown: str) -> str:
    for line in markdown.splitlines():
        if line.startswith("# "):
            return line[2:].replace("\\", "").strip()
    return ""


def render_memo(context: dict, lang: str = "en", templates=None, pdf: bool = False, stem: str = "memo") -> Memo:
    """Markdown and HTML of one memo context (``pdf`` is accepted for symmetry; the PDF uses the HTML)."""
    kind = context["kind"]
    user_dir = str(templates) if templates is not None else None
    charts = charting.charts_for(context, lang)
    tokens = {name: Markup(_CHART_TOKEN.format(name)) for name in charts}
    with_tokens = environment(lang, user_dir, html=False).get_template(f"{kind}.md.j2").render(
        context, chart=_chart_function(tokens))
    markdown = _CHART_WORD.sub(lambda m: f"![{md_escape(charts[m[1]].title)}]({stem}.{m[1]}.svg)", with_tokens)
    title = _title(markdown)
    html = _html(context, kind, lang, user_dir, title, charts, with_tokens)
    return Memo(kind, title, markdown, html, charts)


def _chart_function(outputs: dict):
    def chart(name: str):
        return outputs.get(name, Markup(""))
    return chart


def _figure(chart: charting.Chart) -> Markup:
    """The chart inlined as an SVG data URI; width and height let LibreOffice size it in the PDF."""
    return Markup('<figure class="chart"><img alt="{}" src="{}" width="{}" height="{}"></figure>').format(
        chart.title, chart.data_uri(), chart.width, chart.height)


def _html(context, kind, lang, user_dir, title, charts, markdown_with_tokens: str) -> str:
    env = environment(lang, user_dir, html=True)
    figures = {name: _figure(c) for name, c in charts.items()}
    try:
        own = env.get_template(f"{kind}.html.j2")
    except TemplateNotFound:
        own = None
    if own is not None:
        body = Markup(own.render(context, chart=_chart_function(figures)))
    else:
        converted = _markdown.render(markdown_with_tokens)
        body = Markup(_CHART_PARAGRAPH.sub(lambda m: str(figures.get(m[1], "")), converted))
    page = env.get_template("page.html.j2")
    return page.render(title=title, body=body, kind=kind, lang=lang)


def escape_html(text) -> Markup:
    return escape(text)
