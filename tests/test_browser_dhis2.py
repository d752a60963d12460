"""The DHIS2 import in a real browser: a manager uploads the shipped example's export and
mapping on the Import page of the demo, sees a defective export refused by name, and loads the
example into the trial copy; the demo never changes. The page stays WCAG 2.1 AA throughout."""

import shutil

import duckdb
import pytest

from terrain import i18n, store
from terrain.importing import dhis2, loading
from tests import browser
from tests.test_accessibility import failing_violations

pytestmark = pytest.mark.skipif(not shutil.which(browser.CHROMIUM), reason="Debian's chromium is not installed")

DEFECTIVE = b"""dataelement,period,orgunit,categoryoptioncombo,attributeoptioncombo,value
tN3kBedsAvl,2026W40,OuPantinMin,HllvX50cXC0,HllvX50cXC0,20
XXunknownDE,20261003,OuPantinMin,HllvX50cXC0,HllvX50cXC0,2
tN3kBedsOcc,20261003,OuNowhere01,HllvX50cXC0,HllvX50cXC0,3
"""


def t(key: str, **values) -> str:
    return i18n.t(key, "fr", **values)


def _upload(page, key: str, name: str, data: bytes, mime: str) -> None:
    """The file chosen in the uploader, shown there by its name (the upload asked for and
    begun), and the run it starts waited for."""
    page.locator(f'.st-key-{key} [data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        files=[{"name": name, "mimeType": mime, "buffer": data}])
    browser.wait_for_shown(page, f'.st-key-{key} [data-testid="stFileChipName"][title="{name}"]', f"dhis2-upload-{name}")
    browser.wait_idle(page)


def _shown(page, text: str, shot: str) -> None:
    browser.wait_for_shown(page, f"text={text}", f"dhis2-{shot}")


def test_a_manager_uploads_the_example_export_and_mapping_and_loads_them_into_the_trial_copy(tmp_path, browser_demo):
    from playwright.sync_api import sync_playwright
    db = shutil.copyfile(browser_demo, tmp_path / "terrain.duckdb")
    before = store.data_version(db)
    export = (dhis2.EXAMPLES / "dataValueSets_2026-10.csv").read_bytes()
    table = t("imports.table.shelter_nights")
    with browser.streamlit_server(db, tmp_path) as url, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1400, "height": 2000})
        try:
            browser.sign_in(page, url, "manager", "terrain-demo")
            page.locator('[data-testid="stSidebarNav"] a[href$="/imports"]').click()
            browser.wait_idle(page)
            page.get_by_text(t("dhis2.page.source.dhis2"), exact=True).click()
            browser.wait_idle(page)
            # The shipped mapping is offered first, with what it maps and a copy to start one's own from.
            _shown(page, t("dhis2.page.mapping_summary", table=table, org_units="3", elements="5"), "shipped")
            assert page.get_by_role("button", name=t("dhis2.page.mapping_download")).count() == 1
            assert failing_violations(page) == []          # WCAG 2.1 AA, as every page (test_accessibility.py)
            browser.ARTIFACTS.mkdir(parents=True, exist_ok=True)
            for width in (1400, 390):
                page.set_viewport_size({"width": width, "height": 2000})
                browser.wait_idle(page)
                page.screenshot(path=str(browser.ARTIFACTS / f"imports-dhis2-shipped-{width}.png"), full_page=True)
            page.locator('[data-testid="stSelectbox"]', has_text=t("dhis2.page.mapping_label")).click()
            page.get_by_role("option", name=t("dhis2.page.mapping_own"), exact=True).click()
            browser.wait_idle(page)
            _upload(page, "dhis2_mapping_file", "mapping.toml", (dhis2.EXAMPLES / "mapping.toml").read_bytes(),
                    "application/toml")
            _shown(page, t("dhis2.page.mapping_summary", table=table, org_units="3", elements="5"), "own-mapping")
            # The uploader says what it takes, in French, without Streamlit's English list of types.
            limit = t("dhis2.page.uploader_limit", size=50)
            drawn = page.locator('.st-key-dhis2_file_0 [data-testid="stFileUploaderDropzone"]').evaluate(
                "zone => [...zone.querySelectorAll('*')].map(e => getComputedStyle(e, '::after').content)"
                ".filter(c => c !== 'none' && c !== 'normal').map(c => JSON.parse(c))")
            assert drawn == [t("imports.uploader.browse"), limit]

            _upload(page, "dhis2_file_0", "defective.csv", DEFECTIVE, "text/csv")
            _shown(page, t("imports.refused", count="3"), "refused")
            shown = page.locator('[data-testid="stTable"]').inner_text()
            for named in ("2026W40", "XXunknownDE", "OuNowhere01"):
                assert named in shown
            assert page.get_by_role("button", name=t("imports.trial.load_button", rows="93")).count() == 0
            assert failing_violations(page) == []
            page.screenshot(path=str(browser.ARTIFACTS / "imports-dhis2-refused-1400.png"), full_page=True)
            page.set_viewport_size({"width": 390, "height": 3200})
            browser.wait_idle(page)
            page.screenshot(path=str(browser.ARTIFACTS / "imports-dhis2-refused-390.png"), full_page=True)
            page.set_viewport_size({"width": 1400, "height": 2000})
            browser.wait_idle(page)

            _upload(page, "dhis2_file_0", "dataValueSets_2026-10.csv", export, "text/csv")
            _shown(page, t("imports.trial.clean", table=table, rows="93"), "clean")
            assert page.locator('[data-testid="stException"]').count() == 0
            page.screenshot(path=str(browser.ARTIFACTS / "imports-dhis2-checked-1400.png"), full_page=True)
            page.get_by_role("button", name=t("imports.trial.load_button", rows="93")).click()
            browser.wait_idle(page)
            _shown(page, t("imports.trial.loaded", table=table, rows="93"), "loaded")
            _shown(page, t("imports.trial.header"), "trial-header")
            page.set_viewport_size({"width": 390, "height": 3200})
            browser.wait_idle(page)
            page.screenshot(path=str(browser.ARTIFACTS / "imports-dhis2-loaded-390.png"), full_page=True)
        finally:
            chromium.close()
    assert store.data_version(db) == before                 # the demo never changed
    # The copy holds the export's nights (the seed-42 demo's), the demo its own (seed 7's).
    values, _ = dhis2.read_values(export)
    expected = sorted(tuple(row.split(",")[:7]) for row in
                      dhis2.translate(values, dhis2.load_mapping(dhis2.EXAMPLES / "mapping.toml")).csv.decode().split()[1:])
    assert len(expected) == 93
    assert _october(loading.trial_path(db)) == expected != _october(db)


def _october(path) -> list[tuple]:
    con = duckdb.connect()
    try:
        con.execute("ATTACH $path AS checked (READ_ONLY)", {"path": str(path)})
        rows = con.execute("SELECT site_id, strftime(night, '%Y-%m-%d'), beds_available, beds_occupied, turned_away, "
                           "turned_away_minors, turned_away_girls FROM checked.shelter_nights "
                           "WHERE night BETWEEN '2026-10-01' AND '2026-10-31' AND site_id IN "
                           "('pantin_minors_shelter', 'pantin_girls_shelter', 'marseille_minors_shelter')").fetchall()
    finally:
        con.close()
    return sorted(tuple(str(cell) for cell in row) for row in rows)
