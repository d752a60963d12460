"""The alerts by e-mail, and a digest (its command: `python -m terrain notify`, terrain/cli/notify.py).

Run it on a schedule (cron or a systemd timer: docs/deploy.md). Each run:

1. evaluates the alert rules on the whole data, as the Alerts page does;
2. queues, for each recipient of `config/notify.toml`, one e-mail per episode of the rules
   and cities they follow that is under way, or ended within `new_within_days` of the data's
   last day, and that this recipient has not been told of (the outbox remembers each by
   recipient, rule, place and first day, so an episode is told once, and a recipient added
   later hears of what is going on, not of years of history), with the episode's brief
   attached where asked, and a **digest**: for programme staff, the episodes of the last whole
   week (Monday to Sunday); for donors, the figures of the last published month, when a new
   month is published;
3. sends everything the outbox holds that has not gone yet, oldest first.

What an e-mail says is what its recipient's role sees: the episodes' figures with the
counts their role hides hidden (as on the Alerts page), and for donors the donor published
set, through the same door as the donor pages; donors get no episode e-mails, since episodes
are not published to them.

The outbox (`notify.sqlite3` in the audit directory, SQLite in WAL mode) records every
message: when it was queued, what it said, each attempt, and when it went. A message is
written there, whole, before any sending; a sending that fails stays queued with its error,
is reported (exit status 1) and goes at the next run. Nothing is lost and nothing goes twice
to the same person for the same episode.

The SMTP account: `TERRAIN_SMTP_URL`, else `[smtp] url` in .streamlit/secrets.toml:
`smtp://user:password@host:port` (`?starttls=1` to upgrade the connection), or
`smtps://…` for TLS from the start; user and password are optional.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import email.message
import email.utils
import os
import smtplib
import sqlite3
import ssl
import tomllib
import urllib.parse
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from terrain import (
    ROOT,
    alerts,
    audit,
    briefs,
    disclosure,
    i18n,
    indicators,
    queries,
    roles,
    store,
)
from terrain.charts import alerts as alert_texts
from terrain.disclosure import publication

CONFIG_PATH = ROOT / "config" / "notify.toml"
OUTBOX_FILE = "notify.sqlite3"
ATTACHABLE = ("pdf", "docx")
SMTP_TIMEOUT_S = 30


class ConfigError(Exception):
    pass


class NotSent(Exception):
    """A message the server did not take; the message says why in one line."""


# --- configuration ---------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Recipient:
    address: str
    role: str
    lang: str = "fr"
    rules: tuple[str, ...] = alerts.RULES
    cities: tuple[str, ...] = ()      # every city
    episodes: bool = True
    digest: bool = True
    brief: str = ""                   # "", "pdf" or "docx": the episode's brief attached

    def follows(self, episode: alerts.Episode) -> bool:
        return episode.rule in self.rules and (not self.cities or episode.city in self.cities)


@dataclasses.dataclass(frozen=True)
class Settings:
    sender: str
    new_within_days: int
    app_url: str
    recipients: tuple[Recipient, ...]


_RECIPIENT_KEYS = {"address", "role", "lang", "rules", "cities", "episodes", "digest", "brief"}
_SETTINGS_KEYS = {"sender", "new_within_days", "app_url"}


def parse_config(table: Mapping[str, Any], source: str = "notify configuration") -> Settings:
    """Settings from the TOML table; ConfigError names the first key that is wrong."""
    unknown = set(table) - {"settings", "recipient"}
    if unknown:
        raise ConfigError(f"{source}: unknown section {min(unknown)!r} (expected [settings] and [[recipient]])")
    settings = dict(table.get("settings", {}))
    if set(settings) - _SETTINGS_KEYS:
        raise ConfigError(f"{source}: unknown key settings.{min(set(settings) - _SETTINGS_KEYS)}")
    sender = settings.get("sender", "")
    if not isinstance(sender, str) or "@" not in email.utils.parseaddr(sender)[1]:
        raise ConfigError(f"{source}: settings.sender must be an e-mail address, e.g. \"Terrain <terrain@example.org>\"")
    days = settings.get("new_within_days", 14)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= 366:
        raise ConfigError(f"{source}: settings.new_within_days must be a whole number from 0 to 366")
    app_url = settings.get("app_url", "")
    if not isinstance(app_url, str) or (app_url and not app_url.startswith(("http://", "https://"))):
        raise ConfigError(f"{source}: settings.app_url must start with http:// or https://")
    recipients = []
    for number, entry in enumerate(table.get("recipient", []), start=1):
        where = f"{source}: recipient {number}"
        if set(entry) - _RECIPIENT_KEYS:
            raise ConfigError(f"{where}: unknown key {min(set(entry) - _RECIPIENT_KEYS)!r}")
        address = entry.get("address", "")
        if not isinstance(address, str) or "@" not in address or email.utils.parseaddr(address)[1] != address:
            raise ConfigError(f"{where}: address must be one e-mail address")
        role = entry.get("role")
        if role not in roles.ROLES:
            raise ConfigError(f"{where} ({address}): role must be one of {', '.join(roles.ROLES)}")
        lang = entry.get("lang", "fr")
        if lang not in i18n.LANGUAGES:
            raise ConfigError(f"{where} ({address}): lang must be one of {', '.join(i18n.LANGUAGES)}")
        rules = entry.get("rules", ["*"])
        if not isinstance(rules, list) or any(r not in (*alerts.RULES, "*") for r in rules):
            raise ConfigError(f"{where} ({address}): rules must list rules among {', '.join(alerts.RULES)}, or \"*\"")
        cities = entry.get("cities", [])
        if not isinstance(cities, list) or not all(isinstance(c, str) for c in cities):
            raise ConfigError(f"{where} ({address}): cities must be a list of city names ([] for all)")
        flags = {key: entry.get(key, role != "donor" if key == "episodes" else True) for key in ("episodes", "digest")}
        if not all(isinstance(v, bool) for v in flags.values()):
            raise ConfigError(f"{where} ({address}): episodes and digest are true or false")
        if role == "donor" and flags["episodes"]:
            raise ConfigError(f"{where} ({address}): a donor gets the digest of published months only; "
                              "alert episodes are not published to donors (set episodes = false)")
        brief = entry.get("brief", "")
        if brief not in ("", *ATTACHABLE) or (brief and role == "donor"):
            raise ConfigError(f"{where} ({address}): brief is \"\", \"pdf\" or \"docx\" (none for donors)")
        recipients.append(Recipient(address, role, lang, alerts.RULES if "*" in rules else tuple(rules),
                                    tuple(cities), flags["episodes"], flags["digest"], brief))
    if len({r.address for r in recipients}) != len(recipients):
        raise ConfigError(f"{source}: an address is listed twice; give each person one entry")
    return Settings(sender, days, app_url.rstrip("/"), tuple(recipients))


def load_config(path: Path | None = None) -> Settings:
    path = path or CONFIG_PATH
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path}: not valid TOML ({error})") from None
    return parse_config(table, str(path))


@dataclasses.dataclass(frozen=True)
class Server:
    host: str
    port: int
    user: str | None
    password: str | None
    starttls: bool
    tls: bool


def parse_smtp_url(url: str) -> Server:
    """`smtp://user:password@host:port?starttls=1` or `smtps://…`; ValueError says what is wrong."""
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("the SMTP address must read smtp://[user:password@]host[:port][?starttls=1] or smtps://…")
    options = urllib.parse.parse_qs(parts.query)
    unknown = set(options) - {"starttls"}
    if unknown:
        raise ValueError(f"unknown SMTP option {min(unknown)!r} (only starttls)")
    starttls = options.get("starttls", ["0"])[-1] in ("1", "true", "yes")
    tls = parts.scheme == "smtps"
    if tls and starttls:
        raise ValueError("smtps:// is TLS from the start: starttls does not apply")
    unquote = urllib.parse.unquote
    return Server(parts.hostname, parts.port or (465 if tls else 25),
                  unquote(parts.username) if parts.username else None,
                  unquote(parts.password) if parts.password is not None else None, starttls, tls)


def smtp_url() -> str | None:
    """TERRAIN_SMTP_URL, else `[smtp] url` of .streamlit/secrets.toml."""
    if os.environ.get("TERRAIN_SMTP_URL"):
        return os.environ["TERRAIN_SMTP_URL"]
    secrets = ROOT / ".streamlit" / "secrets.toml"
    if secrets.exists():
        with contextlib.suppress(tomllib.TOMLDecodeError, OSError):
            return tomllib.loads(secrets.read_text(encoding="utf-8")).get("smtp", {}).get("url")
    return None


# --- the outbox ------------------------------------------------------------------------------

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id              INTEGER PRIMARY KEY,
    key             TEXT NOT NULL UNIQUE,   -- what it is about, for whom: never queued twice
    recipient       TEXT NOT NULL,
    kind            TEXT NOT NULL CHECK (kind IN ('episode', 'digest')),
    lang            TEXT NOT NULL,
    queued_at       TEXT NOT NULL,
    data_as_of      TEXT,
    subject         TEXT NOT NULL,
    body            TEXT NOT NULL,
    attachment_name TEXT,
    attachment_type TEXT,
    attachment      BLOB,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_attempt_at TEXT,
    last_error      TEXT,
    sent_at         TEXT
)
"""


