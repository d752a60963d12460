"""Every page of every role in a real browser, each visited once: the page draws whole
(its nav lists the role's pages, no exception), axe-core finds no serious or critical WCAG
2.1 AA violation on it (tests/test_accessibility.py), and its charts and map read right on a
desktop (1400 px) and a phone (390 px): French ticks, nothing over a title, every hover box,
legend, note and name inside its chart, the map an SVG with no point for a donor.

One walk per role collects what each visit shows (`Walk`); the tests below read it, so that
a page is loaded, signed in to and drawn once for all of these checks. Screenshots go to
tests/artifacts: <role>-<page>.png (each page whole), charts-<role>-<page>-<width>-<n>.png,
map-<role>-<width>.png."""

from __future__ import annotations

import dataclasses
import re
import shutil
from urllib.parse import urlparse

import pytest

from terrain import i18n, roles
from tests import browser
from tests.test_accessibility import failing_violations

pytestmark = pytest.mark.skipif(not shutil.which(browser.CHROMIUM), reason="Debian's chromium is not installed")

PASSWORD = "terrain-demo"
ACCOUNTS = {"programme_manager": "manager", "advocacy": "advocacy", "donor": "donor"}
DESKTOP, PHONE = {"width": 1400, "height": 1000}, {"width": 390, "height": 900}
# What each page draws last on the demo data: the checks run once it is there.
DRAWN = {
    "imports": '[data-testid="stFileUploader"]',
    "approvals": '[data-testid="stDataFrame"]',
    "events": '[data-testid="stDataFrame"]',
    # the glossary draws no chart: its last entry shows it is whole
    "glossary": f'text={i18n.t("glossary.small_counts.term", "fr")}',
}
CHART = '[data-testid="stPlotlyChart"]'
PLOTLY = f"{CHART} .main-svg"
# Every chart drawn to its box's width (plotly redraws after the window changes width).
DRAWN_TO_WIDTH = f"""() => [...document.querySelectorAll('{CHART}')].every(chart => {{
  const svg = chart.querySelector('.main-svg');
  return !svg || Math.abs(svg.getBoundingClientRect().width - chart.getBoundingClientRect().width) <= 1; }})"""
# The pages whose charts are checked at both widths, for the roles below (the advocacy
# role's pages draw the same charts as the manager's).
CHART_PAGES = ("overview", "consultations", "occupancy", "outreach", "winter", "alerts")
CHARTS_CHECKED_FOR = ("programme_manager", "donor")
ENGLISH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b|\d{1,2}:\d{2}")


@pytest.fixture(scope="module")
def server(browser_server):
    return browser_server   # tests/conftest.py: one app per worker for the files that only read


@dataclasses.dataclass
class Walk:
    """What one role's walk through its pages saw."""
    shown: list[str] = dataclasses.field(default_factory=list)          # the nav's pages
    visited: list[str] = dataclasses.field(default_factory=list)
    exceptions: dict[str, int] = dataclasses.field(default_factory=dict)  # page: exceptions shown
    violations: dict[str, list] = dataclasses.field(default_factory=dict)  # page: axe's failing ones
    charts: dict[tuple[str, int], str | None] = dataclasses.field(default_factory=dict)  # (page, width): fault
    map: dict[int, str | None] = dataclasses.field(default_factory=dict)   # width: fault
    map_hover: str | None = None    # the donor's hover text on Calais


@pytest.fixture(scope="module")
def walks(server, chromium):
    """`walks(role)`: that role's walk, made on the first test that asks for it."""
    made: dict[str, Walk] = {}

    def walk(role: str) -> Walk:
        if role not in made:
            made[role] = _walk(server, chromium, role)
        return made[role]
    return walk


def _fault(check) -> str | None:
    """What a check found wrong (its assertion's message), or None."""
    try:
        check()
    except AssertionError as wrong:
        return str(wrong) or "failed"
    return None


def _walk(server: str, chromium, role: str) -> Walk:
    walk = Walk()
    for earlier in browser.ARTIFACTS.glob(f"charts-{role}-*.png"):   # no shot of a chart no longer drawn
        earlier.unlink()
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    try:
        browser.sign_in(page, server, ACCOUNTS[role], PASSWORD)
        links = page.locator('[data-testid="stSidebarNav"] a')
        walk.shown = sorted(urlparse(href).path.strip("/") or "overview"
                            for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))"))
        browser.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        for name in roles.pages_for(role):
            page.set_viewport_size(DESKTOP)
            browser.open_page(page, name, DRAWN.get(name, PLOTLY), settle=False)
            walk.visited.append(name)
            browser.at_rest(page, lambda: _visit(page, walk, role, name))
        if role == "donor":
            page.set_viewport_size(DESKTOP)
            walk.map_hover = _donor_hover_on_calais(page, server)
    finally:
        context.close()
    return walk


