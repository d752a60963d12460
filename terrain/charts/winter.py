"""The winter-emergency page's seasons, headline figures and charts.

A season runs from 1 November to 31 March and is named by the year it starts (2023 is
"2023–24"). Texts come from terrain/locales/winter.toml through the `tr` and `label`
callables the page passes in (ui.tr, ui.label), so these functions stay free of Streamlit.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from terrain import definitions, glossary, i18n, indicators
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
from terrain.filters import season_bounds, season_of

Translate = Callable[..., str]

PLAN_LEVELS = ("veille_saisonniere", "grand_froid", "tres_grand_froid", "froid_extreme")
VIGILANCE_COLOURS = ("green", "yellow", "orange", "red")
# The seasonal watch covers the whole season: it is the background, not a marked night.
MARKED_PLAN_LEVELS = {"grand_froid": "#6a51a3", "tres_grand_froid": "#3f007d", "froid_extreme": "#000000"}
OPEN_COLOUR = SITE_TYPE_COLOURS["emergency_shelter"]
CLOSED_COLOUR = "#636363"
NO_SHELTER_COLOUR = "#9ecae1"
FULL_COLOUR = "#111111"
COLD_COLOUR = "#0072B2"      # Okabe–Ito blue: apart from the shelter's reddish purple for every vision
PEOPLE_COLOUR = "#333333"    # darker than the grey mark of a hidden figure
GAP_COLOUR = "#b30000"
SEASON_MONTHS = definitions.season_months()
DAYS_NAMED = [1, 5, 10, 15, 20, 25, 31]   # the calendar's days named under it
LEGEND_NAME_LINE = 32   # a calendar legend entry's line, beside the months' names on a phone
# One fixed scale for every city and season, so that a colour always means the same
# temperature: blues below 0 °C, white at 0 °C, warm colours above; beyond the range the
# colour saturates (the hover gives the exact value).
TEMPERATURE_RANGE = (-10.0, 15.0)
_ZERO = -TEMPERATURE_RANGE[0] / (TEMPERATURE_RANGE[1] - TEMPERATURE_RANGE[0])
TEMPERATURE_SCALE = [[0.0, "#08306b"], [_ZERO / 2, "#4292c6"], [_ZERO, "#f7f7f7"],
                     [_ZERO + (1 - _ZERO) / 2, "#fdd49e"], [1.0, "#d7301f"]]


# --- seasons -------------------------------------------------------------------------------

def season_label(season: int) -> str:
    return f"{season}–{(season + 1) % 100:02d}"


def seasons_between(first_day: dt.date, as_of: dt.date) -> list[int]:
    """The seasons a user may choose, newest first: from the first one that ends on or
    after the first day of data to the one `as_of` belongs to (or has just ended); at least
    that last one, even when all the data fall between two winters."""
    first = first_day.year if first_day > season_bounds(first_day.year - 1)[1] else first_day.year - 1
    last = season_of(as_of)
    return list(range(last, min(first, last) - 1, -1))


def parse_season(raw: str | None, seasons: list[int]) -> tuple[int, bool]:
    """The season asked for in the URL, or the newest one. The flag is False when the URL
    asked for something that is not a season of the data (the page says so)."""
    if raw is None or raw == "":
        return seasons[0], True
    if raw.isascii() and raw.isdigit() and int(raw) in seasons:
        return int(raw), True
    return seasons[0], False


def season_period(season: int, as_of: dt.date) -> tuple[dt.date, dt.date]:
    start, end = season_bounds(season)
    return start, min(end, as_of)


# --- headline figures ----------------------------------------------------------------------

@dataclass(frozen=True)
class People:
    """A people count as it may be shown: a value, or hidden below `k`."""
    value: int | None
    hidden: bool = False
    partial: bool = False     # a total that leaves out hidden cells
    small: bool | None = None  # hidden and one small cell ("< k"); None: the marks are not known

    def text(self, lang: str, hidden_text: str) -> str:
        """"37"; "≥ 35" for a total that leaves hidden cells out; `hidden_text` ("< 11") for
        a hidden figure that is one small cell, "masqué" for a sum of hidden cells that may
        be 11 or more (terrain/disclosure/marks.py)."""
        if self.hidden:
            return i18n.t("common.hidden_figure", lang) if self.small is False else hidden_text
        if self.partial and not self.value:
            # "≥ 0" says nothing: the shown cells are zeros and the rest is hidden
            return i18n.t("common.hidden_figure", lang)
        number = i18n.format_number(self.value, lang)
        return i18n.t("common.at_least", lang, value=number) if self.partial else number


PEOPLE_COUNTS = ("turned_away_on_cold_nights", "consultations", "medical_consultations", "cold_related_consultations")


def season_people(nights: pd.DataFrame, months: pd.DataFrame) -> pd.DataFrame:
    """Each season and city's nights (rows of winter_nights_by_season_city) with its people:
    the sums of its visible months (rows of winter_people_by_city_month, counts already
    suppressed for the role).

    A count is blank when no month shows it, or when the months shown add up to 0 beside a
    hidden one (a false 0); `<count>_partial` is true when a shown sum leaves out a hidden
    month. The share of cold-related consultations (of the medical consultations) is worked out
    from complete sums only. A
    season and city without any month of people (no data) counts 0.
    """
    # Some ten seasons and cities from a few hundred months: a pass in Python over the
    # rows, not a pandas operation per step (each costs a millisecond or more on frames
    # this small: the whole took some 45 ms of every rerun of the Winter page).
    marked = indicators.marks_told_apart(months)
    keys = list(zip(months["season"].tolist(), months["city"].tolist()))
    sums: dict[tuple, dict[str, list]] = {key: {c: [None, 0, 0] for c in PEOPLE_COUNTS} for key in keys}
    for c in PEOPLE_COUNTS:
        for key, value, mark in zip(keys, months[c].tolist(), indicators.hidden_marks(months, c)):
            total = sums[key][c]    # [sum of the shown months, hidden months, months marked small]
            if pd.isna(value):
                total[1] += 1
            else:
                total[0] = (total[0] or 0) + int(value)
            total[2] += mark == "small"
    found = [sums.get(key) for key in zip(nights["season"].tolist(), nights["city"].tolist())]
    everywhere = all(total is not None for total in found)
    frame = nights.reset_index(drop=True)
    for c in PEOPLE_COUNTS:
        values, partial, small = [], [], []
        for total in found:
            if total is None:   # a season and city without any month of people counts 0
                values.append(0)
                partial.append(False)
                small.append(np.nan)
                continue
            shown, hidden, marked_small = total[c]
            # a sum of shown zeros beside a hidden month would be a false 0: blank
            value = None if shown is None or (hidden and shown == 0) else shown
            values.append(value)
            partial.append(bool(hidden) and value is not None)
            # hidden and one small month (and zeros): "< k" is true of it; NA where unknown
            small.append(value is None and hidden == 1 and marked_small == 1 if marked else pd.NA)
        frame[c] = pd.array(values, dtype="Int64")
        frame[f"{c}_partial"] = np.array(partial, dtype=bool)
        frame[f"{c}_small"] = np.array(small, dtype=bool if marked and everywhere else object)
    # the share from whole sums only, of rows with medical consultations
    share = [None if cold is pd.NA or medical is pd.NA or cold_partial or medical_partial or not medical > 0
             else cold / medical
             for cold, medical, cold_partial, medical_partial in
             zip(frame["cold_related_consultations"], frame["medical_consultations"],
                 frame["cold_related_consultations_partial"], frame["medical_consultations_partial"])]
    frame["cold_related_share"] = pd.array(share, dtype="Float64")
    # What was hidden, and for whom, as the door recorded it on the months: tables and
    # downloads read hidden counts as "< k" from these.
    frame.attrs = {key: months.attrs[key] for key in ("provenance", "suppression") if key in months.attrs}
    if "suppression" in frame.attrs:
        # the months' per-row flags do not fit these rows: each season and city has its own
        suppression = dict(frame.attrs["suppression"])
        suppression["partial_rows"] = {c: frame[f"{c}_partial"].tolist() for c in PEOPLE_COUNTS}
        if marked:
            suppression["hidden_marks"] = {c: [None if pd.notna(v) else "small" if pd.notna(small) and bool(small)
                                               else "protect" for v, small in zip(frame[c], frame[f"{c}_small"])]
                                           for c in PEOPLE_COUNTS}
        else:
            suppression.pop("hidden_marks", None)
        frame.attrs["suppression"] = suppression
    return frame


def people_total(frame: pd.DataFrame, column: str) -> People:
    """The visible total of a count column over the rows of `frame`. A total made only of
    hidden cells is hidden too: showing 0 would be a false zero. A total that adds up a row's
    partial sum (`<column>_partial`, see season_people) leaves out hidden cells too."""
    if frame.empty:
        return People(0)
    values = _numbers(frame[column])
    shown = [value for value in values if value is not None]
    if not shown:
        marks = frame.get(f"{column}_small")
        small = None if marks is None or marks.isna().any() else bool(len(frame) == 1 and marks.iloc[0])
        return People(None, hidden=True, small=small)
    partial = len(shown) < len(values) or (f"{column}_partial" in frame.columns and any(frame[f"{column}_partial"]))
    return People(int(sum(shown)), partial=partial)


def cold_related_share(frame: pd.DataFrame) -> float | None:
    """Cold-related consultations over the medical consultations (social, legal and mental
    health consultations left out), on the rows where both counts are visible and whole (a
    ratio mixing a hidden numerator with a visible denominator would leak it; one that
    leaves out a hidden month of either would be wrong)."""
    partial = [False] * len(frame)
    for column in ("medical_consultations_partial", "cold_related_consultations_partial"):
        if column in frame.columns:
            partial = [before or bool(flag) for before, flag in zip(partial, frame[column])]
    both = [(cold, medical) for cold, medical, left_out in zip(_numbers(frame["cold_related_consultations"]),
                                                               _numbers(frame["medical_consultations"]), partial)
            if not left_out and cold is not None and medical is not None]
    total = sum(medical for _, medical in both)
    if not both or total == 0:
        return None
    return float(sum(cold for cold, _ in both) / total)


def _numbers(values: pd.Series) -> list:
    """A column's numbers, None where it is blank (hidden) or holds no number. (The season
    rows are a few: a list is read faster than pandas works on a frame this small.)"""
    if not pd.api.types.is_numeric_dtype(values):
        values = pd.to_numeric(values, errors="coerce")
    return [None if pd.isna(value) else value for value in values.tolist()]


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    help: str | None = None


def headline(nights: pd.Series, people: pd.DataFrame, *, tr: Translate, label: Translate, lang: str,
             hidden_text: str) -> list[tuple[str, list[Figure]]]:
    """The season's headline figures, in sections (heading, figures): `nights` is the
    season's row of winter_nights_by_season, `people` its rows of season_people."""
    def nights_figure(column: str, text: str, help: str | None = None) -> Figure:
        return Figure(text, i18n.format_number(int(nights[column]), lang), help)

    turned = people_total(people, "turned_away_on_cold_nights")
    share = cold_related_share(people)
    share_hidden = any(people_total(people, c).partial or people_total(people, c).hidden
                       for c in ("medical_consultations", "cold_related_consultations"))
    coldest = pd.to_numeric(people["coldest_c"], errors="coerce").min() if not people.empty else np.nan
    gap_label = tr("winter.figure.cold_nights_without_emergency_shelter")
    return [
        ("", [
            nights_figure("cold_nights", tr("winter.figure.cold_nights"), glossary.definition("cold_night", lang)),
            nights_figure("emergency_shelter_open_nights", tr("winter.figure.emergency_shelter_open_nights")),
            nights_figure("cold_nights_without_emergency_shelter", gap_label, glossary.definition("winter_gap", lang))
            if nights["has_emergency_shelter"] else Figure(gap_label, "—", tr("winter.figure.no_emergency_shelter")),
            Figure(tr("winter.figure.turned_away_on_cold_nights"), turned.text(lang, hidden_text),
                   glossary.definition("refusals", lang)),
        ]),
        ("", [
            Figure(tr("winter.figure.cold_related_share"),
                   "—" if share is None else i18n.format_percent(share, lang),
                   tr("winter.figure.cold_related_share_help")
                   + (" " + tr("winter.figure.share_hidden") if share_hidden else "")),
            Figure(tr("winter.figure.coldest_c"),
                   "—" if pd.isna(coldest) else tr("winter.degrees", t=_number(coldest, lang, 1))),
        ]),
        (tr("winter.plan_levels"), [nights_figure(f"plan_{level}_nights", label("plan_level", level))
                                    for level in PLAN_LEVELS]),
        (tr("winter.vigilance_colours"), [nights_figure(f"vigilance_{colour}_nights", label("vigilance_colour", colour))
                                          for colour in VIGILANCE_COLOURS]),
    ]


