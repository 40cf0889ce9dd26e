"""Helpers of the sources tests: distinct real speech recordings (WAV cut from the synthesized short call)."""

from __future__ import annotations

import os
import time
import wave
from pathlib import Path

import av
import numpy as np

from tests.calls.helpers import AUDIO

RATE = 16000


def _speech() -> np.ndarray:
    with av.open(str(AUDIO / "short_en.ogg")) as container:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        chunks = [frame.to_ndarray().reshape(-1) for packet in container.decode(audio=0)
                  for frame in resampler.resample(packet)]
    return np.concatenate(chunks)


def speech_wav(path: Path, variant: int = 0, *, age_s: float | None = 3600) -> Path:
    """A WAV of the synthesized short English call; each `variant` starts a few milliseconds later (other bytes).
    Its modification time is set `age_s` seconds back (None: now, as a file being written)."""
    samples = _speech()[variant * 80:]
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.astype("<i2").tobytes())
    if age_s is not None:
        then = time.time() - age_s
        os.utime(path, (then, then))
    return path


def age(path: Path, seconds: float = 3600) -> Path:
    then = time.time() - seconds
    os.utime(path, (then, then))
    return path


def speech_m4a(path: Path, variant: int = 0) -> Path:
    """The synthesized short English call as AAC in an .m4a (what Zoom's audio-only recordings are)."""
    samples = _speech()[variant * 80:].astype("int16")
    path.parent.mkdir(parents=True, exist_ok=True)
    with av.open(str(path), "w", format="mp4") as out:
        stream = out.add_stream("aac", rate=RATE)
        stream.layout = "mono"
        frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
        frame.sample_rate = RATE
        for packet in stream.encode(frame):
            out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    return path