def outbox_path() -> Path:
    return audit.audit_dir() / OUTBOX_FILE


@contextlib.contextmanager
def outbox(path: Path | None = None) -> Iterator[sqlite3.Connection]:
    path = path or outbox_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=FULL")  # a queued message survives a power cut
        con.execute(_SCHEMA)
        yield con
    finally:
        con.close()


@dataclasses.dataclass
class Message:
    key: str
    recipient: str
    kind: str
    lang: str
    subject: str
    body: str
    data_as_of: dt.date | None = None
    attachment_name: str | None = None
    attachment_type: str | None = None
    attachment: bytes | None = None


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def queued_keys(con: sqlite3.Connection) -> set[str]:
    return {row[0] for row in con.execute("SELECT key FROM outbox")}


def queue(con: sqlite3.Connection, message: Message) -> bool:
    """Write the message, whole, into the outbox; False if that key was already queued."""
    cursor = con.execute(
        "INSERT OR IGNORE INTO outbox (key, recipient, kind, lang, queued_at, data_as_of, subject, body, "
        "attachment_name, attachment_type, attachment) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (message.key, message.recipient, message.kind, message.lang, _now(),
         message.data_as_of.isoformat() if message.data_as_of else None, message.subject, message.body,
         message.attachment_name, message.attachment_type, message.attachment))
    return cursor.rowcount == 1


