"""The app shell and the Overview page, run in Streamlit's real runtime (AppTest)."""

import datetime as dt
import os
import re
import threading

import duckdb
import pytest

from terrain import (
    ROOT,
    auth,
    disclosure,
    i18n,
    indicators,
    queries,
    roles,
    sessions,
    web,
)
from terrain.disclosure import publication
from terrain.ui import frame as page_frame
from tests import apptest

JANUARY = {"period": "custom", "from": "2024-01-01", "to": "2024-01-31"}


@pytest.fixture(autouse=True)
def database(fixture_db, monkeypatch, tmp_path):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    monkeypatch.setenv("TERRAIN_USERS", str(tmp_path / "users.json"))
    monkeypatch.setenv("TERRAIN_AUTH_STATE", str(tmp_path / "auth-state.sqlite"))


def _texts(at):
    return " ".join(e.value for kind in ("markdown", "caption", "warning", "error", "info", "title")
                    for e in getattr(at, kind) if isinstance(getattr(e, "value", None), str))


def test_signed_out_visitor_gets_only_the_sign_in_form():
    at = apptest.run_page("dashboard.py")
    assert not at.exception
    assert [t.label for t in at.text_input] == [i18n.t("common.username", "fr"), i18n.t("common.password", "fr")]
    assert not at.metric and not at.get("plotly_chart") and not at.dataframe


def test_synthetic_banner_and_data_date():
    at = apptest.run_page("dashboard.py")
    assert i18n.t("common.synthetic_banner", "fr") in _texts(at)
    assert i18n.t("common.data_as_of", "fr", date=i18n.format_date(dt.date(2024, 3, 31), "fr")) in _texts(at)


def test_demo_account_signs_in_and_sees_its_menu():
    at = apptest.run_page("dashboard.py")
    at.text_input(key="sign_in_name").input("donor")
    at.text_input(key="sign_in_password").input("terrain-demo")
    at.button[0].click().run()
    assert not at.exception
    assert at.session_state["terrain_user"]["role"] == "donor"
    assert at.title[0].value == i18n.t("overview.title", "fr")


def _sign_in(at, name="donor", password="terrain-demo"):
    at.text_input(key="sign_in_name").input(name)
    at.text_input(key="sign_in_password").input(password)
    return at.button(key="FormSubmitter:sign_in-" + i18n.t("common.sign_in", "fr")).click().run()


def test_a_sign_in_opens_a_session_in_the_shared_store():
    at = _sign_in(apptest.run_page("dashboard.py"))
    user = at.session_state["terrain_user"]
    store = auth.state_store()
    assert store.is_active(sessions.Claims(user["sid"], "donor", dt.datetime.now(dt.UTC)), dt.datetime.now(dt.UTC))


def test_served_behind_its_routes_the_sign_in_hands_the_session_to_the_browser(monkeypatch):
    # Under terrain/asgi.py the page it signed in on is drawn at once, filters and all, and
    # its script sends the one-time ticket to the route that sets the HttpOnly cookie, with
    # fetch(): no reload, no detour.
    monkeypatch.setattr(web, "_served", True)
    at = _sign_in(apptest.run_page("pages/occupancy.py", params={"city": "Pantin"}), "manager")
    assert not at.exception
    assert at.title[0].value == i18n.t("occupancy.title", "fr")
    assert at.query_params["city"] == "Pantin"
    script = next(h.proto.body for h in at.get("html") if "_terrain/session" in h.proto.body)
    assert "fetch(" in script and "location" not in script
    ticket = re.search(r'"X-Terrain-Ticket": "([A-Za-z0-9_-]+)"', script).group(1)
    claims = auth.state_store().redeem_ticket(ticket, dt.datetime.now(dt.UTC))
    assert claims.account == "manager" and claims.sid == at.session_state["terrain_user"]["sid"]
    # the script is run once: the next run of the page sends no ticket again
    at.run()
    assert not [h for h in at.get("html") if "_terrain/session" in h.proto.body]


def test_a_revoked_session_signs_the_page_out():
    at = _sign_in(apptest.run_page("pages/overview.py", params=JANUARY))
    assert at.title[0].value == i18n.t("overview.title", "fr")
    user = at.session_state["terrain_user"]
    auth.state_store().revoke(user["sid"], dt.datetime.now(dt.UTC))
    at.session_state["terrain_user"] = {**user, "checked": 0}  # as if the check were due
    at.run()
    assert "terrain_user" not in at.session_state
    assert [t.label for t in at.text_input] == [i18n.t("common.username", "fr"), i18n.t("common.password", "fr")]


