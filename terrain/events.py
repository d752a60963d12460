"""Context events: what a reader needs to read a curve (a shelter opening, a camp eviction,
the 2023 immigration law, a winter plan), kept by programme managers beside the rows.

    python -m terrain events list [--db PATH] [--audience public|internal] [--lang fr|en|both]
    python -m terrain events add --starts DATE [--ends DATE] [--city CITY] --kind KIND
                                 --fr TEXT --en TEXT [--audience public|internal] [--id ID]
                                 [--db PATH] [--user NAME] [--lang fr|en|both]
    python -m terrain events remove ID [--db PATH] [--user NAME] [--lang fr|en|both]

An event is a day (no end) or a period, in one city or everywhere, of a kind from a short
list, with a short label in French and English, and an audience: "public" events go with the
figures wherever they go; "internal" ones stay with the programme's staff (the query door
drops them for donors and anything public: queries/events_in_period.sql). No figure is built
from the events, so a change copies the file and keeps its summaries and published sets
(`store.new_database(derived=False)`); every change is audited ("events_changed").

The page (pages/events.py) and the command line (terrain/cli/events.py) share `add` and
`remove`. A label names a place or a decision, never a person: one that looks like an e-mail
address or a phone number is refused, as an import refuses such a cell.
"""

from __future__ import annotations

import datetime as dt
import re
import time
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from terrain import i18n, queries, store
from terrain.importing import anonymity, audit

KINDS = ("opening", "closure", "eviction", "law", "winter_plan", "other")
AUDIENCES = ("public", "internal")
LABEL_LENGTH = (3, 48)          # characters, as terrain/schema.sql checks them
CITY_LENGTH = (2, 80)
ID_PATTERN = re.compile(r"[a-z0-9][a-z0-9_-]{1,63}")
OUTCOME = "events_changed"

INSERT = """
INSERT INTO context_events (event_id, starts, ends, city, kind, label_fr, label_en, audience, recorded_by, recorded_at)
VALUES ($event_id, $starts, $ends, $city, $kind, $label_fr, $label_en, $audience, $recorded_by, $recorded_at)"""
DELETE = "DELETE FROM context_events WHERE event_id = $event_id"


@dataclass(frozen=True)
class Event:
    """One context event as a manager gives it (`ends` None: a single day; `city` None:
    everywhere)."""
    starts: dt.date
    kind: str
    label_fr: str
    label_en: str
    audience: str = "public"
    ends: dt.date | None = None
    city: str | None = None
    event_id: str | None = None


class Refused(Exception):
    """An event that cannot be recorded (or removed), for one reason said in one line: the
    key of its message (events.problem.<key>) and the message's values."""

    def __init__(self, key: str, **values):
        super().__init__(key)
        self.key, self.values = key, values

    def message(self, lang: str) -> str:
        return i18n.t(f"events.problem.{self.key}", lang, **self.values)


# --- checks ---------------------------------------------------------------------------------

