"""The query door: every figure Terrain shows comes through `run`.

A query is a file queries/<name>.sql. Its header declares what the door needs to know:

    -- name: consultations_by_period          (must equal the file name)
    -- params: start, end, grain, cities      (exactly the $parameters the SQL uses)
    -- level: site | city | programme         (finest geography in the rows)
    -- grain: day | week | month | none | $grain   (finest time in the rows)
    -- counts: consultations, turned_away     (counts of people or events: suppressed)
    -- lines: month; activity; *              (groups whose totals are published)
    -- rates: occupancy_rate = beds_occupied / beds_available
    -- locations: exact                       (rows carry latitude/longitude)
    -- combine: bed_nights_available = sum, coldest_c = min   (see below)
    -- monthly: map_sites_activity_by_month   (the same rows month by month; see below)
    -- audience: audience                     (rows marked 'internal' in this column reach
                                                the programme's staff only; see below)

The door checks the parameters, then applies the role's rules (terrain/roles.py) and
disclosure control (terrain/disclosure/) to the result, so a page cannot forget them.

Roles that see months only get every query with a period ($start and $end) month by month:
each month is run and suppressed alone, so what is hidden in a month never depends on the
period or the cities asked for. A month-grain result is those months side by side; a
whole-period result (grain none) adds them up: counts over their visible monthly cells only,
other numbers as `combine:` declares (sum, min or max), rates recomputed from their combined
parts. Any figure such a role sees is then a sum of visible monthly cells, and no difference
of two of its views (2024 minus January to November) can give back a hidden cell. The rows
of a whole-period result are told apart by their columns that are not numbers (text, dates,
booleans); a numeric column that is neither a count, a rate nor declared in `combine:` is an
error when the query is loaded: the door never guesses how to add a column up. A query may
name a `monthly:` companion that gives the same rows for every month of the period at once
(the month as `period`): the door then scans once and splits by month instead of running the
query once per month.

A query whose rows are not figures but context (the events drawn on the charts) may name an
`audience:` column: its rows marked 'internal' never reach a donor nor anything public (the
rows whose reader is a published set, `published_reader`); the programme's staff see them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from terrain import ROOT, definitions, disclosure, roles, store, summaries
from terrain.disclosure import publication, views

QUERIES_DIR = ROOT / "queries"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_HEADER = re.compile(r"^--\s*(name|params|level|grain|counts|lines|rates|locations|combine|monthly|published|audience):\s*(.*?)\s*$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.DOTALL)
_RATE = re.compile(r"([a-z_][a-z0-9_]*)\s*=\s*([a-z_][a-z0-9_]*)\s*/\s*([a-z_][a-z0-9_]*)")
COMBINATIONS = ("sum", "min", "max")
_COMBINE = re.compile(r"([a-z_][a-z0-9_]*)\s*=\s*(" + "|".join(COMBINATIONS) + ")")


class QueryError(Exception):
    """A query file is malformed or was called with the wrong parameters."""


class AccessDenied(PermissionError):
    """The role may not run this query (too fine a grain or geography, exact locations)."""


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
    if query.audience_column and query.audience_column not in _probe(query).columns:
        raise QueryError(f"queries/{name}.sql: audience: {query.audience_column!r} is not a column of its rows.")
    if query.monthly:
        if query.monthly == name:
            raise QueryError(f"queries/{name}.sql: a query cannot be its own monthly companion.")
        companion = load(query.monthly)
        if companion.grain != "month" or companion.params != query.params or query.grain != "none":
            raise QueryError(f"queries/{name}.sql: its monthly companion {query.monthly!r} must be a month-grain "
                             "query with the same parameters, for a whole-period query.")
    return query


def _reachable(query: Query, role: str) -> bool:
    # Rows with exact locations are coarsened to areas (communes, départements) for roles that
    # may not see points, so such a query is at area level for them.
    coarsened = query.exact_locations and not roles.can(role, "see_exact_locations")
    return roles.allows_level(role, query.level) or coarsened


def _hides(query: Query) -> bool:
    return bool(query.counts or query.rates)


def combined_by_month(query: Query) -> bool:
    """Whether some role gets this whole-period query as the combination of its months."""
    return query.grain == "none" and {"start", "end"} <= query.params and _hides(query) and any(
        roles.finest_grain(role) == "month" and _reachable(query, role) for role in roles.ROLES)


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


def _probe(query: Query) -> pd.DataFrame:
    """The query's rows on an empty database: its columns and their types."""
    cursor = definitions.ensure(_empty_database().cursor())
    try:
        return cursor.execute(query.sql, {p: _PROBE_PARAMS[p] for p in query.params}).df()
    finally:
        cursor.close()


def _is_number(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)


