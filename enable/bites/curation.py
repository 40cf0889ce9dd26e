"""Curating one bite from its page (tags, best example) and recording how it is used (views, plays, shares)."""

from __future__ import annotations

import math
from datetime import datetime

from flask_babel import gettext as _

from enable import audit
from enable.auth.models import Role, User
from enable.bites.models import Bite, BiteTag, TagSource
from enable.db import utcnow
from enable.deals.models import Deal
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.taxonomy.models import Tag
from enable.usage import UsageEvent, UsageKind, record_usage

# A play beacon may report a little more than the bite (the player stops on the next time update).
PLAY_SLACK_S = 5.0


class TagNotFound(UserError):
    status_code = 404


def add_tag(bite: Bite, tag_id: int, user: User, *, now: datetime | None = None) -> BiteTag:
    """Tag the bite by hand; a tag removed earlier comes back as a manual tag."""
    if not user.has_role(Role.ENABLEMENT):
        raise NotAllowed(_("Only enablement can change a bite's tags."))
    tag = db.session.get(Tag, tag_id)
    if tag is None:
        raise TagNotFound(_("That tag no longer exists; reload the page and choose another."))
    link = next((bt for bt in bite.tags if bt.tag_id == tag.id), None)
    if link is not None and not link.is_removed:
        raise UserError(_("This bite is already tagged “%(name)s”.", name=tag.name_in(None)))
    if link is None:
        link = BiteTag(tag_id=tag.id, source=TagSource.MANUAL)
        bite.tags.append(link)
    link.is_removed = False
    link.source, link.phrase, link.at_s, link.added_by_id = TagSource.MANUAL, None, None, user.id
    bite.updated_at = now or utcnow()
    audit.record(user, "bite.tag_add", bite, {"tag": f"{tag.kind.value}:{tag.key}"}, at=now)
    db.session.flush()
    return link


def remove_tag(bite: Bite, tag_id: int, user: User, *, now: datetime | None = None) -> BiteTag:
    """Take a tag off the bite; it stays off when the bite is retagged."""
    if not user.has_role(Role.ENABLEMENT):
        raise NotAllowed(_("Only enablement can change a bite's tags."))
    link = next((bt for bt in bite.tags if bt.tag_id == tag_id and not bt.is_removed), None)
    if link is None:
        raise TagNotFound(_("This bite does not carry that tag any more."))
    link.is_removed = True
    link.added_by_id = user.id
    bite.updated_at = now or utcnow()
    audit.record(user, "bite.tag_remove", bite, {"tag": f"{link.tag.kind.value}:{link.tag.key}"}, at=now)
    return link


def set_best(bite: Bite, user: User, is_best: bool, *, now: datetime | None = None) -> None:
    """Mark the bite as a best example (managers and up), or unmark it; best examples rank first in search."""
    if not user.has_role(Role.MANAGER):
        raise NotAllowed(_("Only managers and enablement can mark best examples."))
    bite.is_best = is_best
    bite.best_marked_by_id = user.id if is_best else None
    bite.updated_at = now or utcnow()
    audit.record(user, "bite.best" if is_best else "bite.unbest", bite, at=now)


def deal_for_usage(deal_id: int | None, user: User) -> Deal | None:
    """The deal a view or play counts for: one the user owns (any deal for managers and up), else None."""
    if not deal_id:
        return None
    deal = db.session.get(Deal, deal_id)
    if deal is None or not (user.has_role(Role.MANAGER) or deal.owner_id == user.id):
        return None
    return deal


def record_view(bite: Bite, user: User, deal_id: int | None = None) -> UsageEvent:
    """Count one opening of the bite page (for the deal it was opened from, if any)."""
    deal = deal_for_usage(deal_id, user)
    return record_usage(user, UsageKind.VIEW, "bite", bite.id, deal_id=deal.id if deal else None)


# Where a bite can be heard outside its page, as the player's beacon names it (kept in the event's meta).
PLAY_SOURCES = frozenset({"quiz", "review", "quiz_result", "track"})


def record_play(bite: Bite, user: User, seconds: float, *, deal_id: int | None = None,
                playlist_id: int | None = None, source: str | None = None) -> UsageEvent | None:
    """Count seconds listened to the bite (one beacon per stretch of listening); None if nothing was heard.

    Played from a playlist (whose id the caller has checked the user may see), the playlist's own
    play (PLAYLIST_PLAY, same seconds) is recorded too. Heard while learning (a quiz, the daily review), `source`
    says where: it is a play like any other for the reports.
    """
    if not math.isfinite(seconds) or seconds <= 0:
        return None
    seconds = round(min(seconds, bite.duration_s + PLAY_SLACK_S), 2)
    deal = deal_for_usage(deal_id, user)
    deal_ref = deal.id if deal else None
    meta = {"call_id": bite.call_id, **({"playlist_id": playlist_id} if playlist_id else {}),
            **({"source": source} if source in PLAY_SOURCES else {})}
    event = record_usage(user, UsageKind.PLAY, "bite", bite.id, deal_id=deal_ref, seconds=seconds, meta=meta)
    if playlist_id:
        record_usage(user, UsageKind.PLAYLIST_PLAY, "playlist", playlist_id, deal_id=deal_ref, seconds=seconds,
                     meta={"bite_id": bite.id})
    return event


def record_share(bite: Bite, user: User, at_s: float | None = None) -> UsageEvent:
    """Count one share of the bite (a link copied, opening at `at_s` seconds of the call)."""
    return record_usage(user, UsageKind.SHARE, "bite", bite.id, meta={"at_s": at_s} if at_s is not None else {})


def share_second(bite: Bite, at_s: float | None) -> int:
    """The whole second a share link opens at: at_s if it lies within the bite, else the bite's start."""
    if at_s is None or not math.isfinite(at_s) or not bite.start_s <= at_s <= bite.end_s:
        return int(bite.start_s)
    return int(at_s)
