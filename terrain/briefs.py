"""Briefs to the authorities: an alert rule's evidence over a period, as an editable Word
document or a PDF, in French (by default) or English, safe for its audience.

A brief holds a title and its recipient type; the key figures as sentences ("Du 8 au 21
janvier 2024, par 9 nuits de froid, on compte 37 refus de mise à l'abri faute de place au
centre d'hébergement d'urgence de Calais." People turned away are counted night by night, so
their sum over nights is a number of refusals, never of people); the evidence chart of each place (up
to three) as an image; a table of the period's episodes; how the figures were obtained:
period and filters, data-as-of date, the rule's definition with its thresholds, the audience
and its suppression threshold; and, in an annex after the body, where the figures come from,
in words, then the exact queries and parameters (or published cells) for audit. Every word
is the brief's language's (terrain/locales/briefs.toml), counts take their plural by CLDR's
rules (terrain.i18n.plural_category). When the data are synthetic, "DONNÉES SYNTHÉTIQUES —
DÉMONSTRATION" is in the header and footer of every page.

Disclosure: a brief is an advocacy document, so its threshold is the advocacy role's for its
audience (terrain.roles): counts below 5 hidden in internal drafts, below 11 in anything for
publication, written "moins de 11" / "fewer than 11", never as the number; rates made of a
hidden count are not given. Places are named by their kind and commune ("un hébergement pour
mineurs de Pantin"), never by coordinates or street; site names appear in internal drafts
only. Every brief produced is recorded in the briefs log (terrain/audit.py).

Command line (terrain/cli/brief.py): `python -m terrain brief [--db PATH] --rule NAME --from DATE --to DATE
[--city CITY] --lang fr|en --audience public|internal --format docx|pdf --out PATH
[--recipient prefecture|ars|defenseur_des_droits|press] [--config PATH]`.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import duckdb
import pandas as pd

from terrain import alerts, audit, definitions, disclosure, exports, glossary, i18n, queries, roles, store
from terrain import events as context_events
from terrain.disclosure import ledger, marks, publication, views
from terrain.charts import alerts as alert_charts

RECIPIENTS = ("prefecture", "ars", "defenseur_des_droits", "press")
DEFAULT_RECIPIENT = {
    "shelter_saturation": "prefecture", "cold_exclusion": "prefecture", "winter_gap": "prefecture",
    "minors_surge": "defenseur_des_droits", "outbreak_signal": "ars", "access_to_care": "ars",
}
FORMATS = ("docx", "pdf")
MIME_TYPES = {"docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "pdf": "application/pdf"}
# A brief is an advocacy document: its thresholds are the advocacy role's, whoever drafts it.
BRIEF_ROLE = "advocacy"
MAX_CHARTS = 3

# Which figures each rule's table shows, and how each reads.
TABLE_COLUMNS = {
    "shelter_saturation": (("saturated_nights", "number"), ("nights", "number"), ("turned_away", "count")),
    "cold_exclusion": (("cold_nights", "number"), ("turned_away", "count"), ("turned_away_minors", "count"),
                       ("coldest_c", "celsius")),
    "winter_gap": (("gap_nights", "number"), ("coldest_c", "celsius")),
    "minors_surge": (("consultations", "count"), ("consultations_year_before", "count"), ("ratio", "ratio")),
    "outbreak_signal": (("signal_weeks", "number"), ("cases", "count")),
    "access_to_care": (("share", "percent"), ("share_year_before", "percent"), ("change_points", "points"),
                       ("with_known_coverage", "count"), ("unknown_share", "percent")),
}
# Rules whose sentences tell each episode (a rise is diluted over a longer period); the
# others tell the whole period, place by place.
PER_EPISODE = frozenset({"minors_surge", "access_to_care"})
# The figure that orders places (the largest first).
MAIN_FIGURE = {"shelter_saturation": "saturated_nights", "cold_exclusion": "turned_away", "winter_gap": "gap_nights",
               "minors_surge": "consultations", "outbreak_signal": "cases", "access_to_care": "change_points"}
UNITS = {"person": "people", "cold_night": "cold_nights", "night": "nights", "week": "weeks", "month": "months",
         "minor": "minors", "girl": "girls", "consultation": "consultations", "case": "cases", "year": "years",
         "refusal": "refusals"}


@dataclass(frozen=True)
class Request:
    rule: str
    start: dt.date
    end: dt.date
    lang: str = "fr"
    audience: str = "internal"
    format: str = "pdf"
    city: str | None = None
    recipient: str | None = None
    site_id: str | None = None       # narrows a brief to one place (from an episode)
    subject: str | None = None       # and one diagnosis group (outbreak signal)

    def __post_init__(self) -> None:
        if self.rule not in alerts.RULES:
            raise ValueError(f"Unknown rule {self.rule!r}; the rules are {', '.join(alerts.RULES)}.")
        if self.end < self.start:
            raise ValueError(f"The period ends ({self.end}) before it starts ({self.start}).")
        if self.lang not in i18n.LANGUAGES:
            raise ValueError(f"Unknown language {self.lang!r}; expected one of {', '.join(i18n.LANGUAGES)}.")
        if self.audience not in roles.AUDIENCES:
            raise ValueError(f"Unknown audience {self.audience!r}; expected one of {', '.join(roles.AUDIENCES)}.")
        if self.format not in FORMATS:
            raise ValueError(f"Unknown format {self.format!r}; expected one of {', '.join(FORMATS)}.")
        if self.recipient is not None and self.recipient not in RECIPIENTS:
            raise ValueError(f"Unknown recipient {self.recipient!r}; expected one of {', '.join(RECIPIENTS)}.")

    @classmethod
    def about_episode(cls, episode: alerts.Episode, **choices: Any) -> Request:
        """A brief on one episode: its rule, dates, place (and disease)."""
        return cls(rule=episode.rule, start=episode.start, end=episode.end, city=episode.city,
                   site_id=episode.site_id, subject=episode.subject, **choices)

    @classmethod
    def about_view(cls, rule: str, start: dt.date, end: dt.date, cities: Sequence[str], **choices: Any) -> Request:
        """A brief on a filtered view: one city when one is chosen, else all of them."""
        return cls(rule=rule, start=start, end=end, city=cities[0] if len(cities) == 1 else None, **choices)

    @property
    def recipient_type(self) -> str:
        return self.recipient or DEFAULT_RECIPIENT[self.rule]

    @property
    def threshold(self) -> int:
        return disclosure.threshold(BRIEF_ROLE, self.audience)


@dataclass
class Brief:
    """What a brief says, whatever its format."""
    request: Request
    title: str
    subtitle: str
    recipient: str
    intro: str
    sentences: list[str]
    charts: list[bytes]
    table_title: str
    table: list[list[str]]                   # header row first
    table_note: str | None                   # what "hidden" means, when a cell is
    details: list[tuple[str, str]]           # (label, text): period, filters, method...
    marker: str | None                       # the synthetic-data marking, on every page
    annex_intro: str = ""                    # where the figures come from, in words,
    annex: list[tuple[str, str]] = field(default_factory=list)   # then the exact queries, for audit
    provenance: list[dict[str, Any]] = field(default_factory=list)
    data_as_of: dt.date | None = None
    dataset_name: str = ""
    released: pd.DataFrame | None = None     # a public brief's published cells, for the release ledger
    covers: tuple[str, dt.date, dt.date] | None = None   # a public brief's place name and whole months
    events: list[str] = field(default_factory=list)   # the context events of its period and place


class BriefRefused(Exception):
    """A brief that may not be produced for its audience; the message says why, in one line
    of the brief's language."""


# --- words -------------------------------------------------------------------------------

