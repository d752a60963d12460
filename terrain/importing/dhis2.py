"""DHIS2 aggregate data (`dataValueSets`) into a Terrain table.

DHIS2 exports aggregate values one per line: data element, period, organisation unit,
category option combo, attribute option combo, value (the Web API's `dataValueSets`, as CSV
or JSON). A mapping file (TOML, examples/dhis2/mapping.toml) says, for one Terrain table:

- `table`: which one (a table of days: shelter_nights, consultations, outreach, vaccinations);
- `[org_units]`: each DHIS2 organisation unit's id → a Terrain site (`site_id`);
- `[[values]]`: each (data element, category option combo) → the column its value fills
  (`column`), with the category columns it fixes (`set = { place_type = "camp" }`); or, for a
  table of one row per event (consultations), `rows = true`: the value is a number of rows,
  each with the columns `set` gives;
- `defaults`: values of columns no data element fills (`{ turned_away_girls = 0 }`);
- `attribute_option_combo`: the one the export must carry (DHIS2's default one, unless said).

`translate` checks every value against the mapping and names, by line of the export, each one
it cannot take: a data element or combo the mapping does not know, an organisation unit it does
not know, a period that is not a day (a week `2024W05` or a month `202401` does not fit a
table of days), a value that is not a whole count (text, a decimal, a negative), the same
value twice, a row missing one of its table's columns. Nothing is translated if anything is
wrong. What it translates is the table in Terrain's own import format, which then goes
through the importer's every check, its atomic apply, its audit and its rollback
(terrain/importing/loading.py `import_dhis2`).

`export` writes the other way, from a Terrain database, for the shipped examples and tests.
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import datetime as dt
import io
import json
import re
import sys
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np

from terrain import ROOT, i18n
from terrain.importing import tables
from terrain.importing.findings import ERROR, WARNING, Finding, Label, visible

EXAMPLES = ROOT / "examples" / "dhis2"
DEFAULT_COMBO = "HllvX50cXC0"   # DHIS2's default category option combo (and attribute combo)
TABLES = ("shelter_nights", "consultations", "outreach", "vaccinations")
SITE_COLUMNS = {"shelter_nights": "site_id", "consultations": "site_id", "outreach": "team_id"}
FIELDS = ("dataElement", "period", "orgUnit", "categoryOptionCombo", "attributeOptionCombo", "value")
# DHIS2's CSV headers, lower case (dataelement, catoptcombo in older versions).
CSV_ALIASES = {"dataelement": "dataElement", "period": "period", "orgunit": "orgUnit",
               "categoryoptioncombo": "categoryOptionCombo", "catoptcombo": "categoryOptionCombo",
               "attributeoptioncombo": "attributeOptionCombo", "attroptcombo": "attributeOptionCombo",
               "value": "value", "deleted": "deleted", "storedby": "storedBy", "created": "created",
               "lastupdated": "lastUpdated", "comment": "comment", "followup": "followup"}
_DAILY = re.compile(r"(\d{4})(\d{2})(\d{2})")
_PERIOD_TYPES = ((re.compile(r"\d{4}W\d{1,2}"), "weekly"), (re.compile(r"\d{4}(Wed|Thu|Sat|Sun)W\d{1,2}"), "weekly"),
                 (re.compile(r"\d{4}BiW\d{1,2}"), "biweekly"), (re.compile(r"\d{6}"), "monthly"),
                 (re.compile(r"\d{6}B"), "bimonthly"), (re.compile(r"\d{4}Q[1-4]"), "quarterly"),
                 (re.compile(r"\d{4}S[12]"), "six_monthly"), (re.compile(r"\d{4}"), "yearly"),
                 (re.compile(r"\d{4}(April|July|Oct|Nov)"), "financial_year"))
_WHOLE = re.compile(r"\d+(\.0+)?")
_TOML_PLACE = re.compile(r"at line (?P<line>\d+), column (?P<column>\d+)")


class MappingError(Exception):
    """A mapping file Terrain cannot use: `kind` says why (dhis2.mapping.<kind>, naming the
    key), `source` which file; str() is the English text, `text(lang)` any language's."""

    def __init__(self, source: str, kind: str, **params: Any):
        # one line whatever the file holds: a line break or a tab in a name is written as its
        # code, as the import reports write it (findings.visible)
        self.source, self.kind = visible(source), kind
        self.params = {key: visible(value) if isinstance(value, str) else value for key, value in params.items()}
        super().__init__(self.text("en"))

    def text(self, lang: str) -> str:
        return i18n.t("dhis2.cli.mapping_in", lang, source=self.source,
                      problem=i18n.t(f"dhis2.mapping.{self.kind}", lang, **self.params))


