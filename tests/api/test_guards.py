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
