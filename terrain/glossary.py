"""The programme's definitions in words (French and English), for the Glossary page, the
help of each figure and the briefs: composed from terrain/definitions.py and
config/definitions.toml, so that the words always say what the queries count."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from terrain import definitions, i18n


def season_text(lang: str) -> str:
    """"1er novembre – 31 mars" / "1 November – 31 March"."""
    return f"{season_first_text(lang)} – {season_last_text(lang)}"


def season_first_text(lang: str) -> str:
    """"1er novembre" / "1 November"."""
    return i18n.format_day_month(dt.date(2001, *definitions.SEASON_FIRST_DAY), lang)


def season_last_text(lang: str) -> str:
    """"31 mars" / "31 March"."""
    return i18n.format_day_month(dt.date(2002, *definitions.SEASON_LAST_DAY), lang)


def _celsius(value: float, lang: str) -> str:
    number = i18n.format_number(int(value), lang) if float(value).is_integer() else i18n.format_decimal(value, lang, 1)
    return f"{number}\u00a0°C"


def cold_night_text(lang: str, cold: definitions.ColdNight | None = None) -> str:
    """"température minimale de 0 °C ou moins, ou vigilance grand froid orange ou rouge"."""
    cold = cold or definitions.load().cold_night
    text = i18n.t("glossary.words.cold_night", lang, tmin=_celsius(cold.tmin_at_most, lang))
    if cold.vigilance:
        colours = i18n.t("glossary.words.or", lang).join(
            i18n.label("vigilance_colour", c, lang).lower() for c in cold.vigilance)
        text += i18n.t("glossary.words.vigilance", lang, colours=colours)
    return text


def minor_age_text(lang: str) -> str:
    """"0-14 ans ou 15-17 ans": the age bands of a minor."""
    return i18n.t("glossary.words.or", lang).join(i18n.label("age_band", band, lang)
                                                  for band in definitions.MINOR_AGE_BANDS)


def _values(lang: str) -> dict[str, str]:
    return {"season": season_text(lang), "cold_night": cold_night_text(lang), "minor_ages": minor_age_text(lang),
            "season_first": season_first_text(lang), "season_last": season_last_text(lang)}


@dataclass(frozen=True)
class Entry:
    term: str
    definition: str
    standard: str      # where the definition comes from ("" when it is the programme's own)


# The Glossary's entries, in reading order; the locale keys glossary.<key>.term/.definition/.standard.
TERMS = ("season", "cold_night", "winter_gap", "minor", "unaccompanied_minor", "girl", "night_at_capacity",
         "city_night_at_capacity", "occupancy", "refusals", "cold_related_share", "no_coverage_share",
         "vaccination_coverage", "sphere_measles", "outbreak_signal", "small_counts")


def entries(lang: str) -> list[Entry]:
    values = _values(lang)
    found = []
    for key in TERMS:
        found.append(Entry(i18n.t(f"glossary.{key}.term", lang), definition(key, lang, values),
                           i18n.t(f"glossary.{key}.standard", lang)))
    return found


def definition(key: str, lang: str, values: dict[str, str] | None = None) -> str:
    """One term's definition in words (the help of a figure that counts it)."""
    values = values or _values(lang)
    return i18n.t(f"glossary.{key}.definition", lang, **values)
