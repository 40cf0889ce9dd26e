"""In a real browser: an admin signs in, creates a user, and the navigation matches each role; on the demo site,
issues and revokes an API token and adds a webhook endpoint that receives a signed test event."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from tests.demo_site import sign_in as sign_in_demo
from tests.e2e import open_nav
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
    open_nav(page, "Users", menu="Administration")
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
    assert page.locator("nav.mainnav summary").all_inner_texts() == ["Content"]  # the rep's one area menu


@pytest.mark.parametrize(("email", "locale"), [("admin@example.test", "en"), ("admin@example.test", "ru"),
                                               ("enablement@example.test", "en"), ("manager@example.test", "en")])
def test_the_navigation_keeps_to_one_row_at_1366_px(live_server, browser, users, shot, email, locale):
    context = browser.new_context(viewport={"width": 1366, "height": 768})
    page = context.new_page()
    _sign_in(page, live_server, email)
    if locale != "en":
        with page.expect_navigation():
            page.select_option("#locale-switch", locale)
        assert page.evaluate("document.documentElement.lang") == locale
    tops = page.evaluate(
        "Array.from(document.querySelectorAll('.topbar > *, nav.mainnav > ul > li'))"
        ".filter(e => e.offsetParent !== null).map(e => Math.round(e.getBoundingClientRect().top))"
    )
    height = page.evaluate("document.querySelector('.topbar').getBoundingClientRect().height")
    assert height < 70, f"the top bar is {height} px high: it wraps"
    items = page.locator("nav.mainnav > ul > li")
    first = items.first.bounding_box()
    last = items.last.bounding_box()
    assert abs(first["y"] - last["y"]) < 2, f"navigation wraps: {tops}"
    shot(page, f"nav-1366-{email.split('@')[0]}-{locale}")
    context.close()


def test_an_area_menu_opens_and_closes_from_the_keyboard(live_server, page, users):
    _sign_in(page, live_server, "admin@example.test")
    users_link = page.locator("nav.mainnav a >> text=Users")
    assert not users_link.is_visible()
    summary = page.locator("nav.mainnav summary >> text=Administration")
    summary.focus()
    page.keyboard.press("Enter")
    assert users_link.is_visible()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('details[data-navmenu]') !== null")
    page.keyboard.press("Escape")
    assert not users_link.is_visible()
    assert page.evaluate("document.activeElement.tagName") == "SUMMARY"
    # Opening one area's menu closes the other.
    page.click("nav.mainnav summary >> text=Manage content")
    page.click("nav.mainnav summary >> text=Administration")
    assert not page.locator("nav.mainnav a >> text=Taxonomy").is_visible()
    users_link.click()
    page.wait_for_url(f"{live_server}/auth/users")
    assert page.locator("nav.mainnav summary.current >> text=Administration").count() == 1


def test_navigation_folds_into_a_menu_on_a_phone(live_server, browser, users, shot):
    context = browser.new_context(viewport={"width": 375, "height": 740})
    page = context.new_page()
    _sign_in(page, live_server, "admin@example.test")
    assert not page.locator("nav.mainnav").is_visible()
    page.click("label.nav-toggle-label")
    page.click("nav.mainnav summary >> text=Administration")
    assert page.locator("nav.mainnav >> text=Users").is_visible()
    shot(page, "phone-menu")
    context.close()


@pytest.fixture
def receiver(demo_site):
    """A webhook receiver on a loopback port that records what it is sent; yields (url, received). The demo site
    may send to it while the test runs (WEBHOOK_ALLOW_PRIVATE: loopback is refused by default)."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (the http.server naming)
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            received.append({"headers": dict(self.headers), "body": json.loads(body or b"{}")})
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    demo_site.app.config["WEBHOOK_ALLOW_PRIVATE"] = True
    try:
        yield f"http://127.0.0.1:{server.server_port}/hooks/enable", received
    finally:
        demo_site.app.config["WEBHOOK_ALLOW_PRIVATE"] = False
        server.shutdown()
        server.server_close()


def test_admin_issues_and_revokes_an_api_token_and_adds_a_webhook(browser, demo_site, receiver, shot):
    """On the demo site: a token that works against the API until the admin revokes it, then a webhook endpoint
    that receives a signed test event."""
    base = demo_site.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_demo(page, base, "admin")

    page.goto(f"{base}/settings/api-tokens")
    page.fill("input[name=name]", "CRM sync")
    page.locator("input[name=scope]").first.check()
    page.click("form[action='/settings/api-tokens'] [type=submit]")
    secret = page.locator("#new-token").inner_text().strip()
    assert len(secret) >= 20
    shot(page, "token-created")
    answer = page.request.get(f"{base}/api/v1/bites?q=price", headers={"Authorization": f"Bearer {secret}"})
    assert answer.status == 200, answer.text()

    open_nav(page, "API tokens", menu="Administration")
    page.wait_for_url(f"{base}/admin/api-tokens")
    row = page.locator("tr", has_text="CRM sync")
    assert row.is_visible()
    shot(page, "all-tokens")
    page.once("dialog", lambda dialog: dialog.accept())
    row.locator("button", has_text="Revoke").click()
    page.wait_for_load_state()
    assert page.locator(".flash-success", has_text="revoked").is_visible()
    shot(page, "token-revoked")
    refused = page.request.get(f"{base}/api/v1/bites?q=price", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status == 401

    url, received = receiver
    open_nav(page, "Webhooks", menu="Administration")
    page.wait_for_url(f"{base}/webhooks/")
    page.fill("input[name=url]", url)
    page.fill("input[name=description]", "CRM")
    page.locator("input[name=events]").first.check()
    page.click("input[type=submit][value='Add endpoint']")
    assert page.locator("h1", has_text="Endpoint added").is_visible()
    assert len(page.locator("#webhook-secret").inner_text().strip()) >= 16
    shot(page, "webhook-added")
    page.click("text=Go to the endpoint and send a test event")
    page.click("button:has-text('Send test event')")
    page.wait_for_load_state()
    for _ in range(100):  # the delivery job runs at once in this app; give the receiver's thread a moment
        if received:
            break
        page.wait_for_timeout(50)
    assert received and received[0]["body"].get("event") == "webhook.test"
    assert any(h.lower() == "enable-webhook-signature" for h in received[0]["headers"])
    page.reload()
    assert page.locator(".webhook-deliveries .badge", has_text="Delivered").first.is_visible()
    shot(page, "webhook-delivered")
    context.close()
