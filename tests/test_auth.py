import io
import json
import os
import stat
import subprocess
import sys
import threading
import tomllib
from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher

from terrain import ROOT, auth
from terrain.auth import (
    DEMO_ACCOUNTS, DEMO_PASSWORD, Result, account_slowdown, add_user, authenticate, browser_wait,
    list_users, remove_user, role_for_identity, set_password,
)
from terrain.cli import users as users_cli
from terrain.cli.users import command as users_command

T0 = datetime(2025, 1, 14, 21, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def users_file(tmp_path, monkeypatch):
    """Every test works on its own accounts file, never on data/users.json."""
    path = tmp_path / "users.json"
    monkeypatch.setenv("TERRAIN_USERS", str(path))
    monkeypatch.delenv("TERRAIN_AUTH_STATE", raising=False)
    return path


@pytest.fixture
def alice(users_file):
    add_user("alice", "advocacy", "alice-password")
    return "alice"


# --- accounts ----------------------------------------------------------------------------

def test_add_list_remove_round_trip(users_file):
    add_user("alice", "advocacy", "alice-password")
    add_user("bob.k", "donor", "bob-password", path=users_file)
    assert [(u["name"], u["role"]) for u in list_users()] == [("alice", "advocacy"), ("bob.k", "donor")]
    assert all(datetime.fromisoformat(u["created"]).tzinfo is not None for u in list_users())

    remove_user("alice")
    assert [u["name"] for u in list_users(users_file)] == ["bob.k"]


def test_users_file_holds_argon2id_hashes_only_and_is_private(users_file):
    add_user("alice", "advocacy", "alice-password")
    text = users_file.read_text()
    assert "alice-password" not in text
    assert json.loads(text)["users"]["alice"]["password_hash"].startswith("$argon2id$v=19$")
    assert stat.S_IMODE(os.stat(users_file).st_mode) == 0o600
    assert sorted(p.name for p in users_file.parent.iterdir() if not p.name.endswith(".lock")) == ["users.json"]


def test_demo_accounts_are_not_in_the_users_file(users_file):
    assert list_users() == []
    assert not users_file.exists()


@pytest.mark.parametrize("name, role", [
    ("manager", "programme_manager"), ("advocacy", "advocacy"), ("donor", "donor"),
])
def test_demo_hashes_verify_the_public_demo_password(name, role):
    assert DEMO_ACCOUNTS[name][0] == role
    assert DEMO_ACCOUNTS[name][1].startswith("$argon2id$")
    assert PasswordHasher().verify(DEMO_ACCOUNTS[name][1], DEMO_PASSWORD)


@pytest.mark.parametrize("name", ["a", "x" * 33, "Alice", "al ice", "élise", "a/b", "", "alice\n"])
def test_bad_names_are_refused(name):
    with pytest.raises(ValueError, match="User name"):
        add_user(name, "donor", "long-enough-password")


@pytest.mark.parametrize("name", ["ab", "x" * 32, "a.b_c-9"])
def test_names_at_the_edges_of_the_rule_are_accepted(name):
    add_user(name, "donor", "long-enough-password")
    assert [u["name"] for u in list_users()] == [name]


@pytest.mark.parametrize("role", ["admin", "Donor", "", "programme manager"])
def test_bad_roles_are_refused(role):
    with pytest.raises(ValueError, match="Role"):
        add_user("alice", role, "long-enough-password")


@pytest.mark.parametrize("password", ["", "short", "9-chars!!"])
def test_short_passwords_are_refused(password):
    with pytest.raises(ValueError, match="at least 10 characters"):
        add_user("alice", "donor", password)
    assert list_users() == []


def test_a_ten_character_password_is_enough():
    add_user("alice", "donor", "0123456789")
    assert authenticate("alice", "0123456789", data_is_synthetic=False) == Result(ok=True, role="donor")


def test_duplicate_is_refused_and_keeps_the_first_account(alice):
    with pytest.raises(ValueError, match="already exists"):
        add_user("alice", "programme_manager", "other-password")
    assert list_users()[0]["role"] == "advocacy"
    assert authenticate("alice", "alice-password", data_is_synthetic=False).ok


def test_remove_or_set_password_of_unknown_user_is_refused():
    with pytest.raises(ValueError, match="No user 'nobody'"):
        remove_user("nobody")
    with pytest.raises(ValueError, match="No user 'nobody'"):
        set_password("nobody", "long-enough-password")


def test_set_password_replaces_the_old_one(alice):
    set_password("alice", "a-new-password")
    assert authenticate("alice", "a-new-password", data_is_synthetic=False, now=T0).ok
    assert authenticate("alice", "alice-password", data_is_synthetic=False, now=T0).reason == "unknown_or_wrong"


# --- sign-in -----------------------------------------------------------------------------

@pytest.mark.parametrize("name, password, expected", [
    ("alice", "alice-password", Result(ok=True, role="advocacy")),
    (" Alice ", "alice-password", Result(ok=True, role="advocacy")),
    ("alice", "alice-passwor", Result(ok=False, reason="unknown_or_wrong")),
    ("alice", "", Result(ok=False, reason="unknown_or_wrong")),
    ("nobody", "alice-password", Result(ok=False, reason="unknown_or_wrong")),
    ("no such name!", "alice-password", Result(ok=False, reason="unknown_or_wrong")),
])
def test_authenticate_local_account(alice, name, password, expected):
    assert authenticate(name, password, data_is_synthetic=False, now=T0) == expected


@pytest.mark.parametrize("name, password, synthetic, expected", [
    ("manager", DEMO_PASSWORD, True, Result(ok=True, role="programme_manager", is_demo=True)),
    ("advocacy", DEMO_PASSWORD, True, Result(ok=True, role="advocacy", is_demo=True)),
    ("donor", DEMO_PASSWORD, True, Result(ok=True, role="donor", is_demo=True)),
    ("manager", "wrong-password", True, Result(ok=False, reason="unknown_or_wrong", is_demo=True)),
    ("manager", DEMO_PASSWORD, False, Result(ok=False, reason="demo_refused", is_demo=True)),
    ("advocacy", DEMO_PASSWORD, False, Result(ok=False, reason="demo_refused", is_demo=True)),
    ("donor", DEMO_PASSWORD, False, Result(ok=False, reason="demo_refused", is_demo=True)),
])
def test_demo_accounts_open_synthetic_data_only(name, password, synthetic, expected):
    assert authenticate(name, password, data_is_synthetic=synthetic, now=T0) == expected


@pytest.mark.parametrize("password, synthetic, expected", [
    ("own-manager-password", False, Result(ok=True, role="donor")),
    ("own-manager-password", True, Result(ok=True, role="donor")),
    (DEMO_PASSWORD, True, Result(ok=False, reason="unknown_or_wrong")),
    (DEMO_PASSWORD, False, Result(ok=False, reason="unknown_or_wrong")),
])
def test_a_stored_account_named_like_a_demo_account_takes_precedence(password, synthetic, expected):
    add_user("manager", "donor", "own-manager-password")
    assert authenticate("manager", password, data_is_synthetic=synthetic, now=T0) == expected


def test_refusal_messages_do_not_tell_unknown_names_from_wrong_passwords(alice):
    wrong = authenticate("alice", "not-her-password", data_is_synthetic=False, now=T0)
    unknown = authenticate("nobody", "not-her-password", data_is_synthetic=False, now=T0)
    assert wrong == unknown
    assert wrong.message == unknown.message != ""


def fail(name, times, start, *, browser="stranger", step=timedelta(minutes=20), slept=None):
    """`times` wrong passwords from one browser, each after that browser's wait is over."""
    sleep = (slept.append if slept is not None else _no_slowdown_expected)
    return [authenticate(name, "wrong-password", data_is_synthetic=True, now=start + i * step,
                         browser=browser, sleep=sleep)
            for i in range(times)]


def _no_slowdown_expected(seconds):
    raise AssertionError(f"slowed by {seconds} s where no slowdown was expected")


@pytest.mark.parametrize("failures, wait", [
    (0, 0), (1, 0), (2, 0), (3, 1), (4, 2), (5, 4), (6, 8), (12, 512), (13, 900), (14, 900), (10_000, 900),
])
def test_a_browser_waits_longer_with_each_failure_up_to_a_quarter_of_an_hour(failures, wait):
    assert browser_wait(failures) == timedelta(seconds=wait)


@pytest.mark.parametrize("failures, known, delay", [
    (0, False, 0), (4, False, 0), (5, False, 1), (6, False, 2), (7, False, 4), (8, False, 8), (50, False, 8),
    (10_000, False, 8), (5, True, 0), (10_000, True, 0),
])
def test_an_account_under_attack_slows_unknown_browsers_a_little_and_known_ones_not_at_all(failures, known, delay):
    assert account_slowdown(failures, known) == timedelta(seconds=delay)


@pytest.mark.parametrize("name", ["alice", "nobody", "manager"])
def test_a_browser_past_its_free_tries_is_told_to_wait_and_its_password_is_not_checked(alice, name):
    right_password = {"alice": "alice-password", "manager": DEMO_PASSWORD}.get(name, "any-password")
    results = [authenticate(name, "wrong-password", data_is_synthetic=True, now=T0 + i * timedelta(seconds=1),
                            browser="b1") for i in range(3)]
    assert [r.reason for r in results] == ["unknown_or_wrong"] * 3
    third_at = T0 + 2 * timedelta(seconds=1)
    # the third failure costs that browser 1 s; even the right password waits it out
    early = authenticate(name, right_password, data_is_synthetic=True, now=third_at + timedelta(milliseconds=500),
                         browser="b1")
    assert (early.ok, early.reason, early.retry_after) == (False, "wait", timedelta(milliseconds=500))
    after = authenticate(name, right_password, data_is_synthetic=True, now=third_at + timedelta(seconds=1),
                         browser="b1")
    assert after.ok is (name != "nobody")


def test_the_wait_doubles_with_each_further_failure(alice):
    moments = [T0, T0 + timedelta(seconds=1), T0 + timedelta(seconds=2)]  # 3 free tries, then 1 s
    for extra, wait in enumerate([1, 2, 4, 8]):
        moments.append(moments[-1] + timedelta(seconds=wait))
    slept = []
    results = [authenticate("alice", "wrong", data_is_synthetic=False, now=m, browser="b1", sleep=slept.append)
               for m in moments]
    assert [r.reason for r in results] == ["unknown_or_wrong"] * 7
    # (an account's checks slowed from its sixth failure from browsers that never signed in)
    assert slept == [1.0, 2.0]
    refused = authenticate("alice", "alice-password", data_is_synthetic=False,
                           now=moments[-1] + timedelta(seconds=15), browser="b1")
    assert (refused.reason, refused.retry_after) == ("wait", timedelta(seconds=1))


def test_a_strangers_failures_never_keep_a_colleague_out(alice):
    # Ten wrong passwords from a stranger's browser: that browser waits; alice's own
    # browser, which has signed in before, signs in at once and is not slowed.
    assert authenticate("alice", "alice-password", data_is_synthetic=False, now=T0, browser="alices-laptop").ok
    stranger = fail("alice", 10, T0, slept=[])
    assert all(r.reason == "unknown_or_wrong" for r in stranger)
    a_minute_after = T0 + 9 * timedelta(minutes=20) + timedelta(minutes=1)
    blocked = authenticate("alice", "guess", data_is_synthetic=False, now=a_minute_after,
                           browser="stranger", sleep=_no_slowdown_expected)
    assert (blocked.reason, blocked.retry_after) == ("wait", timedelta(seconds=2 ** 7 - 60))
    colleague = authenticate("alice", "alice-password", data_is_synthetic=False, now=a_minute_after,
                             browser="alices-laptop", sleep=_no_slowdown_expected)
    assert colleague.ok


def test_an_account_with_many_recent_failures_slows_every_unknown_browser_then_lets_it_in(alice):
    # six browsers fail once each within a few minutes: a guesser who drops its cookie
    for i in range(6):
        fail("alice", 1, T0 + i * timedelta(seconds=30), browser=f"fresh-{i}",
             slept=[] if i >= 5 else None)
    slept = []
    now = T0 + timedelta(minutes=3)
    new_laptop = authenticate("alice", "alice-password", data_is_synthetic=False, now=now,
                              browser="new-laptop", sleep=slept.append)
    assert new_laptop.ok and slept == [2.0]  # 6 recent failures from unknown browsers: 2 s
    # a quarter of an hour later the failures no longer slow anyone
    later = authenticate("alice", "alice-password", data_is_synthetic=False, now=now + timedelta(minutes=15),
                         browser="another-laptop", sleep=_no_slowdown_expected)
    assert later.ok


def test_a_success_clears_that_browsers_failures_only(alice):
    fail("alice", 3, T0, browser="b1", step=timedelta(seconds=1))
    fail("alice", 3, T0, browser="b2", step=timedelta(seconds=1), slept=[])
    slept = []
    assert authenticate("alice", "alice-password", data_is_synthetic=False, now=T0 + timedelta(minutes=1),
                        browser="b1", sleep=slept.append).ok
    assert slept == [2.0]   # six failures from browsers that never signed in slow the check
    # b1 is a known browser now: its own tries are free again, and never slowed
    assert [r.reason for r in fail("alice", 3, T0 + timedelta(minutes=2), browser="b1",
                                   step=timedelta(seconds=1))] == ["unknown_or_wrong"] * 3
    again = authenticate("alice", "alice-password", data_is_synthetic=False, now=T0 + timedelta(seconds=2, milliseconds=500),
                         browser="b2")
    assert again.reason == "wait"


def test_failures_are_forgotten_after_a_quiet_day(alice):
    fail("alice", 6, T0, browser="b1", step=timedelta(minutes=1), slept=[])
    assert authenticate("alice", "alice-password", data_is_synthetic=False, now=T0 + timedelta(days=1, minutes=6),
                        browser="b1").ok


def test_failures_are_shared_between_processes(alice, users_file):
    child = ("from datetime import datetime, timedelta; from terrain.auth import authenticate\n"
             "now = datetime.fromisoformat(%r)\n"
             "for i in range(4): print(authenticate('alice', 'wrong', data_is_synthetic=False, "
             "now=now + timedelta(seconds=i / 2), browser='b1').reason)\n"
             % T0.isoformat())
    run = subprocess.run([sys.executable, "-c", child], cwd=ROOT, env=os.environ.copy(),
                         capture_output=True, text=True, check=True)
    assert run.stdout.split() == ["unknown_or_wrong"] * 3 + ["wait"]

    state_file = users_file.with_name("auth-state.sqlite")
    assert stat.S_IMODE(os.stat(state_file).st_mode) == 0o600
    assert authenticate("alice", "alice-password", data_is_synthetic=False,
                        now=T0 + timedelta(seconds=1.8), browser="b1").reason == "wait"


def test_auth_state_location_can_be_set_by_environment(alice, tmp_path, monkeypatch):
    elsewhere = tmp_path / "state" / "sign-in.sqlite"
    monkeypatch.setenv("TERRAIN_AUTH_STATE", str(elsewhere))
    fail("alice", 2, T0)
    assert auth.state_store().failures("alice", "stranger", browser_since=T0,
                                       account_since=T0).from_this_browser == 2
    assert not (tmp_path / "auth-state.sqlite").exists()


def test_an_outdated_hash_is_upgraded_at_sign_in(users_file):
    add_user("alice", "advocacy", "alice-password")
    content = json.loads(users_file.read_text())
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("alice-password")
    content["users"]["alice"]["password_hash"] = weak
    users_file.write_text(json.dumps(content))

    assert authenticate("alice", "alice-password", data_is_synthetic=False, now=T0).ok
    upgraded = json.loads(users_file.read_text())["users"]["alice"]["password_hash"]
    assert upgraded.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert PasswordHasher().verify(upgraded, "alice-password")


def test_now_must_carry_a_timezone(alice):
    with pytest.raises(ValueError, match="timezone-aware"):
        authenticate("alice", "alice-password", data_is_synthetic=False, now=datetime(2025, 1, 14))


# --- OpenID Connect roles ----------------------------------------------------------------

MAPPING = {
    "emails": {"Chef.Mission@example.org": "programme_manager", "donor.rep@partner.org": "donor"},
    "domains": {"example.org": "donor", "ngo.fr": "advocacy"},
    "groups": {"terrain-managers": "programme_manager", "terrain-advocacy": "advocacy",
               "terrain-donors": "donor"},
}


@pytest.mark.parametrize("email, groups, expected", [
    ("chef.mission@example.org", [], "programme_manager"),    # exact e-mail, key written in capitals
    ("CHEF.MISSION@EXAMPLE.ORG", [], "programme_manager"),
    ("donor.rep@partner.org", ["terrain-managers"], "donor"),  # exact e-mail beats any group
    ("someone@example.org", [], "donor"),                     # domain
    ("someone@EXAMPLE.org", [], "donor"),
    ("someone@example.org", ["terrain-advocacy"], "advocacy"),  # group beats domain
    ("x@other.org", ["terrain-advocacy", "terrain-managers"], "programme_manager"),  # most privileged group
    ("x@other.org", ["unrelated", "terrain-donors"], "donor"),
    (None, ["terrain-advocacy"], "advocacy"),
    ("x@other.org", ["Terrain-Managers"], None),              # group names are compared as given
    ("x@sub.example.org", [], None),                          # no subdomain matching
    ("x@example.org.attacker.net", [], None),
    ("example.org", [], None),                                # not an address
    ("x@other.org", [], None),
    (None, [], None),
    ("", (), None),
])
def test_role_for_identity(email, groups, expected):
    assert role_for_identity(email, groups, MAPPING) == expected


def test_role_mapping_read_from_secrets_toml():
    secrets = tomllib.loads("""
        [terrain.roles]
        emails = { "chef.mission@example.org" = "programme_manager" }
        domains = { "example.org" = "donor" }
        groups = { "terrain-managers" = "programme_manager", "terrain-advocacy" = "advocacy" }
    """)
    mapping = secrets["terrain"]["roles"]
    assert role_for_identity("Chef.Mission@example.org", ["terrain-advocacy"], mapping) == "programme_manager"
    assert role_for_identity("anne@example.org", ["terrain-advocacy"], mapping) == "advocacy"
    assert role_for_identity("anne@example.org", [], mapping) == "donor"


@pytest.mark.parametrize("mapping", [None, {}])
def test_no_mapping_gives_no_role(mapping):
    assert role_for_identity("chef.mission@example.org", ["terrain-managers"], mapping) is None


@pytest.mark.parametrize("mapping, named", [
    ({"groups": {"terrain-admins": "admin"}}, r"terrain.roles.groups\['terrain-admins'\] = 'admin'"),
    ({"emails": {"a@example.org": "Donor"}}, r"terrain.roles.emails\['a@example.org'\] = 'Donor'"),
    ({"domains": {"example.org": ""}}, r"terrain.roles.domains\['example.org'\] = ''"),
    ({"emails": {"example.org": "donor"}}, r"terrain.roles.emails\['example.org'\] is not an e-mail"),
    ({"domains": {"@example.org": "donor"}}, r"terrain.roles.domains\['@example.org'\]"),
    ({"email": {"a@example.org": "donor"}}, r"unknown keys \['email'\]"),
    ({"groups": ["terrain-managers"]}, r"terrain.roles.groups must be a table"),
])
def test_invalid_mapping_entries_are_named(mapping, named):
    with pytest.raises(ValueError, match=named):
        role_for_identity("someone@example.org", [], mapping)


# --- command line ------------------------------------------------------------------------

@pytest.mark.parametrize("argv, piped, status", [
    (["add", "bob", "--role", "programme_manager"], "bob-password-1\n", 0),
    (["add", "alice", "--role", "donor"], "another-password\n", 1),   # duplicate
    (["add", "carol", "--role", "donor"], "short\n", 1),
    (["add", "carol", "--role", "donor"], "", 1),                     # nothing piped
    (["add", "carol", "--role", "admin"], "carol-password\n", 2),
    (["add", "Carol!", "--role", "donor"], "carol-password\n", 2),
    (["add", "carol"], "carol-password\n", 2),
    (["passwd", "alice"], "new-password-1\n", 0),
    (["passwd", "nobody"], "new-password-1\n", 1),
    (["remove", "alice"], "", 0),
    (["remove", "nobody"], "", 1),
    (["list"], "", 0),
    ([], "", 2),
    (["frobnicate"], "", 2),
])
def test_users_command_exit_status(alice, argv, piped, status):
    assert users_command(argv, stdin=io.StringIO(piped), stdout=io.StringIO()) == status


def test_users_command_add_then_sign_in_with_the_piped_password(users_file):
    out = io.StringIO()
    assert users_command(["add", "bob", "--role", "donor"], stdin=io.StringIO("bob password 1\r\n"), stdout=out) == 0
    assert out.getvalue() == f"Added bob (donor) to {users_file}.\n"
    assert authenticate("bob", "bob password 1", data_is_synthetic=False, now=T0) == Result(ok=True, role="donor")


def test_users_command_list_and_remove(alice, users_file):
    out = io.StringIO()
    assert users_command(["list"], stdout=out) == 0
    created = list_users()[0]["created"]
    assert out.getvalue() == f"{'alice':<32} {'advocacy':<18} {created}\n"

    assert users_command(["remove", "alice"], stdout=io.StringIO()) == 0
    out = io.StringIO()
    users_command(["list"], stdout=out)
    assert out.getvalue() == f"No accounts in {users_file}.\n"


class Terminal(io.StringIO):
    def isatty(self):
        return True


@pytest.mark.parametrize("typed, status, accounts", [
    (["typed-password", "typed-password"], 0, ["bob"]),
    (["typed-password", "typed-passwore"], 1, []),
])
def test_users_command_asks_twice_on_a_terminal(monkeypatch, typed, status, accounts):
    answers = iter(typed)
    monkeypatch.setattr(users_cli.getpass, "getpass", lambda prompt: next(answers))
    assert users_command(["add", "bob", "--role", "donor"], stdin=Terminal(), stdout=io.StringIO()) == status
    assert [u["name"] for u in list_users()] == accounts


def test_at_most_two_password_checks_run_at_once(monkeypatch):
    # Each argon2 check takes 64 MiB for a moment: eight people signing in at once must not
    # stack eight of them in the app process.
    running, most, lock = 0, 0, threading.Lock()

    class Counting(PasswordHasher):
        def verify(self, hash, password):
            nonlocal running, most
            with lock:
                running += 1
                most = max(most, running)
            try:
                return super().verify(hash, password)
            finally:
                with lock:
                    running -= 1

    monkeypatch.setattr(auth, "_hasher", Counting())
    stored = PasswordHasher().hash("a long enough password")
    results = []
    threads = [threading.Thread(target=lambda: results.append(auth._password_matches(stored, "a long enough password")))
               for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [True] * 8 and most == 2
