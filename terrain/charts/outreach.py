"""Charts and table shapes of the Outreach page: people the mobile teams reached, and
vaccination doses and campaigns.

Counts hidden by disclosure control are NA; they are never drawn as a number. Vaccination
coverage is a range, since the target population of people on the move is uncertain.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from terrain import i18n
from terrain.charts import SITE_TYPE_COLOURS, base_layout, stacked_bars
from terrain.charts.consultations import combined, time_axis

# Camps and squats keep their site-type colours; the street gets one no site type uses.
PLACE_TYPE_COLOURS = {"street": "#e6ab02", "squat": SITE_TYPE_COLOURS["squat"], "camp": SITE_TYPE_COLOURS["camp"]}
ANTIGEN_COLOURS = {
    "measles": "#e41a1c", "mmr": "#984ea3", "dtp": "#377eb8", "hepatitis_b": "#ff7f00",
    "influenza": "#4daf4a", "covid19": "#a65628",
}
# Sphere Handbook (child health, vaccine-preventable diseases): a measles campaign targets
# ages 6 months – 15 years unless coverage is known to be at least 90 %.
SPHERE_COVERAGE = 0.90
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


def coverage_range(low: float, high: float, lang: str) -> str:
    """"35 %–70 %": coverage from doses / highest population estimate to doses / lowest."""
    if pd.isna(low) or pd.isna(high):
        return "—"
    return _t("coverage_range", lang, low=i18n.format_percent(low, lang), high=i18n.format_percent(high, lang))


def campaigns_table(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """vaccinations_by_campaign with antigen names and the coverage range as text."""
    out = frame.copy()
    out["antigen"] = [i18n.label("antigen", a, lang) for a in out["antigen"]]
    out["coverage_range"] = [coverage_range(lo, hi, lang) for lo, hi in zip(out["coverage_low"], out["coverage_high"])]
    return out


def labelled(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    out = frame.copy()
    for column, category in (("place_type", "place_type"), ("antigen", "antigen")):
        if column in out.columns:
            out[column] = [i18n.label(category, v, lang) for v in out[column]]
    return out


def table_columns(frame: pd.DataFrame, tr) -> dict[str, str]:
    """Headers of the columns shown on screen: common.field.<column>, or this page's own."""
    headers = {}
    for column in frame.columns:
        if column in _OFF_SCREEN:
            continue
        try:
            headers[column] = tr(f"common.field.{column}")
        except KeyError:
            headers[column] = tr(f"outreach.field.{column}")
    return headers


# --- charts --------------------------------------------------------------------------------

def reached_over_time(frame: pd.DataFrame, *, lang: str, grain: str, k: int) -> go.Figure:
    """People reached per week or month, stacked by place type."""
    fig = stacked_bars(
        frame, x="period", y="people_reached", colour="place_type", colours=PLACE_TYPE_COLOURS,
        names={p: i18n.label("place_type", p, lang) for p in PLACE_TYPE_COLOURS},
        title=_t("reached_title", lang), x_title=_t(f"axis_{grain}", lang), y_title=_t("axis_people", lang),
        legend_title=_t("place_type", lang), hidden_text=_hidden(lang, k))
    return time_axis(fig, frame["period"], grain, lang)


def reached_by_team(frame: pd.DataFrame, *, lang: str, k: int) -> go.Figure:
    """People reached per mobile team, stacked by place type, largest first."""
    data = combined(frame, ["team_name", "place_type"], "people_reached")
    order = data.groupby("team_name")["people_reached"].sum().sort_values().index.tolist()
    fig = go.Figure()
    for place in [p for p in PLACE_TYPE_COLOURS if p in set(data["place_type"])]:
        part = data[data["place_type"] == place]
        values = pd.to_numeric(part["people_reached"], errors="coerce")
        name = i18n.label("place_type", place, lang)
        fig.add_bar(y=part["team_name"], x=values.fillna(0), orientation="h", name=name,
                    marker_color=PLACE_TYPE_COLOURS[place],
                    customdata=[_hidden(lang, k) if pd.isna(v) else i18n.format_number(v, lang) for v in values],
                    hovertemplate="%{y}: %{customdata}<extra>" + name + "</extra>")
    fig.update_layout(barmode="stack", height=max(260, 120 + 45 * len(order)), hovermode="closest")
    fig.update_yaxes(categoryorder="array", categoryarray=order)
    return base_layout(fig, title=_t("by_team_title", lang), x_title=_t("axis_people", lang), y_title="",
                       legend_title=_t("place_type", lang))


def doses_over_time(frame: pd.DataFrame, *, lang: str, grain: str, k: int) -> go.Figure:
    """Vaccine doses per week or month, stacked by antigen (summed over cities)."""
    data = combined(frame, ["period", "antigen"], "doses")
    fig = stacked_bars(
        data, x="period", y="doses", colour="antigen", colours=ANTIGEN_COLOURS,
        names={a: i18n.label("antigen", a, lang) for a in ANTIGEN_COLOURS},
        title=_t("doses_title", lang), x_title=_t(f"axis_{grain}", lang), y_title=_t("axis_doses", lang),
        legend_title=_t("antigen", lang), hidden_text=_hidden(lang, k))
    return time_axis(fig, data["period"], grain, lang)


def coverage_ranges(frame: pd.DataFrame, *, lang: str) -> go.Figure:
    """Each campaign's coverage as a bar from its lowest to its highest estimate, against
    Sphere's 90 %."""
    fig = go.Figure()
    shown = frame.dropna(subset=["coverage_low", "coverage_high"])
    names = [f"{i18n.label('antigen', a, lang)} — {c}" for a, c in zip(shown["antigen"], shown["campaign_id"])]
    ranges = [coverage_range(lo, hi, lang) for lo, hi in zip(shown["coverage_low"], shown["coverage_high"])]
    fig.add_bar(y=names, base=shown["coverage_low"], x=shown["coverage_high"] - shown["coverage_low"],
                orientation="h", marker_color=[ANTIGEN_COLOURS.get(a, "#777777") for a in shown["antigen"]],
                customdata=ranges,
                hovertemplate="%{y}: %{customdata}<extra></extra>", showlegend=False)
    fig.add_vline(x=SPHERE_COVERAGE, line_dash="dash", line_color="#444444",
                  annotation_text=_t("sphere_annotation", lang), annotation_position="top")
    top = max(1.0, float(shown["coverage_high"].max()) if len(shown) else 1.0)
    fig.update_xaxes(tickformat=".0%", range=[0, top * 1.05])
    fig.update_layout(height=max(240, 140 + 45 * len(shown)), hovermode="closest")
    return base_layout(fig, title=_t("coverage_title", lang), x_title=_t("axis_coverage", lang), y_title="")
