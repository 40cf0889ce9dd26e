"""Scorecards, their versions and questions; scores of calls and their answers; feedback requests."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable.auth.models import User, enum_column
from enable.db import created_at
from enable.extensions import Model


class QuestionKind(StrEnum):
    YES_NO = "yes_no"
    SCALE = "scale"  # 1 to 5
    CHOICE = "choice"  # one of the options, each worth a share of the question's weight
    TEXT = "text"  # free text, never counted in the total

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    QuestionKind.YES_NO: _l("Yes or no"),
    QuestionKind.SCALE: _l("Scale 1 to 5"),
    QuestionKind.CHOICE: _l("Multiple choice"),
    QuestionKind.TEXT: _l("Text"),
}


class Scorecard(Model):
    """What enablement asks about calls: for every call or for one deal stage; its questions live in versions."""

    __tablename__ = "scorecard"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str | None] = mapped_column(String(80), unique=True)  # set when a content file defines it
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    stage: Mapped[str | None] = mapped_column(String(60))  # a stage tag key; None = every call
    is_active: Mapped[bool] = mapped_column(default=True)  # archived scorecards accept no new scores
    created_at: Mapped[created_at]

    versions: Mapped[list[ScorecardVersion]] = relationship(
        back_populates="scorecard", order_by="ScorecardVersion.number", cascade="all, delete-orphan")

    @property
    def current(self) -> ScorecardVersion | None:
        return self.versions[-1] if self.versions else None


class ScorecardVersion(Model):
    """One state of a scorecard's questions; scores point at the version they answered, so they keep its questions."""

    __tablename__ = "scorecard_version"
    __table_args__ = (UniqueConstraint("scorecard_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    scorecard_id: Mapped[int] = mapped_column(ForeignKey("scorecard.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[created_at]

    scorecard: Mapped[Scorecard] = relationship(back_populates="versions")
    questions: Mapped[list[ScorecardQuestion]] = relationship(back_populates="version",
                                                              order_by="ScorecardQuestion.position",
                                                              cascade="all, delete-orphan")


class ScorecardQuestion(Model):
    __tablename__ = "scorecard_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_version.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[QuestionKind] = mapped_column(enum_column(QuestionKind, "scorecard_question_kind"))
    prompt: Mapped[str] = mapped_column(String(500))
    weight: Mapped[int] = mapped_column(default=1)  # 0 for text questions
    options: Mapped[list[Any]] = mapped_column(default=list)  # choice: [{"label": str, "points": 0..100}]

    version: Mapped[ScorecardVersion] = relationship(back_populates="questions")


class CallScore(Model):
    """One person's scoring of one call against one scorecard version: each scoring is its own row, so two managers
    scoring the same call at once both keep theirs."""

    __tablename__ = "call_score"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("scorecard_version.id", ondelete="CASCADE"), index=True)
    scorer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    is_self: Mapped[bool] = mapped_column(default=False)
    total_pct: Mapped[float | None]  # weighted score 0..100; None when nothing counted was answered
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[created_at] = mapped_column(index=True)

    version: Mapped[ScorecardVersion] = relationship()
    scorer: Mapped[User | None] = relationship(foreign_keys=[scorer_id])
    rep: Mapped[User | None] = relationship(foreign_keys=[rep_id])
    answers: Mapped[list[ScoreAnswer]] = relationship(back_populates="score", cascade="all, delete-orphan",
                                                      order_by="ScoreAnswer.id")


class ScoreAnswer(Model):
    __tablename__ = "score_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    score_id: Mapped[int] = mapped_column(ForeignKey("call_score.id", ondelete="CASCADE"), index=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("scorecard_question.id", ondelete="CASCADE"), index=True)
    value: Mapped[str] = mapped_column(Text, default="")  # yes/no, 1..5, the option's index, or the text
    points: Mapped[float | None]  # 0..1 of the question's weight; None when not counted
    moment_s: Mapped[float | None]  # the second of the call the answer points at

    score: Mapped[CallScore] = relationship(back_populates="answers")
    question: Mapped[ScorecardQuestion] = relationship()


class FeedbackRequest(Model):
    """A rep asks their manager for feedback on a call; fulfilled when that manager (or another) scores it."""

    __tablename__ = "feedback_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    manager_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None]
    created_at: Mapped[created_at]
    fulfilled_at: Mapped[datetime | None]
    score_id: Mapped[int | None] = mapped_column(ForeignKey("call_score.id", ondelete="SET NULL"))
    reminded_on: Mapped[date | None]  # the last day a reminder went out

    call = relationship("Call")
    rep: Mapped[User] = relationship(foreign_keys=[rep_id])
    manager: Mapped[User] = relationship(foreign_keys=[manager_id])
