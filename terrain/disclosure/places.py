"""Places as each audience may see them: exact points for programme managers only; a commune,
or its département where the commune holds a single sensitive site, for everyone else."""

from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
import pandas as pd

# Places where people sleep or live: a point, or a commune holding just one of them, shows
# where to find them (camps are evicted, shelters for minors are sought out). Camps and squats
# are always sensitive; shelters, emergency ones included, below SMALL_SHELTER_BEDS beds,
# where the few people inside can be singled out. Day centres (opening hours, public
# address) and mobile teams (no fixed place) are not.
ALWAYS_SENSITIVE_TYPES = frozenset({"camp", "squat"})
SHELTER_TYPES = frozenset({"shelter", "emergency_shelter"})
SENSITIVE_TYPES = ALWAYS_SENSITIVE_TYPES | SHELTER_TYPES
SMALL_SHELTER_BEDS = 30

_AREA_COLUMNS = ("area_code", "area_kind", "departement", "cities", "site_count", "site_types")


def is_sensitive_site(site_type: str, bed_capacity: float | None) -> bool:
    """Camps and squats always; shelters and emergency shelters of under 30 beds, or of an
    unknown number of beds."""
    if site_type in ALWAYS_SENSITIVE_TYPES:
        return True
    if site_type in SHELTER_TYPES:
        return bed_capacity is None or pd.isna(bed_capacity) or bed_capacity < SMALL_SHELTER_BEDS
    return False


def area_of_sites(sites: pd.DataFrame) -> pd.Series:
    """site_id -> the area code it is shown in outside the programme: its commune (INSEE
    code), or its département when its commune holds exactly one sensitive site among
    `sites` (then every site of that commune goes to the département, so the one sensitive
    site cannot be told from its neighbours). Maps, briefs and `coarsen_sites` share it.

    The rule reads the sites given: pass the same set (e.g. every site, or every site open in
    the period) wherever areas must agree."""
    areas = _areas(sites)
    return pd.Series(areas["area_code"].to_numpy(), index=pd.Index(sites["site_id"], name="site_id"),
                     name="area_code", dtype="string")


def _areas(sites: pd.DataFrame) -> pd.DataFrame:
    """Each site's area_code and area_kind, in the rows' order."""
    sensitive = pd.Series([is_sensitive_site(t, b) for t, b in zip(sites["site_type"], sites["bed_capacity"])],
                          index=sites.index, dtype=bool)
    lifted = sensitive.groupby(sites["commune_code"]).transform("sum") == 1
    return pd.DataFrame({
        "area_code": sites["commune_code"].astype("string").where(~lifted, sites["departement"].astype("string")),
        "area_kind": pd.Series(np.where(lifted, "departement", "commune"), index=sites.index, dtype="string"),
    })


