"""Charts and table shapes of the Consultations page.

Frames come from the query door: a count hidden by disclosure control is NA, and a frame
for a donor has a `city` column (its figures are per city). Charts never draw a hidden count
as a number: its bar is left out and its label reads "< k".
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass

import pandas as pd
import plotly.graph_objects as go

from terrain import i18n, indicators
from terrain.charts import (
    ACTIVITY_COLOURS,
    CITY_COLOURS,
    HIDDEN_MARK_COLOUR,
    PLACE_LINE,
    base_layout,
    chart,
    direct_labels,
    hidden_marks_trace,
    palette,
    periods,
    stacked_bars,
    table_headers,
    wrapped,
)
from terrain.charts import events as context_events

# Adopted by Parliament on 19 December 2023 (loi n° 2024-42, promulgated 26 January 2024):
# its restrictions on access to healthcare are why the share without coverage is watched.

BAR_COLOUR = palette.BLUE
BREAKDOWN_COLOURS = {
    "sex": {"F": palette.VERMILION, "M": palette.SKY_BLUE, "X": palette.YELLOW},
    "referred": {"yes": palette.ORANGE, "no": palette.BLUE},
}
# Ordered as the schema's ENUM types, so that bars read in their natural order.
CATEGORY_VALUES = {
    "age_band": ("0-14", "15-17", "18-24", "25-34", "35+", "unknown"),
    "sex": ("F", "M", "X"),
    "unaccompanied_minor": ("yes", "no", "unknown"),
    "health_coverage": ("none", "AME", "PUMa_CSS", "unknown"),
    "visit": ("new", "follow_up"),
    "referred": ("yes", "no"),
}
# The common.toml category each column's values are named in.
LABEL_CATEGORIES = {
    "activity": "activity", "age_band": "age_band", "sex": "sex",
    "unaccompanied_minor": "yes_no_unknown", "diagnosis_group": "diagnosis_group",
    "health_coverage": "health_coverage", "visit": "visit_kind", "referred": "yes_no_unknown",
    "site_type": "site_type",
}
TOP_DIAGNOSIS_GROUPS = 10
# A breakdown's bar and the mark of a hidden one in its place ("< 11", "[c]"): three marks
# side by side (one per sex) hold in three bars' height without running into each other.
BAR_PX = 11
HIDDEN_MARK_PX = 10

# Breakdown tabs: the category on the axis and the one its bars are grouped by.
BREAKDOWNS = {
    "age_sex": ("age_band", "sex"),
    "minor_status": ("unaccompanied_minor", None),
    "diagnosis": ("diagnosis_group", None),
    "visit_referral": ("visit", "referred"),
}
# Columns kept off the screen (they stay in downloads).
_OFF_SCREEN = {"site_id"}


def _t(key: str, lang: str, **values) -> str:
    return i18n.t(f"consultations.{key}", lang, **values)


def _hidden(lang: str, k: int) -> str:
    return i18n.t("common.suppressed_value", lang, k=k)


def _count(value, lang: str, k: int, mark: str | None = None, lower: bool = False) -> str:
    """"< k" for a hidden small figure, "[c]" for one hidden to protect another, "≥ N" for a
    figure that leaves a hidden part out (the door's marks, terrain/disclosure/marks.py)."""
    if pd.isna(value):
        return "[c]" if mark == "protect" else _hidden(lang, k)
    return ("≥ " if lower else "") + i18n.format_number(value, lang)


def _counts(frame: pd.DataFrame, lang: str, k: int) -> list[str]:
    """The consultations of `frame` (rows of the door's result) as the chart labels them."""
    return [_count(v, lang, k, mark, lower) for v, mark, lower in
            zip(frame["consultations"], indicators.hidden_marks(frame, "consultations"),
                indicators.partial_flags(frame, "consultations"))]


# --- shaping -------------------------------------------------------------------------------

def only_activities(frame: pd.DataFrame, activities) -> pd.DataFrame:
    """The rows of the chosen activities (all when none is chosen). Donors' city-level
    queries take no activity filter, so the page picks rows from what they may see."""
    if not activities or "activity" not in frame.columns:
        return frame
    return frame[frame["activity"].isin(list(activities))].reset_index(drop=True)


def combined(frame: pd.DataFrame, by: list[str], column: str) -> pd.DataFrame:
    """Counts summed over the other columns (a donor's cities), as published: hidden parts
    are left out, and a sum of hidden parts only stays hidden (never a false zero)."""
    if frame.empty:
        return frame[by + [column]]
    values = pd.to_numeric(frame[column], errors="coerce")
    keys = [frame[c] for c in by]
    grouped = values.groupby(keys, sort=False)
    out = grouped.sum(min_count=1).rename(column).reset_index()
    # The door's per-row flags, for the new rows: a sum that leaves a hidden or partial part
    # out is a lower bound ("≥ N"); a sum of hidden parts only reads "< k" when it is one
    # small cell, else "[c]".
    parts = pd.DataFrame({"hidden": values.isna().to_numpy(),
                          "partial": indicators.partial_flags(frame, column),
                          "small": [m == "small" for m in indicators.hidden_marks(frame, column)]}, index=frame.index)
    flags = parts.groupby(keys, sort=False).agg(hidden=("hidden", "sum"), partial=("partial", "any"),
                                                 small=("small", "sum"), rows=("hidden", "size")).reset_index(drop=True)
    # visible parts adding up to 0 beside a hidden one would read as a false 0: hidden
    out.loc[(out[column] == 0).fillna(False).to_numpy() & (flags["hidden"] > 0).to_numpy(), column] = pd.NA
    shown = out[column].notna().to_numpy()
    suppression = dict(frame.attrs.get("suppression") or {})
    suppression["partial_rows"] = {column: list(shown & ((flags["hidden"] > 0) | flags["partial"]).to_numpy())}
    if indicators.marks_told_apart(frame):
        suppression["hidden_marks"] = {column: [
            None if is_shown else "small" if (n == 1 and small == 1) else "protect"
            for is_shown, n, small, rows in zip(shown, flags["hidden"], flags["small"], flags["rows"])]}
    out.attrs = {**frame.attrs, "suppression": suppression}
    return out


def labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Category codes replaced by their names, for tables and downloads."""
    out = frame.copy()
    for column, category in LABEL_CATEGORIES.items():
        if column in out.columns:
            out[column] = [i18n.label(category, v, lang) if pd.notna(v) else v for v in out[column]]
    return out


def table_columns(frame: pd.DataFrame, tr) -> dict[str, str]:
    """Headers of the columns shown on screen: common.field.<column>, or this page's own."""
    return table_headers(frame, tr, "consultations", _OFF_SCREEN)


def year_earlier(start: dt.date, end: dt.date) -> tuple[dt.date, dt.date]:
    """The same days a year earlier. A period ending on a month's last day compares with the
    whole month (February 2025 with 1–29 February 2024); 29 February becomes the 28th."""
    def back(day: dt.date) -> dt.date:
        return day.replace(year=day.year - 1, day=min(day.day, calendar.monthrange(day.year - 1, day.month)[1]))
    last = back(end)
    if end.day == calendar.monthrange(end.year, end.month)[1]:
        last = last.replace(day=calendar.monthrange(last.year, last.month)[1])
    return back(start), last


def shown_period(frame: pd.DataFrame) -> tuple[dt.date, dt.date]:
    """The period a query was run for, after the door's rules (whole months for donors)."""
    params = frame.attrs["provenance"]["params"]
    return params["start"], params["end"]


def year_on_year(now: pd.DataFrame, before: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Consultations per activity (and city) in a period and in the same period a year
    earlier (two runs of one query), with the change as text. A row missing from one period
    had no consultation there: 0. No change is given where either count is hidden or the
    year before had none."""
    keys = [c for c in ("city", "activity") if c in now.columns]
    this, previous = (frame.set_index(keys)["consultations"] for frame in (now, before))
    index = this.index.union(previous.index)
    rank = {a: i for i, a in enumerate(ACTIVITY_COLOURS)}
    out = pd.DataFrame({
        "consultations": this.reindex(index).astype("Int64").where(index.isin(this.index), 0),
        "consultations_year_before": previous.reindex(index).astype("Int64").where(index.isin(previous.index), 0),
    }, index=index).reset_index()
    out = out.sort_values(keys, key=lambda col: col.map(rank) if col.name == "activity" else col, kind="stable")
    change = (out["consultations"] - out["consultations_year_before"]) / out["consultations_year_before"]
    out["change"] = [i18n.format_percent(c, lang, signed=True) if pd.notna(c) and pd.notna(b) and b > 0 else "—"
                     for c, b in zip(change, out["consultations_year_before"])]
    out = out.reset_index(drop=True)
    out.attrs = dict(now.attrs)
    if "suppression" in now.attrs:
        out.attrs["suppression"] = {**now.attrs["suppression"],
                                    "counts": ["consultations", "consultations_year_before"]}
    return out


@dataclass(frozen=True)
class Headline:
    """A year-on-year headline figure: the published totals of this period and of the same
    period a year earlier, how many cells each leaves out, and the change."""
    value: float
    previous: float
    hidden: int
    hidden_before: int
    lone_small: bool | None = None   # the one hidden cell is marked small (None: marks not known)

    @property
    def change(self) -> float | None:
        # A change between totals that leave cells out would compare unlike things.
        if self.hidden or self.hidden_before or not self.previous:
            return None
        return (self.value - self.previous) / self.previous

    def text(self, lang: str, k: int) -> str:
        """The figure as shown: "< k" for a single hidden cell (unless it is marked as
        protecting another), "masqué" for several (their sum may be k or more), "≥ n" when
        cells are left out."""
        if self.hidden and not self.value:
            if self.hidden == 1 and self.lone_small is not False:
                return _hidden(lang, k)
            return i18n.t("common.hidden_figure", lang)
        shown = i18n.format_number(self.value, lang)
        return f"≥ {shown}" if self.hidden else shown


def headline(now: pd.DataFrame, before: pd.DataFrame, activity: str | None = None) -> Headline:
    """All consultations (or one activity's) in a period and a year earlier, over cities."""
    def published(frame: pd.DataFrame) -> tuple[float, int, bool | None]:
        part = frame if activity is None else frame[frame["activity"] == activity]
        values = pd.to_numeric(part["consultations"], errors="coerce")
        # a figure that leaves out a hidden month leaves a cell out too
        partial = sum(indicators.partial_flags(part, "consultations"))
        marks = [m for m in indicators.hidden_marks(part, "consultations") if m]
        lone_small = (marks == ["small"]) if indicators.marks_told_apart(part) else None
        return float(values.sum()), int(values.isna().sum()) + partial, lone_small

    (value, hidden, lone_small), (previous, hidden_before, _) = published(now), published(before)
    return Headline(value, previous, hidden, hidden_before, lone_small)


# --- charts --------------------------------------------------------------------------------

@chart
def activity_over_time(frame: pd.DataFrame, *, lang: str, grain: str, k: int,
                       events: pd.DataFrame | None = None) -> go.Figure:
    """Consultations per week or month, stacked by activity (summed over a donor's cities),
    with the context `events` of the period."""
    data = combined(frame, ["period", "activity"], "consultations")
    fig = stacked_bars(
        data, x="period", y="consultations", colour="activity", colours=ACTIVITY_COLOURS,
        names={a: i18n.label("activity", a, lang) for a in ACTIVITY_COLOURS},
        title=_t("trend_title", lang), x_title=_t(f"axis_{grain}", lang), y_title=_t("axis_consultations", lang),
        legend_title=_t("activity", lang), hidden_text=_hidden(lang, k), lang=lang, grain=grain, k=k, events=events)
    return fig


@chart
def by_place(frame: pd.DataFrame, *, lang: str, k: int) -> go.Figure:
    """Consultations per site (per city for a donor), stacked by activity, largest first."""
    place = "site_name" if "site_name" in frame.columns else "city"
    data = combined(frame, [place, "activity"], "consultations")
    data["label"] = _counts(data, lang, k)   # before the rows are reshaped below
    order = data.groupby(place)["consultations"].sum().sort_values().index.tolist()
    fig = go.Figure()
    hidden_at: dict[str, list[str]] = {}
    for activity in [a for a in ACTIVITY_COLOURS if a in set(data["activity"])]:
        part = data[data["activity"] == activity].set_index(place).reindex(order).dropna(how="all").reset_index()
        values = pd.to_numeric(part["consultations"], errors="coerce")
        name = i18n.label("activity", activity, lang)
        fig.add_bar(y=part[place], x=[None if pd.isna(v) else float(v) for v in values], orientation="h", name=name,
                    marker_color=ACTIVITY_COLOURS[activity],
                    customdata=part["label"].tolist(),
                    hovertemplate="%{y}: %{customdata}<extra>" + name + "</extra>")
        for where, value, text in zip(part[place], values, part["label"]):
            if pd.isna(value):
                hidden_at.setdefault(where, []).append(f"{name} {text}")
    if hidden_at:
        hidden_marks_trace(fig, hidden_at, lang, k, horizontal=True)
    fig.update_layout(barmode="stack", height=max(300, 160 + 58 * len(order)), hovermode="closest")
    # names on two short lines, so that a phone keeps room for the bars
    fig.update_yaxes(categoryorder="array", categoryarray=order, tickmode="array", tickvals=order,
                     ticktext=[wrapped(str(name), PLACE_LINE) for name in order])
    base_layout(fig, title=_t("by_site_title" if place == "site_name" else "by_city_title", lang),
                x_title=_t("axis_consultations", lang), y_title="", legend_title=_t("activity", lang), lang=lang)
    totals = pd.to_numeric(data["consultations"], errors="coerce").groupby(data[place]).sum(min_count=1)
    return periods.count_axis(fig, totals, lang, k=k, hidden=bool(hidden_at), axis="x")


@chart
def breakdown(frame: pd.DataFrame, category: str, *, lang: str, k: int, colour: str | None = None) -> go.Figure:
    """Bars of consultations per value of `category`, lying down (the values' names read flat
    beside them, even on a phone: standing, six age bands turned their names into the legend),
    grouped by `colour` when given (age band by sex). A donor's figures are per city: one axis
    naming each city beside its values, one count scale (a panel per city drew twelve axes
    and three times the traces, for the same bars). A hidden count has no bar: its label
    reads "< k" at the foot of the axis, in its bar's place."""
    by_city = "city" in frame.columns
    cities = sorted(frame["city"].unique()) if by_city else [None]
    groups = CATEGORY_VALUES[colour] if colour else (None,)
    # The places on the axis: each city's values, in one order for all (the most frequent
    # diagnoses over the cities), so that a value sits at the same place in every city.
    keys = list(zip(frame["city"] if by_city else [None] * len(frame), frame[category]))
    present = set(keys)
    order = _category_order(frame, category)
    places = [(city, value) for city in cities for value in order if (city, value) in present]
    rank = {place: i for i, place in enumerate(places)}
    # Where every count is hidden, the note under the title says so once: a mark per bar would
    # only crowd the axis (eighteen "< 11" under six age bands, piled up on a phone).
    every_hidden = bool(pd.to_numeric(frame["consultations"], errors="coerce").isna().all())
    fig = go.Figure()
    position = pd.Series([rank.get(key, -1) for key in keys], index=frame.index)
    for group in groups:
        chosen = (position >= 0) & (True if group is None else frame[colour] == group)
        cells = frame[chosen].iloc[position[chosen].argsort(kind="stable")]
        if cells.empty:
            continue
        values = pd.to_numeric(cells["consultations"], errors="coerce")
        names = [i18n.label(LABEL_CATEGORIES[category], v, lang) for v in cells[category]]
        cells_cities = cells["city"].tolist() if by_city else []

        def at(indices: list[int]) -> list:
            """The places of those cells on the axis: (city, value) for a donor."""
            chosen_names = [names[i] for i in indices]
            return [[cells_cities[i] for i in indices], chosen_names] if by_city else chosen_names

        legend = i18n.label(LABEL_CATEGORIES[colour], group, lang) if group else _t("consultations", lang)
        labels = _counts(cells, lang, k)
        shown = [None if pd.isna(v) else float(v) for v in values]
        fig.add_bar(y=at(list(range(len(cells)))), x=shown, orientation="h", name=legend, legendgroup=legend,
                    showlegend=group is not None, marker_color=BREAKDOWN_COLOURS[colour][group] if group else BAR_COLOUR,
                    text=labels, textposition="outside", cliponaxis=False, offsetgroup=legend,
                    hovertemplate="%{text}<extra>" + legend + "</extra>")
        hidden = [i for i, v in enumerate(shown) if v is None]
        if hidden and not every_hidden:
            fig.add_scatter(x=[0] * len(hidden), y=at(hidden), mode="text", orientation="h",
                            text=[labels[i] for i in hidden], textposition="middle right",
                            textfont={"color": HIDDEN_MARK_COLOUR, "size": HIDDEN_MARK_PX}, offsetgroup=legend,
                            legendgroup=legend,
                            showlegend=False, cliponaxis=False, hovertemplate="%{text}<extra>" + legend + "</extra>")
    bars = len(places) * (len(groups) if colour else 1)
    fig.update_layout(barmode="group", scattermode="group", height=max(300, 150 + BAR_PX * bars + 12 * len(places)),
                      hovermode="closest")
    base_layout(fig, title=_t(f"{category}_title", lang), x_title=_t("axis_consultations", lang), y_title="",
                legend_title=_t(colour, lang) if colour else "", lang=lang)
    if by_city:   # the cities beside their values, apart from each other
        fig.update_yaxes(type="multicategory", showdividers=True, dividercolor="#9ca3af")
    fig.update_yaxes(autorange="reversed")
    counts = pd.to_numeric(frame["consultations"], errors="coerce")
    periods.count_axis(fig, counts, lang, k=k, hidden=bool(counts.isna().any()), axis="x", note_under_title=by_city)
    return fig


def _category_order(part: pd.DataFrame, category: str) -> list[str]:
    if category in CATEGORY_VALUES:
        return [v for v in CATEGORY_VALUES[category] if v in set(part[category])]
    # Diagnosis groups: the most frequent first, hidden ones last, at most TOP_DIAGNOSIS_GROUPS.
    totals = pd.to_numeric(part["consultations"], errors="coerce").groupby(part[category]).sum(min_count=1)
    return totals.sort_values(ascending=False, na_position="last").index[:TOP_DIAGNOSIS_GROUPS].tolist()


def unknown_coverage_share(frame: pd.DataFrame) -> pd.Series:
    """Per row, the share of all consultations whose coverage is unknown: unknown over known
    plus unknown, where both counts are shown (NA where either is hidden, or no consultation)."""
    known = pd.to_numeric(frame["with_known_coverage"], errors="coerce").astype("Float64")
    unknown = pd.to_numeric(frame["unknown_coverage"], errors="coerce").astype("Float64")
    total = known + unknown
    return (unknown / total.where(total > 0)).astype("Float64")


def coverage_summary(frame: pd.DataFrame) -> dict[str, float | int | None]:
    """The period's figures from a table of consultations by health coverage (rows of
    consultations_by_coverage, per city for a donor): consultations with no coverage among
    those whose coverage is known, and the unknown ones among all. A figure is None when a
    count it needs is hidden (a share of a part would be wrong, or give the part away)."""
    counts = pd.to_numeric(frame["consultations"], errors="coerce")
    hidden = counts.isna().groupby(frame["health_coverage"]).any()
    by_coverage = counts.groupby(frame["health_coverage"]).sum()

    def total(categories) -> int | None:
        present = [c for c in categories if c in by_coverage.index]
        return None if any(hidden.get(c, False) for c in present) else int(sum(by_coverage[c] for c in present))

    none, known, unknown = total(["none"]), total(["none", "AME", "PUMa_CSS"]), total(["unknown"])
    everything = None if known is None or unknown is None else known + unknown
    return {"without_coverage": none, "with_known_coverage": known, "unknown_coverage": unknown,
            "consultations": everything,
            "share": none / known if none is not None and known else None,
            "unknown_share": unknown / everything if unknown is not None and everything else None}


@chart
def share_without_coverage(frame: pd.DataFrame, *, lang: str, grain: str,
                           events: pd.DataFrame | None = None) -> go.Figure:
    """Share with no health coverage among the consultations whose coverage is known, per
    week or month (a line per city for a donor, named at its end), with the context `events`
    of the period (the December 2023 immigration law among them); dotted, the share of all
    consultations whose coverage is unknown, which the other share leaves out. Each value
    holds over its whole period."""
    fig = go.Figure()
    start, end = periods.query_period(frame)
    lines = frame.groupby("city", sort=True) if "city" in frame.columns else [(None, frame)]
    ends = []
    for city, part in lines:
        part = part.sort_values("period")
        spans = periods.periods_of(part["period"], grain, start, end)
        share = pd.to_numeric(part["share_without_coverage"], errors="coerce")
        name = city or _t("all_sites", lang)
        colour = CITY_COLOURS.get(city, "#444444") if city else "#b2182b"
        periods.add_period_line(fig, spans, [None if pd.isna(v) else float(v) for v in share],
                                [i18n.format_percent(v, lang) if pd.notna(v) else _t("hidden_rate", lang)
                                 for v in share], name=name, colour=colour, legendgroup=name)
        unknown = unknown_coverage_share(part)
        periods.add_period_line(fig, spans, [None if pd.isna(v) else float(v) for v in unknown],
                                [i18n.format_percent(v, lang) if pd.notna(v) else _t("hidden_rate", lang)
                                 for v in unknown], name=_t("unknown_coverage_line", lang, name=name),
                                colour=colour, dash="dot", width=1.5, legendgroup=name, markers=False)
        shown = [(p, v) for p, v in zip(spans, share) if pd.notna(v)]
        if city and shown:
            ends.append((name, (shown[-1][0].last + dt.timedelta(days=1)).isoformat(), float(shown[-1][1]), colour))
    periods.percent_axis(fig, lang, 1.05)
    # No axis title: the ticks name the months, and the legend sits under them.
    base_layout(fig, title=_t("coverage_title", lang), x_title="",
                y_title=_t("axis_share_without_coverage", lang),
                legend_title=_t("city", lang) if "city" in frame.columns else "", lang=lang)
    fig.update_layout(legend={"y": -0.12}, margin={"r": 110 if ends else 10}, height=520)
    if ends:   # the cities named at the end of their lines: the legend is far below
        direct_labels(fig, ends, y_range=(0, 1.05), plot_height=300)
    periods.time_axis(fig, frame["period"], grain, lang, start=start, end=end)
    return context_events.draw(fig, events, lang=lang)
