"""Webhooks: endpoints, the outbox that turns events into deliveries, and one signed attempt of a delivery.

An event emitted inside a unit of work (enable.events.emit) adds a WebhookEvent and one WebhookDelivery per
subscribed endpoint to the caller's session; the delivery jobs are queued only after that session commits
(enable.webhooks.jobs), so a rolled-back change sends nothing. Each attempt claims the delivery first, so a
retry and the sweep never send it twice at once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from flask import current_app, has_app_context
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from enable import events
from enable.auth.models import User
from enable.db import utcnow
from enable.extensions import db
from enable.webhooks import addresses, signing
from enable.webhooks.addresses import InvalidEndpoint
from enable.webhooks.models import DeliveryStatus, WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEvent

log = logging.getLogger(__name__)

TEST_EVENT = "webhook.test"
PENDING_KEY = "enable.webhooks.pending"  # deliveries added in this session, queued when it commits
EXCERPT_BYTES = 2048  # read at most this much of a receiver's answer
EXCERPT_CHARS = 500  # and keep this much of it
CLAIM_SLACK_S = 2.0  # a scheduled retry may run this early and still claim its delivery
MIN_SECRET_CHARS = 16


def allow_private() -> bool:
    """WEBHOOK_ALLOW_PRIVATE: whether receivers may be on loopback or private networks (off by default)."""
    return has_app_context() and bool(current_app.config.get("WEBHOOK_ALLOW_PRIVATE", False))


# Endpoints -----------------------------------------------------------------------------------------------------------

def check_url(url: str, private_ok: bool | None = None) -> str:
    """The URL stripped, or InvalidEndpoint: only http(s) with a valid host and port, no credentials, at most 2000
    characters, and (unless WEBHOOK_ALLOW_PRIVATE) a host that does not resolve into a private or local network. A
    name that does not resolve now is accepted: each attempt checks it again."""
    url = (url or "").strip()
    target = addresses.parse(url)
    with contextlib.suppress(addresses.UnresolvedHost):
        addresses.resolve(target, allow_private() if private_ok is None else private_ok)
    return url


def check_events(chosen: list[str]) -> list[str]:
    """The chosen event names in the documented order, or InvalidEndpoint when none or an unknown one is given."""
    unknown = [name for name in chosen if name not in events.EVENTS]
    if unknown or not chosen:
        raise InvalidEndpoint(_("Choose at least one of the listed events."), field="events")
    return [name for name in events.EVENTS if name in chosen]


def create_endpoint(url: str, chosen: list[str], actor: User | None, description: str = "",
                    secret: str | None = None) -> WebhookEndpoint:
    """Register an endpoint; without `secret` one is generated. The caller shows the secret once and commits."""
    secret = (secret or "").strip() or signing.new_secret()
    if not MIN_SECRET_CHARS <= len(secret) <= 200:
        raise InvalidEndpoint(_("A signing secret needs %(min)d to 200 characters; leave it empty to generate one.",
                                min=MIN_SECRET_CHARS), field="secret")
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
    data = json.loads(json.dumps(data, default=str))
    if key is None:
        _deliver_to(_new_event(name, data), endpoints)
        return
    event = _new_keyed_event(name, data, key)
    if event is not None:
        _deliver_to(event, endpoints)


def _new_keyed_event(name: str, data: dict[str, Any], key: str) -> WebhookEvent | None:
    """The event recorded under `key`, or None when that occurrence was already recorded (by this transaction, a
    committed one, or a concurrent one: then this waits for it). Never fails the caller's transaction on the unique
    key: INSERT ... ON CONFLICT DO NOTHING, or a savepoint on other databases."""
    session = db.session
    dialect = session.get_bind().dialect.name
    if dialect in ("postgresql", "sqlite"):
        session.flush()  # earlier events of this transaction are in the table
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        row = {"uid": "evt_" + secrets.token_hex(12), "event": name, "key": key, "data": data,
               "created_at": utcnow()}
        new_id = session.execute(insert(WebhookEvent).values(**row)
                                 .on_conflict_do_nothing(index_elements=["key"])
                                 .returning(WebhookEvent.id)).scalar()
        return session.get(WebhookEvent, new_id) if new_id is not None else None
    if session.scalar(select(WebhookEvent.id).where(WebhookEvent.key == key)) is not None:
        return None
    try:
        with session.begin_nested():
            return _new_event(name, data, key)
    except IntegrityError:
        return None


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


def clean_text(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Text fit to store and show: NUL and other control characters (but newlines and tabs) removed, cut short."""
    return "".join(ch for ch in text if ch in "\n\t" or not (ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0))[:limit]


def post(url: str, body: bytes, headers: dict[str, str], timeout_s: float,
         private_ok: bool | None = None) -> AttemptResult:
    """POST the body once to the address the URL's host resolves to, after checking that address (see
    enable.webhooks.addresses); redirects are not followed (a 3xx is a failure). Only a 2xx answer's start is kept
    (`excerpt`): the body of an error page is never stored or shown. Never raises: whatever goes wrong (a refused
    address, DNS, the network, a malformed URL) is reported as the result's error."""
    started = time.monotonic()
    code: int | None = None
    excerpt: str | None = None
    error: str | None = None
    try:
        target = addresses.parse(url)
        found = addresses.resolve(target, allow_private() if private_ok is None else private_ok)
        extensions = {"sni_hostname": target.host} if target.scheme == "https" else {}
        send_headers = {**headers, "Host": target.host_header}
        with httpx.Client(timeout=httpx.Timeout(timeout_s), follow_redirects=False, trust_env=False) as client:
            for n, address in enumerate(found):
                try:
                    with client.stream("POST", target.url_for(address), content=body, headers=send_headers,
                                       extensions=extensions) as response:
                        code = response.status_code
                        if 200 <= code < 300:
                            raw = b""
                            for chunk in response.iter_bytes():
                                raw += chunk
                                if len(raw) >= EXCERPT_BYTES or time.monotonic() - started > timeout_s:
                                    break
                            excerpt = clean_text(raw[:EXCERPT_BYTES].decode("utf-8", errors="replace")) or None
                        elif response.is_redirect:
                            location = clean_text(response.headers.get("location", "?"), 300)
                            error = f"redirect to {location} not followed"
                        else:
                            error = f"HTTP {code}"
                    break
                except httpx.ConnectError:
                    if n == len(found) - 1:
                        raise
    except InvalidEndpoint as e:
        error = str(e)
    except (addresses.UnresolvedHost, httpx.HTTPError) as e:
        error = f"{type(e).__name__}: {e}"
    except Exception as e:  # anything else still ends this attempt as a logged failure (never an endless redo)
        log.exception("webhook POST to %s failed unexpectedly", addresses.mask(url))
        error = f"{type(e).__name__}: {e}"
    return AttemptResult(code, excerpt, clean_text(error) if error is not None else None,
                         int((time.monotonic() - started) * 1000))


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
