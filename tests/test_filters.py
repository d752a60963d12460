"""The period presets (whole calendar periods, with their dates said) and the sidebar's
choices: the Site filter follows the City and the period, placeholders agree with their
label, and no English "Select all"."""

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from terrain import filters, i18n, store
from tests.apptest import run_page

D = dt.date
FR = lambda key, **values: i18n.t(key, "fr", **values)  # noqa: E731


@pytest.mark.parametrize("preset,as_of,expected", [
    # The demo's as-of, a Friday: the last whole month, weeks and months before it.
    ("last_month", D(2026, 12, 4), (D(2026, 11, 1), D(2026, 11, 30))),
    ("last_4_weeks", D(2026, 12, 4), (D(2026, 11, 2), D(2026, 11, 29))),
    ("last_3_months", D(2026, 12, 4), (D(2026, 9, 1), D(2026, 11, 30))),
    # Data to the last day of a month: that month is whole.
    ("last_month", D(2024, 3, 31), (D(2024, 3, 1), D(2024, 3, 31))),
    ("last_month", D(2024, 2, 29), (D(2024, 2, 1), D(2024, 2, 29))),
    ("last_3_months", D(2024, 3, 31), (D(2024, 1, 1), D(2024, 3, 31))),
    # Across a new year.
    ("last_month", D(2025, 1, 15), (D(2024, 12, 1), D(2024, 12, 31))),
    ("last_3_months", D(2025, 2, 3), (D(2024, 11, 1), D(2025, 1, 31))),
    # A Sunday ends its week; a Monday does not.
    ("last_4_weeks", D(2024, 3, 31), (D(2024, 3, 4), D(2024, 3, 31))),
    ("last_4_weeks", D(2024, 4, 1), (D(2024, 3, 4), D(2024, 3, 31))),
    # The season and the year in progress stop at the data.
    ("winter_season", D(2026, 12, 4), (D(2026, 11, 1), D(2026, 12, 4))),
    ("year", D(2026, 12, 4), (D(2026, 1, 1), D(2026, 12, 4))),
])
def test_preset_periods(preset, as_of, expected):
    assert filters.preset_period(preset, as_of) == expected


@given(st.dates(min_value=D(2001, 1, 1), max_value=D(2099, 12, 31)))
def test_month_and_week_presets_are_whole_periods_just_before_the_data_ends(as_of):
    start, end = filters.preset_period("last_month", as_of)
    following = end + dt.timedelta(days=1)
    assert start.day == 1 and following.day == 1 and (start.year, start.month) == (end.year, end.month)
    # the last whole month: the next one is not whole yet
    assert end <= as_of < (following.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    start3, end3 = filters.preset_period("last_3_months", as_of)
    assert end3 == end and start3.day == 1 and (end3.year * 12 + end3.month) - (start3.year * 12 + start3.month) == 2
    start4, end4 = filters.preset_period("last_4_weeks", as_of)
    assert (start4.weekday(), end4.weekday(), (end4 - start4).days) == (0, 6, 27)
    assert end4 <= as_of < end4 + dt.timedelta(days=7)


def test_last_month_is_in_the_url_and_the_menu(fixture_db, monkeypatch):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    parsed = filters.parse({"period": "last_month"}, as_of=D(2024, 3, 31), first_day=D(2023, 1, 1))
    assert (parsed.preset, parsed.start, parsed.end, parsed.notices) == ("last_month", D(2024, 3, 1), D(2024, 3, 31), ())
    assert filters.to_query_params(parsed)["period"] == "last_month"
    at = run_page("pages/overview.py", "programme_manager", {"period": "last_month"})
    assert not at.exception
    period = at.selectbox(key="f_period")
    assert period.value == "last_month" and period.format_func("last_month") == "Mois dernier"
    assert FR("filters.period_covers", period="du 1er au 31 mars 2024") in [c.value for c in at.sidebar.caption]


@pytest.mark.parametrize("url,covers", [
    ({"period": "last_4_weeks"}, "du 4 au 31 mars 2024"),
    ({"period": "last_3_months"}, "du 1er janvier au 31 mars 2024"),
    ({"period": "winter_season"}, "du 1er novembre 2023 au 31 mars 2024"),
    ({"period": "custom", "from": "2024-01-08", "to": "2024-01-21"}, "du 8 au 21 janvier 2024"),
])
def test_every_preset_says_its_dates(url, covers, fixture_db, monkeypatch):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    at = run_page("pages/overview.py", "advocacy", url)
    assert FR("filters.period_covers", period=covers) in [c.value for c in at.sidebar.caption]


@pytest.fixture(scope="module")
def closed_shelter_db(fixture_db, tmp_path_factory):
    """The fixture with a Calais shelter open only in 2016."""
    path = tmp_path_factory.mktemp("closed") / "closed.duckdb"
    with store.new_database(path, copy_from=fixture_db) as con:
        con.execute("INSERT INTO sites VALUES ('calais_old_shelter', 'Ancien abri de Calais', 'Calais', '62193', "
                    "'62', 'shelter', 50.95, 1.85, 12, 'mixed', DATE '2016-01-01', DATE '2016-12-31')")
    return path


@pytest.mark.parametrize("url,listed", [
    ({}, ["Abri d'urgence de Calais", "Hébergement mineurs Marseille", "Hébergement filles Pantin"]),
    ({"city": "Pantin"}, ["Hébergement filles Pantin"]),
    ({"city": "Calais,Marseille"}, ["Abri d'urgence de Calais", "Hébergement mineurs Marseille"]),
    ({"period": "custom", "from": "2016-06-01", "to": "2023-12-31", "city": "Calais"},
     ["Ancien abri de Calais", "Abri d'urgence de Calais"]),
    ({"period": "custom", "from": "2016-06-01", "to": "2022-12-31", "city": "Calais"}, ["Ancien abri de Calais"]),
])
def test_the_site_filter_follows_the_city_and_the_period(url, listed, closed_shelter_db, monkeypatch):
    monkeypatch.setenv("TERRAIN_DB", str(closed_shelter_db))
    at = run_page("pages/occupancy.py", "programme_manager", url)
    assert not at.exception
    widget = at.multiselect(key="f_site")
    assert [widget.format_func(site) for site in widget.options] == listed


def test_a_chosen_site_outside_the_chosen_city_is_dropped(fixture_db, monkeypatch):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    at = run_page("pages/occupancy.py", "programme_manager", {"site": "pantin_girls_shelter"})
    assert at.multiselect(key="f_site").value == ["pantin_girls_shelter"]
    at.multiselect(key="f_city").select("Calais").run()
    assert not at.exception
    assert at.multiselect(key="f_site").value == []
    assert "site" not in at.query_params


@pytest.mark.parametrize("lang,placeholders", [
    ("fr", {"f_city": "Toutes", "f_site": "Tous", "f_activity": "Toutes", "f_age": "Toutes", "f_sex": "Tous"}),
    ("en", {"f_city": "All", "f_site": "All", "f_activity": "All", "f_age": "All", "f_sex": "All"}),
])
def test_placeholders_agree_with_their_label_and_nothing_offers_select_all(lang, placeholders, fixture_db, monkeypatch):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    at = run_page("pages/consultations.py", "programme_manager", {"lang": lang})
    assert not at.exception
    for key, placeholder in placeholders.items():
        widget = at.multiselect(key=key)
        assert widget.placeholder == placeholder
        assert widget.proto.select_all == 0, key  # Streamlit's "Select all" is English only
