"""`python -m terrain bench --imports`: how long an import takes, and how much memory, by size.

For each size it writes (or reuses) a consultations file in data/bench/imports/, made in SQL
from row numbers so that it is the same on every machine: four sites open since before
2021, days from 2021 to 2026, every category column filled, minors with minors' ages. Each
import runs as `python -m terrain import` in a process of its own, into a new real database
holding the demo's sites, and is timed whole (start of the process to its exit); its peak
memory is the process's own maximum resident set (wait4's ru_maxrss), so the figure is what
an operator's machine must have free.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import duckdb

from terrain import ROOT

IMPORTS_DIR = ROOT / "data" / "bench" / "imports"
CSV_SIZES = (1_000_000, 5_000_000, 20_000_000)
XLSX_SIZES = (1_000_000,)
# The targets of the durability issue: bounded memory whatever the size, and a workbook of a
# million rows read within a minute.
CSV_PEAK_TARGET_MIB = 1024
XLSX_SECONDS_TARGET = 60

# Sites open without a break since before the first day written.
_SITES = ("paris_la_chapelle_mobile", "pantin_minors_centre", "pantin_minors_shelter", "marseille_minors_shelter")
_ROWS_SQL = """
SELECT DATE '2021-01-04' + CAST(hash(i, 1) % 2100 AS INTEGER) AS consulted_on,
       list_extract($sites, CAST(hash(i, 2) % 4 AS INTEGER) + 1) AS site_id,
       list_extract(['medical', 'medical', 'mental_health', 'social', 'legal'], CAST(hash(i, 3) % 5 AS INTEGER) + 1)
           AS activity,
       CASE WHEN hash(i, 4) % 3 = 0 THEN 'new' ELSE 'follow_up' END AS visit,
       list_extract(['0-14', '15-17', '18-24', '25-34', '35+', 'unknown'], CAST(hash(i, 5) % 6 AS INTEGER) + 1)
           AS age_band,
       list_extract(['F', 'M', 'M', 'X'], CAST(hash(i, 6) % 4 AS INTEGER) + 1) AS sex,
       CASE WHEN age_band IN ('0-14', '15-17') AND hash(i, 7) % 2 = 0 THEN 'yes'
            WHEN hash(i, 7) % 5 = 0 THEN 'unknown' ELSE 'no' END AS unaccompanied_minor,
       list_extract(['respiratory_infection', 'skin_infection_scabies', 'trauma_violence', 'digestive',
                     'mental_health', 'dental', 'foot_wounds', 'other'], CAST(hash(i, 8) % 8 AS INTEGER) + 1)
           AS diagnosis_group,
       list_extract(['none', 'AME', 'PUMa_CSS', 'unknown'], CAST(hash(i, 9) % 4 AS INTEGER) + 1) AS health_coverage,
       CASE WHEN hash(i, 10) % 7 = 0 THEN 'yes' ELSE 'no' END AS referred
FROM range($rows) AS r(i)
ORDER BY i
"""
MIB = 1024 * 1024


@dataclass(frozen=True)
class ImportFigures:
    format: str
    rows: int
    file_mib: float
    seconds: float
    peak_mib: float
    outcome: str          # what the import said it did ("loaded", or its one-line failure)

    def as_dict(self) -> dict:
        return {"format": self.format, "rows": self.rows, "file_mib": round(self.file_mib, 1),
                "seconds": round(self.seconds, 2), "peak_mib": round(self.peak_mib, 1), "outcome": self.outcome}


def consultations_csv(rows: int, directory: Path = IMPORTS_DIR) -> Path:
    """A consultations file of `rows` rows, French Excel style (`;`, UTF-8), written once."""
    path = directory / f"consultations-{rows}.csv"
    if not path.exists():
        directory.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        con = duckdb.connect()
        try:
            con.execute("SET preserve_insertion_order = true")
            con.execute("SET enable_progress_bar = false")
            relation = con.sql(_ROWS_SQL, params={"rows": rows, "sites": list(_SITES)})
            relation.write_csv(str(partial), sep=";", header=True, quotechar='"')
        finally:
            con.close()
        partial.replace(path)
    return path


def consultations_xlsx(rows: int, directory: Path = IMPORTS_DIR) -> Path:
    """The same rows as a workbook of one sheet (openpyxl's write-only mode: a few minutes
    for a million rows, once)."""
    from openpyxl import Workbook

    path = directory / f"consultations-{rows}.xlsx"
    if not path.exists():
        source = consultations_csv(rows, directory)
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("consultations")
        with source.open(encoding="utf-8", newline="") as lines:
            for record in csv.reader(lines, delimiter=";"):
                sheet.append(record)
        partial = path.with_suffix(".partial")
        workbook.save(partial)
        partial.replace(path)
    return path


def sites_csv(directory: Path = IMPORTS_DIR) -> Path:
    from terrain import demo

    path = directory / "sites.csv"
    directory.mkdir(parents=True, exist_ok=True)
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(["site_id", "name", "city", "commune_code", "departement", "site_type", "latitude",
                     "longitude", "bed_capacity", "population_focus", "opened", "closed"])
    for site in demo.SITES:
        writer.writerow(["" if value is None else value for value in (
            site.site_id, site.name, site.city, site.commune_code, site.departement, site.site_type,
            site.latitude, site.longitude, site.bed_capacity, site.population_focus, site.opened, site.closed)])
    path.write_text(out.getvalue(), encoding="utf-8")
    return path


def _run(argv: list[str]) -> tuple[float, float, int, str]:
    """Seconds, peak memory (MiB), exit code and last line of output of one command."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "terrain", *argv], cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    lines = [line for line in output.splitlines() if line.strip()]
    return seconds, usage.ru_maxrss / 1024, process.returncode, lines[-1] if lines else ""


