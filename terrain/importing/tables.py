"""What can be imported, read from the schema itself.

The columns, their types, which may be empty, the allowed categories, ranges and patterns,
the keys and the references all come from a fresh in-memory DuckDB with terrain/schema.sql
applied, so the templates and the checks follow the schema when it changes. Only what the
schema cannot say is written here: the consultations batch key, the reference the schema
leaves out, and which dates cannot lie in the future.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass, field

import duckdb
import numpy as np

from terrain import store

# Reference tables first: a programme manager loads sites before their nights.
IMPORTABLE = ("sites", "shelter_nights", "consultations", "outreach", "vaccination_campaigns",
              "vaccinations", "weather_daily", "winter_plan")

# Consultations have no key (two identical consultations on one day are two people), so a
# file is matched to existing rows by site and day: re-importing a week would double it.
BATCH_KEYS = {"consultations": ("consulted_on", "site_id")}

# The schema leaves these foreign keys out, so that bulk loads of consultations stay fast, and
# so that a campaign's target age bands (a list) can be updated while doses refer to it; the
# import checks them instead.
EXTRA_REFERENCES = {("consultations", "site_id"): "sites", ("vaccinations", "campaign_id"): "vaccination_campaigns"}

# Dates of things that happened: none can be after today. End dates, closing dates and the
# start of a vaccination campaign may be planned ahead.
PAST_DATES = {
    "sites": ("opened",), "shelter_nights": ("night",), "consultations": ("consulted_on",),
    "outreach": ("visited_on",), "vaccinations": ("vaccinated_on",), "weather_daily": ("day",),
    "winter_plan": ("starts",),
}

# The column that dates a row of activity at a site, checked against the site's opening.
ACTIVITY_DATES = {"shelter_nights": "night", "consultations": "consulted_on",
                  "outreach": "visited_on", "vaccinations": "vaccinated_on"}

KINDS = {"VARCHAR": "text", "INTEGER": "integer", "BIGINT": "integer", "DOUBLE": "number",
         "DATE": "date", "BOOLEAN": "boolean"}

_RANGE = re.compile(r'CHECK\(\("?(\w+)"? BETWEEN (-?[\d.]+) AND (-?[\d.]+)\)\)')
_MINIMUM = re.compile(r'CHECK\(\("?(\w+)"? (>=|>) (-?[\d.]+)\)\)')
_PATTERN = re.compile(r"CHECK\(regexp_full_match\(\"?(\w+)\"?, '(.*)'\)\)")
_LENGTH = re.compile(r'CHECK\(\(length\("?(\w+)"?\) BETWEEN (\d+) AND (\d+)\)\)')
_IN_LIST = re.compile(r'CHECK\(\("?(\w+)"? IN \((.*)\)\)\)')
# A list column: not empty, and never holding one of its type's values ('unknown' age band).
_NOT_EMPTY_LIST = re.compile(r'CHECK\(\(len\("?(\w+)"?\) > 0\)\)')
_NEVER_IN_LIST = re.compile(r"CHECK\(\(NOT list_contains\(\"?(\w+)\"?, '((?:[^']|'')*)'\)\)\)")
_QUOTED = re.compile(r"'((?:[^']|'')*)'")

# The earliest day any import may hold: before it, a date is a typing error (see validation).
EARLIEST_DAY = np.datetime64("2000-01-01", "D")

@dataclass(frozen=True)
class Column:
    name: str
    kind: str                         # text, integer, number, date, boolean, category or categories
    required: bool
    categories: tuple[str, ...] = ()  # allowed values of a category column (each value of a categories one)
    category_type: str | None = None  # the ENUM type (labels: common.<type>.<value>)
    low: float | None = None          # smallest allowed value
    low_inclusive: bool = True
    high: float | None = None
    pattern: str | None = None        # a regular expression the whole value must match
    length: tuple[int, int] | None = None
    references: str | None = None     # the table whose key this column names
    past_only: bool = False


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    key_is_unique: bool               # False for a batch key (consultations)
    cross_checks: tuple[str, ...] = field(default=())  # CHECKs over several columns, as DuckDB prints them

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def _number(text: str) -> float:
    value = float(text)
    return int(value) if value.is_integer() else value


def _read_schema() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    store.create_schema(con)
    return con


@functools.cache
def tables() -> dict[str, Table]:
    """Every importable table, in IMPORTABLE order."""
    con = _read_schema()
    try:
        enums = {tuple(labels): name for name, labels in con.execute(
            "SELECT type_name, labels FROM duckdb_types() WHERE logical_type = 'ENUM' AND NOT internal"
            " AND database_name = current_database()").fetchall()}
        columns = con.execute(
            "SELECT table_name, column_name, data_type, is_nullable FROM duckdb_columns()"
            " WHERE database_name = current_database() ORDER BY table_name, column_index").fetchall()
        constraints = con.execute(
            "SELECT table_name, constraint_type, constraint_text, constraint_column_names,"
            " referenced_table FROM duckdb_constraints() WHERE database_name = current_database()"
            " ORDER BY table_name, constraint_index").fetchall()
    finally:
        con.close()
    return {name: _table(name, columns, constraints, enums) for name in IMPORTABLE}


def _table(name, columns, constraints, enums) -> Table:
    specs: dict[str, dict] = {}
    for table, column, data_type, nullable in columns:
        if table != name:
            continue
        spec: dict = {"name": column, "required": not nullable, "past_only": column in PAST_DATES.get(name, ())}
        if data_type.startswith("ENUM(") and data_type.endswith(")[]"):
            # a list of values of an ENUM type (a campaign's target age bands): "0-14, 15-17"
            labels = tuple(value.replace("''", "'") for value in _QUOTED.findall(data_type))
            spec.update(kind="categories", categories=labels, category_type=enums[labels])
        elif data_type.startswith("ENUM("):
            labels = tuple(value.replace("''", "'") for value in _QUOTED.findall(data_type))
            spec.update(kind="category", categories=labels, category_type=enums[labels])
        else:
            spec["kind"] = KINDS[data_type]
        specs[column] = spec
    key: tuple[str, ...] = BATCH_KEYS.get(name, ())
    cross = []
    for table, kind, text, names, referenced in constraints:
        if table != name:
            continue
        if kind == "PRIMARY KEY":
            key = tuple(names)
        elif kind == "FOREIGN KEY":
            specs[names[0]]["references"] = referenced
        elif kind == "CHECK" and not _single_column_check(text, specs):
            cross.append(text)
    for (table, column), referenced in EXTRA_REFERENCES.items():
        if table == name:
            specs[column]["references"] = referenced
    return Table(name, tuple(Column(**spec) for spec in specs.values()), key,
                 key_is_unique=name not in BATCH_KEYS, cross_checks=tuple(cross))


def _single_column_check(text: str, specs: dict[str, dict]) -> bool:
    """Record a CHECK on one column in its spec; False if it spans several columns."""
    if match := _RANGE.fullmatch(text):
        specs[match[1]].update(low=_number(match[2]), high=_number(match[3]))
    elif match := _MINIMUM.fullmatch(text):
        specs[match[1]].update(low=_number(match[3]), low_inclusive=match[2] == ">=")
    elif match := _PATTERN.fullmatch(text):
        specs[match[1]]["pattern"] = match[2].replace("''", "'")
    elif match := _LENGTH.fullmatch(text):
        specs[match[1]]["length"] = (int(match[2]), int(match[3]))
    elif match := _NOT_EMPTY_LIST.fullmatch(text):
        pass   # an empty cell is a missing value, and a cell that names no value is refused
    elif match := _NEVER_IN_LIST.fullmatch(text):
        excluded = match[2].replace("''", "'")
        specs[match[1]]["categories"] = tuple(v for v in specs[match[1]]["categories"] if v != excluded)
    elif match := _IN_LIST.fullmatch(text):
        values = tuple(value.replace("''", "'") for value in _QUOTED.findall(match[2]))
        # Labels of such a column are common.<column>.<value> (e.g. common.antigen.mmr).
        specs[match[1]].update(kind="category", categories=values, category_type=match[1])
    else:
        return False
    return True


def today() -> dt.date:
    return dt.date.today()
