"""Streamlit glue shared by dashboard.py and the pages: connection, cached queries, the
signed-in user, the page frame (access check, banners, language), filters and tables.

Pages stay thin: they call `page_setup`, read filters, call `query`, and hand frames to
chart helpers.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import json
import math
import os
import sqlite3
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Iterable
from urllib.parse import urlencode

import duckdb
import pandas as pd
import streamlit as st
from pandas.io.formats.style import Styler

from terrain import (
    auth,
    disclosure,
    exports,
    i18n,
    indicators,
    queries,
    roles,
    sessions,
    store,
    web,
)
from terrain import events as context_events
from terrain import filters as flt
from terrain.charts.cache import ContentsCache
from terrain.importing import loading

# The tables are drawn through a pandas Styler (their cells as the reader's language writes
# them, sorted on the values beneath). pandas caps the cells a Styler renders with a global
# option: it is set once for the process, never per table, since the sessions of one process
# draw their tables at the same time in their own threads.
STYLER_MAX_CELLS = 10_000_000
pd.set_option("styler.render.max_elements", STYLER_MAX_CELLS)

USER_KEY = "terrain_user"
LANG_KEY = "terrain_lang"
# Pages run at once in this process, at most. Streamlit runs each session's script in its own
# thread; past one per core, more at once add no speed (one interpreter lock) but each holds
# its page's working memory (frames, figures, their JSON) until it ends. Measured with 20
# sessions at 100M on two cores (docs/scaling.md): 2 at once served the most pages with the
# least memory.
PAGE_RUNS = int(os.environ.get("TERRAIN_PAGE_RUNS", "2"))
_page_runs = threading.BoundedSemaphore(max(1, PAGE_RUNS))


@contextlib.contextmanager
def one_of_few_runs():
    """Run a page only while fewer than PAGE_RUNS others are running (dashboard.py)."""
    with _page_runs:
        yield


# --- data -------------------------------------------------------------------------------

@st.cache_resource(max_entries=4, show_spinner=False)
def _connection(path: str, version: str):
    # One read-only connection per version of the file; a swapped-in file has a new version,
    # so the next rerun opens it while sessions still reading the old one finish.
    return store.open_readonly(Path(path))


def data_version() -> str:
    return store.data_version(store.db_path())


@contextlib.contextmanager
def cursor(version: str):
    """A cursor of the process's shared read-only connection to that version of the data:
    one DuckDB instance (one cache of the file's blocks) for every session and page."""
    con = store.use(_connection(str(store.db_path()), version).cursor())
    try:
        yield con
    finally:
        con.close()


@st.cache_data(max_entries=1024, show_spinner=False)
def _run_cached(name: str, params: dict, role: str, audience: str, version: str) -> pd.DataFrame:
    with cursor(version) as con:
        return queries.run(con, name, params, role=role, audience=audience)


# The benchmark sets this to a list to record which queries a page runs (name, params, role,
# audience), so that it times exactly those.
QUERY_LOG: list | None = None


def query(name: str, audience: str = "internal", **params: Any) -> pd.DataFrame:
    """Run a named query for the signed-in user's role (cached per data version)."""
    role = current_role()
    if role is None:
        raise queries.AccessDenied("Nobody is signed in.")
    if QUERY_LOG is not None:
        QUERY_LOG.append((name, params, role, audience))
    return _run_cached(name, params, role, audience, data_version())


@dataclass(frozen=True)
class Dataset:
    name: str
    is_synthetic: bool
    data_as_of: dt.date
    first_day: dt.date
    schema_version: int


@st.cache_data(show_spinner=False)
def _dataset(version: str) -> Dataset:
    cursor = store.use(_connection(str(store.db_path()), version).cursor())
    try:
        row = queries.read_rows(cursor, "dataset_metadata", {}).iloc[0]
    finally:
        cursor.close()
    return Dataset(str(row["dataset_name"]), bool(row["is_synthetic"]),
                   pd.Timestamp(row["data_as_of"]).date(), pd.Timestamp(row["first_day"]).date(),
                   int(row["schema_version"]))


def dataset() -> Dataset:
    return _dataset(data_version())


# --- language ---------------------------------------------------------------------------

# The language chosen in this session (set by the switch, or from the account's preference
# at sign-in); the switch itself has its own key, since Streamlit forgets a widget's state
# when the page changes.
LANG_SWITCH_KEY = "terrain_lang_switch"
_BROWSER_SCRIPT_KEY = "terrain_browser_script"


def _cookie(name: str) -> str | None:
    try:
        value = st.context.cookies.get(name)
    except (AttributeError, RuntimeError):  # no browser behind this run (a bare script)
        return None
    return value if isinstance(value, str) else None  # AppTest has no real request


def lang() -> str:
    """The interface language: the one chosen in this session (or the account's), else the
    URL's `lang`, else the one this browser chose last (its cookie), else French."""
    chosen = st.session_state.get(LANG_KEY)
    if chosen in i18n.LANGUAGES:
        return chosen
    return _asked_language()


def _asked_language() -> str:
    """The URL's language, else the cookie's, else French: read once per run of the page (a
    page asks for its language a thousand times, and each read of the URL and the cookies
    costs), by the run's own table of cursors, which Streamlit makes anew at every run."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    run = ctx.cursors if ctx is not None else None
    known = getattr(ctx, "_terrain_language", None)
    if run is not None and known is not None and known[0] is run:
        return known[1]
    found = next((w for w in (st.query_params.get("lang"), _cookie(sessions.LANG_COOKIE)) if w in i18n.LANGUAGES),
                 "fr")
    if ctx is not None:
        ctx._terrain_language = (run, found)
    return found


def tr(key: str, **values: Any) -> str:
    return i18n.t(key, lang(), **values)


def label(category: str, value: Any) -> str:
    return i18n.label(category, value, lang())


def _language_chosen() -> None:
    chosen = st.session_state.get(LANG_SWITCH_KEY)
    if chosen not in i18n.LANGUAGES:
        return
    st.session_state[LANG_KEY] = chosen
    user = st.session_state.get(USER_KEY) or {}
    if user.get("name"):
        _remember_language(user, chosen)
    _in_browser(lang=chosen)


def _preference_account(user: dict) -> str:
    return f"oidc:{user['name']}" if user.get("via") == "oidc" else user["name"]


def _remember_language(user: dict, chosen: str) -> None:
    try:
        auth.state_store().set_language(_preference_account(user), chosen)
    except (OSError, sqlite3.Error):
        pass  # the language still holds for this session and this browser


def _apply_language_preference(user: dict) -> None:
    """At sign-in: the account's language if it has one, else it keeps the one in use."""
    try:
        stored = auth.state_store().language(_preference_account(user))
    except (OSError, sqlite3.Error):
        stored = None
    if stored in i18n.LANGUAGES:
        st.session_state[LANG_KEY] = stored
    else:
        _remember_language(user, lang())


# --- the browser ------------------------------------------------------------------------

def _in_browser(*, lang: str | None = None, go_to: str | None = None) -> None:
    """Ask the browser, on this run, to keep the language in its cookie and/or to load one
    of our routes (terrain/web.py), which sets or deletes the session cookie."""
    script = dict(st.session_state.get(_BROWSER_SCRIPT_KEY) or {})
    if lang:
        script["lang"] = lang
    if go_to:
        script["go_to"] = go_to
    st.session_state[_BROWSER_SCRIPT_KEY] = script


def _run_browser_script() -> None:
    script = st.session_state.pop(_BROWSER_SCRIPT_KEY, None)
    if not script:
        return
    lines = []
    if script.get("lang") in i18n.LANGUAGES:
        lines.append(f'document.cookie = "{sessions.LANG_COOKIE}={script["lang"]}; path={_cookie_path()}; '
                     f'max-age={400 * 86400}; samesite=lax";')
    if script.get("go_to"):
        # The page the browser is on (its filters too) is where the route sends it back.
        lines.append(f"window.location.replace({json.dumps(script['go_to'])} + "
                     "'&next=' + encodeURIComponent(window.location.pathname + window.location.search));")
    st.html("<script>" + "\n".join(lines).replace("</", "<\\/") + "</script>", unsafe_allow_javascript=True)


def _cookie_path() -> str:
    return web.base_path() or "/"


# --- users ------------------------------------------------------------------------------

# How often a signed-in session checks that its local session still holds (not signed out
# elsewhere, account not removed): often enough to end a revoked session at once, seldom
# enough that a page's many queries do not each read the store.
SESSION_CHECK_SECONDS = 2.0


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all: local accounts only
        return False


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _local_user_from(claims: sessions.Claims | None, store: sessions.Store) -> dict | None:
    if claims is None or not store.is_active(claims, _now()):
        return None
    role = auth.account_role(claims.account, data_is_synthetic=_data_is_synthetic())
    if role is None:
        return None
    return {"name": claims.account, "role": role, "via": "local", "sid": claims.sid,
            "checked": time.monotonic()}


def _still_signed_in(user: dict) -> dict | None:
    """The session's user, its role read afresh, or None once the session has ended."""
    if time.monotonic() - user.get("checked", 0) < SESSION_CHECK_SECONDS:
        return user
    store = auth.state_store()
    try:
        fresh = _local_user_from(sessions.Claims(user["sid"], user["name"], _now()), store)
    except (OSError, sqlite3.Error):
        return user  # the store cannot be read for a moment: keep the session, check next time
    if fresh is None:
        st.session_state.pop(USER_KEY, None)
    else:
        st.session_state[USER_KEY] = fresh
    return fresh


def _user_from_cookie() -> dict | None:
    token = _cookie(sessions.SESSION_COOKIE)
    # The cookie does not change while the page is open: one check per session.
    if not token or st.session_state.get("terrain_cookie_checked") == token:
        return None
    st.session_state["terrain_cookie_checked"] = token
    try:
        store = auth.state_store()
        claims = sessions.verify_token(token, sessions.secret(store.path), _now())
        user = _local_user_from(claims, store)
    except (OSError, sqlite3.Error, ValueError):
        return None
    if user is not None:
        st.session_state[USER_KEY] = user
        if LANG_KEY not in st.session_state:
            _apply_language_preference(user)
    return user


def current_user() -> dict | None:
    user = st.session_state.get(USER_KEY)
    if user and user.get("sid"):
        return _still_signed_in(user)
    if user:
        return user
    user = _user_from_cookie()
    if user:
        return user
    if _oidc_configured() and getattr(st.user, "is_logged_in", False):
        mapping = st.secrets.get("terrain", {}).get("roles", {})
        groups = st.user.get("groups") or []
        # Only an address the identity provider has verified may grant a role.
        email = st.user.get("email") if st.user.get("email_verified", False) else None
        role = auth.role_for_identity(email, groups, mapping)
        if role:
            user = {"name": st.user.get("email"), "role": role, "via": "oidc"}
            st.session_state[USER_KEY] = user
            if LANG_KEY not in st.session_state:
                _apply_language_preference(user)
            return user
    return None


def current_role() -> str | None:
    user = current_user()
    return user["role"] if user else None


def sign_out() -> None:
    user = st.session_state.get(USER_KEY) or {}
    kept = lang()
    if user.get("sid"):
        try:
            auth.state_store().revoke(user["sid"], _now())
        except (OSError, sqlite3.Error):
            pass  # the route below revokes it too, from the cookie
    st.session_state.clear()
    st.session_state[LANG_KEY] = kept  # the next visitor of this tab keeps the language
    st.session_state["terrain_cookie_checked"] = _cookie(sessions.SESSION_COOKIE)
    if user.get("via") == "oidc":
        st.logout()
    elif web.mounted():
        _in_browser(lang=kept, go_to=web.base_path() + web.SIGN_OUT_PATH + "?")
    else:
        _in_browser(lang=kept)


def _browser_id() -> str:
    return _cookie(sessions.BROWSER_COOKIE) or ""


def sign_in_form() -> None:
    """The only thing a signed-out visitor sees."""
    st.title(tr("common.sign_in"))
    if _oidc_configured():
        if st.button(tr("common.sign_in_oidc"), key="oidc_login"):
            st.login()
        if getattr(st.user, "is_logged_in", False):
            st.error(tr("common.unknown_identity"))
        return
    with st.form("sign_in"):
        name = st.text_input(tr("common.username"), key="sign_in_name")
        password = st.text_input(tr("common.password"), type="password", key="sign_in_password")
        submitted = st.form_submit_button(tr("common.sign_in"))
    if submitted:
        name = name.strip().lower()
        result = auth.authenticate(name, password, data_is_synthetic=_data_is_synthetic(),
                                   browser=_browser_id())
        if result.ok:
            _open_local_session(name, result.role)
        elif result.reason == "wait":
            seconds = max(1, math.ceil(result.retry_after.total_seconds()))
            st.error(tr("common.sign_in_wait", wait=i18n.format_duration(seconds, lang())))
        else:
            st.error(tr(f"common.sign_in_{result.reason}"))
    if _data_is_synthetic():
        st.caption(tr("common.demo_accounts"))


def _open_local_session(name: str, role: str) -> None:
    """Signed in: this session at once, and the browser through the route that sets the
    session cookie and brings it back to this page."""
    try:
        claims, ticket = auth.state_store().open_session(name, _now())
    except (OSError, sqlite3.Error):
        st.error(tr("sessions.store_unavailable"))
        st.stop()
    user = {"name": name, "role": role, "via": "local", "sid": claims.sid, "checked": time.monotonic()}
    st.session_state[USER_KEY] = user
    _apply_language_preference(user)
    if not web.mounted():
        _in_browser(lang=lang())
        st.rerun()
    _in_browser(lang=lang(), go_to=web.base_path() + web.SESSION_PATH + "?" + urlencode({"ticket": ticket}))
    st.info(tr("sessions.signing_in"))
    _run_browser_script()
    st.stop()


def _data_is_synthetic() -> bool:
    try:
        return dataset().is_synthetic
    except (FileNotFoundError, store.OutdatedDatabase, store.NewerDatabase, duckdb.Error, OSError):
        return False


# --- page frame -------------------------------------------------------------------------

def _chrome(role: str | None) -> None:
    """Banner, data date, language switch and user box: on every page, signed in or not."""
    try:
        # A change a writer left half done (killed, power cut) is finished or undone first.
        loading.recover_if_left_over(store.db_path())
        data = dataset()
    except FileNotFoundError:
        st.error(tr("common.no_database", path=str(store.db_path())))
        st.stop()
    except store.OutdatedDatabase as outdated:
        st.error(tr("common.outdated_database", path=str(outdated.path), version=outdated.version))
        st.stop()
    except (duckdb.Error, OSError, store.NewerDatabase) as error:
        st.error(tr("common.unreadable_database", path=str(store.db_path()),
                    reason=str(getattr(error, "strerror", None) or error).splitlines()[0]))
        st.stop()
    if data.is_synthetic:
        st.warning(tr("common.synthetic_banner"), icon="⚠️")
    _run_browser_script()
    with st.sidebar:
        st.session_state[LANG_SWITCH_KEY] = lang()
        st.segmented_control(tr("common.language"), options=list(i18n.LANGUAGES), key=LANG_SWITCH_KEY,
                             required=True, on_change=_language_chosen,
                             format_func=lambda code: i18n.t(f"common.language_{code}", code))
        st.caption(tr("common.data_as_of", date=i18n.format_date(data.data_as_of, lang())))
        if role:
            user = current_user()
            st.caption(tr("common.signed_in_as", name=user["name"], role=tr(f"common.role.{role}")))
            st.button(tr("common.sign_out"), key="sign_out", on_click=sign_out)


def page_setup(page: str) -> str:
    """Every page's first call. Returns the role, or stops the script: a signed-out visitor
    gets the sign-in form only, and a role that may not see the page gets a refusal and no
    data. Pages run this themselves because Streamlit can run a file in pages/ directly."""
    role = current_role()
    _chrome(role)
    if role is None:
        sign_in_form()
        st.stop()
    if not roles.can_view_page(role, page):
        st.error(tr("common.access_refused"))
        st.stop()
    return role


# --- filters ----------------------------------------------------------------------------

_URL_KEYS = {"period": ("period", "year", "from", "to"), "city": ("city",), "site": ("site",),
             "grain": ("grain",), "activity": ("activity",), "age": ("age",), "sex": ("sex",),
             "minors": ("minors",), "girls": ("girls",)}
_FIELD_ATTRS = {"city": "cities", "site": "sites", "activity": "activities", "age": "age_bands",
                "sex": "sexes", "minors": "minors_only", "girls": "girls_only"}
_ALL_URL_KEYS = {key for keys in _URL_KEYS.values() for key in keys} | {"lang"}


def sidebar_filters(fields: Iterable[str], *, cities: Iterable[str] = (),
                    sites: dict[str, str] | None = None) -> flt.Filters:
    """Sidebar filters for the fields named, read from and written back to the URL."""
    fields = tuple(fields)
    role = current_role()
    data = dataset()
    sites = sites or {}
    grains = roles.grains_for(role)
    if not roles.can(role, "see_site_detail"):
        fields = tuple(f for f in fields if f not in ("site", "age", "sex", "minors", "girls"))
    current = flt.parse(dict(st.query_params), as_of=data.data_as_of, first_day=data.first_day,
                        cities=cities, sites=sites, grains=grains)
    # Filters the page does not show (or the role may not use) keep their defaults, whatever
    # the URL says, so no query receives a filter its user cannot see.
    defaults = flt.Filters()
    current = replace(current, **{attr: getattr(defaults, attr) for field, attr in _FIELD_ATTRS.items()
                                  if field not in fields})
    for notice in current.notices:
        st.warning(tr("common.invalid_parameter", name=notice))

    with st.sidebar:
        st.subheader(tr("common.filters"))
        chosen = {}
        if "period" in fields:
            preset = st.selectbox(tr("common.period"), flt.PRESETS, index=flt.PRESETS.index(current.preset),
                                  format_func=lambda p: tr(f"common.preset.{p}"), key="f_period")
            year = None
            start = end = None
            if preset == "year":
                years = list(range(data.data_as_of.year, data.first_day.year - 1, -1))
                year = st.selectbox(tr("common.year"), years, key="f_year",
                                    index=years.index(current.year) if current.year in years else 0)
            if preset == "custom":
                picked = st.date_input(tr("common.custom_period"), value=(current.start, current.end),
                                       min_value=data.first_day, max_value=data.data_as_of, key="f_custom")
                if isinstance(picked, (tuple, list)) and len(picked) == 2:
                    start, end = picked
                else:
                    start, end = current.start, current.end
            current = flt.with_period(current, preset, data.data_as_of, year=year, start=start, end=end)
            # Every preset says the dates it covers, under its name.
            st.caption(tr("filters.period_covers", period=i18n.format_period(current.start, current.end, lang())))
        if "grain" in fields and len(grains) > 1:
            chosen["grain"] = st.segmented_control(
                tr("common.grain"), grains, default=current.grain, key="f_grain",
                format_func=lambda g: tr(f"common.grain_{g}")) or current.grain
        # An empty choice means every value: no "Select all" (Streamlit's, in English), and a
        # placeholder that agrees with the label ("Toutes" les villes, "Tous" les sites).
        if "city" in fields and cities:
            chosen["cities"] = tuple(st.multiselect(tr("common.city"), list(cities), default=list(current.cities),
                                                    key="f_city", placeholder=tr("filters.all_feminine"),
                                                    select_all=False))
        if "site" in fields and sites:
            listed = _sites_to_list(sites, chosen.get("cities", current.cities), current.start, current.end)
            # (new options reset the widget to the URL's choice, less the sites no longer listed)
            chosen["sites"] = tuple(st.multiselect(
                tr("common.site"), list(listed), default=[s for s in current.sites if s in listed],
                format_func=lambda s: sites.get(s, s), key="f_site", placeholder=tr("filters.all_masculine"),
                select_all=False))
        if "activity" in fields:
            chosen["activities"] = tuple(st.multiselect(
                tr("common.activity_label"), flt.ACTIVITIES, default=list(current.activities),
                format_func=lambda a: label("activity", a), key="f_activity",
                placeholder=tr("filters.all_feminine"), select_all=False))
        if "age" in fields:
            chosen["age_bands"] = tuple(st.multiselect(
                tr("common.age_band_label"), flt.AGE_BANDS, default=list(current.age_bands),
                format_func=lambda a: label("age_band", a), key="f_age",
                placeholder=tr("filters.all_feminine"), select_all=False))
        if "sex" in fields:
            chosen["sexes"] = tuple(st.multiselect(
                tr("common.sex_label"), flt.SEXES, default=list(current.sexes),
                format_func=lambda s: label("sex", s), key="f_sex",
                placeholder=tr("filters.all_masculine"), select_all=False))
        if "minors" in fields:
            chosen["minors_only"] = st.toggle(tr("common.minors_only"), value=current.minors_only, key="f_minors")
        if "girls" in fields:
            chosen["girls_only"] = st.toggle(tr("common.girls_only"), value=current.girls_only, key="f_girls")
    current = replace(current, **chosen)
    # Keep the URL parameters other parts of the page own (e.g. the winter page's season);
    # write back only those of the filters shown.
    ours = {key for field in fields for key in _URL_KEYS[field]}
    wanted = {k: v for k, v in st.query_params.items() if k not in _ALL_URL_KEYS}
    wanted.update({k: v for k, v in flt.to_query_params(current).items() if k in ours})
    if lang() != "fr":
        wanted["lang"] = lang()
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
    return current


def _sites_to_list(sites: dict[str, str], cities: Iterable[str], start: dt.date, end: dt.date) -> list[str]:
    """The sites of `sites` (id -> name) in the chosen cities (all if none) that were open on
    some day of [start, end]: a camp closed in 2016 is not offered for last month."""
    rows = query("filter_sites").set_index("site_id")
    cities = set(cities)
    kept = []
    for site in sites:
        if site not in rows.index:
            continue
        row = rows.loc[site]
        opened = pd.Timestamp(row["opened"]).date()
        closed = None if pd.isna(row["closed"]) else pd.Timestamp(row["closed"]).date()
        if (not cities or row["city"] in cities) and opened <= end and (closed is None or closed >= start):
            kept.append(site)
    return kept


def describe_filters(f: flt.Filters) -> dict[str, str]:
    """Filters as text, for export files and briefs."""
    out = {tr("common.period"): i18n.format_period(f.start, f.end, lang())}
    if f.cities:
        out[tr("common.city")] = ", ".join(f.cities)
    if f.sites:
        out[tr("common.site")] = ", ".join(f.sites)
    if f.activities:
        out[tr("common.activity_label")] = ", ".join(label("activity", a) for a in f.activities)
    if f.age_bands:
        out[tr("common.age_band_label")] = ", ".join(label("age_band", a) for a in f.age_bands)
    if f.sexes:
        out[tr("common.sex_label")] = ", ".join(label("sex", s) for s in f.sexes)
    if f.minors_only:
        out[tr("common.minors_only")] = "✓"
    if f.girls_only:
        out[tr("common.girls_only")] = "✓"
    return out


# --- tables and figures -------------------------------------------------------------------

def threshold_of(frame: pd.DataFrame) -> int:
    return int(frame.attrs.get("provenance", {}).get("threshold", 0))


def count_text(frame: pd.DataFrame, value: Any, mark: str | None = None) -> str:
    """A count as shown: "< k" when hidden ("[c]" when its mark says it protects another),
    locale-formatted otherwise."""
    return disclosure.format_count(value, threshold_of(frame), lambda v: i18n.format_number(v, lang()), mark)


def empty_notice(frame: pd.DataFrame) -> bool:
    """Say so in words when a result is empty. Returns True when it was."""
    if frame.empty:
        st.info(tr("common.no_data"))
        return True
    return False


def _missing(value: Any) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):   # a list or an array is a value
        return False


