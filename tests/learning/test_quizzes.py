"""Quizzes: grading each kind of question, pass marks, attempt limits, feedback, and editing in the browser."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from enable.auth.models import Role, User
from enable.extensions import db
from enable.learning import quizzes
from enable.learning.models import Question, QuestionKind, Quiz
from tests.factories import make_user
from tests.learning.factories import AUDIO, T0, answers, make_bite, make_quiz


def _question(quiz, kind, options, **extra):
    return quizzes.save_question(quiz, None, kind=kind, prompt=f"{kind.value}?", explanation="why",
                                 options=[quizzes.OptionSpec(t, c) for t, c in options], actor=None, now=T0, **extra)


def test_each_kind_of_question_is_graded_on_exactly_the_right_options(app):
    with app.app_context():
        rep = make_user()
        quiz = make_quiz(n_questions=0, pass_percent=50)
        single = _question(quiz, QuestionKind.SINGLE, [("a", True), ("b", False)])
        multi = _question(quiz, QuestionKind.MULTIPLE, [("a", True), ("b", True), ("c", False)])
        truth = quizzes.save_question(quiz, None, kind=QuestionKind.TRUE_FALSE, prompt="Sky is green.",
                                      explanation="", options=quizzes.true_false_options(False), actor=None, now=T0)
        bite = make_bite()
        listen = _question(quiz, QuestionKind.LISTEN, [("x", False), ("y", True)], bite_ref=str(bite.id))
        ids = {q: [o.id for o in q.options] for q in (single, multi, truth, listen)}
        attempt = quizzes.submit_attempt(rep, quiz, {
            single.id: {ids[single][0], ids[single][1]},  # two ticks on a single-choice question: wrong
            multi.id: {ids[multi][0]},  # one of two right options: wrong
            truth.id: {ids[truth][1]},  # "false": right
            listen.id: {ids[listen][1]},
        }, T0)
        assert [a.is_correct for a in attempt.answers] == [False, False, True, True]
        assert (attempt.correct_count, attempt.question_count, attempt.passed) == (2, 4, True)  # 50% of 50%
        attempt = quizzes.submit_attempt(rep, quiz, {multi.id: set(ids[multi][:2])}, T0)
        assert [a.is_correct for a in attempt.answers] == [False, True, False, False]  # unanswered are wrong
        assert not attempt.passed


@pytest.mark.parametrize(("right", "passed"), [(7, False), (8, True), (10, True)])
def test_the_pass_mark_is_a_percent_of_questions(app, right, passed):
    with app.app_context():
        quiz = make_quiz(n_questions=10, pass_percent=80)
        attempt = quizzes.submit_attempt(make_user(), quiz, answers(quiz, right), T0)
        assert attempt.passed is passed and attempt.score_percent == right * 10


def test_attempts_can_be_limited(app):
    with app.app_context():
        rep = make_user()
        limited, free = make_quiz(n_questions=2, max_attempts=2), make_quiz(n_questions=2)
        for _ in range(2):
            quizzes.submit_attempt(rep, limited, {}, T0)
        assert quizzes.attempts_left(rep, limited) == 0
        with pytest.raises(quizzes.NoAttemptsLeft):
            quizzes.submit_attempt(rep, limited, {}, T0)
        for _ in range(5):
            quizzes.submit_attempt(rep, free, {}, T0)
        assert quizzes.attempts_left(rep, free) is None


def test_invalid_questions_are_refused_with_a_reason(app):
    with app.app_context():
        quiz = make_quiz(n_questions=0)
        cases = [(QuestionKind.SINGLE, [("a", True), ("b", True)], "exactly one correct"),
                 (QuestionKind.MULTIPLE, [("a", False), ("b", False)], "at least one option as correct"),
                 (QuestionKind.SINGLE, [("only", True)], "at least two"),
                 (QuestionKind.LISTEN, [("a", True), ("b", False)], "needs the bite")]
        for kind, options, message in cases:
            with pytest.raises(quizzes.QuizInvalid, match=message):
                _question(quiz, kind, options)
        with pytest.raises(quizzes.QuizInvalid, match="No bite matches"):
            _question(quiz, QuestionKind.LISTEN, [("a", True), ("b", False)], bite_ref="/bites/999999")


def test_taking_a_quiz_in_the_browser_shows_feedback_per_question(app, login, users):
    with app.app_context():
        quiz = make_quiz(n_questions=0, pass_percent=50, title="Price talk")
        bite = make_bite(media=AUDIO / "short_en.ogg", title="Northwind price objection")
        _question(quiz, QuestionKind.LISTEN, [("A discount", False), ("A smaller scope", True)],
                  bite_ref=f"/bites/{bite.id}")
        _question(quiz, QuestionKind.SINGLE, [("Ask their number", True), ("Discount", False)])
        db.session.commit()
        quiz_id = quiz.id
        [listen, single] = quiz.questions
        form = {f"q{listen.id}": str(listen.options[1].id), f"q{single.id}": str(single.options[1].id)}
    client = login(Role.REP)
    page = client.get(f"/learning/quizzes/{quiz_id}/take").get_data(as_text=True)
    assert "<audio" in page and "/calls/" in page and "#t=10.00,110.00" in page  # listen, then answer
    assert 'type="radio"' in page and "Unlimited attempts" in page
    response = client.post(f"/learning/quizzes/{quiz_id}/take", data=form)
    assert response.status_code == 302
    result = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "50%" in result and "Passed" in result
    assert result.count("Right") >= 1 and "Wrong" in result and result.count("why") == 2
    assert "your answer" in result


def test_someone_elses_attempt_is_not_shown(app, login, users):
    with app.app_context():
        quiz = make_quiz(n_questions=1)
        attempt = quizzes.submit_attempt(make_user(), quiz, {}, T0)
        db.session.commit()
        attempt_id = attempt.id
    assert login(Role.REP).get(f"/learning/attempts/{attempt_id}").status_code == 404
    assert login(Role.ENABLEMENT).get(f"/learning/attempts/{attempt_id}").status_code == 200


def test_enablement_edits_questions_in_the_browser(app, login):
    client = login(Role.ENABLEMENT)
    response = client.post("/learning/quizzes/new", data={"title": "Discovery", "pass_percent": "70",
                                                          "max_attempts": "3"})
    assert response.status_code == 302
    quiz_url = response.headers["Location"]
    quiz_id = int(re.search(r"/quizzes/(\d+)/", quiz_url)[1])
    options = {f"options-{i}-text": text for i, text in enumerate(["Talk 60%", "Talk 20%", ""])}
    single = {"kind": "single", "prompt": "How much should the buyer talk?", "explanation": "Listen more.",
              "answer": "true", **options, "options-0-is_correct": "y"}
    assert client.post(f"/learning/quizzes/{quiz_id}/questions/new", data=single).status_code == 302
    truth = {"kind": "true_false", "prompt": "Attack the competitor.", "answer": "false"}
    assert client.post(f"/learning/quizzes/{quiz_id}/questions/new", data=truth).status_code == 302
    bad = {**single, "options-1-is_correct": "y"}
    refused = client.post(f"/learning/quizzes/{quiz_id}/questions/new", data=bad)
    assert refused.status_code == 422 and "exactly one correct" in refused.get_data(as_text=True)
    with app.app_context():
        quiz = db.session.get(Quiz, quiz_id)
        assert (quiz.pass_percent, quiz.max_attempts) == (70, 3)
        first, second = quiz.questions
        assert [(o.text, o.is_correct) for o in first.options] == [("Talk 60%", True), ("Talk 20%", False)]
        assert [(o.text, o.is_correct) for o in second.options] == [("true", False), ("false", True)]
        first_id, second_id, kept_option = first.id, second.id, first.options[0].id
    edit = {**single, "prompt": "Buyer talk share?", "options-2-text": "Talk 40%"}
    assert client.post(f"/learning/questions/{first_id}", data=edit).status_code == 302
    assert client.post(f"/learning/questions/{second_id}/move", data={"direction": "up"}).status_code == 302
    page = client.get(quiz_url).get_data(as_text=True)
    assert page.index("Attack the competitor.") < page.index("Buyer talk share?")
    assert client.post(f"/learning/questions/{second_id}/delete").status_code == 302
    with app.app_context():
        [question] = db.session.scalars(select(Question).where(Question.quiz_id == quiz_id)).all()
        assert question.prompt == "Buyer talk share?" and len(question.options) == 3
        assert question.options[0].id == kept_option  # edited in place: past answers still point at it


def test_a_rep_cannot_edit_quizzes(app, login, users):
    with app.app_context():
        quiz = make_quiz(n_questions=1)
        db.session.commit()
        quiz_id, question_id = quiz.id, quiz.questions[0].id
    rep = login(Role.REP)
    assert rep.post(f"/learning/questions/{question_id}/delete").status_code == 403
    assert rep.post(f"/learning/quizzes/{quiz_id}/edit", data={"title": "Mine", "pass_percent": "1"}).status_code \
        == 403
    with app.app_context():
        assert db.session.get(Quiz, quiz_id).questions and db.session.get(User, users[Role.REP]) is not None
