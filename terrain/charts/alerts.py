"""Evidence charts of the advocacy alerts: plotly for the alerts page, matplotlib (PNG) for
the briefs, drawing the same things from one place's series (terrain.alerts.series):

- shelter saturation: beds occupied against beds available, full nights marked, minimum
  temperature on a second axis;
- cold exclusion: people turned away each night, cold nights shaded, minimum temperature;
- winter gap: minimum temperature, nights with the emergency shelter open, gap nights;
- minors surge: weekly consultations of unaccompanied minors against the same week a year
  earlier, the surge weeks shaded;
- outbreak signal: weekly cases against the alert threshold (mean + k SD), signal weeks;
- access to care: share with no coverage over the rolling months against a year earlier.

Counts hidden by disclosure control arrive as missing values (terrain.alerts.for_audience):
they are never drawn as a number; a grey mark at zero says "< k" instead. Matplotlib is
used through its object API with the Agg canvas, so no global backend is set.
"""

from __future__ import annotations

import io

import babel.dates
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from terrain import alerts, disclosure, i18n
from terrain.charts import SITE_TYPE_COLOURS, SUPPRESSED_COLOUR, base_layout, chart, periods
from terrain.charts import events as context_events
from terrain.charts.cache import ContentsCache

ALERT_COLOUR = "#b30000"
MAIN_COLOUR = SITE_TYPE_COLOURS["shelter"]
CAPACITY_COLOUR = "#404040"
COLD_COLOUR = "#2b6cb0"
COLD_SHADE = "#dbe8f6"
OPEN_COLOUR = SITE_TYPE_COLOURS["emergency_shelter"]
BEFORE_COLOUR = "#8c8c8c"
MARK_TEXT_COLOUR = "#595959"
_BABEL_LOCALES = {"fr": "fr_FR", "en": "en_GB"}   # as terrain.i18n formats dates
_HALF_PERIOD = {"day": pd.Timedelta(hours=12), "week": pd.Timedelta(days=3.5), "month": pd.Timedelta(days=15)}


def _t(key: str, lang: str, **values) -> str:
    return i18n.t(f"alerts.chart.{key}", lang, **values)


def _values(rows: pd.DataFrame, column: str) -> pd.Series:
    return pd.to_numeric(rows[column], errors="coerce").astype("float64").reset_index(drop=True)


def _flags(rows: pd.DataFrame, column: str) -> pd.Series:
    return rows[column].astype("boolean").fillna(False).astype(bool).reset_index(drop=True)


def _x(rows: pd.DataFrame) -> pd.Series:
    return pd.to_datetime(rows["period"]).reset_index(drop=True)


def _spans(x: pd.Series, flags: pd.Series, step: str) -> list[tuple[pd.Timestamp, pd.Timestamp]]:
    """Runs of flagged periods as (from, to) on the time axis, to shade."""
    half, spans, first = _HALF_PERIOD[step], [], None
    for position, flagged in enumerate(list(flags) + [False]):
        if flagged and first is None:
            first = position
        elif not flagged and first is not None:
            spans.append((x[first] - half, x[position - 1] + half))
            first = None
    return spans


# --- what each rule draws ---------------------------------------------------------------------
#
# A chart is a few layers: bars or lines of a column on the left or right axis, marks on
# flagged periods, and shaded spans. Both renderers read the same list.

