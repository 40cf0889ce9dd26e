"""Content freshness: who owns an item, how often it is reviewed, and the rules for stale and archivable items.

Playbooks, assets and bites carry the `Governed` columns. An item's review clock starts at its last verification
(an edit by a person counts as one) or, never verified, at its creation. Past its review interval it is stale and
waits in its owner's queue. Unverified for twice its interval and not viewed in that time, it is proposed for
archiving.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, declared_attr, mapped_column, relationship

if TYPE_CHECKING:
    from enable.auth.models import User

DEFAULT_REVIEW_DAYS = 90


def due_on(reference: date, interval_days: int) -> date:
    """The last day the item counts as fresh: its reference date plus the interval."""
    return reference + timedelta(days=interval_days)


def days_overdue(reference: date, interval_days: int, today: date) -> int:
    """Days past the due date (0 or negative while fresh)."""
    return (today - due_on(reference, interval_days)).days


def is_stale(reference: date, interval_days: int, today: date) -> bool:
    """True once today is past the due date."""
    return days_overdue(reference, interval_days, today) > 0


def is_archive_candidate(reference: date, interval_days: int, today: date, last_viewed: date | None) -> bool:
    """True when unverified for at least twice the interval and not viewed during those twice-the-interval days."""
    window = timedelta(days=2 * interval_days)
    if today - reference < window:
        return False
    return last_viewed is None or last_viewed <= today - window


class Governed:
    """Columns and rules shared by every governed kind of content (playbook, asset, bite)."""

    # The kind is the table name (playbook, asset, bite); config REVIEW_DAYS_<KIND> holds its default interval.

    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    verifier_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    review_interval_days: Mapped[int | None]  # None: the kind's default
    verified_at: Mapped[datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    stale_notified_on: Mapped[date | None]  # the due date the owner was last told about (one notice per period)
    archived_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]

    if TYPE_CHECKING:
        created_at: datetime

    @declared_attr
    def owner(cls) -> Mapped[User | None]:
        return relationship("User", foreign_keys=f"{cls.__name__}.owner_id")  # type: ignore[attr-defined]

    @declared_attr
    def verifier(cls) -> Mapped[User | None]:
        return relationship("User", foreign_keys=f"{cls.__name__}.verifier_id")  # type: ignore[attr-defined]

    @declared_attr
    def verified_by(cls) -> Mapped[User | None]:
        return relationship("User", foreign_keys=f"{cls.__name__}.verified_by_id")  # type: ignore[attr-defined]

    @property
    def is_active_content(self) -> bool:
        """Neither archived nor retired."""
        return self.archived_at is None and self.retired_at is None

    @property
    def reference_on(self) -> date:
        """The day the review clock started: last verification, else creation."""
        return (self.verified_at or self.created_at).date()

    def interval_days(self, default_days: int = DEFAULT_REVIEW_DAYS) -> int:
        """This item's review interval in days: its own, else the kind's default."""
        return self.review_interval_days or default_days

    def due_on(self, default_days: int = DEFAULT_REVIEW_DAYS) -> date:
        return due_on(self.reference_on, self.interval_days(default_days))

    def days_overdue(self, today: date, default_days: int = DEFAULT_REVIEW_DAYS) -> int:
        return days_overdue(self.reference_on, self.interval_days(default_days), today)

    def is_stale(self, today: date, default_days: int = DEFAULT_REVIEW_DAYS) -> bool:
        """True when active and past its review interval."""
        return self.is_active_content and is_stale(self.reference_on, self.interval_days(default_days), today)

    def is_archive_candidate(self, today: date, last_viewed: date | None,
                             default_days: int = DEFAULT_REVIEW_DAYS) -> bool:
        """True when active, unverified for twice its interval and not viewed in that time."""
        return self.is_active_content and is_archive_candidate(self.reference_on, self.interval_days(default_days),
                                                               today, last_viewed)

    def mark_verified(self, by: User | None, now: datetime) -> None:
        """Restart the review clock: verified by `by` at `now`."""
        self.verified_at = now
        self.verified_by_id = getattr(by, "id", None)
        self.stale_notified_on = None
