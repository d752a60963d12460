"""Signed sessions of local sign-in, and the sign-in state app processes share.

A session is a row of a small SQLite file (WAL, so several app processes behind one proxy
read and write it at once) and a token in an HttpOnly cookie:

    v1.<payload>.<signature>     payload = base64url(JSON {"sid", "sub", "exp"})
                                 signature = base64url(HMAC-SHA256(secret, "v1." + payload))

The token is worth something only while its row says so: sign-out revokes the row, removing
an account or changing its password revokes every row of the account, and the row and the
token both expire. The secret is $TERRAIN_SESSION_SECRET, else a random key written on first
use beside the store (never committed).

The cookie cannot be set by a Streamlit script (it has no response), so the script that
checked the password opens the session with a one-time ticket, and the browser takes the
ticket to a small route of our own (terrain/web.py) that answers with the cookie. The same
file holds the failed sign-ins that slow a guesser (terrain/auth.py decides how much), the
browsers an account has signed in from, and each account's chosen language.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

SESSION_COOKIE = "terrain_session"
BROWSER_COOKIE = "terrain_browser"
LANG_COOKIE = "terrain_lang"

SESSION_LIFETIME = timedelta(hours=int(os.environ.get("TERRAIN_SESSION_HOURS", "12")))
# Between the password check and the route that sets the cookie: one page load.
TICKET_LIFETIME = timedelta(seconds=60)
# Failures and revoked or expired sessions older than this are dropped.
KEEP_FOR = timedelta(days=1)

_VERSION = "v1"
_SECRET_BYTES = 32

_SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
    sid TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    created REAL NOT NULL,
    expires REAL NOT NULL,
    revoked REAL,
    ticket_hash TEXT UNIQUE,
    ticket_expires REAL
);
CREATE INDEX IF NOT EXISTS sessions_by_account ON sessions (account);
CREATE TABLE IF NOT EXISTS failures (
    account TEXT NOT NULL,
    browser TEXT NOT NULL,
    at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS failures_by_account ON failures (account, at);
CREATE TABLE IF NOT EXISTS known_browsers (
    account TEXT NOT NULL,
    browser TEXT NOT NULL,
    last_success REAL NOT NULL,
    PRIMARY KEY (account, browser)
);
CREATE TABLE IF NOT EXISTS preferences (
    account TEXT PRIMARY KEY,
    lang TEXT NOT NULL
);
"""


# --- tokens (pure) -----------------------------------------------------------------------

@dataclass(frozen=True)
class Claims:
    sid: str
    account: str
    expires: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(secret: bytes, signed: str) -> str:
    return _b64(hmac.new(secret, signed.encode("ascii"), hashlib.sha256).digest())


def sign_token(claims: Claims, secret: bytes) -> str:
    payload = _b64(json.dumps({"sid": claims.sid, "sub": claims.account,
                               "exp": int(claims.expires.timestamp())},
                              separators=(",", ":"), sort_keys=True).encode("utf-8"))
    signed = f"{_VERSION}.{payload}"
    return f"{signed}.{_signature(secret, signed)}"


def verify_token(token: str, secret: bytes, now: datetime) -> Claims | None:
    """The token's claims if its signature holds and it has not expired, else None."""
    if not isinstance(token, str) or token.count(".") != 2:
        return None
    version, payload, signature = token.split(".")
    if version != _VERSION:
        return None
    # Compared in constant time, before anything of the payload is read.
    if not hmac.compare_digest(signature.encode("ascii", "replace"),
                               _signature(secret, f"{version}.{payload}").encode("ascii")):
        return None
    try:
        fields = json.loads(_unb64(payload))
        sid, account, expires = fields["sid"], fields["sub"], int(fields["exp"])
    except (ValueError, KeyError, TypeError):
        return None
    if not (isinstance(sid, str) and isinstance(account, str)):
        return None
    expiry = datetime.fromtimestamp(expires, now.tzinfo)
    if expiry <= now:
        return None
    return Claims(sid, account, expiry)


# --- the secret --------------------------------------------------------------------------

def secret(store_path: Path) -> bytes:
    """$TERRAIN_SESSION_SECRET (hex), else the key beside the store, created on first use."""
    configured = os.environ.get("TERRAIN_SESSION_SECRET")
    if configured:
        try:
            key = bytes.fromhex(configured)
        except ValueError:
            raise ValueError("TERRAIN_SESSION_SECRET must be hexadecimal.") from None
        if len(key) < 16:
            raise ValueError("TERRAIN_SESSION_SECRET must hold at least 16 bytes (32 hex digits).")
        return key
    path = store_path.with_name("session.key")
    try:
        return bytes.fromhex(path.read_text(encoding="ascii").strip())
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as out:
        out.write(secrets.token_hex(_SECRET_BYTES) + "\n")
        out.flush()
        os.fsync(out.fileno())
    try:
        os.link(tmp, path)  # the first process to create it wins; the others read its key
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)
    return bytes.fromhex(path.read_text(encoding="ascii").strip())


# --- the store ---------------------------------------------------------------------------

def _ts(moment: datetime) -> float:
    if moment.tzinfo is None:
        raise ValueError("Times given to the session store must carry a timezone.")
    return moment.timestamp()


