"""What the signed-in viewer gets: the one place below the pages where a role becomes the
tables, levels, filters and actions a page works with.

A page asks for its view (`occupancy()`, `consultations()`, ...) and lays it out; it never
reads the role itself. Each view is worked out from the signed-in user's role, or from the
role given (as the tests do). The rules behind each answer are terrain/roles.py's pure
functions; the query door applies them again to every figure, whatever a page asks."""

from __future__ import annotations

import datetime as dt
import json
import threading
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from terrain import alerts as alert_rules
from terrain import briefs, disclosure, queries, roles, web
from terrain import filters as flt
from terrain.charts import occupancy as occupancy_charts
from terrain.ui import data, session

# Filters that narrow to a site or to people's attributes: per-site viewers only, since the
# differences between city-level results under them could uncover a hidden count.
DETAIL_FILTERS = ("site", "age", "sex", "minors", "girls")

# The Consultations page's queries, by part. Programme staff get every filter and rows per
# site; donors get city-level queries, whose rows carry the city and which take no filter
# but the cities. The donors' headline figures and places are one query (the Overview's):
# its cells are hidden alike wherever they are shown, so no page tells what another hides.
CONSULTATIONS_QUERIES = {
    "site": {
        "by_activity": "consultations_by_activity",
        "by_period_activity": "consultations_by_period_activity",
        "by_place": "consultations_by_site_activity",
        "age_sex": "consultations_by_age_sex",
        "minor_status": "consultations_by_minor_status",
        "diagnosis": "consultations_by_diagnosis",
        "visit_referral": "consultations_by_visit_referral",
        "coverage_by_period": "consultations_coverage_by_period",
        "by_coverage": "consultations_by_coverage",
    },
    "city": {
        "by_activity": "consultations_by_city_activity",
        "by_period_activity": "consultations_by_period_city_activity",
        "by_place": "consultations_by_city_activity",
        "age_sex": "consultations_by_city_age_sex",
        "minor_status": "consultations_by_city_minor_status",
        "diagnosis": "consultations_by_city_diagnosis",
        "visit_referral": "consultations_by_city_visit_referral",
        "coverage_by_period": "consultations_coverage_by_period_city",
        "by_coverage": "consultations_by_city_coverage",
    },
}
CONSULTATION_FILTERS = {
    "site": ("start", "end", "cities", "sites", "activities", "age_bands", "sexes", "minors_only", "girls_only"),
    "city": ("start", "end", "cities"),
}


def query(name: str, audience: str = "internal", **params: Any) -> pd.DataFrame:
    """Run a named query for the signed-in user's role (cached per data version); past the
    door's time limit, the page says so in one line and stops."""
    try:
        return data.run(name, params, _viewer(None), audience)
    except queries.QueryTimeout as timeout:
        session.stop_past_time_limit(timeout)


def _viewer(role: str | None) -> str:
    """The role asked for (tests), else the signed-in user's."""
    role = role or session.current_role()
    if role is None:
        raise queries.AccessDenied("Nobody is signed in.")
    return role


# --- the frame ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Menu:
    pages: tuple[str, ...]    # the viewer's pages, in menu order (none before sign-in)
    others: tuple[str, ...]   # every other page: its address leads to the sign-in form or a refusal


def menu(role: str | None = None) -> Menu:
    role = role or session.current_role()
    pages = roles.pages_for(role)
    return Menu(pages, tuple(p for p in roles.PAGES if p not in pages))


def may_open(page: str) -> bool:
    return roles.can_view_page(session.current_role(), page)


def may_download() -> bool:
    return roles.can(session.current_role(), "download_tables")


@dataclass(frozen=True)
class Filtering:
    """The sidebar filters the viewer may use on a page, and its time grains."""

    fields: tuple[str, ...]
    grains: tuple[str, ...]


def filtering(fields: tuple[str, ...], role: str | None = None) -> Filtering:
    role = _viewer(role)
    if not roles.can(role, "see_site_detail"):
        fields = tuple(f for f in fields if f not in DETAIL_FILTERS)
    return Filtering(fields, roles.grains_for(role))


# --- pages --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Overview:
    months_to_approve: bool   # the months waiting for the viewer's approval come first


def overview(role: str | None = None) -> Overview:
    return Overview(months_to_approve=roles.can(_viewer(role), "approve_months"))


@dataclass(frozen=True)
class Map:
    exact: bool   # sites as points; else the communes and départements the door coarsened them to


