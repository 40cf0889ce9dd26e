"""Webhooks: endpoints, the outbox that turns events into deliveries, and one signed attempt of a delivery.

An event emitted inside a unit of work (enable.events.emit) adds a WebhookEvent and one WebhookDelivery per
subscribed endpoint to the caller's session; the delivery jobs are queued only after that session commits
(enable.webhooks.jobs), so a rolled-back change sends nothing. Each attempt claims the delivery first, so a
retry and the sweep never send it twice at once.
"""

from __future__ import annotations

import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, selectinload

from enable import events
from enable.auth.models import User
from enable.db import utcnow
from enable.errors import UserError
from enable.extensions import db
from enable.webhooks import signing
from enable.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

log = logging.getLogger(__name__)

TEST_EVENT = "webhook.test"
PENDING_KEY = "enable.webhooks.pending"  # deliveries added in this session, queued when it commits
EXCERPT_BYTES = 2048  # read at most this much of a receiver's answer
EXCERPT_CHARS = 500  # and keep this much of it
CLAIM_SLACK_S = 2.0  # a scheduled retry may run this early and still claim its delivery
MIN_SECRET_CHARS = 16


class InvalidEndpoint(UserError):
    """The URL, events or secret of an endpoint are not acceptable."""


# Endpoints -----------------------------------------------------------------------------------------------------------

def check_url(url: str) -> str:
    """The URL stripped, or InvalidEndpoint: only http(s) with a host, no credentials, at most 2000 characters."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidEndpoint(_("Give a web address starting with https:// (or http://), such as "
                                "https://crm.example.com/hooks/enable."))
    if parts.username or parts.password:
        raise InvalidEndpoint(_("Leave user names and passwords out of the address; the signature proves the sender."))
    if len(url) > 2000:
        raise InvalidEndpoint(_("The address is too long (at most 2000 characters)."))
    return url


def check_events(chosen: list[str]) -> list[str]:
    """The chosen event names in the documented order, or InvalidEndpoint when none or an unknown one is given."""
    unknown = [name for name in chosen if name not in events.EVENTS]
    if unknown or not chosen:
        raise InvalidEndpoint(_("Choose at least one of the listed events."))
    return [name for name in events.EVENTS if name in chosen]


def create_endpoint(url: str, chosen: list[str], actor: User | None, description: str = "",
                    secret: str | None = None) -> WebhookEndpoint:
    """Register an endpoint; without `secret` one is generated. The caller shows the secret once and commits."""
    secret = (secret or "").strip() or signing.new_secret()
    if not MIN_SECRET_CHARS <= len(secret) <= 200:
        raise InvalidEndpoint(_("A signing secret needs %(min)d to 200 characters; leave it empty to generate one.",
                                min=MIN_SECRET_CHARS))
    endpoint = WebhookEndpoint(url=check_url(url), events=check_events(chosen), description=description.strip()[:200],
                               secret=secret, is_active=True, created_by_id=getattr(actor, "id", None))
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def update_endpoint(endpoint: WebhookEndpoint, url: str, chosen: list[str], description: str,
                    is_active: bool) -> None:
    """Change an endpoint's address, events, description or active flag (the secret stays)."""
    endpoint.url = check_url(url)
    endpoint.events = check_events(chosen)
    endpoint.description = description.strip()[:200]
    endpoint.is_active = is_active


def list_endpoints() -> list[WebhookEndpoint]:
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def recent_deliveries(endpoint_id: int | None = None, limit: int = 50) -> list[WebhookDelivery]:
    """The latest deliveries (of one endpoint, or all), newest first, with their event and attempts."""
    query = (select(WebhookDelivery).options(selectinload(WebhookDelivery.event),
                                             selectinload(WebhookDelivery.endpoint),
                                             selectinload(WebhookDelivery.attempt_log))
             .order_by(WebhookDelivery.id.desc()).limit(limit))
    if endpoint_id is not None:
        query = query.where(WebhookDelivery.endpoint_id == endpoint_id)
    return list(db.session.scalars(query))


# The outbox ----------------------------------------------------------------------------------------------------------

def payload(event: WebhookEvent) -> bytes:
    """The body every endpoint receives for this event: {id, event, created_at, data} as UTF-8 JSON."""
    document = {"id": event.uid, "event": event.event, "created_at": event.created_at.isoformat(), "data": event.data}
    return json.dumps(document, ensure_ascii=False, separators=(",", ":"), default=str).encode()


def _new_event(name: str, data: dict[str, Any], key: str | None = None) -> WebhookEvent:
    event = WebhookEvent(uid="evt_" + secrets.token_hex(12), event=name, key=key, data=data, created_at=utcnow())
    db.session.add(event)
    return event


def _deliver_to(event: WebhookEvent, endpoints: list[WebhookEndpoint]) -> list[WebhookDelivery]:
    made = [WebhookDelivery(event=event, endpoint=endpoint, status=DeliveryStatus.PENDING, next_attempt_at=utcnow())
            for endpoint in endpoints]
    db.session.add_all(made)
    db.session.info.setdefault(PENDING_KEY, []).extend(made)
    return made


@events.listen
def add_to_outbox(name: str, data: dict[str, Any], key: str | None) -> None:
    """Record an emitted event and a delivery per active endpoint that wants it (nothing when none does)."""
    endpoints = [e for e in db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.is_active.is_(True)))
                 if e.wants(name)]
    if not endpoints:
        return
    if key is not None and db.session.scalar(select(WebhookEvent.id).where(WebhookEvent.key == key)) is not None:
        return
    _deliver_to(_new_event(name, json.loads(json.dumps(data, default=str)), key), endpoints)


