"""Cutting a call's transcript into bites, tagging them from the taxonomy, and retagging past calls."""

from __future__ import annotations

import bisect
import logging
from collections.abc import Container, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

import numpy as np
from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from enable.bites.models import Bite, BiteTag, MomentReview, TagSource, TrackerExample
from enable.bites.sentences import Sentence, split_sentences
from enable.bites.slicer import BiteRange, WordLike, cut_bites, flatten_words, make_title
from enable.bites.tagging import MeaningExamples, Tagger, TagHit
from enable.bites.tagging import TagPhrase as PhraseSpec
from enable.bites.titles import TitleTag, moment_title
from enable.calls import services as call_services
from enable.calls.models import Call, CallStatus
from enable.database import lock_row
from enable.db import utcnow
from enable.extensions import db
from enable.meaning.embedding import MODELS, Embedder, EmbeddingUnavailable, get_embedder
from enable.meaning.vectors import SentenceVectors, VectorStore, sentences_digest
from enable.taxonomy.models import Tag, TagKind
from enable.taxonomy.services import all_tags
from enable.transcription.store import TranscriptUnreadable
from enable.transcription.types import Segment, Transcript

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Taxonomy:
    """The tagger for the current taxonomy and its tags by (kind, key); with the embedding model when trackers
    match by meaning, else ``meaning_problem`` says why they match literally only (None: meaning is off)."""

    tagger: Tagger
    tags: dict[tuple[str, str], Tag]
    embedder: Embedder | None = None
    meaning_problem: str | None = None

    def stage(self, key: str | None) -> Tag | None:
        """The stage tag with this key, if any."""
        return self.tags.get((TagKind.STAGE.value, key)) if key else None


@dataclass
class RetagReport:
    """What retagging changed."""

    calls: int = 0
    bites: int = 0
    added: int = 0
    removed: int = 0
    skipped_calls: int = 0  # calls whose transcript file is missing or damaged
    embedded_calls: int = 0  # calls whose sentences had no stored vectors of the current model
    titles: int = 0  # default titles that changed with the tags
    meaning_problem: str | None = field(default=None)  # why trackers matched literally only

    def summary(self) -> str:
        text = (f"{self.bites} bites of {self.calls} calls retagged: {self.added} tags added, "
                f"{self.removed} removed")
        if self.skipped_calls:
            text += f"; {self.skipped_calls} calls skipped (transcript file missing or damaged)"
        if self.embedded_calls:
            text += f"; sentences of {self.embedded_calls} calls embedded"
        if self.titles:
            text += f"; {self.titles} titles now say what their moment is about"
        if self.meaning_problem:
            text += f"; trackers matched phrases literally only: {self.meaning_problem}"
        return text


# Vectors of example phrases and rejected sentences, by (model, text): only new examples are embedded.
_example_vectors: dict[tuple[str, str], np.ndarray] = {}


def _vectors_of(embedder: Embedder, texts: Sequence[str]) -> np.ndarray:
    missing = sorted({t for t in texts if (embedder.name, t) not in _example_vectors})
    if missing:
        for text, row in zip(missing, embedder.embed(missing), strict=True):
            _example_vectors[(embedder.name, text)] = row
    if not texts:
        return np.zeros((0, embedder.dim), dtype=np.float32)
    return np.stack([_example_vectors[(embedder.name, t)] for t in texts])


def meaning_embedder() -> Embedder | None:
    """The sentence model EMBEDDING_MODEL names, or None when it is "off"; raises EmbeddingUnavailable."""
    name = str(current_app.config.get("EMBEDDING_MODEL") or "off")
    return None if name == "off" else get_embedder(name)


