"""The occupancy page's headline figures and charts: beds occupied against beds available,
people turned away, occupancy rates compared on one time axis, with the emergency shelter's
open spells and the declared winter-plan levels shaded for context.

Texts come from terrain/locales/occupancy.toml through the `tr` callable the page passes in
(ui.tr), so these functions stay free of Streamlit. A count hidden by disclosure control
arrives as a missing value: it is never drawn as a number, and its hover text reads "< k".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from terrain import glossary, i18n, indicators
from terrain.charts import (
    CITY_COLOURS,
    SITE_TYPE_COLOURS,
    SUPPRESSED_COLOUR,
    base_layout,
    chart,
    hidden_marks_trace,
    periods,
    wrapped,
)
from terrain.charts import events as context_events

Translate = Callable[..., str]

# A nightly line is readable up to about a quarter; beyond it, weeks or months.
NIGHTLY_MAX_NIGHTS = 93
OPEN_COLOUR = SITE_TYPE_COLOURS["emergency_shelter"]
OCCUPIED_COLOUR = SITE_TYPE_COLOURS["shelter"]
CAPACITY_COLOUR = "#404040"
TURNED_AWAY_COLOUR = "#b30000"
# The same marks as the winter page (terrain/charts/winter.py MARKED_PLAN_LEVELS). The
# seasonal watch covers the whole season: it is the background, not a marked spell.
PLAN_LEVEL_COLOURS = {"grand_froid": "#6a51a3", "tres_grand_froid": "#3f007d", "froid_extreme": "#000000"}
_ONE_NIGHT = dt.timedelta(days=1)
# A small chart's title (a shelter's or a city's name), centred over a plot that is about
# 280 px wide on a phone: lines of 36 characters of the 13 px font fit.
SMALL_TITLE_LINE = 36
SMALL_TITLE_FONT = 13
SMALL_TITLE_PX = 17


def shows_nights(start: dt.date, end: dt.date, can_see_days: bool) -> bool:
    """Whether the page draws nightly lines: for roles that see days, on short periods."""
    return can_see_days and (end - start).days + 1 <= NIGHTLY_MAX_NIGHTS


# --- headline figures ----------------------------------------------------------------------

@dataclass(frozen=True)
class Headline:
    """One headline figure as shown: label, value text, help text."""
    label: str
    value: str
    help: str | None = None


def _count(value, lang: str, threshold: int, mark: str | None = None, lower: bool = False) -> str:
    """"< k" for a hidden small figure, "[c]" for one hidden to protect another, "≥ N" for
    one that leaves a hidden month out (the door's marks, terrain/disclosure/marks.py)."""
    if pd.isna(value):
        return "[c]" if mark == "protect" else i18n.t("common.suppressed_value", lang, k=threshold)
    number = i18n.format_number(value, lang)
    return i18n.t("common.at_least", lang, value=number) if lower else number


def _rate(value, lang: str, tr: Translate) -> str:
    return tr("occupancy.rate_hidden") if pd.isna(value) else i18n.format_percent(value, lang, digits=1)


def headlines(row: pd.Series, *, tr: Translate, lang: str, threshold: int, city_level: bool,
              marks: dict | None = None, partial: dict | None = None) -> list[Headline]:
    """The headline figures of one shelter or city over the period, from a row of
    occupancy_summary_by_site or occupancy_summary_by_city; `marks` and `partial` (column ->
    the row's mark, whether it leaves a hidden month out) as `row_flags` reads them."""
    marks, partial = marks or {}, partial or {}

    def count(column: str) -> str:
        return _count(row[column], lang, threshold, marks.get(column), bool(partial.get(column)))
    # The rate's help always says what it is of, and why it may pass 100 %.
    rate_help = tr("occupancy.metric.rate_definition")
    if pd.notna(row["occupancy_rate"]) and pd.notna(row["bed_nights_occupied"]):
        rate_help = tr("occupancy.metric.rate_help", occupied=i18n.format_number(row["bed_nights_occupied"], lang),
                       available=i18n.format_number(row["bed_nights_available"], lang)) + " " + rate_help
    return [
        Headline(tr("occupancy.metric.occupancy_rate"), _rate(row["occupancy_rate"], lang, tr), rate_help),
        Headline(tr("occupancy.metric.nights_full"), i18n.format_number(row["nights_full"], lang),
               glossary.definition("city_night_at_capacity" if city_level else "night_at_capacity", lang)),
        Headline(tr("occupancy.metric.nights_open"), i18n.format_number(row["nights_open"], lang)),
        Headline(tr("occupancy.metric.turned_away"), count("turned_away"),
               tr("occupancy.metric.turned_away_help") + " " + glossary.definition("refusals", lang)),
        Headline(tr("occupancy.metric.turned_away_minors"), count("turned_away_minors")),
        Headline(tr("occupancy.metric.turned_away_girls"), count("turned_away_girls")),
    ]


@dataclass(frozen=True)
class Card:
    """One shelter's (or, for donors, one city's) month at a glance: how full, how many
    refusals, over how many nights."""
    key: str
    title: str
    rate: str
    refusals: str
    nights: str
    rate_help: str


def month_cards(frame: pd.DataFrame, *, tr: Translate, lang: str, threshold: int, city_level: bool) -> list[Card]:
    """The cards of the top of the page, from occupancy_summary_by_site (one per shelter) or,
    for roles that see cities only, occupancy_summary_by_city (one per city), over one month;
    hidden counts read as the door marked them."""
    cards = []
    for label in frame.index:
        row = frame.loc[label]
        marks, partial = row_flags(frame, label)
        refusals = _count(row["turned_away"], lang, threshold, marks.get("turned_away"), bool(partial.get("turned_away")))
        if city_level:
            title = row["city"]
        elif row["city"] in row["site_name"]:   # a shelter's city, unless its name says it already
            title = row["site_name"]
        else:
            title = f"{row['site_name']} ({row['city']})"
        cards.append(Card(
            key=str(row["city"] if city_level else row["site_id"]), title=title,
            rate=_rate(row["occupancy_rate"], lang, tr), refusals=refusals,
            nights=tr("occupancy.month_cards.nights", open=i18n.format_number(row["nights_open"], lang),
                      full=i18n.format_number(row["nights_full"], lang)),
            rate_help=tr("occupancy.metric.rate_definition")))
    return cards


def over_capacity(*frames: pd.DataFrame | None) -> bool:
    """Whether a figure shown exceeds 100 %: an occupancy rate above 1, or more beds (or
    bed-nights) occupied than available, in any row of `frames` (mattresses on the floor)."""
    for frame in frames:
        if frame is None or frame.empty:
            continue
        if "occupancy_rate" in frame.columns and (pd.to_numeric(frame["occupancy_rate"], errors="coerce") > 1).any():
            return True
        for occupied, available in (("beds_occupied", "beds_available"), ("bed_nights_occupied", "bed_nights_available")):
            if {occupied, available} <= set(frame.columns):
                taken = pd.to_numeric(frame[occupied], errors="coerce")
                if (taken > pd.to_numeric(frame[available], errors="coerce")).any():
                    return True
    return False


def row_flags(frame: pd.DataFrame, label) -> tuple[dict, dict]:
    """The marks and partial flags of one row (by its index label) of a door's result."""
    part = frame.loc[[label]]
    counts = (frame.attrs.get("suppression") or {}).get("counts", [])
    return ({c: indicators.hidden_marks(part, c)[0] for c in counts},
            {c: indicators.partial_flags(part, c)[0] for c in counts})


# --- context: emergency shelter spells, winter-plan levels -----------------------------------

def spells_from_periods(frame: pd.DataFrame, grain: str) -> pd.DataFrame:
    """Open spells of the emergency shelters from occupancy_by_city's per-period counts, for
    roles that see no days: consecutive periods with a night open make one spell, from the
    first day of the first period to the last day of the last."""
    spells = []
    open_periods = frame[frame["emergency_nights_open"] > 0]
    for city, rows in open_periods.groupby("city", sort=False):
        for start, nights in zip(pd.to_datetime(rows["period"]).dt.date, rows["emergency_nights_open"]):
            end = _period_end(start, grain)
            if spells and spells[-1]["city"] == city and spells[-1]["last_night"] + _ONE_NIGHT == start:
                spells[-1]["last_night"] = end
                spells[-1]["nights"] += int(nights)
            else:
                spells.append({"city": city, "first_night": start, "last_night": end, "nights": int(nights)})
    return pd.DataFrame(spells, columns=["city", "first_night", "last_night", "nights"])


def _period_end(start: dt.date, grain: str) -> dt.date:
    if grain == "week":
        return start + dt.timedelta(days=6)
    if grain == "month":
        following = (start.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return following - _ONE_NIGHT
    return start


def _shade(fig: go.Figure, spells: pd.DataFrame | None, levels: pd.DataFrame | None, *, city: str,
           tr: Translate, axis: tuple[dt.date, dt.date], row: int | None = None) -> None:
    """Shade the city's emergency-shelter spells (whole height, annotated) and its declared
    plan levels above the seasonal watch (a band along the bottom, named in the legend)."""
    where = {"row": row, "col": 1} if row else {}
    if spells is not None and not spells.empty:
        for spell in spells[spells["city"] == city].itertuples():
            left, right = _day(spell.first_night), _day(spell.last_night) + _ONE_NIGHT
            # (as text: plotly finds the middle of a span of dates written so, not of date objects)
            fig.add_vrect(x0=left.isoformat(), x1=right.isoformat(), fillcolor=OPEN_COLOUR, opacity=0.12,
                          line_width=0, layer="below",
                          annotation_text=tr("occupancy.chart.emergency_open"),
                          annotation_position=periods.span_label_position(left, right, *axis),
                          annotation_font={"size": 11, "color": OPEN_COLOUR}, **where)
    if levels is not None and not levels.empty:
        marked = levels[(levels["city"] == city) & levels["level"].isin(list(PLAN_LEVEL_COLOURS))]
        for spell in marked.itertuples():
            fig.add_vrect(x0=_day(spell.starts), x1=_day(spell.ends) + _ONE_NIGHT, y0=0, y1=0.05,
                          fillcolor=PLAN_LEVEL_COLOURS[spell.level], opacity=0.6, line_width=0, **where)
        # A band has no hover: the legend says what each colour means.
        for level in [level for level in PLAN_LEVEL_COLOURS if level in set(marked["level"])]:
            fig.add_scatter(x=[None], y=[None], mode="markers", name=tr("occupancy.chart.plan_level",
                            level=tr(f"common.plan_level.{level}")),
                            marker={"symbol": "square", "size": 12, "color": PLAN_LEVEL_COLOURS[level]})


def _day(value) -> dt.date:
    return pd.Timestamp(value).date()


def _values(series) -> list:
    # Plain lists keep the figure's JSON readable (numbers, null for a hidden value).
    return [None if pd.isna(v) else v if isinstance(v, str) else float(v) for v in series]


def _dates(series) -> list[str]:
    return [pd.Timestamp(v).date().isoformat() for v in series]


_FREQUENCIES = {"day": "D", "week": "W-MON", "month": "MS"}


def _on_full_axis(x: pd.Series, values: pd.Series, grain: str) -> tuple[list[str], list]:
    """A line's points with the periods that have no row put back as gaps, so that a line
    does not run across nights when a shelter was closed."""
    if x.empty:
        return [], []
    series = pd.Series(list(values), index=pd.to_datetime(list(x)))
    full = series.reindex(pd.date_range(series.index.min(), series.index.max(), freq=_FREQUENCIES[grain]))
    return _dates(full.index), _values(full)


# --- charts --------------------------------------------------------------------------------

@chart
def beds_chart(frame: pd.DataFrame, *, grain: str, unit: str, tr: Translate, lang: str, threshold: int,
               city: str, spells: pd.DataFrame | None = None, levels: pd.DataFrame | None = None,
               events: pd.DataFrame | None = None) -> go.Figure:
    """Beds occupied against beds available (the capacity line), with people turned away
    each night, or the refusals of each week or month.

    `frame` holds one shelter's or one city's rows: nightly (grain "day": night,
    beds_occupied, beds_available, turned_away...) or per week or month (period,
    bed_nights_occupied, bed_nights_available, nights_open, turned_away...), where the beds
    are means per night open and the refusals a total per period, on its own axis. `events`:
    the context events of the period, those of `city` and those everywhere drawn over it
    (terrain/charts/events.py).
    """
    nightly = grain == "day"
    start, end = periods.query_period(frame)
    frame = frame.sort_values("night" if nightly else "period")
    if nightly:
        x, occupied, available = frame["night"], frame["beds_occupied"], frame["beds_available"]
    else:
        nights = frame["nights_open"].where(frame["nights_open"] > 0)
        x = frame["period"]
        occupied = pd.to_numeric(frame["bed_nights_occupied"]) / nights
        available = pd.to_numeric(frame["bed_nights_available"]) / nights
    grain_word = tr(f"occupancy.grain_word.{grain}")
    fig = make_subplots(specs=[[{"secondary_y": not nightly}]])
    if nightly:
        beds_text = [_count(v, lang, threshold) for v in occupied]
    else:  # a mean of a hidden count is hidden, but it is not "< k" itself
        beds_text = [tr("occupancy.rate_hidden") if pd.isna(v) else i18n.format_decimal(v, lang, 1) for v in occupied]
    spans = periods.periods_of(x, grain, start, end)
    if nightly:
        line_x, available_y = _on_full_axis(x, available, grain)
        _, occupied_y = _on_full_axis(x, occupied, grain)
        _, beds_text = _on_full_axis(x, pd.Series(beds_text), grain)
        fig.add_scatter(x=line_x, y=available_y, name=tr("occupancy.chart.available"), mode="lines",
                        line={"color": CAPACITY_COLOUR, "dash": "dash", "shape": "hv"},
                        hovertemplate="%{y:.1f}<extra>" + tr("occupancy.chart.available") + "</extra>")
        fig.add_scatter(x=line_x, y=occupied_y, name=tr("occupancy.chart.occupied"), mode="lines+markers",
                        line={"color": OCCUPIED_COLOUR, "width": 2.5}, marker={"size": 5}, customdata=beds_text,
                        hovertemplate="%{customdata}<extra>" + tr("occupancy.chart.occupied") + "</extra>")
    else:
        # a mean per night over a week or a month holds over the whole period
        periods.add_period_line(fig, spans, _values(available),
                                [i18n.format_decimal(v, lang, 1) if pd.notna(v) else tr("occupancy.rate_hidden")
                                 for v in available], name=tr("occupancy.chart.available"),
                                colour=CAPACITY_COLOUR, dash="dash", markers=False, secondary_y=False)
        periods.add_period_line(fig, spans, _values(occupied), beds_text, name=tr("occupancy.chart.occupied"),
                                colour=OCCUPIED_COLOUR, width=2.5, secondary_y=False)
    # One night counts a person turned away once; a week or a month adds the nights up, so its
    # bar is a number of refusals, not of people. A hidden count has no bar (never 0).
    turned_name = tr("occupancy.chart.turned_away_nightly" if nightly else "occupancy.chart.turned_away")
    turned = _values(frame["turned_away"])
    turned_texts = _turned_away_texts(frame, tr, lang, threshold)
    geometry = {"x": _dates(x)} if nightly else periods.bar_geometry(spans, grain)
    fig.add_bar(**geometry, y=turned, name=turned_name,
                marker=periods.bar_marker(TURNED_AWAY_COLOUR, spans), opacity=0.8,
                customdata=turned_texts, hovertemplate="%{customdata}<extra>" + turned_name + "</extra>",
                secondary_y=not nightly)
    hidden_at = {(span.first.isoformat() if nightly else span.middle.isoformat()): [f"{turned_name} {text}"]
                 for span, value, text in zip(spans, turned, turned_texts) if value is None}
    if hidden_at:
        hidden_marks_trace(fig, hidden_at, lang, threshold, secondary_y=not nightly)
    _shade(fig, spells, levels, city=city, tr=tr, axis=(start, end))
    if nightly:
        title = tr("occupancy.chart.beds_nightly_title", unit=unit)
        y_title = tr("occupancy.chart.y_beds_nightly")
    else:
        title = tr("occupancy.chart.beds_mean_title", unit=unit, grain=grain_word)
        y_title = tr("occupancy.chart.y_beds_mean")
        fig.update_yaxes(title_text=tr("occupancy.chart.y_turned_away", grain=grain_word), secondary_y=True,
                         showgrid=False)
        periods.count_axis(fig, turned, lang, k=threshold, hidden=bool(hidden_at) and all(v is None for v in turned),
                           secondary_y=True)
    fig.update_yaxes(rangemode="tozero", secondary_y=False)
    base_layout(fig, title=title, x_title=tr(f"occupancy.chart.x_{'night' if nightly else grain}"), y_title=y_title,
                lang=lang)
    # nights: the nights the place was open (a shelter opened in the period starts there);
    # weeks and months: every period asked for, the cut ones marked
    periods.time_axis(fig, x, grain, lang, **({} if nightly else {"start": start, "end": end}))
    if not nightly:
        periods.mark_partial(fig, spans, [max((v for v in (a, o) if v is not None), default=None)
                                          for a, o in zip(_values(available), _values(occupied))], grain, lang)
    fig.update_layout(bargap=0.3, height=430)
    return context_events.draw(fig, context_events.of_city(events, city), lang=lang)


def _turned_away_texts(frame: pd.DataFrame, tr: Translate, lang: str, threshold: int) -> list[str]:
    """Each row's refusals (people turned away, night by night), with minors and girls among
    them, marked as the door
    marked them ("< k", "[c]", "≥ N")."""
    columns = ("turned_away", "turned_away_minors", "turned_away_girls")
    marks = {c: indicators.hidden_marks(frame, c) for c in columns}
    partial = {c: indicators.partial_flags(frame, c) for c in columns}
    texts = []
    for i, (value, minors, girls) in enumerate(zip(*(frame[c] for c in columns))):
        shown = [_count(v, lang, threshold, marks[c][i], partial[c][i]) for c, v in zip(columns, (value, minors, girls))]
        texts.append(f"{shown[0]} ({tr('occupancy.metric.turned_away_minors')} {shown[1]}, "
                     f"{tr('occupancy.metric.turned_away_girls')} {shown[2]})")
    return texts


@chart
def rate_small_multiples(frame: pd.DataFrame, *, facet: str, names: dict[str, str], colours: dict[str, str],
                         grain: str, title: str, tr: Translate, lang: str,
                         spells: pd.DataFrame | None = None, events: pd.DataFrame | None = None) -> go.Figure:
    """Occupancy rate per week or month, one small chart per shelter (facet "site_id") or
    city (facet "city"), all on one shared time axis, each with its 100 % line and its
    city's emergency-shelter spells. `colours` maps a facet value to its colour."""
    facets = list(dict.fromkeys(frame[facet]))
    # A shelter's name takes two lines where a phone's plot is too narrow for it: the gap
    # between two small charts holds them (its share of the plot's height: 150 px a chart, less
    # the 80 px the months and their title take under the last one).
    titles = [wrapped(names.get(f, str(f)), SMALL_TITLE_LINE) for f in facets]
    lines = max(title.count("<br>") + 1 for title in titles)
    gap = (SMALL_TITLE_PX * lines + 10) / (150 * len(facets) - 80)
    fig = make_subplots(rows=len(facets), cols=1, shared_xaxes=True,
                        vertical_spacing=min(gap, 1 / len(facets)) if len(facets) > 1 else 0, subplot_titles=titles)
    fig.update_annotations(font_size=SMALL_TITLE_FONT)
    top_rate = pd.to_numeric(frame["occupancy_rate"]).max()
    highest = 1.1 if pd.isna(top_rate) else max(1.1, float(top_rate) * 1.05)
    start, end = periods.query_period(frame)
    for row, value in enumerate(facets, start=1):
        part = frame[frame[facet] == value].sort_values("period")
        hover = [f"{_rate(rate, lang, tr)} — {tr('occupancy.chart.hover_nights_full', n=i18n.format_number(full, lang))}"
                 for rate, full in zip(part["occupancy_rate"], part["nights_full"])]
        # a week's or a month's rate holds over its whole period
        periods.add_period_line(fig, periods.periods_of(part["period"], grain, start, end),
                                _values(part["occupancy_rate"]), hover, name=names.get(value, str(value)),
                                colour=colours.get(value, SUPPRESSED_COLOUR), showlegend=False, row=row, col=1)
        label = {"annotation_text": tr("occupancy.chart.full"), "annotation_position": "bottom right",
                 "annotation_font": {"size": 10}} if row == 1 else {}
        fig.add_hline(y=1.0, line={"color": CAPACITY_COLOUR, "dash": "dot", "width": 1}, row=row, col=1, **label)
        _shade(fig, spells, None, city=part["city"].iloc[0], tr=tr, axis=(start, end), row=row)
    periods.percent_axis(fig, lang, highest, step=0.5)
    base_layout(fig, title=title, x_title="", y_title="", lang=lang)
    periods.time_axis(fig, frame["period"], grain, lang, start=start, end=end)
    # the first small chart's title stands above its plot, in the top margin
    fig.update_layout(height=90 + 150 * len(facets) + SMALL_TITLE_PX * lines, hovermode="x",
                      margin_t=fig.layout.margin.t + SMALL_TITLE_PX * lines)
    fig.update_yaxes(title_text=tr("occupancy.chart.y_rate"), row=(len(facets) + 1) // 2, col=1)
    fig.update_xaxes(title_text=tr(f"occupancy.chart.x_{grain}"), row=len(facets), col=1)
    return context_events.draw(fig, events, lang=lang)


def facet_colours(frame: pd.DataFrame, facet: str) -> dict[str, str]:
    """Colours that keep their meaning across pages: a shelter takes its site type's colour,
    a city its city colour."""
    if facet == "city":
        return {city: CITY_COLOURS.get(city, SUPPRESSED_COLOUR) for city in frame["city"]}
    return {row.site_id: SITE_TYPE_COLOURS.get(row.site_type, SUPPRESSED_COLOUR) for row in frame.itertuples()}


# --- tables --------------------------------------------------------------------------------

TABLE_COLUMNS = ("city", "site_name", "site_type", "bed_capacity", "period", "night", "nights_open",
                 "beds_available", "beds_occupied", "bed_nights_available", "bed_nights_occupied",
                 "occupancy_rate", "nights_full", "turned_away", "turned_away_minors", "turned_away_girls",
                 "emergency_nights_open")


def for_table(frame: pd.DataFrame, *, label: Callable[[str, str], str]) -> pd.DataFrame:
    """A query result as a table to show and download: readable site types, rates to three
    decimals, the columns of TABLE_COLUMNS only (the row keys the page does not show go)."""
    table = frame[[c for c in TABLE_COLUMNS if c in frame.columns]]
    if "site_type" in table.columns:
        table = table.assign(site_type=[label("site_type", v) for v in table["site_type"]])
    if "occupancy_rate" in table.columns:
        table = table.assign(occupancy_rate=pd.to_numeric(table["occupancy_rate"]).round(3))
    return table


def table_columns(frame: pd.DataFrame, tr: Translate) -> dict[str, str]:
    return {c: tr(f"occupancy.column.{c}") for c in TABLE_COLUMNS if c in frame.columns}
