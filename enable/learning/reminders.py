"""Reminders for learners, found by a daily check: steps due soon or overdue, certifications expiring or expired.

Each occurrence is told once (the notification's key), in the learner's language; whether it also comes by email,
at once or in the daily digest, is the learner's choice (enable.notifications).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from enable.extensions import db
from enable.learning import refs
from enable.learning.certifications import latest_award
from enable.learning.models import EXPIRING_DAYS, Assignment, AwardStatus, CertificationAward, Track
from enable.notifications import in_locale_of, notify

log = logging.getLogger(__name__)

STEP_DUE_NOTICE_DAYS = 2  # a step is announced as due this many days before its due day
EXPIRED_NOTICE_DAYS = 7  # an expiry older than this is not announced any more (no backlog when this starts)
DAY_FORMAT = "d MMMM y"  # 5 March 2026, 5 марта 2026 (the long format adds "г." in Russian, before our full stop)


def notify_due_steps(today: date, now: datetime) -> int:
    """Tell learners about open steps due within STEP_DUE_NOTICE_DAYS, and about steps overdue (once each);
    return how many notices were added."""
    open_assignments = db.session.scalars(
        select(Assignment).where(Assignment.completed_at.is_(None))
        .options(selectinload(Assignment.track).selectinload(Track.steps), selectinload(Assignment.completions),
                 selectinload(Assignment.user)).order_by(Assignment.id))
    sent = 0
    for assignment in open_assignments:
        user = assignment.user
        if not user.is_active_account:
            continue
        done = {c.step_id for c in assignment.completions}
        for step in assignment.track.steps:
            due = step.due_on(assignment.started_on)
            if due is None or step.id in done or due > today + timedelta(days=STEP_DUE_NOTICE_DAYS):
                continue
            kind = "step_overdue" if due < today else "step_due"
            with in_locale_of(user):
                values = {"step": step.title, "track": assignment.track.title, "day": format_date(due, DAY_FORMAT)}
                message = (_("“%(step)s” in “%(track)s” was due on %(day)s and is not done yet.", **values)
                           if kind == "step_overdue" else _("“%(step)s” in “%(track)s” is due on %(day)s.", **values))
            link = refs.path_for("learning.assignment", assignment_id=assignment.id)
            if notify(user, kind, message, link, now=now, key=f"{kind}:{assignment.id}:{step.id}") is not None:
                sent += 1
    db.session.flush()
    return sent


def notify_certification_expiry(now: datetime) -> int:
    """Tell holders whose latest award of a certification entered its expiring window, or expired in the last
    EXPIRED_NOTICE_DAYS (once each); return how many notices were added."""
    awards = db.session.scalars(
        select(CertificationAward).where(CertificationAward.expires_at <= now + timedelta(days=EXPIRING_DAYS),
                                         CertificationAward.expires_at > now - timedelta(days=EXPIRED_NOTICE_DAYS))
        .options(selectinload(CertificationAward.certification), selectinload(CertificationAward.user))
        .order_by(CertificationAward.id))
    sent = 0
    for award in list(awards):
        user = award.user
        latest = latest_award(user, award.certification)
        if not user.is_active_account or latest is None or latest.id != award.id:
            continue
        expired = award.status(now) == AwardStatus.EXPIRED
        kind = "certification_expired" if expired else "certification_expiring"
        with in_locale_of(user):
            values = {"cert": award.certification.title, "day": format_date(award.expires_at.date(), DAY_FORMAT)}
            message = (_("Your certification “%(cert)s” expired on %(day)s. Meet its requirements again to renew "
                         "it.", **values) if expired else
                       _("Your certification “%(cert)s” expires on %(day)s. Renew it before then.", **values))
        link = refs.path_for("learning.certificate", award_id=award.id)
        if notify(user, kind, message, link, now=now, key=f"{kind}:{award.id}") is not None:
            sent += 1
    db.session.flush()
    return sent
