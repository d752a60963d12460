"""Who reads: a role making an output for an audience, resolved once into what the door
needs to know of them (their threshold, finest grain, places, published set), and the rules
that follow for a query call (`reaches`, `coarsens`, `constrain`).

The rules themselves live in terrain/roles.py and terrain/disclosure/; a Viewer only holds
their answers for one role and audience, so that the door asks once, not at every step.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from terrain import disclosure, roles
from terrain.disclosure import publication
from terrain.queries.dates import as_date, month_end, month_start
from terrain.queries.errors import AccessDenied

if TYPE_CHECKING:
    from terrain.queries.catalogue import Query


@dataclass(frozen=True)
class Viewer:
    role: str
    audience: str               # "internal" (on screen) or "public" (anything published)
    threshold: int              # counts below it are hidden in the rows they see; 0: none
    finest_grain: str           # day, or month for roles that see whole months only
    finest_level: str           # site, or city
    exact_locations: bool       # sites as points; otherwise as communes or départements
    site_detail: bool           # site filters and rows per site
    published: str | None       # whose published set answers them (donor, public); None: the rows
    published_threshold: int | None

    @property
    def months_only(self) -> bool:
        return self.finest_grain == "month"

    def allows_grain(self, grain: str) -> bool:
        return roles.allows_grain(self.role, grain)


def published_reader(role: str, audience: str) -> str | None:
    """Whose published set answers a call: the public's for anything marked public, the
    donors' for donors; None for the programme's own staff, who read the rows."""
    if audience == "public":
        return "public"
    return "donor" if role == "donor" else None


@functools.cache
def of(role: str, audience: str = "internal") -> Viewer:
    """The viewer of a role and audience (ValueError for an unknown one)."""
    reader = published_reader(role, audience)
    return Viewer(
        role=role, audience=audience, threshold=disclosure.threshold(role, audience),
        finest_grain=roles.finest_grain(role), finest_level=roles.finest_level(role),
        exact_locations=roles.can(role, "see_exact_locations"), site_detail=roles.can(role, "see_site_detail"),
        published=reader, published_threshold=None if reader is None else publication.threshold(reader))


# Who reads the rows as they are (read_rows, read_published): the programme's own role.
ROWS_READER = "programme_manager"


def coarsens(who: Viewer, query: Query) -> bool:
    """Whether the query's exact locations are drawn as areas for this viewer."""
    return query.exact_locations and not who.exact_locations


def reaches(who: Viewer, query: Query) -> bool:
    # Rows with exact locations are coarsened to areas (communes, départements) for roles that
    # may not see points, so such a query is at area level for them.
    return roles.allows_level(who.role, query.level) or coarsens(who, query)


def constrain(who: Viewer, query: Query, params: Mapping[str, Any]) -> dict[str, Any]:
    """Apply the viewer's rules to a query call: refuse it, or coarsen its parameters.

    A role that sees months only gets whole months: periods a day apart would otherwise
    differ by one day's count, which is exactly what suppression hides.
    """
    if not reaches(who, query):
        raise AccessDenied(f"The {who.role} role sees no figures per {query.level} ({query.name}).")
    if query.grain in roles.GRAINS and not who.allows_grain(query.grain):
        raise AccessDenied(f"The {who.role} role sees no figures per {query.grain} ({query.name}).")
    params = dict(params)
    if "grain" in params and not who.allows_grain(params["grain"]):
        params["grain"] = who.finest_grain
    if not who.site_detail and "sites" in params:
        params["sites"] = []
    if who.months_only:
        if "start" in params:
            params["start"] = month_start(as_date(params["start"], "start"))
        if "end" in params:
            params["end"] = month_end(as_date(params["end"], "end"))
    return params