def _event_lines(con: duckdb.DuckDBPyConnection, request: Request, start: dt.date, end: dt.date,
                 names: Mapping[str, tuple[str, bool]] | None = None) -> list[str]:
    """The context events of the brief's period and place, one line each in its language;
    through the query door for the brief's audience, so a public brief carries public events
    only. `names`: how a public brief names each city (by its département where it must)."""
    found = queries.run(con, "events_in_period", {"start": start, "end": end,
                                                  "cities": [request.city] if request.city else []},
                        role=BRIEF_ROLE, audience=request.audience)
    if names:
        found = found.assign(city=[names.get(c, (c, False))[0] if isinstance(c, str) else c for c in found["city"]])
    return [context_events.line(row, request.lang) for _, row in found.iterrows()]


def _t(key: str, lang: str, **values: Any) -> str:
    return i18n.t(f"briefs.{key}", lang, **values)


def _elide(text: str) -> str:
    """French elision of "de" before a vowel or a mute h: "de Arles" -> "d'Arles"."""
    return re.sub(r"\bde ([AEIOUYÂÉÈÊÎÔaeiouyh])", r"d'\1", text)


def _place_kind(site_type: str | None, focus: str | None) -> str:
    if not site_type:
        return "city"
    if site_type == "shelter":
        return f"shelter_{focus if focus in ('minors', 'girls', 'adults') else 'mixed'}"
    return site_type


def place_at(place: Mapping[str, Any], lang: str) -> str:
    """Where, as an internal draft says it: "au centre d'hébergement d'urgence de Calais"."""
    kind = _place_kind(place.get("site_type"), place.get("population_focus"))
    text = _t(f"place_at.{kind}", lang, city=place["city"])
    return _elide(text) if lang == "fr" else text


def place_label(place: Mapping[str, Any], lang: str, audience: str) -> str:
    """A place in a table or chart title: its name in internal drafts, else its kind and city."""
    if audience == "internal" and place.get("site_name"):
        return str(place["site_name"])
    kind = _place_kind(place.get("site_type"), place.get("population_focus"))
    return _t(f"place_label.{kind}", lang, city=place["city"])


def _count(value: Any, k: int, lang: str) -> str:
    if alerts.hidden(value, k):
        return _t("fewer_than", lang, k=k)
    return i18n.format_number(value, lang)


def _mean(value: Any, k: int, lang: str) -> str:
    """A mean of counts (cases a week): hidden like a count, shown with a decimal."""
    return _t("fewer_than", lang, k=k) if alerts.hidden(value, k) else i18n.format_decimal(value, lang, 1)


def _noun(value: Any, unit: str, lang: str, k: int = 0) -> str:
    """A count with its unit: "37 personnes", "1 personne", "moins de 11 personnes"."""
    if alerts.hidden(value, k):
        return f"{_t('fewer_than', lang, k=k)} {_t(f'unit.{UNITS[unit]}', lang)}"
    return f"{i18n.format_number(value, lang)} {_unit(value, unit, lang)}"


def _unit(value: Any, unit: str, lang: str) -> str:
    """The unit a whole number takes in `lang`: "nuit" for 0 and 1 in French, "night" for 1
    only in English (CLDR plural rules)."""
    return _t(f"unit.{unit if i18n.plural_category(value, lang) == 'one' else UNITS[unit]}", lang)


def _celsius(value: Any, lang: str, digits: int | None = 1) -> str:
    """"−3,0 °C"; with digits=None, whole degrees without a decimal ("0 °C")."""
    if digits is None:
        digits = 0 if float(value).is_integer() else 1
    return f"{i18n.format_decimal(value, lang, digits)}\u00a0°C".replace("-", "\u2212")


def _figure(value: Any, kind: str, lang: str, k: int) -> str:
    if kind == "count":
        # A cell hidden as a partner may be k or more: the table says "hidden", not "fewer
        # than k", for every hidden cell alike, so partners cannot be told apart.
        return _t("hidden", lang) if alerts.hidden(value, k) else i18n.format_number(value, lang)
    if value is None or pd.isna(value):
        return _t("not_published", lang) if kind in ("percent", "points", "ratio") else "—"
    if kind == "number":
        return i18n.format_number(value, lang)
    if kind == "celsius":
        return _celsius(value, lang)
    if kind == "ratio":
        return i18n.format_decimal(value, lang, 1)
    if kind == "percent":
        return i18n.format_percent(value, lang)
    if kind == "points":
        return i18n.format_percent(value / 100, lang, 1, signed=True, points=True)
    raise ValueError(f"Unknown figure kind {kind!r}.")


def _labelled(label: str, text: str, lang: str) -> str:
    """"Destinataire : Préfecture" (French puts a no-break space before the colon)."""
    return f"{label}\u00a0: {text}" if lang == "fr" else f"{label}: {text}"


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- key figures as sentences ---------------------------------------------------------------

def sentences(rule: str, place: Mapping[str, Any], figures: Mapping[str, Any], start: dt.date, end: dt.date,
              lang: str, k: int) -> list[str]:
    """The key figures of one place over a period, as a brief says them."""
    shown, _ = alerts.shown_figures(rule, figures, None, k)
    period = _capitalised(i18n.format_period(start, end, lang))
    where = place_at(place, lang)
    out = []
    if rule == "cold_exclusion":
        out.append(_t("sentence.cold_exclusion", lang, period=period, place=where,
                      cold_nights=_noun(figures["cold_nights"], "cold_night", lang),
                      turned_away=_noun(shown["turned_away"], "refusal", lang, k)))
        if figures["turned_away_minors"]:
            out.append(_t("sentence.cold_exclusion_minors", lang,
                          minors=_noun(shown["turned_away_minors"], "refusal", lang, k)))
        if figures["coldest_c"] is not None:
            out.append(_t("sentence.cold_exclusion_coldest", lang, coldest=_celsius(figures["coldest_c"], lang)))
    elif rule == "shelter_saturation":
        out.append(_t("sentence.shelter_saturation", lang, period=period, place=where,
                      saturated=_noun(figures["saturated_nights"], "night", lang),
                      nights=i18n.format_number(figures["nights"], lang)))
        if figures["turned_away"]:
            out.append(_t("sentence.shelter_saturation_turned_away", lang,
                          turned_away=_count(shown["turned_away"], k, lang)))
        if shown["max_occupancy"] is not None and shown["beds"] is not None and i18n.shown_above(figures["max_occupancy"]):
            out.append(_t("sentence.shelter_saturation_peak", lang, beds=i18n.format_number(shown["beds"], lang),
                          occupancy=i18n.format_percent(shown["max_occupancy"], lang)))
    elif rule == "winter_gap":
        out.append(_t("sentence.winter_gap", lang, period=period, place=where,
                      gap_nights=_noun(figures["gap_nights"], "cold_night", lang)))
        if figures["coldest_c"] is not None:
            out.append(_t("sentence.winter_gap_coldest", lang, coldest=_celsius(figures["coldest_c"], lang)))
    elif rule == "minors_surge":
        out.append(_t("sentence.minors_surge", lang, period=period, place=where,
                      consultations=_noun(shown["consultations"], "consultation", lang, k),
                      before=_count(shown["consultations_year_before"], k, lang)))
        if shown["ratio"] is not None:
            out.append(_t("sentence.minors_surge_ratio", lang, ratio=i18n.format_decimal(shown["ratio"], lang, 1),
                          weeks=_noun(figures["window_weeks"], "week", lang)))
    elif rule == "outbreak_signal":
        out.append(_t("sentence.outbreak_signal", lang, period=period, place=where,
                      cases=_noun(shown["cases"], "case", lang, k), disease=_t(f"disease.{place['diagnosis_group']}", lang),
                      weeks=_noun(figures["signal_weeks"], "week", lang)))
        if not alerts.hidden(shown["threshold"], k):
            out.append(_t("sentence.outbreak_signal_threshold", lang, threshold=_mean(shown["threshold"], k, lang),
                          mean=_mean(shown["baseline_mean"], k, lang)))
    elif rule == "access_to_care":
        # An episode's shares are the rule's own window at its peak; a period's, the period's.
        peak = figures.get("window_months") is not None
        out.append(_t("sentence.access_to_care_peak" if peak else "sentence.access_to_care", lang, period=period,
                      place=where, months=_noun(figures.get("window_months") or 0, "month", lang),
                      share=_figure(shown["share"], "percent", lang, k),
                      before=_figure(shown["share_year_before"], "percent", lang, k),
                      points=_figure(shown["change_points"], "points", lang, k)))
        out.append(_t("sentence.access_to_care_counts", lang,
                      without=_count(shown["without_coverage"], k, lang),
                      consultations=_noun(shown["with_known_coverage"], "consultation", lang, k)))
        if shown.get("unknown_share") is not None:
            out.append(_t("sentence.access_to_care_unknown", lang,
                          unknown=i18n.format_percent(shown["unknown_share"], lang)))
    return out


