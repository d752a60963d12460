"""Advocacy alerts: the episode logic, each rule on a small hand-built database with the
episodes worked out by hand, the thresholds file, the command line, what an audience sees,
and the alerts page (AppTest) for each role.

Each hand-built database holds only what its rule reads; dates are chosen so that weeks
start on Mondays (1 January 2024 is a Monday).
"""

import copy
import datetime as dt
import json
import tomllib

import pandas as pd
import pytest

from terrain import SCHEMA_VERSION, alerts, audit, briefs, definitions, i18n, store
from terrain.cli import alerts as alerts_cli
from terrain.disclosure import ledger, publication
from tests import fixture_data
from tests.apptest import run_page

D = dt.date
CONFIG = alerts.load_config()


def settings(rule, **changes):
    config = copy.deepcopy(CONFIG)
    config[rule].update(changes)
    return config


def days(first, last):
    return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]




def site(site_id, city, site_type, beds=None, focus="mixed", opened=D(2020, 1, 1), closed=None):
    commune = {"Calais": "62193", "Pantin": "93055", "Grande-Synthe": "59271", "Marseille": "13055"}[city]
    return (site_id, site_id.replace("_", " ").title(), city, commune, commune[:2], site_type, 48.9, 2.4, beds, focus,
            opened, closed)


def consultation(day, site_id, *, minor="no", diagnosis="other", coverage="AME"):
    age = "15-17" if minor == "yes" else "25-34"
    return (day, site_id, "medical", "new", age, "M", minor, diagnosis, coverage, False)


def build(path, *, sites, as_of, nights=(), weather=(), consultations=(), synthetic=True):
    """A database with the rows given; `nights` are (site, night, beds, occupied, turned away,
    minors, girls), `weather` (city, day, tmin, vigilance)."""
    with store.new_database(path) as con:
        con.execute("INSERT INTO metadata VALUES (1, 'alerts test', $synthetic, $as_of, $version, $created)",
                    {"synthetic": synthetic, "as_of": as_of, "version": SCHEMA_VERSION,
                     "created": dt.datetime(2024, 1, 1)})
        con.executemany("INSERT INTO sites VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", list(sites))
        inserts = (
            ("INSERT INTO shelter_nights SELECT * FROM new_rows", list(nights)),
            ("INSERT INTO consultations SELECT * FROM new_rows", list(consultations)),
            ("INSERT INTO weather_daily SELECT * FROM new_rows", [(c, d, t, t + 6, v) for c, d, t, v in weather]),
        )
        for statement, rows in inserts:
            if rows:
                con.register("new_rows", pd.DataFrame(rows))
                con.execute(statement)
                con.unregister("new_rows")
        publication.approve_through(con, as_of, "test", dt.datetime(2024, 1, 1))   # every whole month approved
    return path


def evaluate(path, config, start, end, rules):
    con = store.open_readonly(path)
    try:
        return alerts.evaluate(con, config, start, end, rules=rules)
    finally:
        con.close()


def spans(episodes):
    return [(e.place, e.start, e.end) for e in episodes]


# --- the episode logic ---------------------------------------------------------------------

T, F = True, False


@pytest.mark.parametrize("holds, clear_after, expected", [
    ([], 1, []),
    ([F, F, F], 1, []),
    ([T], 1, [(0, 0)]),
    ([T, T, T], 1, [(0, 2)]),
    ([F, T, T, F, F], 1, [(1, 2)]),
    # Fires once per episode, and a new episode starts after the condition has cleared.
    ([T, T, F, T, T], 1, [(0, 1), (3, 4)]),
    ([T, T, F, T, T], 2, [(0, 4)]),
    ([T, F, F, T], 2, [(0, 0), (3, 3)]),
    ([T, F, F, T], 3, [(0, 3)]),
    # Still under way at the end of the series: it ends on its last holding period.
    ([F, T, F], 5, [(1, 1)]),
    # Unknown is not holding.
    ([T, None, T], 1, [(0, 0), (2, 2)]),
    ([T, pd.NA, float("nan"), T], 3, [(0, 3)]),
])
def test_find_episodes(holds, clear_after, expected):
    assert alerts.find_episodes(holds, clear_after) == expected


def test_find_episodes_needs_a_clearing_period():
    with pytest.raises(ValueError):
        alerts.find_episodes([True], 0)


def test_period_arithmetic():
    assert alerts.period_start(D(2024, 1, 10), "week") == D(2024, 1, 8)
    assert alerts.period_end(D(2024, 2, 1), "month") == D(2024, 2, 29)
    # Whole weeks only: the week of 15 January ends on the 21st, after the 17th.
    assert alerts.periods_between(D(2024, 1, 3), D(2024, 1, 17), "week") == [D(2024, 1, 1), D(2024, 1, 8)]
    assert alerts.periods_between(D(2024, 1, 15), D(2024, 3, 30), "month") == [D(2024, 1, 1), D(2024, 2, 1)]


# --- shelter saturation ------------------------------------------------------------------------
#
# A 10-bed shelter in January 2024: full on 3, 4, 5, 6 January, then on 20, 22 (11: a
# mattress on the floor) and 24 January; 8 beds taken otherwise. Three full nights of the last seven: the condition
# holds 5–10 January and 24–26 January. The evidence runs from the first full night that
# counted to the last full night: 3–6 and 20–24 January.

SATURATION_FULL = {D(2024, 1, d): 10 for d in (3, 4, 5, 6, 20, 24)} | {D(2024, 1, 22): 11}
SATURATION_TURNED_AWAY = {D(2024, 1, 4): 2, D(2024, 1, 22): 3}


@pytest.fixture(scope="module")
def saturation_db(tmp_path_factory):
    nights = [("pantin_shelter", night, 10, SATURATION_FULL.get(night, 8), SATURATION_TURNED_AWAY.get(night, 0), 0, 0)
              for night in days(D(2024, 1, 1), D(2024, 1, 31))]
    return build(tmp_path_factory.mktemp("saturation") / "db.duckdb", as_of=D(2024, 1, 31), nights=nights,
                 sites=[site("pantin_shelter", "Pantin", "shelter", beds=10, focus="minors")])


