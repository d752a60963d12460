"""WCAG 2.1 AA in a real browser: axe-core (bundled by axe-playwright-python) on the sign-in
screen here, and on every page of every role in the walk of tests/test_browser_pages.py. No serious or critical
violation is allowed, except those Streamlit itself causes that we cannot fix: each of those
is listed below as a rule and a selector, with its Streamlit issue in docs/accessibility.md,
so that any new one fails."""

import shutil

import pytest

from terrain import i18n
from tests import browser

pytestmark = pytest.mark.skipif(not shutil.which(browser.CHROMIUM), reason="Debian's chromium is not installed")

# WCAG 2.0 and 2.1, levels A and AA: the rules axe tags with these.
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
FAILING = ("serious", "critical")
# (axe rule id, CSS selector of the element) for violations Streamlit causes and we cannot
# fix, each explained in docs/accessibility.md with Streamlit's issue. Empty today: every
# serious or critical violation axe found was ours and is fixed.
STREAMLIT_CAUSED: frozenset[tuple[str, str]] = frozenset()


@pytest.fixture(scope="module")
def server(browser_server):
    return browser_server   # tests/conftest.py: one app per worker for the files that only read


def failing_violations(page, allowed=STREAMLIT_CAUSED) -> list[tuple[str, str, str, str]]:
    """axe's serious and critical WCAG 2.1 AA violations on the page as it is, less the
    `allowed` (rule, selector) pairs: (rule, impact, element, what is wrong) for each element."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA},
                                       "resultTypes": ["violations"]}).response
    found = []
    for violation in results["violations"]:
        if violation["impact"] not in FAILING:
            continue
        for node in violation["nodes"]:
            target = node["target"][0]
            if _listed(page, allowed, violation["id"], target):
                continue
            found.append((violation["id"], violation["impact"], node["html"][:160],
                          " ".join(node.get("failureSummary", "").split())))
    return found


def _listed(page, allowed, rule: str, target) -> bool:
    selectors = [selector for listed_rule, selector in allowed if listed_rule == rule]
    if not selectors or not isinstance(target, str):
        return False
    return page.evaluate("([target, selectors]) => { const e = document.querySelector(target);"
                         " return !!e && selectors.some(s => e.matches(s)); }", [target, selectors])


def test_the_sign_in_screen_has_none_and_the_check_sees_one_put_there(server, chromium):
    context = chromium.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    try:
        page.goto(server)
        browser.wait_idle(page)
        page.get_by_label(i18n.t("common.password", "fr")).wait_for(timeout=60_000)
        browser.wait_idle(page)
        assert failing_violations(page) == []
        # each choice of the language control under the pointer (the chosen one tinted darker)
        for code in i18n.LANGUAGES:
            page.locator('[data-testid="stSidebar"] button[data-variant="segmented_control"]',
                         has_text=i18n.t(f"common.language_{code}", code)).hover()
            assert failing_violations(page) == [], f"{code} under the pointer"
        page.mouse.move(700, 500)
        # An image with no text alternative and a button with no name: axe, as run above,
        # must report both (else an empty report would prove nothing).
        page.evaluate("""() => { const main = document.querySelector('[data-testid="stMain"]');
            const img = document.createElement('img'); img.src = 'data:image/gif;base64,R0lGODlhAQABAAAAACw=';
            img.width = 40; img.height = 40; main.prepend(img);
            main.prepend(document.createElement('button')); }""")
        found = {(rule, impact) for rule, impact, _, _ in failing_violations(page)}
        assert found == {("image-alt", "critical"), ("button-name", "critical")}
        # a listed pair lets that element pass, and only that one
        allowed = {("image-alt", '[data-testid="stMain"] img[src^="data:"]'), ("button-name", "nav button")}
        assert [rule for rule, *_ in failing_violations(page, allowed)] == ["button-name"]
    finally:
        context.close()
