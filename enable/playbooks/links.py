"""The links written in playbooks and assets: keeping the Link table in step, checking links, backlinks, unlinking."""

from __future__ import annotations

import hashlib
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any, cast

from flask import current_app, has_request_context, url_for
from flask_babel import gettext as _
from markdown_it import MarkdownIt
from sqlalchemy import delete, select

from enable import events
from enable.bites.models import Bite
from enable.calls.models import Call
from enable.extensions import db
from enable.notifications import in_locale_of, notify
from enable.playbooks.linkcheck import LinkResult, check_urls, extract_links, internal_targets
from enable.playbooks.models import Asset, Link, LinkCheck, Playbook
from enable.playbooks.rendering import BiteEmbed, BiteRef, parse_bite_ref
from enable.reasons import reason

log = logging.getLogger(__name__)

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "transcripts" / "samples"
SAMPLE_EXTENSIONS = (".ogg", ".opus", ".mp3", ".wav", ".m4a", ".flac", ".webm", ".mp4")
PROBLEM_STATUSES = ("broken", "dns", "refused", "tls", "timeout", "server_error", "error")
REPORTED_STATUSES = (*PROBLEM_STATUSES, "moved", "private")  # private: not fetched (LINKCHECK_ALLOW_PRIVATE)
_KIND_OF_PATH = {"bites": "bite", "playbooks": "playbook", "assets": "asset"}
_LINKS_MD = MarkdownIt("commonmark", {"html": False})


# Bite references ---------------------------------------------------------------------------------------------------

@lru_cache(maxsize=64)
def _file_sha256(path: str, mtime_ns: int, size: int) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sample_call_id(slug: str) -> int | None:
    """The call imported from the sample recording <slug> (transcripts/samples), if the demo imported it."""
    if find_spec("enable.calls.samples") is not None:
        from enable.calls import samples

        if hasattr(samples, "sample_call_id"):
            return samples.sample_call_id(slug)
    names = []
    for ext in SAMPLE_EXTENSIONS:
        path = SAMPLES_DIR / f"{slug}{ext}"
        if path.is_file():
            stat = path.stat()
            sha = _file_sha256(str(path), stat.st_mtime_ns, stat.st_size)
            if (call_id := db.session.scalar(select(Call.id).where(Call.sha256 == sha))) is not None:
                return call_id
            names.append(path.name)
    # Imported from an earlier version of the sample recording: the file name still says which sample it is.
    query = select(Call.id).where(Call.original_filename.in_(names)).order_by(Call.id.desc()).limit(1)
    return db.session.scalar(query) if names else None


def find_bite(ref: BiteRef) -> Bite | None:
    """The bite a reference names, whatever its state, or None."""
    if ref.bite_id is not None:
        return db.session.get(Bite, ref.bite_id)
    if ref.sample is None or ref.seq is None:
        return None
    call_id = sample_call_id(ref.sample)
    if call_id is None:
        return None
    return db.session.scalar(select(Bite).where(Bite.call_id == call_id, Bite.seq == ref.seq))


def site_path(endpoint: str, **values: Any) -> str:
    """The path of a page of this site, in a request or not (jobs and commands have none)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def media_url(call_id: int) -> str:
    """The call's media address (calls.media), or its documented path when that page is not registered."""
    if "calls.media" in current_app.view_functions:
        return site_path("calls.media", call_id=call_id)
    return f"/calls/{call_id}/media"


def embed_for(ref: BiteRef) -> BiteEmbed | None:
    """What a playbook needs to play a referenced bite inline; None when it is missing, archived or retired."""
    bite = find_bite(ref)
    if bite is None or not bite.is_active_content:
        return None
    return BiteEmbed(page_url=f"/bites/{bite.id}", media_url=media_url(bite.call_id), start_s=bite.start_s,
                     end_s=bite.end_s, title=bite.title)


# Which links a text holds --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Found:
    url: str
    target_type: str | None = None
    target_id: int | None = None


def _bite_refs(markdown: str) -> list[str]:
    """Link destinations written as bite:<sample>#<seq> (linkcheck only finds web and site paths)."""
    refs: list[str] = []
    for token in _LINKS_MD.parse(markdown):
        for child in token.children or []:
            href = str(child.attrGet("href") or "") if child.type == "link_open" else ""
            if href.startswith("bite:") and parse_bite_ref(href) is not None:
                refs.append(href)
    return list(dict.fromkeys(refs))


