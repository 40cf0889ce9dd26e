"""Background work: the daily link check, the daily stale-content notices, and a link check on demand."""

from __future__ import annotations

import logging

from enable.db import utcnow
from enable.extensions import db
from enable.playbooks import governance, links
from enable.queue import job, periodic

log = logging.getLogger(__name__)


def _check_links() -> None:
    summary = links.check_links(utcnow())
    db.session.commit()
    log.info("link check: %d links, %d with problems", summary.total, len(summary.problems))


@job()
def check_links_now() -> None:
    """Check every link (asked for from the links report)."""
    _check_links()


@periodic(hour="2", minute="30")
def daily_link_check() -> None:
    """Check every link once a day."""
    _check_links()


@periodic(hour="6", minute="0")
def daily_stale_notices() -> None:
    """Tell owners about items that went stale (once per item per review period)."""
    now = utcnow()
    governance.notify_stale_owners(now.date(), now)
    db.session.commit()