def test_the_chosen_language_stays_across_pages_and_with_the_account():
    # (on the Glossary: AppTest formats a widget's value outside the page's run, so a
    # selectbox whose labels change language cannot be on the page where it changes)
    at = _sign_in(apptest.run_page("dashboard.py"), "advocacy")
    at.switch_page("pages/glossary.py").run()
    at.button_group(key="terrain_lang_switch").set_value("en").run()
    assert at.title[0].value == i18n.t("glossary.title", "en")
    at.switch_page("pages/outreach.py").run()
    assert not at.exception
    assert at.title[0].value == i18n.t("outreach.title", "en")
    assert auth.state_store().language("advocacy") == "en"
    # another session of the same account starts in English
    again = _sign_in(apptest.run_page("pages/overview.py", params=JANUARY), "advocacy")
    assert again.title[0].value == "Overview"
    assert again.session_state["terrain_lang_switch"] == "en"


def test_wrong_password_is_refused():
    at = apptest.run_page("dashboard.py")
    at.text_input(key="sign_in_name").input("donor")
    at.text_input(key="sign_in_password").input("wrong-password")
    at.button[0].click().run()
    assert "terrain_user" not in at.session_state
    assert at.error[0].value == i18n.t("common.sign_in_unknown_or_wrong", "fr")


def test_demo_accounts_are_refused_on_real_data(tmp_path, monkeypatch):
    from tests import fixture_data
    real = fixture_data.build(tmp_path / "real.duckdb", is_synthetic=False)
    monkeypatch.setenv("TERRAIN_DB", str(real))
    at = apptest.run_page("dashboard.py")
    assert i18n.t("common.synthetic_banner", "fr") not in _texts(at)
    at.text_input(key="sign_in_name").input("manager")
    at.text_input(key="sign_in_password").input("terrain-demo")
    at.button[0].click().run()
    assert "terrain_user" not in at.session_state


@pytest.mark.parametrize("role", roles.ROLES)
def test_overview_headline_equals_the_query(role, fixture_db):
    at = apptest.run_page("pages/overview.py", role, JANUARY)
    assert not at.exception
    con = duckdb.connect(str(fixture_db), read_only=True)
    frame = queries.run(con, "consultations_by_city_activity",
                        {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31), "cities": []}, role=role)
    # All consultations are the trend chart's cells added up (the headline is the chart's sum).
    trend = queries.run(con, "consultations_by_period_city", {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 1, 31),
                                                              "cities": [], "grain": "month"}, role=role)
    con.close()
    shown = {m.label: m.value for m in at.metric}
    hidden = i18n.t("common.hidden_figure", "fr")
    for label, part in [(i18n.t("overview.all_consultations", "fr"), trend),
                        *[(i18n.t(f"common.activity.{a}", "fr"), frame[frame["activity"] == a])
                          for a in ("medical", "mental_health", "social", "legal")]]:
        visible = indicators.total(part, "consultations")
        # A figure whose every cell is hidden says so, never blank; one that leaves hidden
        # cells out says it is a lower bound (a donor's January: Calais's 45 shown, Pantin's 8
        # hidden).
        expected = (hidden if visible is None
                    else i18n.t("common.at_least", "fr", value=i18n.format_number(visible, "fr"))
                    if indicators.leaves_out_hidden(part, "consultations") else i18n.format_number(visible, "fr"))
        assert shown[label] == expected, label
    assert shown[i18n.t("overview.cold_nights_several", "fr")] == "9"
    if role == "donor":
        assert shown[i18n.t("overview.all_consultations", "fr")] == i18n.t("common.at_least", "fr", value="45")


def test_overview_figures_by_hand_for_a_manager():
    shown = {m.label: m.value for m in apptest.run_page("pages/overview.py", "programme_manager", JANUARY).metric}
    # 30 + 12 + 3 in Calais and 8 in Pantin; 37 + 3 refusals for lack of room; 650 + 310 bed-nights.
    assert shown[i18n.t("overview.all_consultations", "fr")] == "53"
    assert shown[i18n.t("common.activity.medical", "fr")] == "38"
    assert shown[i18n.t("overview.turned_away", "fr")] == "40"
    assert i18n.t("overview.turned_away", "fr") == "Refus faute de place"   # 37 + 3 refusals, not 40 people
    assert shown[i18n.t("overview.bed_nights", "fr")] == "960"
    assert shown[i18n.t("overview.occupancy", "fr")] == i18n.format_percent(960 / 1010, "fr")


