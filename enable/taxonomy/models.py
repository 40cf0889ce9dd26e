"""Tags of every kind, with the phrases that detect them in a transcript, per language."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable.auth.models import enum_column
from enable.extensions import Model


class TagKind(StrEnum):
    """What a tag describes."""

    STAGE = "stage"
    PHASE = "phase"
    OBJECTION = "objection"
    COMPETITOR = "competitor"
    PRODUCT = "product"
    PERSONA = "persona"
    INDUSTRY = "industry"
    TOPIC = "topic"

    @property
    def label(self) -> str:
        return str(KIND_LABELS[self])


KIND_LABELS = {
    TagKind.STAGE: _l("Stage"),
    TagKind.PHASE: _l("Negotiation phase"),
    TagKind.OBJECTION: _l("Objection"),
    TagKind.COMPETITOR: _l("Competitor"),
    TagKind.PRODUCT: _l("Product"),
    TagKind.PERSONA: _l("Persona"),
    TagKind.INDUSTRY: _l("Industry"),
    TagKind.TOPIC: _l("Topic"),
}

# Names and spellings of these kinds help the speech model, so they are passed as hotwords.
HOTWORD_KINDS = (TagKind.COMPETITOR, TagKind.PRODUCT)


class Tag(Model):
    __tablename__ = "tag"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_tag_kind_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TagKind] = mapped_column(enum_column(TagKind, "tag_kind"), index=True)
    key: Mapped[str] = mapped_column(String(60))
    names: Mapped[dict[str, Any]] = mapped_column(default=dict)  # language -> display name
    description: Mapped[str | None] = mapped_column(String(500))
    position: Mapped[int] = mapped_column(default=0)  # order within its kind (stages run in sequence)

    phrases: Mapped[list[TagPhrase]] = relationship(back_populates="tag", cascade="all, delete-orphan",
                                                    order_by="TagPhrase.id")

    def name_in(self, locale: str | None) -> str:
        """The display name in `locale`, falling back to English, then the key."""
        return self.names.get(locale or "en") or self.names.get("en") or self.key

    def __repr__(self) -> str:
        return f"<Tag {self.kind}:{self.key}>"


class TagPhrase(Model):
    __tablename__ = "tag_phrase"
    __table_args__ = (UniqueConstraint("tag_id", "language", "phrase", name="uq_tag_phrase_tag_id_language_phrase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), index=True)
    language: Mapped[str] = mapped_column(String(10))
    phrase: Mapped[str] = mapped_column(String(200))

    tag: Mapped[Tag] = relationship(back_populates="phrases")
