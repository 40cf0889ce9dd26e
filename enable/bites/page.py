"""What the bite page shows: the bite's words in speaker lines, its tags with evidence, its neighbours."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import msgspec
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from enable.bites.models import Bite, BiteTag
from enable.bites.sentences import Sentence, split_sentences
from enable.calls.models import Call
from enable.calls.services import transcript_store
from enable.extensions import db
from enable.taxonomy.models import Tag, TagKind
from enable.transcription.store import TranscriptUnreadable
from enable.transcription.types import SCHEMA_VERSION, Transcript, Word, speaking_order

log = logging.getLogger(__name__)

# A new line starts when the speaker changes, after a pause this long, or at a sentence end past this many words.
LINE_PAUSE_S = 2.0
LINE_MAX_WORDS = 60
_SENTENCE_END = (".", "?", "!", "…", "؟")
# Word indexes stored on a bite are trusted only if they land this close to the bite's own times.
INDEX_TOLERANCE_S = 0.5


@dataclass(frozen=True)
class SpokenWord:
    """One word of the bite, with its times in seconds from the call start."""

    start: float
    end: float
    text: str


@dataclass(frozen=True)
class Line:
    """Consecutive words of one speaker."""

    speaker: str | None
    start: float
    words: list[SpokenWord]

    @property
    def buttons(self) -> Markup:
        """The line's words as the transcript's seek buttons, each followed by a space.

        Built here rather than in a template loop: a bite holds some 300 words, and three template expressions per
        word were a large part of the page's rendering. Every word is escaped.
        """
        return Markup("".join(  # noqa: S704 (numbers formatted, every word escaped)
            f'<button type="button" class="word" data-start="{w.start:.3f}" data-end="{w.end:.3f}">'
            f"{escape(w.text)}</button> " for w in self.words
        ))


class Neighbour(NamedTuple):
    """The previous or next bite of the same call: all the page links to."""

    id: int
    seq: int


@dataclass
class BitePage:
    """Everything the bite page shows."""

    bite: Bite
    lines: list[Line]
    has_transcript: bool
    tags: list[BiteTag]  # the tags it carries, with evidence
    removed: list[BiteTag]  # tags a person took off (listed for enablement)
    prev: Neighbour | None
    next: Neighbour | None
    addable: list[Tag] = field(default_factory=list)
    unreadable: str | None = None  # why the call's transcript file cannot be read, when it cannot
    split_points: list[Sentence] = field(default_factory=list)  # sentences a curator may split the bite before


def load_bite(bite_id: int) -> Bite | None:
    """The bite with its call (rep, deal) and tags loaded, or None (three queries: the bite joined, its tags)."""
    return db.session.scalar(
        select(Bite).where(Bite.id == bite_id).options(
            joinedload(Bite.call).joinedload(Call.rep),
            joinedload(Bite.call).joinedload(Call.deal),
            selectinload(Bite.tags).selectinload(BiteTag.tag),
        )
    )


def bite_words(bite: Bite, transcript: Transcript) -> list[Word]:
    """The transcript words of the bite: by its stored word indexes, or by its times if they no longer match."""
    words = list(transcript.words())
    chosen = words[bite.first_word : bite.last_word + 1]
    if _matches(chosen, bite):
        return chosen
    return [w for w in words if bite.start_s - INDEX_TOLERANCE_S <= w.start < bite.end_s]


def _matches(chosen: Sequence[Word | _StoredWord], bite: Bite) -> bool:
    """Whether words found by the bite's stored indexes span its times (a bite starts at its earliest word's start
    and ends at its latest word's end: in speaking order, talk over each other puts them anywhere in the bite)."""
    return bool(chosen) and abs(min(w.start for w in chosen) - bite.start_s) <= INDEX_TOLERANCE_S \
        and abs(max(w.end for w in chosen) - bite.end_s) <= INDEX_TOLERANCE_S


class _StoredWord(msgspec.Struct, gc=False):
    start: float
    end: float
    text: str
    probability: float = 0.0
    speaker: str | None = None


class _SegmentHead(msgspec.Struct, gc=False):
    """A stored segment's times, with its words left as undecoded JSON until they are needed."""

    start: float = 0.0
    end: float = 0.0
    words: msgspec.Raw = msgspec.Raw(b"[]")


class _StoredSegments(msgspec.Struct):
    """The part of a stored transcript (enable/transcription/store.py) the bite page reads; the rest is skipped."""

    schema: int = SCHEMA_VERSION
    segments: list[_SegmentHead] = []


_SEGMENTS = msgspec.json.Decoder(_StoredSegments)
_WORDS = msgspec.json.Decoder(list[_StoredWord])
# Every stored word has this key once. Only a key is followed by a colon, and a quote inside a string is escaped, so
# counting it counts words (a word "start" is the string "start", never followed by a colon).
_WORD_KEY = b'"start":'
# Words are decoded only from segments within this many seconds of the bite; of segments ending earlier, only
# counted (the bite's stored word indexes count every word of the call before it).
NEAR_S = 5.0