def _definitions_used() -> dict[str, Any]:
    """The definitions a brief counted with, for its audit entry."""
    cold = definitions.load().cold_night
    return {"cold_night": {"tmin_at_most": cold.tmin_at_most, "vigilance": list(cold.vigilance)},
            "season": {"first_day": list(definitions.SEASON_FIRST_DAY), "last_day": list(definitions.SEASON_LAST_DAY)},
            "minor_age_bands": list(definitions.MINOR_AGE_BANDS)}


def definition(rule: str, settings: Mapping[str, Any], lang: str) -> str:
    """The rule in words, with its thresholds from config/alerts.toml and the definitions it
    counts with (config/definitions.toml, terrain/definitions.py)."""
    def per(unit: str, value: Any) -> str:
        return _noun(value, unit, lang)

    step_unit = {"day": "night", "week": "week", "month": "month"}[alerts.RULE_SPECS[rule].step]
    if rule == "shelter_saturation":
        values = dict(occupancy=i18n.format_percent(settings["occupancy_at_least"], lang),
                      saturated=settings["saturated_nights"], window=settings["window_nights"])
    elif rule in ("cold_exclusion", "winter_gap"):
        values = dict(cold_night=glossary.cold_night_text(lang), season=glossary.season_text(lang))
        if rule == "cold_exclusion":
            values["people"] = per("person", settings["turned_away_at_least"])
    elif rule == "minors_surge":
        values = dict(weeks=per("week", settings["weeks"]), ratio=i18n.format_decimal(settings["ratio_at_least"], lang, 1),
                      count=per("consultation", settings["count_at_least"]))
    elif rule == "outbreak_signal":
        values = dict(sd=i18n.format_decimal(settings["sd_above_mean"], lang, 1),
                      baseline=per("week", settings["baseline_weeks"]), cases=per("case", settings["cases_at_least"]),
                      guard=per("week", settings["guard_weeks"]),
                      history=per("year", settings["history_years_at_least"]),
                      years=per("year", settings["history_years"]),
                      half=per("week", settings["history_half_window_weeks"]),
                      measles=per("case", settings["measles_cases_at_least"]))
    else:
        values = dict(months=per("month", settings["months"]),
                      points=i18n.format_percent(settings["points_above_year_before"] / 100, lang, 1, points=True),
                      consultations=per("consultation", settings["consultations_at_least"]))
    return _t(f"definition.{rule}", lang, clear=per(step_unit, settings["clear_after"]), **values)


# --- composing a brief -----------------------------------------------------------------------

@dataclass
class _Place:
    """One place of a brief: who it is, its evidence rows in the period, its episodes and
    its figures over the period."""
    about: dict[str, Any]
    rows: pd.DataFrame
    episodes: list[alerts.Episode]
    figures: dict[str, Any]


def _place_of(rows: pd.DataFrame) -> dict[str, Any]:
    head = rows.iloc[0]
    return {column: (None if pd.isna(head[column]) else head[column])
            for column in ("city", "site_id", "site_name", "site_type", "population_focus", "diagnosis_group")
            if column in rows.columns}


def _narrowed(frame: pd.DataFrame, request: Request) -> pd.DataFrame:
    if frame.empty:
        return frame
    keep = pd.Series(True, index=frame.index)
    if request.site_id and "site_id" in frame.columns:
        keep &= frame["site_id"] == request.site_id
    if request.subject and "diagnosis_group" in frame.columns:
        keep &= frame["diagnosis_group"] == request.subject
    return frame[keep]


def _belongs(episode: alerts.Episode, about: Mapping[str, Any], place_columns: Sequence[str]) -> bool:
    return all(getattr(episode, "subject" if column == "diagnosis_group" else column) == about.get(column)
               for column in place_columns)


def _dataset_text(meta: pd.Series, lang: str) -> str:
    """The dataset's name as a brief gives it: the demo's in the brief's language, a real
    dataset's as it was named."""
    from terrain.demo import DATASET_NAME
    if bool(meta["is_synthetic"]) and meta["dataset_name"] == DATASET_NAME:
        return _t("dataset_demo", lang)
    return str(meta["dataset_name"])


def _params_text(params: Mapping[str, Any]) -> str:
    def show(value: Any) -> str:
        if isinstance(value, (list, tuple)):
            return "[" + ", ".join(str(v) for v in value) + "]"
        return value.isoformat() if isinstance(value, dt.date) else str(value)
    return ", ".join(f"{name}={show(value)}" for name, value in params.items())


def compose(con: duckdb.DuckDBPyConnection, request: Request, config: alerts.Config, *,
            config_name: str = "config/alerts.toml", today: dt.date | None = None) -> Brief:
    """Everything a brief says, for its audience: an internal draft from the rule's evidence,
    a brief for the public from whole months of the public's published set."""
    lang, k, rule = request.lang, request.threshold, request.rule
    meta = queries.read_rows(con, "dataset_metadata", {}).iloc[0]
    if request.audience == PUBLIC:
        return _compose_public(con, request, config, meta, config_name=config_name, today=today)
    data_as_of = pd.Timestamp(meta["data_as_of"]).date()
    end = min(request.end, data_as_of)
    start = min(request.start, end)
    cities = [request.city] if request.city else []

    # Episodes are evaluated from the start of the data, so that one under way when the
    # period begins keeps its real start; the period's figures come from its own rows.
    history = alerts.series(con, rule, config, pd.Timestamp(meta["first_day"]).date(), end, cities)
    episodes = [e for e in alerts.episodes_in(rule, history, config) if e.overlaps(start, end)
                and (not request.site_id or e.site_id == request.site_id)
                and (not request.subject or e.subject == request.subject)]
    evidence = _narrowed(alerts.series(con, rule, config, start, end, cities), request)
    sources = [(purpose, frame) for purpose, frame in (("history", history), ("period", evidence))
               if frame.attrs.get("provenance")]
    provenance = [{"query": alerts.RULE_SPECS[rule].query, "params": dict(frame.attrs["provenance"]["params"])}
                  for _, frame in sources]
    places = _places(rule, evidence, episodes, config)
    shown_start = evidence["period"].min() if not evidence.empty else start
    shown_end = evidence["period_end"].max() if not evidence.empty else end
    period_text = i18n.format_period(shown_start, shown_end, lang)
    where = request.city or _t("all_cities", lang)

    key_sentences = _key_sentences(request, places, shown_start, shown_end, config)
    if not places:
        key_sentences.append(_t("no_episode", lang, rule=i18n.t(f"alerts.rule.{rule}", lang), where=where,
                                period=period_text))
    elif len(places) > MAX_CHARTS:
        key_sentences.append(i18n.t_plural("briefs.more_places", len(places) - MAX_CHARTS, lang))

    filters = [_t("filter.city", lang, city=where) if request.city else _t("filter.all_cities", lang)]
    if request.site_id and places:
        filters.append(_t("filter.site", lang, site=place_label(places[0].about, lang, request.audience)))
    if request.subject:
        filters.append(_t("filter.subject", lang, subject=_t(f"disease.{request.subject}", lang)))
    details = [
        (_t("label.period", lang), _capitalised(period_text)),
        (_t("label.filters", lang), "; ".join(filters)),
        (_t("label.data_as_of", lang), i18n.format_date(data_as_of, lang)),
        (_t("label.dataset", lang), _dataset_text(meta, lang)),
        (_t("label.definition", lang), definition(rule, config[rule], lang)),
        (_t("label.audience", lang), _t(f"audience.{request.audience}", lang, k=k)),
        (_t("label.produced", lang), _t("produced", lang, date=i18n.format_date(today or dt.date.today(), lang))),
    ]
    # Where the figures come from: in words, then each query with its exact parameters.
    annex_intro = _t("annex.intro", lang, rule=i18n.t(f"alerts.rule.{rule}", lang), config=config_name, section=rule)
    annex = [(_t(f"annex.query.{purpose}", lang), f"{used['query']} ({_params_text(used['params'])})")
             for (purpose, _), used in zip(sources, provenance)]
    table = _episode_table(rule, places, shown_start, shown_end, request, config)
    return Brief(
        request=request, title=_t(f"title.{rule}", lang),
        subtitle=_t("subtitle", lang, where=where, period=period_text),
        recipient=_labelled(_t("recipient.label", lang), _t(f"recipient.{request.recipient_type}", lang), lang),
        intro=_t("intro", lang), sentences=key_sentences,
        charts=_charts(request, places, shown_start, shown_end, config), table_title=_t("episodes", lang),
        table=table, table_note=_t("hidden_note", lang, k=k) if any(_t("hidden", lang) in row for row in table[1:])
        else None, details=details, marker=_t("synthetic", lang) if bool(meta["is_synthetic"]) else None,
        annex_intro=annex_intro, annex=annex, provenance=provenance, data_as_of=data_as_of,
        dataset_name=str(meta["dataset_name"]), events=_event_lines(con, request, shown_start, shown_end))