@pytest.mark.parametrize("role", ["advocacy", "donor"])
def test_restricted_roles_see_no_small_count_and_no_false_zero(role):
    at = apptest.run_page("pages/overview.py", role, JANUARY)
    manager = {m.label: m.value for m in apptest.run_page("pages/overview.py", "programme_manager", JANUARY).metric}
    for metric in at.metric:
        if metric.label == i18n.t("overview.cold_nights_several", "fr"):
            continue  # nights, not people
        assert metric.value not in {str(n) for n in range(1, disclosure.threshold(role))}, metric.label
        assert metric.value != "0" or manager[metric.label] == "0", metric.label  # only true zeros


def test_overview_in_english():
    at = apptest.run_page("pages/overview.py", "programme_manager", {**JANUARY, "lang": "en"})
    assert not at.exception
    assert at.title[0].value == "Overview"
    assert i18n.t("common.synthetic_banner", "en") in _texts(at)
    assert {m.label for m in at.metric} >= {"All consultations", "Cold nights (in at least one city)"}


def test_switching_language_changes_the_interface():
    at = apptest.run_page("pages/overview.py", "programme_manager", JANUARY)
    assert at.title[0].value == "Vue d'ensemble"
    at.session_state["terrain_lang"] = "en"
    at.run()
    assert at.title[0].value == "Overview"


def test_overview_for_an_empty_period_says_so():
    at = apptest.run_page("pages/overview.py", "programme_manager", {"period": "custom", "from": "2019-01-01", "to": "2019-01-31"})
    assert not at.exception
    assert i18n.t("common.no_data", "fr") in _texts(at)
    assert not at.get("plotly_chart")


@pytest.mark.parametrize("preset", ["last_4_weeks", "last_3_months", "winter_season", "year", "custom"])
def test_overview_presets(preset):
    at = apptest.run_page("pages/overview.py", "programme_manager", {"period": preset})
    assert not at.exception


@pytest.mark.parametrize("params,name", [
    ({"period": "forever"}, "period"), ({"period": "custom", "from": "2024-13-01", "to": "x"}, "period"),
    ({"grain": "hour"}, "grain"), ({"city": "Atlantis"}, "city"),
    ({"city": "'; DROP TABLE sites; --"}, "city"), ({"period": "year", "year": "1999"}, "year"),
])
def test_invalid_url_parameters_fall_back_with_a_notice(params, name):
    at = apptest.run_page("pages/overview.py", "programme_manager", params)
    assert not at.exception
    assert i18n.t("common.invalid_parameter", "fr", name=name) in [w.value for w in at.warning]


def test_the_trend_chart_stacks_the_queried_counts():
    at = apptest.run_page("pages/overview.py", "programme_manager", JANUARY)
    spec = apptest.plotly_figures(at)[0]
    totals = {trace["name"]: sum(apptest.values(trace["y"])) for trace in spec["data"]}
    assert totals == {"Calais": 45, "Pantin": 8}


def test_at_most_a_few_pages_run_at_once_in_a_process():
    # dashboard.py runs every page inside page_frame.one_of_few_runs(): twelve sessions asking at
    # once get PAGE_RUNS pages running, the others wait their turn.
    running, most, asked, changed, go_on = 0, 0, 0, threading.Condition(), threading.Event()

    def page():
        nonlocal running, most, asked
        with changed:
            asked += 1
            changed.notify_all()
        with page_frame.one_of_few_runs():
            with changed:
                running += 1
                most = max(most, running)
                changed.notify_all()
            assert go_on.wait(60)   # the first pages stay until all twelve have asked
            with changed:
                running -= 1
                changed.notify_all()

    threads = [threading.Thread(target=page) for _ in range(12)]
    for thread in threads:
        thread.start()
    with changed:
        assert changed.wait_for(lambda: asked == 12 and running == page_frame.PAGE_RUNS, timeout=60)
        # the ten others are at the door: none gets in while the first pages run
        assert not changed.wait_for(lambda: running > page_frame.PAGE_RUNS, timeout=0.5)
    go_on.set()
    for thread in threads:
        thread.join(timeout=60)
    assert most == page_frame.PAGE_RUNS == 2 and running == 0


# --- restricted pages, however they are asked for ------------------------------------------------

RESTRICTED = [(role, page) for role in roles.ROLES for page in roles.PAGES if not roles.can_view_page(role, page)]


