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

The door checks the parameters, then applies the role's rules (terrain/roles.py) and
disclosure control (terrain/disclosure.py) to the result, so a page cannot forget them.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import duckdb
import pandas as pd

from terrain import ROOT, disclosure, roles

QUERIES_DIR = ROOT / "queries"
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_HEADER = re.compile(r"^--\s*(name|params|level|grain|counts|lines|rates|locations):\s*(.*?)\s*$")
_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")
_STRING_OR_COMMENT = re.compile(r"'(?:[^']|'')*'|--[^\n]*|/\*.*?\*/", re.S)
_RATE = re.compile(r"([a-z_][a-z0-9_]*)\s*=\s*([a-z_][a-z0-9_]*)\s*/\s*([a-z_][a-z0-9_]*)")


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
    return Query(
        name=name, sql=text, params=declared, level=level, grain=grain,
        counts=tuple(_split(header.get("counts", ""))), lines=lines, rates=tuple(rates),
        exact_locations=header.get("locations", "").strip() == "exact",
        description=" ".join(description).strip())


@functools.cache
def load(name: str) -> Query:
    if not _NAME.fullmatch(name):
        raise QueryError(f"{name!r} is not a query name.")
    path = QUERIES_DIR / f"{name}.sql"
    if not path.is_file():
        raise QueryError(f"No query named {name!r} (looked for {path}).")
    return parse(name, path.read_text(encoding="utf-8"))


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


def constrain(query: Query, params: Mapping[str, Any], role: str) -> dict[str, Any]:
    """Apply the role's rules to a query call: refuse it, or coarsen its parameters.

    A role that sees months only gets whole months: periods a day apart would otherwise
    differ by one day's count, which is exactly what suppression hides.
    """
    # Rows with exact locations are coarsened to areas (communes, départements) for roles that
    # may not see points, so such a query is at area level for them.
    coarsened = query.exact_locations and not roles.can(role, "see_exact_locations")
    if not roles.allows_level(role, query.level) and not coarsened:
        raise AccessDenied(f"The {role} role sees no figures per {query.level} ({query.name}).")
    if query.grain in roles.GRAINS and not roles.allows_grain(role, query.grain):
        raise AccessDenied(f"The {role} role sees no figures per {query.grain} ({query.name}).")
    params = dict(params)
    if "grain" in params and not roles.allows_grain(role, params["grain"]):
        params["grain"] = roles.finest_grain(role)
    if not roles.can(role, "see_site_detail") and "sites" in params:
        params["sites"] = []
    if roles.finest_grain(role) == "month":
        if isinstance(params.get("start"), dt.date):
            params["start"] = _month_start(params["start"])
        if isinstance(params.get("end"), dt.date):
            params["end"] = _month_end(params["end"])
    return params


def execute(con: duckdb.DuckDBPyConnection, query: Query, params: Mapping[str, Any]) -> pd.DataFrame:
    """Run a query as written, fetching the whole (aggregated) result."""
    return con.execute(query.sql, dict(params)).df()


def run(con: duckdb.DuckDBPyConnection, name: str, params: Mapping[str, Any] | None = None, *,
        role: str, audience: str = "internal") -> pd.DataFrame:
    """Run the named query for a role and return what that role may see.

    For roles whose counts are suppressed, a city-level query runs over every city and is
    filtered afterwards, so which cells are hidden never depends on the city filter (two
    filters cannot be differenced to recover a hidden cell).
    """
    query = load(name)
    params = dict(params or {})
    check_params(query, params)
    effective = constrain(query, params, role)
    k = roles.threshold(role, audience)
    cities = None
    if k > 1 and query.level == "city" and effective.get("cities"):
        cities, effective["cities"] = list(effective["cities"]), []
    frame = execute(con, query, effective)

    if query.exact_locations and not roles.can(role, "see_exact_locations"):
        # Areas keep every count and every rate's denominator summed, and rates recomputed
        # from the sums.
        denominators = [r.denominator for r in query.rates if r.denominator not in query.counts]
        frame = disclosure.coarsen_sites(
            frame, exact=False, sum_columns=[*query.counts, *denominators],
            ratios={r.column: (r.numerator, r.denominator) for r in query.rates})
    if k > 1:
        counts = [c for c in query.counts if c in frame.columns]
        frame = disclosure.suppress_counts(frame, counts, k, [line for line in query.lines
                                                             if set(line) <= set(frame.columns)])
        for rate in query.rates:
            if rate.column in frame.columns:
                frame = disclosure.suppress_rates(frame, rate.column, rate.denominator, k,
                                                  numerator=rate.numerator)
    if cities is not None and "city" in frame.columns:
        frame = frame[frame["city"].isin(cities)].reset_index(drop=True)
    frame.attrs["provenance"] = {"query": name, "params": effective, "role": role,
                                 "audience": audience, "threshold": k}
    return frame
