"""The commission ledger file: closed periods as a plain CSV beside the inputs, checked on every read.

``commission-ledger.csv`` (UTF-8, one row per line, diffable) has the columns
``period, rep, line, amount, inputs, check``:

- per closed period and rep, every statement line (``tier revenue 2``, ``clawback revenue``, ...), the
  rep's ``payout`` and the figures it was worked from (``achieved revenue``, ``quota revenue``);
- per closed period, ``input plan``, ``input orders``, ... rows whose ``inputs`` is that file's content
  hash (SHA-256, 16 hex digits), and a ``seal`` row (amount = the period's number of rows);
- ``inputs`` on the rep rows: one hash of all the input files at closing;
- ``check``: four 4-hex-digit checks of the row's period, rep, line and amount at its position, so that
  a hand edit is reported at its row and column, a removed or inserted row at the first row that moved,
  and a cut-off end at the seal. The commission workbook records the last seal (``LedgerSeal``), so
  that a ledger removed or cut back to an earlier period is reported too.

This catches edits by hand, not a forger who recomputes the checks: keep the ledger under version
control or with your payroll records as well.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from xlsales.core.commission_ledger import LEDGER_COLUMNS
from xlsales.errors import InputFileError

FILE_NAME = "commission-ledger.csv"
COLUMNS = [*LEDGER_COLUMNS, "check"]
CHECKED = ("period", "rep", "line", "amount")


def default_path(orders_path) -> Path:
    """The ledger beside the orders file."""
    return Path(orders_path).resolve().parent / FILE_NAME


def file_hash(path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()[:16]


def input_hashes(paths: dict) -> dict[str, str]:
    """Input name (plan, orders, ...) → content hash, for the inputs given."""
    return {name: file_hash(path) for name, path in paths.items() if path}


def combined_id(hashes: dict[str, str]) -> str:
    text = "|".join(f"{k}={v}" for k, v in sorted(hashes.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _amount_text(values) -> np.ndarray:
    """Amounts as the ledger writes them: two decimals; blank for none."""
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").to_numpy(dtype=float)
    text = np.char.mod("%.2f", np.nan_to_num(numbers)).astype(object)
    text[np.isnan(numbers)] = ""
    return text


_HEX4 = np.array([format(i, "04x") for i in range(1 << 16)], dtype=object)


def _checks(frame: pd.DataFrame, start: int) -> pd.DataFrame:
    """Per row and checked column, a 4-hex-digit check of the value at the row's position (vectorised:
    pandas' row hash of (position, value), keyed by the column)."""
    position = np.arange(start, start + len(frame), dtype=np.int64)
    out = {}
    for column in CHECKED:
        pair = pd.DataFrame({"p": position, "v": frame[column].astype(str).to_numpy(dtype=object)})
        hashed = pd.util.hash_pandas_object(pair, index=False, hash_key=f"xlsales {column}".ljust(16)[:16])
        out[column] = _HEX4[(hashed.to_numpy() >> np.uint64(48)).astype(np.int64)]
    return pd.DataFrame(out, index=frame.index)


def _check_column(frame: pd.DataFrame, start: int) -> np.ndarray:
    parts = _checks(frame, start)
    if not len(frame):
        return np.array([], dtype=object)
    return (parts["period"].astype(object) + parts["rep"] + parts["line"] + parts["amount"]).to_numpy(dtype=object)


def _seal(previous: str, rows) -> str:
    """SHA-256 of the previous seal and the period's rows as written (one line each)."""
    digest = hashlib.sha256(previous.encode())
    for row in rows:
        digest.update(row.encode("utf-8") + b"\n")
    return digest.hexdigest()[:16]


def read_ledger(path, anchor: str | None = None) -> pd.DataFrame:
    """The ledger's rows (period, rep, line, amount as float, inputs), after checking every row.

    ``anchor``: the last seal the commission workbook recorded ("2026-06 <seal>"); the ledger must
    hold that seal. A missing ledger is an empty one unless the anchor says periods were closed."""
    path = Path(path)
    name = path.name
    if not path.is_file():
        if anchor:
            raise InputFileError([f"{name}: missing, but the commission workbook records that "
                                  f"{anchor.split()[0]} was closed in it; restore the ledger ({path})"])
        return pd.DataFrame(columns=LEDGER_COLUMNS)
    try:
        text = pd.read_csv(path, dtype=object, keep_default_na=False, encoding="utf-8")
    except pd.errors.EmptyDataError:
        raise InputFileError([f"{name}: the file is empty, not a commission ledger (a ledger starts with the "
                              f"header {','.join(LEDGER_COLUMNS)}); restore it from a backup ({path})"]) from None
    except UnicodeDecodeError:
        data = path.read_bytes()
        try:
            data.decode("utf-8")
            start = 0
        except UnicodeDecodeError as error:
            start = error.start
        line = data[:start].count(b"\n") + 1
        raise InputFileError([f"{name}, line {line}: not UTF-8 text, so not a commission ledger xlsales wrote; "
                              f"restore it from a backup ({path})"]) from None
    except pd.errors.ParserError as error:
        raise InputFileError([f"{name}: not a commission ledger (the rows do not parse as CSV: "
                              f"{str(error).splitlines()[0]})"]) from None
    if list(text.columns) != COLUMNS:
        raise InputFileError([f"{name}, row 1: the header must be {','.join(COLUMNS)}; the ledger was edited by "
                              "hand"])
    text.index = np.arange(2, len(text) + 2)
    raw = path.read_text(encoding="utf-8").split("\n")
    problems = _verify(text, name, anchor, raw[1:-1] if raw and raw[-1] == "" else raw[1:])
    if problems:
        raise InputFileError(problems)
    rows = text[LEDGER_COLUMNS].copy()
    rows["amount"] = pd.to_numeric(rows["amount"].replace("", np.nan), errors="coerce")
    return rows[~rows["line"].str.startswith(("input ", "seal"))].reset_index(drop=True)


