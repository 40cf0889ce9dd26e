"""Spaced review: every answered question enters its person's queue, scheduled with FSRS.

The scheduler has no intra-day learning steps: a review queue done once a day needs intervals in days, so a
first right answer comes back in about two days and a wrong one the next day, and each answer updates the schedule.
Fuzzing is off so the same answers always give the same schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from flask_babel import gettext as _
from fsrs import Card, Rating, Scheduler
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from enable.auth.models import User
from enable.errors import UserError
from enable.extensions import db
from enable.learning.models import Question, ReviewCard, ReviewLog, ReviewSource

DAILY_CAP = 20  # reviews a day: a few minutes' worth
SCHEDULER = Scheduler(learning_steps=(), relearning_steps=(), enable_fuzzing=False)


@dataclass(frozen=True)
class Scheduled:
    """A card's new FSRS state after one answer."""

    card: dict[str, Any]
    due_at: datetime
    interval_days: float


def schedule(card: dict[str, Any] | None, card_id: int, correct: bool, now: datetime) -> Scheduled:
    """Apply one answer (right -> Good, wrong -> Again) at `now` to a card's FSRS state (None: a new card)."""
    now = now.astimezone(UTC)
    current = Card.from_dict(cast(Any, card)) if card else Card(card_id=card_id, due=now)
    updated, _log = SCHEDULER.review_card(current, Rating.Good if correct else Rating.Again, now)
    return Scheduled(dict(updated.to_dict()), updated.due, (updated.due - now).total_seconds() / 86400)


class NothingToReview(UserError):
    """The card is not due (already answered, or not this person's)."""

    status_code = 409


def record_answer(user: User, question: Question, correct: bool, source: ReviewSource, now: datetime) -> ReviewCard:
    """Put the question in the user's queue (when new) and reschedule it after this answer."""
    card = db.session.scalar(select(ReviewCard).where(ReviewCard.user_id == user.id,
                                                      ReviewCard.question_id == question.id))
    if card is None:
        card = ReviewCard(user_id=user.id, question_id=question.id, card={}, due_at=now)
        db.session.add(card)
        db.session.flush()
    result = schedule(card.card or None, card.id, correct, now)
    card.card, card.due_at = result.card, result.due_at
    card.reviews += 1
    card.lapses += 0 if correct else 1
    card.last_reviewed_at = now
    db.session.add(ReviewLog(card_id=card.id, user_id=user.id, is_correct=correct, source=source,
                             interval_days=result.interval_days, reviewed_at=now))
    db.session.flush()
    return card


def _day_start(now: datetime) -> datetime:
    return now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def reviewed_today(user: User, now: datetime) -> int:
    """Daily-review answers the user gave since midnight UTC."""
    return db.session.scalar(select(func.count(ReviewLog.id)).where(
        ReviewLog.user_id == user.id, ReviewLog.source == ReviewSource.REVIEW,
        ReviewLog.reviewed_at >= _day_start(now))) or 0


def due_total(user: User, now: datetime) -> int:
    """Every card of the user due by `now`, without the daily cap."""
    return db.session.scalar(select(func.count(ReviewCard.id)).where(
        ReviewCard.user_id == user.id, ReviewCard.due_at <= now)) or 0


def due_count(user: User, now: datetime) -> int:
    """How many questions the user has left to review today (due ones, up to the daily cap)."""
    return max(0, min(due_total(user, now), DAILY_CAP - reviewed_today(user, now)))


def next_due(user: User, now: datetime) -> ReviewCard | None:
    """The most overdue card to review now, or None when nothing is due or today's cap is reached."""
    if due_count(user, now) == 0:
        return None
    return db.session.scalar(
        select(ReviewCard).where(ReviewCard.user_id == user.id, ReviewCard.due_at <= now)
        .options(selectinload(ReviewCard.question).selectinload(Question.options))
        .order_by(ReviewCard.due_at, ReviewCard.id).limit(1))


def answer_review(user: User, card_id: int, option_ids: set[int], now: datetime) -> tuple[ReviewCard, bool]:
    """Grade a daily-review answer and reschedule the card; returns the card and whether the answer was right."""
    card = db.session.get(ReviewCard, card_id)
    if card is None or card.user_id != user.id or card.due_at > now:
        raise NothingToReview(_("This question is not due for review; here is the next one."))
    correct = option_ids == card.question.correct_ids
    return record_answer(user, card.question, correct, ReviewSource.REVIEW, now), correct


@dataclass(frozen=True)
class LastAnswer:
    """The answer just given in the daily review, for its feedback."""

    card: ReviewCard
    is_correct: bool
    interval_days: float


def last_answer(user: User, card_id: int) -> LastAnswer | None:
    """The user's latest daily-review answer to this card, if any."""
    log = db.session.scalar(select(ReviewLog).where(ReviewLog.card_id == card_id, ReviewLog.user_id == user.id,
                                                    ReviewLog.source == ReviewSource.REVIEW)
                            .order_by(ReviewLog.reviewed_at.desc(), ReviewLog.id.desc()).limit(1))
    return LastAnswer(log.card, log.is_correct, log.interval_days) if log is not None else None


def reviews_done(user_ids: list[int], since: datetime) -> dict[int, int]:
    """Daily-review answers per user since a moment (for the manager's team view)."""
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(ReviewLog.user_id, func.count(ReviewLog.id))
        .where(ReviewLog.user_id.in_(user_ids), ReviewLog.source == ReviewSource.REVIEW,
               ReviewLog.reviewed_at >= since).group_by(ReviewLog.user_id))
    return {user_id: n for user_id, n in rows}