def _layers(rule: str, lang: str, sd: float | None) -> dict:
    if rule == "shelter_saturation":
        return {"step": "day", "y_left": _t("beds", lang), "y_right": _t("tmin", lang),
                "bars": [("beds_occupied", _t("beds_occupied", lang), MAIN_COLOUR)],
                "lines": [("beds_available", _t("beds_available", lang), CAPACITY_COLOUR, "hv", False)],
                "right": [("tmin_c", _t("tmin", lang), COLD_COLOUR)],
                "marks": [("saturated", "beds_available", _t("saturated", lang))], "shade": None}
    if rule == "cold_exclusion":
        return {"step": "day", "y_left": _t("people", lang), "y_right": _t("tmin", lang),
                "bars": [("turned_away", _t("turned_away", lang), ALERT_COLOUR)], "lines": [],
                "right": [("tmin_c", _t("tmin", lang), COLD_COLOUR)], "marks": [],
                "shade": ("cold", _t("cold_night", lang), COLD_SHADE)}
    if rule == "winter_gap":
        return {"step": "day", "y_left": _t("tmin", lang), "y_right": None, "bars": [],
                "lines": [("tmin_c", _t("tmin", lang), COLD_COLOUR, "linear", False)], "right": [],
                "marks": [("holds", "tmin_c", _t("gap_night", lang))],
                "shade": ("shelter_open", _t("shelter_open", lang), "#f7d9ea"), "zero_line": True}
    if rule == "minors_surge":
        return {"step": "week", "y_left": _t("consultations_per_week", lang), "y_right": None, "bars": [],
                "lines": [("minors_consultations", _t("minors", lang), MAIN_COLOUR, "linear", False),
                          ("year_before", _t("year_before", lang), BEFORE_COLOUR, "linear", True)],
                "right": [], "marks": [], "shade": ("marked", _t("surge_weeks", lang), "#fde0c5"),
                "counts": ("minors_consultations", "year_before")}
    if rule == "outbreak_signal":
        return {"step": "week", "y_left": _t("cases_per_week", lang), "y_right": None,
                "bars": [("cases", _t("cases", lang), MAIN_COLOUR)],
                "lines": [("threshold", _t("threshold", lang, sd=i18n.format_decimal(sd or 2, lang)),
                           ALERT_COLOUR, "hv", True)],
                "right": [], "marks": [("holds", "cases", _t("signal_week", lang))], "shade": None}
    if rule == "access_to_care":
        return {"step": "month", "y_left": _t("share_without_coverage", lang), "y_right": None, "bars": [],
                "lines": [("share", _t("share", lang), ALERT_COLOUR, "linear", False),
                          ("share_year_before", _t("year_before", lang), BEFORE_COLOUR, "linear", True)],
                "right": [], "marks": [], "shade": ("marked", _t("alert_months", lang), "#fde0c5"),
                "percent": True}
    raise ValueError(f"Unknown rule {rule!r}.")


def _mark_heights(rows: pd.DataFrame, column: str) -> pd.Series:
    """Where a flagged period's mark sits: on its value, or on the axis when the value is
    hidden (a small shelter's capacity)."""
    return _values(rows, column).fillna(0)


def _temperature_range(rows: pd.DataFrame) -> list[float]:
    """A temperature axis that always shows 0 °C and a few degrees around the data."""
    values = _values(rows, "tmin_c").dropna()
    low = min(values.min() - 1, -3) if len(values) else -3
    high = max(values.max() + 1, 3) if len(values) else 3
    return [low, high]


def _temperature_limits(axes, rows: pd.DataFrame) -> None:
    axes.set_ylim(*_temperature_range(rows))


# At most this many date labels on a brief's axis (7.2 in wide, 7 pt): one per day, week or
# month as the span allows, never two for the same day.
MAX_DATE_TICKS = 10


