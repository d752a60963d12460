"""Synthetic demo data: one seeded generator for the app's first run, the tests and the benchmark.

The figures are invented but follow the programme's real shape and what is public about it
(sites, opening dates, bed capacities, the 2016 measles campaign, the Calais winter shelter,
the 2023 immigration law; docs/demo-data.md gives each public figure, its source and the
demo's figure beside it). Consultations come from daily rates per site in absolute terms
(consultations on an ordinary open day), with gradual trends, summer peaks where Channel
crossings and arrivals peak, and cold-related illness in winter. Cold spells raise
cold-related diagnoses, shelter demand and people turned away; the préfecture declares plan
levels around them. Every random draw comes from numpy generators spawned from one seed, so
the same seed gives the same database contents row for row.

The generator plants the events the alert rules are meant to find (outbreaks, shelter
pressure, cold spells, waves of unaccompanied minors, the loss of health coverage after the
2023 law) and records them in the demo-only table `demo_planted_events`, so that
`python -m terrain alerts evaluate` can score the rules against them.

Consultations are the only big table: they are drawn column by column with numpy, in chunks,
and loaded through Arrow, with categories as Arrow dictionary arrays that DuckDB casts to
its ENUM types on insert (measured as fast as inserting integer codes, and simpler).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb
import numpy as np
import pyarrow as pa

from terrain import SCHEMA_VERSION, store
from terrain import events as context_events
from terrain.campaigns import bands_in_words
from terrain.disclosure import publication

DATASET_NAME = "Terrain demo (synthetic)"
DEMO_APPROVER = "demo"
CHUNK_ROWS = 2_000_000


@dataclass(frozen=True)
class Site:
    """One row of the `sites` table, fields in the table's column order."""

    site_id: str
    name: str
    city: str
    commune_code: str
    departement: str
    site_type: str
    latitude: float
    longitude: float
    bed_capacity: int | None
    population_focus: str
    opened: dt.date
    closed: dt.date | None


D = dt.date
# Coordinates are invented points inside each commune (checked against geo/ in the tests).
# The programme left Grande-Synthe at the end of 2016 (La Linière, its last site there).
# The Calais winter shelter holds 29 places, its current capacity; the nights of its
# first winter, with 20, are in _EMERGENCY_WINTERS.
SITES: tuple[Site, ...] = (
    Site("calais_jungle", "Camp de la Lande (« Jungle » de Calais)", "Calais", "62193", "62",
         "camp", 50.9660, 1.9030, None, "mixed", D(2016, 1, 1), D(2016, 10, 31)),
    Site("calais_camps", "Campements de Calais", "Calais", "62193", "62",
         "camp", 50.9550, 1.8800, None, "mixed", D(2023, 1, 1), None),
    Site("calais_day_centre", "Centre de jour pour mineurs non accompagnés, Calais", "Calais",
         "62193", "62", "day_centre", 50.9500, 1.8600, None, "minors", D(2023, 7, 3), None),
    # Minors and families: neither a minors' place nor an adults' one, hence "mixed"; the
    # age and sex profile (_PROFILES) says who they are.
    Site("calais_emergency_shelter", "Mise à l'abri hivernale, Calais", "Calais", "62193", "62",
         "emergency_shelter", 50.9450, 1.8550, 29, "mixed", D(2024, 1, 22), None),
    Site("grande_synthe_basroch", "Camp du Basroch, Grande-Synthe", "Grande-Synthe", "59271", "59",
         "camp", 51.0060, 2.2930, None, "mixed", D(2016, 1, 1), D(2016, 3, 6)),
    Site("grande_synthe_la_liniere", "Camp de la Linière, Grande-Synthe", "Grande-Synthe", "59271",
         "59", "camp", 51.0120, 2.2750, None, "mixed", D(2016, 3, 7), D(2016, 12, 31)),
    Site("paris_la_chapelle_mobile", "Équipe mobile La Chapelle, Paris", "Paris", "75056", "75",
         "mobile_team", 48.8845, 2.3600, None, "mixed", D(2016, 6, 1), None),
    Site("pantin_minors_centre", "Centre d'accueil de jour pour mineurs non accompagnés, Pantin",
         "Pantin", "93055", "93", "day_centre", 48.8940, 2.4090, None, "minors", D(2017, 12, 5), None),
    Site("pantin_minors_shelter", "Hébergement pour mineurs en situation de vulnérabilité, Pantin",
         "Pantin", "93055", "93", "shelter", 48.8935, 2.4030, 20, "minors", D(2020, 11, 2), None),
    Site("pantin_girls_shelter", "Hébergement pour jeunes filles (soutenu), Pantin", "Pantin",
         "93055", "93", "shelter", 48.8960, 2.4150, 10, "girls", D(2022, 3, 1), None),
    Site("marseille_minors_shelter", "Hébergement pour mineurs non accompagnés, Marseille",
         "Marseille", "13055", "13", "shelter", 43.3050, 5.3950, 20, "minors", D(2020, 6, 2), None),
    Site("marseille_squats", "Consultations en squats et campements, Marseille", "Marseille",
         "13055", "13", "squat", 43.3200, 5.3800, None, "mixed", D(2023, 1, 1), None),
)
CITIES: tuple[str, ...] = ("Calais", "Grande-Synthe", "Paris", "Pantin", "Marseille")

# Category labels in the order of the schema's ENUM types.
ACTIVITIES = ("medical", "mental_health", "social", "legal")
VISITS = ("new", "follow_up")
AGE_BANDS = ("0-14", "15-17", "18-24", "25-34", "35+", "unknown")
SEXES = ("F", "M", "X")
YES_NO_UNKNOWN = ("yes", "no", "unknown")
DIAGNOSIS_GROUPS = (
    "respiratory_infection", "skin_infection_scabies", "trauma_violence", "hypothermia_frostbite",
    "mental_health", "digestive", "acute_diarrhoea", "chronic_disease", "dental",
    "musculoskeletal", "foot_wounds", "eye_ear", "urinary_genital", "pregnancy_care",
    "sexual_violence", "suspected_measles", "tuberculosis_suspected", "fever_other",
    "vaccination_check", "other")
HEALTH_COVERAGES = ("none", "AME", "PUMa_CSS", "unknown")
VIGILANCE_COLOURS = ("green", "yellow", "orange", "red")
PLAN_LEVELS = ("veille_saisonniere", "grand_froid", "tres_grand_froid", "froid_extreme")


def generate(path: str | Path, *, consultations: int | None = None, seed: int = 42,
             start: dt.date = dt.date(2016, 1, 1), as_of: dt.date | None = None,
             progress: bool = False, keep_backup: bool = False,
             change: store.Change | None = None) -> dict[str, int]:
    """Write a complete synthetic Terrain database at `path`; return the row count of each table.

    `consultations=None` gives the volume the sites' daily rates give (a Poisson draw of
    their sum, about 17,000 a year); a number gives exactly that many consultation rows, every
    rate scaled by one factor so that the shape over time and between sites is kept. The file
    is put in place by the write protocol of terrain/store.py (`keep_backup`, `change`: as for
    `store.new_database`).
    """
    as_of = as_of or dt.date.today()
    if start > as_of:
        raise ValueError(f"start ({start}) is after as_of ({as_of})")
    if consultations is not None and consultations < 0:
        raise ValueError("consultations must be >= 0")
    calendar = _Calendar.between(start, as_of)

    # One independent stream per table or part: asking for more consultations leaves the
    # weather, the shelters, the planted events and the rest unchanged.
    streams = dict(zip(
        ("weather", "winter_plan", "outreach", "shelters", "vaccinations", "outbreaks",
         "consultations", "waves", "activity"),
        np.random.default_rng(seed).spawn(9)))
    sites = tuple(sorted((site for site in SITES if site.opened <= as_of), key=lambda s: s.site_id))
    if not sites:
        raise ValueError(f"no site of the programme had opened by {as_of}")

    weather = _weather(streams["weather"], calendar)
    plan = [p for p in _winter_plan(streams["winter_plan"], calendar, weather)
            if not _left_before(dict(_PLAN_AREAS)[p.area], p.starts)]
    beds = {site.site_id: _beds_by_night(site, calendar) for site in sites if site.bed_capacity}
    site_nights = {site.site_id: _open_days(site, calendar) for site in sites}
    for site_id, nightly in beds.items():
        site_nights[site_id] &= nightly > 0
    outreach = _outreach(streams["outreach"], calendar, weather, site_nights)
    visit_days = {team: days.any(axis=1) for team, days in outreach.items()}

    waves = _minors_waves(streams["waves"], calendar, sites, site_nights)
    spells = _frost_spells(calendar, weather, sites, site_nights)
    shelter_nights, pressure = _shelter_nights(streams["shelters"], calendar, weather, sites,
                                               site_nights, beds, spells, waves)
    outbreaks = _outbreaks(streams["outbreaks"], calendar, sites, site_nights)
    model = _ConsultationModel(streams["activity"], calendar, weather, sites, site_nights,
                               visit_days, beds, outbreaks, waves)
    if consultations is None:
        consultations = int(streams["consultations"].poisson(model.expected_total))
    planted = _planted_events(calendar, sites, site_nights, outbreaks, pressure, spells, waves,
                              model.coverage_loss_cities())

    counts: dict[str, int] = {}
    with store.new_database(Path(path), keep_backup=keep_backup, change=change) as con:
        _insert(con, counts, "metadata", {
            "id": [1], "dataset_name": [DATASET_NAME], "is_synthetic": [True],
            "data_as_of": [as_of], "schema_version": [SCHEMA_VERSION],
            # Derived from as_of, not the clock, so that one seed gives identical contents.
            "created_at": [dt.datetime.combine(as_of, dt.time(23, 0))],
        })
        _insert(con, counts, "sites", _sites_columns(sites, as_of))
        _insert(con, counts, "weather_daily", _weather_columns(calendar, weather))
        _insert(con, counts, "winter_plan", _winter_plan_columns(plan))
        _insert(con, counts, "shelter_nights", shelter_nights)
        _insert(con, counts, "outreach", _outreach_columns(calendar, outreach))
        campaigns, vaccinations = _vaccinations(streams["vaccinations"], calendar, site_nights)
        _insert(con, counts, "vaccination_campaigns", campaigns)
        _insert(con, counts, "vaccinations", vaccinations)

        _insert(con, counts, "context_events", _context_events_columns(_context_events(calendar, sites)))
        con.execute(PLANTED_EVENTS_TABLE)
        _insert(con, counts, "demo_planted_events", _planted_columns(calendar, planted))
        bar = _ProgressBar("consultations", consultations) if progress else None
        counts["consultations"] = 0
        for chunk in _prefetched(model.chunks(streams["consultations"], consultations)):
            _insert(con, counts, "consultations", chunk)
            if bar:
                bar.advance(chunk.num_rows)
        # Every whole month is approved but the last, which waits for the manager (the Overview
        # says so): donors and the public see the demo up to the month before it.
        last_whole = _previous_month((as_of + dt.timedelta(days=1)).replace(day=1))
        counts["month_approvals"] = publication.approve_through(
            con, _previous_month(last_whole), DEMO_APPROVER, dt.datetime.combine(as_of, dt.time(9, 0)))
        if bar:
            bar.close()
            print("Summary tables (terrain/summaries.sql), then the published sets of every audience "
                  "(terrain/disclosure/publication.py)...", file=sys.stderr, flush=True)
    return counts