def test_saturation_episodes_are_the_full_spells(saturation_db):
    episodes = evaluate(saturation_db, CONFIG, D(2024, 1, 1), D(2024, 1, 31), ["shelter_saturation"])
    assert spans(episodes) == [("Pantin Shelter", D(2024, 1, 3), D(2024, 1, 6)),
                               ("Pantin Shelter", D(2024, 1, 20), D(2024, 1, 24))]
    first, second = episodes
    assert (first.peak, first.peak_on) == (1.0, D(2024, 1, 3))
    assert first.figures["saturated_nights"] == 4 and first.figures["turned_away"] == 2
    assert (second.peak, second.peak_on) == (1.1, D(2024, 1, 22))
    assert (second.figures["nights"], second.figures["saturated_nights"], second.figures["turned_away"]) == (5, 3, 3)
    # The first cleared after 7 quiet nights; the second has had 5 (27–31 January).
    assert not first.active and second.active


def test_saturation_one_episode_when_clearing_takes_longer(saturation_db):
    # 13 nights without the condition (11–23 January): with 14 needed, the spell goes on.
    episodes = evaluate(saturation_db, settings("shelter_saturation", clear_after=14), D(2024, 1, 1),
                        D(2024, 1, 31), ["shelter_saturation"])
    assert spans(episodes) == [("Pantin Shelter", D(2024, 1, 3), D(2024, 1, 24))]
    assert episodes[0].figures["saturated_nights"] == 7
    assert episodes[0].active  # 27–31 January: 5 quiet nights, fewer than 14


def test_saturation_needs_enough_full_nights(saturation_db):
    episodes = evaluate(saturation_db, settings("shelter_saturation", saturated_nights=4), D(2024, 1, 1),
                        D(2024, 1, 31), ["shelter_saturation"])
    assert spans(episodes) == [("Pantin Shelter", D(2024, 1, 3), D(2024, 1, 6))]


def test_saturation_is_active_while_it_holds(saturation_db):
    episodes = evaluate(saturation_db, CONFIG, D(2024, 1, 1), D(2024, 1, 25), ["shelter_saturation"])
    assert [e.active for e in episodes] == [False, True]
    assert alerts.active_on(episodes, D(2024, 1, 25)) == episodes[1:]


# --- cold exclusion ------------------------------------------------------------------------------

def test_cold_exclusion_on_the_shared_fixture(fixture_db):
    episodes = evaluate(fixture_db, CONFIG, D(2023, 11, 1), fixture_data.AS_OF, ["cold_exclusion"])
    # Only Calais: the Pantin shelter turned people away on 5–7 January, at 4 °C.
    assert spans(episodes) == [("Abri d'urgence de Calais", D(2024, 1, 8), D(2024, 1, 16))]
    episode = episodes[0]
    assert (episode.peak, episode.peak_on) == (5, D(2024, 1, 8))
    assert episode.figures == {"nights": 9, "cold_nights": 9, "exclusion_nights": 9, "turned_away": 37,
                               "turned_away_minors": 3, "turned_away_girls": 0, "coldest_c": -3.0}


@pytest.fixture(scope="module")
def cold_db(tmp_path_factory):
    # A shelter in Calais, 1–14 January 2024. Cold nights: 2 and 3 (−2 °C), 5 (−1 °C), 10
    # (+2 °C but an orange vigilance). People turned away on 2, 3, 5 and 10 January, and on
    # the mild 12th (no alert).
    cold = {D(2024, 1, 2): -2.0, D(2024, 1, 3): -2.0, D(2024, 1, 5): -1.0}
    turned = {D(2024, 1, 2): 3, D(2024, 1, 3): 6, D(2024, 1, 5): 2, D(2024, 1, 10): 4, D(2024, 1, 12): 7}
    span = days(D(2024, 1, 1), D(2024, 1, 14))
    return build(tmp_path_factory.mktemp("cold") / "db.duckdb", as_of=D(2024, 1, 14),
                 sites=[site("calais_shelter", "Calais", "emergency_shelter", beds=40)],
                 nights=[("calais_shelter", n, 40, 40, turned.get(n, 0), 0, 0) for n in span],
                 weather=[("Calais", n, cold.get(n, 2.0), "orange" if n == D(2024, 1, 10) else "green")
                          for n in span])


def test_cold_exclusion_fires_once_per_spell_and_resets(cold_db):
    # A mild night (the 4th) does not end the spell when two are needed to clear it.
    episodes = evaluate(cold_db, CONFIG, D(2024, 1, 1), D(2024, 1, 14), ["cold_exclusion"])
    assert [(e.start, e.end, e.figures["turned_away"], e.peak) for e in episodes] == [
        (D(2024, 1, 2), D(2024, 1, 5), 11, 6), (D(2024, 1, 10), D(2024, 1, 10), 4, 4)]
    assert episodes[0].figures["cold_nights"] == 3 and episodes[0].figures["coldest_c"] == -2.0
    strict = evaluate(cold_db, settings("cold_exclusion", clear_after=1), D(2024, 1, 1), D(2024, 1, 14),
                      ["cold_exclusion"])
    assert [(e.start, e.end) for e in strict] == [
        (D(2024, 1, 2), D(2024, 1, 3)), (D(2024, 1, 5), D(2024, 1, 5)), (D(2024, 1, 10), D(2024, 1, 10))]


def test_cold_exclusion_thresholds(cold_db):
    # The cold night's definition is the one the connection holds (config/definitions.toml by
    # default): temperature only, here.
    con = store.open_readonly(cold_db)
    try:
        definitions.install(con, definitions.Definitions(definitions.ColdNight(0.0, ()), source="test"))
        temperature_only = alerts.evaluate(con, CONFIG, D(2024, 1, 1), D(2024, 1, 14), rules=["cold_exclusion"])
    finally:
        con.close()
    assert [(e.start, e.end) for e in temperature_only] == [(D(2024, 1, 2), D(2024, 1, 5))]
    four_or_more = evaluate(cold_db, settings("cold_exclusion", turned_away_at_least=4), D(2024, 1, 1),
                            D(2024, 1, 14), ["cold_exclusion"])
    assert [(e.start, e.end) for e in four_or_more] == [(D(2024, 1, 3), D(2024, 1, 3)), (D(2024, 1, 10), D(2024, 1, 10))]


