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

from enable.transcription.audio import SAMPLE_RATE, decode_blocks
from enable.transcription.diarization import THRESHOLD, Diarization, diarize
from enable.transcription.segments import mark_overlaps, speaker_runs
from enable.transcription.speaker_model import SpeakerEmbedder, Windows
from enable.transcription.stats import conversation_stats
from enable.transcription.transcriber import BLOCK_S
from enable.transcription.types import Segment, Transcript, Word
from enable.transcription.voiceprint import Voice, mean_voice

log = logging.getLogger(__name__)

SPEAKER_PREFIX = "speaker"
VOICE_SAMPLE_S = 180.0  # seconds of a stereo call's rep channel embedded to learn the rep's voice


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
    return _find(path, embedder, speakers, block_s, threshold, alive)[0]


def _find(path: Path | str, embedder: SpeakerEmbedder, speakers: int | None, block_s: float,
          threshold: float, alive: Callable[[], None] | None = None, anchor: Voice | None = None
          ) -> tuple[Diarization, Windows]:
    parts: list[Windows] = []
    for block in decode_blocks(path, block_s, stereo=False, on_decoded=(lambda _s: alive()) if alive else None):
        parts.append(embedder.windows(block.samples[0], offset_s=block.start_s))
        del block
        if alive:
            alive()
    windows = Windows.join(parts)
    found = diarize(windows.spans, windows.vectors, windows.speech, speakers=speakers, threshold=threshold,
                    anchor=anchor.vector if anchor is not None else None)
    return found, windows


def find_voices(path: Path | str, embedder: SpeakerEmbedder, speakers: int | None = None,
                alive: Callable[[], None] | None = None, anchor: Voice | None = None
                ) -> tuple[Diarization, dict[str, Voice]]:
    """Who spoke when in a recording, and the voice of each speaker found (by stored name); `anchor` is the voice
    of someone who may be on the call (the rep's profile): a voice clustering merged with another's is told apart."""
    diarization, windows = _find(path, embedder, speakers, BLOCK_S, THRESHOLD, alive, anchor)
    return diarization, speaker_voices(diarization, windows)


def speaker_voices(diarization: Diarization, windows: Windows) -> dict[str, Voice]:
    """The voice of each speaker found (by stored name): the mean of the windows that speaker holds, and the
    seconds of their turns; a speaker heard too briefly has none."""
    owners = [diarization.speaker_of(float(a), float(b)) for a, b in windows.spans]
    voices: dict[str, Voice] = {}
    for index in range(diarization.speakers):
        chosen = [i for i, owner in enumerate(owners) if owner == index]
        seconds = sum(t.end - t.start for t in diarization.turns if t.speaker == index)
        voice = mean_voice(windows.vectors[chosen], seconds) if chosen else None
        if voice is not None:
            voices[speaker_name(index)] = voice
    return voices


def channel_voice(path: Path | str, embedder: SpeakerEmbedder, channel: int, max_s: float = VOICE_SAMPLE_S
                  ) -> Voice | None:
    """The voice on one channel of a stereo recording, from its first `max_s` seconds (a rep's channel: enough
    to learn their voice without embedding the whole call); None when too little speech is there."""
    for block in decode_blocks(path, max_s, stereo=True):
        samples = block.samples[min(channel, block.samples.shape[0] - 1)]
        windows = embedder.windows(samples[: int(max_s * SAMPLE_RATE)])
        seconds = float((windows.speech[:, 1] - windows.speech[:, 0]).sum()) if len(windows.speech) else 0.0
        return mean_voice(windows.vectors, seconds)
    return None


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
    return label_speakers_with_voices(transcript, path, embedder, speakers, alive=alive)[0]


def label_speakers_with_voices(transcript: Transcript, path: Path | str, embedder: SpeakerEmbedder,
                               speakers: int | None = None, alive: Callable[[], None] | None = None,
                               anchor: Voice | None = None) -> tuple[Transcript, dict[str, Voice]]:
    """As label_speakers, and the voice of each speaker found (none when the transcript is returned unchanged);
    `anchor`: see find_voices."""
    if transcript.speakers or not transcript.segments:
        return transcript, {}
    started = time.perf_counter()
    diarization, windows = _find(path, embedder, speakers, BLOCK_S, THRESHOLD, alive, anchor)
    labelled = with_speakers(transcript, diarization)
    log.info("found %d speaker(s) in %.0fs of audio in %.1fs", diarization.speakers, transcript.duration_s,
             time.perf_counter() - started)
    present = set(labelled.speakers)
    return labelled, {name: voice for name, voice in speaker_voices(diarization, windows).items() if name in present}

