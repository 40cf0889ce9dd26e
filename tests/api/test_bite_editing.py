"""The API's bite curation: rename (POST /bites/<id>/title) and trim (POST /bites/<id>/trim), for managers and up;
a refused trim is a clear 422 that changes nothing. (Its own module: the edits change the module's shared world.)"""

from __future__ import annotations

from enable.api import tokens
from enable.auth.models import Role
from enable.bites.models import Bite
from enable.extensions import db
from tests.api.conftest import TokenClient
from tests.factories import make_team, make_user


def test_rename_and_trim_a_bite_through_the_api(api, api_app, world):
    bite_id = world.bite_ids[0]
    before = api(Role.REP, "read").get(f"/bites/{bite_id}").get_json()
    assert api(Role.REP).post(f"/bites/{bite_id}/title", json={"title": "x"}).status_code == 403
    assert api(Role.MANAGER, "read").post(f"/bites/{bite_id}/trim", json={"start_s": 1, "end_s": 9}).status_code \
        == 403
    renamed = api(Role.MANAGER).post(f"/bites/{bite_id}/title", json={"title": "  Price objection, asked  "})
    assert renamed.status_code == 200 and renamed.get_json()["title"] == "Price objection, asked"
    empty = api(Role.MANAGER).post(f"/bites/{bite_id}/title", json={"title": " "})
    assert empty.status_code == 422 and "title" in empty.get_json()["error"]["message"]

    start, end = before["start_s"] + 3.0, before["end_s"] - 3.0
    trimmed = api(Role.ENABLEMENT).post(f"/bites/{bite_id}/trim", json={"start_s": start, "end_s": end})
    assert trimmed.status_code == 200, trimmed.get_json()
    body = trimmed.get_json()
    assert start - 1.5 <= body["start_s"] and body["end_s"] <= end + 1.5 and body["title"] == "Price objection, asked"
    assert body["text"] != before["text"]

    outside = api(Role.ENABLEMENT).post(f"/bites/{bite_id}/trim", json={"start_s": 0, "end_s": 99999})
    assert outside.status_code == 422 and "within it" in outside.get_json()["error"]["message"]
    wrong = api(Role.ENABLEMENT).post(f"/bites/{bite_id}/trim", json={"start_s": "soon", "end_s": 5})
    assert wrong.status_code == 400
    with api_app.app_context():
        bite = db.session.get(Bite, bite_id)
        assert (bite.start_s, bite.end_s) == (body["start_s"], body["end_s"])  # the refused trims changed nothing


def test_a_manager_of_another_team_cannot_edit_the_bites_of_a_call(api, api_app, world):
    with api_app.app_context():
        west = make_user(role=Role.MANAGER, email="west-manager@example.test", team_id=make_team(name="West").id)
        _token, secret = tokens.create_token(west, name="west", scope=tokens.TokenScope.READ_WRITE)
        db.session.commit()
    client = TokenClient(api_app.test_client(), secret)
    bite_id = world.bite_ids[-1]
    before = api(Role.REP, "read").get(f"/bites/{bite_id}").get_json()
    renamed = client.post(f"/bites/{bite_id}/title", json={"title": "Mine now"})
    assert renamed.status_code == 403 and renamed.get_json()["error"]["message"]
    trimmed = client.post(f"/bites/{bite_id}/trim", json={"start_s": before["start_s"] + 1, "end_s": before["end_s"]})
    assert trimmed.status_code == 403
    assert api(Role.REP, "read").get(f"/bites/{bite_id}").get_json() == before


def test_a_huge_or_odd_trim_number_is_a_clear_400(api, world):
    bite_id = world.bite_ids[-1]
    before = api(Role.REP, "read").get(f"/bites/{bite_id}").get_json()
    for start, end in [(10**400, 5), (1, 10**400), (-(10**400), 5), (-1, 5), (1, 1_000_001)]:
        sent = api(Role.ENABLEMENT).post(f"/bites/{bite_id}/trim", json={"start_s": start, "end_s": end})
        assert sent.status_code == 400 and sent.get_json()["error"]["code"] == "invalid", (start, end)
    assert api(Role.REP, "read").get(f"/bites/{bite_id}").get_json() == before