# --- winter gap -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def gap_db(tmp_path_factory):
    # Calais's emergency shelter opens on 10 December 2023 and is open 10–15 and 18–31
    # December. Cold nights: 5, 6 December (before the programme had a shelter: not its gap),
    # 12 (open), 16 (closed), 20 (open); 10 April 2024 (out of season). Marseille has cold
    # nights and no emergency shelter: never a gap.
    cold = {D(2023, 12, d): -3.0 for d in (5, 6, 12, 16, 20)} | {D(2023, 12, 6): -4.5, D(2024, 4, 10): -1.0}
    open_nights = days(D(2023, 12, 10), D(2023, 12, 15)) + days(D(2023, 12, 18), D(2023, 12, 31))
    span = days(D(2023, 11, 1), D(2024, 4, 30))
    return build(tmp_path_factory.mktemp("gap") / "db.duckdb", as_of=D(2024, 4, 30),
                 sites=[site("calais_es", "Calais", "emergency_shelter", beds=50, opened=D(2023, 12, 10)),
                        site("marseille_squats", "Marseille", "squat")],
                 nights=[("calais_es", n, 50, 30, 0, 0, 0) for n in open_nights],
                 weather=[(c, n, cold.get(n, 3.0), "green") for n in span for c in ("Calais", "Marseille")])


def test_winter_gap_episodes(gap_db):
    episodes = evaluate(gap_db, CONFIG, D(2023, 11, 1), D(2024, 4, 30), ["winter_gap"])
    assert [(e.city, e.start, e.end, e.peak) for e in episodes] == [("Calais", D(2023, 12, 16), D(2023, 12, 16), -3.0)]
    assert episodes[0].figures["gap_nights"] == 1 and episodes[0].peak_on == D(2023, 12, 16)


def test_a_winter_gap_counts_nights_before_the_season_s_opening_once_the_shelter_exists(tmp_path):
    # The same shelter, opened as a site in January 2023 (the winter before): on 5 and 6
    # December 2023 it exists but is not open yet this season, so those cold nights are gaps.
    cold = {D(2023, 12, 5): -3.0, D(2023, 12, 6): -4.5}
    open_nights = days(D(2023, 12, 10), D(2023, 12, 31))
    span = days(D(2023, 11, 1), D(2024, 3, 31))
    db = build(tmp_path / "db.duckdb", as_of=D(2024, 3, 31),
               sites=[site("calais_es", "Calais", "emergency_shelter", beds=50, opened=D(2023, 1, 9))],
               nights=[("calais_es", n, 50, 30, 0, 0, 0) for n in open_nights],
               weather=[("Calais", n, cold.get(n, 3.0), "green") for n in span])
    episodes = evaluate(db, CONFIG, D(2023, 11, 1), D(2024, 3, 31), ["winter_gap"])
    assert [(e.start, e.end, e.peak) for e in episodes] == [(D(2023, 12, 5), D(2023, 12, 6), -4.5)]


def test_no_winter_gap_on_the_shared_fixture(fixture_db):
    # Calais's cold nights (8–16 January) all fall while the emergency shelter is open.
    assert evaluate(fixture_db, CONFIG, D(2023, 11, 1), fixture_data.AS_OF, ["winter_gap"]) == []


# --- minors surge ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def minors_db(tmp_path_factory):
    # The Calais day centre, every week from 2 January 2023 to 30 June 2024: 10 consultations
    # of unaccompanied minors and 5 of adults, but 30 minors in the weeks of 4 and 11 March
    # 2024. Pantin, from March 2023: 2 minors a week, 6 in March 2024 (three times as many,
    # but too few). Marseille opens in 2024 with 40 minors a week: no year to compare with.
    rows = []
    for week in pd.date_range("2023-01-02", "2024-06-24", freq="7D").date:
        minors = 30 if week in (D(2024, 3, 4), D(2024, 3, 11)) else 10
        rows += [consultation(week, "calais_day_centre", minor="yes")] * minors
        rows += [consultation(week, "calais_day_centre")] * 5
        if week >= D(2023, 3, 6):
            rows += [consultation(week, "pantin_centre", minor="yes")] * (6 if D(2024, 3, 1) <= week < D(2024, 4, 1) else 2)
        if week >= D(2024, 1, 1):
            rows += [consultation(week, "marseille_shelter", minor="yes")] * 40
    return build(tmp_path_factory.mktemp("minors") / "db.duckdb", as_of=D(2024, 6, 30), consultations=rows,
                 sites=[site("calais_day_centre", "Calais", "day_centre", focus="minors"),
                        site("pantin_centre", "Pantin", "day_centre", focus="minors"),
                        site("marseille_shelter", "Marseille", "shelter", beds=20, focus="minors")])


def test_minors_surge_episode(minors_db):
    # Four-week sums against the same weeks 52 weeks earlier (40): 60, 80, 80, 80, 60 for the
    # weeks of 4 March to 1 April. The evidence is the weeks of those windows: 12 February
    # to 7 April, 120 consultations against 80. The ratio reported is the rule's own, at its
    # peak (80 against 40 in the four weeks to 17 March): what fired the alert, never the
    # weeks around it watered down.
    episodes = evaluate(minors_db, CONFIG, D(2024, 1, 1), D(2024, 6, 30), ["minors_surge"])
    assert spans(episodes) == [("Calais Day Centre", D(2024, 2, 12), D(2024, 4, 7))]
    episode = episodes[0]
    assert (episode.peak, episode.peak_on) == (2.0, D(2024, 3, 11))
    assert episode.figures == {"weeks": 8, "surge_weeks": 5, "consultations": 120,
                               "consultations_year_before": 80, "ratio": 2.0, "window_weeks": 4}
    assert not episode.active


def test_minors_surge_ratio_threshold(minors_db):
    episodes = evaluate(minors_db, settings("minors_surge", ratio_at_least=2.0), D(2024, 1, 1), D(2024, 6, 30),
                        ["minors_surge"])
    assert [(e.start, e.end) for e in episodes] == [(D(2024, 2, 19), D(2024, 3, 31))]
    # Pantin's rise (24 against 8) fires once enough is enough.
    pantin = evaluate(minors_db, settings("minors_surge", count_at_least=20), D(2024, 1, 1), D(2024, 6, 30),
                      ["minors_surge"])
    assert sorted(e.site_id for e in pantin) == ["calais_day_centre", "pantin_centre"]


# --- outbreak signal ------------------------------------------------------------------------------------

SCABIES = {D(2024, 3, 4): 12, D(2024, 3, 11): 3, D(2024, 3, 18): 15, D(2024, 6, 3): 9}


