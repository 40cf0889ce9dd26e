"""Cutting a call's transcript into bites, tagging them from the taxonomy, and retagging past calls."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from enable.bites.models import Bite, BiteTag, TagSource
from enable.bites.slicer import WordLike, cut_bites, flatten_words
from enable.bites.tagging import Tagger, TagHit
from enable.bites.tagging import TagPhrase as PhraseSpec
from enable.calls import services as call_services
from enable.calls.models import Call, CallStatus
from enable.db import utcnow
from enable.extensions import db
from enable.taxonomy.models import Tag, TagKind
from enable.taxonomy.services import all_tags
from enable.transcription.types import Transcript

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Taxonomy:
    """The tagger for the current taxonomy and its tags by (kind, key)."""

    tagger: Tagger
    tags: dict[tuple[str, str], Tag]

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
    skipped_calls: int = 0  # calls whose transcript file is missing

    def summary(self) -> str:
        text = (f"{self.bites} bites of {self.calls} calls retagged: {self.added} tags added, "
                f"{self.removed} removed")
        if self.skipped_calls:
            text += f"; {self.skipped_calls} calls skipped (transcript file missing)"
        return text


def load_taxonomy() -> Taxonomy:
    """Build the tagger from every tag phrase of the taxonomy, in all languages."""
    tags = all_tags()
    phrases = [PhraseSpec(tag_key=t.key, kind=t.kind.value, language=p.language, phrase=p.phrase)
               for t in tags for p in t.phrases]
    return Taxonomy(Tagger(phrases), {(t.kind.value, t.key): t for t in tags})


def replace_bites(call: Call, transcript: Transcript, taxonomy: Taxonomy | None = None) -> list[Bite]:
    """Cut the transcript into tagged bites, replacing the call's old bites in the same transaction."""
    taxonomy = taxonomy or load_taxonomy()
    cfg = current_app.config
    segments = transcript.segments
    ranges = cut_bites(segments, target_s=float(cfg["BITE_TARGET_S"]), min_s=float(cfg["BITE_MIN_S"]),
                       max_s=float(cfg["BITE_MAX_S"]))
    words = flatten_words(segments)
    # Old rows go first (flushed), so the new bites may reuse their positions (unique call_id, seq).
    for old in list(call.bites):
        db.session.delete(old)
    db.session.flush()
    db.session.expire(call, ["bites"])
    language = transcript.language or call.effective_language
    stage = taxonomy.stage(call.stage)
    bites = []
    for seq, r in enumerate(ranges):
        bite = Bite(call_id=call.id, seq=seq, start_s=r.start_s, end_s=r.end_s, first_word=r.first_word,
                    last_word=r.last_word, title=(r.title or r.text[:80] or "…")[:200], text=r.text,
                    speakers=list(r.speakers), language=language)
        hits = taxonomy.tagger.tag(words[r.first_word : r.last_word + 1])
        bite.tags = _new_tags(hits, taxonomy, stage)
        db.session.add(bite)
        bites.append(bite)
    db.session.flush()
    log.info("call %s cut into %d bites", call.id, len(bites))
    return bites


def _new_tags(hits: Sequence[TagHit], taxonomy: Taxonomy, stage: Tag | None) -> list[BiteTag]:
    rows: dict[int, BiteTag] = {}
    if stage is not None:
        rows[stage.id] = BiteTag(tag_id=stage.id, source=TagSource.CALL_STAGE)
    for hit in hits:
        tag = taxonomy.tags.get((hit.kind, hit.tag_key))
        if tag is not None and tag.id not in rows:
            rows[tag.id] = BiteTag(tag_id=tag.id, source=TagSource.DETECTED, phrase=hit.phrase[:200],
                                   at_s=hit.start_s)
    return list(rows.values())


def retag_bite(bite: Bite, words: Sequence[WordLike], taxonomy: Taxonomy, stage: Tag | None) -> tuple[int, int]:
    """Recompute a bite's detected and call-stage tags; tags a person removed stay off, manual ones stay on.

    Returns (added, removed).
    """
    hits: dict[int, TagHit] = {}
    for hit in taxonomy.tagger.tag(words):
        tag = taxonomy.tags.get((hit.kind, hit.tag_key))
        if tag is not None:
            hits.setdefault(tag.id, hit)
    existing = {row.tag_id: row for row in bite.tags}
    added = removed = 0
    for tag_id, row in list(existing.items()):
        if row.is_removed or row.source == TagSource.MANUAL:
            continue
        if row.source == TagSource.CALL_STAGE:
            if stage is None or tag_id != stage.id:
                if tag_id in hits:  # no longer the call's stage, but its phrases were spoken
                    row.source, row.phrase, row.at_s = TagSource.DETECTED, hits[tag_id].phrase, hits[tag_id].start_s
                else:
                    bite.tags.remove(row)
                    removed += 1
        elif tag_id in hits:
            row.phrase, row.at_s = hits[tag_id].phrase[:200], hits[tag_id].start_s
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
            bite.tags.append(BiteTag(tag_id=tag_id, source=TagSource.DETECTED, phrase=hit.phrase[:200],
                                     at_s=hit.start_s))
            added += 1
    if added or removed:
        bite.updated_at = utcnow()
    return added, removed


def retag_call(call: Call, taxonomy: Taxonomy, report: RetagReport) -> list[Bite]:
    """Retag every bite of one call from its transcript file; return the bites (to reindex)."""
    transcript = call_services.read_transcript(call.id)
    if transcript is None:
        log.warning("call %s has bites but no transcript file; not retagged", call.id)
        report.skipped_calls += 1
        return []
    words = flatten_words(transcript.segments)
    stage = taxonomy.stage(call.stage)
    for bite in call.bites:
        added, removed = retag_bite(bite, words[bite.first_word : bite.last_word + 1], taxonomy, stage)
        report.added += added
        report.removed += removed
        report.bites += 1
    report.calls += 1
    db.session.flush()
    return list(call.bites)


def retag_all(taxonomy: Taxonomy | None = None) -> tuple[RetagReport, list[int]]:
    """Re-apply the taxonomy to every bite of every ready call; return the report and the bite ids to reindex."""
    taxonomy = taxonomy or load_taxonomy()
    report = RetagReport()
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
