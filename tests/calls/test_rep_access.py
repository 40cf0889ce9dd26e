"""What a rep sees of calls: the list shows their own and their team's, and every call it lists opens; a call of
the library (ready) opens for anyone signed in, one still processing or failed only for those whose list shows it."""

from __future__ import annotations

import re

from enable.auth.models import Role
from enable.calls.models import CallStatus
from enable.extensions import db
from tests.deals.makers import make_call
from tests.factories import make_team, make_user


def _listed(client, url: str = "/calls/") -> set[str]:
    response = client.get(url)
    assert response.status_code == 200
    return set(re.findall(r'href="/calls/(\d+)"', response.get_data(as_text=True)))


def test_a_reps_calls_list_and_call_pages_agree(app, users, login):
    with app.app_context():
        north, south = make_team(name="North"), make_team(name="South")
        rep = db.session.get(type(make_user(name="x", email="x@example.test")), users[Role.REP])
        rep.team_id = north.id
        peer = make_user(name="Peer", email="peer@example.test", team_id=north.id)
        other = make_user(name="Other", email="other@example.test", team_id=south.id)
        calls = {
            "own": make_call(title="My own call", rep_id=rep.id, status=CallStatus.FAILED, error="no speech"),
            "team": make_call(title="A teammate's call", rep_id=peer.id, team_id=north.id,
                              status=CallStatus.TRANSCRIBING),
            "other ready": make_call(title="Another team's call", rep_id=other.id, team_id=south.id),
            "other failed": make_call(title="Another team's failed call", rep_id=other.id, team_id=south.id,
                                      status=CallStatus.FAILED, error="no speech"),
        }
        db.session.commit()
        ids = {name: str(call.id) for name, call in calls.items()}
    client = login(Role.REP)
    listed = _listed(client)
    assert listed == {ids["own"], ids["team"]}
    for call_id in listed:  # everything the list shows opens
        assert client.get(f"/calls/{call_id}").status_code == 200
    assert client.get(f"/calls/{ids['other ready']}").status_code == 200  # the library is everyone's
    for path in ("", "/media", "/captions.vtt"):
        assert client.get(f"/calls/{ids['other failed']}{path}").status_code == 404
    page = client.get("/calls/").get_data(as_text=True)
    assert "Upload recordings" not in page and "Retry" not in page and "Delete" not in page
    statuses = client.get(f"/calls/status?ids={','.join(ids.values())}").get_json()["calls"]
    assert {str(s["id"]) for s in statuses} == {ids["own"], ids["team"]}

    manager = login(Role.MANAGER)
    assert ids["other failed"] in _listed(login(Role.ENABLEMENT))
    assert manager.get(f"/calls/{ids['other failed']}").status_code == 404  # not the manager's team
