"""`python -m terrain users add|list|remove|passwd`: the local accounts (terrain/auth.py)."""

from __future__ import annotations

import argparse
import getpass
import sys
from typing import IO

from terrain import auth
from terrain.cli import DONE, REFUSED, parse


def _read_new_password(stdin: IO[str]) -> str:
    if stdin.isatty():
        first = getpass.getpass("Password: ")
        if getpass.getpass("Password again: ") != first:
            raise ValueError("The two passwords differ.")
        return first
    line = stdin.readline()
    if not line:
        raise ValueError("No password on standard input.")
    return line.rstrip("\r\n")


def _valid_name(name: str) -> str:
    try:
        auth.check_name(name)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return name


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m terrain users",
                                     description="Local Terrain accounts ($TERRAIN_USERS, default data/users.json).")
    commands = parser.add_subparsers(dest="command", required=True)
    add = commands.add_parser("add", help="create an account; the password is asked, or read from standard input")
    add.add_argument("name", type=_valid_name)
    add.add_argument("--role", required=True, choices=auth.ROLES)
    commands.add_parser("list", help="list accounts")
    remove = commands.add_parser("remove", help="delete an account")
    remove.add_argument("name")
    passwd = commands.add_parser("passwd", help="change an account's password")
    passwd.add_argument("name")
    return parser


def command(argv: list[str], stdin: IO[str] | None = None, stdout: IO[str] | None = None) -> int:
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    args = parse(_parser(), argv)
    if isinstance(args, int):
        return args
    try:
        if args.command == "add":
            auth.add_user(args.name, args.role, _read_new_password(stdin))
            print(f"Added {args.name} ({args.role}) to {auth.users_path()}.", file=stdout)
        elif args.command == "passwd":
            auth.set_password(args.name, _read_new_password(stdin))
            print(f"Changed the password of {args.name}.", file=stdout)
        elif args.command == "remove":
            auth.remove_user(args.name)
            print(f"Removed {args.name} from {auth.users_path()}.", file=stdout)
        else:
            accounts = auth.list_users()
            if not accounts:
                print(f"No accounts in {auth.users_path()}.", file=stdout)
            for account in accounts:
                print(f"{account['name']:<32} {account['role']:<18} {account['created']}", file=stdout)
    except ValueError as refusal:
        print(f"Refused: {refusal}", file=sys.stderr)
        return REFUSED
    return DONE
