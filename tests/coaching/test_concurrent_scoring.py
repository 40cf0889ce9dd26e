"""Two managers scoring the same call at the same moment, through a real server: every score is kept."""

from __future__ import annotations

import threading
from datetime import date

import requests
from sqlalchemy import func, select

from enable.auth.models import Role, User
from enable.coaching import services
from enable.coaching.models import CallScore, FeedbackRequest, ScoreAnswer
from enable.extensions import db
from tests.coaching.helpers import make_call, make_scorecard, make_teams
from tests.factories import PASSWORD, make_user

ROUNDS = 5


def test_two_managers_scoring_one_call_at_once_lose_nothing(app, live_server):
    with app.app_context():
        people = make_teams()
        make_user(role=Role.MANAGER, team_id=people.team_id, email="second@example.test")
        first_email = db.session.get(User, people.manager_id).email
        call = make_call(people.rep_id, people.team_id)
        version = make_scorecard().current
        services.request_feedback(call, db.session.get(User, people.rep_id), people.manager_id,
                                  today=date(2026, 1, 1))
        db.session.commit()
        call_id, form = call.id, {"version_id": str(version.id), "note": ""}
        for q in version.questions:
            form[f"q{q.id}"] = {"yes_no": "yes", "scale": "3", "choice": "1", "text": "ok"}[q.kind.value]

    sessions = []
    for email in (first_email, "second@example.test"):
        s = requests.Session()
        assert s.post(f"{live_server}/auth/login", data={"email": email, "password": PASSWORD},
                      allow_redirects=False).status_code == 302
        sessions.append(s)
    barrier = threading.Barrier(len(sessions))
    statuses: list[int] = []

    def score(session: requests.Session, n: int) -> None:
        for i in range(ROUNDS):
            barrier.wait(timeout=30)
            data = {**form, "note": f"manager {n} round {i}"}
            statuses.append(session.post(f"{live_server}/coaching/calls/{call_id}/score", data=data,
                                         allow_redirects=False, timeout=60).status_code)

    threads = [threading.Thread(target=score, args=(s, n)) for n, s in enumerate(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert statuses == [302] * (ROUNDS * len(sessions))
    with app.app_context():
        notes = set(db.session.scalars(select(CallScore.note).where(CallScore.call_id == call_id)))
        assert notes == {f"manager {n} round {i}" for n in range(2) for i in range(ROUNDS)}
        assert db.session.scalar(select(func.count()).select_from(ScoreAnswer)) == 4 * ROUNDS * 2
        request = db.session.scalar(select(FeedbackRequest))
        assert request.fulfilled_at is not None and request.score_id is not None
