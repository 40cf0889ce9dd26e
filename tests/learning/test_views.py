"""The pages: the team view and sign-offs, track editing and assignment, the home panels, acknowledging a change,
and the `flask learning` commands."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy import select

from enable.auth.models import Role, Team, User
from enable.db import utcnow
from enable.extensions import db
from enable.learning import quizzes, tracks
from enable.learning.models import (
    Assignment,
    CertificationAward,
    CertificationRequirement,
    Quiz,
    RequirementKind,
    StepKind,
    Track,
)
from enable.playbooks import services as playbooks
from tests.factories import make_team, make_user
from tests.learning.factories import answers, make_bite, make_playbook, make_quiz, make_track, play, sign_in
from tests.learning.test_certifications import make_certification


def _team(app, users) -> dict:
    """The manager@ user manages a team with rep@ and a second rep; a track with a sign-off and a quiz, assigned."""
    with app.app_context():
        manager = db.session.get(User, users[Role.MANAGER])
        rep = db.session.get(User, users[Role.REP])
        team = make_team(name="East", manager=manager)
        rep.team = team
        other = make_user(team=team, name="Olga Other", hired_on=date.today() - timedelta(days=20))
        quiz = make_quiz(n_questions=2)
        track = make_track([(StepKind.QUIZ, quiz), (StepKind.SIGNOFF, "Role-play the pricing talk track")],
                           due=[1, 60], title="First 30 days")
        cert = make_certification(track, quiz, signoff="Handled a live price objection")
        tracks.assign_track(track, [rep, other], start=date.today() - timedelta(days=5), actor=None, now=utcnow())
        db.session.commit()
        return {"rep": rep.id, "other": other.id, "quiz": quiz.id, "track": track.id, "cert": cert.id}


def test_the_team_view_shows_progress_overdue_and_certifications(app, login, users):
    ids = _team(app, users)
    with app.app_context():
        rep = db.session.get(User, ids["rep"])
        quiz = db.session.get(Quiz, ids["quiz"])
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=2), utcnow())
        db.session.commit()
    page = login(Role.MANAGER).get("/learning/team").get_data(as_text=True)
    assert "Rep User" in page and "Olga Other" in page
    assert "50%" in page and "0%" in page  # the rep passed the quiz; Olga has done nothing
    assert 'badge badge-bad">1<' in page  # Olga's quiz step (day 1) is overdue
    assert "Manager User" not in page.split("<tbody>")[1]  # the manager is not a row of their own team view


def test_the_manager_signs_off_and_the_certification_follows(app, login, users):
    ids = _team(app, users)
    with app.app_context():
        rep = db.session.get(User, ids["rep"])
        quiz = db.session.get(Quiz, ids["quiz"])
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=2), utcnow())
        assignment = db.session.scalar(select(Assignment).where(Assignment.user_id == rep.id))
        step_id = next(s.id for s in assignment.track.steps if s.kind == StepKind.SIGNOFF)
        req_id = db.session.scalar(select(CertificationRequirement.id)
                                   .where(CertificationRequirement.kind == RequirementKind.SIGNOFF))
        db.session.commit()
        assignment_id = assignment.id
    manager = login(Role.MANAGER)
    member = manager.get(f"/learning/team/{ids['rep']}").get_data(as_text=True)
    assert "Role-play the pricing talk track" in member and "Handled a live price objection" in member
    assert member.count(">Sign off<") == 2
    response = manager.post(f"/learning/assignments/{assignment_id}/steps/{step_id}/signoff")
    assert response.status_code == 302
    response = manager.post(f"/learning/team/{ids['rep']}/requirements/{req_id}/signoff")
    assert response.status_code == 302
    with app.app_context():
        [award] = db.session.scalars(select(CertificationAward)).all()
        assert award.user_id == ids["rep"]
    page = manager.get("/learning/team").get_data(as_text=True)
    assert "Objection handling certified" in page and "Valid" in page
    assert "not certified yet" in page  # Olga: hired 20 days ago, no certification yet
    rep_page = login(Role.REP).get("/learning/").get_data(as_text=True)
    assert "Objection handling certified" in rep_page and "100%" in rep_page


def test_only_the_teams_manager_sees_and_signs(app, login, users):
    ids = _team(app, users)
    with app.app_context():
        stranger = make_user(role=Role.MANAGER, email="stranger@example.test")
        make_team(name="West", manager=stranger)
        assignment_id = db.session.scalar(select(Assignment.id).where(Assignment.user_id == ids["rep"]))
        step_id = db.session.scalar(select(Track).where(Track.id == ids["track"])).steps[1].id
        db.session.commit()
    client = sign_in(app, "stranger@example.test")
    assert client.get(f"/learning/team/{ids['rep']}").status_code == 404
    assert client.post(f"/learning/assignments/{assignment_id}/steps/{step_id}/signoff").status_code == 404
    assert "Rep User" not in client.get("/learning/team").get_data(as_text=True)
    enablement = login(Role.ENABLEMENT)
    page = enablement.get(f"/learning/team/{ids['rep']}").get_data(as_text=True)
    assert "Only the manager of their team gives sign-offs." in page  # enablement sees but does not sign
    enablement.post(f"/learning/assignments/{assignment_id}/steps/{step_id}/signoff")
    with app.app_context():
        assert db.session.get(Assignment, assignment_id).completions == []


def test_enablement_builds_a_track_in_the_browser_and_assigns_it_to_a_team(app, login, users):
    with app.app_context():
        make_playbook(title="Discovery", slug="discovery")
        bite = make_bite(title="Gong objection")
        make_quiz(n_questions=1, slug="basics")
        team = make_team(name="North")
        member = make_user(team=team)
        db.session.commit()
        bite_id, team_id, member_id = bite.id, team.id, member.id
    client = login(Role.ENABLEMENT)
    response = client.post("/learning/tracks/new", data={"title": "Ramp fast", "description": "Two weeks"})
    assert response.status_code == 302
    track_url = response.headers["Location"]
    track_id = int(re.search(r"/tracks/(\d+)", track_url)[1])
    for step in ({"kind": "playbook", "ref": "discovery", "due_days": "2"},
                 {"kind": "bite", "ref": f"/bites/{bite_id}", "due_days": "3"},
                 {"kind": "quiz", "ref": "basics"},
                 {"kind": "signoff", "title": "Shadow two discovery calls"}):
        assert client.post(f"/learning/tracks/{track_id}/steps", data=step).status_code == 302
    client.post(f"/learning/tracks/{track_id}/steps", data={"kind": "playbook", "ref": "no-such-playbook"})
    page = client.get(track_url).get_data(as_text=True)
    assert "No playbook matches" in page
    assert [t in page for t in ("Discovery", "Gong objection", "Shadow two discovery calls")] == [True] * 3
    with app.app_context():
        steps = db.session.get(Track, track_id).steps
        last_id = steps[-1].id
        assert [s.kind for s in steps] == [StepKind.PLAYBOOK, StepKind.BITE, StepKind.QUIZ, StepKind.SIGNOFF]
    client.post(f"/learning/steps/{last_id}/move", data={"direction": "up"})
    with app.app_context():
        assert db.session.get(Track, track_id).steps[2].id == last_id
    response = client.post(f"/learning/tracks/{track_id}/assign", data={"teams": str(team_id),
                                                                        "start": "2026-03-02"})
    assert response.status_code == 302
    with app.app_context():
        [assignment] = db.session.scalars(select(Assignment).where(Assignment.track_id == track_id)).all()
        assert assignment.user_id == member_id and assignment.started_on == date(2026, 3, 2)
        assert db.session.get(Team, team_id).name == "North"


def test_the_rep_home_panel_and_the_manager_panel(app, login, users):
    ids = _team(app, users)
    rep_home = login(Role.REP).get("/").get_data(as_text=True)
    assert "Your learning" in rep_home and "First 30 days" in rep_home and "Next:" in rep_home
    manager_home = login(Role.MANAGER).get("/").get_data(as_text=True)
    assert "Team onboarding" in manager_home and "overdue step" in manager_home
    admin_home = login(Role.ADMIN).get("/").get_data(as_text=True)
    assert "Your learning" not in admin_home  # nothing assigned, nothing to review
    assert ids


def test_a_holder_acknowledges_a_playbook_change_in_the_browser(app, users):
    with app.app_context():
        manager = db.session.get(User, users[Role.MANAGER])
        rep = make_user(team=make_team(manager=manager), email="holder@example.test")
        playbook = make_playbook(title="Negotiation")
        bite = make_bite()
        track = make_track([(StepKind.PLAYBOOK, playbook), (StepKind.BITE, bite)])
        make_certification(track, valid_days=365)
        now = utcnow() - timedelta(days=2)
        tracks.assign_track(track, [rep], start=now.date(), actor=None, now=now)
        tracks.record_playbook_read(rep, playbook.id, now)
        play(rep, bite, 100.0, now)
        tracks.sync_progress(rep, now)
        playbooks.update_playbook(playbook, title="Negotiation", body="## New limits\n", stage=None, editor=manager,
                                  now=utcnow(), note="approval limits changed", requires_ack=True)
        db.session.commit()
        award_id = db.session.scalar(select(CertificationAward.id))
    client = sign_in(app, "holder@example.test")
    page = client.get("/learning/").get_data(as_text=True)
    assert "Needs attention" in page and "Changes to acknowledge" in page
    # The manager's team view says why (issue 23: a "Needs attention" badge with no reason).
    team = sign_in(app, "manager@example.test").get("/learning/team").get_data(as_text=True)
    badge = team.index("Needs attention")
    assert "The playbook “Negotiation” changed since; the change waits to be acknowledged." in team[badge:badge + 400]
    ack_url = re.search(r'href="(/learning/acks/\d+)"', page)[1]
    ack_page = client.get(ack_url).get_data(as_text=True)
    assert "I have read the change" in ack_page and "/learning/read/" in ack_page
    assert client.post(ack_url).status_code == 302
    assert "Needs attention" not in client.get(f"/learning/certificates/{award_id}").get_data(as_text=True)


def test_cli_assigns_shows_progress_and_ramp(app, runner, users):
    with app.app_context():
        make_track([(StepKind.SIGNOFF, "Shadow a call")], title="Basics")
        db.session.commit()
    result = runner.invoke(args=["learning", "assign", "track-basics"])
    assert result.exit_code != 0 and "no track" in result.output
    slug = None
    with app.app_context():
        slug = db.session.scalar(select(Track.slug))
    result = runner.invoke(args=["learning", "assign", slug, "--user", "rep@example.test", "--start", "2026-03-02"])
    assert result.exit_code == 0 and "assigned 'basics' to 1 people" in result.output, result.output
    result = runner.invoke(args=["learning", "progress", "rep@example.test"])
    assert result.exit_code == 0 and "basics\t0%\t0/1" in result.output and "reviews due\t0" in result.output
    with app.app_context():
        db.session.get(User, users[Role.REP]).hired_on = date(2026, 2, 1)
        db.session.commit()
    result = runner.invoke(args=["learning", "ramp"])
    assert result.exit_code == 0 and "Rep User\thired 2026-02-01\tnot certified" in result.output