class Unreadable(Exception):
    """Not a dataValueSets export (CSV or JSON): `kind` says why (dhis2.problem.<kind>), with
    its `params`."""

    def __init__(self, kind: str, **params: Any):
        super().__init__(kind)
        self.kind, self.params = kind, params


@dataclass(frozen=True)
class Entry:
    data_element: str
    combo: str
    column: str | None            # the column the value fills; None when it counts rows
    sets: tuple[tuple[str, Any], ...] = ()
    name: str = ""                # the data element's name, for messages


@dataclass(frozen=True)
class MappingFile:
    table: str
    org_units: Mapping[str, str]
    entries: Mapping[tuple[str, str], Entry]
    defaults: Mapping[str, Any]
    attribute_option_combo: str = DEFAULT_COMBO

    @property
    def counts_rows(self) -> bool:
        return any(e.column is None for e in self.entries.values())

    @property
    def site_column(self) -> str:
        return SITE_COLUMNS.get(self.table, "site_id")

    @property
    def day_column(self) -> str:
        return tables.ACTIVITY_DATES[self.table]


def parse_mapping(table: Mapping[str, Any], source: str = "mapping") -> MappingFile:
    known = {"table", "org_units", "values", "defaults", "attribute_option_combo"}
    if set(table) - known:
        raise MappingError(source, "unknown_key", name=repr(min(set(table) - known)))
    name = table.get("table")
    if name not in TABLES:
        raise MappingError(source, "table", tables=", ".join(TABLES))
    spec = tables.tables()[name]
    day, site = tables.ACTIVITY_DATES[name], SITE_COLUMNS.get(name, "site_id")
    if name == "vaccinations":
        raise MappingError(source, "vaccinations")
    org_units = table.get("org_units", {})
    if not org_units or not isinstance(org_units, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in org_units.items()):
        raise MappingError(source, "org_units")
    entries: dict[tuple[str, str], Entry] = {}
    values = table.get("values", [])
    if not isinstance(values, list):
        raise MappingError(source, "values_list")
    for number, value in enumerate(values, start=1):
        if not isinstance(value, dict):
            raise MappingError(source, "value_table", number=number)
        extra = set(value) - {"data_element", "category_option_combo", "column", "rows", "set", "name"}
        if extra:
            raise MappingError(source, "value_unknown_key", number=number, name=repr(min(extra)))
        element, combo = value.get("data_element"), value.get("category_option_combo", DEFAULT_COMBO)
        if not isinstance(element, str) or not element or not isinstance(combo, str):
            raise MappingError(source, "value_ids", number=number)
        column, rows = value.get("column"), value.get("rows", False)
        if (column is None) == (rows is not True):
            raise MappingError(source, "column_or_rows", number=number, element=element)
        if column is not None and (not isinstance(column, str) or column not in spec.names):
            raise MappingError(source, "no_column", number=number, element=element, table=name, column=repr(column))
        if column in (day, site):
            raise MappingError(source, "column_from_period", number=number, element=element, column=column)
        sets = value.get("set", {})
        if not isinstance(sets, dict):
            raise MappingError(source, "set_table", number=number, element=element)
        _single_values(sets, source)
        if not isinstance(value.get("name", ""), str):
            raise MappingError(source, "not_text", name=f"values {number}: name")
        for fixed in sets:
            if fixed not in spec.names or fixed in (day, site):
                raise MappingError(source, "set_column", number=number, element=element, column=repr(fixed), table=name)
        if (element, combo) in entries:
            raise MappingError(source, "mapped_twice", number=number, element=element, combo=combo)
        entries[(element, combo)] = Entry(element, combo, column, tuple(sorted(sets.items())), value.get("name", ""))
    if not entries:
        raise MappingError(source, "no_values")
    counts = {e.column is None for e in entries.values()}
    if len(counts) > 1:
        raise MappingError(source, "mixed_kinds")
    defaults = table.get("defaults", {})
    if not isinstance(defaults, dict):
        raise MappingError(source, "defaults_table")
    _single_values(defaults, source)
    if not isinstance(table.get("attribute_option_combo", DEFAULT_COMBO), str):
        raise MappingError(source, "not_text", name="attribute_option_combo")
    unknown_defaults = set(defaults) - set(spec.names)
    if unknown_defaults:
        raise MappingError(source, "default_column", column=repr(min(unknown_defaults)), table=name)
    filled = {day, site, *defaults, *(e.column for e in entries.values() if e.column),
              *(column for e in entries.values() for column, _ in e.sets)}
    missing = [c.name for c in spec.columns if c.required and c.name not in filled]
    if missing:
        raise MappingError(source, "nothing_fills", table=name, column=missing[0])
    return MappingFile(name, dict(org_units), entries, dict(defaults),
                       table.get("attribute_option_combo", DEFAULT_COMBO))


