"""Reading the YAML files a user writes (commission plans, build configs, stage tables, CRM mappings).

Plain data only, so that what a user reads in the file is what xlsales reads:

- a key written twice in one mapping is refused (YAML would silently keep the last one);
- anchors and aliases (``&x`` / ``*x``) are refused: they are how an "alias bomb" makes a 1 KB file
  expand to gigabytes, and a settings file has no need for them;
- explicit tags (``!!python/object``, ``!!binary``, ``!custom``) are refused;
- a file above MAX_BYTES or nested deeper than MAX_DEPTH is refused.

Every problem is an InputFileError naming the file, line and column.
"""
from __future__ import annotations

from pathlib import Path

import yaml
from yaml.composer import Composer
from yaml.events import AliasEvent

from xlsales.errors import InputFileError

MAX_BYTES = 1_000_000
MAX_DEPTH = 50


class _Problem(Exception):
    def __init__(self, mark, what: str):
        self.mark, self.what = mark, what


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses duplicate keys, aliases, anchors, explicit tags and deep nesting."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        event = self.peek_event()
        if isinstance(event, AliasEvent):
            raise _Problem(event.start_mark, f"an alias (*{event.anchor}) is not allowed; write the value out")
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise _Problem(event.start_mark, f"an anchor (&{anchor}) is not allowed; write the value out")
        tag = getattr(event, "tag", None)
        implicit = getattr(event, "implicit", True)
        explicit = tag is not None and tag != "!" and not (implicit is True or (isinstance(implicit, tuple)
                                                                                 and implicit[0]))
        if explicit:
            raise _Problem(event.start_mark, f"the tag {tag} is not allowed; write plain values")
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _Problem(event.start_mark, f"nested more than {MAX_DEPTH} levels deep")
            return Composer.compose_node(self, parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        seen = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                hash(key)
            except TypeError:
                raise _Problem(key_node.start_mark, "a key must be plain text or a number") from None
            if key in seen:
                raise _Problem(key_node.start_mark,
                               f"the key {key!r} appears twice (first on line {seen[key] + 1}); keep one")
            seen[key] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)


    def construct_yaml_timestamp(self, node):
        try:
            return super().construct_yaml_timestamp(node)
        except (ValueError, OverflowError):
            raise _Problem(node.start_mark, f"{node.value!r} is not a date (write it like 2026-03-31)") from None


_StrictLoader.add_constructor("tag:yaml.org,2002:timestamp", _StrictLoader.construct_yaml_timestamp)


def _where(mark) -> str:
    return f", line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""


def parse_yaml(text: str, source: str):
    """The data in YAML ``text``; problems name ``source``, the line and the column."""
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except _Problem as problem:
        raise InputFileError([f"{source}{_where(problem.mark)}: {problem.what}"]) from None
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        what = getattr(error, "problem", None) or str(error).splitlines()[0]
        raise InputFileError([f"{source}{_where(mark)}: not valid YAML ({what})"]) from None
    except RecursionError:
        raise InputFileError([f"{source}: nested too deeply"]) from None


def load_yaml(path, what: str = "file"):
    """Read and parse a user's YAML file (UTF-8, with or without BOM)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError([f"{path.name}: file not found ({path})"])
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputFileError([f"{path.name}: {size:,} bytes is too large for a {what} "
                                  f"(at most {MAX_BYTES:,})"])
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = path.read_bytes()[: error.start].count(b"\n") + 1
        raise InputFileError([f"{path.name}, line {line}: not UTF-8 text; save the {what} as UTF-8"]) from None
    except OSError as error:
        raise InputFileError([f"{path.name}: cannot read the file: {error.strerror or error}"]) from None
    return parse_yaml(text, path.name)
