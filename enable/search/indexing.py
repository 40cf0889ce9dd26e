"""Keeping the search index in step with the bites: the configured backend, documents, rebuilds."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from flask import Flask, current_app
from flask_babel import gettext as _
from sqlalchemy import make_url, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload

from enable.bites import services as bite_services
from enable.bites.models import Bite, BiteTag, TagSource
from enable.calls import services as call_services
from enable.calls.models import Call, CallStatus
from enable.errors import UserError, is_disk_full
from enable.extensions import db
from enable.search import by_meaning
from enable.search.index import TAG_KINDS, BiteDoc, IndexCorrupt, SearchIndex, speaker_role
from enable.taxonomy.models import TagKind
from enable.transcription.store import TranscriptUnreadable

log = logging.getLogger(__name__)

_BATCH = 200
_lock = threading.Lock()


def _whoosh(app: Flask) -> SearchIndex:
    from enable.search.whoosh_backend import WhooshIndex

    return WhooshIndex(Path(app.config["INDEX_DIR"]))


def _postgres(app: Flask) -> SearchIndex:
    from enable.search.postgres_backend import PostgresIndex

    return PostgresIndex(db.engine)  # the application's own database (checked at startup: PostgreSQL)


# SEARCH_BACKEND -> a factory.
BACKENDS: dict[str, Callable[[Flask], SearchIndex]] = {"whoosh": _whoosh, "postgres": _postgres}


def check_backend(app: Flask) -> None:
    """Refuse to start with a SEARCH_BACKEND that does not exist or does not fit the database."""
    name = app.config.get("SEARCH_BACKEND", "whoosh")
    if name not in BACKENDS:
        raise RuntimeError(f"SEARCH_BACKEND={name!r} is not available; use one of: {', '.join(BACKENDS)}")
    if name == "postgres":
        backend = make_url(str(app.config["SQLALCHEMY_DATABASE_URI"])).get_backend_name()
        if backend != "postgresql":
            raise RuntimeError(
                f"SEARCH_BACKEND=postgres keeps the search index in PostgreSQL, but DATABASE_URL is {backend}; "
                "set DATABASE_URL=postgresql+psycopg://... or SEARCH_BACKEND=whoosh."
            )


def get_index() -> SearchIndex:
    """The search index of this app (SEARCH_BACKEND, INDEX_DIR), opened once and kept in app.extensions."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    index = app.extensions.get("search")
    if index is None:
        with _lock:
            index = app.extensions.get("search")
            if index is None:
                name = app.config.get("SEARCH_BACKEND", "whoosh")
                if name not in BACKENDS:
                    raise RuntimeError(f"SEARCH_BACKEND={name!r} is not available; use one of: {', '.join(BACKENDS)}")
                index = app.extensions["search"] = BACKENDS[name](app)
    return index


def warm_in_background(app: Flask) -> threading.Thread | None:
    """Open the search index and run a first search in a background thread of a web process that starts.

    Opening a large Whoosh index and computing what every search shares (facet values, dates, best examples)
    takes seconds of CPU per process; done now, the first searches of each web process do not pay for it.
    Off when testing unless SEARCH_WARM is set, and with SEARCH_WARM false. Failures are logged only: the
    first search reports them to the user.
    """
    if not app.config.get("SEARCH_WARM", not app.testing):
        return None

    def warm() -> None:
        from enable.search.index import SearchQuery

        started = time.perf_counter()
        try:
            with app.app_context():
                index = get_index()
                index.search(SearchQuery(per_page=1))  # every filter's values and counts
                index.search(SearchQuery(text="price", per_page=1))  # the text side: parser, postings, scores
        except Exception:
            log.exception("could not warm the search index")
            return
        log.info("search index warmed in %.1f s", time.perf_counter() - started)

    thread = threading.Thread(target=warm, name="search-warm", daemon=True)
    thread.start()
    return thread


def bite_doc(bite: Bite) -> BiteDoc:
    """The index document of one bite: its text, its call's details and its tags by kind (removed ones left out)."""
    call = bite.call
    tags: dict[str, list[str]] = {}
    stages: list[str] = []
    said: list[tuple[str, str, str]] = []
    for row in sorted(bite.tags, key=lambda r: (r.source.value, r.tag_id)):
        if row.is_removed:
            continue
        kind = row.tag.kind
        if kind == TagKind.STAGE:
            stages.append(row.tag.key)
        elif kind.value in TAG_KINDS:
            tags.setdefault(kind.value, []).append(row.tag.key)
            role = speaker_role(row.speaker) if row.source == TagSource.DETECTED else None
            if role is not None:
                said.append((kind.value, row.tag.key, role))
    return BiteDoc(
        id=bite.id,
        call_id=bite.call_id,
        call_title=call.title,
        title=bite.title,
        text=bite.text,
        language=bite.language or call.effective_language or "",
        rep=call.rep.name if call.rep is not None else "",
        team_id=call.team_id,
        stage=stages[0] if stages else None,
        tags=tags,
        outcome=call.deal.outcome.value if call.deal is not None else "none",
        call_date=call.call_date or (call.created_at.date() if call.created_at else None),
        start_s=bite.start_s,
        end_s=bite.end_s,
        is_best=bite.is_best,
        said=tuple(said),
    )


def _searchable():
    """Bites that belong in the index: neither archived nor retired."""
    return Bite.archived_at.is_(None) & Bite.retired_at.is_(None)


def _load_bites(ids: list[int]) -> list[Bite]:
    return list(db.session.scalars(
        select(Bite).where(Bite.id.in_(ids), _searchable()).order_by(Bite.id).options(
            selectinload(Bite.tags).selectinload(BiteTag.tag),
            selectinload(Bite.call).selectinload(Call.rep),
            selectinload(Bite.call).selectinload(Call.deal),
        )
    ))


