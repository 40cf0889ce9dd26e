"""Speakers of a one-channel call: who said each word, found from the voices (speaker diarization).

A transcript whose speakers are unknown (one channel, or two channels carrying the same mix) gets "speaker1",
"speaker2"... numbered by who speaks first: each word goes to the speaker who holds most of its time, and a
segment is split into each speaker's words; a short backchannel inside the other's sentence does not split it.
The recording is read in blocks, as transcription reads it, so memory does not grow with its length; only the
embeddings (192 numbers per 0.75 s of speech) are kept.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from enable.transcription.audio import decode_blocks
from enable.transcription.diarization import THRESHOLD, Diarization, diarize
from enable.transcription.segments import mark_overlaps, speaker_runs
from enable.transcription.speaker_model import SpeakerEmbedder, Windows
from enable.transcription.stats import conversation_stats
from enable.transcription.transcriber import BLOCK_S
from enable.transcription.types import Segment, Transcript, Word

log = logging.getLogger(__name__)

SPEAKER_PREFIX = "speaker"


def speaker_name(index: int) -> str:
    """The stored name of the speaker numbered `index` from 0 ("speaker1" for 0)."""
    return f"{SPEAKER_PREFIX}{index + 1}"


def speaker_number(name: str | None) -> int | None:
    """The number (from 1) of a diarized speaker's stored name, None for any other name."""
    if not name or not name.startswith(SPEAKER_PREFIX) or not name[len(SPEAKER_PREFIX):].isdigit():
        return None
    return int(name[len(SPEAKER_PREFIX):])


def find_speakers(path: Path | str, embedder: SpeakerEmbedder, speakers: int | None = None,
                  block_s: float = BLOCK_S, threshold: float = THRESHOLD,
                  alive: Callable[[], None] | None = None) -> Diarization:
    """Who spoke when in a recording (mixed to one channel); `speakers` is how many took part, when known.
    `alive` is called as the work goes on (while decoding, after each block), so a worker can show it is alive."""
    parts: list[Windows] = []
    for block in decode_blocks(path, block_s, stereo=False, on_decoded=(lambda _s: alive()) if alive else None):
        parts.append(embedder.windows(block.samples[0], offset_s=block.start_s))
        del block
        if alive:
            alive()
    windows = Windows.join(parts)
    return diarize(windows.spans, windows.vectors, windows.speech, speakers=speakers, threshold=threshold)


def with_speakers(transcript: Transcript, diarization: Diarization) -> Transcript:
    """The transcript with each word given its speaker, segments split where the speaker changes, and the
    conversation figures of the speakers (a transcript with no speech found is returned as it is)."""
    if diarization.speakers == 0 or not transcript.segments:
        return transcript
    segments: list[Segment] = []
    for segment in transcript.segments:
        segments.extend(_split(segment, diarization))
    segments = mark_overlaps(segments)
    names = sorted({s.speaker for s in segments if s.speaker}, key=lambda n: speaker_number(n) or 0)
    transcript.segments = segments
    transcript.speakers = names
    transcript.stats = conversation_stats(segments) if len(names) > 1 else {}
    return transcript


def _split(segment: Segment, diarization: Diarization) -> list[Segment]:
    if not segment.words:
        who = diarization.speaker_of(segment.start, segment.end)
        segment.speaker = speaker_name(who) if who is not None else None
        return [segment]
    for word in segment.words:
        who = diarization.speaker_of(word.start, word.end)
        word.speaker = speaker_name(who) if who is not None else None
    groups = speaker_runs(segment.words)  # a "yeah" inside the other's sentence does not split it
    if len(groups) == 1:
        segment.speaker = segment.words[0].speaker
        return [segment]
    return [_segment([segment.words[i] for i in group], segment) for group in groups]


def _segment(words: list[Word], whole: Segment) -> Segment:
    """One speaker's part of `whole`, in its language and as supported as it (speech in a language the models do
    not handle well stays untagged however it is split)."""
    return Segment(start=words[0].start, end=max(w.end for w in words), text=" ".join(w.text for w in words),
                   speaker=words[0].speaker, words=words, language=whole.language,
                   unsupported_language=whole.unsupported_language)


def label_speakers(transcript: Transcript, path: Path | str, embedder: SpeakerEmbedder,
                   speakers: int | None = None, alive: Callable[[], None] | None = None) -> Transcript:
    """Find the speakers of a transcript whose speakers are unknown, from its recording; a transcript that has
    them (a two-party stereo call) or has no speech is returned unchanged (`alive`: see find_speakers). Raises
    SpeakerModelUnavailable."""
    if transcript.speakers or not transcript.segments:
        return transcript
    started = time.perf_counter()
    diarization = find_speakers(path, embedder, speakers, alive=alive)
    labelled = with_speakers(transcript, diarization)
    log.info("found %d speaker(s) in %.0fs of audio in %.1fs", diarization.speakers, transcript.duration_s,
             time.perf_counter() - started)
    return labelled