@pytest.fixture(scope="module")
def outbreak_db(tmp_path_factory):
    # Camps in Grande-Synthe, weekly from 1 January to 30 June 2024: 3 scabies cases a week
    # and 20 other consultations, but 12 cases in the week of 4 March, 3 the week after, 15
    # the week after that, and 9 in the week of 3 June (above the threshold, below 10 cases).
    rows = []
    for week in pd.date_range("2024-01-01", "2024-06-24", freq="7D").date:
        rows += [consultation(week, "gs_camps", diagnosis="skin_infection_scabies")] * SCABIES.get(week, 3)
        rows += [consultation(week, "gs_camps")] * 20
    return build(tmp_path_factory.mktemp("outbreak") / "db.duckdb", as_of=D(2024, 6, 30), consultations=rows,
                 sites=[site("gs_camps", "Grande-Synthe", "camp")])


def test_outbreak_signal_is_ears_c2_on_weekly_shares(outbreak_db):
    # Scabies is 3 of 23 consultations a week (share 0.1304). Week of 4 March: the baseline is
    # the 7 weeks before the 2-week guard band, all 0.1304 (SD 0), so the spread is the
    # binomial one of the week, sqrt(0.1304 × 0.8696 / 32) = 0.0595, and the threshold
    # 0.1304 + 2.5 × 0.0595 = 0.2793: 12 of 32 (0.375) is above. Week of 11 March: 0.1304 is
    # not. Week of 18 March: the baseline leaves the signal week out (still all 0.1304),
    # threshold 0.2728; 15 of 35 (0.4286) is above. Two quiet weeks are needed to clear, so it
    # is one episode. Week of 3 June: 9 of 29 (0.3103) is above its threshold (0.2868) with
    # 9 cases, which the 8 cases needed allow.
    episodes = evaluate(outbreak_db, CONFIG, D(2024, 1, 1), D(2024, 6, 30), ["outbreak_signal"])
    assert [(e.subject, e.start, e.end) for e in episodes] == [
        ("skin_infection_scabies", D(2024, 3, 4), D(2024, 3, 24)), ("skin_infection_scabies", D(2024, 6, 3), D(2024, 6, 9))]
    episode = episodes[0]
    assert (episode.peak, episode.peak_on) == (15, D(2024, 3, 18))
    # As cases at the week's 32 consultations: 4.17 expected, a threshold of 8.94.
    assert episode.figures == {"weeks": 3, "signal_weeks": 2, "cases": 30, "consultations": 90,
                               "baseline_mean": 4.17, "threshold": 8.94,
                               "baseline_share": 0.1304, "threshold_share": 0.2793}
    assert episodes[1].figures["threshold_share"] == 0.2868


def test_outbreak_signal_resets_and_minimum_cases(outbreak_db):
    strict = evaluate(outbreak_db, settings("outbreak_signal", clear_after=1), D(2024, 1, 1), D(2024, 6, 30),
                      ["outbreak_signal"])
    assert [(e.start, e.end, e.peak) for e in strict] == [
        (D(2024, 3, 4), D(2024, 3, 10), 12), (D(2024, 3, 18), D(2024, 3, 24), 15), (D(2024, 6, 3), D(2024, 6, 9), 9)]
    fewer = evaluate(outbreak_db, settings("outbreak_signal", cases_at_least=10), D(2024, 1, 1), D(2024, 6, 30),
                     ["outbreak_signal"])
    assert [e.start for e in fewer] == [D(2024, 3, 4)]


@pytest.fixture(scope="module")
def seasonal_db(tmp_path_factory):
    # A camp from January 2020 to August 2024: acute diarrhoea is 2 of 40 consultations a
    # week, except every July (the weeks starting in July), when it is 10 of 40 (a summer
    # season, every year), and in May 2024, an outbreak out of season at 10 of 40.
    rows = []
    for week in pd.date_range("2020-01-06", "2024-08-26", freq="7D").date:
        cases = 10 if week.month == 7 or (week.year, week.month) == (2024, 5) else 2
        rows += [consultation(week, "camp", diagnosis="acute_diarrhoea")] * cases
        rows += [consultation(week, "camp")] * (40 - cases)
    return build(tmp_path_factory.mktemp("seasonal") / "db.duckdb", as_of=D(2024, 8, 31), consultations=rows,
                 sites=[site("camp", "Calais", "camp")])


def test_outbreak_signal_compares_a_week_with_the_same_weeks_of_earlier_years(seasonal_db):
    # Until 2022 there are fewer than three earlier Julys: C2 on the weeks before, and each
    # summer's first week signals. From July 2023 (three earlier Julys, all of which
    # signalled: a season) the historical limits know it: July is usual, and only the
    # outbreak of May 2024, out of season, signals.
    episodes = evaluate(seasonal_db, CONFIG, D(2020, 1, 1), D(2024, 8, 31), ["outbreak_signal"])
    starts = [e.start for e in episodes]
    assert {D(2020, 7, 6), D(2022, 7, 4)} <= set(starts)
    assert [s for s in starts if s >= D(2023, 1, 1)] == [D(2024, 5, 6)]
    con = store.open_readonly(seasonal_db)
    try:
        frame = alerts.series(con, "outbreak_signal", CONFIG, D(2020, 1, 1), D(2024, 8, 31))
    finally:
        con.close()
    frame = frame[frame["diagnosis_group"] == "acute_diarrhoea"]
    method = dict(zip(frame["period"], frame["method"]))
    assert method[D(2022, 7, 4)] == "ears_c2" and method[D(2023, 7, 3)] == "historical_limits"
    # May 2024's baseline is the Mays before (2 of 40) and the weeks around them.
    assert method[D(2024, 5, 6)] == "historical_limits"
    assert not frame.loc[frame["period"] == D(2024, 7, 1), "holds"].any()


def test_outbreak_signal_needs_a_baseline_except_for_measles(tmp_path):
    # A site opened on 1 January 2024: 30 scabies cases in its second week cannot signal (one
    # week of history, 4 needed), while 3 suspected measles cases do at once.
    rows = [consultation(D(2024, 1, 1), "new_camp")] * 20
    rows += [consultation(D(2024, 1, 8), "new_camp", diagnosis="skin_infection_scabies")] * 30
    rows += [consultation(D(2024, 1, 8), "new_camp", diagnosis="suspected_measles")] * 3
    rows += [consultation(D(2024, 1, 8), "new_camp")] * 20
    db = build(tmp_path / "db.duckdb", as_of=D(2024, 1, 31), consultations=rows,
               sites=[site("new_camp", "Calais", "camp")])
    episodes = evaluate(db, CONFIG, D(2024, 1, 1), D(2024, 1, 31), ["outbreak_signal"])
    assert [(e.subject, e.start) for e in episodes] == [("suspected_measles", D(2024, 1, 8))]