def season_table(people: pd.DataFrame) -> pd.DataFrame:
    """Season against season, per city, newest season first, seasons as "2023–24". Cold
    nights without an emergency shelter are left blank where the city had none to open."""
    table = people.sort_values(["season", "city"], ascending=[False, True]).reset_index(drop=True)
    no_shelter = ~table["has_emergency_shelter"].astype(bool)
    gap = table["cold_nights_without_emergency_shelter"].astype("Int64").mask(no_shelter)
    table = table.assign(season=[season_label(s) for s in table["season"]],
                         cold_nights_without_emergency_shelter=gap)
    table = table.drop(columns=[c for c in table.columns if c.endswith("_partial")])
    table.attrs = dict(people.attrs)
    return table


TABLE_COLUMNS = (
    "season", "period", "city", "cold_nights", "coldest_c",
    "vigilance_orange_nights", "vigilance_red_nights", "vigilance_orange_red_nights",
    "plan_above_watch_nights", "plan_grand_froid_nights", "plan_tres_grand_froid_nights", "plan_froid_extreme_nights",
    "emergency_shelter_open_nights", "cold_nights_without_emergency_shelter",
    "turned_away_on_cold_nights", "consultations", "medical_consultations", "cold_related_consultations",
    "cold_related_share",
)


def table_columns(frame: pd.DataFrame, tr: Translate) -> dict[str, str]:
    """Headers of the columns a winter table shows, in their order."""
    return {column: tr(f"winter.figure.{column}") for column in TABLE_COLUMNS if column in frame.columns}