def _visit(page, walk: Walk, role: str, name: str) -> None:
    """What the walk sees of the page open, at 1400 px, then at 390 for its charts or map."""
    page.set_viewport_size(DESKTOP)
    # (checked again after a run, the page is back from the phone's width: plotly redraws)
    page.wait_for_function(DRAWN_TO_WIDTH, timeout=60_000)
    walk.exceptions[name] = page.locator('[data-testid="stException"]').count()
    page.screenshot(path=str(browser.ARTIFACTS / f"{role}-{name}.png"), full_page=True)
    walk.violations[name] = failing_violations(page)
    if name == "map" and role in CHARTS_CHECKED_FOR:
        walk.map[1400] = _fault(lambda: _check_map(page, role, 1400))
        page.set_viewport_size(PHONE)
        page.wait_for_function(f"() => document.querySelector('{PLOTLY}').getBoundingClientRect().width <= 390",
                               timeout=60_000)
        walk.map[390] = _fault(lambda: _check_map(page, role, 390))
    elif name in CHART_PAGES and role in CHARTS_CHECKED_FOR:
        walk.charts[(name, 1400)] = _fault(lambda: _check_charts(page, role, name, 1400))
        page.set_viewport_size(PHONE)
        # plotly redraws at the new width: every chart drawn within it before the checks
        page.wait_for_function(f"""() => [...document.querySelectorAll('{PLOTLY}')]
            .every(svg => svg.getBoundingClientRect().width <= 390)""", timeout=60_000)
        walk.charts[(name, 390)] = _fault(lambda: _check_charts(page, role, name, 390))


# --- the pages ---------------------------------------------------------------------------------

@pytest.mark.parametrize("role", roles.ROLES)
def test_every_allowed_page_renders(role, walks):
    walk = walks(role)
    assert walk.shown == sorted(roles.pages_for(role))
    assert walk.visited == list(roles.pages_for(role))
    assert {name: n for name, n in walk.exceptions.items() if n} == {}
    assert all((browser.ARTIFACTS / f"{role}-{name}.png").stat().st_size > 10_000 for name in walk.visited)


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_page_of_the_role_has_no_serious_violation(role, walks):
    walk = walks(role)
    assert set(walk.violations) == set(roles.pages_for(role))
    assert {name: found for name, found in walk.violations.items() if found} == {}


# --- the charts --------------------------------------------------------------------------------

# Everything the checks read of one chart, in one call (a round trip to the browser for each
# box took a second a page): each box as the browser lays it out, the mode bar's only where it
# is shown.
_GEOMETRY = """chart => {
  const box = el => { if (!el) return null; const r = el.getBoundingClientRect();
                      return {x: r.x, y: r.y, width: r.width, height: r.height}; };
  const shown = el => { const r = el && el.getBoundingClientRect();
                        return Boolean(r && r.width > 0 && r.height > 0 && getComputedStyle(el).visibility !== 'hidden'); };
  const named = el => ({text: el.textContent, box: box(el)});
  const all = selector => [...chart.querySelectorAll(selector)].map(named);
  const plot = chart.querySelector('.js-plotly-plot');
  const legend = chart.querySelector('.legend');
  const modebar = chart.querySelector('.modebar');
  // the x axes' labels and titles the legend overlaps (their texts)
  let meets = [];
  const legendBox = plot && (plot.querySelector('.legend .bg') || plot.querySelector('.legend'));
  if (legendBox) {
    const b = legendBox.getBoundingClientRect();
    meets = [...plot.querySelectorAll('.xaxislayer-above text, .xtick2 text, [class^="g-x"][class$="title"] text')]
      .filter(t => t.textContent.trim()).filter(t => {
        const r = t.getBoundingClientRect();
        return r.width && !(r.right <= b.left || b.right <= r.left || r.bottom <= b.top || b.bottom <= r.top);
      }).map(t => t.textContent.trim());
  }
  const events = plot ? (plot.layout.annotations || []).flatMap((note, i) =>
    String(note.name || '').startsWith('event:') ? [i] : []) : [];
  return {
    box: box(chart),
    hovers: all('.hoverlayer .legend, .hoverlayer .hovertext'),
    ticks: [...chart.querySelectorAll('.xtick text, .ytick text')].map(t => t.textContent).join(' '),
    title: box(chart.querySelector('.g-gtitle')),
    modebar: shown(modebar) ? box(modebar) : null,
    legend: legend ? box(legend) : null,
    has_legend: Boolean(legend),
    legend_meets: meets,
    entries: all('.infolayer .legend .traces, .infolayer .legend .legendtitletext'),
    axis_titles: all('[class^="g-x"][class$="title"] text, [class^="g-y"][class$="title"] text'),
    notes: all('.infolayer .annotation'),
    events: events.map(i => ({index: i,
                              box: box(chart.querySelector(`.infolayer .annotation[data-index="${i}"]`))})),
  };
}"""


