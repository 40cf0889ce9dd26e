"""Playbooks: writing them with a version per save, reading and rendering them, diffs, and the content folder."""

from __future__ import annotations

import difflib
import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from flask_babel import gettext as _
from sqlalchemy import func, select

from enable import audit
from enable.auth.models import User
from enable.db import utcnow
from enable.display_names import clean_name
from enable.errors import UserError
from enable.extensions import db
from enable.i18n import default_language, language_tag
from enable.playbooks import links
from enable.playbooks.frontmatter import SLUG_RE, PlaybookFile, dump_playbook, read_playbook
from enable.playbooks.models import Asset, Link, Playbook, PlaybookVersion
from enable.playbooks.rendering import Rendered, render_markdown
from enable.taxonomy.models import Tag, TagKind
from enable.taxonomy.services import LoadReport
from enable.yamlfile import ContentError

log = logging.getLogger(__name__)

MAX_BODY_CHARS = 200_000

# Called after each new version: (playbook_id, version_id, requires_ack, now). Certifications register here.
PlaybookChangedHook = Callable[[int, int, bool, datetime], None]
_changed_hooks: list[PlaybookChangedHook] = []


def on_playbook_changed(hook: PlaybookChangedHook) -> PlaybookChangedHook:
    """Register a function to call after every new playbook version (in the same transaction)."""
    if hook not in _changed_hooks:
        _changed_hooks.append(hook)
    return hook


class PlaybookInvalid(UserError):
    """The playbook's fields cannot be saved as given."""

    status_code = 422


def stage_keys() -> list[str]:
    """The stage tag keys, in order."""
    return list(db.session.scalars(select(Tag.key).where(Tag.kind == TagKind.STAGE).order_by(Tag.position, Tag.key)))


def normalise_body(body: str) -> str:
    """Line endings as \\n and one final newline, as in the files (browsers send textareas with \\r\\n)."""
    body = (body or "").replace("\r\n", "\n").replace("\r", "\n")
    return body.rstrip("\n") + "\n" if body.strip() else ""


def _check_fields(title: str, body: str, stage: str | None) -> None:
    if not clean_name(title):
        raise PlaybookInvalid(_("Give the playbook a title."))
    if len(body) > MAX_BODY_CHARS:
        raise PlaybookInvalid(_("The playbook is too long (at most %(n)s characters); split it in two.",
                                n=MAX_BODY_CHARS))
    if stage and stage not in stage_keys():
        raise PlaybookInvalid(_("Unknown stage '%(stage)s'; choose one of the taxonomy's stages.", stage=stage))


def _checked_language(language: str | None) -> str:
    """The language tag in its usual form (the site's default when not given), or PlaybookInvalid."""
    if not language:
        return default_language()
    tag = language_tag(language)
    if tag is None:
        raise PlaybookInvalid(_("Unknown language '%(language)s'; give a language tag such as en or ru.",
                                language=language))
    return tag


def slug_from(title: str) -> str:
    """A URL-safe slug for a title (ASCII letters and digits), never empty."""
    text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:60]
    return slug or "playbook"


def unique_slug(base: str) -> str:
    """`base`, or base-2, base-3, ... whichever no playbook uses yet."""
    taken = set(db.session.scalars(select(Playbook.slug).where(Playbook.slug.like(f"{base}%"))))
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}-{n}", n + 1
    return slug


def _add_version(playbook: Playbook, editor: User | None, now: datetime, note: str | None,
                 requires_ack: bool) -> PlaybookVersion:
    number = (db.session.scalar(select(func.max(PlaybookVersion.number))
                                .where(PlaybookVersion.playbook_id == playbook.id)) or 0) + 1
    version = PlaybookVersion(playbook_id=playbook.id, number=number, title=playbook.title, stage=playbook.stage,
                              body=playbook.body, editor_id=getattr(editor, "id", None),
                              note=(note or "").strip()[:300] or None, requires_ack=requires_ack, created_at=now)
    db.session.add(version)
    db.session.flush()
    links.sync_links("playbook", playbook.id, playbook.body)
    for hook in _changed_hooks:
        hook(playbook.id, version.id, requires_ack, now)
    return version


