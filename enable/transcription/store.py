"""Transcripts on disk: `<call id>.json` (the source of truth for words) and `<call id>.vtt` captions."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from enable.transcription.types import Transcript
from enable.transcription.vtt import to_webvtt


class TranscriptUnreadable(ValueError):
    """A stored transcript file that cannot be read: damaged (cut short, overwritten) or of a newer layout."""

    def __init__(self, call_id: int, reason: object) -> None:
        self.call_id = call_id
        self.reason = str(reason)
        super().__init__(f"The transcript file of call {call_id} cannot be read: {self.reason}")


class TranscriptStore:
    """A folder of transcripts keyed by call id; every write is atomic and durable."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def json_path(self, call_id: int) -> Path:
        """Where the transcript JSON of a call lives (it may not exist yet)."""
        return self.root / f"{_checked(call_id)}.json"

    def vtt_path(self, call_id: int) -> Path:
        """Where the WebVTT captions of a call live (they may not exist yet)."""
        return self.root / f"{_checked(call_id)}.vtt"

    def vectors_path(self, call_id: int) -> Path:
        """Where the sentence vectors of a call live (``enable.meaning.vectors``; derived, rebuilt when absent)."""
        return self.root / f"{_checked(call_id)}.vectors.npz"

    def write(self, call_id: int, transcript: Transcript) -> None:
        """Save a call's transcript and captions, replacing any earlier ones whole."""
        self.root.mkdir(parents=True, exist_ok=True)
        document = json.dumps(transcript.to_dict(), ensure_ascii=False, separators=(",", ":"))
        # Both files are written in full before either replaces the old one, so a failed write (a full disk)
        # leaves the earlier pair, or nothing, and never new captions beside an old or missing JSON. The JSON,
        # renamed last, is what `exists` and readers go by.
        captions = _write_temporary(self.vtt_path(call_id), to_webvtt(transcript))
        try:
            words = _write_temporary(self.json_path(call_id), document)
        except BaseException:
            captions.unlink(missing_ok=True)
            raise
        os.replace(captions, self.vtt_path(call_id))
        os.replace(words, self.json_path(call_id))
        _fsync_directory(self.root)

    def read(self, call_id: int) -> Transcript:
        """Load a call's transcript; raises FileNotFoundError when the call has none, and TranscriptUnreadable when
        its file is damaged."""
        path = self.json_path(call_id)
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            raise FileNotFoundError(f"No transcript for call {call_id} in {self.root}") from None
        except UnicodeDecodeError as exc:
            raise TranscriptUnreadable(call_id, exc) from exc
        try:
            return Transcript.from_dict(json.loads(text))
        # bad JSON, or JSON that is not a transcript (missing fields, wrong types, numbers out of range, too deep)
        except (ValueError, KeyError, TypeError, AttributeError, OverflowError, RecursionError) as exc:
            raise TranscriptUnreadable(call_id, _reason(exc)) from exc

    def exists(self, call_id: int) -> bool:
        """Whether a transcript of the call is stored."""
        return self.json_path(call_id).is_file()

    def delete(self, call_id: int) -> bool:
        """Remove a call's transcript, captions and sentence vectors; returns whether there was anything to remove."""
        removed = False
        for path in (self.json_path(call_id), self.vtt_path(call_id), self.vectors_path(call_id)):
            try:
                path.unlink()
                removed = True
            except FileNotFoundError:
                pass
        return removed

    def ids(self) -> list[int]:
        """Ids of all calls with a stored transcript, ascending."""
        if not self.root.is_dir():
            return []
        return sorted(int(path.stem) for path in self.root.glob("*.json") if path.stem.isdigit())


def _reason(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):  # most often a file cut short
        return f"not valid JSON at line {exc.lineno}, column {exc.colno} ({exc.msg})"
    if isinstance(exc, KeyError):
        return f"the field {exc} is missing"
    if isinstance(exc, AttributeError | TypeError):
        return f"it does not hold a transcript ({exc})"
    return str(exc) or type(exc).__name__


def _checked(call_id: int) -> int:
    # ids become file names: refuse anything that is not a plain non-negative integer
    if isinstance(call_id, bool) or not isinstance(call_id, int) or call_id < 0:
        raise ValueError(f"call id must be a non-negative integer, not {call_id!r}")
    return call_id


def _write_temporary(path: Path, text: str) -> Path:
    """Write text in full to a hidden file beside path and flush it to disk; on any failure remove it and raise."""
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return Path(temporary)


def _fsync_directory(folder: Path) -> None:
    # the rename itself is only durable once the directory entry is flushed (POSIX)
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