def map_view(role: str | None = None) -> Map:
    return Map(exact=roles.can(_viewer(role), "see_exact_locations"))


@dataclass(frozen=True)
class Occupancy:
    """Per shelter (programme staff: nights, the site filter, the emergency shelter's open
    spells night by night and the declared plan levels) or per city (donors: whole months
    of their published set)."""

    per_shelter: bool
    level: str          # "shelters" or "cities": what the cards and the comparison are about
    period_note: str    # the text key saying how the period is drawn

    def shelters(self) -> dict[str, str]:
        """The shelters the site filter offers (id -> name); none when it is not shown."""
        if not self.per_shelter:
            return {}
        shelters = query("occupancy_shelters")
        return dict(zip(shelters["site_id"], shelters["site_name"]))

    def last_month(self, f: flt.Filters, dataset: data.Dataset) -> tuple[dt.date, dt.date]:
        """The month the cards answer for: the data's last whole month, or for a per-city
        viewer the last month published to it (approved), which the door's period ends with."""
        start, end = flt.preset_period("last_month", dataset.data_as_of)
        if self.per_shelter:
            return start, end
        held = query("occupancy_summary_by_city", start=dataset.first_day, end=end, **f.params("cities"))
        return flt.preset_period("last_month", held.attrs["provenance"]["params"]["end"])

    def month_summary(self, start: dt.date, end: dt.date, f: flt.Filters) -> pd.DataFrame:
        """Each shelter's (or city's) figures for that month."""
        if self.per_shelter:
            return query("occupancy_summary_by_site", start=start, end=end, **f.params("cities", "sites"))
        return query("occupancy_summary_by_city", start=start, end=end, **f.params("cities"))

    def open_spells_and_levels(self, by_city: pd.DataFrame, f: flt.Filters):
        """The emergency shelter's open spells and the declared plan levels drawn behind the
        beds: as recorded night by night, or for a per-city viewer the months it was open
        (from its own published rows) and no levels."""
        if self.per_shelter:
            where = f.params("start", "end", "cities")
            return query("occupancy_emergency_open_periods", **where), query("occupancy_winter_plan", **where)
        return occupancy_charts.spells_from_periods(by_city, f.grain), None


def occupancy(role: str | None = None) -> Occupancy:
    if roles.can(_viewer(role), "see_site_detail"):   # donors see cities and whole months only
        return Occupancy(True, "shelters", "occupancy.nightly_note")
    return Occupancy(False, "cities", "occupancy.whole_months")


@dataclass(frozen=True)
class Consultations:
    """Per site with every filter (programme staff) or per city with the cities only."""

    level: str                      # "site" or "city"
    queries: dict[str, str]         # part of the page -> query name
    filter_params: tuple[str, ...]  # the filters (flt.Filters.params names) the queries take

    def sites(self) -> dict[str, str]:
        if self.level != "site":
            return {}
        sites = query("consultations_sites")
        return dict(zip(sites["site_id"], sites["site_name"]))


def consultations(role: str | None = None) -> Consultations:
    level = roles.finest_level(_viewer(role))
    return Consultations(level, CONSULTATIONS_QUERIES[level], CONSULTATION_FILTERS[level])


@dataclass(frozen=True)
class Winter:
    night_by_night: bool   # each city's calendar of nights; else month by month


def winter(role: str | None = None) -> Winter:
    return Winter(night_by_night=roles.allows_grain(_viewer(role), "day"))


# --- alerts -------------------------------------------------------------------------------

@st.cache_data(max_entries=8, show_spinner=False)
def _evaluated(version: str, config: dict, rule: str, start, end, city: str | None):
    # One rule's evidence around an episode; keyed by the data version, like query().
    with data.cursor(version) as con:
        return alert_rules.series(con, rule, config, start, end, [city])


# Every episode of every rule, on the whole history (an episode keeps its real start): about a
# second at a million consultations, worked out once per data version and settings in this
# process. A viewer who may open the Alerts page sets it going in the background from any other
# page (`warm_alerts`), once that page's run has ended, so that the Alerts page finds it ready;
# whoever comes first makes it (the Alerts page itself, if it asks before the background has
# begun), the others wait for it. A failed evaluation is not kept: the next ask makes it again.
@dataclass(eq=False)
class _Evaluation:
    claimed: bool = False          # someone is making it
    warming: bool = False          # a background thread will make it after a page's run
    finished: threading.Event = field(default_factory=threading.Event)
    episodes: tuple = ()
    failure: BaseException | None = None