# --- what each e-mail says -------------------------------------------------------------------

def _t(key: str, lang: str, **values: Any) -> str:
    return i18n.t(f"notify.{key}", lang, **values)


def episode_key(recipient: Recipient, episode: alerts.Episode) -> str:
    return f"episode|{recipient.address}|{episode.rule}|{episode.city}|{episode.site_id or ''}|" \
           f"{episode.subject or ''}|{episode.start.isoformat()}"


def recent(episode: alerts.Episode, data_as_of: dt.date, within_days: int) -> bool:
    """Worth telling: under way on the data's last day, or ended within `within_days` of it."""
    return episode.active or episode.end >= data_as_of - dt.timedelta(days=within_days)


@dataclasses.dataclass(frozen=True)
class Context:
    data_as_of: dt.date
    dataset_name: str
    synthetic: bool
    app_url: str
    config: alerts.Config


def _marked(subject: str, context: Context, lang: str) -> str:
    return (_t("synthetic_subject", lang) + " " if context.synthetic else "") + subject


def _footer(context: Context, lang: str, k: int, rule: str | None = None) -> list[str]:
    lines = ["", _t("data_as_of", lang, date=i18n.format_date(context.data_as_of, lang), dataset=context.dataset_name)]
    if context.synthetic:
        lines.append(_t("synthetic_body", lang))
    if k:
        lines.append(_t("hidden_note", lang, k=k))
    if context.app_url:
        page = f"{context.app_url}/alerts" + (f"?rule={rule}" if rule else "")
        lines.append(_t("see_page", lang, url=page))
    lines += ["", _t("why_you", lang)]
    return lines


