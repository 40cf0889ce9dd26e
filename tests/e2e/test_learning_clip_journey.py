"""In a real browser, with CSRF on: a rep hears a quiz's clip, and the clip's beacon (learning.js) records a play of
the bite, marked as heard in a quiz, that the usage report counts."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import select

from enable.extensions import db
from enable.learning import quizzes
from enable.learning.models import QuestionKind
from enable.usage import UsageEvent, UsageKind
from tests.factories import PASSWORD
from tests.learning.factories import AUDIO, T0, make_bite, make_quiz

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(app_config: dict) -> dict:
    return {**app_config, "WTF_CSRF_ENABLED": True}


def _plays(app) -> list[tuple[int, float, str | None]]:
    with app.app_context():
        return [(e.item_id, e.seconds or 0.0, e.meta.get("source")) for e in db.session.scalars(
            select(UsageEvent).where(UsageEvent.kind == UsageKind.PLAY).order_by(UsageEvent.id))]


def test_a_clip_heard_in_a_quiz_counts_as_a_play(app, live_server, page, users):
    with app.app_context():
        bite = make_bite(media=AUDIO / "short_en.ogg", start_s=0.5, end_s=3.5, title="Price answer")
        quiz = make_quiz(n_questions=0, title="Pricing quiz")
        quizzes.save_question(quiz, None, kind=QuestionKind.LISTEN, prompt="What did you hear?", explanation="",
                              options=[quizzes.OptionSpec("A price", True), quizzes.OptionSpec("Nothing", False)],
                              bite_ref=str(bite.id), actor=None, now=T0)
        db.session.commit()
        bite_id, quiz_id = bite.id, quiz.id

    page.goto(f"{live_server}/auth/login")
    page.fill("input[name=email]", "rep@example.test")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit], input[type=submit]")
    page.wait_for_url(f"{live_server}/")
    page.goto(f"{live_server}/learning/quizzes/{quiz_id}/take")
    page.locator("audio[data-learning-clip]").wait_for()
    page.evaluate("""() => { const m = document.querySelector('audio[data-learning-clip]');
                             m.muted = true; return m.play(); }""")
    deadline = time.monotonic() + 20
    while not _plays(app) and time.monotonic() < deadline:  # the beacon goes out when the clip stops at its end
        page.wait_for_timeout(200)
    plays = _plays(app)
    assert len(plays) == 1 and plays[0][0] == bite_id and plays[0][2] == "quiz"
    assert 2.0 <= plays[0][1] <= 3.6  # about the clip's three seconds
