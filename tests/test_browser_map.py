"""The map as Chromium draws it, on a desktop (1400 px) and a phone (390 px): an SVG figure
(no WebGL canvas, which a machine without a graphics card draws in seconds), every place name
apart from every other and inside the map, no point for a donor, and the area's figures on
hover. Screenshots go to tests/artifacts/map-<role>-<width>.png."""

import shutil

import pytest

from terrain import i18n
from tests import browser

pytestmark = pytest.mark.skipif(not shutil.which(browser.CHROMIUM), reason="Debian's chromium is not installed")

ACCOUNTS = {"programme_manager": "manager", "donor": "donor"}
MAP = '[data-testid="stPlotlyChart"]'


@pytest.fixture(scope="module")
def server(browser_demo, tmp_path_factory):
    path = shutil.copy2(browser_demo, tmp_path_factory.mktemp("map-browser") / "demo.duckdb")
    with browser.streamlit_server(path, tmp_path_factory.mktemp("map-server")) as url:
        yield url


def _check_map(page, role: str, width: int) -> None:
    chart = page.locator(MAP)
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
    browser.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(browser.ARTIFACTS / f"map-{role}-{width}.png"), full_page=True)


@pytest.mark.parametrize("role", ACCOUNTS)
def test_the_map_is_svg_and_its_names_never_collide_on_desktop_and_phone(role, server, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        browser.sign_in(page, server, ACCOUNTS[role], "terrain-demo")
        page.locator('[data-testid="stSidebarNav"] a[href$="/map"]').click()
        browser.wait_idle(page)
        page.wait_for_selector(f"{MAP} .main-svg", timeout=60_000)
        browser.wait_idle(page)
        _check_map(page, role, 1400)
        page.set_viewport_size({"width": 390, "height": 900})
        page.wait_for_function(f"() => document.querySelector('{MAP} .main-svg').getBoundingClientRect().width <= 390",
                               timeout=60_000)
        _check_map(page, role, 390)
        if role == "donor":
            # An area's figures on hover, from the door's rows: in the Calais view, its commune
            page.set_viewport_size({"width": 1400, "height": 1000})
            page.goto(f"{server}/map?view=Calais")
            page.wait_for_selector(f"{MAP} .main-svg", timeout=60_000)
            browser.wait_idle(page)
            name = page.locator(f"{MAP} .infolayer .annotation", has_text="Calais").locator(".bg")
            where = name.bounding_box()
            page.mouse.move(where["x"] + where["width"] / 2, where["y"] + where["height"] / 2)
            hover = page.locator(f"{MAP} .hoverlayer .hovertext")
            hover.wait_for(timeout=10_000)
            text = hover.text_content()
            assert text.startswith(i18n.t("map.area_kind.commune", "fr", name="Calais"))
            assert i18n.t("map.tooltip.consultations", "fr", n="").strip() in text
            page.screenshot(path=str(browser.ARTIFACTS / "map-donor-calais-1400.png"), full_page=True)
    finally:
        context.close()