def _places(rule: str, evidence: pd.DataFrame, episodes: Sequence[alerts.Episode], config: alerts.Config) -> list[_Place]:
    """The places with an episode in the period, the most affected first."""
    spec, places = alerts.RULE_SPECS[rule], []
    for _, rows in (evidence.groupby(list(spec.place), sort=False) if not evidence.empty else []):
        about = _place_of(rows)
        mine = sorted((e for e in episodes if _belongs(e, about, spec.place)), key=lambda e: e.start)
        if mine:
            places.append(_Place(about, rows, mine, alerts.summarise(rule, rows, config)))
    return sorted(places, key=lambda p: -(p.figures.get(MAIN_FIGURE[rule]) or 0))


def _clipped(place: _Place, episode: alerts.Episode, start: dt.date, end: dt.date) -> pd.Series:
    """The rows of an episode that fall in the brief's period."""
    return (place.rows["period"] >= max(episode.start, start)) & (place.rows["period_end"] <= min(episode.end, end))


def _key_sentences(request: Request, places: Sequence[_Place], start: dt.date, end: dt.date,
                   config: alerts.Config) -> list[str]:
    rule, lang, k = request.rule, request.lang, request.threshold
    out: list[str] = []
    for place in places:
        if rule not in PER_EPISODE:
            out += sentences(rule, place.about, place.figures, start, end, lang, k)
            continue
        for episode in place.episodes:
            inside = place.rows[_clipped(place, episode, start, end)]
            out += sentences(rule, place.about, alerts.summarise(rule, inside, config),
                             max(episode.start, start), min(episode.end, end), lang, k)
    return out


def _charts(request: Request, places: Sequence[_Place], start: dt.date, end: dt.date,
            config: alerts.Config) -> list[bytes]:
    """The evidence chart of each of the first places, its counts suppressed along the
    totals the brief publishes (the place's, each episode's)."""
    rule, lang, k = request.rule, request.lang, request.threshold
    charts = []
    for place in places[:MAX_CHARTS]:
        title = i18n.t(f"alerts.chart_title.{rule}", lang, place=place_label(place.about, lang, request.audience))
        if place.about.get("diagnosis_group"):
            title += " — " + _t("disease." + str(place.about["diagnosis_group"]), lang)
        rows = alerts.for_audience(rule, place.rows, k, [_clipped(place, e, start, end) for e in place.episodes],
                                   place_total=rule not in PER_EPISODE)
        charts.append(alert_charts.evidence_png(rule, rows, lang=lang, title=title, k=k,
                                                sd=config[rule].get("sd_above_mean")))
    return charts


def _episode_table(rule: str, places: Sequence[_Place], start: dt.date, end: dt.date, request: Request,
                   config: alerts.Config) -> list[list[str]]:
    """One row per episode, its figures counted within the period; where the sentences give
    a place's total over the period, the place's hidden cells are protected against
    subtraction from it."""
    lang, k = request.lang, request.threshold
    columns = TABLE_COLUMNS[rule]
    records = []
    for place in places:
        for episode in place.episodes:
            first, last = max(episode.start, start), min(episode.end, end)
            figures = alerts.summarise(rule, place.rows[_clipped(place, episode, start, end)], config)
            records.append({"place": place_label(place.about, lang, request.audience), "subject": episode.subject,
                            "start": first, "end": last, **{name: figures.get(name) for name, _ in columns}})
    header = [_t("column.place", lang)] + ([_t("column.disease", lang)] if rule == "outbreak_signal" else []) \
        + [_t("column.start", lang), _t("column.end", lang)] + [_t(f"column.{name}", lang) for name, _ in columns]
    if not records:
        return [header]
    frame = pd.DataFrame(records)
    counts = [name for name, kind in columns if kind == "count"]
    if k > 1:
        for name in counts:
            frame[name] = pd.to_numeric(frame[name]).fillna(0).astype("int64")
        frame = disclosure.suppress_counts(frame, counts, k, [] if rule in PER_EPISODE else [("place",)])
    table = [header]
    for record in frame.to_dict("records"):
        figures = {name: (None if pd.isna(record[name]) else record[name]) for name, _ in columns}
        shown, _ = alerts.shown_figures(rule, figures, None, k)
        row = [record["place"]] + ([_t(f"disease.{record['subject']}", lang)] if rule == "outbreak_signal" else [])
        row += [i18n.format_date(record["start"], lang, "medium"), i18n.format_date(record["end"], lang, "medium")]
        row += [_figure(shown.get(name), kind, lang, k) for name, kind in columns]
        table.append(row)
    return table


# --- briefs for the public: whole months of the published set ----------------------------------
# A brief for publication reads the public's published set (terrain/disclosure/publication.py),
# never the rows, so that it can be set beside every other public output and differenced day
# by day without giving anything away: it holds whole calendar months, city by city. The rule,
# evaluated on the rows, only says which cities had an episode in those months. A city is named
# by its commune, or by its département where its commune would point at a camp or a small
# shelter (terrain/disclosure/places.py). What the brief shows is checked against the release
# ledger and recorded there before the file is handed over.

PUBLIC = "public"
# The published figures of each rule, as the query headers write them (terrain/disclosure/views.py).
PUBLISHED = {
    "shelter_saturation": "nights_full, nights_open, turned_away, bed_nights_occupied, bed_nights_available",
    "cold_exclusion": "cold_nights, turned_away_on_cold_nights as turned_away",
    "winter_gap": "cold_nights, cold_nights_without_emergency_shelter as gap_nights, emergency_nights_open",
    "minors_surge": "consultations[unaccompanied_minor=yes] as minors",
    "outbreak_signal": "consultations[diagnosis_group={subject}] as cases",
    "access_to_care": "consultations[health_coverage=none] as without_coverage, "
                      "consultations[health_coverage=none+AME+PUMa_CSS] as with_known_coverage, "
                      "consultations[health_coverage=unknown] as unknown_coverage, consultations",
}
# Rules whose figures are set against the same months a year earlier.
YEAR_BEFORE = frozenset({"minors_surge", "outbreak_signal", "access_to_care"})
# The table's columns; a rate is (numerator, denominator).
PUBLIC_COLUMNS = {
    "shelter_saturation": ("nights_full", "nights_open", "occupancy", "turned_away"),
    "cold_exclusion": ("cold_nights", "turned_away"),
    "winter_gap": ("cold_nights", "gap_nights", "emergency_nights_open"),
    "minors_surge": ("minors", "minors_year_before"),
    "outbreak_signal": ("cases", "cases_year_before"),
    "access_to_care": ("without_coverage", "with_known_coverage", "share", "share_year_before", "unknown_share"),
}
# The share with no coverage is of the consultations whose coverage is known; the unknown
# coverage is told beside it, as a share of all consultations.
RATES = {"occupancy": ("bed_nights_occupied", "bed_nights_available"),
         "share": ("without_coverage", "with_known_coverage"),
         "share_year_before": ("without_coverage_year_before", "with_known_coverage_year_before"),
         "unknown_share": ("unknown_coverage", "consultations")}