def _previous_month(month: dt.date) -> dt.date:
    """The first day of the month before `month` (a month's first day)."""
    return (month - dt.timedelta(days=1)).replace(day=1)


def _prefetched(chunks: Iterator[pa.Table]) -> Iterator[pa.Table]:
    """Draw the next chunk in a worker thread while the caller inserts the current one.

    numpy and DuckDB release the GIL, so the two overlap on two cores. Only the worker ever
    advances `chunks`, one chunk at a time, so the draws stay in the same order.
    """
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as worker:
        pending = worker.submit(next, chunks, None)
        while (chunk := pending.result()) is not None:
            pending = worker.submit(next, chunks, None)
            yield chunk


# --- calendar -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Calendar:
    days: np.ndarray          # datetime64[D], every day from start to as_of
    epoch_days: np.ndarray    # int32 days since 1970-01-01 (Arrow date32)
    year: np.ndarray
    month: np.ndarray         # 1..12
    weekday: np.ndarray       # 0 = Monday
    month_index: np.ndarray   # months since the first month of the period
    winterness: np.ndarray    # 0 in mid-July .. 1 in mid-January
    crossings: np.ndarray     # 1 in mid-August (Channel crossings and arrivals peak) .. -1 in February

    @classmethod
    def between(cls, start: dt.date, as_of: dt.date) -> _Calendar:
        days = np.arange(np.datetime64(start, "D"), np.datetime64(as_of, "D") + 1)
        epoch_days = days.astype(np.int64)
        months_since_1970 = days.astype("datetime64[M]").astype(np.int64)
        day_of_year = (days - days.astype("datetime64[Y]")).astype(np.int64)
        return cls(
            days=days,
            epoch_days=epoch_days.astype(np.int32),
            year=days.astype("datetime64[Y]").astype(np.int64) + 1970,
            month=months_since_1970 % 12 + 1,
            # 1970-01-01 was a Thursday.
            weekday=(epoch_days + 3) % 7,
            month_index=months_since_1970 - months_since_1970[0],
            winterness=(1 + np.cos(2 * np.pi * (day_of_year - 15) / 365.25)) / 2,
            crossings=np.cos(2 * np.pi * (day_of_year - 227) / 365.25),
        )

    @property
    def n_days(self) -> int:
        return len(self.days)

    @property
    def start(self) -> dt.date:
        return self.days[0].item()

    @property
    def as_of(self) -> dt.date:
        return self.days[-1].item()

    def index(self, day: dt.date) -> int:
        """Position of `day` in the period (may fall outside 0..n_days-1)."""
        return int((np.datetime64(day, "D") - self.days[0]).astype(np.int64))

    def between_mask(self, first: dt.date, last: dt.date) -> np.ndarray:
        return (self.days >= np.datetime64(first, "D")) & (self.days <= np.datetime64(last, "D"))

    def winters(self) -> Iterator[tuple[dt.date, dt.date]]:
        """Each 1 November – 31 March season that overlaps the period."""
        for year in range(self.start.year - 1, self.as_of.year + 1):
            season = (dt.date(year, 11, 1), dt.date(year + 1, 3, 31))
            if season[0] <= self.as_of and season[1] >= self.start:
                yield season


def _open_days(site: Site, calendar: _Calendar) -> np.ndarray:
    return calendar.between_mask(site.opened, site.closed or calendar.as_of)


def _programme_left(city: str) -> dt.date | None:
    """The day the programme left `city` for good (every site it ran there had closed), or
    None. Its weather and winter plan then no longer concern the programme."""
    closings = [site.closed for site in SITES if site.city == city]
    return max(closings) if closings and all(c is not None for c in closings) else None


def _left_before(city: str, day: dt.date) -> bool:
    left = _programme_left(city)
    return left is not None and day > left


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) day index of each run of True in `mask`."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), (np.flatnonzero(edges == -1) - 1).tolist()))


# --- the Calais winter shelter ----------------------------------------------------------------

# As published (docs/demo-data.md): 20 places from 22 January to 31 March 2024, then 29 from
# 2 December 2024 to 31 March 2025. Later winters are not public: assumed like 2024–25,
# 2 December – 31 March with 29 places.
_EMERGENCY_WINTERS = ((D(2024, 1, 22), D(2024, 3, 31), 20), (D(2024, 12, 2), D(2025, 3, 31), 29))
_EMERGENCY_LATER = ((12, 2), (3, 31), 29)


def _beds_by_night(site: Site, calendar: _Calendar) -> np.ndarray:
    """Beds available each night of the period (0: closed)."""
    if site.site_type != "emergency_shelter":
        return np.where(_open_days(site, calendar), site.bed_capacity, 0)
    (first_month, first_day), (last_month, last_day), places = _EMERGENCY_LATER
    winters = list(_EMERGENCY_WINTERS) + [
        (D(year, first_month, first_day), D(year + 1, last_month, last_day), places)
        for year in range(_EMERGENCY_WINTERS[-1][1].year, calendar.as_of.year + 1)]
    beds = np.zeros(calendar.n_days, dtype=np.int64)
    for first, last, places in winters:
        beds[calendar.between_mask(first, last)] = places
    return np.where(_open_days(site, calendar), beds, 0)


# --- weather --------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Climate:
    """Normal daily minimum and maximum (°C) in mid-January and mid-July."""

    tmin_winter: float
    tmin_summer: float
    tmax_winter: float
    tmax_summer: float


# Mid-January and mid-July values of a cosine cycle. December–February averages land a little
# warmer than mid-January and the cold spells drawn on top pull them back down, to about the
# normals: winter minimum ~2.5 °C in Calais/Dunkerque, ~2.7 °C in Paris, ~3.5 °C in Marseille.
_CLIMATES = {
    "Calais": _Climate(2.65, 14.0, 7.0, 20.5),
    "Grande-Synthe": _Climate(2.6, 14.5, 6.8, 21.0),
    "Paris": _Climate(2.6, 15.5, 7.2, 26.0),
    "Pantin": _Climate(2.6, 15.5, 7.2, 26.0),
    "Marseille": _Climate(2.8, 20.0, 11.4, 30.8),
}
# Nearby cities read the same station: Paris and Pantin identically, Grande-Synthe follows
# Calais with a little local noise.
_STATION_OF_CITY = {"Calais": "north", "Grande-Synthe": "north", "Paris": "paris",
                    "Pantin": "paris", "Marseille": "marseille"}


@dataclass(frozen=True)
class _Station:
    noise_sd: float            # day-to-day anomaly of the minimum, °C
    joins_cold_wave: float     # probability that a national cold wave reaches it
    cold_wave_scale: tuple[float, float]
    local_spells_per_winter: float


_STATIONS = {
    "north": _Station(2.6, 0.9, (0.85, 1.15), 0.7),
    "paris": _Station(2.8, 0.85, (0.8, 1.1), 0.3),
    "marseille": _Station(1.8, 0.3, (0.3, 0.5), 0.0),
}
_COLD_WAVES_PER_WINTER = 1.5
# Month in which a cold wave starts: November .. March.
_COLD_WAVE_MONTHS = {11: 0.08, 12: 0.28, 1: 0.34, 2: 0.24, 3: 0.06}


@dataclass(frozen=True)
class _Spell:
    first: dt.date
    last: dt.date


@dataclass(frozen=True)
class _Weather:
    tmin: dict[str, np.ndarray]
    tmax: dict[str, np.ndarray]
    vigilance: dict[str, np.ndarray]     # codes into VIGILANCE_COLOURS
    spells: dict[str, list[_Spell]]      # per city

    def cold_nights(self, city: str) -> np.ndarray:
        return self.tmin[city] <= 0


def _ar1(rng: np.random.Generator, n: int, sd: float, phi: float = 0.7) -> np.ndarray:
    """Autocorrelated noise with stationary standard deviation `sd`."""
    innovations = rng.normal(0.0, sd * np.sqrt(1 - phi**2), n)
    series = np.empty(n)
    if n == 0:
        return series
    series[0] = rng.normal(0.0, sd)
    for i in range(1, n):
        series[i] = phi * series[i - 1] + innovations[i]
    return series


def _seasonal(calendar: _Calendar, winter: float, summer: float) -> np.ndarray:
    return summer + (winter - summer) * calendar.winterness


def _cold_spells(rng: np.random.Generator, calendar: _Calendar) -> dict[str, list[tuple[int, int, float]]]:
    """Cold spells per station as (first day index, length, depth °C)."""
    spells: dict[str, list[tuple[int, int, float]]] = {name: [] for name in _STATIONS}
    months = np.array(list(_COLD_WAVE_MONTHS))
    month_p = np.array(list(_COLD_WAVE_MONTHS.values()))
    def day_in_season(season_start: dt.date) -> dt.date:
        month = int(rng.choice(months, p=month_p))
        year = season_start.year if month >= 11 else season_start.year + 1
        return dt.date(year, month, int(rng.integers(1, 29)))

    for season_start, _ in calendar.winters():
        for _ in range(rng.poisson(_COLD_WAVES_PER_WINTER)):
            first = day_in_season(season_start)
            length = int(rng.integers(3, 11))
            depth = rng.uniform(5.0, 10.5)
            for name, station in _STATIONS.items():
                joins = rng.random() < station.joins_cold_wave
                scale = rng.uniform(*station.cold_wave_scale)
                shift = int(rng.integers(-1, 2))
                if joins:
                    spells[name].append((calendar.index(first) + shift, length, depth * scale))
        for name, station in _STATIONS.items():
            for _ in range(rng.poisson(station.local_spells_per_winter)):
                first = day_in_season(season_start)
                spells[name].append((calendar.index(first), int(rng.integers(3, 7)),
                                     rng.uniform(4.0, 8.0)))
    return spells


