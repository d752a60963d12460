"""What the commands that write the database file (import, rollback, upgrade) and templates
share: `--lang`, `--db` and `--user`, messages in each language asked for, and a fault around
the file as one line."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from terrain import i18n
from terrain.cli import BAD, DB_HELP, LANG_HELP
from terrain.importing import loading


def parser(prog: str, description: str) -> argparse.ArgumentParser:
    made = argparse.ArgumentParser(prog=prog, description=description)
    made.add_argument("--lang", choices=(*i18n.LANGUAGES, "both"), default="both", help=LANG_HELP)
    return made


def database_parser(prog: str, description: str, who: str) -> argparse.ArgumentParser:
    """The arguments of a command that changes the database file as a whole: --db and --user."""
    made = parser(prog, description)
    made.add_argument("--db", type=Path, default=None, help=DB_HELP)
    made.add_argument("--user", default=None, help=f"{who}, for the audit (default: the login name)")
    return made


def say(shown_in: tuple[str, ...], key: str, stream=None, **values) -> None:
    """The message `key` in each language, the second and later indented; numbers and dates
    written as each language writes them."""
    for index, lang in enumerate(shown_in):
        shown = {k: (i18n.format_number(v, lang) if isinstance(v, int) and not isinstance(v, bool) else
                     i18n.format_date(v, lang) if isinstance(v, dt.date) else v) for k, v in values.items()}
        print(("  " if index else "") + i18n.t(key, lang, **shown), file=stream or sys.stdout)


def fault(shown_in: tuple[str, ...], error: BaseException) -> int:
    say(shown_in, "imports.cli.fault", sys.stderr, reason=loading.fault_reason(error))
    return BAD