def _episode_lines(episode: alerts.Episode, lang: str, k: int) -> list[str]:
    status = (_t("under_way", lang) if episode.active
              else _t("ended_on", lang, date=i18n.format_date(episode.end, lang)))
    return [
        _t("label.place", lang, place=alert_texts.episode_label(episode, lang).split(" — ")[1]),
        _t("label.since", lang, date=i18n.format_date(episode.start, lang), status=status),
        _t("label.peak", lang, peak=alert_texts.peak_text(episode, lang, k)),
        _t("label.figures", lang, figures=alert_texts.figures_text(episode, lang, k)),
    ]


def episode_message(recipient: Recipient, episode: alerts.Episode, context: Context,
                    attachment: briefs.Produced | None = None) -> Message:
    lang, k = recipient.lang, disclosure.threshold(recipient.role, "internal")
    rule = i18n.t(f"alerts.rule.{episode.rule}", lang)
    body = [_t("episode.opening", lang, rule=rule), "", *_episode_lines(episode, lang, k), "",
            _t("label.definition", lang, definition=briefs.definition(episode.rule, context.config[episode.rule], lang))]
    if attachment is not None:
        body += ["", _t("brief_attached", lang, name=attachment.file_name)]
    body += _footer(context, lang, k, episode.rule)
    return Message(
        key=episode_key(recipient, episode), recipient=recipient.address, kind="episode", lang=lang,
        subject=_marked(_t("episode.subject", lang, rule=rule, place=episode.place), context, lang),
        body="\n".join(body) + "\n", data_as_of=context.data_as_of,
        attachment_name=attachment.file_name if attachment else None,
        attachment_type=attachment.mime_type if attachment else None,
        attachment=attachment.content if attachment else None)


def last_whole_week(data_as_of: dt.date) -> tuple[dt.date, dt.date]:
    """Monday to Sunday, the last week whose every day the data hold."""
    sunday = data_as_of - dt.timedelta(days=(data_as_of.weekday() + 1) % 7)
    return sunday - dt.timedelta(days=6), sunday


def staff_digest(recipient: Recipient, episodes: Sequence[alerts.Episode], context: Context) -> Message:
    lang, k = recipient.lang, disclosure.threshold(recipient.role, "internal")
    monday, sunday = last_whole_week(context.data_as_of)
    week = [e for e in episodes if recipient.follows(e) and e.overlaps(monday, sunday)]
    started = [e for e in week if e.start >= monday]
    going_on = [e for e in week if e.start < monday]
    period = i18n.format_period(monday, sunday, lang)
    body = [_t("digest.staff_opening", lang, period=period)]
    if not week:
        body += ["", _t("digest.nothing", lang)]
    for title, group in ((_t("digest.started", lang, n=len(started)), started),
                         (_t("digest.going_on", lang, n=len(going_on)), going_on)):
        if not group:
            continue
        body += ["", title]
        for episode in sorted(group, key=lambda e: (e.rule, e.city, e.place, e.start)):
            body += ["", "• " + i18n.t(f"alerts.rule.{episode.rule}", lang)]
            body += ["  " + line for line in _episode_lines(episode, lang, k)]
    body += _footer(context, lang, k)
    return Message(key=f"digest|{recipient.address}|week|{monday.isoformat()}", recipient=recipient.address,
                   kind="digest", lang=lang, data_as_of=context.data_as_of,
                   subject=_marked(_t("digest.staff_subject", lang, period=period), context, lang),
                   body="\n".join(body) + "\n")


def _donor_figure(frame: pd.DataFrame, column: str, lang: str) -> str:
    """A total as the donor pages give it: visible cells added up, "≥ N" when it leaves
    hidden ones out, "masqué" when all are hidden."""
    value = indicators.total(frame, column)
    if value is None:
        return i18n.t("common.hidden_figure", lang)
    text = i18n.format_number(value, lang)
    return i18n.t("common.at_least", lang, value=text) if indicators.leaves_out_hidden(frame, column) else text


