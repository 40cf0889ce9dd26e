"""In a real browser: an enablement lead opens the stale queue, verifies a playbook, and it leaves the queue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from enable.auth.models import Role
from enable.db import utcnow
from enable.extensions import db
from tests.factories import PASSWORD
from tests.playbooks.factories import make_playbook

pytestmark = pytest.mark.browser


def _sign_in(page, base, email):
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/")


def test_lead_verifies_a_stale_playbook_and_it_leaves_the_queue(app, live_server, page, users, shot):
    with app.app_context():
        long_ago = utcnow() - timedelta(days=130)
        stale = make_playbook(title="Pricing talk track 2025", now=long_ago, owner_id=users[Role.ENABLEMENT],
                              body="## Price\n\nQuote the 2025 list price.\n")
        also_stale = make_playbook(title="Competitor battlecard notes", now=long_ago, owner_id=users[Role.MANAGER])
        make_playbook(title="Fresh discovery guide", owner_id=users[Role.ENABLEMENT])
        db.session.commit()
        stale_id, other_id = stale.id, also_stale.id

    _sign_in(page, live_server, "enablement@example.test")
    assert page.locator(".panel-content-health").is_visible()
    shot(page, "home-with-content-health")

    page.click("nav.mainnav >> text=Content health")
    page.click("text=Open the stale queue")
    page.wait_for_url(f"{live_server}/governance/stale")
    row = page.locator(f"tr[data-kind=playbook][data-id='{stale_id}']")
    assert row.is_visible()
    assert "Pricing talk track 2025" in row.inner_text() and "40" in row.inner_text()  # 130 - 90 days overdue
    assert page.locator(f"tr[data-kind=playbook][data-id='{other_id}']").is_visible()
    assert "Fresh discovery guide" not in page.locator("main").inner_text()
    shot(page, "stale-queue")

    row.locator("button", has_text="Verify").click()
    page.wait_for_url(f"{live_server}/governance/stale")
    assert page.locator(".flash-success").inner_text().startswith('Verified: "Pricing talk track 2025"')
    assert page.locator(f"tr[data-kind=playbook][data-id='{stale_id}']").count() == 0
    assert page.locator(f"tr[data-kind=playbook][data-id='{other_id}']").is_visible()
    shot(page, "after-verify")

    page.goto(f"{live_server}/playbooks/{stale_id}")
    freshness = page.locator(".governance").inner_text()
    assert "Fresh" in freshness and "Enablement User" in freshness
    shot(page, "playbook-fresh-again")