def _date_ticks(first: pd.Timestamp, last: pd.Timestamp, step: str):
    """(locator, Babel pattern) for a time axis from `first` to `last`: every day or every
    few days ("8 janv."), every Monday or every few ("8 janv."), or every month or every few
    ("janv. 2024"). Ticks fall at midnight, on the days the bars stand on."""
    import matplotlib.dates as mdates

    days = (last - first).days + 1
    if step == "day" and days <= 2 * MAX_DATE_TICKS:
        return mdates.DayLocator(interval=-(-days // MAX_DATE_TICKS)), "d MMM"
    if step != "month" and days <= 7 * MAX_DATE_TICKS:
        return mdates.WeekdayLocator(byweekday=mdates.MO, interval=-(-days // (7 * MAX_DATE_TICKS))), "d MMM"
    months = (last.year - first.year) * 12 + last.month - first.month + 1
    return mdates.MonthLocator(interval=-(-months // MAX_DATE_TICKS)), "MMM y"


def _date_axis(axes, x: pd.Series, step: str, lang: str) -> None:
    """The time axis of a brief's chart, in the brief's language, framed on the periods shown."""
    import matplotlib.dates as mdates
    from matplotlib.ticker import FuncFormatter

    if x.empty:
        return
    first, last = x.min(), x.max()
    axes.set_xlim(first - _HALF_PERIOD[step], last + _HALF_PERIOD[step])
    locator, pattern = _date_ticks(first, last, step)
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(FuncFormatter(
        lambda value, _: babel.dates.format_date(mdates.num2date(value).date(), pattern, locale=_BABEL_LOCALES[lang])))


def _degrees(value: float, lang: str) -> str:
    """A temperature tick: "−2", "0", "2,5" (a true minus sign, the language's decimal mark)."""
    return i18n.format_decimal(value, lang, 0 if float(value).is_integer() else 1).replace("-", "\u2212")


def _fit_title(figure, axes, title: str, fontsize: float = 9.5) -> None:
    """The title whole, wrapped on words to the width it has from the axes' left edge to the
    figure's right edge (a long place name is never cut off by the edge of the image)."""
    import textwrap

    figure.tight_layout()
    renderer = figure.canvas.get_renderer()
    room = figure.bbox.x1 - axes.bbox.x0 - 0.02 * figure.bbox.width
    text = axes.set_title(title, fontsize=fontsize, loc="left")
    width = max(len(title), 1)
    while width > 12 and text.get_window_extent(renderer).width > room:
        width = int(width * 0.9)
        text.set_text(textwrap.fill(title, width, break_long_words=False))
    figure.tight_layout()


# --- plotly (the alerts page) ------------------------------------------------------------------

@chart
def evidence_figure(rule: str, rows: pd.DataFrame, *, lang: str, title: str, k: int = 0,
                    sd: float | None = None, events: pd.DataFrame | None = None) -> go.Figure:
    spec = _layers(rule, lang, sd)
    x = _x(rows)
    fig = make_subplots(specs=[[{"secondary_y": bool(spec["right"])}]])
    for column, name, colour in spec["bars"]:
        values = _values(rows, column)
        fig.add_bar(x=x, y=values, name=name, marker_color=colour, secondary_y=False if spec["right"] else None)
        hidden = values.isna() & _flags(rows, "observed")
        if k and hidden.any():
            fig.add_scatter(x=x[hidden], y=[0] * int(hidden.sum()), mode="markers", name=_t("hidden", lang, k=k),
                            marker={"color": SUPPRESSED_COLOUR, "symbol": "line-ew-open", "size": 12},
                            hovertemplate=f"< {k}<extra></extra>")
    for column, name, colour, shape, dashed in spec["lines"]:
        values = _values(rows, column)
        fig.add_scatter(x=x, y=values, name=name, mode="lines", line_shape=shape,
                        line={"color": colour, "dash": "dash" if dashed else "solid", "width": 2})
        hidden = values.isna() & _flags(rows, "observed") & (column in spec.get("counts", ()))
        if k and hidden.any():
            fig.add_scatter(x=x[hidden], y=[0] * int(hidden.sum()), mode="markers", name=_t("hidden", lang, k=k),
                            marker={"color": SUPPRESSED_COLOUR, "symbol": "line-ew-open", "size": 12},
                            hovertemplate=f"< {k}<extra></extra>", showlegend=False)
    for column, name, colour in spec["right"]:
        fig.add_scatter(x=x, y=_values(rows, column), name=name, mode="lines+markers",
                        line={"color": colour, "width": 1.5}, marker={"size": 4}, secondary_y=True)
    for flag, at, name in spec["marks"]:
        flagged = _flags(rows, flag)
        fig.add_scatter(x=x[flagged], y=_mark_heights(rows, at)[flagged], mode="markers", name=name,
                        marker={"color": ALERT_COLOUR, "symbol": "triangle-down", "size": 10})
    # Shapes go on after the traces: plotly only places them on subplots that hold data.
    if spec["shade"]:
        column, name, colour = spec["shade"]
        for position, (left, right) in enumerate(_spans(x, _flags(rows, column), spec["step"])):
            label = {"annotation_text": name,
                     "annotation_position": periods.span_label_position(left, right, x.iloc[0], x.iloc[-1])
                     } if position == 0 else {}
            fig.add_vrect(x0=left, x1=right, fillcolor=colour, opacity=0.6, line_width=0, layer="below", **label)
    if spec.get("zero_line"):
        fig.add_hline(y=0, line_dash="dot", line_color=CAPACITY_COLOUR)
    base_layout(fig, title=title, x_title=_t(spec["step"], lang), y_title=spec["y_left"], lang=lang)
    # The legend under the axis: above it, a place's name in the title and long series names
    # would overlap on a phone.
    fig.update_layout(legend={"orientation": "h", "yanchor": "top", "y": -0.3, "xanchor": "left", "x": 0})
    # Days, weeks and months named in the page's language, ticks on the periods themselves.
    periods.time_axis(fig, x, spec["step"], lang, centred=False)
    if not spec.get("percent") and not spec.get("zero_line"):
        counts = [c for c, *_ in spec["bars"] + spec["lines"]]
        shown = pd.concat([_values(rows, c) for c in counts]) if counts else pd.Series(dtype=float)
        periods.count_axis(fig, shown, lang, k=k, hidden=bool(shown.isna().any()),
                           secondary_y=False if spec["right"] else None)
    if spec.get("percent"):
        shares = pd.concat([_values(rows, c) for c, *_ in spec["lines"]]).dropna()
        top = max(0.1, float(shares.max()) * 1.1) if len(shares) else 1.0
        periods.percent_axis(fig, lang, top, step=0.05 if top <= 0.4 else 0.1 if top <= 0.8 else 0.2)
    if spec["right"]:
        fig.update_yaxes(title_text=spec["y_right"], secondary_y=True, showgrid=False, zeroline=True,
                         zerolinecolor=COLD_SHADE, range=_temperature_range(rows), tickmode="linear", tick0=0, dtick=5)
    return context_events.draw(fig, events, lang=lang)


# --- matplotlib (the briefs) -------------------------------------------------------------------

def _png(figure) -> bytes:
    """The figure, laid out already (`_fit_title`), as a PNG image. Its layout engine is
    taken off first: `tight_layout` leaves a placeholder one, for which `savefig` lays every
    text out in a draw of its own before the draw that renders (the same image, a third
    faster without it)."""
    out = io.BytesIO()
    figure.set_layout_engine(None)
    figure.savefig(out, format="png")
    return out.getvalue()


# The briefs' images, kept by what they were drawn from (terrain/charts/cache.py): a brief asked
# for again in the other format or for another recipient takes the image drawn before (an image
# is some 0.3 s of a brief's 1.2). Internal briefs draw the evidence, public ones the published
# months: each function's name is part of the key, so no image passes from one audience to the
# other. A PNG's bytes cannot be changed by whoever reads them; 64 images of 15 to 75 KB each.
IMAGE_CACHE_ENTRIES = 64
IMAGES = ContentsCache(IMAGE_CACHE_ENTRIES)


@IMAGES
def evidence_png(rule: str, rows: pd.DataFrame, *, lang: str, title: str, k: int = 0, sd: float | None = None,
                 width_in: float = 7.2, height_in: float = 3.4) -> bytes:
    """The evidence chart as a PNG image, for documents."""
    return _png(evidence_chart(rule, rows, lang=lang, title=title, k=k, sd=sd, width_in=width_in, height_in=height_in))


def evidence_chart(rule: str, rows: pd.DataFrame, *, lang: str, title: str, k: int = 0,
                   sd: float | None = None, width_in: float = 7.2, height_in: float = 3.4):
    """The evidence chart as a matplotlib Figure, laid out (its first axes hold the data)."""
    # matplotlib (25 MiB) is loaded by the first brief a process writes, not by every page.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator, MultipleLocator

    spec = _layers(rule, lang, sd)
    x = _x(rows)
    figure = Figure(figsize=(width_in, height_in), dpi=160)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    handles = []
    if spec["shade"]:
        column, name, colour = spec["shade"]
        for position, (left, right) in enumerate(_spans(x, _flags(rows, column), spec["step"])):
            patch = axes.axvspan(left, right, color=colour, alpha=0.7, lw=0, zorder=0,
                                 label=name if position == 0 else None)
            if position == 0:
                handles.append(patch)
    width = {"day": 0.8, "week": 5.5, "month": 25}[spec["step"]]
    for column, name, colour in spec["bars"]:
        values = _values(rows, column)
        handles.append(axes.bar(x, values.fillna(0), width=width, color=colour, label=name, zorder=2))
        hidden = values.isna() & _flags(rows, "observed")
        if k and hidden.any():
            handles.append(axes.scatter(x[hidden], [0] * int(hidden.sum()), marker="_", s=80, color=SUPPRESSED_COLOUR,
                                        linewidths=2.5, label=_t("hidden", lang, k=k), zorder=3))
    hidden_shown = False
    for column, name, colour, shape, dashed in spec["lines"]:
        values = _values(rows, column)
        drawn = axes.step(x, values, where="mid", color=colour, lw=1.8, ls="--" if dashed else "-", label=name, zorder=3) \
            if shape == "hv" else axes.plot(x, values, color=colour, lw=1.8, ls="--" if dashed else "-", label=name, zorder=3)
        handles.append(drawn[0])
        hidden = values.isna() & _flags(rows, "observed") & (column in spec.get("counts", ()))
        if k and hidden.any():
            mark = axes.scatter(x[hidden], [0] * int(hidden.sum()), marker="_", s=80, color=SUPPRESSED_COLOUR,
                                linewidths=2.5, label=None if hidden_shown else _t("hidden", lang, k=k), zorder=3)
            if not hidden_shown:
                handles.append(mark)
                hidden_shown = True
    for flag, at, name in spec["marks"]:
        flagged = _flags(rows, flag)
        if flagged.any():
            handles.append(axes.scatter(x[flagged], _mark_heights(rows, at)[flagged], marker="v", s=28,
                                        color=ALERT_COLOUR, label=name, zorder=4))
    if spec.get("zero_line"):
        axes.axhline(0, color=CAPACITY_COLOUR, lw=0.8, ls=":")
        _temperature_limits(axes, rows)
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _degrees(value, lang)))
    elif not spec.get("percent"):
        # Counts start at zero; when all are hidden the axis still reads 0 to k, not ±0.05.
        top = max([_values(rows, c).max() for c, *_ in spec["bars"] + spec["lines"]] + [k, 1])
        axes.set_ylim(0, (top if pd.notna(top) else max(k, 1)) * 1.15)
        # Whole people, beds, consultations and cases, written as the brief's language writes them.
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: i18n.format_number(value, lang)))
    if spec.get("percent"):
        axes.yaxis.set_major_locator(MultipleLocator(0.05))
        axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: i18n.format_percent(value, lang)))
    _date_axis(axes, x, spec["step"], lang)
    axes.set_ylabel(spec["y_left"], fontsize=8)
    axes.set_xlabel(_t(spec["step"], lang), fontsize=8)
    if spec["right"]:
        right = axes.twinx()
        for column, name, colour in spec["right"]:
            handles += right.plot(x, _values(rows, column), color=colour, lw=1.2, marker="o", ms=2.5, label=name)
        right.axhline(0, color=COLD_COLOUR, lw=0.6, ls=":")
        _temperature_limits(right, rows)
        right.yaxis.set_major_formatter(FuncFormatter(lambda value, _: _degrees(value, lang)))
        right.set_ylabel(spec["y_right"], fontsize=8, color=COLD_COLOUR)
        right.tick_params(labelsize=7, colors=COLD_COLOUR)
    axes.tick_params(labelsize=7)
    axes.spines[["top"]].set_visible(False)
    axes.legend(handles=handles, fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.2),
                ncol=min(4, len(handles)), frameon=False)
    figure.autofmt_xdate(rotation=0, ha="center")
    _fit_title(figure, axes, title)
    return figure


