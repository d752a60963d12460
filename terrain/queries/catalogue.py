"""The catalogue of queries: the files in queries/, their headers, their parameters.

A query is a file queries/<name>.sql. Its header declares what the door needs to know:

    -- name: consultations_by_period          (must equal the file name)
    -- params: start, end, grain, cities      (exactly the $parameters the SQL uses)
    -- level: site | city | programme         (finest geography in the rows)
    -- grain: day | week | month | none | $grain   (finest time in the rows)
    -- counts: consultations, turned_away     (counts of people or events: suppressed)
    -- lines: month; activity; *              (groups whose totals are published)
    -- rates: occupancy_rate = beds_occupied / beds_available
    -- locations: exact                       (rows carry latitude/longitude)
    -- combine: bed_nights_available = sum, coldest_c = min   (terrain/queries/combine.py)
    -- monthly: map_sites_activity_by_month   (the same rows month by month: months.py)
    -- audience: audience                     (rows marked 'internal' in this column reach
                                                the programme's staff only: door.py)
    -- published: ...                         (how the published sets answer it:
                                                terrain/disclosure/views.py)

A header is checked against its SQL when the query is loaded (`load`): its parameters both
ways (a parameter used but not declared, or declared but not used, is an error), and, by
running it on an empty database, that every number in its rows says how months add up
(`check_combinations`) and that the published sets give every column a published reader
needs (`check_published`).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from terrain import ROOT, definitions, roles, store, summaries
from terrain.disclosure import views
from terrain.queries import viewer
from terrain.queries.errors import QueryError

QUERIES_DIR = ROOT / "queries"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_HEADER = re.compile(r"^--\s*(name|params|level|grain|counts|lines|rates|locations|combine|monthly|published|audience):\s*(.*?)\s*$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.DOTALL)
_RATE = re.compile(r"([a-z_][a-z0-9_]*)\s*=\s*([a-z_][a-z0-9_]*)\s*/\s*([a-z_][a-z0-9_]*)")
COMBINATIONS = ("sum", "min", "max")
_COMBINE = re.compile(r"([a-z_][a-z0-9_]*)\s*=\s*(" + "|".join(COMBINATIONS) + ")")


@dataclass(frozen=True)
class Rate:
    column: str
    numerator: str
    denominator: str


@dataclass(frozen=True)
class Query:
    name: str
    sql: str
    params: frozenset[str]
    level: str
    grain: str
    counts: tuple[str, ...] = ()
    lines: tuple[tuple[str, ...], ...] = ()
    rates: tuple[Rate, ...] = ()
    exact_locations: bool = False
    combine: tuple[tuple[str, str], ...] = ()   # (column, "sum" | "min" | "max")
    monthly: str = ""                           # a companion query: the same rows per month
    published: tuple[views.PublishedColumn, ...] = ()   # how the published sets answer it
    audience_column: str = ""                   # rows marked 'internal' here: staff only
    description: str = field(default="", compare=False)

    @property
    def hides(self) -> bool:
        """Whether its rows count someone (counts or rates): what suppression is for."""
        return bool(self.counts or self.rates)


def _split(value: str, sep: str = ",") -> list[str]:
    return [part.strip() for part in value.split(sep) if part.strip()]


def parse(name: str, text: str) -> Query:
    """Read a query file's header and check it against its SQL."""
    header: dict[str, str] = {}
    description = []
    for line in text.splitlines():
        if not line.startswith("--"):
            break
        match = _HEADER.match(line)
        if match:
            if match[1] in header:
                raise QueryError(f"queries/{name}.sql: '{match[1]}' is declared twice.")
            header[match[1]] = match[2]
        else:
            description.append(line.lstrip("- ").rstrip())
    for required in ("name", "params", "level", "grain"):
        if required not in header:
            raise QueryError(f"queries/{name}.sql: the header must declare '-- {required}:'.")
    if header["name"] != name:
        raise QueryError(f"queries/{name}.sql: its header names it {header['name']!r}; the file name is the query's name.")
    level = header["level"]
    if level not in roles.LEVELS:
        raise QueryError(f"queries/{name}.sql: level {level!r} is not one of {roles.LEVELS}.")
    grain = header["grain"]
    if grain not in (*roles.GRAINS, "none", "$grain"):
        raise QueryError(f"queries/{name}.sql: grain {grain!r} is not day, week, month, none or $grain.")

    declared = frozenset(_split(header["params"].replace("$", "")))
    used = frozenset(_PARAM.findall(_STRING_OR_COMMENT.sub(" ", text)))
    if declared != used:
        undeclared, unused = sorted(used - declared), sorted(declared - used)
        raise QueryError(
            f"queries/{name}.sql: parameters used but not declared: {undeclared or 'none'}; "
            f"declared but not used: {unused or 'none'}.")
    if grain == "$grain" and "grain" not in declared:
        raise QueryError(f"queries/{name}.sql: grain is $grain but the query has no $grain parameter.")

    rates = []
    for spec in _split(header.get("rates", "")):
        match = _RATE.fullmatch(spec)
        if not match:
            raise QueryError(f"queries/{name}.sql: rate {spec!r} must read 'rate = numerator / denominator'.")
        rates.append(Rate(*match.groups()))
    lines = tuple(
        () if group.strip() == "*" else tuple(_split(group))
        for group in header.get("lines", "").split(";") if group.strip())
    counts = tuple(_split(header.get("counts", "")))
    combine = []
    for spec in _split(header.get("combine", "")):
        match = _COMBINE.fullmatch(spec)
        if not match:
            raise QueryError(f"queries/{name}.sql: combination {spec!r} must read 'column = sum', 'min' or 'max'.")
        combine.append(match.groups())
    combined = [column for column, _ in combine]
    clashes = sorted({c for c in combined if combined.count(c) > 1}
                     | set(combined) & {*counts, *(rate.column for rate in rates)})
    if clashes:
        raise QueryError(
            f"queries/{name}.sql: combine: {clashes} declared twice, or for a count (always added up "
            "over its visible months) or a rate (recomputed from its parts).")
    try:
        published = views.parse(header.get("published", ""))
    except views.SpecError as problem:
        raise QueryError(f"queries/{name}.sql: published: {problem}") from None
    return Query(
        name=name, sql=text, params=declared, level=level, grain=grain, published=published,
        counts=counts, lines=lines, rates=tuple(rates),
        exact_locations=header.get("locations", "").strip() == "exact",
        combine=tuple(combine), monthly=header.get("monthly", "").strip(),
        audience_column=header.get("audience", "").strip(),
        description=" ".join(description).strip())


