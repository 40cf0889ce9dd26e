"""Content governance over playbooks, assets and bites: stale queues, verification, archiving, retiring."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from enable import audit, csvexport, events
from enable.auth.models import Role, User
from enable.bites.models import Bite
from enable.errors import NotAllowed, UserError
from enable.extensions import db
from enable.freshness import Governed
from enable.notifications import notify
from enable.playbooks import links
from enable.playbooks.models import Asset, Link, Playbook
from enable.playbooks.rendering import unlink
from enable.playbooks.services import update_playbook
from enable.usage import UsageEvent, UsageKind

log = logging.getLogger(__name__)

MODELS: dict[str, type[Any]] = {"playbook": Playbook, "asset": Asset, "bite": Bite}
KIND_LABELS = {"playbook": _l("Playbook"), "asset": _l("Asset"), "bite": _l("Bite")}
VIEW_KINDS = (UsageKind.VIEW, UsageKind.PLAY, UsageKind.DOWNLOAD, UsageKind.PLAYLIST_PLAY)


def default_days(kind: str) -> int:
    """The kind's default review interval (REVIEW_DAYS_PLAYBOOK, _ASSET, _BITE)."""
    return int(current_app.config.get(f"REVIEW_DAYS_{kind.upper()}", 90))


def kind_of(item: Governed) -> str:
    return str(item.__tablename__)  # type: ignore[attr-defined]


def get_item(kind: str, item_id: int) -> Any | None:
    """The governed item of this kind and id, or None (also for an unknown kind)."""
    model = MODELS.get(kind)
    return db.session.get(model, item_id) if model is not None else None


def title_of(item: Any) -> str:
    return str(item.title)


def url_of(kind: str, item: Any) -> str:
    """The item's own page."""
    if kind == "playbook":
        return links.site_path("playbooks.detail", playbook_id=item.id)
    if kind == "asset":
        return links.site_path("assets.detail", asset_id=item.id)
    return f"/bites/{item.id}"


def can_verify(user: User, item: Governed) -> bool:
    """Owners and verifiers verify their own items; enablement verifies any."""
    return user.has_role(Role.ENABLEMENT) or user.id in (item.owner_id, item.verifier_id)


def verify(item: Governed, user: User, now: datetime) -> None:
    """Record that `user` checked the item is still right; it leaves the stale queue."""
    if not can_verify(user, item):
        raise NotAllowed(_("Only the owner, the verifier or an enablement lead can verify this."))
    if not item.is_active_content:
        raise UserError(_("Restore this item before verifying it."))
    item.mark_verified(user, now)
    audit.record(user, "content.verify", item)


@dataclass(frozen=True)
class Settings:
    owner_id: int | None
    verifier_id: int | None
    review_interval_days: int | None


def update_settings(item: Governed, settings: Settings, actor: User) -> None:
    """Change owner, verifier and review interval (enablement)."""
    for user_id in (settings.owner_id, settings.verifier_id):
        if user_id is not None and db.session.get(User, user_id) is None:
            raise UserError(_("Choose an existing user."))
    days = settings.review_interval_days
    if days is not None and not 1 <= days <= 3650:
        raise UserError(_("A review interval is from 1 to 3650 days."))
    item.owner_id, item.verifier_id, item.review_interval_days = settings.owner_id, settings.verifier_id, days
    audit.record(actor, "content.settings", item, {"owner_id": settings.owner_id,
                                                    "verifier_id": settings.verifier_id, "review_days": days})


# Leaving and coming back ---------------------------------------------------------------------------------------------

def _search_remove(bite_ids: list[int]) -> None:
    from enable.search import indexing

    indexing.remove_bites(bite_ids)


def _search_add(bite_ids: list[int]) -> None:
    from enable.search import indexing

    indexing.index_bites(bite_ids)


def archive(item: Governed, actor: User, now: datetime) -> None:
    """Take the item out of lists and search; it can be restored."""
    if item.archived_at is None:
        item.archived_at = now
        audit.record(actor, "content.archive", item)
    if isinstance(item, Bite):
        db.session.flush()
        _search_remove([item.id])