def measure(path: Path, fmt: str, rows: int, work: Path) -> ImportFigures:
    """Import `path` into a new database holding the demo's sites, in a process of its own."""
    db = work / f"import-{fmt}-{rows}.duckdb"
    for leftover in work.glob(f"{db.name}*"):
        leftover.unlink()
    _, _, code, said = _run(["import", str(sites_csv(work)), "--table", "sites", "--db", str(db),
                             "--user", "bench", "--lang", "en"])
    if code != 0:
        raise RuntimeError(f"the sites did not load: {said}")
    seconds, peak, code, said = _run(["import", str(path), "--table", "consultations", "--db", str(db),
                                      "--user", "bench", "--lang", "en"])
    outcome = "loaded" if code == 0 else said
    if code == 0:
        con = duckdb.connect(str(db), read_only=True)
        try:
            loaded = con.execute("SELECT count(*) FROM consultations").fetchall()[0][0]
        finally:
            con.close()
        if loaded != rows:
            outcome = f"{loaded} rows in the database, {rows} in the file"
    for leftover in work.glob(f"{db.name}*"):
        leftover.unlink()
    return ImportFigures(fmt, rows, path.stat().st_size / MIB, seconds, peak, outcome)


def bench(csv_sizes: Sequence[int] = CSV_SIZES, xlsx_sizes: Sequence[int] = XLSX_SIZES,
          directory: Path = IMPORTS_DIR) -> list[ImportFigures]:
    work = directory / "work"
    work.mkdir(parents=True, exist_ok=True)
    figures = []
    try:
        for rows in csv_sizes:
            print(f"Importing {rows:,} consultations from CSV...", file=sys.stderr, flush=True)
            figures.append(measure(consultations_csv(rows, directory), "csv", rows, work))
        for rows in xlsx_sizes:
            print(f"Importing {rows:,} consultations from XLSX...", file=sys.stderr, flush=True)
            figures.append(measure(consultations_xlsx(rows, directory), "xlsx", rows, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return figures


def table(figures: Sequence[ImportFigures]) -> str:
    lines = ["Imports (consultations, each in a process of its own, into a new real database)",
             f"{'format':<7}{'rows':>12}{'file MiB':>10}{'seconds':>9}{'peak MiB':>10}  outcome"]
    for f in figures:
        lines.append(f"{f.format:<7}{f.rows:>12,}{f.file_mib:>10.1f}{f.seconds:>9.1f}{f.peak_mib:>10.0f}  {f.outcome}")
    return "\n".join(lines)


def check_targets(figures: Sequence[ImportFigures]) -> list[str]:
    said = []
    for f in figures:
        if f.outcome != "loaded":
            said.append(f"✗ {f.format} {f.rows:,} rows: {f.outcome}")
        elif f.format == "csv":
            ok = f.peak_mib <= CSV_PEAK_TARGET_MIB
            said.append(f"{'✓' if ok else '✗'} CSV of {f.rows:,} rows: peak {f.peak_mib:.0f} MiB "
                        f"(target ≤ {CSV_PEAK_TARGET_MIB})")
        else:
            ok = f.seconds <= XLSX_SECONDS_TARGET
            said.append(f"{'✓' if ok else '✗'} XLSX of {f.rows:,} rows: {f.seconds:.0f} s "
                        f"(target ≤ {XLSX_SECONDS_TARGET}), peak {f.peak_mib:.0f} MiB")
    return said
