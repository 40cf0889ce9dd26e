"""Deals imported from the CRM, with their outcome."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable.auth.models import User, enum_column
from enable.db import created_at
from enable.extensions import Model

if TYPE_CHECKING:
    from enable.calls.models import Call


class DealOutcome(StrEnum):
    """Whether a deal was won, lost, or is still open."""

    WON = "won"
    LOST = "lost"
    OPEN = "open"

    @property
    def label(self) -> str:
        return str(OUTCOME_LABELS[self])


OUTCOME_LABELS = {DealOutcome.WON: _l("Won"), DealOutcome.LOST: _l("Lost"), DealOutcome.OPEN: _l("Open")}


class Deal(Model):
    __tablename__ = "deal"

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(100), unique=True)  # the CRM's id
    name: Mapped[str] = mapped_column(String(255))
    account: Mapped[str | None] = mapped_column(String(255))
    amount_cents: Mapped[int | None] = mapped_column(BigInteger)
    currency: Mapped[str | None] = mapped_column(String(3))
    stage: Mapped[str | None] = mapped_column(String(100))  # the CRM's stage name
    outcome: Mapped[DealOutcome] = mapped_column(enum_column(DealOutcome, "deal_outcome"), default=DealOutcome.OPEN,
                                                 index=True)
    close_on: Mapped[date | None]
    created_on: Mapped[date | None]
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    owner_name: Mapped[str | None] = mapped_column(String(255))  # as the CRM wrote it
    source: Mapped[str] = mapped_column(String(20), default="csv")  # salesforce, hubspot, csv, api
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship()
    calls: Mapped[list[Call]] = relationship(back_populates="deal")
    contacts: Mapped[list[DealContact]] = relationship(back_populates="deal", cascade="all, delete-orphan",
                                                       passive_deletes=True, order_by="DealContact.email")

    @property
    def days_to_close(self) -> int | None:
        if self.close_on and self.created_on and self.outcome != DealOutcome.OPEN:
            return (self.close_on - self.created_on).days
        return None


class DealContact(Model):
    """A contact of a deal's account, as the CRM export named them (their email, lower case): how a call's
    participants find the deal."""

    __tablename__ = "deal_contact"
    __table_args__ = (UniqueConstraint("deal_id", "email"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deal.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    name: Mapped[str | None] = mapped_column(String(200))

    deal: Mapped[Deal] = relationship(back_populates="contacts")
