"""Coaching pages, the call page's panel, the manager's queue, the JSON API and the report, through real requests."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from sqlalchemy import select

from enable.api.tokens import TokenScope, create_token
from enable.auth.models import Role, User
from enable.calls.models import Call
from enable.coaching import services
from enable.coaching.models import CallScore, FeedbackRequest, ScorecardVersion
from enable.db import utcnow
from enable.extensions import db
from tests.coaching.helpers import answers_for, make_call, make_scorecard, make_teams
from tests.factories import PASSWORD, make_user


@pytest.fixture
def world(app):
    with app.app_context():
        people = make_teams()
        call = make_call(people.rep_id, people.team_id)
        card = make_scorecard()
        db.session.commit()
        emails = {uid: db.session.get(User, uid).email for uid in (
            people.manager_id, people.rep_id, people.other_rep_id, people.outsider_id, people.other_manager_id)}
        return {"people": people, "call": call.id, "card": card.id, "version": card.current.id, "emails": emails,
                "questions": [(q.id, q.kind.value) for q in card.current.questions]}


def _client(app, world, user_id):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": world["emails"][user_id], "password": PASSWORD})
    assert response.status_code == 302
    return client


def _form(world, *, version=None, moment="1:15") -> dict:
    values = {"yes_no": "yes", "scale": "4", "choice": "0", "text": "Recap earlier"}
    data = {"version_id": str(version or world["version"]), "note": "Good call"}
    for qid, kind in world["questions"]:
        data[f"q{qid}"] = values[kind]
        if kind == "scale":
            data[f"m{qid}"] = moment
    return data


def test_a_manager_scores_a_call_and_the_rep_sees_it_other_reps_do_not(app, world):
    p = world["people"]
    manager = _client(app, world, p.manager_id)
    page = manager.get(f"/coaching/calls/{world['call']}/score")
    assert page.status_code == 200 and "How well did they listen?" in page.get_data(as_text=True)
    response = manager.post(f"/coaching/calls/{world['call']}/score", data=_form(world))
    assert response.status_code == 302
    score_url = response.headers["Location"]
    shown = manager.get(score_url, follow_redirects=True).get_data(as_text=True)
    assert "Basics: 87.5%" in shown and 'data-start="75.0"' in shown and "at 1:15" in shown

    rep = _client(app, world, p.rep_id)
    assert rep.get(score_url).status_code == 200
    call_page = rep.get(f"/calls/{world['call']}").get_data(as_text=True)
    assert "Coaching" in call_page and "87.5%" in call_page and "by Mia Manager" in call_page
    for blind in (p.other_rep_id, p.outsider_id, p.other_manager_id):
        client = _client(app, world, blind)
        assert client.get(score_url).status_code == 404
        assert "87.5%" not in client.get(f"/calls/{world['call']}").get_data(as_text=True)
        assert client.get(f"/coaching/calls/{world['call']}/score").status_code == 403


def test_a_bad_answer_keeps_what_was_typed(app, world):
    manager = _client(app, world, world["people"].manager_id)
    data = _form(world, moment="99:99")
    response = manager.post(f"/coaching/calls/{world['call']}/score", data=data)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "within the call" in body and "Recap earlier" in body
    assert 'value="99:99"' in body
    data = _form(world, moment="soon")
    assert "such as 75 or 1:15" in manager.post(f"/coaching/calls/{world['call']}/score",
                                                 data=data).get_data(as_text=True)


def test_a_scorecard_changed_or_archived_while_scoring(app, world):
    manager = _client(app, world, world["people"].manager_id)
    with app.app_context():
        make_user(role=Role.ENABLEMENT, email="lead@example.test")
        db.session.commit()
    lead = app.test_client()
    assert lead.post("/auth/login", data={"email": "lead@example.test", "password": PASSWORD}).status_code == 302
    # someone scores, then enablement edits the questions: a new version
    rep = _client(app, world, world["people"].rep_id)
    assert rep.post(f"/coaching/calls/{world['call']}/score", data=_form(world)).status_code == 302
    edited = lead.post(f"/coaching/scorecards/{world['card']}/edit",
                       data={"title": "Basics", "stage": "", "questions": "[yesno 1] Brand new question"})
    assert edited.status_code == 302
    assert "Saved as version 2" in lead.get(edited.headers["Location"]).get_data(as_text=True)
    # the manager had the old form open: their score is saved against version 1, and they are told
    response = manager.post(f"/coaching/calls/{world['call']}/score", data=_form(world), follow_redirects=True)
    assert "Saved against version 1, the one you saw" in response.get_data(as_text=True)
    with app.app_context():
        assert {s.version.number for s in db.session.scalars(select(CallScore))} == {1}
    # archived while scoring: a clear message, the answers still in the form
    assert lead.post(f"/coaching/scorecards/{world['card']}/archive").status_code == 302
    response = manager.post(f"/coaching/calls/{world['call']}/score", data=_form(world))
    body = response.get_data(as_text=True)
    assert response.status_code == 409 and "no longer accepts scores" in body and "Recap earlier" in body


def test_enablement_defines_scorecards(app, world, login):
    lead = login(Role.ENABLEMENT)
    bad = lead.post("/coaching/scorecards/new", data={"title": "X", "stage": "", "questions": "no brackets"})
    assert bad.status_code == 422 and "start with [yesno]" in bad.get_data(as_text=True)
    made = lead.post("/coaching/scorecards/new", data={"title": "Demo call", "stage": "",
                                                       "questions": "[scale 2] Clarity\n[text] Notes"})
    assert made.status_code == 302
    listing = lead.get("/coaching/scorecards").get_data(as_text=True)
    assert "Demo call" in listing and "Basics" in listing
    page = lead.get(made.headers["Location"]).get_data(as_text=True)
    assert "Clarity" in page and "Version 1" in page


def test_a_rep_asks_for_feedback_and_the_manager_sees_it_on_home(app, world):
    p = world["people"]
    rep = _client(app, world, p.rep_id)
    due = (utcnow().date() - timedelta(days=1)).isoformat()
    refused = rep.post(f"/coaching/calls/{world['call']}/request-feedback",
                       data={"manager": str(p.manager_id), "note": "The price part", "due_on": due})
    assert "The due date is in the past" in refused.get_data(as_text=True)
    due = (utcnow().date() + timedelta(days=3)).isoformat()
    response = rep.post(f"/coaching/calls/{world['call']}/request-feedback",
                        data={"manager": str(p.manager_id), "note": "The price part", "due_on": due})
    assert response.status_code == 302
    assert "Feedback asked of Mia Manager" in rep.get(f"/calls/{world['call']}").get_data(as_text=True)
    assert _client(app, world, p.other_rep_id).get(
        f"/coaching/calls/{world['call']}/request-feedback").status_code == 403
    manager = _client(app, world, p.manager_id)
    home = manager.get("/").get_data(as_text=True)
    assert "Feedback requests" in home and "Rita Rep" in home and "Due " in home
    # overdue once the day has passed
    with app.app_context():
        request = db.session.scalar(select(FeedbackRequest))
        request.due_on = utcnow().date() - timedelta(days=2)
        db.session.commit()
    assert "Overdue since" in manager.get("/").get_data(as_text=True)
    assert "Overdue" in manager.get("/coaching/queue").get_data(as_text=True)
    # scoring fulfils it
    manager.post(f"/coaching/calls/{world['call']}/score", data=_form(world))
    assert "No one is waiting for your feedback." in manager.get("/").get_data(as_text=True)


def _token(app, user_id):
    with app.app_context():
        _t, secret = create_token(db.session.get(User, user_id), name="t", scope=TokenScope.READ_WRITE)
        db.session.commit()
    return {"Authorization": f"Bearer {secret}"}


def test_api_lists_scorecards_reads_and_creates_scores(app, world):
    p = world["people"]
    client = app.test_client()
    manager = _token(app, p.manager_id)
    cards = client.get("/api/v1/scorecards", headers=manager).get_json()["data"]
    assert cards[0]["version_id"] == world["version"] and len(cards[0]["questions"]) == 4
    answers = [{"question_id": qid, "value": {"yes_no": "yes", "scale": "5", "choice": "1", "text": "ok"}[kind],
                "moment_s": 30 if kind == "scale" else None} for qid, kind in world["questions"]]
    made = client.post(f"/api/v1/calls/{world['call']}/scores", headers=manager,
                       json={"version_id": world["version"], "answers": answers})
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["total_pct"] == pytest.approx(91.7)
    bad = client.post(f"/api/v1/calls/{world['call']}/scores", headers=manager,
                      json={"version_id": world["version"], "answers": [{**answers[1], "value": "9"}]})
    assert bad.status_code == 400 and "1 to 5" in bad.get_json()["error"]["message"]
    assert client.get(f"/api/v1/calls/{world['call']}/scores", headers=_token(app, p.rep_id)).get_json()["data"]
    assert client.get(f"/api/v1/calls/{world['call']}/scores",
                      headers=_token(app, p.other_rep_id)).get_json()["data"] == []
    outsider = client.post(f"/api/v1/calls/{world['call']}/scores", headers=_token(app, p.outsider_id),
                           json={"version_id": world["version"], "answers": answers})
    assert outsider.status_code == 403
    with app.app_context():
        version = db.session.get(ScorecardVersion, world["version"])
        services.set_active(version.scorecard, False)
        db.session.commit()
    closed = client.post(f"/api/v1/calls/{world['call']}/scores", headers=manager,
                         json={"version_id": world["version"], "answers": answers})
    assert closed.status_code == 409


def test_the_report_shows_trends_questions_and_csv(app, world, login):
    p = world["people"]
    with app.app_context():
        version = db.session.get(ScorecardVersion, world["version"])
        call = db.session.get(Call, world["call"])
        manager = db.session.get(User, p.manager_id)
        services.score_call(call, version, manager, answers_for(version, scale="3"), now=utcnow() - timedelta(days=40))
        services.score_call(call, version, manager, answers_for(version), now=utcnow())
        services.score_call(call, version, db.session.get(User, p.rep_id), answers_for(version, yes="no"))
        db.session.commit()
    lead = login(Role.ENABLEMENT)
    page = lead.get("/reports/scores")
    body = page.get_data(as_text=True)
    assert page.status_code == 200 and "scores-trend" in body and "How well did they listen?" in body
    assert "Call scores" in lead.get("/reports/").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(lead.get("/reports/scores?format=csv&table=reps").get_data(as_text=True)
                                       .lstrip("\ufeff"))))
    assert rows[0][:4] == ["Month", "Team", "Rep", "Scores by managers"]
    assert sum(int(r[3]) for r in rows[1:]) == 2 and sum(int(r[5]) for r in rows[1:]) == 1
    questions = lead.get("/reports/scores?format=csv&table=questions").get_data(as_text=True)
    assert "How well did they listen?" in questions
    # a manager of another team sees none of these scores
    other = _client(app, world, p.other_manager_id)
    assert "No calls were scored in this period yet" in other.get("/reports/scores").get_data(as_text=True)


@pytest.mark.parametrize("raw", ["9" * 400 + ":0", "1e999", "²:10"])
def test_a_moment_that_is_no_second_is_refused_with_a_reason_not_a_crash(app, raw):
    from enable.coaching.views import _moment
    from enable.errors import UserError

    with app.test_request_context("/"), pytest.raises(UserError, match="75 or 1:15"):
        _moment(raw)