# --- charts --------------------------------------------------------------------------------

def _number(value: float, lang: str, digits: int = 0) -> str:
    return i18n.format_decimal(value, lang, digits) if digits else i18n.format_number(value, lang)


def _people(value, lang: str, hidden_text: str) -> str:
    return hidden_text if pd.isna(value) else i18n.format_number(value, lang)


def _night_text(row: pd.Series, *, tr: Translate, label: Translate, lang: str, hidden_text: str) -> str:
    lines = [f"<b>{i18n.format_date(row['night'], lang)}</b>"]
    if pd.notna(row["tmin_c"]):
        lines.append(tr("winter.hover.temperature", tmin=_number(row["tmin_c"], lang, 1),
                        tmax=_number(row["tmax_c"], lang, 1)))
        lines.append(tr("winter.hover.vigilance", colour=label("vigilance_colour", row["vigilance"])))
    else:
        lines.append(tr("winter.hover.no_temperature"))
    if pd.notna(row["plan_level"]):
        lines.append(tr("winter.hover.plan", level=label("plan_level", row["plan_level"])))
    if row["emergency_shelter_this_season"] or row["emergency_shelter_open"]:
        lines.append(tr("winter.hover.emergency_open" if row["emergency_shelter_open"]
                        else "winter.hover.emergency_closed"))
    if row["has_shelter_data"]:
        lines.append(tr("winter.hover.shelters", sheltered=_people(row["sheltered"], lang, hidden_text),
                        beds=i18n.format_number(row["beds_available"], lang),
                        turned_away=_people(row["turned_away"], lang, hidden_text)))
    return "<br>".join(lines)


