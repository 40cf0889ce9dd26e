"""In a real browser: an admin signs in, creates a user, and the navigation matches each role."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser


def _sign_in(page, base, email):
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/")


def test_admin_creates_a_user(live_server, page, users, shot):
    _sign_in(page, live_server, "admin@example.test")
    shot(page, "home")
    page.click("nav >> text=Users")
    page.click("text=New user")
    page.fill("input[name=name]", "Browser Made")
    page.fill("input[name=email]", "browser@example.test")
    page.select_option("select[name=role]", "rep")
    page.fill("input[name=new_team]", "Browser Team")
    page.fill("input[name=password]", "longenough1")
    shot(page, "new-user-form")
    page.click("input[type=submit]")
    page.wait_for_url(f"{live_server}/auth/users")
    assert page.locator("table >> text=Browser Made").is_visible()
    assert page.locator("table >> text=Browser Team").is_visible()
    shot(page, "users-list")


def test_a_rep_sees_no_admin_navigation(live_server, page, users):
    _sign_in(page, live_server, "rep@example.test")
    nav = page.locator("nav.mainnav").inner_text()
    assert "Home" in nav and "Users" not in nav and "Taxonomy" not in nav


def test_navigation_folds_into_a_menu_on_a_phone(live_server, browser, users, shot):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    _sign_in(page, live_server, "admin@example.test")
    assert not page.locator("nav.mainnav").is_visible()
    page.click("label.nav-toggle-label")
    assert page.locator("nav.mainnav >> text=Users").is_visible()
    shot(page, "phone-menu")
    context.close()
