"""Cells to values, once per distinct cell.

A column of a million rows holds a few hundred distinct cells (dates, site ids,
categories), so each column is factorised once (`codes` point into its distinct cells),
the distinct cells are parsed, and every per-row answer is a gather by `codes`. Checks that
compare with a set (allowed sites, an age band) also run on the distinct cells.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from terrain import i18n
from terrain.importing import tables as tbl

SPACES = r"[\s\u00a0\u202f]"   # thousands separators French Excel writes: space, no-break spaces
TRUE_WORDS = {"true", "vrai", "yes", "oui", "y", "o", "1"}
FALSE_WORDS = {"false", "faux", "no", "non", "n", "0"}
INT32_MAX = 2**31 - 1
# Day first, always: 03/04/2024 is 3 April, as French spreadsheets write it.
# [0-9], not \d: Python's \d also matches Arabic-Indic or full-width digits, which no parser
# reads (they are named to the user instead, see NON_ASCII_DIGITS).
DATE_FORMATS = {"iso": (r"[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T]00:00(?::00)?)?", "%Y-%m-%d"),
                "dmy": (r"[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}", "%d/%m/%Y")}
NON_ASCII_DIGIT = r"(?![0-9])\d"
ARROW_TYPES = {"date": pa.date32(), "integer": pa.int64(), "number": pa.float64(), "boolean": pa.bool_(),
               "text": pa.string(), "category": pa.string(), "categories": pa.list_(pa.string())}
# Between the values of a list cell ("0-14, 15-17"): commas, semicolons, vertical bars.
LIST_SEPARATORS = r"[,;|]"


def bools(series: pd.Series) -> np.ndarray:
    return series.to_numpy(dtype=bool, na_value=False)


@dataclass(frozen=True)
class Distinct:
    """A column of the file as its distinct cells (stripped) and, per row, which one."""

    codes: np.ndarray
    cells: pd.Series

    @classmethod
    def of(cls, cells: pd.Series) -> "Distinct":
        codes, uniques = pd.factorize(cells)
        return cls(codes, pd.Series(uniques, dtype="string[pyarrow]").str.strip())

    def rows(self, distinct_mask: np.ndarray) -> np.ndarray:
        return distinct_mask[self.codes]


# --- parsers of distinct cells: (values, parsed) --------------------------------------------

def parse_integer(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    compact = text.str.replace(SPACES, "", regex=True)
    ok = bools(compact.str.fullmatch(r"[+-]?[0-9]{1,10}(?:[.,]0+)?"))
    numbers = pd.to_numeric(compact.where(ok, "0").str.replace(",", ".", regex=False)).to_numpy(dtype=float)
    ok &= np.abs(numbers) <= INT32_MAX
    return np.where(ok, numbers, 0).astype(np.int64), ok


def parse_number(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Decimal point or decimal comma ("-2,5"): a comma is always decimal here."""
    compact = text.str.replace(SPACES, "", regex=True)
    ok = bools(compact.str.fullmatch(r"[+-]?(?:[0-9]+(?:[.,][0-9]+)?|[.,][0-9]+)"))
    numbers = pd.to_numeric(compact.where(ok, "0").str.replace(",", ".", regex=False)).to_numpy(dtype=float)
    return numbers, ok


