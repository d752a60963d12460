"""Terrain: activity dashboard of a medical humanitarian programme for people on the move."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# 2: the summary tables of terrain/summaries.sql, which the pages read (`python -m terrain upgrade`).
# 3: the published sets of terrain/disclosure/publication.py, which donors and public outputs read.
# 4: cold nights and winter-gap nights in the published sets, which public briefs read.
# 5: vaccination campaigns' target ages as age bands (target_age_bands), which coverage counts;
#    an older file is rebuilt into this schema, the bands read from its campaigns' words
#    (terrain/upgrades.py).
# 6: months approved city by city (month_approvals, month_reopenings): donors and the public
#    see approved months only; an upgraded file has every month it published approved by the
#    upgrade, so that its readers see what they saw (terrain/upgrades.py).
SCHEMA_VERSION = 7