def _clean(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


def problems(event: Event, cities: list[str]) -> list[Refused]:
    """Everything wrong with an event, each as its own refusal (empty when it can be recorded).
    `cities` are the cities the database knows (an event's city must be one of them)."""
    found: list[Refused] = []
    if event.kind not in KINDS:
        found.append(Refused("kind", kind=event.kind, kinds=", ".join(KINDS)))
    if event.audience not in AUDIENCES:
        found.append(Refused("audience", audience=event.audience))
    if event.ends is not None and event.ends <= event.starts:
        found.append(Refused("ends_before_starts", starts=event.starts.isoformat(), ends=event.ends.isoformat()))
    if event.city is not None and event.city not in cities:
        found.append(Refused("city", city=event.city, cities=", ".join(cities) or "—"))
    for column, text in (("label_fr", event.label_fr), ("label_en", event.label_en)):
        low, high = LABEL_LENGTH
        if not low <= len(_clean(text)) <= high:
            found.append(Refused(f"{column}_length", low=low, high=high, length=len(_clean(text))))
        elif anonymity.personal_text(text):
            found.append(Refused(f"{column}_personal"))
    if event.event_id is not None and not ID_PATTERN.fullmatch(event.event_id):
        found.append(Refused("event_id", event_id=event.event_id))
    return found


def _slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")


def new_id(event: Event, taken: set[str]) -> str:
    """The event's id: its date, kind and city ("2024-01-22-opening-calais"), numbered when
    another event already has it."""
    base = "-".join([event.starts.isoformat(), event.kind.replace("_", "-"), _slug(event.city or "all")])[:60]
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    return candidate


# --- reading --------------------------------------------------------------------------------

def recorded(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every event, internal ones too, as recorded (the managers' page and `events list`)."""
    return queries.read_rows(con, "events_recorded", {})


def _cities(con: duckdb.DuckDBPyConnection) -> list[str]:
    return queries.read_rows(con, "cities", {})["city"].tolist()


# --- writing --------------------------------------------------------------------------------

def insert(con: duckdb.DuckDBPyConnection, events: list[Event], *, user: str, at: dt.datetime) -> None:
    """Write events into the open database `con` (the demo's seeding, and `add`)."""
    for event in events:
        con.execute(INSERT, {"event_id": event.event_id, "starts": event.starts, "ends": event.ends,
                             "city": event.city, "kind": event.kind, "label_fr": _clean(event.label_fr),
                             "label_en": _clean(event.label_en), "audience": event.audience,
                             "recorded_by": user, "recorded_at": at})


def _change(db: Path, user: str, via: str, what: str, event_id: str) -> store.Change:
    """The audit of one change to the events: under way, then "events_changed" or "failed",
    naming the event and what was done to it (added, removed)."""
    started = time.monotonic()
    details = [{"kind": f"event_{what}", "event_id": event_id}]

    def begin(attempt_id: str, note: dict) -> None:
        audit.record(audit.Attempt(user_name=user, via=via, database_path=str(db), outcome="applying",
                                   table_name="context_events", file_name=event_id,
                                   row_count=1 if what == "added" else 0,
                                   replaced_count=1 if what == "removed" else 0,
                                   problems=details, attempt_id=attempt_id))

    def finish(attempt_id: str, note: dict, done: bool) -> None:
        if note.get("recovered") or note.get("outcome") != OUTCOME:
            # a dead writer's change, settled as every writer's
            from terrain.importing import loading
            loading._settle_audit(attempt_id, note, done)
            return
        audit.settle(attempt_id, OUTCOME if done else "failed", duration_ms=round(1000 * (time.monotonic() - started)),
                     problems=details if done else [*details, {"kind": "interrupted"}])

    return store.Change("events", {"outcome": OUTCOME}, begin=begin, finish=finish,
                        abandon=lambda: audit.abandon(str(db)))


def _snapshot(db: Path) -> duckdb.DuckDBPyConnection:
    if not db.exists():
        raise FileNotFoundError(f"No Terrain database at {db}.")
    return store.open_readonly(db)


def recorded_in(db: Path) -> pd.DataFrame:
    """`recorded`, read from the database file `db` (`events list`)."""
    con = _snapshot(db)
    try:
        return recorded(con)
    finally:
        con.close()


def add(event: Event, *, db: Path | None = None, user: str, via: str,
        now: dt.datetime | None = None) -> str:
    """Record one event (checked first: Refused, and nothing changes, if anything is wrong);
    returns its id. The demo takes events too: they are as synthetic as its figures."""
    db = Path(db or store.db_path())
    event = Event(**{**event.__dict__, "label_fr": _clean(event.label_fr), "label_en": _clean(event.label_en),
                     "city": _clean(event.city) or None, "event_id": event.event_id or None})
    with store.writer_lock(db):
        con = _snapshot(db)
        try:
            found = problems(event, _cities(con))
            taken = set(recorded(con)["event_id"])
        finally:
            con.close()
        if found:
            raise found[0]
        if event.event_id in taken:
            raise Refused("duplicate_id", event_id=event.event_id)
        event_id = event.event_id or new_id(event, taken)
        stamped = Event(**{**event.__dict__, "event_id": event_id})
        with store.new_database(db, keep_backup=True, copy_from=db, derived=False,
                                change=_change(db, user, via, "added", event_id)) as con:
            insert(con, [stamped], user=user, at=(now or dt.datetime.now()).replace(microsecond=0))
    return event_id


def remove(event_id: str, *, db: Path | None = None, user: str, via: str) -> None:
    """Remove one event by its id; Refused if there is none (nothing changes)."""
    db = Path(db or store.db_path())
    with store.writer_lock(db):
        con = _snapshot(db)
        try:
            taken = set(recorded(con)["event_id"])
        finally:
            con.close()
        if event_id not in taken:
            raise Refused("unknown_id", event_id=event_id)
        with store.new_database(db, keep_backup=True, copy_from=db, derived=False,
                                change=_change(db, user, via, "removed", event_id)) as con:
            con.execute(DELETE, {"event_id": event_id})


# --- how an event reads ---------------------------------------------------------------------

def label_of(row, lang: str) -> str:
    """An event's label in `lang`."""
    return str(row["label_fr" if lang == "fr" else "label_en"])


def when(row, lang: str) -> str:
    """An event's day or period in words ("22 janv. 2024", "22 janv. – 31 mars 2024")."""
    starts = pd.Timestamp(row["starts"]).date()
    ends = row["ends"]
    if ends is None or pd.isna(ends):
        return i18n.format_date(starts, lang)
    return i18n.format_period(starts, pd.Timestamp(ends).date(), lang)


def line(row, lang: str) -> str:
    """One event as a line of text: its date or period, its place, its label, and whether it
    is internal ("22 janv. 2024 — Calais — Ouverture de l'abri d'urgence")."""
    place = row["city"] if isinstance(row["city"], str) and row["city"] else i18n.t("events.everywhere", lang)
    text = f"{when(row, lang)} — {place} — {label_of(row, lang)}"
    if row["audience"] == "internal":
        text += f" ({i18n.t('events.internal_mark', lang)})"
    return text


def table(rows: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The recorded events as the managers' page lists them, headers and words in `lang`."""
    shown = pd.DataFrame({
        "when": [when(row, lang) for _, row in rows.iterrows()],
        "city": [c if isinstance(c, str) and c else i18n.t("events.everywhere", lang) for c in rows["city"]],
        "kind": [i18n.t(f"events.kind.{k}", lang) for k in rows["kind"]],
        "label": [label_of(row, lang) for _, row in rows.iterrows()],
        "audience": [i18n.t(f"events.{a}_mark", lang) for a in rows["audience"]],
        "recorded_by": rows["recorded_by"].tolist(),
        "event_id": rows["event_id"].tolist(),
    })
    return shown.rename(columns={c: i18n.t(f"events.column.{c}", lang) for c in shown.columns})