def target_of(dest: str) -> tuple[str, int | None] | None:
    """The internal item a link destination points at as (kind, id), id None if unresolvable; None if external."""
    ref = parse_bite_ref(dest)
    if ref is not None:
        bite = find_bite(ref)
        return "bite", bite.id if bite is not None else None
    found = internal_targets(f"[x](<{dest.strip()}>)")
    if found:
        kind, item_id = found[0]
        return _KIND_OF_PATH[kind], item_id
    return None


def links_in(markdown: str, extra_urls: Iterable[str] = ()) -> list[Found]:
    """Every link a text holds: external web addresses, paths to our items, and bite references."""
    found: dict[str, Found] = {}
    for url in [*extra_urls, *extract_links(markdown)]:
        target = target_of(url)
        found.setdefault(url, Found(url, *target) if target else Found(url))
    for kind, item_id in internal_targets(markdown):
        path = f"/{kind}/{item_id}"
        found.setdefault(path, Found(path, _KIND_OF_PATH[kind], item_id))
    for ref in _bite_refs(markdown):
        target = target_of(ref)
        found.setdefault(ref, Found(ref, "bite", target[1] if target else None))
    return list(found.values())


def sync_links(source_type: str, source_id: int, markdown: str, extra_urls: Iterable[str] = ()) -> None:
    """Make the Link rows of one source match the links its text holds, keeping the history of those that stay."""
    wanted = {f.url: f for f in links_in(markdown, extra_urls)}
    existing = {link.url: link for link in db.session.scalars(
        select(Link).where(Link.source_type == source_type, Link.source_id == source_id))}
    for url, link in existing.items():
        if url not in wanted:
            db.session.delete(link)
    for url, f in wanted.items():
        kept = existing.get(url)
        if kept is None:
            db.session.add(Link(source_type=source_type, source_id=source_id, url=url[:2000],
                                target_type=f.target_type, target_id=f.target_id))
        else:
            kept.target_type, kept.target_id = f.target_type, f.target_id
    db.session.flush()


def drop_links_of(source_type: str, source_id: int) -> None:
    """Forget the links of a deleted source."""
    db.session.execute(delete(Link).where(Link.source_type == source_type, Link.source_id == source_id))


# Sources and backlinks ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """A playbook or asset holding links."""

    kind: str
    id: int
    title: str
    url: str
    is_active: bool


def sources(pairs: Iterable[tuple[str, int]]) -> dict[tuple[str, int], Source]:
    """The playbooks and assets named by (kind, id), one query per kind."""
    wanted: dict[str, set[int]] = {}
    for kind, item_id in pairs:
        wanted.setdefault(kind, set()).add(item_id)
    found: dict[tuple[str, int], Source] = {}
    if wanted.get("playbook"):
        for p in db.session.scalars(select(Playbook).where(Playbook.id.in_(wanted["playbook"]))):
            path = site_path("playbooks.detail", playbook_id=p.id)
            found[("playbook", p.id)] = Source("playbook", p.id, p.title, path, p.is_active_content)
    if wanted.get("asset"):
        for a in db.session.scalars(select(Asset).where(Asset.id.in_(wanted["asset"]))):
            path = site_path("assets.detail", asset_id=a.id)
            found[("asset", a.id)] = Source("asset", a.id, a.title, path, a.is_active_content)
    return found


@dataclass(frozen=True)
class Backlink:
    source: Source
    url: str  # the link as written


def backlinks(target_type: str, target_id: int) -> list[Backlink]:
    """Every place that links to this item."""
    rows = list(db.session.scalars(select(Link).where(Link.target_type == target_type, Link.target_id == target_id)
                                   .order_by(Link.source_type, Link.source_id, Link.url)))
    found = sources((r.source_type, r.source_id) for r in rows)
    return [Backlink(found[(r.source_type, r.source_id)], r.url) for r in rows
            if (r.source_type, r.source_id) in found]


# Checking ------------------------------------------------------------------------------------------------------------