def _sort_key(value: Any) -> str:
    # A number as the grid's "smart" sort reads it back as a number: "1234", "0.924".
    return str(value.item() if hasattr(value, "item") else value)


def _shown_styler(table: pd.DataFrame, cells: dict, uuid: str) -> Styler:
    """A Styler whose cells' texts are already written. Streamlit marshals a Styler by asking
    pandas for every cell's HTML rendering (`_compute`, then `_translate`: the heaviest work of
    a page's rerun) and keeps only each cell's display value; this one hands it those values,
    made once per table (`_table_shown`), in the form pandas gives them. Streamlit knows a
    Styler by its exact type, so the instance is a plain Styler answering these two calls."""
    styler = Styler(table, uuid=uuid)
    styler._compute = lambda: styler
    styler._translate = lambda *_args, **_kwargs: cells
    return styler


@dataclass(frozen=True)
class _TableShown:
    table: pd.DataFrame       # the values under the cells (what the grid sorts), headers as labels
    cells: dict               # each cell's text, as pandas' Styler hands it to Streamlit
    config: dict              # Streamlit's column settings
    headers: dict[str, str]   # column -> header, for the downloads
    lower_bounds: bool        # a count leaves out a hidden month ("≥ N")


TABLE_CACHE_ENTRIES = 256
_tables_shown = ContentsCache(TABLE_CACHE_ENTRIES)


