"""In a real browser, on the demo site: a manager opens the team view, signs off the new hire's role-play step,
and marks a bite as a best example, which then ranks first in search."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from enable.bites.models import Bite
from enable.extensions import db
from tests.demo_site import sign_in

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser, demo_site):
    """A fresh context on the demo site (the demo's data is shared by the session: this journey changes little)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def test_manager_team_view_signoff_and_best_example(demo_site, page, shot):
    base = demo_site.url
    sign_in(page, base, "manager")
    shot(page, "home")

    page.click("nav.mainnav >> text=Team")
    page.wait_for_url(f"{base}/learning/team")
    row = page.locator("table.team-table tr", has_text="Noah New-Hire")
    assert row.locator("progress").count() == 1 and "%" in row.inner_text()
    shot(page, "team")

    row.locator("a", has_text="Noah New-Hire").click()
    page.wait_for_url(f"{base}/learning/team/*")
    step = page.locator("tr", has_text="Role-play the pricing talk track")
    assert "Sign off" in step.inner_text()
    shot(page, "member-before-signoff")
    step.locator("button", has_text="Sign off").click()
    page.wait_for_load_state()
    step = page.locator("tr", has_text="Role-play the pricing talk track")
    assert "Done" in step.inner_text() and "signed off by Morgan Manager" in step.inner_text()
    assert step.locator("button", has_text="Sign off").count() == 0
    shot(page, "member-signed-off")

    # What Noah did (the demo's playbook read, bite heard, quiz taken) and what Noah never opened; the CSV.
    page.click("a:has-text('Activity: listened, read, completed, scored')")
    page.wait_for_url(f"{base}/learning/team/*/activity")
    done = page.locator("section[aria-labelledby=activity-title]").inner_text()
    assert "read to the end" in done and "listened" in done and "took a quiz" in done
    assert page.locator("section[aria-labelledby=never-title] h2").is_visible()
    with page.expect_download() as download:
        page.click("a:has-text('Download CSV')")
    assert download.value.suggested_filename.startswith("activity-")
    shot(page, "member-activity")

    # A bite that is not a best example yet, found through search, marked, and first in the same search after.
    with demo_site.app.app_context():
        bite = db.session.scalars(select(Bite).where(Bite.is_best.is_(False)).order_by(Bite.id.desc())).first()
        word = next(w for w in bite.text.split() if len(w) > 6 and w.isalpha())
        bite_id = bite.id
    page.click("nav.mainnav >> text=Search")
    page.fill("input#q", word)
    with page.expect_navigation():
        page.press("input#q", "Enter")
    page.click(f".result-title a[href='/bites/{bite_id}']")
    page.wait_for_url(f"{base}/bites/{bite_id}")
    page.click("button:has-text('Mark as best example')")
    page.wait_for_url(f"{base}/bites/{bite_id}")
    assert page.locator("h1 .badge", has_text="Best example").is_visible()
    assert page.locator("button:has-text('Unmark best example')").is_visible()
    shot(page, "marked-best")

    page.goto(f"{base}/search/?q={word}")
    first = page.locator(".result").first
    assert first.locator(f".result-title a[href='/bites/{bite_id}']").count() == 1
    assert "Best example" in first.inner_text()
    shot(page, "best-ranks-first")
