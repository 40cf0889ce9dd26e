"""Conversation figures of one call: talk ratio, longest monologue, questions asked, interruptions, patience."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from enable.transcription.segments import BACKCHANNEL_S
from enable.transcription.types import Segment

# A pause longer than this ends a monologue even if the same person speaks next, seconds.
MONOLOGUE_PAUSE_S = 3.0

# A pause longer than this before someone takes the floor is not waiting for the other to finish: left out of
# patience (silence on the line, a speaker reading), seconds.
MAX_PATIENCE_S = 5.0

# Latin, full-width (CJK) and Arabic-script (Persian) question marks; "??" counts once.
_QUESTION = re.compile(r"[?？؟]+")


def count_questions(text: str) -> int:
    """Number of sentences in `text` that end with a question mark."""
    return len(_QUESTION.findall(text))


def conversation_stats(segments: Sequence[Segment]) -> dict[str, Any]:
    """Per-speaker figures of a call, JSON-safe.

    Returns ``talk_s`` (seconds spoken), ``talk_ratio`` (share of all speaking time, 0..1),
    ``questions`` (sentences ending in "?") per speaker, ``longest_monologue``
    (``{"speaker", "seconds"}``, or None), ``monologue_s`` (each speaker's longest monologue, seconds),
    ``interruptions`` (times a speaker started talking, for longer than a backchannel, while another was still
    talking) and ``patience_s`` (the mean pause
    before a speaker took the floor from another, in seconds; 0 when they always cut in) per speaker.
    Segments without a known speaker are left out, so a recording without speakers gives empty figures.
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
        "monologue_s": _monologues(known),
        **_turn_taking(known),
    }


def _turn_taking(segments: Sequence[Segment]) -> dict[str, dict[str, Any]]:
    """Interruptions and patience per speaker, from segments in time order."""
    interruptions: dict[str, int] = {}
    pauses: dict[str, list[float]] = {}
    floor: Segment | None = None  # the last segment of whoever holds the floor
    for segment in segments:
        speaker = segment.speaker
        assert speaker is not None
        interruptions.setdefault(speaker, 0)
        if segment.overlap:
            continue  # a backchannel inside the other's turn: the other keeps the floor
        if floor is None or floor.speaker == speaker:
            floor = segment if floor is None or segment.end >= floor.end else floor
            continue
        if segment.start < floor.end:  # talking over the other
            if segment.end - segment.start < BACKCHANNEL_S:
                continue  # a backchannel: the other keeps the floor
            interruptions[speaker] += 1
            pauses.setdefault(speaker, []).append(0.0)
        elif segment.start - floor.end <= MAX_PATIENCE_S:
            pauses.setdefault(speaker, []).append(segment.start - floor.end)
        floor = segment
    return {
        "interruptions": interruptions,
        "patience_s": {speaker: round(sum(p) / len(p), 2) for speaker, p in pauses.items()},
    }


def _monologue_runs(segments: Sequence[Segment]) -> list[tuple[str, float]]:
    """(speaker, seconds) of each run of one speaker's talk, a pause over MONOLOGUE_PAUSE_S ending it (a backchannel
    does not)."""
    runs: list[tuple[str, float]] = []
    run_speaker: str | None = None
    run_start = run_end = 0.0
    for segment in [*(s for s in segments if not s.overlap), None]:
        continues = (
            segment is not None and segment.speaker == run_speaker and segment.start - run_end <= MONOLOGUE_PAUSE_S
        )
        if continues:
            assert segment is not None
            run_end = max(run_end, segment.end)
            continue
        if run_speaker is not None:
            runs.append((run_speaker, run_end - run_start))
        if segment is not None:
            run_speaker, run_start, run_end = segment.speaker, segment.start, segment.end
    return runs


def _longest_monologue(segments: Sequence[Segment]) -> dict[str, Any] | None:
    best: tuple[float, str] | None = None
    for speaker, seconds in _monologue_runs(segments):
        if best is None or seconds > best[0]:
            best = (seconds, speaker)
    if best is None:
        return None
    return {"speaker": best[1], "seconds": round(best[0], 2)}


def _monologues(segments: Sequence[Segment]) -> dict[str, float]:
    """Each speaker's longest monologue, seconds."""
    longest: dict[str, float] = {}
    for speaker, seconds in _monologue_runs(segments):
        longest[speaker] = max(longest.get(speaker, 0.0), seconds)
    return {speaker: round(seconds, 2) for speaker, seconds in longest.items()}