@_tables_shown
def _table_shown(frame: pd.DataFrame, columns: dict[str, str] | None, language: str) -> _TableShown:
    """A table as the grid shows it: codes as their names, headers as labels, every cell's
    text by Babel. Kept by the frame's contents and attributes, the page's columns and the
    language (terrain/charts/cache.py), so that a rerun with the same figures formats nothing.

    Streamlit shows a Styler's display values and sorts on the values under them, so a
    column of counts sorts as numbers and dates as dates while every cell reads as the
    reader's language writes it (st.column_config formats are printf patterns in the
    browser's locale, not the reader's language). The grid draws an empty number as "None"
    whatever its text, so a column with hidden counts carries text under its cells: the
    number as the grid's sort reads it ("1234"), or the mark ("< 11", "[c]"), which is also
    what the grid's own export writes; it stays right-aligned like the numbers."""
    readable = exports.with_labels(frame, language)
    texts = exports.cell_texts(readable, language)
    shown = [c for c in columns if c in frame.columns] if columns else list(frame.columns)
    headers = {c: exports.header_of(c, language, columns) for c in shown}
    counts = frame.attrs.get("suppression", {}).get("counts", [])
    lower_bounds = any(any(indicators.partial_flags(frame, c)) for c in counts if c in frame.columns)
    table = readable[shown].rename(columns=headers).reset_index(drop=True)
    table.attrs = {}  # provenance stays with `frame` for the downloads; the grid needs none
    texts = texts[shown].rename(columns=headers).reset_index(drop=True)
    config = {}
    for column in table.columns:
        marked = [bool(text) and _missing(value) for value, text in zip(table[column], texts[column])]
        if any(marked):
            table[column] = [text if mark else "" if _missing(value) else _sort_key(value)
                             for value, text, mark in zip(table[column], texts[column], marked)]
            config[column] = st.column_config.TextColumn(alignment="right")
    # Streamlit starts from each value as a string and puts the text given for a cell in its
    # place: only the cells whose text is not that string need one.
    as_strings = table.astype(str).to_numpy()
    body = [[{"id": f"row{r}_col{c}", "display_value": text}
             for c, text in enumerate(row) if text != as_strings[r, c]]
            for r, row in enumerate(texts.itertuples(index=False, name=None))]
    return _TableShown(table, {"body": body, "cellstyle": [], "table_styles": []}, config, headers, lower_bounds)