def _inside(box, where) -> bool:
    """A box within the chart's width (1 px of rounding either side)."""
    return box["x"] - 1 <= where["x"] and where["x"] + where["width"] <= box["x"] + box["width"] + 1


def _check_charts(page, role, name, width):
    charts = page.locator(CHART)
    assert charts.count(), f"{name}: no chart"
    for index in range(charts.count()):
        chart = charts.nth(index)
        if not chart.is_visible():   # a tab not shown
            continue
        chart.scroll_into_view_if_needed()
        chart.hover()   # the mode bar shows on hover (a tap on a phone), fading in
        if chart.locator(".modebar").count():
            page.wait_for_function("bar => getComputedStyle(bar).opacity === '1'",
                                   arg=chart.locator(".modebar").first.element_handle(), timeout=10_000)
        seen = chart.evaluate(_GEOMETRY)
        box = seen["box"]
        # the box that lists every series at the pointer (its middle: the widest box fits on
        # neither side of it) stays on the chart, on a phone too
        for hover in seen["hovers"]:
            if hover["box"] and hover["box"]["width"]:
                assert _inside(box, hover["box"]), \
                    f"{name} #{index} at {width} px: the hover box {hover['text'][:80]!r} runs off the chart"
        assert not ENGLISH.search(seen["ticks"]), f"{name} #{index}: {seen['ticks']}"
        title = seen["title"]
        if title is None:
            continue
        if seen["modebar"]:
            assert browser.apart(title, seen["modebar"]), f"{name} #{index}: the tools cover the title"
        if seen["has_legend"]:
            assert browser.apart(title, seen["legend"]), f"{name} #{index}: the legend covers the title"
            # nor the x axis's names and title, flat or turned (terrain/charts/legend.py)
            assert not seen["legend_meets"], f"{name} #{index} at {width} px: the legend meets {seen['legend_meets']}"
            # and every entry whole on the chart
            for entry in seen["entries"]:
                where = entry["box"]
                if where and where["width"]:
                    assert _inside(box, where) and where["y"] + where["height"] <= box["y"] + box["height"] + 1, \
                        f"{name} #{index} at {width} px: the legend's {entry['text']!r} is cut"
        assert title["x"] + title["width"] <= box["x"] + box["width"] + 1, f"{name} #{index}: the title is cut"
        for axis_title in seen["axis_titles"]:
            if axis_title["box"] and axis_title["text"].strip():
                assert _inside(box, axis_title["box"]), \
                    f"{name} #{index} at {width} px: the axis title {axis_title['text']!r} is cut"
        # every note on the chart whole (a small chart's title, a line's label): plotly does
        # not wrap them, and on a phone a long one ran off both edges
        for note in seen["notes"]:
            if note["box"] and note["text"].strip():
                assert _inside(box, note["box"]), f"{name} #{index} at {width} px: the note {note['text']!r} is cut"
        # the context events' labels (terrain/charts/events.py): whole on the chart, clear of
        # the title and the legend
        for event in seen["events"]:
            label = event["box"]
            assert label is not None, f"{name} #{index}: event label {event['index']} not drawn"
            assert browser.apart(label, title), f"{name} #{index}: an event's label covers the title"
            if seen["has_legend"]:
                assert browser.apart(label, seen["legend"]), f"{name} #{index}: an event's label meets the legend"
            assert _inside(box, label), f"{name} #{index}: an event's label is cut"
        # Chromium draws only what the window shows of an element in Streamlit's scrolled
        # main block: a chart taller than the window is shot in a window that holds it
        # (its width unchanged, plotly does not redraw it)
        viewport = page.viewport_size
        if box["height"] + 40 > viewport["height"]:
            page.set_viewport_size({"width": viewport["width"], "height": int(box["height"]) + 200})
            chart.evaluate("chart => chart.scrollIntoView({block: 'center'})")   # clear of the fixed header
        chart.screenshot(path=str(browser.ARTIFACTS / f"charts-{role}-{name}-{width}-{index}.png"))
        page.set_viewport_size(viewport)


