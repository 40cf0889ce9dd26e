"""Mail background work: one job per attempt (retried with backoff), queued only after the session that added the
mail commits; the hourly digest run; and a sweep that re-queues mails whose job was lost."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import event

from enable.db import utcnow
from enable.extensions import db
from enable.notifications import delivery
from enable.queue import job, on_consumer_start, periodic

log = logging.getLogger(__name__)

SWEEP_GRACE = timedelta(minutes=2)  # a mail this overdue has lost its job


@job()
def send_mail(mail_id: int) -> None:
    """Attempt one mail; on failure schedule the next attempt after the backoff (MAIL_RETRY_BASE_S)."""
    cfg = current_app.config
    delay = delivery.attempt_send(mail_id, delivery.settings_from(cfg), max_attempts=int(cfg["MAIL_MAX_ATTEMPTS"]),
                                  base_delay_s=float(cfg["MAIL_RETRY_BASE_S"]))
    if delay is not None:
        send_mail.schedule((mail_id,), delay=delay)


def queue_mails(ids: list[int]) -> None:
    for mail_id in ids:
        send_mail(mail_id)


def _after_commit(session) -> None:
    ids = delivery.take_pending(session)
    if not ids:
        return
    try:
        queue_mails(ids)
    except Exception:  # the change is committed; a queue outage must not fail it (the sweep sends them later)
        log.exception("mail: could not queue mails %s; the periodic sweep will", ids)


def _after_rollback(session) -> None:
    delivery.forget_pending(session)


if not event.contains(db.session, "after_commit", _after_commit):
    event.listen(db.session, "after_commit", _after_commit)
    event.listen(db.session, "after_rollback", _after_rollback)


@periodic(minute="*/5")
def sweep_mails() -> None:
    """Queue again the mails whose attempt is overdue (their job was lost)."""
    ids = delivery.overdue_mails(utcnow(), SWEEP_GRACE)
    db.session.commit()
    if ids:
        log.warning("mail: %d overdue mails queued again", len(ids))
        queue_mails(ids)


@on_consumer_start
def _sweep_at_start() -> None:
    ids = delivery.overdue_mails(utcnow(), timedelta(0))
    db.session.commit()
    queue_mails(ids)


@periodic(minute="10")
def send_digests() -> None:
    """Hourly: from MAIL_DIGEST_HOUR (UTC) on, each user's digest of the day (once a day; a missed hour catches up)."""
    now = utcnow()
    made = delivery.make_digests(now, int(current_app.config["MAIL_DIGEST_HOUR"]))
    pruned = delivery.prune_sent(now)
    db.session.commit()  # the digests' jobs are queued by the after-commit hook
    if made or pruned:
        log.info("mail: %d digests queued, %d old sent mails deleted", made, pruned)
