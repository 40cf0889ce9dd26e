"""Webhooks under attack and misuse: receivers inside the server's own network (SSRF), addresses that cannot be
sent to, answers that cannot be stored, secrets in URLs, two emitters of one event at once, and which bite events a
re-processed call sends."""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import zipfile

import pytest
from sqlalchemy import func, select

from enable import events, pipeline
from enable.audit import AuditEvent
from enable.auth.models import Role
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.webhooks import addresses, services, signing
from enable.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.conftest import base_config, made_app
from tests.webhooks.receiver import SECRET

LOCAL = ("http://127.0.0.1:{port}/hooks", "http://localhost:{port}/hooks", "http://[::1]:{port}/",
         "http://10.0.0.5/hooks", "http://172.16.3.4/", "http://192.168.1.1/", "http://169.254.169.254/latest/meta-data/",
         "http://0.0.0.0:{port}/", "http://2130706433:{port}/", "http://[::ffff:127.0.0.1]:{port}/",
         "http://224.0.0.1/", "http://100.64.0.1/", "http://[fe80::1]/", "http://[fd00::1]/")


def _add(url: str, chosen: list[str]) -> int:
    """An endpoint row as saved before any check (or when the check was allowed): the attempt must check again."""
    endpoint = WebhookEndpoint(url=url, events=chosen, description="", secret=SECRET, is_active=True)
    db.session.add(endpoint)
    db.session.commit()
    return endpoint.id


def _only_delivery() -> WebhookDelivery:
    db.session.expire_all()
    return db.session.scalars(select(WebhookDelivery)).one()


def test_an_admin_cannot_point_a_webhook_into_the_servers_own_network(app, login, receiver):
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    port = receiver.server.server_address[1]
    admin = login(Role.ADMIN)
    for url in LOCAL:
        url = url.format(port=port)
        page = admin.post("/webhooks/", data={"url": url, "events": ["call.failed"], "is_active": "y"})
        assert page.status_code == 422, url
        assert "private or local network" in page.get_data(as_text=True), url  # said under the URL field
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
        # An endpoint saved while private addresses were allowed: each attempt checks the address again.
        endpoint_id = _add(receiver.url, ["call.failed"])
    assert admin.post(f"/webhooks/{endpoint_id}/test").status_code == 302
    assert receiver.requests == []  # nothing reached the loopback receiver
    with app.app_context():
        delivery = _only_delivery()
        assert delivery.attempts == 1 and delivery.status == DeliveryStatus.PENDING  # logged, retried later
        assert "private or local network" in delivery.attempt_log[0].error
        assert delivery.attempt_log[0].status_code is None and delivery.attempt_log[0].response_excerpt is None
    detail = admin.get(f"/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "private or local network" in detail

    app.config["WEBHOOK_ALLOW_PRIVATE"] = True  # an operator whose CRM is inside the network
    page = admin.post("/webhooks/", data={"url": receiver.url, "events": ["call.failed"], "is_active": "y"})
    assert page.status_code == 200


@pytest.mark.parametrize(("address", "public"), [
    ("8.8.8.8", True), ("2001:4860:4860::8888", True), ("127.0.0.2", False), ("10.1.2.3", False),
    ("172.31.255.255", False), ("192.168.0.1", False), ("169.254.169.254", False), ("100.64.0.1", False),
    ("255.255.255.255", False), ("224.0.0.251", False), ("198.18.0.1", False),
    ("0.0.0.0", False),  # noqa: S104  (an address to judge, not to bind)
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False),
    ("::ffff:10.0.0.1", False), ("::ffff:8.8.8.8", True),
])
def test_only_public_addresses_count_as_public(address, public):
    assert addresses.is_public(ipaddress.ip_address(address)) is public


