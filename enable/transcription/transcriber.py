"""Speech to timed words with faster-whisper, one speaker per channel when the channels differ."""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
from faster_whisper import BatchedInferencePipeline, WhisperModel

from enable.transcription.audio import SAMPLE_RATE, Block, ChannelEnergy, channel_verdict, decode_blocks, probe
from enable.transcription.errors import ModelUnavailable, UnsupportedLanguage
from enable.transcription.hotwords import hotwords_prompt, respell, unique_hotwords
from enable.transcription.models import DEFAULT_MODEL, MULTILINGUAL_MODEL, resolve_model
from enable.transcription.segments import build_segments, merge_by_time
from enable.transcription.stats import conversation_stats
from enable.transcription.types import Segment, Transcript, Word

log = logging.getLogger(__name__)

REP = "rep"
CUSTOMER = "customer"
# On a two-party call transcribed as one mix, more than this share of words without a clearly
# louder channel (crosstalk, a bleeding line) sends the call to one transcription per channel.
MAX_UNCLEAR_WORDS = 0.15
UNDETERMINED_LANGUAGE = "und"  # BCP 47 code for "not determined": a multilingual model heard no speech

Progress = Callable[[float], None]
# Recordings are decoded and transcribed in blocks of about this many seconds, each cut at a quiet moment,
# so that a worker's memory does not grow with the length of a call: a 4-hour stereo call decoded whole
# would need about 2.8 GB for its samples alone; a 10-minute block needs about 115 MB.
BLOCK_S = 10 * 60.0
# Voice activity detection: faster-whisper's batched defaults but 200 ms of padding around speech
# instead of 400, so that speech packs into fewer 30 s windows (12 instead of 13 on the 6-minute
# synthesized call, about 0.5 s less) with no loss of words (word error rate 9.5% instead of 10.3%).
_VAD_PARAMETERS = {"min_silence_duration_ms": 160, "speech_pad_ms": 200}


def _ignore_progress(fraction: float) -> None:
    """Progress callback for callers that do not follow progress."""


def _monotonic(report: Progress) -> Progress:
    """A progress callback that never steps back (a fallback pass starts again from zero)."""

    furthest = 0.0

    def forward(done: float) -> None:
        nonlocal furthest
        furthest = max(furthest, done)
        report(furthest)  # the same share again still tells that the work goes on (decoding, voice detection)

    return forward


def _without_speakers(segments: list[Segment]) -> list[Segment]:
    """The same segments with no speaker on them or their words (a recording that turned out to be one voice)."""
    for segment in segments:
        segment.speaker = None
        for word in segment.words:
            word.speaker = None
    return segments


def _within(report: Progress, start_s: float, duration_s: float, total_s: float) -> Progress:
    """Progress through a block of `duration_s` seconds from `start_s`, reported as a share of `total_s`."""

    def block_progress(done: float) -> None:
        report(min(1.0, (start_s + min(1.0, done) * duration_s) / total_s) if total_s > 0 else done)

    return block_progress


def _share(report: Progress, index: int, count: int) -> Progress:
    """Progress of track `index` of `count`, reported as a fraction of the whole job."""

    furthest = 0.0

    def track_progress(done: float) -> None:
        nonlocal furthest
        # never step back, so a progress bar only moves forward
        furthest = max(furthest, min(1.0, done))
        report((index + furthest) / count)

    return track_progress


