"""Interface text and locale formatting: French first, English alongside.

Every word the interface shows comes from one catalogue, the TOML files in terrain/locales/,
one file per area of the app. The key `title` in `overview.toml` is `"overview.title"`;
nested tables give dotted keys (`[site_type.camp]` in common.toml is
`"common.site_type.camp"`). An entry is a table of one text per language:

    [turned_away]
    fr = "{n} personnes refoulées"
    en = "{n} people turned away"

Placeholders are str.format named fields, the same in both languages (tests/test_i18n.py
checks every file, and every key the code uses). Numbers and dates are formatted by Babel
with the fr_FR and en_GB conventions.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import string
import tomllib
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Mapping

import babel.dates
import babel.numbers
from babel import Locale

LANGUAGES = ("fr", "en")
LOCALES_DIR = Path(__file__).with_name("locales")
_BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}
DATE_FORMATS = ("long", "medium", "short")


class CatalogueError(ValueError):
    """A locales file cannot be read as a catalogue."""


# --- the catalogue ---------------------------------------------------------------------

def _flatten(table: Mapping[str, Any], prefix: str, entries: dict[str, dict[str, str]],
             source: str) -> None:
    # In a table, text values are translations of the table's own key and sub-tables are
    # child keys: `[site_type]` can carry the category's name while `[site_type.camp]`
    # carries a value's.
    texts = {}
    for name, value in table.items():
        key = f"{prefix}.{name}"
        if isinstance(value, dict):
            _flatten(value, key, entries, source)
        elif isinstance(value, str):
            if name not in LANGUAGES:
                raise CatalogueError(
                    f"{source}: {prefix!r} has text under {name!r}; languages are {', '.join(LANGUAGES)}.")
            texts[name] = value
        else:
            raise CatalogueError(f"{source}: {key!r} is {type(value).__name__}; expected text or a table.")
    if texts:
        entries[prefix] = texts


def load_catalogue(directory: Path = LOCALES_DIR) -> dict[str, dict[str, str]]:
    """Read every *.toml file of `directory` into {key: {language: text}}."""
    entries: dict[str, dict[str, str]] = {}
    for path in sorted(Path(directory).glob("*.toml")):
        area = path.stem
        if not area.isidentifier():
            raise CatalogueError(f"{path.name}: the file name must be a plain word (it prefixes the keys).")
        try:
            table = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as error:
            raise CatalogueError(f"{path.name}: {error}") from error
        _flatten(table, area, entries, path.name)
    return entries


@functools.cache
def catalogue() -> dict[str, dict[str, str]]:
    """The catalogue of terrain/locales/, read once per process."""
    return load_catalogue(LOCALES_DIR)


def placeholders(text: str) -> set[str]:
    """The named fields of a str.format text ("{n} nuits" -> {"n"}); "" for a positional one."""
    return {field.split(".")[0].split("[")[0]
            for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def problems(entries: Mapping[str, Mapping[str, str]]) -> list[str]:
    """What is wrong with a catalogue: missing or empty translations, placeholders that
    differ between languages or are not named. Empty when the catalogue is complete."""
    found = []
    for key, texts in sorted(entries.items()):
        for lang in LANGUAGES:
            if not texts.get(lang, "").strip():
                found.append(f"{key}: no {lang} text")
        try:
            fields = {lang: placeholders(text) for lang, text in texts.items()}
        except ValueError as error:
            found.append(f"{key}: unreadable placeholder ({error})")
            continue
        if any("" in names or any(name.isdigit() for name in names) for names in fields.values()):
            found.append(f"{key}: placeholders must be named, like {{n}}")
        if len({frozenset(names) for names in fields.values()}) > 1:
            found.append(f"{key}: placeholders differ between languages: "
                         + "; ".join(f"{lang} {sorted(names)}" for lang, names in fields.items()))
    return found


def _check_language(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"Unknown language {lang!r}; expected one of {', '.join(LANGUAGES)}.")


def t(key: str, lang: str, **values: Any) -> str:
    """The text of `key` in `lang`, with its placeholders filled from `values`."""
    _check_language(lang)
    entries = catalogue()
    if key not in entries:
        raise KeyError(key)
    texts = entries[key]
    if lang not in texts:
        raise KeyError(f"{key} [{lang}]")
    try:
        return texts[lang].format_map(values)
    except KeyError as missing:
        raise KeyError(f"{key} needs a value for {{{missing.args[0]}}}") from None


def label(category: str, value: str, lang: str) -> str:
    """The name of a category value: label("activity", "mental_health", "fr") -> "Santé mentale"."""
    return t(f"common.{category}.{value}", lang)


# --- plurals ------------------------------------------------------------------------------
# A text that depends on a count has one sub-key per CLDR plural category its languages use
# ("one", "other"; French also has "many", for round millions), falling back to "other":
#
#     [more_places.one]
#     fr = "{n} autre lieu"
#     en = "{n} other place"
#     [more_places.other]
#     fr = "{n} autres lieux"
#     en = "{n} other places"

def plural_category(x: Any, lang: str, digits: int = 0) -> str:
    """The CLDR plural category of a number as it is shown with `digits` decimals: French
    takes the singular below 2 ("0 nuit", "1 nuit", "1,5 nuit"), English for exactly one
    ("1 night", "0 nights", "1.5 nights"; "1.0 nights", shown with a decimal)."""
    return Locale.parse(_babel_locale(lang)).plural_form(_rounded(x, digits))


def plural_key(key: str, x: Any, lang: str, digits: int = 0) -> str:
    """The sub-key of `key` for the number `x` in `lang`: "briefs.more_places.one"."""
    category = plural_category(x, lang, digits)
    return f"{key}.{category}" if f"{key}.{category}" in catalogue() else f"{key}.other"


def t_plural(key: str, x: Any, lang: str, digits: int = 0, **values: Any) -> str:
    """The text of `key` for the number `x`, its placeholder {n} filled with `x` as the
    locale writes it (unless given): t_plural("briefs.more_places", 1, "fr") -> "1 autre lieu"."""
    values.setdefault("n", format_decimal(x, lang, digits))
    return t(plural_key(key, x, lang, digits), lang, **values)


# --- numbers -----------------------------------------------------------------------------

def _babel_locale(lang: str) -> str:
    _check_language(lang)
    return _BABEL_LOCALES[lang]


def _rounded(x: Any, digits: int) -> Decimal:
    # Half up, as the spreadsheets readers check our figures against do (Babel alone rounds
    # half to even: 2.5 -> 2). str() first, so 0.145 rounds as the 0.145 it was written as.
    try:
        value = Decimal(str(x))
    except InvalidOperation:
        value = Decimal("NaN")
    if not value.is_finite():
        raise ValueError(f"No number to format ({x!r}): a missing or suppressed value is shown as such.")
    # Adding zero turns a rounded "-0" into "0": -0.4 people is no one, not a negative.
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP) + 0


def _with_fraction(pattern: str, digits: int) -> str:
    if digits < 0:
        raise ValueError("digits must be 0 or more.")
    if "#,##0" not in pattern:
        raise ValueError(f"Unexpected number pattern {pattern!r}.")
    return pattern.replace("#,##0", "#,##0." + "0" * digits if digits else "#,##0", 1)


def format_number(x: Any, lang: str) -> str:
    """A whole number with the locale's grouping: 1234567 -> "1 234 567" (narrow no-break
    spaces) / "1,234,567"."""
    return format_decimal(x, lang, digits=0)


def format_decimal(x: Any, lang: str, digits: int = 1) -> str:
    """A number with exactly `digits` decimals: 1234.56 -> "1 234,6" / "1,234.6"."""
    locale = _babel_locale(lang)
    pattern = _with_fraction("#,##0", digits)
    return babel.numbers.format_decimal(_rounded(x, digits), format=pattern, locale=locale)


def shown_above(ratio: Any, limit: float = 1.0, digits: int = 0) -> bool:
    """Whether a ratio, as format_percent shows it with `digits`, is above `limit` (1.004 is
    shown "100 %": not above 100 %)."""
    try:
        return _rounded(ratio, digits + 2) > _rounded(limit, digits + 2)
    except ValueError:   # a missing or hidden ratio is not shown at all
        return False


def format_percent(ratio: Any, lang: str, digits: int = 0, *, signed: bool = False,
                   points: bool = False) -> str:
    """A ratio as a percentage: 0.125 -> "13 %" (no-break space) / "13%".

    signed: a rise gets a "+" ("+13 %"), for changes. points: the ratio is a difference
    between two percentages, shown in percentage points (0.03 -> "3 pts" / "3 pp")."""
    value = _rounded(ratio, digits + 2)
    if points:
        text = t("common.percentage_points", lang, value=format_decimal(value * 100, lang, digits))
    else:
        locale = _babel_locale(lang)
        pattern = _with_fraction(Locale.parse(locale).percent_formats[None].pattern.split(";")[0], digits)
        text = babel.numbers.format_percent(value, format=pattern, locale=locale)
    return f"+{text}" if signed and value > 0 else text


# --- dates -------------------------------------------------------------------------------

def _day_pattern(day: dt.date, lang: str) -> str:
    # French writes the first of the month as an ordinal ("1er janvier"); CLDR does not.
    return "d'er'" if lang == "fr" and day.day == 1 else "d"


def _day_and_month(day: dt.date, lang: str, *, year: bool) -> str:
    pattern = f"{_day_pattern(day, lang)} MMMM" + (" y" if year else "")
    return babel.dates.format_date(day, pattern, locale=_babel_locale(lang))


def format_day_month(day: dt.date, lang: str) -> str:
    """"1er novembre" / "1 November": a day of any year."""
    return _day_and_month(day, lang, year=False)


def _day(day: dt.date, lang: str) -> str:
    return babel.dates.format_date(day, _day_pattern(day, lang), locale=_babel_locale(lang))


def format_date(d: dt.date, lang: str, format: str = "long") -> str:
    """"8 janvier 2024" / "8 January 2024" (long), "8 janv. 2024" / "8 Jan 2024" (medium),
    "08/01/2024" (short, both)."""
    if format not in DATE_FORMATS:
        raise ValueError(f"Unknown date format {format!r}; expected one of {', '.join(DATE_FORMATS)}.")
    if format == "long":
        return _day_and_month(d, lang, year=True)
    return babel.dates.format_date(d, format, locale=_babel_locale(lang))


def format_month(d: dt.date, lang: str, short: bool = False) -> str:
    """"janvier 2024" / "January 2024"; short: "janv. 2024" / "Jan 2024"."""
    return babel.dates.format_date(d, "LLL y" if short else "LLLL y", locale=_babel_locale(lang))


def format_period(start: dt.date, end: dt.date, lang: str) -> str:
    """A period in words, repeating only what changes:
    "du 8 au 21 janvier 2024" / "8–21 January 2024",
    "du 8 janvier au 3 février 2024" / "8 January – 3 February 2024",
    "du 8 janvier 2024 au 3 janvier 2025" / "8 January 2024 – 3 January 2025"."""
    _check_language(lang)
    if end < start:
        raise ValueError(f"The period ends ({end}) before it starts ({start}).")
    if start == end:
        single = format_date(start, lang)
        return f"le {single}" if lang == "fr" else single
    if (start.year, start.month) == (end.year, end.month):
        first = _day(start, lang)
    elif start.year == end.year:
        first = _day_and_month(start, lang, year=False)
    else:
        first = _day_and_month(start, lang, year=True)
    last = _day_and_month(end, lang, year=True)
    if lang == "fr":
        return f"du {first} au {last}"
    separator = "–" if (start.year, start.month) == (end.year, end.month) else " – "
    return f"{first}{separator}{last}"


# --- table cells ---------------------------------------------------------------------------

MINUS = "\u2212"   # the minus sign: "−0,3", not the hyphen of "-0,3"
TABLE_DATE_FORMAT = "medium"   # the one style of a date in a table: "1 déc. 2026" / "1 Dec 2026"


def with_minus_sign(text: str) -> str:
    """"-0,3" -> "−0,3": Babel writes the hyphen-minus of CLDR; a table shows the minus sign."""
    return MINUS + text[1:] if text.startswith("-") else text


def format_table_date(value: Any, lang: str) -> str:
    """A day as every table shows it: "1 déc. 2026" / "1 Dec 2026"; a time only when there is
    one ("1 déc. 2026 14:30"), never "00:00:00"."""
    stamp = value if isinstance(value, dt.datetime) else None
    if hasattr(value, "to_pydatetime"):   # pandas Timestamp
        stamp = value.to_pydatetime()
    day = stamp.date() if stamp is not None else value
    text = format_date(day, lang, TABLE_DATE_FORMAT)
    if stamp is not None and stamp.time() != dt.time(0, 0):
        text += " " + babel.dates.format_time(stamp, "HH:mm", locale=_babel_locale(lang))
    return text


def format_cell(value: Any, kind: str, lang: str, digits: int = 1) -> str:
    """One table cell as the reader's language writes it. `kind` is what the column holds:
    "integer" (1 234), "decimal" (−0,3, with `digits`), "percent" (a ratio: 95,9 %), "date",
    "bool" (Oui / Non) or "text". A missing value is empty: a hidden count is marked by the
    caller, which knows why it is missing."""
    if value is None or (not isinstance(value, str) and _is_missing(value)):
        return ""
    if kind == "integer":
        return with_minus_sign(format_number(value, lang))
    if kind == "decimal":
        return with_minus_sign(format_decimal(value, lang, digits))
    if kind == "percent":
        return with_minus_sign(format_percent(value, lang, digits))
    if kind == "date":
        return format_table_date(value, lang)
    if kind == "bool":
        return t("common.yes_no_unknown.yes" if value else "common.yes_no_unknown.no", lang)
    return str(value)


def _is_missing(value: Any) -> bool:
    try:
        return bool(value != value)  # noqa: PLR0124 -- NaN and NaT differ from themselves; pandas.NA raises
    except TypeError:
        return True


def format_duration(seconds: float, lang: str) -> str:
    """A wait in words, rounded to its largest unit: 40 -> "40 secondes" / "40 seconds",
    130 -> "2 minutes"."""
    return babel.dates.format_timedelta(dt.timedelta(seconds=seconds), threshold=1,
                                        locale=_babel_locale(lang))


def format_time_limit(seconds: float, lang: str) -> str:
    """A time limit in words: from a second up as `format_duration` says it; a limit under a
    second written out ("0,2 s"), never rounded to "0 secondes"."""
    if seconds >= 1:
        return format_duration(seconds, lang)
    return f"{format_decimal(seconds, lang, digits=max(1, -math.floor(math.log10(seconds))))}\u00a0s"
