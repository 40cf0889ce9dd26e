"""Hostile input on the API and the pages it shares code with: NUL characters (SQLite and PostgreSQL), numbers that
are digits to Python but not integers, dates at the end of the calendar, cursors across writes and limit changes,
forged cursors, and the limit on refused tokens per client address."""

from __future__ import annotations

import base64
import io
import json
import logging
import secrets
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from enable import create_app
from enable.api import tokens
from enable.auth.models import Role
from enable.calls.models import Call, CallStatus
from enable.db import utcnow
from enable.extensions import db
from tests.calls.helpers import ingest_sample
from tests.conftest import base_config, made_app
from tests.factories import make_team, make_user

NUL_REQUESTS = [  # (method, path, json body): each reached a server error on PostgreSQL before the guard
    ("POST", "/playlists", {"name": "a\u0000b"}),
    ("POST", "/deals/batch", {"deals": [{"external_id": "X\u00001", "name": "Deal"}]}),
    ("POST", "/deals/batch", {"deals": [{"external_id": "X-1", "name": "Deal", "account": {"k\u0000": 1}}]}),
    ("GET", "/deals?q=a%00b", None),
    ("GET", "/assets?q=a%00b", None),
    ("GET", "/playbooks?stage=a%00b", None),
    ("GET", "/bites?q=a%00b", None),
    ("GET", "/bites?stage=a%00b", None),
]


def _refused_nul(response, where: str) -> None:
    assert response.status_code == 400, (where, response.status_code, response.get_data(as_text=True)[:300])
    body = response.get_json()
    assert body["error"]["code"] == "invalid", where
    assert "NUL" in body["error"]["message"], where


def _check_nul_site(app, secret: str, login_client) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {secret}"}
    for method, path, body in NUL_REQUESTS:
        _refused_nul(client.open("/api/v1" + path, method=method, json=body, headers=headers), f"{method} {path}")
    upload = client.post("/api/v1/calls", headers=headers, content_type="multipart/form-data",
                         data={"file": (io.BytesIO(b"not audio"), "call.wav"), "title": "a\u0000b"})
    _refused_nul(upload, "upload title")
    named = client.post("/api/v1/calls", headers=headers, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(secrets.token_bytes(64)), "ca\u0000ll.wav")})
    assert named.status_code == 201, "a file name is display text: cleaned where stored, not refused"
    assert named.get_json()["call"]["original_filename"] == "call.wav"
    page = login_client.get("/search/?q=a%00b")
    assert page.status_code == 400
    html = page.get_data(as_text=True)
    assert "NUL" in html and "<html" in html.lower()  # the error page, not JSON, outside /api/
    with app.app_context():
        from enable.deals.models import Deal
        from enable.search.models import Playlist

        stored = [*db.session.scalars(select(Playlist.name)), *db.session.scalars(select(Deal.external_id))]
        assert not [text for text in stored if "\u0000" in text]
    # The same requests without the NUL work: the guard refuses only what it must.
    ok = client.post("/api/v1/playlists", json={"name": "ab"}, headers=headers)
    assert ok.status_code == 201
    assert client.get("/api/v1/deals?q=ab", headers=headers).status_code == 200
    assert login_client.get("/search/?q=ab").status_code == 200


def _login(app, email: str):
    client = app.test_client()
    response = client.post("/auth/login", data={"email": email, "password": "password1"})
    assert response.status_code == 302
    return client


def test_nul_characters_are_refused_with_a_clear_400_on_sqlite(api_app, world):
    _check_nul_site(api_app, world.secrets[(Role.ENABLEMENT, "read-write")], _login(api_app, "rep@example.test"))


@pytest.fixture
def pg_app(own_postgres, tmp_path):
    """A site on a PostgreSQL database of this test alone (others share the `test` database)."""
    with made_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=own_postgres, JOBS_IMMEDIATE=False)) as app:
        yield app


def test_nul_characters_are_refused_with_a_clear_400_on_postgresql(pg_app):
    with pg_app.app_context():
        lead = make_user(role=Role.ENABLEMENT, email="lead@example.test")
        make_user(role=Role.REP, email="rep@example.test")
        _token, secret = tokens.create_token(lead, name="nul", scope=tokens.TokenScope.READ_WRITE)
        db.session.commit()
    _check_nul_site(pg_app, secret, _login(pg_app, "rep@example.test"))


# Numbers and dates that used to be server errors ----------------------------------------------------------------


@pytest.mark.parametrize("value", ["²", "١٢", "99999999999999999999", "-1", "0"])
def test_upload_refuses_ids_that_are_not_whole_numbers(api, value):
    response = api(Role.MANAGER).post("/calls", content_type="multipart/form-data",
                                      data={"file": (io.BytesIO(b"not audio"), "call.wav"), "rep_id": value})
    assert response.status_code == 400, value
    assert "rep_id" in response.get_json()["error"]["message"]