# --- access to care --------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def access_db(tmp_path_factory):
    # Pantin, January 2022 to June 2024: 100 consultations on the 15th of each month, 40 of
    # people with no coverage, 50 from January 2024.
    rows = []
    for month in pd.date_range("2022-01-01", "2024-06-01", freq="MS").date:
        day = month.replace(day=15)
        none = 50 if day.year == 2024 else 40
        rows += [consultation(day, "pantin_centre", coverage="none")] * none
        rows += [consultation(day, "pantin_centre")] * (100 - none)
    return build(tmp_path_factory.mktemp("access") / "db.duckdb", as_of=D(2024, 6, 30), consultations=rows,
                 sites=[site("pantin_centre", "Pantin", "day_centre")])


def test_access_to_care_episode(access_db):
    # Three-month shares against a year earlier (40 %): January 43.3 % (+3.3 points, under
    # 5), February 46.7 % (+6.7), March to June 50 % (+10). Evidence: the months of those
    # windows, December 2023 to June 2024, 340 of 700 against 280 of 700.
    episodes = evaluate(access_db, CONFIG, D(2023, 1, 1), D(2024, 6, 30), ["access_to_care"])
    assert [(e.city, e.start, e.end) for e in episodes] == [("Pantin", D(2023, 12, 1), D(2024, 6, 30))]
    episode = episodes[0]
    assert episode.peak == pytest.approx(10.0) and episode.peak_on == D(2024, 3, 1)
    assert episode.active
    figures = episode.figures
    assert (figures["consultations"], figures["without_coverage"], figures["without_coverage_year_before"]) == (700, 340, 280)
    # The shares and the rise are the rule's own three months at their peak (March: 50 %
    # against 40 %), not the evidence's months together (340 / 700 against 280 / 700: +8.6).
    assert (figures["share"], figures["share_year_before"]) == (pytest.approx(0.5), pytest.approx(0.4))
    assert figures["change_points"] == pytest.approx(10.0) and figures["window_months"] == 3


@pytest.fixture(scope="module")
def unknown_coverage_db(tmp_path_factory):
    # Marseille, January 2022 to June 2024: 100 consultations on the 15th of each month. In
    # 2022 and 2023, 40 with no coverage, 40 with AME, 20 of unknown coverage; from January
    # 2024, 40 with none, 30 with AME and 30 unknown. Of all consultations, 40 % have no
    # coverage throughout; of those whose coverage is known, 40 / 80 = 50 %, then 40 / 70.
    rows = []
    for month in pd.date_range("2022-01-01", "2024-06-01", freq="MS").date:
        day = month.replace(day=15)
        ame, unknown = (30, 30) if day.year == 2024 else (40, 20)
        rows += [consultation(day, "marseille_centre", coverage="none")] * 40
        rows += [consultation(day, "marseille_centre", coverage="AME")] * ame
        rows += [consultation(day, "marseille_centre", coverage="unknown")] * unknown
    return build(tmp_path_factory.mktemp("unknown") / "db.duckdb", as_of=D(2024, 6, 30), consultations=rows,
                 sites=[site("marseille_centre", "Marseille", "day_centre")])


def test_access_to_care_leaves_unknown_coverage_out_of_the_share(unknown_coverage_db):
    # Three months of known coverage: January 2024 (Nov–Jan) 120 / 230 = 52.2 % (+2.2 points),
    # February 120 / 220 = 54.5 % (+4.5), March to June 120 / 210 = 57.1 % (+7.1), against
    # 120 / 240 = 50 % a year earlier. Counting the unknown in the denominator, the share
    # would stay at 40 % and nothing would fire.
    episodes = evaluate(unknown_coverage_db, CONFIG, D(2023, 1, 1), D(2024, 6, 30), ["access_to_care"])
    assert [(e.city, e.start, e.end) for e in episodes] == [("Marseille", D(2024, 1, 1), D(2024, 6, 30))]
    episode = episodes[0]
    assert episode.peak == pytest.approx(100 * (120 / 210 - 0.5)) and episode.peak_on == D(2024, 3, 1)
    figures = episode.figures
    # January to June 2024: 600 consultations, 420 of known coverage, 240 with none.
    assert (figures["consultations"], figures["with_known_coverage"], figures["without_coverage"]) == (600, 420, 240)
    assert (figures["with_known_coverage_year_before"], figures["without_coverage_year_before"]) == (480, 240)
    assert figures["share"] == pytest.approx(240 / 420) and figures["share_year_before"] == pytest.approx(0.5)
    assert figures["unknown_share"] == pytest.approx(180 / 600)
    con = store.open_readonly(unknown_coverage_db)
    try:
        brief = briefs.compose(con, briefs.Request(rule="access_to_care", start=D(2024, 1, 1), end=D(2024, 6, 30),
                                                   lang="fr"), CONFIG, today=D(2024, 7, 1))
    finally:
        con.close()
    assert brief.sentences == [
        "Du 1er janvier au 30 juin 2024, à Marseille, au plus fort, sur 3 mois glissants, parmi les consultations "
        "dont la couverture maladie est connue, "
        "57\u00a0% ont concerné des personnes sans aucune couverture maladie, contre 50\u00a0% aux mêmes mois un an "
        "plus tôt (+7,1\u00a0pts).",
        "Soit 240 sur 420 consultations dont la couverture est connue.",
        "La couverture n'est pas connue pour 30\u00a0% des consultations, laissées hors de cette part."]


def test_access_to_care_threshold(access_db):
    assert evaluate(access_db, settings("access_to_care", points_above_year_before=10.5), D(2023, 1, 1),
                    D(2024, 6, 30), ["access_to_care"]) == []


def test_only_saturation_and_cold_exclusion_on_the_shared_fixture(fixture_db):
    episodes = evaluate(fixture_db, CONFIG, D(2023, 11, 1), fixture_data.AS_OF, alerts.RULES)
    assert sorted((e.rule, e.site_id or e.city, e.start, e.end) for e in episodes) == [
        ("cold_exclusion", "calais_emergency_shelter", D(2024, 1, 8), D(2024, 1, 16)),
        ("shelter_saturation", "calais_emergency_shelter", D(2024, 1, 8), D(2024, 1, 16)),
        ("shelter_saturation", "pantin_girls_shelter", D(2024, 1, 1), D(2024, 1, 31)),
    ]


