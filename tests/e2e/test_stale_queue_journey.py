"""In a real browser: an enablement lead opens the stale queue, verifies a playbook, and it leaves the queue; on the
demo site, curates tags, builds a playlist, clears the stale queue and reads every report."""

from __future__ import annotations

from datetime import timedelta

import pytest

from enable.auth.models import Role
from enable.db import utcnow
from enable.extensions import db
from tests.demo_site import sign_in as sign_in_demo
from tests.e2e import open_nav
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

    open_nav(page, "Content health", menu="Manage content")
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


def test_lead_curates_tags_builds_a_playlist_clears_the_stale_queue_and_reads_the_reports(browser, demo_site, shot):
    """On the demo site: the enablement lead's week. (Uploading a call and watching its progress bar move is the
    journey in tests/calls/test_upload_journey.py, which needs a real transcription.)"""
    from sqlalchemy import select

    from enable.bites.models import Bite

    with demo_site.app.app_context():
        first_id, second_id = db.session.scalars(select(Bite.id).order_by(Bite.id).limit(2)).all()
    base = demo_site.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    sign_in_demo(page, base, "enablement")
    shot(page, "home")

    # Curate tags: add one by hand, then take one off (retagging keeps it off).
    page.goto(f"{base}/bites/{first_id}")
    chosen = page.locator("select#tag-add option").first
    tag_name = chosen.inner_text().strip()
    page.select_option("select#tag-add", chosen.get_attribute("value"))
    page.click("button:has-text('Add tag')")
    page.wait_for_url(f"{base}/bites/{first_id}")
    tags = page.locator(".bite-tags")
    assert tags.locator("li", has_text=tag_name).is_visible()
    assert "added by hand" in tags.locator("li", has_text=tag_name).inner_text()
    shot(page, "tag-added")
    tags.locator("li", has_text=tag_name).locator("button", has_text="Remove").click()
    page.wait_for_url(f"{base}/bites/{first_id}")
    assert page.locator("text=Removed by hand").is_visible()
    assert page.locator("ul.tags-removed").locator("li", has_text=tag_name).is_visible()
    shot(page, "tag-removed")

    # Build a playlist from two bites and play it all.
    page.fill("input[name=name]", "Week 12: pricing moments")
    page.click("button:has-text('New playlist with this bite')")
    assert page.locator(".flash-success", has_text="Week 12: pricing moments").is_visible()
    page.goto(f"{base}/bites/{second_id}")
    page.select_option("select[name=playlist_id]", label="Week 12: pricing moments")
    page.click("input[type=submit][value='Add to playlist']")
    assert page.locator(".flash-success", has_text="Added to").is_visible()
    page.click("nav.mainnav >> text=Search")
    page.click("main >> text=Playlists")
    page.click("text=Week 12: pricing moments")
    assert page.locator(".playlist-item").count() == 2
    shot(page, "playlist")
    page.click("text=Play all")
    page.wait_for_url("**/play")
    assert page.locator("[data-queue-item]").count() == 2
    shot(page, "play-all")

    # The stale queue: verify the first stale item; it leaves the queue.
    open_nav(page, "Content health", menu="Manage content")
    page.click("text=Open the stale queue")
    page.wait_for_url(f"{base}/governance/stale")
    rows = page.locator("tr[data-kind]")
    before = rows.count()
    assert before >= 1, "the demo has stale content"
    kind, item_id = rows.first.get_attribute("data-kind"), rows.first.get_attribute("data-id")
    shot(page, "stale-queue")
    rows.first.locator("button", has_text="Verify").click()
    page.wait_for_url(f"{base}/governance/stale")
    assert page.locator(".flash-success").inner_text().startswith("Verified")
    assert page.locator(f"tr[data-kind='{kind}'][data-id='{item_id}']").count() == 0
    shot(page, "stale-verified")

    # Every report opens with figures from the demo's months of history.
    page.click("nav.mainnav >> text=Reports")
    titles = page.locator(".panels h2 a").all_inner_texts()
    assert len(titles) >= 6
    for n, title in enumerate(titles):
        page.click(f".panels h2 a >> text={title}")
        page.wait_for_load_state()
        assert page.locator("h1").is_visible()
        assert page.locator("main svg[role=img], main table").count() >= 1, f"{title} shows nothing"
        shot(page, f"report-{n + 1}")
        page.go_back()
    context.close()
