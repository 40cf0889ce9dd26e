"""Conversation figures of one call: talk ratio, longest monologue, questions asked."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from enable.transcription.types import Segment

# A pause longer than this ends a monologue even if the same person speaks next, seconds.
MONOLOGUE_PAUSE_S = 3.0

# Latin, full-width (CJK) and Arabic-script (Persian) question marks; "??" counts once.
_QUESTION = re.compile(r"[?？؟]+")


def count_questions(text: str) -> int:
    """Number of sentences in `text` that end with a question mark."""
    return len(_QUESTION.findall(text))


def conversation_stats(segments: Sequence[Segment]) -> dict[str, Any]:
    """Per-speaker figures of a call, JSON-safe.

    Returns ``talk_s`` (seconds spoken), ``talk_ratio`` (share of all speaking time, 0..1),
    ``questions`` (sentences ending in "?") per speaker, and ``longest_monologue``
    (``{"speaker", "seconds"}``, or None). Segments without a known speaker are left out,
    so a mono recording gives empty figures.
    """
    known = sorted((s for s in segments if s.speaker is not None), key=lambda s: (s.start, s.end))
    talk: dict[str, float] = {}
    questions: dict[str, int] = {}
    for segment in known:
        speaker = segment.speaker
        assert speaker is not None
        talk[speaker] = talk.get(speaker, 0.0) + max(0.0, segment.end - segment.start)
        questions[speaker] = questions.get(speaker, 0) + count_questions(segment.text)
    total = sum(talk.values())
    return {
        "talk_s": {speaker: round(seconds, 2) for speaker, seconds in talk.items()},
        "talk_ratio": {speaker: round(seconds / total, 3) if total > 0 else 0.0 for speaker, seconds in talk.items()},
        "questions": questions,
        "longest_monologue": _longest_monologue(known),
    }


def _longest_monologue(segments: Sequence[Segment]) -> dict[str, Any] | None:
    best: tuple[float, str] | None = None
    run_speaker: str | None = None
    run_start = run_end = 0.0
    for segment in [*segments, None]:
        continues = (
            segment is not None and segment.speaker == run_speaker and segment.start - run_end <= MONOLOGUE_PAUSE_S
        )
        if continues:
            assert segment is not None
            run_end = max(run_end, segment.end)
            continue
        if run_speaker is not None and (best is None or run_end - run_start > best[0]):
            best = (run_end - run_start, run_speaker)
        if segment is not None:
            run_speaker, run_start, run_end = segment.speaker, segment.start, segment.end
    if best is None:
        return None
    return {"speaker": best[1], "seconds": round(best[0], 2)}