def test_the_attempt_connects_to_the_address_it_checked(app, receiver, monkeypatch):
    """DNS rebinding: the name resolves once per attempt, and the request goes to that very address (the name in
    the Host header), so a second, different DNS answer is never used."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def rebinding(host, port, *args, **kwargs):
        if host == "hooks.rebind.test":
            asked.append(host)
            if len(asked) > 1:
                raise socket.gaierror(socket.EAI_NONAME, "the second answer")
            return real("127.0.0.1", port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    port = receiver.server.server_address[1]
    result = services.post(f"http://hooks.rebind.test:{port}/hooks", b"{}", signing.headers(SECRET, "evt_1", b"{}"),
                           timeout_s=5, private_ok=True)
    assert result.ok, result.error
    assert asked == ["hooks.rebind.test"]
    assert receiver.requests[0]["headers"]["Host"] == f"hooks.rebind.test:{port}"
    assert result.excerpt == "ok 200"  # the start of a 2xx answer is kept


def test_malformed_addresses_are_a_form_error_and_a_logged_failed_attempt(app, login):
    app.config.update(WEBHOOK_MAX_ATTEMPTS=3, WEBHOOK_RETRY_BASE_S=0.0)
    admin = login(Role.ADMIN)
    for url in ("http://[::1", "http://a..b/", "http://xn--a.com/", "http://example.com:99999/", "http://example.com:0/",
                "http://exa mple.com/", "https://@example.com/"):
        page = admin.post("/webhooks/", data={"url": url, "events": ["call.failed"], "is_active": "y"})
        assert page.status_code == 422, url
        assert 'class="error"' in page.get_data(as_text=True), url  # the message sits under the field
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0
        good = services.create_endpoint("https://crm.example.test/hooks", ["call.failed"], None)
        db.session.commit()
        good_id = good.id
    page = admin.post(f"/webhooks/{good_id}", data={"url": "http://[::1", "events": ["call.failed"]})
    assert page.status_code == 422 and 'class="error"' in page.get_data(as_text=True)

    # Rows saved by an older version, before these checks: every attempt ends logged, and the retries run out.
    with app.app_context():
        for url in ("http://a..b/", "http://xn--a.com/"):
            db.session.execute(WebhookDelivery.__table__.delete())
            endpoint_id = _add(url, ["call.failed"])
            services.send_test(db.session.get(WebhookEndpoint, endpoint_id), None)
            db.session.commit()  # the attempts run now (immediate jobs, no pause between retries)
            delivery = _only_delivery()
            assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3, url
            assert [a.number for a in delivery.attempt_log] == [1, 2, 3], url
            assert all("web address" in a.error for a in delivery.attempt_log), url


def test_an_answer_with_nul_bytes_is_stored_without_them(app, receiver):
    receiver.reply = b"ok\x00\x00 accepted\x01"
    with app.app_context():
        endpoint_id = _add(receiver.url, ["call.failed"])
        services.send_test(db.session.get(WebhookEndpoint, endpoint_id), None)
        db.session.commit()
        delivery = _only_delivery()
        assert delivery.status == DeliveryStatus.DELIVERED
        assert delivery.attempt_log[0].response_excerpt == "ok accepted"


def test_the_page_showing_a_new_signing_secret_is_not_cached(app, login):
    admin = login(Role.ADMIN)
    page = admin.post("/webhooks/", data={"url": "https://crm.example.test/hooks", "events": ["call.failed"]})
    assert page.status_code == 200 and 'id="webhook-secret"' in page.get_data(as_text=True)
    assert page.headers.get("Cache-Control") == "private, no-store"


def test_secrets_in_a_receiver_url_stay_out_of_the_audit_log_and_the_export(app, login, runner, tmp_path):
    admin = login(Role.ADMIN)
    url = "https://hooks.slack.test/services/T0001/B0002/XyZsEcReTpAtH?token=qs-secret-123"
    page = admin.post("/webhooks/", data={"url": url, "events": ["call.failed"], "is_active": "y"})
    assert page.status_code == 200
    with app.app_context():
        endpoint_id = db.session.scalar(select(WebhookEndpoint.id))
    assert admin.post(f"/webhooks/{endpoint_id}", data={"url": url + "&v=2", "events": ["call.failed"],
                                                         "is_active": "y"}).status_code == 302
    assert admin.post(f"/webhooks/{endpoint_id}/test").status_code == 302
    with app.app_context():
        details = [json.dumps(d) for d in db.session.scalars(select(AuditEvent.detail)
                                                             .where(AuditEvent.action.like("webhook.%")))]
    assert len(details) == 3
    for logged in details:
        assert "XyZsEcReTpAtH" not in logged and "qs-secret-123" not in logged
        assert "https://hooks.slack.test/" in logged  # the receiver is still recognisable
    audit_page = admin.get("/auth/audit?action=webhook.endpoint_create")
    assert "XyZsEcReTpAtH" not in audit_page.get_data(as_text=True)

    path = tmp_path / "export.zip"
    result = runner.invoke(args=["export", str(path)])
    assert result.exit_code == 0, result.output
    with zipfile.ZipFile(path) as zf:
        everything = b"".join(zf.read(info) for info in zf.infolist())
        assert "url" in json.loads(zf.read("tables/webhook_endpoint.json"))["left_out"]
    assert b"XyZsEcReTpAtH" not in everything and b"qs-secret-123" not in everything


def test_reprocessing_a_call_sends_bite_created_for_new_bites_and_bite_removed_for_dropped_ones(app, receiver):
    from enable.transcription.types import Transcript
    from tests.calls.helpers import ingest_sample, load_content, sample_transcript

    app.config.update(BITE_TARGET_S=30.0, BITE_MIN_S=10.0, BITE_MAX_S=40.0)  # several bites from a 3-minute call

    def announced(kind: str) -> list[dict]:
        return [b["data"] for b in (json.loads(r["body"]) for r in receiver.accepted) if b["event"] == kind]

    def bite_ids(call_id: int) -> set[int]:
        db.session.expire_all()
        return {b.id for b in db.session.get(Call, call_id).bites}

    with app.app_context():
        load_content()
        _add(receiver.url, [events.BITE_CREATED, events.BITE_REMOVED])
        call_id = ingest_sample("negotiation-price", title="Price talk")
        first = bite_ids(call_id)
        assert len(first) >= 4
        assert sorted(d["bite_id"] for d in announced("bite.created")) == sorted(first)
        before = len(receiver.accepted)

        # Processed again (a retry) with the end of the call cut differently.
        whole = sample_transcript("negotiation-price")
        shorter = Transcript(language=whole.language, duration_s=whole.duration_s, model=whole.model,
                             channels=whole.channels, speakers=whole.speakers,
                             segments=whole.segments[: len(whole.segments) * 2 // 3])
        call = db.session.get(Call, call_id)
        call.status, call.claimed_by = CallStatus.QUEUED, None
        db.session.commit()
        assert pipeline.ingest_call(call_id, transcript=shorter) is not None
        second = bite_ids(call_id)

    rerun = [json.loads(r["body"]) for r in receiver.accepted[before:]]
    created = [b["data"]["bite_id"] for b in rerun if b["event"] == "bite.created"]
    removed = [b["data"] for b in rerun if b["event"] == "bite.removed"]
    assert first & second, "some bites kept their ids"
    assert sorted(created) == sorted(second - first)  # kept bites are not announced again
    assert sorted(d["bite_id"] for d in removed) == sorted(first - second) and removed
    assert all(d["call_id"] == call_id and d["replaced_by"] in second for d in removed)
    # A receiver applying every event holds exactly the call's bites.
    held = {d["bite_id"] for d in announced("bite.created")} - {d["bite_id"] for d in announced("bite.removed")}
    assert held == second


@pytest.fixture
def pg_app(own_postgres, tmp_path):
    """An app on a PostgreSQL database of this test's own (others share `test`), dropped afterwards."""
    with made_app(base_config(tmp_path, SQLALCHEMY_DATABASE_URI=own_postgres, WEBHOOK_ALLOW_PRIVATE=True)) as app:
        yield app