# --- what an audience sees --------------------------------------------------------------------------------

def test_for_audience_hides_small_counts_and_their_partners(fixture_db):
    con = store.open_readonly(fixture_db)
    try:
        rows = alerts.series(con, "cold_exclusion", CONFIG, D(2024, 1, 8), D(2024, 1, 21))
    finally:
        con.close()
    calais = rows[rows["site_id"] == "calais_emergency_shelter"].reset_index(drop=True)
    assert calais["turned_away"].tolist() == [5, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0, 0, 0, 0]
    for_advocacy = alerts.for_audience("cold_exclusion", calais, 5)
    # The 4s are hidden; with the total (37) published, the 5 must go too, or 37 − 5 would
    # say the hidden nights held 32 people.
    assert for_advocacy["turned_away"].isna().sum() == 9
    assert for_advocacy["turned_away"].dropna().tolist() == [0, 0, 0, 0, 0]
    assert alerts.for_audience("cold_exclusion", calais, 0) is calais


@pytest.mark.parametrize("value, k, hidden", [
    (0, 11, False), (1, 11, True), (10, 11, True), (11, 11, False), (3, 0, False), (None, 5, True),
    (float("nan"), 0, True), (0.5, 5, True)])
def test_hidden(value, k, hidden):
    assert alerts.hidden(value, k) is hidden


def test_shown_figures_hide_rates_made_of_hidden_counts():
    shown, peak = alerts.shown_figures("minors_surge", {"consultations": 60, "consultations_year_before": 8,
                                                        "ratio": 7.5}, 7.5, 11)
    assert shown == {"consultations": 60, "consultations_year_before": None, "ratio": None} and peak is None
    shown, peak = alerts.shown_figures("shelter_saturation", {"beds": 10, "max_occupancy": 1.0, "turned_away": 12},
                                       1.0, 11)
    assert shown == {"beds": None, "max_occupancy": None, "turned_away": 12} and peak is None


# --- configuration ------------------------------------------------------------------------------------------

def config_table():
    return tomllib.loads(alerts.CONFIG_PATH.read_text(encoding="utf-8"))


def test_the_shipped_configuration_is_valid():
    assert alerts.load_config() == CONFIG
    assert CONFIG["shelter_saturation"]["saturated_nights"] == 3 and CONFIG["shelter_saturation"]["window_nights"] == 7
    assert CONFIG["outbreak_signal"]["sd_above_mean"] == 2.5


@pytest.mark.parametrize("change, message", [
    (lambda t: t.__setitem__("typo_rule", {}), r"unknown rule \[typo_rule\]"),
    (lambda t: t.pop("winter_gap"), r"section \[winter_gap\] is missing"),
    (lambda t: t["cold_exclusion"].__setitem__("turned_away_atleast", 0), r"unknown key cold_exclusion.turned_away_atleast"),
    # A cold night is a shared definition now: an old file that still sets it per rule is told where it went.
    (lambda t: t["cold_exclusion"].__setitem__("cold_tmin_at_most", 0.0),
     r"cold_exclusion.cold_tmin_at_most is no longer set per rule.*config/definitions.toml \(\[cold_night\] tmin_at_most\)"),
    (lambda t: t["minors_surge"].pop("weeks"), r"minors_surge.weeks is missing"),
    (lambda t: t["minors_surge"].__setitem__("weeks", 2.5), r"minors_surge.weeks must be a whole number"),
    (lambda t: t["minors_surge"].__setitem__("weeks", True), r"minors_surge.weeks must be a whole number"),
    (lambda t: t["outbreak_signal"].__setitem__("sd_above_mean", "2"), r"outbreak_signal.sd_above_mean must be a number"),
    (lambda t: t["outbreak_signal"].__setitem__("baseline_weeks", 2), r"outbreak_signal.baseline_weeks must be from 4 to 104"),
    (lambda t: t["access_to_care"].__setitem__("clear_after", 0), r"access_to_care.clear_after must be from 1 to 31"),
    (lambda t: t["winter_gap"].__setitem__("cold_vigilance", ["orange"]), r"winter_gap.cold_vigilance is no longer set per rule"),
    (lambda t: t["shelter_saturation"].__setitem__("saturated_nights", 8), r"saturated_nights \(8\) cannot exceed"),
])
def test_bad_configuration_is_refused_naming_the_key(change, message):
    table = config_table()
    change(table)
    with pytest.raises(alerts.ConfigError, match=message):
        alerts.parse_config(table)


