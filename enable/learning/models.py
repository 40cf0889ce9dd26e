"""Onboarding tracks, quizzes, certifications and the spaced-review queue.

Steps point at content of other capabilities by (kind, item_id) without a foreign key, so a track survives the
content it names being re-cut or retired; `ref` keeps the stable reference a content file used (a playbook slug,
`<sample-slug>#<seq>` for a bite) so an item missing at load time can be resolved later.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable.auth.models import User, enum_column
from enable.db import created_at
from enable.extensions import Model

EXPIRING_DAYS = 30  # a certification shows as expiring this many days before it expires


class StepKind(StrEnum):
    """What a track step asks the learner to do."""

    BITE = "bite"
    PLAYLIST = "playlist"
    PLAYBOOK = "playbook"
    ASSET = "asset"
    QUIZ = "quiz"
    SIGNOFF = "signoff"

    @property
    def label(self) -> str:
        return str(STEP_LABELS[self])


STEP_LABELS = {
    StepKind.BITE: _l("Listen to a bite"),
    StepKind.PLAYLIST: _l("Listen to a playlist"),
    StepKind.PLAYBOOK: _l("Read a playbook"),
    StepKind.ASSET: _l("Open an asset"),
    StepKind.QUIZ: _l("Pass a quiz"),
    StepKind.SIGNOFF: _l("Manager sign-off"),
}


class Track(Model):
    """An ordered list of steps a person works through, e.g. "First 30 days"."""

    __tablename__ = "track"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    is_default: Mapped[bool] = mapped_column(default=False)  # given to new hires of its language automatically
    language: Mapped[str] = mapped_column(String(35), default="en", server_default="en")  # a BCP 47 tag
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None]

    steps: Mapped[list[TrackStep]] = relationship(back_populates="track", cascade="all, delete-orphan",
                                                  passive_deletes=True, order_by="TrackStep.position")

    def __repr__(self) -> str:
        return f"<Track {self.id} {self.slug}>"


class TrackStep(Model):
    """One step of a track; due `due_days` after the assignment starts, when set."""

    __tablename__ = "track_step"

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[StepKind] = mapped_column(enum_column(StepKind, "step_kind"))
    item_id: Mapped[int | None]  # the bite, playlist, playbook, asset or quiz; None for sign-offs and unresolved refs
    ref: Mapped[str | None] = mapped_column(String(200))  # stable reference from a content file
    title: Mapped[str] = mapped_column(String(300))  # for a sign-off: what the manager observes
    due_days: Mapped[int | None]

    track: Mapped[Track] = relationship(back_populates="steps")

    @property
    def is_resolved(self) -> bool:
        """True when the step names an existing item (sign-offs need none)."""
        return self.kind == StepKind.SIGNOFF or self.item_id is not None

    def due_on(self, start: date) -> date | None:
        """The day this step is due for an assignment starting on `start`."""
        return start + timedelta(days=self.due_days) if self.due_days is not None else None


class Assignment(Model):
    """A track given to one person, starting on a day (their hire date for new hires)."""

    __tablename__ = "track_assignment"
    __table_args__ = (Index("ix_track_assignment_user_track", "user_id", "track_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    track_id: Mapped[int] = mapped_column(ForeignKey("track.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    started_on: Mapped[date]
    assigned_at: Mapped[created_at]
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    is_automatic: Mapped[bool] = mapped_column(default=False)  # given because the person was hired
    completed_at: Mapped[datetime | None]  # when the last step was completed

    track: Mapped[Track] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    assigned_by: Mapped[User | None] = relationship(foreign_keys=[assigned_by_id])
    completions: Mapped[list[StepCompletion]] = relationship(back_populates="assignment",
                                                             cascade="all, delete-orphan", passive_deletes=True)


class StepCompletion(Model):
    """When one step of one assignment was completed (and, for sign-offs, by whom)."""

    __tablename__ = "step_completion"
    __table_args__ = (UniqueConstraint("assignment_id", "step_id", name="uq_step_completion_assignment_id_step_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("track_assignment.id", ondelete="CASCADE"), index=True)
    step_id: Mapped[int] = mapped_column(ForeignKey("track_step.id", ondelete="CASCADE"), index=True)
    completed_at: Mapped[datetime]
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    assignment: Mapped[Assignment] = relationship(back_populates="completions")
    given_by: Mapped[User | None] = relationship()


class PlaybookRead(Model):
    """A person read a playbook to its end (the end of the article scrolled into view)."""

    __tablename__ = "playbook_read"
    __table_args__ = (Index("ix_playbook_read_user_playbook", "user_id", "playbook_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    playbook_id: Mapped[int]  # no foreign key: the read is history even when the playbook goes
    read_at: Mapped[datetime]


class QuestionKind(StrEnum):
    """How a question is asked and answered."""

    SINGLE = "single"
    MULTIPLE = "multiple"
    TRUE_FALSE = "true_false"
    LISTEN = "listen"  # listen to a bite, then choose

    @property
    def label(self) -> str:
        return str(QUESTION_LABELS[self])


QUESTION_LABELS = {
    QuestionKind.SINGLE: _l("Single choice"),
    QuestionKind.MULTIPLE: _l("Multiple choice"),
    QuestionKind.TRUE_FALSE: _l("True or false"),
    QuestionKind.LISTEN: _l("Listen to a bite, then answer"),
}


class Quiz(Model):
    """Questions with a pass mark (percent of questions right) and an optional limit on attempts."""

    __tablename__ = "quiz"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    pass_percent: Mapped[int] = mapped_column(default=80)
    max_attempts: Mapped[int | None]  # None: unlimited
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None]

    questions: Mapped[list[Question]] = relationship(back_populates="quiz", cascade="all, delete-orphan",
                                                     passive_deletes=True, order_by="Question.position")

    def __repr__(self) -> str:
        return f"<Quiz {self.id} {self.slug}>"


class Question(Model):
    """One question; the answer is right when exactly the correct options are chosen."""

    __tablename__ = "question"

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, "question_kind"))
    prompt: Mapped[str] = mapped_column(Text)
    explanation: Mapped[str] = mapped_column(Text, default="")  # feedback shown after answering
    bite_id: Mapped[int | None]  # listen questions: the bite to hear first
    bite_ref: Mapped[str | None] = mapped_column(String(200))  # its stable reference from a content file

    quiz: Mapped[Quiz] = relationship(back_populates="questions")
    options: Mapped[list[QuestionOption]] = relationship(back_populates="question", cascade="all, delete-orphan",
                                                         passive_deletes=True, order_by="QuestionOption.position")

    @property
    def correct_ids(self) -> set[int]:
        return {o.id for o in self.options if o.is_correct}

    @property
    def allows_many(self) -> bool:
        """True when the learner may tick several options (checkboxes rather than radio buttons)."""
        return self.kind == QuestionKind.MULTIPLE or (
            self.kind == QuestionKind.LISTEN and sum(o.is_correct for o in self.options) > 1)


class QuestionOption(Model):
    __tablename__ = "question_option"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    text: Mapped[str] = mapped_column(String(500))
    is_correct: Mapped[bool] = mapped_column(default=False)

    question: Mapped[Question] = relationship(back_populates="options")


class QuizAttempt(Model):
    """One submitted attempt at a quiz, with its score."""

    __tablename__ = "quiz_attempt"
    __table_args__ = (Index("ix_quiz_attempt_user_quiz", "user_id", "quiz_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    quiz_id: Mapped[int] = mapped_column(ForeignKey("quiz.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    submitted_at: Mapped[datetime]
    correct_count: Mapped[int]
    question_count: Mapped[int]
    passed: Mapped[bool]

    quiz: Mapped[Quiz] = relationship()
    user: Mapped[User] = relationship()
    answers: Mapped[list[AttemptAnswer]] = relationship(back_populates="attempt", cascade="all, delete-orphan",
                                                        passive_deletes=True, order_by="AttemptAnswer.id")

    @property
    def score_percent(self) -> float:
        return 100.0 * self.correct_count / self.question_count if self.question_count else 0.0

    def scored_at_least(self, percent: int) -> bool:
        """True when the score reaches `percent` (compared in whole numbers, so 8 of 10 reaches 80)."""
        return self.question_count > 0 and self.correct_count * 100 >= percent * self.question_count


class AttemptAnswer(Model):
    """The options a person chose for one question of an attempt."""

    __tablename__ = "attempt_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempt.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int | None] = mapped_column(ForeignKey("question.id", ondelete="SET NULL"), index=True)
    option_ids: Mapped[list[Any]] = mapped_column(default=list)
    is_correct: Mapped[bool]

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")
    question: Mapped[Question | None] = relationship()


class RequirementKind(StrEnum):
    """What a certification asks for."""

    TRACK = "track"  # the track completed
    QUIZ = "quiz"  # the quiz passed at or above a score
    SIGNOFF = "signoff"  # the person's manager signed it off

    @property
    def label(self) -> str:
        return str(REQUIREMENT_LABELS[self])


REQUIREMENT_LABELS = {
    RequirementKind.TRACK: _l("Track completed"),
    RequirementKind.QUIZ: _l("Quiz passed"),
    RequirementKind.SIGNOFF: _l("Manager sign-off"),
}


class Certification(Model):
    """A credential awarded the moment its requirements are met, valid for `valid_days`."""

    __tablename__ = "certification"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    valid_days: Mapped[int] = mapped_column(default=365)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None]

    requirements: Mapped[list[CertificationRequirement]] = relationship(
        back_populates="certification", cascade="all, delete-orphan", passive_deletes=True,
        order_by="CertificationRequirement.position")


class CertificationRequirement(Model):
    __tablename__ = "certification_requirement"

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certification.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[RequirementKind] = mapped_column(enum_column(RequirementKind, "requirement_kind"))
    track_id: Mapped[int | None] = mapped_column(ForeignKey("track.id"), index=True)
    quiz_id: Mapped[int | None] = mapped_column(ForeignKey("quiz.id"), index=True)
    min_score: Mapped[int | None]  # quiz requirements: percent; None means the quiz's pass mark
    text: Mapped[str] = mapped_column(String(300), default="")  # sign-offs: what the manager confirms

    certification: Mapped[Certification] = relationship(back_populates="requirements")
    track: Mapped[Track | None] = relationship()
    quiz: Mapped[Quiz | None] = relationship()

    @property
    def needed_score(self) -> int:
        """The quiz score (percent) this requirement needs."""
        if self.min_score is not None:
            return self.min_score
        return self.quiz.pass_percent if self.quiz is not None else 100


class Signoff(Model):
    """A manager's sign-off of one certification requirement for one person."""

    __tablename__ = "signoff"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    requirement_id: Mapped[int] = mapped_column(ForeignKey("certification_requirement.id", ondelete="CASCADE"),
                                                index=True)
    given_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    given_at: Mapped[datetime]

    given_by: Mapped[User | None] = relationship(foreign_keys=[given_by_id])


