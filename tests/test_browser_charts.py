"""The charts as Chromium draws them: French ticks, nothing over a title, on a desktop and on
a phone (390 px). Screenshots of every chart go to tests/artifacts/charts-*.png."""

import re
import shutil

import pytest

from tests import browser

pytestmark = pytest.mark.skipif(not shutil.which(browser.CHROMIUM), reason="Debian's chromium is not installed")

ACCOUNTS = {"programme_manager": "manager", "donor": "donor"}
PAGES = ("overview", "consultations", "occupancy", "outreach", "winter", "alerts")
CHART = '[data-testid="stPlotlyChart"]'
ENGLISH = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)\b|\d{1,2}:\d{2}")


@pytest.fixture(scope="module")
def server(browser_server):
    return browser_server   # tests/conftest.py: one app per worker for the files that only read


# The x axes' labels and titles that a chart's legend overlaps (their texts), in the browser.
_LEGEND_MEETS_X_LABELS = """plot => {
  const legend = plot.querySelector('.legend .bg') || plot.querySelector('.legend');
  if (!legend) return [];
  const box = legend.getBoundingClientRect();
  const texts = [...plot.querySelectorAll('.xaxislayer-above text, .xtick2 text, [class^="g-x"][class$="title"] text')];
  return texts.filter(t => t.textContent.trim()).filter(t => {
    const r = t.getBoundingClientRect();
    return r.width && !(r.right <= box.left || box.right <= r.left || r.bottom <= box.top || box.bottom <= r.top);
  }).map(t => t.textContent.trim());
}"""


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
        # the box that lists every series at the pointer (its middle: the widest box fits on
        # neither side of it) stays on the chart, on a phone too
        box = chart.bounding_box()
        for hover in chart.locator(".hoverlayer .legend, .hoverlayer .hovertext").all():
            where = hover.bounding_box()
            if where and where["width"]:
                assert box["x"] - 1 <= where["x"] and where["x"] + where["width"] <= box["x"] + box["width"] + 1, \
                    f"{name} #{index} at {width} px: the hover box {hover.text_content()[:80]!r} runs off the chart"
        ticks = " ".join(chart.locator(".xtick text, .ytick text").all_text_contents())
        assert not ENGLISH.search(ticks), f"{name} #{index}: {ticks}"
        title = chart.locator(".g-gtitle").bounding_box()
        if title is None:
            continue
        box = chart.bounding_box()
        modebar = chart.locator(".modebar")
        if modebar.count() and modebar.first.is_visible():
            assert browser.apart(title, modebar.first.bounding_box()), f"{name} #{index}: the tools cover the title"
        legend = chart.locator(".legend")
        if legend.count():
            assert browser.apart(title, legend.first.bounding_box()), f"{name} #{index}: the legend covers the title"
            # nor the x axis's names and title, flat or turned (terrain/charts/legend.py)
            met = chart.locator(".js-plotly-plot").evaluate(_LEGEND_MEETS_X_LABELS)
            assert not met, f"{name} #{index} at {width} px: the legend meets {met}"
            # and every entry whole on the chart
            for entry in chart.locator(".infolayer .legend .traces, .infolayer .legend .legendtitletext").all():
                where = entry.bounding_box()
                if where and where["width"]:
                    assert box["x"] - 1 <= where["x"] and where["x"] + where["width"] <= box["x"] + box["width"] + 1 \
                        and where["y"] + where["height"] <= box["y"] + box["height"] + 1, \
                        f"{name} #{index} at {width} px: the legend's {entry.text_content()!r} is cut"
        assert title["x"] + title["width"] <= box["x"] + box["width"] + 1, f"{name} #{index}: the title is cut"
        for axis_title in chart.locator('[class^="g-x"][class$="title"] text, [class^="g-y"][class$="title"] text').all():
            where = axis_title.bounding_box()
            if where and axis_title.text_content().strip():
                assert box["x"] - 1 <= where["x"] and where["x"] + where["width"] <= box["x"] + box["width"] + 1, \
                    f"{name} #{index} at {width} px: the axis title {axis_title.text_content()!r} is cut"
        # every note on the chart whole (a small chart's title, a line's label): plotly does
        # not wrap them, and on a phone a long one ran off both edges
        for note in chart.locator(".infolayer .annotation").all():
            where = note.bounding_box()
            if where and note.text_content().strip():
                assert box["x"] - 1 <= where["x"] and where["x"] + where["width"] <= box["x"] + box["width"] + 1, \
                    f"{name} #{index} at {width} px: the note {note.text_content()!r} is cut"
        # the context events' labels (terrain/charts/events.py): whole on the chart, clear of
        # the title and the legend
        events = chart.locator(".js-plotly-plot").evaluate(
            "plot => (plot.layout.annotations || []).flatMap((note, i) => "
            "String(note.name || '').startsWith('event:') ? [i] : [])")
        for position in events:
            label = chart.locator(f'.infolayer .annotation[data-index="{position}"]').bounding_box()
            assert label is not None, f"{name} #{index}: event label {position} not drawn"
            assert browser.apart(label, title), f"{name} #{index}: an event's label covers the title"
            if legend.count():
                assert browser.apart(label, legend.first.bounding_box()), f"{name} #{index}: an event's label meets the legend"
            assert box["x"] - 1 <= label["x"] and label["x"] + label["width"] <= box["x"] + box["width"] + 1, \
                f"{name} #{index}: an event's label is cut"
        browser.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        # Chromium draws only what the window shows of an element in Streamlit's scrolled
        # main block: a chart taller than the window is shot in a window that holds it
        # (its width unchanged, plotly does not redraw it)
        viewport = page.viewport_size
        if box["height"] + 40 > viewport["height"]:
            page.set_viewport_size({"width": viewport["width"], "height": int(box["height"]) + 200})
            chart.evaluate("chart => chart.scrollIntoView({block: 'center'})")   # clear of the fixed header
        chart.screenshot(path=str(browser.ARTIFACTS / f"charts-{role}-{name}-{width}-{index}.png"))
        page.set_viewport_size(viewport)


@pytest.mark.parametrize("role", ACCOUNTS)
def test_charts_read_french_and_nothing_covers_a_title_on_desktop_and_phone(role, server, chromium):
    for earlier in browser.ARTIFACTS.glob(f"charts-{role}-*.png"):   # no shot of a chart no longer drawn
        earlier.unlink()
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        browser.sign_in(page, server, ACCOUNTS[role], "terrain-demo")
        for name in PAGES:
            if not page.locator(f'[data-testid="stSidebarNav"] a[href$="/{name if name != "overview" else ""}"]').count():
                continue   # a page the role does not see
            page.set_viewport_size({"width": 1400, "height": 1000})
            link = "/" if name == "overview" else f"/{name}"
            page.locator(f'[data-testid="stSidebarNav"] a[href$="{link}"]').click()
            browser.wait_idle(page)
            page.wait_for_selector(f"{CHART} .main-svg", timeout=60_000)
            browser.wait_idle(page)
            _check_charts(page, role, name, 1400)
            page.set_viewport_size({"width": 390, "height": 900})
            # plotly redraws at the new width: every chart drawn within it before the checks
            page.wait_for_function(f"""() => [...document.querySelectorAll('{CHART} .main-svg')]
                .every(svg => svg.getBoundingClientRect().width <= 390)""", timeout=60_000)
            _check_charts(page, role, name, 390)
    finally:
        context.close()
