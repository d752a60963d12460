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


def _download(page, label_key: str) -> Path:
    button = page.locator('[data-testid="stDownloadButton"] button', has_text=i18n.t(label_key, "fr")).first
    with page.expect_download(timeout=60_000) as download:
        button.click()
    path = Path(download.value.path())
    browser.wait_idle(page)   # the click reruns the page: the next button is drawn anew
    return path


def test_a_donor_download_is_made_on_click_and_holds_no_small_count(server, chromium):
    # The files are written when a button is clicked (terrain/app.py show_table), from the
    # frame the door gave the donor: every count reads "< 11", "[c]", 0 or at least 11.
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        browser.sign_in(page, server, ACCOUNTS["donor"], PASSWORD)
        _open_page(page, server, "consultations")
        excel = _download(page, "tables.download_csv").read_bytes()
        about = _download(page, "tables.download_context").read_bytes().decode("utf-8-sig")
        hxl = list(csv.reader(io.StringIO(_download(page, "tables.download_hxl").read_text(encoding="utf-8-sig"))))
    finally:
        context.close()
    # The default CSV is French Excel's: byte order mark, ";", labels as headers, nothing above
    assert excel.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(excel.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:2] == [i18n.t("common.field.city", "fr"), i18n.t("common.field.activity", "fr")]
    assert {row[1] for row in rows[1:]} <= {i18n.label("activity", a, "fr") for a in
                                            ("medical", "mental_health", "social", "legal")}
    # its context beside it: the audience, the synthetic marker
    assert i18n.t("common.role.donor", "fr") in about and "SYNTHÉTIQUES" in about
    # The HXL CSV: context on top, the hashtag row, the same marks
    assert i18n.t("common.role.donor", "fr") in " ".join(" ".join(row) for row in hxl[:10])
    tags = next(number for number, row in enumerate(hxl) if row and row[0].startswith("#"))
    counts = [column for column, tag in enumerate(hxl[tags]) if tag.startswith("#output+num")]
    cells = [row[column] for row in hxl[tags + 1:] for column in counts if row]
    excel_cells = [row[2] for row in rows[1:]]
    for found in (cells, excel_cells):
        assert found and {"< 11", "[c]"} & set(found)
        # hidden: "< 11" (small) or "[c]" (protecting another); "≥ N" leaves a hidden month out
        assert all(cell in ("< 11", "[c]") or int(cell.removeprefix("≥ ")) == 0
                   or int(cell.removeprefix("≥ ")) >= 11 for cell in found), found


def _uploader_texts(page) -> dict:
    """What the uploader shows: its visible text, the texts drawn in place of Streamlit's
    (CSS ::after), and the labels a screen reader says."""
    return page.locator('[data-testid="stFileUploaderDropzone"]').evaluate("""zone => ({
        visible: zone.innerText,
        drawn: [...zone.querySelectorAll('*')].map(e => getComputedStyle(e, '::after').content)
                   .filter(c => c !== 'none' && c !== 'normal').map(c => JSON.parse(c)),
        labels: [...zone.querySelectorAll('[aria-label]')].map(e => e.getAttribute('aria-label')),
    })""")


@pytest.mark.parametrize("lang", ["fr", "en"])
def test_the_uploader_speaks_the_users_language_and_a_template_loads_into_the_trial_copy(lang, demo_db, server,
                                                                                         chromium):
    from terrain import store
    from terrain.importing import templates

    t = lambda key, **values: i18n.t(key, lang, **values)  # noqa: E731
    english = ("Upload", "Drag and drop", "per file", "MB", "Remove", "Add files", "file upload")
    before = store.data_version(demo_db)
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        browser.sign_in(page, server, ACCOUNTS["programme_manager"], PASSWORD)
        page.locator('[data-testid="stSidebarNav"] a[href$="/imports"]').click()
        browser.wait_idle(page)
        if lang == "en":   # (switched on the page itself: the language kept across pages is another matter)
            page.locator('[data-testid="stSidebar"] button', has_text="English").click()
            browser.wait_idle(page)
            page.wait_for_selector(f'h1:has-text("{t("imports.title")}")', timeout=60_000)
        page.wait_for_selector('[data-testid="stFileUploaderDropzone"]', timeout=60_000)
        shown = _uploader_texts(page)
        assert shown["drawn"] == [t("imports.uploader.browse"), t("imports.uploader.limit", size=50)]
        assert shown["labels"] == [t("imports.uploader.input")]
        if lang == "fr":
            assert not [word for word in english if word in shown["visible"] + " ".join(shown["labels"])]
        # While a file is dragged over it
        zone = page.locator('[data-testid="stFileUploaderDropzone"]')
        dragged = page.evaluate_handle("() => { const d = new DataTransfer(); "
                                       "d.items.add(new File(['x'], 'a.csv', {type: 'text/csv'})); return d; }")
        zone.dispatch_event("dragenter", {"dataTransfer": dragged})
        page.wait_for_function("() => [...document.querySelectorAll('[data-testid=\"stFileUploaderDropzone\"] div')]"
                               ".some(e => getComputedStyle(e, '::after').content.includes(%s))"
                               % repr(t("imports.uploader.drop")))
        assert "Drag and drop" not in zone.inner_text() or lang == "en"
        zone.dispatch_event("dragleave", {"dataTransfer": dragged})
        # The unchanged template, into the trial copy
        page.locator('[data-testid="stSelectbox"]', has_text=t("imports.table_label")).first.click()
        page.get_by_role("option", name=t("imports.table.sites"), exact=True).click()
        browser.wait_idle(page)
        page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(files=[{
            "name": "terrain_sites.xlsx", "mimeType": "application/octet-stream",
            "buffer": templates.template_xlsx("sites")}])
        browser.wait_idle(page)
        page.wait_for_selector(f'text={t("imports.trial.clean", table=t("imports.table.sites"), rows="1")}',
                               timeout=60_000)
        shown = _uploader_texts(page)
        assert shown["labels"] == [t("imports.uploader.input"), "terrain_sites.xlsx",
                                   t("imports.uploader.remove", name="terrain_sites.xlsx"), t("imports.uploader.add")]
        if lang == "fr":
            assert not [word for word in english if word in shown["visible"] + " ".join(shown["labels"])]
        browser.ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(browser.ARTIFACTS / f"imports-trial-{lang}-1400.png"), full_page=True)
        page.get_by_role("button", name=t("imports.trial.load_button", rows="1")).click()
        browser.wait_idle(page)
        page.wait_for_selector(f'text={t("imports.trial.header")}', timeout=60_000)
        assert store.data_version(demo_db) == before        # the demo never changed
        from terrain import imports
        assert imports.trial_path(demo_db).exists()
        page.set_viewport_size({"width": 390, "height": 900})
        browser.wait_idle(page)
        page.screenshot(path=str(browser.ARTIFACTS / f"imports-trial-{lang}-390.png"), full_page=True)
        page.get_by_role("button", name=t("imports.trial.discard")).click()
        browser.wait_idle(page)
        page.wait_for_selector(f'text={t("imports.trial.discarded")}', timeout=60_000)
        assert not imports.trial_path(demo_db).exists()
        assert store.data_version(demo_db) == before
    finally:
        context.close()