class Transcriber:
    """Turns recordings into Transcripts; loads its Whisper model on first use and keeps it.

    Decoding runs through faster-whisper's BatchedInferencePipeline with voice activity
    detection and word timestamps; the pipeline honours hotwords like the sequential path does.
    A two-party call (one party per channel) is transcribed once, as the mix of both channels,
    and each word goes to the party whose channel is louder over the word's time span; only
    when too many words have no clearly louder channel (crosstalk) is each channel transcribed
    on its own. One pass instead of two is about a third faster, and a party leaking faintly into
    the other's channel is no longer transcribed twice.
    A recording is decoded and transcribed in blocks of about `block_s` seconds (10 minutes), each
    ending at a quiet moment, so that memory does not grow with the length of a call; whether the
    channels are two parties is decided on the first block, and later blocks keep its language.
    `beam_size` 1 (greedy) is the default for speed: on the synthesized 6-minute call it needs
    about a quarter less CPU than beam 5, for a word error rate of 8-12% instead of 7-9%.
    bench/ingest.py compares this path with WhisperModel.transcribe() and its defaults.
    """

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        device: str = "cpu",
        compute_type: str = "int8",
        cache_dir: Path | None = None,
        batch_size: int | None = None,
        cpu_threads: int = 0,
        beam_size: int = 1,
        block_s: float = BLOCK_S,
    ) -> None:
        self.model_name = model
        self.device = device
        self.compute_type = compute_type
        # "base" is assembled here; the app passes a folder under its data directory
        self.cache_dir = Path(cache_dir) if cache_dir is not None else Path.home() / ".cache" / "enable" / "models"
        # 30 s windows decoded together: on CPU 4 take the same time as 8 (8.8 s for the 6-minute call) at
        # 650 MB peak instead of 920; GPUs gain from larger batches
        self.batch_size = batch_size or (4 if device == "cpu" else 16)
        self.cpu_threads = cpu_threads
        self.beam_size = beam_size
        self.block_s = block_s
        self._model: WhisperModel | None = None
        self._lock = threading.Lock()

    def load(self) -> WhisperModel:
        """Load the Whisper model now (idempotent), e.g. to warm up a worker; raises ModelUnavailable."""
        with self._lock:
            if self._model is None:
                location = resolve_model(self.model_name, self.cache_dir)
                started = time.perf_counter()
                try:
                    self._model = WhisperModel(
                        location,
                        device=self.device,
                        compute_type=self.compute_type,
                        cpu_threads=self.cpu_threads,
                    )
                except (OSError, ValueError, RuntimeError) as exc:
                    raise ModelUnavailable(
                        f"Could not load the speech model {self.model_name!r} ({exc}). Set WHISPER_MODEL to "
                        f"{DEFAULT_MODEL!r} (English) or {MULTILINGUAL_MODEL!r} (multilingual), which ship with "
                        "Enable, or to a folder holding a CTranslate2 Whisper model."
                    ) from exc
                log.info("loaded speech model %s in %.1fs", self.model_name, time.perf_counter() - started)
            return self._model

    @property
    def multilingual(self) -> bool:
        """Whether the model understands languages other than English (loads the model)."""
        return bool(self.load().model.is_multilingual)

    def transcribe(
        self,
        path: Path | str,
        language: str | None = None,
        hotwords: Iterable[str] = (),
        progress: Progress | None = None,
        rep_channel: int = 0,
        max_s: float | None = None,
    ) -> Transcript:
        """Transcribe a recording into timed words and segments.

        `language` None detects it (multilingual models) or means English (".en" models).
        `hotwords` are names to spell right (products, competitors). `progress` receives the
        share of the audio done, 0..1, as segments arrive. When the two channels of a stereo
        file carry different voices, channel `rep_channel` is the "rep" and the other the
        "customer"; otherwise the speakers are unknown (None). Silence gives no segments.
        A recording that decodes to more than `max_s` seconds raises RecordingTooLong, whatever its header says.
        Raises UnsupportedMedia, UnsupportedLanguage or ModelUnavailable with a message to act on.
        """
        if rep_channel not in (0, 1):
            raise ValueError(f"rep_channel must be 0 (left) or 1 (right), not {rep_channel!r}")
        started = time.perf_counter()
        info = probe(path)
        model = self.load()
        language = self._check_language(model, language)
        names = unique_hotwords(hotwords)
        prompt = hotwords_prompt(names)
        report = _monotonic(progress or _ignore_progress)
        expected_s = info.duration_s

        segments: list[Segment] = []
        # Whether the channels are two parties: decided on the first block that tells (how a call was recorded
        # does not change). A block where one side never speaks does not tell: on a call longer than a block
        # (one side silent through a demo, a muted customer) it is transcribed as two parties, each word going
        # to the channel that carries it, and the labels are dropped at the end if no block ever showed two.
        two_party: bool | None = None
        several_blocks = expected_s > self.block_s
        detected: str | None = None
        duration_s = 0.0
        for block in decode_blocks(path, self.block_s, stereo=info.channels >= 2, max_s=max_s,
                                   on_decoded=lambda _s: report(0.0)):
            if block.samples.shape[0] == 1:
                two_party = False
            elif two_party is None:
                two_party = channel_verdict(block.samples[0], block.samples[1])
                if two_party is None and not several_blocks:
                    two_party = False  # one side silent in the whole recording: one voice
            block_report = _within(report, block.start_s, block.duration_s, max(expected_s, block.start_s +
                                                                                  block.duration_s))
            found, heard = self._transcribe_block(model, block, two_party is not False, language or detected,
                                                  prompt, names, block_report, rep_channel)
            block_report(1.0)  # a silent block gives no segments: its end is still progress
            segments.extend(found)
            if found and detected is None:  # later blocks keep the first heard language: one call, one language
                detected = heard
            duration_s = block.start_s + block.duration_s
            del block  # let the block's samples go before the next one is decoded
        if not two_party:  # words given to a channel while undecided: no block ever showed two parties
            segments = _without_speakers(segments)
        speakers = [REP, CUSTOMER] if two_party else []
        report(1.0)

        duration_s = round(duration_s, 3)
        elapsed = time.perf_counter() - started
        log.info(
            "transcribed %.0fs of audio (%d channel(s)) in %.1fs, %.0fx real time",
            duration_s,
            2 if two_party else 1,
            elapsed,
            duration_s / elapsed if elapsed else 0.0,
        )
        return Transcript(
            language=language or detected or ("en" if not model.model.is_multilingual else UNDETERMINED_LANGUAGE),
            duration_s=duration_s,
            model=self.model_name,
            channels=2 if two_party else 1,
            speakers=speakers,
            segments=segments,
            stats=conversation_stats(segments),
        )

    def _transcribe_block(
        self,
        model: WhisperModel,
        block: Block,
        two_party: bool,
        language: str | None,
        prompt: str | None,
        names: list[str],
        report: Progress,
        rep_channel: int,
    ) -> tuple[list[Segment], str | None]:
        """Segments of one block of a recording (times from the start of the recording), and the language heard."""
        offset_s = block.start_s
        if not two_party:
            channels = block.samples
            audio = channels[0] if channels.shape[0] == 1 else (channels[0] + channels[1]) * np.float32(0.5)
            segments, heard, _ = self._transcribe_track(model, audio, language, prompt, names, None, report,
                                                        offset_s=offset_s)
            return segments, heard
        left, right = block.samples[0], block.samples[1]
        sides = (left, right)
        tracks = [(REP, sides[rep_channel]), (CUSTOMER, sides[1 - rep_channel])]
        # one pass over both parties mixed, each word given to the channel that is louder over it; per sample,
        # the channel further from zero: the speaker's own channel, without the other channel's faint line noise
        # or leak added (tiny.en hears names better in it than in left + right: "Gong", not "long")
        mix = np.where(np.abs(left) >= np.abs(right), left, right)
        segments, heard, unclear = self._transcribe_track(
            model, mix, language, prompt, names, None, report, energy=ChannelEnergy(left, right),
            sides=(REP, CUSTOMER) if rep_channel == 0 else (CUSTOMER, REP), offset_s=offset_s,
        )
        del mix
        if unclear <= MAX_UNCLEAR_WORDS:
            return segments, heard
        log.info("%.0f%% of words have no clearly louder channel: one pass per channel", unclear * 100)
        per_speaker: list[list[Segment]] = []
        language = language or heard
        for index, (speaker, audio) in enumerate(tracks):
            found, _, _ = self._transcribe_track(model, audio, language, prompt, names, speaker,
                                                 _share(report, index, len(tracks)), offset_s=offset_s)
            per_speaker.append(found)
        return merge_by_time(*per_speaker), heard

    def transcribe_samples(self, audio: np.ndarray, offset_s: float, language: str | None,
                           hotwords: Iterable[str] = (), progress: Progress | None = None) -> list[Segment]:
        """Segments of one stretch of mono samples (16 kHz) that starts `offset_s` seconds into a call, in
        `language` (None: detected); for a part of a call that another model heard first. No speakers.
        `progress` receives the share of the stretch done, 0..1, as segments arrive."""
        model = self.load()
        language = self._check_language(model, language)
        names = unique_hotwords(hotwords)
        segments, _, _ = self._transcribe_track(model, audio, language, hotwords_prompt(names), names, None,
                                                _monotonic(progress or _ignore_progress), offset_s=offset_s)
        return segments

    def _check_language(self, model: WhisperModel, language: str | None) -> str | None:
        if not language:
            return None if model.model.is_multilingual else "en"
        code = language.strip().lower().replace("_", "-").split("-")[0]
        if not model.model.is_multilingual:
            if code != "en":
                raise UnsupportedLanguage(
                    f"The speech model {self.model_name!r} understands English only, so it cannot transcribe "
                    f"{language!r}. Set WHISPER_MODEL={MULTILINGUAL_MODEL} for other languages."
                )
            return "en"
        if code not in model.supported_languages:
            raise UnsupportedLanguage(
                f"{language!r} is not a language the speech model knows. Use a code such as en, ru or fa, "
                "or leave the language empty to detect it."
            )
        return code

    def _transcribe_track(
        self,
        model: WhisperModel,
        audio: np.ndarray,
        language: str | None,
        prompt: str | None,
        hotwords: list[str],
        speaker: str | None,
        progress: Progress,
        energy: ChannelEnergy | None = None,
        sides: tuple[str, str] | None = None,
        offset_s: float = 0.0,
    ) -> tuple[list[Segment], str | None, float]:
        """Segments of one track starting `offset_s` seconds into the recording, the language heard, and the
        share of words without a clearly louder channel (with `energy`, words go to `sides[channel]` of the
        louder channel)."""
        duration_s = len(audio) / SAMPLE_RATE
        if duration_s < 0.1:
            return [], language, 0.0
        # a pipeline per call: it keeps state between batches, so sharing one is not thread-safe
        pipeline = BatchedInferencePipeline(model)
        raw_segments, info = pipeline.transcribe(
            audio,
            language=language,
            beam_size=self.beam_size,
            batch_size=self.batch_size,
            word_timestamps=True,
            vad_filter=True,
            vad_parameters=dict(_VAD_PARAMETERS),
            hotwords=prompt,
        )
        words: list[Word] = []
        raw_texts: list[str] = []
        unclear = 0

        def who(start: float, end: float) -> str | None:
            nonlocal unclear
            if energy is None or sides is None:
                return speaker
            channel, clear = energy.louder(start, end)
            unclear += not clear
            return sides[channel]

        for raw in raw_segments:
            for raw_word in raw.words or []:
                text = raw_word.word.strip()
                if not text:
                    continue
                start = round(float(raw_word.start), 3)
                end = max(start, round(float(raw_word.end), 3))
                words.append(Word(round(start + offset_s, 3), round(end + offset_s, 3), text,
                                  round(float(raw_word.probability), 3), who(start, end)))
                raw_texts.append(raw_word.word)
            if not raw.words and raw.text.strip():
                # no alignment for this text: keep it as one word spanning the segment
                confidence = round(math.exp(raw.avg_logprob), 3)
                start, end = float(raw.start), float(raw.end)
                words.append(Word(round(start + offset_s, 3), round(end + offset_s, 3), raw.text.strip(), confidence,
                                  who(start, end)))
                raw_texts.append(raw.text)
            progress(min(1.0, raw.end / duration_s))
        words, raw_texts = respell(words, raw_texts, hotwords)
        return build_segments(words, raw_texts, speaker), info.language, unclear / len(words) if words else 0.0
