"""No object of another team is reachable by guessing its id: a playlist shared with team A, team A's learning
progress, assignments and calls, and team A's report figures stay closed to the people of team B."""

from __future__ import annotations

from datetime import date

import pytest

from enable.auth.models import Role
from enable.db import utcnow
from enable.extensions import db
from enable.learning import tracks
from enable.learning.models import StepKind
from enable.search import playlists
from tests.calls.helpers import ingest_sample, load_content
from tests.factories import PASSWORD, make_team, make_user


@pytest.fixture
def app_config(app_config):
    app_config["JOBS_IMMEDIATE"] = False
    return app_config


@pytest.fixture
def teams(app):
    with app.app_context():
        load_content()
        a, b = make_team(name="Team A"), make_team(name="Team B")
        people = {
            "manager_a": make_user(role=Role.MANAGER, team=a, email="ma@example.test"),
            "rep_a": make_user(role=Role.REP, team=a, email="ra@example.test"),
            "manager_b": make_user(role=Role.MANAGER, team=b, email="mb@example.test"),
            "rep_b": make_user(role=Role.REP, team=b, email="rb@example.test"),
        }
        a.manager, b.manager = people["manager_a"], people["manager_b"]
        shared = playlists.create_playlist(people["rep_a"], "Team A secrets")
        playlists.set_shared(shared, people["rep_a"], True)
        private = playlists.create_playlist(people["manager_a"], "Manager A private")
        track = tracks.save_track(None, title="A onboarding", description="", is_default=False, actor=None,
                                  now=utcnow())
        tracks.add_step(track, kind=StepKind.SIGNOFF, ref="", title="Shadow a call", due_days=1, actor=None,
                        now=utcnow())
        assignment = tracks.assign_track(track, [people["rep_a"]], start=date.today(), actor=None, now=utcnow())[0]
        db.session.commit()
        call = ingest_sample("negotiation-price", rep_id=people["rep_a"].id)
        ids = {name: user.id for name, user in people.items()}
        people["rep_a"].name = "Alice of Team A"
        db.session.commit()
        ids.update(team_a=a.id, shared=shared.id, private=private.id, assignment=assignment.id, call=call)
        return ids


def _client(app, email):
    client = app.test_client()
    assert client.post("/auth/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client


def test_team_a_objects_are_closed_to_team_b(app, teams):
    rep_b, manager_b = _client(app, "rb@example.test"), _client(app, "mb@example.test")
    rep_a = _client(app, "ra@example.test")
    # the playlist shared with team A: its members see it, team B does not
    assert rep_a.get(f"/search/playlists/{teams['shared']}").status_code == 200
    for client in (rep_b, manager_b):
        for url in (f"/search/playlists/{teams['shared']}", f"/search/playlists/{teams['shared']}/play",
                    f"/search/playlists/{teams['private']}"):
            assert client.get(url).status_code in (403, 404), url
        assert "Team A secrets" not in client.get("/search/playlists").get_data(as_text=True)
        assert client.post(f"/search/playlists/{teams['shared']}/delete").status_code in (403, 404)
    # team A's learning: a person's progress and assignment
    for url in (f"/learning/team/{teams['rep_a']}", f"/learning/assignments/{teams['assignment']}"):
        assert manager_b.get(url).status_code in (403, 404), url
        assert rep_b.get(url).status_code in (403, 404), url
    assert _client(app, "ma@example.test").get(f"/learning/team/{teams['rep_a']}").status_code == 200
    assert "Alice of Team A" in _client(app, "ma@example.test").get("/learning/team").get_data(as_text=True)
    assert "Alice of Team A" not in manager_b.get("/learning/team").get_data(as_text=True)
    # team A's call can be listened to (the library is shared) but not changed by team B's manager
    assert manager_b.get(f"/calls/{teams['call']}/edit").status_code in (403, 404)
    assert manager_b.post(f"/calls/{teams['call']}/delete").status_code in (403, 404)
    assert f'href="/calls/{teams["call"]}"' not in manager_b.get("/calls/").get_data(as_text=True)
    # team A's report figures
    report = manager_b.get(f"/reports/usage?team={teams['team_a']}")
    assert report.status_code in (200, 403, 404, 422)
    if report.status_code == 200:
        assert "Choose one of the listed teams." in report.get_data(as_text=True)