def load_taxonomy() -> Taxonomy:
    """Build the tagger from every tag phrase of the taxonomy, in all languages, with the phrases and the rejected
    moments as examples for matching by meaning; when the model cannot be loaded, matching is literal only."""
    tags = all_tags()
    phrases = [PhraseSpec(tag_key=t.key, kind=t.kind.value, language=p.language, phrase=p.phrase)
               for t in tags for p in t.phrases]
    by_key = {(t.kind.value, t.key): t for t in tags}
    try:
        embedder = meaning_embedder()
        if embedder is None:
            return Taxonomy(Tagger(phrases), by_key)
        reviewed = db.session.execute(select(Tag.kind, Tag.key, TrackerExample.sentence, TrackerExample.is_negative)
                                      .join(Tag, Tag.id == TrackerExample.tag_id).order_by(TrackerExample.id)).all()
        rejected = [(kind, key, sentence) for kind, key, sentence, negative in reviewed if negative]
        # Confirmed sentences are examples for meaning only: the literal tagger keeps the taxonomy's phrases.
        owners = [*phrases, *(PhraseSpec(tag_key=key, kind=kind.value, language="", phrase=sentence)
                              for kind, key, sentence, negative in reviewed if not negative)]
        examples = MeaningExamples(
            model=embedder.name, owners=tuple(owners), vectors=_vectors_of(embedder, [p.phrase for p in owners]),
            thresholds=MODELS[embedder.name].thresholds,
            negative_owners=tuple((kind.value, key) for kind, key, _ in rejected),
            negatives=_vectors_of(embedder, [sentence for _, _, sentence in rejected]))
    except EmbeddingUnavailable as exc:
        log.warning("trackers match phrases literally only: %s", exc)
        return Taxonomy(Tagger(phrases), by_key, meaning_problem=str(exc))
    return Taxonomy(Tagger(phrases, examples), by_key, embedder)


@dataclass(frozen=True)
class CallSentences:
    """A call's words, its sentences and their vectors (None when matching is literal only)."""

    words: Sequence[WordLike]
    sentences: list[Sentence]
    vectors: np.ndarray | None
    skip: Container[int] = ()  # id()s of words in a language the models do not handle well: they tag nothing

    def hits(self, tagger: Tagger, first_word: int, last_word: int) -> list[TagHit]:
        """Tag the words first_word..last_word and the sentences starting among them."""
        starts = [s.first_word for s in self.sentences]
        lo, hi = bisect.bisect_left(starts, first_word), bisect.bisect_right(starts, last_word)
        rows = self.vectors[lo:hi] if self.vectors is not None else None
        return tagger.tag(self.words[first_word : last_word + 1], self.sentences[lo:hi], rows, offset=first_word,
                          skip=self.skip)

    def within(self, first_word: int, last_word: int) -> list[Sentence]:
        """The sentences starting among the words first_word..last_word."""
        starts = [s.first_word for s in self.sentences]
        return self.sentences[bisect.bisect_left(starts, first_word) : bisect.bisect_right(starts, last_word)]


def call_sentences(call_id: int, words: Sequence[WordLike], taxonomy: Taxonomy,
                   report: RetagReport | None = None, skip: Container[int] = ()) -> CallSentences:
    """Split a call's words into sentences and get their vectors: stored ones when the model and the sentences are
    unchanged, else embedded now and stored beside the transcript. Words whose id() is in `skip` tag nothing."""
    sentences = split_sentences(words)
    embedder = taxonomy.embedder
    if embedder is None or not sentences:
        return CallSentences(words, sentences, None, skip)
    texts = [s.text for s in sentences]
    digest = sentences_digest(texts)
    store = VectorStore(call_services.transcript_store())
    stored = store.read(call_id, embedder.name, digest)
    if stored is not None:
        return CallSentences(words, sentences, stored.vectors, skip)
    try:
        vectors = embedder.embed(texts)
    except EmbeddingUnavailable as exc:
        log.warning("call %s tagged literally only: %s", call_id, exc)
        if report is not None:
            report.meaning_problem = str(exc)
        return CallSentences(words, sentences, None, skip)
    spans = np.asarray([(s.first_word, s.last_word) for s in sentences], dtype=np.int32)
    try:
        store.write(call_id, SentenceVectors(embedder.name, digest, spans, vectors))
    except OSError as exc:  # a derived file: the tags are right without it, the next retag embeds again
        log.warning("sentence vectors of call %s could not be stored (%s)", call_id, exc)
    if report is not None:
        report.embedded_calls += 1
    log.info("call %s: %d sentences embedded with %s", call_id, len(sentences), embedder.name)
    return CallSentences(words, sentences, vectors, skip)


