"""Terrain's command line: `python -m terrain COMMAND [options]`.

One module per command in this package, each `command(argv) -> exit status`: it parses the
arguments, calls the domain module that holds the logic, and prints what happened. The domain
modules neither parse arguments nor print.

Exit status, the same for every command:
- DONE (0): done;
- REFUSED (1): refused, nothing changed;
- BAD (2): bad arguments, configuration, or a fault around the file (no space, a folder or
  audit that cannot be written, a damaged database), or a query past the door's time limit:
  one line, nothing changed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
from collections.abc import Sequence

DONE, REFUSED, BAD = 0, 1, 2

COMMANDS = {
    "demo": ("terrain.cli.demo", "build the synthetic demo database"),
    "users": ("terrain.cli.users", "add, list or remove local accounts"),
    "alerts": ("terrain.cli.alerts", "evaluate the advocacy alert rules"),
    "brief": ("terrain.cli.brief", "write a brief to the authorities (docx or pdf)"),
    "notify": ("terrain.cli.notify", "send new alert episodes and digests by e-mail"),
    "import": ("terrain.cli.import_", "validate and load a data file"),
    "rollback": ("terrain.cli.rollback", "put the previous database version back"),
    "templates": ("terrain.cli.templates", "write import templates (CSV and XLSX)"),
    "upgrade": ("terrain.cli.upgrade", "rewrite a database from an older Terrain in this layout"),
    "approve": ("terrain.cli.approve", "approve a city's month for donors and the public, or reopen it"),
    "events": ("terrain.cli.events", "list, add or remove the context events drawn on the charts"),
    "publish": ("terrain.cli.publish", "write an audience's published set (CSV with HXL, XLSX, metadata)"),
    "bench": ("terrain.cli.bench", "measure query speed and memory at scale"),
    "serve": ("terrain.cli.serve", "serve the app from several processes behind nginx"),
    "loadtest": ("terrain.cli.loadtest", "many sessions on the app at once, behind nginx"),
}

DB_HELP = "database file (default: $TERRAIN_DB or data/terrain.duckdb)"
LANG_HELP = "language of the messages (default: French with English alongside)"


def usage() -> str:
    lines = ["usage: python -m terrain COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<10} {help_text}" for name, (_, help_text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return DONE if argv else BAD
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"Unknown command {name!r}.\n\n{usage()}", file=sys.stderr)
        return BAD
    module = importlib.import_module(COMMANDS[name][0])
    try:
        return int(module.command(rest) or DONE)
    except Exception as fault:
        if not _past_time_limit(fault):
            raise
        return BAD


def _past_time_limit(fault: Exception) -> bool:
    """A query past the door's time limit (terrain/queries/limit.py), from any command: one
    line per language on stderr, not a traceback. The door's errors are loaded whenever the
    door can have raised one, so a command that never queries never imports them."""
    errors = sys.modules.get("terrain.queries.errors")
    if errors is None or not isinstance(fault, errors.QueryTimeout):
        return False
    from terrain import i18n
    for lang in i18n.LANGUAGES:
        print(i18n.t("door.timeout_command", lang, limit=i18n.format_time_limit(fault.seconds, lang)),
              file=sys.stderr)
    return True


def parse(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace | int:
    """The arguments, or the exit status argparse chose (0 after --help, 2 after an error,
    its message already printed)."""
    try:
        return parser.parse_args(list(argv))
    except SystemExit as exit_:
        return int(exit_.code or DONE)


def iso_date(text: str) -> dt.date:
    """An argparse type: a day written YYYY-MM-DD."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def languages(choice: str) -> tuple[str, ...]:
    """The languages of the messages for `--lang fr|en|both`."""
    # Imported here: babel is slow to import, and `serve` and `--help` need none of it.
    from terrain import i18n

    return i18n.LANGUAGES if choice == "both" else (choice,)
