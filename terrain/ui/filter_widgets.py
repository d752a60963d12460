"""The sidebar's filters: the widgets a page asks for (as far as the viewer may use them),
read from the URL and written back to it, so that a link opens the same view; and the
filters told in words for exports and briefs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import replace

import pandas as pd
import streamlit as st

from terrain import filters as flt
from terrain import i18n
from terrain.ui import views
from terrain.ui.data import dataset
from terrain.ui.session import label, lang, tr

_URL_KEYS = {"period": ("period", "year", "from", "to"), "city": ("city",), "site": ("site",),
             "grain": ("grain",), "activity": ("activity",), "age": ("age",), "sex": ("sex",),
             "minors": ("minors",), "girls": ("girls",)}
_FIELD_ATTRS = {"city": "cities", "site": "sites", "activity": "activities", "age": "age_bands",
                "sex": "sexes", "minors": "minors_only", "girls": "girls_only"}
_ALL_URL_KEYS = {key for keys in _URL_KEYS.values() for key in keys} | {"lang"}


def sidebar_filters(fields: Iterable[str], *, cities: Iterable[str] = (),
                    sites: dict[str, str] | None = None) -> flt.Filters:
    """Sidebar filters for the fields named, read from and written back to the URL."""
    allowed = views.filtering(tuple(fields))
    fields, grains = allowed.fields, allowed.grains
    data = dataset()
    sites = sites or {}
    current = flt.parse(dict(st.query_params), as_of=data.data_as_of, first_day=data.first_day,
                        cities=cities, sites=sites, grains=grains)
    # Filters the page does not show (or the role may not use) keep their defaults, whatever
    # the URL says, so no query receives a filter its user cannot see.
    defaults = flt.Filters()
    current = replace(current, **{attr: getattr(defaults, attr) for field, attr in _FIELD_ATTRS.items()
                                  if field not in fields})
    for notice in current.notices:
        st.warning(tr("common.invalid_parameter", name=notice))

    with st.sidebar:
        st.subheader(tr("common.filters"))
        chosen = {}
        if "period" in fields:
            preset = st.selectbox(tr("common.period"), flt.PRESETS, index=flt.PRESETS.index(current.preset),
                                  format_func=lambda p: tr(f"common.preset.{p}"), key="f_period")
            year = None
            start = end = None
            if preset == "year":
                years = list(range(data.data_as_of.year, data.first_day.year - 1, -1))
                year = st.selectbox(tr("common.year"), years, key="f_year",
                                    index=years.index(current.year) if current.year in years else 0)
            if preset == "custom":
                picked = st.date_input(tr("common.custom_period"), value=(current.start, current.end),
                                       min_value=data.first_day, max_value=data.data_as_of, key="f_custom")
                if isinstance(picked, (tuple, list)) and len(picked) == 2:
                    start, end = picked
                else:
                    start, end = current.start, current.end
            current = flt.with_period(current, preset, data.data_as_of, year=year, start=start, end=end)
            # Every preset says the dates it covers, under its name.
            st.caption(tr("filters.period_covers", period=i18n.format_period(current.start, current.end, lang())))
        if "grain" in fields and len(grains) > 1:
            chosen["grain"] = st.segmented_control(
                tr("common.grain"), grains, default=current.grain, key="f_grain",
                format_func=lambda g: tr(f"common.grain_{g}")) or current.grain
        # An empty choice means every value: no "Select all" (Streamlit's, in English), and a
        # placeholder that agrees with the label ("Toutes" les villes, "Tous" les sites).
        if "city" in fields and cities:
            chosen["cities"] = tuple(st.multiselect(tr("common.city"), list(cities), default=list(current.cities),
                                                    key="f_city", placeholder=tr("filters.all_feminine"),
                                                    select_all=False))
        if "site" in fields and sites:
            listed = _sites_to_list(sites, chosen.get("cities", current.cities), current.start, current.end)
            # (new options reset the widget to the URL's choice, less the sites no longer listed)
            chosen["sites"] = tuple(st.multiselect(
                tr("common.site"), list(listed), default=[s for s in current.sites if s in listed],
                format_func=lambda s: sites.get(s, s), key="f_site", placeholder=tr("filters.all_masculine"),
                select_all=False))
        if "activity" in fields:
            chosen["activities"] = tuple(st.multiselect(
                tr("common.activity_label"), flt.ACTIVITIES, default=list(current.activities),
                format_func=lambda a: label("activity", a), key="f_activity",
                placeholder=tr("filters.all_feminine"), select_all=False))
        if "age" in fields:
            chosen["age_bands"] = tuple(st.multiselect(
                tr("common.age_band_label"), flt.AGE_BANDS, default=list(current.age_bands),
                format_func=lambda a: label("age_band", a), key="f_age",
                placeholder=tr("filters.all_feminine"), select_all=False))
        if "sex" in fields:
            chosen["sexes"] = tuple(st.multiselect(
                tr("common.sex_label"), flt.SEXES, default=list(current.sexes),
                format_func=lambda s: label("sex", s), key="f_sex",
                placeholder=tr("filters.all_masculine"), select_all=False))
        if "minors" in fields:
            chosen["minors_only"] = st.toggle(tr("common.minors_only"), value=current.minors_only, key="f_minors")
        if "girls" in fields:
            chosen["girls_only"] = st.toggle(tr("common.girls_only"), value=current.girls_only, key="f_girls")
    current = replace(current, **chosen)
    # Keep the URL parameters other parts of the page own (e.g. the winter page's season);
    # write back only those of the filters shown.
    ours = {key for field in fields for key in _URL_KEYS[field]}
    wanted = {k: v for k, v in st.query_params.items() if k not in _ALL_URL_KEYS}
    wanted.update({k: v for k, v in flt.to_query_params(current).items() if k in ours})
    if lang() != "fr":
        wanted["lang"] = lang()
    if dict(st.query_params) != wanted:
        st.query_params.from_dict(wanted)
    return current


def _sites_to_list(sites: dict[str, str], cities: Iterable[str], start: dt.date, end: dt.date) -> list[str]:
    """The sites of `sites` (id -> name) in the chosen cities (all if none) that were open on
    some day of [start, end]: a camp closed in 2016 is not offered for last month."""
    rows = views.query("filter_sites").set_index("site_id")
    cities = set(cities)
    kept = []
    for site in sites:
        if site not in rows.index:
            continue
        row = rows.loc[site]
        opened = pd.Timestamp(row["opened"]).date()
        closed = None if pd.isna(row["closed"]) else pd.Timestamp(row["closed"]).date()
        if (not cities or row["city"] in cities) and opened <= end and (closed is None or closed >= start):
            kept.append(site)
    return kept


def describe_filters(f: flt.Filters) -> dict[str, str]:
    """Filters as text, for export files and briefs."""
    out = {tr("common.period"): i18n.format_period(f.start, f.end, lang())}
    if f.cities:
        out[tr("common.city")] = ", ".join(f.cities)
    if f.sites:
        out[tr("common.site")] = ", ".join(f.sites)
    if f.activities:
        out[tr("common.activity_label")] = ", ".join(label("activity", a) for a in f.activities)
    if f.age_bands:
        out[tr("common.age_band_label")] = ", ".join(label("age_band", a) for a in f.age_bands)
    if f.sexes:
        out[tr("common.sex_label")] = ", ".join(label("sex", s) for s in f.sexes)
    if f.minors_only:
        out[tr("common.minors_only")] = "✓"
    if f.girls_only:
        out[tr("common.girls_only")] = "✓"
    return out
