"""`python -m terrain notify` against a real SMTP server on localhost (aiosmtpd): each new
episode once across runs, in each recipient's language, digests, a server down then up,
STARTTLS with authentication, and what a donor's e-mail may carry."""

from __future__ import annotations

import email
import email.policy
import re
import socket
import sqlite3
import ssl
import subprocess
import sys
import tomllib
import urllib.parse

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from hypothesis import given
from hypothesis import strategies as st

from terrain import ROOT, alerts, audit, i18n, notify, store
from terrain.disclosure import publication

SENDER = "Terrain <terrain@example.org>"


class Inbox:
    """What the SMTP server received: (envelope recipients, parsed message)."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[email.message.EmailMessage]:
        return [m for rcpts, m in self.received if address in rcpts]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield inbox, controller.port
    finally:
        controller.stop()


@pytest.fixture(scope="module")
def demo_db(browser_demo):
    return browser_demo   # read only: the outbox lives in the audit folder


@pytest.fixture(autouse=True)
def audit_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    return tmp_path / "audit"


def settings(text: str) -> notify.Settings:
    return notify.parse_config(tomllib.loads(f'[settings]\nsender = "{SENDER}"\n{text}'))


STAFF_AND_DONOR = """
[[recipient]]
address = "coordination@example.org"
role = "programme_manager"
lang = "fr"

[[recipient]]
address = "advocacy@example.org"
role = "advocacy"
lang = "en"
rules = ["shelter_saturation"]