def restore(item: Governed, actor: User, now: datetime) -> None:
    """Bring an archived or retired item back into lists and search; its review clock restarts."""
    item.archived_at = item.retired_at = None
    item.mark_verified(actor, now)
    audit.record(actor, "content.restore", item)
    if isinstance(item, Bite):
        db.session.flush()
        _search_add([item.id])


@dataclass
class RetireResult:
    links_removed: int = 0
    sources_changed: int = 0


def _points_at(kind: str, item_id: int):
    def test(dest: str) -> bool:
        target = links.target_of(dest)
        return target is not None and target == (kind, item_id)

    return test


def remove_links_to(kind: str, item: Any, actor: User, now: datetime) -> RetireResult:
    """Remove every link to the item from playbooks and assets, keeping the link text; playbooks get a version."""
    result = RetireResult()
    is_target = _points_at(kind, item.id)
    seen = {(b.source.kind, b.source.id) for b in links.backlinks(kind, item.id)}
    note = _("Removed links to retired %(kind)s \"%(title)s\"", kind=str(KIND_LABELS[kind]).lower(),
             title=title_of(item))
    for source_kind, source_id in sorted(seen):
        if source_kind == "playbook":
            playbook = db.get_or_404(Playbook, source_id)
            body, n = unlink(playbook.body, is_target)
            if n and update_playbook(playbook, title=playbook.title, body=body, stage=playbook.stage, editor=actor,
                                     now=now, note=note) is not None:
                result.links_removed += n
                result.sources_changed += 1
        else:
            asset = db.get_or_404(Asset, source_id)
            description, n = unlink(asset.description, is_target)
            if asset.url and is_target(asset.url):
                continue  # an asset that is only a link to the item: retiring it is for a person to decide
            if n:
                asset.description, asset.updated_at = description, now
                links.sync_links("asset", asset.id, asset.description, [asset.url] if asset.url else [])
                result.links_removed += n
                result.sources_changed += 1
    audit.record(actor, "content.unlink", item, {"links": result.links_removed})
    return result


def retire(item: Governed, actor: User, now: datetime, remove_links: bool) -> RetireResult:
    """Retire the item for good (it leaves lists and search); optionally remove every link to it."""
    kind = kind_of(item)
    result = remove_links_to(kind, item, actor, now) if remove_links else RetireResult()
    item.retired_at = now
    audit.record(actor, "content.retire", item, {"links_removed": result.links_removed})
    if isinstance(item, Bite):
        db.session.flush()
        _search_remove([item.id])
    return result


# Queues and reports --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Row:
    """One governed item as the queues and reports show it."""

    kind: str
    id: int
    title: str
    url: str
    owner: User | None
    verifier: User | None
    verified_at: datetime | None
    due_on: date
    days_overdue: int
    interval_days: int
    last_viewed: date | None = None

    @property
    def kind_label(self) -> str:
        return str(KIND_LABELS[self.kind])


def last_viewed(kind: str, ids: Iterable[int]) -> dict[int, date]:
    """The last day each item was viewed, played or downloaded."""
    ids = list(ids)
    if not ids:
        return {}
    query = (select(UsageEvent.item_id, func.max(UsageEvent.created_at))
             .where(UsageEvent.item_type == kind, UsageEvent.item_id.in_(ids), UsageEvent.kind.in_(VIEW_KINDS))
             .group_by(UsageEvent.item_id))
    return {item_id: when.date() for item_id, when in db.session.execute(query) if when is not None}


def _candidates(kind: str, today: date, owner_id: int | None, slack_days: int) -> list[Any]:
    """Active items of a kind old enough to be stale for the shortest interval in use (exact check in Python)."""
    model = MODELS[kind]
    shortest = min(default_days(kind), db.session.scalar(select(func.min(model.review_interval_days))) or 10**6)
    cutoff = datetime.combine(today - timedelta(days=shortest + slack_days), time.min, tzinfo=UTC)
    reference = func.coalesce(model.verified_at, model.created_at)
    query = select(model).where(model.archived_at.is_(None), model.retired_at.is_(None), reference < cutoff)
    if owner_id is not None:
        query = query.where(model.owner_id == owner_id)
    return list(db.session.scalars(query))


