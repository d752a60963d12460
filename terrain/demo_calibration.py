"""What the demo data are calibrated against: the public figures of the programme, each with
its source, and the demo's own figure beside it (docs/demo-data.md).

The public figures are held here and nowhere else; `tests/test_demo.py` checks that a
generated demo stays within a factor of FACTOR of each, and that the tables of
docs/demo-data.md are the ones `python -m terrain.demo_calibration` prints for the demo the
document describes (seed 42, data as of DOC_AS_OF).
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb

SQL_FILE = Path(__file__).with_name("demo_calibration.sql")
FACTOR = 1.5
DOC_SEED = 42
DOC_AS_OF = dt.date(2026, 11, 30)
D = dt.date


@dataclass(frozen=True)
class PublicFigure:
    site_id: str
    first: dt.date
    last: dt.date
    measure: str       # a query of demo_calibration.sql, run for this site and period
    public: float
    counts: str        # what the public figure counts, and which demo figure is compared
    source: str
    derived: bool = False   # worked out from public facts rather than published as a number


PUBLIC_FIGURES: tuple[PublicFigure, ...] = (
    PublicFigure("paris_la_chapelle_mobile", D(2016, 12, 26), D(2017, 3, 9), "consultations", 600,
                 "consultations of the Paris mobile clinic from its opening (26 December 2016) to "
                 "early March 2017",
                 "AFP, « A Paris, une clinique mobile de MSF pour soigner les migrants », 11 March 2017"),
    PublicFigure("paris_la_chapelle_mobile", D(2018, 1, 1), D(2018, 12, 31), "medical_consultations", 1000,
                 "\"nearly 1,000 medical consultations\" of the Paris mobile clinics in 2018; demo: "
                 "medical consultations",
                 "MSF, International Activity Report 2018, France"),
    PublicFigure("pantin_minors_centre", D(2018, 1, 1), D(2018, 12, 31), "new_consultations", 787,
                 "787 minors helped at the Pantin centre in 2018; demo: first consultations of a "
                 "person at the site (no person is identified, so people are counted by their first "
                 "consultation)",
                 "MSF, International Activity Report 2018, France"),
    PublicFigure("pantin_minors_centre", D(2018, 1, 1), D(2018, 12, 31), "consultations_per_day_open", 40,
                 "30 to 50 young people received each day (40, the middle); demo: consultations per "
                 "opening day",
                 "Bonjour Pantin, visit of the MSF centre, 10 February 2018"),
    PublicFigure("calais_camps", D(2023, 1, 1), D(2023, 12, 31), "consultations_per_day_open", 20,
                 "what a team of six with one nurse can do for 400–600 people: about 20 "
                 "consultations a working day (a nurse's 15 or so, a psychologist's few); demo: "
                 "consultations per working day",
                 "20 Minutes, 16 May 2023 (the team); MSF, « Pourquoi MSF rouvre un projet à "
                 "Calais », 2023 (400–600 people)", derived=True),
    PublicFigure("calais_camps", D(2024, 1, 1), D(2024, 12, 31), "consultations_per_day_open", 20,
                 "as for 2023", "as for 2023", derived=True),
    PublicFigure("grande_synthe_la_liniere", D(2016, 3, 28), D(2016, 4, 3), "consultations", 250,
                 "consultations in Grande-Synthe's camp in week 13 of 2016, all providers: 8 were 3 % "
                 "of them and 14 were 6 % (about 230–270); demo: the week's consultations",
                 "Santé publique France, surveillance sanitaire des populations migrantes à Calais et "
                 "Grande-Synthe, point épidémiologique du 8 avril 2016", derived=True),
    PublicFigure("calais_jungle", D(2016, 1, 28), D(2016, 2, 5), "vaccinated", 2100,
                 "people vaccinated against measles in the Calais camp: 60 % of an estimated target "
                 "population of 3,500",
                 "Jones G et al., Measles outbreak in a refugee settlement in Calais, France: January "
                 "to February 2016, Eurosurveillance 2016;21(11):30167, 17 March 2016", derived=True),
    PublicFigure("grande_synthe_basroch", D(2016, 2, 8), D(2016, 2, 12), "vaccinated", 1400,
                 "people vaccinated against measles in Grande-Synthe: the brief's 3,500 in all, less "
                 "the 2,100 of Calais",
                 "the product brief (about 3,500 vaccinated, 60 % in Calais); MSF, 28 January 2016 "
                 "(campaign extended to Grande-Synthe the next week)", derived=True),
    PublicFigure("calais_emergency_shelter", D(2025, 1, 1), D(2025, 3, 31), "free_beds_per_night", 1.5,
                 "\"in general we keep one or two places free for arrivals in the night\"; demo: beds "
                 "free a night, on average",
                 "InfoMigrants, interview of MSF's Calais project coordinator, winter 2024–25"),
)


def named_queries() -> dict[str, str]:
    """The queries of demo_calibration.sql by name."""
    text = SQL_FILE.read_text(encoding="utf-8")
    parts = re.split(r"^-- name: *([a-z_]+) *$", text, flags=re.MULTILINE)
    return {name: body.strip() for name, body in zip(parts[1::2], parts[2::2])}


def demo_figure(con: duckdb.DuckDBPyConnection, figure: PublicFigure) -> float:
    row = con.execute(named_queries()[figure.measure],
                      {"site_id": figure.site_id, "first": figure.first, "last": figure.last}).fetchone()
    return float(row[0] or 0)


def within_factor(demo_value: float, public: float, factor: float = FACTOR) -> bool:
    return public / factor <= demo_value <= public * factor


def _number(value: float) -> str:
    return f"{value:,.1f}" if value != int(value) else f"{int(value):,}"


def comparison_table(con: duckdb.DuckDBPyConnection) -> str:
    """The public figures beside the demo's, as the Markdown table of docs/demo-data.md."""
    lines = [("| site | period | public figure | what it counts (and the demo figure compared) | source "
              "| demo | demo / public |"), "| --- | --- | --- | --- | --- | --- | --- |"]
    for figure in PUBLIC_FIGURES:
        value = demo_figure(con, figure)
        public = _number(figure.public) + (" (derived)" if figure.derived else "")
        lines.append(f"| {figure.site_id} | {figure.first} – {figure.last} | {public} | {figure.counts} "
                     f"| {figure.source} | {_number(value)} | {value / figure.public:.2f} |")
    return "\n".join(lines)


def site_years_table(con: duckdb.DuckDBPyConnection) -> str:
    """The demo's figures per site and year (query site_years), as a Markdown table."""
    rows = con.execute(named_queries()["site_years"]).fetchall()
    lines = ["| site | year | consultations | medical | new | days open | per day open |",
             "| --- | --- | --- | --- | --- | --- | --- |"]
    lines += [f"| {site} | {year} | {n:,} | {medical:,} | {new:,} | {days:,} | {per_day:.1f} |"
              for site, year, n, medical, new, days, per_day in rows]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    """`python -m terrain.demo_calibration DB`: print both tables for docs/demo-data.md."""
    if len(argv) != 1:
        print("usage: python -m terrain.demo_calibration DEMO_DATABASE", file=sys.stderr)
        return 2
    with duckdb.connect(argv[0], read_only=True) as con:
        print(comparison_table(con))
        print()
        print(site_years_table(con))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
