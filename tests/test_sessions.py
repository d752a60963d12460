"""Signed session tokens, the shared sign-in store, and the routes that set the cookie."""

import os
import re
import stat
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.testclient import TestClient

from terrain import ROOT, auth, sessions, web
from terrain.sessions import Claims, sign_token, verify_token

T0 = datetime(2025, 1, 14, 21, 0, tzinfo=UTC)
SECRET = bytes(range(32))
CLAIMS = Claims("sid-1", "alice", T0 + timedelta(hours=12))


@pytest.fixture(autouse=True)
def state(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRAIN_USERS", str(tmp_path / "users.json"))
    monkeypatch.delenv("TERRAIN_AUTH_STATE", raising=False)
    monkeypatch.delenv("TERRAIN_SESSION_SECRET", raising=False)
    return tmp_path / "auth-state.sqlite"


@pytest.fixture
def store(state):
    return sessions.Store(state)


# --- tokens ------------------------------------------------------------------------------

names = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789._-", min_size=2, max_size=32)


@given(sid=st.text(min_size=1, max_size=40), account=names, hours=st.integers(1, 24 * 30))
def test_a_token_verifies_to_what_was_signed(sid, account, hours):
    claims = Claims(sid, account, T0 + timedelta(hours=hours))
    assert verify_token(sign_token(claims, SECRET), SECRET, T0) == claims


@given(position=st.integers(0, 10_000), replacement=st.characters(codec="ascii"))
def test_any_changed_character_is_refused(position, replacement):
    token = sign_token(CLAIMS, SECRET)
    position %= len(token)
    tampered = token[:position] + replacement + token[position + 1:]
    if tampered != token:
        assert verify_token(tampered, SECRET, T0) is None


@given(account=names)
def test_a_payload_signed_with_another_secret_is_refused(account):
    forged = sign_token(Claims("sid-1", account, T0 + timedelta(hours=1)), b"someone else's key")
    assert verify_token(forged, SECRET, T0) is None


@given(account=names)
def test_a_payload_swapped_from_another_token_is_refused(account):
    mine = sign_token(CLAIMS, SECRET).split(".")
    theirs = sign_token(Claims("sid-2", account, T0 + timedelta(days=365)), SECRET).split(".")
    assert verify_token(".".join([mine[0], theirs[1], mine[2]]), SECRET, T0) is None


@given(seconds=st.integers(0, 10 ** 7))
def test_a_token_expires_at_its_time(seconds):
    token = sign_token(CLAIMS, SECRET)
    now = CLAIMS.expires - timedelta(seconds=seconds)
    assert (verify_token(token, SECRET, now) is not None) is (seconds > 0)
    assert verify_token(token, SECRET, CLAIMS.expires + timedelta(seconds=seconds)) is None


@given(st.text(max_size=200))
def test_garbage_is_refused_without_error(text):
    assert verify_token(text, SECRET, T0) is None


# --- the secret --------------------------------------------------------------------------

def test_the_secret_is_made_once_private_and_shared_by_processes(state):
    key = sessions.secret(state)
    path = state.with_name("session.key")
    assert len(key) == 32 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    child = f"from pathlib import Path; from terrain import sessions; print(sessions.secret(Path({str(state)!r})).hex())"
    run = subprocess.run([sys.executable, "-c", child], cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.strip() == key.hex()


def test_a_configured_secret_wins_and_a_short_one_is_refused(state, monkeypatch):
    monkeypatch.setenv("TERRAIN_SESSION_SECRET", "ab" * 32)
    assert sessions.secret(state) == bytes.fromhex("ab" * 32)
    assert not state.with_name("session.key").exists()
    monkeypatch.setenv("TERRAIN_SESSION_SECRET", "abcd")
    with pytest.raises(ValueError, match="at least 16 bytes"):
        sessions.secret(state)


# --- sessions in the store ---------------------------------------------------------------

def test_a_ticket_hands_over_its_session_once(store):
    claims, ticket = store.open_session("alice", T0)
    assert store.redeem_ticket(ticket, T0 + timedelta(seconds=5)) == claims
    assert store.redeem_ticket(ticket, T0 + timedelta(seconds=6)) is None
    assert store.is_active(claims, T0 + timedelta(hours=1))


def test_a_late_or_unknown_ticket_hands_over_nothing(store):
    _, ticket = store.open_session("alice", T0)
    assert store.redeem_ticket(ticket, T0 + sessions.TICKET_LIFETIME + timedelta(seconds=1)) is None
    assert store.redeem_ticket("made-up", T0) is None


def test_a_session_ends_when_revoked_or_expired(store):
    claims, _ = store.open_session("alice", T0)
    other, _ = store.open_session("alice", T0)
    assert store.is_active(claims, T0) and store.is_active(other, T0)
    assert not store.is_active(claims, claims.expires)
    store.revoke(claims.sid, T0 + timedelta(minutes=1))
    assert not store.is_active(claims, T0 + timedelta(minutes=2))
    assert store.is_active(other, T0 + timedelta(minutes=2))


def test_a_ticket_of_a_revoked_session_hands_over_nothing(store):
    claims, ticket = store.open_session("alice", T0)
    store.revoke(claims.sid, T0)
    assert store.redeem_ticket(ticket, T0) is None


def test_a_session_is_not_another_accounts(store):
    claims, _ = store.open_session("alice", T0)
    assert not store.is_active(Claims(claims.sid, "bob", claims.expires), T0)


def test_removing_an_account_or_changing_its_password_ends_its_sessions(state):
    auth.add_user("alice", "advocacy", "alice-password")
    auth.add_user("bob", "donor", "bob-password-1")
    store = auth.state_store()
    now = datetime.now(UTC)
    alice, _ = store.open_session("alice", now)
    bob, _ = store.open_session("bob", now)
    store.set_language("alice", "en")
    auth.set_password("bob", "bob-password-2")
    assert not store.is_active(bob, now) and store.is_active(alice, now)
    auth.remove_user("alice")
    assert not store.is_active(alice, now)
    assert store.language("alice") is None
    assert auth.account_role("alice", data_is_synthetic=False) is None


def test_the_role_of_a_session_is_read_afresh(state):
    auth.add_user("carol", "advocacy", "carol-password")
    assert auth.account_role("carol", data_is_synthetic=False) == "advocacy"
    assert auth.account_role("manager", data_is_synthetic=True) == "programme_manager"
    assert auth.account_role("manager", data_is_synthetic=False) is None


def test_the_language_is_kept_per_account(store):
    assert store.language("alice") is None
    store.set_language("alice", "en")
    store.set_language("alice", "fr")
    store.set_language("oidc:a@example.org", "en")
    assert (store.language("alice"), store.language("oidc:a@example.org")) == ("fr", "en")


# --- the routes --------------------------------------------------------------------------

@pytest.fixture
def client(state):
    return TestClient(Starlette(routes=web.routes()), base_url="http://terrain.test")


def _take_ticket(client, ticket, **headers):
    return client.post(web.SESSION_PATH, headers={web.TICKET_HEADER: ticket, **headers})


def test_the_session_route_sets_an_httponly_cookie_without_moving_the_page(client):
    claims, ticket = auth.state_store().open_session("manager", datetime.now(UTC))
    answer = _take_ticket(client, ticket, **{"Sec-Fetch-Site": "same-origin"})
    assert answer.status_code == 204 and "location" not in answer.headers
    assert answer.headers["cache-control"] == "no-store"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith(f"{sessions.SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    lifetime = int(re.search(r"Max-Age=(\d+)", cookie).group(1))
    assert sessions.SESSION_LIFETIME.total_seconds() - 60 < lifetime <= sessions.SESSION_LIFETIME.total_seconds()
    token = answer.cookies[sessions.SESSION_COOKIE]
    assert verify_token(token, sessions.secret(auth.state_store().path), datetime.now(UTC)).sid == claims.sid
    # the same ticket a second time: no cookie
    again = _take_ticket(client, ticket)
    assert again.status_code == 403 and "set-cookie" not in again.headers


@pytest.mark.parametrize("how", ["no ticket", "a made-up ticket", "another site", "in the address", "by GET"])
def test_the_session_route_gives_no_cookie_but_for_its_own_page_s_ticket(how, client):
    store = auth.state_store()
    claims, ticket = store.open_session("manager", datetime.now(UTC))
    if how == "no ticket":
        answer = client.post(web.SESSION_PATH)
    elif how == "a made-up ticket":
        answer = _take_ticket(client, "x" * 43)
    elif how == "another site":
        answer = _take_ticket(client, ticket, **{"Sec-Fetch-Site": "cross-site"})
    elif how == "in the address":
        answer = client.post(web.SESSION_PATH, params={"ticket": ticket})
    else:
        answer = client.get(web.SESSION_PATH, params={"ticket": ticket}, headers={web.TICKET_HEADER: ticket})
    assert answer.status_code in (403, 405) and "set-cookie" not in answer.headers
    if how in ("another site", "in the address", "by GET"):   # refused without spending the ticket
        assert store.redeem_ticket(ticket, datetime.now(UTC)).sid == claims.sid


def test_the_sign_out_route_revokes_and_deletes_the_cookie(client):
    store = auth.state_store()
    claims, ticket = store.open_session("manager", datetime.now(UTC))
    _take_ticket(client, ticket)
    answer = client.get(web.SIGN_OUT_PATH, params={"next": "/map"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/map"
    assert f'{sessions.SESSION_COOKIE}=""' in answer.headers["set-cookie"]
    assert "Max-Age=0" in answer.headers["set-cookie"]
    assert not store.is_active(claims, datetime.now(UTC))


@pytest.mark.parametrize("target, expected", [
    ("/occupancy?city=Pantin", "/occupancy?city=Pantin"),
    ("/", "/"),
    (None, "/"),
    ("", "/"),
    ("https://evil.example/", "/"),
    ("//evil.example/x", "/"),
    ("/\\evil.example", "/"),
    ("occupancy", "/"),
    ("javascript:alert(1)", "/"),
    ("/map\r\nSet-Cookie: x=y", "/"),
])
def test_the_routes_send_a_browser_back_only_into_the_app(target, expected):
    assert web.safe_next(target) == expected


@pytest.mark.parametrize("target, expected", [
    ("/terrain/occupancy", "/terrain/occupancy"),
    ("/terrain", "/terrain"),
    ("/occupancy", "/terrain/"),
    ("/terrainx/occupancy", "/terrain/"),
])
def test_under_a_base_path_the_routes_stay_under_it(target, expected):
    assert web.safe_next(target, "/terrain") == expected


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_no_target_leads_out_of_the_app(target):
    sent_to = web.safe_next(target)
    parts = urlsplit(sent_to)
    assert sent_to.startswith("/") and not sent_to.startswith("//")
    assert not parts.scheme and not parts.netloc


def test_a_browser_gets_its_cookie_with_its_first_html_page_only():
    from starlette.responses import HTMLResponse, PlainTextResponse
    from starlette.routing import Route

    async def page(request):
        return HTMLResponse("<html></html>")

    async def health(request):
        return PlainTextResponse("ok")

    app = web.BrowserCookieMiddleware(Starlette(routes=[Route("/", page), Route("/health", health)]))
    assert "set-cookie" not in TestClient(app).get("/health").headers
    client = TestClient(app)
    cookie = client.get("/").headers["set-cookie"]
    assert cookie.startswith(f"{sessions.BROWSER_COOKIE}=") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "set-cookie" not in client.get("/").headers  # the browser sends it back now
    assert TestClient(app).get("/").cookies[sessions.BROWSER_COOKIE] != client.cookies[sessions.BROWSER_COOKIE]