def test_audit_page_survives_odd_actor_and_last_day(api_app, world):
    client = _login(api_app, "admin@example.test")
    for query in ("actor=²", "actor=99999999999999999999", "actor=١٢", "until=9999-12-31",
                  "since=9999-12-31&until=9999-12-31", "page=²", "page=99999999999999999999"):
        response = client.get(f"/auth/audit?{query}")
        assert response.status_code == 200, query
    everything = client.get("/auth/audit").get_data(as_text=True)
    assert client.get("/auth/audit?until=9999-12-31").get_data(as_text=True).count("<tr") == everything.count("<tr")


# Cursors ----------------------------------------------------------------------------------------------------------


def _add_calls(app, n: int, tag: str, minutes: int = 0) -> list[int]:
    with app.app_context():
        made = []
        for i in range(n):
            call = Call(title=f"{tag} {i}", status=CallStatus.FAILED, sha256=secrets.token_hex(32),
                        media_path=f"x/{tag}{i}", original_filename=f"{tag}{i}.wav", uploaded_by_id=None,
                        created_at=utcnow() + timedelta(minutes=minutes, seconds=i))
            db.session.add(call)
            made.append(call)
        db.session.commit()
        return [c.id for c in made]


def _walk(client, path: str, limit: int, between=None) -> list[dict]:
    seen: list[dict] = []
    response = client.get(f"{path}?limit={limit}")
    assert response.status_code == 200
    body = response.get_json()
    seen += body["data"]
    while body["next_cursor"]:
        if between:
            between()
        response = client.get(f"{path}?limit={limit}&cursor={body['next_cursor']}")
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_json()
        seen += body["data"]
    return seen


def _walk_from(client, path: str, cursor: str) -> list[dict]:
    seen: list[dict] = []
    while cursor:
        body = client.get(f"{path}&cursor={cursor}").get_json()
        seen += body["data"]
        cursor = body["next_cursor"]
    return seen


def test_calls_pages_neither_repeat_nor_skip_when_calls_are_added_or_deleted_between_pages(api_app, api):
    before = _add_calls(api_app, 7, "paged")
    manager = api(Role.ADMIN)
    expected = [c["id"] for c in _walk(manager, "/calls", 100)]
    assert set(before) <= set(expected)
    added: list[int] = []

    def write():  # a newer call, on top of the list
        added.extend(_add_calls(api_app, 1, f"new{len(added)}", minutes=60 + len(added)))

    seen = [c["id"] for c in _walk(manager, "/calls", 2, between=write)]
    assert added, "the walk took several pages"
    assert len(seen) == len(set(seen)), "a call came twice"
    assert seen == expected, "calls were skipped or reordered"
    for call_id in added:
        assert manager.delete(f"/calls/{call_id}").status_code == 204
    first = manager.get("/calls?limit=3").get_json()
    assert [c["id"] for c in first["data"]] == expected[:3]
    assert manager.delete(f"/calls/{expected[0]}").status_code == 204  # a call already seen goes away
    second = manager.get(f"/calls?limit=3&cursor={first['next_cursor']}").get_json()
    assert [c["id"] for c in second["data"]] == expected[3:6], "a call was skipped"