def create_playbook(*, title: str, body: str, stage: str | None, editor: User | None, now: datetime,
                    slug: str | None = None, owner_id: int | None = None, note: str | None = None,
                    language: str | None = None) -> Playbook:
    """A new playbook with its first version; the owner defaults to its author, the language to the site's."""
    body = normalise_body(body)
    _check_fields(title, body, stage)
    language = _checked_language(language)
    if slug and not SLUG_RE.match(slug):
        raise PlaybookInvalid(_("A slug is lower-case letters, digits and '-' (at most 80)."))
    if slug and db.session.scalar(select(Playbook.id).where(Playbook.slug == slug)) is not None:
        raise PlaybookInvalid(_("Another playbook already uses the slug '%(slug)s'.", slug=slug))
    playbook = Playbook(slug=slug or unique_slug(slug_from(title)), title=clean_name(title), stage=stage or None,
                        body=body, language=language, created_at=now, updated_at=now,
                        updated_by_id=getattr(editor, "id", None),
                        owner_id=owner_id if owner_id is not None else getattr(editor, "id", None))
    db.session.add(playbook)
    db.session.flush()
    _add_version(playbook, editor, now, note or _("Created"), requires_ack=False)
    audit.record(editor, "playbook.create", playbook)
    return playbook


def update_playbook(playbook: Playbook, *, title: str, body: str, stage: str | None, editor: User | None,
                    now: datetime, note: str | None = None, requires_ack: bool = False,
                    language: str | None = None) -> PlaybookVersion | None:
    """Save new content as a new version (an edit also verifies it); None when the content did not change.

    A new `language` (None: leave it) is saved either way, without a version: it says what the text is written in.
    """
    body = normalise_body(body)
    _check_fields(title, body, stage)
    title, stage = clean_name(title), stage or None
    if language is not None and (language := _checked_language(language)) != playbook.language:
        audit.record(editor, "playbook.language", playbook, {"from": playbook.language, "to": language})
        playbook.language = language
        playbook.updated_at, playbook.updated_by_id = now, getattr(editor, "id", None)
    if (playbook.title, playbook.body, playbook.stage) == (title, body, stage):
        return None
    playbook.title, playbook.body, playbook.stage = title, body, stage
    playbook.updated_at, playbook.updated_by_id = now, getattr(editor, "id", None)
    playbook.mark_verified(editor, now)
    version = _add_version(playbook, editor, now, note, requires_ack)
    audit.record(editor, "playbook.update", playbook, {"version": version.number})
    return version


def list_playbooks(stage: str | None = None, include_inactive: bool = False,
                   language: str | None = None) -> list[Playbook]:
    """Playbooks in stage order, then by title, of one stage and one language when asked; archived and retired
    ones only when asked."""
    query = select(Playbook)
    if not include_inactive:
        query = query.where(Playbook.archived_at.is_(None), Playbook.retired_at.is_(None))
    if stage:
        query = query.where(Playbook.stage == stage)
    if language:
        query = query.where(Playbook.language == language)
    positions = {key: i for i, key in enumerate(stage_keys())}
    found = list(db.session.scalars(query))
    return sorted(found, key=lambda p: (positions.get(p.stage or "", len(positions)), p.title.lower()))


def playbook_languages(include_inactive: bool = False) -> list[str]:
    """The language tags the (active) playbooks are written in, sorted."""
    query = select(Playbook.language).distinct().order_by(Playbook.language)
    if not include_inactive:
        query = query.where(Playbook.archived_at.is_(None), Playbook.retired_at.is_(None))
    return list(db.session.scalars(query))


def render(playbook: Playbook | PlaybookVersion) -> Rendered:
    """The playbook's body as safe HTML with bite players and its sections."""
    return render_markdown(playbook.body, links.embed_for)


def attachments(playbook: Playbook) -> list[Asset]:
    """The active assets the playbook links to (its attachments), in title order."""
    linked = select(Link.target_id).where(Link.source_type == "playbook", Link.source_id == playbook.id,
                                          Link.target_type == "asset")
    return list(db.session.scalars(select(Asset).where(Asset.id.in_(linked), Asset.archived_at.is_(None),
                                                       Asset.retired_at.is_(None)).order_by(Asset.title)))


def attachable_assets() -> list[Asset]:
    """Active assets, for the editor's list of what can be attached."""
    return list(db.session.scalars(select(Asset).where(Asset.archived_at.is_(None), Asset.retired_at.is_(None))
                                   .order_by(Asset.title)))


def versions(playbook: Playbook) -> list[PlaybookVersion]:
    """Versions newest first, with their editors."""
    return list(db.session.scalars(select(PlaybookVersion).where(PlaybookVersion.playbook_id == playbook.id)
                                   .order_by(PlaybookVersion.number.desc())))


