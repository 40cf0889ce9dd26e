"""Bites: about two minutes of one call, with their tags and the evidence for each tag."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable.auth.models import enum_column
from enable.bites.tagging import TagMatch
from enable.db import created_at
from enable.extensions import Model
from enable.freshness import Governed
from enable.taxonomy.models import Tag

if TYPE_CHECKING:
    from enable.calls.models import Call


class TagSource(StrEnum):
    """Why a bite carries a tag."""

    DETECTED = "detected"  # a taxonomy phrase was spoken in the bite
    CALL_STAGE = "call_stage"  # the call's stage tags all its bites
    MANUAL = "manual"  # added by enablement


class MomentReview(StrEnum):
    """What enablement decided about a tag matched by meaning."""

    CONFIRMED = "confirmed"  # right: retagging keeps it even if the examples change
    REJECTED = "rejected"  # wrong: the tag is off the bite and the sentence is a negative example


class Bite(Governed, Model):
    __tablename__ = "bite"
    __table_args__ = (UniqueConstraint("call_id", "seq", name="uq_bite_call_id_seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("call.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int]  # position within the call, from 0
    start_s: Mapped[float]
    end_s: Mapped[float]
    first_word: Mapped[int]  # index into the transcript's words, in time order
    last_word: Mapped[int]  # inclusive
    title: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    speakers: Mapped[list[Any]] = mapped_column(default=list)
    language: Mapped[str | None] = mapped_column(String(10))
    is_best: Mapped[bool] = mapped_column(default=False, index=True)
    best_marked_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None]
    # Curation: a person renamed, trimmed, split or merged the bite. A re-run of the call (re-transcription, a
    # retry) keeps a curated bite as it is (times, words, title); `bites retag` leaves a title set by hand.
    curated_at: Mapped[datetime | None]
    curated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    title_by_hand: Mapped[bool] = mapped_column(default=False, server_default="0")

    call: Mapped[Call] = relationship(back_populates="bites")
    tags: Mapped[list[BiteTag]] = relationship(back_populates="bite", cascade="all, delete-orphan",
                                               passive_deletes=True)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def __repr__(self) -> str:
        return f"<Bite {self.id} call={self.call_id} {self.start_s:.0f}-{self.end_s:.0f}s>"


class BiteTag(Model):
    __tablename__ = "bite_tag"
    __table_args__ = (UniqueConstraint("bite_id", "tag_id", name="uq_bite_tag_bite_id_tag_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    bite_id: Mapped[int] = mapped_column(ForeignKey("bite.id", ondelete="CASCADE"), index=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), index=True)
    source: Mapped[TagSource] = mapped_column(enum_column(TagSource, "tag_source"))
    phrase: Mapped[str | None] = mapped_column(String(200))  # evidence: the phrase matched
    at_s: Mapped[float | None]  # evidence: the second it was said (call time)
    match: Mapped[TagMatch | None] = mapped_column(enum_column(TagMatch, "tag_match"))  # evidence: how it matched
    sentence: Mapped[str | None] = mapped_column(Text)  # evidence: the sentence said
    speaker: Mapped[str | None] = mapped_column(String(60))  # evidence: who said it (the transcript's label)
    score: Mapped[float | None]  # evidence, by meaning: cosine between the sentence and the example
    review: Mapped[MomentReview | None] = mapped_column(enum_column(MomentReview, "moment_review"))
    is_removed: Mapped[bool] = mapped_column(default=False)  # removed by a person: retagging keeps it off
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]

    bite: Mapped[Bite] = relationship(back_populates="tags")
    tag: Mapped[Tag] = relationship()


class TrackerExample(Model):
    """A sentence enablement reviewed for a tracker: confirmed, a further example of the tag; rejected
    (``is_negative``), a negative example that suppresses sentences at least as close to it as to any example."""

    __tablename__ = "tracker_example"
    __table_args__ = (UniqueConstraint("tag_id", "sentence", name="uq_tracker_example_tag_id_sentence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), index=True)
    sentence: Mapped[str] = mapped_column(String(1000))
    is_negative: Mapped[bool] = mapped_column(default=False)
    bite_id: Mapped[int | None] = mapped_column(ForeignKey("bite.id", ondelete="SET NULL"))
    reviewed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]

    tag: Mapped[Tag] = relationship()
