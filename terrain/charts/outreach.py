"""Charts and table shapes of the Outreach page: people the mobile teams reached, and
vaccination doses and campaigns.

Counts hidden by disclosure control are NA; they are never drawn as a number. Vaccination
coverage is a range, since the target population of people on the move is uncertain; it
counts the people vaccinated in the campaign's target ages, and never reads above 100 %: an
end above it is capped, with the reason (the estimate of the target population is below the
people vaccinated).
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from terrain import i18n
from terrain.charts import (
    PLACE_LINE,
    SITE_TYPE_COLOURS,
    base_layout,
    chart,
    hidden_marks_trace,
    palette,
    periods,
    stacked_bars,
    table_headers,
    wrapped,
)
from terrain.charts.consultations import combined

# Camps and squats keep their site-type colours; the street gets one they do not use.
PLACE_TYPE_COLOURS = {"street": palette.SKY_BLUE, "squat": SITE_TYPE_COLOURS["squat"], "camp": SITE_TYPE_COLOURS["camp"]}
ANTIGEN_COLOURS = {
    "measles": palette.VERMILION, "mmr": palette.REDDISH_PURPLE, "dtp": palette.BLUE,
    "hepatitis_b": palette.ORANGE, "influenza": palette.BLUISH_GREEN, "covid19": palette.SKY_BLUE,
}
# Sphere Handbook (child health, vaccine-preventable diseases): a measles campaign targets
# ages 6 months – 15 years unless coverage is known to be at least 90 %. The 90 % concerns
# measles, and so the vaccines that hold it (MMR, "ROR" in French): no other antigen.
SPHERE_COVERAGE = 0.90
SPHERE_ANTIGENS = ("measles", "mmr")
_OFF_SCREEN = {"team_id", "population_low", "population_high", "coverage_low", "coverage_high"}


def _t(key: str, lang: str, **values) -> str:
    return i18n.t(f"outreach.{key}", lang, **values)


def _hidden(lang: str, k: int) -> str:
    return i18n.t("common.suppressed_value", lang, k=k)


def total_text(values: pd.Series, lang: str, k: int) -> str:
    """A published total: hidden counts are left out, and it says so ("≥ n"); a lone hidden
    count reads "< k", several "masqué" (their sum may be k or more)."""
    numbers = pd.to_numeric(values, errors="coerce")
    hidden, visible = int(numbers.isna().sum()), numbers.sum()
    if hidden and not visible:
        return _hidden(lang, k) if hidden == 1 else i18n.t("common.hidden_figure", lang)
    return ("≥ " if hidden else "") + i18n.format_number(visible, lang)


def capped(value: float) -> float:
    """A coverage as it may be shown: at most 100 %."""
    return value if pd.isna(value) else min(float(value), 1.0)


def coverage_range(low: float, high: float, lang: str) -> str:
    """"35 %–70 %": coverage from the people vaccinated in the target ages over the highest
    population estimate to the same over the lowest; an end above 100 % reads 100 %
    (`coverage_note` says why), and a range whose both ends are reads "100 %"."""
    if pd.isna(low) or pd.isna(high):
        return "—"
    if low >= 1:
        return i18n.format_percent(1.0, lang)
    return _t("coverage_range", lang, low=i18n.format_percent(low, lang), high=i18n.format_percent(capped(high), lang))


def coverage_note(row, lang: str) -> str:
    """Why a coverage is capped at 100 %: the estimate(s) of the target population below the
    people vaccinated in the target ages; "" when it is not capped (or hidden)."""
    low, high = row["coverage_low"], row["coverage_high"]
    if pd.isna(low) or pd.isna(high) or high <= 1:
        return ""
    number = lambda column: i18n.format_number(row[column], lang)  # noqa: E731
    key = "capped_both" if low >= 1 else "capped_high"
    return _t(key, lang, vaccinated=number("doses_in_target"), low=number("population_low"),
              high=number("population_high"))


def target_bands_text(bands, lang: str) -> str:
    """"0-14 ans, 15-17 ans": a campaign's target age bands, named."""
    return ", ".join(i18n.label("age_band", band, lang) for band in list(bands))