def donor_digest(con: duckdb.DuckDBPyConnection, recipient: Recipient, context: Context) -> Message | None:
    """The last published month's figures per city, read through the query door for the
    donor role (the donor published set), as the donor pages read them; None when no month
    is published."""
    # The donors' set stops at the last approved month (terrain/approvals.py), not at the last
    # whole one: a month still waiting is neither announced nor used up as this digest's key.
    span = queries.read_published(con, "published_months", {"audience": "donor"})
    if span.empty or pd.isna(span["last_month"].iloc[0]):
        return None
    month = pd.Timestamp(span["last_month"].iloc[0]).date()
    last_day = (pd.Timestamp(month) + pd.offsets.MonthEnd(0)).date()
    lang, role = recipient.lang, recipient.role
    cities = queries.run(con, "cities", {}, role=role)["city"].tolist()
    chosen = [c for c in cities if not recipient.cities or c in recipient.cities]
    body = [_t("digest.donor_opening", lang, month=i18n.format_month(month, lang)), ""]
    for city in chosen:
        where = {"start": month, "end": last_day, "cities": [city]}
        consultations = queries.run(con, "consultations_by_city_activity", where, role=role)
        nights = queries.run(con, "shelter_nights_by_city", where, role=role)
        sheltered = not nights.empty and nights["bed_nights_available"].fillna(0).sum() > 0
        if indicators.total(consultations, "consultations") == 0 and not sheltered:
            continue  # the programme did not work there that month (Grande-Synthe since 2017)
        line = _t("digest.donor_city", lang, city=city,
                  consultations=_donor_figure(consultations, "consultations", lang))
        if sheltered:
            line += _t("digest.donor_shelter", lang, nights=_donor_figure(nights, "bed_nights_occupied", lang),
                       turned_away=_donor_figure(nights, "turned_away", lang))
        body.append("• " + line)
    body += ["", _t("digest.donor_published", lang, month=i18n.format_month(month, lang),
                    k=publication.threshold("donor"))]
    body += _footer(dataclasses.replace(context, app_url=""), lang, 0)
    return Message(key=f"digest|{recipient.address}|month|{month.isoformat()}", recipient=recipient.address,
                   kind="digest", lang=lang, data_as_of=context.data_as_of,
                   subject=_marked(_t("digest.donor_subject", lang, month=i18n.format_month(month, lang)), context, lang),
                   body="\n".join(body) + "\n")


# --- one run ---------------------------------------------------------------------------------

@dataclasses.dataclass
class Outcome:
    queued: list[Message]
    sent: list[str]
    failed: list[tuple[str, str]]     # (key, why)
    waiting: int                      # still in the outbox after this run


def plan(con: duckdb.DuckDBPyConnection, settings: Settings, config: alerts.Config, already: set[str], *,
         attach: bool = True) -> list[Message]:
    """The messages this run adds to the outbox (those whose key is not there yet)."""
    meta = queries.read_rows(con, "dataset_metadata", {}).iloc[0]
    first_day, data_as_of = alerts.data_bounds(con)
    context = Context(data_as_of, str(meta["dataset_name"]), bool(meta["is_synthetic"]), settings.app_url, config)
    episodes = alerts.evaluate(con, config, first_day, data_as_of)
    messages = []
    for recipient in settings.recipients:
        if recipient.episodes:
            for episode in episodes:
                key = episode_key(recipient, episode)
                if (key in already or not recipient.follows(episode)
                        or not recent(episode, data_as_of, settings.new_within_days)):
                    continue
                attachment = None
                if recipient.brief and attach:
                    request = briefs.Request.about_episode(episode, lang=recipient.lang, audience="internal",
                                                           format=recipient.brief)
                    attachment = briefs.produce(con, request, config, user=f"notify:{recipient.address}",
                                                via="notify")
                messages.append(episode_message(recipient, episode, context, attachment))
        if recipient.digest:
            digest = (donor_digest(con, recipient, context) if recipient.role == "donor"
                      else staff_digest(recipient, episodes, context))
            if digest is not None and digest.key not in already:
                messages.append(digest)
    return messages


