"""A small hand-built database whose figures can be computed by hand in the tests.

January 2024 in Calais: the emergency shelter (50 beds) is open 8–21 January; on the nine
nights below 0 °C (8–16 January) it is full and turns away 37 people in all.
"""

from __future__ import annotations

import atexit
import datetime as dt
import functools
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from terrain import SCHEMA_VERSION, events, store
from terrain.disclosure import publication

AS_OF = dt.date(2024, 3, 31)
D = dt.date

SITES = [
    # site_id, name, city, commune, dept, type, lat, lon, beds, focus, opened, closed
    ("calais_camps", "Camps de Calais", "Calais", "62193", "62", "camp", 50.95, 1.88, None, "mixed", D(2023, 1, 1), None),
    ("calais_emergency_shelter", "Abri d'urgence de Calais", "Calais", "62193", "62", "emergency_shelter",
     50.95, 1.86, 50, "mixed", D(2023, 1, 9), None),
    ("pantin_girls_shelter", "Hébergement filles Pantin", "Pantin", "93055", "93", "shelter", 48.894, 2.409, 10,
     "girls", D(2022, 3, 1), None),
    ("marseille_minors_shelter", "Hébergement mineurs Marseille", "Marseille", "13055", "13", "shelter",
     43.30, 5.38, 20, "minors", D(2020, 6, 2), None),
    ("paris_la_chapelle_mobile", "Équipe mobile La Chapelle", "Paris", "75056", "75", "mobile_team",
     48.884, 2.36, None, "mixed", D(2016, 6, 1), None),
]

# (day, site, activity, visit, age band, sex, minor, diagnosis, coverage, referred, how many)
CONSULTATION_GROUPS = [
    (D(2023, 12, 5), "calais_camps", "medical", "new", "18-24", "M", "no", "respiratory_infection", "none", False, 20),
    (D(2024, 1, 10), "calais_camps", "medical", "new", "18-24", "M", "no", "respiratory_infection", "none", False, 30),
    (D(2024, 1, 12), "calais_camps", "mental_health", "follow_up", "25-34", "M", "no", "mental_health", "AME", False, 12),
    (D(2024, 1, 15), "calais_camps", "social", "new", "18-24", "M", "no", "other", "none", True, 3),
    (D(2024, 1, 20), "pantin_girls_shelter", "medical", "new", "15-17", "F", "yes", "skin_infection_scabies", "none", False, 8),
    (D(2024, 2, 5), "marseille_minors_shelter", "medical", "new", "15-17", "M", "yes", "digestive", "PUMa_CSS", False, 15),
]

COLD_NIGHTS = [D(2024, 1, d) for d in range(8, 17)]            # nine nights at -3 °C in Calais
TURNED_AWAY_ON_COLD_NIGHTS = [5, 4, 4, 4, 4, 4, 4, 4, 4]       # 37 people


def _days(first: dt.date, last: dt.date):
    day = first
    while day <= last:
        yield day
        day += dt.timedelta(days=1)


def shelter_nights():
    rows = []
    for night in _days(D(2024, 1, 8), D(2024, 1, 21)):
        cold = night in COLD_NIGHTS
        turned = TURNED_AWAY_ON_COLD_NIGHTS[COLD_NIGHTS.index(night)] if cold else 0
        minors = 1 if cold and night.day <= 10 else 0
        rows.append(("calais_emergency_shelter", night, 50, 50 if cold else 40, turned, minors, 0))
    for night in _days(D(2024, 1, 1), D(2024, 1, 31)):
        turned = 1 if night.day in (5, 6, 7) else 0
        rows.append(("pantin_girls_shelter", night, 10, 10, turned, turned, turned))
    for night in _days(D(2024, 2, 1), D(2024, 2, 29)):
        rows.append(("marseille_minors_shelter", night, 20, 18, 0, 0, 0))
    return rows


def weather():
    rows = []
    for day in _days(D(2023, 11, 1), AS_OF):
        for city in ("Calais", "Pantin", "Paris", "Marseille"):
            cold = city == "Calais" and day in COLD_NIGHTS
            colour = ("orange" if day.day in (10, 11, 12) else "yellow") if cold else "green"
            rows.append((city, day, -3.0 if cold else 4.0, 5.0 if cold else 9.0, colour))
    return rows


WINTER_PLAN = [
    ("62", "departement", D(2023, 11, 1), D(2024, 3, 31), "veille_saisonniere"),
    ("62", "departement", D(2024, 1, 9), D(2024, 1, 15), "grand_froid"),
]
OUTREACH = [
    (D(2024, 1, 10), "paris_la_chapelle_mobile", "street", 25),
    (D(2024, 1, 10), "paris_la_chapelle_mobile", "squat", 12),
]
CAMPAIGNS = [("mmr-2024-pantin", "mmr", D(2024, 1, 15), D(2024, 1, 31), "15-17", ["15-17"], 20, 40)]
VACCINATIONS = [(D(2024, 1, 20), "pantin_girls_shelter", "mmr-2024-pantin", "mmr", "15-17", 14)]