@IMAGES
def published_months_png(months: list, bars: list[tuple[str, list, list[str], str]], *, lang: str, title: str,
                         y_title: str, width_in: float = 7.2, height_in: float = 3.0) -> bytes:
    """Monthly bars of published figures as a PNG image (published_months_chart)."""
    return _png(published_months_chart(months, bars, lang=lang, title=title, y_title=y_title, width_in=width_in,
                                       height_in=height_in))


def published_months_chart(months: list, bars: list[tuple[str, list, list[str], str]], *, lang: str, title: str,
                           y_title: str, width_in: float = 7.2, height_in: float = 3.0):
    """Monthly bars of published figures, for briefs to the public: `bars` holds (name,
    values, marks, colour) per series, a mark for each month ("" where the value is shown,
    else its reading: "< 11", "[c]"). A hidden month has no bar, only its mark written at
    the foot of the axis, so no height can be read from it."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(width_in, height_in), dpi=160)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    positions = list(range(len(months)))
    width = 0.8 / max(len(bars), 1)
    top = 1.0
    for number, (name, values, marks, colour) in enumerate(bars):
        offset = (number - (len(bars) - 1) / 2) * width
        shown = [0 if mark or value is None or pd.isna(value) else float(value) for value, mark in zip(values, marks)]
        axes.bar([x + offset for x in positions], shown, width=width * 0.95, color=colour, label=name, zorder=2)
        top = max([top, *shown])
        for x, mark in zip(positions, marks):
            if mark:
                # dark enough to read (4.5:1 on white): the mark is the figure here
                axes.text(x + offset, 0, mark, ha="center", va="bottom", fontsize=7.5, color=MARK_TEXT_COLOUR,
                          rotation=90 if len(months) > 8 else 0, zorder=3)
    axes.set_ylim(0, top * 1.18)
    axes.set_xticks(positions, [babel.dates.format_date(m, "MMM y", locale=_BABEL_LOCALES[lang]) for m in months],
                    fontsize=7, rotation=45 if len(months) > 6 else 0, ha="right" if len(months) > 6 else "center")
    axes.tick_params(axis="y", labelsize=7)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_formatter(lambda value, _: i18n.format_number(int(value), lang) if value == int(value) else "")
    if not any(value is not None and not pd.isna(value) and not mark
               for _, values, marks, _ in bars for value, mark in zip(values, marks)):
        axes.set_yticks([])   # every figure hidden: no scale to read a height from
    axes.set_ylabel(y_title, fontsize=8)
    axes.spines[["top", "right"]].set_visible(False)
    if len(bars) > 1:
        axes.legend(fontsize=6.5, loc="upper center", bbox_to_anchor=(0.5, -0.25), ncol=len(bars), frameon=False)
    _fit_title(figure, axes, title)
    return figure


# --- the episodes table and labels (the alerts page) ------------------------------------------

_PLURALS = {"person": "people", "night": "nights", "cold_night": "cold_nights", "week": "weeks",
            "consultation": "consultations", "case": "cases", "refusal": "refusals"}


def _noun(value, unit: str, lang: str, k: int = 0) -> str:
    """"37 refus", "1 nuit", "< 5 refus" (the units of terrain/locales/briefs.toml)."""
    if alerts.hidden(value, k):
        return f"{disclosure.format_count(None, k)} {i18n.t(f'briefs.unit.{_PLURALS[unit]}', lang)}"
    one = i18n.plural_category(value, lang) == "one"
    return f"{i18n.format_number(value, lang)} {i18n.t(f'briefs.unit.{unit if one else _PLURALS[unit]}', lang)}"


def over_capacity(rule: str, rows: pd.DataFrame) -> bool:
    """Whether a saturation's evidence, as shown, has a night above 100 % (mattresses on the
    floor): more beds occupied than available."""
    if rule != "shelter_saturation" or rows.empty:
        return False
    return bool((_values(rows, "beds_occupied") > _values(rows, "beds_available")).any())


def peak_text(episode: alerts.Episode, lang: str, k: int) -> str:
    _, peak = alerts.shown_figures(episode.rule, episode.figures, episode.peak, k)
    if peak is None:
        value = disclosure.format_count(None, k)
    elif episode.rule == "shelter_saturation":
        value = i18n.format_percent(peak, lang)
    elif episode.rule in ("cold_exclusion", "outbreak_signal"):
        value = i18n.format_number(peak, lang)
    else:
        value = i18n.format_decimal(peak, lang, 1).replace("-", "\u2212")
    over = episode.rule == "shelter_saturation" and i18n.shown_above(peak)   # mattresses on the floor
    return i18n.t(f"alerts.peak.{episode.rule}{'_over' if over else ''}", lang, value=value)


def figures_text(episode: alerts.Episode, lang: str, k: int) -> str:
    """The episode's figures in a few words, counts below k as "< k"."""
    shown, _ = alerts.shown_figures(episode.rule, episode.figures, episode.peak, k)
    rule, figures = episode.rule, episode.figures

    def share(key: str) -> str:
        return i18n.format_percent(shown[key], lang) if shown.get(key) is not None else "–"

    if rule == "shelter_saturation":
        values = dict(saturated=_noun(figures["saturated_nights"], "night", lang),
                      nights=i18n.format_number(figures["nights"], lang),
                      turned_away=_noun(shown["turned_away"], "refusal", lang, k))
    elif rule == "cold_exclusion":  # summed over nights: refusals, not people
        values = dict(cold_nights=_noun(figures["cold_nights"], "cold_night", lang),
                      turned_away=_noun(shown["turned_away"], "refusal", lang, k))
    elif rule == "winter_gap":
        values = dict(gap_nights=_noun(figures["gap_nights"], "cold_night", lang))
    elif rule == "minors_surge":
        values = dict(consultations=_noun(shown["consultations"], "consultation", lang, k),
                      before=disclosure.format_count(shown["consultations_year_before"], k,
                                                     lambda v: i18n.format_number(v, lang)))
    elif rule == "outbreak_signal":
        values = dict(subject=i18n.label("diagnosis_group", episode.subject, lang),
                      cases=_noun(shown["cases"], "case", lang, k), weeks=_noun(figures["signal_weeks"], "week", lang))
    else:
        values = dict(share=share("share"), before=share("share_year_before"))
    return i18n.t(f"alerts.summary.{rule}", lang, **values)