class AwardStatus(StrEnum):
    """Where a certification award stands on a given day."""

    VALID = "valid"
    EXPIRING = "expiring"
    EXPIRED = "expired"

    @property
    def label(self) -> str:
        return str(AWARD_LABELS[self])


AWARD_LABELS = {
    AwardStatus.VALID: _l("Valid"),
    AwardStatus.EXPIRING: _l("Expiring"),
    AwardStatus.EXPIRED: _l("Expired"),
}


class CertificationAward(Model):
    """One award of a certification to a person; a renewal is a new award."""

    __tablename__ = "certification_award"
    __table_args__ = (Index("ix_certification_award_user_cert", "user_id", "certification_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    certification_id: Mapped[int] = mapped_column(ForeignKey("certification.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    awarded_at: Mapped[datetime] = mapped_column(index=True)  # the moment the last requirement was met
    expires_at: Mapped[datetime]
    evidence: Mapped[dict[str, Any]] = mapped_column(default=dict)  # which attempt, assignment and sign-offs

    certification: Mapped[Certification] = relationship()
    user: Mapped[User] = relationship()
    ack_tasks: Mapped[list[AckTask]] = relationship(back_populates="award", cascade="all, delete-orphan",
                                                    passive_deletes=True, order_by="AckTask.created_at")

    def status(self, now: datetime) -> AwardStatus:
        if now >= self.expires_at:
            return AwardStatus.EXPIRED
        if now >= self.expires_at - timedelta(days=EXPIRING_DAYS):
            return AwardStatus.EXPIRING
        return AwardStatus.VALID

    @property
    def needs_attention(self) -> bool:
        """True while a change to a playbook it depends on waits to be acknowledged."""
        return any(t.acknowledged_at is None for t in self.ack_tasks)


class AckTask(Model):
    """A holder's task to acknowledge a playbook change their certification depends on."""

    __tablename__ = "ack_task"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    award_id: Mapped[int] = mapped_column(ForeignKey("certification_award.id", ondelete="CASCADE"), index=True)
    playbook_id: Mapped[int]
    playbook_version_id: Mapped[int | None]
    created_at: Mapped[datetime]
    acknowledged_at: Mapped[datetime | None]

    award: Mapped[CertificationAward] = relationship(back_populates="ack_tasks")


class ReviewCard(Model):
    """One question in one person's spaced-review queue, with its FSRS state."""

    __tablename__ = "review_card"
    __table_args__ = (UniqueConstraint("user_id", "question_id", name="uq_review_card_user_id_question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("question.id", ondelete="CASCADE"), index=True)
    card: Mapped[dict[str, Any]] = mapped_column(default=dict)  # fsrs.Card.to_dict()
    due_at: Mapped[datetime] = mapped_column(index=True)
    reviews: Mapped[int] = mapped_column(default=0)
    lapses: Mapped[int] = mapped_column(default=0)
    last_reviewed_at: Mapped[datetime | None]
    created_at: Mapped[created_at]

    question: Mapped[Question] = relationship()


class ReviewSource(StrEnum):
    QUIZ = "quiz"  # answered in a quiz attempt
    REVIEW = "review"  # answered in the daily review


class ReviewLog(Model):
    """One answer that updated a review card's schedule."""

    __tablename__ = "review_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    card_id: Mapped[int] = mapped_column(ForeignKey("review_card.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    is_correct: Mapped[bool]
    source: Mapped[ReviewSource] = mapped_column(enum_column(ReviewSource, "review_source"))
    interval_days: Mapped[float]  # time until the card is next due
    reviewed_at: Mapped[datetime] = mapped_column(index=True)

    card: Mapped[ReviewCard] = relationship()
