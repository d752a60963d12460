"""Figures are built once per data and view: the same frames give the very same figure, a
changed value, order, column or language gives a new one, and what cannot be told apart is
never served from the cache."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from terrain.charts import cache
from tests.apptest import plotly_figures, run_page

built: list[tuple] = []


@cache.figure_cache
def bars(frame: pd.DataFrame, *, lang: str = "fr", colour: str = "#0072B2", label=None) -> go.Figure:
    built.append((len(frame), lang))
    return go.Figure(go.Bar(x=frame["x"], y=frame["y"], marker_color=colour,
                            name=label("x") if label else lang))


def french_label(value: str) -> str:
    return f"« {value} »"


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    built.clear()
    yield
    cache.clear()


FRAME = pd.DataFrame({"x": ["a", "b", "c"], "y": [1, 2, 3]})


def test_the_same_frames_give_the_very_same_figure():
    first = bars(FRAME, lang="fr")
    again = bars(FRAME.copy(), lang="fr")
    assert again is first and len(built) == 1
    assert cache.stats()["hits"] == 1 and cache.stats()["misses"] == 1


@pytest.mark.parametrize("changed", [
    FRAME.assign(y=[1, 2, 4]),                                  # a value
    FRAME.iloc[::-1],                                           # the order of the rows
    FRAME.iloc[::-1].reset_index(drop=True),                    # the same, renumbered
    FRAME.rename(columns={"y": "z"}).assign(y=[1, 2, 3]),      # a column more
    FRAME.astype({"y": "float64"}),                             # a type
])
def test_anything_changed_in_a_frame_gives_a_new_figure(changed):
    first = bars(FRAME, lang="fr")
    other = bars(changed, lang="fr")
    assert other is not first and len(built) == 2


def test_attributes_language_and_arguments_are_part_of_the_key():
    first = bars(FRAME, lang="fr")
    with_attrs = FRAME.copy()
    with_attrs.attrs["provenance"] = {"params": {"end": "2024-03-31"}}
    assert bars(with_attrs, lang="fr") is not first
    assert bars(FRAME, lang="en") is not first
    assert bars(FRAME, lang="fr", colour="#D55E00") is not first
    assert len(built) == 4


def test_a_function_argument_is_cached_only_with_the_language_it_speaks():
    bars(FRAME, label=french_label)          # no lang given: the label's language is unknown
    bars(FRAME, label=french_label)
    assert cache.stats()["uncached"] == 2 and len(built) == 2
    first = bars(FRAME, lang="fr", label=french_label)
    assert bars(FRAME, lang="fr", label=french_label) is first
    bars(FRAME, lang="fr", label=lambda v: v)    # a lambda has no stable name: never cached
    bars(FRAME, lang="fr", label=lambda v: v)
    assert cache.stats()["uncached"] == 4


def test_a_frame_of_lists_is_built_uncached():
    listed = pd.DataFrame({"x": ["a"], "y": [1], "bands": [["0-14", "15-17"]]})
    bars(listed, lang="fr")
    bars(listed, lang="fr")
    assert len(built) == 2 and cache.stats()["uncached"] == 2


def test_the_cache_is_bounded_and_forgets_the_least_recently_used(monkeypatch):
    monkeypatch.setattr(cache.FIGURES, "entries", 3)
    frames = [FRAME.assign(y=[i, i, i]) for i in range(4)]
    figures = [bars(f, lang="fr") for f in frames[:3]]
    assert bars(frames[0], lang="fr") is figures[0]        # used again: now the most recent
    bars(frames[3], lang="fr")                              # pushes out frames[1]
    assert cache.stats()["held"] == 3
    assert bars(frames[0], lang="fr") is figures[0]
    assert bars(frames[1], lang="fr") is not figures[1]


@given(st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(-5, 5)), min_size=1, max_size=8),
       st.lists(st.tuples(st.sampled_from("abcdef"), st.integers(-5, 5)), min_size=1, max_size=8))
@settings(max_examples=80, deadline=None)
def test_two_frames_share_a_figure_only_when_they_are_equal(rows, other_rows):
    cache.clear()
    one = pd.DataFrame(rows, columns=["x", "y"])
    two = pd.DataFrame(other_rows, columns=["x", "y"])
    same = bars(one, lang="fr") is bars(two, lang="fr")
    assert same == (one.equals(two))


def test_a_page_rerun_takes_its_figures_from_the_cache_and_they_are_the_same(fixture_db, monkeypatch):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    first = run_page("pages/winter.py", "programme_manager")
    built_first = cache.stats()["misses"]
    assert built_first > 0 and not first.exception
    again = run_page("pages/winter.py", "programme_manager")
    assert cache.stats()["misses"] == built_first and cache.stats()["hits"] >= built_first
    assert plotly_figures(again) == plotly_figures(first)
    english = run_page("pages/winter.py", "programme_manager", {"lang": "en"})
    assert cache.stats()["misses"] > built_first      # another language, other figures
    assert plotly_figures(english) != plotly_figures(first)


# --- maps: shapes, tuples of places and records (terrain/charts/map_figure.py) -------------

def _areas(square: float = 1.0, cities=("Calais",)):
    import geopandas as gpd
    from shapely.geometry import box
    return gpd.GeoDataFrame({"x": ["a"], "y": [1], "cities": [cities]},
                            geometry=[box(0, 0, square, square)], crs="EPSG:4326")


def test_shapes_are_told_apart_by_their_exact_coordinates_and_reference_system():
    first = bars(_areas(), lang="fr")
    assert bars(_areas(), lang="fr") is first                       # the same shape, read again
    assert bars(_areas(1.000001), lang="fr") is not first           # a corner a tenth of a metre away
    assert bars(_areas().set_crs("EPSG:3857", allow_override=True), lang="fr") is not first  # same numbers
    assert bars(_areas(cities=("Calais", "Pantin")), lang="fr") is not first
    two = _areas().assign(other=_areas(2.0).geometry)                  # which of two columns is drawn
    assert bars(two, lang="fr") is not bars(two.set_geometry("other"), lang="fr")
    assert len(built) == 6 and cache.stats()["uncached"] == 0


def test_a_tuple_holding_something_else_than_plain_values_is_built_uncached():
    odd = _areas(cities=(["Calais"],))
    bars(odd, lang="fr")
    bars(odd, lang="fr")
    assert len(built) == 2 and cache.stats()["uncached"] == 2


@cache.figure_cache
def framed(frame: pd.DataFrame, *, view) -> go.Figure:
    built.append((len(frame), repr(view)))
    return go.Figure(go.Bar(x=frame["x"], y=frame["y"], name=repr(view)))


def test_a_frozen_record_is_part_of_the_key_a_mutable_one_is_not_cached():
    from dataclasses import dataclass

    from terrain import maps
    from terrain.charts import map as site_map

    first = framed(FRAME, view=maps.View(50.9, 1.85, 9.0))
    assert framed(FRAME, view=maps.View(50.9, 1.85, 9.0)) is first
    assert framed(FRAME, view=maps.View(50.9, 1.85, 9.5)) is not first
    assert framed(FRAME, view=site_map.Texts("fr", 11)) is not framed(FRAME, view=site_map.Texts("fr", 5))
    assert framed(FRAME, view=site_map.Texts("fr", 11)) is not framed(FRAME, view=site_map.Texts("en", 11))
    assert len(built) == 5     # (the second Texts("fr", 11) came from the cache)

    @dataclass
    class Mutable:
        value: int
    framed(FRAME, view=Mutable(1))
    framed(FRAME, view=Mutable(1))
    assert cache.stats()["uncached"] == 2 and len(built) == 7


def test_a_map_rerun_takes_its_figure_from_the_cache_and_it_is_the_same(fixture_db, monkeypatch):
    monkeypatch.setenv("TERRAIN_DB", str(fixture_db))
    for role in ("programme_manager", "donor"):     # sites as points; areas as shapes
        cache.clear()
        first = run_page("pages/map.py", role)
        assert not first.exception and cache.stats()["misses"] == 1 and cache.stats()["uncached"] == 0
        again = run_page("pages/map.py", role)
        assert cache.stats() == {"hits": 1, "misses": 1, "uncached": 0, "held": 1}
        assert plotly_figures(again) == plotly_figures(first)
        run_page("pages/map.py", role, {"view": "Calais"})     # another view, another figure
        assert cache.stats()["misses"] == 2


def test_a_frame_indexed_on_several_levels_or_a_record_holding_a_function_is_built_uncached():
    # as tuples of values, a level's categories would be lost: two levels differing only by
    # their categories (which a groupby keeps as rows) must never share a figure
    def levelled(categories):
        index = pd.MultiIndex.from_arrays([pd.Categorical(["x", "y"], categories=categories), [1, 2]])
        return pd.DataFrame({"x": ["a", "b"], "y": [1, 2]}, index=index)
    bars(levelled(["x", "y"]), lang="fr")
    bars(levelled(["x", "y", "z"]), lang="fr")
    assert len(built) == 2 and cache.stats()["uncached"] == 2

    from dataclasses import dataclass

    @dataclass(frozen=True)
    class Speaking:
        say: object
    framed(FRAME, view=Speaking(french_label))      # a module's function, but in which language?
    framed(FRAME, view=Speaking(french_label))
    assert cache.stats()["uncached"] == 4 and len(built) == 4
