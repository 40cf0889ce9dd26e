"""Recordings that arrive by themselves: a file in a drop folder, a Zoom cloud recording, a signed "recording ready"
webhook; each one's fate (waiting, imported, duplicate, failed...), the people on the call, and why a call was
linked to a deal."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable.auth.models import enum_column
from enable.calls.models import Call
from enable.db import created_at
from enable.deals.models import Deal
from enable.extensions import Model


class SourceStatus(StrEnum):
    """What became of a source file."""

    WAITING = "waiting"  # seen, not complete yet (or the disk was full): looked at again on the next scan
    DOWNLOADING = "downloading"  # a webhook announced it; the background job fetches it
    IMPORTED = "imported"  # became a call; the file is in processed/
    UNASSIGNED = "unassigned"  # became a call whose rep is unknown: enablement assigns one
    DUPLICATE = "duplicate"  # the same bytes are already a call; the file is in processed/
    FAILED = "failed"  # not imported; the file is in failed/ with <name>.reason.txt
    GONE = "gone"  # removed from the folder before it could be read

    @property
    def label(self) -> str:
        return str(SOURCE_STATUS_LABELS[self])


SOURCE_STATUS_LABELS = {
    SourceStatus.WAITING: _l("Waiting"),
    SourceStatus.DOWNLOADING: _l("Downloading"),
    SourceStatus.IMPORTED: _l("Imported"),
    SourceStatus.UNASSIGNED: _l("Waiting for a rep"),
    SourceStatus.DUPLICATE: _l("Duplicate"),
    SourceStatus.FAILED: _l("Failed"),
    SourceStatus.GONE: _l("Removed"),
}


class SourceFile(Model):
    """One recording that arrived by itself, and its fate."""

    __tablename__ = "source_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    origin: Mapped[str] = mapped_column(String(20))  # folder, zoom, webhook
    folder: Mapped[str] = mapped_column(String(500), default="")  # the drop folder (empty for webhooks)
    name: Mapped[str] = mapped_column(String(255))
    external_id: Mapped[str | None] = mapped_column(String(200), unique=True)  # zoom:<file id>, webhook:<id>
    status: Mapped[SourceStatus] = mapped_column(enum_column(SourceStatus, "source_status"),
                                                 default=SourceStatus.WAITING, index=True)
    reason: Mapped[str | None] = mapped_column(Text)  # why it failed or waits, or what was ignored
    size_bytes: Mapped[int] = mapped_column(default=0)
    # a folder's file: since when its size has not changed (a file still being written); a download: its lease,
    # until when one job holds it (recordings.claim)
    stable_since: Mapped[datetime | None]
    details: Mapped[dict[str, Any]] = mapped_column(default=dict)  # the metadata read (sidecar, manifest, event)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("call.id", ondelete="SET NULL"), index=True)
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None]

    call: Mapped[Call | None] = relationship()


class CallParticipant(Model):
    """Someone on a call, as its source named them (email and/or name)."""

    __tablename__ = "call_participant"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    email: Mapped[str | None] = mapped_column(String(254), index=True)
    name: Mapped[str | None] = mapped_column(String(200))


class DealMatch(Model):
    """Why a call is (or is not) linked to a deal: the participants that matched, or why no deal was chosen."""

    __tablename__ = "deal_match"

    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), primary_key=True)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    matched_at: Mapped[created_at]

    deal: Mapped[Deal | None] = relationship()
