"""Terrain's command line: `python -m terrain COMMAND [options]`.

Each command lives in its module as `command(argv) -> exit status`; this file only routes.
Exit status: 0 done, 1 refused (nothing changed), 2 bad arguments or configuration.
"""

from __future__ import annotations

import importlib
import sys

COMMANDS = {
    "demo": ("terrain.cli_demo", "build the synthetic demo database"),
    "users": ("terrain.auth", "add, list or remove local accounts"),
    "alerts": ("terrain.alerts", "evaluate the advocacy alert rules"),
    "brief": ("terrain.briefs", "write a brief to the authorities (docx or pdf)"),
    "notify": ("terrain.notify", "send new alert episodes and digests by e-mail"),
    "import": ("terrain.imports", "validate and load a data file"),
    "rollback": ("terrain.imports", "put the previous database version back"),
    "templates": ("terrain.imports", "write import templates (CSV and XLSX)"),
    "upgrade": ("terrain.imports", "rewrite a database from an older Terrain in this layout"),
    "approve": ("terrain.approvals", "approve a city's month for donors and the public, or reopen it"),
    "events": ("terrain.events", "list, add or remove the context events drawn on the charts"),
    "publish": ("terrain.publish", "write an audience's published set (CSV with HXL, XLSX, metadata)"),
    "bench": ("terrain.bench", "measure query speed and memory at scale"),
    "serve": ("terrain.serve", "serve the app from several processes behind nginx"),
}

ENTRY_POINTS = {"users": "users_command", "rollback": "rollback_command", "templates": "templates_command",
                "upgrade": "upgrade_command"}


def usage() -> str:
    lines = ["usage: python -m terrain COMMAND [options]", "", "commands:"]
    lines += [f"  {name:<10} {help_text}" for name, (_, help_text) in COMMANDS.items()]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help"):
        print(usage())
        return 0 if argv else 2
    name, rest = argv[0], argv[1:]
    if name not in COMMANDS:
        print(f"Unknown command {name!r}.\n\n{usage()}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[name][0])
    return int(getattr(module, ENTRY_POINTS.get(name, "command"))(rest) or 0)


if __name__ == "__main__":
    sys.exit(main())
