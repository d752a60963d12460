"""What each role gets on each page (terrain/ui/views.py): the one place below the pages where
a role becomes levels, queries, filters and actions. A table of cases, as for terrain/roles.py;
the pages' own tests (AppTest) check that each page draws what its view says."""

import pytest

from terrain import queries, roles
from terrain.ui import views

ALL_FILTERS = ("period", "grain", "city", "site", "activity", "age", "sex", "minors", "girls")

#                    role                 per shelter, consultations, exact map, nights, approvals
VIEWS = [
    ("programme_manager", True, "site", True, True, True),
    ("advocacy", True, "site", False, True, False),
    ("donor", False, "city", False, False, False),
]


@pytest.mark.parametrize(("role", "per_shelter", "level", "exact", "nights", "approvals"), VIEWS)
def test_each_role_gets_its_view_of_each_page(role, per_shelter, level, exact, nights, approvals):
    occupancy = views.occupancy(role)
    assert (occupancy.per_shelter, occupancy.level, occupancy.period_note) == (
        (True, "shelters", "occupancy.nightly_note") if per_shelter else (False, "cities", "occupancy.whole_months"))
    consultations = views.consultations(role)
    assert consultations.level == level
    assert consultations.queries == views.CONSULTATIONS_QUERIES[level]
    assert views.map_view(role).exact is exact
    assert views.winter(role).night_by_night is nights
    assert views.overview(role).months_to_approve is approvals


@pytest.mark.parametrize(("role", "fields", "grains"), [
    ("programme_manager", ALL_FILTERS, ("month", "week")),
    ("advocacy", ALL_FILTERS, ("month", "week")),
    ("donor", ("period", "grain", "city", "activity"), ("month",)),   # activities: rows of the city-level results
])
def test_the_filters_a_role_may_use(role, fields, grains):
    assert views.filtering(ALL_FILTERS, role) == views.Filtering(fields, grains)
    # the page's own choice and order are kept
    assert views.filtering(("city", "period"), role).fields == ("city", "period")


@pytest.mark.parametrize("role", roles.ROLES)
def test_a_role_is_never_handed_a_query_of_a_finer_level_than_it_may_see(role):
    for name in views.consultations(role).queries.values():
        assert roles.allows_level(role, queries.load(name).level), (role, name)


@pytest.mark.parametrize("role", roles.ROLES)
def test_the_menu_lists_the_role_s_pages_and_keeps_every_other_address(role):
    menu = views.menu(role)
    assert menu.pages == roles.pages_for(role)
    assert sorted(menu.pages + menu.others) == sorted(roles.PAGES)
    assert not set(menu.pages) & set(menu.others)


@pytest.mark.parametrize(("role", "threshold", "audiences"), [
    ("programme_manager", 0, ("internal", "public")),
    ("advocacy", 5, ("internal", "public")),
])
def test_alerts_are_shown_with_the_role_s_threshold_and_its_brief_audiences(role, threshold, audiences, monkeypatch,
                                                                            fixture_db):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    view = views.alerts(role)
    assert (view.threshold, view.brief_audiences) == (threshold, audiences)


def test_nobody_signed_in_gets_no_view():
    with pytest.raises(queries.AccessDenied):
        views.occupancy()


# --- the alert episodes, made once per data version and settings ---------------------------------

def test_the_alert_episodes_made_in_the_background_are_the_ones_the_page_reads(monkeypatch, fixture_db):
    import threading

    from terrain import alerts, store
    from terrain.ui import data

    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    monkeypatch.setattr(views, "_EPISODES", {})
    config = alerts.load_config()
    with store.open_readonly(fixture_db) as con:
        expected = alerts.evaluate(con, config, *alerts.data_bounds(con))
    assert expected   # the fixture's saturation and cold exclusion, at least

    # A page's run (its own thread) sets it going: the evaluation waits for that run's end.
    planned, page_run_may_end = threading.Event(), threading.Event()

    def page_run() -> None:
        views.warm_alerts(config)
        views.warm_alerts(config)   # a second ask plans nothing more
        planned.set()
        page_run_may_end.wait(10)

    run = threading.Thread(target=page_run)
    run.start()
    assert planned.wait(10)
    evaluation = views._evaluation(data.data_version(), config)
    assert evaluation.warming and not evaluation.claimed   # planned, not begun while the page runs
    page_run_may_end.set()
    run.join()
    assert evaluation.finished.wait(30) and evaluation.claimed
    assert views._episodes(data.data_version(), config) == expected
    for thread in [t for t in threading.enumerate() if t.name == "terrain-alert-episodes"]:
        thread.join(10)
        assert not thread.is_alive()
    # other settings are another evaluation; the page makes it itself when nothing has
    other = {**config, "cold_exclusion": {**config["cold_exclusion"], "turned_away_at_least": 1000}}
    assert views._episodes(data.data_version(), other) == [e for e in expected if e.rule != "cold_exclusion"]
    assert len(views._EPISODES) == 2


def test_a_failed_evaluation_of_the_alert_episodes_is_not_kept(monkeypatch, fixture_db, tmp_path):
    from terrain import alerts

    monkeypatch.setattr(views, "_EPISODES", {})
    config = alerts.load_config()
    monkeypatch.setenv("TERRAIN_DB", str(tmp_path / "missing.duckdb"))
    with pytest.raises(Exception):
        views._episodes("no such version", config)
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    from terrain.ui import data
    assert views._episodes(data.data_version(), config)
    assert views._evaluation("no such version", config).failure is None   # a new one, not the failed one