# The figure each place's chart draws, and its unit in sentences.
PUBLIC_CHART = {"shelter_saturation": "turned_away", "cold_exclusion": "turned_away", "winter_gap": "gap_nights",
                "minors_surge": "minors", "outbreak_signal": "cases", "access_to_care": "without_coverage"}
PUBLIC_UNITS = {"turned_away": "refusal", "consultations": "consultation", "minors": "consultation", "cases": "case",
                "without_coverage": "consultation", "with_known_coverage": "consultation", "cold_nights": "cold_night", "gap_nights": "cold_night",
                "nights_full": "night", "nights_open": "night", "emergency_nights_open": "night"}


@dataclass
class _PublicPlace:
    city: str
    subject: str | None
    name: str                                # "Calais", or "Pas-de-Calais (62)"
    departement: bool                        # named by its département
    months: dict[str, list[marks.Sum]]       # column -> one sum (a cell, or cells added up) a month
    totals: dict[str, marks.Sum | None]      # column -> over the brief's months (None: not published)


def _month_span(first: dt.date, last: dt.date, lang: str, *, opening: bool) -> str:
    """"En janvier 2024" / "De janvier à mars 2024" / "In January 2024" / "January–March 2024"
    (opening a sentence); "janvier 2024" / "de janvier à mars 2024" otherwise."""
    one = (first.year, first.month) == (last.year, last.month)
    if one:
        text = _t("months.one", lang, month=i18n.format_month(first, lang))
    else:
        start = _month_name(first, lang, with_year=first.year != last.year)
        text = _t("months.span", lang, first=start, last=i18n.format_month(last, lang))
    text = _elide(text) if lang == "fr" else text
    return _capitalised(text) if opening else text


def _months_label(first: dt.date, last: dt.date, lang: str) -> str:
    """"Janvier 2024", "Janvier – mars 2024", "Décembre 2024 – février 2025": a title's months."""
    if (first.year, first.month) == (last.year, last.month):
        return _capitalised(i18n.format_month(first, lang))
    start = _month_name(first, lang, with_year=first.year != last.year)
    return _capitalised(f"{start} – {i18n.format_month(last, lang)}")


def _month_name(day: dt.date, lang: str, *, with_year: bool) -> str:
    text = i18n.format_month(day, lang)
    return text if with_year else text.rsplit(" ", 1)[0]


def _published_span(con: duckdb.DuckDBPyConnection, request: Request) -> tuple[dt.date, dt.date, dt.date, dt.date]:
    """The whole months a public brief holds (first, last as month starts) within the published
    months (first_published, last_published); BriefRefused when none of them is published."""
    lang = request.lang
    span = queries.read_published(con, "published_months", {"audience": PUBLIC})
    if span.empty or pd.isna(span["first_month"].iloc[0]):
        raise BriefRefused(_t("public.nothing_published", lang))
    first_published = pd.Timestamp(span["first_month"].iloc[0]).date()
    last_published = pd.Timestamp(span["last_month"].iloc[0]).date()
    first = max(request.start.replace(day=1), first_published)
    last = min(request.end.replace(day=1), last_published)
    if first > last:
        raise BriefRefused(_t("public.not_yet_published", lang, last=i18n.format_month(last_published, lang)))
    return first, last, first_published, last_published


def _month_end(first: dt.date) -> dt.date:
    return (pd.Timestamp(first) + pd.offsets.MonthEnd(0)).date()


def _months_of(first: dt.date, last: dt.date) -> list[dt.date]:
    return list(pd.date_range(first, last, freq="MS").date)


def _public_places(con: duckdb.DuckDBPyConnection, request: Request, config: alerts.Config, meta: pd.Series,
                   first: dt.date, last: dt.date) -> list[tuple[str, str | None]]:
    """(city, diagnosis group) of every place with an episode of the rule in the months: the
    rule decides on the rows; nothing of its figures reaches the brief."""
    cities = [request.city] if request.city else []
    history = alerts.series(con, request.rule, config, pd.Timestamp(meta["first_day"]).date(), _month_end(last), cities)
    episodes = [e for e in alerts.episodes_in(request.rule, history, config) if e.overlaps(first, _month_end(last))
                and (not request.site_id or e.site_id == request.site_id)
                and (not request.subject or e.subject == request.subject)]
    return sorted({(e.city, e.subject) for e in episodes}, key=lambda place: (place[0], place[1] or ""))


def _read_published(con: duckdb.DuckDBPyConnection, items: tuple[views.PublishedColumn, ...], cities: list[str],
                    first: dt.date, last: dt.date) -> pd.DataFrame:
    cells = queries.read_published(con, "published_cells_by_city_month", {
        "audience": PUBLIC, "measures": views.measures(items),
        "breakdowns": views.breakdowns(items), "start": first, "end": last, "cities": cities})
    wanted = pd.Series(False, index=cells.index)
    for item in items:
        wanted |= ((cells["measure"] == item.measure) & (cells["breakdown"] == item.breakdown)
                   & cells["category"].isin(item.categories))
    return cells[wanted].assign(period=pd.to_datetime(cells["period"]).dt.date)


def _sums(cells: pd.DataFrame, item: views.PublishedColumn, city: str, months: list[dt.date], k: int) -> list[marks.Sum]:
    mine = cells[(cells["measure"] == item.measure) & (cells["breakdown"] == item.breakdown)
                 & cells["category"].isin(item.categories) & (cells["city"] == city)]
    out = []
    for month in months:
        these = mine[mine["period"] == month]
        out.append(marks.add_up(these["value"], these["status"], k))
    return out


def _total(sums: list[marks.Sum] | None, k: int) -> marks.Sum | None:
    if sums is None:
        return None
    return marks.Sum(sum(s.shown for s in sums), sum(s.small for s in sums), sum(s.protect for s in sums), k)


def _rate(numerator: marks.Sum | None, denominator: marks.Sum | None) -> float | None:
    """A rate of two published figures, when both are shown whole."""
    if numerator is None or denominator is None or numerator.exact is None or not denominator.exact:
        return None
    return numerator.exact / denominator.exact


def _public_count(total: marks.Sum | None, unit: str, lang: str, *, bare: bool = False) -> str:
    """A figure in a sentence: "37 refus", "moins de 11 refus", "au moins 35 consultations",
    "un nombre masqué de refus"; "non publié" for months before the published set. `bare`
    leaves the unit out where the sentence has already said it ("contre 12")."""
    if total is None:
        return _t("not_published", lang)
    mark = total.mark()
    units = _t(f"unit.{UNITS[unit]}", lang)
    if mark == "shown":
        return i18n.format_number(total.shown, lang) if bare else _noun(total.shown, unit, lang)
    if mark == "small":
        return _t("fewer_than", lang, k=total.k) + ("" if bare else f" {units}")
    if mark == "at_least":
        units = _unit(total.lower_bound, unit, lang)
        text = _t("public.at_least", lang, value=i18n.format_number(total.lower_bound, lang), units=units)
        return text.replace(f" {units}", "") if bare else text
    return _t("public.hidden", lang) if bare else _t("public.hidden_number", lang, units=units)


def _public_cell(total: marks.Sum | None, lang: str) -> str:
    """A figure in the table: "37", "< 11", "[c]", "≥ 35" (the legend of every output)."""
    if total is None:
        return _t("not_published", lang)
    mark = total.mark()
    if mark == "shown":
        return i18n.format_number(total.shown, lang)
    if mark == "small":
        return f"< {total.k}"
    if mark == "at_least":
        return i18n.t("common.at_least", lang, value=i18n.format_number(total.lower_bound, lang))
    return "[c]"


