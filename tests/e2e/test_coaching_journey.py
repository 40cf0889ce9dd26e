"""In a real browser, on the demo site, in English and in Russian: a rep asks their manager for feedback on a call
with a due date; the manager finds it on their home page, scores the call with an answer pointing at a moment, and
the moment plays from there; the rep then sees the score on the call's page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from enable.calls.models import Call
from enable.db import utcnow
from enable.extensions import db
from tests.demo_site import sign_in

pytestmark = pytest.mark.browser

# (locale, the rep who asks, the sample call they ask about, texts the pages show in that language)
CASES = {
    "en": ("rep", "discovery-competitor", {"ask": "Ask for feedback", "send": "Ask for feedback",
                                           "queue": "Feedback requests", "due": "Due", "save": "Save score",
                                           "asked": "Feedback asked of", "yes": "Yes", "by": "by Morgan Manager"}),
    "ru": ("newhire", "closing-authority", {"ask": "Попросить отзыв", "send": "Попросить отзыв",
                                            "queue": "Запросы отзывов", "due": "Срок", "save": "Сохранить оценку",
                                            "asked": "Отзыв запрошен", "yes": "Да", "by": "by Morgan Manager"}),
}


def _context(browser, locale: str):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return context, page


@pytest.mark.parametrize("locale", list(CASES))
def test_rep_asks_for_feedback_and_the_manager_scores_the_call(demo_site, browser, shot, locale):
    who, slug, text = CASES[locale]
    base = demo_site.url
    with demo_site.app.app_context():
        call = db.session.scalar(select(Call).where(Call.original_filename.like(f"{slug}%")))
        call_id, title = call.id, call.title
    due = (utcnow().date() + timedelta(days=3)).isoformat()

    context, page = _context(browser, locale)
    try:
        sign_in(page, base, who)
        page.goto(f"{base}/calls/{call_id}")
        page.click(f".call-coaching a:has-text('{text['ask']}')")
        page.wait_for_url(f"{base}/coaching/calls/{call_id}/request-feedback")
        page.fill("textarea[name=note]", "The pricing part, please")
        page.fill("input[name=due_on]", due)
        shot(page, f"{locale}-request")
        page.click(f"input[type=submit][value='{text['send']}']")
        page.wait_for_url(f"{base}/calls/{call_id}")
        assert text["asked"] in page.locator(".call-coaching").inner_text()
        shot(page, f"{locale}-requested")
    finally:
        context.close()

    context, page = _context(browser, locale)
    try:
        sign_in(page, base, "manager")
        queue = page.locator(".feedback-queue")
        item = queue.locator("li", has_text=title)
        assert text["due"] in item.inner_text()
        shot(page, f"{locale}-manager-home")
        item.locator("a").click()
        page.wait_for_url(f"{base}/coaching/calls/{call_id}/score")
        assert "The pricing part, please" in page.locator("main").inner_text()
        form = page.locator("form.score-form")
        for question in form.locator("li.question").all():
            radios = question.locator("input[type=radio]")
            if radios.count():
                radios.first.check()
        form.locator(".moment input").first.fill("7")
        shot(page, f"{locale}-scoring")
        page.click(f"button:has-text('{text['save']}')")
        page.wait_for_url(f"{base}/coaching/scores/*")
        assert "%" in page.locator("h1").inner_text()
        moment = page.locator("button.seek[data-start='7.0']")
        moment.click()
        page.wait_for_function("Math.abs(document.getElementById('call-media').currentTime - 7) < 1.5")
        shot(page, f"{locale}-scored")
        page.goto(f"{base}/")
        assert title not in page.locator(".feedback-queue").inner_text()
    finally:
        context.close()

    context, page = _context(browser, locale)
    try:
        sign_in(page, base, who)
        page.goto(f"{base}/calls/{call_id}")
        assert "Morgan Manager" in page.locator(".call-coaching").inner_text()
        assert text["asked"] not in page.locator(".call-coaching").inner_text()
        shot(page, f"{locale}-rep-sees-score")
    finally:
        context.close()