@chart
def calendar_heatmap(nights: pd.DataFrame, *, city: str, season: int, tr: Translate, label: Translate,
                     lang: str, hidden_text: str) -> go.Figure:
    """Nightly minimum temperature of one city's season, months down and days across, with
    the declared plan levels above the seasonal watch, the nights a shelter was full and the
    cold nights with no emergency shelter open marked on their cells."""
    nights = nights.assign(night=pd.to_datetime(nights["night"]).dt.date)
    months = [(season + (m < SEASON_MONTHS[0]), m) for m in SEASON_MONTHS]
    z = np.full((len(months), 31), np.nan)
    text = np.full((len(months), 31), "", dtype=object)
    position = {ym: i for i, ym in enumerate(months)}
    for _, row in nights.iterrows():
        i, j = position.get((row["night"].year, row["night"].month)), row["night"].day - 1
        if i is None:
            continue
        z[i, j] = row["tmin_c"] if pd.notna(row["tmin_c"]) else np.nan
        text[i, j] = _night_text(row, tr=tr, label=label, lang=lang, hidden_text=hidden_text)

    fig = go.Figure(go.Heatmap(
        z=z, x=list(range(1, 32)), y=list(range(len(months))), text=text,
        hovertemplate="%{text}<extra></extra>", colorscale=TEMPERATURE_SCALE, zmin=TEMPERATURE_RANGE[0],
        zmax=TEMPERATURE_RANGE[1], xgap=2, ygap=2,
        # the scale's title turned along it: written across, it took a phone's plot's width
        colorbar={"title": {"text": tr("winter.calendar.colour_title"), "side": "right"}, "thickness": 12},
        name=tr("winter.calendar.colour_title"), showscale=True))

    def mark(rows: pd.DataFrame, dy: float, name: str, symbol: str, colour: str) -> None:
        if rows.empty:
            return
        fig.add_scatter(
            x=[n.day for n in rows["night"]], y=[position[(n.year, n.month)] + dy for n in rows["night"]],
            mode="markers", name=name, hoverinfo="skip",
            marker={"symbol": symbol, "color": colour, "size": 8, "line": {"width": 1, "color": "white"}})

    for level, colour in MARKED_PLAN_LEVELS.items():
        mark(nights[nights["plan_level"] == level], -0.28, label("plan_level", level), "triangle-down", colour)
    mark(nights[nights["shelters_full"] > 0], 0.28, tr("winter.calendar.shelter_full"), "square", FULL_COLOUR)
    gaps = nights[nights["cold_night"] & nights["emergency_shelter_this_season"] & ~nights["emergency_shelter_open"]]
    # on two lines: the legend starts at the plot's left edge, after the months' names, and on
    # a phone this name ran off the chart's right edge
    mark(gaps, 0, wrapped(tr("winter.calendar.winter_gap"), LEGEND_NAME_LINE), "x-thin-open", GAP_COLOUR)

    watch_nights = int((nights["plan_level"] == "veille_saisonniere").sum())
    fig.update_yaxes(tickvals=list(range(len(months))), autorange="reversed", showgrid=False, zeroline=False,
                     ticktext=[i18n.format_month(dt.date(y, m, 1), lang, short=True) for y, m in months])
    # every fifth day named: thirty-one names turned into a smudge on a phone
    fig.update_xaxes(tickmode="array", tickvals=DAYS_NAMED, showgrid=False, zeroline=False, range=[0.4, 31.6])
    base_layout(fig, title=tr("winter.calendar.title", city=city, season=season_label(season)),
                x_title=tr("winter.calendar.x_title"), y_title="", legend_title="", lang=lang)
    fig.update_layout(hovermode="closest", height=360, legend={"y": -0.25, "yanchor": "top", "x": 0,
                                                               "xanchor": "left"},
                      margin={"l": 10, "r": 10, "b": 10})
    # the watch note under the title, on lines a phone holds
    periods.under_title(fig, tr("winter.calendar.watch_note", n=watch_nights) if watch_nights
                        else tr("winter.calendar.no_watch"))
    return fig