def _row(kind: str, item: Any, today: date, viewed: date | None = None) -> Row:
    days = default_days(kind)
    return Row(kind=kind, id=item.id, title=title_of(item), url=url_of(kind, item), owner=item.owner,
               verifier=item.verifier, verified_at=item.verified_at, due_on=item.due_on(days),
               days_overdue=item.days_overdue(today, days), interval_days=item.interval_days(days),
               last_viewed=viewed)


def stale_items(today: date, owner_id: int | None = None, kinds: Iterable[str] = tuple(MODELS)) -> list[Row]:
    """Stale items (all, or one owner's), most overdue first."""
    rows = []
    for kind in kinds:
        days = default_days(kind)
        rows += [_row(kind, item, today) for item in _candidates(kind, today, owner_id, 0)
                 if item.is_stale(today, days)]
    return sorted(rows, key=lambda r: (-r.days_overdue, r.kind, r.title.lower()))


def archive_proposals(today: date) -> list[Row]:
    """Items unverified for twice their interval and not viewed in that time."""
    rows = []
    for kind in MODELS:
        days = default_days(kind)
        items = [i for i in _candidates(kind, today, None, 0) if i.days_overdue(today, days) >= i.interval_days(days)]
        viewed = last_viewed(kind, [i.id for i in items])
        rows += [_row(kind, i, today, viewed.get(i.id)) for i in items
                 if i.is_archive_candidate(today, viewed.get(i.id), days)]
    return sorted(rows, key=lambda r: (-r.days_overdue, r.kind, r.title.lower()))


def inactive_items() -> list[tuple[str, Any]]:
    """Archived and retired items, newest first, for restoring."""
    found: list[tuple[str, Any]] = []
    for kind, model in MODELS.items():
        query = select(model).where((model.archived_at.is_not(None)) | (model.retired_at.is_not(None)))
        found += [(kind, item) for item in db.session.scalars(query)]
    return sorted(found, key=lambda pair: pair[1].retired_at or pair[1].archived_at, reverse=True)


def notify_stale_owners(today: date, now: datetime) -> int:
    """Tell each owner about items that went stale, once per item per review period; return how many notices."""
    sent = 0
    for row in stale_items(today):
        events.emit(events.CONTENT_STALE, {"kind": row.kind, "id": row.id, "title": row.title, "path": row.url,
                                           "due_on": row.due_on.isoformat(), "days_overdue": row.days_overdue,
                                           "owner_id": row.owner.id if row.owner else None},
                    key=f"content.stale:{row.kind}:{row.id}:{row.due_on.isoformat()}")  # once per review period
        item = get_item(row.kind, row.id)
        if item is None or item.owner is None or item.stale_notified_on == row.due_on:
            continue
        with force_locale(item.owner.locale or current_app.config["BABEL_DEFAULT_LOCALE"]):
            message = _("%(kind)s \"%(title)s\" is due for review (%(days)s days overdue). Verify, update or "
                        "retire it.", kind=str(KIND_LABELS[row.kind]), title=row.title, days=row.days_overdue)
        notify(item.owner, "stale", message, links.site_path("governance.item", kind=row.kind, item_id=row.id), now=now)
        item.stale_notified_on = row.due_on
        sent += 1
    db.session.flush()
    log.info("stale content: %d notices sent", sent)
    return sent


def tally(rows: list[Row]) -> tuple[dict[str, int], dict[str, int]]:
    """Stale items counted by owner name and by kind, largest first."""
    by_owner = Counter(r.owner.name if r.owner else _("No owner") for r in rows)
    by_kind = Counter(r.kind_label for r in rows)
    return dict(by_owner.most_common()), dict(by_kind.most_common())