def replace_bites(call: Call, transcript: Transcript, taxonomy: Taxonomy | None = None) -> list[Bite]:
    """Cut the transcript into tagged bites, replacing the call's old bites in the same transaction.

    A re-run (retry, a worker taking over, re-processing) keeps what people did with the bites. Each new bite
    takes over the row of the old bite of the call that covers the same time: first one with the same start and
    end (within SAME_RANGE_S), then, among the old bites left, the one it overlaps longest, when that overlap is
    at least MIN_SHARED of the longer of the two; each old bite is taken over at most once. A row taken over
    keeps its id (so playlist items, track steps and quiz questions naming it still do) and its governance:
    owner, verifier, review interval, verification, archived and retired; its best-bite mark; the tags people
    added (manual) or took off (is_removed). Its times, words, title and text become the new cut's, and its
    detected and call-stage tags are recomputed as `bites retag` does. An old bite no new bite takes over is
    deleted, after its playlist items, track steps and listen questions are moved to the new bite it overlaps
    most (`_move_references`). Afterwards the call's bites are exactly the new cut: never a duplicate.

    Curated bites (renamed, trimmed, split or merged by a person: `curated_at`) stay as they are: their times, title,
    text and tags; only their word indexes follow the new words. The words outside them are cut on their own
    (`_cut_around`); a stretch shorter than BITE_MIN_S between curated bites (what a person trimmed off) joins no bite.
    """
    taxonomy = taxonomy or load_taxonomy()
    cfg = current_app.config
    segments = transcript.segments
    words = flatten_words(segments)
    said = call_sentences(call.id, words, taxonomy, skip=untagged_words(segments))  # embedding: before the lock
    # The call's lock, as bite edits take it, then its bites read afresh: a split or merge committing meanwhile is
    # seen whole (never a cut made from the bites as they were before it).
    lock_row(call)
    db.session.expire(call, ["bites"])
    curated = sorted((b for b in call.bites if b.curated_at is not None), key=lambda b: (b.start_s, b.id))
    ranges = _cut_around(segments, words, curated, target_s=float(cfg["BITE_TARGET_S"]),
                         min_s=float(cfg["BITE_MIN_S"]), max_s=float(cfg["BITE_MAX_S"]))
    language = transcript.language or call.effective_language
    stage = taxonomy.stage(call.stage)
    old = sorted((b for b in call.bites if b.curated_at is None), key=lambda b: (b.start_s, b.id))
    taken = match_bites([(b.start_s, b.end_s) for b in old], [(r.start_s, r.end_s) for r in ranges])
    # Old rows step aside to negative positions, so each bite may take any position (unique call_id, seq).
    for n, row in enumerate([*old, *curated]):
        row.seq = -1 - n
    db.session.flush()
    # Curated bites stay as they are (times, title, text, tags); only their word indexes follow the new words.
    order = sorted([*((r.start_s, n, None) for n, r in enumerate(ranges)), *((b.start_s, -1, b) for b in curated)],
                   key=lambda item: (item[0], item[1]))
    position = {n: seq for seq, (_start, n, b) in enumerate(order) if b is None}
    for seq, (_start, _n, curated_row) in enumerate(order):
        if curated_row is not None:
            curated_row.seq = seq
    bites: list[Bite] = []
    for n, r in enumerate(ranges):
        seq = position[n]
        hits = said.hits(taxonomy.tagger, r.first_word, r.last_word)
        bite = old[taken[n]] if n in taken else None
        if bite is None:
            bite = Bite(call_id=call.id, tags=_new_tags(hits, taxonomy, stage))
            db.session.add(bite)
        else:
            retag_bite(bite, hits, taxonomy, stage)
            if (bite.start_s, bite.end_s, bite.text) != (r.start_s, r.end_s, r.text):
                bite.updated_at = utcnow()
        bite.seq, bite.start_s, bite.end_s = seq, r.start_s, r.end_s
        bite.first_word, bite.last_word = r.first_word, r.last_word
        bite.text = r.text
        bite.speakers, bite.language = list(r.speakers), _spoken_language(segments, r.start_s, r.end_s) or language
        if not bite.title_by_hand:
            bite.title = default_title(bite, said, taxonomy, r.title)
        bites.append(bite)
    db.session.flush()
    kept = set(taken.values())
    gone = [row for n, row in enumerate(old) if n not in kept]
    bites = sorted([*bites, *curated], key=lambda b: b.seq)
    if gone:
        if bites:
            _move_references({row.id: _closest(row, bites).id for row in gone})
        for row in gone:
            db.session.delete(row)
        db.session.flush()
    db.session.expire(call, ["bites"])
    log.info("call %s cut into %d bites (%d kept their ids, %d removed)", call.id, len(bites), len(kept), len(gone))
    return bites


