"""Demo history for the reports: four months of views, plays, content used on deals, and searches."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from sqlalchemy import select

from enable.audit import AuditEvent, record
from enable.auth.models import User
from enable.db import utcnow
from enable.deals import content
from enable.deals.models import Deal, DealOutcome
from enable.demo import register_demo_step
from enable.extensions import db
from enable.search.models import SearchLog
from enable.usage import UsageKind, record_usage

MARKER = "demo.usage_history"
DAYS = 120
_SEARCHES = [("price objection", 14), ("too expensive", 9), ("integration with 1C", 0), ("SOC 2 report", 0),
             ("security questionnaire", 1), ("competitor discount", 2), ("нет бюджета", 3), ("дорого", 6),
             ("procurement timeline", 0), ("multi-year discount", 1), ("ROI calculator", 0),
             ("discovery questions", 11)]
_PLAYED = {"bite": UsageKind.PLAY, "playlist": UsageKind.PLAYLIST_PLAY}
_OPENED = {"playbook": UsageKind.VIEW, "asset": UsageKind.DOWNLOAD}


def _at(rng: random.Random, day) -> datetime:
    return datetime.combine(day, time(hour=rng.randint(8, 18), minute=rng.randint(0, 59)), UTC)


def load_demo_usage(users: dict[str, User], seed: int = 11) -> str:
    """Spread usage events and searches over the last four months; skipped once done or while no content exists."""
    if db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == MARKER).limit(1)):
        return "already loaded"
    by_type = {t: [(t, i) for i, _title in content.live_items(t, 60)] for t in content.CONTENT_TYPES}
    if not any(by_type.values()):
        return "skipped: no bites, playlists, playbooks or assets yet (run it again after loading them)"
    rng = random.Random(seed)
    people = [u for e, u in users.items() if not e.startswith("admin")]
    today = utcnow().date()
    # About a third of each kind of content stays unused, so the never-used list has something to show.
    popular = [item for items in by_type.values() if items
               for item in rng.sample(items, max(1, (len(items) * 2 + 2) // 3))]
    events = 0
    for offset in range(DAYS, -1, -1):
        day = today - timedelta(days=offset)
        for _n in range(rng.randint(0, 9)):
            item_type, item_id = rng.choice(popular)
            user = rng.choice(people)
            record_usage(user, UsageKind.VIEW, item_type, item_id).created_at = _at(rng, day)
            if rng.random() < 0.6:
                kind = _PLAYED.get(item_type) or _OPENED.get(item_type, UsageKind.VIEW)
                seconds = rng.randint(20, 150) if kind in (UsageKind.PLAY, UsageKind.PLAYLIST_PLAY) else None
                record_usage(user, kind, item_type, item_id, seconds=seconds).created_at = _at(rng, day)
                events += 1
            events += 1
    # Some content is used more on won deals, so the influence report has a difference to weigh.
    favoured = popular[: max(1, len(popular) // 4)]
    deals = list(db.session.scalars(select(Deal).where(Deal.outcome != DealOutcome.OPEN)))
    for deal in deals:
        owner = deal.owner or rng.choice(people)
        day = min(deal.close_on or today, today) - timedelta(days=rng.randint(1, 20))
        for item_type, item_id in popular:
            chance = (0.7 if deal.outcome == DealOutcome.WON else 0.3) if (item_type, item_id) in favoured else 0.15
            if rng.random() < chance:
                record_usage(owner, UsageKind.USED_ON_DEAL, item_type, item_id, deal_id=deal.id).created_at = \
                    _at(rng, max(day, today - timedelta(days=DAYS)))
                events += 1
    searches = 0
    for query, results in _SEARCHES:
        for _n in range(rng.randint(2, 9)):
            log = SearchLog(user_id=rng.choice(people).id, query=query, filters={}, result_count=results,
                            created_at=_at(rng, today - timedelta(days=rng.randint(0, 60))))
            db.session.add(log)
            searches += 1
    record(None, MARKER, None, {"events": events, "searches": searches})
    db.session.flush()
    return f"{events} usage events on {len(popular)} items, {searches} searches"


register_demo_step("usage history", load_demo_usage)
