"""`python -m terrain templates [--out DIR]`: the import templates, CSV and XLSX, with their
column descriptions (terrain/importing/templates.py)."""

from __future__ import annotations

from pathlib import Path

from terrain import ROOT
from terrain.cli import DONE, languages, parse
from terrain.cli.writers import fault, parser, say
from terrain.importing import templates


def command(argv: list[str]) -> int:
    made = parser("python -m terrain templates", "Write the import templates (CSV, XLSX, descriptions).")
    made.add_argument("--out", type=Path, default=ROOT / "data" / "templates", help="directory (default: data/templates)")
    args = parse(made, argv)
    if isinstance(args, int):
        return args
    shown_in = languages(args.lang)
    try:
        written = templates.write_all(args.out)
    except OSError as error:
        return fault(shown_in, error)
    say(shown_in, "imports.cli.templates_written", count=len(written), directory=str(args.out))
    return DONE
