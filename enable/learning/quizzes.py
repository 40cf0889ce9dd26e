"""Quizzes: editing questions and options, taking a quiz, grading it with feedback per question."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from enable import audit
from enable.auth.models import User
from enable.database import lock_row
from enable.display_names import clean_name
from enable.errors import UserError
from enable.extensions import db
from enable.learning import refs, review
from enable.learning.models import (
    AttemptAnswer,
    CertificationRequirement,
    Question,
    QuestionKind,
    QuestionOption,
    Quiz,
    QuizAttempt,
    ReviewSource,
    StepKind,
    TrackStep,
)
from enable.learning.tracks import SLUG_RE, NotFound, can_view_person, slugify, sync_progress, unique_slug

MAX_OPTIONS = 8


class QuizInvalid(UserError):
    """A quiz or question edit that cannot be saved as asked."""

    status_code = 422


class NoAttemptsLeft(UserError):
    status_code = 409


@dataclass(frozen=True)
class OptionSpec:
    text: str
    is_correct: bool


@dataclass(frozen=True)
class Feedback:
    """One question of a submitted attempt: what was chosen, what was right, and why."""

    question: Question
    chosen: set[int]
    is_correct: bool
    bite: refs.Item | None


def list_quizzes() -> list[Quiz]:
    """Every quiz with its questions, by title."""
    return list(db.session.scalars(select(Quiz).options(selectinload(Quiz.questions)).order_by(Quiz.title)))


def get_quiz(quiz_id: int) -> Quiz:
    """The quiz with its questions and options, else NotFound."""
    quiz = db.session.scalar(select(Quiz).where(Quiz.id == quiz_id).options(
        selectinload(Quiz.questions).selectinload(Question.options)))
    if quiz is None:
        raise NotFound(_("This quiz does not exist."))
    return quiz


def save_quiz(quiz: Quiz | None, *, title: str, description: str, pass_percent: int, max_attempts: int | None,
              actor: User | None, now: datetime, slug: str | None = None) -> Quiz:
    """Create or edit a quiz's title, pass mark (percent) and attempt limit (None: unlimited)."""
    title = clean_name(title)
    if not title:
        raise QuizInvalid(_("A quiz needs a title."))
    if not 0 < pass_percent <= 100:
        raise QuizInvalid(_("The pass mark is a percent between 1 and 100."))
    if max_attempts is not None and max_attempts < 1:
        raise QuizInvalid(_("Allow at least one attempt, or leave the limit empty for unlimited attempts."))
    if slug is not None and not SLUG_RE.match(slug):
        raise QuizInvalid(_("A slug uses lower-case letters, digits, - and _ only."))
    if quiz is None:
        quiz = Quiz(slug=unique_slug(Quiz, slug or slugify(title)))
        db.session.add(quiz)
    else:
        quiz.updated_at = now
    quiz.title, quiz.description = title, description.strip()
    quiz.pass_percent, quiz.max_attempts = pass_percent, max_attempts
    db.session.flush()
    audit.record(actor, "quiz.save", quiz, {"title": title}, at=now)
    return quiz


def check_question(kind: QuestionKind, prompt: str, options: list[OptionSpec], bite_ref: str) -> None:
    """Raise QuizInvalid unless the question can be asked and graded."""
    if not prompt.strip():
        raise QuizInvalid(_("A question needs its text."))
    if kind == QuestionKind.LISTEN and not bite_ref.strip():
        raise QuizInvalid(_("A listening question needs the bite to listen to."))
    if kind == QuestionKind.TRUE_FALSE:
        if sum(o.is_correct for o in options) != 1 or len(options) != 2:
            raise QuizInvalid(_("Say whether the statement is true or false."))
        return
    if len(options) < 2:
        raise QuizInvalid(_("Give at least two answer options."))
    if len(options) > MAX_OPTIONS:
        raise QuizInvalid(_("Give at most %(n)d answer options.", n=MAX_OPTIONS))
    right = sum(o.is_correct for o in options)
    if right == 0:
        raise QuizInvalid(_("Mark at least one option as correct."))
    if kind == QuestionKind.SINGLE and right != 1:
        raise QuizInvalid(_("A single-choice question has exactly one correct option."))


def true_false_options(answer: bool) -> list[OptionSpec]:
    """The two options of a true-or-false question (their text is translated when shown)."""
    return [OptionSpec("true", answer), OptionSpec("false", not answer)]


def save_question(quiz: Quiz, question: Question | None, *, kind: QuestionKind, prompt: str, explanation: str,
                  options: list[OptionSpec], bite_ref: str = "", actor: User | None, now: datetime,
                  resolve_bite: bool = True) -> Question:
    """Add or edit a question; options are matched by position so past answers keep pointing at them."""
    options = [OptionSpec(o.text.strip(), o.is_correct) for o in options if o.text.strip()]
    check_question(kind, prompt, options, bite_ref)
    bite_id = None
    if bite_ref.strip():
        bite_id = refs.resolve(StepKind.BITE, bite_ref)
        if bite_id is None and resolve_bite:
            raise QuizInvalid(_("No bite matches “%(ref)s”; give its id or page link (/bites/12).", ref=bite_ref))
    if question is None:
        question = Question(quiz=quiz, position=len(quiz.questions))
        db.session.add(question)
    question.kind, question.prompt, question.explanation = kind, prompt.strip(), explanation.strip()
    question.bite_id, question.bite_ref = bite_id, bite_ref.strip() or None
    existing = list(question.options)
    for position, spec in enumerate(options):
        if position < len(existing):
            option = existing[position]
        else:
            option = QuestionOption(question=question)
            db.session.add(option)
        option.position, option.text, option.is_correct = position, spec.text[:500], spec.is_correct
    for extra in existing[len(options):]:
        question.options.remove(extra)
    quiz.updated_at = now
    db.session.flush()
    audit.record(actor, "quiz.question_save", quiz, {"question_id": question.id}, at=now)
    return question