def show_table(frame: pd.DataFrame, *, what: str, filters: flt.Filters, key: str,
               columns: dict[str, str] | None = None, where: str = "") -> None:
    """A table in the reader's language, with its downloads: codes as their names, headers
    as labels, numbers, percentages and dates by Babel, hidden counts as "< k" or "[c]",
    never 0; `columns` names and orders the columns shown (the downloads carry the others)."""
    if empty_notice(frame):
        return
    language = lang()
    k = threshold_of(frame)
    shown = _table_shown(frame, columns, language)
    st.dataframe(_shown_styler(shown.table, shown.cells, uuid=key), hide_index=True, width="stretch",
                 key=f"table_{key}", column_config=shown.config)
    headers = shown.headers
    if k:
        # one legend wherever marks are told apart (published sets): "< k", "[c]", "≥ N"
        st.caption(tr("common.marks_legend", k=k) if indicators.marks_told_apart(frame)
                   else tr("common.suppressed_note", k=k) + ("  \n" + tr("common.at_least_note")
                                                              if shown.lower_bounds else ""))
    if not roles.can(current_role(), "download_tables"):
        return
    _download_buttons(frame, export_context(frame, what=what, filters=filters, headers=headers), key=key,
                      where=where or "all", filters=filters)


def export_context(frame: pd.DataFrame, *, what: str, filters: flt.Filters,
                   headers: dict[str, str]) -> exports.ExportContext:
    """What a download of `frame` says about itself, for the signed-in reader: the period its
    figures hold (for donors whole months, up to the last published one), the filters, the
    data's date, the audience, the source query, and the context events of the period as the
    reader may see them (the door keeps internal ones from donors)."""
    role, language, data = current_role(), lang(), dataset()
    provenance = frame.attrs.get("provenance", {})
    held = provenance.get("params") or {}
    start, end = held.get("start", filters.start), held.get("end", filters.end)
    events = query("events_in_period", start=start, end=end, cities=list(filters.cities))
    return exports.ExportContext(
        title=what, period_start=start, period_end=end,
        filters=describe_filters(filters), data_as_of=data.data_as_of,
        audience=tr(f"common.role.{role}"), is_synthetic=data.is_synthetic, lang=language,
        queries=[provenance.get("query", "")], headers=headers,
        events=[context_events.line(row, language) for _, row in events.iterrows()])


