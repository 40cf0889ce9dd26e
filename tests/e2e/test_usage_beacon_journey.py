"""In a real browser, with CSRF on: a rep opens a playbook and the page's beacon (enable.js) counts one view; an
image in the playbook pointing at a bite page is not rendered, so it counts nothing."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from enable.extensions import db
from enable.usage import UsageEvent
from tests.factories import PASSWORD
from tests.playbooks.factories import make_bite, make_playbook

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _views(app) -> list[tuple[str, int]]:
    with app.app_context():
        return [(e.item_type, e.item_id) for e in db.session.scalars(select(UsageEvent).order_by(UsageEvent.id))]


def test_a_shown_playbook_counts_one_view_and_its_images_count_nothing(app, live_server, page, users):
    with app.app_context():
        bite = make_bite()
        playbook = make_playbook(title="Pricing", body=f"## Price\n\n![clip](/bites/{bite.id})\n")
        db.session.commit()
        playbook_id = playbook.id

    page.goto(f"{live_server}/auth/login")
    page.fill("input[name=email]", "rep@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server}/")
    with page.expect_response(lambda r: r.url.endswith(f"/playbooks/{playbook_id}/viewed")) as beacon:
        page.goto(f"{live_server}/playbooks/{playbook_id}")
    assert beacon.value.status == 204
    deadline = time.monotonic() + 5
    while not _views(app) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _views(app) == [("playbook", playbook_id)]
    assert page.locator(".playbook img[src]").count() == 0