def _ticket_hash(ticket: str) -> str:
    return hashlib.sha256(ticket.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Failures:
    """Recent failed sign-ins of one account."""
    from_this_browser: int
    last_from_this_browser: datetime | None
    from_unknown_browsers: int   # from browsers that never signed in to the account
    browser_is_known: bool


_READY: set[Path] = set()  # store files whose schema this process has made sure of


class Store:
    """The sign-in state file. Each call opens its own connection: cheap, and safe from any
    thread or process."""

    def __init__(self, path: Path | str):
        self.path = Path(path)

    @contextlib.contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        try:
            con.execute("PRAGMA busy_timeout = 10000")
            if self.path not in _READY:
                # WAL: readers never wait for the one writer, in any process.
                con.execute("PRAGMA journal_mode = WAL")
                con.executescript(_SCHEMA)
                os.chmod(self.path, 0o600)
                _READY.add(self.path)
            con.execute("BEGIN IMMEDIATE")
            yield con
            con.execute("COMMIT")
        except BaseException:
            if con.in_transaction:
                con.execute("ROLLBACK")
            raise
        finally:
            con.close()

    # sessions

    def open_session(self, account: str, now: datetime) -> tuple[Claims, str]:
        """A new session of `account` and the one-time ticket that hands it to the browser."""
        claims = Claims(secrets.token_urlsafe(24), account, now + SESSION_LIFETIME)
        ticket = secrets.token_urlsafe(32)
        with self._db() as db:
            db.execute("DELETE FROM sessions WHERE expires < ? OR revoked < ?",
                       (_ts(now - KEEP_FOR), _ts(now - KEEP_FOR)))
            db.execute("INSERT INTO sessions (sid, account, created, expires, ticket_hash, ticket_expires) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (claims.sid, account, _ts(now), _ts(claims.expires), _ticket_hash(ticket),
                        _ts(now + TICKET_LIFETIME)))
        return claims, ticket

    def redeem_ticket(self, ticket: str, now: datetime) -> Claims | None:
        """The session a ticket hands over, once: a second use, a late one or one of a
        revoked session gets None."""
        with self._db() as db:  # one write transaction: two redemptions cannot both read the row
            row = db.execute("SELECT sid, account, expires, ticket_expires, revoked FROM sessions "
                             "WHERE ticket_hash = ?", (_ticket_hash(ticket),)).fetchone()
            if row is not None:
                db.execute("UPDATE sessions SET ticket_hash = NULL, ticket_expires = NULL WHERE sid = ?", (row[0],))
        if row is None:
            return None
        sid, account, expires, ticket_expires, revoked = row
        if revoked is not None or ticket_expires < _ts(now) or expires <= _ts(now):
            return None
        return Claims(sid, account, datetime.fromtimestamp(expires, now.tzinfo))

    def is_active(self, claims: Claims, now: datetime) -> bool:
        with self._db() as db:
            row = db.execute("SELECT account, expires, revoked FROM sessions WHERE sid = ?",
                             (claims.sid,)).fetchone()
        return row is not None and row[0] == claims.account and row[2] is None and row[1] > _ts(now)

    def revoke(self, sid: str, now: datetime) -> None:
        with self._db() as db:
            db.execute("UPDATE sessions SET revoked = ? WHERE sid = ? AND revoked IS NULL", (_ts(now), sid))

    def revoke_account(self, account: str, now: datetime) -> int:
        """Revoke every session of `account`; returns how many were open."""
        with self._db() as db:
            return db.execute("UPDATE sessions SET revoked = ? WHERE account = ? AND revoked IS NULL",
                              (_ts(now), account)).rowcount

    # failed sign-ins

    def failures(self, account: str, browser: str, *, browser_since: datetime,
                 account_since: datetime) -> Failures:
        with self._db() as db:
            mine = db.execute("SELECT count(*), max(at) FROM failures WHERE account = ? AND browser = ? "
                              "AND at >= ?", (account, browser, _ts(browser_since))).fetchone()
            unknown = db.execute(
                "SELECT count(*) FROM failures f WHERE f.account = ? AND f.at >= ? AND NOT EXISTS "
                "(SELECT 1 FROM known_browsers k WHERE k.account = f.account AND k.browser = f.browser)",
                (account, _ts(account_since))).fetchone()[0]
            known = browser != "" and db.execute(
                "SELECT 1 FROM known_browsers WHERE account = ? AND browser = ?", (account, browser)).fetchone()
        last = datetime.fromtimestamp(mine[1], browser_since.tzinfo) if mine[1] is not None else None
        return Failures(mine[0], last, unknown, bool(known))

    def record_failure(self, account: str, browser: str, now: datetime) -> None:
        with self._db() as db:
            db.execute("DELETE FROM failures WHERE at < ?", (_ts(now - KEEP_FOR),))
            db.execute("INSERT INTO failures (account, browser, at) VALUES (?, ?, ?)", (account, browser, _ts(now)))

    def record_success(self, account: str, browser: str, now: datetime) -> None:
        """Clear this browser's failures on the account, and know the browser from now on
        (a browser without our cookie is never known)."""
        with self._db() as db:
            db.execute("DELETE FROM failures WHERE account = ? AND browser = ?", (account, browser))
            if browser:
                db.execute("INSERT INTO known_browsers (account, browser, last_success) VALUES (?, ?, ?) "
                           "ON CONFLICT (account, browser) DO UPDATE SET last_success = excluded.last_success",
                           (account, browser, _ts(now)))

    def forget_account(self, account: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM failures WHERE account = ?", (account,))
            db.execute("DELETE FROM known_browsers WHERE account = ?", (account,))
            db.execute("DELETE FROM preferences WHERE account = ?", (account,))

    # preferences

    def language(self, account: str) -> str | None:
        with self._db() as db:
            row = db.execute("SELECT lang FROM preferences WHERE account = ?", (account,)).fetchone()
        return row[0] if row else None

    def set_language(self, account: str, lang: str) -> None:
        with self._db() as db:
            db.execute("INSERT INTO preferences (account, lang) VALUES (?, ?) "
                       "ON CONFLICT (account) DO UPDATE SET lang = excluded.lang", (account, lang))
