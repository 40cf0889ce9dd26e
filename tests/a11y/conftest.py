"""Browser contexts signed in as each demo login (on the session's demo site) and axe-core, pinned in
package-lock.json, to audit pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO
from tests.demo_site import sign_in

AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"


@pytest.fixture(scope="session")
def role_pages(browser, demo_site):
    """role_pages(who, locale="en", phone=False) -> a page of a browser context signed in as that demo login,
    1280 px wide or a 375 px phone (each made once).
    These contexts let Playwright add axe-core's script tag in spite of the site's CSP (no inline script); the
    keyboard and phone tests use contexts of their own, with the CSP in force."""
    made: dict = {}

    def _page(who: str, locale: str = "en", phone: bool = False):
        key = (who, locale, phone)
        if key not in made:
            screen = {"viewport": {"width": 375, "height": 667}, "has_touch": True, "is_mobile": True} if phone else {
                "viewport": {"width": 1280, "height": 900}}
            context = browser.new_context(**screen, locale=locale, bypass_csp=True)
            page = context.new_page()
            page.set_default_timeout(15_000)
            if who != "anonymous":
                sign_in(page, demo_site.url, who)
            made[key] = page
        return made[key]

    yield _page
    for page in made.values():
        page.context.close()


@pytest.fixture(scope="session")
def axe_path() -> Path:
    """axe-core's browser bundle, installed by `make install` (npm ci), or a skip saying so."""
    if not AXE.is_file():
        pytest.skip(f"{AXE.relative_to(REPO)} is absent: run `make install` (needs npm) to get the pinned axe-core")
    return AXE
