"""Calls, bites and transcripts for search and bite-page tests, without the speech model.

Factories add and flush; the test commits. Transcripts are written through the real
TranscriptStore, and bites are indexed through the real indexing service.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import shutil
from collections.abc import Iterable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select

from enable.bites.models import Bite, BiteTag, TagSource
from enable.calls.models import Call, CallStatus
from enable.extensions import db
from enable.search.indexing import index_bites
from enable.taxonomy.models import Tag, TagKind
from enable.taxonomy.services import load_taxonomy
from enable.transcription.store import TranscriptStore
from enable.transcription.types import Segment, Transcript, Word

REPO = Path(__file__).resolve().parents[2]
AUDIO = REPO / "tests" / "data" / "audio"
_seq = itertools.count(1)

Line = tuple[str | None, str, float, float]  # speaker, text, start s, end s


def seed_taxonomy() -> None:
    """Load the starter taxonomy (stages, objections with phrases, competitors...)."""
    load_taxonomy(REPO / "content" / "taxonomy.yaml")
    db.session.flush()


def tag(kind: str, key: str) -> Tag:
    """A tag of the loaded taxonomy."""
    found = db.session.scalar(select(Tag).where(Tag.kind == TagKind(kind), Tag.key == key))
    assert found is not None, f"no tag {kind}:{key}; call seed_taxonomy() first"
    return found


def make_call(media: Path | None = None, **overrides: Any) -> Call:
    """A ready call; with `media`, the file is copied into MEDIA_DIR as its recording."""
    n = next(_seq)
    fields: dict[str, Any] = {
        "title": f"Call {n}", "status": CallStatus.READY, "sha256": hashlib.sha256(f"call-{n}".encode()).hexdigest(),
        "media_path": f"call-{n}.ogg", "original_filename": f"call-{n}.ogg", "content_type": "audio/ogg",
        "language": "en", "detected_language": "en", "call_date": date(2026, 3, 1),
    }
    if media is not None:
        data = media.read_bytes()
        fields["sha256"] = hashlib.sha256(data + str(n).encode()).hexdigest()
        fields["media_path"] = f"{fields['sha256']}{media.suffix}"
        fields["size_bytes"] = len(data)
        target = Path(current_app.config["MEDIA_DIR"]) / fields["media_path"]
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(media, target)
    fields.update(overrides)
    call = Call(**fields)
    db.session.add(call)
    db.session.flush()
    return call


def make_bite(call: Call, text: str, *, seq: int | None = None, start_s: float = 0.0, end_s: float = 60.0,
              tags: Iterable[Tag | tuple[Tag, str, float]] = (), first_word: int = 0, last_word: int | None = None,
              **overrides: Any) -> Bite:
    """A bite of `call` saying `text`; tags are Tag objects, or (tag, phrase, at_s) with evidence."""
    if seq is None:
        seq = len(db.session.scalars(select(Bite.id).where(Bite.call_id == call.id)).all())
    fields: dict[str, Any] = {
        "call_id": call.id, "seq": seq, "start_s": start_s, "end_s": end_s, "first_word": first_word,
        "last_word": last_word if last_word is not None else first_word + max(len(text.split()) - 1, 0),
        "title": " ".join(text.split()[:8]) or "Bite", "text": text, "speakers": ["rep"],
        "language": call.detected_language,
    }
    fields.update(overrides)
    bite = Bite(**fields)
    for item in tags:
        t, phrase, at_s = item if isinstance(item, tuple) else (item, None, None)
        source = TagSource.CALL_STAGE if t.kind == TagKind.STAGE else TagSource.DETECTED
        bite.tags.append(BiteTag(tag_id=t.id, source=source, phrase=phrase, at_s=at_s))
    db.session.add(bite)
    db.session.flush()
    return bite


def transcript_from_lines(lines: Sequence[Line], language: str = "en") -> Transcript:
    """A transcript whose words are spread evenly over each line's time span."""
    segments = []
    for speaker, text, start, end in lines:
        tokens = text.split()
        step = (end - start) / max(len(tokens), 1)
        words = [Word(start=round(start + i * step, 3), end=round(start + (i + 1) * step - 0.01, 3), text=token,
                      probability=1.0, speaker=speaker) for i, token in enumerate(tokens)]
        segments.append(Segment(start=start, end=end, text=text, speaker=speaker, words=words))
    duration = max((end for _, _, _, end in lines), default=0.0)
    speakers = sorted({s for s, _, _, _ in lines if s})
    return Transcript(language=language, duration_s=duration, model="scripted", channels=2 if len(speakers) > 1 else 1,
                      speakers=speakers, segments=segments)


def write_transcript(call: Call, transcript: Transcript) -> None:
    """Store the transcript (JSON and captions) of a call in TRANSCRIPTS_DIR."""
    TranscriptStore(current_app.config["TRANSCRIPTS_DIR"]).write(call.id, transcript)


def scripted_dialogue() -> Transcript:
    """The synthesized five-minute sales dialogue's script as a transcript (no speech model needed)."""
    script = json.loads((AUDIO / "sales_dialogue.json").read_text())
    return transcript_from_lines([(line["speaker"], line["text"], float(line["start"]), float(line["end"]))
                                  for line in script["lines"]])


def index_everything() -> int:
    """Index every bite through the app's search index."""
    return index_bites(list(db.session.scalars(select(Bite.id))))