def _weather(rng: np.random.Generator, calendar: _Calendar) -> _Weather:
    n = calendar.n_days
    spells = _cold_spells(rng, calendar)
    station_noise: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray, list[_Spell]]] = {}
    for name, station in _STATIONS.items():
        tmin_noise = _ar1(rng, n, station.noise_sd)
        tmax_noise = 0.8 * tmin_noise + _ar1(rng, n, 1.6)
        chill = np.zeros(n)
        dated_spells = []
        for first, length, depth in spells[name]:
            profile = np.full(length, depth)
            profile[[0, -1]] *= 0.6  # the cold sets in and lifts over a day
            lo, hi = max(first, 0), min(first + length, n)
            if lo < hi:
                chill[lo:hi] = np.maximum(chill[lo:hi], profile[lo - first:hi - first])
            dated_spells.append(_Spell(first=(calendar.days[0] + first).item(),
                                       last=(calendar.days[0] + first + length - 1).item()))
        station_noise[name] = (tmin_noise - chill, tmax_noise - 0.85 * chill, chill > 2.0,
                               sorted(dated_spells, key=lambda s: s.first))

    tmin, tmax, vigilance, city_spells = {}, {}, {}, {}
    for city in CITIES:
        climate = _CLIMATES[city]
        tmin_anomaly, tmax_anomaly, in_spell, spell_list = station_noise[_STATION_OF_CITY[city]]
        if city == "Grande-Synthe":
            local = _ar1(rng, n, 0.7)
            tmin_anomaly, tmax_anomaly = tmin_anomaly + local, tmax_anomaly + local
        low = _seasonal(calendar, climate.tmin_winter, climate.tmin_summer) + tmin_anomaly
        high = _seasonal(calendar, climate.tmax_winter, climate.tmax_summer) + tmax_anomaly
        high = np.maximum(high, low + 1.0)
        tmin[city], tmax[city] = np.round(low, 1), np.round(high, 1)
        # Météo-France "grand froid" vigilance only: the column is the cold vigilance colour.
        colour = np.zeros(n, dtype=np.int8)
        colour[(in_spell & (tmin[city] <= -2)) | (tmin[city] <= -5)] = 1
        colour[in_spell & (tmin[city] <= -6)] = 2
        colour[tmin[city] <= -10] = 3
        vigilance[city], city_spells[city] = colour, spell_list
    return _Weather(tmin=tmin, tmax=tmax, vigilance=vigilance, spells=city_spells)


def _weather_columns(calendar: _Calendar, weather: _Weather) -> dict[str, pa.Array]:
    # A city the programme has left for good (Grande-Synthe after 2016) keeps its weather up
    # to the day it left: no page, rule or brief has anything to set it against afterwards.
    days = {}
    for city in CITIES:
        left = _programme_left(city)
        days[city] = np.flatnonzero(calendar.days <= np.datetime64(left or calendar.as_of, "D"))
    return {
        "city": _dictionary(np.concatenate([np.full(len(days[c]), i) for i, c in enumerate(CITIES)]), CITIES),
        "day": pa.array(np.concatenate([calendar.epoch_days[days[c]] for c in CITIES]), pa.date32()),
        "tmin_c": np.concatenate([weather.tmin[c][days[c]] for c in CITIES]),
        "tmax_c": np.concatenate([weather.tmax[c][days[c]] for c in CITIES]),
        "vigilance": _dictionary(np.concatenate([weather.vigilance[c][days[c]] for c in CITIES]),
                                 VIGILANCE_COLOURS),
    }


# --- winter plan ----------------------------------------------------------------------------

_PLAN_AREAS = (("62", "Calais"), ("59", "Grande-Synthe"), ("75", "Paris"), ("93", "Pantin"),
               ("13", "Marseille"))


@dataclass(frozen=True)
class _PlanPeriod:
    area: str
    starts: dt.date
    ends: dt.date
    level: int  # index into PLAN_LEVELS


def _declared_level(rng: np.random.Generator, coldest: float) -> int | None:
    """The level a préfecture declares for a spell; declarations follow forecasts, loosely."""
    if rng.random() >= (0.9 if coldest <= -2 else 0.4 if coldest <= 0 else 0.1):
        return None
    if coldest <= -10 and rng.random() < 0.4:
        return 3
    if coldest <= -7 and rng.random() < 0.7:
        return 2
    return 1


def _winter_plan(rng: np.random.Generator, calendar: _Calendar, weather: _Weather) -> list[_PlanPeriod]:
    periods = []
    for area, city in _PLAN_AREAS:
        for season_start, season_end in calendar.winters():
            periods.append(_PlanPeriod(area, season_start, season_end, 0))
            declared: list[_PlanPeriod] = []
            for spell in weather.spells[city]:
                in_period = calendar.between_mask(spell.first, spell.last)
                if not (season_start <= spell.first <= season_end) or not in_period.any():
                    continue
                level = _declared_level(rng, float(weather.tmin[city][in_period].min()))
                starts = spell.first + dt.timedelta(days=int(rng.integers(-1, 2)))
                ends = spell.last + dt.timedelta(days=int(rng.integers(0, 3)))
                if level is None or starts > calendar.as_of:
                    continue
                # After 1 November (the seasonal watch owns that start date) and inside the season.
                starts = max(starts, season_start + dt.timedelta(days=1))
                ends = max(starts, min(ends, season_end, calendar.as_of))
                if declared and starts <= declared[-1].ends + dt.timedelta(days=1):
                    previous = declared.pop()
                    starts, ends = min(starts, previous.starts), max(ends, previous.ends)
                    level = max(level, previous.level)
                declared.append(_PlanPeriod(area, starts, ends, level))
            periods.extend(declared)
    return periods


def _winter_plan_columns(plan: list[_PlanPeriod]) -> dict[str, list]:
    return {
        "area": [p.area for p in plan],
        "area_kind": ["departement"] * len(plan),
        "starts": [p.starts for p in plan],
        "ends": [p.ends for p in plan],
        "level": [PLAN_LEVELS[p.level] for p in plan],
    }


# --- cold spells, waves of minors, shelter pressure ----------------------------------------------

def _is_shelter(site: Site) -> bool:
    return site.site_type in ("shelter", "emergency_shelter")


@dataclass(frozen=True)
class _FrostSpell:
    """A cold spell that brought a night at or below 0 °C to a city while one of the
    programme's shelters there was open: the cold the cold exclusion alert watches."""

    city: str
    first: int    # day index, the spell's first day in the period
    last: int


def _frost_spells(calendar: _Calendar, weather: _Weather, sites: tuple[Site, ...],
                  site_nights: dict[str, np.ndarray]) -> list[_FrostSpell]:
    found = []
    for city in CITIES:
        sheltered = np.zeros(calendar.n_days, dtype=bool)
        for site in sites:
            if site.city == city and _is_shelter(site):
                sheltered |= site_nights[site.site_id]
        for spell in weather.spells[city]:
            first, last = max(calendar.index(spell.first), 0), min(calendar.index(spell.last), calendar.n_days - 1)
            if first > last:
                continue
            days = np.arange(first, last + 1)
            if (weather.cold_nights(city)[days] & sheltered[days]).any():
                found.append(_FrostSpell(city, first, last))
    return found


@dataclass(frozen=True)
class _Wave:
    """An arrival wave of unaccompanied minors at a minors' site: its consultations rise over
    `up` days to `peak` times their usual level, stay there `plateau` days and come down over
    `down` days."""

    site_id: str
    first: int
    up: int
    plateau: int
    down: int
    peak: float

    @property
    def last(self) -> int:
        return self.first + self.up + self.plateau + self.down - 1

    def factor(self, n_days: int) -> np.ndarray:
        shape = np.concatenate([np.linspace(0, 1, self.up, endpoint=False), np.ones(self.plateau),
                                np.linspace(1, 0, self.down + 1)[1:]])
        factor = np.ones(n_days)
        days = np.arange(self.first, self.last + 1)
        inside = (days >= 0) & (days < n_days)
        factor[days[inside]] += (self.peak - 1) * shape[inside]
        return factor


# Waves per year at each minors' site, and the months they may start in: summer arrivals on
# the coast at Calais; at Pantin and Marseille at any time of the year.
_WAVES = {
    "calais_day_centre": (0.7, (6, 7, 8)),
    "pantin_minors_centre": (0.35, tuple(range(1, 13))),
    "pantin_minors_shelter": (0.3, tuple(range(1, 13))),
    "pantin_girls_shelter": (0.3, tuple(range(1, 13))),
    "marseille_minors_shelter": (0.3, tuple(range(1, 13))),
}
_YEAR = 364          # 52 weeks, the minors surge alert's "same weeks a year earlier"
_WAVE_MARGIN = 28


def _minors_waves(rng: np.random.Generator, calendar: _Calendar, sites: tuple[Site, ...],
                  site_nights: dict[str, np.ndarray]) -> list[_Wave]:
    """Waves placed where the year before was observed and calm: each is at least 1.6 times
    the same weeks a year earlier for several weeks, and no wave sits a year before or after
    another, which would hide one of them."""
    waves: list[_Wave] = []
    for site in sites:
        if site.site_id not in _WAVES:
            continue
        per_year, months = _WAVES[site.site_id]
        open_days = site_nights[site.site_id]
        observed_before = np.roll(open_days, _YEAR + _WAVE_MARGIN)
        observed_before[:_YEAR + _WAVE_MARGIN] = False
        eligible = np.flatnonzero(open_days & observed_before & np.isin(calendar.month, months))
        if len(eligible) == 0:
            continue
        mine: list[_Wave] = []
        for _ in range(rng.poisson(per_year * len(eligible) / (365.25 * len(months) / 12))):
            # A plateau of four weeks or more: the alert sums four weeks.
            wave = _Wave(site.site_id, int(rng.choice(eligible)), int(rng.integers(10, 22)),
                         int(rng.integers(28, 43)), int(rng.integers(10, 22)), float(rng.uniform(2.2, 2.8)))
            # Apart from every other wave of the site, and from the same weeks a year before or
            # after one: the alert compares each week with the same week a year earlier.
            clashes = any(wave.first < other.last + shift + _WAVE_MARGIN
                          and other.first + shift < wave.last + _WAVE_MARGIN
                          for other in mine for shift in (-_YEAR, 0, _YEAR))
            if not clashes:
                mine.append(wave)
        waves += sorted(mine, key=lambda w: w.first)
    return waves


@dataclass(frozen=True)
class _Demand:
    """How a shelter fills. Outside pressure one bed is kept for a night arrival and
    `spare_beds` more are free on average; under pressure (a planted period, a cold spell, a
    wave of arrivals) demand exceeds the beds and the shelter is full. People are turned away
    at the door mostly in a cold spell, when everyone sleeping out asks; on other nights the
    partners who refer people know the shelter is full, and few come."""

    spare_beds: float
    pressure_every: float            # mean days between the starts of two pressure periods
    pressure_days: tuple[int, int]   # length, in days
    turned_away: float               # mean people turned away a night of pressure
    turned_away_cold: float          # ... per bed, a night of a cold spell
    minors_share: float              # of the people turned away
    girls_share: float


_SHELTER_DEMAND = {
    # "Saturated in the first weeks of December; otherwise we keep one or two places free
    # for arrivals in the night" (MSF Calais, winter 2024–25): docs/demo-data.md.
    "calais_emergency_shelter": _Demand(1.0, 60, (7, 14), 0.1, 0.15, 0.55, 0.2),
    # Small shelters for vulnerable minors are in demand: long and frequent pressure.
    "pantin_minors_shelter": _Demand(0.8, 80, (14, 56), 0.08, 0.2, 1.0, 0.08),
    "pantin_girls_shelter": _Demand(0.25, 80, (14, 56), 0.08, 0.25, 0.85, 1.0),
    "marseille_minors_shelter": _Demand(0.8, 90, (14, 56), 0.08, 0.2, 1.0, 0.07),
}
# Published: the Calais winter shelter was saturated in the first weeks of December 2024.
_PUBLISHED_PRESSURE = (("calais_emergency_shelter", D(2024, 12, 2), D(2024, 12, 20)),)


