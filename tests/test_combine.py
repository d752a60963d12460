"""Months put together (terrain/queries/combine.py), checked against a plain reading of its rule
on months drawn by Hypothesis: keys with missing values, hidden counts with their marks,
declared columns and a rate, several months or one.

Every whole-period figure a donor reads goes through `combine`; the differencing tests check
it through the door on one demo, these on any months."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from terrain.disclosure import views
from terrain.queries.catalogue import Query, Rate
from terrain.queries.combine import combine

K = 5
QUERY = Query(name="drawn", sql="", params=frozenset(), level="city", grain="none",
              counts=("people", "nights"), combine=(("beds", "max"), ("days", "sum")),
              rates=(Rate("share", "nights", "people"),))
CITIES = st.sampled_from(["Calais", "Paris", "Pantin", None])
KINDS = st.sampled_from(["camp", "squat", None])


@st.composite
def months(draw) -> list[pd.DataFrame]:
    parts = []
    for _ in range(draw(st.integers(1, 4))):
        rows = draw(st.lists(st.tuples(CITIES, KINDS, st.one_of(st.none(), st.integers(0, 30)),
                                       st.one_of(st.none(), st.integers(0, 30)),
                                       st.one_of(st.none(), st.integers(0, 9)), st.integers(0, 31),
                                       st.booleans()),
                             max_size=8, unique_by=lambda row: row[:2]))
        part = pd.DataFrame({
            "city": pd.array([r[0] for r in rows], dtype="str"),
            "kind": pd.array([r[1] for r in rows], dtype="str"),
            "people": pd.array([r[2] for r in rows], dtype="Int64"),
            "nights": pd.array([r[3] for r in rows], dtype="Int64"),
            "beds": pd.array([r[4] for r in rows], dtype="Int64"),
            "days": pd.array([r[5] for r in rows], dtype="Int64"),
            "share": pd.array([None] * len(rows), dtype="Float64"),
            # how a hidden count reads: small, or hidden to protect another
            views.mark_column("people"): [None if r[2] is not None else ("small" if r[6] else "protect")
                                          for r in rows],
        })
        part.attrs["suppression"] = {"k": K, "counts": ["people", "nights"],
                                     "suppressed": {"people": int(part["people"].isna().sum()),
                                                    "nights": int(part["nights"].isna().sum())}}
        parts.append(part)
    return parts


def _key(value) -> object:
    return "<missing>" if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA else value


def expected(parts: list[pd.DataFrame]) -> list[dict]:
    """The rule read plainly: per (city, kind) in the order first met, each count the sum of
    its shown months, hidden where no month shows it or where a hidden month sits beside a 0."""
    groups: dict[tuple, list[dict]] = {}
    for part in parts:
        for row in part.to_dict("records"):
            groups.setdefault((_key(row["city"]), _key(row["kind"])), []).append(row)
    out = []
    for key, rows in groups.items():
        figure = {"key": key}
        for c in ("people", "nights"):
            shown = [int(r[c]) for r in rows if not pd.isna(r[c])]
            hidden = len(rows) - len(shown)
            off = not shown or (hidden > 0 and sum(shown) == 0)
            figure[c] = None if off else sum(shown)
            figure[f"{c}_partial"] = hidden > 0 and not off
        small = sum(r[views.mark_column("people")] == "small" for r in rows)
        hidden = sum(pd.isna(r["people"]) for r in rows)
        figure["mark"] = (None if figure["people"] is not None
                          else "small" if hidden == 1 and small == 1 and not any(not pd.isna(r["people"]) and r["people"]
                                                                                   for r in rows)
                          else "protect")
        beds = [int(r["beds"]) for r in rows if not pd.isna(r["beds"])]
        figure["beds"] = max(beds) if beds else None
        figure["days"] = sum(int(r["days"]) for r in rows)
        parts_missing = any(pd.isna(r[c]) for r in rows for c in ("people", "nights"))
        people, nights = figure["people"], figure["nights"]
        figure["share"] = (None if people is None or nights is None or people == 0 or people < K or parts_missing
                           else nights / people)
        out.append(figure)
    return out


@settings(max_examples=200)
@given(parts=months())
def test_combine_adds_up_visible_months_per_key_as_its_rule_says(parts):
    result = combine(QUERY, parts, K)
    want = expected([p for p in parts if not p.empty])
    assert [(_key(c), _key(k)) for c, k in zip(result["city"], result["kind"])] == [w["key"] for w in want]
    assert list(result.columns) == ["city", "kind", "people", "nights", "beds", "days", "share"]
    record = result.attrs["suppression"]
    for c in ("people", "nights"):
        assert [None if pd.isna(v) else int(v) for v in result[c]] == [w[c] for w in want], c
        assert record["partial_rows"][c] == [w[f"{c}_partial"] for w in want]
        assert record["partial"][c] == sum(w[f"{c}_partial"] for w in want)
        assert record["suppressed"][c] == sum(w[c] is None for w in want)
    assert record["hidden_marks"]["people"] == [w["mark"] for w in want]
    assert [None if pd.isna(v) else int(v) for v in result["beds"]] == [w["beds"] for w in want]
    assert [int(v) for v in result["days"]] == [w["days"] for w in want]
    shares = [None if pd.isna(v) else float(v) for v in result["share"]]
    assert [s is None for s in shares] == [w["share"] is None for w in want]
    assert np.allclose([s for s in shares if s is not None], [w["share"] for w in want if w["share"] is not None])
    assert record["months"] == len(parts)
    # the months' own records are left as they were
    assert all(set(p.attrs["suppression"]) == {"k", "counts", "suppressed"} for p in parts)