def campaigns_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """vaccinations_by_campaign as shown and downloaded: antigen and target bands named, the
    coverage range as text, both ends capped at 100 % with the reason beside them."""
    out = frame.copy()
    out["antigen"] = [i18n.label("antigen", a, lang) for a in out["antigen"]]
    out["target_age_bands"] = [target_bands_text(bands, lang) for bands in out["target_age_bands"]]
    for column in ("starts", "ends"):
        out[column] = pd.to_datetime(out[column]).dt.date
    out["coverage_range"] = [coverage_range(lo, hi, lang) for lo, hi in zip(out["coverage_low"], out["coverage_high"])]
    out["coverage_note"] = [coverage_note(row, lang) for _, row in out.iterrows()]
    out["coverage_low"] = [capped(v) for v in out["coverage_low"]]
    out["coverage_high"] = [capped(v) for v in out["coverage_high"]]
    # What a reader looks for first: the campaign, its coverage and why it is capped.
    first = ["campaign_id", "antigen", "coverage_range", "coverage_note", "target_age_bands", "doses_in_target",
             "doses_outside_target", "doses_unknown_age"]
    out = out[[c for c in first if c in out.columns] + [c for c in out.columns if c not in first]]
    out.attrs = dict(frame.attrs)
    return out


def has_sphere_antigen(frame: pd.DataFrame) -> bool:
    """Whether a frame of campaigns holds one whose antigen Sphere's 90 % concerns."""
    return bool(frame["antigen"].isin(SPHERE_ANTIGENS).any()) if len(frame) else False


def labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = frame.copy()
    for column, category in (("place_type", "place_type"), ("antigen", "antigen")):
        if column in out.columns:
            out[column] = [i18n.label(category, v, lang) for v in out[column]]
    return out


def table_columns(frame: pd.DataFrame, tr) -> dict[str, str]:
    """Headers of the columns shown on screen: common.field.<column>, or this page's own."""
    return table_headers(frame, tr, "outreach", _OFF_SCREEN)


# --- charts --------------------------------------------------------------------------------

@chart
def reached_over_time(frame: pd.DataFrame, *, lang: str, grain: str, k: int,
                      events: pd.DataFrame | None = None) -> go.Figure:
    """People reached per week or month, stacked by place type, with the context `events`."""
    fig = stacked_bars(
        frame, x="period", y="people_reached", colour="place_type", colours=PLACE_TYPE_COLOURS,
        names={p: i18n.label("place_type", p, lang) for p in PLACE_TYPE_COLOURS},
        title=_t("reached_title", lang), x_title=_t(f"axis_{grain}", lang), y_title=_t("axis_people", lang),
        legend_title=_t("place_type", lang), hidden_text=_hidden(lang, k), lang=lang, grain=grain, k=k,
        events=events)
    return fig


@chart
def reached_by_team(frame: pd.DataFrame, *, lang: str, k: int) -> go.Figure:
    """People reached per mobile team, stacked by place type, largest first."""
    data = combined(frame, ["team_name", "place_type"], "people_reached")
    order = data.groupby("team_name")["people_reached"].sum().sort_values().index.tolist()
    fig = go.Figure()
    hidden_at: dict[str, list[str]] = {}
    for place in [p for p in PLACE_TYPE_COLOURS if p in set(data["place_type"])]:
        part = data[data["place_type"] == place]
        values = pd.to_numeric(part["people_reached"], errors="coerce")
        name = i18n.label("place_type", place, lang)
        texts = [_hidden(lang, k) if pd.isna(v) else i18n.format_number(v, lang) for v in values]
        fig.add_bar(y=part["team_name"], x=[None if pd.isna(v) else float(v) for v in values], orientation="h",
                    name=name, marker_color=PLACE_TYPE_COLOURS[place], customdata=texts,
                    hovertemplate="%{y}: %{customdata}<extra>" + name + "</extra>")
        for team, value, text in zip(part["team_name"], values, texts):
            if pd.isna(value):
                hidden_at.setdefault(team, []).append(f"{name} {text}")
    if hidden_at:
        hidden_marks_trace(fig, hidden_at, lang, k, horizontal=True)
    fig.update_layout(barmode="stack", height=max(260, 160 + 58 * len(order)), hovermode="closest")
    fig.update_yaxes(categoryorder="array", categoryarray=order, tickmode="array", tickvals=order,
                     ticktext=[wrapped(str(name), PLACE_LINE) for name in order])
    base_layout(fig, title=_t("by_team_title", lang), x_title=_t("axis_people", lang), y_title="",
                legend_title=_t("place_type", lang), lang=lang)
    totals = pd.to_numeric(data["people_reached"], errors="coerce").groupby(data["team_name"]).sum(min_count=1)
    return periods.count_axis(fig, totals, lang, k=k, hidden=bool(hidden_at), axis="x")


