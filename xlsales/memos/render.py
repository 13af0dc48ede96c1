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

import contextlib
import operator
import re
import signal
import threading
import time
import traceback
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from jinja2 import ChoiceLoader, FileSystemLoader, StrictUndefined, TemplateError, TemplateNotFound
from jinja2 import TemplateSyntaxError, UndefinedError
from jinja2.exceptions import SecurityError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape
from markdown_it import MarkdownIt

from xlsales.errors import InputError
from xlsales.memos import charts as charting
from xlsales.memos.formatting import check_lang, filters, term

# Limits on a user's template (a memo is a few pages; these are far above any real one).
MAX_RENDER_SECONDS = 20.0        # one memo's rendering
MAX_OUTPUT_CHARS = 5_000_000     # one memo's text
MAX_TEMPLATE_BYTES = 1_000_000   # one template file
MAX_RANGE = 10_000               # range() in a template

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


class TemplateLimit(SecurityError):
    """A user's template ran past a limit (time, output size, a huge repetition)."""


_deadline = [float("inf")]


def _tick() -> None:
    if time.monotonic() > _deadline[0]:
        raise TemplateLimit(f"the template ran for more than {MAX_RENDER_SECONDS:g} seconds (a loop too large?)")


def _limited_range(*args):
    if len(range(*args)) > MAX_RANGE:
        raise TemplateLimit(f"range() of more than {MAX_RANGE:,} items")
    return range(*args)


class LimitedSandbox(SandboxedEnvironment):
    """The sandbox, plus a clock and a size check on every call, attribute, repetition and power."""

    intercepted_binops = frozenset(["*", "**"])

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        _tick()
        return super().call(__context, __obj, *args, **kwargs)

    def getattr(self, obj, attribute):
        _tick()
        return super().getattr(obj, attribute)

    def getitem(self, obj, argument):
        _tick()
        return super().getitem(obj, argument)

    def call_binop(self, context, op, left, right):
        _tick()
        if op == "**" and isinstance(right, (int, float)) and abs(right) > 1000:
            raise TemplateLimit(f"a power of {right:g} is too large")
        if op == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and \
                        len(seq) * times > MAX_OUTPUT_CHARS:
                    raise TemplateLimit("a repetition of more than {:,} items".format(MAX_OUTPUT_CHARS))
            return operator.mul(left, right)
        return operator.pow(left, right)


@lru_cache(maxsize=16)
def environment(lang: str, user_dir: str | None = None, html: bool = False) -> SandboxedEnvironment:
    check_lang(lang)
    env = LimitedSandbox(
        loader=_loader(lang, user_dir), undefined=StrictUndefined, autoescape=html,
        finalize=None if html else md_escape, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True, auto_reload=False,
    )
    env.filters.update(filters(lang))
    env.globals["lang"] = lang
    env.globals["term"] = lambda group, key: term(group, key, lang)
    env.globals["range"] = _limited_range
    return env


@contextlib.contextmanager
def _limits():
    """The render clock: checked at every call and chunk, with SIGALRM as a backstop for a loop that calls
    nothing (only in the main thread of a process, where signals can be delivered)."""
    _deadline[0] = time.monotonic() + MAX_RENDER_SECONDS
    alarm = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()
    if alarm:
        def _ring(signum, frame):
            raise TemplateLimit(f"the template ran for more than {MAX_RENDER_SECONDS:g} seconds (a loop too large?)")
        previous = signal.signal(signal.SIGALRM, _ring)
        signal.setitimer(signal.ITIMER_REAL, MAX_RENDER_SECONDS + 2)
    try:
        yield
    finally:
        _deadline[0] = float("inf")
        if alarm:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)


def _run(env, name: str, user_dir, context, **extra) -> str:
    """Render template ``name`` within the limits; a user's template error becomes an InputError that
    names the template file and line."""
    try:
        with _limits():
            template = env.get_template(name)
            chunks, size = [], 0
            for chunk in template.generate(context, **extra):
                size += len(chunk)
                if size > MAX_OUTPUT_CHARS:
                    raise TemplateLimit(f"the memo grew past {MAX_OUTPUT_CHARS:,} characters")
                _tick()
                chunks.append(chunk)
            return "".join(chunks)
    except Exception as error:  # noqa: BLE001 - sorted by where it happened, below
        where = _user_location(error, user_dir, _filename(env, name))
        if where is None:
            raise
        raise InputError(f"{where}: {_template_problem(error)}") from None


def _filename(env, name: str) -> str | None:
    try:
        return env.get_template(name).filename
    except Exception:  # noqa: BLE001 - a template that does not load has no file to name
        return None


def _user_location(error: BaseException, user_dir, filename: str | None = None) -> str | None:
    """``my-templates/en/monthly.md.j2, line 4`` when the error comes from a user's template, else None."""
    if user_dir is None:
        return None
    root = Path(user_dir).resolve()
    candidates = []
    if isinstance(error, TemplateSyntaxError) and error.filename:
        candidates.append((error.filename, error.lineno))
    candidates += [(f.filename, f.lineno) for f in reversed(traceback.extract_tb(error.__traceback__))]
    for path, line in candidates:
        try:
            relative = Path(path).resolve().relative_to(root)
        except (ValueError, OSError):
            continue
        return f"{Path(user_dir).name}/{relative.as_posix()}, line {line}"
    if isinstance(error, (TemplateError, TemplateLimit, RecursionError)):
        with contextlib.suppress(ValueError, OSError, TypeError):
            return f"{Path(user_dir).name}/{Path(filename).resolve().relative_to(root).as_posix()}"
        return f"{Path(user_dir).name} (a template)"
    return None


def _template_problem(error: BaseException) -> str:
    if isinstance(error, TemplateNotFound):
        return f"includes or extends {error.name!r}, which is neither in your templates folder nor shipped"
    if isinstance(error, TemplateSyntaxError):
        return f"template syntax error: {error.message}"
    if isinstance(error, UndefinedError):
        return f"{error.message} (check the spelling against the variables in docs/memos.md)"
    if isinstance(error, TemplateLimit):
        return f"stopped: {error}"
    if isinstance(error, SecurityError):
        return f"not allowed in a template (sandbox): {error}"
    if isinstance(error, RecursionError):
        return "stopped: the template calls itself too deeply"
    return f"{type(error).__name__}: {error}"


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
    with_tokens = _run(environment(lang, user_dir, html=False), f"{kind}.md.j2", user_dir, context,
                       chart=_chart_function(tokens))
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
        env.get_template(f"{kind}.html.j2")
        own = True
    except TemplateNotFound:
        own = False
    except TemplateError:
        own = True      # a user's broken HTML template: _run names its file and line
    if own:
        body = Markup(_run(env, f"{kind}.html.j2", user_dir, context, chart=_chart_function(figures)))
    else:
        converted = _markdown.render(markdown_with_tokens)
        body = Markup(_CHART_PARAGRAPH.sub(lambda m: str(figures.get(m[1], "")), converted))
    return _run(env, "page.html.j2", user_dir, {"title": title, "body": body, "kind": kind, "lang": lang})


def escape_html(text) -> Markup:
    return escape(text)