@dataclass
class CheckSummary:
    """What one run of the link checker found."""

    counts: Counter[str] = field(default_factory=Counter)
    problems: list[Link] = field(default_factory=list)  # broken, unreachable or moved, in source order

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _internal_result(link: Link, now: datetime) -> LinkResult:
    kinds: dict[str | None, type[Bite | Playbook | Asset]] = {"bite": Bite, "playbook": Playbook, "asset": Asset}
    if link.target_type == "bite":
        target = target_of(link.url)
        link.target_id = target[1] if target else None
    item = (cast("Bite | Playbook | Asset | None", db.session.get(kinds[link.target_type], link.target_id))
            if link.target_id is not None else None)
    if item is None:
        why = reason(f"link.no_such_{link.target_type}")
    elif item.retired_at is not None:
        why = reason(f"link.retired_{link.target_type}")
    elif item.archived_at is not None:
        why = reason(f"link.archived_{link.target_type}")
    else:
        return LinkResult(link.url, "ok", None, None, reason("link.exists").english, now, reason("link.exists"))
    return LinkResult(link.url, "broken", None, None, why.english, now, why)


def _apply(link: Link, result: LinkResult, now: datetime) -> None:
    if result.status in PROBLEM_STATUSES and link.status not in PROBLEM_STATUSES:  # it broke since the last check
        events.emit(events.LINK_BROKEN, {"link_id": link.id, "url": link.url, "status": result.status,
                                         "http_status": result.http_status, "detail": result.detail[:500],
                                         "source_type": link.source_type, "source_id": link.source_id})
        _notify_owner(link, now)
    link.status, link.http_status = result.status, result.http_status
    link.final_url = result.final_url[:2000] if result.final_url else None
    link.detail = result.detail[:500]
    link.detail_code = result.reason.code if result.reason else None
    link.detail_params = dict(result.reason.params) or None if result.reason else None
    link.checked_at = now
    if result.status == "ok":
        link.since = None
    elif link.since is None:  # the first check of this spell of trouble
        link.since = now
    db.session.add(LinkCheck(link_id=link.id, status=result.status, http_status=result.http_status,
                             final_url=link.final_url, detail=link.detail, detail_code=link.detail_code,
                             detail_params=link.detail_params, checked_at=now))


def _notify_owner(link: Link, now: datetime) -> None:
    """Tell the owner of the playbook or asset that one of its links broke (in the owner's language)."""
    model: type[Playbook | Asset] = Playbook if link.source_type == "playbook" else Asset
    item = cast("Playbook | Asset | None", db.session.get(model, link.source_id))
    if item is None or item.owner is None:
        return
    endpoint, arg = ("playbooks.detail", "playbook_id") if link.source_type == "playbook" else ("assets.detail",
                                                                                               "asset_id")
    with in_locale_of(item.owner):
        message = _("A link in “%(title)s” is broken: %(url)s", title=item.title, url=link.url)
    notify(item.owner, "link_broken", message, site_path(endpoint, **{arg: item.id}), now=now)


def check_links(now: datetime, *, timeout_s: float = 10.0, per_host: int = 2, concurrency: int = 16,
                retries_5xx: int = 2, backoff_s: float = 0.5, external: bool = True) -> CheckSummary:
    """Check every link of active playbooks and assets: external ones over HTTP, internal ones in the database."""
    links = list(db.session.scalars(select(Link).order_by(Link.source_type, Link.source_id, Link.id)))
    active = {key for key, s in sources((lk.source_type, lk.source_id) for lk in links).items() if s.is_active}
    links = [lk for lk in links if (lk.source_type, lk.source_id) in active and (external or lk.is_internal)]
    urls = [lk.url for lk in links if not lk.is_internal]
    results = check_urls(urls, timeout_s=timeout_s, per_host=per_host, concurrency=concurrency,
                         retries_5xx=retries_5xx, backoff_s=backoff_s,
                         allow_private=bool(current_app.config.get("LINKCHECK_ALLOW_PRIVATE", False))) if urls else {}
    summary = CheckSummary()
    for link in links:
        result = _internal_result(link, now) if link.is_internal else results[link.url]
        _apply(link, result, now)
        summary.counts[link.status] += 1
        if link.status in REPORTED_STATUSES:
            summary.problems.append(link)
    db.session.flush()
    log.info("checked %d links: %s", summary.total, dict(summary.counts))
    return summary


def problem_links(statuses: Iterable[str] = REPORTED_STATUSES, source_type: str | None = None) -> list[Link]:
    """Links whose last check found them broken, unreachable or moved (of active sources), oldest problem first."""
    query = select(Link).where(Link.status.in_(list(statuses)))
    if source_type:
        query = query.where(Link.source_type == source_type)
    links = list(db.session.scalars(query.order_by(Link.since, Link.id)))
    found = sources((lk.source_type, lk.source_id) for lk in links)
    return [lk for lk in links if (key := (lk.source_type, lk.source_id)) in found and found[key].is_active]
