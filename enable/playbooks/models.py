"""Playbooks with their versions, assets with their tags, and the links found in both with their check history."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from enable import reasons
from enable.auth.models import User, enum_column
from enable.db import created_at
from enable.extensions import Model
from enable.freshness import Governed
from enable.i18n import default_language
from enable.taxonomy.models import Tag


class Playbook(Governed, Model):
    __tablename__ = "playbook"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)  # stable name, also the file name in content/
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str | None] = mapped_column(String(60), index=True)  # a stage tag key
    body: Mapped[str] = mapped_column(Text, default="")  # Markdown
    # The BCP 47 tag of the language it is written in (en, ru): pages mark it lang="ru" where the interface differs.
    language: Mapped[str] = mapped_column(String(35), default=default_language, server_default="en")
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    versions: Mapped[list[PlaybookVersion]] = relationship(back_populates="playbook", cascade="all, delete-orphan",
                                                           passive_deletes=True, order_by="PlaybookVersion.number")

    def __repr__(self) -> str:
        return f"<Playbook {self.id} {self.slug}>"


class PlaybookVersion(Model):
    __tablename__ = "playbook_version"
    __table_args__ = (UniqueConstraint("playbook_id", "number", name="uq_playbook_version_playbook_id_number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    playbook_id: Mapped[int] = mapped_column(ForeignKey("playbook.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]  # 1, 2, ... per playbook
    title: Mapped[str] = mapped_column(String(200))
    stage: Mapped[str | None] = mapped_column(String(60))
    body: Mapped[str] = mapped_column(Text)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    note: Mapped[str | None] = mapped_column(String(300))  # what changed, in the editor's words
    requires_ack: Mapped[bool] = mapped_column(default=False)  # people certified on it must acknowledge the change
    created_at: Mapped[created_at]

    playbook: Mapped[Playbook] = relationship(back_populates="versions")
    editor: Mapped[User | None] = relationship(foreign_keys=[editor_id])


class AssetKind(StrEnum):
    """What an asset is for."""

    BATTLECARD = "battlecard"
    CASE_STUDY = "case_study"
    ONE_PAGER = "one_pager"
    SLIDES = "slides"
    DOCUMENT = "document"
    OTHER = "other"

    @property
    def label(self) -> str:
        return str(ASSET_KIND_LABELS[self])


ASSET_KIND_LABELS = {
    AssetKind.BATTLECARD: _l("Battlecard"),
    AssetKind.CASE_STUDY: _l("Case study"),
    AssetKind.ONE_PAGER: _l("One-pager"),
    AssetKind.SLIDES: _l("Slides"),
    AssetKind.DOCUMENT: _l("Document"),
    AssetKind.OTHER: _l("Other"),
}


class Asset(Governed, Model):
    __tablename__ = "asset"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    kind: Mapped[AssetKind] = mapped_column(enum_column(AssetKind, "asset_kind"), default=AssetKind.OTHER)
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown
    url: Mapped[str | None] = mapped_column(String(2000))  # an external link, or None for an uploaded file
    file_path: Mapped[str | None] = mapped_column(String(300))  # relative to MEDIA_DIR: assets/<sha256>.<ext>
    sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    original_filename: Mapped[str | None] = mapped_column(String(255))
    content_type: Mapped[str | None] = mapped_column(String(120))
    size_bytes: Mapped[int | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[created_at]
    updated_at: Mapped[datetime | None]

    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])
    tags: Mapped[list[AssetTag]] = relationship(back_populates="asset", cascade="all, delete-orphan",
                                                passive_deletes=True)

    @property
    def is_file(self) -> bool:
        return self.file_path is not None

    def __repr__(self) -> str:
        return f"<Asset {self.id} {self.kind}>"


class AssetTag(Model):
    __tablename__ = "asset_tag"
    __table_args__ = (UniqueConstraint("asset_id", "tag_id", name="uq_asset_tag_asset_id_tag_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    asset_id: Mapped[int] = mapped_column(ForeignKey("asset.id", ondelete="CASCADE"), index=True)
    tag_id: Mapped[int] = mapped_column(ForeignKey("tag.id", ondelete="CASCADE"), index=True)

    asset: Mapped[Asset] = relationship(back_populates="tags")
    tag: Mapped[Tag] = relationship()


class Link(Model):
    """One link written in a playbook or asset: an external URL, or an internal target (bite, playbook, asset)."""

    __tablename__ = "link"
    __table_args__ = (
        UniqueConstraint("source_type", "source_id", "url", name="uq_link_source_type_source_id_url"),
        Index("ix_link_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_type: Mapped[str] = mapped_column(String(20))  # playbook, asset
    source_id: Mapped[int]
    url: Mapped[str] = mapped_column(String(2000))  # as written: https://..., /bites/12?t=30, bite:slug#2
    target_type: Mapped[str | None] = mapped_column(String(20))  # bite, playbook, asset; None for external links
    target_id: Mapped[int | None]  # None when external, or an internal reference that does not resolve
    status: Mapped[str] = mapped_column(String(20), default="unchecked", index=True)  # linkcheck.LinkStatus
    http_status: Mapped[int | None]
    final_url: Mapped[str | None] = mapped_column(String(2000))  # where a redirect ended
    detail: Mapped[str | None] = mapped_column(String(500))  # in English (logs, webhooks)
    # The detail as a code and its parameters (enable.reasons), shown in the reader's language.
    detail_code: Mapped[str | None] = mapped_column(String(64))
    detail_params: Mapped[dict[str, Any] | None]

    @property
    def detail_text(self) -> str:
        """The detail in the reader's language (one stored before codes: as it was stored)."""
        return reasons.text(self.detail_code, self.detail_params, self.detail)
    since: Mapped[datetime | None]  # first check of the current broken or moved spell
    checked_at: Mapped[datetime | None]
    created_at: Mapped[created_at]

    checks: Mapped[list[LinkCheck]] = relationship(back_populates="link", cascade="all, delete-orphan",
                                                   passive_deletes=True, order_by="LinkCheck.checked_at.desc()")

    @property
    def is_internal(self) -> bool:
        return self.target_type is not None


class LinkCheck(Model):
    """One check of one link: the history behind Link.status."""

    __tablename__ = "link_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    link_id: Mapped[int] = mapped_column(ForeignKey("link.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(20))
    http_status: Mapped[int | None]
    final_url: Mapped[str | None] = mapped_column(String(2000))
    detail: Mapped[str | None] = mapped_column(String(500))  # in English (logs, webhooks)
    # The detail as a code and its parameters (enable.reasons), shown in the reader's language.
    detail_code: Mapped[str | None] = mapped_column(String(64))
    detail_params: Mapped[dict[str, Any] | None]

    @property
    def detail_text(self) -> str:
        """The detail in the reader's language (one stored before codes: as it was stored)."""
        return reasons.text(self.detail_code, self.detail_params, self.detail)
    checked_at: Mapped[datetime] = mapped_column(index=True)

    link: Mapped[Link] = relationship(back_populates="checks")
