"""In a real browser: a new hire signs in, sees the onboarding track, plays a bite to its end, passes the quiz,
and sees the certification that was awarded at that moment."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from enable.auth import services as accounts
from enable.auth.models import Role
from enable.db import utcnow
from enable.extensions import db
from enable.learning import tracks
from enable.learning.models import CertificationAward, StepKind
from enable.usage import UsageEvent, UsageKind
from tests.factories import PASSWORD
from tests.learning.factories import AUDIO, make_bite, make_quiz, make_track
from tests.learning.test_certifications import make_certification

pytestmark = pytest.mark.browser


@pytest.fixture
def new_hire(app):
    """A default track (a 6-second bite, then a 3-question quiz), a certification on both, and a rep hired
    yesterday who got the track the way the admin page gives it."""
    with app.app_context():
        bite = make_bite(media=AUDIO / "short_en.ogg", start_s=1.0, end_s=7.0, title="How Riley answers the price")
        quiz = make_quiz(n_questions=3, pass_percent=80, title="Price objections")
        track = make_track([(StepKind.BITE, bite), (StepKind.QUIZ, quiz)], due=[2, 7], default=True,
                           title="First 30 days")
        make_certification(track, quiz, min_score=80)
        user = accounts.create_user(email="nina@example.test", name="Nina New", password=PASSWORD, role=Role.REP,
                                    hired_on=date.today() - timedelta(days=1))
        tracks.assign_default_track(user)
        db.session.commit()
        return {"user": user.id, "bite": bite.id, "quiz": quiz.id}


def _seconds_heard(app, ids) -> float:
    """Seconds the play beacon recorded for the new hire and the bite."""
    with app.app_context():
        return sum(db.session.scalars(select(UsageEvent.seconds).where(
            UsageEvent.user_id == ids["user"], UsageEvent.kind == UsageKind.PLAY, UsageEvent.item_id == ids["bite"],
        )).all(), 0.0)


def test_a_new_hire_plays_a_bite_passes_the_quiz_and_is_certified(app, live_server, page, new_hire, shot):
    page.goto(f"{live_server}/auth/login")
    page.fill("input[name=email]", "nina@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert page.locator("text=Your learning").is_visible()
    shot(page, "home")

    page.click("nav >> text=Learning")
    page.click("text=First 30 days")
    assert page.locator(".track-step").count() == 2
    assert page.locator("text=0%").first.is_visible()
    shot(page, "track")

    page.click("text=How Riley answers the price")
    page.wait_for_url(f"{live_server}/bites/{new_hire['bite']}**")
    media = page.locator("[data-media]")
    media.wait_for()
    page.evaluate("""() => { const m = document.querySelector('[data-media]');
                             m.muted = true; m.playbackRate = 2; return m.play(); }""")
    page.wait_for_function("""() => { const m = document.querySelector('[data-media]');
                                      return m.paused && m.currentTime >= 6.5; }""", timeout=20_000)
    shot(page, "bite-played")
    for _ in range(50):  # the player's beacon goes out as the bite ends
        if _seconds_heard(app, new_hire) >= 5.4:
            break
        page.wait_for_timeout(200)
    page.goto(f"{live_server}/learning/")
    page.click("text=First 30 days")
    bite_step = page.locator(".track-step").nth(0)
    assert "Done" in bite_step.inner_text()
    assert page.locator("text=50%").first.is_visible()
    shot(page, "bite-done")

    page.click("text=Price objections")
    page.wait_for_url(f"{live_server}/learning/quizzes/{new_hire['quiz']}/take")
    for question in page.locator("li.question").all():
        question.locator("label.option", has_text="Right").click()
    shot(page, "quiz-answered")
    page.click("button:has-text('Submit answers')")
    page.wait_for_url(f"{live_server}/learning/attempts/**")
    assert page.locator("[data-result]").inner_text() == "Passed"
    assert page.locator("[data-score]").inner_text() == "100%"
    assert page.locator("text=Because 1.").is_visible()  # feedback per question
    shot(page, "quiz-passed")

    page.click(".award-news >> text=Objection handling certified")
    page.wait_for_url(f"{live_server}/learning/certificates/**")
    assert page.locator(".certificate-name").inner_text() == "Nina New"
    assert page.locator(".badge-ok", has_text="Valid").is_visible()
    shot(page, "certificate")
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible() and page.locator(".certificate").is_visible()
    shot(page, "certificate-print")

    with app.app_context():
        [award] = db.session.scalars(select(CertificationAward)).all()
        assert award.user_id == new_hire["user"]
        assert utcnow() - award.awarded_at < timedelta(minutes=5)
