"""The viewer (terrain/queries/viewer.py): each role and audience resolved once, and what
follows for a query call: refused, or its parameters coarsened."""

import dataclasses
import datetime as dt

import pytest

from terrain import queries, roles
from terrain.queries import catalogue, viewer

D = dt.date

VIEWERS = {
    # (role, audience):                  threshold grain    level   points site rows published  its threshold
    ("programme_manager", "internal"): (0,  "day",   "site", True,  True,  None,     None),
    ("programme_manager", "public"):   (11, "day",   "site", True,  True,  "public", 11),
    ("advocacy", "internal"):          (5,  "day",   "site", False, True,  None,     None),
    ("advocacy", "public"):            (11, "day",   "site", False, True,  "public", 11),
    ("donor", "internal"):             (11, "month", "city", False, False, "donor",  11),
    ("donor", "public"):               (11, "month", "city", False, False, "public", 11),
}


def test_the_table_covers_every_role_and_audience():
    assert set(VIEWERS) == {(role, audience) for role in roles.ROLES for audience in roles.AUDIENCES}


@pytest.mark.parametrize("role, audience", VIEWERS)
def test_each_viewer_is_resolved_once_with_its_rules(role, audience):
    who = viewer.of(role, audience)
    threshold, grain, level, points, site_rows, published, published_threshold = VIEWERS[role, audience]
    assert (who.role, who.audience) == (role, audience)
    assert (who.threshold, who.finest_grain, who.finest_level) == (threshold, grain, level)
    assert (who.exact_locations, who.site_detail) == (points, site_rows)
    assert (who.published, who.published_threshold) == (published, published_threshold)
    assert who.months_only == (grain == "month")
    assert viewer.of(role, audience) is who   # asked once, kept
    with pytest.raises(dataclasses.FrozenInstanceError):
        who.threshold = 0


@pytest.mark.parametrize("role, audience", [("visitor", "internal"), ("donor", "press"), (None, "internal")])
def test_an_unknown_role_or_audience_is_refused(role, audience):
    with pytest.raises(ValueError, match="Unknown"):
        viewer.of(role, audience)


def _query(level: str, grain: str, params: str, locations: str = "") -> catalogue.Query:
    used = ", ".join(f"${p.strip()}" for p in params.split(",") if p.strip())
    return catalogue.parse("q", f"-- name: q\n-- params: {params}\n-- level: {level}\n-- grain: {grain}\n"
                                f"{locations}SELECT {used or 1}")


SITES_BY_DAY = _query("site", "day", "start, end, sites")
SITE_POINTS = _query("site", "none", "start, end, sites", "-- locations: exact\n")
CITIES_BY_WEEK = _query("city", "week", "start, end")
CITIES_BY_GRAIN = _query("city", "$grain", "start, end, grain, cities")
ASKED = {"start": D(2024, 1, 15), "end": D(2024, 2, 10), "sites": ["calais_day_centre"], "grain": "week",
         "cities": ["Calais"]}
WHOLE_MONTHS = {"start": D(2024, 1, 1), "end": D(2024, 2, 29)}

CALLS = [
    # query,          role,                 expected parameters, or the level or grain refused
    (SITES_BY_DAY,    "programme_manager",  {"start": D(2024, 1, 15), "end": D(2024, 2, 10), "sites": ["calais_day_centre"]}),
    (SITES_BY_DAY,    "advocacy",           {"start": D(2024, 1, 15), "end": D(2024, 2, 10), "sites": ["calais_day_centre"]}),
    (SITES_BY_DAY,    "donor",              "site"),
    (SITE_POINTS,     "programme_manager",  {"start": D(2024, 1, 15), "end": D(2024, 2, 10), "sites": ["calais_day_centre"]}),
    (SITE_POINTS,     "donor",              {**WHOLE_MONTHS, "sites": []}),   # drawn as areas
    (CITIES_BY_WEEK,  "advocacy",           {"start": D(2024, 1, 15), "end": D(2024, 2, 10)}),
    (CITIES_BY_WEEK,  "donor",              "week"),
    (CITIES_BY_GRAIN, "advocacy",           {"start": D(2024, 1, 15), "end": D(2024, 2, 10), "grain": "week",
                                             "cities": ["Calais"]}),
    (CITIES_BY_GRAIN, "donor",              {**WHOLE_MONTHS, "grain": "month", "cities": ["Calais"]}),
]


@pytest.mark.parametrize("query, role, expected", CALLS)
def test_a_call_is_refused_or_coarsened_for_its_viewer(query, role, expected):
    who = viewer.of(role)
    asked = {p: ASKED[p] for p in query.params}
    if isinstance(expected, str):
        assert viewer.reaches(who, query) is (expected not in roles.LEVELS)
        with pytest.raises(queries.AccessDenied, match=f"The {role} role sees no figures per {expected} "):
            viewer.constrain(who, query, asked)
    else:
        assert viewer.reaches(who, query)
        assert viewer.constrain(who, query, asked) == expected
        assert asked == {p: ASKED[p] for p in query.params}   # the call's own parameters untouched


@pytest.mark.parametrize("role, coarsened", [("programme_manager", False), ("advocacy", True), ("donor", True)])
def test_points_are_areas_for_whoever_may_not_see_them(role, coarsened):
    assert viewer.coarsens(viewer.of(role), SITE_POINTS) is coarsened
    assert viewer.coarsens(viewer.of(role), SITES_BY_DAY) is False


def test_a_date_that_is_not_one_is_refused_for_a_role_that_sees_months():
    with pytest.raises(queries.QueryError, match=r"\$start must be a date, not 'soon'"):
        viewer.constrain(viewer.of("donor"), CITIES_BY_GRAIN, {**ASKED, "start": "soon"})


def test_the_door_tells_its_observers_every_call_and_nothing_once_they_close(fixture_con):
    """The benchmark's hook: every call that reaches the door, from any thread, refused ones
    included, as it was asked; a closed observer hears nothing more."""
    import threading

    period = {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31), "cities": []}
    monthly = {**period, "grain": "month"}
    answered = []
    with queries.observe() as asked:
        queries.run(fixture_con, "cities", {}, role="programme_manager")
        worker = threading.Thread(target=lambda: answered.append(
            queries.run(fixture_con.cursor(), "occupancy_by_city", monthly, role="donor")))
        worker.start()
        worker.join()
        with pytest.raises(queries.AccessDenied):
            queries.run(fixture_con, "consultations_coverage_by_city_month", period, role="donor")
    queries.run(fixture_con, "cities", {}, role="advocacy")
    assert len(answered) == 1
    assert asked == [("cities", {}, "programme_manager", "internal"),
                     ("occupancy_by_city", monthly, "donor", "internal"),
                     ("consultations_coverage_by_city_month", period, "donor", "internal")]
