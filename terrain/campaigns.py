"""A vaccination campaign's target ages as age bands, read from the words that state them.

A campaign states its target in words ("6 mois – 15 ans / 6 months – 15 years"); coverage
counts the doses given in its target age bands only (queries/vaccinations_by_campaign.sql),
so each campaign also holds them as bands (`vaccination_campaigns.target_age_bands`). Files
written before the bands existed get them from their words when they are upgraded
(terrain/upgrades.py), and so do the demo's campaigns that do not name them.

A band is a target when every age of it lies in the stated target: "6 mois – 15 ans" is
0-14 (the 15-17 band also holds 16- and 17-year-olds, who are not), "15 ans et plus" is
15-17 to 35+. When no band lies wholly inside (a target of "16-17 ans"), the bands that
overlap it are taken. "unknown" is not an age: it is never a target band.
"""

from __future__ import annotations

import math
import re

# The known age bands of the schema's age_band type, as ages in whole years (inclusive).
BAND_YEARS: dict[str, tuple[int, float]] = {
    "0-14": (0, 14), "15-17": (15, 17), "18-24": (18, 24), "25-34": (25, 34), "35+": (35, math.inf),
}
KNOWN_BANDS = tuple(BAND_YEARS)

_MONTHS = r"(?:mois|months?)"
_YEARS = r"(?:ans?|years?)"
_UNIT = rf"(?:{_MONTHS}|{_YEARS})"
_TO = r"(?:-|–|—|à|a|to)"
# "6 mois – 15 ans", "15–17 ans", "6-59 months": the unit after the second number is needed,
# so that a span of calendar years ("2016-2017") is never read as ages.
_RANGE = re.compile(rf"(\d+)\s*({_UNIT})?\s*{_TO}\s*(\d+)\s*({_UNIT})")
_AND_OVER = re.compile(rf"(\d+)\s*{_YEARS}?\s*(?:et plus|ou plus|and over|and older|or older|or more|\+)")
_OVER = re.compile(rf"(?:plus de|over|above|older than)\s*(\d+)\s*{_YEARS}")
_UNDER = re.compile(rf"(?:moins de|under|below|younger than)\s*(\d+)\s*{_YEARS}")
_WORDS = ((re.compile(r"\bmineur|\bminor"), (0, 17)), (re.compile(r"\badulte|\badult"), (18, math.inf)),
          (re.compile(r"tous (?:les )?âges|tout âge|all ages|whole population|toute la population"), (0, math.inf)))


def _years(number: str, unit: str | None) -> float:
    """An age in whole years: months count as the year they fall in (59 months is 4 years)."""
    value = int(number)
    return value // 12 if unit and re.fullmatch(_MONTHS, unit) else value


def stated_ranges(words: str) -> list[tuple[float, float]]:
    """The age ranges (first and last year of age, inclusive) the words state."""
    text = " ".join(words.casefold().split())
    ranges = [(_years(low, low_unit or high_unit), _years(high, high_unit))
              for low, low_unit, high, high_unit in _RANGE.findall(text)]
    ranges += [(int(n), math.inf) for n in _AND_OVER.findall(text)]
    ranges += [(int(n) + 1, math.inf) for n in _OVER.findall(text)]
    ranges += [(0, int(n) - 1) for n in _UNDER.findall(text)]
    ranges += [span for pattern, span in _WORDS if pattern.search(text)]
    return [(low, high) for low, high in ranges if low <= high]


def bands_in_words(words: str | None) -> tuple[str, ...] | None:
    """The known age bands a campaign's target ages in words stand for, in the bands' order;
    None when the words state no age that can be read."""
    ranges = stated_ranges(words or "")
    if not ranges:
        return None
    inside = [band for band, (first, last) in BAND_YEARS.items()
              if any(low <= first and last <= high for low, high in ranges)]
    if inside:
        return tuple(inside)
    overlapping = [band for band, (first, last) in BAND_YEARS.items()
                   if any(low <= last and first <= high for low, high in ranges)]
    return tuple(overlapping) or None