def send_test(endpoint: WebhookEndpoint, actor: User | None) -> WebhookDelivery:
    """A webhook.test event to this endpoint only (active or not), to check the receiver; the caller commits."""
    event = _new_event(TEST_EVENT, {"endpoint_id": endpoint.id, "sent_by": getattr(actor, "email", None),
                                    "message": "This is a test event from Enable."})
    return _deliver_to(event, [endpoint])[0]


def redeliver(delivery: WebhookDelivery) -> WebhookDelivery:
    """Send the same event (same id and body) to the same endpoint again, as a new delivery; the caller commits."""
    return _deliver_to(delivery.event, [delivery.endpoint])[0]


def take_pending(session: Any) -> list[int]:
    """The ids of deliveries added in `session` that are now committed (called after commit)."""
    from sqlalchemy import inspect

    made = session.info.pop(PENDING_KEY, None) or []
    ids = []
    for delivery in made:
        state = inspect(delivery)
        if state.persistent and state.identity:
            ids.append(state.identity[0])
    return ids


def forget_pending(session: Any) -> None:
    session.info.pop(PENDING_KEY, None)


def overdue_deliveries(now: datetime, grace: timedelta) -> list[int]:
    """Pending deliveries whose attempt is overdue by more than `grace` (their job was lost), oldest first."""
    query = (select(WebhookDelivery.id).where(WebhookDelivery.status == DeliveryStatus.PENDING,
                                              or_(WebhookDelivery.next_attempt_at.is_(None),
                                                  WebhookDelivery.next_attempt_at <= now - grace))
             .order_by(WebhookDelivery.id).limit(1000))
    return list(db.session.scalars(query))


# One attempt ---------------------------------------------------------------------------------------------------------

def backoff_s(attempt: int, base_s: float) -> float:
    """Seconds to wait after failed attempt number `attempt` (1-based): base, 4x, 16x, 64x ..."""
    return float(base_s) * 4 ** max(attempt - 1, 0)


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    excerpt: str | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str], timeout_s: float) -> AttemptResult:
    """POST the body once; redirects are not followed (a 3xx is a failure); only a short excerpt of the answer is
    read. Never raises for network trouble: it is reported as the result's error."""
    started = time.monotonic()
    code: int | None = None
    excerpt: str | None = None
    error: str | None = None
    try:
        check_url(url)
        with httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False, trust_env=False) as client, \
                client.stream("POST", url, content=body, headers=headers) as response:
            code = response.status_code
            raw = b""
            for chunk in response.iter_bytes():
                raw += chunk
                if len(raw) >= EXCERPT_BYTES or time.monotonic() - started > timeout_s:
                    break
            excerpt = raw[:EXCERPT_BYTES].decode("utf-8", errors="replace")[:EXCERPT_CHARS] or None
            if response.is_redirect:
                error = f"redirect to {response.headers.get('location', '?')[:300]} not followed"
            elif not 200 <= code < 300:
                error = f"HTTP {code}"
    except InvalidEndpoint as e:
        error = str(e)
    except httpx.HTTPError as e:
        error = f"{type(e).__name__}: {e}"[:EXCERPT_CHARS]
    return AttemptResult(code, excerpt, error, int((time.monotonic() - started) * 1000))


def attempt_delivery(delivery_id: int, timeout_s: float, max_attempts: int, base_delay_s: float) -> float | None:
    """Claim the delivery, POST it once and log the attempt; return the seconds until a retry, or None when it was
    delivered, given up, or not ours to attempt (not due, or claimed by another worker).

    Runs in its own session: it may be called from the after-commit hook of the session that emitted the event.
    """
    with Session(db.engine, expire_on_commit=False) as session:
        now = utcnow()
        lease = now + timedelta(seconds=timeout_s + 60)  # a worker killed mid-attempt frees the claim after this
        claimed = session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.id == delivery_id, WebhookDelivery.status == DeliveryStatus.PENDING,
                   or_(WebhookDelivery.next_attempt_at.is_(None),
                       WebhookDelivery.next_attempt_at <= now + timedelta(seconds=CLAIM_SLACK_S)))
            .values(next_attempt_at=lease).execution_options(synchronize_session=False)
        ).rowcount  # type: ignore[attr-defined]
        session.commit()
        if claimed != 1:
            return None
        delivery = session.get(WebhookDelivery, delivery_id, options=[selectinload(WebhookDelivery.event),
                                                                      selectinload(WebhookDelivery.endpoint)])
        assert delivery is not None
        endpoint, event = delivery.endpoint, delivery.event
        body = payload(event)
        url, secret, uid = endpoint.url, endpoint.secret, event.uid
        stopped = not endpoint.is_active and event.event != TEST_EVENT
        session.commit()  # no transaction stays open during the request

        if stopped:
            result = AttemptResult(None, None, "the endpoint was deactivated", 0)
        else:
            sign_headers = signing.headers(secret, uid, body)
            result = post(url, body, {"Content-Type": "application/json", "User-Agent": "Enable-Webhooks/1",
                                      **sign_headers}, timeout_s)
        number = delivery.attempts + 1
        finished = utcnow()
        session.add(WebhookAttempt(delivery_id=delivery_id, number=number, attempted_at=finished,
                                   status_code=result.status_code, response_excerpt=result.excerpt,
                                   error=result.error, duration_ms=result.duration_ms))
        delivery.attempts = number
        delivery.last_status_code = result.status_code
        delay: float | None = None
        if result.ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = DeliveryStatus.DELIVERED, finished, None
        elif stopped or number >= max_attempts:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
        else:
            delay = backoff_s(number, base_delay_s)
            delivery.next_attempt_at = finished + timedelta(seconds=delay)
        session.commit()
    log.info("webhook delivery %s attempt %d: %s", delivery_id, number,
             result.status_code if result.status_code is not None else result.error)
    return delay
