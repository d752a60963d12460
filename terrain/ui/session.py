"""Who is signed in and in which language: the session's user (local sign-in through the
session cookie, or OIDC), its role read afresh, the sign-in form and sign-out, the interface
language (switch, URL, cookie, the account's preference) and the small script that asks the
browser to keep them."""

from __future__ import annotations

import datetime as dt
import json
import math
import sqlite3
import time
from typing import Any

import duckdb
import streamlit as st

from terrain import auth, i18n, queries, sessions, store, web
from terrain.ui.data import dataset

USER_KEY = "terrain_user"
LANG_KEY = "terrain_lang"


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


def stop_past_time_limit(timeout: queries.QueryTimeout) -> None:
    """A query ran past the door's time limit: one line in the reader's language, and the page
    stops there."""
    st.error(tr("door.timeout", limit=i18n.format_time_limit(timeout.seconds, lang())))
    st.stop()


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

def _in_browser(*, lang: str | None = None, go_to: str | None = None, ticket: str | None = None) -> None:
    """Ask the browser, on this run, to keep the language in its cookie, to load one of our
    routes (terrain/web.py: sign-out deletes the session cookie), and/or to take a session's
    ticket to the route that sets its cookie, without leaving the page."""
    script = dict(st.session_state.get(_BROWSER_SCRIPT_KEY) or {})
    if lang:
        script["lang"] = lang
    if go_to:
        script["go_to"] = go_to
    if ticket:
        script["ticket"] = ticket
    st.session_state[_BROWSER_SCRIPT_KEY] = script


def _run_browser_script() -> None:
    script = st.session_state.pop(_BROWSER_SCRIPT_KEY, None)
    if not script:
        return
    lines = []
    if script.get("lang") in i18n.LANGUAGES:
        lines.append(f'document.cookie = "{sessions.LANG_COOKIE}={script["lang"]}; path={_cookie_path()}; '
                     f'max-age={400 * 86400}; samesite=lax";')
    if script.get("ticket"):
        # fetch() takes the cookie as a page load would (same origin, HttpOnly), with no reload:
        # the page is drawn signed in meanwhile, by the session this script's run holds.
        lines.append(f"fetch({json.dumps(web.base_path() + web.SESSION_PATH)}, {{method: 'POST', "
                     f"credentials: 'same-origin', cache: 'no-store', "
                     f"headers: {{{json.dumps(web.TICKET_HEADER)}: {json.dumps(script['ticket'])}}}}});")
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
    _preload_chart_code()
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


def _preload_chart_code() -> None:
    """While the visitor types, the browser fetches and compiles the charts' code (a module
    preload: nothing runs), which the first page after sign-in would otherwise wait for."""
    paths = web.chart_code_paths()
    if paths:
        st.html("<script>for (const href of " + json.dumps(paths) + ") {"
                " if (document.querySelector(`link[rel=modulepreload][href=\"${href}\"]`)) continue;"
                " const link = document.createElement('link'); link.rel = 'modulepreload'; link.href = href;"
                " document.head.appendChild(link); }</script>", unsafe_allow_javascript=True)


def _open_local_session(name: str, role: str) -> None:
    """Signed in: this session at once, drawing the page it is on, and the browser's cookie
    from the route the page's script sends the ticket to (no reload)."""
    try:
        claims, ticket = auth.state_store().open_session(name, _now())
    except (OSError, sqlite3.Error):
        st.error(tr("sessions.store_unavailable"))
        st.stop()
    user = {"name": name, "role": role, "via": "local", "sid": claims.sid, "checked": time.monotonic()}
    st.session_state[USER_KEY] = user
    _apply_language_preference(user)
    _in_browser(lang=lang(), ticket=ticket if web.mounted() else None)
    st.rerun()


def _data_is_synthetic() -> bool:
    try:
        return dataset().is_synthetic
    except (FileNotFoundError, store.OutdatedDatabase, store.NewerDatabase, duckdb.Error, OSError):
        return False
