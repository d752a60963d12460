"""Check a file's cells against a table: every problem, with its row and column.

Nothing stops at the first problem: the header, the personal-data guard, each column's
type, the schema's rules, references to sites and campaigns, duplicates in the file and in
the database are all checked, so a programme manager fixes the file once. Warnings (an
overflow night, an unusual week) are reported without blocking. Every check works on whole
columns (terrain/importing/parsing.py), never row by row.

A file is checked a part at a time (terrain/importing/reading.py hands over its rows in
chunks), so that its length costs disk, not memory: what holds within a row is checked on
each part, the rows are typed and staged in a DuckDB file of their own
(terrain/importing/staging.py), and what spans parts (a key written twice, a key already in
the database, a week far from usual) is checked on the staged rows once all are read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Callable

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from terrain import queries
from terrain.importing import anonymity, lookalikes, parsing, statements, tables as tbl, templates
from terrain.importing.findings import MAX_KEPT_ROWS, WARNING, Finding, Label, Merged, at_rows
from terrain.importing.parsing import Column, Distinct, bools
from terrain.importing.reading import RawFile
from terrain.importing.staging import Staging

# A week counts as unusual when it is this many times above or below the site's median week.
FAR_FROM_USUAL = 3
USUAL_WEEKS = 52          # history looked at
MIN_USUAL_WEEKS = 8       # fewer weeks of history say nothing about what is usual
MAX_LISTED = 40           # allowed values listed in a message
NOT_PARSED = {"integer": "not_integer", "number": "not_number", "date": "not_date",
              "boolean": "not_boolean", "category": "not_category", "categories": "not_categories"}

Progress = Callable[[float, str], None]


@dataclass
class Checked:
    table: tbl.Table
    rows: int = 0                     # data rows read (blank rows left out)
    problems: list[Finding] = field(default_factory=list)
    warnings: list[Finding] = field(default_factory=list)
    replaced: int = 0                 # rows of the database the file replaces
    decimal_comma: bool = False
    date_formats: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.problems


def listing(values) -> str:
    values = [str(v) for v in values]
    shown = ", ".join(values[:MAX_LISTED])
    return shown + (f", … (+{len(values) - MAX_LISTED})" if len(values) > MAX_LISTED else "")


def excel_column(position: int) -> str:
    """0 -> "A", 25 -> "Z", 26 -> "AA": how a spreadsheet names a column without a header."""
    letters, position = "", position + 1
    while position:
        position, remainder = divmod(position - 1, 26)
        letters = chr(65 + remainder) + letters
    return letters


class FileCheck:
    """The checks of one file against `table_name` and the database behind `con` (read-only
    is enough), fed the file a part at a time: `add` each part, then `finish`."""

    def __init__(self, headers: list[str], table_name: str, con: duckdb.DuckDBPyConnection, staging: Staging, *,
                 replace: bool = False, today: dt.date | None = None, progress: Progress | None = None,
                 trial: bool = False):
        self.headers, self.table, self.con, self.staging = headers, tbl.tables()[table_name], con, staging
        self.replace, self.today = replace, np.datetime64(today or tbl.today(), "D")
        # A trial on a copy of the demo (terrain/importing/loading.py) takes the template as it comes.
        self.trial = trial
        self.progress = progress or (lambda fraction, stage: None)
        self.result = Checked(self.table)
        self.problems, self.warnings = Merged(), Merged()
        self.sites = queries.read_rows(con, "sites_with_areas", {}).set_index("site_id")
        self._campaigns: pd.DataFrame | None = None
        self.unnamed_filled: set[int] = set()       # file positions of unnamed columns holding values
        self.weeks: list[pd.DataFrame] = []         # per part: counts by site and week, for the warnings
        self.days: list[np.datetime64] = []         # first and last day of each part
        self.positions = self.check_header()

    def problem(self, finding: Finding | None) -> None:
        if finding is not None:
            self.problems.add(finding)

    def warning(self, finding: Finding | None) -> None:
        if finding is not None:
            finding.severity = WARNING
            self.warnings.add(finding)

    def header_problem(self, kind: str, column: str | None, **params) -> None:
        self.problem(Finding(kind, column, np.array([1], dtype=np.int64), params=params))

    @property
    def campaigns(self) -> pd.DataFrame:
        if self._campaigns is None:
            self._campaigns = queries.read_rows(self.con, "campaigns_with_target_ages", {})
        return self._campaigns

    def add(self, raw: RawFile, fraction: float = 0.0) -> None:
        """Check one part of the file (its rows in order after the parts before) and stage it."""
        self.result.rows += len(raw)
        part = _Checker(self, raw, fraction)
        part.run()
        self.staging.add(part.typed_rows())

    def finish(self) -> Checked:
        """The checks that span the parts, once every part is added; the whole result."""
        self.progress(0.88, "rules")
        for position in sorted(self.unnamed_filled):
            self.header_problem("unnamed_column", excel_column(position))
        if self.result.rows == 0 and not len(self.problems):
            self.problem(Finding("no_rows"))
        self.check_duplicates_in_file()
        self.warn_unusual_weeks()
        self.progress(0.9, "database")
        self.check_database()
        self.check_approved_months()
        self.result.problems = list(self.problems)
        self.result.warnings = list(self.warnings)
        return self.result

    # --- the header, row 1 ---

    def check_header(self) -> dict[str, int]:
        """Map the table's columns to file positions, reporting every header problem."""
        expected = {c.name.casefold(): c.name for c in self.table.columns}
        positions: dict[str, int] = {}
        for position, header in enumerate(self.headers):
            if not header:
                continue          # refused if any part has a value in it (unnamed_filled)
            name = expected.get(header.casefold())
            if name is None:
                reason = anonymity.personal_column(header)
                if reason:
                    self.header_problem("personal_column", header, reason=Label(f"imports.personal.{reason}"))
                else:
                    self.header_problem("unknown_column", header, expected=listing(self.table.names))
            elif name in positions:
                self.header_problem("duplicate_column", header)
            else:
                positions[name] = position
        for column in self.table.columns:
            if column.name not in positions and column.required:
                self.header_problem("missing_column", column.name)
        if any(f.kind in ("missing_column", "unknown_column") for f in self.problems):
            self.suggest_another_table()
        return positions

    def suggest_another_table(self) -> None:
        """The header is wrong for this table: say so if it is exactly another table's."""
        headers = {h.casefold() for h in self.headers if h}
        for other in tbl.tables().values():
            names = {c.name.casefold() for c in other.columns}
            required = {c.name.casefold() for c in other.columns if c.required}
            if other is not self.table and required <= headers <= names:
                self.problem(Finding("other_table", None, np.array([1], dtype=np.int64),
                                     params={"table": Label(f"imports.table.{other.name}"), "name": other.name}))

    # --- what spans the parts, on the staged rows ---

    def header_of(self, name: str) -> str:
        return self.headers[self.positions[name]]

    def check_duplicates_in_file(self) -> None:
        if not self.table.key_is_unique or not self.staging.has_rows:
            return
        rows, more = self.staging.first_rows(self.table.name, "duplicates_in_file", MAX_KEPT_ROWS)
        if len(rows):
            found = Finding("duplicate_in_file", None, rows["row_number"].to_numpy(np.int64),
                            {"first": rows["first_row"].to_numpy(np.int64)},
                            {"columns": ", ".join(self.header_of(k) for k in self.table.key)})
            found.more = more
            self.problem(found)

    def check_database(self) -> None:
        if not self.staging.has_rows:
            return
        if self.replace:
            self.result.replaced = int(self.staging.run(self.table.name, "replaced_rows")[0][0])
            return
        rows, more = self.staging.first_rows(self.table.name, "already_present", MAX_KEPT_ROWS)
        if len(rows):
            found = Finding("already_in_database", None, rows["row_number"].to_numpy(np.int64),
                            params={"columns": ", ".join(self.header_of(k) for k in self.table.key)})
            found.more = more
            self.problem(found)

    def check_approved_months(self) -> None:
        """Rows that would change a month a manager approved (terrain/approvals.py): donors
        and the public may have seen it, so it is reopened first, deliberately and audited.
        In a trial on a copy of the demo, a warning: trying the template is what a trial is for."""
        if not self.staging.has_rows or "approved_months" not in statements.statements(self.table.name):
            return
        rows, more = self.staging.first_rows(self.table.name, "approved_months", MAX_KEPT_ROWS)
        if len(rows):
            found = Finding("approved_month", None, rows["row_number"].to_numpy(np.int64),
                            {"city": rows["city"].to_numpy(object), "month": rows["month"].to_numpy(object)})
            found.more = more
            # a trial on a copy of the demo loads it, and says a real database would refuse it
            (self.warning if self.trial else self.problem)(found)

    def warn_unusual_weeks(self) -> None:
        spec = UNUSUAL_WEEKS.get(self.table.name)
        if spec is None or not self.weeks:
            return
        site_name, _, _, history_query, history_count, kind = spec
        first_day, last_day = min(self.days), max(self.days)
        weeks = pd.concat(self.weeks).groupby(["site", "week"], as_index=False).agg(count=("count", "sum"),
                                                                                    row=("row", "min"))
        weeks = weeks[((weeks["week"] >= first_day) & (weeks["week"] + pd.Timedelta(days=6) <= last_day)).to_numpy()]
        if weeks.empty:
            return
        end = pd.Timestamp(first_day).date() - dt.timedelta(days=1)
        history = queries.read_rows(self.con, history_query, {"start": end - dt.timedelta(weeks=USUAL_WEEKS), "end": end})
        usual = history.groupby(site_name)[history_count].agg(median="median", history_weeks="count")
        weeks = weeks.join(usual[usual["history_weeks"] >= MIN_USUAL_WEEKS], on="site", how="inner")
        far = (weeks["count"] > FAR_FROM_USUAL * weeks["median"]) | (weeks["count"] * FAR_FROM_USUAL < weeks["median"])
        weeks = weeks[far.to_numpy()].sort_values("row")
        self.warning(at_rows(kind, self.header_of(site_name), weeks["row"].to_numpy(), None,
                             value=weeks["count"].to_numpy(), site=weeks["site"].to_numpy(),
                             week=weeks["week"].to_numpy(dtype="datetime64[D]"), median=weeks["median"].to_numpy(),
                             weeks=weeks["history_weeks"].to_numpy()))


