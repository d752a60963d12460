"""The real app in a real browser: every page, for every role, on a fresh demo database."""

import csv
import io
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from terrain import demo, i18n, roles
from tests import browser

pytestmark = pytest.mark.skipif(not shutil.which(browser.CHROMIUM), reason="Debian's chromium is not installed")

PASSWORD = "terrain-demo"
ACCOUNTS = {"programme_manager": "manager", "advocacy": "advocacy", "donor": "donor"}
# What each page draws once loaded, on the demo data (selectors of Streamlit's elements).
DRAWN = {
    "map": '[data-testid="stDeckGlJsonChart"] canvas',
    "imports": '[data-testid="stFileUploader"]',
    # the glossary draws no chart: its last entry shows it is whole
    "glossary": f'text={i18n.t("glossary.small_counts.term", "fr")}',
}
PLOTLY = '[data-testid="stPlotlyChart"] .main-svg'


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("browser") / "demo.duckdb"
    demo.generate(path, consultations=60_000, seed=7)
    return path


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    with browser.streamlit_server(demo_db, tmp_path_factory.mktemp("server")) as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        yield instance
        instance.close()


def _open_page(page, url, name):
    link = "/" if name == "overview" else f"/{name}"
    page.locator(f'[data-testid="stSidebarNav"] a[href$="{link}"]').click()
    browser.wait_idle(page)
    page.wait_for_selector(f'h1:has-text("{i18n.t(f"{name}.title", "fr")}")', timeout=60_000)
    browser.wait_idle(page)


