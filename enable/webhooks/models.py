"""Webhook endpoints, the events sent to them (the outbox), each delivery and each attempt of it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable.auth.models import User
from enable.db import created_at
from enable.extensions import Model


class DeliveryStatus:
    """Where a delivery stands: waiting for its next attempt, accepted by the receiver, or given up."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


class WebhookEndpoint(Model):
    """A receiver URL an admin registered, with its signing secret and the events it wants."""

    __tablename__ = "webhook_endpoint"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str] = mapped_column(String(200), default="")
    secret: Mapped[str] = mapped_column(String(200))  # needed in clear to sign; never exported, shown once
    events: Mapped[list[Any]] = mapped_column(default=list)  # event names, e.g. ["call.transcribed"]
    is_active: Mapped[bool] = mapped_column(default=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]

    created_by: Mapped[User | None] = relationship()

    def wants(self, event: str) -> bool:
        return self.is_active and event in (self.events or [])


class WebhookEvent(Model):
    """One occurrence of an event, as sent: the body every endpoint receives is built from this row."""

    __tablename__ = "webhook_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(40), unique=True)  # the payload's id, e.g. evt_3f9c...
    event: Mapped[str] = mapped_column(String(40), index=True)
    key: Mapped[str | None] = mapped_column(String(200), unique=True)  # sends an occurrence at most once
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[created_at]


class WebhookDelivery(Model):
    """One event to one endpoint, attempted until the receiver answers 2xx or the attempts run out."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("webhook_event.id", ondelete="CASCADE"), index=True)
    endpoint_id: Mapped[int] = mapped_column(ForeignKey("webhook_endpoint.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None]  # also the claim of the worker attempting it
    last_status_code: Mapped[int | None]
    delivered_at: Mapped[datetime | None]
    created_at: Mapped[created_at] = mapped_column(index=True)

    event: Mapped[WebhookEvent] = relationship()
    endpoint: Mapped[WebhookEndpoint] = relationship()
    attempt_log: Mapped[list[WebhookAttempt]] = relationship(back_populates="delivery", cascade="all, delete-orphan",
                                                             passive_deletes=True, order_by="WebhookAttempt.number")


class WebhookAttempt(Model):
    """One HTTP request of a delivery: what the receiver answered, or why it could not be reached."""

    __tablename__ = "webhook_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_delivery.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # 1 for the first attempt
    attempted_at: Mapped[datetime]
    status_code: Mapped[int | None]
    response_excerpt: Mapped[str | None] = mapped_column(String(500))
    error: Mapped[str | None] = mapped_column(String(500))
    duration_ms: Mapped[int]

    delivery: Mapped[WebhookDelivery] = relationship(back_populates="attempt_log")