STALE_CSV_HEADER = ("kind", "id", "title", "owner", "verifier", "verified_at", "due_on", "days_overdue",
                    "review_interval_days")


def stale_csv(rows: list[Row]) -> bytes:
    """The stale report as CSV, UTF-8 with a byte-order mark so Excel reads it (cells made inert, csvexport)."""
    return csvexport.to_csv_bytes(STALE_CSV_HEADER, ([r.kind, r.id, r.title, r.owner.email if r.owner else "",
                                                     r.verifier.email if r.verifier else "",
                                                     r.verified_at.isoformat() if r.verified_at else "",
                                                     r.due_on.isoformat(), r.days_overdue, r.interval_days]
                                                    for r in rows))


@dataclass(frozen=True)
class LinkRow:
    """A broken, unreachable or moved link as the report shows it."""

    source: links.Source
    url: str
    status: str
    http_status: int | None
    final_url: str | None
    detail: str | None
    since: datetime | None
    checked_at: datetime | None


def link_rows(statuses: Iterable[str] = links.REPORTED_STATUSES, source_type: str | None = None) -> list[LinkRow]:
    """The links report: where, which link, what status, since when."""
    found = links.problem_links(statuses, source_type)
    srcs = links.sources((lk.source_type, lk.source_id) for lk in found)
    return [LinkRow(srcs[(lk.source_type, lk.source_id)], lk.url, lk.status, lk.http_status, lk.final_url,
                    lk.detail_text or None, lk.since, lk.checked_at) for lk in found]  # in the reader's language


LINKS_CSV_HEADER = ("source_kind", "source_id", "source_title", "url", "status", "http_status", "final_url",
                    "detail", "since", "checked_at")


def links_csv(rows: list[LinkRow]) -> bytes:
    """The links report as CSV, UTF-8 with a byte-order mark (cells made inert, csvexport)."""
    return csvexport.to_csv_bytes(LINKS_CSV_HEADER, ([r.source.kind, r.source.id, r.source.title, r.url, r.status,
                                                     r.http_status or "", r.final_url or "", r.detail or "",
                                                     r.since.isoformat() if r.since else "",
                                                     r.checked_at.isoformat() if r.checked_at else ""]
                                                    for r in rows))


def counts(today: date, user: User) -> dict[str, int]:
    """Numbers for the home-page panels."""
    result = {"mine": len(stale_items(today, owner_id=user.id))}
    if user.has_role(Role.ENABLEMENT):
        result["stale"] = len(stale_items(today))
        result["broken"] = len(links.problem_links(links.PROBLEM_STATUSES))
        result["moved"] = len(links.problem_links(("moved",)))
        result["proposals"] = len(archive_proposals(today))
    return result


@dataclass(frozen=True)
class ItemStatus:
    """What an item page shows about the item's freshness, links and the actions open to the viewer."""

    kind: str
    item: Any
    is_stale: bool
    days_overdue: int
    due_on: date
    interval_days: int
    default_days: int
    can_verify: bool
    can_manage: bool
    backlinks: list[links.Backlink]
    outlinks: list[Any]


def item_status(kind: str, item: Any, user: User, today: date) -> ItemStatus:
    """The governance box of an item page."""
    days = default_days(kind)
    outlinks: list[Any] = []
    if kind in ("playbook", "asset"):
        outlinks = list(db.session.scalars(select(Link).where(Link.source_type == kind, Link.source_id == item.id)
                                           .order_by(Link.id)))
    return ItemStatus(kind=kind, item=item, is_stale=item.is_stale(today, days),
                      days_overdue=item.days_overdue(today, days), due_on=item.due_on(days),
                      interval_days=item.interval_days(days), default_days=days,
                      can_verify=can_verify(user, item) and item.is_active_content,
                      can_manage=user.has_role(Role.ENABLEMENT), backlinks=links.backlinks(kind, item.id),
                      outlinks=outlinks)