# Example values for every parameter name a query in queries/ may declare, so that the
# suite can run each query on this database.
SAMPLE_PARAMS = {
    "start": D(2024, 1, 1), "end": D(2024, 1, 31), "grain": "month", "cities": [], "sites": [],
    "activities": [], "age_bands": [], "sexes": [], "minors_only": False, "girls_only": False,
    "city": "Calais", "site": "calais_emergency_shelter", "season": 2023, "as_of": AS_OF,
    "audience": "donor", "measures": ["consultations"], "breakdowns": ["all", "activity"], "limit": 50,
    "until": AS_OF,
}


# Context events: the law everywhere, a cold plan in Calais, a Paris day, and one
# internal event that no donor nor public output may ever carry.
CONTEXT_EVENTS = [
    events.Event(event_id="law-2023", starts=D(2023, 12, 19), kind="law", label_fr="Loi immigration adoptée",
                 label_en="Immigration law adopted"),
    events.Event(event_id="calais-cold-plan", starts=D(2024, 1, 8), ends=D(2024, 1, 21), city="Calais",
                 kind="winter_plan", label_fr="Plan grand froid", label_en="Severe cold plan"),
    events.Event(event_id="paris-team", starts=D(2024, 1, 25), city="Paris", kind="other",
                 label_fr="Équipe mobile renforcée", label_en="Mobile team reinforced"),
    events.Event(event_id="calais-eviction", starts=D(2024, 1, 18), city="Calais", kind="eviction",
                 label_fr="Expulsion secrète du camp", label_en="Secret camp eviction", audience="internal"),
]


def build(path: Path, *, is_synthetic: bool = True, campaigns=CAMPAIGNS, vaccinations=VACCINATIONS,
          approved: bool = True) -> Path:
    """The fixture database at `path` (a new file); a test may give other campaigns and doses.
    Every whole month is approved, as a programme in routine has them, unless `approved` is
    False (the import tests load rows into the fixture's months; tests/test_approvals.py
    refuses them).

    Each set of arguments is built once per process, through the real writer (`_build`), and
    each test gets a copy of that file: the same bytes, in some 4 ms instead of half a second
    (the suite asks for some fifty of them)."""
    key = repr((is_synthetic, list(campaigns), list(vaccinations), approved))   # (rows may hold lists)
    if key not in _BUILT:
        _BUILT[key] = _build(_templates() / f"fixture-{len(_BUILT)}.duckdb", is_synthetic=is_synthetic,
                             campaigns=campaigns, vaccinations=vaccinations, approved=approved)
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} exists: the fixture is built as a new file")
    shutil.copyfile(_BUILT[key], path)
    return path


_BUILT: dict[str, Path] = {}


@functools.cache
def _templates() -> Path:
    """This process's folder of built fixtures, removed when it ends."""
    folder = Path(tempfile.mkdtemp(prefix="terrain-fixtures-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return folder


def _build(path: Path, *, is_synthetic: bool, campaigns, vaccinations, approved: bool) -> Path:
    """The fixture database built at `path` by the real writer (store.new_database)."""
    with store.new_database(Path(path)) as con:
        con.execute("INSERT INTO metadata VALUES (1, 'Terrain test fixture', $synthetic, $as_of, $version, $created)",
                    {"synthetic": is_synthetic, "as_of": AS_OF, "version": SCHEMA_VERSION,
                     "created": dt.datetime(2024, 4, 1, 6, 0)})
        con.executemany("INSERT INTO sites VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", SITES)
        # Bulk rows go in through a registered frame: executemany is slow for thousands.
        consultation_rows = [group[:-1] for group in CONSULTATION_GROUPS for _ in range(group[-1])]
        con.register("new_rows", pd.DataFrame(consultation_rows))
        con.execute("INSERT INTO consultations SELECT * FROM new_rows")
        con.register("new_rows", pd.DataFrame(shelter_nights()))
        con.execute("INSERT INTO shelter_nights SELECT * FROM new_rows")
        con.register("new_rows", pd.DataFrame(weather()))
        con.execute("INSERT INTO weather_daily SELECT * FROM new_rows")
        con.unregister("new_rows")
        con.executemany("INSERT INTO winter_plan VALUES (?, ?, ?, ?, ?)", WINTER_PLAN)
        con.executemany("INSERT INTO outreach VALUES (?, ?, ?, ?)", OUTREACH)
        con.executemany("INSERT INTO vaccination_campaigns VALUES (?, ?, ?, ?, ?, ?, ?, ?)", list(campaigns))
        con.executemany("INSERT INTO vaccinations VALUES (?, ?, ?, ?, ?, ?)", list(vaccinations))
        events.insert(con, CONTEXT_EVENTS, user="fixture", at=dt.datetime(2024, 4, 1, 6, 0))
        if approved:
            publication.approve_through(con, AS_OF, "fixture", dt.datetime(2024, 4, 1, 6, 0))
    return Path(path)
