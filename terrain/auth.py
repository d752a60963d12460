"""Who may sign in, and with which role.

Two doors lead in. Local accounts (argon2id hashes in a JSON file that is never committed)
for small deployments and for the demo; and, in production, OpenID Connect through
Streamlit's `st.login`, where `role_for_identity` turns the identity provider's e-mail and
groups into a role. This module holds the rules only; the sign-in page is elsewhere.

The demo accounts open synthetic data only: their password is public, so on real data
they are refused even with the right password.

Wrong passwords slow the guesser without letting anyone lock a colleague out: each browser
(by its cookie) gets a few free tries on an account, then waits that double with every
further failure; and every try from a browser that never signed in to the account is slowed
a little (a few seconds at most) once the account has many recent failures. A browser the
account has signed in from before is never slowed by others' failures.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from terrain import ROOT, sessions

# Most privileged first: role_for_identity relies on this order. Same tuple as terrain.roles.
ROLES = ("programme_manager", "advocacy", "donor")

# Per account and browser: free tries, then a wait that doubles with each failure.
FREE_FAILURES_PER_BROWSER = 3
BROWSER_WAIT_CAP = timedelta(minutes=15)
# Per account, from browsers that never signed in to it: past this many failures in the
# window, each try is slowed by a delay that doubles, capped small so nobody is kept out.
ACCOUNT_SLOWDOWN_AFTER = 5
ACCOUNT_SLOWDOWN_WINDOW = timedelta(minutes=15)
ACCOUNT_SLOWDOWN_CAP = timedelta(seconds=8)

MIN_PASSWORD_LENGTH = 10
USERNAME_PATTERN = re.compile(r"[a-z0-9._-]{2,32}")

DEMO_PASSWORD = "terrain-demo"
# Hashes of the public demo password, computed once with argon2-cffi's defaults. Not secrets.
DEMO_ACCOUNTS: dict[str, tuple[str, str]] = {
    "manager": ("programme_manager", "$argon2id$v=19$m=65536,t=3,p=4$/qfpBJehGg8I8gZEMPKOEA$EE6ghr3e2Y15suwvrpXJ2qieKhCpjGIgNwbCJjhBxyg"),
    "advocacy": ("advocacy", "$argon2id$v=19$m=65536,t=3,p=4$ZbodAnDBqOjyKS3hxfZbYw$86Tno23eC+58QiHXtS1euBdpN7bbmj7ufrZoYi7ZjJ0"),
    "donor": ("donor", "$argon2id$v=19$m=65536,t=3,p=4$VBaLoMBGphvE5KO7qjj5Kw$EU95X7eRec9VNynB76HlqozC+66Q54Oimuxi2yV7BbE"),
}
# Checked against when the name is unknown, so that an unknown name takes as long to refuse
# as a wrong password (the hashed value is a discarded random string).
_UNKNOWN_USER_HASH = "$argon2id$v=19$m=65536,t=3,p=4$43US5lLvmuHv//2z2ztARQ$qkE9w4HHaithAurjurEO7AZnssMLYtYuMSOBRbGTi/4"

_hasher = PasswordHasher()
# Each argon2 check takes 64 MiB for a moment (m=65536): two at a time at most, so that many
# people signing in at once cannot stack that memory in one app process.
_HASHING = threading.BoundedSemaphore(2)

REFUSAL_MESSAGES = {
    "unknown_or_wrong": "Nom d'utilisateur ou mot de passe incorrect. / Wrong user name or password.",
    "wait": "Trop d'essais depuis ce navigateur : patientez. / Too many attempts from this browser: wait.",
    "demo_refused": ("Les comptes de démonstration n'ouvrent que les données fictives. / "
                     "Demo accounts open synthetic data only."),
}


@dataclass(frozen=True)
class Result:
    ok: bool
    role: str | None = None
    reason: str | None = None  # a key of REFUSAL_MESSAGES when not ok
    retry_after: timedelta | None = None  # when reason == "wait"
    is_demo: bool = False

    @property
    def message(self) -> str:
        return REFUSAL_MESSAGES.get(self.reason or "", "")


# --- files -------------------------------------------------------------------------------

def users_path(path: Path | str | None = None) -> Path:
    """The accounts file: `path`, else $TERRAIN_USERS, else data/users.json."""
    return Path(path or os.environ.get("TERRAIN_USERS") or ROOT / "data" / "users.json")


def auth_state_path(users_file: Path | None = None) -> Path:
    """Sessions, failed sign-ins and preferences (SQLite): $TERRAIN_AUTH_STATE, else
    auth-state.sqlite beside the users."""
    return Path(os.environ.get("TERRAIN_AUTH_STATE") or users_path(users_file).with_name("auth-state.sqlite"))


def state_store(users_file: Path | str | None = None) -> sessions.Store:
    return sessions.Store(auth_state_path(users_path(users_file)))


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Serialise read-modify-write of `path` across threads and processes.

    Without it, a login that rehashes a password could write back a users file read before
    a concurrent `users add`, and lose the new account.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{path}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def _read_json(path: Path, key: str) -> dict:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return {}
    try:
        return dict(json.loads(text)[key])
    except (ValueError, KeyError, TypeError) as error:
        raise ValueError(f"{path} is not a valid Terrain {key} file: {error}") from error


def _write_json_atomically(path: Path, key: str, content: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump({key: content}, out, indent=2, sort_keys=True)
            out.write("\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _read_users(path: Path) -> dict:
    return _read_json(path, "users")


def _write_users(path: Path, users: dict) -> None:
    _write_json_atomically(path, "users", users)


# --- accounts ----------------------------------------------------------------------------

def check_name(name: str) -> None:
    if not isinstance(name, str) or not USERNAME_PATTERN.fullmatch(name):
        raise ValueError(f"User name {name!r} refused: use 2 to 32 characters among a-z, 0-9, '.', '_' and '-'.")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise ValueError(f"Role {role!r} refused: choose one of {', '.join(ROLES)}.")


def _check_password(password: str) -> None:
    if not isinstance(password, str) or len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"Password refused: it needs at least {MIN_PASSWORD_LENGTH} characters.")


def add_user(name: str, role: str, password: str, path: Path | str | None = None) -> None:
    check_name(name)
    _check_role(role)
    _check_password(password)
    file = users_path(path)
    password_hash = _hasher.hash(password)
    with _exclusive(file):
        users = _read_users(file)
        if name in users:
            raise ValueError(f"User {name!r} already exists in {file}.")
        users[name] = {
            "role": role,
            "password_hash": password_hash,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        _write_users(file, users)


def remove_user(name: str, path: Path | str | None = None) -> None:
    file = users_path(path)
    with _exclusive(file):
        users = _read_users(file)
        if name not in users:
            raise ValueError(f"No user {name!r} in {file}.")
        del users[name]
        _write_users(file, users)
    store = state_store(file)
    store.revoke_account(name, datetime.now(UTC))
    store.forget_account(name)


def set_password(name: str, password: str, path: Path | str | None = None) -> None:
    _check_password(password)
    file = users_path(path)
    password_hash = _hasher.hash(password)
    with _exclusive(file):
        users = _read_users(file)
        if name not in users:
            raise ValueError(f"No user {name!r} in {file}.")
        users[name]["password_hash"] = password_hash
        _write_users(file, users)
    state_store(file).revoke_account(name, datetime.now(UTC))


def list_users(path: Path | str | None = None) -> list[dict]:
    users = _read_users(users_path(path))
    return [{"name": name, "role": users[name]["role"], "created": users[name]["created"]}
            for name in sorted(users)]


# --- sign-in -----------------------------------------------------------------------------

def _password_matches(password_hash: str, password: str) -> bool:
    try:
        with _HASHING:
            return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _rehash_if_outdated(file: Path, name: str, password: str) -> None:
    """Bring a stored hash up to the current argon2 parameters, now that we know the password."""
    with _exclusive(file):
        users = _read_users(file)
        account = users.get(name)
        if account is None or not _hasher.check_needs_rehash(account["password_hash"]):
            return
        with _HASHING:
            account["password_hash"] = _hasher.hash(password)
        _write_users(file, users)


def browser_wait(failures: int) -> timedelta:
    """How long a browser waits after its `failures`-th recent failure on an account."""
    if failures < FREE_FAILURES_PER_BROWSER:
        return timedelta(0)
    doublings = failures - FREE_FAILURES_PER_BROWSER
    if doublings >= 20:  # far past the cap; keeps 2 ** n small
        return BROWSER_WAIT_CAP
    return min(timedelta(seconds=2 ** doublings), BROWSER_WAIT_CAP)


def account_slowdown(failures_from_unknown_browsers: int, browser_is_known: bool) -> timedelta:
    """The delay before checking a password, given the account's recent failures from
    browsers that never signed in to it. A known browser is never slowed."""
    if browser_is_known or failures_from_unknown_browsers < ACCOUNT_SLOWDOWN_AFTER:
        return timedelta(0)
    doublings = failures_from_unknown_browsers - ACCOUNT_SLOWDOWN_AFTER
    if doublings >= 20:
        return ACCOUNT_SLOWDOWN_CAP
    return min(timedelta(seconds=2 ** doublings), ACCOUNT_SLOWDOWN_CAP)


def account_role(name: str, *, data_is_synthetic: bool, path: Path | str | None = None) -> str | None:
    """The role `name` holds now (None once the account is removed, or for a demo account on
    real data): a session's role is read here on every page, never kept from sign-in."""
    account = _read_users(users_path(path)).get(name)
    if account is not None:
        return account["role"]
    if name in DEMO_ACCOUNTS and data_is_synthetic:
        return DEMO_ACCOUNTS[name][0]
    return None


