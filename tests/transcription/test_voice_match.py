"""A voice profile recognises a real person on a one-channel mix, in another language than it was learnt in, and
names nobody when that person is not on the call (the real CAM++ model on ../shared/audio)."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np
import pytest

from enable.transcription.audio import SAMPLE_RATE, decode
from enable.transcription.speaker_model import SpeakerEmbedder
from enable.transcription.speakers import find_voices, speaker_name
from enable.transcription.voiceprint import Voice, closest_speaker, mean_voice

pytestmark = [pytest.mark.slow, pytest.mark.audio]


@pytest.fixture(scope="module")
def embedder() -> SpeakerEmbedder:
    model = SpeakerEmbedder()
    model.load()
    return model


def _voice(embedder: SpeakerEmbedder, samples: np.ndarray) -> Voice:
    windows = embedder.windows(samples)
    voice = mean_voice(windows.vectors, float((windows.speech[:, 1] - windows.speech[:, 0]).sum()))
    assert voice is not None
    return voice


def _write(path: Path, samples: np.ndarray) -> Path:
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


def test_a_real_reader_is_recognised_in_another_language_and_a_stranger_is_not(shared_audio, embedder, tmp_path):
    reader, kennedy = decode(shared_audio / "multilingual.mp3"), decode(shared_audio / "jfk.flac")
    rate = SAMPLE_RATE
    profile = _voice(embedder, reader[: 28 * rate])  # learnt from the English part
    # the call: the German part in 10 s turns, JFK answering in 5 s turns
    pieces, truth, at = [], [], 0.0
    for index, start in enumerate(range(31 * rate, len(reader), 10 * rate)):
        for name, piece in (("reader", reader[start : start + 10 * rate]),
                            ("jfk", kennedy[(index % 2) * 5 * rate : (index % 2 + 1) * 5 * rate])):
            pieces.append(piece)
            truth.append((at, at + len(piece) / rate, name))
            at += len(piece) / rate
    path = _write(tmp_path / "call.wav", np.concatenate(pieces))
    found, voices = find_voices(path, embedder)
    named = closest_speaker(profile, voices)
    assert named is not None
    held = [t for t in found.turns if speaker_name(t.speaker) == named]
    in_reader = sum(max(0.0, min(e, t.end) - max(s, t.start)) for t in held for s, e, who in truth if who == "reader")
    assert in_reader / sum(t.end - t.start for t in held) >= 0.9

    # the reader absent: a call of JFK alone names nobody
    alone = _write(tmp_path / "jfk.wav", kennedy)
    found, voices = find_voices(alone, embedder)
    assert found.speakers == 1 and closest_speaker(profile, voices) is None
