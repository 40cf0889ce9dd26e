"""WebVTT captions of a transcript, for the browser's audio and video players."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from enable.transcription.types import Segment, Transcript, Word

MAX_CUE_S = 7.0  # longer cues are hard to read along with speech
MAX_LINE_CHARS = 42  # common subtitle line length
MAX_LINES = 2
_MIN_CUE_S = 0.05  # WebVTT wants every cue to end after it starts


@dataclass(frozen=True, slots=True)
class Cue:
    """One caption: start and end in seconds, its lines, and who speaks (None if unknown)."""

    start: float
    end: float
    lines: tuple[str, ...]
    speaker: str | None


def format_timestamp(seconds: float, decimal: str = ".") -> str:
    """Seconds as a WebVTT timestamp, HH:MM:SS.mmm (SubRip writes a comma: decimal=",")."""
    millis = max(0, round(seconds * 1000))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}{decimal}{millis:03d}"


def wrap(text: str, width: int = MAX_LINE_CHARS) -> list[str]:
    """Break text into lines of at most `width` characters at spaces (longer words stay whole)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def _fits(texts: Sequence[str], start: float, end: float) -> bool:
    return end - start <= MAX_CUE_S and len(wrap(" ".join(texts))) <= MAX_LINES


def cues_for_segment(segment: Segment) -> list[Cue]:
    """Cues of one segment, split at word boundaries into pieces of <= 7 s and <= 2 lines."""
    words = segment.words
    if not words:
        return _cues_without_words(segment)
    cues: list[Cue] = []
    group: list[Word] = []
    for word in words:
        if group and not _fits([w.text for w in [*group, word]], group[0].start, word.end):
            cues.append(_cue(group, segment.speaker))
            group = []
        group.append(word)
    if group:
        cues.append(_cue(group, segment.speaker))
    return cues


def _cue(words: Sequence[Word], speaker: str | None) -> Cue:
    text = " ".join(word.text for word in words)
    return Cue(words[0].start, max(word.end for word in words), tuple(wrap(text)), speaker)


def _cues_without_words(segment: Segment) -> list[Cue]:
    """Without word times, share the segment's time among its lines in proportion to their length."""
    lines = wrap(segment.text)
    if not lines:
        return []
    pieces = [lines[i : i + MAX_LINES] for i in range(0, len(lines), MAX_LINES)]
    total = sum(len(" ".join(piece)) for piece in pieces)
    cues, start = [], segment.start
    for piece in pieces:
        end = start + segment.duration_s * len(" ".join(piece)) / total
        cues.append(Cue(start, end, tuple(piece), segment.speaker))
        start = end
    return cues


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _voice(speaker: str) -> str:
    # a voice annotation ends at ">" and may not hold line breaks
    return _escape(" ".join(speaker.split()))


def _cues(transcript: Transcript) -> list[Cue]:
    """Every cue of the transcript in time order."""
    return sorted(
        (cue for segment in transcript.segments for cue in cues_for_segment(segment)),
        key=lambda cue: (cue.start, cue.end),
    )


def to_srt(transcript: Transcript, speaker_name: Callable[[str], str] = str) -> str:
    """The transcript as SubRip subtitles, cut into the same cues as the WebVTT captions; a known speaker's
    name (`speaker_name` of the speaker) starts the cue's first line."""
    blocks = []
    for n, cue in enumerate(_cues(transcript), start=1):
        lines = list(cue.lines)
        if cue.speaker:
            lines[0] = f"{speaker_name(cue.speaker)}: {lines[0]}"
        end = max(cue.end, cue.start + _MIN_CUE_S)
        blocks.append(f"{n}\n{format_timestamp(cue.start, ',')} --> {format_timestamp(end, ',')}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + ("\n" if blocks else "")


def to_webvtt(
    transcript: Transcript, start: float | None = None, end: float | None = None, relative: bool = False
) -> str:
    """The transcript (or the part between `start` and `end` seconds) as a WebVTT document.

    Cues carry `<v rep>`-style voice tags when speakers are known. Cue times stay in call time,
    so a player seeking within the call's own media shows them; `relative=True` shifts them to
    start at `start`, for a clip cut out of the call.
    """
    low = start if start is not None else 0.0
    high = end if end is not None else float("inf")
    shift = low if relative else 0.0
    blocks = ["WEBVTT"]
    for cue in _cues(transcript):
        if cue.end <= low or cue.start >= high:
            continue
        cue_start = max(cue.start, low) - shift
        cue_end = max(min(cue.end, high) - shift, cue_start + _MIN_CUE_S)
        lines = [_escape(line) for line in cue.lines]
        if cue.speaker:
            lines[0] = f"<v {_voice(cue.speaker)}>{lines[0]}"
        blocks.append(f"{format_timestamp(cue_start)} --> {format_timestamp(cue_end)}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n"
