"""Cutting recognised words into sentence-sized segments of one speaker."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from enable.transcription.types import Segment, Word

# A silence longer than this between two words starts a new segment, seconds; so does a change of
# speaker. Within one party's words, a pause that long is usually the other party's turn.
MAX_PAUSE_S = 1.0

_SENTENCE_END = (".", "?", "!", "…", "。", "？", "！", "؟")
_CLOSERS = "\"'”’»)]}"


def ends_sentence(text: str) -> bool:
    """Whether a word ends a sentence (final punctuation, possibly inside closing quotes)."""
    return text.rstrip(_CLOSERS).endswith(_SENTENCE_END)


def _starts_sentence(text: str) -> bool:
    first = next((char for char in text if char.isalnum()), "")
    # caseless scripts (Persian, CJK) never look lowercase, so they split on punctuation alone
    return first != "" and not first.islower()


def split_words(words: Sequence[Word], max_pause_s: float = MAX_PAUSE_S) -> list[list[int]]:
    """Group word indices into runs that end at a sentence end, a pause over `max_pause_s` or a change of speaker."""
    groups: list[list[int]] = []
    current: list[int] = []
    for index, word in enumerate(words):
        if current:
            previous = words[current[-1]]
            paused = word.start - previous.end > max_pause_s
            sentence_over = ends_sentence(previous.text) and _starts_sentence(word.text)
            if paused or sentence_over or word.speaker != previous.speaker:
                groups.append(current)
                current = []
        current.append(index)
    if current:
        groups.append(current)
    return groups


def build_segments(
    words: Sequence[Word], raw_texts: Sequence[str], speaker: str | None, max_pause_s: float = MAX_PAUSE_S
) -> list[Segment]:
    """Segments of one speaker each from timed words; `raw_texts` keep Whisper's own spacing for the text.

    `speaker` None takes each segment's speaker from its words (a segment never spans two speakers).
    """
    segments = []
    for group in split_words(words, max_pause_s=max_pause_s):
        text = "".join(raw_texts[i] for i in group).strip()
        if not text:
            continue
        segments.append(
            Segment(
                start=words[group[0]].start,
                end=max(words[i].end for i in group),
                text=text,
                speaker=speaker if speaker is not None else words[group[0]].speaker,
                words=[words[i] for i in group],
            )
        )
    return segments


def merge_by_time(*tracks: Iterable[Segment]) -> list[Segment]:
    """All segments of several speakers in one list, ordered by start (then end) time."""
    return sorted((segment for track in tracks for segment in track), key=lambda s: (s.start, s.end))