# Tables whose weeks are compared with the site's usual week: site column, date column,
# counted column (None: rows are counted), the history query, its count, the warning.
UNUSUAL_WEEKS = {
    "consultations": ("site_id", "consulted_on", None, "consultations_by_site_week", "consultations",
                      "unusual_week_consultations"),
    "outreach": ("team_id", "visited_on", "people_reached", "outreach_by_team_week", "people_reached",
                 "unusual_week_outreach"),
}


class _Checker:
    """The checks of one part of a file: everything that holds within a row."""

    def __init__(self, file: FileCheck, raw: RawFile, fraction: float):
        self.file, self.raw, self.table, self.con = file, raw, file.table, file.con
        self.today, self.sites = file.today, file.sites
        self.rows = raw.rows
        self.fraction = fraction
        self.result = file.result
        self.columns: dict[str, Column] = {}
        self.distinct = {position: Distinct.of(raw.cells[f"c{position}"]) for position in range(len(raw.headers))}
        self.personal: dict[int, np.ndarray] = {}   # by file position: cells hidden as personal data
        self.broken: dict[str, np.ndarray] = {}     # by column: values refused by a one-column rule
        self.problem, self.warning = file.problem, file.warning

    def progress(self, stage: str) -> None:
        # A part is checked as soon as it is read: the import is as far as the file is read.
        self.file.progress(0.88 * self.fraction, stage)

    def valid(self, *names: str) -> np.ndarray:
        """Rows where every named column is present, parsed, not empty and within its own rules."""
        mask = np.ones(len(self.rows), dtype=bool)
        for name in names:
            if name not in self.columns:
                return np.zeros(len(self.rows), dtype=bool)
            mask &= self.columns[name].ok & ~self.broken.get(name, False)
        return mask

    def run(self) -> None:
        self.check_unnamed_columns()
        self.check_ragged_rows()
        self.progress("anonymity")
        self.check_personal_data()
        self.progress("columns")
        for name, position in self.file.positions.items():
            self.parse_column(self.table.column(name), position)
        self.progress("rules")
        self.check_cross_columns()
        self.check_references()
        self.check_example_row()
        self.check_warnings()

    def check_unnamed_columns(self) -> None:
        for position, header in enumerate(self.raw.headers):
            if not header and bools(self.distinct[position].cells != "").any():
                self.file.unnamed_filled.add(position)

    def check_ragged_rows(self) -> None:
        ragged = self.raw.ragged_rows
        if not ragged:
            return
        rows = np.array([r.row for r in ragged], dtype=np.int64)
        self.problem(at_rows("wrong_cell_count", None, rows, cells=np.array([r.cells for r in ragged]),
                             expected=np.array([r.expected for r in ragged])))
        reasons = np.array([anonymity.personal_text(r.text) or "" for r in ragged], dtype=object)
        for reason in sorted(set(reasons) - {""}):
            self.problem(at_rows("personal_value", None, rows, reasons == reason,
                                 params={"reason": Label(f"imports.personal.{reason}")}))

    # --- personal data ---

    def check_personal_data(self) -> None:
        """Cells that look like personal data, in every column but those already refused by
        their name. They are remembered, so that no other message repeats their value."""
        by_name = {f.column for f in self.file.problems if f.kind == "personal_column"}
        expected = {c.name.casefold(): c for c in self.table.columns}
        for position, header in enumerate(self.raw.headers):
            personal = np.zeros(len(self.rows), dtype=bool)
            self.personal[position] = personal
            if header in by_name:
                continue
            spec = expected.get(header.casefold())
            dates_expected = spec.kind == "date" if spec is not None else anonymity.names_dates(header)
            distinct = self.distinct[position]
            found = anonymity.personal_values(distinct.cells, dates_expected=dates_expected)
            for reason, distinct_mask in found.items():
                mask = distinct.rows(distinct_mask)
                self.problem(at_rows("personal_value", header or excel_column(position), self.rows, mask & ~personal,
                                     params={"reason": Label(f"imports.personal.{reason}")}))
                personal |= mask

    # --- each column: type, then the schema's rules on one column ---

    def parse_column(self, spec: tbl.Column, position: int) -> None:
        distinct = self.distinct[position]
        column = parsing.parse(spec, self.raw.headers[position], distinct, self.personal[position])
        self.columns[spec.name] = column
        if spec.kind == "number":
            commas = column.parsed_ok & bools(distinct.cells.str.contains(",", regex=False))
            self.result.decimal_comma |= bool(distinct.rows(commas).any())
        if spec.kind == "date":
            used = {name for name, (pattern, _) in parsing.DATE_FORMATS.items()
                    if distinct.rows(column.parsed_ok & bools(distinct.cells.str.fullmatch(pattern))).any()}
            self.result.date_formats = tuple(sorted(set(self.result.date_formats) | used))

        header = column.header
        if spec.required:
            self.problem(at_rows("missing_value", header, self.rows, column.null))
        if spec.kind in NOT_PARSED and column.unparsed.any():
            params = {"allowed": listing(spec.categories)} if spec.kind in ("category", "categories") else {}
            # Digits other than 0-9 (Arabic-Indic, full-width) look right and read as nothing.
            foreign = column.unparsed & column.distinct.rows(bools(distinct.cells.str.contains(parsing.NON_ASCII_DIGIT)))
            self.problem(at_rows("non_ascii_digits", header, self.rows, foreign, value=column.raw))
            self.problem(at_rows(NOT_PARSED[spec.kind], header, self.rows, column.unparsed & ~foreign, params=params,
                                 value=column.raw))
        self.check_column_rules(column)

    def check_column_rules(self, column: Column) -> None:
        spec, ok, header = column.spec, column.ok, column.header
        broken = np.zeros(len(self.rows), dtype=bool)

        def refuse(kind: str, mask: np.ndarray, value: np.ndarray, **params) -> None:
            nonlocal broken
            self.problem(at_rows(kind, header, self.rows, ok & mask, params=params, value=value))
            broken |= ok & mask

        if spec.kind in ("integer", "number") and (spec.low is not None or spec.high is not None):
            values = column.values
            if spec.low == 0 and spec.low_inclusive:
                refuse("negative", values < 0, values)
            elif spec.low is not None:
                below = values < spec.low if spec.low_inclusive else values <= spec.low
                refuse("below_minimum" if spec.low_inclusive else "not_above", below, values, low=spec.low)
            if spec.high is not None:
                refuse("above_maximum", values > spec.high, values, high=spec.high)
        if spec.pattern is not None:
            refuse("bad_format", ~column.matches(spec.pattern), column.raw,
                   format=Label(f"imports.format.{spec.name}"))
        if spec.length is not None:
            lengths = column.lengths()
            low, high = spec.length
            refuse("bad_length", (lengths < low) | (lengths > high), column.raw, low=low, high=high)
        if spec.kind == "date":
            # A day before 2000 is a typing error (0001-01-01, 1924 for 2024): the programme's
            # data start in 2016, and such a day would stretch every period to it.
            refuse("too_early", column.values < tbl.EARLIEST_DAY, column.values, earliest=tbl.EARLIEST_DAY)
        if spec.past_only:
            refuse("in_future", column.values > self.today, column.values, today=self.today)
        # Rules over several columns leave out a value already refused on its own.
        self.broken[spec.name] = broken

    # --- the schema's CHECKs over several columns ---

    def compare(self, name: str, other: str, kind: str, wrong: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> None:
        both = self.valid(name, other)
        if both.any():
            a, b = self.columns[name], self.columns[other]
            self.problem(at_rows(kind, a.header, self.rows, both & wrong(a.values, b.values),
                                 params={"other": b.header}, value=a.values, other_value=b.values))

    def occupied_at_most_twice_available(self) -> None:
        both = self.valid("beds_occupied", "beds_available")
        if both.any():
            occupied, available = self.columns["beds_occupied"], self.columns["beds_available"]
            self.problem(at_rows("beyond_capacity", occupied.header, self.rows,
                                 both & (occupied.values > 2 * available.values),
                                 value=occupied.values, available=available.values))

    def commune_in_departement(self) -> None:
        both = self.valid("commune_code", "departement")
        if both.any():
            commune, dept = self.columns["commune_code"], self.columns["departement"]
            # A département is two characters (the schema's pattern), so "starts with" is
            # "its first two characters are".
            first_two = pd.Series(commune.raw, dtype="string[pyarrow]").str.slice(0, 2).to_numpy(dtype=object)
            self.problem(at_rows("commune_outside_departement", commune.header, self.rows,
                                 both & (first_two != dept.raw), value=commune.raw, departement=dept.raw))

    def shelters_have_beds(self) -> None:
        kind, capacity = self.columns.get("site_type"), self.columns.get("bed_capacity")
        if kind is None:
            return
        nowhere = np.zeros(len(self.rows), dtype=bool)
        has_beds = capacity.ok & (capacity.values > 0) if capacity else nowhere
        unreadable = capacity.unparsed if capacity else nowhere   # already reported as not a number
        self.problem(at_rows("shelter_without_beds", capacity.header if capacity else "bed_capacity", self.rows,
                             kind.where_in(["shelter", "emergency_shelter"]) & ~has_beds & ~unreadable,
                             site_type=kind.values))

    def minors_have_minor_ages(self) -> None:
        if not self.valid("unaccompanied_minor", "age_band").any():
            return
        minor, age = self.columns["unaccompanied_minor"], self.columns["age_band"]
        adult = minor.where_in(["yes"]) & age.ok & ~age.where_in(["0-14", "15-17", "unknown"])
        self.problem(at_rows("minor_with_adult_age", age.header, self.rows, adult, value=age.values))

    # Keyed by the CHECK as DuckDB prints it; tests/test_imports.py checks that every CHECK of
    # every importable table is either read as a one-column rule or handled here.
    CROSS_CHECKS: dict[str, Callable[["_Checker"], None]] = {
        "CHECK((beds_occupied <= (2 * beds_available)))": lambda c: c.occupied_at_most_twice_available(),
        "CHECK((turned_away_minors <= turned_away))":
            lambda c: c.compare("turned_away_minors", "turned_away", "more_than_other", np.greater),
        "CHECK((turned_away_girls <= turned_away))":
            lambda c: c.compare("turned_away_girls", "turned_away", "more_than_other", np.greater),
        "CHECK(((closed IS NULL) OR (closed >= opened)))":
            lambda c: c.compare("closed", "opened", "before_other", np.less),
        "CHECK(starts_with(commune_code, departement))": lambda c: c.commune_in_departement(),
        "CHECK(((NOT (site_type IN ('shelter', 'emergency_shelter'))) OR (bed_capacity > 0)))":
            lambda c: c.shelters_have_beds(),
        "CHECK(((unaccompanied_minor != 'yes') OR (age_band IN ('0-14', '15-17', 'unknown'))))":
            lambda c: c.minors_have_minor_ages(),
        "CHECK((ends >= starts))": lambda c: c.compare("ends", "starts", "before_other", np.less),
        "CHECK((population_high >= population_low))":
            lambda c: c.compare("population_high", "population_low", "less_than_other", np.less),
        "CHECK((tmin_c <= tmax_c))": lambda c: c.compare("tmin_c", "tmax_c", "more_than_other", np.greater),
    }

    def check_cross_columns(self) -> None:
        # A CHECK unknown here (the schema changed) is still enforced: DuckDB refuses the
        # insert and the whole file is refused (imports.problem.database_refused).
        for constraint in self.table.cross_checks:
            if constraint in self.CROSS_CHECKS:
                self.CROSS_CHECKS[constraint](self)

    # --- references to sites, campaigns, cities and départements ---

    def check_references(self) -> None:
        for column in self.columns.values():
            if column.spec.references == "sites":
                self.check_known(column, self.sites.index, "unknown_site")
                self.check_site_dates(column)
            elif column.spec.references == "vaccination_campaigns":
                self.check_known(column, self.file.campaigns["campaign_id"], "unknown_campaign")
        if self.table.name == "weather_daily" and "city" in self.columns:
            self.check_known(self.columns["city"], self.sites["city"], "unknown_city")
        if self.table.name == "winter_plan" and self.valid("area", "area_kind").any():
            area, kind = self.columns["area"], self.columns["area_kind"]
            for area_kind, known in (("city", self.sites["city"]), ("departement", self.sites["departement"])):
                known_values = sorted(set(known))
                unknown = kind.where_in([area_kind]) & area.ok & ~area.where_in(known_values)
                self.problem(at_rows("unknown_area", area.header, self.rows, unknown,
                                     params={"allowed": listing(known_values) or Label("imports.none_yet")},
                                     value=area.raw, area_kind=kind.values))

    def check_known(self, column: Column, known, kind: str) -> None:
        known_values = sorted(set(known))
        unknown = column.ok & ~column.where_in(known_values)
        # A letter from another alphabet that looks Latin ("а", Cyrillic, in "cаlais_camps"):
        # the value reads as a known one and is not; name the one it looks like.
        meant = {text: lookalikes.known_as(text, known_values) for text in set(column.raw[unknown])}
        suggestion = np.array([meant.get(text) or "" for text in column.raw], dtype=object)
        look_alike = unknown & (suggestion != "")
        self.problem(at_rows("look_alike", column.header, self.rows, look_alike, value=column.raw, meant=suggestion))
        self.problem(at_rows(kind, column.header, self.rows, unknown & ~look_alike,
                             params={"allowed": listing(known_values) or Label("imports.none_yet")},
                             value=column.raw))

    def check_site_dates(self, site: Column) -> None:
        date_name = tbl.ACTIVITY_DATES.get(self.table.name)
        if date_name is None or not self.valid(date_name, site.spec.name).any():
            return
        day = self.columns[date_name]
        both = self.valid(date_name) & site.where_in(self.sites.index)
        opened = site.lookup(self.sites["opened"], "datetime64[D]")
        closed = site.lookup(self.sites["closed"], "datetime64[D]")
        self.problem(at_rows("before_opened", day.header, self.rows, both & (day.values < opened),
                             value=day.values, site=site.raw, opened=opened))
        self.problem(at_rows("after_closed", day.header, self.rows, both & ~np.isnat(closed) & (day.values > closed),
                             value=day.values, site=site.raw, closed=closed))

    def check_example_row(self) -> None:
        """Refuse the template's example row, left in by mistake (in a trial on a copy of the
        demo, only say it is there: trying the unchanged template is what a trial is for)."""
        same = np.ones(len(self.rows), dtype=bool)
        for name, value in templates.EXAMPLES[self.table.name].items():
            column = self.columns.get(name)
            if value is None:
                same &= column.null if column is not None else True
            elif column is None:
                same[:] = False
            elif isinstance(value, tuple):
                same &= column.where_equal(value)
            else:
                same &= column.where_in([np.datetime64(value, "D") if isinstance(value, dt.date) else value])
        found = at_rows("example_row", None, self.rows, same)
        (self.warning if self.file.trial else self.problem)(found)

    # --- warnings ---

    def check_warnings(self) -> None:
        if self.table.name == "shelter_nights":
            self.warn_overflow_nights()
        elif self.table.name == "vaccinations":
            self.warn_doses_outside_target_ages()
        elif self.table.name in UNUSUAL_WEEKS:
            self.count_weeks(*UNUSUAL_WEEKS[self.table.name][:3])

    def warn_overflow_nights(self) -> None:
        both = self.valid("beds_occupied", "beds_available")
        if not both.any():
            return
        occupied, available = self.columns["beds_occupied"], self.columns["beds_available"]
        over = both & (occupied.values > available.values) & (occupied.values <= 2 * available.values)
        self.warning(at_rows("overflow_night", occupied.header, self.rows, over,
                             value=occupied.values, available=available.values))
        if "site_id" in self.columns:
            capacity = self.columns["site_id"].lookup(self.sites["bed_capacity"].astype(float), float)
            self.warning(at_rows("above_site_capacity", available.header, self.rows,
                                 available.ok & ~np.isnan(capacity) & (available.values > capacity),
                                 value=available.values, capacity=capacity))

    def warn_doses_outside_target_ages(self) -> None:
        """A campaign dose at a known age outside the campaign's target bands is loaded, but
        its campaign's coverage does not count it: say so."""
        if not self.valid("campaign_id", "age_band").any():
            return
        campaign, age = self.columns["campaign_id"], self.columns["age_band"]
        targets = {row.campaign_id: set(row.target_age_bands) for row in self.file.campaigns.itertuples()}
        bands = np.array([", ".join(sorted(targets.get(c, ()))) for c in campaign.raw], dtype=object)
        outside = np.array([c in targets and a != "unknown" and a not in targets[c]
                            for c, a in zip(campaign.raw, age.values)], dtype=bool)
        self.warning(at_rows("dose_outside_target_ages", age.header, self.rows,
                             self.valid("campaign_id", "age_band") & outside,
                             value=age.values, campaign=campaign.raw, bands=bands))

    def count_weeks(self, site_name: str, date_name: str, count_name: str | None) -> None:
        """This part's counts by site and week (weeks start on Monday), for FileCheck."""
        valid = self.valid(site_name, date_name, *((count_name,) if count_name else ()))
        if not valid.any():
            return
        site, days = self.columns[site_name], self.columns[date_name].values[valid]
        weekday = (days.astype(np.int64) + 3) % 7          # 1970-01-01 was a Thursday
        frame = pd.DataFrame({"site": site.codes[valid], "week": days - weekday.astype("timedelta64[D]"),
                              "count": self.columns[count_name].values[valid] if count_name else 1,
                              "row": self.rows[valid]})
        weeks = frame.groupby(["site", "week"], as_index=False).agg(count=("count", "sum"), row=("row", "min"))
        weeks["site"] = site.texts[weeks["site"].to_numpy()]
        self.file.weeks.append(weeks)
        self.file.days += [days.min(), days.max()]

    # --- the rows to load ---

    def typed_rows(self) -> pa.Table:
        """The table's columns in order (optional ones absent from the file left empty), the
        row's number, and whether its key is whole (only those rows are matched by key)."""
        arrays = {spec.name: self.columns[spec.name].arrow() if spec.name in self.columns
                  else parsing.empty_arrow(spec, len(self.rows)) for spec in self.table.columns}
        arrays["row_number"] = pa.array(self.rows, pa.int64())
        arrays["key_ok"] = pa.array(self.valid(*self.table.key))
        return pa.Table.from_pydict(arrays)
