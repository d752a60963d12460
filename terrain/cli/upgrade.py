"""`python -m terrain upgrade [--db PATH]`: rewrite a database written by an older Terrain in
this version's layout, its data kept (terrain/upgrades.py; `make run` does it)."""

from __future__ import annotations

import getpass
import sys
from pathlib import Path

from terrain import store
from terrain.cli import DONE, REFUSED, languages, parse
from terrain.cli.writers import database_parser, fault, say
from terrain.importing import loading


def command(argv: list[str]) -> int:
    args = parse(database_parser("python -m terrain upgrade", "Rewrite a database written by an older "
                                 "Terrain in this version's layout (data kept).", "who upgrades"), argv)
    if isinstance(args, int):
        return args
    shown_in = languages(args.lang)
    db = Path(args.db or store.db_path())
    if not db.exists():
        say(shown_in, "imports.cli.no_file", sys.stderr, path=str(db))
        return REFUSED
    try:
        upgraded = loading.upgrade(db, user=args.user or getpass.getuser(), via="cli")
    except loading.FAULTS as error:
        return fault(shown_in, error)
    say(shown_in, "imports.cli.upgraded" if upgraded is not None else "imports.cli.already_current", db=str(db))
    for campaign in upgraded.campaigns if upgraded is not None else ():
        say(shown_in, f"imports.cli.campaign_bands_{campaign.source}", campaign=campaign.campaign_id,
            words=campaign.target_ages, bands=", ".join(campaign.bands))
    if upgraded is not None and any(c.source != "words" for c in upgraded.campaigns):
        say(shown_in, "imports.cli.campaign_bands_check")
    return DONE
