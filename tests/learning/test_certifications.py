"""Certifications: awarded the moment the last requirement is met, expiring and expired on a frozen clock, renewed
with fresh evidence, and flagged "needs attention" when a playbook they depend on changes."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from enable.auth.models import Role, User
from enable.extensions import db
from enable.learning import certifications, quizzes, tracks
from enable.learning.models import (
    AckTask,
    AwardStatus,
    Certification,
    CertificationAward,
    CertificationRequirement,
    RequirementKind,
    StepKind,
)
from enable.notifications import Notification
from enable.playbooks import services as playbooks
from tests.factories import make_team, make_user
from tests.learning.factories import T0, answers, make_bite, make_playbook, make_quiz, make_track, play, sign_in

H = timedelta(hours=1)


def make_certification(track=None, quiz=None, min_score=80, signoff=None, valid_days=365) -> Certification:
    cert = Certification(slug=f"cert-{valid_days}-{id(track)}", title="Objection handling certified",
                         valid_days=valid_days)
    if track is not None:
        cert.requirements.append(CertificationRequirement(kind=RequirementKind.TRACK, track_id=track.id, position=0))
    if quiz is not None:
        cert.requirements.append(CertificationRequirement(kind=RequirementKind.QUIZ, quiz_id=quiz.id,
                                                          min_score=min_score, position=1))
    if signoff is not None:
        cert.requirements.append(CertificationRequirement(kind=RequirementKind.SIGNOFF, text=signoff, position=2))
    db.session.add(cert)
    db.session.flush()
    return cert


@pytest.fixture
def setup(app):
    """A rep in a managed team, a one-bite track, a 5-question quiz and a certification needing all three."""
    with app.app_context():
        manager = make_user(role=Role.MANAGER)
        rep = make_user(team=make_team(manager=manager), hired_on=T0.date() - timedelta(days=3))
        bite = make_bite()
        playbook = make_playbook(title="Negotiation")
        track = make_track([(StepKind.PLAYBOOK, playbook), (StepKind.BITE, bite)])
        quiz = make_quiz(n_questions=5)
        cert = make_certification(track, quiz, min_score=80, signoff="Handled a live price objection")
        tracks.assign_track(track, [rep], start=T0.date(), actor=None, now=T0)
        db.session.commit()
        return {"rep": rep.id, "manager": manager.id, "bite": bite.id, "playbook": playbook.id, "quiz": quiz.id,
               "cert": cert.id}


def _get(ids):
    from enable.bites.models import Bite
    from enable.learning.models import Quiz
    from enable.playbooks.models import Playbook

    return (db.session.get(User, ids["rep"]), db.session.get(User, ids["manager"]), db.session.get(Bite, ids["bite"]),
            db.session.get(Playbook, ids["playbook"]), db.session.get(Quiz, ids["quiz"]),
            db.session.get(Certification, ids["cert"]))


def _awards(rep) -> list[CertificationAward]:
    return list(db.session.scalars(select(CertificationAward).where(CertificationAward.user_id == rep.id)
                                   .order_by(CertificationAward.awarded_at)))


def _meet_everything(rep, manager, bite, playbook, quiz, cert, start):
    """Read, listen, pass the quiz and get the sign-off, an hour apart from `start`; returns the sign-off time."""
    tracks.record_playbook_read(rep, playbook.id, start)
    play(rep, bite, 100.0, start + H)
    quizzes.submit_attempt(rep, quiz, answers(quiz, right=5), start + 2 * H)
    req = next(r for r in cert.requirements if r.kind == RequirementKind.SIGNOFF)
    certifications.give_signoff(manager, rep, req, start + 3 * H)
    tracks.sync_progress(rep, start + 3 * H)
    return start + 3 * H


def test_awarded_exactly_when_the_last_requirement_is_met_not_before(app, setup):
    with app.app_context():
        rep, manager, bite, playbook, quiz, cert = _get(setup)
        tracks.record_playbook_read(rep, playbook.id, T0 + H)
        play(rep, bite, 100.0, T0 + 2 * H)
        tracks.sync_progress(rep, T0 + 2 * H)
        assert _awards(rep) == []  # the track is complete; the quiz and sign-off are not
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=3), T0 + 3 * H)  # 60%
        assert _awards(rep) == []
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=4), T0 + 4 * H)  # 80%: at the score
        assert _awards(rep) == []  # the sign-off is still missing
        req = next(r for r in cert.requirements if r.kind == RequirementKind.SIGNOFF)
        certifications.give_signoff(manager, rep, req, T0 + 5 * H)
        [award] = _awards(rep)
        assert award.awarded_at == T0 + 5 * H
        assert award.expires_at == T0 + 5 * H + timedelta(days=365)
        tracks.sync_progress(rep, T0 + 6 * H)
        assert len(_awards(rep)) == 1  # evaluating again awards nothing more


def test_the_last_requirement_can_be_a_bite_heard_later(app, setup):
    with app.app_context():
        rep, manager, bite, playbook, quiz, cert = _get(setup)
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=5), T0 + H)
        req = next(r for r in cert.requirements if r.kind == RequirementKind.SIGNOFF)
        certifications.give_signoff(manager, rep, req, T0 + 2 * H)
        tracks.record_playbook_read(rep, playbook.id, T0 + 3 * H)
        assert _awards(rep) == []
        play(rep, bite, 95.0, T0 + 4 * H)
        tracks.sync_progress(rep, T0 + 9 * H)  # the play is noticed later; the award is dated when it happened
        [award] = _awards(rep)
        assert award.awarded_at == T0 + 4 * H


def test_expiring_30_days_before_and_expired_after_on_a_frozen_clock(app, setup):
    with app.app_context():
        rep, manager, bite, playbook, quiz, cert = _get(setup)
        at = _meet_everything(rep, manager, bite, playbook, quiz, cert, T0)
        [award] = _awards(rep)
        expires = at + timedelta(days=365)
        assert award.status(at) == AwardStatus.VALID
        assert award.status(expires - timedelta(days=30, seconds=1)) == AwardStatus.VALID
        assert award.status(expires - timedelta(days=30)) == AwardStatus.EXPIRING
        assert award.status(expires - timedelta(seconds=1)) == AwardStatus.EXPIRING
        assert award.status(expires) == AwardStatus.EXPIRED
        from enable.learning import overview

        [shown] = overview.learner_view(rep, expires + timedelta(days=1)).awards
        assert shown.status == AwardStatus.EXPIRED and shown.badge == "bad"


def test_renewal_needs_the_requirements_met_again(app, setup):
    with app.app_context():
        rep, manager, bite, playbook, quiz, cert = _get(setup)
        _meet_everything(rep, manager, bite, playbook, quiz, cert, T0)
        later = T0 + timedelta(days=400)  # expired
        tracks.sync_progress(rep, later)
        assert len(_awards(rep)) == 1  # last year's evidence does not renew it
        track = cert.requirements[0].track
        tracks.assign_track(track, [rep], start=later.date(), actor=None, now=later)
        _meet_everything(rep, manager, bite, playbook, quiz, cert, later)
        first, renewal = _awards(rep)
        assert renewal.awarded_at == later + 3 * H
        assert renewal.expires_at == later + 3 * H + timedelta(days=365)
        assert renewal.status(later + 4 * H) == AwardStatus.VALID


def test_re_attestation_sets_and_clears_needs_attention(app, setup):
    with app.app_context():
        rep, manager, bite, playbook, quiz, cert = _get(setup)
        bystander = make_user()
        _meet_everything(rep, manager, bite, playbook, quiz, cert, T0)
        [award] = _awards(rep)
        assert not award.needs_attention
        now = T0 + timedelta(days=10)
        playbooks.update_playbook(playbook, title=playbook.title, body=playbook.body + "\nTypo fixed.\n", stage=None,
                                  editor=None, now=now, note="typo", requires_ack=False)
        assert not award.needs_attention  # a change nobody must acknowledge
        version = playbooks.update_playbook(playbook, title=playbook.title, body="## Price\n\nNew approval limits.\n",
                                            stage=None, editor=None, now=now + H, note="new limits",
                                            requires_ack=True)
        db.session.expire_all()
        [award] = _awards(rep)
        [task] = award.ack_tasks
        assert award.needs_attention and task.playbook_version_id == version.id
        notes = db.session.scalars(select(Notification).where(Notification.user_id == rep.id)).all()
        assert [n.link for n in notes] == [f"/learning/acks/{task.id}"]
        assert db.session.scalars(select(AckTask).where(AckTask.user_id == bystander.id)).all() == []
        with pytest.raises(certifications.NotFound):
            certifications.acknowledge(manager, task.id, now + 2 * H)  # only the holder acknowledges
        certifications.acknowledge(rep, task.id, now + 2 * H)
        assert not award.needs_attention and task.acknowledged_at == now + 2 * H


def test_only_current_holders_get_acknowledge_tasks(app, setup):
    with app.app_context():
        rep, manager, bite, playbook, quiz, cert = _get(setup)
        _meet_everything(rep, manager, bite, playbook, quiz, cert, T0)
        made = certifications.on_playbook_changed(playbook.id, None, True, T0 + timedelta(days=366))
        assert made == []  # the certification has expired: nothing to re-attest


def test_ramp_is_hire_date_to_first_certification(app, setup):
    with app.app_context():
        rep, manager, bite, playbook, quiz, cert = _get(setup)
        newbie = make_user(hired_on=date(2026, 3, 1))
        _meet_everything(rep, manager, bite, playbook, quiz, cert, T0 + timedelta(days=7))
        rows = {r.user_id: r for r in certifications.ramp()}
        assert rows[rep.id].days == 10  # hired 3 days before T0, certified 7 days after it
        assert rows[newbie.id].certified_at is None and rows[newbie.id].days is None


def test_the_certificate_page_prints_and_is_private(app, setup, login):
    with app.app_context():
        rep, manager, bite, playbook, quiz, cert = _get(setup)
        _meet_everything(rep, manager, bite, playbook, quiz, cert, T0)
        db.session.commit()
        award_id, email = _awards(rep)[0].id, rep.email
    page = sign_in(app, email).get(f"/learning/certificates/{award_id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'class="certificate"' in html and "Objection handling certified" in html
    assert "data-print" in html and "no-print" in html
    assert login(Role.REP).get(f"/learning/certificates/{award_id}").status_code == 404  # someone else's
    assert login(Role.MANAGER).get(f"/learning/certificates/{award_id}").status_code == 404  # not their team
    assert login(Role.ENABLEMENT).get(f"/learning/certificates/{award_id}").status_code == 200
