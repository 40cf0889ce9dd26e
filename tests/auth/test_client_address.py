"""The client's address behind trusted proxies (TRUSTED_PROXIES hops of X-Forwarded-For): what API failures are
counted against, and what the audit log records; with no trusted proxy such headers are ignored."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from enable import audit
from enable.api import tokens
from enable.auth.models import Role, User
from enable.extensions import db
from tests.conftest import base_config, made_app
from tests.factories import PASSWORD, make_user

PROXY = {"REMOTE_ADDR": "10.0.0.2"}  # every request reaches the site through this proxy


def _site(tmp_path, **settings):
    return made_app(base_config(tmp_path, API_AUTH_FAILURE_LIMIT="3/minute", **settings))


def _with_token(app) -> str:
    with app.app_context():
        rep = make_user(role=Role.REP, email="rep@example.test")
        _token, secret = tokens.create_token(rep, name="integration", scope=tokens.TokenScope.READ)
        db.session.commit()
        return secret


def _from(address: str, secret: str | None = None) -> dict[str, str]:
    headers = {"X-Forwarded-For": address}
    if secret:
        headers["Authorization"] = f"Bearer {secret}"
    return headers


def test_behind_a_trusted_proxy_failures_count_per_client_not_per_proxy(tmp_path):
    with _site(tmp_path, TRUSTED_PROXIES=1) as app:
        secret = _with_token(app)
        client = app.test_client()
        for _ in range(3):
            assert client.get("/api/v1/deals", headers=_from("203.0.113.7", "enb_guessed"),
                              environ_base=PROXY).status_code == 401
        assert client.get("/api/v1/deals", headers=_from("203.0.113.7", "enb_guessed"),
                          environ_base=PROXY).status_code == 429
        # another client behind the same proxy is not locked out, and the integration's valid token still works
        assert client.get("/api/v1/deals", headers=_from("198.51.100.9"), environ_base=PROXY).status_code == 401
        assert client.get("/api/v1/deals", headers=_from("198.51.100.9", secret),
                          environ_base=PROXY).status_code == 200
        assert client.get("/api/v1/deals", headers=_from("203.0.113.7", secret),
                          environ_base=PROXY).status_code == 200


def test_without_a_trusted_proxy_a_forged_forwarded_address_is_ignored(tmp_path):
    with _site(tmp_path) as app:
        client = app.test_client()
        statuses = [client.get("/api/v1/deals", headers=_from(f"192.0.2.{i}", "enb_guessed"),
                               environ_base={"REMOTE_ADDR": "203.0.113.7"}).status_code for i in range(5)]
        assert statuses == [401, 401, 401, 429, 429]


@pytest.mark.parametrize(("hops", "recorded"), [(0, "10.0.0.2"), (1, "203.0.113.7")])
def test_the_audit_log_records_the_client_address(tmp_path, hops, recorded):
    with _site(tmp_path, TRUSTED_PROXIES=hops) as app:
        with app.app_context():
            make_user(role=Role.ADMIN, email="admin@example.test")
            rep = make_user(role=Role.REP, email="rep@example.test")
            db.session.commit()
            rep_id = rep.id
        client = app.test_client()
        forwarded = {"X-Forwarded-For": "203.0.113.7"}
        assert client.post("/auth/login", data={"email": "admin@example.test", "password": PASSWORD},
                           headers=forwarded, environ_base=PROXY).status_code == 302
        assert client.post(f"/auth/users/{rep_id}/password", data={"password": "another-long-one"},
                           headers=forwarded, environ_base=PROXY).status_code == 302
        with app.app_context():
            event = db.session.scalar(select(audit.AuditEvent).where(audit.AuditEvent.target_id == rep_id,
                                                                     audit.AuditEvent.target_type == User.__tablename__)
                                      .order_by(audit.AuditEvent.id.desc()))
            assert event.action == "user.password_reset"
            assert event.ip == recorded


def test_a_negative_number_of_proxies_is_refused(tmp_path):
    with pytest.raises(RuntimeError, match="TRUSTED_PROXIES"), _site(tmp_path, TRUSTED_PROXIES=-1):
        pass
