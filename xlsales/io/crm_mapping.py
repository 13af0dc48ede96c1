"""CRM exports read through a mapping: the CRM's column and stage names renamed to ours before the
usual checks (``--preset zoho|salesforce|hubspot|fxiaoke|jiandaoyun`` or ``--mapping FILE``).

A mapping is a small YAML file, one section per kind of file (``opportunities``, ``orders``)::

    name: Zoho CRM
    opportunities:
      columns:                  # our column: the CRM's column, or a list of names (the first found)
        id: [Record Id, Deal Id]
        rep: Deal Owner
        amount: Amount
        stage: Stage
        expected_close: Closing Date
        created: Created Time
        customer: Account Name
      stages:                   # our stage: the CRM's stage names
        lead: [Qualification]
        won: [Closed Won]
      lost: [Closed Lost]       # CRM stages that mean lost (the deal then sits at lost_stage)
      status:                   # with a status column: our status: the CRM's words
        lost: [无效]
    orders:
      columns: {order_id: SO Number, date: Created Time, rep: Sales Order Owner, amount: Grand Total}
      skip:                     # rows that are not sales: a column of the export and its words
        Status: [Cancelled]

``skip`` (or ``keep``, the rows to keep) names a column of the CRM's own, such as an order status:
an export of every sales order holds cancelled ones, and a deals export used as orders holds the
open deals too. Its rows are left out after the checks, so a bad value is still reported at its row.

Without a status column the status comes from the stage: a stage listed under the won stage is won,
one under ``lost`` is lost (and sits at ``lost_stage``, default the first stage: a CRM export does not
say where a lost deal was lost), anything else open. Without a stage-entered column the created date
stands in (days in stage are then the deal's age); a closed deal without a closed date closed on its
close date (CRMs overwrite the expected close with the actual one).

Only the columns a mapping names are matched, by the CRM's names; the file's other columns are kept
and ignored. A required column the file lacks is reported by the CRM's name for it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

import pandas as pd

from xlsales.errors import InputFileError
from xlsales.io.loading import (
    Column, Problems, Schema, header_candidates, load_table, normalize_header, report,
)

PRESETS = ("zoho", "salesforce", "hubspot", "fxiaoke", "jiandaoyun")
KINDS = ("opportunities", "orders")
# Columns the mapping may leave out, and what stands in for them.
DERIVED = {"opportunities": ("status", "stage_entered")}


@dataclass(frozen=True)
class KindMapping:
    columns: dict[str, tuple[str, ...]]                 # our column → the CRM's names, in order of preference
    stages: dict[str, tuple[str, ...]] = field(default_factory=dict)
    status: dict[str, tuple[str, ...]] = field(default_factory=dict)
    lost: tuple[str, ...] = ()
    lost_stage: str | None = None
    skip: dict[str, tuple[str, ...]] = field(default_factory=dict)    # CRM column → words of rows left out
    keep: dict[str, tuple[str, ...]] = field(default_factory=dict)    # CRM column → words of the rows kept


@dataclass(frozen=True)
class Mapping:
    name: str
    source: str                                         # the preset or file it came from, for messages
    kinds: dict[str, KindMapping]

    def get(self, kind: str) -> KindMapping | None:
        return self.kinds.get(kind)


def preset_path(name: str) -> Path:
    return Path(str(resources.files("xlsales") / "data" / "presets" / f"{name}.yaml"))


def load_mapping(preset: str | None = None, path=None) -> Mapping | None:
    """The preset's mapping, or a user's mapping file; None for neither. Bad files raise InputFileError."""
    if preset and path:
        raise InputFileError(["give either --preset or --mapping, not both"])
    if preset:
        if preset not in PRESETS:
            raise InputFileError([f"--preset: {preset!r} is not a preset (use {', '.join(PRESETS)})"])
        return _parse(preset_path(preset), f"--preset {preset}")
    if path:
        return _parse(Path(path), Path(path).name)
    return None


def _names(value, where: str, problems: list[str]) -> tuple[str, ...]:
    if isinstance(value, str) and value.strip():
        return (value.strip(),)
    if isinstance(value, list) and value and all(isinstance(v, (str, int, float)) and str(v).strip() for v in value):
        return tuple(str(v).strip() for v in value)
    problems.append(f"{where}: expected a name or a list of names, got {value!r}")
    return ()


SECTION_KEYS = ("columns", "stages", "status", "lost", "lost_stage", "skip", "keep")


def _filter(value, where: str, problems: list[str]) -> dict[str, tuple[str, ...]]:
    """``skip:`` / ``keep:``: {a column of the CRM's: its words}."""
    if value is None:
        return {}
    if not isinstance(value, dict) or not value:
        problems.append(f"{where}: expected a column of the export and its words, e.g. {{Status: [Cancelled]}}")
        return {}
    return {str(k).strip(): _names(v, f"{where}, {k}", problems) for k, v in value.items()}


def _parse(path: Path, source: str) -> Mapping:
    from xlsales.io.schemas import SCHEMAS

    from xlsales.io.yamlfile import load_yaml
    data = load_yaml(path, "CRM mapping")     # plain YAML: duplicate keys, aliases and tags refused
    problems: list[str] = []
    if not isinstance(data, dict) or not any(k in data for k in KINDS):
        raise InputFileError([f"{path.name}: expected a mapping with an 'opportunities' and/or 'orders' section"])
    unknown = [k for k in data if k not in (*KINDS, "name")]
    if unknown:
        problems.append(f"{path.name}: unknown key {unknown[0]!r} (use name, opportunities, orders)")
    kinds = {}
    for kind in KINDS:
        section = data.get(kind)
        if section is None:
            continue
        where = f"{path.name}, {kind}"
        if not isinstance(section, dict) or not isinstance(section.get("columns"), dict):
            problems.append(f"{where}: expected 'columns:' mapping our column names to the CRM's")
            continue
        ours = {c.name for c in SCHEMAS[kind].columns}
        columns = {}
        for key, value in section["columns"].items():
            if key not in ours:
                problems.append(f"{where}, columns: {key!r} is not a column of the {kind} file "
                                f"(use {', '.join(sorted(ours))})")
                continue
            columns[key] = _names(value, f"{where}, columns, {key}", problems)
        stages = {str(k): _names(v, f"{where}, stages, {k}", problems) for k, v in (section.get("stages") or {}).items()}
        status = {str(k): _names(v, f"{where}, status, {k}", problems) for k, v in (section.get("status") or {}).items()}
        bad_status = [k for k in status if k not in ("open", "won", "lost")]
        if bad_status:
            problems.append(f"{where}, status: {bad_status[0]!r} is not open, won or lost")
        lost = _names(section["lost"], f"{where}, lost", problems) if section.get("lost") is not None else ()
        filters = {key: _filter(section.get(key), f"{where}, {key}", problems) for key in ("skip", "keep")}
        extra = [k for k in section if k not in SECTION_KEYS]
        if extra:
            problems.append(f"{where}: unknown key {extra[0]!r} (use {', '.join(SECTION_KEYS)})")
        kinds[kind] = KindMapping(columns, stages, status, lost, section.get("lost_stage"), **filters)
    if problems:
        raise InputFileError(problems)
    return Mapping(str(data.get("name") or path.stem), source, kinds)


# ------------------------------------------------------------------------------- loading through a mapping


def mapped_schema(schema: Schema, kind_map: KindMapping, headers: list[str]) -> Schema:
    """``schema`` matching the CRM's names: a mapped column by the first of its names found in
    ``headers``; an unmapped one only by our own column name; derived columns not required."""
    present = {normalize_header(h) for h in headers}
    derived = DERIVED.get(schema.kind, ())
    columns = []
    for c in schema.columns:
        names = kind_map.columns.get(c.name)
        if names:
            found = [n for n in names if normalize_header(n) in present]
            aliases = (found[0],) if found else names[:1]
            columns.append(Column(c.name, aliases, c.kind, c.required, c.nonnegative, c.default))
        else:
            required = c.required and c.name not in derived
            columns.append(Column(c.name, (), c.kind, required, c.nonnegative, c.default))
    return Schema(schema.kind, tuple(columns), schema.unique)


def load_mapped(path, schema: Schema, mapping: Mapping | None, problems: list | None = None) -> pd.DataFrame:
    """``load_table`` through the mapping (when it has a section for this kind of file): the CRM's
    columns renamed to ours, stage and status words translated, derived columns filled."""
    kind_map = mapping.get(schema.kind) if mapping is not None else None
    if kind_map is None:
        return load_table(path, schema, problems)
    found = Problems()
    try:
        rows = header_candidates(path, schema.kind)
    except InputFileError as error:
        found.extend(error.problems)
        report(found, problems)
        return load_table(path, schema, [])
    name = Path(path).name
    derived = DERIVED.get(schema.kind, ())
    best = max(rows, key=lambda row: sum(normalize_header(n) in {normalize_header(h) for h in row}
                                         for names in kind_map.columns.values() for n in names))
    present = {normalize_header(h) for h in best}
    for column in schema.columns:
        names = kind_map.columns.get(column.name)
        if column.required and column.name not in derived and not names:
            found.append(f"{name}: the mapping ({mapping.source}) does not say which column is {column.label}")
        elif column.required and names and not any(normalize_header(n) in present for n in names):
            wanted = " or ".join(repr(n) for n in names)
            found.append(f"{name}: missing column {wanted} ({mapping.name}'s name for {column.label})")
    for column in (*kind_map.skip, *kind_map.keep):
        if normalize_header(column) not in present:
            found.append(f"{name}: missing column {column!r} (the mapping ({mapping.source}) leaves rows out by it)")
    if found:
        report(found, problems)
        return load_table(path, schema, [])           # an empty frame of the right shape
    frame = load_table(path, mapped_schema(schema, kind_map, best), found)
    if not found:
        if schema.kind == "opportunities":
            frame = _opportunity_words(frame, kind_map)
        frame = _filtered(frame, kind_map)
    report(found, problems)
    return frame


def _filtered(frame: pd.DataFrame, m: KindMapping) -> pd.DataFrame:
    """The rows ``skip`` / ``keep`` let through (words compared as headers are: case and spacing aside)."""
    if not m.skip and not m.keep:
        return frame
    by_header = {normalize_header(c): c for c in frame.columns if isinstance(c, str)}
    kept = pd.Series(True, index=frame.index)
    for words, keep in ((m.skip, False), (m.keep, True)):
        for column, values in words.items():
            cells = frame[by_header[normalize_header(column)]].fillna("").astype(str).map(normalize_header)
            hit = cells.isin({normalize_header(v) for v in values})
            kept &= hit if keep else ~hit
    out = frame[kept]
    out.attrs.update(frame.attrs)
    return out


def mapped_kind(path, mapping: Mapping) -> str | None:
    """The kind of file (orders, opportunities) whose required columns, by the CRM's names, the file's
    headers hold most of; None when they hold none (a file of ours, such as the reps)."""
    from xlsales.io.schemas import SCHEMAS

    best, best_share = None, 0.0
    for kind, kind_map in mapping.kinds.items():
        wanted = [kind_map.columns[c.name] for c in SCHEMAS[kind].columns
                  if c.required and c.name in kind_map.columns]
        if not wanted:
            continue
        for row in header_candidates(path, kind):
            present = {normalize_header(h) for h in row}
            share = sum(any(normalize_header(n) in present for n in names) for names in wanted) / len(wanted)
            if share > best_share:
                best, best_share = kind, share
    return best


def _lookup(words: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {normalize_header(w): ours for ours, names in words.items() for w in names}


def _opportunity_words(frame: pd.DataFrame, m: KindMapping) -> pd.DataFrame:
    """Stage and status in our words; derived columns filled (see the module's notes)."""
    from xlsales.core.stages import default_stages

    out = frame.copy()
    crm_stage = out["stage"].astype(str)
    key = crm_stage.map(normalize_header)
    stages = _lookup(m.stages)
    headers = dict(out.attrs.get("headers", {}))
    if "status" not in m.columns:
        won = {normalize_header(w) for ours, names in m.stages.items() for w in names
               if normalize_header(ours) in {"won", "赢单"}}
        lost = {normalize_header(w) for w in m.lost}
        status = pd.Series("open", index=out.index, dtype=object)
        status[key.isin(won)] = "won"
        status[key.isin(lost)] = "lost"
        out["status"] = status
        headers["status"] = headers.get("stage", "stage")
    else:
        words = _lookup(m.status)
        text = out["status"].astype(str)
        out["status"] = text.map(normalize_header).map(words).where(lambda s: s.notna(), text)
    first = m.lost_stage or default_stages()["stage"].iloc[0]
    stages.update({normalize_header(w): first for w in m.lost})
    out["stage"] = key.map(stages).where(lambda s: s.notna(), crm_stage)
    if "stage_entered" not in m.columns:
        out["stage_entered"] = out["created"]
        headers["stage_entered"] = headers.get("created", "created")
    closed = out["status"].isin(["won", "lost"]) & out["closed_date"].isna()
    out.loc[closed, "closed_date"] = out.loc[closed, "expected_close"]
    out.attrs.update(frame.attrs)
    out.attrs["headers"] = headers
    return out
