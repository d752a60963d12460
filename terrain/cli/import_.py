"""`python -m terrain import`: check a file and load it into a Terrain table.

    python -m terrain import PATH --table NAME [--db PATH] [--dry-run] [--replace]
                                  [--sheet NAME] [--start-real] [--lang fr|en|both] [--user NAME]
    python -m terrain import PATH --from dhis2 --mapping MAPPING.toml [--db PATH] [--dry-run] [--replace]

The checks and the load are terrain/importing/loading.py, shared with the Import page.
Exit status: DONE loaded (or --dry-run and clean), REFUSED (nothing changed), BAD arguments
or a fault around the file.
"""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from terrain import i18n
from terrain.cli import BAD, DB_HELP, DONE, REFUSED, languages, parse
from terrain.cli.writers import fault, parser, say
from terrain.importing import dhis2, loading, tables


def command(argv: list[str]) -> int:
    """`python -m terrain import PATH --table NAME ...`, or `--from dhis2 --mapping FILE`."""
    made = parser("python -m terrain import", "Check a CSV or XLSX file (or a DHIS2 export) and load it into a "
                  "Terrain table.")
    made.add_argument("path", type=Path, help="the CSV or XLSX file, or the DHIS2 dataValueSets export (CSV, JSON)")
    made.add_argument("--table", default=None, choices=tables.IMPORTABLE,
                      help="the table to load (a DHIS2 import: the mapping's)")
    made.add_argument("--from", dest="source", choices=("terrain", "dhis2"), default="terrain",
                      help="terrain: Terrain's own template (default); dhis2: a DHIS2 dataValueSets export")
    made.add_argument("--mapping", type=Path, default=None,
                      help="--from dhis2: the mapping file (examples/dhis2/mapping.toml)")
    made.add_argument("--db", type=Path, default=None, help=DB_HELP)
    made.add_argument("--dry-run", action="store_true", help="check only, load nothing")
    made.add_argument("--replace", action="store_true", help="replace existing rows with the same key")
    made.add_argument("--sheet", default=None, help="XLSX: the sheet to read (default: the first)")
    made.add_argument("--start-real", action="store_true",
                      help="the database is the synthetic demo: start a new real database in its place")
    made.add_argument("--user", default=None, help="who imports, for the audit (default: the login name)")
    args = parse(made, argv)
    if isinstance(args, int):
        return args
    shown_in = languages(args.lang)
    if args.source == "terrain" and args.table is None:
        made.print_usage(sys.stderr)
        print("python -m terrain import: --table is required (or --from dhis2 --mapping FILE)", file=sys.stderr)
        return BAD
    if args.source == "dhis2" and args.mapping is None:
        made.print_usage(sys.stderr)
        print("python -m terrain import: --from dhis2 needs --mapping FILE", file=sys.stderr)
        return BAD
    if not args.path.is_file():
        say(shown_in, "imports.cli.no_file", sys.stderr, path=str(args.path))
        return BAD
    mapping = None
    if args.source == "dhis2":
        try:
            mapping = dhis2.load_mapping(args.mapping)
        except dhis2.MappingError as error:
            for index, lang in enumerate(shown_in):
                print(("  " if index else "") + i18n.t("dhis2.cli.mapping_error", lang, error=error.text(lang)),
                      file=sys.stderr)
            return BAD
        if args.table is not None and args.table != mapping.table:
            say(shown_in, "dhis2.cli.table_differs", sys.stderr, table=args.table, mapped=mapping.table)
            return BAD
    try:
        if mapping is None:
            report = loading.import_file(args.path, args.path.name, args.table, db=args.db, replace=args.replace,
                                         sheet=args.sheet, dry_run=args.dry_run, start_real=args.start_real,
                                         user=args.user or getpass.getuser(), via="cli")
        else:
            report, translation = loading.import_dhis2(args.path.read_bytes(), args.path.name, mapping, db=args.db,
                                                       replace=args.replace, dry_run=args.dry_run,
                                                       start_real=args.start_real,
                                                       user=args.user or getpass.getuser(), via="cli")
            if translation is not None and not translation.problems:
                say(shown_in, "dhis2.cli.translated", values=translation.values, rows=translation.rows,
                    table=mapping.table, format=translation.format.upper())
    except loading.FAULTS as error:
        return fault(shown_in, error)
    for index, lang in enumerate(shown_in):
        if report.detection:
            print(("  " if index else "") + report.detected(lang))
    if report.warnings:
        say(shown_in, "imports.cli.warnings", count=report.warning_count)
        for lang in shown_in:
            for line in loading.warning_lines(report, lang):
                print("  " + line)
    if not report.ok:
        for lang in shown_in:
            for line in loading.problem_lines(report, lang):
                print(line, file=sys.stderr)
        say(shown_in, "imports.cli.refused", sys.stderr, count=report.problem_count)
        return REFUSED
    if report.outcome == "checked":
        say(shown_in, "imports.cli.checked", rows=report.rows, table=report.table)
        return DONE
    if report.replaced:
        say(shown_in, "imports.cli.replaced", count=report.replaced)
    say(shown_in, "imports.cli.loaded", rows=report.rows, table=report.table, db=str(report.database),
        date=report.data_as_of)
    return DONE