def _single_values(columns: Mapping[str, Any], source: str) -> None:
    """A value a column takes is one value (text, number, date, true or false), not a list or a table."""
    for column, value in columns.items():
        if isinstance(value, (list, dict)):
            raise MappingError(source, "not_single", name=column)


def load_mapping(path: Path) -> MappingFile:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MappingError(str(path), "no_file") from None
    return read_mapping(data, str(path))


def read_mapping(data: bytes, source: str) -> MappingFile:
    """A mapping file's bytes (a file on disk, or one uploaded on the Import page)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MappingError(source, "not_utf8") from None
    try:
        return parse_mapping(tomllib.loads(text), source)
    except tomllib.TOMLDecodeError as error:
        where = _TOML_PLACE.search(str(error))      # "Invalid value (at line 3, column 5)"
        if where is None:
            raise MappingError(source, "not_toml", error=str(error)) from None
        raise MappingError(source, "not_toml_at", line=int(where["line"]), column=int(where["column"])) from None


def shipped_mappings() -> list[Path]:
    """The mapping files shipped in examples/dhis2/, which the Import page offers."""
    return sorted(EXAMPLES.glob("*.toml"))


# --- reading the export ----------------------------------------------------------------------

@dataclass(frozen=True)
class DataValue:
    line: int                  # the file's line (CSV, the header being line 1) or position (JSON, from 1)
    data_element: str
    period: str
    org_unit: str
    combo: str
    attribute_combo: str
    value: str
    deleted: bool = False


def read_values(data: bytes) -> tuple[list[DataValue], str]:
    """The export's values and its format ("json" or "csv"); Unreadable if it is neither."""
    try:
        text = data.decode("utf-8-sig", errors="strict")
    except UnicodeDecodeError:
        raise Unreadable("not_utf8") from None
    stripped = text.lstrip()
    if not stripped:
        raise Unreadable("empty")
    if stripped[0] in "{[":
        return _read_json(stripped), "json"
    return _read_csv(text), "csv"


def _read_json(text: str) -> list[DataValue]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise Unreadable("bad_json", line=error.lineno) from None
    items = document.get("dataValues") if isinstance(document, dict) else None
    if not isinstance(items, list):
        raise Unreadable("no_data_values")
    values = []
    for position, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise Unreadable("bad_json_item", position=position)
        values.append(DataValue(position, *(str(item.get(name, "") if item.get(name) is not None else "")
                                            for name in ("dataElement", "period", "orgUnit")),
                                str(item.get("categoryOptionCombo") or DEFAULT_COMBO),
                                str(item.get("attributeOptionCombo") or DEFAULT_COMBO),
                                "" if item.get("value") is None else str(item.get("value")),
                                item.get("deleted") in (True, "true")))
    return values