def test_unreadable_configuration_files(tmp_path):
    with pytest.raises(alerts.ConfigError, match="No alerts configuration"):
        alerts.load_config(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[shelter_saturation\nwindow_nights = 7\n", encoding="utf-8")
    with pytest.raises(alerts.ConfigError, match="not valid TOML"):
        alerts.load_config(broken)


# --- command line ------------------------------------------------------------------------------------------------

def run_cli(capsys, *argv):
    status = alerts_cli.command(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_cli_lists_episodes_active_on_a_date(fixture_db, capsys):
    status, out, _ = run_cli(capsys, "--db", str(fixture_db), "--as-of", "2024-01-16", "--json")
    assert status == 0
    listed = json.loads(out)
    assert listed["as_of"] == "2024-01-16"
    assert sorted((e["rule"], e["site_id"], e["start"]) for e in listed["episodes"]) == [
        ("cold_exclusion", "calais_emergency_shelter", "2024-01-08"),
        ("shelter_saturation", "calais_emergency_shelter", "2024-01-08"),
        ("shelter_saturation", "pantin_girls_shelter", "2024-01-01"),
    ]
    cold = next(e for e in listed["episodes"] if e["rule"] == "cold_exclusion")
    assert (cold["city"], cold["end"], cold["peak"], cold["figures"]["turned_away"]) == ("Calais", "2024-01-16", 5, 37)


def test_cli_lists_episodes_started_since_a_date(fixture_db, capsys):
    status, out, _ = run_cli(capsys, "--db", str(fixture_db), "--since", "2024-01-05", "--json")
    assert status == 0
    assert sorted(e["rule"] for e in json.loads(out)["episodes"]) == ["cold_exclusion", "shelter_saturation"]
    status, out, _ = run_cli(capsys, "--db", str(fixture_db))
    # On the data's date (31 March 2024) every episode has ended: none fired, still 0.
    assert status == 0 and out.startswith("0 alert episode(s) active on 2024-03-31")
    status, out, _ = run_cli(capsys, "--db", str(fixture_db), "--since", "2024-01-01")
    assert status == 0 and out.splitlines()[0] == "3 alert episode(s) started since 2024-01-01 (data as of 2024-03-31)."


@pytest.mark.parametrize("argv, message", [
    (["--as-of", "2024-13-01"], "not a date"),
    (["--since", "2024-04-02", "--as-of", "2024-04-01"], "is after the as-of date"),
    (["--frobnicate"], "unrecognized arguments"),
])
def test_cli_bad_arguments_exit_2(fixture_db, capsys, argv, message):
    status, out, err = run_cli(capsys, "--db", str(fixture_db), *argv)
    assert status == 2 and message in err


def test_cli_bad_configuration_or_database_exit_2(fixture_db, tmp_path, capsys):
    bad = tmp_path / "alerts.toml"
    bad.write_text(alerts.CONFIG_PATH.read_text(encoding="utf-8").replace("window_nights = 7", "window_nights = 0"),
                   encoding="utf-8")
    status, _, err = run_cli(capsys, "--db", str(fixture_db), "--config", str(bad))
    assert status == 2 and "shelter_saturation.window_nights" in err
    status, _, err = run_cli(capsys, "--db", str(tmp_path / "none.duckdb"))
    assert status == 2 and "Cannot open the database" in err


def test_cli_through_the_terrain_entry_point(fixture_db, capsys):
    from terrain.__main__ import main
    assert main(["alerts", "--db", str(fixture_db), "--as-of", "2024-01-10"]) == 0
    assert "cold_exclusion" in capsys.readouterr().out


# --- the alerts page --------------------------------------------------------------------------------------------

def page(monkeypatch, tmp_path, db, role, **params):
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    return run_page("pages/alerts.py", role, {"period": "custom", "from": "2024-01-01", "to": "2024-01-31", **params},
                    db=db, monkeypatch=monkeypatch, user=f"test-{role}", timeout=120)


def episodes_shown(at):
    return at.dataframe[0].value  # the page has one table


FR = lambda key, **values: i18n.t(key, "fr", **values)  # noqa: E731


# Refusals summed over an episode's nights are refusals ("37 refus"), not people.
@pytest.mark.parametrize("role, pantin_turned_away", [("advocacy", "< 5 refus"), ("programme_manager", "3 refus")])
def test_page_lists_the_episodes_of_the_period(monkeypatch, tmp_path, fixture_db, role, pantin_turned_away):
    at = page(monkeypatch, tmp_path, fixture_db, role)
    assert not at.exception
    shown = episodes_shown(at)
    assert len(shown) == 3
    pantin = shown[shown[FR("alerts.column.city")] == "Pantin"].iloc[0]
    assert pantin[FR("alerts.column.figures")] == f"complet 31 nuits sur 31\u00a0; {pantin_turned_away} faute de place"
    cold = shown[shown[FR("alerts.column.rule")] == FR("alerts.rule.cold_exclusion")].iloc[0]
    assert cold[FR("alerts.column.figures")] == "9 nuits de froid\u00a0; 37 refus faute de place"
    assert cold[FR("alerts.column.rule")] == "Refus de mise à l'abri par grand froid"
    assert cold[FR("alerts.column.start")] == D(2024, 1, 8)
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert chart["layout"]["title"]["text"].startswith("Abri d'urgence de Calais")


def test_page_filters_by_rule_and_says_when_nothing(monkeypatch, tmp_path, fixture_db):
    at = page(monkeypatch, tmp_path, fixture_db, "advocacy", rule="cold_exclusion")
    assert [r for r in episodes_shown(at)[FR("alerts.column.rule")]] == [FR("alerts.rule.cold_exclusion")]
    at = page(monkeypatch, tmp_path, fixture_db, "advocacy", rule="winter_gap")
    assert not at.exception and [i.value for i in at.info] == [FR("alerts.no_episodes")]
    at = page(monkeypatch, tmp_path, fixture_db, "advocacy", rule="no_such_rule")
    assert FR("common.invalid_parameter", name="rule") in [w.value for w in at.warning]


def test_page_prepares_a_brief_and_records_it(monkeypatch, tmp_path, fixture_db):
    at = page(monkeypatch, tmp_path, fixture_db, "advocacy", rule="cold_exclusion")
    at.radio(key="brief_audience").set_value("public")
    at.radio(key="brief_format").set_value("docx")
    at.button(key="brief_prepare").click()
    at.run()
    assert not at.exception
    assert at.get("download_button")[0].proto.label == FR("alerts.download")
    log = audit.recent_briefs()
    assert log[["user_name", "via", "rule", "audience", "threshold", "format", "city"]].values.tolist() == [
        ["test-advocacy", "local", "cold_exclusion", "public", 11, "docx", "Calais"]]
    # A brief for the public holds the episode's whole month, as published.
    assert (log.loc[0, "period_start"], log.loc[0, "period_end"]) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))


def test_page_says_in_one_line_why_a_public_brief_is_refused(monkeypatch, tmp_path, fixture_db):
    # An earlier public release showed 30 refusals in Calais in January; the data were corrected
    # since to 37: releasing 37 now would give the 7 added away.
    monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
    ledger.record(pd.DataFrame([("turned_away_on_cold_nights", "all", "*", "Calais", D(2024, 1, 1), 30, "shown")],
                               columns=["measure", "breakdown", "category", "city", "month", "value", "status"]),
                  what="earlier pack", user="someone", audience="public", data_as_of=D(2024, 2, 29),
                  dataset_name="earlier", k=11)
    at = page(monkeypatch, tmp_path, fixture_db, "advocacy", rule="cold_exclusion")
    at.radio(key="brief_audience").set_value("public")
    at.button(key="brief_prepare").click()
    at.run()
    assert not at.exception and not at.get("download_button")
    [error] = [e.value for e in at.error]
    assert error == ("Note refusée\u00a0: avec les publications précédentes, elle permettrait de déduire un chiffre "
                     "masqué. Refus faute de place les nuits de froid, Calais, Janvier 2024\u00a0: 30 déjà publié, 37 "
                     "aujourd'hui\u00a0; l'écart est un petit effectif.")
    assert audit.recent_briefs().empty


def test_page_prepares_a_brief_of_the_filtered_view(monkeypatch, tmp_path, fixture_db):
    at = page(monkeypatch, tmp_path, fixture_db, "programme_manager", city="Pantin")
    assert len(episodes_shown(at)) == 1
    at.radio(key="brief_scope").set_value("view").run()
    at.selectbox(key="brief_rule").set_value("shelter_saturation")
    at.radio(key="brief_lang").set_value("en")
    at.button(key="brief_prepare").click()
    at.run()
    assert not at.exception
    log = audit.recent_briefs()
    assert log[["user_name", "rule", "city", "lang", "audience", "threshold", "format", "recipient"]].values.tolist() == [
        ["test-programme_manager", "shelter_saturation", "Pantin", "en", "internal", 5, "docx", "prefecture"]]
    assert (log.loc[0, "period_start"], log.loc[0, "period_end"]) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-31"))


def rule_said(at) -> str | None:
    """The rule the brief form names in words (one rule to brief on), None if it offers a choice."""
    said = [rule for rule in alerts.RULES for text in at.markdown
            if text.value == FR("alerts.brief_rule_fixed", rule=FR(f"alerts.rule.{rule}"))]
    assert len(said) <= 1, said
    return said[0] if said else None


def prepare(at, scope):
    at.radio(key="brief_scope").set_value(scope).run()
    at.button(key="brief_prepare").click().run()
    assert not at.exception
    return audit.recent_briefs()["rule"].iloc[0]


def test_the_brief_form_follows_the_rule_filter(monkeypatch, tmp_path, fixture_db):
    # The case: the page opened on every rule, a saturation episode first; then the
    # table filtered to cold exclusion. The form must follow, in both scopes.
    at = page(monkeypatch, tmp_path, fixture_db, "advocacy")
    at.radio(key="brief_scope").set_value("view").run()
    assert at.selectbox(key="brief_rule").value == "shelter_saturation"
    at.multiselect(key="f_rules").set_value(["cold_exclusion"]).run()
    # one rule left: said in words, with no choice that cannot change (a disabled control's
    # faded label fails the contrast check)
    assert rule_said(at) == "cold_exclusion" and not [s for s in at.selectbox if s.key == "brief_rule"]
    assert at.selectbox(key="brief_recipient").value == "prefecture"
    assert prepare(at, "view") == "cold_exclusion"
    assert prepare(at, "episode") == "cold_exclusion"
    assert audit.recent_briefs()["rule"].tolist() == ["cold_exclusion", "cold_exclusion"]


def test_the_brief_form_follows_the_episode_chosen(monkeypatch, tmp_path, fixture_db):
    at = page(monkeypatch, tmp_path, fixture_db, "advocacy")
    episodes = at.selectbox(key="alerts_episode")
    assert episodes.value.rule == "shelter_saturation" and rule_said(at) == "shelter_saturation"
    cold = next(e for e in episodes.options if e.startswith(FR("alerts.rule.cold_exclusion")))
    episodes.select(cold).run()
    assert rule_said(at) == "cold_exclusion"     # the episode's rule, said, not offered
    # In the view's scope the rule can be changed, and the recipient follows the rule.
    at.radio(key="brief_scope").set_value("view").run()
    assert at.selectbox(key="brief_rule").value == "cold_exclusion" and rule_said(at) is None
    at.selectbox(key="brief_rule").set_value("outbreak_signal").run()
    assert at.selectbox(key="brief_recipient").value == "ars"
    assert prepare(at, "view") == "outbreak_signal"
    assert prepare(at, "episode") == "cold_exclusion"


def test_a_brief_of_another_rule_is_not_offered_once_the_filter_changes(monkeypatch, tmp_path, fixture_db):
    at = page(monkeypatch, tmp_path, fixture_db, "advocacy")
    assert prepare(at, "episode") == "shelter_saturation" and at.get("download_button")
    at.multiselect(key="f_rules").set_value(["cold_exclusion"]).run()
    assert not at.exception and not at.get("download_button")


def test_page_refused_to_donors(monkeypatch, tmp_path, fixture_db):
    at = page(monkeypatch, tmp_path, fixture_db, "donor")
    assert not at.exception
    assert [e.value for e in at.error] == [FR("common.access_refused")]
    assert not at.dataframe and not at.get("plotly_chart")


def test_cli_evaluates_no_further_than_the_data(fixture_db, capsys):
    # Nights after the data's date hold no figure: evaluating them would end every episode.
    status, out, _ = run_cli(capsys, "--db", str(fixture_db), "--as-of", "2030-01-01", "--json")
    assert status == 0 and json.loads(out)["as_of"] == "2024-03-31"


def test_every_rule_has_its_query_and_thresholds():
    assert tuple(alerts.RULE_SPECS) == alerts.RULES == tuple(alerts.SETTINGS)
    for rule in alerts.RULE_SPECS.values():
        assert (alerts.ROOT / "queries" / f"{rule.query}.sql").is_file()
        # A query is named after the rows it returns, not after the alert that reads them.
        assert not rule.query.startswith("alert_")


def test_a_saturation_above_100_percent_says_mattresses_on_the_floor(tmp_path):
    import duckdb

    from terrain import summaries
    from terrain.charts import alerts as alert_charts
    db = fixture_data.build(tmp_path / "overflow.duckdb")
    with duckdb.connect(str(db)) as con:
        con.execute("UPDATE shelter_nights SET beds_occupied = 55 WHERE site_id = 'calais_emergency_shelter' "
                    "AND night = DATE '2024-01-10'")
        summaries.refresh(con)
    episodes = evaluate(db, CONFIG, D(2024, 1, 1), D(2024, 1, 31), ["shelter_saturation"])
    calais = next(e for e in episodes if e.site_id == "calais_emergency_shelter")
    pantin = next(e for e in episodes if e.site_id == "pantin_girls_shelter")
    assert alert_charts.peak_text(calais, "fr", 1) == "occupation jusqu'à 110\u00a0% (matelas au sol)"
    assert alert_charts.peak_text(pantin, "fr", 1) == "occupation jusqu'à 100\u00a0%"
    con = store.open_readonly(db)
    try:
        rows = alerts.rows_of(calais, alerts.series(con, "shelter_saturation", CONFIG, D(2024, 1, 1), D(2024, 1, 31),
                                                    ["Calais"]))
    finally:
        con.close()
    assert alert_charts.over_capacity("shelter_saturation", rows)
    assert not alert_charts.over_capacity("shelter_saturation", rows[rows["period"] != D(2024, 1, 10)])
