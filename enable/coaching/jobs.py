"""The daily reminders of feedback requests due or overdue."""

from __future__ import annotations

import logging

from enable.coaching import services
from enable.db import utcnow
from enable.extensions import db
from enable.queue import periodic

log = logging.getLogger(__name__)


@periodic(hour="7", minute="0")
def daily_feedback_reminders() -> None:
    """Remind managers of feedback requests due tomorrow or earlier (once a day each)."""
    now = utcnow()
    sent = services.send_reminders(now.date(), now)
    db.session.commit()
    log.info("feedback reminders: %d sent", sent)