def test_calls_list_reads_only_one_page_of_rows(api_app, api):
    """The list asks the database for limit + 1 rows after the cursor, not every earlier row."""
    from sqlalchemy import event

    _add_calls(api_app, 6, "rows")
    client = api(Role.ADMIN)
    first = client.get("/calls?limit=2").get_json()
    second_cursor = client.get(f"/calls?limit=2&cursor={first['next_cursor']}").get_json()["next_cursor"]
    statements: list[str] = []
    with api_app.app_context():
        engine = db.engine

    def count(conn, cursor, statement, parameters, context, executemany):
        if "created_at <" in statement and "LIMIT" in statement:
            statements.append((statement, tuple(parameters)))

    event.listen(engine, "before_cursor_execute", count)
    try:
        third = client.get(f"/calls?limit=2&cursor={second_cursor}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert third.status_code == 200 and len(third.get_json()["data"]) == 2
    assert statements, "the page is read after the cursor's key"
    for statement, parameters in statements:  # SQLite always writes an OFFSET: it must be 0
        assert "OFFSET" not in statement or parameters[-1] == 0, statement


def test_bites_cursor_keeps_its_place_when_the_limit_changes(api_app, api):
    with api_app.app_context():
        ingest_sample("discovery-competitor")
    client = api(Role.REP)
    everything = [row["bite"]["id"] for row in client.get("/bites?limit=100").get_json()["data"]]
    assert len(everything) >= 4
    first = client.get("/bites?limit=1").get_json()
    assert [r["bite"]["id"] for r in first["data"]] == everything[:1]
    bigger = client.get(f"/bites?limit=3&cursor={first['next_cursor']}").get_json()
    assert [r["bite"]["id"] for r in bigger["data"]] == everything[1:4], "not page 1 again"
    same = client.get(f"/bites?cursor={first['next_cursor']}").get_json()  # no limit: the cursor's own
    assert [r["bite"]["id"] for r in same["data"]] == everything[1:2]
    rest = [r["bite"]["id"] for r in _walk_from(client, "/bites?limit=2", first["next_cursor"])]
    assert rest == everything[1:]


def test_forged_and_foreign_cursors_are_refused(api, api_app, world):
    client = api(Role.ADMIN)
    forged = base64.urlsafe_b64encode(json.dumps({"o": 10_000_000}).encode()).decode().rstrip("=")
    for path in ("/deals", "/playlists", "/calls", "/bites", "/tracks"):
        response = client.get(f"{path}?cursor={forged}")
        assert response.status_code == 422, path  # a well-formed string no list gave out
        assert response.get_json()["error"]["code"] == "invalid"
    client.post("/playlists", json={"name": "one"})
    client.post("/playlists", json={"name": "two"})
    playbooks_cursor = client.get("/playbooks?limit=1").get_json()["next_cursor"]
    assert playbooks_cursor
    assert client.get(f"/playlists?cursor={playbooks_cursor}").status_code == 422
    assert client.get(f"/playbooks?cursor={playbooks_cursor}").status_code == 200


def test_playlist_pages_neither_repeat_nor_skip_when_playlists_are_created_between_pages(api):
    client = api(Role.REP)
    for i in range(5):
        assert client.post("/playlists", json={"name": f"list {i}"}).status_code == 201
    expected = [p["id"] for p in _walk(client, "/playlists", 100)]
    made = []
    seen = [p["id"] for p in _walk(client, "/playlists", 2,
                                   between=lambda: made.append(client.post("/playlists", json={"name": "x"})))]
    assert made
    assert seen == expected


# Refused tokens per client address ---------------------------------------------------------------------------------


def test_refused_tokens_are_limited_per_client_address(tmp_path):
    app = create_app(base_config(tmp_path, API_AUTH_FAILURE_LIMIT="3/minute"))
    with app.app_context():
        db.create_all()
        team = make_team(name="T")
        rep = make_user(role=Role.REP, email="rep@example.test", team_id=team.id)
        _token, secret = tokens.create_token(rep, name="ok", scope=tokens.TokenScope.READ)
        db.session.commit()
    client = app.test_client()
    here = {"REMOTE_ADDR": "203.0.113.7"}
    elsewhere = {"REMOTE_ADDR": "198.51.100.9"}
    assert client.get("/api/v1/deals", environ_base=here).status_code == 401
    for _ in range(2):
        assert client.get("/api/v1/deals", headers={"Authorization": "Bearer guessed"},
                          environ_base=here).status_code == 401
    refused = client.get("/api/v1/deals", headers={"Authorization": "Bearer guessed"}, environ_base=here)
    assert refused.status_code == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert refused.get_json()["error"]["code"] == "rate_limited"
    valid = {"Authorization": f"Bearer {secret}"}
    # others' failures from the same address (a proxy, a NAT) never refuse a valid token
    assert client.get("/api/v1/deals", headers=valid, environ_base=here).status_code == 200
    assert client.get("/api/v1/deals", headers=valid, environ_base=elsewhere).status_code == 200
    assert client.get("/api/v1/deals", environ_base=here).status_code == 429
    assert client.get("/api/v1/deals", environ_base=elsewhere).status_code == 401
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_warning_says_memory_limits_count_per_process(tmp_path, caplog, monkeypatch):
    pytest.importorskip("gunicorn.arbiter")
    with monkeypatch.context() as outside_gunicorn:  # a CLI command or `flask serve`: one process counts it whole
        outside_gunicorn.delitem(sys.modules, "gunicorn.arbiter")
        with caplog.at_level(logging.WARNING, logger="enable.api.core"):
            create_app(base_config(tmp_path / "cli", TESTING=False))
        assert not any("per process" in r.getMessage() for r in caplog.records)
    with caplog.at_level(logging.WARNING, logger="enable.api.core"):
        app = create_app(base_config(tmp_path, TESTING=False))
    assert any("API_RATE_LIMIT_STORAGE=redis://" in r.getMessage() for r in caplog.records)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="enable.api.core"):
        create_app(base_config(tmp_path / "two", TESTING=False, API_RATE_LIMIT_STORAGE="memory://",
                               QUEUE_URL=None))
    assert any("per process" in r.getMessage() for r in caplog.records)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("query", ["start=0001-01-01&end=9999-12-31", "start=9999-12-31",
                                   "start=2015-01-01&end=2024-12-31"])
def test_report_dates_out_of_bounds_or_too_long_are_a_400(api, query):
    response = api(Role.ENABLEMENT).get(f"/reports/objections?{query}")
    assert response.status_code == 400, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "invalid"
    assert ("Enter a date between 1900-01-01 and 2199-12-31." in error["message"]
            or "A report covers at most 1830 days" in error["message"])
