"""Cut a transcribed call into bites of about two minutes, at sentence ends or pauses.

The cut points are chosen together by dynamic programming over word boundaries, which
makes every rule below hold at once instead of patching a greedy pass afterwards:

- words are read in speaking order: segments (each one speaker's sentence) by start, each
  segment's words together, so that when two people talk at once a bite's text and title read as
  each person's sentences instead of their words interleaved one by one; without overlapping talk
  this is time order;
- a bite never starts or ends inside a word, and every word belongs to exactly one bite;
- a bite never starts or ends inside overlapping talk: every word of a bite ends before every
  word of the next one starts, so a bite holds all that was said in its time and bites follow
  each other in time; a bite starts at its earliest word start and ends at its latest word end;
- bites last between ``min_s`` and ``max_s`` seconds whenever the words allow it; a bite is
  longer than ``max_s`` only when a single word (say, a segment with no word timings), talk
  overlapping for that long, or a silence leaves no other way, and then it takes in the words
  beside it rather than leave a tiny bite;
- a call shorter than ``min_s`` is one bite, and the last bite is never a tiny tail;
- among the cuts that respect the bounds, sentence ends are preferred, then long pauses,
  and bite lengths near ``target_s``.

A bite's duration is its last word's end minus its first word's start, so the silence
between two bites belongs to neither.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from enable.transcription.types import speaking_order

SENTENCE_END = frozenset(".?!…؟。！？")
_CLOSERS = "\"'”’»)]"
TITLE_MAX_CHARS = 80
TITLE_MIN_WORDS = 3

# Costs of one bite, in the same arbitrary unit. A sentence end costs nothing; a cut
# elsewhere costs between _CUT_MIN (after a pause of _PAUSE_FULL_S or more) and _CUT_MAX
# (no pause). Cutting elsewhere is thus worth moving a bite about 60 s off target, and a
# length outside the bounds costs more than any number of bad cuts.
_CUT_MAX = 1.0
_CUT_MIN = 0.5
_PAUSE_FULL_S = 2.0
_SENTENCE_PAUSE_BONUS = 0.1
_OUT_OF_BOUNDS = 1000.0


class WordLike(Protocol):
    """A timed word (``enable.transcription.types.Word`` or anything shaped like it)."""

    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def text(self) -> str: ...
    @property
    def speaker(self) -> str | None: ...


class SegmentLike(Protocol):
    """A transcript segment (``enable.transcription.types.Segment`` or anything shaped like it)."""

    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...
    @property
    def text(self) -> str: ...
    @property
    def speaker(self) -> str | None: ...
    @property
    def words(self) -> Sequence[WordLike]: ...


@dataclass(frozen=True, slots=True)
class SegmentWord:
    """A whole segment standing in as one word, for segments transcribed without word timings."""

    start: float
    end: float
    text: str
    probability: float
    speaker: str | None


@dataclass(frozen=True, slots=True)
class BiteRange:
    """One bite: seconds from the call start, inclusive indexes into ``flatten_words``, text, title."""

    start_s: float
    end_s: float
    first_word: int
    last_word: int
    text: str
    title: str
    speakers: list[str]

    @property
    def duration_s(self) -> float:
        """Length of the bite in seconds."""
        return self.end_s - self.start_s


def _flatten(segments: Sequence[SegmentLike]) -> list[tuple[WordLike, str | None]]:
    pairs: list[tuple[WordLike, str | None]] = []
    # Speaking order: segments by start, each segment's words together, so that two people talking at once
    # read as each one's sentences (ordering single words by time interleaved them word by word).
    for seg in speaking_order(segments):
        if seg.words:
            pairs.extend((w, w.speaker or seg.speaker) for w in seg.words)
        elif seg.text.strip():
            word = SegmentWord(seg.start, seg.end, seg.text, 1.0, seg.speaker)
            pairs.append((word, seg.speaker))
    return pairs


def flatten_words(segments: Sequence[SegmentLike]) -> list[WordLike]:
    """Return all words of the segments in speaking order (segments by start, each one's words together; time
    order when no one talks over another); a segment without words counts as one word."""
    return [w for w, _ in _flatten(segments)]


@dataclass(frozen=True, slots=True)
class _Span:
    """Consecutive words (in speaking order) that no cut may separate, because talk overlapping in time runs
    across them; alone it is one word. Its times are the earliest start and the latest end of its words."""

    start: float
    end: float
    text: str  # its last word's text, which tells whether a cut after it ends a sentence
    first: int
    last: int


def _spans(words: Sequence[WordLike]) -> list[_Span]:
    """Cut points lie only where every word before ends before every word after starts, so that a bite holds all
    of the talk of its time and bites follow each other in time; the words between two cut points form a span."""
    n = len(words)
    later_start = [0.0] * n  # the earliest start of the words from i on
    earliest = float("inf")
    for i in range(n - 1, -1, -1):
        earliest = min(earliest, words[i].start)
        later_start[i] = earliest
    spans: list[_Span] = []
    first, start, end = 0, words[0].start if n else 0.0, float("-inf")
    for i, w in enumerate(words):
        start, end = min(start, w.start), max(end, w.end)
        if i == n - 1 or end <= later_start[i + 1]:
            spans.append(_Span(start, end, w.text, first, i))
            if i + 1 < n:
                first, start, end = i + 1, words[i + 1].start, float("-inf")
    return spans


def ends_sentence(text: str) -> bool:
    """Tell whether a word's text ends a sentence (. ? ! … ؟, before closing quotes or brackets)."""
    stripped = text.strip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in SENTENCE_END


