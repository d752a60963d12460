"""The role table: every role × page and role × action, and the grain/level/threshold rules."""

import pytest

from terrain import roles

PAGE_TABLE = {
    # page:            manager advocacy donor
    "overview":        (True, True, True),
    "map":             (True, True, True),
    "occupancy":       (True, True, True),
    "consultations":   (True, True, True),
    "outreach":        (True, True, False),
    "winter":          (True, True, True),
    "alerts":          (True, True, False),
    "imports":         (True, False, False),
    "approvals":     (True, False, False),
    "events":          (True, False, False),
    "glossary":        (True, True, True),
}

ACTION_TABLE = {
    "see_exact_locations":    (True, False, False),
    "see_site_detail":        (True, True, False),
    "choose_weekly_grain":    (True, True, False),
    "download_tables":        (True, True, True),
    "import_data":            (True, False, False),
    "manage_accounts":        (True, False, False),
    "evaluate_alerts":        (True, True, False),
    "prepare_internal_brief": (True, True, False),
    "prepare_public_brief":   (True, True, False),
    "approve_months":         (True, False, False),
}


def test_tables_cover_every_page_and_action():
    assert set(PAGE_TABLE) == set(roles.PAGES)
    assert set(ACTION_TABLE) == set(roles.ACTIONS)


@pytest.mark.parametrize("page,role,allowed", [
    (page, role, row[i]) for page, row in PAGE_TABLE.items() for i, role in enumerate(roles.ROLES)])
def test_page_access(page, role, allowed):
    assert roles.can_view_page(role, page) is allowed


@pytest.mark.parametrize("action,role,allowed", [
    (action, role, row[i]) for action, row in ACTION_TABLE.items() for i, role in enumerate(roles.ROLES)])
def test_actions(action, role, allowed):
    assert roles.can(role, action) is allowed


@pytest.mark.parametrize("page", roles.PAGES)
def test_signed_out_visitor_sees_no_page(page):
    assert roles.can_view_page(None, page) is False


@pytest.mark.parametrize("role,grain,allowed", [
    ("programme_manager", "day", True), ("programme_manager", "week", True),
    ("advocacy", "day", True), ("advocacy", "week", True),
    ("donor", "day", False), ("donor", "week", False), ("donor", "month", True),
])
def test_grains(role, grain, allowed):
    assert roles.allows_grain(role, grain) is allowed


@pytest.mark.parametrize("role,level,allowed", [
    ("programme_manager", "site", True), ("advocacy", "site", True), ("donor", "site", False),
    ("donor", "city", True), ("donor", "programme", True),
])
def test_levels(role, level, allowed):
    assert roles.allows_level(role, level) is allowed


@pytest.mark.parametrize("call", [
    lambda: roles.can_view_page("admin", "overview"),
    lambda: roles.can_view_page("donor", "secret"),
    lambda: roles.can("donor", "delete_everything"),
])
def test_unknown_names_are_errors_not_refusals(call):
    with pytest.raises(ValueError):
        call()
