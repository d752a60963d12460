"""What the checks found, and how it reads in French and English.

A Finding is one kind of problem in one column, with the rows where it occurs (arrays, so
that a million bad cells cost no more than one; past MAX_KEPT_ROWS only their number is
kept, so that a file of any length is reported in bounded memory). Its text is the catalogue entry
imports.problem.<kind> (or imports.warning.<kind>), filled with the finding's constant
`params` and, row by row, its per-row `values`. Cell values are shown back to the person who
uploaded the file, never stored in the audit, and never shown at all for personal data.
"""

from __future__ import annotations

import unicodedata

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping

import numpy as np
import pandas as pd

from terrain import i18n

ERROR, WARNING = "problem", "warning"
SHOWN_VALUE_LENGTH = 60
MAX_KEPT_ROWS = 100_000


@dataclass(frozen=True)
class Label:
    """A placeholder value that is itself text of the catalogue, translated when shown."""

    key: str


@dataclass
class Finding:
    kind: str
    column: str | None = None                 # as the file names it; None: about a whole row or the file
    rows: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    values: Mapping[str, np.ndarray] = field(default_factory=dict)  # per-row placeholders
    params: Mapping[str, Any] = field(default_factory=dict)         # placeholders shared by all rows
    severity: str = ERROR
    more: int = 0                             # rows found past those kept

    @property
    def count(self) -> int:
        return max(len(self.rows) + self.more, 1)

    @property
    def same(self) -> tuple:
        """What two findings of different parts of a file share when they are one finding."""
        return (self.severity, self.kind, self.column,
                tuple(sorted((name, repr(value)) for name, value in self.params.items())))

    def extend(self, later: "Finding") -> None:
        """Add the rows of the same finding in a later part of the file (rows in order)."""
        room = max(MAX_KEPT_ROWS - len(self.rows), 0)
        taken = min(room, len(later.rows))
        self.more += later.more + len(later.rows) - taken
        if taken:
            self.rows = np.concatenate([self.rows, later.rows[:taken]])
            self.values = {name: np.concatenate([values, later.values[name][:taken]])
                           for name, values in self.values.items()}

    @property
    def key(self) -> str:
        return f"imports.{self.severity}.{self.kind}"


def at_rows(kind: str, column: str | None, rows: np.ndarray, mask: np.ndarray | None = None, *,
            severity: str = ERROR, params: Mapping[str, Any] | None = None,
            **values: np.ndarray | pd.Series) -> Finding | None:
    """A finding for the rows where `mask` is true (all rows when None), or None if none."""
    if mask is not None:
        mask = np.asarray(mask, dtype=bool)
        if not mask.any():
            return None
        rows = rows[mask]
        values = {name: np.asarray(v)[mask] for name, v in values.items()}
    elif len(rows) == 0:
        return None
    return kept(Finding(kind, column, np.asarray(rows), {k: np.asarray(v) for k, v in values.items()},
                        dict(params or {}), severity))


def kept(finding: Finding) -> Finding:
    """`finding` with at most MAX_KEPT_ROWS rows, the others counted."""
    if len(finding.rows) > MAX_KEPT_ROWS:
        finding.more += len(finding.rows) - MAX_KEPT_ROWS
        finding.rows = finding.rows[:MAX_KEPT_ROWS]
        finding.values = {name: values[:MAX_KEPT_ROWS] for name, values in finding.values.items()}
    return finding


class Merged:
    """The findings of a file checked a part at a time: one finding per kind, column and
    parameters, whatever part of the file its rows are in, in the order first found."""

    def __init__(self):
        self._found: dict[tuple, Finding] = {}

    def add(self, finding: Finding) -> None:
        finding = kept(finding)
        earlier = self._found.get(finding.same)
        if earlier is None:
            self._found[finding.same] = finding
        else:
            earlier.extend(finding)

    def __iter__(self) -> Iterator[Finding]:
        return iter(self._found.values())

    def __len__(self) -> int:
        return len(self._found)


def total(findings: Iterable[Finding]) -> int:
    return sum(f.count for f in findings)


