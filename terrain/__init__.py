"""Terrain: activity dashboard of a medical humanitarian programme for people on the move."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# 2: the summary tables of terrain/summaries.sql, which the pages read (`python -m terrain upgrade`).
SCHEMA_VERSION = 2