def _download_buttons(frame: pd.DataFrame, ctx: exports.ExportContext, *, key: str, where: str,
                      filters: flt.Filters) -> None:
    """The CSV for the reader's Excel first, then the workbook, the CSV's context, and the
    HXL CSV for humanitarian data tools. The files are made when a button is clicked, not
    on every run of the page."""
    def name(what: str, ext: str) -> str:
        return exports.export_filename(what, where, filters.start, filters.end, ext)

    files = [
        ("tables.download_csv", "tables.download_csv_help", exports.to_spreadsheet_csv_bytes,
         name(key, "csv"), "text/csv", f"csv_{key}"),
        ("tables.download_xlsx", "tables.download_xlsx_help", exports.to_xlsx_bytes, name(key, "xlsx"),
         "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", f"xlsx_{key}"),
        ("tables.download_context", "tables.download_context_help", exports.context_text_bytes,
         name(f"{key}_{tr('tables.context_slug')}", "txt"), "text/plain", f"context_{key}"),
        ("tables.download_hxl", "tables.download_hxl_help", exports.to_csv_bytes,
         name(f"{key}_{tr('tables.hxl_slug')}", "csv"), "text/csv", f"hxl_{key}"),
    ]
    for column, (text, help_text, make, filename, mime, button_key) in zip(st.columns(len(files)), files):
        column.download_button(tr(text), functools.partial(make, frame, ctx), filename, mime=mime,
                               key=button_key, help=tr(help_text),
                               type="primary" if button_key == f"csv_{key}" else "secondary")


# A rerun makes and drops thousands of objects, and now and then Python walks every object the
# process holds to find cycles: a full collection, 100–230 ms counted in a page's CPU (measured
# by `bench`). What the process holds once Streamlit, pandas, plotly and DuckDB are loaded lives
# as long as the process: moved out of the collector's sight, a full collection walks only what
# the pages made since.
gc.freeze()
