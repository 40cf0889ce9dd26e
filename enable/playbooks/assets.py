"""Assets: external links and uploaded files (PDF, Office documents, images), tagged like bites."""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from enable import audit
from enable.auth.models import User
from enable.display_names import clean_name
from enable.errors import UserError
from enable.extensions import db
from enable.playbooks import links
from enable.playbooks.models import Asset, AssetKind, AssetTag
from enable.taxonomy.models import Tag

log = logging.getLogger(__name__)

_SNIFF_BYTES = 16


class AssetInvalid(UserError):
    """The asset cannot be saved as given."""

    status_code = 422


class UnsupportedFile(AssetInvalid):
    """The uploaded file is not one of the kinds we keep."""


@dataclass(frozen=True)
class FileType:
    ext: str
    content_type: str


PDF = FileType("pdf", "application/pdf")
DOCX = FileType("docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
PPTX = FileType("pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation")
XLSX = FileType("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
PNG = FileType("png", "image/png")
JPEG = FileType("jpg", "image/jpeg")
GIF = FileType("gif", "image/gif")
WEBP = FileType("webp", "image/webp")
# An Office Open XML file is a ZIP whose parts name what it is.
_OFFICE_PARTS = (("word/document.xml", DOCX), ("ppt/presentation.xml", PPTX), ("xl/workbook.xml", XLSX))


def _refuse() -> UnsupportedFile:
    return UnsupportedFile(_("This file is not a kind we keep; upload a PDF, a Word, PowerPoint or Excel file "
                             "(.docx, .pptx, .xlsx) or an image (PNG, JPEG, GIF, WebP)."))


def sniff(path: Path) -> FileType:
    """The file's type from its content (never its name); raise UnsupportedFile for anything else."""
    with open(path, "rb") as fh:
        head = fh.read(_SNIFF_BYTES)
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError) as e:
            raise _refuse() from e
        if "[Content_Types].xml" in names:
            for part, kind in _OFFICE_PARTS:
                if part in names:
                    return kind
    raise _refuse()


@dataclass(frozen=True)
class StoredFile:
    rel_path: str  # relative to MEDIA_DIR
    sha256: str
    size_bytes: int
    type: FileType


def store_upload(stream: IO[bytes], media_dir: Path, max_bytes: int) -> StoredFile:
    """Save an upload as media/assets/<sha256>.<ext> (written to a temporary file, then renamed)."""
    folder = media_dir / "assets"
    folder.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    fd, tmp_name = tempfile.mkstemp(dir=folder, prefix=".upload-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for block in iter(lambda: stream.read(1 << 20), b""):
                size += len(block)
                if size > max_bytes:
                    raise AssetInvalid(_("This file is larger than the %(mb)s MB limit.", mb=max_bytes // 2**20))
                digest.update(block)
                out.write(block)
        if size == 0:
            raise AssetInvalid(_("The file is empty; choose another file."))
        kind = sniff(tmp)
        sha = digest.hexdigest()
        rel = f"assets/{sha}.{kind.ext}"
        os.replace(tmp, media_dir / rel)
        return StoredFile(rel, sha, size, kind)
    finally:
        tmp.unlink(missing_ok=True)


def _check(title: str, url: str | None) -> None:
    if not clean_name(title):
        raise AssetInvalid(_("Give the asset a title."))
    if url is not None and not url.lower().startswith(("http://", "https://")):
        raise AssetInvalid(_("A link must start with http:// or https://."))


def _safe_filename(name: str | None, ext: str) -> str:
    base = Path(name or "").name.strip() or f"asset.{ext}"
    return base[:255]


def create_asset(*, title: str, kind: AssetKind, description: str, url: str | None, stored: StoredFile | None,
                 original_filename: str | None, tag_ids: list[int], creator: User, now: datetime) -> Asset:
    """A new asset: an external link, or an uploaded file; its creator owns it."""
    url = (url or "").strip() or None
    _check(title, url)
    if (url is None) == (stored is None):
        raise AssetInvalid(_("Give either a link or a file, not both and not neither."))
    asset = Asset(title=clean_name(title), kind=kind, description=description or "", url=url, created_by_id=creator.id,
                  owner_id=creator.id, created_at=now, updated_at=now)
    if stored is not None:
        asset.file_path, asset.sha256, asset.size_bytes = stored.rel_path, stored.sha256, stored.size_bytes
        asset.content_type = stored.type.content_type
        asset.original_filename = _safe_filename(original_filename, stored.type.ext)
    db.session.add(asset)
    db.session.flush()
    set_tags(asset, tag_ids)
    links.sync_links("asset", asset.id, asset.description, [url] if url else [])
    audit.record(creator, "asset.create", asset)
    return asset


def update_asset(asset: Asset, *, title: str, kind: AssetKind, description: str, url: str | None,
                 stored: StoredFile | None, original_filename: str | None, tag_ids: list[int], editor: User,
                 now: datetime) -> None:
    """Change an asset (a new file replaces the old one); an edit also verifies it."""
    url = (url or "").strip() or None
    _check(title, url)
    if asset.is_file and url:
        raise AssetInvalid(_("This asset is a file; upload a new file instead of giving a link."))
    if not asset.is_file and url is None:
        raise AssetInvalid(_("Give the link this asset points to."))
    asset.title, asset.kind, asset.description = clean_name(title), kind, description or ""
    if not asset.is_file:
        asset.url = url
    if stored is not None and asset.is_file:
        asset.file_path, asset.sha256, asset.size_bytes = stored.rel_path, stored.sha256, stored.size_bytes
        asset.content_type = stored.type.content_type
        asset.original_filename = _safe_filename(original_filename, stored.type.ext)
    asset.updated_at = now
    asset.mark_verified(editor, now)
    set_tags(asset, tag_ids)
    links.sync_links("asset", asset.id, asset.description, [asset.url] if asset.url else [])
    audit.record(editor, "asset.update", asset)


def set_tags(asset: Asset, tag_ids: list[int]) -> None:
    """Make the asset's tags exactly these taxonomy tags."""
    wanted = set(db.session.scalars(select(Tag.id).where(Tag.id.in_(tag_ids)))) if tag_ids else set()
    asset.tags = [t for t in asset.tags if t.tag_id in wanted] + [
        AssetTag(tag_id=tag_id) for tag_id in sorted(wanted - {t.tag_id for t in asset.tags})]


def list_assets(kind: AssetKind | None = None, tag_id: int | None = None, query: str | None = None) -> list[Asset]:
    """Active assets, newest first, filtered by kind, tag and words in the title."""
    stmt = (select(Asset).where(Asset.archived_at.is_(None), Asset.retired_at.is_(None))
            .options(selectinload(Asset.tags).selectinload(AssetTag.tag)))
    if kind is not None:
        stmt = stmt.where(Asset.kind == kind)
    if tag_id is not None:
        stmt = stmt.where(Asset.tags.any(AssetTag.tag_id == tag_id))
    if query:
        for word in query.split()[:8]:
            stmt = stmt.where(Asset.title.ilike(f"%{word.replace('%', '').replace('_', '')}%"))
    return list(db.session.scalars(stmt.order_by(Asset.created_at.desc(), Asset.id.desc())))


def file_path(asset: Asset, media_dir: Path) -> Path | None:
    """Where an uploaded asset's file is, if it is still there and inside MEDIA_DIR (a stored path leading out of it,
    as a crafted backup could carry, is logged and never used)."""
    if not asset.file_path:
        return None
    path = (media_dir / asset.file_path).resolve()
    if not path.is_relative_to(media_dir.resolve()):
        log.warning("asset %s: its stored file path leads outside MEDIA_DIR; not used", asset.id)
        return None
    return path if path.is_file() else None
