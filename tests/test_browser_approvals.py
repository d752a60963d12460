"""In a real browser: a donor sees the approved months and not the one waiting; once a manager
approves it, the donor's next page shows it (a new data version, seen on the next rerun)."""

from __future__ import annotations

import datetime as dt
import shutil

import pytest

from terrain import approvals, demo, i18n, store
from tests import browser

pytestmark = pytest.mark.skipif(not shutil.which(browser.CHROMIUM), reason="Debian's chromium is not installed")

AS_OF = dt.date(2026, 11, 30)       # November is the last whole month; the demo leaves it waiting
OCTOBER, NOVEMBER = dt.date(2026, 10, 1), dt.date(2026, 11, 1)


def published_note(month: dt.date) -> str:
    return i18n.t("common.published_months_note", "fr", last=i18n.format_month(month, "fr"))


def test_a_donor_sees_the_approved_months_only(tmp_path, monkeypatch):
    from playwright.sync_api import sync_playwright

    db = tmp_path / "demo.duckdb"
    demo.generate(db, consultations=20_000, seed=11, as_of=AS_OF, start=dt.date(2025, 1, 1))
    with browser.streamlit_server(db, tmp_path) as url, sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=browser.CHROMIUM, args=browser.CHROMIUM_ARGS)
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        browser.sign_in(page, f"{url}/?period=last_3_months", "donor", "terrain-demo")
        page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
        shown = page.locator('[data-testid="stMain"]').inner_text()
        assert published_note(OCTOBER) in shown
        assert published_note(NOVEMBER) not in shown and "novembre 2026" not in shown

        monkeypatch.setenv("TERRAIN_AUDIT_DIR", str(tmp_path / "audit"))
        with store.open_readonly(db) as con:
            waiting = list(approvals.waiting(con)["city"])
        approvals.approve(db, waiting, NOVEMBER, user="manager", via="cli")

        page.reload()
        browser.wait_idle(page)
        page.wait_for_selector('[data-testid="stMetric"]', timeout=60_000)
        shown = page.locator('[data-testid="stMain"]').inner_text()
        assert published_note(NOVEMBER) in shown
        chromium.close()
