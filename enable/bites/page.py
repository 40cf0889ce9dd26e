"""What the bite page shows: the bite's words in speaker lines, its tags with evidence, its neighbours."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from enable.bites.models import Bite, BiteTag
from enable.calls.models import Call
from enable.calls.services import read_transcript
from enable.extensions import db
from enable.taxonomy.models import Tag, TagKind
from enable.transcription.types import Transcript, Word

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


@dataclass
class BitePage:
    """Everything the bite page shows."""

    bite: Bite
    lines: list[Line]
    has_transcript: bool
    tags: list[BiteTag]  # the tags it carries, with evidence
    removed: list[BiteTag]  # tags a person took off (listed for enablement)
    prev: Bite | None
    next: Bite | None
    addable: list[Tag] = field(default_factory=list)


def load_bite(bite_id: int) -> Bite | None:
    """The bite with its call (rep, deal) and tags loaded, or None."""
    return db.session.scalar(
        select(Bite).where(Bite.id == bite_id).options(
            selectinload(Bite.call).selectinload(Call.rep),
            selectinload(Bite.call).selectinload(Call.deal),
            selectinload(Bite.tags).selectinload(BiteTag.tag),
        )
    )


def bite_words(bite: Bite, transcript: Transcript) -> list[Word]:
    """The transcript words of the bite: by its stored word indexes, or by its times if they no longer match."""
    words = list(transcript.words())
    chosen = words[bite.first_word : bite.last_word + 1]
    if chosen and abs(chosen[0].start - bite.start_s) <= INDEX_TOLERANCE_S \
            and abs(chosen[-1].end - bite.end_s) <= INDEX_TOLERANCE_S:
        return chosen
    return [w for w in words if bite.start_s - INDEX_TOLERANCE_S <= w.start < bite.end_s]


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


def neighbours(bite: Bite) -> tuple[Bite | None, Bite | None]:
    """The previous and next bite of the same call."""
    prev = db.session.scalar(select(Bite).where(Bite.call_id == bite.call_id, Bite.seq < bite.seq)
                             .order_by(Bite.seq.desc()).limit(1))
    nxt = db.session.scalar(select(Bite).where(Bite.call_id == bite.call_id, Bite.seq > bite.seq)
                            .order_by(Bite.seq).limit(1))
    return prev, nxt


def _tag_order(bt: BiteTag) -> tuple[int, int, str]:
    return list(TagKind).index(bt.tag.kind), bt.tag.position, bt.tag.key


def bite_page(bite: Bite, *, with_addable: bool = False) -> BitePage:
    """Assemble the bite page; `with_addable` lists the tags enablement may add."""
    transcript = read_transcript(bite.call_id)
    lines = speaker_lines(bite_words(bite, transcript)) if transcript is not None else []
    carried = sorted((bt for bt in bite.tags if not bt.is_removed), key=_tag_order)
    removed = sorted((bt for bt in bite.tags if bt.is_removed), key=_tag_order)
    prev, nxt = neighbours(bite)
    page = BitePage(bite=bite, lines=lines, has_transcript=transcript is not None, tags=carried, removed=removed,
                    prev=prev, next=nxt)
    if with_addable:
        have = {bt.tag_id for bt in carried}
        page.addable = [t for t in db.session.scalars(select(Tag).order_by(Tag.kind, Tag.position, Tag.key))
                        if t.id not in have]
    return page
