"""Plural rules (terrain.i18n.plural_category, t_plural): CLDR's, through Babel. French takes
the singular below 2 ("0 nuit", "1 nuit", "1,5 nuit"), English for exactly one ("0 nights",
"1 night", "1.5 nights"); a number is counted as it is shown ("1.0 nights")."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from terrain import briefs, i18n
from terrain.charts import alerts as alert_charts


@pytest.mark.parametrize("x, digits, fr, en", [
    (0, 0, "one", "other"),
    (1, 0, "one", "one"),
    (2, 0, "other", "other"),
    (1.5, 1, "one", "other"),
    (1.0, 1, "one", "other"),         # "1,0 nuit" / "1.0 nights": shown with a decimal
    (1.4, 0, "one", "one"),           # shown "1"
    (1.6, 0, "other", "other"),       # shown "2"
    (1_000_000, 0, "many", "other"),  # "1 000 000 de nuits"
])
def test_plural_category(x, digits, fr, en):
    assert (i18n.plural_category(x, "fr", digits), i18n.plural_category(x, "en", digits)) == (fr, en)


@pytest.mark.parametrize("n, fr, en", [
    (0, "0 autre lieu", "0 other places"),
    (1, "1 autre lieu", "1 other place"),
    (2, "2 autres lieux", "2 other places"),
    (1_000_000, "1\u202f000\u202f000 autres lieux", "1,000,000 other places"),   # "many" falls back to "other"
])
def test_t_plural_picks_the_form_and_writes_the_number(n, fr, en):
    said = {lang: i18n.t_plural("briefs.more_places", n, lang) for lang in i18n.LANGUAGES}
    assert said == {"fr": f"Le tableau ci-dessous donne aussi les épisodes de {fr}.",
                    "en": f"The table below also lists the episodes of {en}."}


@pytest.mark.parametrize("n, unit, fr, en", [
    (0, "night", "0 nuit", "0 nights"),
    (1, "night", "1 nuit", "1 night"),
    (2, "night", "2 nuits", "2 nights"),
    (1, "cold_night", "1 nuit de froid", "1 cold night"),
    (3, "cold_night", "3 nuits de froid", "3 cold nights"),
    (1, "person", "1 personne", "1 person"),
    (1, "refusal", "1 refus", "1 refusal"),
    (2, "refusal", "2 refus", "2 refusals"),
])
def test_counts_with_their_unit_in_briefs_and_on_the_alerts_page(n, unit, fr, en):
    assert (briefs._noun(n, unit, "fr"), briefs._noun(n, unit, "en")) == (fr, en)
    assert (alert_charts._noun(n, unit, "fr"), alert_charts._noun(n, unit, "en")) == (fr, en)


@given(st.integers(min_value=0, max_value=10**9))
def test_whole_numbers_follow_the_two_rules(n):
    fr, en = i18n.plural_category(n, "fr"), i18n.plural_category(n, "en")
    assert (fr == "one") == (n < 2) and fr in ("one", "many", "other")
    assert en == ("one" if n == 1 else "other")


@given(st.decimals(min_value=0, max_value=10**6, places=1, allow_nan=False))
def test_a_decimal_is_counted_as_it_is_shown(x):
    # French: singular while the whole part is 0 or 1; English never with a decimal shown.
    assert (i18n.plural_category(x, "fr", 1) == "one") == (x < 2)
    assert i18n.plural_category(x, "en", 1) == "other"
