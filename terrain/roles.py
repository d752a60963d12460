"""Who may see and do what: the one place where access rules live, as pure functions.

The query door (terrain/queries/) and every page ask these functions; nothing else decides
access. Tested by the table in tests/test_roles.py.
"""

from __future__ import annotations

ROLES = ("programme_manager", "advocacy", "donor")

# Pages, in menu order. "imports" loads data; "approvals" approves months for donors and the
# public; "events" keeps the context events drawn on the charts; "alerts" drafts alerts and
# briefs; "glossary" gives every definition, to everyone who reads a figure.
PAGES = ("overview", "map", "occupancy", "consultations", "outreach", "winter", "alerts", "imports", "approvals",
         "events", "glossary")

_PAGES_BY_ROLE = {
    "programme_manager": frozenset(PAGES),
    "advocacy": frozenset(PAGES) - {"imports", "approvals", "events"},
    "donor": frozenset({"overview", "map", "occupancy", "consultations", "winter", "glossary"}),
}

ACTIONS = (
    "see_exact_locations",   # site coordinates on the map
    "see_site_detail",       # rows per site (donors see cities only)
    "choose_weekly_grain",   # weekly or daily time axis (donors see months only)
    "download_tables",
    "import_data",
    "manage_accounts",
    "evaluate_alerts",
    "prepare_internal_brief",
    "prepare_public_brief",
    "approve_months",        # approve a city's month for donors and the public, or reopen it
)

_ACTIONS_BY_ROLE = {
    "programme_manager": frozenset(ACTIONS),
    "advocacy": frozenset({
        "see_site_detail", "choose_weekly_grain", "download_tables", "evaluate_alerts",
        "prepare_internal_brief", "prepare_public_brief",
    }),
    "donor": frozenset({"download_tables"}),
}

# Audiences of an output. "internal" is what a signed-in user sees on screen; "public" is
# anything marked for publication (a published brief, a donor report).
AUDIENCES = ("internal", "public")

GRAINS = ("day", "week", "month")
LEVELS = ("site", "city", "programme")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"Unknown role {role!r}; expected one of {', '.join(ROLES)}.")


def can_view_page(role: str | None, page: str) -> bool:
    if role is None:
        return False
    _check_role(role)
    if page not in PAGES:
        raise ValueError(f"Unknown page {page!r}.")
    return page in _PAGES_BY_ROLE[role]


def pages_for(role: str | None) -> tuple[str, ...]:
    return tuple(p for p in PAGES if can_view_page(role, p))


def can(role: str | None, action: str) -> bool:
    if role is None:
        return False
    _check_role(role)
    if action not in ACTIONS:
        raise ValueError(f"Unknown action {action!r}.")
    return action in _ACTIONS_BY_ROLE[role]


def finest_grain(role: str) -> str:
    _check_role(role)
    return "day" if can(role, "choose_weekly_grain") else "month"


def grains_for(role: str) -> tuple[str, ...]:
    """Time grains a role may choose for a time axis, finest last."""
    return ("month", "week") if can(role, "choose_weekly_grain") else ("month",)


def finest_level(role: str) -> str:
    _check_role(role)
    return "site" if can(role, "see_site_detail") else "city"


def allows_grain(role: str, grain: str) -> bool:
    if grain not in GRAINS:
        raise ValueError(f"Unknown grain {grain!r}.")
    return GRAINS.index(grain) >= GRAINS.index(finest_grain(role))


def allows_level(role: str, level: str) -> bool:
    if level not in LEVELS:
        raise ValueError(f"Unknown level {level!r}.")
    return LEVELS.index(level) >= LEVELS.index(finest_level(role))