@chart
def demand_scatter(nights: pd.DataFrame, *, city: str, tr: Translate, lang: str,
                   hidden_text: str) -> go.Figure | None:
    """People asking for a bed (sheltered + turned away) against the night's minimum
    temperature, one point per night with shelter data, coloured by whether the emergency
    shelter was open. A night whose turned-away count is hidden is drawn at its people
    sheltered, as an open marker: a lower bound, never an invented figure. None when no
    night has both a temperature and shelter data."""
    known = nights[nights["has_shelter_data"] & nights["tmin_c"].notna() & nights["sheltered"].notna()]
    if known.empty:
        return None
    fig = go.Figure()
    turned = pd.to_numeric(known["turned_away"], errors="coerce")
    demand = pd.to_numeric(known["sheltered"]) + turned.fillna(0)
    status = np.where(known["emergency_shelter_open"], "open",
                      np.where(known["emergency_shelter_this_season"], "closed", "none"))
    for state, colour in (("open", OPEN_COLOUR), ("closed", CLOSED_COLOUR), ("none", NO_SHELTER_COLOUR)):
        for exact in (True, False):
            part = (status == state) & (turned.notna() == exact)
            if not part.any():
                continue
            hover = [tr("winter.demand.hover", date=i18n.format_date(n, lang, "medium"), tmin=_number(t, lang, 1),
                        sheltered=_people(s, lang, hidden_text), turned_away=_people(a, lang, hidden_text))
                     for n, t, s, a in zip(pd.to_datetime(known["night"][part]).dt.date, known["tmin_c"][part],
                                           known["sheltered"][part], known["turned_away"][part])]
            name = tr(f"winter.demand.{state}")
            fig.add_scatter(
                x=known["tmin_c"][part], y=demand[part], mode="markers", customdata=hover,
                hovertemplate="%{customdata}<extra></extra>",
                name=name if exact else tr("winter.demand.lower_bound", status=name),
                marker={"color": colour, "size": 9, "opacity": 0.8,
                        "symbol": "circle" if exact else "circle-open", "line": {"width": 1.5, "color": colour}})
    fig.add_vline(x=0, line={"color": "#3182bd", "dash": "dot"},
                  annotation_text="0 °C", annotation_position="top left")
    base_layout(fig, title=tr("winter.demand.title", city=city), x_title=tr("winter.demand.x_title"),
                y_title=tr("winter.demand.y_title"), legend_title=tr("winter.demand.legend_title"), lang=lang)
    fig.update_layout(hovermode="closest", height=420)
    return fig