@pytest.mark.parametrize("role,page", RESTRICTED)
def test_a_restricted_page_run_by_its_file_refuses_and_shows_no_data(role, page):
    # What its URL reaches right after a server start: Streamlit's page discovery runs the
    # file itself, before dashboard.py's navigation; the page must refuse on its own.
    at = apptest.run_page(f"pages/{page}.py", role)
    assert not at.exception
    assert [e.value for e in at.error] == [i18n.t("common.access_refused", "fr")]
    assert i18n.t(f"{page}.title", "fr") not in [t.value for t in at.title]
    assert not at.metric and not at.dataframe and not at.get("plotly_chart") and not at.get("deck_gl_json_chart")


@pytest.mark.parametrize("role,page", RESTRICTED)
def test_a_restricted_page_is_not_in_the_menu_and_cannot_be_switched_to(role, page):
    at = apptest.run_page("dashboard.py", role)
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(str(ROOT / "pages" / f"{page}.py"))
    assert [t.value for t in at.title] == [i18n.t("overview.title", "fr")]


def test_an_allowed_page_is_switched_to():
    at = apptest.run_page("dashboard.py", "advocacy")
    at.switch_page(str(ROOT / "pages" / "alerts.py")).run()
    assert not at.exception
    assert [t.value for t in at.title] == [i18n.t("alerts.title", "fr")]


@pytest.mark.parametrize("page", roles.PAGES)
def test_a_signed_out_visitor_running_any_page_gets_only_the_sign_in_form(page):
    at = apptest.run_page(f"pages/{page}.py")
    assert not at.exception
    assert [t.label for t in at.text_input] == [i18n.t("common.username", "fr"), i18n.t("common.password", "fr")]
    assert not at.metric and not at.dataframe and not at.get("plotly_chart") and not at.get("deck_gl_json_chart")


def test_a_donors_total_that_leaves_out_a_hidden_month_reads_at_least():
    # December to February: Calais's 30 medical consultations of January are hidden for
    # donors, so the medical headline (20 in December + 15 in February) is at least 35, never
    # a plain 35; the manager sees 73. A lower bound has no change beside it.
    period = {"period": "custom", "from": "2023-12-01", "to": "2024-02-29"}
    donor = {m.label: m for m in apptest.run_page("pages/overview.py", "donor", period).metric}
    medical = donor[i18n.t("common.activity.medical", "fr")]
    assert medical.value == i18n.t("common.at_least", "fr", value="35") and not medical.delta
    manager = {m.label: m.value for m in apptest.run_page("pages/overview.py", "programme_manager", period).metric}
    assert manager[i18n.t("common.activity.medical", "fr")] == "73"
    # the caption names the whole months held, the month in progress never among them
    at = apptest.run_page("pages/overview.py", "donor", period)
    assert i18n.t("common.published_months_note", "fr", last=i18n.format_month(dt.date(2024, 2, 29), "fr")) in [
        c.value for c in at.caption]


def test_the_consultations_headline_of_a_donor_is_a_lower_bound_where_a_month_is_hidden():
    period = {"period": "custom", "from": "2023-12-01", "to": "2024-02-29"}
    donor = {m.label: m for m in apptest.run_page("pages/consultations.py", "donor", period).metric}
    medical = donor[i18n.t("common.activity.medical", "fr")]
    assert medical.value == "≥ 35" and not medical.delta


def test_a_donors_winter_season_in_progress_says_its_people_stop_at_the_last_published_month(tmp_path, monkeypatch):
    # The fixture's data run to 31 March 2024; the same data dated 15 March leave March
    # unpublished: the nights run to 15 March, the people to the end of February.
    import shutil
    path = tmp_path / "mid-march.duckdb"
    shutil.copy(os.environ["TERRAIN_DB"], path)
    with duckdb.connect(str(path)) as con:
        con.execute("UPDATE metadata SET data_as_of = DATE '2024-03-15'")
        publication.build(con)
    monkeypatch.setenv("TERRAIN_DB", str(path))
    at = apptest.run_page("pages/winter.py", "donor", {"season": "2023"})
    assert not at.exception
    note = i18n.t("common.published_months_note", "fr", last=i18n.format_month(dt.date(2024, 2, 29), "fr"))
    assert note in [c.value for c in at.caption]
    manager = apptest.run_page("pages/winter.py", "programme_manager", {"season": "2023"})
    assert note not in [c.value for c in manager.caption]
