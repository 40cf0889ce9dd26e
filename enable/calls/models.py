"""Recorded calls and their processing state."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable import reasons
from enable.auth.models import User, enum_column
from enable.db import created_at
from enable.extensions import Model
from enable.reasons import Reason

if TYPE_CHECKING:
    from enable.bites.models import Bite
    from enable.deals.models import Deal


class CallStatus(StrEnum):
    """Where a call is in the ingest pipeline."""

    QUEUED = "queued"
    TRANSCRIBING = "transcribing"
    SLICING = "slicing"
    INDEXING = "indexing"
    READY = "ready"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return str(STATUS_LABELS[self])

    @property
    def is_active(self) -> bool:
        """True while the call is waiting or being processed."""
        return self not in (CallStatus.READY, CallStatus.FAILED)


STATUS_LABELS = {
    CallStatus.QUEUED: _l("Queued"),
    CallStatus.TRANSCRIBING: _l("Transcribing"),
    CallStatus.SLICING: _l("Cutting into bites"),
    CallStatus.INDEXING: _l("Indexing"),
    CallStatus.READY: _l("Ready"),
    CallStatus.FAILED: _l("Failed"),
}


def error_columns(why: Reason | str | None) -> dict[str, Any]:
    """The values of Call.error, error_code and error_params for a reason (for a bulk UPDATE as for a Call)."""
    if isinstance(why, Reason):
        return {"error": why.english, "error_code": why.code, "error_params": dict(why.params) or None}
    return {"error": why, "error_code": None, "error_params": None}


class Call(Model):
    __tablename__ = "call"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    status: Mapped[CallStatus] = mapped_column(enum_column(CallStatus, "call_status"), default=CallStatus.QUEUED,
                                               index=True)
    progress: Mapped[float] = mapped_column(default=0.0)  # 0..1 of the audio transcribed
    error: Mapped[str | None] = mapped_column(Text)  # why it failed, in English (logs, webhooks, the API)
    # The same reason as a code and its parameters (enable.reasons), shown in the reader's language; None for
    # reasons stored before codes, shown as their text.
    error_code: Mapped[str | None] = mapped_column(String(64))
    error_params: Mapped[dict[str, Any] | None]
    attempts: Mapped[int] = mapped_column(default=0)  # times processing has started since the last retry
    claimed_by: Mapped[str | None] = mapped_column(String(200))  # the worker processing it: host:pid:token
    heartbeat_at: Mapped[datetime | None]  # last sign of life from that worker

    @property
    def error_text(self) -> str:
        """Why it failed, in the reader's language (a reason stored before codes: as it was stored)."""
        return reasons.text(self.error_code, self.error_params, self.error)

    def set_error(self, why: Reason | str | None) -> None:
        """Record why it failed: a coded reason (translated when shown), plain text, or None to clear it."""
        self.error, self.error_code, self.error_params = error_columns(why).values()

    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    media_path: Mapped[str] = mapped_column(String(300))  # relative to MEDIA_DIR
    original_filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(default=0)
    duration_s: Mapped[float | None]
    channels: Mapped[int | None]
    has_video: Mapped[bool] = mapped_column(default=False)

    language: Mapped[str | None] = mapped_column(String(10))  # asked for; None = detect automatically
    detected_language: Mapped[str | None] = mapped_column(String(10))
    transcription_quality: Mapped[str | None] = mapped_column(String(10))  # fast or accurate; None = the site's
    expected_speakers: Mapped[int | None]  # how many people talk on it (1-6), from its metadata; None = found by voice
    model: Mapped[str | None] = mapped_column(String(200))  # speech model that transcribed it
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)  # talk ratio, longest monologue, questions

    stage: Mapped[str | None] = mapped_column(String(60))  # a stage tag key
    call_date: Mapped[date | None]
    rep_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("team.id", ondelete="SET NULL"), index=True)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deal.id", ondelete="SET NULL"), index=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    transcribed_at: Mapped[datetime | None]

    rep: Mapped[User | None] = relationship(foreign_keys=[rep_id])
    uploaded_by: Mapped[User | None] = relationship(foreign_keys=[uploaded_by_id])
    deal: Mapped[Deal | None] = relationship(back_populates="calls")
    bites: Mapped[list[Bite]] = relationship(back_populates="call", cascade="all, delete-orphan",
                                             passive_deletes=True, order_by="Bite.start_s")

    @property
    def is_playable(self) -> bool:
        """False for a file stored although it is not a recording (the call failed at upload)."""
        return self.content_type is not None

    @property
    def media_kind(self) -> str:
        """"video" when the file has a picture, else "audio" (the player element to use)."""
        return "video" if self.has_video else "audio"

    @property
    def effective_language(self) -> str | None:
        """The language the transcript is in: detected, else the one asked for."""
        return self.detected_language or self.language

    def __repr__(self) -> str:
        return f"<Call {self.id} {self.status}>"


class CallVoice(Model):
    """The voice of a speaker not yet known on a one-channel call ("speaker1"...), kept so that confirming who
    the rep is teaches their profile; deleted once the call's speakers are named (personal data, as profiles)."""

    __tablename__ = "call_voice"
    __table_args__ = (UniqueConstraint("call_id", "speaker"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    speaker: Mapped[str] = mapped_column(String(40))
    vector: Mapped[bytes] = mapped_column(LargeBinary)  # little-endian float32, unit length
    seconds: Mapped[float] = mapped_column(default=0.0)
    model: Mapped[str] = mapped_column(String(200))