def _pressure_nights(rng: np.random.Generator, calendar: _Calendar, site: Site, open_nights: np.ndarray,
                     spells: list[_FrostSpell], waves: list[_Wave]) -> np.ndarray:
    """The nights the shelter's demand exceeds its beds: planted periods (more often in
    winter), the city's cold spells and the site's waves of arrivals."""
    demand = _SHELTER_DEMAND[site.site_id]
    pressure = np.zeros(calendar.n_days, dtype=bool)
    days = np.flatnonzero(open_nights)
    if len(days):
        day = days[0] + rng.exponential(demand.pressure_every)
        while day <= days[-1]:
            length = int(rng.integers(demand.pressure_days[0], demand.pressure_days[1] + 1))
            pressure[int(day):int(day) + length] = True
            # Pressure comes back sooner in winter, when the streets are hardest.
            winter = calendar.winterness[min(int(day) + length, calendar.n_days - 1)]
            day += length + rng.exponential(demand.pressure_every * (1.3 - 0.6 * winter))
    for site_id, first, last in _PUBLISHED_PRESSURE:
        if site_id == site.site_id:
            pressure |= calendar.between_mask(first, last)
    for spell in spells:
        if spell.city == site.city:
            pressure[spell.first:spell.last + 1] = True
    for wave in waves:
        if wave.site_id == site.site_id:
            pressure[max(wave.first, 0):wave.last + 1] = True
    return pressure & open_nights