@functools.cache
def load(name: str) -> Query:
    if not _NAME.fullmatch(name):
        raise QueryError(f"{name!r} is not a query name.")
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise QueryError(f"No query named {name!r} (looked for {path}).")
    query = parse(name, path.read_text(encoding="utf-8"))
    if combined_by_month(query):
        check_combinations(query)
    if query.published:
        check_published(query)
    if query.audience_column and query.audience_column not in probe(query).columns:
        raise QueryError(f"queries/{name}.sql: audience: {query.audience_column!r} is not a column of its rows.")
    if query.monthly:
        if query.monthly == name:
            raise QueryError(f"queries/{name}.sql: a query cannot be its own monthly companion.")
        companion = load(query.monthly)
        if companion.grain != "month" or companion.params != query.params or query.grain != "none":
            raise QueryError(f"queries/{name}.sql: its monthly companion {query.monthly!r} must be a month-grain "
                             "query with the same parameters, for a whole-period query.")
    return query


def combined_by_month(query: Query) -> bool:
    """Whether some role gets this whole-period query as the combination of its months."""
    return query.grain == "none" and {"start", "end"} <= query.params and query.hides and any(
        viewer.of(role).months_only and viewer.reaches(viewer.of(role), query) for role in roles.ROLES)


# Values of each parameter's type, for running a query on an empty database to see the
# types of its columns.
_PROBE_PARAMS = {
    "start": dt.date(2000, 1, 1), "end": dt.date(2000, 1, 31), "grain": "month", "cities": [],
    "sites": [], "activities": [], "age_bands": [], "sexes": [], "minors_only": False,
    "girls_only": False,
}


@functools.cache
def _empty_database() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    store.create_schema(con)
    summaries.refresh(con)
    return con