def _read_csv(text: str) -> list[DataValue]:
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise Unreadable("empty") from None
    except csv.Error:
        raise Unreadable("bad_csv", line=1) from None
    names = [CSV_ALIASES.get(h.strip().lower().replace("_", "")) for h in header]
    missing = [f for f in ("dataElement", "period", "orgUnit", "value") if f not in names]
    if missing:
        raise Unreadable("csv_columns", columns=", ".join(missing))
    at = {name: names.index(name) for name in set(names) - {None}}
    values: list[DataValue] = []
    try:
        rows = list(reader)
    except csv.Error:
        raise Unreadable("bad_csv", line=reader.line_num) from None
    for line, cells in enumerate(rows, start=2):
        if not any(c.strip() for c in cells):
            continue

        def cell(name: str, default: str = "", cells=cells) -> str:
            index = at.get(name)
            return cells[index].strip() if index is not None and index < len(cells) else default

        values.append(DataValue(line, cell("dataElement"), cell("period"), cell("orgUnit"),
                                cell("categoryOptionCombo") or DEFAULT_COMBO,
                                cell("attributeOptionCombo") or DEFAULT_COMBO, cell("value"),
                                cell("deleted").lower() == "true"))
    return values


# --- translating -----------------------------------------------------------------------------

class DHIS2Finding(Finding):
    @property
    def key(self) -> str:
        return f"dhis2.{self.severity}.{self.kind}"


def period_type(period: str) -> str | None:
    """DHIS2's name of a period's type ("daily", "weekly", "monthly"…), None if none fits."""
    if _DAILY.fullmatch(period):
        return "daily"
    return next((name for pattern, name in _PERIOD_TYPES if pattern.fullmatch(period)), None)


def day_of(period: str) -> dt.date | None:
    match = _DAILY.fullmatch(period)
    if not match:
        return None
    try:
        return dt.date(*map(int, match.groups()))
    except ValueError:
        return None


@dataclass
class Translation:
    table: str
    rows: int = 0
    csv: bytes = b""
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    values: int = 0
    format: str = ""              # the export's: "csv" or "json"


class _Found:
    """Findings by kind and column, each with its lines and per-line values."""

    def __init__(self, severity: str = ERROR):
        self.severity = severity
        self._lines: dict[tuple[str, str], list[int]] = {}
        self._values: dict[tuple[str, str], dict[str, list]] = {}

    def add(self, kind: str, column: str, line: int, /, **values: Any) -> None:
        key = (kind, column)
        self._lines.setdefault(key, []).append(line)
        bucket = self._values.setdefault(key, {name: [] for name in values})
        for name, value in values.items():
            bucket[name].append(value)

    def findings(self) -> list[Finding]:
        found = []
        for (kind, column), lines in self._lines.items():
            values = {name: np.asarray(v, dtype=object) for name, v in self._values[(kind, column)].items()}
            found.append(DHIS2Finding(kind, column, np.asarray(lines, dtype=np.int64), values, {}, self.severity))
        return found


