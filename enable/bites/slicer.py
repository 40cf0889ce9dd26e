"""Cut a transcribed call into bites of about two minutes, at sentence ends or pauses.

The cut points are chosen together by dynamic programming over word boundaries, which
makes every rule below hold at once instead of patching a greedy pass afterwards:

- a bite never starts or ends inside a word, and every word belongs to exactly one bite;
- bites last between ``min_s`` and ``max_s`` seconds whenever the words allow it; a bite is
  longer than ``max_s`` only when a single word (say, a segment with no word timings) or a
  silence leaves no other way, and then it takes in the words beside it rather than leave a
  tiny bite;
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
    for seg in segments:
        if seg.words:
            pairs.extend((w, w.speaker or seg.speaker) for w in seg.words)
        elif seg.text.strip():
            word = SegmentWord(seg.start, seg.end, seg.text, 1.0, seg.speaker)
            pairs.append((word, seg.speaker))
    # A stable sort keeps the transcriber's order for words that start together.
    pairs.sort(key=lambda pair: pair[0].start)
    return pairs


def flatten_words(segments: Sequence[SegmentLike]) -> list[WordLike]:
    """Return all words of the segments in time order; a segment without words counts as one word."""
    return [w for w, _ in _flatten(segments)]


def ends_sentence(text: str) -> bool:
    """Tell whether a word's text ends a sentence (. ? ! … ؟, before closing quotes or brackets)."""
    stripped = text.strip().rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in SENTENCE_END


def _cut_costs(words: Sequence[WordLike]) -> list[float]:
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


def _choose_cuts(words: Sequence[WordLike], target_s: float, min_s: float, max_s: float) -> list[tuple[int, int]]:
    """Return (first, last) word index pairs of the cheapest partition of words (in time order).

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


_GLUED_PUNCTUATION = ",.;:!?%…)]}'’\"-"
_NUMBER_SEPARATOR = re.compile(r"\d[,.]$")


def _continues(before: str, piece: str) -> bool:
    """Whether a word piece without a leading space continues the text before it instead of starting a word."""
    first = piece[:1]
    return first in _GLUED_PUNCTUATION or (first.isdigit() and _NUMBER_SEPARATOR.search(before) is not None)


def _sentences(words: Sequence[WordLike]) -> list[list[WordLike]]:
    sentences: list[list[WordLike]] = [[]]
    for w in words:
        sentences[-1].append(w)
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
    """Return a bite title: its first sentence of at least three words, trimmed to ~80 chars."""
    sentences = _sentences(words)
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
    bites = []
    for first, last in _choose_cuts(words, target_s, min_s, max_s):
        chunk = words[first : last + 1]
        bites.append(
            BiteRange(
                start_s=chunk[0].start,
                end_s=chunk[-1].end,
                first_word=first,
                last_word=last,
                text=_join(chunk),
                title=make_title(chunk),
                speakers=_speakers(pairs[first : last + 1]),
            )
        )
    return bites