def authenticate(name: str, password: str, *, data_is_synthetic: bool,
                 path: Path | str | None = None, now: datetime | None = None, browser: str = "",
                 sleep: Callable[[float], None] = time.sleep) -> Result:
    """Check a local sign-in from `browser` (its cookie's value; "" when it sent none).
    `now` must be timezone-aware; it defaults to the current UTC time."""
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("authenticate() needs a timezone-aware `now`.")
    name = (name or "").strip().lower()
    file = users_path(path)
    store = state_store(file)

    if not USERNAME_PATTERN.fullmatch(name):
        # No such account can exist, so there is nothing to count and nothing to reveal.
        _password_matches(_UNKNOWN_USER_HASH, password)
        return Result(ok=False, reason="unknown_or_wrong")

    recent = store.failures(name, browser, browser_since=now - sessions.KEEP_FOR,
                            account_since=now - ACCOUNT_SLOWDOWN_WINDOW)
    if recent.last_from_this_browser is not None:
        free_at = recent.last_from_this_browser + browser_wait(recent.from_this_browser)
        if free_at > now:
            return Result(ok=False, reason="wait", retry_after=free_at - now)

    account = _read_users(file).get(name)
    is_demo = account is None and name in DEMO_ACCOUNTS
    if is_demo and not data_is_synthetic:
        return Result(ok=False, reason="demo_refused", is_demo=True)

    if account is not None:
        role, password_hash = account["role"], account["password_hash"]
    elif is_demo:
        role, password_hash = DEMO_ACCOUNTS[name]
    else:
        role, password_hash = None, _UNKNOWN_USER_HASH

    slowdown = account_slowdown(recent.from_unknown_browsers, recent.browser_is_known)
    if slowdown:
        sleep(slowdown.total_seconds())

    if _password_matches(password_hash, password) and role is not None:
        store.record_success(name, browser, now)
        if account is not None:
            _rehash_if_outdated(file, name, password)
        return Result(ok=True, role=role, is_demo=is_demo)

    store.record_failure(name, browser, now)
    return Result(ok=False, reason="unknown_or_wrong", is_demo=is_demo)


