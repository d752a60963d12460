"""`python -m terrain rollback [--db PATH]`: put the previous version of the database back
(terrain/importing/loading.py `rollback`)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from terrain import store
from terrain.cli import DONE, REFUSED, languages, parse
from terrain.cli.writers import database_parser, fault, say
from terrain.importing import loading


def command(argv: list[str]) -> int:
    args = parse(database_parser("python -m terrain rollback", "Put the previous version of the database back.",
                                 "who rolls back"), argv)
    if isinstance(args, int):
        return args
    shown_in = languages(args.lang)
    db = Path(args.db or store.db_path())
    try:
        loading.rollback(db, user=args.user or getpass.getuser(), via="cli")
    except FileNotFoundError:
        say(shown_in, "imports.cli.no_backup", sys.stderr, db=str(db))
        return REFUSED
    except loading.FAULTS as error:
        return fault(shown_in, error)
    say(shown_in, "imports.cli.rolled_back", db=str(db))
    return DONE