@chart
def doses_over_time(frame: pd.DataFrame, *, lang: str, grain: str, k: int,
                    events: pd.DataFrame | None = None) -> go.Figure:
    """Vaccine doses per week or month, stacked by antigen (summed over cities), with the
    context `events`."""
    data = combined(frame, ["period", "antigen"], "doses")
    fig = stacked_bars(
        data, x="period", y="doses", colour="antigen", colours=ANTIGEN_COLOURS,
        names={a: i18n.label("antigen", a, lang) for a in ANTIGEN_COLOURS},
        title=_t("doses_title", lang), x_title=_t(f"axis_{grain}", lang), y_title=_t("axis_doses", lang),
        legend_title=_t("antigen", lang), hidden_text=_hidden(lang, k), lang=lang, grain=grain, k=k,
        events=events)
    return fig


@chart
def coverage_ranges(frame: pd.DataFrame, *, lang: str) -> go.Figure:
    """Each campaign's coverage as a bar from its lowest to its highest estimate, never past
    100 % (a capped end says so in its label, its reason in the hover), with Sphere's 90 %
    marked on the measles and MMR campaigns only. Each campaign is named above its bar, with
    its range, so that a phone's narrow screen keeps the bars their width."""
    fig = go.Figure()
    shown = frame.dropna(subset=["coverage_low", "coverage_high"]).reset_index(drop=True)
    names = [f"{i18n.label('antigen', a, lang)} — {c}" for a, c in zip(shown["antigen"], shown["campaign_id"])]
    low, high = [capped(v) for v in shown["coverage_low"]], [capped(v) for v in shown["coverage_high"]]
    notes = [coverage_note(row, lang) for _, row in shown.iterrows()]
    ranges = [coverage_range(lo, hi, lang) for lo, hi in zip(shown["coverage_low"], shown["coverage_high"])]
    fig.add_bar(y=names, base=low, x=[h - lo for lo, h in zip(low, high)], width=0.36,
                orientation="h", marker_color=[ANTIGEN_COLOURS.get(a, "#777777") for a in shown["antigen"]],
                customdata=[r + (f"<br>{note}" if note else "") for r, note in zip(ranges, notes)],
                hovertemplate="%{y}: %{customdata}<extra></extra>", showlegend=False)
    for name, antigen, campaign, text, note in zip(names, shown["antigen"], shown["campaign_id"], ranges, notes):
        label = f"<b>{text}</b>" + (f" ({_t('capped_label', lang)})" if note else "")
        fig.add_annotation(x=0, xref="paper", y=name, yref="y", yshift=20, xanchor="left", yanchor="bottom",
                           align="left", showarrow=False, font={"size": 12, "color": "#333333"},
                           text=f"{i18n.label('antigen', antigen, lang)}<br>{campaign}<br>{label}")
    sphere = [name for name, antigen in zip(names, shown["antigen"]) if antigen in SPHERE_ANTIGENS]
    if sphere:
        fig.add_scatter(x=[SPHERE_COVERAGE] * len(sphere), y=sphere, mode="markers", name=_t("sphere_annotation", lang),
                        marker={"symbol": "line-ns", "size": 22, "line": {"width": 3, "color": "#222222"}},
                        hovertemplate=_t("sphere_annotation", lang) + "<extra></extra>", showlegend=True)
    periods.percent_axis(fig, lang, 1.05, axis="x")
    fig.update_yaxes(showticklabels=False, autorange="reversed")
    base_layout(fig, title=_t("coverage_title", lang), x_title=_t("axis_coverage", lang), y_title="", lang=lang)
    # The legend (the Sphere mark) under the axis: the title takes the line above the chart.
    fig.update_layout(height=170 + 125 * len(shown), hovermode="closest", margin={"b": 70, "t": max(100, fig.layout.margin.t)},
                      legend={"orientation": "h", "yanchor": "top", "y": -0.12, "xanchor": "left", "x": 0})
    return fig
