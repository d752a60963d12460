"""The real app in a real browser, on a fresh demo database: what a person does across pages
(links, reloads, downloads, imports, sign-in). Every page of every role, walked once, is in
tests/test_browser_pages.py."""

import csv
import io
import shutil
from pathlib import Path
from urllib.parse import urlparse

import pytest

from terrain import i18n
from tests import browser

pytestmark = pytest.mark.skipif(not shutil.which(browser.CHROMIUM), reason="Debian's chromium is not installed")

PASSWORD = "terrain-demo"
ACCOUNTS = {"programme_manager": "manager", "advocacy": "advocacy", "donor": "donor"}
PLOTLY = '[data-testid="stPlotlyChart"] .main-svg'
CHART_CODE_FETCHES = ("performance.getEntriesByType('resource')"
                      ".filter(e => e.name.includes('/static/js/PlotlyChart.')).length")


@pytest.fixture(scope="module")
def demo_db(browser_demo, tmp_path_factory):
    # a copy: the import test leaves its trial copy beside the file
    return shutil.copy2(browser_demo, tmp_path_factory.mktemp("browser") / "demo.duckdb")


@pytest.fixture(scope="module")
def server(demo_db, tmp_path_factory):
    with browser.streamlit_server(demo_db, tmp_path_factory.mktemp("server")) as url:
        yield url


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
    return Path(download.value.path())


def test_a_donor_download_is_made_on_click_and_holds_no_small_count(server, chromium):
    # The files are written when a button is clicked (terrain/ui/tables.py show_table), from the
    # frame the door gave the donor: every count reads "< 11", "[c]", 0 or at least 11.
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        browser.sign_in(page, server, ACCOUNTS["donor"], PASSWORD)
        browser.open_page(page, "consultations")
        excel = _download(page, "tables.download_csv").read_bytes()
        about = _download(page, "tables.download_context").read_bytes().decode("utf-8-sig")
        hxl = list(csv.reader(io.StringIO(_download(page, "tables.download_hxl").read_text(encoding="utf-8-sig"))))
        # three files, one after the other, and the page never ran again: a click runs nothing
        # (a run would replace the buttons under the next click, and no file would come)
        assert page.evaluate("() => window.__terrainRuns === window.__terrainSettled")
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
        # (the button whose English text is hidden is named for screen readers: axe's button-name)
        assert shown["labels"] == [t("imports.uploader.input"), t("imports.uploader.browse")]
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
        from terrain.importing import loading
        assert loading.trial_path(demo_db).exists()
        page.set_viewport_size({"width": 390, "height": 900})
        browser.wait_idle(page)
        page.screenshot(path=str(browser.ARTIFACTS / f"imports-trial-{lang}-390.png"), full_page=True)
        page.get_by_role("button", name=t("imports.trial.discard")).click()
        browser.wait_idle(page)
        page.wait_for_selector(f'text={t("imports.trial.discarded")}', timeout=60_000)
        assert not loading.trial_path(demo_db).exists()
        assert store.data_version(demo_db) == before
        if lang == "en":   # the account keeps the language it chose: give it its French back
            page.set_viewport_size({"width": 1400, "height": 1000})
            page.locator('[data-testid="stSidebar"] button', has_text=i18n.t("common.language_fr", "fr")).click()
            browser.wait_idle(page)
            page.wait_for_selector(f'h1:has-text("{i18n.t("imports.title", "fr")}")', timeout=60_000)
    finally:
        context.close()


# --- sessions that last, language that stays ------------------------------------------

SIGN_IN_FORM = f'input[aria-label="{i18n.t("common.password", "fr")}"]'


def _title(page, key: str, lang: str = "fr"):
    browser.wait_for_title(page, i18n.t(key, lang), f"{key}-{lang}")
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
        # While the visitor types, the browser fetches the charts' code (a module preload)...
        page.wait_for_function(f"() => {CHART_CODE_FETCHES} === 1", timeout=60_000)
        page.evaluate("() => { window.terrainSameDocument = true; }")
        # The cookie comes from a fetch() of the page's own script: the page is not reloaded.
        with page.expect_response(lambda answer: answer.url.endswith("/_terrain/session")) as taken:
            browser.sign_in_here(page, "manager", PASSWORD)
        assert taken.value.status == 204
        _title(page, "occupancy.title")
        assert page.evaluate("() => window.terrainSameDocument === true")
        # ...which the page's charts then use as they are: no second fetch
        page.wait_for_selector(PLOTLY, timeout=60_000)
        assert page.evaluate(f"() => {CHART_CODE_FETCHES}") == 1
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


@pytest.mark.parametrize("role", ["donor", "programme_manager"])
def test_a_download_s_context_lists_the_events_of_its_period_internal_ones_for_staff_only(role, server, chromium):
    # The demo's internal events (terrain/demo.py _HISTORY) fall in 2024 and 2025.
    context = chromium.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    page = context.new_page()
    try:
        browser.sign_in(page, server, ACCOUNTS[role], PASSWORD)
        page.goto(f"{server}/consultations?period=custom&from=2024-01-01&to=2025-12-31")
        browser.wait_idle(page)
        browser.wait_for_title(page, i18n.t("consultations.title", "fr"), f"context-download-{role}")
        browser.wait_idle(page)
        about = _download(page, "tables.download_context").read_bytes().decode("utf-8-sig")
    finally:
        context.close()
    events = about.split(i18n.t("events.heading", "fr") + "\r\n", 1)[1].splitlines()
    assert "25 janvier 2024 — partout — Mesures santé censurées" in events
    internal = ["15 octobre 2024 — Calais — Expulsion d'un campement (interne)",
                "du 4 au 24 août 2025 — Paris — Équipe mobile réduite (interne)"]
    if role == "donor":
        assert not any(line in about for line in internal) and "interne" not in " ".join(events)
    else:
        assert all(line in events for line in internal)