def _cut_costs(words: Sequence[_Span]) -> list[float]:
    """Cost of ending a bite after word i, for each i."""
    costs = []
    last = len(words) - 1
    for i, w in enumerate(words):
        if i == last:
            costs.append(0.0)
            continue
        pause = min(max(words[i + 1].start - w.end, 0.0), _PAUSE_FULL_S) / _PAUSE_FULL_S
        if ends_sentence(w.text):
            costs.append(-_SENTENCE_PAUSE_BONUS * pause)
        else:
            costs.append(_CUT_MAX - (_CUT_MAX - _CUT_MIN) * pause)
    return costs


def _length_costs(durations: np.ndarray, target_s: float, min_s: float, max_s: float) -> np.ndarray:
    """Cost of bites of these lengths: squared distance from the target, plus a penalty out of bounds."""
    cost = ((durations - target_s) / target_s) ** 2
    # How far out of bounds counts, but never more than half a violation: one bite far over max_s (it holds a word
    # longer than max_s anyway) must cost less than splitting a tiny bite off it, which is two violations.
    under = _OUT_OF_BOUNDS * (1.0 + 0.5 * np.minimum(1.0, (min_s - durations) / min_s))
    over = _OUT_OF_BOUNDS * (1.0 + 0.5 * np.minimum(1.0, (durations - max_s) / max_s))
    return cost + np.where(durations < min_s, under, np.where(durations > max_s, over, 0.0))


def _choose_cuts(words: Sequence[_Span], target_s: float, min_s: float, max_s: float) -> list[tuple[int, int]]:
    """Return (first, last) index pairs of the cheapest partition of spans (in time order, none overlapping).

    Dynamic programming over where each bite starts; for each last word, the candidate first words
    are scored at once with numpy (a Python loop over them took seconds on an hour-long call).
    """
    n = len(words)
    cut_cost = _cut_costs(words)
    starts = np.fromiter((w.start for w in words), dtype=np.float64, count=n)
    lengths = np.fromiter((w.end - w.start for w in words), dtype=np.float64, count=n)
    # A bite may reach back past max_s, up to min_s further (past a word longer than max_s, up to min_s beyond
    # it): when the words allow no bite within the bounds, one a little too long beats a tiny bite beside it.
    reach = max_s + min_s + (float(lengths.max()) if n else 0.0)
    # best[j]: cheapest cost of covering words[0:j]; back[j]: where its last bite starts.
    best = np.full(n + 1, np.inf)
    best[0] = 0.0
    back = [0] * (n + 1)
    for j in range(1, n + 1):
        end = words[j - 1].end
        # candidate first words, latest first, down to the first one past the reach (which still counts)
        low = max(0, int(np.searchsorted(starts, end - reach, side="left")) - 1)
        candidates = np.arange(j - 1, low - 1, -1)
        durations = end - starts[candidates]
        longest = np.maximum.accumulate(lengths[candidates])
        past = durations > np.maximum(max_s, longest) + min_s
        if past.any():
            keep = int(past.argmax()) + 1
            candidates, durations = candidates[:keep], durations[:keep]
        totals = best[candidates] + _length_costs(durations, target_s, min_s, max_s) + cut_cost[j - 1]
        pick = int(totals.argmin())
        if totals[pick] < np.inf:
            best[j] = totals[pick]
            back[j] = int(candidates[pick])
    ranges = []
    j = n
    while j > 0:
        i = back[j]
        ranges.append((i, j - 1))
        j = i
    ranges.reverse()
    return ranges


