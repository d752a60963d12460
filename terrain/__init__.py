"""Terrain: activity dashboard of a medical humanitarian programme for people on the move."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_VERSION = 1