def read_bite_words(bite: Bite) -> list[Word] | None:
    """The words of the bite from its call's stored transcript (as `bite_words`), or None when it has none.

    An hour's call holds thousands of words and its JSON half a megabyte, of which a bite shows some 300 words: the
    segments are read with their words undecoded, the words of those near the bite decoded, and those of earlier
    segments only counted, for the bite's word indexes. Segments are read in speaking order (by start, as the
    indexes count words), and all words of a segment lie within its times, so the words of the segments before the
    first one reaching the bite come before the bite's. Stored indexes that do not match the
    bite's times are passed over for the times, as in `bite_words`.
    """
    path = transcript_store().json_path(bite.call_id)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return None
    try:
        before, near = _near_words(data, bite.start_s - NEAR_S, bite.end_s + NEAR_S)
    except (msgspec.DecodeError, ValueError) as exc:
        raise TranscriptUnreadable(bite.call_id, exc) from exc
    first = bite.first_word - before
    chosen = near[first : bite.last_word - before + 1] if first >= 0 else []
    if not _matches(chosen, bite):
        chosen = [w for w in near if bite.start_s - INDEX_TOLERANCE_S <= w.start < bite.end_s]
    return [Word(w.start, w.end, w.text, w.probability, w.speaker) for w in chosen]


def _near_words(data: bytes, earliest: float, latest: float) -> tuple[int, list[_StoredWord]]:
    """In speaking order (as `Transcript.words`): the number of words before the first segment that ends at or after
    `earliest`, and the words from that segment on up to the last one starting by `latest`."""
    stored = _SEGMENTS.decode(data)
    if stored.schema > SCHEMA_VERSION:  # the message a full read gives
        Transcript.from_dict({"schema": stored.schema})
    before = 0
    near: list[_StoredWord] = []
    for segment in speaking_order(stored.segments):
        if segment.start > latest:
            break  # ordered by start: no later segment is near either
        if not near and segment.end < earliest:
            before += bytes(segment.words).count(_WORD_KEY)
        else:
            near.extend(_WORDS.decode(segment.words))
    return before, near


def speaker_lines(words: Sequence[Word]) -> list[Line]:
    """Group words into lines: a new line at each change of speaker, long pause, or long sentence run."""
    lines: list[Line] = []
    current: list[SpokenWord] = []
    speaker: str | None = None
    for word in words:
        text = word.text.strip()
        if not text:
            continue
        if current and (word.speaker != speaker or word.start - current[-1].end > LINE_PAUSE_S
                        or (len(current) >= LINE_MAX_WORDS and current[-1].text.endswith(_SENTENCE_END))):
            lines.append(Line(speaker, current[0].start, current))
            current = []
        speaker = word.speaker
        current.append(SpokenWord(word.start, word.end, text))
    if current:
        lines.append(Line(speaker, current[0].start, current))
    return lines


def neighbours(bite: Bite) -> tuple[Neighbour | None, Neighbour | None]:
    """The previous and next bite of the same call, in one query of the call's bite ids."""
    prev = nxt = None
    for row in db.session.execute(select(Bite.id, Bite.seq).where(Bite.call_id == bite.call_id)):
        if row.seq < bite.seq and (prev is None or row.seq > prev.seq):
            prev = Neighbour(row.id, row.seq)
        elif row.seq > bite.seq and (nxt is None or row.seq < nxt.seq):
            nxt = Neighbour(row.id, row.seq)
    return prev, nxt


_KIND_ORDER = {kind: i for i, kind in enumerate(TagKind)}


def _tag_order(bt: BiteTag) -> tuple[int, int, str]:
    return _KIND_ORDER[bt.tag.kind], bt.tag.position, bt.tag.key


def bite_page(bite: Bite, *, with_addable: bool = False, with_split_points: bool = False) -> BitePage:
    """Assemble the bite page; `with_addable` lists the tags enablement may add, `with_split_points` the sentences
    a curator may split the bite before (every sentence but the first, addressed by call word index)."""
    unreadable = None
    try:
        words = read_bite_words(bite)
    except TranscriptUnreadable as exc:
        log.warning("%s", exc)
        words, unreadable = None, exc.reason
    lines = speaker_lines(words) if words is not None else []
    carried = sorted((bt for bt in bite.tags if not bt.is_removed), key=_tag_order)
    removed = sorted((bt for bt in bite.tags if bt.is_removed), key=_tag_order)
    prev, nxt = neighbours(bite)
    page = BitePage(bite=bite, lines=lines, has_transcript=words is not None, tags=carried, removed=removed,
                    prev=prev, next=nxt, unreadable=unreadable)
    if with_split_points and words:
        sentences = split_sentences(words, offset=bite.first_word)
        page.split_points = [s for s in sentences if s.first_word > bite.first_word]
    if with_addable:
        have = {bt.tag_id for bt in carried}
        page.addable = [t for t in db.session.scalars(select(Tag).order_by(Tag.kind, Tag.position, Tag.key))
                        if t.id not in have]
    return page