@dataclass(frozen=True)
class _Run:
    """Consecutive words of a call outside every curated bite, as a segment the slicer can cut."""

    words: Sequence[WordLike]
    speaker: str | None = None

    @property
    def start(self) -> float:
        return min(w.start for w in self.words)

    @property
    def end(self) -> float:
        return max(w.end for w in self.words)

    @property
    def text(self) -> str:
        return " ".join(w.text for w in self.words)


def _cut_around(segments: Sequence[Segment], words: Sequence[WordLike], curated: Sequence[Bite], *,
                target_s: float, min_s: float, max_s: float) -> list[BiteRange]:
    """Cut the call into bites around its curated bites, which stay as they are.

    Without curated bites, the slicer's cut of the whole call. With them: each curated bite takes the words whose
    middle lies within its times (its word indexes are set to them); the runs of words between curated bites are cut
    on their own, and a run shorter than `min_s` (what a person trimmed off a bite) is left out of every bite.
    """
    if not curated:
        return cut_bites(segments, target_s=target_s, min_s=min_s, max_s=max_s)
    owner = [-1] * len(words)
    for k, bite in enumerate(curated):
        inside = [i for i, w in enumerate(words) if bite.start_s <= (w.start + w.end) / 2 <= bite.end_s]
        if inside:
            bite.first_word, bite.last_word = min(inside), max(inside)
            for i in range(bite.first_word, bite.last_word + 1):
                owner[i] = k
    ranges: list[BiteRange] = []
    i = 0
    while i < len(words):
        if owner[i] >= 0:
            i += 1
            continue
        j = i
        while j + 1 < len(words) and owner[j + 1] < 0:
            j += 1
        run = _Run(words[i : j + 1])
        if run.end - run.start >= min_s:
            for r in cut_bites([run], target_s=target_s, min_s=min_s, max_s=max_s):
                ranges.append(replace(r, first_word=r.first_word + i, last_word=r.last_word + i))
        i = j + 1
    return ranges


SAME_RANGE_S = 0.01  # starts and ends this close: the same time range
MIN_SHARED = 0.5  # an overlap of at least this share of the longer bite: the same moment, re-cut


def match_bites(old: Sequence[tuple[float, float]], new: Sequence[tuple[float, float]]) -> dict[int, int]:
    """Pair new bite ranges with the old ones they replace: {new position: old position}, one-to-one.

    Same range first (within SAME_RANGE_S), then the largest overlap, when it is at least MIN_SHARED of the
    longer range of the pair.
    """
    pairs: dict[int, int] = {}
    free = set(range(len(old)))
    for i, (start, end) in enumerate(new):
        same = next((j for j in sorted(free) if abs(old[j][0] - start) <= SAME_RANGE_S
                     and abs(old[j][1] - end) <= SAME_RANGE_S), None)
        if same is not None:
            pairs[i] = same
            free.discard(same)
    candidates = []
    for i, (start, end) in enumerate(new):
        if i in pairs:
            continue
        for j in free:
            shared = _overlap((start, end), old[j])
            if shared > 0 and shared >= MIN_SHARED * max(end - start, old[j][1] - old[j][0]):
                candidates.append((-shared, i, j))
    for _shared, i, j in sorted(candidates):
        if i not in pairs and j in free:
            pairs[i] = j
            free.discard(j)
    return pairs


def _overlap(a: tuple[float, float], b: tuple[float, float]) -> float:
    return max(0.0, min(a[1], b[1]) - max(a[0], b[0]))


class TimeSpan(Protocol):
    """Anything with a start and an end in the call (a bite, or a snapshot of a deleted one)."""

    start_s: float
    end_s: float


def _closest(row: TimeSpan, bites: Sequence[Bite]) -> Bite:
    """The bite sharing most time with `row`; without any shared time, the one whose middle is nearest."""
    middle = (row.start_s + row.end_s) / 2
    return max(bites, key=lambda b: (_overlap((row.start_s, row.end_s), (b.start_s, b.end_s)),
                                     -abs((b.start_s + b.end_s) / 2 - middle)))