def check_combinations(query: Query) -> None:
    """Every number in the query's rows must say how months add up: a count, a rate, or a
    column declared in `combine:`. Raises QueryError otherwise."""
    unknown = sorted(query.params - _PROBE_PARAMS.keys())
    if unknown:
        raise QueryError(f"queries/{query.name}.sql: the door does not know the type of {unknown} "
                         "(add them to queries._PROBE_PARAMS).")
    combined = dict(query.combine)
    rate_parts = {part for rate in query.rates for part in (rate.numerator, rate.denominator)}
    if query.exact_locations:
        # Rows coarsened to areas keep the counts, the rates and the rates' denominators only.
        columns, undeclared = {*query.counts, *rate_parts, *(r.column for r in query.rates)}, set()
    else:
        rows = _probe(query)
        columns = set(rows.columns)
        undeclared = {c for c in rows.columns if _is_number(rows[c])} - {*query.counts, *(r.column for r in query.rates)}
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
    columns = list(_probe(query).columns)
    given = {"period", "city", *views.provided(query.published), *(r.column for r in query.rates), *views.CALENDAR}
    missing = [c for c in columns if c not in given]
    unpublished = [c for c in query.counts if c not in views.provided(query.published)]
    if missing or unpublished:
        raise QueryError(f"queries/{query.name}.sql: published: the published sets give no {missing + unpublished}.")


def names() -> list[str]:
    return sorted(p.stem for p in QUERIES_DIR.glob("*.sql"))