def _shown(value: Any, lang: str) -> str:
    if isinstance(value, Label):
        return i18n.t(value.key, lang)
    if isinstance(value, (bool, np.bool_)):
        return i18n.t("common.yes_no_unknown.yes" if value else "common.yes_no_unknown.no", lang)
    if isinstance(value, (np.integer, int)):
        return str(int(value))
    if isinstance(value, (np.floating, float)):
        text = f"{float(value):g}"
        return text.replace(".", ",") if lang == "fr" else text
    if isinstance(value, np.datetime64):
        return str(value.astype("datetime64[D]"))
    return str(value)


def visible(text: str) -> str:
    """Text as a report can show it on one line: control and invisible characters (a tab, a
    vertical tab, a zero-width space) written as their code ("\\x0b", "\\u200b")."""
    return "".join(ch if ch == " " or unicodedata.category(ch)[0] not in "CZ" else
                   (f"\\x{ord(ch):02x}" if ord(ch) < 0x100 else f"\\u{ord(ch):04x}") for ch in text)


def where(finding: Finding, row: int | None, file_name: str, lang: str) -> str:
    column = None if finding.column is None else _short(visible(str(finding.column)))
    file_name = _short(visible(file_name))
    if row is not None and column is not None:
        return i18n.t("imports.where.row_column", lang, file=file_name, row=row, column=column)
    if row is not None:
        return i18n.t("imports.where.row", lang, file=file_name, row=row)
    if column is not None:
        return i18n.t("imports.where.column", lang, file=file_name, column=column)
    return i18n.t("imports.where.file", lang, file=file_name)


def _short(text: str) -> str:
    return text if len(text) <= SHOWN_VALUE_LENGTH else text[:SHOWN_VALUE_LENGTH - 1] + "…"


def _cell(value: Any, lang: str) -> str:
    return _short(visible(_shown(value, lang)))


def what(finding: Finding, index: int | None, lang: str) -> str:
    params = {name: visible(_shown(v, lang)) for name, v in finding.params.items()}
    if index is not None:
        params.update({name: _cell(v[index], lang) for name, v in finding.values.items()})
    return i18n.t(finding.key, lang, **params)


def messages(finding: Finding, file_name: str, lang: str, limit: int | None = None) -> Iterator[tuple[int | None, str]]:
    """(row, "where: what") for each row of the finding, at most `limit` of them."""
    if len(finding.rows) == 0:
        yield None, f"{where(finding, None, file_name, lang)}{_colon(lang)}{what(finding, None, lang)}"
        return
    shown = len(finding.rows) if limit is None else min(limit, len(finding.rows))
    for index in range(shown):
        row = int(finding.rows[index])
        yield row, f"{where(finding, row, file_name, lang)}{_colon(lang)}{what(finding, index, lang)}"


def _colon(lang: str) -> str:
    return "\u00a0: " if lang == "fr" else ": "


def frame(findings: Iterable[Finding], lang: str, limit: int | None = 10_000) -> pd.DataFrame:
    """One line per problem: row, column, what is wrong; in row order, at most `limit`
    lines (None: all the rows kept, then a line per finding saying how many more it has)."""
    lines, more = [], []
    for finding in findings:
        rows = finding.rows if limit is None else finding.rows[:limit]
        if len(rows) == 0:
            lines.append((None, finding.column, what(finding, None, lang)))
        lines += [(int(row), finding.column, what(finding, index, lang)) for index, row in enumerate(rows)]
        if finding.more and limit is None:
            more.append((None, finding.column, i18n.t("imports.more_rows", lang, count=finding.more,
                                                      listed=len(rows), last=int(rows[-1]))))
    table = pd.DataFrame(lines, columns=["row", "column", "problem"])
    table["row"] = table["row"].astype("Int64")
    table = table.sort_values("row", kind="stable", na_position="first")
    table = table if limit is None else table.head(limit)
    if more:
        tail = pd.DataFrame(more, columns=["row", "column", "problem"]).astype({"row": "Int64"})
        table = pd.concat([table, tail])
    return table.reset_index(drop=True)


def summary(findings: Iterable[Finding], first_rows: int = 20) -> list[dict]:
    """For the audit: kind, column, count and the first rows, but never a cell's value."""
    return [{"severity": f.severity, "kind": f.kind, "column": f.column, "count": f.count,
             "rows": [int(r) for r in f.rows[:first_rows]]} for f in findings]