@chart
def season_comparison(nights: pd.DataFrame, people: pd.DataFrame, *, tr: Translate, lang: str,
                      hidden_text: str) -> go.Figure:
    """Season against season: the nights (cold, emergency shelter open, cold with none
    open) above, the people turned away on cold nights below, on one axis of seasons."""
    seasons = sorted(nights["season"])
    labels = [season_label(s) for s in seasons]
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.6, 0.4], vertical_spacing=0.1,
                        subplot_titles=(tr("winter.comparison.nights_panel"), tr("winter.comparison.people_panel")))
    by_season = nights.set_index("season").reindex(seasons)
    for column, colour in (("cold_nights", COLD_COLOUR), ("emergency_shelter_open_nights", OPEN_COLOUR),
                           ("cold_nights_without_emergency_shelter", GAP_COLOUR)):
        fig.add_bar(x=labels, y=by_season[column], name=tr(f"winter.figure.{column}"), marker_color=colour,
                    hovertemplate="%{y}<extra>" + tr(f"winter.figure.{column}") + "</extra>", row=1, col=1)
    totals = [people_total(people[people["season"] == s], "turned_away_on_cold_nights") for s in seasons]
    # A hidden total has no bar (never 0), and "≥ 0" says nothing: a grey mark names it.
    hidden_total = [t.hidden or (t.partial and not t.value) for t in totals]
    turned_name = tr("winter.figure.turned_away_on_cold_nights")
    fig.add_bar(x=labels, y=[None if hidden else t.value for t, hidden in zip(totals, hidden_total)], name=turned_name,
                marker_color=PEOPLE_COLOUR, customdata=[t.text(lang, hidden_text) for t in totals],
                hovertemplate="%{customdata}<extra>" + turned_name + "</extra>", row=2, col=1)
    hidden_at = {label: [f"{turned_name} {t.text(lang, hidden_text)}"]
                 for label, t, hidden in zip(labels, totals, hidden_total) if hidden}
    if hidden_at:
        hidden_marks_trace(fig, hidden_at, lang, None, row=2, col=1)
    base_layout(fig, title=tr("winter.comparison.title"), x_title="", y_title="", lang=lang)
    periods.count_axis(fig, [None if hidden else t.value for t, hidden in zip(totals, hidden_total)], lang,
                       hidden=bool(hidden_at), row=2, col=1)
    fig.update_yaxes(title_text=tr("winter.comparison.nights_axis"), row=1, col=1)
    fig.update_yaxes(title_text=tr("winter.comparison.people_axis"), row=2, col=1)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=labels)
    fig.update_xaxes(title_text=tr("winter.season"), row=2, col=1)
    # The legend well under the seasons, whose labels turn on a phone.
    fig.update_layout(barmode="group", hovermode="closest", height=640, margin={"l": 10, "r": 10, "b": 60},
                      legend={"orientation": "h", "y": -0.22, "yanchor": "top", "x": 0, "xanchor": "left"})
    return fig


