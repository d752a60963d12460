"""The programme's vocabulary, each word defined once: the winter season, a cold night, a
minor (and an unaccompanied minor), a night at capacity and a city's night without a free bed.

Python reads the definitions here. SQL reads the same ones as macros (terrain/definitions.sql),
which `install` puts on every connection Terrain opens (`store.use` calls it), with the values
of this module and of config/definitions.toml bound as DuckDB variables: no query writes a
season's dates, a temperature or a list of age bands of its own. The Glossary page gives
each definition in words, with its source.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

import duckdb

from terrain import ROOT

CONFIG_PATH = ROOT / "config" / "definitions.toml"
MACROS_FILE = Path(__file__).with_name("definitions.sql")
# The rows many queries start from (table macros over the definitions), installed with them.
RELATIONS_FILE = Path(__file__).with_name("relations.sql")

# The winter season (trêve hivernale, plan hiver): 1 November to 31 March. A season is named
# by the year it starts: season 2023 runs from 1 November 2023 to 31 March 2024.
SEASON_FIRST_DAY = (11, 1)
SEASON_LAST_DAY = (3, 31)
# Age bands of a minor. A consultation is a minor's when its age band is one of these, or
# when the person is recorded as an unaccompanied minor (whose age may be contested or
# unknown).
MINOR_AGE_BANDS = ("0-14", "15-17")
VIGILANCE_COLOURS = ("green", "yellow", "orange", "red")


class DefinitionsError(ValueError):
    """config/definitions.toml cannot be used; the message names the key."""


@dataclass(frozen=True)
class ColdNight:
    """A cold night: a minimum at or below `tmin_at_most` °C, or a Météo-France cold
    vigilance of one of `vigilance`."""

    tmin_at_most: float
    vigilance: tuple[str, ...]

    def holds(self, tmin_c: float | None, vigilance: str | None) -> bool:
        colder = tmin_c is not None and not math.isnan(tmin_c) and tmin_c <= self.tmin_at_most
        return colder or (vigilance in self.vigilance)


@dataclass(frozen=True)
class Definitions:
    cold_night: ColdNight
    source: str = str(CONFIG_PATH)

    @property
    def mark(self) -> str:
        """Says which definitions a connection holds (terrain/definitions.sql may change too)."""
        return f"{self.source}|{sorted(self.variables.items())}|{hash(_macros())}"

    @property
    def variables(self) -> dict[str, Any]:
        """The DuckDB variables terrain/definitions.sql reads (getvariable)."""
        return {
            "terrain_season_first_month": SEASON_FIRST_DAY[0], "terrain_season_first_day": SEASON_FIRST_DAY[1],
            "terrain_season_last_month": SEASON_LAST_DAY[0], "terrain_season_last_day": SEASON_LAST_DAY[1],
            "terrain_cold_tmin_at_most": self.cold_night.tmin_at_most,
            "terrain_cold_vigilance": list(self.cold_night.vigilance),
            "terrain_minor_age_bands": list(MINOR_AGE_BANDS),
        }


# --- the season, in Python ------------------------------------------------------------------

def season_of(day: dt.date) -> int:
    """The season a day belongs to, by the year it starts; between two seasons (April to
    October), the one that has just ended."""
    return day.year if (day.month, day.day) >= SEASON_FIRST_DAY else day.year - 1


def in_season(day: dt.date) -> bool:
    return (day.month, day.day) >= SEASON_FIRST_DAY or (day.month, day.day) <= SEASON_LAST_DAY


def season_bounds(season: int) -> tuple[dt.date, dt.date]:
    """First and last day of the season that starts in `season`."""
    return dt.date(season, *SEASON_FIRST_DAY), dt.date(season + 1, *SEASON_LAST_DAY)


def season_months() -> tuple[int, ...]:
    """The calendar months the season touches, in its order (11, 12, 1, 2, 3)."""
    first, last = SEASON_FIRST_DAY[0], SEASON_LAST_DAY[0]
    return tuple(range(first, 13)) + tuple(range(1, last + 1))


# --- thresholds, from config/definitions.toml -----------------------------------------------

def parse(table: Mapping[str, Any], source: str = "definitions") -> Definitions:
    """Check a definitions table (as read from TOML): every key, nothing else."""
    unknown = sorted(set(table) - {"cold_night"})
    if unknown:
        raise DefinitionsError(f"{source}: unknown section [{unknown[0]}]; the file holds [cold_night].")
    section = table.get("cold_night")
    if not isinstance(section, Mapping):
        raise DefinitionsError(f"{source}: the section [cold_night] is missing.")
    extra = sorted(set(section) - {"tmin_at_most", "vigilance"})
    if extra:
        raise DefinitionsError(f"{source}: unknown key cold_night.{extra[0]}; [cold_night] takes tmin_at_most, vigilance.")
    for key in ("tmin_at_most", "vigilance"):
        if key not in section:
            raise DefinitionsError(f"{source}: cold_night.{key} is missing.")
    tmin = section["tmin_at_most"]
    if isinstance(tmin, bool) or not isinstance(tmin, (int, float)) or not math.isfinite(tmin) or not -40 <= tmin <= 15:
        raise DefinitionsError(f"{source}: cold_night.tmin_at_most must be a number from -40 to 15 (°C); got {tmin!r}.")
    colours = section["vigilance"]
    if not isinstance(colours, list) or not all(isinstance(c, str) for c in colours):
        raise DefinitionsError(f"{source}: cold_night.vigilance must be a list of vigilance colours, "
                               f"like [\"orange\", \"red\"]; got {colours!r}.")
    wrong = [c for c in colours if c not in VIGILANCE_COLOURS]
    if wrong:
        raise DefinitionsError(f"{source}: cold_night.vigilance: unknown colour(s) {wrong}; "
                               f"expected among {list(VIGILANCE_COLOURS)}.")
    return Definitions(ColdNight(float(tmin), tuple(colours)), source)


@functools.cache
def _loaded(path: str, modified: int) -> Definitions:
    try:
        table = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DefinitionsError(f"No definitions file at {path}.") from None
    except tomllib.TOMLDecodeError as error:
        raise DefinitionsError(f"{path}: not valid TOML ({error}).") from None
    return parse(table, path)


def load(path: Path | None = None) -> Definitions:
    """The definitions of `path` (default config/definitions.toml), read again when the file
    changes, so an edit reaches the next query without a restart."""
    path = Path(path or CONFIG_PATH)
    try:
        modified = path.stat().st_mtime_ns
    except FileNotFoundError:
        raise DefinitionsError(f"No definitions file at {path}.") from None
    return _loaded(str(path), modified)


# --- the same, in SQL -----------------------------------------------------------------------

@functools.cache
def _macros() -> tuple[str, str]:
    return MACROS_FILE.read_text(encoding="utf-8"), RELATIONS_FILE.read_text(encoding="utf-8")


def install(con: duckdb.DuckDBPyConnection, definitions: Definitions | None = None) -> duckdb.DuckDBPyConnection:
    """Put the definitions on a connection or cursor (each has its own variables and
    temporary macros): the variables from `definitions` (default: `load()`), then the macros
    (terrain/definitions.sql, then the table macros of terrain/relations.sql), then the mark
    `ensure` reads."""
    definitions = definitions or load()
    for name, value in definitions.variables.items():
        con.execute(_SET_VARIABLE[name], {"value": value})
    vocabulary, relations = _macros()
    con.execute(vocabulary)
    mark = definitions.mark
    try:
        con.execute(relations)
    except (duckdb.CatalogException, duckdb.BinderException):
        # DuckDB binds a table macro when it is created: a connection without Terrain's tables
        # (yet), or with an older layout of them (a file before its upgrade, which the store
        # refuses by its version), gets the vocabulary alone, and `ensure` puts the relations
        # on at its next call.
        mark += "|without relations"
    con.execute("SET VARIABLE terrain_definitions = $value", {"value": mark})
    return con


@functools.cache
def _uses() -> re.Pattern:
    vocabulary, relations = _macros()
    names = re.findall(r"\bMACRO\s+(\w+)", vocabulary + relations, flags=re.IGNORECASE)
    return re.compile(r"\b(?:getvariable|%s)\s*\(" % "|".join(map(re.escape, names)), re.IGNORECASE)


def needed_by(sql: str) -> bool:
    """Whether `sql` calls a macro of the definitions or reads one of their variables: a
    statement that does neither runs on a connection without them (the query door then
    skips `ensure`, some 40 ms of macros put on a new connection: an import's checks)."""
    return _uses().search(sql) is not None


def ensure(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """Install the definitions of config/definitions.toml on `con` unless they are there
    already. The query door calls it before every query, so a connection opened anywhere
    gets them, and an edit of the file reaches the next query. Definitions installed from
    elsewhere (`install(con, parse(...))`: a test, another file) are left as they are."""
    installed = con.execute("SELECT getvariable('terrain_definitions')").fetchall()[0][0]
    if installed is not None and not installed.startswith(f"{CONFIG_PATH}|"):
        return con
    definitions = load()
    return con if installed == definitions.mark else install(con, definitions)


# SET VARIABLE binds a value, not a name: one fixed statement per variable.
_SET_VARIABLE = {
    "terrain_season_first_month": "SET VARIABLE terrain_season_first_month = $value::INTEGER",
    "terrain_season_first_day": "SET VARIABLE terrain_season_first_day = $value::INTEGER",
    "terrain_season_last_month": "SET VARIABLE terrain_season_last_month = $value::INTEGER",
    "terrain_season_last_day": "SET VARIABLE terrain_season_last_day = $value::INTEGER",
    "terrain_cold_tmin_at_most": "SET VARIABLE terrain_cold_tmin_at_most = $value::DOUBLE",
    "terrain_cold_vigilance": "SET VARIABLE terrain_cold_vigilance = $value::VARCHAR[]",
    "terrain_minor_age_bands": "SET VARIABLE terrain_minor_age_bands = $value::VARCHAR[]",
}
