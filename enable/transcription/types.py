"""Transcript data: timed words and segments of one call, JSON-safe both ways."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar


class Timed(Protocol):
    """Anything with a start and an end in seconds (a segment, a stored segment's head)."""

    @property
    def start(self) -> float: ...
    @property
    def end(self) -> float: ...


TimedT = TypeVar("TimedT", bound=Timed)


def speaking_order(segments: Iterable[TimedT]) -> list[TimedT]:
    """Segments ordered by start, then end (stable): the order in which transcripts and bites read them, each
    segment's words together. Bites store indexes of words in this order, so every reader must use it."""
    return sorted(segments, key=lambda segment: (segment.start, segment.end))


# Bump when the JSON layout changes in a way old readers cannot take.
SCHEMA_VERSION = 1


@dataclass(slots=True)
class Word:
    """One recognised word; start and end in seconds from the start of the call."""

    start: float
    end: float
    text: str
    probability: float
    speaker: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """This word as a JSON-safe dict."""
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "probability": self.probability,
            "speaker": self.speaker,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Word:
        """Rebuild a word from `to_dict` output."""
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            text=str(data["text"]),
            probability=float(data["probability"]),
            speaker=data.get("speaker"),
        )


@dataclass(slots=True)
class Segment:
    """A run of words by one speaker (a sentence or less); start and end in seconds.

    `language` is the language this segment was transcribed in when it differs from the call's or was
    identified for its part of the call (None: the transcript's `language`); `unsupported_language` marks
    speech in a language outside the site's supported set (TRANSCRIPTION_LANGUAGES): it is kept as heard but
    may be misheard, so it gets no tags. `overlap` marks a backchannel ("mm-hm", "yeah") said inside another
    speaker's turn: it is kept as its own segment and does not split that turn. Segments of different speakers
    may overlap in time.
    """

    start: float
    end: float
    text: str
    speaker: str | None = None
    words: list[Word] = field(default_factory=list)
    language: str | None = None
    unsupported_language: bool = False
    overlap: bool = False

    @property
    def duration_s(self) -> float:
        """Length of the segment in seconds."""
        return self.end - self.start

    def to_dict(self) -> dict[str, Any]:
        """This segment as a JSON-safe dict."""
        data: dict[str, Any] = {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "speaker": self.speaker,
            "words": [word.to_dict() for word in self.words],
            "overlap": self.overlap,
        }
        # written only when set, so transcripts of one-language calls keep their layout
        if self.language is not None:
            data["language"] = self.language
        if self.unsupported_language:
            data["unsupported_language"] = True
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Segment:
        """Rebuild a segment from `to_dict` output."""
        return cls(
            start=float(data["start"]),
            end=float(data["end"]),
            text=str(data["text"]),
            speaker=data.get("speaker"),
            words=[Word.from_dict(word) for word in data.get("words", [])],
            language=data.get("language"),
            unsupported_language=bool(data.get("unsupported_language", False)),
            overlap=bool(data.get("overlap", False)),  # absent from transcripts written before overlaps were marked
        )


@dataclass(slots=True)
class Transcript:
    """Everything said in one call, in time order.

    `channels` is 2 when each channel of a stereo recording was transcribed as its own
    speaker ("rep" and "customer"), else 1; `speakers` is empty when speakers are unknown.
    `stats` holds the per-call figures of `conversation_stats`.
    """

    language: str
    duration_s: float
    model: str
    channels: int = 1
    speakers: list[str] = field(default_factory=list)
    segments: list[Segment] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)

    def words(self) -> Iterator[Word]:
        """Yield every word of the call in speaking order: segments ordered by start, each segment's words
        together, so that two people talking at once keep their sentences whole instead of interleaving word
        by word. Without overlapping talk this is time order. Bites index words in this order."""
        for segment in speaking_order(self.segments):
            yield from segment.words

    @property
    def text(self) -> str:
        """The whole transcript as plain text, one segment per line."""
        return "\n".join(segment.text for segment in self.segments)

    def to_dict(self) -> dict[str, Any]:
        """This transcript as a JSON-safe dict that `from_dict` turns back into an equal one."""
        return {
            "schema": SCHEMA_VERSION,
            "language": self.language,
            "duration_s": self.duration_s,
            "model": self.model,
            "channels": self.channels,
            "speakers": list(self.speakers),
            "stats": self.stats,
            "segments": [segment.to_dict() for segment in self.segments],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Transcript:
        """Rebuild a transcript from `to_dict` output; rejects unknown newer layouts."""
        schema = data.get("schema", SCHEMA_VERSION)
        if schema > SCHEMA_VERSION:
            raise ValueError(
                f"transcript layout {schema} is newer than this version of Enable reads "
                f"({SCHEMA_VERSION}); upgrade Enable"
            )
        return cls(
            language=str(data["language"]),
            duration_s=float(data["duration_s"]),
            model=str(data["model"]),
            channels=int(data.get("channels", 1)),
            speakers=list(data.get("speakers", [])),
            segments=[Segment.from_dict(segment) for segment in data.get("segments", [])],
            stats=dict(data.get("stats", {})),
        )