def parse_date(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    values = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[D]")
    for pattern, fmt in DATE_FORMATS.values():
        matches = bools(text.str.fullmatch(pattern))
        if matches.any():
            parsed = pd.to_datetime(text[matches].str.slice(0, 10), format=fmt, errors="coerce")
            values[matches] = parsed.to_numpy(dtype="datetime64[D]")
    return values, ~np.isnat(values)


def parse_boolean(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    folded = text.str.casefold()
    true, false = bools(folded.isin(TRUE_WORDS)), bools(folded.isin(FALSE_WORDS))
    return true, true | false


@functools.cache
def category_synonyms(spec: tbl.Column) -> dict[str, str]:
    """Accepted spellings of each allowed value: the value itself in any case, and its
    French and English labels ("Médical", "medical" and "MEDICAL" all read as medical)."""
    synonyms = {}
    for value in spec.categories:
        synonyms[value.casefold()] = value
        for lang in i18n.LANGUAGES:
            key = f"common.{spec.category_type}.{value}"
            if key in i18n.catalogue():
                synonyms[i18n.t(key, lang).casefold()] = value
    return synonyms


def parse_category(text: pd.Series, spec: tbl.Column) -> tuple[np.ndarray, np.ndarray]:
    canonical = text.str.casefold().map(category_synonyms(spec))
    return canonical.to_numpy(dtype=object, na_value=None), bools(canonical.notna())


def parse_categories(text: pd.Series, spec: tbl.Column) -> tuple[np.ndarray, np.ndarray]:
    """A list of allowed values ("0-14, 15-17", "0-14 ans; 15-17 ans"), each spelled as
    `parse_category` reads it; the values in the type's order, each once. A cell parses when
    it names at least one value and every part is an allowed one."""
    synonyms = category_synonyms(spec)
    order = {value: position for position, value in enumerate(spec.categories)}
    values, ok = np.empty(len(text), dtype=object), np.zeros(len(text), dtype=bool)
    for position, cell in enumerate(text.to_numpy(dtype=object, na_value="")):
        parts = [part.strip().casefold() for part in re.split(LIST_SEPARATORS, cell) if part.strip()]
        found = [synonyms.get(part) for part in parts]
        if parts and all(found):
            values[position] = tuple(sorted(set(found), key=order.__getitem__))
            ok[position] = True
    return values, ok


def parse_text(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    return text.to_numpy(dtype=object, na_value=""), np.ones(len(text), dtype=bool)


PARSERS = {"integer": parse_integer, "number": parse_number, "date": parse_date, "boolean": parse_boolean,
           "text": parse_text}


@dataclass
class Column:
    """One column of the file, parsed. Per-row arrays are gathered from the distinct cells."""

    spec: tbl.Column
    header: str                  # as the file writes it
    distinct: Distinct
    parsed: np.ndarray           # parsed value of each distinct cell
    parsed_ok: np.ndarray        # whether each distinct cell parsed
    hidden: np.ndarray           # per row: cells the anonymity guard hides from every message

    @property
    def codes(self) -> np.ndarray:
        return self.distinct.codes

    @functools.cached_property
    def texts(self) -> np.ndarray:
        return self.distinct.cells.to_numpy(dtype=object, na_value="")

    @functools.cached_property
    def raw(self) -> np.ndarray:
        """Each row's cell, stripped."""
        return self.texts[self.codes]

    @functools.cached_property
    def values(self) -> np.ndarray:
        """Each row's parsed value (meaningless where not `ok`)."""
        return self.parsed[self.codes]

    @functools.cached_property
    def null(self) -> np.ndarray:
        return self.distinct.rows(bools(self.distinct.cells == "")) & ~self.hidden

    @functools.cached_property
    def ok(self) -> np.ndarray:
        """Parsed and not empty (and not hidden as personal data)."""
        return self.distinct.rows(self.parsed_ok & bools(self.distinct.cells != "")) & ~self.hidden

    @property
    def unparsed(self) -> np.ndarray:
        return ~self.ok & ~self.null & ~self.hidden

    def where_equal(self, value) -> np.ndarray:
        """Rows whose parsed value is `value` (a list column's tuple of values, too)."""
        return self.distinct.rows(np.array([parsed == value for parsed in self.parsed], dtype=bool)) & self.ok

    def where_in(self, allowed) -> np.ndarray:
        """Rows whose parsed value is one of `allowed`."""
        return self.distinct.rows(np.isin(self.parsed, np.asarray(list(allowed), dtype=self.parsed.dtype))) & self.ok

    def lookup(self, table: pd.Series, dtype) -> np.ndarray:
        """Each row's entry in `table` (indexed by cell text); NaN/NaT where absent."""
        return table.reindex(self.texts).to_numpy(dtype=dtype)[self.codes]

    def matches(self, pattern: str) -> np.ndarray:
        return self.distinct.rows(bools(self.distinct.cells.str.fullmatch(pattern)))

    def lengths(self) -> np.ndarray:
        return self.distinct.rows(self.distinct.cells.str.len().to_numpy(dtype=np.int64, na_value=0))

    def arrow(self) -> pa.Array:
        """The column for loading; text as an Arrow dictionary (cheap for repeated values)."""
        null = self.null
        if self.spec.kind == "categories":
            return pa.array([None if hidden or not ok else list(value)
                             for value, ok, hidden in zip(self.values, self.ok, null)], type=ARROW_TYPES["categories"])
        if self.spec.kind not in ("text", "category"):
            values = self.values.astype("datetime64[D]") if self.spec.kind == "date" else self.values
            return pa.array(values, type=ARROW_TYPES[self.spec.kind], mask=null)
        codes, dictionary = pd.factorize(pd.Series(self.parsed, dtype=object))
        indices = codes[self.codes]
        null = null | (indices < 0)
        if not len(dictionary):
            return pa.nulls(len(indices), type=pa.string())
        return pa.DictionaryArray.from_arrays(pa.array(np.where(null, 0, indices), pa.int32(), mask=null),
                                              pa.array(np.asarray(dictionary, dtype=object), pa.string()))


def parse(spec: tbl.Column, header: str, distinct: Distinct, hidden: np.ndarray) -> Column:
    if spec.kind == "category":
        parsed, ok = parse_category(distinct.cells, spec)
    elif spec.kind == "categories":
        parsed, ok = parse_categories(distinct.cells, spec)
    else:
        parsed, ok = PARSERS[spec.kind](distinct.cells)
    return Column(spec, header, distinct, parsed, ok, hidden)


def empty_arrow(spec: tbl.Column, rows: int) -> pa.Array:
    return pa.nulls(rows, type=ARROW_TYPES[spec.kind])
