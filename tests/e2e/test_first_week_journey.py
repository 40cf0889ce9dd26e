"""In a real browser, the rough edges a new team met in its first week (issue 23), each seen as a person sees it:
a playbook diff without a blank line after each line, an embedded clip that shows its length before it is played,
grouped and sorted tags and deals, and numbers and dates written one way on a page."""

from __future__ import annotations

import re

import pytest

from enable.auth.models import Role
from enable.extensions import db
from tests.demo_site import sign_in as sign_in_demo
from tests.factories import PASSWORD
from tests.playbooks.factories import make_playbook

pytestmark = pytest.mark.browser


def _sign_in(page, base, email):
    page.goto(f"{base}/auth/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{base}/")


def test_a_playbook_diff_shows_one_row_per_line(app, live_server, page, users, shot):
    with app.app_context():
        playbook = make_playbook(title="Discovery basics", owner_id=users[Role.ENABLEMENT],
                                 body="## Ask\n\nAsk about the budget.\nAsk about the team.\n")
        db.session.commit()
        playbook_id = playbook.id
    _sign_in(page, live_server, "enablement@example.test")
    page.goto(f"{live_server}/playbooks/{playbook_id}/edit")
    page.fill("textarea[name=body]", "## Ask\n\nAsk about the timeline.\nAsk about the team.\n")
    page.click("main form.playbook-form [type=submit]")
    page.wait_for_url(f"{live_server}/playbooks/{playbook_id}")
    page.goto(f"{live_server}/playbooks/{playbook_id}/diff?a=1&b=2")
    diff = page.locator("pre.diff")
    rows = diff.locator("span").count()
    shown = diff.inner_text().rstrip("\n").split("\n")
    assert len(shown) == rows and "" not in shown, shown  # no blank line after each diff line
    line_height = page.evaluate("parseFloat(getComputedStyle(document.querySelector('pre.diff span')).lineHeight)")
    span_heights = page.evaluate("Array.from(document.querySelectorAll('pre.diff span')).map(s => s.offsetHeight)")
    inner = page.evaluate("(() => { const p = document.querySelector('pre.diff'); const s = getComputedStyle(p);"
                          " return p.clientHeight - parseFloat(s.paddingTop) - parseFloat(s.paddingBottom); })()")
    assert abs(inner - sum(span_heights)) < line_height / 2  # nothing between the rows
    shot(page, "playbook-diff")


def test_an_embedded_clip_shows_its_length_before_it_is_played(browser, demo_site, shot):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_demo(page, demo_site.url, "rep")
    with demo_site.app.app_context():
        from sqlalchemy import select

        from enable.playbooks.models import Playbook

        ids = list(db.session.scalars(select(Playbook.id).order_by(Playbook.id)))
    for playbook_id in ids:
        page.goto(f"{demo_site.url}/playbooks/{playbook_id}")
        if page.locator(".bite-embed audio").count():
            break
    clip = page.locator(".bite-embed audio").first
    assert clip.get_attribute("preload") == "metadata"
    page.wait_for_function("document.querySelector('.bite-embed audio').readyState >= 1", timeout=15_000)
    assert page.evaluate("document.querySelector('.bite-embed audio').duration") > 0  # not 0:00 / 0:00
    assert re.search(r"\(\d+:\d\d\)", page.locator(".bite-embed").first.inner_text())  # the clip's own length
    shot(page, "embedded-clip")
    context.close()


def test_the_upload_form_names_its_deal_groups(browser, demo_site, shot):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in_demo(page, demo_site.url, "manager")
    page.goto(f"{demo_site.url}/calls/upload")
    labels = page.eval_on_selector_all("#deal optgroup", "gs => gs.map(g => g.label)")
    assert labels == ["Open deals", "Won or lost deals"]
    for label in labels:
        names = page.eval_on_selector_all(f"#deal optgroup[label='{label}'] option", "os => os.map(o => o.text)")
        assert names == sorted(names, key=str.casefold), label
    context.close()
