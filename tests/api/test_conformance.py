"""What the OpenAPI document declares is what the API enforces: 405 answers name the allowed methods, a malformed
call_date is a 400 (nothing stored), declared maxLength, minimum and maximum are refused with a message."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from enable.auth.models import Role
from enable.calls.models import Call
from enable.extensions import db


def test_a_405_names_the_allowed_methods_on_the_api_and_on_the_site(api, api_app):
    response = api(Role.ADMIN).open("/calls", "PUT")
    assert response.status_code == 405 and response.get_json()["error"]["code"] == "method_not_allowed"
    assert {"GET", "POST"} <= {m.strip() for m in response.headers["Allow"].split(",")}
    page = api_app.test_client().put("/auth/login")
    assert page.status_code == 405 and "POST" in page.headers["Allow"]


def _calls(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Call.id)))


@pytest.mark.parametrize("value", ["20240101", "2024-W01-1", "2024-02-30", "31.12.2024", "0001-01-01",
                                   "9999-12-31", "2024-1-5"])
def test_a_malformed_or_far_call_date_on_upload_is_a_400_and_nothing_is_stored(api, api_app, value):
    before = _calls(api_app)
    response = api(Role.MANAGER).post("/calls", content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(b"not audio " + value.encode()), "call.wav"),
                                            "call_date": value})
    assert response.status_code == 400, response.get_json()
    message = response.get_json()["error"]["message"]
    assert "is not a date (use YYYY-MM-DD)" in message or "Enter a date between 1900-01-01" in message
    assert _calls(api_app) == before


@pytest.mark.parametrize(("path", "words"), [
    ("/assets?q=" + "x" * 201, "“q” may have at most 200 characters."),
    ("/assets?tag=0", "“tag” must be at least 1."),
    ("/assets?tag=x", "“tag” must be a whole number."),
    ("/calls?limit=0", "“limit” must be at least 1."),
    ("/calls?limit=101", "“limit” must be at most 100."),
    ("/playbooks?stage=" + "s" * 61, "“stage” may have at most 60 characters."),
    ("/reports/search-gaps?few=51", "“few” must be at most 50."),
    ("/deals?outcome=maybe", "“outcome” must be one of"),
])
def test_declared_query_limits_are_enforced(api, path, words):
    response = api(Role.ADMIN).get(path)
    assert response.status_code == 400, (path, response.get_json())
    assert words in response.get_json()["error"]["message"]


def test_declared_body_limits_are_enforced(api):
    admin = api(Role.ADMIN)
    response = admin.post("/playlists", json={"name": "n" * 1000})
    assert response.status_code == 400 and "“name” may have at most" in response.get_json()["error"]["message"]
    response = admin.post("/playlists", json={"name": 5})
    assert response.status_code == 400 and "“name” must be text." in response.get_json()["error"]["message"]
    response = api(Role.MANAGER).post("/calls", content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(b"not audio"), "call.wav"), "title": "t" * 201})
    assert response.status_code == 400 and "“title” may have at most 200" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("value", ["20240101", "2024-W01-1", "0001-01-01", "9999-12-31"])
def test_a_deal_in_a_batch_with_a_malformed_or_far_date_is_refused_and_reported(api, value):
    deal = {"external_id": f"CRM-DATE-{value}", "name": "Dated", "outcome": "open", "close_on": value}
    body = api(Role.ENABLEMENT).post("/deals/batch", json={"deals": [deal]}).get_json()
    assert (body["created"], body["rejected"]) == (0, 1)
    assert "“close_on” must be a date as YYYY-MM-DD." in body["errors"][0]["reason"]