# --- OpenID Connect ----------------------------------------------------------------------

_MAPPING_SECTIONS = ("emails", "domains", "groups")


def _validated_mapping(mapping: Mapping | None) -> dict[str, dict[str, str]]:
    mapping = mapping or {}
    unknown = set(mapping) - set(_MAPPING_SECTIONS)
    if unknown:
        raise ValueError(f"terrain.roles has unknown keys {sorted(unknown)}: use {', '.join(_MAPPING_SECTIONS)}.")
    checked: dict[str, dict[str, str]] = {}
    for section in _MAPPING_SECTIONS:
        entries = mapping.get(section) or {}
        if not isinstance(entries, Mapping):
            raise ValueError(f"terrain.roles.{section} must be a table of name = role.")
        checked[section] = {}
        for key, role in entries.items():
            if role not in ROLES:
                raise ValueError(f"terrain.roles.{section}[{key!r}] = {role!r} is not a role: "
                                 f"choose one of {', '.join(ROLES)}.")
            if section == "emails" and "@" not in key:
                raise ValueError(f"terrain.roles.emails[{key!r}] is not an e-mail address.")
            if section == "domains" and "@" in key:
                raise ValueError(f"terrain.roles.domains[{key!r}] should be a domain alone, without '@'.")
            # E-mail addresses and domains are case-insensitive; group names are compared as given.
            checked[section][key if section == "groups" else key.lower()] = role
    return checked


def role_for_identity(email: str | None, groups: Sequence[str], mapping: Mapping | None) -> str | None:
    """The role of a signed-in OIDC identity, or None if the mapping does not name it.

    Precedence, most specific first: the exact e-mail address; then the groups, taking the
    most privileged role when several map; then the e-mail's domain (exact match, no
    subdomains). An e-mail entry can thus give one person less than their group would.
    """
    checked = _validated_mapping(mapping)
    email = (email or "").strip().lower()
    if email in checked["emails"]:
        return checked["emails"][email]
    if isinstance(groups, str):
        groups = [groups]
    group_roles = {checked["groups"][group] for group in groups or () if group in checked["groups"]}
    if group_roles:
        return min(group_roles, key=ROLES.index)
    if "@" in email:
        return checked["domains"].get(email.rsplit("@", 1)[1])
    return None
