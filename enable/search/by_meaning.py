"""Search by meaning, the application side: the sentence index of this site, kept in step with the bites, and the
nearest moments to a query.

The index (``enable.meaning.vector_index``) holds the sentences of searchable bites with the vectors stored beside
the transcripts at ingest; nothing is embedded here but the query. It lives in VECTOR_INDEX_DIR on local disk for
either search backend:

- Whoosh backend: beside the Whoosh index, written after the database commit by the same steps (``index_call``,
  ``rebuild_index``).
- PostgreSQL backend: pgvector, where the extension exists, is the design for several web machines (a
  ``vector(384)`` column per sentence with an HNSW index, the meaning side as one ``ORDER BY embedding <=> :q``
  query filtered by the same facet keys); it is not installable on our machines (PostgreSQL 15 on Debian 12 without
  the package), so ``pgvector_available`` only detects it and says so, and the tested fallback is this same local
  index, which each machine rebuilds from the stored vectors (the transcripts folder is shared storage already).

Whatever fails here (the model off, missing or damaged; the index missing or made by another model) leaves search
word-only: ``nearest_moments`` returns None and logs why.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path

import numpy as np
from flask import Flask, current_app
from sqlalchemy import select, text

from enable.bites.models import Bite
from enable.bites.sentences import split_sentences
from enable.bites.slicer import flatten_words
from enable.calls import services as call_services
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.meaning.embedding import MODELS, EmbeddingUnavailable, get_embedder
from enable.meaning.vector_index import NearSentence, SentenceIndex, SentenceRow, VectorIndexUnavailable
from enable.meaning.vectors import VectorStore, sentences_digest
from enable.transcription.store import TranscriptUnreadable

log = logging.getLogger(__name__)

SENTENCES_PER_QUERY = 100  # nearest sentences read per query; several may fall in one bite


def model_name(app: Flask | None = None) -> str | None:
    """The EMBEDDING_MODEL of this site, or None when it is off or unknown."""
    name = str((app or current_app).config.get("EMBEDDING_MODEL") or "off")
    return name if name in MODELS else None


def sentence_index() -> SentenceIndex | None:
    """The sentence index of this site (VECTOR_INDEX_DIR, the model's folder), or None when meaning is off."""
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    name = model_name(app)
    if name is None:
        return None
    held = app.extensions.get("sentence_index")
    if held is None or held.model != name:
        held = app.extensions["sentence_index"] = SentenceIndex(Path(app.config["VECTOR_INDEX_DIR"]), name,
                                                                 MODELS[name].dim)
    return held


def _searchable_bites(call_ids: list[int]) -> dict[int, list[tuple[int, int, int]]]:
    """call id -> (bite id, first word, last word) of its searchable bites, by first word."""
    found: dict[int, list[tuple[int, int, int]]] = {c: [] for c in call_ids}
    rows = db.session.execute(select(Bite.call_id, Bite.id, Bite.first_word, Bite.last_word)
                              .where(Bite.call_id.in_(call_ids), Bite.archived_at.is_(None),
                                     Bite.retired_at.is_(None)).order_by(Bite.call_id, Bite.first_word))
    for call_id, bite_id, first, last in rows:
        found[call_id].append((bite_id, first, last))
    return found


def call_rows(call_id: int, bites: list[tuple[int, int, int]], model: str) -> tuple[list[SentenceRow], np.ndarray]:
    """The sentences of a call's bites with their stored vectors; none when the call has no vectors of `model`
    (embedded with the model off, or since transcribed again: `flask bites retag` embeds them)."""
    empty = (list[SentenceRow](), np.zeros((0, MODELS[model].dim), dtype=np.float32))
    if not bites:
        return empty
    try:
        transcript = call_services.read_transcript(call_id)
    except TranscriptUnreadable as exc:
        log.warning("%s; its sentences are not searchable by meaning", exc)
        return empty
    if transcript is None:
        return empty
    words = flatten_words(transcript.segments)
    sentences = split_sentences(words)
    stored = VectorStore(call_services.transcript_store()).read(call_id, model,
                                                                sentences_digest([s.text for s in sentences]))
    if stored is None:
        return empty
    rows: list[SentenceRow] = []
    keep: list[int] = []
    starts = [first for _id, first, _last in bites]
    for i, sentence in enumerate(sentences):
        at = int(np.searchsorted(starts, sentence.first_word, side="right")) - 1
        if at >= 0 and bites[at][2] >= sentence.first_word:
            rows.append(SentenceRow(bites[at][0], call_id, sentence.start_s, sentence.text))
            keep.append(i)
    return rows, stored.vectors[keep]


def _parts(call_ids: list[int], model: str) -> Iterator[tuple[list[SentenceRow], np.ndarray]]:
    for start in range(0, len(call_ids), 200):
        chunk = call_ids[start : start + 200]
        bites = _searchable_bites(chunk)
        for call_id in chunk:
            yield call_rows(call_id, bites[call_id], model)


def rebuild_sentence_index() -> int | None:
    """Rebuild the sentence index from the stored vectors of every ready call; None when meaning is off."""
    index = sentence_index()
    if index is None:
        return None
    ready = list(db.session.scalars(select(Call.id).where(Call.status == CallStatus.READY).order_by(Call.id)))
    return index.rebuild(_parts(ready, index.model))


def index_call_sentences(call_ids: Iterable[int]) -> None:
    """Put these calls' sentences in the sentence index (after the commit), building it whole when missing or made
    by another model. Failures are logged: the words of the calls are searchable all the same."""
    index = sentence_index()
    if index is None:
        return
    ids = sorted(set(call_ids))
    try:
        parts = list(_parts(ids, index.model))
        rows = [row for part, _vectors in parts for row in part]
        vectors = (np.concatenate([v for _rows, v in parts]) if parts
                   else np.zeros((0, index.dim), dtype=np.float32))
        try:
            index.replace_calls(ids, rows, vectors)
        except VectorIndexUnavailable:
            log.info("sentence index missing or of another model: rebuilding it")
            rebuild_sentence_index()  # the ready calls; these may not be ready yet (indexing comes first)
            index.replace_calls(ids, rows, vectors)
    except (OSError, RuntimeError) as exc:
        log.error("calls %s: the sentence index could not be written (%s); search finds them by words", ids, exc)


def pgvector_available() -> bool:
    """Whether the database could hold the sentence vectors itself (PostgreSQL with the pgvector extension)."""
    if db.engine.dialect.name != "postgresql":
        return False
    return bool(db.session.scalar(text("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")))


@lru_cache(maxsize=256)
def _query_vector(model: str, query: str) -> np.ndarray:
    """A query's vector, kept for the queries asked again (paging, the facet counts of one search)."""
    return get_embedder(model).embed([query])[0]


def nearest_moments(query: str, k: int = SENTENCES_PER_QUERY) -> list[NearSentence] | None:
    """The best sentence of each bite near the query's meaning, best first, above the model's floor; None when search
    by meaning is unavailable (the reason is logged)."""
    index = sentence_index()
    if index is None or not query.strip():
        return None
    try:
        vector = _query_vector(index.model, query.strip())
        near = index.nearest(vector, k, floor=MODELS[index.model].search_floor)
    except (EmbeddingUnavailable, VectorIndexUnavailable) as exc:
        log.warning("search by words only: %s", exc)
        return None
    best: dict[int, NearSentence] = {}
    for sentence in near:
        if sentence.bite_id not in best:
            best[sentence.bite_id] = sentence
    return list(best.values())