def move_question(question: Question, offset: int, now: datetime) -> None:
    """Move a question up (-1) or down (+1)."""
    questions = list(question.quiz.questions)
    i = questions.index(question)
    questions.insert(min(max(i + offset, 0), len(questions) - 1), questions.pop(i))
    for position, q in enumerate(questions):
        q.position = position
    question.quiz.updated_at = now
    db.session.flush()


def delete_question(question: Question, actor: User | None, now: datetime) -> None:
    """Remove a question (its review cards go with it; past attempts keep their scores)."""
    quiz = question.quiz
    quiz.questions.remove(question)
    for position, q in enumerate(quiz.questions):
        q.position = position
    quiz.updated_at = now
    db.session.flush()
    audit.record(actor, "quiz.question_delete", quiz, {"prompt": question.prompt[:100]}, at=now)


def delete_quiz(quiz: Quiz, actor: User | None) -> None:
    """Delete a quiz no track or certification uses."""
    used = db.session.scalar(select(func.count(TrackStep.id)).where(TrackStep.kind == StepKind.QUIZ,
                                                                    TrackStep.item_id == quiz.id))
    required = db.session.scalar(select(func.count(CertificationRequirement.id))
                                 .where(CertificationRequirement.quiz_id == quiz.id))
    if used or required:
        raise QuizInvalid(_("Tracks or certifications use this quiz; remove it from them first."))
    audit.record(actor, "quiz.delete", quiz, {"title": quiz.title})
    db.session.delete(quiz)
    db.session.flush()


def attempts_used(user: User, quiz: Quiz) -> int:
    return db.session.scalar(select(func.count(QuizAttempt.id)).where(QuizAttempt.user_id == user.id,
                                                                      QuizAttempt.quiz_id == quiz.id)) or 0


def attempts_left(user: User, quiz: Quiz) -> int | None:
    """Attempts the user may still make; None when unlimited."""
    return None if quiz.max_attempts is None else max(0, quiz.max_attempts - attempts_used(user, quiz))


def best_attempt(user: User, quiz: Quiz) -> QuizAttempt | None:
    """The user's highest-scoring attempt (the earliest of equals)."""
    attempts = db.session.scalars(select(QuizAttempt).where(QuizAttempt.user_id == user.id,
                                                            QuizAttempt.quiz_id == quiz.id)
                                  .order_by(QuizAttempt.submitted_at))
    return max(attempts, key=lambda a: a.score_percent, default=None)


def submit_attempt(user: User, quiz: Quiz, answers: dict[int, set[int]], now: datetime) -> QuizAttempt:
    """Grade an attempt (a question is right when exactly its correct options are chosen; unanswered is wrong),
    put every question into the user's review queue, and update their progress and certifications."""
    if not quiz.questions:
        raise QuizInvalid(_("This quiz has no questions yet."))
    lock_row(user)  # attempts submitted at once are counted one after another
    if attempts_left(user, quiz) == 0:
        raise NoAttemptsLeft(_("You have used all %(n)d attempts at this quiz; ask enablement for another.",
                               n=quiz.max_attempts))
    attempt = QuizAttempt(quiz=quiz, user_id=user.id, submitted_at=now, correct_count=0,
                          question_count=len(quiz.questions), passed=False)
    db.session.add(attempt)
    for question in quiz.questions:
        valid = {o.id for o in question.options}
        chosen = answers.get(question.id, set()) & valid
        if not question.allows_many and len(chosen) > 1:
            chosen = set()
        correct = bool(chosen) and chosen == question.correct_ids
        attempt.answers.append(AttemptAnswer(question_id=question.id, option_ids=sorted(chosen), is_correct=correct))
        attempt.correct_count += correct
        review.record_answer(user, question, correct, ReviewSource.QUIZ, now)
    attempt.passed = attempt.scored_at_least(quiz.pass_percent)
    db.session.flush()
    sync_progress(user, now)
    return attempt


def visible_attempt(viewer: User, attempt_id: int) -> QuizAttempt:
    """An attempt the viewer may see (theirs, their team's, or anyone's for enablement), else NotFound."""
    attempt = db.session.get(QuizAttempt, attempt_id)
    if attempt is None or not can_view_person(viewer, attempt.user):
        raise NotFound(_("This quiz attempt does not exist or is not yours to see."))
    return attempt


def feedback(attempt: QuizAttempt) -> list[Feedback]:
    """Per question of the attempt: the options chosen, whether that was right, and the bite heard."""
    bite_ids = {(StepKind.BITE, a.question.bite_id) for a in attempt.answers if a.question and a.question.bite_id}
    bites = refs.describe(bite_ids)
    return [Feedback(a.question, set(a.option_ids), a.is_correct,
                     bites.get((StepKind.BITE, a.question.bite_id)) if a.question.bite_id else None)
            for a in attempt.answers if a.question is not None]


def bites_for(questions: list[Question]) -> dict[int, refs.Item]:
    """The bite of each listening question, by question id (resolving content-file references made earlier)."""
    for q in questions:
        if q.bite_id is None and q.bite_ref:
            q.bite_id = refs.resolve(StepKind.BITE, q.bite_ref)
    found = refs.describe({(StepKind.BITE, q.bite_id) for q in questions if q.bite_id})
    return {q.id: found[(StepKind.BITE, q.bite_id)] for q in questions
            if q.bite_id and (StepKind.BITE, q.bite_id) in found}