def check_params(query: Query, params: Mapping[str, Any]) -> None:
    given = set(params)
    missing, extra = sorted(query.params - given), sorted(given - query.params)
    if missing or extra:
        raise QueryError(
            f"Query {query.name!r} takes parameters {sorted(query.params)}; "
            f"missing: {missing or 'none'}, unexpected: {extra or 'none'}.")


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _as_date(value: Any, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise QueryError(f"${name} must be a date, not {value!r}.") from None


def constrain(query: Query, params: Mapping[str, Any], role: str) -> dict[str, Any]:
    """Apply the role's rules to a query call: refuse it, or coarsen its parameters.

    A role that sees months only gets whole months: periods a day apart would otherwise
    differ by one day's count, which is exactly what suppression hides.
    """
    if not _reachable(query, role):
        raise AccessDenied(f"The {role} role sees no figures per {query.level} ({query.name}).")
    if query.grain in roles.GRAINS and not roles.allows_grain(role, query.grain):
        raise AccessDenied(f"The {role} role sees no figures per {query.grain} ({query.name}).")
    params = dict(params)
    if "grain" in params and not roles.allows_grain(role, params["grain"]):
        params["grain"] = roles.finest_grain(role)
    if not roles.can(role, "see_site_detail") and "sites" in params:
        params["sites"] = []
    if roles.finest_grain(role) == "month":
        if "start" in params:
            params["start"] = _month_start(_as_date(params["start"], "start"))
        if "end" in params:
            params["end"] = _month_end(_as_date(params["end"], "end"))
    return params


def execute(con: duckdb.DuckDBPyConnection, query: Query, params: Mapping[str, Any]) -> pd.DataFrame:
    """Run a query as written, fetching the whole (aggregated) result."""
    definitions.ensure(con)
    return con.execute(query.sql, dict(params)).df()


def read_rows(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A query's rows as they are, no count hidden: the entrance for code that must decide on
    the rows (the alert rules, the import checks, the data's own metadata), never for a page
    or an output. What it returns reaches a viewer only through terrain/disclosure: the alert
    evidence of internal drafts through `alerts.for_audience`, anything that leaves the
    programme through the published sets (`read_published`)."""
    return run(con, name, params, role=_ROWS_READER)


def read_published(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """A query over the published sets (terrain/disclosure/publication.py), whose cells are
    already suppressed for their audience: what public briefs and packs read."""
    if not name.startswith("published_"):
        raise QueryError(f"{name!r} does not read the published sets; read_published only runs published_* queries.")
    return run(con, name, params, role=_ROWS_READER)


# Who reads the rows as they are (read_rows, read_published): the programme's own role.
_ROWS_READER = "programme_manager"


def run(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None, *,
        role: str, audience: str = "internal") -> pd.DataFrame:
    """Run the named query for a role and return what that role may see.

    For roles whose counts are suppressed, a city-level query runs over every city and is
    filtered afterwards, so which cells are hidden never depends on the city filter (two
    filters cannot be differenced to recover a hidden cell). For roles that see months only,
    a query with a period runs month by month and the months are put together (see the
    module docstring), so which cells are hidden never depends on the period either.
    """
    query = load(name)
    params = dict(params or {})
    check_params(query, params)
    effective = constrain(query, params, role)
    k = disclosure.threshold(role, audience)
    cities = None
    if k > 1 and query.level == "city" and _hides(query) and effective.get("cities"):
        cities, effective["cities"] = list(effective["cities"]), []
    reader = published_reader(role, audience)
    if reader is not None and _hides(query):
        if not query.published:
            raise AccessDenied(f"The {reader} audience sees the published figures only, which do not answer {name}.")
        k = publication.threshold(reader)
        effective = _within_published(con, effective, reader)
        frame = _from_published(con, query, effective, reader, k)
    else:
        if reader is not None:
            effective = _ended_with_published(con, effective, reader)
        months = _months(query, effective, role)
        if not months:
            frame = _as_seen(query, execute(con, query, effective), role, k)
        elif query.grain != "none":
            lines = _lines_within_a_month(query)
            whole = execute(con, query, effective)
            if "period" in whole.columns and not _coarsened(query, role):
                frame = _months_as_seen(query, whole, role, k, lines, len(months))
            else:
                frame = _side_by_side([_as_seen(query, month, role, k, lines)
                                       for month in _monthly_rows(con, query, effective, months, whole)])
        elif query.monthly and _coarsened(query, role):
            whole = execute(con, load(query.monthly), effective)
            frame = _combine_areas(query, whole.drop(columns="period"), _month_numbers(whole, months), k)
        else:
            rows = [execute(con, query, {**effective, "start": first, "end": last}) for first, last in months]
            if _coarsened(query, role):
                shown = [month for month in rows if not month.empty]
                stacked = pd.concat(shown, ignore_index=True) if shown else rows[0]
                numbers = np.repeat(np.arange(len(shown)), [len(month) for month in shown])
                frame = _combine_areas(query, stacked, numbers, k)
            else:
                frame = _combine(query, [_as_seen(query, month, role, k) for month in rows], k)
    if cities is not None and "city" in frame.columns:
        frame = frame[frame["city"].isin(cities)].reset_index(drop=True)
    if query.audience_column and reader is not None:
        frame = frame[(frame[query.audience_column] == "public").to_numpy(dtype=bool)].reset_index(drop=True)
    frame.attrs["provenance"] = {"query": name, "params": effective, "role": role,
                                 "audience": audience, "threshold": k}
    return frame


def published_reader(role: str, audience: str) -> str | None:
    """Whose published set answers a call: the public's for anything marked public, the
    donors' for donors; None for the programme's own staff, who read the rows."""
    if audience == "public":
        return "public"
    return "donor" if role == "donor" else None


@functools.cache
def _probe_columns(name: str) -> pd.DataFrame:
    """The query's columns and their types, from a run on an empty database (kept)."""
    return _probe(load(name))


def _within_published(con: duckdb.DuckDBPyConnection, params: dict[str, Any], reader: str) -> dict[str, Any]:
    """The period as the published set covers it: it ends with the last published month (the
    month in progress is never published), so that captions, comparisons and downloads say
    which whole months a figure holds."""
    if "end" not in params:
        return params
    span = execute(con, load("published_months"), {"audience": reader})
    if span.empty or pd.isna(span["last_month"].iloc[0]):
        return params
    last = _month_end(_as_date(span["last_month"].iloc[0], "last_month"))
    if params.get("start") is not None and _as_date(params["start"], "start") > last:
        return params
    return {**params, "end": min(_as_date(params["end"], "end"), last)}


def _ended_with_published(con: duckdb.DuckDBPyConnection, params: dict[str, Any], reader: str) -> dict[str, Any]:
    """Nights and weather, which the published readers read as they are (they count no one),
    stop where their published set stops too: a month that waits for its approval shows them
    nothing of the programme's (terrain/approvals.py); a period wholly after it is empty. A
    query counted up to a day (`until`, the winter seasons) stops there as well."""
    if "end" not in params and "until" not in params:
        return params
    span = execute(con, load("published_months"), {"audience": reader})
    start = _as_date(params["start"], "start") if params.get("start") is not None else None
    if span.empty or pd.isna(span["last_month"].iloc[0]):
        last = (start or dt.date.min + dt.timedelta(days=1)) - dt.timedelta(days=1)
    else:
        last = _month_end(_as_date(span["last_month"].iloc[0], "last_month"))
    if "until" in params:   # a query counted up to a day (the winter seasons): that day at the latest
        until = params["until"]
        return {**params, "until": last if until is None else min(_as_date(until, "until"), last)}
    return {**params, "end": min(_as_date(params["end"], "end"), last)}


def _published_months(con: duckdb.DuckDBPyConnection, query: Query, params: Mapping[str, Any],
                      reader: str, columns: pd.Index) -> pd.DataFrame:
    """The query's rows per month and city, read from the reader's published set, with its
    rates and calendar columns (of `columns`) worked out."""
    cells = execute(con, load("published_cells_by_city_month"), {
        "audience": reader, "measures": views.measures(query.published), "start": params["start"],
        "end": params["end"], "cities": list(params.get("cities") or [])})
    rows = views.month_rows(cells, query.published)
    for rate in query.rates:
        numerator = pd.array(rows[rate.numerator], dtype="Float64")
        denominator = pd.array(rows[rate.denominator], dtype="Float64")
        values = numerator / denominator
        values[np.asarray((denominator == 0).fillna(True), dtype=bool)] = pd.NA
        rows[rate.column] = values
    for column, of_month in views.CALENDAR.items():
        if column in columns:
            if column in views.ONLY_MONTHS:
                keep = np.array([month.month in views.ONLY_MONTHS[column] for month in rows["period"]], dtype=bool)
                rows = rows.loc[keep].reset_index(drop=True)
            rows[column] = pd.array([of_month(month) for month in rows["period"]], dtype="Int64")
    return rows


def _by_month(query: Query, rows: pd.DataFrame, k: int, keys: list[str]) -> pd.DataFrame | None:
    """Monthly rows put together over the period (`_combine`); None when there are none."""
    if rows.empty:
        return None
    counts = [c for c in query.counts if c in rows.columns]
    # _combine adds up the months of each key over all its rows at once: one part holding
    # every month gives what one part per month gives, without a loop over the months.
    months = rows.drop(columns="period").reset_index(drop=True)
    months.attrs["suppression"] = {"k": k, "counts": counts,
                                   "suppressed": {c: int(months[c].isna().sum()) for c in counts}}
    return _combine(query, [months], k, keys=keys)


def _from_published(con: duckdb.DuckDBPyConnection, query: Query, params: Mapping[str, Any],
                    reader: str, k: int) -> pd.DataFrame:
    """The query's rows read from the reader's published set (terrain/disclosure/views.py):
    per month and city, then put together as for any query (`_combine` for a whole period).
    The month in progress is not in the published sets, so it is never shown."""
    if query.exact_locations:
        return _published_areas(con, query, params, reader, k)
    probe = _probe_columns(query.name)
    rows = _published_months(con, query, params, reader, probe.columns)
    counts = [c for c in query.counts if c in rows.columns]
    order = [c for c in probe.columns if c not in (*counts, *(r.column for r in query.rates))
             and not _is_number(probe[c]) and c in rows.columns]
    flags: dict[str, str] = {}
    if query.grain == "none":
        combined = _by_month(query, rows, k, [c for c in order if c != "period"])
        rows = probe.iloc[0:0].copy() if combined is None else combined
        for c, partial in (rows.attrs.get("suppression") or {}).get("partial_rows", {}).items():
            flags[c] = f"__partial_{c}"
            rows[flags[c]] = partial   # travels with its row through the sort
        for c, marks in (rows.attrs.get("suppression") or {}).get("hidden_marks", {}).items():
            rows[views.mark_column(c)] = marks
    order = sorted(order, key=lambda c: c != "period")   # months in order, as for any month series
    rows = rows.sort_values(order, kind="stable").reset_index(drop=True) if len(rows) else rows
    partial_rows = {c: [bool(v) for v in rows.pop(flags[c])] if c in flags else [False] * len(rows) for c in counts}
    hidden_marks = {c: [m if isinstance(m, str) else None for m in rows[views.mark_column(c)]]
                    if views.mark_column(c) in rows.columns else [None] * len(rows) for c in counts}
    frame = pd.DataFrame({c: rows[c] if c in rows.columns else probe[c] for c in probe.columns})
    for c in probe.columns:
        if c in counts:
            frame[c] = pd.array(frame[c], dtype="Int64")
        elif c == "period":
            frame[c] = pd.to_datetime(frame[c]).astype(probe[c].dtype)
        elif pd.api.types.is_string_dtype(probe[c]):
            frame[c] = frame[c].astype(probe[c].dtype)
    attrs = rows.attrs.get("suppression") or {}
    frame.attrs = {"suppression": {"k": k, "counts": counts, "published": reader,
                                   "suppressed": {c: int(frame[c].isna().sum()) for c in counts},
                                   "partial": attrs.get("partial", {c: 0 for c in counts}),
                                   "partial_rows": partial_rows, "hidden_marks": hidden_marks, "derivable": {}}}
    return frame


def _published_areas(con: duckdb.DuckDBPyConnection, query: Query, params: Mapping[str, Any],
                     reader: str, k: int) -> pd.DataFrame:
    """A map's areas for an audience that sees no point: each city's published figures over
    the period, drawn on the area that holds its sites (disclosure.area_of_sites: its commune,
    or its département where the commune holds a single camp, squat or small shelter; the
    département where its sites fall in several areas). An area shown as its département
    names nothing finer: no city, no count or kind of site."""
    rows = _published_months(con, query, {**params, "cities": []}, reader, pd.Index([]))
    combined = _by_month(query, rows, k, ["city"])
    everything = execute(con, load("sites_with_areas"), {})
    city_areas = disclosure.city_areas(everything, _months_between(params["start"], params["end"]))
    opened, closed = pd.to_datetime(everything["opened"]), pd.to_datetime(everything["closed"])
    sites = everything[((opened <= pd.Timestamp(params["end"]))
                        & (closed.isna() | (closed >= pd.Timestamp(params["start"])))).to_numpy()]
    sum_columns, ratios = _area_measures(query)
    areas = []
    if combined is None:
        # No city did anything in the period's published months (zeros), or the period lies
        # after the last published month (the month in progress): nothing is published yet.
        span = execute(con, load("published_months"), {"audience": reader})
        last = span["last_month"].iloc[0] if len(span) else None
        if last is None or pd.isna(last) or pd.Timestamp(params["start"]) > pd.Timestamp(last):
            city_areas = {}
        else:
            combined = pd.DataFrame({"city": pd.Series(dtype="str"), **{c: pd.Series(dtype="Int64") for c in query.counts}})
    for city, (code, kind, departement) in city_areas.items():
        one_area = kind == "commune"
        held = sites[sites["city"] == city]
        figures = combined[combined["city"] == city] if combined is not None else combined
        areas.append({
            "city": city, "area_code": code, "area_kind": kind, "departement": departement,
            "cities": (city,) if one_area else (),
            "site_count": len(held) if one_area else pd.NA,
            "site_types": ",".join(sorted(set(map(str, held["site_type"])))) if one_area else "",
            # a city with no row in a period of published months did nothing: zeros
            **{c: (figures[c].iloc[0] if figures is not None and len(figures) else 0 if combined is not None else pd.NA)
               for c in [*sum_columns, *ratios]},
        })
    frame = pd.DataFrame(areas, columns=["area_code", "area_kind", "departement", "cities", "site_count", "site_types",
                                         *sum_columns, *ratios])
    # Two cities in one area: their figures add up, hidden if either is.
    frame = (frame.groupby(["area_code", "area_kind", "departement"], sort=True, as_index=False)
             .agg({"cities": lambda c: tuple(sorted(x for t in c for x in t)),
                   "site_count": lambda n: pd.NA if n.isna().any() else int(n.sum()),
                   "site_types": lambda t: ",".join(sorted({x for s in t for x in s.split(",") if x})),
                   **{c: (lambda v: pd.NA if v.isna().any() else int(v.sum())) for c in sum_columns},
                   **{c: "first" for c in ratios}}))
    for column in sum_columns:
        frame[column] = pd.array(frame[column], dtype="Int64")
    frame["site_count"] = pd.array(frame["site_count"], dtype="Int64")
    for name, (numerator, denominator) in ratios.items():
        # an area of one city keeps the city's rate (_combine hides it where a month is hidden)
        values = pd.array(frame[numerator], dtype="Float64") / pd.array(frame[denominator], dtype="Float64")
        values[np.asarray((pd.array(frame[denominator], dtype="Float64") == 0).fillna(True), dtype=bool)] = pd.NA
        own = pd.array(frame[name], dtype="Float64")
        frame[name] = pd.array(np.where(frame["cities"].map(len).to_numpy() <= 1, own, values), dtype="Float64")
    frame = frame.astype({"area_code": "string", "area_kind": "string", "departement": "string", "site_types": "string"})
    counts = list(query.counts)
    # How a hidden figure reads: a city's own mark where the area is one city's, else neutral.
    city_marks = {}
    if combined is not None and "city" in combined.columns:
        for c, marks in (combined.attrs.get("suppression") or {}).get("hidden_marks", {}).items():
            city_marks[c] = dict(zip(combined["city"], marks))
    cities_of: dict[str, list[str]] = {}
    for row in areas:
        cities_of.setdefault(row["area_code"], []).append(row["city"])
    hidden_marks = {c: [None if pd.notna(value) else (city_marks.get(c, {}).get(cities_of[code][0]) or "protect")
                        if len(cities_of.get(code, [])) == 1 else "protect"
                        for code, value in zip(frame["area_code"], frame[c])] for c in counts if c in frame.columns}
    frame.attrs = {"suppression": {"k": k, "counts": counts, "published": reader,
                                   "suppressed": {c: int(frame[c].isna().sum()) for c in counts},
                                   "partial": {c: 0 for c in counts}, "hidden_marks": hidden_marks, "derivable": {}},
                   # which area a city's view shows, though a département names no city
                   "areas_of_cities": {row["city"]: (row["area_code"],) for row in areas}}
    return frame


def _months_between(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    months, first = [], _month_start(start)
    while first <= end:
        months.append((first, _month_end(first)))
        first = _month_end(first) + dt.timedelta(days=1)
    return months


def _months(query: Query, params: Mapping[str, Any], role: str) -> list[tuple[dt.date, dt.date]]:
    """The months a query is run for, one by one; none when it is run once for the period.
    A query that counts no one (weather, nights) hides nothing, so it runs once."""
    if roles.finest_grain(role) != "month" or not {"start", "end"} <= query.params or not _hides(query):
        return []
    return _months_between(params["start"], params["end"])


def _monthly_rows(con: duckdb.DuckDBPyConnection, query: Query, params: Mapping[str, Any],
                  months: list[tuple[dt.date, dt.date]], whole: pd.DataFrame | None = None) -> list[pd.DataFrame]:
    """Each month's rows of a month-grain query, as if it had been run for that month alone.

    A month-grain query groups its rows by `period`, the month they fall in, so its run over
    the whole period holds each month's run: it is run once and split (one scan instead of
    one per month). A query without a `period` column is run month by month.
    tests/test_queries.py checks, for every such query, that the split equals the runs.
    """
    whole = execute(con, query, params) if whole is None else whole
    if "period" not in whole.columns:
        return [execute(con, query, {**params, "start": first, "end": last}) for first, last in months]
    period = pd.to_datetime(whole["period"]).dt.date
    return [whole[(period == first).to_numpy()].reset_index(drop=True) for first, _ in months]


def _months_as_seen(query: Query, whole: pd.DataFrame, role: str, k: int,
                    lines: tuple[tuple[str, ...], ...], month_count: int) -> pd.DataFrame:
    """A month series (rows grouped by `period`) as the role sees it, each month suppressed as
    if it had been run alone, rows in month order.

    A month where no count is small hides nothing, whatever its lines (partners only protect
    a small cell), so all such months are suppressed together, cell by cell; each month with a
    small count is suppressed alone with its lines. The same cells are hidden as by one run per
    month, for a fraction of the work: most months of a long series have no small count, and
    months with no row cost nothing.
    """
    period = pd.to_datetime(whole["period"]).to_numpy()
    order = np.argsort(period, kind="stable")
    whole, period = whole.take(order).reset_index(drop=True), period[order]
    counts = [c for c in query.counts if c in whole.columns]
    values = whole[counts].to_numpy(dtype="float64", na_value=np.nan)
    small = ((values >= 1) & (values < k)).any(axis=1) if k > 1 else np.zeros(len(whole), dtype=bool)
    alone = np.isin(period, np.unique(period[small]))
    pieces = [(np.flatnonzero(~alone), ())] + [(np.flatnonzero(period == month), lines)
                                               for month in np.unique(period[alone])]
    parts, positions = [], []
    for rows, month_lines in pieces:
        if len(rows) or not positions:
            parts.append(_as_seen(query, whole.iloc[rows].reset_index(drop=True), role, k, month_lines))
            positions.append(rows)
    shown = [part for part in parts if not part.empty] or parts[:1]
    frame = pd.concat(shown, ignore_index=True)
    at = np.concatenate([rows for rows, part in zip(positions, parts) if not part.empty] or [np.arange(0)])
    frame = frame.iloc[np.argsort(at, kind="stable")].reset_index(drop=True) if len(at) == len(frame) else frame
    frame.attrs = {}
    if (suppression := _suppression_of(parts)) is not None:
        frame.attrs["suppression"] = {**suppression, "months": month_count}
    return frame


def _month_numbers(whole: pd.DataFrame, months: list[tuple[dt.date, dt.date]]) -> np.ndarray:
    """For each row of a month-grain result, the rank of its month among the months that have
    rows (0, 1, …, in month order)."""
    firsts = np.array([np.datetime64(first, "D") for first, _ in months])
    periods = pd.to_datetime(whole["period"]).to_numpy().astype("datetime64[D]")
    if not np.isin(periods, firsts).all():
        raise QueryError("A monthly companion's `period` must be the first day of a month of the period asked.")
    return np.unique(np.searchsorted(firsts, periods), return_inverse=True)[1].reshape(-1)


def _coarsened(query: Query, role: str) -> bool:
    return query.exact_locations and not roles.can(role, "see_exact_locations")


def _area_measures(query: Query) -> tuple[list[str], dict[str, tuple[str, str]]]:
    """What areas keep of site rows: every count and every rate's denominator summed, and
    the rates recomputed from the sums."""
    denominators = [r.denominator for r in query.rates if r.denominator not in query.counts]
    return ([*query.counts, *dict.fromkeys(denominators)],
            {r.column: (r.numerator, r.denominator) for r in query.rates})


def _lines_within_a_month(query: Query) -> tuple[tuple[str, ...], ...]:
    """The lines of a time series that still mean something in a one-month run.

    A line that does not name the period ("city" in rows per period and city) declares a
    total over the periods. Month by month there is one period, so such a line would declare
    each cell its own published total, and hide every neighbour of a hidden cell in turn. No
    such total reaches a role that sees months other than as a sum of visible monthly cells,
    so these lines are left out; lines within the period and the whole table's ("*") stay.
    """
    return tuple(line for line in query.lines if not line or "period" in line)


def _as_seen(query: Query, frame: pd.DataFrame, role: str, k: int,
             lines: tuple[tuple[str, ...], ...] | None = None) -> pd.DataFrame:
    """One run's rows as the role may see them: coarsened to areas, small counts hidden."""
    lines = query.lines if lines is None else lines
    if _coarsened(query, role):
        sum_columns, ratios = _area_measures(query)
        frame = disclosure.coarsen_sites(frame, exact=False, sum_columns=sum_columns, ratios=ratios)
    if k > 1:
        counts = [c for c in query.counts if c in frame.columns]
        frame = disclosure.suppress_counts(frame, counts, k, [line for line in lines
                                                             if set(line) <= set(frame.columns)])
        for rate in query.rates:
            if rate.column in frame.columns:
                frame = disclosure.suppress_rates(frame, rate.column, rate.denominator, k,
                                                  numerator=rate.numerator)
    return frame


# --- months put together --------------------------------------------------------------------

def _suppression_of(parts: list[pd.DataFrame]) -> dict | None:
    """The months' suppression records added up (what was hidden, in how many months)."""
    records = [p.attrs["suppression"] for p in parts if "suppression" in p.attrs]
    if not records:
        return None
    added = {"k": records[0]["k"], "counts": records[0]["counts"], "months": len(parts)}
    for key in ("suppressed", "derivable"):
        added[key] = {c: sum(r.get(key, {}).get(c, 0) for r in records) for c in added["counts"]}
    return added


def _side_by_side(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Month-grain results: each month's rows as its own run gave them, in month order."""
    shown = [p for p in parts if not p.empty] or parts[:1]
    frame = pd.concat(shown, ignore_index=True)
    frame.attrs = {}
    if (suppression := _suppression_of(parts)) is not None:
        frame.attrs["suppression"] = suppression
    return frame


def _combine(query: Query, parts: list[pd.DataFrame], k: int, keys: list[str] | None = None) -> pd.DataFrame:
    """A whole-period result from its months (each already as the role sees it).

    Rows are grouped by `keys` (by default the columns that are not numbers). A count is the
    sum of its visible monthly cells; it is hidden when no month shows it, or when the shown
    ones add up to 0 beside a hidden one (a false 0). Declared columns are combined as the
    header says; rates are recomputed from their combined parts, and hidden when a part left
    out a hidden month (the rate would be wrong) or by the usual rule (disclosure.suppress_rates).
    `attrs["suppression"]["partial"]` counts, per count column, the figures that leave out a
    hidden month.
    """
    data = pd.concat([p for p in parts if not p.empty] or parts[:1], ignore_index=True)
    counts = [c for c in query.counts if c in data.columns]
    combined = {c: how for c, how in query.combine if c in data.columns}
    rates = [r for r in query.rates if r.column in data.columns]
    marked = [c for c in data.columns if c.startswith(views.MARK_PREFIX)]
    if keys is None:
        keys = [c for c in data.columns if c not in {*counts, *combined, *(r.column for r in rates), *marked}]
        undeclared = [c for c in keys if _is_number(data[c])]
        if undeclared:
            raise QueryError(f"queries/{query.name}.sql: no combination declared for {undeclared}.")
    # One group per key; a query without keys (one row per run) is one group.
    by = [data[c] for c in keys] if keys else [pd.Series(0, index=data.index)]

    def grouped(column: pd.Series):
        return column.groupby(by, sort=False, dropna=False)

    sizes = grouped(pd.Series(1, index=data.index)).size()
    result = sizes.index.to_frame(index=False) if keys else pd.DataFrame(index=range(len(sizes)))
    if keys:
        result.columns = keys
        for c in keys:
            result[c] = result[c].astype(data[c].dtype)
    partial, marks = {}, {}
    for c in counts:
        hidden = grouped(data[c].isna()).any().to_numpy()
        shown = grouped(data[c].notna()).any().to_numpy()
        total = grouped(data[c].fillna(0).astype("int64")).sum().to_numpy()
        result[c] = pd.array(total, dtype="Int64")
        result.loc[~shown | (hidden & (total == 0)), c] = pd.NA
        partial[c] = hidden
        if views.mark_column(c) in data.columns:
            # A hidden figure reads "small" only when it is one small month and zeros.
            n_hidden = grouped(data[c].isna()).sum().to_numpy()
            n_small = grouped(data[views.mark_column(c)] == "small").sum().to_numpy()
            small = (n_hidden == 1) & (n_small == 1) & (total == 0)
            marks[c] = [None if pd.notna(v) else ("small" if is_small else "protect")
                        for v, is_small in zip(result[c], small)]
    for c, how in combined.items():
        values = grouped(data[c])
        result[c] = (values.sum(min_count=1) if how == "sum" else getattr(values, how)()).to_numpy()
        partial[c] = grouped(data[c].isna()).any().to_numpy()
    for rate in rates:
        numerator = pd.array(result[rate.numerator], dtype="Float64")
        denominator = pd.array(result[rate.denominator], dtype="Float64")
        values = numerator / denominator
        values[np.asarray((denominator == 0).fillna(True), dtype=bool)
               | partial[rate.numerator] | partial[rate.denominator]] = pd.NA
        result[rate.column] = values
        result = disclosure.suppress_rates(result, rate.column, rate.denominator, k, numerator=rate.numerator)
    result = result[[c for c in data.columns if c not in marked]]
    result.attrs = {}
    if (suppression := _suppression_of(parts)) is not None:
        if marks:
            suppression["hidden_marks"] = marks
        suppression["suppressed"] = {c: int(result[c].isna().sum()) for c in counts}
        suppression["partial"] = {c: int((partial[c] & result[c].notna().to_numpy()).sum()) for c in counts}
        # which shown figures leave out a hidden month (a lower bound of the true figure)
        suppression["partial_rows"] = {c: (partial[c] & result[c].notna().to_numpy()).tolist() for c in counts}
        result.attrs["suppression"] = suppression
    return result


def _combine_areas(query: Query, rows: pd.DataFrame, month: np.ndarray, k: int) -> pd.DataFrame:
    """A whole-period map of areas (as disclosure.coarsen_sites draws them) from its months'
    site rows (`rows`, every month's, with `month` the rank of each row's month).

    Each month's sites are put in that month's areas (disclosure.area_of_sites: which sites
    are open changes which communes hold a single sensitive site), summed and suppressed
    alone. Then a commune shown as its département in any month is shown so for the whole
    period, so that one place is not drawn twice, and the months are added up as `_combine`
    does. Each area lists every city, site type and site it held in the period.
    """
    measures = [*query.counts, *(c for c, _ in query.combine)]
    if rows.empty:
        sum_columns, ratios = _area_measures(query)
        return disclosure.coarsen_sites(rows, exact=False, sum_columns=sum_columns, ratios=ratios)
    order = np.argsort(month, kind="stable")
    held = rows[["site_id", "city", "site_type", "commune_code", "departement", *measures]].take(order)
    held = held.reset_index(drop=True)
    month = month[order]
    starts = np.flatnonzero(np.r_[True, month[1:] != month[:-1]])
    ends = np.r_[starts[1:], len(month)]
    site_ids = held["site_id"].to_numpy(dtype=object)
    areas_by_sites: dict[tuple, np.ndarray] = {}  # the areas of a set of sites, worked out once
    areas = []
    for lo, hi in zip(starts, ends):
        sites = tuple(site_ids[lo:hi])
        if sites not in areas_by_sites:
            one_month = rows.take(order[lo:hi])
            areas_by_sites[sites] = disclosure.area_of_sites(one_month).to_numpy(dtype=object)
        areas.append(areas_by_sites[sites])
    # Each month's cells, worked out in one grouping of all months.
    held["area"] = np.concatenate(areas)
    held["month"] = month
    grouped = held.groupby(["month", "area"], sort=True)
    sums, first = grouped[measures].sum(), grouped[["commune_code", "departement"]].first()
    codes = sums.index.get_level_values("area").to_numpy(dtype=object)
    cells = pd.DataFrame({
        "area_code": pd.array(codes, dtype="string"),
        "area_kind": np.where(codes == first["commune_code"].astype(str).to_numpy(dtype=object), "commune", "departement"),
        "departement": first["departement"].astype("string").to_numpy(),
        **{c: sums[c].to_numpy() for c in measures},
    })
    for rate in query.rates:  # recomputed from the period's sums by _combine
        cells[rate.column] = pd.array([pd.NA] * len(cells), dtype="Float64")
    # A commune shown as its département in any month is shown so in every month, once each
    # month's cells are suppressed (in the month's own areas).
    communes = held["commune_code"].astype(str).to_numpy(dtype=object)
    in_departement = held["area"].to_numpy(dtype=object) != communes
    lifted = dict(zip(communes[in_departement],
                      held["departement"].astype(str).to_numpy(dtype=object)[in_departement]))
    held["area"] = [lifted.get(area, area) for area in held["area"]]
    moved = np.array([code in lifted for code in codes], dtype=bool)
    period_codes = pd.array([lifted.get(code, code) for code in codes], dtype="string")
    period_kinds = np.where(moved, "departement", cells["area_kind"].to_numpy(dtype=object))

    bounds = np.flatnonzero(np.diff(sums.index.get_level_values("month").to_numpy())) + 1
    lines = [line for line in query.lines if set(line) <= set(cells.columns)]
    parts = []
    for part in np.split(np.arange(len(cells)), bounds):
        one_month = cells.iloc[part].reset_index(drop=True)
        if k > 1:
            one_month = disclosure.suppress_counts(one_month, list(query.counts), k, lines)
        one_month["area_code"] = period_codes[part]
        one_month["area_kind"] = period_kinds[part]
        parts.append(one_month)
    sites = held
    frame = _combine(query, parts, k, keys=["area_code", "area_kind", "departement"])
    held_by = {area: group for area, group in sites.groupby("area")}
    areas = [held_by[area] for area in frame["area_code"]]
    frame["cities"] = pd.Series([tuple(sorted(set(map(str, a["city"])))) for a in areas], dtype=object)
    frame["site_count"] = pd.Series([a["site_id"].nunique() for a in areas], dtype="int64")
    frame["site_types"] = pd.Series([",".join(sorted(set(map(str, a["site_type"])))) for a in areas], dtype="string")
    sum_columns, ratios = _area_measures(query)
    columns = ["area_code", "area_kind", "departement", "cities", "site_count", "site_types", *sum_columns, *ratios]
    attrs = frame.attrs
    frame = (frame[columns].astype({"area_code": "string", "area_kind": "string", "departement": "string"})
             .sort_values("area_code").reset_index(drop=True))
    frame.attrs = attrs
    return disclosure.naming_nothing_finer(frame)
