"""Tracks: new hires get the default track with due dates; each kind of step completes by its own rule."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from enable.auth.models import Role, User
from enable.extensions import db
from enable.learning import quizzes, tracks
from enable.learning.models import Assignment, StepKind
from enable.search.models import Playlist, PlaylistItem
from enable.usage import UsageKind, record_usage
from tests.factories import make_team, make_user
from tests.learning.factories import (
    AUDIO,
    T0,
    answers,
    make_asset,
    make_bite,
    make_playbook,
    make_quiz,
    make_track,
    play,
)


def _assignment(email: str) -> Assignment | None:
    user = db.session.scalar(select(User).where(User.email == email))
    return db.session.scalar(select(Assignment).where(Assignment.user_id == user.id))


@pytest.fixture
def default_track(app):
    with app.app_context():
        track = make_track([(StepKind.PLAYBOOK, make_playbook()), (StepKind.QUIZ, make_quiz()),
                            (StepKind.SIGNOFF, "Role-play the pricing talk track with your manager")],
                           due=[3, 14, None], default=True, title="First 30 days")
        db.session.commit()
        return track.id


def test_a_rep_created_with_a_hire_date_gets_the_default_track_with_due_dates(app, login, default_track):
    hired = date.today() - timedelta(days=2)
    admin = login(Role.ADMIN)
    response = admin.post("/auth/users/new", data={"name": "Nina New", "email": "nina@example.test", "role": "rep",
                                                   "locale": "", "password": "longenough1",
                                                   "hired_on": hired.isoformat()})
    assert response.status_code == 302
    with app.app_context():
        assignment = _assignment("nina@example.test")
        assert assignment is not None and assignment.track_id == default_track and assignment.is_automatic
        assert assignment.started_on == hired
        dues = [s.due_on(assignment.started_on) for s in assignment.track.steps]
        assert dues == [hired + timedelta(days=3), hired + timedelta(days=14), None]
    nina = app.test_client()
    nina.post("/auth/login", data={"email": "nina@example.test", "password": "longenough1"})
    page = nina.get("/learning/").get_data(as_text=True)
    assert "First 30 days" in page and "0%" in page


def test_the_cli_gives_a_new_hire_the_default_track_too(app, runner, default_track):
    hired = date.today()
    result = runner.invoke(args=["users", "create", "--email", "cli@example.test", "--name", "Cli Hire",
                                 "--password", "longenough1", "--hired", hired.isoformat()])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert _assignment("cli@example.test").started_on == hired


def test_no_default_track_without_hire_date_for_managers_or_long_time_staff(app, runner, default_track):
    old = (date.today() - timedelta(days=400)).isoformat()
    for email, extra in (("nodate@example.test", []), ("boss@example.test", ["--role", "manager", "--hired", old]),
                         ("veteran@example.test", ["--hired", old])):
        result = runner.invoke(args=["users", "create", "--email", email, "--name", email, "--password",
                                     "longenough1", *extra])
        assert result.exit_code == 0, result.output
    with app.app_context():
        assert [_assignment(e) for e in ("nodate@example.test", "boss@example.test", "veteran@example.test")] == [
            None, None, None]


def test_assigning_twice_keeps_one_open_assignment(app):
    with app.app_context():
        rep = make_user()
        track = make_track([(StepKind.SIGNOFF, "Shadow two calls")])
        assert len(tracks.assign_track(track, [rep], start=T0.date(), actor=None, now=T0)) == 1
        assert tracks.assign_track(track, [rep], start=T0.date(), actor=None, now=T0) == []


def _one_step(kind, item, start=T0, rep=None):
    rep = rep or make_user()
    track = make_track([(kind, item)])
    [assignment] = tracks.assign_track(track, [rep], start=start.date(), actor=None, now=start)
    return rep, assignment


def _done(rep, assignment, now):
    tracks.sync_progress(rep, now)
    return {c.step_id: c.completed_at for c in assignment.completions}


def test_a_bite_step_completes_at_90_percent_listened(app):
    with app.app_context():
        bite = make_bite(start_s=10.0, end_s=110.0)  # 100 seconds
        rep, assignment = _one_step(StepKind.BITE, bite)
        play(rep, bite, 50.0, T0 + timedelta(hours=1))
        play(rep, bite, 39.0, T0 + timedelta(hours=2))
        assert _done(rep, assignment, T0 + timedelta(hours=3)) == {}  # 89 seconds
        play(rep, bite, 1.0, T0 + timedelta(hours=4))
        assert list(_done(rep, assignment, T0 + timedelta(hours=5)).values()) == [T0 + timedelta(hours=4)]
        assert assignment.completed_at == T0 + timedelta(hours=4)
        assert tracks.assignment_progress(assignment, T0.date()).percent == 100


def test_listening_before_the_track_started_does_not_count(app):
    with app.app_context():
        bite = make_bite()
        rep, assignment = _one_step(StepKind.BITE, bite, start=T0 + timedelta(days=3))
        play(rep, bite, 100.0, T0)
        assert _done(rep, assignment, T0 + timedelta(days=4)) == {}


def test_someone_elses_listening_does_not_count(app):
    with app.app_context():
        bite = make_bite()
        rep, assignment = _one_step(StepKind.BITE, bite)
        play(make_user(), bite, 100.0, T0 + timedelta(hours=1))
        assert _done(rep, assignment, T0 + timedelta(hours=2)) == {}


def test_a_playlist_step_needs_every_bite_heard(app):
    with app.app_context():
        first, second = make_bite(), make_bite()
        playlist = Playlist(name="Price objection: 2 ways")
        playlist.items = [PlaylistItem(bite_id=first.id, position=0), PlaylistItem(bite_id=second.id, position=1)]
        db.session.add(playlist)
        db.session.flush()
        rep, assignment = _one_step(StepKind.PLAYLIST, playlist)
        play(rep, first, 100.0, T0 + timedelta(hours=1))
        assert _done(rep, assignment, T0 + timedelta(hours=2)) == {}
        play(rep, second, 100.0, T0 + timedelta(hours=3))
        assert list(_done(rep, assignment, T0 + timedelta(hours=4)).values()) == [T0 + timedelta(hours=3)]


def test_a_playbook_step_completes_when_read_to_the_end(app, login, users):
    with app.app_context():
        rep = db.session.get(User, users[Role.REP])
        playbook = make_playbook(title="Negotiation")
        track = make_track([(StepKind.PLAYBOOK, playbook)])
        [assignment] = tracks.assign_track(track, [rep], start=date.today(), actor=None, now=T0)
        db.session.commit()
        playbook_id, assignment_id = playbook.id, assignment.id
    client = login(Role.REP)
    page = client.get(f"/learning/read/{playbook_id}").get_data(as_text=True)
    assert "Ask what number they had in mind" in page and "data-read-beacon" in page
    assert client.post(f"/learning/read/{playbook_id}").status_code == 200
    with app.app_context():
        assignment = db.session.get(Assignment, assignment_id)
        assert [c.step_id for c in assignment.completions] == [assignment.track.steps[0].id]
    assert client.post("/learning/read/999999").status_code == 404


def test_an_asset_step_completes_when_opened(app):
    with app.app_context():
        asset = make_asset()
        rep, assignment = _one_step(StepKind.ASSET, asset)
        record_usage(rep, UsageKind.SHARE, "asset", asset.id)  # sharing is not opening
        assert _done(rep, assignment, T0 + timedelta(hours=1)) == {}
        event = record_usage(rep, UsageKind.DOWNLOAD, "asset", asset.id)
        event.created_at = T0 + timedelta(hours=2)
        assert list(_done(rep, assignment, T0 + timedelta(hours=3)).values()) == [T0 + timedelta(hours=2)]


def test_a_quiz_step_completes_when_passed_not_when_failed(app):
    with app.app_context():
        quiz = make_quiz(n_questions=5, pass_percent=80)
        rep, assignment = _one_step(StepKind.QUIZ, quiz)
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=3), T0 + timedelta(hours=1))
        assert _done(rep, assignment, T0 + timedelta(hours=2)) == {}
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=4), T0 + timedelta(hours=3))  # 80%: passes
        assert list(_done(rep, assignment, T0 + timedelta(hours=4)).values()) == [T0 + timedelta(hours=3)]


def test_a_signoff_is_given_by_the_reps_manager_only(app):
    with app.app_context():
        manager, other_manager = make_user(role=Role.MANAGER), make_user(role=Role.MANAGER)
        team = make_team(manager=manager)
        rep, assignment = _one_step(StepKind.SIGNOFF, "Role-play the pricing talk track", rep=make_user(team=team))
        step_id = assignment.track.steps[0].id
        with pytest.raises(tracks.NotAllowed):
            tracks.sign_off_step(other_manager, assignment, step_id, T0)
        assert _done(rep, assignment, T0) == {}  # nothing completes a sign-off by itself
        tracks.sign_off_step(manager, assignment, step_id, T0 + timedelta(hours=1))
        [completion] = assignment.completions
        assert (completion.completed_at, completion.given_by_id) == (T0 + timedelta(hours=1), manager.id)
        assert assignment.completed_at == T0 + timedelta(hours=1)


def test_the_track_page_shows_steps_due_dates_and_overdue_flags(app, login, users):
    with app.app_context():
        rep = db.session.get(User, users[Role.REP])
        track = make_track([(StepKind.PLAYBOOK, make_playbook(title="Discovery basics")),
                            (StepKind.BITE, make_bite(title="Hear the Gong objection", media=AUDIO / "short_en.ogg"))],
                           due=[1, 60], title="Ramp")
        [assignment] = tracks.assign_track(track, [rep], start=date.today() - timedelta(days=5), actor=None,
                                           now=T0)
        db.session.commit()
        assignment_id = assignment.id
    page = login(Role.REP).get(f"/learning/assignments/{assignment_id}").get_data(as_text=True)
    assert "Discovery basics" in page and "Hear the Gong objection" in page
    assert page.count("Overdue") == 1  # day 1 passed four days ago; day 60 is ahead
    assert "0%" in page
    assert login(Role.MANAGER).get(f"/learning/assignments/{assignment_id}").status_code == 404  # not their team
