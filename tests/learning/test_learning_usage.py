"""Learning counts as usage: a playbook read in a track and a clip heard in a quiz or the daily review are usage
events, and the content usage report counts them (it said such content was unused while new hires used it daily)."""

from __future__ import annotations

import re

from sqlalchemy import select

from enable.auth.models import Role, User
from enable.extensions import db
from enable.learning import quizzes
from enable.learning.models import QuestionKind, StepKind
from enable.usage import UsageEvent, UsageKind
from tests.learning.factories import AUDIO, T0, make_bite, make_playbook, make_quiz, make_track
from tests.reports.pagetables import page_tables


def _learning(app, users):
    with app.app_context():
        bite = make_bite(media=AUDIO / "short_en.ogg", start_s=0.5, end_s=3.0, title="Price answer")
        playbook = make_playbook(title="Discovery playbook")
        quiz = make_quiz(n_questions=0, title="Pricing quiz")
        quizzes.save_question(quiz, None, kind=QuestionKind.LISTEN, prompt="What did the rep offer?", explanation="",
                              options=[quizzes.OptionSpec("A discount", False), quizzes.OptionSpec("Less scope", True)],
                              bite_ref=str(bite.id), actor=None, now=T0)
        make_track([(StepKind.PLAYBOOK, playbook), (StepKind.QUIZ, quiz)], title="Onboarding")
        rep = db.session.get(User, users[Role.REP])
        quizzes.submit_attempt(rep, quiz, {}, T0)  # wrong: the question comes back in the daily review
        db.session.commit()
        return {"bite": bite.id, "playbook": playbook.id, "quiz": quiz.id}


def _beacon(html: str, attribute: str) -> str:
    found = re.search(rf'{attribute}="([^"]+)"', html)
    assert found, html
    return found.group(1)


def test_reading_in_a_track_and_listening_in_a_quiz_or_review_show_in_the_usage_report(app, login, users):
    ids = _learning(app, users)
    rep = login(Role.REP)
    read = rep.get(f"/learning/read/{ids['playbook']}").get_data(as_text=True)
    url = _beacon(read, "data-usage-beacon")
    assert url == f"/learning/read/{ids['playbook']}/viewed"
    assert rep.post(url).status_code == 204
    quiz = rep.get(f"/learning/quizzes/{ids['quiz']}/take").get_data(as_text=True)
    assert 'data-source="quiz"' in quiz
    play = _beacon(quiz, "data-play-url")
    assert rep.post(play, data={"seconds": "2.5", "source": "quiz"}).get_json()["recorded"]
    review = rep.get("/learning/review").get_data(as_text=True)
    assert 'data-source="review"' in review and _beacon(review, "data-play-url") == play
    assert rep.post(play, data={"seconds": "1.5", "source": "review"}).get_json()["recorded"]
    with app.app_context():
        events = db.session.execute(select(UsageEvent.kind, UsageEvent.item_type, UsageEvent.meta)
                                    .order_by(UsageEvent.id)).all()
        assert [(k, t, m.get("source")) for k, t, m in events] == [
            (UsageKind.VIEW, "playbook", "track"), (UsageKind.PLAY, "bite", "quiz"), (UsageKind.PLAY, "bite", "review")]
    tables = page_tables(login(Role.ENABLEMENT).get("/reports/usage").get_data(as_text=True))
    header, *rows = tables["items"]
    items = {row[header.index("Item")]: dict(zip(header, row, strict=True)) for row in rows}
    assert items["Price answer"]["Plays"] == "2" and items["Discovery playbook"]["Views"] == "1"
    assert ["Playbook", "Discovery playbook"] not in tables.get("unused", [])


def test_a_read_beacon_for_a_missing_playbook_is_a_404(login, users):
    assert login(Role.REP).post("/learning/read/999999/viewed").status_code == 404