@chart
def monthly_cold_nights(months: pd.DataFrame, *, tr: Translate, lang: str) -> go.Figure:
    """Cold nights per month and city: the calendar of roles that see months only."""
    fig = go.Figure()
    month_names = {p: i18n.format_month(pd.Timestamp(p).date(), lang) for p in sorted(set(months["period"]))}
    for city in [c for c in CITY_COLOURS if c in set(months["city"])] + sorted(set(months["city"]) - set(CITY_COLOURS)):
        part = months[months["city"] == city]
        fig.add_bar(x=[month_names[p] for p in part["period"]],
                    y=part["cold_nights"], name=city, marker_color=CITY_COLOURS.get(city, SUPPRESSED_COLOUR),
                    hovertemplate="%{y}<extra>" + city + "</extra>")
    base_layout(fig, title=tr("winter.monthly.title"), x_title=tr("winter.monthly.x_title"),
                y_title=tr("winter.monthly.y_title"), legend_title=tr("winter.city"), lang=lang)
    periods.count_axis(fig, months["cold_nights"], lang)
    fig.update_layout(barmode="group", hovermode="closest", height=420)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=list(month_names.values()))
    return fig


def month_table(months: pd.DataFrame) -> pd.DataFrame:
    """The monthly rows with their month as an ISO 8601 month ("2024-01")."""
    return months.assign(period=[pd.Timestamp(p).strftime("%Y-%m") for p in months["period"]])
