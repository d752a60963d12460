"""A campaign's target ages in words, read as the age bands its coverage counts."""

import pytest

from terrain import campaigns


@pytest.mark.parametrize("words,bands", [
    # Sphere's measles campaign: 6 months to 15 years. 15-17 also holds 16- and 17-year-olds,
    # who are not targeted: only 0-14 lies wholly inside.
    ("6 mois – 15 ans / 6 months – 15 years", ("0-14",)),
    ("6 mois - 15 ans", ("0-14",)),
    ("15–17 ans, rattrapage / 15–17 years, catch-up", ("15-17",)),
    ("mineurs non accompagnés / unaccompanied minors", ("0-14", "15-17")),
    ("15 ans et plus / 15 years and over", ("15-17", "18-24", "25-34", "35+")),
    ("18+", ("18-24", "25-34", "35+")),
    ("adultes", ("18-24", "25-34", "35+")),
    ("tous âges", ("0-14", "15-17", "18-24", "25-34", "35+")),
    ("6-59 months", ("0-14",)),                      # months count as the year they fall in
    # no band wholly inside: those that overlap the target
    ("16-17 ans", ("15-17",)),
    ("moins de 5 ans", ("0-14",)),
    # no age that can be read: a span of calendar years is not one
    ("campagne 2016-2017", None),
    ("rattrapage", None),
    ("", None),
])
def test_target_ages_in_words_as_bands(words, bands):
    assert campaigns.bands_in_words(words) == bands


def test_unknown_is_never_a_target_band():
    assert "unknown" not in campaigns.KNOWN_BANDS
    assert all("unknown" not in (campaigns.bands_in_words(w) or ()) for w in ("tous âges", "âge inconnu", "unknown"))