@pytest.mark.parametrize("role", roles.ROLES)
def test_every_allowed_page_renders(role, server, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        browser.sign_in(page, server, ACCOUNTS[role], PASSWORD)
        links = page.locator('[data-testid="stSidebarNav"] a')
        shown = sorted(urlparse(href).path.strip("/") or "overview"
                       for href in links.evaluate_all("els => els.map(e => e.getAttribute('href'))"))
        assert shown == sorted(roles.pages_for(role))
        for name in roles.pages_for(role):
            _open_page(page, server, name)
            selector = DRAWN.get(name, PLOTLY)
            page.wait_for_selector(selector, timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0, f"{name} shows an exception"
            browser.ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(browser.ARTIFACTS / f"{role}-{name}.png"), full_page=True)
    finally:
        context.close()


def test_restricted_page_url_right_after_a_fresh_start_shows_no_data(demo_db, tmp_path, chromium):
    # A new server: Streamlit's page discovery runs on its first request, before
    # st.navigation; the page itself must refuse.
    with browser.streamlit_server(demo_db, tmp_path) as url:
        context = chromium.new_context()
        page = context.new_page()
        try:
            page.goto(f"{url}/alerts")
            browser.wait_idle(page)
            # A fresh server may take a moment to run its first script: wait for the form.
            page.get_by_label(i18n.t("common.password", "fr")).wait_for(timeout=60_000)
            browser.wait_idle(page)
            assert page.locator('[data-testid="stPlotlyChart"], [data-testid="stDataFrame"]').count() == 0
            browser.sign_in_here(page, "donor", PASSWORD)
            page.wait_for_selector(f'text={i18n.t("common.access_refused", "fr")}', timeout=60_000)
            assert page.locator('[data-testid="stException"]').count() == 0
            assert page.locator(f'h1:has-text("{i18n.t("alerts.title", "fr")}")').count() == 0
            assert page.locator('[data-testid="stPlotlyChart"], [data-testid="stDataFrame"]').count() == 0
        finally:
            context.close()


def test_a_donor_download_is_made_on_click_and_holds_no_small_count(server, chromium):
    # The CSV is written when the button is clicked (terrain/app.py show_table), from the
    # frame the door gave the donor: every count reads "< 11", "[c]", 0 or at least 11.
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        browser.sign_in(page, server, ACCOUNTS["donor"], PASSWORD)
        _open_page(page, server, "consultations")
        button = page.locator('[data-testid="stDownloadButton"] button',
                              has_text=i18n.t("common.download_csv", "fr")).first
        with page.expect_download(timeout=60_000) as download:
            button.click()
        rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    finally:
        context.close()
    assert i18n.t("common.role.donor", "fr") in " ".join(" ".join(row) for row in rows[:10])
    tags = next(number for number, row in enumerate(rows) if row and row[0].startswith("#"))
    counts = [column for column, tag in enumerate(rows[tags]) if tag.startswith("#output+num")]
    cells = [row[column] for row in rows[tags + 1:] for column in counts if row]
    assert cells and {"< 11", "[c]"} & set(cells)
    # hidden: "< 11" (small) or "[c]" (protecting another); "≥ N" leaves a hidden month out
    assert all(cell in ("< 11", "[c]") or int(cell.removeprefix("≥ ")) == 0 or int(cell.removeprefix("≥ ")) >= 11
               for cell in cells), cells


# --- sessions that last, language that stays ------------------------------------------

SIGN_IN_FORM = f'input[aria-label="{i18n.t("common.password", "fr")}"]'


def _title(page, key: str, lang: str = "fr"):
    page.wait_for_selector(f'h1:has-text("{i18n.t(key, lang)}")', timeout=60_000)
    browser.wait_idle(page)


def test_a_link_opens_its_page_with_its_filters_after_sign_in_and_a_reload_or_new_tab_keeps_it(server, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(f"{server}/occupancy?city=Pantin&grain=week")
        page.wait_for_selector(SIGN_IN_FORM, timeout=60_000)
        browser.wait_idle(page)
        assert page.locator('[role="dialog"]').count() == 0  # no "Page not found"
        browser.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(browser.ARTIFACTS / "sign-in-from-a-link.png"), full_page=True)
        browser.sign_in_here(page, "manager", PASSWORD)
        _title(page, "occupancy.title")
        url = urlparse(page.url)
        assert url.path == "/occupancy" and "city=Pantin" in url.query and "grain=week" in url.query
        cookie = next(c for c in context.cookies() if c["name"] == "terrain_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

        page.reload()
        _title(page, "occupancy.title")
        assert page.locator(SIGN_IN_FORM).count() == 0
        assert "city=Pantin" in urlparse(page.url).query

        tab = context.new_page()
        tab.goto(f"{server}/consultations")
        _title(tab, "consultations.title")
        assert tab.locator(SIGN_IN_FORM).count() == 0

        page.get_by_role("button", name=i18n.t("common.sign_out", "fr")).click()
        page.wait_for_selector(SIGN_IN_FORM, timeout=60_000)
        browser.wait_idle(page)
        page.reload()
        page.wait_for_selector(SIGN_IN_FORM, timeout=60_000)
        assert urlparse(page.url).path == "/occupancy"
        assert "terrain_session" not in {c["name"] for c in context.cookies()}
        # the other tab's session was the same one: it is signed out too
        tab.reload()
        tab.wait_for_selector(SIGN_IN_FORM, timeout=60_000)
    finally:
        context.close()


def test_english_stays_english_across_pages_after_a_reload_and_at_the_next_sign_in(server, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        browser.sign_in(page, server, ACCOUNTS["advocacy"], PASSWORD)
        page.locator('[data-testid="stSidebar"] button', has_text=i18n.t("common.language_en", "en")).click()
        _title(page, "overview.title", "en")
        page.goto(f"{server}/winter")  # a page typed in, without ?lang
        _title(page, "winter.title", "en")
        page.reload()
        _title(page, "winter.title", "en")
        page.goto(f"{server}/glossary")
        _title(page, "glossary.title", "en")
        page.get_by_role("button", name=i18n.t("common.sign_out", "en")).click()
        page.wait_for_selector(f'input[aria-label="{i18n.t("common.password", "en")}"]', timeout=60_000)
        browser.wait_idle(page)
        page.set_viewport_size({"width": 390, "height": 844})
        page.reload()  # the sign-in screen keeps the browser's language
        page.wait_for_selector(f'h1:has-text("{i18n.t("common.sign_in", "en")}")', timeout=60_000)
        browser.wait_idle(page)
        browser.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(browser.ARTIFACTS / "sign-in-english-390.png"), full_page=False)
    finally:
        context.close()
    # the account keeps it in a browser that never chose it
    other = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = other.new_page()
    try:
        page.goto(f"{server}/map")
        page.wait_for_selector(SIGN_IN_FORM, timeout=60_000)
        browser.wait_idle(page)
        browser.sign_in_here(page, ACCOUNTS["advocacy"], PASSWORD)
        _title(page, "map.title", "en")
        # back to French, for the account's later sign-ins
        page.locator('[data-testid="stSidebar"] button', has_text=i18n.t("common.language_fr", "fr")).click()
        _title(page, "map.title")
    finally:
        other.close()


def test_a_strangers_five_wrong_passwords_do_not_lock_the_real_user_out(server, chromium):
    stranger = chromium.new_context()
    page = stranger.new_page()
    try:
        page.goto(server)
        page.wait_for_selector(SIGN_IN_FORM, timeout=60_000)
        browser.wait_idle(page)
        wrong = i18n.t("common.sign_in_unknown_or_wrong", "fr")
        wait = i18n.t("common.sign_in_wait", "fr", wait="@").split("@")[0]
        for attempt in range(5):
            browser.sign_in_here(page, "donor", f"not-the-password-{attempt}")
            message = page.locator('[data-testid="stAlertContentError"]').inner_text(timeout=60_000)
            # refused, or told to wait past this browser's free tries; never the account locked
            assert message == wrong or message.startswith(wait), message
    finally:
        stranger.close()
    colleague = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = colleague.new_page()
    try:
        browser.sign_in(page, server, ACCOUNTS["donor"], PASSWORD)
        _title(page, "overview.title")
    finally:
        colleague.close()