# One cursor probes every query, the definitions put on it once (about 35 ms a cursor, three
# probes for some queries: a page's first run in a process paid it for each of its queries);
# page runs share it from their threads, one at a time.
_PROBING = threading.Lock()


@functools.cache
def _probe_cursor() -> duckdb.DuckDBPyConnection:
    return _empty_database().cursor()


def probe(query: Query) -> pd.DataFrame:
    """The query's rows on an empty database: its columns and their types."""
    with _PROBING:
        cursor = definitions.ensure(_probe_cursor())   # put on again if config/definitions.toml changed
        return cursor.execute(query.sql, {p: _PROBE_PARAMS[p] for p in query.params}).df()


def is_number(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def check_combinations(query: Query) -> None:
    """Every number in the query's rows must say how months add up: a count, a rate, or a
    column declared in `combine:`. Raises QueryError otherwise."""
    unknown = sorted(query.params - _PROBE_PARAMS.keys())
    if unknown:
        raise QueryError(f"queries/{query.name}.sql: the door does not know the type of {unknown} "
                         "(add them to terrain/queries/catalogue._PROBE_PARAMS).")
    combined = dict(query.combine)
    rate_parts = {part for rate in query.rates for part in (rate.numerator, rate.denominator)}
    if query.exact_locations:
        # Rows coarsened to areas keep the counts, the rates and the rates' denominators only.
        columns, undeclared = {*query.counts, *rate_parts, *(r.column for r in query.rates)}, set()
    else:
        rows = probe(query)
        columns = set(rows.columns)
        undeclared = {c for c in rows.columns if is_number(rows[c])} - {*query.counts, *(r.column for r in query.rates)}
    undeclared = sorted((undeclared | rate_parts) - {*query.counts, *combined})
    if undeclared:
        raise QueryError(
            f"queries/{query.name}.sql: roles that see months get this query month by month, added up "
            f"over the period, but its header does not say how to combine {undeclared}: declare "
            "'-- combine: column = sum | min | max'.")
    missing = sorted(set(combined) - columns)
    if missing:
        raise QueryError(f"queries/{query.name}.sql: combine: {missing} are not columns of its rows.")


def check_published(query: Query) -> None:
    """A query answered from the published sets must get every column from them: its rows'
    columns are `period` (month-grain), `city`, the published items, rates of them, and
    columns of the calendar (`season`). Raises QueryError otherwise."""
    if query.exact_locations:   # drawn on areas from each city's figures (_published_areas)
        return
    if query.level != "city" or not {"start", "end", "cities"} <= query.params:
        raise QueryError(f"queries/{query.name}.sql: only city-level queries of a period ($start, $end, $cities) "
                         "can be answered from the published sets.")
    columns = list(probe(query).columns)
    given = {"period", "city", *views.provided(query.published), *(r.column for r in query.rates), *views.CALENDAR}
    missing = [c for c in columns if c not in given]
    unpublished = [c for c in query.counts if c not in views.provided(query.published)]
    if missing or unpublished:
        raise QueryError(f"queries/{query.name}.sql: published: the published sets give no {missing + unpublished}.")



@functools.cache
def probe_columns(name: str) -> pd.DataFrame:
    """The query's columns and their types, from a run on an empty database (kept)."""
    return probe(load(name))


def names() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql"))


def preload() -> None:
    """Every query read, checked and probed once, as its first run in a process would (15–25 ms
    a query, some 150 ms for a page of eight). A served process does it
    in the background at start (terrain/asgi.py). A query that does not load is left for its
    caller, whose error names it."""
    for name in names():
        try:
            query = load(name)
            if query.published:   # the published sets' reader looks at its columns (published.py)
                probe_columns(name)
        except (QueryError, duckdb.Error):
            continue


def check_params(query: Query, params: Mapping[str, Any]) -> None:
    given = set(params)
    missing, extra = sorted(query.params - given), sorted(given - query.params)
    if missing or extra:
        raise QueryError(
            f"Query {query.name!r} takes parameters {sorted(query.params)}; "
            f"missing: {missing or 'none'}, unexpected: {extra or 'none'}.")
