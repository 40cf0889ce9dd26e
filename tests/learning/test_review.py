"""Spaced review with FSRS: answered questions enter the queue; intervals grow after right answers and shrink after
a lapse; the daily review updates the schedule and the home page shows how many are due."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from enable.auth.models import Role, User
from enable.extensions import db
from enable.learning import quizzes, review
from enable.learning.models import ReviewCard, ReviewLog, ReviewSource
from tests.factories import make_user
from tests.learning.factories import T0, answers, make_quiz

DAY = timedelta(days=1)


def _intervals(pattern: str) -> list[float]:
    """Days until due after each answer (R right, W wrong), each answered when due."""
    card, now, out = None, T0, []
    for mark in pattern:
        scheduled = review.schedule(card, 1, mark == "R", now)
        out.append(scheduled.interval_days)
        card, now = scheduled.card, scheduled.due_at
    return out


def test_intervals_grow_after_right_answers():
    days = _intervals("RRRRR")
    assert days == sorted(days) and len(set(days)) == len(days)  # strictly growing
    assert days[0] >= 1  # a daily review: never sooner than tomorrow
    assert days[-1] > 30


def test_a_lapse_shrinks_the_interval_and_it_grows_again():
    days = _intervals("RRRRWRR")
    assert days[4] < days[3]  # the wrong answer brings the question back much sooner
    assert days[4] >= 1
    assert days[5] > days[4] and days[6] > days[5]
    assert days[6] < _intervals("RRRRRRR")[6]  # and it stays behind a card never forgotten


def test_a_first_wrong_answer_comes_back_sooner_than_a_first_right_one():
    assert _intervals("W")[0] < _intervals("R")[0]


def test_the_same_answers_give_the_same_schedule():
    assert _intervals("RWRR") == _intervals("RWRR")


def test_every_question_answered_in_a_quiz_enters_the_queue(app):
    with app.app_context():
        rep = make_user()
        quiz = make_quiz(n_questions=4)
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=2), T0)
        cards = db.session.scalars(select(ReviewCard).where(ReviewCard.user_id == rep.id)).all()
        assert len(cards) == 4
        right = [c for c in cards if c.question_id in {q.id for q in quiz.questions[:2]}]
        wrong = [c for c in cards if c not in right]
        assert all(c.due_at > T0 + DAY for c in right) and all(c.due_at <= T0 + DAY for c in wrong)
        assert review.due_count(rep, T0) == 0
        assert review.due_count(rep, T0 + DAY) == 2  # the two wrong ones come back tomorrow
        assert review.due_count(rep, T0 + 30 * DAY) == 4
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=4), T0 + 2 * DAY)
        assert db.session.scalar(select(db.func.count(ReviewCard.id)).where(ReviewCard.user_id == rep.id)) == 4


def test_answering_a_due_question_reschedules_it(app):
    with app.app_context():
        rep = make_user()
        quiz = make_quiz(n_questions=1)
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=1), T0)
        card = review.next_due(rep, T0 + 30 * DAY)
        before = card.due_at
        with pytest.raises(review.NothingToReview):
            review.answer_review(rep, card.id, card.question.correct_ids, T0)  # not due yet
        card, correct = review.answer_review(rep, card.id, card.question.correct_ids, T0 + 30 * DAY)
        assert correct and card.due_at > before + 30 * DAY and card.reviews == 2
        wrong = {o.id for o in card.question.options if not o.is_correct}
        card, correct = review.answer_review(rep, card.id, wrong, card.due_at)
        assert not correct and card.lapses == 1
        sources = db.session.scalars(select(ReviewLog.source).order_by(ReviewLog.id)).all()
        assert sources == [ReviewSource.QUIZ, ReviewSource.REVIEW, ReviewSource.REVIEW]


def test_the_daily_review_is_capped(app):
    with app.app_context():
        rep = make_user()
        quiz = make_quiz(n_questions=review.DAILY_CAP + 5)
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=0), T0)
        later = T0 + 2 * DAY
        assert review.due_total(rep, later) == review.DAILY_CAP + 5
        assert review.due_count(rep, later) == review.DAILY_CAP
        for _ in range(review.DAILY_CAP):
            card = review.next_due(rep, later)
            review.answer_review(rep, card.id, card.question.correct_ids, later)
        assert review.due_count(rep, later) == 0 and review.next_due(rep, later) is None
        assert review.due_count(rep, later + DAY) == 5


def test_the_review_page_asks_grades_and_explains(app, login, users):
    with app.app_context():
        rep = db.session.get(User, users[Role.REP])
        quiz = make_quiz(n_questions=2)
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=0), T0)  # long ago: both are due now
        db.session.commit()
        first = quiz.questions[0]
        right_option = next(o.id for o in first.options if o.is_correct)
    client = login(Role.REP)
    home = client.get("/").get_data(as_text=True)
    assert "data-reviews-due>2<" in home  # the rep's home page shows how many are due
    page = client.get("/learning/review").get_data(as_text=True)
    assert "Question 1?" in page and "2 questions left today" in page
    card_id = int(page.split('/learning/review/')[1].split('"')[0])
    response = client.post(f"/learning/review/{card_id}", data={"answer": str(right_option)})
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Right" in page and "Because 1." in page and "Question 2?" in page
    again = client.post(f"/learning/review/{card_id}", data={"answer": str(right_option)})  # resubmitted
    assert again.status_code == 302
    assert "1 question left today" in client.get("/learning/review").get_data(as_text=True)