def _join(words: Sequence[WordLike]) -> str:
    # Whisper marks a new word with a leading space; the transcript keeps words without it, so a piece is glued
    # to the one before only when it cannot start a word: punctuation (",000" after "40"), or digits after a
    # number's separator ("40," then "000").
    text = ""
    for i, w in enumerate(words):
        glued = i == 0 or w.text[:1].isspace() or _continues(text, w.text)
        text += w.text if glued else " " + w.text
    return " ".join(text.split())


def join_words(words: Sequence[WordLike]) -> str:
    """The text of consecutive words as a bite holds it (word pieces glued as the slicer glues them)."""
    return _join(words)


_GLUED_PUNCTUATION = ",.;:!?%…)]}'’\"-"
_NUMBER_SEPARATOR = re.compile(r"\d[,.]$")


def _continues(before: str, piece: str) -> bool:
    """Whether a word piece without a leading space continues the text before it instead of starting a word."""
    first = piece[:1]
    return first in _GLUED_PUNCTUATION or (first.isdigit() and _NUMBER_SEPARATOR.search(before) is not None)


def _sentences(pairs: Sequence[tuple[WordLike, str | None]]) -> list[list[WordLike]]:
    """Sentences of one speaker each: a sentence ends at its final punctuation or where another speaker starts."""
    sentences: list[list[WordLike]] = [[]]
    speaker: str | None = None
    for w, who in pairs:
        if sentences[-1] and who != speaker:
            sentences.append([])
        sentences[-1].append(w)
        speaker = who
        if ends_sentence(w.text):
            sentences.append([])
    return [s for s in sentences if s]


def trim_title(text: str, max_chars: int = TITLE_MAX_CHARS) -> str:
    """Shorten text to at most max_chars characters on a word boundary, ending it with "…"."""
    text = " ".join(text.split())
    if len(text) <= max_chars:
        return text
    cut = text[: max_chars - 1]
    space = cut.rfind(" ")
    if space > 0:
        cut = cut[:space]
    return cut.rstrip(" ,;:-–—") + "…"


def make_title(words: Sequence[WordLike]) -> str:
    """Return a bite title: its first sentence of at least three words, said by one person, trimmed to ~80 chars."""
    return _title([(w, w.speaker) for w in words])


def _title(pairs: Sequence[tuple[WordLike, str | None]]) -> str:
    sentences = _sentences(pairs)
    if not sentences:
        return ""
    chosen = next(
        (s for s in sentences if sum(1 for w in s if w.text.strip()) >= TITLE_MIN_WORDS),
        sentences[0],
    )
    return trim_title(_join(chosen))


def _speakers(pairs: Sequence[tuple[WordLike, str | None]]) -> list[str]:
    seen: dict[str, None] = {}
    for _, speaker in pairs:
        if speaker:
            seen.setdefault(speaker, None)
    return list(seen)


def cut_bites(
    segments: Sequence[SegmentLike],
    target_s: float = 120.0,
    min_s: float = 45.0,
    max_s: float = 150.0,
) -> list[BiteRange]:
    """Cut a call's segments into bites of about target_s seconds (min_s..max_s), in time order."""
    if not 0 < min_s <= target_s <= max_s:
        raise ValueError(
            f"Bite lengths must satisfy 0 < min ({min_s}) <= target ({target_s}) <= max ({max_s}) seconds."
        )
    pairs = _flatten(segments)
    if not pairs:
        return []
    words = [w for w, _ in pairs]
    spans = _spans(words)
    bites = []
    for first, last in _choose_cuts(spans, target_s, min_s, max_s):
        chunk = words[spans[first].first : spans[last].last + 1]
        bites.append(
            BiteRange(
                start_s=spans[first].start,
                end_s=spans[last].end,
                first_word=spans[first].first,
                last_word=spans[last].last,
                text=_join(chunk),
                title=_title(pairs[spans[first].first : spans[last].last + 1]),
                speakers=_speakers(pairs[spans[first].first : spans[last].last + 1]),
            )
        )
    return bites
