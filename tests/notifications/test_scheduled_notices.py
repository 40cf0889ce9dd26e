"""The daily checks that notify: learning steps due soon or overdue, certifications expiring or expired, and a
broken link told to the owner of its playbook. Each occurrence is told once, in the person's language."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from enable.db import utcnow
from enable.extensions import db
from enable.learning import reminders, tracks
from enable.learning.models import CertificationAward, StepKind
from enable.notifications import Notification, OutboxMail
from tests.factories import make_user
from tests.learning.factories import T0, make_track
from tests.learning.test_certifications import make_certification


def _notes(user_id: int) -> list[tuple[str, str]]:
    return [(n.kind, n.message) for n in db.session.scalars(
        select(Notification).where(Notification.user_id == user_id).order_by(Notification.id))]


def test_steps_due_soon_then_overdue_are_told_once_each(app):
    with app.app_context():
        rep = make_user(locale="ru")
        track = make_track([(StepKind.SIGNOFF, "Live demo"), (StepKind.SIGNOFF, "Pricing call")], due=[3, 10],
                           title="Onboarding")
        tracks.assign_track(track, [rep], start=T0.date(), actor=None, now=T0)
        db.session.commit()

        today = T0.date() + timedelta(days=2)
        assert reminders.notify_due_steps(today, T0 + timedelta(days=2)) == 1
        assert reminders.notify_due_steps(today, T0 + timedelta(days=2)) == 0  # already told
        later = T0.date() + timedelta(days=4)
        assert reminders.notify_due_steps(later, T0 + timedelta(days=4)) == 1  # now overdue
        db.session.commit()
        (kind1, due), (kind2, overdue) = _notes(rep.id)
        assert (kind1, kind2) == ("step_due", "step_overdue")
        assert due.startswith("Срок шага «Live demo» в «Onboarding»") and due.endswith("— 5 марта 2026.")
        assert "ещё не выполнен" in overdue
        # step_due and step_overdue go in the daily digest by default: no mail yet
        assert db.session.scalars(select(OutboxMail)).all() == []


def test_certification_expiring_then_expired(app):
    with app.app_context():
        rep = make_user(locale="en")
        cert = make_certification(valid_days=365)
        now = utcnow()
        award = CertificationAward(certification=cert, user=rep, awarded_at=now - timedelta(days=355),
                                   expires_at=now + timedelta(days=10), evidence={})
        db.session.add(award)
        db.session.commit()

        assert reminders.notify_certification_expiry(now) == 1
        assert reminders.notify_certification_expiry(now) == 0
        assert reminders.notify_certification_expiry(now + timedelta(days=11)) == 1
        db.session.commit()
        kinds = [k for k, _m in _notes(rep.id)]
        assert kinds == ["certification_expiring", "certification_expired"]
        assert "expires on" in _notes(rep.id)[0][1] and "expired on" in _notes(rep.id)[1][1]
        mails = db.session.scalars(select(OutboxMail)).all()  # expired comes at once by default
        assert [(m.kind, m.recipient) for m in mails] == [("certification_expired", rep.email)]
        assert reminders.notify_certification_expiry(now + timedelta(days=30)) == 0  # long expired: not again


def test_a_broken_link_is_told_to_the_playbook_owner(app):
    from enable.playbooks.links import check_links
    from tests.playbooks.factories import make_playbook

    with app.app_context():
        owner = make_user(locale="en")
        playbook = make_playbook(title="Pricing", body="[old deck](/assets/999999)", owner_id=owner.id)
        db.session.commit()
        check_links(utcnow(), external=False)
        check_links(utcnow(), external=False)  # still broken: not told again
        db.session.commit()
        assert _notes(owner.id) == [("link_broken", "A link in “Pricing” is broken: /assets/999999")]
        note = db.session.scalars(select(Notification)).one()
        assert note.link == f"/playbooks/{playbook.id}"