def _email(row: sqlite3.Row, sender: str) -> email.message.EmailMessage:
    message = email.message.EmailMessage()
    message["From"] = sender
    message["To"] = row["recipient"]
    message["Subject"] = row["subject"]
    message["Date"] = email.utils.formatdate(localtime=False)
    message["Message-ID"] = email.utils.make_msgid(domain=email.utils.parseaddr(sender)[1].split("@")[-1])
    message.set_content(row["body"])
    message["Content-Language"] = row["lang"]  # after the content, which resets Content-* headers
    if row["attachment"] is not None:
        main, sub = (row["attachment_type"] or "application/octet-stream").split("/", 1)
        message.add_attachment(bytes(row["attachment"]), maintype=main, subtype=sub, filename=row["attachment_name"])
    return message


@contextlib.contextmanager
def connected(server: Server) -> Iterator[smtplib.SMTP]:
    context = ssl.create_default_context()
    try:
        if server.tls:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(server.host, server.port, timeout=SMTP_TIMEOUT_S, context=context)
        else:
            smtp = smtplib.SMTP(server.host, server.port, timeout=SMTP_TIMEOUT_S)
    except (OSError, smtplib.SMTPException) as error:
        raise NotSent(f"cannot reach the SMTP server {server.host}:{server.port} ({error})") from None
    try:
        try:
            smtp.ehlo()
            if server.starttls:
                smtp.starttls(context=context)
                smtp.ehlo()
            if server.user:
                smtp.login(server.user, server.password or "")
        except smtplib.SMTPAuthenticationError:
            raise NotSent(f"the SMTP server {server.host} refused the account {server.user!r}") from None
        except (OSError, smtplib.SMTPException, ssl.SSLError) as error:
            raise NotSent(f"the SMTP server {server.host} refused the connection ({error})") from None
        yield smtp
    finally:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            smtp.quit()


def send_waiting(con: sqlite3.Connection, server: Server, sender: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Send every message of the outbox not sent yet, oldest first. Each attempt is recorded;
    a message the server refuses stays waiting with its error; if the server cannot be
    reached, every waiting message records that attempt."""
    con.row_factory = sqlite3.Row
    waiting = con.execute("SELECT * FROM outbox WHERE sent_at IS NULL ORDER BY id").fetchall()
    sent, failed = [], []
    if not waiting:
        return sent, failed

    def attempted(row: sqlite3.Row, error: str | None) -> None:
        con.execute("UPDATE outbox SET attempts = attempts + 1, last_attempt_at = ?, last_error = ?, "
                    "sent_at = CASE WHEN ? IS NULL THEN ? ELSE NULL END WHERE id = ?",
                    (_now(), error, error, _now(), row["id"]))

    try:
        with connected(server) as smtp:
            for row in waiting:
                try:
                    smtp.send_message(_email(row, sender))
                except smtplib.SMTPRecipientsRefused as error:
                    why = "; ".join(f"{code} {text.decode(errors='replace')}" for code, text in error.recipients.values())
                    attempted(row, f"recipient refused: {why}")
                    failed.append((row["key"], f"recipient refused: {why}"))
                except (OSError, smtplib.SMTPException) as error:
                    attempted(row, f"not sent: {error}")
                    failed.append((row["key"], f"not sent: {error}"))
                else:
                    attempted(row, None)
                    sent.append(row["key"])
    except NotSent as error:
        for row in waiting:
            if row["key"] not in sent and all(row["key"] != key for key, _ in failed):
                attempted(row, str(error))
                failed.append((row["key"], str(error)))
    return sent, failed


def run(db: Path, settings: Settings, config: alerts.Config, server: Server | None, *, dry_run: bool = False,
        outbox_file: Path | None = None) -> Outcome:
    """One run of `notify` (see the module docstring); `server` None sends nothing."""
    con = store.open_readonly(db)
    try:
        with outbox(outbox_file) as box:
            messages = plan(con, settings, config, queued_keys(box), attach=not dry_run)
            if dry_run:
                waiting = box.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
                return Outcome(messages, [], [], waiting + len(messages))
            queued = [m for m in messages if queue(box, m)]
            sent, failed = send_waiting(box, server, settings.sender) if server else ([], [])
            waiting = box.execute("SELECT count(*) FROM outbox WHERE sent_at IS NULL").fetchone()[0]
            return Outcome(queued, sent, failed, waiting)
    finally:
        con.close()