def coarsen_sites(sites: pd.DataFrame, exact: bool, sum_columns: Sequence[str] = (),
                  ratios: Mapping[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """Site rows as an audience may see them.

    Programme managers (`exact`) get the rows unchanged. Everyone else gets one row per area
    (see `area_of_sites`), sorted by area_code: area_code, area_kind ("commune" or
    "departement"), departement, cities (sorted tuple of the programme cities whose sites the
    area holds: the city is the grain donors are reported by, while the commune is what
    coarsening keeps back), site_count, site_types (sorted, comma-joined, no space; cities,
    site_count and site_types are left empty for an area shown as its département, see
    `naming_nothing_finer`), the
    `sum_columns` summed, and each ratios[name] = (numerator, denominator) recomputed from
    the area's sums (a mean of site rates would weigh a 10-bed shelter like a 200-bed one).
    Nothing else survives: no coordinates, no site id or name, no per-site attribute.
    Coarsen before suppressing small counts, so that suppression applies to the areas'
    figures.
    """
    if exact:
        return sites.copy()
    ratios = dict(ratios or {})
    rows = pd.concat([sites.reset_index(drop=True), _areas(sites).reset_index(drop=True)], axis=1)
    grouped = rows.groupby("area_code", sort=True)
    areas = pd.DataFrame({
        "area_kind": grouped["area_kind"].first(),
        "departement": grouped["departement"].first(),
        "cities": grouped["city"].agg(lambda cities: tuple(sorted(set(map(str, cities))))),
        "site_count": grouped["site_id"].size(),
        "site_types": grouped["site_type"].agg(lambda types: ",".join(sorted(set(map(str, types))))),
    }, index=pd.Index(sorted(set(rows["area_code"])), name="area_code", dtype="string"))
    for column in sum_columns:
        areas[column] = grouped[column].sum()
    for name, (numerator, denominator) in ratios.items():
        areas[name] = (grouped[numerator].sum() / grouped[denominator].sum().replace(0, np.nan)).astype("Float64")
    areas = areas.reset_index().astype({"area_kind": "string", "departement": "string",
                                        "site_count": "int64", "site_types": "string"})
    areas.attrs = dict(sites.attrs)
    return naming_nothing_finer(areas[[*_AREA_COLUMNS, *sum_columns, *ratios]])


def naming_nothing_finer(areas: pd.DataFrame) -> pd.DataFrame:
    """Areas as they are shown: one shown as its département names no city, no count and no
    kind of site (a camp alone in its commune would be named by them). Which areas hold a
    city's activity is kept aside, in attrs["areas_of_cities"] (city -> area codes), for the
    map's city views, which never print it."""
    held: dict[str, tuple[str, ...]] = {}
    for code, cities in zip(areas["area_code"], areas["cities"]):
        for city in cities:
            held[city] = (*held.get(city, ()), str(code))
    coarse = (areas["area_kind"] == "departement").to_numpy(dtype=bool)
    areas = areas.copy()
    areas["cities"] = [() if lifted else cities for cities, lifted in zip(areas["cities"], coarse)]
    areas["site_count"] = pd.array(areas["site_count"], dtype="Int64")
    areas.loc[coarse, "site_count"] = pd.NA
    areas["site_types"] = pd.array(areas["site_types"], dtype="string")
    areas.loc[coarse, "site_types"] = ""
    areas.attrs = {**areas.attrs, "areas_of_cities": held}
    return areas


def city_areas(sites: pd.DataFrame, months: Sequence[tuple]) -> dict[str, tuple[str, str, str]]:
    """city -> (area_code, area_kind, departement): the area a city's figures are shown on
    outside the programme over some months ((first_day, last_day) pairs). Its commune when all
    its sites lie in one commune that holds more than one sensitive site in every month (the
    sites open then); else its département, for the whole period, so that the area names no
    commune a single camp or small shelter could be found in. `sites` is every site, with
    opened and closed."""
    opened, closed = pd.to_datetime(sites["opened"]), pd.to_datetime(sites["closed"])
    start, end = pd.Timestamp(months[0][0]), pd.Timestamp(months[-1][1])
    in_period = sites[((opened <= end) & (closed.isna() | (closed >= start))).to_numpy()]
    lifted: set[str] = set()
    seen: set[tuple] = set()   # the areas of a set of open sites, worked out once
    for first, last in months:
        is_open = ((opened <= pd.Timestamp(last)) & (closed.isna() | (closed >= pd.Timestamp(first)))).to_numpy()
        if tuple(is_open) in seen:
            continue
        seen.add(tuple(is_open))
        open_then = sites[is_open]
        areas_then = area_of_sites(open_then).to_numpy(dtype=object)
        lifted |= set(open_then["commune_code"][areas_then != open_then["commune_code"].to_numpy(dtype=object)])
    found = {}
    for city, held in in_period.groupby("city", sort=True):
        one_area = held["commune_code"].nunique() == 1 and held["commune_code"].iloc[0] not in lifted
        code = str(held["commune_code"].iloc[0]) if one_area else str(held["departement"].iloc[0])
        found[str(city)] = (code, "commune" if one_area else "departement", str(held["departement"].iloc[0]))
    return found
