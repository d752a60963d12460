"""Answers from the published sets (terrain/disclosure/publication.py): what donors and
anything public read, never the rows.

A query that declares `-- published:` is answered from the reader's published set per month
and city (terrain/disclosure/views.py), then put together as for any query (combine.py); a
map's areas are drawn from each city's published figures. The month in progress is never
published, so the period ends with the last published month; nights and weather, which such
readers read as they are (they count no one), stop there too.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from terrain import disclosure
from terrain.disclosure import views
from terrain.queries.catalogue import Query, is_number, load, probe_columns
from terrain.queries.combine import combine
from terrain.queries.dates import as_date, month_end, months_between
from terrain.queries.limit import TimeLimit
from terrain.queries.seen import area_measures


def within_published(db: TimeLimit, params: dict[str, Any], reader: str) -> dict[str, Any]:
    """The period as the published set covers it: it ends with the last published month (the
    month in progress is never published), so that captions, comparisons and downloads say
    which whole months a figure holds."""
    if "end" not in params:
        return params
    last = last_published(db, reader)
    if last is None:
        return params
    if params.get("start") is not None and as_date(params["start"], "start") > last:
        return params
    return {**params, "end": min(as_date(params["end"], "end"), last)}


def ended_with_published(db: TimeLimit, params: dict[str, Any], reader: str) -> dict[str, Any]:
    """Nights and weather, which the published readers read as they are (they count no one),
    stop where their published set stops too: a month that waits for its approval shows them
    nothing of the programme's (terrain/approvals.py); a period wholly after it is empty. A
    query counted up to a day (`until`, the winter seasons) stops there as well."""
    if "end" not in params and "until" not in params:
        return params
    start = as_date(params["start"], "start") if params.get("start") is not None else None
    last = last_published(db, reader)
    if last is None:
        last = (start or dt.date.min + dt.timedelta(days=1)) - dt.timedelta(days=1)
    if "until" in params:   # a query counted up to a day (the winter seasons): that day at the latest
        until = params["until"]
        return {**params, "until": last if until is None else min(as_date(until, "until"), last)}
    return {**params, "end": min(as_date(params["end"], "end"), last)}


def last_published(db: TimeLimit, reader: str) -> dt.date | None:
    """The last day of the reader's last published month; None when nothing is published.

    Read once per connection and reader where the connection's file is read-only: a file in
    place never changes (a writer puts a new one beside it, terrain/store.py), so neither do
    its cutoff and published months. A connection that can write (a writer's new file, where
    an approval may just have been recorded) asks each time. The statement costs some 2.5 ms
    (the cutoff's views), a donor's call to the door some 20. Whether the connection can write
    is asked at its first call: a connection whose database is changed afterwards (another
    USE, a file attached anew under the same name) is not one the door is given; the app's,
    the commands' and the writers' connections each keep theirs for their life."""
    known = _LAST_PUBLISHED.get(db.connection)
    if known is None:
        readonly = db.row("SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()", {})
        known = {} if readonly is not None and readonly[0] else _ASKED_EACH_TIME
        _LAST_PUBLISHED[db.connection] = known
    if reader in known:
        return known[reader]
    span = db.row(load("published_months").sql, {"audience": reader})
    last = None if span is None or span[1] is None else month_end(as_date(span[1], "last_month"))
    if known is not _ASKED_EACH_TIME:
        known[reader] = last
    return last


# What each connection read of `last_published` (by reader), or _ASKED_EACH_TIME for one that can write.
_LAST_PUBLISHED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_ASKED_EACH_TIME: dict = {}


def published_months(db: TimeLimit, query: Query, params: Mapping[str, Any],
                     reader: str, columns: pd.Index) -> pd.DataFrame:
    """The query's rows per month and city, read from the reader's published set, with its
    rates and calendar columns (of `columns`) worked out."""
    cells = db.rows(load("published_cells_by_city_month").sql, {
        "audience": reader, "measures": views.measures(query.published),
        "breakdowns": views.breakdowns(query.published), "start": params["start"],
        "end": params["end"], "cities": list(params.get("cities") or [])})
    rows = views.month_rows(cells, query.published)
    for rate in query.rates:
        numerator = pd.array(rows[rate.numerator], dtype="Float64")
        denominator = pd.array(rows[rate.denominator], dtype="Float64")
        values = numerator / denominator
        values[np.asarray((denominator == 0).fillna(True), dtype=bool)] = pd.NA
        rows[rate.column] = values
    for column, of_month in views.CALENDAR.items():
        if column in columns:
            if column in views.ONLY_MONTHS:
                keep = np.array([month.month in views.ONLY_MONTHS[column] for month in rows["period"]], dtype=bool)
                rows = rows.loc[keep].reset_index(drop=True)
            rows[column] = pd.array([of_month(month) for month in rows["period"]], dtype="Int64")
    return rows


def by_month(query: Query, rows: pd.DataFrame, k: int, keys: list[str]) -> pd.DataFrame | None:
    """Monthly rows put together over the period (`combine`); None when there are none."""
    if rows.empty:
        return None
    counts = [c for c in query.counts if c in rows.columns]
    # combine adds up the months of each key over all its rows at once: one part holding
    # every month gives what one part per month gives, without a loop over the months.
    months = rows.drop(columns="period").reset_index(drop=True)
    months.attrs["suppression"] = {"k": k, "counts": counts,
                                   "suppressed": {c: int(months[c].isna().sum()) for c in counts}}
    return combine(query, [months], k, keys=keys)


def from_published(db: TimeLimit, query: Query, params: Mapping[str, Any],
                   reader: str, k: int) -> pd.DataFrame:
    """The query's rows read from the reader's published set (terrain/disclosure/views.py):
    per month and city, then put together as for any query (`combine` for a whole period).
    The month in progress is not in the published sets, so it is never shown."""
    if query.exact_locations:
        return published_areas(db, query, params, reader, k)
    probe = probe_columns(query.name)
    rows = published_months(db, query, params, reader, probe.columns)
    counts = [c for c in query.counts if c in rows.columns]
    order = [c for c in probe.columns if c not in (*counts, *(r.column for r in query.rates))
             and not is_number(probe[c]) and c in rows.columns]
    # What combine says of the rows (which shown figures leave out a hidden month, how each
    # hidden one reads) is kept apart from them: pandas copies a frame's attrs deeply into every
    # column and frame taken from it. The month-grain rows carry their marks as columns.
    suppression: dict = {}
    partial_rows: dict[str, list] = {}
    hidden_marks: dict[str, list] = {}
    if query.grain == "none":
        combined = by_month(query, rows, k, [c for c in order if c != "period"])
        rows = probe.iloc[0:0].copy() if combined is None else combined
        suppression, rows.attrs = rows.attrs.get("suppression") or {}, {}
        partial_rows = dict(suppression.get("partial_rows", {}))
        hidden_marks = dict(suppression.get("hidden_marks", {}))
    else:
        hidden_marks = {c: rows.pop(views.mark_column(c)).tolist() for c in counts if views.mark_column(c) in rows.columns}
    order = sorted(order, key=lambda c: c != "period")   # months in order, as for any month series
    if len(rows) and order:
        at = rows[order].reset_index(drop=True).sort_values(order, kind="stable").index.to_numpy()
        rows = rows.take(at).reset_index(drop=True)
        partial_rows = {c: [flags[i] for i in at] for c, flags in partial_rows.items()}
        hidden_marks = {c: [marks[i] for i in at] for c, marks in hidden_marks.items()}
    partial_rows = {c: [bool(v) for v in partial_rows[c]] if c in partial_rows else [False] * len(rows) for c in counts}
    hidden_marks = {c: [m if isinstance(m, str) else None for m in hidden_marks[c]] if c in hidden_marks
                    else [None] * len(rows) for c in counts}
    frame = pd.DataFrame({c: rows[c] if c in rows.columns else probe[c] for c in probe.columns})
    for c in probe.columns:
        if c in counts:
            frame[c] = pd.array(frame[c], dtype="Int64")
        elif c == "period":
            frame[c] = pd.to_datetime(frame[c]).astype(probe[c].dtype)
        elif pd.api.types.is_string_dtype(probe[c]):
            frame[c] = frame[c].astype(probe[c].dtype)
    frame.attrs = {"suppression": {"k": k, "counts": counts, "published": reader,
                                   "suppressed": {c: int(frame[c].isna().sum()) for c in counts},
                                   "partial": suppression.get("partial", {c: 0 for c in counts}),
                                   "partial_rows": partial_rows, "hidden_marks": hidden_marks, "derivable": {}}}
    return frame


def published_areas(db: TimeLimit, query: Query, params: Mapping[str, Any],
                    reader: str, k: int) -> pd.DataFrame:
    """A map's areas for an audience that sees no point: each city's published figures over
    the period, drawn on the area that holds its sites (disclosure.area_of_sites: its commune,
    or its département where the commune holds a single camp, squat or small shelter; the
    département where its sites fall in several areas). An area shown as its département
    names nothing finer: no city, no count or kind of site."""
    rows = published_months(db, query, {**params, "cities": []}, reader, pd.Index([]))
    combined = by_month(query, rows, k, ["city"])
    suppression: dict = {}
    if combined is not None:   # kept apart (pandas copies attrs deeply into each frame taken)
        suppression, combined.attrs = combined.attrs.get("suppression") or {}, {}
    everything = db.rows(load("sites_with_areas").sql, {})
    city_areas = disclosure.city_areas(everything, months_between(params["start"], params["end"]))
    opened, closed = pd.to_datetime(everything["opened"]), pd.to_datetime(everything["closed"])
    sites = everything[((opened <= pd.Timestamp(params["end"]))
                        & (closed.isna() | (closed >= pd.Timestamp(params["start"])))).to_numpy()]
    sum_columns, ratios = area_measures(query)
    areas = []
    if combined is None:
        # No city did anything in the period's published months (zeros), or the period lies
        # after the last published month (the month in progress): nothing is published yet.
        last = last_published(db, reader)
        if last is None or as_date(params["start"], "start") > last.replace(day=1):
            city_areas = {}
        else:
            combined = pd.DataFrame({"city": pd.Series(dtype="str"), **{c: pd.Series(dtype="Int64") for c in query.counts}})
    for city, (code, kind, departement) in city_areas.items():
        one_area = kind == "commune"
        held = sites[sites["city"] == city]
        figures = combined[combined["city"] == city] if combined is not None else combined
        areas.append({
            "city": city, "area_code": code, "area_kind": kind, "departement": departement,
            "cities": (city,) if one_area else (),
            "site_count": len(held) if one_area else pd.NA,
            "site_types": ",".join(sorted(set(map(str, held["site_type"])))) if one_area else "",
            # a city with no row in a period of published months did nothing: zeros, and no rate
            **{c: (figures[c].iloc[0] if figures is not None and len(figures) else 0 if combined is not None else pd.NA)
               for c in sum_columns},
            **{c: figures[c].iloc[0] if figures is not None and len(figures) else pd.NA for c in ratios},
        })
    frame = pd.DataFrame(areas, columns=["area_code", "area_kind", "departement", "cities", "site_count", "site_types",
                                         *sum_columns, *ratios])
    # Two cities in one area: their figures add up, hidden if either is.
    frame = (frame.groupby(["area_code", "area_kind", "departement"], sort=True, as_index=False)
             .agg({"cities": lambda c: tuple(sorted(x for t in c for x in t)),
                   "site_count": lambda n: pd.NA if n.isna().any() else int(n.sum()),
                   "site_types": lambda t: ",".join(sorted({x for s in t for x in s.split(",") if x})),
                   **{c: (lambda v: pd.NA if v.isna().any() else int(v.sum())) for c in sum_columns},
                   **{c: "first" for c in ratios}}))
    for column in sum_columns:
        frame[column] = pd.array(frame[column], dtype="Int64")
    frame["site_count"] = pd.array(frame["site_count"], dtype="Int64")
    # The cities in each area (a département's area names none of them, but holds them).
    cities_of: dict[str, list[str]] = {}
    for row in areas:
        cities_of.setdefault(row["area_code"], []).append(row["city"])
    several = np.array([len(cities_of.get(code, [])) > 1 for code in frame["area_code"]], dtype=bool)
    # which cities' shown figures leave out a hidden month (combine's partial rows)
    partial_of = {c: dict(zip(combined["city"], flags)) for c, flags in suppression.get("partial_rows", {}).items()} \
        if combined is not None and "city" in combined.columns else {}
    for name, (numerator, denominator) in ratios.items():
        # An area of one city keeps the city's rate (combine hides it where a month is hidden);
        # an area of several, a commune's or a département's, has the rate of its summed
        # figures, hidden where a city's part leaves out a hidden month or by the usual rule.
        values = pd.array(frame[numerator], dtype="Float64") / pd.array(frame[denominator], dtype="Float64")
        left_out = np.array([any(partial_of.get(part, {}).get(city, False) for city in cities_of.get(code, [])
                                 for part in (numerator, denominator)) for code in frame["area_code"]], dtype=bool)
        values[np.asarray((pd.array(frame[denominator], dtype="Float64") == 0).fillna(True), dtype=bool) | left_out] = pd.NA
        own = pd.array(frame[name], dtype="Float64")
        frame[name] = pd.array(np.where(several, values, own), dtype="Float64")
        frame = disclosure.suppress_rates(frame, name, denominator, k, numerator=numerator)
    frame = frame.astype({"area_code": "string", "area_kind": "string", "departement": "string", "site_types": "string"})
    counts = list(query.counts)
    # How a hidden figure reads: a city's own mark where the area is one city's, else neutral.
    city_marks = {}
    if combined is not None and "city" in combined.columns:
        for c, marks in suppression.get("hidden_marks", {}).items():
            city_marks[c] = dict(zip(combined["city"], marks))
    hidden_marks = {c: [None if pd.notna(value) else (city_marks.get(c, {}).get(cities_of[code][0]) or "protect")
                        if len(cities_of.get(code, [])) == 1 else "protect"
                        for code, value in zip(frame["area_code"], frame[c])] for c in counts if c in frame.columns}
    frame.attrs = {"suppression": {"k": k, "counts": counts, "published": reader,
                                   "suppressed": {c: int(frame[c].isna().sum()) for c in counts},
                                   "partial": {c: 0 for c in counts}, "hidden_marks": hidden_marks, "derivable": {}},
                   # which area a city's view shows, though a département names no city
                   "areas_of_cities": {row["city"]: (row["area_code"],) for row in areas}}
    return frame