def closed_inputs(path) -> dict[str, dict[str, str]]:
    """Closed period → {input name: content hash at closing}."""
    text = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    rows = text[text["line"].str.startswith("input ")]
    out: dict[str, dict[str, str]] = {}
    for row in rows.itertuples(index=False):
        out.setdefault(row.period, {})[row.line.split(" ", 1)[1]] = row.inputs
    return out


def _seals_hold(text: pd.DataFrame, raw_rows: list[str]) -> tuple[bool, tuple | None]:
    """The fast check: each seal is the SHA-256 of the previous seal and its period's rows as written."""
    if len(raw_rows) != len(text):
        return False, None
    previous, start, last = "", 0, None
    lines = text["line"].to_numpy(dtype=object)
    for position in np.flatnonzero(lines == "seal"):
        row = text.index[position]
        expected = _seal(previous, raw_rows[start:position])
        if text.at[row, "inputs"] != expected or text.at[row, "amount"] != str(position - start):
            return False, None
        previous, start, last = expected, position + 1, (text.at[row, "period"], expected)
    return start == len(text), last


def _verify(text: pd.DataFrame, name: str, anchor: str | None, raw_rows: list[str]) -> list[str]:
    edited = "was changed by hand after the period was closed (closed periods are never edited; a correction " \
             "is made by changing the inputs, and the next open period pays the difference)"
    fine, last = _seals_hold(text, raw_rows)
    if fine:
        return _check_anchor(text, name, anchor, last, edited)
    return _locate(text, name, edited)


def _check_anchor(text, name, anchor, last, edited) -> list[str]:
    if anchor:
        period, seal = anchor.split()
        if not ((text["line"] == "seal") & (text["period"] == period) & (text["inputs"] == seal)).any():
            return [f"{name}: the commission workbook records {period} closed with seal {seal}, which this ledger "
                    f"does not hold (last: {last[0] + ' ' + last[1] if last else 'none'}); the ledger {edited}"]
    return []


def _locate(text: pd.DataFrame, name: str, edited: str) -> list[str]:
    """The slow check, once a seal does not hold: the first row whose checks differ, and the column."""
    got = _checks(text, 0)
    stored = text["check"].astype(str)
    for i, column in enumerate(CHECKED):
        got[column] = got[column].astype(object) == stored.str[4 * i:4 * i + 4].to_numpy(dtype=object)
    bad = ~got.all(axis=1)
    if bad.any():
        row = bad.idxmax()
        wrong = [c for c in CHECKED if not got.at[row, c]]
        if len(wrong) == len(CHECKED):
            return [f"{name}, row {row}: a row was removed, inserted or rewritten here; the ledger {edited}"]
        return [f"{name}, row {row}, column {wrong[0]}: {text.at[row, wrong[0]]!r} {edited}"]
    seals = text.index[text["line"] == "seal"]
    after = text.index[-1] if len(seals) == 0 else (seals[-1] + 1 if seals[-1] < text.index[-1] else None)
    if after is not None and len(text):
        return [f"{name}, row {after}: rows after the last seal; the ledger {edited}"]
    where = f", row {seals[0]}" if len(seals) else ""
    return [f"{name}{where}: a seal does not match the rows of its period; the ledger {edited}"]


def append_period(path, rows: pd.DataFrame, hashes: dict[str, str]) -> str:
    """Add a closed period's rows (period, rep, line, amount, inputs) with its input and seal rows;
    written to a temporary file and moved into place. Returns the anchor "PERIOD SEAL"."""
    path = Path(path)
    if path.is_file():
        text = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8", usecols=["line", "inputs"])
    else:
        text = pd.DataFrame(columns=["line", "inputs"])
    period = str(rows["period"].iloc[0]) if len(rows) else ""
    extra = pd.DataFrame({"period": period, "rep": "", "line": [f"input {k}" for k in sorted(hashes)],
                          "amount": "", "inputs": [hashes[k] for k in sorted(hashes)]})
    new = pd.concat([rows.assign(amount=_amount_text(rows["amount"])), extra], ignore_index=True)[LEDGER_COLUMNS]
    new = new.astype(str)
    new["check"] = _check_column(new, len(text))
    seals = text.index[text["line"] == "seal"] if len(text) else []
    previous = text.loc[seals[-1], "inputs"] if len(seals) else ""
    body = new[COLUMNS].to_csv(index=False, header=False, lineterminator="\n")
    seal = _seal(previous, body.split("\n")[:-1])
    seal_row = pd.DataFrame({"period": [period], "rep": [""], "line": ["seal"], "amount": [str(len(new))],
                             "inputs": [seal]})
    seal_row["check"] = _check_column(seal_row, len(text) + len(new))
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".ledger-", suffix=".csv", dir=path.parent)
    os.close(fd)
    try:  # the closed periods as they are, then the new one; moved into place in one step
        if path.is_file():
            shutil.copyfile(path, tmp)
        with open(tmp, "a", encoding="utf-8", newline="") as handle:
            if not path.is_file():
                handle.write(",".join(COLUMNS) + "\n")
            handle.write(body)
            handle.write(seal_row[COLUMNS].to_csv(index=False, header=False, lineterminator="\n"))
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return f"{period} {seal}"