def _public_figure(place: _PublicPlace, column: str, lang: str, month: int | None = None) -> str:
    if column in RATES:
        numerator, denominator = RATES[column]
        pick = (lambda c: place.totals.get(c)) if month is None else (
            lambda c: place.months[c][month] if place.months.get(c) is not None else None)
        if pick(denominator) is not None and pick(denominator).exact == 0:
            return "—"   # no bed, or no consultation, that month: no rate to give
        value = _rate(pick(numerator), pick(denominator))
        return i18n.format_percent(value, lang) if value is not None else _t("not_published", lang)
    total = place.totals.get(column) if month is None else (
        place.months[column][month] if place.months.get(column) is not None else None)
    return _public_cell(total, lang)


def _public_sentences(rule: str, place: _PublicPlace, first: dt.date, last: dt.date, lang: str) -> list[str]:
    period = _month_span(first, last, lang, opening=True)
    where = _t("public.at_area" if place.departement else "public.at_city", lang, place=place.name)
    where = _elide(where) if lang == "fr" else where
    t, count = place.totals, lambda column: _public_count(t.get(column), PUBLIC_UNITS.get(column, "consultation"), lang)

    def percent(column: str) -> str:
        value = _rate(t.get(RATES[column][0]), t.get(RATES[column][1]))
        return i18n.format_percent(value, lang) if value is not None else _t("not_published", lang)

    if rule == "cold_exclusion":
        return [_t("public.sentence.cold_exclusion", lang, period=period, place=where, refusals=count("turned_away"),
                   cold_nights=count("cold_nights"))]
    if rule == "shelter_saturation":
        said = [_t("public.sentence.shelter_saturation", lang, period=period, place=where, full=count("nights_full"),
                   open=count("nights_open"), occupancy=percent("occupancy")),
                _capitalised(_t("public.sentence.refusals", lang, refusals=count("turned_away")))]
        # Said where a rate the brief shows (the period's, or a month's in the table) passes 100 %.
        months = place.months.get("bed_nights_occupied") or []
        rates = [_rate(t.get("bed_nights_occupied"), t.get("bed_nights_available"))] + [
            _rate(taken, given) for taken, given in zip(months, place.months.get("bed_nights_available") or [])]
        if any(i18n.shown_above(rate) for rate in rates):
            said.append(_t("public.sentence.over_full", lang))
        return said
    if rule == "winter_gap":
        return [_t("public.sentence.winter_gap", lang, period=period, place=where, gap_nights=count("gap_nights"),
                   cold_nights=count("cold_nights"))]
    if rule == "minors_surge":
        return [_t("public.sentence.minors_surge", lang, period=period, place=where, consultations=count("minors"),
                   before=_public_count(t.get("minors_year_before"), "consultation", lang, bare=True))]
    if rule == "outbreak_signal":
        return [_t("public.sentence.outbreak_signal", lang, period=period, place=where, cases=count("cases"),
                   disease=_t(f"disease.{place.subject}", lang),
                   before=_public_count(t.get("cases_year_before"), "case", lang, bare=True))]
    share, before = _rate(t.get("without_coverage"), t.get("with_known_coverage")), \
        _rate(t.get("without_coverage_year_before"), t.get("with_known_coverage_year_before"))
    points = (i18n.format_percent(share - before, lang, 1, signed=True, points=True)
              if share is not None and before is not None else _t("not_published", lang))
    counts = _t("sentence.access_to_care_counts", lang,
                without=_public_count(t.get("without_coverage"), "consultation", lang, bare=True),
                consultations=count("with_known_coverage"))
    unknown = _rate(t.get("unknown_coverage"), t.get("consultations"))
    told = [_t("sentence.access_to_care_unknown", lang, unknown=percent("unknown_share"))] if unknown is not None else []
    if share is None:
        return [_t("public.sentence.access_to_care_hidden", lang, period=period, place=where), counts, *told]
    return [_t("sentence.access_to_care", lang, period=period, place=where, share=percent("share"),
               before=percent("share_year_before"), points=points), counts, *told]


def _compose_public(con: duckdb.DuckDBPyConnection, request: Request, config: alerts.Config, meta: pd.Series, *,
                    config_name: str, today: dt.date | None) -> Brief:
    lang, rule = request.lang, request.rule
    k = publication.threshold(PUBLIC)
    data_as_of = pd.Timestamp(meta["data_as_of"]).date()
    first, last, first_published, _ = _published_span(con, request)
    months = _months_of(first, last)
    found = _public_places(con, request, config, meta, first, last)
    names = _city_names(con, first, last, lang)
    cities = sorted({city for city, _ in found})
    released, places = [], []
    for city, subject in found:
        items = views.parse(PUBLISHED[rule].format(subject=subject))
        cells = _read_published(con, items, [city], first, last)
        released.append(cells)
        place_months = {item.column: _sums(cells, item, city, months, k) for item in items}
        if rule in YEAR_BEFORE:
            earlier = [m.replace(year=m.year - 1) for m in months]
            if earlier[0] >= first_published:
                before = _read_published(con, items, [city], earlier[0], earlier[-1])
                released.append(before)
                for item in items:
                    place_months[f"{item.column}_year_before"] = _sums(before, item, city, earlier, k)
            else:
                for item in items:
                    place_months[f"{item.column}_year_before"] = None
        name, by_departement = names.get(city, (city, False))
        places.append(_PublicPlace(city, subject, name, by_departement, place_months,
                                   {column: _total(sums, k) for column, sums in place_months.items()}))
    order = PUBLIC_CHART[rule]
    places.sort(key=lambda p: -(p.totals[order].lower_bound if p.totals.get(order) is not None else 0))

    period_text = _months_label(first, last, lang)
    asked = (request.start, request.end) != (first, _month_end(last))
    where = (names.get(request.city, (request.city, False))[0] if request.city else _t("all_cities", lang))
    key_sentences = [s for place in places for s in _public_sentences(rule, place, first, last, lang)]
    if not places:
        key_sentences.append(_t("public.no_episode", lang, rule=i18n.t(f"alerts.rule.{rule}", lang), where=where,
                                period=_month_span(first, last, lang, opening=False)))
    filters = [_t("filter.city", lang, city=where) if request.city else _t("filter.all_cities", lang)]
    if request.subject:
        filters.append(_t("filter.subject", lang, subject=_t(f"disease.{request.subject}", lang)))
    period_detail = period_text
    if asked:
        period_detail += " " + _t("public.widened", lang, asked=i18n.format_period(request.start, request.end, lang))
    details = [
        (_t("label.period", lang), period_detail),
        (_t("label.filters", lang), "; ".join(filters)),
        (_t("label.data_as_of", lang), i18n.format_date(data_as_of, lang)),
        (_t("label.dataset", lang), _dataset_text(meta, lang)),
        (_t("label.definition", lang), _t(f"public.definition.{rule}", lang, cold_night=glossary.cold_night_text(lang),
                                          season=glossary.season_text(lang))),
        (_t("label.rule", lang), definition(rule, config[rule], lang)),
        (_t("label.audience", lang), _t("public.audience", lang, k=k)),
        (_t("label.produced", lang), _t("produced", lang, date=i18n.format_date(today or dt.date.today(), lang))),
    ]

    table = _public_table(rule, places, months, lang)
    cells = (pd.concat(released, ignore_index=True) if released else pd.DataFrame(
        columns=["measure", "breakdown", "category", "city", "period", "value", "status"]))
    cells = cells.rename(columns={"period": "month"}).drop_duplicates(["measure", "breakdown", "category", "city", "month"])
    hidden_shown = any(s.hidden for place in places for sums in place.months.values() if sums for s in sums)
    # Where the figures come from: in words, then the published cells read, for audit (the
    # cities by the names the brief gives them: a commune may not be named in a publication).
    measures = sorted(set(cells["measure"]))
    annex = [(_t("annex.published.set", lang), PUBLIC),
             (_t("annex.published.measures", lang), ", ".join(measures) or "—"),
             (_t("annex.published.months", lang), f"{first.isoformat()} – {_month_end(last).isoformat()}")]
    return Brief(
        request=request, title=_t(f"title.{rule}", lang),
        subtitle=_t("subtitle", lang, where=where, period=period_text),
        recipient=_labelled(_t("recipient.label", lang), _t(f"recipient.{request.recipient_type}", lang), lang),
        intro=_t("intro", lang), sentences=key_sentences,
        charts=_public_charts(rule, places[:MAX_CHARTS], months, lang),
        table_title=_t("public.table_title", lang), table=table,
        table_note=i18n.t("common.marks_legend", lang, k=k) if hidden_shown else None,
        details=details, marker=_t("synthetic", lang) if bool(meta["is_synthetic"]) else None,
        annex_intro=_t("annex.intro_public", lang, rule=i18n.t(f"alerts.rule.{rule}", lang), config=config_name,
                       section=rule),
        annex=annex, provenance=[{"published_set": PUBLIC, "measures": measures, "cities": cities,
                     "months": [first.isoformat(), last.isoformat()]}],
        data_as_of=data_as_of, dataset_name=str(meta["dataset_name"]), released=cells,
        covers=(where if request.city else "all", first, _month_end(last)),
        events=_event_lines(con, request, first, _month_end(last), names))


