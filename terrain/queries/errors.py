"""What the door raises. Every failure of a query call is one of these, so that whoever
shows it (a page, a command) can say in one line what went wrong."""

from __future__ import annotations


class QueryError(Exception):
    """A query file is malformed or was called with the wrong parameters."""


class AccessDenied(PermissionError):
    """The role may not run this query (too fine a grain or geography, exact locations)."""


class QueryTimeout(QueryError):
    """A query call ran past the time limit and was interrupted (terrain/queries/limit.py)."""

    def __init__(self, name: str, seconds: float):
        super().__init__(f"Query {name!r} ran past its time limit of {seconds:g} s and was interrupted.")
        self.name = name
        self.seconds = seconds