def _move_references(moves: dict[int, int]) -> None:
    """Point what names a bite about to be deleted at the bite that now covers its moment: playlist items (the
    database would delete them with the bite), track steps and listen questions (they would name a missing bite).
    A playlist already holding the new bite keeps that item only. Usage history keeps the old ids."""
    from enable.learning.models import Question, StepKind, TrackStep
    from enable.search.models import PlaylistItem

    items = db.session.scalars(select(PlaylistItem).where(PlaylistItem.bite_id.in_(list(moves)))).all()
    for item in items:
        target = moves[item.bite_id]
        held = db.session.scalar(select(PlaylistItem.id).where(PlaylistItem.playlist_id == item.playlist_id,
                                                              PlaylistItem.bite_id == target))
        if held is None:
            item.bite_id = target
        else:
            db.session.delete(item)
        db.session.flush()
    for old_id, new_id in moves.items():
        db.session.execute(update(TrackStep).where(TrackStep.kind == StepKind.BITE, TrackStep.item_id == old_id)
                           .values(item_id=new_id))
        db.session.execute(update(Question).where(Question.bite_id == old_id).values(bite_id=new_id))
    if items:
        log.info("moved %d playlist item(s) of re-cut bites to the bites that replace them", len(items))


def default_title(bite: Bite, said: CallSentences, taxonomy: Taxonomy, fallback: str) -> str:
    """The title a bite gets unless enablement named it: what its moment is about, from the tags it carries and its
    sentences (`enable.bites.titles`), in the bite's language; `fallback` (its first sentence) without a telling tag."""
    by_id = {t.id: t for t in taxonomy.tags.values()}
    carried = []
    for row in bite.tags:
        tag = by_id.get(row.tag_id)
        if tag is None or row.is_removed or row.source == TagSource.CALL_STAGE:
            continue
        carried.append(TitleTag(kind=tag.kind.value, name=tag.name_in(bite.language), at_s=row.at_s,
                                phrase=row.phrase))
    title = moment_title(carried, said.within(bite.first_word, bite.last_word), bite.language, fallback)
    return (title or bite.text[:80] or "…")[:200]


def _new_tags(hits: Sequence[TagHit], taxonomy: Taxonomy, stage: Tag | None) -> list[BiteTag]:
    rows: dict[int, BiteTag] = {}
    if stage is not None:
        rows[stage.id] = BiteTag(tag_id=stage.id, source=TagSource.CALL_STAGE)
    for hit in hits:
        tag = taxonomy.tags.get((hit.kind, hit.tag_key))
        if tag is not None and tag.id not in rows:
            rows[tag.id] = BiteTag(tag_id=tag.id, source=TagSource.DETECTED)
            _set_evidence(rows[tag.id], hit)
    return list(rows.values())


def _set_evidence(row: BiteTag, hit: TagHit) -> None:
    row.phrase, row.at_s, row.match = hit.phrase[:200], hit.start_s, hit.match
    row.sentence, row.speaker, row.score = hit.sentence, (hit.speaker or None) and hit.speaker[:60], hit.score


def untagged_words(segments: Sequence[Segment]) -> set[int]:
    """`id()`s of the words of segments in a language the speech models do not handle well: misheard words that
    must not tag a bite (tiny.en hearing German said "Gong")."""
    return {id(word) for segment in segments if segment.unsupported_language for word in segment.words}


def _spoken_language(segments: Sequence[Segment], start_s: float, end_s: float) -> str | None:
    """The language most of a bite's speech is in, when its segments say (calls whose parts differ)."""
    seconds: dict[str, float] = {}
    for segment in segments:
        if segment.language and segment.start < end_s and segment.end > start_s:
            seconds[segment.language] = seconds.get(segment.language, 0.0) + segment.duration_s
    return max(seconds, key=lambda code: seconds[code]) if seconds else None