def _shelter_nights(rng: np.random.Generator, calendar: _Calendar, weather: _Weather,
                    sites: tuple[Site, ...], site_nights: dict[str, np.ndarray], beds: dict[str, np.ndarray],
                    spells: list[_FrostSpell], waves: list[_Wave]
                    ) -> tuple[dict[str, pa.Array], dict[str, np.ndarray]]:
    """The shelter_nights columns, and each shelter's nights of pressure (planted events)."""
    columns: dict[str, list[np.ndarray]] = {name: [] for name in (
        "site_id", "night", "beds_available", "beds_occupied", "turned_away",
        "turned_away_minors", "turned_away_girls")}
    site_ids = tuple(site.site_id for site in sites)
    pressure_of: dict[str, np.ndarray] = {}
    n = calendar.n_days
    # One stream per site: a change to one shelter's nights leaves the others' as they were.
    for position, (site, site_rng) in enumerate(zip(sites, rng.spawn(len(sites)))):
        if not _is_shelter(site):
            continue
        demand = _SHELTER_DEMAND[site.site_id]
        open_nights, available = site_nights[site.site_id], beds[site.site_id]
        pressure = _pressure_nights(site_rng, calendar, site, open_nights, spells, waves)
        in_spell = np.zeros(n, dtype=bool)
        for spell in spells:
            if spell.city == site.city:
                in_spell[spell.first:spell.last + 1] = True
        cold = weather.cold_nights(site.city) | (weather.vigilance[site.city] >= 2)
        # Under pressure the shelter is full on most nights (every night of a cold spell);
        # otherwise a full night is rare.
        full = site_rng.random(n) < np.where(pressure, np.where(in_spell, 1.0, 0.9), 0.02)
        free = 1 + site_rng.poisson(demand.spare_beds, n)
        settled = np.where(full, available, np.maximum(available - free, 0))
        more = site_rng.poisson(np.where(in_spell, demand.turned_away_cold * available, demand.turned_away))
        # On a night of frost in a cold spell someone still asks once the last mattress is taken.
        more = np.where(in_spell & cold, more + available // 10 + 1, more)
        asked = settled + np.where(full & pressure, more, 0)
        # On some cold nights a few mattresses go on the floor, up to a tenth over capacity.
        mattresses = np.where(cold & pressure & (site_rng.random(n) < 0.6), available // 10, 0)
        occupied = np.minimum(asked, available + mattresses)
        turned_away = asked - occupied
        minors = site_rng.binomial(turned_away, demand.minors_share)
        girls = site_rng.binomial(turned_away, demand.girls_share)
        columns["site_id"].append(np.full(int(open_nights.sum()), position))
        columns["night"].append(calendar.epoch_days[open_nights])
        for name, values in (("beds_available", available), ("beds_occupied", occupied),
                             ("turned_away", turned_away), ("turned_away_minors", minors),
                             ("turned_away_girls", girls)):
            columns[name].append(values[open_nights])
        pressure_of[site.site_id] = pressure
    joined = {name: np.concatenate(parts) if parts else np.zeros(0, np.int64)
              for name, parts in columns.items()}
    return {
        "site_id": _dictionary(joined["site_id"], site_ids),
        "night": pa.array(joined["night"].astype(np.int32), pa.date32()),
        **{name: pa.array(joined[name].astype(np.int32)) for name in (
            "beds_available", "beds_occupied", "turned_away", "turned_away_minors",
            "turned_away_girls")},
    }, pressure_of


# --- outreach -------------------------------------------------------------------------------

PLACE_TYPES = ("street", "squat", "camp")


@dataclass(frozen=True)
class _Rounds:
    """A team's outreach rounds: chance of going out each weekday (Monday first), and per
    place type the chance of visiting it on a round and the people usually reached there."""

    weekdays: tuple[float, ...]
    place_chance: tuple[float, float, float]
    usual_reach: tuple[float, float, float]


_OUTREACH_TEAMS = {
    "paris_la_chapelle_mobile": _Rounds((0.9, 0.9, 0.35, 0.9, 0.85, 0.05, 0.0),
                                        (0.95, 0.45, 0.3), (30, 22, 40)),
    "marseille_squats": _Rounds((0.1, 0.85, 0.2, 0.85, 0.3, 0.0, 0.0),
                                (0.15, 0.9, 0.45), (12, 20, 30)),
}


def _outreach(rng: np.random.Generator, calendar: _Calendar, weather: _Weather,
              site_nights: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """People reached per team, day and place type (0 where the team did not go)."""
    reached = {}
    sites = {site.site_id: site for site in SITES}
    for team, rounds in _OUTREACH_TEAMS.items():
        if team not in site_nights:
            continue
        n = calendar.n_days
        goes_out = site_nights[team] & (rng.random(n) < np.array(rounds.weekdays)[calendar.weekday])
        places = rng.random((n, 3)) < np.array(rounds.place_chance)
        places[~places.any(axis=1), int(np.argmax(rounds.place_chance))] = True
        places &= goes_out[:, None]
        city = sites[team].city
        demand = (1 + 0.35 * calendar.winterness + 0.2 * weather.cold_nights(city))[:, None]
        people = np.array(rounds.usual_reach) * demand * np.exp(rng.normal(0, 0.35, (n, 3)))
        reached[team] = np.where(places, np.clip(np.round(people), 5, 80), 0).astype(np.int32)
    return reached


def _outreach_columns(calendar: _Calendar, outreach: dict[str, np.ndarray]) -> dict[str, pa.Array]:
    site_ids = tuple(sorted(outreach))
    day, team, place, people = [], [], [], []
    for position, team_id in enumerate(site_ids):
        day_index, place_index = np.nonzero(outreach[team_id])
        day.append(calendar.epoch_days[day_index])
        team.append(np.full(len(day_index), position))
        place.append(place_index)
        people.append(outreach[team_id][day_index, place_index])
    if not site_ids:
        day = team = place = people = [np.zeros(0, np.int32)]
    return {
        "visited_on": pa.array(np.concatenate(day).astype(np.int32), pa.date32()),
        "team_id": _dictionary(np.concatenate(team), site_ids),
        "place_type": _dictionary(np.concatenate(place), PLACE_TYPES),
        "people_reached": pa.array(np.concatenate(people).astype(np.int32)),
    }


# --- vaccinations ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Round:
    """The part of a campaign given at one site: its days, its share of the people
    vaccinated, and their ages (shares by age band)."""

    site_id: str
    first: dt.date
    last: dt.date
    share: float
    ages: dict[str, float]


@dataclass(frozen=True)
class _Campaign:
    campaign_id: str
    antigen: str
    starts: dt.date
    ends: dt.date
    target_ages: str
    population: tuple[int, int]   # plausible range of the target population (docs/demo-data.md)
    vaccinated: int               # people expected to be vaccinated, one dose each
    rounds: tuple[_Round, ...]
    target_age_bands: tuple[str, ...] | None = None  # None: read from target_ages (terrain/campaigns.py)


_CAMP_DOSE_AGES = {"0-14": 0.04, "15-17": 0.09, "18-24": 0.36, "25-34": 0.32, "35+": 0.16, "unknown": 0.03}
_FAMILY_CAMP_DOSE_AGES = {"0-14": 0.17, "15-17": 0.06, "18-24": 0.26, "25-34": 0.30, "35+": 0.19,
                          "unknown": 0.02}
_CAMPAIGNS = (
    # Measles, after the outbreak of January 2016: adults and children from 6 months; about
    # 3,500 vaccinated, 60 % of them in Calais, from 28 January in Calais, the week after in
    # Grande-Synthe (docs/demo-data.md for the sources and the population range).
    _Campaign("measles-2016-calais-grande-synthe", "measles", D(2016, 1, 28), D(2016, 2, 12),
              "tous âges à partir de 6 mois / all ages from 6 months", (5000, 6900), 3500,
              (_Round("calais_jungle", D(2016, 1, 28), D(2016, 2, 5), 0.6, _CAMP_DOSE_AGES),
               _Round("grande_synthe_basroch", D(2016, 2, 8), D(2016, 2, 12), 0.4, _FAMILY_CAMP_DOSE_AGES))),
    _Campaign("mmr-2019-pantin-minors", "mmr", D(2019, 3, 4), D(2019, 4, 12),
              "15–17 ans, rattrapage / 15–17 years, catch-up", (250, 450), 190,
              (_Round("pantin_minors_centre", D(2019, 3, 4), D(2019, 4, 12), 1.0,
                      {"15-17": 0.8, "unknown": 0.2}),)),
    # The shelter's residents over the month, 20 beds with some turnover.
    _Campaign("mmr-2021-marseille-minors", "mmr", D(2021, 10, 4), D(2021, 10, 29),
              "mineurs non accompagnés / unaccompanied minors", (22, 40), 17,
              (_Round("marseille_minors_shelter", D(2021, 10, 4), D(2021, 10, 29), 1.0,
                      {"15-17": 0.8, "0-14": 0.05, "unknown": 0.15}),)),
    _Campaign("dtp-2023-calais-minors", "dtp", D(2023, 9, 11), D(2023, 10, 20),
              "mineurs non accompagnés / unaccompanied minors", (300, 700), 200,
              (_Round("calais_day_centre", D(2023, 9, 11), D(2023, 10, 20), 1.0,
                      {"15-17": 0.75, "unknown": 0.2, "0-14": 0.05}),)),
    # People in the Calais camps: 400–600 in 2023, more than 1,000 in January 2024.
    _Campaign("influenza-2024-calais-camps", "influenza", D(2024, 11, 12), D(2024, 12, 13),
              "15 ans et plus / 15 years and over", (600, 1200), 300,
              (_Round("calais_camps", D(2024, 11, 12), D(2024, 12, 13), 1.0,
                      {"15-17": 0.08, "18-24": 0.35, "25-34": 0.35, "35+": 0.22}),)),
)
# Catch-up vaccination outside campaigns, on Tuesdays at the Pantin centre: mean doses for
# 15-17-year-olds (a quarter as many for minors of unknown age). About 260 DTP and 200
# hepatitis B doses a year, for some 850 minors seen for the first time.
_ROUTINE_SITE, _ROUTINE_WEEKDAY = "pantin_minors_centre", 1
_ROUTINE_DOSES = {"dtp": 4.0, "hepatitis_b": 3.0}


def _vaccinations(rng: np.random.Generator, calendar: _Calendar,
                  site_nights: dict[str, np.ndarray]) -> tuple[dict[str, list], dict[str, list]]:
    campaigns: dict[str, list] = {name: [] for name in (
        "campaign_id", "antigen", "starts", "ends", "target_ages", "target_age_bands", "population_low",
        "population_high")}
    doses: dict[str, list] = {name: [] for name in (
        "vaccinated_on", "site_id", "campaign_id", "antigen", "age_band", "doses")}

    def add(day_index: int, site_id: str, campaign_id: str | None, antigen: str, age_band: str,
            count: int) -> None:
        if count > 0:
            doses["vaccinated_on"].append(calendar.days[day_index].item())
            doses["site_id"].append(site_id)
            doses["campaign_id"].append(campaign_id)
            doses["antigen"].append(antigen)
            doses["age_band"].append(age_band)
            doses["doses"].append(int(count))

    working_days = calendar.weekday < 5
    for campaign in _CAMPAIGNS:
        if campaign.starts > calendar.as_of or campaign.ends < calendar.start:
            continue
        for name, value in (("campaign_id", campaign.campaign_id), ("antigen", campaign.antigen),
                            ("starts", campaign.starts), ("ends", campaign.ends),
                            ("target_ages", campaign.target_ages),
                            ("target_age_bands",
                             list(campaign.target_age_bands or bands_in_words(campaign.target_ages) or ())),
                            ("population_low", campaign.population[0]),
                            ("population_high", campaign.population[1])):
            campaigns[name].append(value)
        # People, not doses drawn day by day: a campaign cannot vaccinate more people than its
        # lowest population estimate, so coverage stays within 100 % of it.
        low = campaign.population[0]
        people = rng.binomial(low, min(campaign.vaccinated / low, 1.0))
        per_round = rng.multinomial(people, [r.share for r in campaign.rounds])
        for round_, count in zip(campaign.rounds, per_round):
            days = np.flatnonzero(calendar.between_mask(round_.first, round_.last) & working_days
                                  & site_nights.get(round_.site_id, False))
            if len(days) == 0:
                continue
            bands = list(round_.ages)
            shares = np.array([round_.ages[band] for band in bands])
            # Spread evenly over the round's working days, by age band.
            cells = rng.multinomial(count, np.outer(np.full(len(days), 1 / len(days)), shares / shares.sum()).ravel())
            for (day_position, band_position), given in np.ndenumerate(cells.reshape(len(days), len(bands))):
                add(days[day_position], round_.site_id, campaign.campaign_id, campaign.antigen,
                    bands[band_position], given)

    if _ROUTINE_SITE in site_nights:
        days = np.flatnonzero(site_nights[_ROUTINE_SITE] & (calendar.weekday == _ROUTINE_WEEKDAY))
        for antigen, mean in _ROUTINE_DOSES.items():
            for band, band_mean in (("15-17", mean), ("unknown", mean / 4)):
                for day, given in zip(days, rng.poisson(band_mean, len(days))):
                    add(day, _ROUTINE_SITE, None, antigen, band, given)
    order = sorted(range(len(doses["doses"])), key=lambda i: (
        doses["vaccinated_on"][i], doses["site_id"][i], doses["antigen"][i], doses["age_band"][i]))
    return campaigns, {name: [values[i] for i in order] for name, values in doses.items()}


# --- consultations --------------------------------------------------------------------------

def _probabilities(weights: dict[str, float], labels: tuple[str, ...]) -> np.ndarray:
    """A probability vector over `labels`; labels not named get 0, 'other' takes the rest."""
    unknown = set(weights) - set(labels)
    if unknown:
        raise ValueError(f"unknown categories {sorted(unknown)}")
    p = np.array([weights.get(label, 0.0) for label in labels], dtype=float)
    if "other" in labels and "other" not in weights:
        p[labels.index("other")] = max(0.0, 1.0 - p.sum())
    return p / p.sum()


@dataclass(frozen=True)
class _Profile:
    """Where, when and for whom a site consults.

    `levels` are consultations on an ordinary open day (per bed and night for a shelter,
    whose beds change), at dated points: between them the level moves gradually (linearly
    in its logarithm), beyond them it stays. docs/demo-data.md sets them against the public
    figures."""

    levels: tuple[tuple[dt.date, float], ...]
    per_bed: bool
    crossings: float                   # summer peak where crossings and arrivals peak: +/- this share
    weekdays: tuple[float, ...]        # Monday first; mobile teams consult on their rounds only
    activity: tuple[float, float, float, float]
    age: tuple[float, ...]             # in AGE_BANDS order
    sex: tuple[float, float, float]    # F, M, X
    diagnoses: str                     # key of _MEDICAL_DIAGNOSES
    cold_exposure: float               # sleeping rough: 1; indoors: lower
    minors_focus: bool
    new_share: float                   # first consultations of a person at the site


_EVERY_DAY = (1, 1, 1, 1, 1, 1, 1)
_CLINIC_DAYS = (1, 1, 1, 1, 1, 1, 0.4)
_TEAM_DAYS = (1, 1, 1, 1, 1, 0, 0)
_OFFICE_DAYS = (1, 1, 1, 1, 1, 0.3, 0)
_SHELTER_DAYS = (1, 1, 1, 1, 1, 0.5, 0.5)
_CAMP_ACTIVITY = (0.80, 0.14, 0.05, 0.01)
_CAMP_AGES = (0.05, 0.09, 0.34, 0.32, 0.16, 0.04)
_MINOR_AGES = (0.06, 0.62, 0.03, 0.0, 0.0, 0.29)
_THROUGH = D(2026, 12, 31)

_PROFILES = {
    # The Jungle grew from about 4,000 people in January 2016 to 7,000–9,000 in the autumn.
    "calais_jungle": _Profile(((D(2016, 1, 1), 55), (D(2016, 10, 31), 75)), False, 0.15, _CLINIC_DAYS,
                              _CAMP_ACTIVITY, _CAMP_AGES, (0.07, 0.92, 0.01), "exposed", 1.0, False, 0.6),
    # A team of six with one nurse for 400–600 people (2023): about 15 consultations a
    # working day, more in summer.
    "calais_camps": _Profile(((D(2023, 1, 1), 14), (_THROUGH, 15)), False, 0.25, _TEAM_DAYS,
                             _CAMP_ACTIVITY, _CAMP_AGES, (0.06, 0.93, 0.01), "exposed", 1.0, False, 0.6),
    # Grande-Synthe's camps sheltered many families; about 2,500 people at the Basroch,
    # 1,500 moved to La Linière in March 2016, fewer over the summer.
    "grande_synthe_basroch": _Profile(((D(2016, 1, 1), 45),), False, 0.2, _CLINIC_DAYS, _CAMP_ACTIVITY,
                                      (0.14, 0.06, 0.27, 0.30, 0.19, 0.04), (0.24, 0.75, 0.01),
                                      "exposed", 1.0, False, 0.55),
    "grande_synthe_la_liniere": _Profile(((D(2016, 3, 7), 38),), False, 0.15, _CLINIC_DAYS, _CAMP_ACTIVITY,
                                         (0.13, 0.06, 0.28, 0.30, 0.19, 0.04), (0.22, 0.77, 0.01),
                                         "exposed", 0.7, False, 0.5),
    # Minors and families, a few nights each: few consultations a bed.
    "calais_emergency_shelter": _Profile(((D(2024, 1, 22), 0.08),), True, 0.0, _EVERY_DAY,
                                         (0.82, 0.14, 0.04, 0.0), (0.30, 0.30, 0.12, 0.14, 0.08, 0.06),
                                         (0.35, 0.64, 0.01), "exposed", 0.8, False, 0.55),
    # About 600 consultations from 26 December 2016 to early March 2017, three or four days
    # a week; nearly 1,000 medical consultations in 2018 (a weekly clinic and rounds).
    "paris_la_chapelle_mobile": _Profile(((D(2016, 6, 1), 8), (D(2016, 12, 1), 11), (D(2017, 2, 1), 13),
                                          (D(2018, 1, 1), 6)), False, 0.0, _EVERY_DAY, _CAMP_ACTIVITY,
                                         (0.02, 0.06, 0.30, 0.34, 0.24, 0.04), (0.14, 0.85, 0.01),
                                         "exposed", 1.0, False, 0.6),
    "marseille_squats": _Profile(((D(2023, 1, 1), 9),), False, 0.0, _EVERY_DAY, _CAMP_ACTIVITY,
                                 (0.06, 0.12, 0.30, 0.28, 0.18, 0.06), (0.15, 0.84, 0.01),
                                 "exposed", 0.8, False, 0.5),
    # 30 to 50 young people a day, 787 minors followed in 2018: each comes back often (legal
    # appeals, care), so few consultations are a first one. Legal and social work is
    # concentrated here.
    "pantin_minors_centre": _Profile(((D(2017, 12, 5), 30), (D(2018, 6, 1), 34)), False, 0.1, _OFFICE_DAYS,
                                     (0.42, 0.22, 0.20, 0.16), _MINOR_AGES, (0.08, 0.91, 0.01),
                                     "minors", 0.3, True, 0.09),
    "calais_day_centre": _Profile(((D(2023, 7, 3), 18), (_THROUGH, 20)), False, 0.25, _OFFICE_DAYS,
                                  (0.60, 0.25, 0.12, 0.03), _MINOR_AGES, (0.05, 0.94, 0.01),
                                  "minors", 0.5, True, 0.45),
    # A shelter's residents stay for weeks: a consultation or two a day for 20 beds.
    "pantin_minors_shelter": _Profile(((D(2020, 11, 2), 0.06),), True, 0.0, _SHELTER_DAYS,
                                      (0.50, 0.30, 0.12, 0.08), _MINOR_AGES, (0.06, 0.93, 0.01),
                                      "minors", 0.2, True, 0.12),
    "marseille_minors_shelter": _Profile(((D(2020, 6, 2), 0.06),), True, 0.0, _SHELTER_DAYS,
                                         (0.50, 0.30, 0.12, 0.08), _MINOR_AGES, (0.06, 0.93, 0.01),
                                         "minors", 0.2, True, 0.12),
    "pantin_girls_shelter": _Profile(((D(2022, 3, 1), 0.12),), True, 0.0, _SHELTER_DAYS,
                                     (0.45, 0.35, 0.12, 0.08), (0.08, 0.64, 0.04, 0.0, 0.0, 0.24),
                                     (1.0, 0.0, 0.0), "girls", 0.2, True, 0.15),
}

# Diagnoses of medical consultations ('other' takes the rest).
_MEDICAL_DIAGNOSES = {
    "exposed": {"respiratory_infection": 0.17, "skin_infection_scabies": 0.09,
                "trauma_violence": 0.10, "hypothermia_frostbite": 0.01, "mental_health": 0.03,
                "digestive": 0.08, "acute_diarrhoea": 0.02, "chronic_disease": 0.06,
                "dental": 0.06, "musculoskeletal": 0.09, "foot_wounds": 0.08, "eye_ear": 0.04,
                "urinary_genital": 0.03, "pregnancy_care": 0.01, "sexual_violence": 0.005,
                "suspected_measles": 0.001, "tuberculosis_suspected": 0.004,
                "fever_other": 0.04, "vaccination_check": 0.01},
    "minors": {"respiratory_infection": 0.14, "skin_infection_scabies": 0.08,
               "trauma_violence": 0.09, "hypothermia_frostbite": 0.003, "mental_health": 0.06,
               "digestive": 0.08, "acute_diarrhoea": 0.015, "chronic_disease": 0.03,
               "dental": 0.08, "musculoskeletal": 0.08, "foot_wounds": 0.05, "eye_ear": 0.05,
               "urinary_genital": 0.02, "pregnancy_care": 0.002, "sexual_violence": 0.01,
               "suspected_measles": 0.0005, "tuberculosis_suspected": 0.006,
               "fever_other": 0.05, "vaccination_check": 0.06},
    "girls": {"respiratory_infection": 0.13, "skin_infection_scabies": 0.06,
              "trauma_violence": 0.08, "hypothermia_frostbite": 0.002, "mental_health": 0.07,
              "digestive": 0.08, "acute_diarrhoea": 0.015, "chronic_disease": 0.03,
              "dental": 0.07, "musculoskeletal": 0.06, "foot_wounds": 0.03, "eye_ear": 0.05,
              "urinary_genital": 0.06, "pregnancy_care": 0.04, "sexual_violence": 0.06,
              "suspected_measles": 0.0005, "tuberculosis_suspected": 0.005,
              "fever_other": 0.05, "vaccination_check": 0.06},
}
_DIAGNOSES = tuple(_MEDICAL_DIAGNOSES)
_MENTAL_HEALTH_DIAGNOSES = {"mental_health": 0.85, "trauma_violence": 0.07, "sexual_violence": 0.04}
# Unaccompanied minor (yes, no, unknown) given the age band, at minors' sites and elsewhere.
_UNACCOMPANIED = {
    True: ((0.90, 0.05, 0.05), (0.93, 0.02, 0.05), (0, 0.6, 0.4), (0, 0.7, 0.3), (0, 0.7, 0.3),
           (0.85, 0.03, 0.12)),
    False: ((0.15, 0.80, 0.05), (0.70, 0.15, 0.15), (0, 0.93, 0.07), (0, 0.95, 0.05),
            (0, 0.95, 0.05), (0.30, 0.30, 0.40)),
}
_REFERRAL_RATE = (0.15, 0.18, 0.12, 0.10)     # per activity
# Health coverage. The share with none is the city's, whatever site the person comes to, so
# that a site opening or closing does not move a city's share by itself (mixing sites of
# different shares once raised a false access-to-care alert). The 2023 immigration law,
# adopted on 19 December 2023, raised it for a while through fear and confusion, though its
# health restrictions were struck down on 25 January 2024: up to its peak in February, back
# to usual by the end of 2024 (docs/demo-data.md). The others split between AME, PUMa/CSS
# and unknown by the site's focus.
_NO_COVERAGE = {"Calais": 0.45, "Grande-Synthe": 0.45, "Paris": 0.42, "Pantin": 0.50, "Marseille": 0.46}
_LAW_RISE = 0.15
_LAW_EFFECT = (D(2023, 12, 19), D(2024, 2, 1), D(2024, 4, 30), D(2024, 12, 31))  # rises, peaks, holds, gone
_OTHER_COVERAGE = {True: (0.25, 0.35, 0.40), False: (0.55, 0.28, 0.17)}
_MEDICAL = ACTIVITIES.index("medical")
_PREGNANCY_CARE = DIAGNOSIS_GROUPS.index("pregnancy_care")
_FEMALE = SEXES.index("F")
_UNDER_15, _AGED_15_17 = AGE_BANDS.index("0-14"), AGE_BANDS.index("15-17")
# Diagnoses that replace a medical consultation's usual one in cold weeks and outbreaks.
_SURGE_DIAGNOSES = ("respiratory_infection", "hypothermia_frostbite", "skin_infection_scabies",
                    "acute_diarrhoea", "suspected_measles")
_OUTBREAK_DIAGNOSES = ("skin_infection_scabies", "acute_diarrhoea", "suspected_measles")


@dataclass(frozen=True)
class _Outbreak:
    site_id: str
    diagnosis: str
    first: int          # day index
    length: int         # days, within the site's open period
    size: float         # 0..1: where it lies between a small and a large outbreak of its kind
    peak_week: float | None = None   # cases a week at the peak, when known (the 2016 measles)

    @property
    def shape(self) -> np.ndarray:
        """Relative daily cases: a quick rise, then a slow fall (measles: as reported, flat)."""
        if self.diagnosis == "suspected_measles":
            return np.linspace(0.9, 0.7, self.length)
        rise = min(7, max(2, self.length // 4), self.length)
        return np.concatenate([np.linspace(0.6, 1, rise, endpoint=False),
                               np.linspace(1, 0.15, self.length - rise)])


# Outbreaks a year of the site open, before the respite below: scabies (any time), acute
# diarrhoea (June–September).
# Scabies is common among minors too ("dermatological problems are very common", MSF Pantin).
_OUTBREAK_RATES = {
    "calais_jungle": (1.0, 0.25), "calais_camps": (1.0, 0.25), "grande_synthe_basroch": (1.0, 0.25),
    "grande_synthe_la_liniere": (1.0, 0.25), "paris_la_chapelle_mobile": (1.0, 0.25),
    "marseille_squats": (1.0, 0.25), "calais_day_centre": (0.6, 0.1), "pantin_minors_centre": (0.6, 0.1),
}
_OUTBREAK_HISTORY = 56
_OUTBREAK_RESPITE = 84
# The suspected cases of the January 2016 measles outbreak (5 January – 11 February in the
# Calais camp; suspected cases at Grande-Synthe too): cases a week at each site.
_MEASLES_2016 = ((D(2016, 1, 4), D(2016, 2, 14)), {"calais_jungle": 9.0, "grande_synthe_basroch": 7.0})


def _outbreak_peak_week(outbreak: _Outbreak, medical_week: float) -> float:
    """Extra cases a week at the peak: a share of the site's medical consultations, and never
    less than a cluster a surveillance team would see at a small site."""
    if outbreak.peak_week is not None:
        return outbreak.peak_week
    if outbreak.diagnosis == "skin_infection_scabies":
        return max(10 + 6 * outbreak.size, (0.25 + 0.15 * outbreak.size) * medical_week)
    return max(10 + 5 * outbreak.size, (0.2 + 0.15 * outbreak.size) * medical_week)


def _outbreaks(rng: np.random.Generator, calendar: _Calendar, sites: tuple[Site, ...],
               site_nights: dict[str, np.ndarray]) -> list[_Outbreak]:
    outbreaks = []
    for site in sites:
        if site.site_id not in _OUTBREAK_RATES:
            continue
        scabies, diarrhoea = _OUTBREAK_RATES[site.site_id]
        open_days = np.flatnonzero(site_nights[site.site_id])
        if len(open_days) == 0:
            continue
        years_open = len(open_days) / 365.25
        # Outbreaks start once the site has _OUTBREAK_HISTORY days of data (no method can
        # tell an outbreak from the usual without a baseline), and each ends by the day the
        # site closes.
        candidates = open_days[open_days >= open_days[0] + _OUTBREAK_HISTORY]
        starts, lengths, kinds = [], [], []
        for _ in range(rng.poisson(scabies * years_open) if len(candidates) else 0):
            starts.append(int(rng.choice(candidates)))
            lengths.append(int(rng.integers(28, 57)))
            kinds.append("skin_infection_scabies")
        summer_days = candidates[np.isin(calendar.month[candidates], (6, 7, 8, 9))]
        for _ in range(rng.poisson(diarrhoea * years_open) if len(summer_days) else 0):
            starts.append(int(rng.choice(summer_days)))
            lengths.append(int(rng.integers(14, 26)))
            kinds.append("acute_diarrhoea")
        sizes = rng.random(len(kinds))
        # After an outbreak, treatment of the contacts (scabies) or of the water (diarrhoea)
        # keeps the disease down for a while: another of the same kind at the site waits
        # _OUTBREAK_RESPITE days after the end of the last.
        ended: dict[str, int] = {}
        for kind, first, length, size in sorted(zip(kinds, starts, lengths, sizes), key=lambda o: o[1]):
            if first < ended.get(kind, -_OUTBREAK_RESPITE) + _OUTBREAK_RESPITE:
                continue
            length = min(length, int(open_days[-1]) - first + 1)
            outbreaks.append(_Outbreak(site.site_id, kind, first, length, float(size)))
            ended[kind] = first + length
    (first, last), measles_sites = _MEASLES_2016
    for site_id, per_week in measles_sites.items():
        if site_id in site_nights and site_nights[site_id].any():
            outbreaks.append(_Outbreak(site_id, "suspected_measles", calendar.index(first),
                                       (last - first).days + 1, 0.5, per_week))
    return outbreaks


# What the generator planted, so that the alerts can be scored against it (`python -m terrain
# alerts evaluate`). Only a demo database has this table: real data have no ground truth.
PLANTED_EVENTS_TABLE = """
CREATE TABLE demo_planted_events (
    event VARCHAR NOT NULL,     -- 'outbreak', 'shelter_pressure', 'cold_spell', 'minors_wave', 'coverage_loss'
    city VARCHAR NOT NULL,
    site_id VARCHAR,            -- NULL for an event of a whole city (cold_spell, coverage_loss)
    subject VARCHAR NOT NULL,   -- diagnosis group for an outbreak; 'beds', 'cold', 'minors', 'no_coverage' otherwise
    starts DATE NOT NULL,
    ends DATE NOT NULL
)"""


@dataclass(frozen=True)
class _Planted:
    event: str
    city: str
    site_id: str | None
    subject: str
    first: int      # day indices
    last: int


def _planted_events(calendar: _Calendar, sites: tuple[Site, ...], site_nights: dict[str, np.ndarray],
                    outbreaks: list[_Outbreak], pressure: dict[str, np.ndarray], spells: list[_FrostSpell],
                    waves: list[_Wave], coverage_loss: dict[str, tuple[int, int]]) -> list[_Planted]:
    """Every planted event, within the period and its site's open days (a city's, within the
    days some site of the city was open)."""
    city_of = {site.site_id: site.city for site in sites}
    found = [_Planted("outbreak", city_of[o.site_id], o.site_id, o.diagnosis, o.first, o.first + o.length - 1)
             for o in outbreaks]
    for site_id, nights in pressure.items():
        found += [_Planted("shelter_pressure", city_of[site_id], site_id, "beds", first, last)
                  for first, last in _runs(nights)]
    found += [_Planted("cold_spell", s.city, None, "cold", s.first, s.last) for s in spells]
    for wave in waves:
        # A wave that the end of the period cuts short is still recorded: its rise is in the data.
        found.append(_Planted("minors_wave", city_of[wave.site_id], wave.site_id, "minors", wave.first, wave.last))
    found += [_Planted("coverage_loss", city, None, "no_coverage", first, last)
              for city, (first, last) in coverage_loss.items()]
    last_day = calendar.n_days - 1
    kept = []
    for event in found:
        if event.site_id:
            open_days = site_nights[event.site_id]
        else:  # a cold spell counts while a shelter of the city is open; a loss of coverage, any site
            open_days = np.logical_or.reduce([site_nights[s.site_id] for s in sites if s.city == event.city
                                              and (event.event != "cold_spell" or _is_shelter(s))])
        days = np.arange(max(event.first, 0), min(event.last, last_day) + 1)
        days = days[open_days[days]] if len(days) else days
        if len(days):
            kept.append(_Planted(event.event, event.city, event.site_id, event.subject, int(days[0]), int(days[-1])))
    return sorted(kept, key=lambda e: (e.first, e.event, e.city, e.site_id or "", e.subject))


def _planted_columns(calendar: _Calendar, planted: list[_Planted]) -> dict[str, list]:
    return {"event": [e.event for e in planted], "city": [e.city for e in planted],
            "site_id": [e.site_id for e in planted], "subject": [e.subject for e in planted],
            "starts": [calendar.days[e.first].item() for e in planted],
            "ends": [calendar.days[e.last].item() for e in planted]}


class _Categorical:
    """Draws one category per row from its group's probabilities, for millions of rows at once.

    Group g's cumulative probabilities are shifted by g, so one sorted array holds all groups
    and a single searchsorted of (group + uniform) finds every row's category.
    """

    def __init__(self, probabilities: np.ndarray):
        probabilities = np.asarray(probabilities, dtype=float)
        n_groups, self.n_categories = probabilities.shape
        cumulative = np.cumsum(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1)
        cumulative[:, -1] = 1.0
        self._boundaries = (cumulative + np.arange(n_groups)[:, None]).ravel()

    def draw(self, rng: np.random.Generator, groups: np.ndarray) -> np.ndarray:
        groups = groups.astype(np.int64)
        position = np.searchsorted(self._boundaries, groups + rng.random(len(groups)), side="right")
        return (position - groups * self.n_categories).astype(np.int8)


class _ConsultationModel:
    """Where and when consultations happen, and what each one looks like."""

    def __init__(self, rng: np.random.Generator, calendar: _Calendar, weather: _Weather,
                 sites: tuple[Site, ...], site_nights: dict[str, np.ndarray],
                 visit_days: dict[str, np.ndarray], beds: dict[str, np.ndarray],
                 outbreaks: list[_Outbreak], waves: list[_Wave]):
        self.calendar = calendar
        self.sites = sites
        self.site_ids = tuple(site.site_id for site in sites)
        profiles = [_PROFILES[site_id] for site_id in self.site_ids]
        usual = self._rates(rng, calendar, weather, sites, profiles, site_nights, visit_days, beds, waves)
        outbreak_cases = self._outbreak_cases(calendar, usual, profiles, outbreaks)
        self.intensity = usual + outbreak_cases.sum(axis=2)

        self.activity = _Categorical([p.activity for p in profiles])
        self.age = _Categorical([p.age for p in profiles])
        self.sex = _Categorical([p.sex for p in profiles])
        self.minors_focus = np.array([p.minors_focus for p in profiles], dtype=np.int64)
        self.unaccompanied = _Categorical(_UNACCOMPANIED[False] + _UNACCOMPANIED[True])
        self.diagnosis_profile = np.array([_DIAGNOSES.index(p.diagnoses) for p in profiles])
        self.diagnosis = _Categorical([
            _probabilities(weights, DIAGNOSIS_GROUPS)
            for profile in _DIAGNOSES
            for weights in (_MEDICAL_DIAGNOSES[profile],
                            {**_MENTAL_HEALTH_DIAGNOSES,
                             "sexual_violence": 0.10 if profile == "girls" else 0.04},
                            {"other": 1.0}, {"other": 1.0})])
        self.surge = _Categorical(self._surge_probabilities(calendar, weather, sites, profiles,
                                                            self.intensity, outbreak_cases))
        self.surge_codes = np.array([-1] + [DIAGNOSIS_GROUPS.index(d) for d in _SURGE_DIAGNOSES])
        self.city_of_site = np.array([CITIES.index(site.city) for site in sites])
        self.no_coverage = self._no_coverage(calendar)
        self.n_months = int(calendar.month_index[-1]) + 1
        self.covered = _Categorical([_OTHER_COVERAGE[False], _OTHER_COVERAGE[True]])
        self.visit = _Categorical([(p.new_share, 1 - p.new_share) for p in profiles])

    @property
    def expected_total(self) -> float:
        return float(self.intensity.sum())

    @staticmethod
    def _rates(rng, calendar, weather, sites, profiles, site_nights, visit_days, beds, waves) -> np.ndarray:
        """Expected consultations per day and site (days × sites), in absolute terms: no
        rescaling by year, so a site's volume moves only as its own level, season and
        weather do."""
        n = calendar.n_days
        rates = np.zeros((n, len(sites)))
        for position, (site, profile) in enumerate(zip(sites, profiles)):
            open_days = site_nights[site.site_id]
            if site.site_id in visit_days:
                open_days = open_days & visit_days[site.site_id]
            points = np.array([calendar.index(day) for day, _ in profile.levels])
            level = np.exp(np.interp(np.arange(n), points, np.log([v for _, v in profile.levels])))
            if profile.per_bed:
                level = level * beds[site.site_id]
            chill = np.clip((2 - weather.tmin[site.city]) / 6, 0, 1)
            cold = ((1 + 0.12 * profile.cold_exposure * calendar.winterness)
                    * (1 + 0.25 * profile.cold_exposure * chill))
            # Teams and attendance drift a little from month to month.
            drift = np.exp(_ar1(rng, n, 0.03, phi=0.97))
            arrivals = np.prod([w.factor(n) for w in waves if w.site_id == site.site_id] or [np.ones(n)], axis=0)
            rates[:, position] = (level * (1 + profile.crossings * calendar.crossings) * cold * drift * arrivals
                                  * np.array(profile.weekdays)[calendar.weekday] * open_days)
        return rates

    def _outbreak_cases(self, calendar, usual, profiles, outbreaks) -> np.ndarray:
        """Extra consultations of each outbreak's disease (days × sites × _OUTBREAK_DIAGNOSES),
        on the site's open days in proportion to its usual consultations."""
        cases = np.zeros((*usual.shape, len(_OUTBREAK_DIAGNOSES)))
        position_of = {site_id: i for i, site_id in enumerate(self.site_ids)}
        for outbreak in outbreaks:
            site = position_of[outbreak.site_id]
            days = np.arange(outbreak.first, outbreak.first + outbreak.length)
            inside = (days >= 0) & (days < calendar.n_days)
            around = usual[days[inside], site]
            if around.sum() <= 0:
                continue
            mean_day = around.mean()
            peak = _outbreak_peak_week(outbreak, 7 * mean_day * profiles[site].activity[_MEDICAL])
            cases[days[inside], site, _OUTBREAK_DIAGNOSES.index(outbreak.diagnosis)] += (
                peak * outbreak.shape[inside] * around / (7 * mean_day))
        return cases

    @staticmethod
    def _surge_probabilities(calendar, weather, sites, profiles, intensity, outbreak_cases) -> np.ndarray:
        """Per (day, site) cell: chance that a medical consultation is a surge diagnosis
        instead of its usual one: cold weeks bring respiratory infections and hypothermia,
        outbreaks their disease. Column 0 is 'no surge'."""
        n_sites = len(sites)
        shares = np.zeros((calendar.n_days, n_sites, len(_SURGE_DIAGNOSES)))
        for position, (site, profile) in enumerate(zip(sites, profiles)):
            tmin = weather.tmin[site.city]
            week_tmin = np.convolve(np.pad(tmin, (6, 0), mode="edge"), np.ones(7) / 7, "valid")
            shares[:, position, 0] = (0.12 * np.clip((6 - week_tmin) / 10, 0, 1)
                                      + 0.03 * calendar.winterness)
            shares[:, position, 1] = 0.10 * profile.cold_exposure * np.clip((1 - tmin) / 8, 0, 1)
        # An outbreak's extra cases are medical consultations of its disease: their share of
        # the cell's medical consultations, whose expected number is the cell's rate times the
        # site's medical share.
        assert _SURGE_DIAGNOSES[2:] == _OUTBREAK_DIAGNOSES
        medical = (intensity * np.array([p.activity[_MEDICAL] for p in profiles]))[:, :, None]
        np.divide(outbreak_cases, medical, out=shares[:, :, 2:], where=medical > 0)
        no_surge = np.clip(1 - shares.sum(axis=2, keepdims=True), 0.3, None)
        return np.concatenate([no_surge, shares], axis=2).reshape(-1, 1 + len(_SURGE_DIAGNOSES))

    @staticmethod
    def _no_coverage(calendar: _Calendar) -> np.ndarray:
        """Per city (CITIES order) and day: the share of consultations with no health coverage."""
        points = [calendar.index(day) for day in _LAW_EFFECT]
        law = np.interp(np.arange(calendar.n_days), points, [0, 1, 1, 0])
        return np.array([_NO_COVERAGE[city] + _LAW_RISE * law for city in CITIES])

    def coverage_loss_cities(self) -> dict[str, tuple[int, int]]:
        """The rise in people without coverage after the 2023 law, in every city the programme
        runs (day indices, before clipping to the period and the cities' open days)."""
        first, last = self.calendar.index(_LAW_EFFECT[0]), self.calendar.index(_LAW_EFFECT[-1])
        return {city: (first, last) for city in sorted({site.city for site in self.sites})}

    def chunks(self, rng: np.random.Generator, total: int) -> Iterator[pa.Table]:
        """`total` consultations as Arrow tables, sorted by day then site: each cell (day,
        site) gets its share of `total` in proportion to its rate, which is the rates all
        scaled by one factor."""
        if total == 0:
            return
        if self.intensity.sum() <= 0:
            raise ValueError("no site is open during the period: cannot place consultations")
        p = self.intensity.ravel() / self.intensity.sum()
        per_cell = rng.multinomial(total, p)
        rows_before = np.concatenate([[0], np.cumsum(per_cell)])
        first_cell = 0
        while first_cell < len(per_cell):
            last_cell = int(np.searchsorted(rows_before, rows_before[first_cell] + CHUNK_ROWS,
                                            side="right")) - 1
            last_cell = max(last_cell, first_cell + 1)
            cells = np.repeat(np.arange(first_cell, last_cell), per_cell[first_cell:last_cell])
            first_cell = last_cell
            if len(cells):
                yield self._rows(rng, cells)

    def _rows(self, rng: np.random.Generator, cells: np.ndarray) -> pa.Table:
        n_sites = len(self.site_ids)
        day, site = cells // n_sites, cells % n_sites
        activity = self.activity.draw(rng, site)
        age = self.age.draw(rng, site)
        sex = self.sex.draw(rng, site)
        diagnosis = self.diagnosis.draw(
            rng, self.diagnosis_profile[site] * len(ACTIVITIES) + activity)
        surge = self.surge.draw(rng, cells)
        replaced = (activity == _MEDICAL) & (surge > 0)
        diagnosis[replaced] = self.surge_codes[surge[replaced]]
        # Pregnancy care is for women and girls of 15 or more.
        pregnancy = diagnosis == _PREGNANCY_CARE
        sex[pregnancy] = _FEMALE
        age[pregnancy & (age == _UNDER_15)] = _AGED_15_17
        minors_focus = self.minors_focus[site]
        unaccompanied = self.unaccompanied.draw(rng, minors_focus * len(AGE_BANDS) + age)
        coverage = self._coverage(rng, day, site, minors_focus)
        visit = self.visit.draw(rng, site)
        referred = rng.random(len(cells)) < np.array(_REFERRAL_RATE)[activity]
        return pa.table({
            "consulted_on": pa.array(self.calendar.epoch_days[day], pa.date32()),
            "site_id": _dictionary(site, self.site_ids),
            "activity": _dictionary(activity, ACTIVITIES),
            "visit": _dictionary(visit, VISITS),
            "age_band": _dictionary(age, AGE_BANDS),
            "sex": _dictionary(sex, SEXES),
            "unaccompanied_minor": _dictionary(unaccompanied, YES_NO_UNKNOWN),
            "diagnosis_group": _dictionary(diagnosis, DIAGNOSIS_GROUPS),
            "health_coverage": _dictionary(coverage, HEALTH_COVERAGES),
            "referred": pa.array(referred),
        })

    def _coverage(self, rng, day, site, minors_focus) -> np.ndarray:
        """Health coverage of each row. Who has none is chosen by systematic sampling within
        each site and month, in day order: a running sum of the rows' probabilities, a random
        start, and a row has none where the sum crosses a whole number. A site's monthly count
        is then its expected one rounded up or down, never a binomial draw: a city's share
        moves only as the modelled one does, where per-row draws at a hundred consultations
        a month move it by five points or more, the access-to-care alert's threshold."""
        p = self.no_coverage[self.city_of_site[site], day]
        starts = rng.random((len(self.site_ids), self.n_months))
        none = np.empty(len(site), dtype=bool)
        # Rows come sorted by day then site: a site's rows are in day order, its months in
        # runs (no sort needed).
        for position in np.unique(site):
            rows = np.flatnonzero(site == position)
            month = self.calendar.month_index[day[rows]]
            q = p[rows]
            running = np.cumsum(q)
            first = np.flatnonzero(np.concatenate([[True], month[1:] != month[:-1]]))
            running -= np.repeat(running[first] - q[first], np.diff(np.concatenate([first, [len(rows)]])))
            start = starts[position, month]
            none[rows] = np.floor(running + start) > np.floor(running - q + start)
        return np.where(none, 0, 1 + self.covered.draw(rng, minors_focus)).astype(np.int8)


# --- loading --------------------------------------------------------------------------------

# The programme's history as the demo's data hold it, for the charts' context
# (terrain/events.py): (day, last day or None, city or None for everywhere, kind, French,
# English, audience). The sites' openings and closings are read from SITES; the Calais
# winter shelter's winters and the seasonal watch from the dates the data use.
_HISTORY = (
    (D(2016, 1, 28), D(2016, 2, 12), "Calais", "other", "Campagne rougeole", "Measles campaign", "public"),
    (D(2016, 1, 28), D(2016, 2, 12), "Grande-Synthe", "other", "Campagne rougeole", "Measles campaign", "public"),
    (D(2016, 10, 31), None, "Calais", "eviction", "Démantèlement de la Jungle", "The Jungle dismantled", "public"),
    (D(2023, 12, 19), None, None, "law", "Loi immigration adoptée", "Immigration law adopted", "public"),
    (D(2024, 1, 25), None, None, "law", "Mesures santé censurées", "Health measures struck down", "public"),
    # Internal: what the teams know and keep to themselves (an eviction named before it is
    # public, a team short of staff).
    (D(2024, 10, 15), None, "Calais", "eviction", "Expulsion d'un campement", "Camp eviction", "internal"),
    (D(2025, 8, 4), D(2025, 8, 24), "Paris", "other", "Équipe mobile réduite", "Mobile team reduced", "internal"),
)
_OPENING_LABELS = {
    "camp": ("Début des consultations", "Consultations start"),
    "day_centre": ("Ouverture du centre de jour", "Day centre opens"),
    "shelter": ("Ouverture d'un hébergement", "Shelter opens"),
    "mobile_team": ("Début de l'équipe mobile", "Mobile team starts"),
    "squat": ("Consultations en squats", "Consultations in squats"),
}
_OPENING_LABELS_BY_SITE = {"grande_synthe_la_liniere": ("Ouverture de la Linière", "La Linière camp opens")}
_CLOSING_LABELS = ("Fin du projet", "Project closes")


def _context_events(calendar: _Calendar, sites: tuple[Site, ...]) -> list[context_events.Event]:
    """The demo's public context events (and two internal ones), within its period."""
    first, as_of = calendar.start, calendar.as_of
    history = list(_HISTORY)
    for site in sites:
        if site.site_type != "emergency_shelter" and site.opened > first:   # open from the start: no event
            labels = _OPENING_LABELS_BY_SITE.get(site.site_id, _OPENING_LABELS[site.site_type])
            history.append((site.opened, None, site.city, "opening", *labels, "public"))
    for city in {site.city for site in sites}:
        left = _programme_left(city)
        if left is not None:
            history.append((left, None, city, "closure", *_CLOSING_LABELS, "public"))
    shelter_winters = [(starts, ends) for starts, ends, _ in _EMERGENCY_WINTERS]
    (first_month, first_day), (last_month, last_day), _ = _EMERGENCY_LATER
    shelter_winters += [(D(year, first_month, first_day), D(year + 1, last_month, last_day))
                        for year in range(_EMERGENCY_WINTERS[-1][1].year, as_of.year + 1)]
    if any(site.site_type == "emergency_shelter" for site in sites):
        history += [(starts, ends, "Calais", "opening", "Mise à l'abri hivernale", "Winter shelter open", "public")
                    for starts, ends in shelter_winters]
    history += [(season_start, None, None, "winter_plan", "Plan hivernal\u00a0: veille", "Winter plan: watch", "public")
                for season_start, _ in calendar.winters()]
    cities = {site.city for site in sites}
    events, taken = [], set()
    for starts, ends, city, kind, label_fr, label_en, audience in sorted(history, key=lambda e: (e[0], e[2] or "", e[3])):
        if starts < first or starts > as_of or (city is not None and city not in cities):
            continue
        ends = min(ends, as_of) if ends is not None else None
        event = context_events.Event(starts=starts, ends=ends if ends and ends > starts else None, city=city,
                                     kind=kind, label_fr=label_fr, label_en=label_en, audience=audience)
        event_id = context_events.new_id(event, taken)
        taken.add(event_id)
        events.append(dataclasses.replace(event, event_id=event_id))
    return events


def _context_events_columns(events: list[context_events.Event]) -> dict[str, list]:
    # recorded "by the demo" at the time its data are dated, so that one seed gives one file
    fields = ("event_id", "starts", "ends", "city", "kind", "label_fr", "label_en", "audience")
    columns = {name: [getattr(event, name) for event in events] for name in fields}
    at = dt.datetime.combine(max([e.starts for e in events], default=D(2016, 1, 1)), dt.time(23, 0))
    return {**columns, "recorded_by": ["demo"] * len(events), "recorded_at": [at] * len(events)}


def _sites_columns(sites: tuple[Site, ...], as_of: dt.date) -> dict[str, list]:
    columns = {name: [getattr(site, name) for site in sites] for name in Site.__dataclass_fields__}
    # A closing date after the period is not known yet.
    columns["closed"] = [c if c is not None and c <= as_of else None for c in columns["closed"]]
    return columns


def _dictionary(codes: np.ndarray, labels: tuple[str, ...]) -> pa.DictionaryArray:
    """Category codes as an Arrow dictionary array, which DuckDB casts to an ENUM by label."""
    return pa.DictionaryArray.from_arrays(pa.array(np.asarray(codes).astype(np.int8)),
                                          pa.array(labels, pa.string()))


def _insert(con: duckdb.DuckDBPyConnection, counts: dict[str, int], table_name: str,
            columns: dict | pa.Table) -> None:
    table = columns if isinstance(columns, pa.Table) else pa.table(columns)
    expected = con.table(table_name).columns
    if table.column_names != expected:
        raise ValueError(f"{table_name}: columns {table.column_names} do not match {expected}")
    # insert_into is positional: the check above keeps it aligned with schema.sql.
    con.from_arrow(table).insert_into(table_name)
    counts[table_name] = counts.get(table_name, 0) + table.num_rows


class _ProgressBar:
    """A one-line text progress bar on stderr."""

    def __init__(self, label: str, total: int, width: int = 30):
        self.label, self.total, self.width, self.done = label, max(total, 1), width, 0
        self._draw()

    def advance(self, rows: int) -> None:
        self.done += rows
        self._draw()

    def close(self) -> None:
        sys.stderr.write("\n")
        sys.stderr.flush()

    def _draw(self) -> None:
        filled = round(self.width * self.done / self.total)
        sys.stderr.write(f"\r{self.label} [{'#' * filled}{'.' * (self.width - filled)}] "
                         f"{100 * self.done / self.total:3.0f}% ({self.done:,} rows)")
        sys.stderr.flush()
