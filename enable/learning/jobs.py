"""Learning background work: the daily reminders (steps due or overdue, certifications expiring or expired)."""

from __future__ import annotations

import logging

from enable.db import utcnow
from enable.extensions import db
from enable.learning import reminders
from enable.queue import periodic

log = logging.getLogger(__name__)


@periodic(hour="6", minute="15")
def daily_learning_reminders() -> None:
    """Tell learners about steps due soon or overdue and certifications expiring or expired (each once)."""
    now = utcnow()
    steps = reminders.notify_due_steps(now.date(), now)
    certs = reminders.notify_certification_expiry(now)
    db.session.commit()
    log.info("learning reminders: %d step notices, %d certification notices", steps, certs)