def _city_names(con: duckdb.DuckDBPyConnection, first: dt.date, last: dt.date, lang: str) -> dict[str, tuple[str, bool]]:
    """city -> (how a public brief names it, whether by its département)."""
    from terrain import maps  # geopandas: loaded only for a brief that names a département
    sites = queries.read_rows(con, "sites_with_areas", {})
    areas = disclosure.city_areas(sites, [(m, _month_end(m)) for m in _months_of(first, last)])
    names: dict[str, tuple[str, bool]] = {}
    departements = None
    for city, (code, kind, departement) in areas.items():
        if kind == "commune":
            names[city] = (city, False)
            continue
        if departements is None:
            frame = maps.departements()
            departements = dict(zip(frame["code"], frame["nom"]))
        names[city] = (_t("area", lang, name=departements.get(departement, departement), code=departement), True)
    return names


def _public_table(rule: str, places: Sequence[_PublicPlace], months: list[dt.date], lang: str) -> list[list[str]]:
    columns = PUBLIC_COLUMNS[rule]
    header = [_t("column.place", lang)] + ([_t("column.disease", lang)] if rule == "outbreak_signal" else []) \
        + [_t("public.column.month", lang)] + [_t(f"public.column.{c}", lang) for c in columns]
    table = [header]
    for place in places:
        lead = [place.name] + ([_t(f"disease.{place.subject}", lang)] if rule == "outbreak_signal" else [])
        for number, month in enumerate(months):
            table.append(lead + [_capitalised(i18n.format_month(month, lang))]
                         + [_public_figure(place, c, lang, number) for c in columns])
        if len(months) > 1:
            table.append(lead + [_t("public.column.total", lang)] + [_public_figure(place, c, lang) for c in columns])
    return table


def _public_charts(rule: str, places: Sequence[_PublicPlace], months: list[dt.date], lang: str) -> list[bytes]:
    column = PUBLIC_CHART[rule]
    charts = []
    for place in places:
        series = [(_t(f"public.column.{column}", lang), place.months[column], alert_charts.MAIN_COLOUR)]
        before = place.months.get(f"{column}_year_before")
        if before is not None:
            series.append((_t(f"public.column.{column}_year_before", lang), before, alert_charts.BEFORE_COLOUR))
        bars = [(name, [s.shown for s in sums], ["" if s.mark() == "shown" else _public_cell(s, lang) for s in sums],
                 colour) for name, sums, colour in series]
        title = _t(f"public.chart_title.{rule}", lang, place=place.name)
        if place.subject:
            title += " — " + _t(f"disease.{place.subject}", lang)
        charts.append(alert_charts.published_months_png(months, bars, lang=lang, title=title,
                                                        y_title=_t(f"public.column.{column}", lang)))
    return charts


# --- rendering ----------------------------------------------------------------------------

def _font_paths() -> tuple[Path, Path, Path]:
    """DejaVu Sans, which has every character a French brief needs, and DejaVu Sans Mono for
    the annex's query names: matplotlib's copy (always installed with it), else the system's."""
    import matplotlib
    bundled = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    for folder in (bundled, Path("/usr/share/fonts/truetype/dejavu")):
        fonts = folder / "DejaVuSans.ttf", folder / "DejaVuSans-Bold.ttf", folder / "DejaVuSansMono.ttf"
        if all(font.exists() for font in fonts):
            return fonts
    raise FileNotFoundError("DejaVu Sans is needed for PDF briefs (install matplotlib or fonts-dejavu-core).")


def _column_widths(table: list[list[str]]) -> list[float]:
    """Relative widths of a brief's table's columns, from what they hold: room for the longest
    word of each (so that "Consultations" wraps between words, not inside one), and more for
    the columns of long texts (the places)."""
    widths = []
    for column in zip(*table):
        longest_word = max((len(word) for text in column for word in text.split()), default=1)
        widths.append(max(longest_word + 1, max(len(text) for text in column) / 3))
    return widths


