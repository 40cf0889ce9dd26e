"""What track steps and quiz questions point at: resolving references to content and describing it.

A reference is what a person or a content file writes for an item:
- a bite: its id, its page path (`/bites/12`), or `<sample-slug>#<seq>` (also `bite:<sample-slug>#<seq>`), the bite
  numbered <seq> (from 0) of a sample call shipped in transcripts/samples/ — ids differ between installs;
- a playbook: its slug (or id); an asset: its exact title (or id); a playlist: its exact name (or id);
- a quiz: its slug (or id).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_request_context, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from enable.bites.models import Bite
from enable.extensions import db
from enable.learning.models import Quiz, StepKind
from enable.playbooks.links import sample_call_id
from enable.playbooks.models import Asset, Playbook
from enable.search.models import Playlist

SAMPLE_REF = re.compile(r"^(?:bite:)?(?P<slug>[a-z0-9][a-z0-9_-]{0,79})#(?P<seq>\d{1,5})$")
BITE_PATH = re.compile(r"^/bites/(?P<id>\d+)/?(?:[?#].*)?$")


@dataclass(frozen=True)
class Item:
    """An item a step or question points at, as a learner sees it."""

    kind: StepKind
    id: int
    title: str
    url: str | None  # where to go to do the step; None when that page is not available
    start_s: float | None = None  # bites: where the clip starts and ends in the call's media
    end_s: float | None = None
    media_url: str | None = None  # bites: the call's media with a #t=start,end fragment
    captions_url: str | None = None  # bites: the call's WebVTT captions
    language: str | None = None  # bites: the language spoken in the call

    @property
    def duration_s(self) -> float | None:
        return self.end_s - self.start_s if self.start_s is not None and self.end_s is not None else None


def path_for(endpoint: str, **values: Any) -> str:
    """A site path for an endpoint, inside a request or outside one (jobs, the CLI, notifications)."""
    if has_request_context():
        return url_for(endpoint, **values)
    return current_app.url_map.bind("localhost").build(endpoint, values)


def _url(endpoint: str, **values: Any) -> str | None:
    """The path of an endpoint when this app has it (capabilities are optional), else None."""
    return path_for(endpoint, **values) if endpoint in current_app.view_functions else None


def sample_bite_id(slug: str, seq: int) -> int | None:
    """The id of bite <seq> of the sample call <slug>, once the demo imported it."""
    call_id = sample_call_id(slug)
    if call_id is None:
        return None
    return db.session.scalar(select(Bite.id).where(Bite.call_id == call_id, Bite.seq == seq))


def _by_id(model: Any, text: str) -> int | None:
    item_id = int(text)
    return item_id if db.session.get(model, item_id) is not None else None


def resolve(kind: StepKind, ref: str) -> int | None:
    """The id of the item `ref` names, or None when no such item exists (yet)."""
    ref = ref.strip()
    if not ref or kind == StepKind.SIGNOFF:
        return None
    if kind == StepKind.BITE:
        if m := BITE_PATH.match(ref):
            return _by_id(Bite, m["id"])
        if m := SAMPLE_REF.match(ref):
            return sample_bite_id(m["slug"], int(m["seq"]))
        return _by_id(Bite, ref) if ref.isdigit() else None
    model: Any
    model, column = {
        StepKind.PLAYBOOK: (Playbook, Playbook.slug),
        StepKind.QUIZ: (Quiz, Quiz.slug),
        StepKind.ASSET: (Asset, Asset.title),
        StepKind.PLAYLIST: (Playlist, Playlist.name),
    }[kind]
    if ref.isdigit():
        return _by_id(model, ref)
    return db.session.scalar(select(model.id).where(column == ref).order_by(model.id).limit(1))


def describe(pairs: set[tuple[StepKind, int]]) -> dict[tuple[StepKind, int], Item]:
    """The items named by (kind, id) pairs that still exist, fetched in one query per kind."""
    ids: dict[StepKind, set[int]] = {}
    for kind, item_id in pairs:
        ids.setdefault(kind, set()).add(item_id)
    found: dict[tuple[StepKind, int], Item] = {}
    for kind, wanted in ids.items():
        for item in _describe_kind(kind, wanted):
            found[(kind, item.id)] = item
    return found


def _describe_kind(kind: StepKind, ids: set[int]) -> list[Item]:
    if kind == StepKind.BITE:
        return [bite_item(b) for b in db.session.scalars(select(Bite).where(Bite.id.in_(ids)))]
    if kind == StepKind.PLAYBOOK:
        return [Item(kind, p.id, p.title, _url("learning.read_playbook", playbook_id=p.id))
                for p in db.session.scalars(select(Playbook).where(Playbook.id.in_(ids)))]
    if kind == StepKind.ASSET:
        return [Item(kind, a.id, a.title, _url("assets.detail", asset_id=a.id))
                for a in db.session.scalars(select(Asset).where(Asset.id.in_(ids)))]
    if kind == StepKind.PLAYLIST:
        return [Item(kind, p.id, p.name, _url("search.playlist", playlist_id=p.id))
                for p in db.session.scalars(select(Playlist).where(Playlist.id.in_(ids)))]
    if kind == StepKind.QUIZ:
        return [Item(kind, q.id, q.title, _url("learning.take_quiz", quiz_id=q.id))
                for q in db.session.scalars(select(Quiz).where(Quiz.id.in_(ids)))]
    return []


def bite_item(bite: Bite) -> Item:
    """A bite as a step or question shows it: its page, and its clip of the call's media."""
    media = _url("calls.media", call_id=bite.call_id)
    return Item(StepKind.BITE, bite.id, bite.title, _url("bites.detail", bite_id=bite.id), bite.start_s, bite.end_s,
                f"{media}#t={bite.start_s:.2f},{bite.end_s:.2f}" if media else None,
                _url("calls.vtt", call_id=bite.call_id), bite.call.effective_language if bite.call else None)


def playlist_bites(playlist_id: int) -> list[Bite]:
    """The bites of a playlist, in order."""
    playlist = db.session.scalar(select(Playlist).where(Playlist.id == playlist_id)
                                 .options(selectinload(Playlist.items)))
    return [] if playlist is None else [item.bite for item in playlist.items]


def playbook(playbook_id: int) -> Playbook | None:
    return db.session.get(Playbook, playbook_id)


def history_url(playbook_id: int) -> str | None:
    """The playbook's version history page (where its changes show), when available."""
    return _url("playbooks.history", playbook_id=playbook_id)
