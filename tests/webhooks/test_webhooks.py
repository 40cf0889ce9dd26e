"""Webhooks end to end: a real HTTP receiver on loopback checks signatures, answers 500 to get retries, and hears
events from real actions (a call through the pipeline, a certification awarded)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest
from sqlalchemy import func, select

from enable import events, queue
from enable.audit import AuditEvent
from enable.auth.models import Role, User
from enable.calls.models import Call
from enable.db import utcnow
from enable.extensions import db
from enable.webhooks import services, signing
from enable.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.webhooks.receiver import SECRET


def _endpoint(url: str, chosen: list[str], secret: str = SECRET) -> int:
    endpoint = services.create_endpoint(url, chosen, None, "test receiver", secret)
    db.session.commit()
    return endpoint.id


def test_admin_registers_an_endpoint_and_a_signed_test_event_arrives(app, login, receiver):
    admin = login(Role.ADMIN)
    page = admin.post("/webhooks/", data={"url": receiver.url, "description": "CRM",
                                          "events": ["call.transcribed", "certification.awarded"], "is_active": "y"})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    with app.app_context():
        endpoint = db.session.scalars(select(WebhookEndpoint)).one()
        secret, endpoint_id = endpoint.secret, endpoint.id
        assert endpoint.events == ["call.transcribed", "certification.awarded"]
    assert secret.startswith("whsec_") and secret in html  # generated, and shown on this page
    assert secret not in admin.get(f"/webhooks/{endpoint_id}").get_data(as_text=True)  # ... and never again
    receiver.secret = secret

    assert admin.post(f"/webhooks/{endpoint_id}/test").status_code == 302
    assert len(receiver.requests) == 1 and receiver.requests[0]["verdict"] == "ok"
    body = json.loads(receiver.requests[0]["body"])
    assert set(body) == {"id", "event", "created_at", "data"}
    assert body["event"] == "webhook.test" and body["id"].startswith("evt_")
    assert receiver.requests[0]["headers"]["Enable-Webhook-Id"] == body["id"]
    detail = admin.get(f"/webhooks/{endpoint_id}").get_data(as_text=True)
    assert "webhook.test" in detail and "HTTP 200" in detail and "Delivered" in detail
    assert admin.post(f"/webhooks/{endpoint_id}/delete").status_code == 302
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEvent.action)))
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0  # its log went with it
    assert {"webhook.endpoint_create", "webhook.test", "webhook.endpoint_delete"} <= actions
    assert admin.get(f"/webhooks/{endpoint_id}").status_code == 404


def test_the_receiver_rejects_a_replayed_old_or_tampered_request(app, receiver):
    with app.app_context():
        endpoint_id = _endpoint(receiver.url, ["call.failed"])
        services.send_test(db.session.get(WebhookEndpoint, endpoint_id), None)
        db.session.commit()
    original = receiver.requests[0]
    assert original["verdict"] == "ok"
    body, headers = original["body"], original["headers"]

    def resend(body: bytes, timestamp: str, signature: str) -> int:
        return httpx.post(receiver.url, content=body, headers={"Enable-Webhook-Timestamp": timestamp,
                                                               "Enable-Webhook-Signature": signature}).status_code

    old = str(int(time.time()) - 10 * 60)  # a request captured ten minutes ago, replayed now with its signature
    old_signature = "v1=" + signing.sign(SECRET, int(old), body)
    assert resend(body, old, old_signature) == 401 and receiver.requests[-1]["verdict"] == "old"
    tampered = body.replace(b"webhook.test", b"webhook.tost")
    assert resend(tampered, headers["Enable-Webhook-Timestamp"], headers["Enable-Webhook-Signature"]) == 401
    assert receiver.requests[-1]["verdict"] == "bad-signature"
    # Enable's own verifier, for receivers written in Python, agrees.
    assert signing.verify(SECRET, body, headers["Enable-Webhook-Timestamp"], headers["Enable-Webhook-Signature"])
    assert not signing.verify(SECRET, body, old, old_signature)
    assert not signing.verify(SECRET, tampered, headers["Enable-Webhook-Timestamp"],
                              headers["Enable-Webhook-Signature"])
    assert not signing.verify("another-secret-of-16+", body, headers["Enable-Webhook-Timestamp"],
                              headers["Enable-Webhook-Signature"])


def test_a_transcribed_call_sends_call_and_bite_events_after_the_commit(app, receiver):
    from tests.calls.helpers import ingest_sample, load_content

    with app.app_context():
        load_content()
        _endpoint(receiver.url, [events.CALL_TRANSCRIBED, events.BITE_CREATED])
        call_id = ingest_sample("negotiation-price", title="Price talk")
        bites = len(db.session.get(Call, call_id).bites)
    got = [json.loads(r["body"]) for r in receiver.accepted]
    transcribed = [b for b in got if b["event"] == "call.transcribed"]
    assert len(transcribed) == 1
    assert transcribed[0]["data"]["call_id"] == call_id and transcribed[0]["data"]["title"] == "Price talk"
    assert transcribed[0]["data"]["bites"] == bites > 0
    created = [b["data"]["bite_id"] for b in got if b["event"] == "bite.created"]
    assert len(created) == bites and len(set(created)) == bites


def test_a_rolled_back_change_sends_nothing(app, receiver):
    with app.app_context():
        _endpoint(receiver.url, [events.CALL_FAILED])
        events.emit(events.CALL_FAILED, {"call_id": 1, "title": "never saved", "error": "x"})
        db.session.rollback()
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(WebhookDelivery)) == 0
    assert receiver.requests == []


def test_certification_award_and_expiry_are_sent_once(app, users, receiver):
    from enable.learning import certifications
    from enable.learning.models import Certification, CertificationRequirement, RequirementKind
    from tests.factories import make_team

    with app.app_context():
        _endpoint(receiver.url, [events.CERTIFICATION_AWARDED, events.CERTIFICATION_EXPIRED])
        rep, manager = db.session.get(User, users[Role.REP]), db.session.get(User, users[Role.MANAGER])
        rep.team = make_team(name="East", manager=manager)
        cert = Certification(slug="pricing", title="Pricing", description="", valid_days=30)
        requirement = CertificationRequirement(certification=cert, position=0, kind=RequirementKind.SIGNOFF,
                                               text="Handles the price objection in a role play")
        db.session.add_all([cert, requirement])
        db.session.commit()
        awarded_on = utcnow() - timedelta(days=31)
        certifications.give_signoff(manager, rep, requirement, awarded_on)  # the award follows at once
        db.session.commit()
        assert len(receiver.accepted) == 1
        now = utcnow()
        assert certifications.announce_expired(now) == 1  # 30 days valid, awarded 31 days ago: expired
        db.session.commit()
        certifications.announce_expired(now + timedelta(hours=1))  # the hourly job again: not sent twice
        db.session.commit()
    got = [json.loads(r["body"]) for r in receiver.accepted]
    assert [b["event"] for b in got] == ["certification.awarded", "certification.expired"]
    assert got[0]["data"]["certification"] == "pricing" and got[0]["data"]["user_email"] == "rep@example.test"
    assert got[1]["data"]["award_id"] == got[0]["data"]["award_id"]


def test_urls_other_than_http_are_refused(app, login):
    admin = login(Role.ADMIN)
    for url in ("file:///etc/passwd", "gopher://x/", "ftp://example.com/", "javascript:alert(1)", "//no-scheme",
                "https://user:pw@example.com/"):
        page = admin.post("/webhooks/", data={"url": url, "events": ["call.failed"], "is_active": "y"})
        assert page.status_code == 422, url
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(WebhookEndpoint)) == 0


def test_a_redirect_is_not_followed(app, receiver):
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.send_response(302)
            self.send_header("Location", "file:///etc/passwd")
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = services.post(f"http://127.0.0.1:{server.server_address[1]}/", b"{}", {}, timeout_s=5,
                               private_ok=True)
    finally:
        server.shutdown()
        server.server_close()
    assert result.status_code == 302 and not result.ok and "not followed" in result.error


def test_retries_stop_after_the_last_attempt_and_redeliver_sends_the_same_event(app, login, receiver):
    app.config.update(WEBHOOK_MAX_ATTEMPTS=3, WEBHOOK_RETRY_BASE_S=0.0)
    receiver.plan = [500, 500, 500]
    with app.app_context():
        endpoint_id = _endpoint(receiver.url, [events.LINK_BROKEN])
        events.emit(events.LINK_BROKEN, {"link_id": 7, "url": "https://gone.example/", "status": "broken"})
        db.session.commit()  # first attempt, inline (immediate mode); its retry waits in the schedule
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        delivery_id = delivery.id
        # Run the retry schedule deterministically: each due attempt, as the worker would.
        while (delay := services.attempt_delivery(delivery_id, 5, 3, 0.0)) is not None:
            assert delay == 0.0
        db.session.expire_all()
        delivery = db.session.get(WebhookDelivery, delivery_id)
        assert delivery.status == DeliveryStatus.FAILED and delivery.attempts == 3
        attempts = [(a.number, a.status_code) for a in delivery.attempt_log]
        assert attempts == [(1, 500), (2, 500), (3, 500)]
        assert delivery.attempt_log[0].response_excerpt is None  # an error page's body is never kept
        assert services.attempt_delivery(delivery_id, 5, 3, 0.0) is None  # given up: no fourth request
    assert len(receiver.requests) == 3

    admin = login(Role.ADMIN)
    assert admin.post(f"/webhooks/deliveries/{delivery_id}/redeliver").status_code == 302
    assert [r["status"] for r in receiver.requests] == [500, 500, 500, 200]
    assert receiver.requests[-1]["body"] == receiver.requests[0]["body"]  # the same event id and body
    with app.app_context():
        statuses = sorted(d.status for d in db.session.scalars(select(WebhookDelivery)
                                                               .where(WebhookDelivery.endpoint_id == endpoint_id)))
        assert statuses == [DeliveryStatus.DELIVERED, DeliveryStatus.FAILED]


def test_backoff_grows_fourfold():
    assert [services.backoff_s(n, 30) for n in (1, 2, 3, 4)] == [30, 120, 480, 1920]


@pytest.fixture
def worker_app(app_config, tmp_path):
    """An app whose jobs go through a real Huey queue (SQLite file) worked by a consumer in this process."""
    app_config.update(JOBS_IMMEDIATE=False, QUEUE_PATH=tmp_path / "queue.db", WEBHOOK_MAX_ATTEMPTS=4,
                      WEBHOOK_RETRY_BASE_S=0.1)
    from enable import create_app

    app = create_app(app_config)
    with app.app_context():
        db.create_all()
    consumer = queue.huey.create_consumer(workers=2, worker_type="thread", periodic=False, initial_delay=0.05,
                                          max_delay=0.2, scheduler_interval=1)
    consumer._set_signal_handlers = lambda: None
    consumer.start()
    yield app
    consumer.stop(graceful=True)
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_receiver_answering_500_gets_retries_with_backoff_through_the_queue(worker_app, receiver):
    receiver.plan = [500, 500, 500]  # then 200
    with worker_app.app_context():
        _endpoint(receiver.url, [events.CONTENT_STALE])
        events.emit(events.CONTENT_STALE, {"kind": "playbook", "id": 1, "title": "Pricing"}, key="stale:1")
        db.session.commit()
    deadline = time.monotonic() + 30
    while len(receiver.requests) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [r["status"] for r in receiver.requests] == [500, 500, 500, 200]
    gaps = [b["at"] - a["at"] for a, b in zip(receiver.requests, receiver.requests[1:], strict=False)]
    assert gaps[0] >= 0.1 * 0.9 and gaps[1] >= 0.4 * 0.9 and gaps[2] >= 1.6 * 0.9, gaps  # 0.1 s, then 4x each
    assert len({r["body"] for r in receiver.requests}) == 1  # every attempt carries the same event
    with worker_app.app_context():
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            db.session.expire_all()
            delivery = db.session.scalars(select(WebhookDelivery)).one()
            if delivery.status == DeliveryStatus.DELIVERED:
                break
            time.sleep(0.05)
        assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 4
        logged = db.session.scalars(select(WebhookAttempt).order_by(WebhookAttempt.number)).all()
        assert [a.status_code for a in logged] == [500, 500, 500, 200]
        assert all(a.duration_ms >= 0 for a in logged) and logged[0].error == "HTTP 500"
        assert db.session.scalar(select(func.count()).select_from(WebhookEvent)) == 1


def test_a_broken_link_and_stale_content_are_sent_once(app, users, receiver):
    from datetime import UTC, datetime

    from enable.playbooks import governance
    from enable.playbooks.links import check_links
    from tests.playbooks.factories import make_playbook

    t0 = datetime(2026, 1, 10, 9, 30, tzinfo=UTC)
    with app.app_context():
        _endpoint(receiver.url, [events.LINK_BROKEN, events.CONTENT_STALE])
        owner = db.session.get(User, users[Role.REP])
        playbook = make_playbook(now=t0, owner_id=owner.id, title="Pricing talk track",
                                 body="[gone](/playbooks/424242)")
        db.session.commit()
        playbook_id = playbook.id
        check_links(utcnow(), external=False)
        db.session.commit()
        check_links(utcnow(), external=False)  # still broken: not news
        db.session.commit()
        day = t0.date() + timedelta(days=95)
        now = datetime.combine(day, datetime.min.time(), tzinfo=UTC)
        governance.notify_stale_owners(day, now)
        db.session.commit()
        governance.notify_stale_owners(day + timedelta(days=1), now + timedelta(days=1))  # the next day: not again
        db.session.commit()
    got = [json.loads(r["body"]) for r in receiver.accepted]
    assert [b["event"] for b in got] == ["link.broken", "content.stale"]
    assert got[0]["data"]["url"] == "/playbooks/424242" and got[0]["data"]["source_id"] == playbook_id
    assert got[1]["data"]["kind"] == "playbook" and got[1]["data"]["id"] == playbook_id
    assert got[1]["data"]["days_overdue"] == 5