_EPISODES: dict[tuple[str, str], _Evaluation] = {}
_EPISODES_LOCK = threading.Lock()
_EPISODES_KEPT = 4
_RUN_END_WAIT_S = 30


def _evaluation(version: str, config: dict) -> _Evaluation:
    key = (version, json.dumps(config, sort_keys=True, default=str))
    with _EPISODES_LOCK:
        evaluation = _EPISODES.get(key)
        if evaluation is None or evaluation.failure is not None:
            evaluation = _EPISODES[key] = _Evaluation()
            while len(_EPISODES) > _EPISODES_KEPT:
                _EPISODES.pop(next(iter(_EPISODES)))
        return evaluation


def _make(evaluation: _Evaluation, version: str, config: dict) -> None:
    """Make the evaluation unless someone has claimed it."""
    with _EPISODES_LOCK:
        if evaluation.claimed:
            return
        evaluation.claimed = True
    try:
        with data.cursor(version) as con:
            evaluation.episodes = tuple(alert_rules.evaluate(con, config, *alert_rules.data_bounds(con)))
    except BaseException as failed:   # the Alerts page says why (one line), when it asks
        evaluation.failure = failed
    finally:
        evaluation.finished.set()


def _episodes(version: str, config: dict) -> list:
    evaluation = _evaluation(version, config)
    _make(evaluation, version, config)
    evaluation.finished.wait()
    if evaluation.failure is not None:
        raise evaluation.failure
    return list(evaluation.episodes)


def get_ready(page: str) -> None:
    """After `page`'s access check, in a served app: set going in the background what its
    viewer's Alerts page needs (the episodes), unless this is that page, which makes them
    itself, or the viewer may not open it, or its settings cannot be read (it says so)."""
    if page == "alerts" or not web.mounted() or not may_open("alerts"):
        return
    try:
        config = alert_rules.load_config()
    except alert_rules.ConfigError:
        return
    warm_alerts(config)


def warm_alerts(config: dict) -> None:
    """Set the evaluation of every alert episode going in the background, for the data
    version this run reads, once the run of the page that asks has ended (it would otherwise
    share the processor with that page). Nothing if it is made, going or planned already."""
    version = data.data_version()
    evaluation = _evaluation(version, config)
    with _EPISODES_LOCK:
        if evaluation.claimed or evaluation.warming:
            return
        evaluation.warming = True
    page_run = threading.current_thread()

    def evaluate() -> None:
        page_run.join(_RUN_END_WAIT_S)
        _make(evaluation, version, config)

    threading.Thread(target=evaluate, name="terrain-alert-episodes", daemon=True).start()


@dataclass(frozen=True)
class Alerts:
    """The alert rules evaluated on every count (as the programme manager), shown with the
    viewer's threshold, and the audiences it may prepare briefs for."""

    threshold: int
    brief_audiences: tuple[str, ...]
    version: str   # the data version read, once for the page's run

    def episodes(self, config: dict) -> list:
        """Every episode of every rule; past the door's time limit, one line and the page stops."""
        try:
            return _episodes(self.version, config)
        except queries.QueryTimeout as timeout:
            session.stop_past_time_limit(timeout)

    def evidence(self, episode, config: dict, start: dt.date, end: dt.date) -> pd.DataFrame:
        """The rows of the episode's rule from `start` to `end`, hidden for the viewer."""
        try:
            evaluated = _evaluated(self.version, config, episode.rule, start, end, episode.city)
        except queries.QueryTimeout as timeout:
            session.stop_past_time_limit(timeout)
        rows = alert_rules.rows_of(episode, evaluated)
        inside = (rows["period"] >= episode.start) & (rows["period_end"] <= episode.end)
        return alert_rules.for_audience(episode.rule, rows, self.threshold, [inside], place_total=False)

    def brief(self, request, config: dict, user: dict):
        """The brief asked for (terrain/briefs.py), from this run's data version, recorded in
        the audit as the user's; past the door's time limit, one line and the page stops."""
        try:
            with data.cursor(self.version) as con:
                return briefs.produce(con, request, config, user=user["name"], via=user["via"])
        except queries.QueryTimeout as timeout:
            session.stop_past_time_limit(timeout)


def alerts(role: str | None = None) -> Alerts:
    role = _viewer(role)
    return Alerts(disclosure.threshold(role, "internal"),
                  tuple(a for a in roles.AUDIENCES if roles.can(role, f"prepare_{a}_brief")), data.data_version())