def translate(values: Sequence[DataValue], mapping: MappingFile) -> Translation:
    """The values as rows of the mapping's table, or the problems that keep them out."""
    spec = tables.tables()[mapping.table]
    out = Translation(mapping.table, values=len(values))
    problems, warnings = _Found(ERROR), _Found(WARNING)
    seen: dict[tuple[str, str, str, str], int] = {}
    keyed: dict[tuple, dict[str, Any]] = {}
    first_line: dict[tuple, int] = {}
    filled_by: dict[tuple, dict[str, int]] = {}
    counted: list[dict[str, Any]] = []
    for v in values:
        if v.deleted:
            warnings.add("deleted", "deleted", v.line, element=v.data_element)
            continue
        identity = (v.data_element, v.combo, v.org_unit, v.period)
        if identity in seen:
            problems.add("duplicate", "value", v.line, element=v.data_element, period=v.period,
                         org_unit=v.org_unit, first=seen[identity])
            continue
        seen[identity] = v.line
        entry = mapping.entries.get((v.data_element, v.combo))
        site = mapping.org_units.get(v.org_unit)
        day = day_of(v.period)
        ok = True
        if entry is None:
            known = any(element == v.data_element for element, _ in mapping.entries)
            problems.add("unmapped_combo" if known else "unmapped_element",
                         "categoryOptionCombo" if known else "dataElement", v.line,
                         element=v.data_element, combo=v.combo)
            ok = False
        if site is None:
            problems.add("unknown_org_unit", "orgUnit", v.line, org_unit=v.org_unit)
            ok = False
        if day is None:
            kind = period_type(v.period)
            if kind is None or kind == "daily":
                problems.add("bad_period", "period", v.line, period=v.period)
            else:
                problems.add("period_not_daily", "period", v.line, period=v.period,
                             kind=Label(f"dhis2.period_type.{kind}"), table=mapping.table)
            ok = False
        if v.attribute_combo != mapping.attribute_option_combo:
            problems.add("attribute_combo", "attributeOptionCombo", v.line, combo=v.attribute_combo,
                         expected=mapping.attribute_option_combo)
            ok = False
        if not _WHOLE.fullmatch(v.value):
            problems.add("not_a_count", "value", v.line, value=v.value[:40], element=v.data_element)
            ok = False
        if not ok:
            continue
        count = int(float(v.value))
        base = {mapping.site_column: site, mapping.day_column: day.isoformat(), **dict(entry.sets)}
        if entry.column is None:
            counted.extend([{**mapping.defaults, **base}] * count)
            continue
        key = (site, day, entry.sets)
        row = keyed.setdefault(key, {**mapping.defaults, **base})
        first_line.setdefault(key, v.line)
        row[entry.column] = count
        filled_by.setdefault(key, {})[entry.column] = v.line
    if not mapping.counts_rows:
        needed = [c.name for c in spec.columns if c.required]
        for key, row in keyed.items():
            for column in needed:
                if column not in row:
                    problems.add("missing_column", "dataElement", first_line[key], column=column,
                                 org_unit=row[mapping.site_column], period=row[mapping.day_column].replace("-", ""))
    out.problems, out.warnings = problems.findings(), warnings.findings()
    if out.problems:
        return out
    rows = counted if mapping.counts_rows else list(keyed.values())
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(spec.names), extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({name: _csv_cell(row.get(name)) for name in spec.names})
    out.rows, out.csv = len(rows), buffer.getvalue().encode("utf-8")
    return out


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- writing an export (examples, tests) ------------------------------------------------------

def export(con: duckdb.DuckDBPyConnection, mapping: MappingFile, start: dt.date, end: dt.date) -> list[DataValue]:
    """The values DHIS2 would export for the mapping's table, from a Terrain database: one
    per row and mapped column (a table of columns), or per distinct row and its count (a table
    of one row per event). Only for the tables whose columns the mapping covers."""
    by_site = {site: unit for unit, site in mapping.org_units.items()}
    values, day, site = [], mapping.day_column, mapping.site_column
    for entry in mapping.entries.values():
        fixed = dict(entry.sets)
        rows = _rows(con, mapping.table, day, site, start, end, list(by_site), fixed, entry.column)
        for row_site, row_day, value in rows:
            values.append(DataValue(0, entry.data_element, row_day.strftime("%Y%m%d"), by_site[row_site],
                                    entry.combo, mapping.attribute_option_combo, str(int(value))))
    ordered = sorted(values, key=lambda v: (v.period, v.org_unit, v.data_element, v.combo))
    return [dataclasses.replace(v, line=number) for number, v in enumerate(ordered, start=1)]


_EXPORT_SQL = {
    # One fixed query per table and kind: the mapped column, or the count of rows, per site
    # and day, where the category columns equal the entry's.
    "shelter_nights": """
        SELECT site_id, night, CASE $column
            WHEN 'beds_available' THEN beds_available WHEN 'beds_occupied' THEN beds_occupied
            WHEN 'turned_away' THEN turned_away WHEN 'turned_away_minors' THEN turned_away_minors
            WHEN 'turned_away_girls' THEN turned_away_girls END
        FROM shelter_nights WHERE night BETWEEN $start AND $end AND site_id IN $sites ORDER BY ALL""",
    "outreach": """
        SELECT team_id, visited_on, people_reached FROM outreach
        WHERE visited_on BETWEEN $start AND $end AND team_id IN $sites AND place_type::VARCHAR = $place_type
        ORDER BY ALL""",
    "consultations": """
        SELECT site_id, consulted_on, count(*) FROM consultations
        WHERE consulted_on BETWEEN $start AND $end AND site_id IN $sites
          AND activity::VARCHAR = $activity AND sex::VARCHAR = $sex AND age_band::VARCHAR = $age_band
        GROUP BY ALL ORDER BY ALL""",
}


