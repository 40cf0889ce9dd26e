"""A call of team East with a transcript and two bites, and people around it: its team (rep, manager), a rep of
another team, enablement and an admin. Ids only; `sign_in(client, who)` signs in through the real form."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from enable.auth.models import Role
from enable.extensions import db
from tests.factories import PASSWORD, make_team, make_user
from tests.search.factories import make_bite, make_call, transcript_from_lines, write_transcript

LINES = [
    ("rep", "Thanks for joining. Shall we look at the proposal and the price?", 0.0, 20.0),
    ("customer", "Honestly this is too expensive for us this quarter.", 21.0, 50.0),
    ("rep", "I hear you. Let me show where the cost pays back within a year.", 51.0, 90.0),
    ("customer", "Fine, send me the numbers and we will talk next week.", 91.0, 120.0),
]
PEOPLE = {"rep": ("anna.rep@example.test", Role.REP, "Anna Rep"),
          "manager": ("max.manager@example.test", Role.MANAGER, "Max Manager"),
          "other": ("oleg.other@example.test", Role.REP, "Oleg Other"),
          "enablement": ("erin@example.test", Role.ENABLEMENT, "Erin Enablement"),
          "admin": ("ada@example.test", Role.ADMIN, "Ada Admin")}


@dataclass
class World:
    call: int
    bites: list[int]
    users: dict[str, int]


@pytest.fixture
def world(app) -> World:
    with app.app_context():
        east, west = make_team(name="East"), make_team(name="West")
        made = {}
        for key, (email, role, name) in PEOPLE.items():
            team = east.id if key in ("rep", "manager") else west.id if key == "other" else None
            made[key] = make_user(email=email, role=role, name=name, team_id=team)
        east.manager_id = made["manager"].id
        call = make_call(duration_s=120.0, rep_id=made["rep"].id, team_id=east.id, uploaded_by_id=made["manager"].id,
                         title="Pricing call")
        write_transcript(call, transcript_from_lines(LINES))
        bites = [make_bite(call, "Thanks for joining the proposal price", seq=0, start_s=0.0, end_s=50.0),
                 make_bite(call, "I hear you cost pays back", seq=1, start_s=51.0, end_s=120.0)]
        db.session.commit()
        return World(call.id, [b.id for b in bites], {k: u.id for k, u in made.items()})


def sign_in(app, who: str):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": PEOPLE[who][0], "password": PASSWORD})
    assert response.status_code == 302
    return client