@pytest.mark.postgres
def test_two_emitters_of_one_event_at_once_never_fail_the_change_on_postgres(pg_app, receiver):
    """Another transaction records the same keyed occurrence between this one's look and its insert: this
    transaction's own change still commits, and the occurrence is sent once."""
    from enable.auth.models import User
    from tests.factories import make_user

    with pg_app.app_context():
        _add(receiver.url, [events.CONTENT_STALE])
        other = db.engine.connect()
        other.begin()
        other.execute(WebhookEvent.__table__.insert().values(
            uid="evt_other", event=events.CONTENT_STALE, key="stale:playbook:1:2026-01-01", data={},
            created_at=db.func.now()))  # not committed yet: this session's look finds nothing
        timer = threading.Timer(0.8, other.commit)
        timer.start()
        try:
            make_user(role=Role.REP, email="change@example.test")  # the emitting change
            events.emit(events.CONTENT_STALE, {"kind": "playbook", "id": 1}, key="stale:playbook:1:2026-01-01")
            db.session.commit()
        finally:
            timer.join()
            other.close()
        assert db.session.scalar(select(func.count()).select_from(User)
                                 .where(User.email == "change@example.test")) == 1
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert receiver.requests == []


@pytest.mark.postgres
def test_an_answer_with_nul_bytes_is_delivered_on_postgres(pg_app, receiver):
    receiver.reply = b"ok\x00 accepted"
    with pg_app.app_context():
        endpoint_id = _add(receiver.url, ["call.failed"])
        services.send_test(db.session.get(WebhookEndpoint, endpoint_id), None)
        db.session.commit()
        delivery = _only_delivery()
        assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
        assert db.session.scalar(select(WebhookAttempt.response_excerpt)) == "ok accepted"
    assert len(receiver.requests) == 1


@pytest.mark.parametrize("url", ["http://example.com/\x00", "http://example.com/a\nb", "http://[::1", "ftp://x/",
                                 "http://a..b/", "http://xn--a.com/", "http://x:65536/", "http://-bad-.com/"])
def test_addresses_that_cannot_be_sent_to_are_refused_before_any_lookup(url):
    with pytest.raises(addresses.InvalidEndpoint):
        addresses.parse(url)


def test_international_names_are_sent_in_their_ascii_form():
    target = addresses.parse("https://Bücher.example/hooks?x=1")
    assert (target.host, target.port, target.path, target.host_header) == (
        "xn--bcher-kva.example", 443, "/hooks?x=1", "xn--bcher-kva.example")
    assert addresses.parse("http://[2001:db8::1]:8080").host_header == "[2001:db8::1]:8080"
