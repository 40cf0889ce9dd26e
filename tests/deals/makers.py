"""Small factories for deal and report tests: deals, calls with bites and tags, playbooks, usage events.

Like tests/factories.py they add and flush; the test commits.
"""

from __future__ import annotations

import hashlib
import itertools
from datetime import UTC, date, datetime
from typing import Any

from enable.bites.models import Bite, BiteTag, TagSource
from enable.calls.models import Call, CallStatus
from enable.deals.models import Deal, DealOutcome
from enable.extensions import db
from enable.playbooks.models import Playbook
from enable.taxonomy.models import Tag, TagKind
from enable.usage import UsageEvent, UsageKind

_seq = itertools.count(1)


def at(day: date, hour: int = 12) -> datetime:
    """Noon UTC (or another hour) on a day."""
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def make_deal(**overrides: Any) -> Deal:
    n = next(_seq)
    fields: dict[str, Any] = {"external_id": f"T-{n}", "name": f"Deal {n}", "outcome": DealOutcome.OPEN}
    fields.update(overrides)
    deal = Deal(**fields)
    db.session.add(deal)
    db.session.flush()
    return deal


def make_call(**overrides: Any) -> Call:
    n = next(_seq)
    fields: dict[str, Any] = {"title": f"Call {n}", "status": CallStatus.READY,
                              "sha256": hashlib.sha256(f"call-{n}".encode()).hexdigest(),
                              "media_path": f"calls/{n}.ogg", "original_filename": f"call-{n}.ogg"}
    fields.update(overrides)
    call = Call(**fields)
    db.session.add(call)
    db.session.flush()
    return call


def make_bite(call: Call, **overrides: Any) -> Bite:
    seq = len(call.bites)
    fields: dict[str, Any] = {"call_id": call.id, "seq": seq, "start_s": seq * 120.0, "end_s": seq * 120.0 + 110,
                              "first_word": seq * 100, "last_word": seq * 100 + 99, "title": f"{call.title} #{seq}",
                              "text": "words"}
    fields.update(overrides)
    bite = Bite(**fields)
    db.session.add(bite)
    db.session.flush()
    db.session.refresh(call)
    return bite


def make_tag(key: str, kind: TagKind = TagKind.OBJECTION, **names: str) -> Tag:
    tag = Tag(kind=kind, key=key, names=names or {"en": key.replace("_", " ").title()})
    db.session.add(tag)
    db.session.flush()
    return tag


def tag_bite(bite: Bite, tag: Tag, *, removed: bool = False) -> BiteTag:
    row = BiteTag(bite_id=bite.id, tag_id=tag.id, source=TagSource.DETECTED, phrase=tag.key, at_s=bite.start_s,
                  is_removed=removed)
    db.session.add(row)
    db.session.flush()
    return row


def make_playbook(**overrides: Any) -> Playbook:
    n = next(_seq)
    fields: dict[str, Any] = {"slug": f"playbook-{n}", "title": f"Playbook {n}", "body": ""}
    fields.update(overrides)
    playbook = Playbook(**fields)
    db.session.add(playbook)
    db.session.flush()
    return playbook


def use(user_id: int | None, kind: UsageKind, item_type: str, item_id: int, when: datetime, *,
        deal_id: int | None = None) -> UsageEvent:
    event = UsageEvent(user_id=user_id, kind=kind, item_type=item_type, item_id=item_id, deal_id=deal_id,
                       meta={}, created_at=when)
    db.session.add(event)
    db.session.flush()
    return event