@pytest.mark.parametrize("role", CHARTS_CHECKED_FOR)
def test_charts_read_french_and_nothing_covers_a_title_on_desktop_and_phone(role, walks):
    walk = walks(role)
    checked = {(name, width) for name in CHART_PAGES if name in roles.pages_for(role) for width in (1400, 390)}
    assert set(walk.charts) == checked
    assert {key: fault for key, fault in walk.charts.items() if fault} == {}
    assert list(browser.ARTIFACTS.glob(f"charts-{role}-*-390-*.png"))


# --- the map -----------------------------------------------------------------------------------

def _check_map(page, role: str, width: int) -> None:
    chart = page.locator(CHART)
    assert chart.count() == 1
    # no WebGL: no deck.gl element, no canvas in the figure (the tables' grid has its own)
    assert page.locator('[data-testid="stDeckGlJsonChart"]').count() == 0
    assert chart.locator("canvas").count() == 0
    chart.scroll_into_view_if_needed()
    box = chart.bounding_box()
    assert box["width"] <= width
    # the names plotly draws (one whose place is outside the map's ranges is not drawn)
    labels = [(text, box) for text, box in chart.locator(".infolayer .annotation").evaluate_all(
        """notes => notes.flatMap(note => {
             const bg = note.querySelector('.bg');
             if (!bg) return [];
             const r = bg.getBoundingClientRect();
             return [[note.textContent, {x: r.x, y: r.y, width: r.width, height: r.height}]];
           })""")]
    # Calais, Marseille, Pantin and Paris hold activity in the demo: each named on the map
    assert {"Calais", "Marseille", "Paris"} <= {name for name, _ in labels} or \
        {"Pas-de-Calais", "Bouches-du-Rhône", "Paris"} <= {name for name, _ in labels}, labels
    for i, (first, a) in enumerate(labels):
        assert box["x"] - 1 <= a["x"] and a["x"] + a["width"] <= box["x"] + box["width"] + 1, f"{first} is cut"
        assert box["y"] - 1 <= a["y"] and a["y"] + a["height"] <= box["y"] + box["height"] + 1, f"{first} is cut"
        for second, b in labels[i + 1:]:
            assert browser.apart(a, b), f"{first} and {second} overlap at {width} px"
    points = chart.locator(".scatterlayer .points path").count()
    assert (points > 0) == (role == "programme_manager")
    page.screenshot(path=str(browser.ARTIFACTS / f"map-{role}-{width}.png"), full_page=True)


def _donor_hover_on_calais(page, server: str) -> str:
    """An area's figures on hover, from the door's rows: in the Calais view, its commune."""
    page.goto(f"{server}/map?view=Calais")
    page.wait_for_selector(PLOTLY, timeout=60_000)
    browser.wait_idle(page)
    name = page.locator(f"{CHART} .infolayer .annotation", has_text="Calais").locator(".bg")
    where = name.bounding_box()
    page.mouse.move(where["x"] + where["width"] / 2, where["y"] + where["height"] / 2)
    hover = page.locator(f"{CHART} .hoverlayer .hovertext")
    hover.wait_for(timeout=10_000)
    page.screenshot(path=str(browser.ARTIFACTS / "map-donor-calais-1400.png"), full_page=True)
    return hover.text_content()


@pytest.mark.parametrize("role", CHARTS_CHECKED_FOR)
def test_the_map_is_svg_and_its_names_never_collide_on_desktop_and_phone(role, walks):
    walk = walks(role)
    assert set(walk.map) == {1400, 390}
    assert {width: fault for width, fault in walk.map.items() if fault} == {}
    if role == "donor":
        assert walk.map_hover.startswith(i18n.t("map.area_kind.commune", "fr", name="Calais"))
        assert i18n.t("map.tooltip.consultations", "fr", n="").strip() in walk.map_hover