def retag_bite(bite: Bite, found: Sequence[TagHit], taxonomy: Taxonomy, stage: Tag | None) -> tuple[int, int]:
    """Recompute a bite's detected and call-stage tags from its hits; tags a person removed (or rejected) stay off,
    manual and confirmed ones stay on.

    Returns (added, removed).
    """
    hits: dict[int, TagHit] = {}
    for hit in found:
        tag = taxonomy.tags.get((hit.kind, hit.tag_key))
        if tag is not None:
            hits.setdefault(tag.id, hit)
    existing = {row.tag_id: row for row in bite.tags}
    added = removed = 0
    for tag_id, row in list(existing.items()):
        if row.is_removed or row.source == TagSource.MANUAL:
            continue
        if row.review == MomentReview.CONFIRMED:  # a person said it is right: it stays, with its evidence
            continue
        if row.source == TagSource.CALL_STAGE:
            if stage is None or tag_id != stage.id:
                if tag_id in hits:  # no longer the call's stage, but its phrases were spoken
                    row.source = TagSource.DETECTED
                    _set_evidence(row, hits[tag_id])
                else:
                    bite.tags.remove(row)
                    removed += 1
        elif tag_id in hits:
            if (row.match, row.sentence) != (hits[tag_id].match, hits[tag_id].sentence):
                row.review = None  # other evidence: to be reviewed again
            _set_evidence(row, hits[tag_id])
        else:
            bite.tags.remove(row)
            removed += 1
    if stage is not None and stage.id not in existing:
        bite.tags.append(BiteTag(tag_id=stage.id, source=TagSource.CALL_STAGE))
        existing[stage.id] = bite.tags[-1]
        added += 1
    elif stage is not None and existing[stage.id].source == TagSource.DETECTED and not existing[stage.id].is_removed:
        existing[stage.id].source = TagSource.CALL_STAGE
    for tag_id, hit in hits.items():
        if tag_id not in existing:
            bite.tags.append(BiteTag(tag_id=tag_id, source=TagSource.DETECTED))
            _set_evidence(bite.tags[-1], hit)
            added += 1
    if added or removed:
        bite.updated_at = utcnow()
    return added, removed


def retag_call(call: Call, taxonomy: Taxonomy, report: RetagReport) -> list[Bite]:
    """Retag every bite of one call from its transcript file; return the bites (to reindex)."""
    try:
        transcript = call_services.read_transcript(call.id)
    except TranscriptUnreadable as exc:
        log.warning("%s; call not retagged", exc)
        report.skipped_calls += 1
        return []
    if transcript is None:
        log.warning("call %s has bites but no transcript file; not retagged", call.id)
        report.skipped_calls += 1
        return []
    words = flatten_words(transcript.segments)
    said = call_sentences(call.id, words, taxonomy, report, skip=untagged_words(transcript.segments))
    stage = taxonomy.stage(call.stage)
    for bite in call.bites:
        added, removed = retag_bite(bite, said.hits(taxonomy.tagger, bite.first_word, bite.last_word), taxonomy,
                                    stage)
        if not bite.title_by_hand:  # a title enablement set stays; the others follow the tags
            title = default_title(bite, said, taxonomy, make_title(words[bite.first_word : bite.last_word + 1]))
            if title != bite.title:
                bite.title, bite.updated_at = title, utcnow()
                report.titles += 1
        report.added += added
        report.removed += removed
        report.bites += 1
    report.calls += 1
    db.session.flush()
    return list(call.bites)


def retag_all(taxonomy: Taxonomy | None = None) -> tuple[RetagReport, list[int]]:
    """Re-apply the taxonomy to every bite of every ready call; return the report and the bite ids to reindex."""
    taxonomy = taxonomy or load_taxonomy()
    report = RetagReport(meaning_problem=taxonomy.meaning_problem)
    bite_ids: list[int] = []
    call_ids = list(db.session.scalars(select(Call.id).where(Call.status == CallStatus.READY).order_by(Call.id)))
    for start in range(0, len(call_ids), 50):
        calls = db.session.scalars(select(Call).where(Call.id.in_(call_ids[start : start + 50]))
                                   .options(selectinload(Call.bites).selectinload(Bite.tags))).all()
        for call in calls:
            bite_ids.extend(b.id for b in retag_call(call, taxonomy, report))
    return report, bite_ids


def apply_call_stage(call: Call) -> list[Bite]:
    """After a call's stage changed: retag its bites so the new stage tags them all."""
    report = RetagReport()
    return retag_call(call, load_taxonomy(), report)