def episode_label(episode: alerts.Episode, lang: str) -> str:
    """"Refus de mise à l'abri par grand froid — Abri d'urgence de Calais — 8 janv. → 16 janv. 2024"."""
    place = episode.place + (f" ({i18n.label('diagnosis_group', episode.subject, lang)})" if episode.subject else "")
    return (f"{i18n.t(f'alerts.rule.{episode.rule}', lang)} — {place} — "
            f"{i18n.format_date(episode.start, lang, 'medium')} → {i18n.format_date(episode.end, lang, 'medium')}")


def episodes_table(episodes: list[alerts.Episode], lang: str, k: int) -> pd.DataFrame:
    """The episodes as the alerts page lists them, in the order given."""
    def t(key: str) -> str:
        return i18n.t(f"alerts.column.{key}", lang)
    rows = [{
        t("rule"): i18n.t(f"alerts.rule.{e.rule}", lang), t("city"): e.city,
        t("place"): e.place + (f" ({i18n.label('diagnosis_group', e.subject, lang)})" if e.subject else ""),
        t("start"): e.start, t("end"): e.end,
        t("status"): i18n.t(f"alerts.status.{'active' if e.active else 'ended'}", lang),
        t("peak"): peak_text(e, lang, k), t("figures"): figures_text(e, lang, k),
    } for e in episodes]
    return pd.DataFrame(rows)
