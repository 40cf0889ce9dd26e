"""Comments through the API: list and post on a call and a bite with a token, the same rules as the pages."""

from __future__ import annotations

from enable.api.tokens import TokenScope, create_token
from enable.auth.models import User
from enable.extensions import db


def _api(app, world, who: str, scope: TokenScope = TokenScope.READ_WRITE):
    with app.app_context():
        _token, secret = create_token(db.session.get(User, world.users[who]), name="t", scope=scope)
        db.session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}

    class Api:
        def get(self, path):
            return client.get("/api/v1" + path, headers=headers)

        def post(self, path, body):
            return client.post("/api/v1" + path, json=body, headers=headers)

    return Api()


def test_post_and_list_on_a_call_and_a_bite(app, world):
    rep = _api(app, world, "rep")
    response = rep.post(f"/calls/{world.call}/comments", {"body": "Nice *opener*", "at_s": 12.5})
    assert response.status_code == 201, response.get_json()
    made = response.get_json()
    assert made["at_s"] == 12.5 and made["visibility"] == "team" and made["author"]["name"] == "Anna Rep"
    response = rep.post(f"/bites/{world.bites[1]}/comments", {"body": "Good answer", "at_s": 95})
    on_bite = response.get_json()
    assert response.status_code == 201 and on_bite["call_id"] == world.call and on_bite["bite_id"] == world.bites[1]
    reply = rep.post(f"/calls/{world.call}/comments", {"body": "and more", "parent_id": made["id"]}).get_json()
    assert reply["parent_id"] == made["id"] and reply["at_s"] == 12.5

    listed = _api(app, world, "manager").get(f"/calls/{world.call}/comments").get_json()["data"]
    assert [c["body"] for c in listed] == ["Nice *opener*", "and more", "Good answer"]
    on_second_bite = rep.get(f"/bites/{world.bites[1]}/comments").get_json()["data"]
    assert [c["body"] for c in on_second_bite] == ["Good answer"]


def test_bad_input_is_a_422_saying_what_to_change(app, world):
    rep = _api(app, world, "rep")
    response = rep.post(f"/calls/{world.call}/comments", {"body": "late", "at_s": 500})
    assert response.status_code == 422 and "outside this call" in response.get_json()["error"]["message"]
    response = rep.post(f"/calls/{world.call}/comments", {"body": "@ghost hi", "at_s": 5})
    assert response.status_code == 422 and "@ghost" in response.get_json()["error"]["message"]
    assert rep.post(f"/calls/{world.call}/comments", {"body": "x", "at_s": "soon"}).status_code == 400
    assert rep.post(f"/calls/{world.call}/comments", {"body": "x"}).status_code == 422
    assert rep.get(f"/calls/{world.call}/comments").get_json()["data"] == []


def test_private_notes_and_team_comments_through_the_api(app, world):
    manager = _api(app, world, "manager")
    manager.post(f"/calls/{world.call}/comments", {"body": "mine", "at_s": 1, "visibility": "private"})
    manager.post(f"/calls/{world.call}/comments", {"body": "team", "at_s": 2})
    assert [c["body"] for c in manager.get(f"/calls/{world.call}/comments").get_json()["data"]] == ["mine", "team"]
    for who, expected in (("rep", ["team"]), ("enablement", ["team"]), ("other", [])):
        found = _api(app, world, who).get(f"/calls/{world.call}/comments").get_json()["data"]
        assert [c["body"] for c in found] == expected, who


def test_a_read_token_lists_but_does_not_post(app, world):
    reader = _api(app, world, "rep", TokenScope.READ)
    assert reader.get(f"/calls/{world.call}/comments").status_code == 200
    assert reader.post(f"/calls/{world.call}/comments", {"body": "x", "at_s": 1}).status_code == 403


def test_the_openapi_document_describes_comments(app, world):
    doc = app.test_client().get("/api/v1/openapi.json").get_json()
    assert "Comment" in doc["components"]["schemas"]
    post = doc["paths"]["/bites/{bite_id}/comments"]["post"]
    assert post["x-token-scope"] == "read-write" and "at_s" in post["requestBody"]["content"]["application/json"][
        "schema"]["properties"]
