"""Synthetic demo data: one seeded generator for the app's first run, the tests and the benchmark.

The figures are invented but follow the programme's real shape (sites, opening dates, bed
capacities, the 2016 measles campaign, the 2023 immigration law) and hang together: cold
spells raise consultations, cold-related diagnoses, shelter demand and people turned away;
the emergency shelter opens in winter only; the préfecture declares plan levels around the
cold spells. Every random draw comes from numpy generators spawned from one seed, so the
same seed gives the same database contents row for row.

Consultations are the only big table: they are drawn column by column with numpy, in chunks,
and loaded through Arrow, with categories as Arrow dictionary arrays that DuckDB casts to
its ENUM types on insert (measured as fast as inserting integer codes, and simpler).
"""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import duckdb
import numpy as np
import pyarrow as pa

from terrain import SCHEMA_VERSION, store
from terrain.campaigns import bands_in_words

DEFAULT_CONSULTATIONS_PER_YEAR = 50_000
DATASET_NAME = "Terrain demo (synthetic)"
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
SITES: tuple[Site, ...] = (
    Site("calais_jungle", "Camp de la Lande (« Jungle » de Calais)", "Calais", "62193", "62",
         "camp", 50.9660, 1.9030, None, "mixed", D(2016, 1, 1), D(2016, 10, 31)),
    Site("calais_camps", "Campements de Calais", "Calais", "62193", "62",
         "camp", 50.9550, 1.8800, None, "mixed", D(2023, 1, 1), None),
    Site("calais_day_centre", "Centre de jour pour mineurs non accompagnés, Calais", "Calais",
         "62193", "62", "day_centre", 50.9500, 1.8600, None, "minors", D(2023, 7, 1), None),
    Site("calais_emergency_shelter", "Mise à l'abri hivernale, Calais", "Calais", "62193", "62",
         "emergency_shelter", 50.9450, 1.8550, 50, "mixed", D(2023, 1, 9), None),
    Site("grande_synthe_basroch", "Camp du Basroch, Grande-Synthe", "Grande-Synthe", "59271", "59",
         "camp", 51.0060, 2.2930, None, "mixed", D(2016, 1, 1), D(2016, 3, 6)),
    Site("grande_synthe_la_liniere", "Camp de la Linière, Grande-Synthe", "Grande-Synthe", "59271",
         "59", "camp", 51.0120, 2.2750, None, "mixed", D(2016, 3, 7), D(2017, 4, 10)),
    Site("grande_synthe_camps", "Campements de Grande-Synthe", "Grande-Synthe", "59271", "59",
         "camp", 51.0050, 2.2850, None, "mixed", D(2017, 4, 11), None),
    Site("paris_la_chapelle_mobile", "Équipe mobile La Chapelle, Paris", "Paris", "75056", "75",
         "mobile_team", 48.8845, 2.3600, None, "mixed", D(2016, 6, 1), None),
    Site("pantin_minors_centre", "Centre d'accueil de jour pour mineurs non accompagnés, Pantin",
         "Pantin", "93055", "93", "day_centre", 48.8940, 2.4090, None, "minors", D(2017, 12, 1), None),
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

    `consultations=None` gives about DEFAULT_CONSULTATIONS_PER_YEAR per year of the period;
    a number gives exactly that many consultation rows. The file is put in place by the write
    protocol of terrain/store.py (`keep_backup`, `change`: as for `store.new_database`).
    """
    as_of = as_of or dt.date.today()
    if start > as_of:
        raise ValueError(f"start ({start}) is after as_of ({as_of})")
    calendar = _Calendar.between(start, as_of)
    if consultations is None:
        consultations = round(DEFAULT_CONSULTATIONS_PER_YEAR * calendar.n_days / 365.25)
    if consultations < 0:
        raise ValueError("consultations must be >= 0")

    # One independent stream per table: asking for more consultations leaves the weather,
    # the shelters and the rest unchanged.
    streams = dict(zip(
        ("weather", "winter_plan", "outreach", "shelters", "vaccinations", "outbreaks",
         "consultations"),
        np.random.default_rng(seed).spawn(7)))
    sites = tuple(sorted((site for site in SITES if site.opened <= as_of), key=lambda s: s.site_id))
    if not sites:
        raise ValueError(f"no site of the programme had opened by {as_of}")

    weather = _weather(streams["weather"], calendar)
    plan = _winter_plan(streams["winter_plan"], calendar, weather)
    site_nights = {site.site_id: _open_days(site, calendar) for site in sites}
    if "calais_emergency_shelter" in site_nights:
        site_nights["calais_emergency_shelter"] &= _emergency_shelter_season(calendar, plan)
    outreach = _outreach(streams["outreach"], calendar, weather, site_nights)

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
        _insert(con, counts, "shelter_nights",
                _shelter_nights(streams["shelters"], calendar, weather, sites, site_nights))
        _insert(con, counts, "outreach", _outreach_columns(calendar, outreach))
        campaigns, vaccinations = _vaccinations(streams["vaccinations"], calendar, site_nights)
        _insert(con, counts, "vaccination_campaigns", campaigns)
        _insert(con, counts, "vaccinations", vaccinations)

        visit_days = {team: days.any(axis=1) for team, days in outreach.items()}
        outbreaks = _outbreaks(streams["outbreaks"], calendar, sites, site_nights)
        con.execute(PLANTED_EVENTS_TABLE)
        _insert(con, counts, "demo_planted_events", _planted_columns(calendar, outbreaks))
        model = _ConsultationModel(calendar, weather, sites, site_nights, visit_days, outbreaks)
        bar = _ProgressBar("consultations", consultations) if progress else None
        counts["consultations"] = 0
        for chunk in _prefetched(model.chunks(streams["consultations"], consultations)):
            _insert(con, counts, "consultations", chunk)
            if bar:
                bar.advance(chunk.num_rows)
        if bar:
            bar.close()
            print("Summary tables (terrain/summaries.sql), then the published sets of every audience "
                  "(terrain/disclosure/publication.py)...", file=sys.stderr, flush=True)
    return counts


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
    n = calendar.n_days
    return {
        "city": _dictionary(np.repeat(np.arange(len(CITIES)), n), CITIES),
        "day": pa.array(np.tile(calendar.epoch_days, len(CITIES)), pa.date32()),
        "tmin_c": np.concatenate([weather.tmin[city] for city in CITIES]),
        "tmax_c": np.concatenate([weather.tmax[city] for city in CITIES]),
        "vigilance": _dictionary(np.concatenate([weather.vigilance[c] for c in CITIES]),
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


def _emergency_shelter_season(calendar: _Calendar, plan: list[_PlanPeriod]) -> np.ndarray:
    """Nights the Calais emergency shelter opens: December to February, and the nights of
    November and March under a declared grand froid level or above in the Pas-de-Calais."""
    declared_cold = np.zeros(calendar.n_days, dtype=bool)
    for period in plan:
        if period.area == "62" and period.level >= 1:
            declared_cold |= calendar.between_mask(period.starts, period.ends)
    core_winter = np.isin(calendar.month, (12, 1, 2))
    shoulder = np.isin(calendar.month, (11, 3))
    return core_winter | (shoulder & declared_cold)


# --- shelters -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Demand:
    """Beds asked for, as a share of capacity: a base, a winter rise and a cold-night rise."""

    base: float
    winter: float
    cold: float
    noise_sd: float
    minors_share: float   # of the people turned away
    girls_share: float


_SHELTER_DEMAND = {
    "calais_emergency_shelter": _Demand(0.92, 0.10, 0.25, 0.07, 0.2, 0.06),
    "pantin_minors_shelter": _Demand(0.95, 0.06, 0.12, 0.05, 1.0, 0.08),
    "pantin_girls_shelter": _Demand(0.93, 0.05, 0.10, 0.06, 0.85, 1.0),
    "marseille_minors_shelter": _Demand(0.94, 0.04, 0.10, 0.05, 1.0, 0.07),
}


def _shelter_nights(rng: np.random.Generator, calendar: _Calendar, weather: _Weather,
                    sites: tuple[Site, ...], site_nights: dict[str, np.ndarray]) -> dict[str, pa.Array]:
    columns: dict[str, list[np.ndarray]] = {name: [] for name in (
        "site_id", "night", "beds_available", "beds_occupied", "turned_away",
        "turned_away_minors", "turned_away_girls")}
    site_ids = tuple(site.site_id for site in sites)
    for position, site in enumerate(sites):
        if site.site_type not in ("shelter", "emergency_shelter"):
            continue
        demand = _SHELTER_DEMAND[site.site_id]
        open_nights = site_nights[site.site_id]
        n = int(open_nights.sum())
        capacity = site.bed_capacity
        cold = (weather.cold_nights(site.city) | (weather.vigilance[site.city] >= 2))[open_nights]
        ratio = (demand.base + demand.winter * calendar.winterness[open_nights]
                 + demand.cold * cold + _ar1(rng, n, demand.noise_sd, phi=0.8))
        asked = np.maximum(0, np.round(capacity * np.clip(ratio, 0.6, None) + rng.normal(0, 0.8, n)))
        # On some cold nights a few mattresses go on the floor, up to a tenth over capacity.
        extra_mattresses = np.where(cold & (rng.random(n) < 0.6), capacity // 10, 0)
        occupied = np.minimum(asked, capacity + extra_mattresses)
        turned_away = (asked - occupied).astype(np.int64)
        columns["site_id"].append(np.full(n, position))
        columns["night"].append(calendar.epoch_days[open_nights])
        columns["beds_available"].append(np.full(n, capacity))
        columns["beds_occupied"].append(occupied.astype(np.int64))
        columns["turned_away"].append(turned_away)
        columns["turned_away_minors"].append(rng.binomial(turned_away, demand.minors_share))
        columns["turned_away_girls"].append(rng.binomial(turned_away, demand.girls_share))
    joined = {name: np.concatenate(parts) if parts else np.zeros(0, np.int64)
              for name, parts in columns.items()}
    return {
        "site_id": _dictionary(joined["site_id"], site_ids),
        "night": pa.array(joined["night"].astype(np.int32), pa.date32()),
        **{name: pa.array(joined[name].astype(np.int32)) for name in (
            "beds_available", "beds_occupied", "turned_away", "turned_away_minors",
            "turned_away_girls")},
    }


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
class _Campaign:
    campaign_id: str
    antigen: str
    starts: dt.date
    ends: dt.date
    target_ages: str
    population: tuple[int, int]           # plausible range of the target population
    daily_doses: dict[str, dict[str, float]]  # site -> age band -> mean doses per working day
    target_age_bands: tuple[str, ...] | None = None  # None: read from target_ages (terrain/campaigns.py)


_CAMPAIGNS = (
    # Sphere: a measles campaign targets 6 months – 15 years in camps (MSF, January 2016).
    _Campaign("measles-2016-calais-grande-synthe", "measles", D(2016, 1, 18), D(2016, 1, 29),
              "6 mois – 15 ans / 6 months – 15 years", (600, 1100),
              {"calais_jungle": {"0-14": 38, "15-17": 4},
               "grande_synthe_basroch": {"0-14": 26, "15-17": 3}}),
    _Campaign("mmr-2019-pantin-minors", "mmr", D(2019, 3, 4), D(2019, 4, 12),
              "15–17 ans, rattrapage / 15–17 years, catch-up", (250, 450),
              {"pantin_minors_centre": {"15-17": 6, "unknown": 1.5}}),
    _Campaign("mmr-2021-marseille-minors", "mmr", D(2021, 10, 4), D(2021, 10, 29),
              "mineurs non accompagnés / unaccompanied minors", (40, 80),
              {"marseille_minors_shelter": {"15-17": 2, "0-14": 0.3, "unknown": 0.5}}),
    _Campaign("dtp-2023-calais-minors", "dtp", D(2023, 9, 11), D(2023, 10, 20),
              "mineurs non accompagnés / unaccompanied minors", (300, 700),
              {"calais_day_centre": {"15-17": 5, "unknown": 1.5, "0-14": 0.4}}),
    _Campaign("influenza-2024-nord-camps", "influenza", D(2024, 11, 12), D(2024, 12, 13),
              "15 ans et plus / 15 years and over", (800, 1500),
              {"calais_camps": {"15-17": 2, "18-24": 6, "25-34": 5, "35+": 3},
               "grande_synthe_camps": {"15-17": 1, "18-24": 3, "25-34": 3, "35+": 2}}),
)
# Catch-up vaccination outside campaigns, on Tuesdays at the Pantin centre: mean doses for
# 15-17-year-olds (a quarter as many for minors of unknown age).
_ROUTINE_SITE, _ROUTINE_WEEKDAY = "pantin_minors_centre", 1
_ROUTINE_DOSES = {"dtp": 2.0, "hepatitis_b": 1.5}


def _vaccinations(rng: np.random.Generator, calendar: _Calendar,
                  site_nights: dict[str, np.ndarray]) -> tuple[dict[str, list], dict[str, list]]:
    campaigns: dict[str, list] = {name: [] for name in (
        "campaign_id", "antigen", "starts", "ends", "target_ages", "target_age_bands", "population_low",
        "population_high")}
    doses: dict[str, list] = {name: [] for name in (
        "vaccinated_on", "site_id", "campaign_id", "antigen", "age_band", "doses")}

    def add_doses(day_index: np.ndarray, site_id: str, campaign_id: str | None, antigen: str,
                  age_band: str, mean: float) -> None:
        given = rng.poisson(mean, len(day_index))
        for index, count in zip(day_index, given):
            if count > 0:
                doses["vaccinated_on"].append(calendar.days[index].item())
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
        during = calendar.between_mask(campaign.starts, campaign.ends) & working_days
        for site_id, by_age in campaign.daily_doses.items():
            days = np.flatnonzero(during & site_nights.get(site_id, False))
            for age_band, mean in by_age.items():
                add_doses(days, site_id, campaign.campaign_id, campaign.antigen, age_band, mean)

    if _ROUTINE_SITE in site_nights:
        days = np.flatnonzero(site_nights[_ROUTINE_SITE] & (calendar.weekday == _ROUTINE_WEEKDAY))
        for antigen, mean in _ROUTINE_DOSES.items():
            add_doses(days, _ROUTINE_SITE, None, antigen, "15-17", mean)
            add_doses(days, _ROUTINE_SITE, None, antigen, "unknown", mean / 4)
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
    """How consultations at one kind of site look."""

    weight: float                      # consultations on an ordinary open day, relative
    weekdays: tuple[float, ...]        # Monday first; mobile teams follow their rounds instead
    activity: tuple[float, float, float, float]
    age: tuple[float, ...]             # in AGE_BANDS order
    sex: tuple[float, float, float]    # F, M, X
    diagnoses: str                     # key of _MEDICAL_DIAGNOSES
    cold_exposure: float               # sleeping rough: 1; indoors: lower
    minors_focus: bool


_EVERY_DAY = (1, 1, 1, 1, 1, 1, 1)
_CLINIC_DAYS = (1, 1, 1, 1, 1, 1, 0.4)
_OFFICE_DAYS = (1, 1, 1, 1, 1, 0.3, 0)
_SHELTER_DAYS = (1, 1, 1, 1, 1, 0.5, 0.5)
_CAMP_ACTIVITY = (0.80, 0.14, 0.05, 0.01)
_CAMP_AGES = (0.05, 0.09, 0.34, 0.32, 0.16, 0.04)
_MINOR_AGES = (0.06, 0.62, 0.03, 0.0, 0.0, 0.29)

_PROFILES = {
    "calais_jungle": _Profile(60, _CLINIC_DAYS, _CAMP_ACTIVITY, _CAMP_AGES, (0.07, 0.92, 0.01),
                              "exposed", 1.0, False),
    "calais_camps": _Profile(35, _CLINIC_DAYS, _CAMP_ACTIVITY, _CAMP_AGES, (0.06, 0.93, 0.01),
                             "exposed", 1.0, False),
    # Grande-Synthe's camps sheltered many families.
    "grande_synthe_basroch": _Profile(40, _CLINIC_DAYS, _CAMP_ACTIVITY,
                                      (0.14, 0.06, 0.27, 0.30, 0.19, 0.04), (0.24, 0.75, 0.01),
                                      "exposed", 1.0, False),
    "grande_synthe_la_liniere": _Profile(40, _CLINIC_DAYS, _CAMP_ACTIVITY,
                                         (0.13, 0.06, 0.28, 0.30, 0.19, 0.04), (0.22, 0.77, 0.01),
                                         "exposed", 0.7, False),
    "grande_synthe_camps": _Profile(15, _CLINIC_DAYS, _CAMP_ACTIVITY, _CAMP_AGES,
                                    (0.10, 0.89, 0.01), "exposed", 1.0, False),
    "calais_emergency_shelter": _Profile(8, _EVERY_DAY, (0.82, 0.14, 0.04, 0.0),
                                         (0.04, 0.10, 0.36, 0.30, 0.14, 0.06), (0.08, 0.91, 0.01),
                                         "exposed", 0.8, False),
    "paris_la_chapelle_mobile": _Profile(30, _EVERY_DAY, _CAMP_ACTIVITY,
                                         (0.02, 0.06, 0.30, 0.34, 0.24, 0.04), (0.14, 0.85, 0.01),
                                         "exposed", 1.0, False),
    "marseille_squats": _Profile(20, _EVERY_DAY, _CAMP_ACTIVITY,
                                 (0.06, 0.12, 0.30, 0.28, 0.18, 0.06), (0.15, 0.84, 0.01),
                                 "exposed", 0.8, False),
    # Legal and social work is concentrated at the Pantin centre.
    "pantin_minors_centre": _Profile(40, _OFFICE_DAYS, (0.42, 0.22, 0.20, 0.16), _MINOR_AGES,
                                     (0.08, 0.91, 0.01), "minors", 0.3, True),
    "calais_day_centre": _Profile(25, _OFFICE_DAYS, (0.60, 0.25, 0.12, 0.03), _MINOR_AGES,
                                  (0.05, 0.94, 0.01), "minors", 0.5, True),
    "pantin_minors_shelter": _Profile(5, _SHELTER_DAYS, (0.50, 0.30, 0.12, 0.08), _MINOR_AGES,
                                      (0.06, 0.93, 0.01), "minors", 0.2, True),
    "marseille_minors_shelter": _Profile(8, _SHELTER_DAYS, (0.50, 0.30, 0.12, 0.08), _MINOR_AGES,
                                         (0.06, 0.93, 0.01), "minors", 0.2, True),
    "pantin_girls_shelter": _Profile(3, _SHELTER_DAYS, (0.45, 0.35, 0.12, 0.08),
                                     (0.08, 0.64, 0.04, 0.0, 0.0, 0.24), (1.0, 0.0, 0.0),
                                     "girls", 0.2, True),
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
_FOLLOW_UP_SHARE = (0.37, 0.50, 0.45, 0.50)   # per activity
_REFERRAL_RATE = (0.15, 0.18, 0.12, 0.10)     # per activity
# Health coverage: share with none before the 2023 immigration law, the rise after it, and
# how the others split between AME, PUMa/CSS and unknown.
_NO_COVERAGE = {True: 0.50, False: 0.40}
_NO_COVERAGE_RISE = 0.18
_LAW_EFFECT = (D(2023, 12, 1), D(2024, 6, 1))
_OTHER_COVERAGE = {True: (0.25, 0.35, 0.40), False: (0.55, 0.28, 0.17)}
# Yearly activity relative to the mean: the 2016 camps crisis, COVID-19 in 2020, the 2023
# expansion. Years not listed count as 1.
_YEAR_ACTIVITY = {2016: 1.25, 2017: 1.0, 2018: 0.8, 2019: 0.85, 2020: 0.7, 2021: 0.85,
                  2022: 0.95, 2023: 1.15, 2024: 1.2, 2025: 1.2, 2026: 1.2}
_MEDICAL = ACTIVITIES.index("medical")
_PREGNANCY_CARE = DIAGNOSIS_GROUPS.index("pregnancy_care")
_FEMALE = SEXES.index("F")
_UNDER_15, _AGED_15_17 = AGE_BANDS.index("0-14"), AGE_BANDS.index("15-17")
# Diagnoses that replace a medical consultation's usual one in cold weeks and outbreaks.
_SURGE_DIAGNOSES = ("respiratory_infection", "hypothermia_frostbite", "skin_infection_scabies",
                    "acute_diarrhoea", "suspected_measles")


@dataclass(frozen=True)
class _Outbreak:
    site_id: str
    diagnosis: str
    first: int       # day index
    length: int
    peak_share: float


_OUTBREAK_PRONE = ("calais_jungle", "calais_camps", "grande_synthe_basroch",
                   "grande_synthe_la_liniere", "grande_synthe_camps", "paris_la_chapelle_mobile",
                   "marseille_squats")
# The cases that led to the January 2016 measles campaign.
_MEASLES_2016 = ((D(2016, 1, 4), D(2016, 2, 14)), ("calais_jungle", "grande_synthe_basroch"))


def _outbreaks(rng: np.random.Generator, calendar: _Calendar, sites: tuple[Site, ...],
               site_nights: dict[str, np.ndarray]) -> list[_Outbreak]:
    outbreaks = []
    for site in sites:
        if site.site_id not in _OUTBREAK_PRONE:
            continue
        open_days = np.flatnonzero(site_nights[site.site_id])
        if len(open_days) == 0:
            continue
        years_open = len(open_days) / 365.25
        for _ in range(rng.poisson(0.8 * years_open)):
            outbreaks.append(_Outbreak(site.site_id, "skin_infection_scabies",
                                       int(rng.choice(open_days)), int(rng.integers(28, 57)),
                                       rng.uniform(0.25, 0.45)))
        summer_days = open_days[np.isin(calendar.month[open_days], (6, 7, 8, 9))]
        for _ in range(rng.poisson(0.25 * years_open) if len(summer_days) else 0):
            outbreaks.append(_Outbreak(site.site_id, "acute_diarrhoea", int(rng.choice(summer_days)),
                                       int(rng.integers(10, 26)), rng.uniform(0.15, 0.3)))
    (first, last), measles_sites = _MEASLES_2016
    for site_id in measles_sites:
        if site_id in site_nights:
            outbreaks.append(_Outbreak(site_id, "suspected_measles", calendar.index(first),
                                       (last - first).days + 1, 0.05))
    return outbreaks


# What the generator planted, so that the alerts can be scored against it (`python -m terrain
# alerts evaluate`). Only a demo database has this table: real data have no ground truth.
PLANTED_EVENTS_TABLE = """
CREATE TABLE demo_planted_events (
    event VARCHAR NOT NULL,          -- 'outbreak'
    site_id VARCHAR NOT NULL,
    subject VARCHAR NOT NULL,        -- the diagnosis group
    starts DATE NOT NULL,
    ends DATE NOT NULL
)"""


def _planted_columns(calendar: _Calendar, outbreaks: list[_Outbreak]) -> dict[str, list]:
    last = len(calendar.days) - 1
    # (an outbreak of the programme's history, such as the 2016 measles, may fall before the
    # period generated, or begin before it)
    events = sorted((o for o in outbreaks if o.first <= last and o.first + o.length > 0),
                    key=lambda o: (o.first, o.site_id, o.diagnosis))
    return {"event": ["outbreak"] * len(events), "site_id": [o.site_id for o in events],
            "subject": [o.diagnosis for o in events],
            "starts": [calendar.days[max(o.first, 0)].astype(dt.date) for o in events],
            "ends": [calendar.days[min(o.first + o.length - 1, last)].astype(dt.date) for o in events]}


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

    def __init__(self, calendar: _Calendar, weather: _Weather, sites: tuple[Site, ...],
                 site_nights: dict[str, np.ndarray], visit_days: dict[str, np.ndarray],
                 outbreaks: list[_Outbreak]):
        self.calendar = calendar
        self.site_ids = tuple(site.site_id for site in sites)
        profiles = [_PROFILES[site_id] for site_id in self.site_ids]
        self.intensity = self._intensity(calendar, weather, sites, profiles, site_nights, visit_days)

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
                                                            outbreaks))
        self.surge_codes = np.array([-1] + [DIAGNOSIS_GROUPS.index(d) for d in _SURGE_DIAGNOSES])
        self.coverage = _Categorical(self._coverage_probabilities(calendar))
        self.n_months = int(calendar.month_index[-1]) + 1
        self.visit = _Categorical([(1 - share, share) for share in _FOLLOW_UP_SHARE])

    @staticmethod
    def _intensity(calendar, weather, sites, profiles, site_nights, visit_days) -> np.ndarray:
        """Relative expected consultations per day and site (days × sites)."""
        intensity = np.zeros((calendar.n_days, len(sites)))
        for position, (site, profile) in enumerate(zip(sites, profiles)):
            open_days = site_nights[site.site_id]
            if site.site_id in visit_days:
                open_days = open_days & visit_days[site.site_id]
            chill = np.clip((2 - weather.tmin[site.city]) / 6, 0, 1)
            intensity[:, position] = (
                profile.weight * open_days * np.array(profile.weekdays)[calendar.weekday]
                * (1 + 0.25 * calendar.winterness) * (1 + 0.25 * chill))
        # Scale each year to its share of the total: about the same volume every year,
        # modulated by _YEAR_ACTIVITY, whatever the number of sites open.
        years, year_of_day = np.unique(calendar.year, return_inverse=True)
        per_year = np.bincount(year_of_day, weights=intensity.sum(axis=1))
        target = np.bincount(year_of_day) * np.array([_YEAR_ACTIVITY.get(int(y), 1.0) for y in years])
        scale = np.divide(target, per_year, out=np.zeros_like(target), where=per_year > 0)
        return intensity * scale[year_of_day][:, None]

    def _surge_probabilities(self, calendar, weather, sites, profiles, outbreaks) -> np.ndarray:
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
        position_of = {site_id: i for i, site_id in enumerate(self.site_ids)}
        for outbreak in outbreaks:
            rise = np.concatenate([np.linspace(0.2, 1, outbreak.length // 2, endpoint=False),
                                   np.linspace(1, 0.2, outbreak.length - outbreak.length // 2)])
            days = np.arange(outbreak.first, outbreak.first + outbreak.length)
            inside = (days >= 0) & (days < calendar.n_days)
            column = _SURGE_DIAGNOSES.index(outbreak.diagnosis)
            cell = shares[days[inside], position_of[outbreak.site_id], column]
            shares[days[inside], position_of[outbreak.site_id], column] = np.maximum(
                cell, outbreak.peak_share * rise[inside])
        no_surge = np.clip(1 - shares.sum(axis=2, keepdims=True), 0.3, None)
        return np.concatenate([no_surge, shares], axis=2).reshape(-1, 1 + len(_SURGE_DIAGNOSES))

    @staticmethod
    def _coverage_probabilities(calendar: _Calendar) -> np.ndarray:
        """Per (minors focus, month): probabilities of HEALTH_COVERAGES."""
        first_days = np.unique(calendar.days.astype("datetime64[M]")).astype("datetime64[D]")
        law_from, law_full = (np.datetime64(d, "D") for d in _LAW_EFFECT)
        law = np.clip((first_days - law_from).astype(float) / float((law_full - law_from).astype(float)),
                      0, 1)
        rows = []
        for minors_focus in (False, True):
            none = _NO_COVERAGE[minors_focus] + _NO_COVERAGE_RISE * law
            rows.append(np.column_stack([none] + [(1 - none) * share
                                                  for share in _OTHER_COVERAGE[minors_focus]]))
        return np.concatenate(rows)

    def chunks(self, rng: np.random.Generator, total: int) -> Iterator[pa.Table]:
        """`total` consultations as Arrow tables, sorted by day then site."""
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
        coverage = self.coverage.draw(rng, minors_focus * self.n_months
                                      + self.calendar.month_index[day])
        visit = self.visit.draw(rng, activity)
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


# --- loading --------------------------------------------------------------------------------

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