def to_pdf(brief: Brief) -> bytes:
    from fpdf import FPDF
    from fpdf.fonts import FontFace

    regular, bold, mono = _font_paths()
    lang = brief.request.lang

    class _Document(FPDF):
        def header(self) -> None:
            if brief.marker:
                self.set_font("DejaVu", "B", 9)
                self.set_text_color(179, 0, 0)
                self.cell(0, 6, brief.marker, align="C", new_x="LMARGIN", new_y="NEXT")
                self.set_text_color(0, 0, 0)
                self.ln(2)

        def footer(self) -> None:
            self.set_y(-14)
            self.set_font("DejaVu", "", 7.5)
            if brief.marker:
                self.set_text_color(179, 0, 0)
                self.cell(0, 4, brief.marker, align="C", new_x="LMARGIN", new_y="NEXT")
            self.set_text_color(90, 90, 90)
            self.cell(0, 4, _t("page", lang, page=self.page_no(), pages="{nb}"), align="C")
            self.set_text_color(0, 0, 0)

    pdf = _Document(format="A4")
    pdf.set_title(brief.title)
    pdf.set_author("Terrain")
    pdf.set_creation_date(dt.datetime.combine(brief.data_as_of or dt.date.today(), dt.time(), dt.timezone.utc))
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    pdf.add_font("DejaVuMono", "", str(mono))
    pdf.set_margins(18, 14, 18)
    pdf.set_auto_page_break(True, margin=18)
    pdf.add_page()
    width = pdf.epw

    pdf.set_font("DejaVu", "B", 15)
    pdf.multi_cell(width, 7.5, brief.title, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10.5)
    pdf.multi_cell(width, 6, brief.subtitle, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 10)
    pdf.multi_cell(width, 6, brief.recipient, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(width, 5.2, brief.intro, align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "B", 11.5)
    pdf.cell(width, 7, _t("key_figures", lang), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 10)
    for sentence in brief.sentences:
        pdf.multi_cell(width, 5.2, f"• {sentence}", align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1)
    for chart in brief.charts:
        pdf.ln(2)
        pdf.image(io.BytesIO(chart), w=width)
    if len(brief.table) > 1:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11.5)
        pdf.cell(width, 7, brief.table_title, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8)
        widths = _column_widths(brief.table)
        with pdf.table(text_align="LEFT", line_height=4.4, padding=1.2, col_widths=widths,
                       headings_style=FontFace(emphasis="BOLD", fill_color=(230, 230, 230))) as table:
            for values in brief.table:
                row = table.row()
                for value in values:
                    row.cell(value)
        if brief.table_note:
            pdf.set_font("DejaVu", "", 7.5)
            pdf.multi_cell(width, 4, brief.table_note, align="L", new_x="LMARGIN", new_y="NEXT")
    if brief.events:
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11.5)
        pdf.cell(width, 7, i18n.t("events.heading", lang), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        for line in brief.events:
            pdf.multi_cell(width, 4.8, f"• {line}", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 11.5)
    pdf.cell(width, 7, _t("method", lang), new_x="LMARGIN", new_y="NEXT")
    for label, text in brief.details:
        pdf.set_font("DejaVu", "B", 8.5)
        pdf.multi_cell(width, 4.4, label, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8.5)
        pdf.multi_cell(width, 4.4, text, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(0.8)
    if brief.annex_intro:
        pdf.ln(4)
        pdf.set_font("DejaVu", "B", 11.5)
        pdf.multi_cell(width, 7, _t("annex.title", lang), align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 8.5)
        pdf.multi_cell(width, 4.4, brief.annex_intro, align="L", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
        for label, text in brief.annex:
            pdf.set_font("DejaVu", "B", 8)
            pdf.multi_cell(width, 4.2, label, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font("DejaVuMono", "", 7.5)
            pdf.multi_cell(width, 4.2, text, align="L", new_x="LMARGIN", new_y="NEXT")
            pdf.ln(0.8)
    return bytes(pdf.output())


def to_docx(brief: Brief) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.shared import Cm, Pt, RGBColor

    lang = brief.request.lang
    document = Document()
    document.core_properties.title = brief.title
    document.core_properties.author = "Terrain"
    document.core_properties.language = lang
    style = document.styles["Normal"]
    style.font.name = "DejaVu Sans"
    style.font.size = Pt(10)
    section = document.sections[0]
    section.left_margin = section.right_margin = Cm(2)
    if brief.marker:
        for part in (section.header, section.footer):
            paragraph = part.paragraphs[0]
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = paragraph.add_run(brief.marker)
            run.bold = True
            run.font.color.rgb = RGBColor(0xB3, 0, 0)
    document.add_heading(brief.title, level=0)
    document.add_paragraph(brief.subtitle)
    document.add_paragraph().add_run(brief.recipient).bold = True
    document.add_paragraph(brief.intro)
    document.add_heading(_t("key_figures", lang), level=1)
    for sentence in brief.sentences:
        document.add_paragraph(sentence, style="List Bullet")
    for chart in brief.charts:
        document.add_picture(io.BytesIO(chart), width=Cm(17))
    if len(brief.table) > 1:
        document.add_heading(brief.table_title, level=1)
        table = document.add_table(rows=0, cols=len(brief.table[0]))
        table.style = "Light Grid Accent 1"
        table.autofit = False
        widths = [Cm(17 * share / sum(_column_widths(brief.table))) for share in _column_widths(brief.table)]
        for column, width in zip(table.columns, widths):
            column.width = width                  # the grid, which LibreOffice reads
        for values in brief.table:
            cells = table.add_row().cells
            for cell, value, width in zip(cells, values, widths):
                cell.width = width                # each cell, which Word reads
                cell.text = value
                for paragraph in cell.paragraphs:
                    for run in paragraph.runs:
                        run.font.size = Pt(8.5)
        if brief.table_note:
            document.add_paragraph().add_run(brief.table_note).font.size = Pt(8)
    if brief.events:
        document.add_heading(i18n.t("events.heading", lang), level=1)
        for line in brief.events:
            document.add_paragraph(line, style="List Bullet")
    document.add_heading(_t("method", lang), level=1)
    for label, text in brief.details:
        paragraph = document.add_paragraph()
        paragraph.add_run(_labelled(label, "", lang)).bold = True
        paragraph.add_run(text)
        paragraph.paragraph_format.space_after = Pt(3)
    if brief.annex_intro:
        document.add_heading(_t("annex.title", lang), level=1)
        document.add_paragraph().add_run(brief.annex_intro).font.size = Pt(9)
        for label, text in brief.annex:
            paragraph = document.add_paragraph()
            paragraph.add_run(_labelled(label, "", lang)).bold = True
            code = paragraph.add_run(text)
            code.font.name, code.font.size = "DejaVu Sans Mono", Pt(8)
            paragraph.paragraph_format.space_after = Pt(3)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _refusal_reason(problem: ledger.Problem, lang: str) -> str:
    month = _capitalised(i18n.format_month(problem.month, lang))
    if problem.kind == "inconsistent":
        return _t("public.refused_inconsistent", lang, month=month)
    measure = i18n.t(f"common.published_measure.{problem.measure}", lang)
    city = problem.city if problem.city != publication.ALL_CITIES else _t("all_cities", lang)
    low, high = (i18n.format_number(n, lang) for n in problem.figures)
    if problem.kind == "revised":
        return _t("public.refused_revised", lang, measure=measure, city=city, month=month, before=low, now=high)
    return _t("public.refused_narrowed", lang, measure=measure, city=city, month=month, low=low, high=high)


def render(brief: Brief) -> bytes:
    return to_pdf(brief) if brief.request.format == "pdf" else to_docx(brief)


def file_name(request: Request, brief: Brief | None = None) -> str:
    """"terrain_note_cold_exclusion_internal_fr_calais_2024-01-08_2024-01-21.pdf"; a public
    brief is named after the place and whole months it shows
    ("terrain_note_cold_exclusion_public_fr_pas-de-calais-62_2024-01-01_2024-01-31.pdf")."""
    where, start, end = (brief.covers if brief is not None and brief.covers is not None
                         else (request.city or "all", request.start, request.end))
    return exports.export_filename(f"note_{request.rule}_{request.audience}_{request.lang}", where, start, end,
                                   request.format)


@dataclass(frozen=True)
class Produced:
    content: bytes
    file_name: str
    sha256: str
    mime_type: str
    brief: Brief


def produce(con: duckdb.DuckDBPyConnection, request: Request, config: alerts.Config, *, user: str, via: str,
            config_name: str = "config/alerts.toml") -> Produced:
    """Compose, render and record a brief: the log entry (and, for the public, the release
    ledger's) is written before the file is handed over, so no brief leaves without its
    trace. BriefRefused when a public brief would give a hidden cell away with what was
    released before, or holds no published month, or when its trace cannot be written."""
    brief = compose(con, request, config, config_name=config_name)
    content = render(brief)
    digest = hashlib.sha256(content).hexdigest()
    name = file_name(request, brief)
    if brief.released is not None:
        try:
            ledger.record(brief.released, what=f"brief {name}", user=user, audience=PUBLIC,
                          data_as_of=brief.data_as_of, dataset_name=brief.dataset_name,
                          k=publication.threshold(PUBLIC))
        except ledger.ReleaseRefused as refusal:
            why = " ".join(_refusal_reason(problem, request.lang) for problem in refusal.problems)
            raise BriefRefused(_t("public.refused", request.lang, why=why)) from None
        except (OSError, duckdb.Error) as error:
            raise _unrecorded(ledger.ledger_path(), error, request.lang) from None
    parameters = {**dataclasses.asdict(request), "recipient": request.recipient_type,
                  "thresholds": dict(config[request.rule]), "definitions": _definitions_used(),
                  "queries": brief.provenance, "config": config_name}
    _, first, last = brief.covers or (None, request.start, request.end)
    try:
        audit.record_brief(user=user, via=via, parameters=parameters, entry={
            "rule": request.rule, "period_start": first, "period_end": last, "city": request.city,
            "lang": request.lang, "audience": request.audience, "threshold": request.threshold,
            "format": request.format, "recipient": request.recipient_type, "file_name": name, "sha256": digest,
            "data_as_of": brief.data_as_of, "dataset_name": brief.dataset_name})
    except (OSError, duckdb.Error) as error:
        raise _unrecorded(audit.audit_path(), error, request.lang) from None
    return Produced(content, name, digest, MIME_TYPES[request.format], brief)


def _unrecorded(path: Path, error: BaseException, lang: str) -> BriefRefused:
    """A brief whose log entry (or release record) cannot be written is not handed over: no
    brief leaves without its trace. One line: the file and the first line of the reason."""
    return BriefRefused(_t("unrecorded", lang, file=path.name, reason=store.reason(error)))