def _docs(bite_ids: Iterable[int]) -> Iterator[BiteDoc]:
    """Documents of the searchable bites among these ids (archived, retired and deleted ones are left out)."""
    ids = list(bite_ids)
    for start in range(0, len(ids), _BATCH):
        for bite in _load_bites(ids[start : start + _BATCH]):
            yield bite_doc(bite)


def index_bites(bites: Iterable[Bite | int]) -> int:
    """Add or replace these bites (objects or ids) in the index; return how many were indexed.

    Archived, retired and deleted bites among them are removed from the index instead.
    """
    ids = [b if isinstance(b, int) else b.id for b in bites]
    docs = list(_docs(ids))
    index = get_index()
    indexed = {d.id for d in docs}
    index.delete([i for i in ids if i not in indexed])
    index.add(docs)
    return len(docs)


def remove_bites(ids: Iterable[int]) -> None:
    """Remove these bites from the index (archived, retired or deleted); unknown ids are ignored."""
    get_index().delete(list(ids))


def index_edit(reindex: Iterable[int], removed: Iterable[int], call_id: int) -> None:
    """After a committed bite edit (``bites.editing``): the changed bites in the word index, the removed ones out,
    and the call's sentences in the sentence index again (a split or a merge moves sentences to another bite)."""
    removed = list(removed)
    if removed:
        remove_bites(removed)
    index_bites(reindex)
    if call_id:
        by_meaning.index_call_sentences([call_id])


class IndexNotWritten(UserError):
    """The index could not take a call's bites (a full disk, a read-only folder); the index is as it was."""


def index_call(call_id: int) -> int:
    """Replace every bite of one call in the index (its old bites, if any, are removed first); archived and
    retired bites stay out. Raises IndexNotWritten, with the reason, when the index cannot be written."""
    ids = list(db.session.scalars(select(Bite.id).where(Bite.call_id == call_id, _searchable())))
    docs = list(_docs(ids))
    try:
        get_index().replace_call(call_id, docs)
    except (OSError, SQLAlchemyError) as e:
        if not (isinstance(e, OSError) or is_disk_full(e)):
            raise
        log.error("call %s: the search index could not be written: %s", call_id, e)
        why = e.strerror if isinstance(e, OSError) and e.strerror else _("the disk is full")
        raise IndexNotWritten(_("The search index could not be written: %(why)s. Free disk space or fix the "
                                "permissions of the index folder (INDEX_DIR), then retry the call.", why=why)) from e
    by_meaning.index_call_sentences([call_id])
    return len(docs)


def remove_call(call_id: int) -> None:
    """Remove every bite of a call from the index (after the call was deleted)."""
    get_index().delete_call(call_id)
    by_meaning.index_call_sentences([call_id])  # a deleted call has no bites: its sentences go


@dataclass
class RebuildReport:
    """What a rebuild did."""

    bites: int = 0
    calls: int = 0
    sentences: int | None = None  # in the sentence index (search by meaning); None when EMBEDDING_MODEL is off
    recut_calls: int = 0  # ready calls whose bites were cut again from their transcript file
    was_corrupt: bool = False

    def summary(self) -> str:
        text = f"search index rebuilt: {self.bites} bites of {self.calls} calls"
        if self.recut_calls:
            text += f"; {self.recut_calls} calls cut into bites again from their transcript files"
        if self.was_corrupt:
            text += " (the old index was unreadable and was replaced)"
        if self.sentences is not None:
            text += f"; {self.sentences} sentences searchable by meaning"
        return text


def recut_missing_bites() -> int:
    """Cut bites again from the transcript files of ready calls that have none; return how many calls."""
    with_bites = select(Bite.call_id).distinct()
    calls = db.session.scalars(select(Call).where(Call.status == CallStatus.READY, Call.id.not_in(with_bites))).all()
    taxonomy = None
    recut = 0
    for call in calls:
        try:
            transcript = call_services.read_transcript(call.id)
        except TranscriptUnreadable as exc:
            log.warning("%s; its bites are not cut again", exc)
            continue
        if transcript is None or not transcript.segments:
            continue
        taxonomy = taxonomy or bite_services.load_taxonomy()
        bite_services.replace_bites(call, transcript, taxonomy)
        recut += 1
    return recut


def rebuild_index() -> RebuildReport:
    """Rebuild the whole index from the bites of ready calls in the database, archived and retired ones left out;
    repairs an unreadable index."""
    report = RebuildReport()
    index = get_index()
    try:
        index.check()
    except IndexCorrupt as e:
        log.warning("search index is corrupt (%s); rebuilding it", e)
        report.was_corrupt = True
    ready = select(Bite.id).join(Call, Bite.call_id == Call.id).where(Call.status == CallStatus.READY, _searchable())
    ids = list(db.session.scalars(ready.order_by(Bite.id)))
    ready_calls = (select(Bite.call_id).join(Call, Bite.call_id == Call.id)
                   .where(Call.status == CallStatus.READY, _searchable()).distinct())
    report.calls = len(set(db.session.scalars(ready_calls)))
    counted = _Counted(_docs(ids))
    index.rebuild(counted)
    report.bites = counted.n
    try:
        report.sentences = by_meaning.rebuild_sentence_index()
    except (OSError, RuntimeError) as exc:
        log.error("the sentence index could not be rebuilt (%s); search finds bites by words only", exc)
    return report


class _Counted:
    """An iterable that counts what it yields (the rebuild streams documents)."""

    def __init__(self, items: Iterator[BiteDoc]) -> None:
        self._items = items
        self.n = 0

    def __iter__(self) -> Iterator[BiteDoc]:
        for item in self._items:
            self.n += 1
            yield item
