"""Cutting recognised words into sentence-sized segments of one speaker."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

from enable.transcription.types import Segment, Word, speaking_order

# A silence longer than this between two words of one speaker starts a new segment, seconds. Within one party's
# words, a pause that long is usually the other party's turn.
MAX_PAUSE_S = 1.0

# Speech shorter than this inside another speaker's speech is a backchannel ("mm-hm", "yeah", "угу"), seconds.
BACKCHANNEL_S = 1.5
# Two sentences of one speaker this close count as one stretch of speech, for a backchannel said across the
# boundary between them, seconds.
TOUCHING_S = 0.3

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
    return _split_run(words, range(len(words)), max_pause_s)


def _split_run(words: Sequence[Word], indices: Iterable[int], max_pause_s: float) -> list[list[int]]:
    """Group the words at `indices` (in time order) into runs that end at a sentence end, a long pause or a change
    of speaker."""
    groups: list[list[int]] = []
    current: list[int] = []
    for index in indices:
        word = words[index]
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


def speaker_runs(words: Sequence[Word], max_pause_s: float = MAX_PAUSE_S) -> list[list[int]]:
    """Group word indices into sentences of one speaker each, grouping each speaker's words on their own.

    Words of two people talking at once arrive interleaved in time; cutting at every change of speaker would leave
    each person's sentence in pieces of a word or two. Here each speaker's words are split at sentence ends and
    pauses of their own, so a "yeah" of one person inside the other's sentence does not split that sentence. The
    runs are ordered by their first word's start (`speaking_order`).
    """
    by_speaker: dict[str | None, list[int]] = {}
    for index, word in enumerate(words):
        by_speaker.setdefault(word.speaker, []).append(index)
    runs = [run for indices in by_speaker.values() for run in _split_run(words, indices, max_pause_s)]
    return sorted(runs, key=lambda run: (words[run[0]].start, max(words[i].end for i in run)))


def mark_overlaps(segments: Iterable[Segment], backchannel_s: float = BACKCHANNEL_S) -> list[Segment]:
    """Mark as `overlap` each segment shorter than `backchannel_s` lying inside another speaker's speech (one of
    their segments, or two of them less than `TOUCHING_S` apart): a backchannel ("mm-hm", "yeah"), which does not
    split the other's turn. A short reply between two of the other's sentences is not inside them, so it stays a
    turn of its own. Returns the segments in speaking order; segments without a speaker are never marked."""
    ordered = speaking_order(segments)
    spans: dict[str, list[tuple[float, float]]] = {}
    for segment in ordered:
        if segment.speaker is None:
            continue
        own = spans.setdefault(segment.speaker, [])
        if own and segment.start - own[-1][1] <= TOUCHING_S:
            own[-1] = (own[-1][0], max(own[-1][1], segment.end))
        else:
            own.append((segment.start, segment.end))
    starts = {speaker: [start for start, _ in own] for speaker, own in spans.items()}
    for segment in ordered:
        segment.overlap = segment.speaker is not None and segment.duration_s < backchannel_s and any(
            _covered(own, starts[speaker], segment.start, segment.end)
            for speaker, own in spans.items() if speaker != segment.speaker
        )
    return ordered


def _covered(spans: list[tuple[float, float]], starts: list[float], start: float, end: float) -> bool:
    """Whether one of the spans (in time order, apart from each other) holds the time from `start` to `end`."""
    at = bisect_right(starts, start) - 1
    return at >= 0 and end <= spans[at][1]


def build_segments(
    words: Sequence[Word], raw_texts: Sequence[str], speaker: str | None, max_pause_s: float = MAX_PAUSE_S
) -> list[Segment]:
    """Segments of one speaker each from timed words; `raw_texts` keep Whisper's own spacing for the text.

    `speaker` None takes each segment's speaker from its words: each speaker's words are grouped into sentences
    of their own (`speaker_runs`), the segments ordered by start, and backchannels marked (`mark_overlaps`).
    """
    segments = []
    groups = split_words(words, max_pause_s) if speaker is not None else speaker_runs(words, max_pause_s)
    for group in groups:
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
    return segments if speaker is not None else mark_overlaps(segments)


def merge_by_time(*tracks: Iterable[Segment]) -> list[Segment]:
    """All segments of several speakers in one list, ordered by start (then end) time, backchannels marked."""
    return mark_overlaps(segment for track in tracks for segment in track)
