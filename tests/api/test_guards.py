"""The guards of every API operation: no token, a revoked token, a read token on a write, the role, the rate limit."""

from __future__ import annotations

import re

import pytest

from enable.api.core import OPERATIONS
from enable.api.tokens import TokenScope, create_token, revoke_token
from enable.auth.models import Role, User
from enable.extensions import db

GUARDED = [op for op in OPERATIONS if op.role is not None]


def _url(op) -> str:
    return "/api/v1" + re.sub(r"<(?:[a-z]+:)?[a-z_]+>", "1", op.rule)


def test_every_write_operation_refuses_a_read_token(api_app, world):
    writes = [op for op in GUARDED if op.write]
    assert {op.method for op in writes} == {"POST", "DELETE"}
    client = api_app.test_client()
    secret = world.secrets[(Role.ADMIN, "read")]
    for op in writes:
        response = client.open(_url(op), method=op.method, json={}, headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 403, op.endpoint
        assert response.get_json()["error"]["code"] == "forbidden", op.endpoint


@pytest.mark.parametrize("case", ["none", "revoked", "deactivated"])
def test_every_operation_refuses_missing_revoked_and_deactivated_tokens(api_app, world, case):
    with api_app.app_context():
        owner = db.session.get(User, world.users[Role.ADMIN])
        if case == "deactivated":
            from tests.factories import make_user

            owner = make_user(role=Role.ADMIN, email="gone-admin@example.test")
        token, secret = create_token(owner, name=case, scope=TokenScope.READ_WRITE)
        if case == "revoked":
            revoke_token(token.id, owner)
        if case == "deactivated":
            owner.is_active_account = False
        db.session.commit()
    headers = {} if case == "none" else {"Authorization": f"Bearer {secret}"}
    client = api_app.test_client()
    for op in GUARDED:
        response = client.open(_url(op), method=op.method, json={}, headers=headers)
        assert response.status_code == 401, (op.endpoint, case)
        assert response.get_json()["error"]["code"] == "unauthorized"


def test_operations_below_the_role_are_403_for_a_rep_token(api_app, world):
    client = api_app.test_client()
    secret = world.secrets[(Role.REP, "read-write")]
    above = [op for op in GUARDED if op.role != Role.REP]
    assert above
    for op in above:
        response = client.open(_url(op), method=op.method, json={}, headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code == 403, op.endpoint


# Every role at every boundary, derived from the operation registry -------------------------------------------------

UNKNOWN_ID = "2147483000"  # below MAX_ID, so the role check and then the object lookup decide (404), never a 403
# The boundaries people rely on, pinned so that a change to the registry must be made here on purpose too.
PINNED = {
    "api.calls_list": Role.REP, "api.calls_upload": Role.MANAGER, "api.calls_status": Role.MANAGER,
    "api.calls_delete": Role.MANAGER, "api.tracks_list": Role.ENABLEMENT, "api.deals_batch": Role.ENABLEMENT,
    "api.bites_tag_add": Role.ENABLEMENT, "api.bites_tag_remove": Role.ENABLEMENT, "api.reports_list": Role.MANAGER,
    "api.reports_get": Role.MANAGER, "api.bites_search": Role.REP, "api.playlists_create": Role.REP,
    "api.users_progress": Role.REP, "api.deals_list": Role.REP, "api.usage_create": Role.REP,
    "api.scorecards_list": Role.REP, "api.call_scores": Role.REP, "api.call_scores_create": Role.REP,
    "api.calls_comments": Role.REP, "api.calls_comment_create": Role.REP, "api.bites_comments": Role.REP,
    "api.bites_comment_create": Role.REP,
    "api.bites_rename": Role.MANAGER, "api.bites_trim": Role.MANAGER,
    "api.ask_question": Role.REP,
}


def _unknown_url(op) -> str:
    return "/api/v1" + re.sub(r"<(?:int:)?[a-z_]+>", lambda m: UNKNOWN_ID if m.group(0).startswith("<int:")
                              else "no-such-thing", op.rule)


def test_pinned_boundaries_match_the_registry():
    registry = {op.endpoint: op.role for op in GUARDED}
    assert {endpoint: registry.get(endpoint) for endpoint in PINNED} == PINNED


@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("scope", ["read", "read-write"])
def test_each_role_token_at_each_operation(api_app, world, role, scope):
    """Below an operation's least role: 403 forbidden; from it on: never 401/403 nor a server error (unknown ids,
    empty bodies: nothing is changed). A read token on a write: 403 whatever the role."""
    client = api_app.test_client()
    headers = {"Authorization": f"Bearer {world.secrets[(role, scope)]}"}
    allowed_seen = refused_seen = 0
    for op in GUARDED:
        response = client.open(_unknown_url(op), method=op.method, json={}, headers=headers)
        where = f"{op.method} {op.rule} with a {role.value} {scope} token"
        if role.includes(op.role) and (scope == "read-write" or not op.write):
            assert response.status_code not in (401, 403) and response.status_code < 500, where
            allowed_seen += 1
        else:
            assert response.status_code == 403, where
            assert response.get_json()["error"]["code"] == "forbidden", where
            refused_seen += 1
    assert allowed_seen > 0 and allowed_seen + refused_seen == len(GUARDED)
    assert (refused_seen == 0) == (scope == "read-write" and role.includes(max(GUARDED, key=lambda o: o.role.rank)
                                                                           .role))


@pytest.mark.parametrize("role", list(Role))
def test_each_report_answers_from_its_own_least_role(api, role):
    """/reports/{name} needs a manager token, then each report's own least role (the report pages' registry)."""
    from enable.api.reports import API_REPORTS
    from enable.reports.registry import REPORTS

    least = {r.endpoint: r.role for r in REPORTS}
    client = api(role)
    listed = {r["name"] for r in client.get("/reports").get_json().get("data", [])} if role != Role.REP else set()
    for report in API_REPORTS:
        response = client.get(f"/reports/{report.name}")
        if role.includes(Role.MANAGER) and role.includes(least[report.endpoint]):
            assert response.status_code == 200, (report.name, role)
            assert report.name in listed
        else:
            assert response.status_code == 403, (report.name, role)
            assert report.name not in listed


# Team isolation through the API --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def west(api_app):
    """A second team with its own manager and rep, and their tokens."""
    from enable.api.tokens import create_token
    from tests.factories import make_team, make_user

    with api_app.app_context():
        team = make_team(name="West")
        manager = make_user(role=Role.MANAGER, email="west-manager@example.test", team_id=team.id)
        rep = make_user(role=Role.REP, email="west-rep@example.test", team_id=team.id)
        team.manager_id = manager.id
        db.session.commit()
        secrets = {who: create_token(user, name="west", scope=TokenScope.READ_WRITE)[1]
                   for who, user in (("manager", manager), ("rep", rep))}
        db.session.commit()
        return {"team_id": team.id, "manager": manager.id, "rep": rep.id, "secrets": secrets}


def _as(api_app, secret: str):
    from tests.api.conftest import TokenClient

    return TokenClient(api_app.test_client(), secret)


def test_a_manager_reads_only_their_own_team_progress_and_awards(api_app, api, world, west):
    west_manager = _as(api_app, west["secrets"]["manager"])
    east_manager = api(Role.MANAGER)
    east_rep = world.users[Role.REP]
    for path in ("progress", "awards"):
        assert west_manager.get(f"/users/{east_rep}/{path}").status_code == 404, path
        assert west_manager.get(f"/users/{west['rep']}/{path}").status_code == 200, path
        assert east_manager.get(f"/users/{east_rep}/{path}").status_code == 200, path
        assert east_manager.get(f"/users/{west['rep']}/{path}").status_code == 404, path
        assert api(Role.REP).get(f"/users/{west['rep']}/{path}").status_code == 404, path
        assert api(Role.ENABLEMENT).get(f"/users/{west['rep']}/{path}").status_code == 200, path


def test_playlists_are_private_until_shared_and_then_only_with_the_team(api_app, api, world, west):
    from enable.auth.models import User as UserModel
    from enable.search import playlists as lists

    east_rep = api(Role.REP)
    private = east_rep.post("/playlists", json={"name": "Mine alone"}).get_json()["id"]
    shared = east_rep.post("/playlists", json={"name": "For East"}).get_json()["id"]
    with api_app.app_context():
        owner = db.session.get(UserModel, world.users[Role.REP])
        lists.set_shared(lists.get_playlist(shared, owner), owner, True)
        db.session.commit()
    west_manager = _as(api_app, west["secrets"]["manager"])
    west_rep = _as(api_app, west["secrets"]["rep"])
    east_manager = api(Role.MANAGER)
    for client in (west_manager, west_rep, east_manager):
        assert client.get(f"/playlists/{private}").status_code == 404
        assert private not in {p["id"] for p in client.get("/playlists?limit=100").get_json()["data"]}
    for client in (west_manager, west_rep):
        assert client.get(f"/playlists/{shared}").status_code == 404
        assert shared not in {p["id"] for p in client.get("/playlists?limit=100").get_json()["data"]}
        assert client.post(f"/playlists/{shared}/items", json={"bite_id": world.bite_ids[0]}).status_code == 404
        assert client.delete(f"/playlists/{shared}").status_code == 404
    assert east_manager.get(f"/playlists/{shared}").status_code == 200
    assert shared in {p["id"] for p in east_manager.get("/playlists?limit=100").get_json()["data"]}


def test_reports_and_calls_are_scoped_to_the_managers_team(api_app, api, world, west):
    west_manager = _as(api_app, west["secrets"]["manager"])
    own = west_manager.get("/reports/content-usage")
    assert own.status_code == 200
    assert own.get_json()["team_ids"] == [west["team_id"]]
    other = west_manager.get(f"/reports/content-usage?team={world.team_id}")
    assert other.status_code == 400
    assert other.get_json()["error"]["code"] == "invalid"
    assert api(Role.MANAGER).get("/reports/onboarding").get_json()["team_ids"] == [world.team_id]
    assert api(Role.ENABLEMENT).get("/reports/onboarding").get_json()["team_ids"] is None
    assert api(Role.ENABLEMENT).get(f"/reports/onboarding?team={world.team_id}").get_json()["team_ids"] == [
        world.team_id]
    assert world.call_id not in {c["id"] for c in west_manager.get("/calls?limit=100").get_json()["data"]}
    assert world.call_id in {c["id"] for c in api(Role.MANAGER).get("/calls?limit=100").get_json()["data"]}
    assert west_manager.get(f"/calls/{world.call_id}/status").status_code == 404