def _rows(con, table: str, day: str, site: str, start: dt.date, end: dt.date, sites: list[str],
          fixed: dict[str, Any], column: str | None) -> list[tuple]:
    params: dict[str, Any] = {"start": start, "end": end, "sites": sites}
    if table == "shelter_nights":
        params["column"] = column
    elif table == "outreach":
        params["place_type"] = fixed["place_type"]
    elif table == "consultations":
        params.update(activity=fixed["activity"], sex=fixed["sex"], age_band=fixed["age_band"])
    return con.execute(_EXPORT_SQL[table], params).fetchall()


def to_csv(values: Iterable[DataValue]) -> bytes:
    """As DHIS2's Web API writes `dataValueSets.csv` (lines end in CRLF, as RFC 4180 has it,
    so that a value holding a carriage return is quoted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["dataelement", "period", "orgunit", "categoryoptioncombo", "attributeoptioncombo", "value",
                     "storedby", "lastupdated", "comment", "followup", "deleted"])
    for v in values:
        writer.writerow([v.data_element, v.period, v.org_unit, v.combo, v.attribute_combo, v.value,
                         "terrain", "", "", "false", "false" if not v.deleted else "true"])
    return buffer.getvalue().encode("utf-8")


def to_json(values: Iterable[DataValue]) -> bytes:
    """As DHIS2's Web API writes `dataValueSets.json`."""
    document = {"dataValues": [{"dataElement": v.data_element, "period": v.period, "orgUnit": v.org_unit,
                                "categoryOptionCombo": v.combo, "attributeOptionCombo": v.attribute_combo,
                                "value": v.value, "storedBy": "terrain", "followup": False, "deleted": v.deleted}
                               for v in values]}
    return (json.dumps(document, indent=1, ensure_ascii=False) + "\n").encode("utf-8")


# --- the shipped example ---------------------------------------------------------------------

EXAMPLE_MONTH = dt.date(2026, 10, 1)


def example_files(con: duckdb.DuckDBPyConnection, mapping: MappingFile,
                  month: dt.date = EXAMPLE_MONTH) -> dict[str, bytes]:
    """examples/dhis2/'s data files from a demo database: the sites the mapping names (in
    Terrain's sites template) and one month of their values as DHIS2 exports them."""
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    names = list(tables.tables()["sites"].names)
    cursor = con.execute("SELECT * FROM sites WHERE site_id IN $sites ORDER BY site_id",
                         {"sites": sorted(mapping.org_units.values())})
    header = [d[0] for d in cursor.description]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(names)
    for row in cursor.fetchall():
        record = dict(zip(header, row, strict=True))
        writer.writerow([_csv_cell(record[name].isoformat() if isinstance(record[name], dt.date) else record[name])
                         for name in names])
    values = export(con, mapping, month, last)
    stem = f"dataValueSets_{month:%Y-%m}"
    return {"sites.csv": buffer.getvalue().encode("utf-8"), f"{stem}.csv": to_csv(values),
            f"{stem}.json": to_json(values)}


def main(argv: Sequence[str]) -> int:
    """`python -m terrain.importing.dhis2 OUT --db DEMO`: write the example's data files."""
    parser = argparse.ArgumentParser(prog="python -m terrain.importing.dhis2", description=main.__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--db", type=Path, required=True, help="the demo database (seed 42, as of 2026-11-30)")
    parser.add_argument("--mapping", type=Path, default=None, help="default: OUT/mapping.toml")
    args = parser.parse_args(list(argv))
    mapping = load_mapping(args.mapping or args.out / "mapping.toml")
    con = duckdb.connect(str(args.db), read_only=True)
    try:
        for name, content in example_files(con, mapping).items():
            (args.out / name).write_bytes(content)
            print(f"{args.out / name}: {len(content):,} bytes")
    finally:
        con.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
