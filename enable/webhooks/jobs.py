"""Webhook background work: one job per delivery attempt (retried with backoff), queued only after the emitting
session commits, and a sweep that re-queues deliveries whose job was lost (a worker killed, a full queue)."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import event

from enable.db import utcnow
from enable.extensions import db
from enable.queue import job, on_consumer_start, periodic
from enable.webhooks import services

log = logging.getLogger(__name__)

SWEEP_GRACE = timedelta(minutes=2)  # a delivery this overdue has lost its job


@job()
def deliver_webhook(delivery_id: int) -> None:
    """Attempt one delivery; on failure schedule the next attempt after the backoff (WEBHOOK_RETRY_BASE_S)."""
    cfg = current_app.config
    delay = services.attempt_delivery(delivery_id, timeout_s=float(cfg["WEBHOOK_TIMEOUT_S"]),
                                      max_attempts=int(cfg["WEBHOOK_MAX_ATTEMPTS"]),
                                      base_delay_s=float(cfg["WEBHOOK_RETRY_BASE_S"]))
    if delay is not None:
        deliver_webhook.schedule((delivery_id,), delay=delay)


def queue_deliveries(ids: list[int]) -> None:
    for delivery_id in ids:
        deliver_webhook(delivery_id)


def _after_commit(session) -> None:
    ids = services.take_pending(session)
    if not ids:
        return
    try:
        queue_deliveries(ids)
    except Exception:  # the change is committed; a queue outage must not fail it (the sweep sends them later)
        log.exception("webhooks: could not queue deliveries %s; the periodic sweep will", ids)


def _after_rollback(session) -> None:
    services.forget_pending(session)


if not event.contains(db.session, "after_commit", _after_commit):
    event.listen(db.session, "after_commit", _after_commit)
    event.listen(db.session, "after_rollback", _after_rollback)


@periodic(minute="*/5")
def sweep_deliveries() -> None:
    """Queue again the deliveries whose attempt is overdue (their job was lost)."""
    ids = services.overdue_deliveries(utcnow(), SWEEP_GRACE)
    db.session.commit()
    if ids:
        log.warning("webhooks: %d overdue deliveries queued again", len(ids))
        queue_deliveries(ids)


@on_consumer_start
def _sweep_at_start() -> None:
    ids = services.overdue_deliveries(utcnow(), timedelta(0))
    db.session.commit()
    queue_deliveries(ids)


@periodic(minute="15")
def announce_expired_certifications() -> None:
    """Hourly: send certification.expired for awards that expired since (each award once)."""
    from enable.learning import certifications

    certifications.announce_expired(utcnow())
    db.session.commit()
