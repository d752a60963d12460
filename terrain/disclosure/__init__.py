"""Disclosure control: the one package that decides what each audience may learn about the
people counted.

- `thresholds`: the smallest count each viewer may see (the one table of them);
- `suppression`: small counts hidden in a table, with the partners that protect them
  (primary and complementary suppression, rates);
- `places`: exact points for programme managers only, communes or départements for others;
- `publication`: each audience's published set, built once per data version: one grid of
  city × month cells with its margins and the relations between measures, suppressed as a
  whole and checked by an integer program; everything a donor or the public sees is read
  from it;
- `marks`: how a published figure reads ("< 11", "[c]", "≥ N");
- `ledger`: every public output, checked against those released before;
- `attack`: the integer program that bounds every hidden cell from what an audience sees.
"""

from terrain.disclosure.places import (
    ALWAYS_SENSITIVE_TYPES, SENSITIVE_TYPES, SHELTER_TYPES, SMALL_SHELTER_BEDS, area_of_sites,
    city_areas, coarsen_sites, is_sensitive_site, naming_nothing_finer,
)
from terrain.disclosure.suppression import format_count, published_total, suppress_counts, suppress_rates
from terrain.disclosure.thresholds import threshold

__all__ = [
    "ALWAYS_SENSITIVE_TYPES", "SENSITIVE_TYPES", "SHELTER_TYPES", "SMALL_SHELTER_BEDS", "area_of_sites",
    "city_areas", "coarsen_sites", "format_count", "is_sensitive_site", "naming_nothing_finer", "published_total", "suppress_counts",
    "suppress_rates", "threshold",
]