def version_of(playbook: Playbook, number: int) -> PlaybookVersion | None:
    return db.session.scalar(select(PlaybookVersion).where(PlaybookVersion.playbook_id == playbook.id,
                                                           PlaybookVersion.number == number))


@dataclass(frozen=True)
class DiffLine:
    kind: str  # add, del, ctx, hunk
    text: str


def diff_versions(old: PlaybookVersion, new: PlaybookVersion, context: int = 3) -> list[DiffLine]:
    """A unified diff of two versions (title, stage and body), line by line."""

    def lines(v: PlaybookVersion) -> list[str]:
        return [f"# {v.title}", f"stage: {v.stage or '-'}", "", *v.body.splitlines()]

    out: list[DiffLine] = []
    for line in difflib.unified_diff(lines(old), lines(new), f"v{old.number}", f"v{new.number}", n=context,
                                     lineterm=""):
        if line.startswith(("---", "+++")):
            continue
        kind = {"@": "hunk", "+": "add", "-": "del"}.get(line[:1], "ctx")
        out.append(DiffLine(kind, line))
    return out


# The content folder ------------------------------------------------------------------------------------------------

def _user_by_email(email: str | None) -> User | None:
    if not email:
        return None
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def apply_playbook_file(item: PlaybookFile, path: Path, report: LoadReport, now: datetime) -> Playbook:
    """Create or update one playbook from its file: a version only when title, stage or body changed."""
    if item.stage and item.stage not in stage_keys():
        raise ContentError(path, None, f"unknown stage '{item.stage}'; use one of: {', '.join(stage_keys())}")
    owner, verifier = _user_by_email(item.owner), _user_by_email(item.verifier)
    for role, email, user in (("owner", item.owner, owner), ("verifier", item.verifier, verifier)):
        if email and user is None:
            log.debug("%s: %s %s has no account yet; load again once it exists", path, role, email)
            report.wait_for("accounts", email)
    playbook = db.session.scalar(select(Playbook).where(Playbook.slug == item.slug))
    language = item.language or default_language()  # a file without `language:` is in the site's default language
    if playbook is None:
        playbook = create_playbook(title=item.title, body=item.body, stage=item.stage, editor=None, now=now,
                                   slug=item.slug, owner_id=getattr(owner, "id", None), note="content load",
                                   language=language)
        report.count("created", "playbooks")
    else:
        language_changed = playbook.language != language
        version = update_playbook(playbook, title=item.title, body=item.body, stage=item.stage, editor=None, now=now,
                                  note="content load", language=language)
        settings_changed = (
            language_changed
            or (owner is not None and playbook.owner_id != owner.id)
            or (verifier is not None and playbook.verifier_id != verifier.id)
            or playbook.review_interval_days != item.review_interval_days
        )
        if version is not None or settings_changed:
            report.count("updated", "playbooks")
    if owner is not None:
        playbook.owner_id = owner.id
    if verifier is not None:
        playbook.verifier_id = verifier.id
    playbook.review_interval_days = item.review_interval_days
    return playbook


def load_playbooks(root: Path, now: datetime | None = None) -> LoadReport:
    """Load content/playbooks/*.md (idempotent: unchanged files change nothing)."""
    report = LoadReport()
    folder = root / "playbooks"
    if not folder.is_dir():
        return report
    now = now or utcnow()
    seen: dict[str, Path] = {}
    for path in sorted(folder.glob("*.md")):
        item = read_playbook(path)
        if item.slug in seen:
            raise ContentError(path, None, f"slug '{item.slug}' is also used by {seen[item.slug].name}")
        seen[item.slug] = path
        apply_playbook_file(item, path, report, now)
    db.session.flush()
    return report


def playbook_file(playbook: Playbook) -> PlaybookFile:
    """The file form of a playbook."""
    return PlaybookFile(slug=playbook.slug, title=playbook.title, body=playbook.body, stage=playbook.stage,
                        owner=playbook.owner.email if playbook.owner else None,
                        verifier=playbook.verifier.email if playbook.verifier else None,
                        review_interval_days=playbook.review_interval_days,
                        language=playbook.language if playbook.language != default_language() else None)


def export_playbooks(dest: Path) -> list[Path]:
    """Write every playbook not retired to dest/<slug>.md; return the files written."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    query = select(Playbook).where(Playbook.retired_at.is_(None)).order_by(Playbook.slug)
    for playbook in db.session.scalars(query):
        path = dest / f"{playbook.slug}.md"
        path.write_text(dump_playbook(playbook_file(playbook)), encoding="utf-8", newline="\n")
        written.append(path)
    return written