[[recipient]]
address = "donor@example.org"
role = "donor"
lang = "fr"
episodes = false
"""


def _expected_episodes(db, recipient: notify.Recipient, within_days: int = 14) -> list[alerts.Episode]:
    con = store.open_readonly(db)
    try:
        first, last = alerts.data_bounds(con)
        episodes = alerts.evaluate(con, alerts.load_config(), first, last)
    finally:
        con.close()
    return [e for e in episodes if recipient.follows(e) and notify.recent(e, last, within_days)]


def test_each_new_episode_goes_once_across_two_runs_in_its_recipients_language(demo_db, smtp_server):
    inbox, port = smtp_server
    chosen = settings(STAFF_AND_DONOR)
    server = notify.parse_smtp_url(f"smtp://127.0.0.1:{port}")
    first = notify.run(demo_db, chosen, alerts.load_config(), server)
    manager, advocacy, _ = chosen.recipients
    expected = {r.address: _expected_episodes(demo_db, r) for r in (manager, advocacy)}
    assert expected[manager.address], "the demo has episodes under way to tell"
    assert not first.failed and first.waiting == 0
    assert len(first.sent) == len(first.queued) == len(expected[manager.address]) + len(expected[advocacy.address]) + 3

    for recipient, words, other in ((manager, "fr", "en"), (advocacy, "en", "fr")):
        received = inbox.to(recipient.address)
        alerts_received = [m for m in received if "digest" not in m["Subject"].lower() and "Synthèse" not in m["Subject"]]
        assert len(alerts_received) == len(expected[recipient.address])
        for message in received:
            assert message["Content-Language"] == words and message["From"] == SENDER
            body = message.get_content()
            assert i18n.t("notify.why_you", words) in body and i18n.t("notify.why_you", other) not in body
        for episode in expected[recipient.address]:
            rule = i18n.t(f"alerts.rule.{episode.rule}", words)
            assert sum(rule in m["Subject"] and episode.place in m["Subject"] for m in alerts_received) >= 1
        digest = [m for m in received if i18n.t("notify.digest.staff_subject", words, period="").strip(", ") in m["Subject"]]
        assert len(digest) == 1
    assert all(e.rule == "shelter_saturation" for e in expected[advocacy.address])

    # The second run, on the same data: nothing new, nothing sent again.
    before = len(inbox.received)
    second = notify.run(demo_db, chosen, alerts.load_config(), server)
    assert second.queued == [] and second.sent == [] and len(inbox.received) == before

    # A recipient added later hears of what is under way, once; the others of nothing again.
    more = settings(STAFF_AND_DONOR + '\n[[recipient]]\naddress = "new@example.org"\nrole = "advocacy"\n'
                                      'lang = "fr"\ndigest = false\n')
    third = notify.run(demo_db, more, alerts.load_config(), server)
    assert {m.recipient for m in third.queued} == {"new@example.org"}
    assert len(inbox.to("new@example.org")) == len(_expected_episodes(demo_db, more.recipients[-1]))


def test_a_donor_gets_the_published_month_and_no_episode(demo_db, smtp_server):
    inbox, port = smtp_server
    chosen = settings(STAFF_AND_DONOR)
    notify.run(demo_db, chosen, alerts.load_config(), notify.parse_smtp_url(f"smtp://127.0.0.1:{port}"))
    received = inbox.to("donor@example.org")
    assert len(received) == 1
    body = received[0].get_content()
    con = store.open_readonly(demo_db)
    try:
        # the donor's published set ends with the last approved month (terrain/approvals.py)
        month = con.execute("SELECT last_month FROM published_sets WHERE audience = 'donor'").fetchall()[0][0]
    finally:
        con.close()
    assert i18n.format_month(month, "fr") in received[0]["Subject"]
    k = publication.threshold("donor")
    # Every count the donor reads is 0, hidden or at least k, as in the donor published set.
    figures = re.findall(r"(?:consultations|nuitées d'hébergement|refus faute de place) (≥ )?([\d\u202f\u00a0]+|masqué)", body)
    assert figures
    for at_least, value in figures:
        if value != "masqué":
            number = int(re.sub(r"\D", "", value))
            assert number == 0 or number >= k, body
    assert "Lieu" not in body  # no episode, no site


def test_a_server_down_keeps_the_messages_and_the_next_run_sends_them_once(demo_db, tmp_path):
    port = _free_port()  # nothing listens there yet
    chosen = settings('[[recipient]]\naddress = "coordination@example.org"\nrole = "programme_manager"\n')
    server = notify.parse_smtp_url(f"smtp://127.0.0.1:{port}")
    down = notify.run(demo_db, chosen, alerts.load_config(), server)
    assert down.sent == [] and len(down.failed) == len(down.queued) > 0 and down.waiting == len(down.queued)
    assert all("cannot reach the SMTP server" in why for _, why in down.failed)
    with sqlite3.connect(notify.outbox_path()) as box:
        attempts = box.execute("SELECT min(attempts), max(attempts), count(*) FROM outbox WHERE sent_at IS NULL").fetchone()
    assert attempts == (1, 1, len(down.queued))

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        up = notify.run(demo_db, chosen, alerts.load_config(), server)
        again = notify.run(demo_db, chosen, alerts.load_config(), server)
    finally:
        controller.stop()
    assert up.queued == [] and len(up.sent) == len(down.queued) and up.waiting == 0
    assert again.sent == [] and len(inbox.received) == len(down.queued)
    with sqlite3.connect(notify.outbox_path()) as box:
        assert box.execute("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL AND attempts = 2").fetchone()[0] \
            == len(down.queued)


@pytest.fixture
def certificate(tmp_path, monkeypatch):
    made = subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                           "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
                           "-keyout", str(tmp_path / "key.pem"), "-out", str(tmp_path / "cert.pem")],
                          capture_output=True, check=False)
    assert made.returncode == 0, made.stderr
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "cert.pem"))  # the client trusts this server
    return tmp_path / "cert.pem", tmp_path / "key.pem"


def test_starttls_and_authentication(demo_db, certificate):
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, auth_data):
        logins.append((mechanism, auth_data.login, auth_data.password, session.ssl is not None))
        return AuthResult(success=(auth_data.login, auth_data.password) == (b"terrain", b"p@ss:w/rd"), handled=False)

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=_free_port(), tls_context=context,
                            authenticator=authenticator, auth_required=True, auth_require_tls=True)
    controller.start()
    chosen = settings('[[recipient]]\naddress = "coordination@example.org"\nrole = "programme_manager"\n')
    try:
        wrong = notify.run(demo_db, chosen, alerts.load_config(), notify.parse_smtp_url(
            f"smtp://terrain:nope@127.0.0.1:{controller.port}?starttls=1"))
        right = notify.run(demo_db, chosen, alerts.load_config(), notify.parse_smtp_url(
            f"smtp://terrain:{urllib.parse.quote('p@ss:w/rd', safe='')}@127.0.0.1:{controller.port}?starttls=1"))
    finally:
        controller.stop()
    assert wrong.sent == [] and all("refused the account 'terrain'" in why for _, why in wrong.failed), wrong.failed
    assert len(right.sent) == len(wrong.queued) == len(inbox.received) > 0
    assert logins and all(over_tls for *_, over_tls in logins)


def test_a_brief_is_attached_where_asked_and_recorded(demo_db, smtp_server):
    inbox, port = smtp_server
    chosen = settings('[[recipient]]\naddress = "prefecture.liaison@example.org"\nrole = "advocacy"\n'
                      'rules = ["shelter_saturation"]\ndigest = false\nbrief = "pdf"\n')
    outcome = notify.run(demo_db, chosen, alerts.load_config(), notify.parse_smtp_url(f"smtp://127.0.0.1:{port}"))
    assert outcome.sent
    for message in inbox.to("prefecture.liaison@example.org"):
        attachments = list(message.iter_attachments())
        assert len(attachments) == 1 and attachments[0].get_content_type() == "application/pdf"
        assert attachments[0].get_content().startswith(b"%PDF")
        assert attachments[0].get_filename() in message.get_body().get_content()
    logged = audit.recent_briefs()
    assert len(logged) == len(outcome.sent) and set(logged["via"]) == {"notify"}
    assert set(logged["file_name"]) == {m.attachment_name for m in outcome.queued}


@pytest.mark.parametrize(("text", "says"), [
    ('[[recipient]]\naddress = "x@example.org"\nrole = "donor"\nepisodes = true\n',
     "alert episodes are not published to donors"),
    ('[[recipient]]\naddress = "x@example.org"\nrole = "boss"\n', "role must be one of"),
    ('[[recipient]]\naddress = "not an address"\nrole = "advocacy"\n', "address must be one e-mail address"),
    ('[[recipient]]\naddress = "x@example.org"\nrole = "advocacy"\nrules = ["floods"]\n', "rules must list"),
    ('[[recipient]]\naddress = "x@example.org"\nrole = "advocacy"\nlang = "de"\n', "lang must be one of"),
    ('[[recipient]]\naddress = "x@example.org"\nrole = "advocacy"\nbrief = "odt"\n', "brief is"),
    ('[[recipient]]\naddress = "x@example.org"\nrole = "advocacy"\nemail = "y"\n', "unknown key 'email'"),
    (('[[recipient]]\naddress = "x@example.org"\nrole = "advocacy"\n[[recipient]]\naddress = "x@example.org"\n'
     'role = "donor"\nepisodes = false\n'), "listed twice"),
    ('[sending]\n', "unknown section 'sending'"),
])
def test_a_wrong_configuration_is_refused_by_name(text, says):
    with pytest.raises(notify.ConfigError, match=re.escape(says)):
        settings(text)


def test_the_shipped_configuration_is_valid_and_sends_to_nobody():
    shipped = notify.load_config()
    assert shipped.recipients == () and "@" in shipped.sender


@given(user=st.text(min_size=1, max_size=20), password=st.text(max_size=20),
       port=st.integers(1, 65535), starttls=st.booleans())
def test_smtp_addresses_keep_any_user_and_password(user, password, port, starttls):
    quote = lambda s: urllib.parse.quote(s, safe="")
    url = f"smtp://{quote(user)}:{quote(password)}@mail.example.org:{port}" + ("?starttls=1" if starttls else "")
    server = notify.parse_smtp_url(url)
    assert (server.user, server.password, server.host, server.port, server.starttls, server.tls) == \
        (user, password, "mail.example.org", port, starttls, False)


@pytest.mark.parametrize("url", ["http://mail.example.org", "smtp://", "smtps://h?starttls=1", "smtp://h?ssl=1"])
def test_a_wrong_smtp_address_is_refused(url):
    with pytest.raises(ValueError):
        notify.parse_smtp_url(url)


def test_the_command_line(demo_db, tmp_path, smtp_server):
    inbox, port = smtp_server
    config = tmp_path / "notify.toml"
    config.write_text(f'[settings]\nsender = "{SENDER}"\n[[recipient]]\naddress = "c@example.org"\n'
                      'role = "programme_manager"\nlang = "en"\n')
    base = [sys.executable, "-m", "terrain", "notify", "--db", str(demo_db), "--config", str(config)]
    env = {**__import__("os").environ, "TERRAIN_AUDIT_DIR": str(tmp_path / "audit")}
    env.pop("TERRAIN_SMTP_URL", None)
    dry = subprocess.run([*base, "--dry-run"], cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert dry.returncode == 0 and "would queue for c@example.org" in dry.stdout and not inbox.received
    no_server = subprocess.run(base, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    assert no_server.returncode == 2 and "TERRAIN_SMTP_URL" in no_server.stderr
    sent = subprocess.run(base, cwd=ROOT, env={**env, "TERRAIN_SMTP_URL": f"smtp://127.0.0.1:{port}"},
                          capture_output=True, text=True, check=False)
    assert sent.returncode == 0, sent.stderr
    queued = int(re.match(r"(\d+) message", sent.stdout)[1])
    assert queued == len(inbox.received) > 0 and f"{queued} sent" in sent.stdout
