"""Enablement's review of moments tagged by meaning: confirm them, or reject them into negative examples."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from enable import audit
from enable.auth.models import Role, User
from enable.bites.models import Bite, BiteTag, MomentReview, TrackerExample
from enable.bites.tagging import TagMatch
from enable.db import utcnow
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.taxonomy.models import Tag


class MomentNotFound(UserError):
    """No tag matched by meaning with this id is waiting for review."""

    status_code = 404


@dataclass(frozen=True)
class TrackerQueue:
    """A tracker and how many of its moments matched by meaning wait for review."""

    tag: Tag
    pending: int


def review_queues() -> list[TrackerQueue]:
    """Trackers with moments matched by meaning that nobody has reviewed, most waiting first."""
    rows = db.session.execute(
        select(Tag, func.count(BiteTag.id)).join(BiteTag, BiteTag.tag_id == Tag.id)
        .where(BiteTag.match == TagMatch.MEANING, BiteTag.review.is_(None), BiteTag.is_removed.is_(False))
        .group_by(Tag.id).order_by(func.count(BiteTag.id).desc(), Tag.kind, Tag.key)).all()
    return [TrackerQueue(tag, n) for tag, n in rows]


def pending_moments(tag_id: int, limit: int = 100) -> list[BiteTag]:
    """A tracker's moments matched by meaning that wait for review, least sure (lowest cosine) first."""
    return list(db.session.scalars(
        select(BiteTag).where(BiteTag.tag_id == tag_id, BiteTag.match == TagMatch.MEANING,
                              BiteTag.review.is_(None), BiteTag.is_removed.is_(False))
        .options(selectinload(BiteTag.bite).selectinload(Bite.call), selectinload(BiteTag.tag))
        .order_by(BiteTag.score, BiteTag.id).limit(limit)))


def review_moment(bite_tag_id: int, user: User, decision: MomentReview, *, now: datetime | None = None) -> BiteTag:
    """Confirm a moment matched by meaning: retagging keeps it, and its sentence becomes a further example of the
    tracker; or reject it: the tag comes off the bite, stays off, and its sentence becomes a negative example."""
    if not user.has_role(Role.ENABLEMENT):
        raise NotAllowed(_("Only enablement can review trackers."))
    row = db.session.get(BiteTag, bite_tag_id)
    if row is None or row.match != TagMatch.MEANING or row.is_removed:
        raise MomentNotFound(_("This moment is no longer tagged by meaning; it may have been reviewed already."))
    row.review = decision
    rejected = decision == MomentReview.REJECTED
    if rejected:
        row.is_removed = True
        row.added_by_id = user.id
    sentence = (row.sentence or "")[:1000]
    known = db.session.scalar(select(TrackerExample).where(TrackerExample.tag_id == row.tag_id,
                                                           TrackerExample.sentence == sentence))
    if known is not None:  # the same words said again elsewhere: the latest decision stands
        known.is_negative, known.reviewed_by_id = rejected, user.id
    elif sentence:
        db.session.add(TrackerExample(tag_id=row.tag_id, sentence=sentence, is_negative=rejected,
                                      bite_id=row.bite_id, reviewed_by_id=user.id))
    row.bite.updated_at = now or utcnow()
    audit.record(user, f"bite.tag_{decision.value}", row.bite, {"tag": f"{row.tag.kind.value}:{row.tag.key}"}, at=now)
    db.session.flush()
    return row
