"""Per-rep activity for managers: what each person of the team listened to, read, completed and scored, and when;
what was assigned to them that they never opened; the same rows as CSV; a manager sees their own team only."""

from __future__ import annotations

from datetime import date, timedelta

from enable.auth.models import Role, User
from enable.db import utcnow
from enable.extensions import db
from enable.learning import quizzes, tracks
from enable.learning.models import StepKind
from enable.usage import UsageKind, record_usage
from tests.factories import make_team, make_user
from tests.learning.factories import answers, make_bite, make_playbook, make_quiz, make_track, sign_in
from tests.reports.pagetables import csv_rows


def _team(app, users) -> dict:
    """rep@ in the manager's team, with a track of a bite, two playbooks and a quiz: the bite heard in a quiz, one
    playbook read to the end, the quiz taken; the other playbook never opened."""
    with app.app_context():
        manager, rep = db.session.get(User, users[Role.MANAGER]), db.session.get(User, users[Role.REP])
        rep.team = make_team(name="East", manager=manager)
        bite = make_bite(title="Price answer")
        read, unread = make_playbook(title="Discovery playbook"), make_playbook(title="Closing playbook")
        quiz = make_quiz(n_questions=2, title="Pricing quiz")
        track = make_track([(StepKind.BITE, bite), (StepKind.PLAYBOOK, read), (StepKind.PLAYBOOK, unread),
                            (StepKind.QUIZ, quiz)], due=[1, 2, 3, 4], title="First 30 days")
        now = utcnow()
        tracks.assign_track(track, [rep], start=date.today() - timedelta(days=5), actor=None, now=now)
        record_usage(rep, UsageKind.PLAY, "bite", bite.id, seconds=95.0, meta={"source": "quiz"})
        tracks.record_playbook_read(rep, read.id, now)
        quizzes.submit_attempt(rep, quiz, answers(quiz, right=1), now)
        db.session.commit()
        return {"rep": rep.id}


def test_a_manager_sees_what_a_rep_of_the_team_did_and_never_opened(app, login, users):
    ids = _team(app, users)
    manager = login(Role.MANAGER)
    team = manager.get("/learning/team").get_data(as_text=True)
    assert f'href="/learning/team/{ids["rep"]}/activity"' in team
    page = manager.get(f"/learning/team/{ids['rep']}/activity").get_data(as_text=True)
    done = page.split('id="activity-title"', 1)[1]
    assert "Price answer" in done and "95 s heard, in a quiz" in done
    assert "read to the end" in done and "Discovery playbook" in done
    assert "Pricing quiz" in done and "50% (1 of 2), not passed" in done
    assert "completed a step" in done
    never = page.split('id="never-title"', 1)[1].split('id="activity-title"', 1)[0]
    assert "Closing playbook" in never
    assert "Discovery playbook" not in never and "Price answer" not in never and "Pricing quiz" not in never
    rows = csv_rows(manager.get(f"/learning/team/{ids['rep']}/activity?format=csv"))
    assert rows[0] == ["When (UTC)", "Action", "Type", "Item", "Detail"]
    assert rows[-1][1:] == ["never opened", "playbook", "Closing playbook", "track: First 30 days"]
    assert any(r[1:4] == ["listened", "bite", "Price answer"] for r in rows)


def test_a_manager_sees_only_their_team_and_a_rep_sees_none(app, login, users):
    ids = _team(app, users)
    with app.app_context():
        stranger = make_user(role=Role.MANAGER, email="stranger@example.test")
        make_team(name="West", manager=stranger)
        db.session.commit()
    assert sign_in(app, "stranger@example.test").get(f"/learning/team/{ids['rep']}/activity").status_code == 404
    assert login(Role.REP).get(f"/learning/team/{ids['rep']}/activity").status_code == 403
    assert login(Role.ENABLEMENT).get(f"/learning/team/{ids['rep']}/activity?days=7").status_code == 200
    assert login(Role.MANAGER).get(f"/learning/team/{ids['rep']}/activity?days=99999999").status_code == 400
